/*
 * survival_table.c — survival from an open table: checks the columns
 * (strata from a column, or from memory), then streams blocks
 * of SURV_TABLE_BLOCK rows (16 x CLM_BLOCK_ROWS, about 37 MB of buffers):
 * read on this thread (HDF5 is not thread-safe), event and stratum
 * converted to flags and slots with row-exact errors (vectorised loops, on
 * this thread too), then counted in parallel by clm_survival_add.  Large
 * blocks keep the parallel regions few (one per million rows): a region
 * costs a wake-up of every thread, which on a loaded machine can be a
 * scheduler time slice.
 * Integer and categorical event and stratum columns are read as int32
 * (cheaper for HDF5 to convert than double); float ones as double.
 *
 * On several ranks (surv_fit_table_ranks, docs/design.md §7) each rank
 * streams only its own rows, in the serial run's blocks cut to its range,
 * and survival_ranks.c merges the counts and the ARPU sums.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "clmseg/table.h"
#include "io/io_internal.h"
#include "io/io_table_ranks.h"
#include "survival/survival_internal.h"
#include "survival/survival_ranks.h"

/* Rows read per block. */
#define SURV_TABLE_BLOCK ((int64_t)16 * CLM_BLOCK_ROWS)

/* How the stratum of a row is found. */
typedef enum { BY_NONE, BY_CODES, BY_VALUES, BY_MEMORY } by_kind;

typedef struct table_source {
    const clm_table *input;
    const clm_table *by_table; /* the input                           */
    const int32_t *strata; /* BY_MEMORY                                */
    int time_col, event_col, by_col, arpu_col;
    int event_categorical;
    double event_value;    /* the value or code that means "event"    */
    int event_has_level;
    by_kind by;
    int64_t by_min;        /* BY_VALUES: slot = value - by_min         */
    int32_t n_strata;
    char **labels;
} table_source;

static void source_free(table_source *src)
{
    if (src->labels)
        for (int32_t i = 0; i < src->n_strata; i++)
            free(src->labels[i]);
    free(src->labels);
}

static clm_status setup_event(table_source *src, const char *name, const char *level)
{
    io_event_rule rule;
    clm_status st = io_event_rule_of(src->input, src->event_col, name, level, &rule);
    src->event_categorical = rule.categorical;
    src->event_has_level = rule.has_level;
    src->event_value = rule.value;
    return st;
}

/* A column stored as a narrow integer type is read as int32 (exact). */
static int narrow_integer(const clm_column_info *info)
{
    clm_dtype d = info->dtype;
    return d == CLM_DT_INT8 || d == CLM_DT_UINT8 || d == CLM_DT_INT16 || d == CLM_DT_UINT16 ||
           d == CLM_DT_INT32;
}

/* Smallest and largest value of rows [first, first + n_rows) of an
 * integer column read as int32 (the strata of --by on an integer column):
 * one pass in large blocks.  An empty range gives INT32_MAX, INT32_MIN. */
static clm_status int_column_range(const clm_table *table, const comm_ctx *comm, int column,
                                   int64_t first, int64_t n_rows, int32_t *buffer, int64_t block,
                                   int64_t *min_out, int64_t *max_out)
{
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    /* Rank reads: as many on every rank (io_table_ranks.h); a rank whose
     * buffer could not be allocated reads nothing. */
    clm_status st = buffer ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    const int64_t n_calls = io_rank_calls(comm, (n_rows + block - 1) / block);
    for (int64_t call = 0, row0 = first; call < n_calls; call++, row0 += block) {
        int64_t n = st || row0 >= first + n_rows ? 0 : util_block_len(first + n_rows, row0, block);
        clm_status read = io_table_read_rank_i32(table, column, row0 < first + n_rows ? row0 : first + n_rows, n, buffer);
        if (n == 0 || (st = read))
            continue;
        for (int64_t i = 0; i < n; i++) {
            lo = buffer[i] < lo ? buffer[i] : lo;
            hi = buffer[i] > hi ? buffer[i] : hi;
        }
    }
    *min_out = lo;
    *max_out = hi;
    return st;
}

/* The strata of the rows; on several ranks this rank's rows are
 * [first_row, first_row + n_local) of n_rows, cols->strata holds those
 * only, and an integer column's range is agreed over the ranks. */
static clm_status setup_by(table_source *src, const char *path, const clm_survival_columns *cols,
                           const comm_ctx *comm, int64_t n_rows, int64_t first_row,
                           int64_t n_local)
{
    const char *by = cols->by;
    const char *by_path = path;
    if (!by && cols->strata) {
        if (cols->n_strata < 1)
            return clm_error(CLM_E_PARAM, "survival: %d strata given", (int)cols->n_strata);
        src->by = BY_MEMORY;
        src->strata = cols->strata;
        src->n_strata = cols->n_strata;
        src->labels = calloc((size_t)src->n_strata, sizeof *src->labels);
        if (!src->labels)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int32_t c = 0; c < src->n_strata; c++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%d", (int)c);
            const char *name = cols->stratum_labels ? cols->stratum_labels[c] : buf;
            if (!(src->labels[c] = strdup(name)))
                return clm_error(CLM_E_NOMEM, "out of memory");
        }
        for (int64_t i = 0; i < n_local; i++)
            if (cols->strata[i] < -1 || cols->strata[i] >= cols->n_strata)
                return clm_error(CLM_E_PARAM, "survival: row %lld: stratum %d is outside [-1, %d)",
                                 (long long)(first_row + i), (int)cols->strata[i],
                                 (int)cols->n_strata);
        return CLM_OK;
    }
    if (!by) {
        src->by = BY_NONE;
        src->n_strata = 1;
        src->labels = calloc(1, sizeof *src->labels);
        if (!src->labels || !(src->labels[0] = strdup("all")))
            return clm_error(CLM_E_NOMEM, "out of memory");
        return CLM_OK;
    }
    const char *column = by;
    src->by_table = src->input;
    clm_status st = clm_table_require(src->by_table, column, CLM_KIND_UNSUPPORTED, &src->by_col);
    if (st)
        return st;
    const clm_column_info *info = clm_table_column(src->by_table, src->by_col);
    if (info->length != n_rows)
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' has %lld rows but %s has %lld",
                         by_path, column, (long long)info->length, path, (long long)n_rows);
    if (info->kind == CLM_KIND_CATEGORICAL) {
        src->by = BY_CODES;
        src->n_strata = info->n_categories > 0 ? info->n_categories : 1;
        src->labels = calloc((size_t)src->n_strata, sizeof *src->labels);
        if (!src->labels)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int32_t c = 0; c < src->n_strata; c++) {
            const char *name = c < info->n_categories ? info->categories[c] : "none";
            if (!(src->labels[c] = strdup(name)))
                return clm_error(CLM_E_NOMEM, "out of memory");
        }
        return CLM_OK;
    }
    /* Integer-valued numeric column (segment labels, branch ids): one
     * stratum per value between its minimum and maximum; empty ones are
     * dropped when the curves are built. */
    clm_column_stats stats;
    if (narrow_integer(info) && n_rows > 0) {
        /* Only the range is needed: one plain pass, no moments. */
        int64_t block = n_rows < SURV_TABLE_BLOCK ? n_rows : SURV_TABLE_BLOCK;
        int32_t *buffer = malloc((size_t)block * sizeof *buffer);
        int64_t range[2] = {0, 0}; /* -min, max */
        st = int_column_range(src->by_table, comm, src->by_col, first_row, n_local, buffer, block,
                              &range[0], &range[1]);
        free(buffer);
        range[0] = -range[0];
        /* This rank's range, then everyone's. */
        st = comm_agree(comm, st);
        if (!st)
            st = comm_max_i64(comm, range, 2);
        const int64_t lo = -range[0], hi = range[1];
        stats.count = n_rows;
        stats.min = (double)lo;
        stats.max = (double)hi;
    } else {
        st = clm_table_column_stats(src->by_table, src->by_col, &stats);
    }
    if (st)
        return st;
    src->by = BY_VALUES;
    if (stats.count == 0) {
        src->by_min = 0;
        src->n_strata = 1;
    } else {
        if (stats.max - stats.min >= 1e6)
            return clm_error(CLM_E_SCHEMA,
                             "%s: column '%s' spans %g .. %g: more than 1,000,000 strata", by_path,
                             column, stats.min, stats.max);
        src->by_min = (int64_t)floor(stats.min);
        src->n_strata = (int32_t)((int64_t)floor(stats.max) - src->by_min + 1);
    }
    src->labels = calloc((size_t)src->n_strata, sizeof *src->labels);
    if (!src->labels)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t c = 0; c < src->n_strata; c++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)(src->by_min + c));
        if (!(src->labels[c] = strdup(buf)))
            return clm_error(CLM_E_NOMEM, "out of memory");
    }
    return CLM_OK;
}

/* The converters below turn rows [0, n) of a chunk into event flags or
 * stratum slots and return the first row they refuse, or -1; they only
 * say where: the message comes from event_error or by_error.  Raw values are double (float columns;
 * a categorical code < 0 read as NaN) or int32 (integer columns, codes). */
static int64_t event_from_f64(const table_source *src, int64_t n, const double *raw,
                              uint8_t *flag)
{
    for (int64_t i = 0; i < n; i++) {
        double v = raw[i];
        if (isnan(v))
            return i;
        if (src->event_has_level)
            flag[i] = v == src->event_value;
        else if (v == 0.0 || v == 1.0)
            flag[i] = (uint8_t)v;
        else
            return i;
    }
    return -1;
}

/* First i in [0, n) with bad[i] set, or -1; the loops below fill bad[]
 * without an early exit, so they vectorise. */
static int64_t first_set(int64_t n, const uint8_t *bad)
{
    uint8_t any = 0;
    for (int64_t i = 0; i < n; i++)
        any |= bad[i];
    if (!any)
        return -1;
    for (int64_t i = 0; i < n; i++)
        if (bad[i])
            return i;
    return -1;
}

static int64_t event_from_i32(const table_source *src, int64_t n, const int32_t *raw,
                              uint8_t *flag, uint8_t *bad)
{
    if (src->event_categorical) {
        /* --event-level is required for a categorical event. */
        const int32_t code = (int32_t)src->event_value;
        for (int64_t i = 0; i < n; i++) {
            bad[i] = raw[i] < 0;
            flag[i] = raw[i] == code;
        }
    } else if (src->event_has_level) {
        for (int64_t i = 0; i < n; i++) {
            bad[i] = 0;
            flag[i] = (double)raw[i] == src->event_value;
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            bad[i] = (uint32_t)raw[i] > 1u;
            flag[i] = (uint8_t)raw[i];
        }
    }
    return first_set(n, bad);
}

static int64_t slot_from_f64(const table_source *src, int64_t n, const double *raw,
                             int32_t *slot)
{
    for (int64_t i = 0; i < n; i++) {
        double v = raw[i];
        if (isnan(v)) {
            slot[i] = src->n_strata;
            continue;
        }
        double k = src->by == BY_VALUES ? v - (double)src->by_min : v;
        if (k != floor(k) || k < 0 || k >= src->n_strata)
            return i;
        slot[i] = (int32_t)k;
    }
    return -1;
}

static int64_t slot_from_i32(const table_source *src, int64_t n, const int32_t *raw,
                             int32_t *slot, uint8_t *bad)
{
    const int32_t n_strata = src->n_strata;
    if (src->by == BY_CODES) {
        /* Codes < 0 are missing, as the double read gives NaN for them. */
        for (int64_t i = 0; i < n; i++) {
            int32_t c = raw[i];
            bad[i] = c >= n_strata;
            slot[i] = c < 0 ? n_strata : c;
        }
    } else {
        /* Values and by_min are int32 here: the difference modulo 2^32,
         * read unsigned, is below n_strata exactly when it is a slot. */
        const uint32_t by_min = (uint32_t)src->by_min;
        for (int64_t i = 0; i < n; i++) {
            uint32_t k = (uint32_t)raw[i] - by_min;
            bad[i] = k >= (uint32_t)n_strata;
            slot[i] = (int32_t)k;
        }
    }
    return first_set(n, bad);
}

/* The message of a refused event value. */
static clm_status event_error(const char *path, const char *name, int64_t row, double v)
{
    if (isnan(v))
        return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: event is missing", path, name,
                         (long long)row);
    return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: event value %g is not 0 or 1",
                     path, name, (long long)row, v);
}

/* The message of a refused stratum value. */
static clm_status by_error(const table_source *src, const char *path, const char *name,
                           int64_t row, double v)
{
    double k = src->by == BY_VALUES ? v - (double)src->by_min : v;
    return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: stratum value %g is %s", path, name,
                     (long long)row, v, k != floor(k) ? "not an integer" : "not a valid code");
}

clm_status clm_survival_time_unit(const char *name, double *days)
{
    if (name && !strcmp(name, "months"))
        *days = CLM_DAYS_PER_MONTH;
    else if (name && !strcmp(name, "weeks"))
        *days = 7.0;
    else if (name && !strcmp(name, "days"))
        *days = 1.0;
    else
        return clm_error(CLM_E_PARAM, "time unit '%s' is not days, weeks or months", name ? name : "(none)");
    return CLM_OK;
}

/* The buffers of one block, and on several ranks this rank's ARPU and
 * slots (kept for surv_relay_arpu). */
typedef struct block_buffers {
    double *time, *event_raw, *by_raw, *arpu;
    uint8_t *event;
    int32_t *slot;
    int64_t *bad_event, *bad_by; /* per chunk: first refused row or -1 */
    double *rank_arpu;
    int32_t *rank_slot;
} block_buffers;

static void buffers_free(block_buffers *b)
{
    free(b->time);
    free(b->event_raw);
    free(b->event);
    free(b->by_raw);
    free(b->slot);
    free(b->arpu);
    free(b->bad_event);
    free(b->bad_by);
    free(b->rank_arpu);
    free(b->rank_slot);
}

static int buffers_alloc(block_buffers *b, const table_source *src, int64_t block, int with_arpu,
                         int64_t rank_rows)
{
    const int64_t n_chunks_max = (block + SURV_CHUNK_ROWS - 1) / SURV_CHUNK_ROWS;
    const int by = src->by != BY_NONE;
    /* Blocks of 16 Mi rows: huge pages where the kernel has them (a fresh
     * 4 KiB page costs a fault; on a 1M-row quarter the faults were a
     * fifth of the whole command). */
    b->time = util_alloc_big((size_t)block * sizeof *b->time);
    /* Raw event and stratum values: double or int32 (same buffers). */
    b->event_raw = util_alloc_big((size_t)block * sizeof *b->event_raw);
    b->event = util_alloc_big((size_t)block * sizeof *b->event);
    b->bad_event = malloc((size_t)n_chunks_max * sizeof *b->bad_event);
    b->bad_by = malloc((size_t)n_chunks_max * sizeof *b->bad_by);
    if (by) {
        b->by_raw = util_alloc_big((size_t)block * sizeof *b->by_raw);
        b->slot = util_alloc_big((size_t)block * sizeof *b->slot);
    }
    if (with_arpu)
        b->arpu = util_alloc_big((size_t)block * sizeof *b->arpu);
    if (with_arpu && rank_rows >= 0) {
        size_t n = (size_t)(rank_rows > 0 ? rank_rows : 1);
        b->rank_arpu = malloc(n * sizeof *b->rank_arpu);
        if (by)
            b->rank_slot = malloc(n * sizeof *b->rank_slot);
    }
    return b->time && b->event_raw && b->event && b->bad_event && b->bad_by &&
           (!by || (b->by_raw && b->slot)) && (!with_arpu || b->arpu) &&
           (!with_arpu || rank_rows < 0 || (b->rank_arpu && (!by || b->rank_slot)));
}

/* Rows [row0, row0 + n) of the table, read and converted into `b`: event
 * flags and slots, with the message of the first refused row (the event
 * column is checked before the stratum, row by row). */
static clm_status read_block(const table_source *src, const clm_survival_columns *cols,
                             const char *path, const char *by_name, double unit_days,
                             int64_t strata_row0, int64_t row0, int64_t n, block_buffers *b)
{
    const int event_i32 = narrow_integer(clm_table_column(src->input, src->event_col));
    const int by_i32 = (src->by == BY_CODES || src->by == BY_VALUES) &&
                       narrow_integer(clm_table_column(src->by_table, src->by_col));
    int32_t *event_codes = (int32_t *)(void *)b->event_raw;
    int32_t *by_codes = (int32_t *)(void *)b->by_raw;
    /* Rank reads (collective on several ranks): each one is made on every
     * rank, with no rows after the first that failed. */
    clm_status st = io_table_read_rank_f64(src->input, src->time_col, row0, n, b->time);
    if (!st && unit_days > 0 && unit_days != CLM_DAYS_PER_MONTH)
        /* t units of unit_days days, in months: exact for whole days
         * (30.4375 = 487/16 is a binary fraction) */
        for (int64_t i = 0; i < n; i++)
            b->time[i] = b->time[i] * unit_days / CLM_DAYS_PER_MONTH;
    clm_status next = event_i32 ? io_table_read_rank_i32(src->input, src->event_col, row0, st ? 0 : n, event_codes)
                                : io_table_read_rank_f64(src->input, src->event_col, row0, st ? 0 : n, b->event_raw);
    st = st ? st : next;
    if (src->by == BY_CODES || src->by == BY_VALUES) {
        next = by_i32 ? io_table_read_rank_i32(src->by_table, src->by_col, row0, st ? 0 : n, by_codes)
                      : io_table_read_rank_f64(src->by_table, src->by_col, row0, st ? 0 : n, b->by_raw);
        st = st ? st : next;
    }
    if (b->arpu) {
        next = io_table_read_rank_f64(src->input, src->arpu_col, row0, st ? 0 : n, b->arpu);
        st = st ? st : next;
    }
    if (st)
        return st;

    /* Event flags and slots, chunk by chunk on this thread: the loops
     * vectorise, and a parallel region here would cost more than it
     * saves (each one wakes every thread, which on a loaded machine
     * can take a scheduler time slice). */
    int64_t n_chunks = (n + SURV_CHUNK_ROWS - 1) / SURV_CHUNK_ROWS;
    for (int64_t c = 0; c < n_chunks; c++) {
        int64_t r0 = c * SURV_CHUNK_ROWS;
        int64_t len = util_block_len(n, r0, SURV_CHUNK_ROWS);
        uint8_t bad[SURV_CHUNK_ROWS];
        b->bad_event[c] = event_i32 ? event_from_i32(src, len, event_codes + r0, b->event + r0, bad)
                                    : event_from_f64(src, len, b->event_raw + r0, b->event + r0);
        b->bad_by[c] = -1;
        if (src->by == BY_MEMORY)
            for (int64_t i = 0; i < len; i++) {
                int32_t v = src->strata[strata_row0 + r0 + i];
                b->slot[r0 + i] = v < 0 ? src->n_strata : v;
            }
        else if (src->by != BY_NONE)
            b->bad_by[c] = by_i32 ? slot_from_i32(src, len, by_codes + r0, b->slot + r0, bad)
                                  : slot_from_f64(src, len, b->by_raw + r0, b->slot + r0);
    }
    for (int64_t c = 0; c < n_chunks && !st; c++) {
        int64_t r0 = c * SURV_CHUNK_ROWS;
        if (b->bad_event[c] >= 0 && (b->bad_by[c] < 0 || b->bad_event[c] <= b->bad_by[c])) {
            int64_t i = r0 + b->bad_event[c];
            double v = !event_i32 ? b->event_raw[i]
                       : src->event_categorical && event_codes[i] < 0 ? NAN
                                                                      : (double)event_codes[i];
            st = event_error(path, cols->event, row0 + i, v);
        } else if (b->bad_by[c] >= 0) {
            int64_t i = r0 + b->bad_by[c];
            st = by_error(src, path, by_name, row0 + i,
                          by_i32 ? (double)by_codes[i] : b->by_raw[i]);
        }
    }
    return st;
}

clm_status clm_survival_fit_table(const clm_survival_params *params,
                                  const clm_survival_columns *columns,
                                  const clm_table *table, clm_survival **out)
{
    return surv_fit_table_ranks(params, columns, table, NULL, out);
}

clm_status surv_fit_table_ranks(const clm_survival_params *params,
                                const clm_survival_columns *columns, const clm_table *table,
                                const comm_ctx *comm, clm_survival **out)
{
    const double unit_days = columns ? columns->time_unit_days : 0.0;
    if (!(unit_days >= 0.0) || !isfinite(unit_days))
        return clm_error(CLM_E_PARAM, "survival: time unit of %g days is not a number >= 0", unit_days);
    *out = NULL;
    clm_survival_columns cols = *columns;
    if (!cols.time)
        cols.time = "tenure_months";
    if (!cols.event)
        cols.event = "churned";
    table_source src;
    memset(&src, 0, sizeof src);
    src.arpu_col = -1;
    clm_survival *surv = NULL;
    block_buffers b;
    memset(&b, 0, sizeof b);
    const int ranks = comm_is_parallel(comm);

    /* Up to the counting, every step but the strata checks, the range of
     * an integer --by column and the allocations gives the same answer on
     * every rank (the same file): those are agreed below. */
    clm_status st = clm_survival_params_check(params);
    const char *path = clm_table_path(table);
    src.input = table;
    if (!st)
        st = clm_table_require(src.input, cols.time, CLM_KIND_NUMERIC, &src.time_col);
    if (!st)
        st = clm_table_require(src.input, cols.event, CLM_KIND_UNSUPPORTED, &src.event_col);
    if (!st && cols.arpu)
        st = clm_table_require(src.input, cols.arpu, CLM_KIND_NUMERIC, &src.arpu_col);
    if (st)
        goto done;
    int64_t n_rows = clm_table_n_rows(src.input);
    if (n_rows <= 0) {
        st = clm_error(CLM_E_EMPTY, "%s: the table has no rows", path);
        goto done;
    }
    int64_t first_row = 0, n_local = n_rows;
    surv_rank_rows(comm, n_rows, surv_file_chunk(table, columns), &first_row, &n_local);
    st = setup_event(&src, cols.event, cols.event_level);
    if (!st)
        st = setup_by(&src, path, &cols, comm, n_rows, first_row, n_local);
    const char *by_name = src.by == BY_MEMORY ? (cols.strata_name ? cols.strata_name : "stratum") : cols.by;

    clm_survival_params p = *params;
    p.source = path;
    p.time_column = cols.time;
    p.event_column = cols.event;
    p.stratum_column = by_name;
    p.arpu_column = cols.arpu;
    if (!st)
        st = clm_survival_create(&p, src.n_strata, (const char *const *)src.labels, &surv);

    const int64_t block = n_rows < SURV_TABLE_BLOCK ? n_rows : SURV_TABLE_BLOCK;
    if (!st && !buffers_alloc(&b, &src, block, cols.arpu != NULL, ranks ? n_local : -1))
        st = clm_error(CLM_E_NOMEM, "out of memory reading %s", path);
    st = comm_agree(comm, st);
    if (st)
        goto done;
    surv->row_base = first_row;

    /* The blocks are the serial run's (multiples of `block` from row 0),
     * cut to this rank's rows: a block's events and strata are checked
     * before its times, so a rank's first error is ranked by its block,
     * then by that order (fail_key), as it would come in a serial run. */
    const int64_t end = first_row + n_local;
    int64_t fail_key = 0;
    /* Every rank reads as many blocks as the rank with the most; past its
     * rows or its first error, with no rows (io_table_ranks.h). */
    const int64_t n_calls = io_rank_calls(comm, n_local > 0 ? (end - 1) / block - first_row / block + 1 : 0);
    for (int64_t call = 0, row0 = first_row; call < n_calls; call++) {
        const int64_t block_end = (row0 / block + 1) * block;
        const int64_t n = st || row0 >= end ? 0 : (block_end < end ? block_end : end) - row0;
        if (n > 0)
            fail_key = row0 / block * 2;
        clm_status read = read_block(&src, &cols, path, by_name, unit_days, row0 - first_row, row0, n, &b);
        if (n == 0 || (st = read))
            continue;
        fail_key++;
        st = clm_survival_add(surv, n, b.time, b.event, b.slot, b.arpu);
        if (!st && b.rank_arpu) {
            memcpy(b.rank_arpu + (row0 - first_row), b.arpu, (size_t)n * sizeof *b.arpu);
            if (b.rank_slot)
                memcpy(b.rank_slot + (row0 - first_row), b.slot, (size_t)n * sizeof *b.slot);
        }
        row0 += n;
        if (!st && params->progress)
            params->progress(params->progress_ctx, "survival: counting", row0, n_rows);
    }
    if (!ranks) {
        if (!st)
            st = clm_survival_finish(surv);
        goto done;
    }
    st = comm_agree_first(comm, st, fail_key);
    if (!st && cols.arpu) {
        /* A rank without rows has not learnt it yet. */
        surv->has_arpu = 1;
        st = surv_relay_arpu(surv, comm, first_row, n_local, b.rank_arpu, b.rank_slot);
    }
    if (!st)
        st = surv_finish_ranks(surv, comm);
done:
    buffers_free(&b);
    source_free(&src);
    if (st) {
        clm_survival_free(surv);
        return st;
    }
    *out = surv;
    return CLM_OK;
}

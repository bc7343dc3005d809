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
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "clmseg/table.h"
#include "io/io_internal.h"
#include "survival/survival_internal.h"

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

/* Smallest and largest value of an integer column read as int32 (the
 * strata of --by on an integer column): one pass in large blocks. */
static clm_status int_column_range(const clm_table *table, int column, int64_t n_rows,
                                   int32_t *buffer, int64_t block, int64_t *min_out,
                                   int64_t *max_out)
{
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (int64_t row0 = 0; row0 < n_rows; row0 += block) {
        int64_t n = util_block_len(n_rows, row0, block);
        clm_status st = clm_table_read_i32(table, column, row0, n, buffer);
        if (st)
            return st;
        for (int64_t i = 0; i < n; i++) {
            lo = buffer[i] < lo ? buffer[i] : lo;
            hi = buffer[i] > hi ? buffer[i] : hi;
        }
    }
    *min_out = lo;
    *max_out = hi;
    return CLM_OK;
}

static clm_status setup_by(table_source *src, const char *path, const clm_survival_columns *cols,
                           int64_t n_rows)
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
        for (int64_t i = 0; i < n_rows; i++)
            if (cols->strata[i] < -1 || cols->strata[i] >= cols->n_strata)
                return clm_error(CLM_E_PARAM, "survival: row %lld: stratum %d is outside [-1, %d)",
                                 (long long)i, (int)cols->strata[i], (int)cols->n_strata);
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
        if (!buffer)
            return clm_error(CLM_E_NOMEM, "out of memory");
        int64_t lo = 0, hi = 0;
        st = int_column_range(src->by_table, src->by_col, n_rows, buffer, block, &lo, &hi);
        free(buffer);
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

clm_status clm_survival_fit_table(const clm_survival_params *params,
                                  const clm_survival_columns *columns,
                                  const clm_table *table, clm_survival **out)
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
    double *time = NULL, *event_raw = NULL, *by_raw = NULL, *arpu = NULL;
    uint8_t *event = NULL;
    int32_t *slot = NULL;
    int64_t *bad_event = NULL, *bad_by = NULL; /* per chunk: first refused row or -1 */

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
    st = setup_event(&src, cols.event, cols.event_level);
    if (!st)
        st = setup_by(&src, path, &cols, n_rows);
    if (st)
        goto done;
    const char *by_path = path;
    const char *by_name = src.by == BY_MEMORY ? (cols.strata_name ? cols.strata_name : "stratum") : cols.by;

    clm_survival_params p = *params;
    p.source = path;
    p.time_column = cols.time;
    p.event_column = cols.event;
    p.stratum_column = by_name;
    p.arpu_column = cols.arpu;
    st = clm_survival_create(&p, src.n_strata, (const char *const *)src.labels, &surv);
    if (st)
        goto done;

    const int64_t block = n_rows < SURV_TABLE_BLOCK ? n_rows : SURV_TABLE_BLOCK;
    const int event_i32 = narrow_integer(clm_table_column(src.input, src.event_col));
    const int by_i32 = (src.by == BY_CODES || src.by == BY_VALUES) && narrow_integer(clm_table_column(src.by_table, src.by_col));
    const int64_t n_chunks_max = (block + SURV_CHUNK_ROWS - 1) / SURV_CHUNK_ROWS;
    /* Blocks of 16 Mi rows: huge pages where the kernel has them (a fresh
     * 4 KiB page costs a fault; on a 1M-row quarter the faults were a
     * fifth of the whole command). */
    time = util_alloc_big((size_t)block * sizeof *time);
    /* Raw event and stratum values: double or int32 (same buffers). */
    event_raw = util_alloc_big((size_t)block * sizeof *event_raw);
    event = util_alloc_big((size_t)block * sizeof *event);
    bad_event = malloc((size_t)n_chunks_max * sizeof *bad_event);
    bad_by = malloc((size_t)n_chunks_max * sizeof *bad_by);
    if (src.by != BY_NONE) {
        by_raw = util_alloc_big((size_t)block * sizeof *by_raw);
        slot = util_alloc_big((size_t)block * sizeof *slot);
    }
    if (cols.arpu)
        arpu = util_alloc_big((size_t)block * sizeof *arpu);
    if (!time || !event_raw || !event || !bad_event || !bad_by ||
        (src.by != BY_NONE && (!by_raw || !slot)) || (cols.arpu && !arpu)) {
        st = clm_error(CLM_E_NOMEM, "out of memory reading %s", path);
        goto done;
    }
    int32_t *event_codes = (int32_t *)(void *)event_raw;
    int32_t *by_codes = (int32_t *)(void *)by_raw;
    for (int64_t row0 = 0; row0 < n_rows; row0 += block) {
        int64_t n = util_block_len(n_rows, row0, block);
        st = clm_table_read_f64(src.input, src.time_col, row0, n, time);
        if (!st && unit_days > 0 && unit_days != CLM_DAYS_PER_MONTH)
            /* t units of unit_days days, in months: exact for whole days
             * (30.4375 = 487/16 is a binary fraction) */
            for (int64_t i = 0; i < n; i++)
                time[i] = time[i] * unit_days / CLM_DAYS_PER_MONTH;
        if (!st)
            st = event_i32 ? clm_table_read_i32(src.input, src.event_col, row0, n, event_codes)
                           : clm_table_read_f64(src.input, src.event_col, row0, n, event_raw);
        if (!st && (src.by == BY_CODES || src.by == BY_VALUES))
            st = by_i32 ? clm_table_read_i32(src.by_table, src.by_col, row0, n, by_codes)
                        : clm_table_read_f64(src.by_table, src.by_col, row0, n, by_raw);
        if (!st && arpu)
            st = clm_table_read_f64(src.input, src.arpu_col, row0, n, arpu);
        if (st)
            goto done;

        /* Event flags and slots, chunk by chunk on this thread: the loops
         * vectorise, and a parallel region here would cost more than it
         * saves (each one wakes every thread, which on a loaded machine
         * can take a scheduler time slice). */
        int64_t n_chunks = (n + SURV_CHUNK_ROWS - 1) / SURV_CHUNK_ROWS;
        for (int64_t c = 0; c < n_chunks; c++) {
            int64_t r0 = c * SURV_CHUNK_ROWS;
            int64_t len = util_block_len(n, r0, SURV_CHUNK_ROWS);
            uint8_t bad[SURV_CHUNK_ROWS];
            bad_event[c] = event_i32 ? event_from_i32(&src, len, event_codes + r0, event + r0, bad)
                                     : event_from_f64(&src, len, event_raw + r0, event + r0);
            bad_by[c] = -1;
            if (src.by == BY_MEMORY)
                for (int64_t i = 0; i < len; i++) {
                    int32_t v = src.strata[row0 + r0 + i];
                    slot[r0 + i] = v < 0 ? src.n_strata : v;
                }
            else if (src.by != BY_NONE)
                bad_by[c] = by_i32 ? slot_from_i32(&src, len, by_codes + r0, slot + r0, bad)
                                   : slot_from_f64(&src, len, by_raw + r0, slot + r0);
        }
        for (int64_t c = 0; c < n_chunks && !st; c++) {
            int64_t r0 = c * SURV_CHUNK_ROWS;
            /* The event column is checked before the stratum, row by row. */
            if (bad_event[c] >= 0 && (bad_by[c] < 0 || bad_event[c] <= bad_by[c])) {
                int64_t i = r0 + bad_event[c];
                double v = !event_i32 ? event_raw[i]
                           : src.event_categorical && event_codes[i] < 0 ? NAN
                                                                         : (double)event_codes[i];
                st = event_error(path, cols.event, row0 + i, v);
            } else if (bad_by[c] >= 0) {
                int64_t i = r0 + bad_by[c];
                st = by_error(&src, by_path, by_name, row0 + i,
                              by_i32 ? (double)by_codes[i] : by_raw[i]);
            }
        }
        if (!st)
            st = clm_survival_add(surv, n, time, event, slot, arpu);
        if (st)
            goto done;
        if (params->progress)
            params->progress(params->progress_ctx, "survival: counting", row0 + n, n_rows);
    }
    st = clm_survival_finish(surv);
done:
    free(time);
    free(event_raw);
    free(event);
    free(by_raw);
    free(slot);
    free(arpu);
    free(bad_event);
    free(bad_by);
    source_free(&src);
    if (st) {
        clm_survival_free(surv);
        return st;
    }
    *out = surv;
    return CLM_OK;
}

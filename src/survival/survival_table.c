/*
 * survival_table.c — survival from an HDF5 table: opens the input (and the
 * results file for --by segment), checks the columns, then streams blocks
 * of CLM_BLOCK_ROWS rows: read on this thread (HDF5 is not thread-safe),
 * event and stratum converted to flags and slots with row-exact errors,
 * then counted in parallel by clm_survival_add.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/table.h"
#include "survival/survival_internal.h"

/* How the stratum of a row is found. */
typedef enum { BY_NONE, BY_CODES, BY_VALUES } by_kind;

typedef struct table_source {
    clm_table *input;
    clm_table *by_table;   /* the input, or the results file          */
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
    if (src->by_table && src->by_table != src->input)
        clm_table_close(src->by_table);
    clm_table_close(src->input);
}

static clm_status setup_event(table_source *src, const char *path, const char *name,
                              const char *level)
{
    const clm_column_info *info = clm_table_column(src->input, src->event_col);
    if (info->kind == CLM_KIND_CATEGORICAL) {
        src->event_categorical = 1;
        if (!level)
            return clm_error(CLM_E_PARAM,
                             "%s: column '%s' is categorical (%d levels): give --event-level "
                             "to say which level is the event", path, name, (int)info->n_categories);
        for (int32_t c = 0; c < info->n_categories; c++)
            if (!strcmp(info->categories[c], level)) {
                src->event_value = c;
                src->event_has_level = 1;
                return CLM_OK;
            }
        return clm_error(CLM_E_PARAM, "%s: column '%s' has no level '%s'", path, name, level);
    }
    if (level) {
        char *end = NULL;
        double v = strtod(level, &end);
        if (end == level || *end != '\0' || isnan(v))
            return clm_error(CLM_E_PARAM, "%s: column '%s' is numeric: --event-level '%s' must be a number",
                             path, name, level);
        src->event_value = v;
        src->event_has_level = 1;
    }
    return CLM_OK;
}

static clm_status setup_by(table_source *src, const char *path, const clm_survival_columns *cols,
                           int64_t n_rows)
{
    const char *by = cols->by;
    const char *by_path = path;
    if (!by) {
        src->by = BY_NONE;
        src->n_strata = 1;
        src->labels = calloc(1, sizeof *src->labels);
        if (!src->labels || !(src->labels[0] = strdup("all")))
            return clm_error(CLM_E_NOMEM, "out of memory");
        return CLM_OK;
    }
    const char *column = by;
    if (!strcmp(by, "segment") && cols->results) {
        clm_status st = clm_table_open_any(cols->results, "/segments", &src->by_table);
        if (st)
            return st;
        by_path = cols->results;
        column = "label";
    } else {
        src->by_table = src->input;
    }
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
    st = clm_table_column_stats(src->by_table, src->by_col, &stats);
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

/* Event values of a block -> 0/1 flags, naming the first bad row. */
static clm_status convert_event(const table_source *src, const char *path, const char *name,
                                int64_t row0, int64_t n, const double *raw, uint8_t *flag)
{
    for (int64_t i = 0; i < n; i++) {
        double v = raw[i];
        if (isnan(v))
            return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: event is missing",
                             path, name, (long long)(row0 + i));
        if (src->event_has_level) {
            flag[i] = v == src->event_value;
        } else if (v == 0.0 || v == 1.0) {
            flag[i] = (uint8_t)v;
        } else {
            return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: event value %g is not 0 or 1",
                             path, name, (long long)(row0 + i), v);
        }
    }
    return CLM_OK;
}

/* Stratum values of a block -> slots (n_strata for a missing value). */
static clm_status convert_by(const table_source *src, const char *path, const char *name,
                             int64_t row0, int64_t n, const double *raw, int32_t *slot)
{
    for (int64_t i = 0; i < n; i++) {
        double v = raw[i];
        if (isnan(v)) {
            slot[i] = src->n_strata;
            continue;
        }
        double k = src->by == BY_VALUES ? v - (double)src->by_min : v;
        if (k != floor(k) || k < 0 || k >= src->n_strata)
            return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: stratum value %g is %s",
                             path, name, (long long)(row0 + i), v,
                             k != floor(k) ? "not an integer" : "not a valid code");
        slot[i] = (int32_t)k;
    }
    return CLM_OK;
}

clm_status clm_survival_fit_table(const clm_survival_params *params, const char *path,
                                  const clm_survival_columns *columns, clm_survival **out)
{
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

    clm_status st = clm_survival_params_check(params);
    if (!st)
        st = clm_table_open(path, cols.group, &src.input);
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
    st = setup_event(&src, path, cols.event, cols.event_level);
    if (!st)
        st = setup_by(&src, path, &cols, n_rows);
    if (st)
        goto done;
    const char *by_path = src.by_table && src.by_table != src.input ? cols.results : path;
    const char *by_name = src.by_table && src.by_table != src.input ? "label" : cols.by;

    clm_survival_params p = *params;
    p.source = path;
    p.time_column = cols.time;
    p.event_column = cols.event;
    p.stratum_column = by_name;
    p.arpu_column = cols.arpu;
    st = clm_survival_create(&p, src.n_strata, (const char *const *)src.labels, &surv);
    if (st)
        goto done;

    size_t block = CLM_BLOCK_ROWS;
    time = malloc(block * sizeof *time);
    event_raw = malloc(block * sizeof *event_raw);
    event = malloc(block * sizeof *event);
    if (src.by != BY_NONE) {
        by_raw = malloc(block * sizeof *by_raw);
        slot = malloc(block * sizeof *slot);
    }
    if (cols.arpu)
        arpu = malloc(block * sizeof *arpu);
    if (!time || !event_raw || !event || (src.by != BY_NONE && (!by_raw || !slot)) ||
        (cols.arpu && !arpu)) {
        st = clm_error(CLM_E_NOMEM, "out of memory reading %s", path);
        goto done;
    }
    for (int64_t row0 = 0; row0 < n_rows; row0 += CLM_BLOCK_ROWS) {
        int64_t n = n_rows - row0 < CLM_BLOCK_ROWS ? n_rows - row0 : CLM_BLOCK_ROWS;
        st = clm_table_read_f64(src.input, src.time_col, row0, n, time);
        if (!st)
            st = clm_table_read_f64(src.input, src.event_col, row0, n, event_raw);
        if (!st)
            st = convert_event(&src, path, cols.event, row0, n, event_raw, event);
        if (!st && src.by != BY_NONE) {
            st = clm_table_read_f64(src.by_table, src.by_col, row0, n, by_raw);
            if (!st)
                st = convert_by(&src, by_path, by_name, row0, n, by_raw, slot);
        }
        if (!st && arpu)
            st = clm_table_read_f64(src.input, src.arpu_col, row0, n, arpu);
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
    source_free(&src);
    if (st) {
        clm_survival_free(surv);
        return st;
    }
    *out = surv;
    return CLM_OK;
}

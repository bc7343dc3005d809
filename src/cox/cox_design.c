/*
 * cox_design.c — the rows of a table laid out for the Cox iterations.
 *
 * Two passes over the table, in blocks, on the calling thread (HDF5 is not
 * thread-safe):
 *   1. time, event and stratum of every row, checked with row-exact
 *      messages; the distinct times (integer times index a presence table
 *      directly; other times are ranked once by sorting their distinct
 *      values); the (stratum, time, event) cell of each row, counted, and
 *      from the counts each row's place in cell order;
 *   2. the covariates, standardised and scattered to their rows' places
 *      (whole rows at a time, so each write fills a contiguous row).
 * The terms (numeric columns, indicators of categorical levels against the
 * most frequent one) are decided before pass 2 from the column statistics.
 *
 * On several ranks (docs/design.md §7) each rank makes both passes over its
 * own rows; the column statistics, the distinct times, the cell counts and
 * the events are combined exactly (integers, maxima, sets), so every rank
 * lists the same cells.  Its blocks are cut at the serial run's block
 * boundaries, and a failure is ranked by (block, check, row) as the
 * serial scan meets it, so all ranks report the serial run's message.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "cox/cox_internal.h"
#include "cox/cox_ranks.h"
#include "io/io_internal.h"
#include "io/table_ranks.h"

/* Rows read per block. */
#define COX_BLOCK ((int64_t)4 * CLM_BLOCK_ROWS)
/* Integer times up to this index a presence table directly. */
#define COX_MAX_DIRECT_TIME 10000000.0
/* Most (stratum, time, event) cells of the dense counting table. */
#define COX_MAX_CELLS ((int64_t)1 << 26)

void cox_terms_free(cox_term *terms, int p)
{
    if (!terms)
        return;
    for (int j = 0; j < p; j++) {
        free(terms[j].name);
        free(terms[j].column);
        free(terms[j].level);
    }
    free(terms);
}

void cox_design_free(cox_design *d)
{
    if (!d)
        return;
    cox_terms_free(d->terms, d->p);
    if (d->stratum_labels)
        for (int32_t s = 0; s < d->n_strata; s++)
            free(d->stratum_labels[s]);
    free(d->stratum_labels);
    free(d->strata_name);
    free(d->times);
    free(d->cells);
    free(d->x);
    free(d->event_sum);
    free(d->time_column);
    free(d->event_column);
    free(d->event_level);
    free(d->strata_column);
    memset(d, 0, sizeof *d);
}

static int cmp_f64(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- terms ------------------------------------------------------------- */

static clm_status add_term(cox_term **terms, int *p, int *cap, const char *column,
                           const char *level, int32_t code, cox_term_kind kind, double center,
                           double scale)
{
    if (*p == *cap) {
        int n = *cap ? 2 * *cap : 16;
        cox_term *t = realloc(*terms, (size_t)n * sizeof *t);
        if (!t)
            return clm_error(CLM_E_NOMEM, "out of memory");
        *terms = t;
        *cap = n;
    }
    cox_term *t = &(*terms)[*p];
    memset(t, 0, sizeof *t);
    size_t len = strlen(column) + (level ? strlen(level) + 2 : 1);
    t->name = malloc(len);
    t->column = util_strdup(column);
    t->level = level ? util_strdup(level) : NULL;
    if (!t->name || !t->column || (level && !t->level)) {
        free(t->name);
        free(t->column);
        free(t->level);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    if (level)
        snprintf(t->name, len, "%s=%s", column, level);
    else
        snprintf(t->name, len, "%s", column);
    t->code = code;
    t->kind = kind;
    t->center = center;
    t->scale = scale;
    (*p)++;
    return CLM_OK;
}

/* The first row of column `col` that is missing (NaN, or code -1). */
static int64_t first_missing(const clm_table *table, int col, int64_t n_rows)
{
    double *buf = malloc((size_t)COX_BLOCK * sizeof *buf);
    if (!buf)
        return -1;
    int64_t found = -1;
    for (int64_t r0 = 0; r0 < n_rows && found < 0; r0 += COX_BLOCK) {
        int64_t n = util_block_len(n_rows, r0, COX_BLOCK);
        if (clm_table_read_f64(table, col, r0, n, buf))
            break;
        for (int64_t i = 0; i < n && found < 0; i++)
            if (isnan(buf[i]))
                found = r0 + i;
    }
    free(buf);
    return found;
}

static clm_status missing_error(const clm_table *table, int col, const char *name, int64_t n_rows)
{
    int64_t row = first_missing(table, col, n_rows);
    return clm_error(CLM_E_VALUE,
                     "%s: column '%s', row %lld: covariate is missing (Cox needs every "
                     "covariate of every row)", clm_table_path(table), name, (long long)row);
}

/* The terms of one feature column. */
static clm_status column_terms(const clm_table *table, const comm_ctx *comm, const char *name,
                               int64_t n_rows, cox_term **terms, int *p, int *cap)
{
    const char *path = clm_table_path(table);
    int col = -1;
    clm_status st = clm_table_require(table, name, CLM_KIND_UNSUPPORTED, &col);
    if (st)
        return st;
    const clm_column_info *info = clm_table_column(table, col);
    if (info->kind == CLM_KIND_NUMERIC) {
        clm_column_stats stats;
        if ((st = io_column_stats_ranks(table, col, comm, &stats)))
            return st;
        if (stats.missing > 0)
            return missing_error(table, col, name, n_rows);
        if (!(stats.std > 0.0) || stats.min == stats.max)
            return clm_error(CLM_E_VALUE,
                             "%s: column '%s' is constant (every row is %g): it cannot be a "
                             "covariate", path, name, stats.min);
        return add_term(terms, p, cap, name, NULL, -1, COX_NUMERIC, stats.mean, stats.std);
    }
    if (info->kind != CLM_KIND_CATEGORICAL)
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' is neither numeric nor categorical",
                         path, name);
    int32_t n_levels = info->n_categories;
    int64_t *counts = calloc((size_t)(n_levels > 0 ? n_levels : 1), sizeof *counts);
    int64_t missing = 0;
    if (!counts)
        return clm_error(CLM_E_NOMEM, "out of memory");
    st = io_category_counts_ranks(table, col, comm, counts, &missing);
    if (!st && missing > 0)
        st = missing_error(table, col, name, n_rows);
    int32_t ref = -1, present = 0;
    for (int32_t c = 0; !st && c < n_levels; c++) {
        present += counts[c] > 0;
        if (counts[c] > 0 && (ref < 0 || counts[c] > counts[ref]))
            ref = c;
    }
    if (!st && present < 2)
        st = clm_error(CLM_E_VALUE,
                       "%s: column '%s' has one level in every row ('%s'): it cannot be a "
                       "covariate", path, name, ref >= 0 ? info->categories[ref] : "");
    for (int32_t c = 0; !st && c < n_levels; c++)
        if (c != ref && counts[c] > 0)
            st = add_term(terms, p, cap, name, info->categories[c], c, COX_INDICATOR,
                          (double)counts[c] / (double)n_rows, 1.0);
    free(counts);
    return st;
}

/* ---- pass 1: time, event, stratum ------------------------------------- */

/* Strata from a column: categorical codes (a level per stratum) or the
 * values of an integer column. */
typedef struct strata_rule {
    int col;                   /* -1: in memory or none */
    int categorical;
    int64_t min;               /* integer column: stratum = value - min */
} strata_rule;

static clm_status setup_strata(const clm_table *table, const clm_cox_columns *cols,
                               const comm_ctx *comm, int64_t n_rows, cox_design *d,
                               strata_rule *rule)
{
    const char *path = clm_table_path(table);
    memset(rule, 0, sizeof *rule);
    rule->col = -1;
    d->n_strata = 1;
    if (cols->strata) {
        clm_status st = clm_table_require(table, cols->strata, CLM_KIND_UNSUPPORTED, &rule->col);
        if (st)
            return st;
        const clm_column_info *info = clm_table_column(table, rule->col);
        if (!(d->strata_name = util_strdup(cols->strata)) ||
            !(d->strata_column = util_strdup(cols->strata)))
            return clm_error(CLM_E_NOMEM, "out of memory");
        if (info->kind == CLM_KIND_CATEGORICAL) {
            rule->categorical = 1;
            d->n_strata = info->n_categories > 0 ? info->n_categories : 1;
            if (!(d->stratum_labels = calloc((size_t)d->n_strata, sizeof(char *))))
                return clm_error(CLM_E_NOMEM, "out of memory");
            for (int32_t s = 0; s < info->n_categories; s++)
                if (!(d->stratum_labels[s] = util_strdup(info->categories[s])))
                    return clm_error(CLM_E_NOMEM, "out of memory");
            return CLM_OK;
        }
        clm_column_stats stats;
        if ((st = io_column_stats_ranks(table, rule->col, comm, &stats)))
            return st;
        if (stats.missing > 0)
            return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: stratum is missing", path,
                             cols->strata, (long long)first_missing(table, rule->col, n_rows));
        if (stats.max - stats.min >= 1e6 || stats.min != floor(stats.min))
            return clm_error(CLM_E_VALUE,
                             "%s: column '%s' is not a stratum column (integers spanning fewer "
                             "than a million values, or a categorical)", path, cols->strata);
        rule->min = (int64_t)stats.min;
        d->n_strata = (int32_t)(stats.max - stats.min) + 1;
        if (!(d->stratum_labels = calloc((size_t)d->n_strata, sizeof(char *))))
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int32_t s = 0; s < d->n_strata; s++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", (long long)(rule->min + s));
            if (!(d->stratum_labels[s] = util_strdup(buf)))
                return clm_error(CLM_E_NOMEM, "out of memory");
        }
        return CLM_OK;
    }
    if (cols->strata_rows) {
        if (cols->n_strata < 1)
            return clm_error(CLM_E_PARAM, "cox: %d strata given", (int)cols->n_strata);
        d->n_strata = cols->n_strata;
        const char *nm = cols->strata_name ? cols->strata_name : "stratum";
        if (!(d->strata_name = util_strdup(nm)) ||
            !(d->stratum_labels = calloc((size_t)d->n_strata, sizeof(char *))))
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int32_t s = 0; s < d->n_strata; s++) {
            char buf[32];
            snprintf(buf, sizeof buf, "%d", (int)s);
            const char *lab = cols->stratum_labels ? cols->stratum_labels[s] : buf;
            if (!(d->stratum_labels[s] = util_strdup(lab)))
                return clm_error(CLM_E_NOMEM, "out of memory");
        }
        return CLM_OK;
    }
    if (!(d->stratum_labels = calloc(1, sizeof(char *))) ||
        !(d->stratum_labels[0] = util_strdup("all")))
        return clm_error(CLM_E_NOMEM, "out of memory");
    return CLM_OK;
}

/* The next block of rows [r0, r0 + *n) of a rank's rows [lo, hi): cut
 * where the serial run's blocks of COX_BLOCK rows are cut. */
static int64_t next_block(int64_t r0, int64_t hi)
{
    const int64_t end = (r0 / COX_BLOCK + 1) * COX_BLOCK;
    return (end < hi ? end : hi) - r0;
}

/* The rank of a failure in the serial scan: its block, then which check
 * (time, event, stratum) of the block found it; rows of one check come in
 * row order, so equal keys are settled by the lowest rank. */
static int64_t failure_key(int64_t row, int check)
{
    return (row / COX_BLOCK) * 4 + check;
}

/* Reads time (months), event flag and stratum of the rows [lo, lo + n_rows)
 * (the arrays hold those rows); on failure *key ranks it (failure_key). */
static clm_status read_outcome(const clm_table *table, const clm_cox_columns *cols, int time_col,
                               int event_col, const io_event_rule *ev, const strata_rule *sr,
                               int64_t lo, int64_t n_rows, cox_design *d, double *time,
                               uint8_t *event, int32_t *stratum, int64_t *key)
{
    const char *path = clm_table_path(table);
    const double unit = cols->time_unit_days;
    double *buf = malloc((size_t)COX_BLOCK * sizeof *buf);
    if (!buf)
        return clm_error(CLM_E_NOMEM, "out of memory");
    clm_status st = CLM_OK;
    int64_t n = 0;
    for (int64_t r0 = 0; !st && r0 < n_rows; r0 += n) {
        n = next_block(lo + r0, lo + n_rows);
        double *t = time + r0;
        if ((st = clm_table_read_f64(table, time_col, lo + r0, n, t)))
            break;
        for (int64_t i = 0; i < n; i++) {
            if (!(t[i] >= 0.0) || !isfinite(t[i])) {
                *key = failure_key(lo + r0 + i, 0);
                st = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: time %g is not a "
                               "number >= 0", path, d->time_column, (long long)(lo + r0 + i), t[i]);
                break;
            }
            if (unit > 0 && unit != CLM_DAYS_PER_MONTH)
                t[i] = t[i] * unit / CLM_DAYS_PER_MONTH;
        }
        if (st || (st = clm_table_read_f64(table, event_col, lo + r0, n, buf)))
            break;
        for (int64_t i = 0; i < n; i++) {
            double v = buf[i];
            int ok = !isnan(v);
            if (ok && ev->has_level)
                event[r0 + i] = v == ev->value;
            else if (ok && (v == 0.0 || v == 1.0))
                event[r0 + i] = (uint8_t)v;
            else {
                *key = failure_key(lo + r0 + i, 1);
                st = clm_error(CLM_E_VALUE, isnan(v) ? "%s: column '%s', row %lld: event is missing"
                                                     : "%s: column '%s', row %lld: event value %g is not 0 or 1",
                               path, d->event_column, (long long)(lo + r0 + i), v);
                break;
            }
        }
        if (st)
            break;
        if (sr->col >= 0) {
            if ((st = clm_table_read_f64(table, sr->col, lo + r0, n, buf)))
                break;
            for (int64_t i = 0; i < n; i++) {
                double k = buf[i] - (sr->categorical ? 0.0 : (double)sr->min);
                if (!(k >= 0.0 && k < d->n_strata)) {
                    *key = failure_key(lo + r0 + i, 2);
                    st = clm_error(CLM_E_VALUE, isnan(buf[i]) ? "%s: column '%s', row %lld: stratum is missing"
                                                              : "%s: column '%s', row %lld: stratum %g is not valid",
                                   path, d->strata_column, (long long)(lo + r0 + i), buf[i]);
                    break;
                }
                stratum[r0 + i] = (int32_t)k;
            }
        } else if (cols->strata_rows) {
            for (int64_t i = 0; i < n; i++) {
                int32_t s = cols->strata_rows[r0 + i];
                if (s < 0 || s >= d->n_strata) {
                    *key = failure_key(lo + r0 + i, 2);
                    st = clm_error(CLM_E_VALUE, "%s: row %lld: %s %d is not in 0..%d", path,
                                   (long long)(lo + r0 + i), d->strata_name, (int)s,
                                   (int)d->n_strata - 1);
                    break;
                }
                stratum[r0 + i] = s;
            }
        } else {
            memset(stratum + r0, 0, (size_t)n * sizeof *stratum);
        }
    }
    free(buf);
    return st;
}

/* Orders non-negative doubles as integers: their IEEE bits. */
static int64_t time_bits(double t)
{
    int64_t b;
    memcpy(&b, &t, sizeof b);
    return b;
}

/* The sorted distinct values of n sorted values, in place; their count. */
static int64_t unique_sorted(double *v, int64_t n)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (i == 0 || v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

/* The distinct times of every rank's rows, and each of this rank's
 * n_rows rows' time replaced by its index.  Whether the times are whole
 * and their largest value are agreed first (maxima), so every rank takes
 * the same path: a presence table summed over the ranks, or the ranks'
 * distinct values gathered and merged. */
static clm_status index_times(const comm_ctx *comm, int64_t n_rows, double *time,
                              int32_t *time_index, cox_design *d)
{
    double hi = 0.0;
    int integer = 1;
    for (int64_t i = 0; i < n_rows; i++) {
        hi = time[i] > hi ? time[i] : hi;
        integer &= time[i] == floor(time[i]);
    }
    int64_t agreed[2] = {time_bits(hi), !integer};
    clm_status st = comm_max_i64(comm, agreed, 2);
    if (st)
        return st;
    memcpy(&hi, &agreed[0], sizeof hi);
    integer = !agreed[1];
    if (integer && hi <= COX_MAX_DIRECT_TIME) {
        int64_t span = (int64_t)hi + 1;
        int64_t *slot = calloc((size_t)span, sizeof *slot);
        if (!slot)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int64_t i = 0; i < n_rows; i++)
            slot[(int64_t)time[i]] = 1;
        st = comm_sum_i64(comm, slot, (int)span); /* span <= COX_MAX_DIRECT_TIME + 1 */
        int64_t n = 0;
        for (int64_t t = 0; !st && t < span; t++)
            n += slot[t] > 0;
        if (!st && !(d->times = malloc((size_t)(n > 0 ? n : 1) * sizeof *d->times)))
            st = clm_error(CLM_E_NOMEM, "out of memory");
        if (st) {
            free(slot);
            return st;
        }
        n = 0;
        for (int64_t t = 0; t < span; t++)
            if (slot[t]) {
                d->times[n] = (double)t;
                slot[t] = n++;
            }
        d->n_times = n;
        for (int64_t i = 0; i < n_rows; i++)
            time_index[i] = (int32_t)slot[(int64_t)time[i]];
        free(slot);
        return CLM_OK;
    }
    /* Other times: sort a copy once, keep the distinct values (those of
     * every rank, merged), and find each row's by bisection. */
    double *sorted = util_alloc_big((size_t)(n_rows > 0 ? n_rows : 1) * sizeof *sorted);
    if (!sorted)
        return clm_error(CLM_E_NOMEM, "out of memory");
    memcpy(sorted, time, (size_t)n_rows * sizeof *sorted);
    qsort(sorted, (size_t)n_rows, sizeof *sorted, cmp_f64);
    int64_t n = unique_sorted(sorted, n_rows);
    if (comm_is_parallel(comm)) {
        void *all = NULL;
        size_t all_bytes = 0;
        st = comm_allgather_bytes(comm, sorted, (size_t)n * sizeof *sorted, &all, &all_bytes);
        free(sorted);
        if (st)
            return st;
        sorted = all;
        n = (int64_t)(all_bytes / sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_f64);
        n = unique_sorted(sorted, n);
    }
    if (n > INT32_MAX) {
        free(sorted);
        return clm_error(CLM_E_PARAM, "cox: more than 2^31 distinct times");
    }
    d->n_times = n;
    d->times = realloc(sorted, (size_t)(n > 0 ? n : 1) * sizeof *sorted);
    if (!d->times)
        d->times = sorted;
    for (int64_t i = 0; i < n_rows; i++) {
        int64_t lo = 0, up = n - 1;
        while (lo < up) {
            int64_t mid = lo + (up - lo) / 2;
            if (d->times[mid] < time[i])
                lo = mid + 1;
            else
                up = mid;
        }
        time_index[i] = (int32_t)lo;
    }
    return CLM_OK;
}

/* Cells from the counts (every rank's, summed: the same cells on every
 * rank, each with this rank's rows of it); each of this rank's rows' place
 * in cell order (written over time_index, which becomes the row's cell). */
static clm_status build_cells(const comm_ctx *comm, int64_t n_rows, const int32_t *stratum,
                              const uint8_t *event, int32_t *time_index, int64_t *place,
                              cox_design *d)
{
    const int64_t dense = (int64_t)d->n_strata * d->n_times * 2;
    if (dense > COX_MAX_CELLS)
        return clm_error(CLM_E_PARAM,
                         "cox: %d strata x %lld distinct times make %lld cells, more than %lld: "
                         "round the times (e.g. to whole months) or use fewer strata",
                         (int)d->n_strata, (long long)d->n_times, (long long)dense,
                         (long long)COX_MAX_CELLS);
    /* count: this rank's rows of each dense cell; total: every rank's. */
    int64_t *count = calloc((size_t)dense, sizeof *count);
    int64_t *total = comm_is_parallel(comm) ? malloc((size_t)dense * sizeof *total) : count;
    if (!count || !total) {
        free(count);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n_rows; i++)
        count[((int64_t)stratum[i] * d->n_times + time_index[i]) * 2 + event[i]]++;
    clm_status st = CLM_OK;
    if (total != count) {
        memcpy(total, count, (size_t)dense * sizeof *total);
        st = comm_sum_i64(comm, total, (int)dense);
    }
    int64_t n_cells = 0;
    for (int64_t c = 0; !st && c < dense; c++)
        n_cells += total[c] > 0;
    /* count[c] becomes the next free place of dense cell c, and the dense
     * index is kept beside it to name the compact cell of each row. */
    int64_t *compact = st ? NULL : malloc((size_t)dense * sizeof *compact);
    if (!st && (!compact || !(d->cells = malloc((size_t)(n_cells > 0 ? n_cells : 1) * sizeof *d->cells))))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (st) {
        free(compact);
        if (total != count)
            free(total);
        free(count);
        return st;
    }
    int64_t row0 = 0, k = 0;
    for (int64_t c = 0; c < dense; c++) {
        compact[c] = -1;
        if (!total[c])
            continue;
        cox_cell *cell = &d->cells[k];
        cell->stratum = (int32_t)(c / (2 * d->n_times));
        cell->time = (int32_t)((c / 2) % d->n_times);
        cell->event = (int32_t)(c % 2);
        cell->row0 = row0;
        cell->n = count[c];
        cell->all = total[c];
        compact[c] = k++;
        int64_t n = count[c];
        count[c] = row0;
        row0 += n;
    }
    d->n_cells = n_cells;
    for (int64_t i = 0; i < n_rows; i++) {
        int64_t c = ((int64_t)stratum[i] * d->n_times + time_index[i]) * 2 + event[i];
        place[i] = count[c]++;
        time_index[i] = (int32_t)compact[c];
    }
    free(compact);
    if (total != count)
        free(total);
    free(count);
    return CLM_OK;
}

/* ---- pass 2: the covariates ------------------------------------------- */

/* The covariates of the rows [lo, lo + n_rows), standardised, each row
 * at its place; on failure *key is the bad row. */
static clm_status read_covariates(const clm_table *table, int64_t lo, int64_t n_rows,
                                  const int64_t *place, int n_threads, cox_design *d,
                                  int64_t *key)
{
    const int p = d->p;
    const char *path = clm_table_path(table);
    /* One buffer per distinct source column, in the order of the terms. */
    int n_src = 0;
    int *src_of = malloc((size_t)p * sizeof *src_of);
    int *src_col = malloc((size_t)p * sizeof *src_col);
    double *buf = NULL;
    clm_status st = (!src_of || !src_col) ? clm_error(CLM_E_NOMEM, "out of memory") : CLM_OK;
    for (int j = 0; !st && j < p; j++) {
        if (j > 0 && !strcmp(d->terms[j].column, d->terms[j - 1].column)) {
            src_of[j] = src_of[j - 1];
            continue;
        }
        src_of[j] = n_src;
        src_col[n_src++] = clm_table_find(table, d->terms[j].column);
    }
    const int64_t block = n_rows < COX_BLOCK ? (n_rows > 0 ? n_rows : 1) : COX_BLOCK;
    if (!st && !(buf = malloc((size_t)block * (size_t)(n_src > 0 ? n_src : 1) * sizeof *buf)))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    int64_t n = 0;
    for (int64_t r0 = 0; !st && r0 < n_rows; r0 += n) {
        n = next_block(lo + r0, lo + n_rows);
        for (int s = 0; !st && s < n_src; s++)
            st = clm_table_read_f64(table, src_col[s], lo + r0, n, buf + (size_t)s * (size_t)block);
        if (st)
            break;
        int64_t bad_row = -1;
        int bad_term = -1;
#pragma omp parallel for num_threads(n_threads) schedule(static)
        for (int64_t i = 0; i < n; i++) {
            double *dst = d->x + (size_t)place[r0 + i] * (size_t)p;
            for (int j = 0; j < p; j++) {
                const cox_term *t = &d->terms[j];
                double v = buf[(size_t)src_of[j] * (size_t)block + (size_t)i];
                if (isnan(v)) {
#pragma omp critical(cox_bad_row)
                    if (bad_row < 0 || r0 + i < bad_row) {
                        bad_row = r0 + i;
                        bad_term = j;
                    }
                    v = 0.0;
                }
                if (t->kind == COX_INDICATOR)
                    v = v == (double)t->code;
                dst[j] = (v - t->center) / t->scale;
            }
        }
        if (bad_row >= 0) {
            *key = lo + bad_row;
            st = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: covariate is missing",
                           path, d->terms[bad_term].column, (long long)(lo + bad_row));
        }
    }
    free(buf);
    free(src_of);
    free(src_col);
    return st;
}

/* Adds the covariates of cell c's rows here to sums[0..p) when the cell
 * is an event cell (cox_cells_relay: the cell's sum over every rank's
 * rows, in row order). */
static void fold_event_x(const cox_design *d, int64_t c, double *sums, const void *arg)
{
    (void)arg;
    const cox_cell *cell = &d->cells[c];
    if (!cell->event)
        return;
    for (int64_t i = cell->row0; i < cell->row0 + cell->n; i++)
        for (int j = 0; j < d->p; j++)
            sums[j] += d->x[(size_t)i * (size_t)d->p + (size_t)j];
}

/* The events' sum of x: each event cell's sum, added in cell order (on
 * the last rank, which holds the cells' totals, then shared). */
static clm_status event_sums(cox_design *d, int n_threads)
{
    const int p = d->p;
    double *cell_sums = util_alloc_big((size_t)(d->n_cells > 0 ? d->n_cells : 1) * (size_t)p * sizeof *cell_sums);
    if (!(d->event_sum = calloc((size_t)p, sizeof *d->event_sum)) || !cell_sums) {
        free(cell_sums);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    clm_status st = cox_cells_relay(d, n_threads, (size_t)p, cell_sums, fold_event_x, NULL);
    if (!st && (!d->comm || d->comm->rank == cox_last_rank(d)))
        for (int64_t c = 0; c < d->n_cells; c++)
            for (int j = 0; d->cells[c].event && j < p; j++)
                d->event_sum[j] += cell_sums[(size_t)c * (size_t)p + (size_t)j];
    free(cell_sums);
    if (!st)
        st = comm_bcast(d->comm, d->event_sum, (size_t)p * sizeof *d->event_sum, cox_last_rank(d));
    return st;
}

static clm_status design_build(const clm_cox_columns *columns, const clm_table *table,
                               int n_threads, const comm_ctx *comm, cox_design *d)
{
    clm_cox_columns cols;
    clm_cox_columns_default(&cols);
    if (columns)
        cols = *columns;
    if (!cols.time)
        cols.time = "tenure_months";
    if (!cols.event)
        cols.event = "churned";
    const char *path = clm_table_path(table);
    const double unit = cols.time_unit_days;
    if (!(unit >= 0.0) || !isfinite(unit))
        return clm_error(CLM_E_PARAM, "cox: time unit of %g days is not a number >= 0", unit);
    if (cols.n_features < 1 || !cols.features)
        return clm_error(CLM_E_PARAM, "cox: no covariates given (--features)");
    d->time_unit_days = unit;
    if (!(d->time_column = util_strdup(cols.time)) || !(d->event_column = util_strdup(cols.event)) ||
        (cols.event_level && !(d->event_level = util_strdup(cols.event_level))))
        return clm_error(CLM_E_NOMEM, "out of memory");

    int time_col = -1, event_col = -1;
    clm_status st = clm_table_require(table, cols.time, CLM_KIND_NUMERIC, &time_col);
    if (!st)
        st = clm_table_require(table, cols.event, CLM_KIND_UNSUPPORTED, &event_col);
    for (int f = 0; !st && f < cols.n_features; f++) {
        const char *name = cols.features[f];
        if (!strcmp(name, cols.time) || !strcmp(name, cols.event) ||
            (cols.strata && !strcmp(name, cols.strata)))
            st = clm_error(CLM_E_PARAM, "cox: '%s' is the %s and cannot also be a covariate", name,
                           !strcmp(name, cols.time) ? "time" : !strcmp(name, cols.event) ? "event" : "stratum");
        for (int g = 0; !st && g < f; g++)
            if (!strcmp(name, cols.features[g]))
                st = clm_error(CLM_E_PARAM, "cox: covariate '%s' is listed twice", name);
    }
    if (st)
        return st;
    const int64_t n_rows = clm_table_n_rows(table);
    if (n_rows <= 0)
        return clm_error(CLM_E_EMPTY, "%s: the table has no rows", path);
    d->n_rows = n_rows;
    d->comm = comm_is_parallel(comm) ? comm : NULL;
    cox_rank_rows(d->comm, n_rows, &d->row_first, &d->n_local);
    const int64_t lo = d->row_first, nl = d->n_local;

    /* Up to here every rank fails alike (names, the schema); the column
     * statistics below are collectives that fail alike too. */
    io_event_rule ev;
    strata_rule sr;
    if ((st = io_event_rule_of(table, event_col, cols.event, cols.event_level, &ev)) ||
        (st = setup_strata(table, &cols, d->comm, n_rows, d, &sr)))
        return st;
    int cap = 0;
    for (int f = 0; !st && f < cols.n_features; f++)
        st = column_terms(table, d->comm, cols.features[f], n_rows, &d->terms, &d->p, &cap);
    if (st)
        return st;

    const size_t rows = (size_t)(nl > 0 ? nl : 1);
    double *time = util_alloc_big(rows * sizeof *time);
    uint8_t *event = malloc(rows);
    int32_t *stratum = malloc(rows * sizeof *stratum);
    int32_t *cell_of = malloc(rows * sizeof *cell_of);
    int64_t *place = NULL;
    int64_t key = INT64_MAX;
    if (!time || !event || !stratum || !cell_of)
        st = clm_error(CLM_E_NOMEM, "out of memory reading %s", path);
    if (!st)
        st = read_outcome(table, &cols, time_col, event_col, &ev, &sr, lo, nl, d, time, event,
                          stratum, &key);
    st = comm_agree_first(d->comm, st, key);
    if (!st)
        st = index_times(d->comm, nl, time, cell_of, d);
    free(time);
    time = NULL;
    for (int64_t i = 0; !st && i < nl; i++)
        d->n_events += event[i];
    if (!st)
        st = comm_sum_i64(d->comm, &d->n_events, 1);
    if (!st && d->n_events == 0)
        st = clm_error(CLM_E_EMPTY, "%s: column '%s' has no events: nothing to fit", path,
                       cols.event);
    if (!st && !(place = util_alloc_big(rows * sizeof *place)))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    st = comm_agree(d->comm, st);
    if (!st)
        st = build_cells(d->comm, nl, stratum, event, cell_of, place, d);
    free(stratum);
    free(event);
    free(cell_of);
    if (!st && !(d->x = util_alloc_big(rows * (size_t)d->p * sizeof *d->x)))
        st = clm_error(CLM_E_NOMEM, "out of memory: %lld rows x %d covariates",
                       (long long)nl, d->p);
    key = INT64_MAX;
    if (!st)
        st = read_covariates(table, lo, nl, place, util_threads(n_threads), d, &key);
    free(place);
    st = comm_agree_first(d->comm, st, key);
    if (!st)
        st = event_sums(d, util_threads(n_threads));
    return st;
}

clm_status cox_design_build(const clm_cox_columns *columns, const clm_table *table,
                            int n_threads, const comm_ctx *comm, cox_design *d)
{
    memset(d, 0, sizeof *d);
    clm_status st = design_build(columns, table, n_threads, comm, d);
    if (st)
        cox_design_free(d); /* whatever an early return had allocated */
    return st;
}

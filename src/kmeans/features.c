/*
 * features.c — from a subscriber table to the matrix k-means clusters:
 * which columns, what to do with missing values, standardisation.
 *
 * Default features: every numeric (non-categorical) column except the id,
 * time, event and sample-weight columns.  The matrix is read block by
 * block (clm_table_read_block_f32, main thread) straight into one
 * N x d float32 array, which is the only N-sized buffer besides the labels
 * (and the weights when asked for).  Missing means NaN or +-Inf:
 * `fail` stops at the first such row (naming file, column and row),
 * `drop` compacts the kept rows in place and remembers the dropped ones
 * in a bitmap, `impute` replaces them by the mean of the column's finite
 * values.  Means and standard deviations (population, two passes, per-
 * chunk partials merged in chunk order) are over the kept rows; a feature
 * with zero variance gets scale 1, so it is centred but never divided by
 * zero.
 *
 * On several ranks (km_features_load_ranks) each rank reads only its own
 * rows, numbered as in the table so that a message names the table's
 * row; the ranks agree on the first failure, and the moments' partials
 * are shared and merged in global chunk order (kmeans_internal.h).  With
 * `drop` the kept rows are then re-cut onto the ranks (recut_kept), since
 * the chunks are those of the kept rows.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"
#include "core/util_internal.h"
#include "io/io_table_ranks.h"

void km_features_free(km_features *f)
{
    if (!f)
        return;
    if (f->names)
        for (int j = 0; j < f->n_features; j++)
            free(f->names[j]);
    free(f->names);
    free(f->columns);
    free(f->rows);
    free(f->weights);
    free(f->dropped);
    free(f->mean);
    free(f->std);
    free(f->center);
    free(f->scale);
    memset(f, 0, sizeof *f);
}

static int is_excluded(const char *name, const clm_kmeans_columns *c)
{
    const char *skip[] = {c->id, c->time, c->event, c->weight};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
        if (skip[i] && !strcmp(name, skip[i]))
            return 1;
    return 0;
}

clm_status km_features_select(const clm_table *table, const clm_kmeans_columns *p,
                              km_features *f)
{
    memset(f, 0, sizeof *f);
    const char *path = clm_table_path(table);
    int n_cols = clm_table_n_columns(table);
    int cap = 0;
    if (p->features)
        while (p->features[cap])
            cap++;
    else
        cap = n_cols;
    f->columns = malloc(sizeof(int) * (size_t)(cap + 1));
    f->names = calloc((size_t)(cap + 1), sizeof(char *));
    if (!f->columns || !f->names)
        return clm_error(CLM_E_NOMEM, "k-means: out of memory");
    if (p->features) {
        for (int i = 0; i < cap; i++) {
            const char *name = p->features[i];
            int col = clm_table_find(table, name);
            if (col < 0)
                return clm_error(CLM_E_SCHEMA, "%s: feature column '%s' does not exist in %s",
                                 path, name, clm_table_group(table));
            const clm_column_info *info = clm_table_column(table, col);
            if (info->kind != CLM_KIND_NUMERIC)
                return clm_error(CLM_E_SCHEMA, "%s: feature column '%s' is %s, k-means needs numeric columns",
                                 path, name, info->kind == CLM_KIND_CATEGORICAL ? "categorical" : "not numeric");
            for (int j = 0; j < i; j++)
                if (f->columns[j] == col)
                    return clm_error(CLM_E_PARAM, "k-means: feature '%s' is listed twice", name);
            f->columns[i] = col;
            f->names[i] = util_strdup(info->name);
            f->n_features = i + 1;
            if (!f->names[i])
                return clm_error(CLM_E_NOMEM, "k-means: out of memory");
        }
    } else {
        for (int col = 0; col < n_cols; col++) {
            const clm_column_info *info = clm_table_column(table, col);
            if (info->kind != CLM_KIND_NUMERIC || is_excluded(info->name, p))
                continue;
            f->columns[f->n_features] = col;
            f->names[f->n_features] = util_strdup(info->name);
            if (!f->names[f->n_features++])
                return clm_error(CLM_E_NOMEM, "k-means: out of memory");
        }
    }
    if (f->n_features == 0)
        return clm_error(CLM_E_EMPTY, "%s: no numeric feature column in %s (see --features)",
                         path, clm_table_group(table));
    return CLM_OK;
}

/* Per-feature sum and count of finite values (mean == NULL), or sum of
 * squared deviations from `mean` (finite values only); chunk-ordered. */
static clm_status feature_moment(const km_data *data, const double *mean, double *sum,
                                 int64_t *count)
{
    const int d = data->n_features;
    /* Each thread sums a chunk in its own cache lines and stores the
     * chunk's partial once: partials of neighbouring chunks share cache
     * lines, and summing into them row by row made the two threads fight
     * over those lines (false sharing; the pass ran ~10x slower). */
    const int64_t stride = ((int64_t)d + 7) / 8 * 8 + 8;
    double *part = calloc((size_t)(data->n_all_chunks * d + 1), sizeof(double));
    int64_t *part_n = calloc((size_t)(data->n_chunks * d + 1), sizeof(int64_t));
    double *acc = malloc(sizeof(double) * (size_t)(stride * data->n_threads));
    int64_t *acc_n = malloc(sizeof(int64_t) * (size_t)(stride * data->n_threads));
    if (!part || !part_n || !acc || !acc_n) {
        free(part); free(part_n); free(acc); free(acc_n);
        return clm_error(CLM_E_NOMEM, "k-means: out of memory computing feature statistics");
    }
#pragma omp parallel num_threads(data->n_threads)
    {
        double *p = acc + stride * omp_get_thread_num();
        int64_t *pn = acc_n + stride * omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < data->n_chunks; c++) {
            int64_t row0, n;
            km_chunk(data, c, &row0, &n);
            for (int j = 0; j < d; j++) {
                p[j] = 0.0;
                pn[j] = 0;
            }
            /* Branch-free so the feature loop vectorises: a non-finite
             * value adds -0.0, which leaves every sum exactly as it was
             * (x + -0.0 == x for x = +0.0 and -0.0 too), so the figures are
             * those of skipping it. */
            for (int64_t i = row0; i < row0 + n; i++) {
                const float *x = data->rows + i * d;
                if (mean)
                    for (int j = 0; j < d; j++) {
                        const int ok = isfinite(x[j]);
                        const double v = (double)x[j] - mean[j];
                        p[j] += ok ? v * v : -0.0;
                        pn[j] += ok;
                    }
                else
                    for (int j = 0; j < d; j++) {
                        const int ok = isfinite(x[j]);
                        p[j] += ok ? (double)x[j] : -0.0;
                        pn[j] += ok;
                    }
            }
            memcpy(part + (data->chunk0 + c) * d, p, sizeof(double) * (size_t)d);
            memcpy(part_n + c * d, pn, sizeof(int64_t) * (size_t)d);
        }
    }
    for (int j = 0; j < d; j++) {
        sum[j] = 0.0;
        count[j] = 0;
    }
    /* Counts are integers (any order, any rank count); the sums are the
     * global chunks' partials added in global chunk order. */
    for (int64_t c = 0; c < data->n_chunks; c++)
        for (int j = 0; j < d; j++)
            count[j] += part_n[c * d + j];
    clm_status st = comm_sum_i64(data->comm, count, d);
    if (!st)
        st = km_share(data, part, sizeof(double) * (size_t)d);
    for (int64_t c = 0; c < data->n_all_chunks; c++)
        for (int j = 0; j < d; j++)
            sum[j] += part[c * d + j];
    free(part);
    free(part_n);
    free(acc);
    free(acc_n);
    return st;
}

/* The first non-finite value of the block, as (row, feature); -1 if none. */
static int64_t first_bad(const float *block, int64_t n, int d, int *feature)
{
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            if (!isfinite(block[i * d + j])) {
                *feature = j;
                return i;
            }
    return -1;
}

/* --missing drop on several ranks: the kept rows (and their weights) of
 * every rank are re-cut onto the ranks by their global kept-row numbers,
 * as km_rank_rows cuts f->n_rows rows, so that each chunk of the kept
 * rows (a serial run's chunk grid: it depends on their count) lies whole
 * on one rank.  Dropping rows anywhere, even all of a rank's, then gives
 * a serial run's partials.  Both copies of the rank's rows live while
 * they move. */
static clm_status recut_kept(const comm_ctx *comm, km_features *f)
{
    const int d = f->n_features;
    int64_t first, n;
    km_rank_rows(comm, f->n_rows, &first, &n);
    const size_t room = (size_t)(n > 0 ? n : 1);
    float *rows = util_alloc_big(sizeof(float) * room * (size_t)d);
    float *weights = f->weights ? malloc(sizeof(float) * room) : NULL;
    clm_status st = rows && (weights || !f->weights)
                        ? CLM_OK
                        : clm_error(CLM_E_NOMEM, "k-means: out of memory for the %lld x %d kept rows",
                                    (long long)n, d);
    st = comm_agree(comm, st);
    if (!st)
        st = comm_recut_rows(comm, f->rows, f->n_local_kept, sizeof(float) * (size_t)d, rows, n);
    if (!st && f->weights)
        st = comm_recut_rows(comm, f->weights, f->n_local_kept, sizeof(float), weights, n);
    comm_abort_unagreed(comm, st);
    if (st) {
        free(rows);
        free(weights);
        return st;
    }
    free(f->rows);
    free(f->weights);
    f->rows = rows;
    f->weights = weights;
    f->n_local_kept = n;
    return CLM_OK;
}

clm_status km_features_load(const clm_table *table, const clm_kmeans_params *p,
                            const clm_kmeans_columns *c, km_features *f)
{
    return km_features_load_ranks(table, p, c, NULL, f);
}

clm_status km_features_load_ranks(const clm_table *table, const clm_kmeans_params *p,
                                  const clm_kmeans_columns *c, const comm_ctx *comm,
                                  km_features *f)
{
    const char *path = clm_table_path(table);
    const int d = f->n_features;
    const int64_t n_all = clm_table_n_rows(table);
    f->n_input_rows = n_all;
    if (n_all <= 0)
        return clm_error(CLM_E_EMPTY, "%s: the table %s has no rows", path, clm_table_group(table));
    /* This process reads input rows [first, first + n_input); the loop
     * below numbers them globally, so messages name the table's rows. */
    int64_t first = 0, n_input = n_all;
    km_rank_rows(comm, n_all, &first, &n_input);
    f->first_row = first;
    f->n_local_rows = n_input;
    int weight_col = -1;
    if (c->weight) {
        clm_status st = clm_table_require(table, c->weight, CLM_KIND_NUMERIC, &weight_col);
        if (st)
            return st;
    }
    /* At least one row's room: a rank may hold no rows. */
    const int64_t room = n_input > 0 ? n_input : 1;
    f->rows = util_alloc_big(sizeof(float) * (size_t)room * (size_t)d);
    float *scratch = malloc(sizeof(float) * CLM_BLOCK_ROWS);
    if (weight_col >= 0)
        f->weights = malloc(sizeof(float) * (size_t)room);
    if (p->missing == CLM_MISSING_DROP)
        f->dropped = calloc((size_t)(n_input / 8 + 1), 1);
    f->mean = malloc(sizeof(double) * (size_t)d);
    f->std = malloc(sizeof(double) * (size_t)d);
    f->center = malloc(sizeof(double) * (size_t)d);
    f->scale = malloc(sizeof(double) * (size_t)d);
    int64_t *count = malloc(sizeof(int64_t) * (size_t)d);
    if (!f->rows || !scratch || (weight_col >= 0 && !f->weights) ||
        (p->missing == CLM_MISSING_DROP && !f->dropped) || !f->mean || !f->std ||
        !f->center || !f->scale || !count) {
        free(scratch);
        free(count);
        /* The other ranks learn of it here rather than wait for this one. */
        return comm_agree(comm, clm_error(CLM_E_NOMEM, "%s: out of memory for the %lld x %d feature matrix",
                                          path, (long long)n_input, d));
    }

    clm_status st = CLM_OK;
    int64_t kept = 0;
    /* The reads are collective (io_table_ranks.h): every rank makes the
     * largest rank's number of them; past its rows or its first error a
     * rank reads nothing and goes on to the next. */
    const int64_t n_blocks = io_rank_calls(comm, (n_input + CLM_BLOCK_ROWS - 1) / CLM_BLOCK_ROWS);
    for (int64_t b = 0, at = 0; b < n_blocks; b++, at += CLM_BLOCK_ROWS) {
        int64_t n = st || at >= n_input ? 0 : util_block_len(n_input, at, CLM_BLOCK_ROWS);
        const int64_t row0 = first + at; /* the table's row number */
        float *block = f->rows + kept * d;
        clm_status read = io_table_read_rank_block_f32(table, f->columns, d, row0, n, block, scratch);
        if (f->weights) {
            clm_status w = io_table_read_rank_f32(table, weight_col, row0, read ? 0 : n, f->weights + kept);
            read = read ? read : w;
        }
        if (n == 0)
            continue;
        if ((st = read))
            continue;
        if (f->weights)
            for (int64_t i = 0; i < n; i++) {
                float w = f->weights[kept + i];
                if (isnan(w) && p->missing == CLM_MISSING_DROP)
                    continue; /* the row is dropped below */
                if (!isfinite(w) || w < 0.0f) {
                    st = clm_error(CLM_E_VALUE, "%s: column '%s' (sample weight) has %s %g at row %lld; weights must be finite and >= 0",
                                   path, c->weight, isnan(w) ? "a missing value" : "the value",
                                   (double)w, (long long)(row0 + i));
                    break;
                }
            }
        if (st)
            continue;
        if (p->missing == CLM_MISSING_FAIL) {
            int j = 0;
            int64_t i = first_bad(block, n, d, &j);
            if (i >= 0) {
                float v = block[i * d + j];
                st = clm_error(CLM_E_VALUE, "%s: column '%s' has %s at row %lld (use --missing drop or --missing impute)",
                               path, f->names[j], isnan(v) ? "a missing value (NaN)" : "an infinite value",
                               (long long)(row0 + i));
                continue;
            }
            kept += n;
        } else if (p->missing == CLM_MISSING_DROP) {
            int64_t out = kept;
            for (int64_t i = 0; i < n; i++) {
                const float *x = block + i * d;
                int bad = f->weights ? isnan(f->weights[kept + i]) : 0;
                for (int j = 0; j < d && !bad; j++)
                    bad = !isfinite(x[j]);
                if (bad) {
                    /* this process's input row at + i (its bitmap starts at first) */
                    f->dropped[(at + i) >> 3] |= (uint8_t)(1u << ((at + i) & 7));
                    continue;
                }
                /* compact in place: the destination never passes the source */
                if (out != kept + i) {
                    memmove(f->rows + out * d, x, sizeof(float) * (size_t)d);
                    if (f->weights)
                        f->weights[out] = f->weights[kept + i];
                }
                out++;
            }
            kept = out;
        } else {
            kept += n;
        }
        if (p->progress)
            p->progress(p->progress_ctx, "reading features", at + n, n_input);
    }
    free(scratch);
    /* A read or a bad value on one rank stops them all, with the message
     * of the lowest rank that failed: the first bad row of the table. */
    st = comm_agree(comm, st);
    if (st) {
        free(count);
        return st;
    }
    f->n_rows = kept;
    if (!st)
        st = comm_sum_i64(comm, &f->n_rows, 1);
    if (st) {
        free(count);
        return st;
    }
    if (f->n_rows == 0) {
        free(count);
        return clm_error(CLM_E_EMPTY, "%s: no rows left after dropping the rows with missing values", path);
    }
    f->n_local_kept = kept;
    if (comm_is_parallel(comm) && p->missing == CLM_MISSING_DROP)
        st = recut_kept(comm, f);
    if (st) {
        free(count);
        return st;
    }

    km_data data;
    km_data_init_ranks(&data, comm, f->rows, NULL, f->n_rows, d, p->n_threads);
    st = feature_moment(&data, NULL, f->mean, count);
    for (int j = 0; !st && j < d; j++) {
        if (count[j] == 0)
            st = clm_error(CLM_E_VALUE, "%s: column '%s' has no finite value", path, f->names[j]);
        else
            f->mean[j] /= (double)count[j];
    }
    if (!st)
        st = feature_moment(&data, f->mean, f->std, count);
    if (!st)
        for (int j = 0; j < d; j++)
            f->std[j] = sqrt(f->std[j] / (double)count[j]);
    /* Out of memory here leaves the other ranks in the moments' collectives. */
    comm_abort_unagreed(comm, st);
    free(count);
    if (st)
        return st;
    for (int j = 0; j < d; j++) {
        /* zero (or undefined) spread: centre only, never divide by zero */
        int usable = isfinite(f->std[j]) && f->std[j] > 0.0;
        f->center[j] = p->scale ? f->mean[j] : 0.0;
        f->scale[j] = p->scale && usable ? f->std[j] : 1.0;
    }
    int impute = p->missing == CLM_MISSING_IMPUTE;
    int64_t n_imputed = 0;
    const double *center = f->center, *scale = f->scale, *mean = f->mean;
    float *rows = f->rows;
#pragma omp parallel for schedule(static) reduction(+ : n_imputed) num_threads(data.n_threads)
    for (int64_t i = 0; i < f->n_local_kept; i++)
        for (int j = 0; j < d; j++) {
            float x = rows[i * d + j];
            if (impute && !isfinite(x)) {
                x = (float)mean[j];
                n_imputed++;
            }
            rows[i * d + j] = (float)(((double)x - center[j]) / scale[j]);
        }
    f->n_imputed = n_imputed;
    return comm_sum_i64(comm, &f->n_imputed, 1);
}

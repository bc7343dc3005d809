/*
 * fit_table.c — k-means on an open table: features -> fit -> every row's
 * label and distance -> profile, all kept in the model (docs/design.md
 * §10).  Nothing is written here; clm_kmeans_save writes the model and
 * clm_kmeans_write_csv the profile.
 *
 * Memory: the N x d float32 matrix and N int32 labels while fitting (and N
 * weights with a weight column); the matrix is freed before returning, so
 * the model keeps 8 bytes a row (label and distance).  All table calls
 * are made on the calling thread; the passes are parallel.
 */
#include <math.h>
#include <stdlib.h>

#include "core/util_internal.h"
#include "kmeans/kmeans_internal.h"

void clm_kmeans_columns_default(clm_kmeans_columns *c)
{
    memset(c, 0, sizeof *c);
    c->id = "subscriber_id";
    c->time = "tenure_months";
    c->event = "churned";
    c->arpu = "arpu";
}

/* Optional numeric column for the profile: -1 when absent or not numeric. */
static int optional_column(const clm_table *table, const char *name)
{
    if (!name || !name[0])
        return -1;
    int col = clm_table_find(table, name);
    if (col < 0 || clm_table_column(table, col)->kind != CLM_KIND_NUMERIC)
        return -1;
    return col;
}

/* Spreads the labels of the kept rows over the input rows (-1 for dropped
 * rows), computes every distance, and gathers the profile sums (size,
 * churn, ARPU) in input-row order, block by block. */
static clm_status per_row_results(clm_kmeans *m, const clm_table *table,
                                  const clm_kmeans_columns *c, const int32_t *kept_labels)
{
    const km_features *f = &m->features;
    km_profile *pr = &m->profile;
    const int k = m->k, d = f->n_features;
    const int64_t n = f->n_input_rows;
    const int event_col = optional_column(table, c->event);
    const int arpu_col = optional_column(table, c->arpu);
    m->labels = malloc(sizeof(int32_t) * (size_t)n);
    m->distances = malloc(sizeof(float) * (size_t)n);
    float *kept_dist = malloc(sizeof(float) * CLM_BLOCK_ROWS);
    double *values = malloc(sizeof(double) * CLM_BLOCK_ROWS);
    double *sums = calloc((size_t)k * 4, sizeof(double)); /* churn sum, count, arpu sum, count */
    clm_status st = CLM_OK;
    if (!m->labels || !m->distances || !kept_dist || !values || !sums)
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory for %lld labels", (long long)n);
    int64_t next = 0; /* next kept row */
    for (int64_t row0 = 0; !st && row0 < n; row0 += CLM_BLOCK_ROWS) {
        const int64_t nb = util_block_len(n, row0, CLM_BLOCK_ROWS);
        int64_t n_kept = 0;
        for (int64_t i = 0; i < nb; i++)
            n_kept += !(f->dropped && km_bit(f->dropped, row0 + i));
        km_data data;
        km_data_init(&data, f->rows + next * d, NULL, n_kept, d, m->params.n_threads);
        data.kernels = kernels_resolve(m->params.kernels);
        if (n_kept > 0)
            st = km_distances(&data, m->centroids, kept_labels + next, kept_dist);
        if (st)
            break;
        int32_t *labels = m->labels + row0;
        float *dist = m->distances + row0;
        for (int64_t i = 0, q = 0; i < nb; i++) {
            if (f->dropped && km_bit(f->dropped, row0 + i)) {
                labels[i] = -1;
                dist[i] = NAN;
            } else {
                labels[i] = kept_labels[next + q];
                dist[i] = kept_dist[q];
                pr->size[labels[i]]++;
                q++;
            }
        }
        next += n_kept;
        for (int which = 0; which < 2 && !st; which++) {
            int col = which == 0 ? event_col : arpu_col;
            if (col < 0)
                continue;
            st = clm_table_read_f64(table, col, row0, nb, values);
            for (int64_t i = 0; !st && i < nb; i++)
                if (labels[i] >= 0 && !isnan(values[i])) {
                    sums[labels[i] * 4 + 2 * which] += values[i];
                    sums[labels[i] * 4 + 2 * which + 1] += 1.0;
                }
        }
        if (!st && m->params.progress)
            m->params.progress(m->params.progress_ctx, "segment profile", row0 + nb, n);
    }
    for (int s = 0; !st && s < k; s++) {
        pr->share[s] = (double)pr->size[s] / (double)f->n_rows;
        pr->churn_rate[s] = sums[s * 4 + 1] > 0 ? sums[s * 4] / sums[s * 4 + 1] : NAN;
        pr->mean_arpu[s] = sums[s * 4 + 3] > 0 ? sums[s * 4 + 2] / sums[s * 4 + 3] : NAN;
    }
    free(kept_dist);
    free(values);
    free(sums);
    return st;
}

/* The column names the saved model records ("" = none). */
static clm_status keep_names(clm_kmeans *m, const clm_table *table, const clm_kmeans_columns *c)
{
    const char *event = optional_column(table, c->event) >= 0 ? c->event : "";
    const char *arpu = optional_column(table, c->arpu) >= 0 ? c->arpu : "";
    m->event_column = util_strdup(event);
    m->arpu_column = util_strdup(arpu);
    m->weight_column = util_strdup(c->weight ? c->weight : "");
    if (!m->event_column || !m->arpu_column || !m->weight_column)
        return clm_error(CLM_E_NOMEM, "k-means: out of memory");
    return CLM_OK;
}

clm_status clm_kmeans_fit_table(const clm_kmeans_params *p, const clm_kmeans_columns *columns,
                                const clm_table *table, clm_kmeans **out)
{
    *out = NULL;
    clm_kmeans_columns defaults;
    if (!columns) {
        clm_kmeans_columns_default(&defaults);
        columns = &defaults;
    }
    if (!table)
        return clm_error(CLM_E_PARAM, "k-means: no table");
    if (p && p->initial_centroids)
        return clm_error(CLM_E_PARAM, "k-means: initial centroids are for the in-memory API only");
    clm_kmeans *m = NULL;
    clm_status st = clm_kmeans_create(p, &m);
    if (st)
        return st;
    int32_t *labels = NULL;
    km_features *f = &m->features;
    st = km_features_select(table, columns, f);
    if (!st) st = km_features_load(table, p, columns, f);
    if (!st) {
        labels = malloc(sizeof(int32_t) * (size_t)f->n_rows);
        if (!labels)
            st = clm_error(CLM_E_NOMEM, "k-means: out of memory for %lld labels", (long long)f->n_rows);
    }
    if (!st && p->progress)
        p->progress(p->progress_ctx, "clustering", 0, f->n_rows);
    if (!st) st = clm_kmeans_fit(m, f->rows, f->n_rows, f->n_features, f->weights, labels);
    if (!st && p->progress)
        p->progress(p->progress_ctx, "clustering", f->n_rows, f->n_rows);
    if (!st) st = km_profile_alloc(&m->profile, m->k, f->n_features);
    if (!st) st = per_row_results(m, table, columns, labels);
    if (!st) st = km_profile_describe(&m->profile, f, m->centroids);
    if (!st) st = keep_names(m, table, columns);
    free(labels);
    /* The matrix and the weights are not part of the model. */
    free(f->rows);
    free(f->weights);
    free(f->dropped);
    f->rows = NULL;
    f->weights = NULL;
    f->dropped = NULL;
    if (st) {
        clm_kmeans_free(m);
        return st;
    }
    m->n_rows = f->n_input_rows;
    *out = m;
    return CLM_OK;
}

static void print_k_table(const clm_kmeans *model, FILE *out)
{
    int n = 0;
    const clm_kmeans_k_score *s = clm_kmeans_k_scores(model, &n);
    if (n == 0)
        return;
    fprintf(out, "choosing k: highest mean silhouette on a seeded sample\n");
    fprintf(out, "%5s %16s %11s %6s\n", "k", "inertia", "silhouette", "iters");
    for (int i = 0; i < n; i++)
        fprintf(out, "%5d %16.6g %11.4f %6d%s\n", s[i].k, s[i].inertia, s[i].silhouette,
                s[i].iterations, s[i].k == clm_kmeans_k(model) ? "  <- chosen" : "");
}

void clm_kmeans_print(const clm_kmeans *m, FILE *out)
{
    if (!m || !out || m->k == 0)
        return;
    const km_features *f = &m->features;
    print_k_table(m, out);
    fprintf(out, "k-means: k = %d, %d iterations, inertia %.6g, %lld rows x %d features%s\n",
            m->k, m->iterations, m->inertia, (long long)f->n_rows, m->n_features,
            m->params.scale ? " (standardised)" : "");
    if (f->n_input_rows != f->n_rows)
        fprintf(out, "k-means: %lld rows with missing values dropped (label -1)\n",
                (long long)(f->n_input_rows - f->n_rows));
    if (f->n_imputed)
        fprintf(out, "k-means: %lld missing values imputed with the column mean\n",
                (long long)f->n_imputed);
    if (m->profile.size)
        km_profile_print(&m->profile, f, out);
}

clm_status clm_kmeans_write_csv(const clm_kmeans *m, FILE *out)
{
    if (!m || !m->profile.size)
        return clm_error(CLM_E_PARAM, "k-means: the model has no profile (fitted on rows in memory)");
    km_profile_write_csv(&m->profile, &m->features, m->continues, out);
    return ferror(out) ? clm_error(CLM_E_IO, "k-means: writing the profile CSV failed") : CLM_OK;
}

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
 *
 * On several ranks (km_fit_table_ranks, docs/design.md §7) each rank holds
 * its own kept rows' matrix; the labels and distances are gathered to
 * rank 0, which alone computes the profile (row-order sums) and keeps the
 * per-row results, because it alone writes them.
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

/* Segment sizes and each segment's churn rate and mean ARPU, from every
 * input row's label, in input-row order, block by block (rank 0 only on
 * several ranks: these sums run row by row, and one process adding them
 * in the table's order is what keeps their bits those of a serial run). */
static clm_status profile_rows(clm_kmeans *m, const clm_table *table,
                               const clm_kmeans_columns *c)
{
    const km_features *f = &m->features;
    km_profile *pr = &m->profile;
    const int k = m->k;
    const int64_t n = f->n_input_rows;
    const int event_col = optional_column(table, c->event);
    const int arpu_col = optional_column(table, c->arpu);
    double *values = malloc(sizeof(double) * CLM_BLOCK_ROWS);
    double *sums = calloc((size_t)k * 4, sizeof(double)); /* churn sum, count, arpu sum, count */
    clm_status st = CLM_OK;
    if (!values || !sums)
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory for the segment profile");
    for (int64_t row0 = 0; !st && row0 < n; row0 += CLM_BLOCK_ROWS) {
        const int64_t nb = util_block_len(n, row0, CLM_BLOCK_ROWS);
        const int32_t *labels = m->labels + row0;
        for (int64_t i = 0; i < nb; i++)
            if (labels[i] >= 0)
                pr->size[labels[i]]++;
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
    free(values);
    free(sums);
    return st;
}

/* Rank 0 gets the bitmap of every dropped input row: each rank's bitmap
 * starts at its first input row, a multiple of 8 (rank ranges are whole
 * chunks of 4096 rows or more), so the ranks' bytes simply follow one
 * another. */
static clm_status gather_dropped(km_features *f, const comm_ctx *comm)
{
    if (!f->dropped || !comm_is_parallel(comm))
        return CLM_OK;
    const int root = comm->rank == 0;
    uint8_t *all = root ? calloc((size_t)(f->n_input_rows / 8 + 1), 1) : NULL;
    clm_status st = comm_agree(comm, root && !all ? clm_error(CLM_E_NOMEM, "k-means: out of memory")
                                                  : CLM_OK);
    if (!st)
        st = comm_gather_rows(comm, f->dropped, (f->n_local_rows + 7) / 8, 1, all,
                              (f->n_input_rows + 7) / 8);
    if (st || !root) {
        free(all);
        return st;
    }
    free(f->dropped);
    f->dropped = all;
    return CLM_OK;
}

/* Spreads the kept rows' labels and distances, at the front of the
 * model's arrays, over the input rows, with -1 and NaN at the dropped
 * ones (in place, from the end: a kept row only moves back). */
static void spread_over_input_rows(clm_kmeans *m)
{
    const km_features *f = &m->features;
    if (!f->dropped)
        return;
    for (int64_t i = f->n_input_rows - 1, q = f->n_rows - 1; i >= 0; i--) {
        if (km_bit(f->dropped, i)) {
            m->labels[i] = -1;
            m->distances[i] = NAN;
        } else {
            m->labels[i] = m->labels[q];
            m->distances[i] = m->distances[q];
            q--;
        }
    }
}

/* Every input row's label and distance, and the profile, into the model
 * on rank 0: each rank computes its kept rows' distances, the kept rows'
 * labels and distances are gathered in kept-row order (rank 0's own
 * distances straight into place) and spread over the input rows.  The
 * other ranks keep none. */
static clm_status per_row_results(clm_kmeans *m, const clm_table *table,
                                  const clm_kmeans_columns *c, const comm_ctx *comm,
                                  const int32_t *kept_labels)
{
    km_features *f = &m->features;
    const int root = comm == NULL || comm->rank == 0;
    const int64_t n = f->n_input_rows, n_local = f->n_local_kept;
    float *distances = NULL;
    if (root) {
        m->labels = malloc(sizeof(int32_t) * (size_t)n);
        m->distances = malloc(sizeof(float) * (size_t)n);
        distances = m->labels ? m->distances : NULL;
    } else {
        distances = malloc(sizeof(float) * (size_t)(n_local > 0 ? n_local : 1));
    }
    clm_status st = CLM_OK;
    if (!distances) {
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory for %lld labels", (long long)n);
    } else {
        km_data data;
        km_data_init(&data, f->rows, NULL, n_local, f->n_features, m->params.n_threads);
        data.kernels = kernels_resolve(m->params.kernels);
        st = km_distances(&data, m->centroids, kept_labels, distances);
    }
    st = comm_agree(comm, st);
    if (!st)
        st = comm_gather_rows(comm, kept_labels, n_local, sizeof(int32_t), m->labels, f->n_rows);
    if (!st)
        st = comm_gather_rows(comm, distances, n_local, sizeof(float), m->distances, f->n_rows);
    if (!root)
        free(distances);
    if (!st)
        st = gather_dropped(f, comm);
    if (!st && root) {
        spread_over_input_rows(m);
        st = profile_rows(m, table, c);
    }
    return comm_agree(comm, st);
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
    return km_fit_table_ranks(p, columns, table, NULL, out);
}

clm_status km_fit_table_ranks(const clm_kmeans_params *p, const clm_kmeans_columns *columns,
                              const clm_table *table, const comm_ctx *comm, clm_kmeans **out)
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
    /* The same columns and the same answer on every rank. */
    st = km_features_select(table, columns, f);
    if (!st) st = km_features_load_ranks(table, p, columns, comm, f);
    if (!st) {
        /* This rank's kept rows (at least one slot: a rank may hold none). */
        const int64_t n_kept = f->n_local_kept;
        labels = malloc(sizeof(int32_t) * (size_t)(n_kept > 0 ? n_kept : 1));
        if (!labels)
            st = clm_error(CLM_E_NOMEM, "k-means: out of memory for %lld labels", (long long)n_kept);
        st = comm_agree(comm, st);
    }
    if (!st && p->progress)
        p->progress(p->progress_ctx, "clustering", 0, f->n_rows);
    if (!st && !comm_is_parallel(comm)) {
        st = clm_kmeans_fit(m, f->rows, f->n_rows, f->n_features, f->weights, labels);
    } else if (!st) {
        /* This rank's rows, chunked as the whole table (km_data_init_ranks):
         * every pass merges the same partials in the same order as above. */
        km_data data;
        km_data_init_ranks(&data, comm, f->rows, f->weights, f->n_rows, f->n_features, p->n_threads);
        data.kernels = kernels_resolve(p->kernels);
        data.product = p->product;
        st = km_fit_data(m, &data, labels);
        /* A pass that ran out of memory on this rank left the others
         * waiting in a collective: end them all (input errors in the fit,
         * such as k above the row count, are the same on every rank). */
        comm_abort_unagreed(comm, st);
    }
    if (!st && p->progress)
        p->progress(p->progress_ctx, "clustering", f->n_rows, f->n_rows);
    if (!st) st = km_profile_alloc(&m->profile, m->k, f->n_features);
    if (!st) st = per_row_results(m, table, columns, comm, labels);
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

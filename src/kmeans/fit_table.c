/*
 * fit_table.c — k-means on an open table: features -> fit -> every row's
 * label and distance -> profile, all kept in the model (docs/design.md
 * §10).  Nothing is written here; clm_kmeans_save writes the model and
 * clm_kmeans_write_csv the profile.
 *
 * Memory: the N x d float32 matrix and N int32 labels while fitting (and N
 * weights with a weight column); the distances are then computed over the
 * matrix, which is cut down to them, so the model keeps 8 bytes a row
 * (label and distance) and the peak is the matrix and the labels.  All table calls
 * are made on the calling thread; the passes are parallel.
 *
 * On several ranks (km_fit_table_ranks, docs/design.md §7) each rank holds
 * its own kept rows' matrix, and keeps the labels and distances of its own
 * input rows, which it writes itself (km_save_rank_rows); the profile's
 * row-order sums are relayed from rank to rank.
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

/* Segment sizes and each segment's churn rate and mean ARPU, from this
 * process's input rows' labels, in input-row order.  The sums are made row
 * by row, so on several ranks they are relayed (comm_relay_receive/send):
 * each rank goes on from the sums of the rows before its own, which keeps
 * the bits of the serial loop.  A failed read does not break the relay:
 * the rank passes the sums on and the failure is agreed after it. */
static clm_status profile_rows(clm_kmeans *m, const clm_table *table,
                               const clm_kmeans_columns *c, const comm_ctx *comm)
{
    const km_features *f = &m->features;
    km_profile *pr = &m->profile;
    const int k = m->k;
    const int64_t n = f->n_local_rows, row_first = f->first_row;
    const int event_col = optional_column(table, c->event);
    const int arpu_col = optional_column(table, c->arpu);
    double *values = malloc(sizeof(double) * CLM_BLOCK_ROWS);
    double *sums = calloc((size_t)k * 4, sizeof(double)); /* churn sum, count, arpu sum, count */
    clm_status st = CLM_OK;
    if (!values || !sums)
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory for the segment profile");
    st = comm_agree(comm, st);
    if (!st)
        st = comm_relay_receive(comm, sums, sizeof(double) * (size_t)k * 4);
    clm_status read_st = CLM_OK;
    for (int64_t row0 = 0; !st && !read_st && row0 < n; row0 += CLM_BLOCK_ROWS) {
        const int64_t nb = util_block_len(n, row0, CLM_BLOCK_ROWS);
        const int32_t *labels = m->labels + row0;
        for (int64_t i = 0; i < nb; i++)
            if (labels[i] >= 0)
                pr->size[labels[i]]++;
        for (int which = 0; which < 2 && !read_st; which++) {
            int col = which == 0 ? event_col : arpu_col;
            if (col < 0)
                continue;
            read_st = clm_table_read_f64(table, col, row_first + row0, nb, values);
            for (int64_t i = 0; !read_st && i < nb; i++)
                if (labels[i] >= 0 && !isnan(values[i])) {
                    sums[labels[i] * 4 + 2 * which] += values[i];
                    sums[labels[i] * 4 + 2 * which + 1] += 1.0;
                }
        }
        if (!read_st && m->params.progress)
            m->params.progress(m->params.progress_ctx, "segment profile", row0 + nb, n);
    }
    if (!st)
        st = comm_relay_send(comm, sums, sizeof(double) * (size_t)k * 4);
    st = comm_agree(comm, st ? st : read_st);
    if (!st)
        st = comm_sum_i64(comm, pr->size, k);
    for (int s = 0; !st && s < k; s++) {
        pr->share[s] = (double)pr->size[s] / (double)f->n_rows;
        pr->churn_rate[s] = sums[s * 4 + 1] > 0 ? sums[s * 4] / sums[s * 4 + 1] : NAN;
        pr->mean_arpu[s] = sums[s * 4 + 3] > 0 ? sums[s * 4 + 2] / sums[s * 4 + 3] : NAN;
    }
    free(values);
    free(sums);
    return st;
}

/* Spreads the first n_kept labels and distances of the model's arrays
 * (this process's kept input rows, in order) over its n_local_rows input
 * rows, with -1 and NaN at the dropped ones (in place, from the end: a
 * kept row only moves back). */
static void spread_over_input_rows(clm_kmeans *m, int64_t n_kept)
{
    const km_features *f = &m->features;
    if (!f->dropped)
        return;
    for (int64_t i = f->n_local_rows - 1, q = n_kept - 1; i >= 0; i--) {
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

/* The distances of this process's kept rows, computed over the matrix
 * itself, which is not needed after them, and the matrix cut down to
 * `room` of them (f->rows is taken): the distances never live beside the
 * matrix, so they add nothing to the peak (4 bytes a row less). */
static clm_status distances_over_matrix(clm_kmeans *m, const int32_t *labels, size_t room,
                                        float **out)
{
    km_features *f = &m->features;
    km_data data;
    km_data_init(&data, f->rows, NULL, f->n_local_kept, f->n_features, m->params.n_threads);
    data.kernels = kernels_resolve(m->params.kernels);
    clm_status st = km_distances_over_rows(&data, f->rows, m->centroids, labels);
    /* A smaller block is released in place (glibc: mremap or a split);
     * it grows only for one feature, by a float. */
    float *cut = st ? NULL : realloc(f->rows, sizeof(float) * room);
    if (!st && !cut)
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory for %lld distances",
                       (long long)f->n_local_kept);
    if (st)
        return st;
    f->rows = NULL;
    *out = cut;
    return CLM_OK;
}

/* The label and distance of each of this process's input rows, into the
 * model.  Each rank computes its kept rows' distances; with dropped rows
 * the kept rows were re-cut onto the ranks by kept-row number, so their
 * labels and distances are re-cut back onto the ranks' input ranges
 * (comm_recut_rows) and spread over the input rows.  Every rank keeps
 * its own rows only: each writes them itself (km_save_rank_rows). */
static clm_status per_row_results(clm_kmeans *m, const comm_ctx *comm, int32_t **kept)
{
    const int32_t *kept_labels = *kept;
    km_features *f = &m->features;
    const int64_t n_mine = f->n_local_rows, n_local = f->n_local_kept;
    int64_t n_kept_mine = n_mine;
    for (int64_t i = 0; f->dropped && i < n_mine; i++)
        n_kept_mine -= km_bit(f->dropped, i);
    const size_t room = (size_t)(n_mine > n_local ? n_mine : n_local) + 1;
    float *distances = NULL;
    clm_status st = distances_over_matrix(m, kept_labels, f->dropped ? (size_t)n_local + 1 : room,
                                          &distances);
    if (!st && f->dropped) {
        m->labels = malloc(sizeof(int32_t) * room);
        m->distances = malloc(sizeof(float) * room);
        if (!m->labels || !m->distances)
            st = clm_error(CLM_E_NOMEM, "k-means: out of memory for %lld labels", (long long)n_mine);
    } else if (!st) {
        /* Without dropped rows the kept rows are the input rows: their
         * labels and distances become the model's as they are. */
        m->labels = *kept;
        *kept = NULL;
        m->distances = distances;
        distances = NULL;
    }
    st = comm_agree(comm, st);
    if (!st && f->dropped) {
        st = comm_recut_rows(comm, kept_labels, n_local, sizeof(int32_t), m->labels, n_kept_mine);
        if (!st)
            st = comm_recut_rows(comm, distances, n_local, sizeof(float), m->distances, n_kept_mine);
    }
    free(distances);
    if (!st)
        spread_over_input_rows(m, n_kept_mine);
    m->rows_on_ranks = comm_is_parallel(comm);
    return comm_agree(comm, st);
}

void km_rows_here(const clm_kmeans *m, int64_t *first, int64_t *n)
{
    *first = m->rows_on_ranks ? m->features.first_row : 0;
    *n = m->rows_on_ranks ? m->features.n_local_rows : m->n_rows;
}

clm_status km_gather_rows(clm_kmeans *m, const comm_ctx *comm)
{
    if (!m->rows_on_ranks)
        return CLM_OK;
    const int root = comm->rank == 0;
    const int64_t n = m->n_rows, n_mine = m->features.n_local_rows;
    int32_t *labels = root ? malloc(sizeof(int32_t) * (size_t)n) : NULL;
    float *distances = root ? malloc(sizeof(float) * (size_t)n) : NULL;
    clm_status st = comm_agree(comm, root && (!labels || !distances)
                                         ? clm_error(CLM_E_NOMEM, "k-means: out of memory for %lld labels", (long long)n)
                                         : CLM_OK);
    if (!st)
        st = comm_gather_rows(comm, m->labels, n_mine, sizeof(int32_t), labels, n);
    if (!st)
        st = comm_gather_rows(comm, m->distances, n_mine, sizeof(float), distances, n);
    st = comm_agree(comm, st);
    if (st || !root) {
        free(labels);
        free(distances);
        return st;
    }
    free(m->labels);
    free(m->distances);
    m->labels = labels;
    m->distances = distances;
    m->rows_on_ranks = 0;
    m->features.first_row = 0;
    m->features.n_local_rows = n;
    return CLM_OK;
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
    if (!st) st = per_row_results(m, comm, &labels);
    free(labels);
    /* The matrix and the weights are not part of the model: gone before
     * the profile reads its columns. */
    free(f->rows);
    free(f->weights);
    f->rows = NULL;
    f->weights = NULL;
    if (!st) st = profile_rows(m, table, columns, comm);
    if (!st) st = km_profile_describe(&m->profile, f, m->centroids);
    if (!st) st = keep_names(m, table, columns);
    free(f->dropped);
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

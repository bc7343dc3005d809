/*
 * run.c — the `clmseg kmeans` pipeline on a table: features -> fit ->
 * per-row outputs streamed in blocks -> profile -> results.h5 and
 * segments.csv, both atomic.
 *
 * Memory: the N x d float32 matrix, N int32 labels (and N weights with
 * --sample-weight); the output pass works on CLM_BLOCK_ROWS rows at a
 * time (distances, churn and ARPU are never held for all rows).  All
 * table and writer calls are made on the calling thread; the distance
 * computation of a block is parallel.
 */
#include <math.h>
#include <stdlib.h>

#include "clmseg/textfile.h"
#include "kmeans/kmeans_internal.h"

/* "<folder of output>/segments.csv" */
static char *csv_beside(const char *output)
{
    const char *slash = strrchr(output, '/');
    size_t dir = slash ? (size_t)(slash - output) + 1 : 0;
    char *path = malloc(dir + sizeof "segments.csv");
    if (path) {
        memcpy(path, output, dir);
        memcpy(path + dir, "segments.csv", sizeof "segments.csv");
    }
    return path;
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

/* Streams /segments/label and /segments/distance and gathers the profile
 * sums (size, churn, ARPU) in input-row order. */
static clm_status write_rows(const clm_kmeans_params *p, const clm_table *table,
                             const km_features *f, const clm_kmeans *model,
                             const int32_t *labels, clm_writer *w, km_profile *pr)
{
    const int k = clm_kmeans_k(model), d = f->n_features;
    const int64_t n = f->n_input_rows;
    const int event_col = optional_column(table, p->event_column);
    const int arpu_col = optional_column(table, p->arpu_column);
    int label_ds = -1, dist_ds = -1;
    clm_status st = clm_writer_column_create(w, "/segments/label", CLM_DT_INT32, n, &label_ds);
    if (!st)
        st = clm_writer_column_create(w, "/segments/distance", CLM_DT_FLOAT32, n, &dist_ds);
    if (st)
        return st;
    int32_t *out_labels = malloc(sizeof(int32_t) * CLM_BLOCK_ROWS);
    float *out_dist = malloc(sizeof(float) * CLM_BLOCK_ROWS);
    float *kept_dist = malloc(sizeof(float) * CLM_BLOCK_ROWS);
    double *values = malloc(sizeof(double) * CLM_BLOCK_ROWS);
    double *churn = calloc((size_t)k * 4, sizeof(double)); /* sum, count, arpu sum, count */
    if (!out_labels || !out_dist || !kept_dist || !values || !churn)
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory writing the outputs");
    int64_t next = 0; /* next kept row */
    for (int64_t row0 = 0; !st && row0 < n; row0 += CLM_BLOCK_ROWS) {
        int64_t nb = n - row0 < CLM_BLOCK_ROWS ? n - row0 : CLM_BLOCK_ROWS;
        int64_t n_kept = 0;
        for (int64_t i = 0; i < nb; i++)
            n_kept += !(f->dropped && km_bit(f->dropped, row0 + i));
        km_data data;
        km_data_init(&data, f->rows + next * d, NULL, n_kept, d, p->n_threads);
        if (n_kept > 0)
            st = km_distances(&data, clm_kmeans_centroids(model), labels + next, kept_dist);
        if (st)
            break;
        for (int64_t i = 0, q = 0; i < nb; i++) {
            if (f->dropped && km_bit(f->dropped, row0 + i)) {
                out_labels[i] = -1;
                out_dist[i] = NAN;
            } else {
                out_labels[i] = labels[next + q];
                out_dist[i] = kept_dist[q];
                pr->size[out_labels[i]]++;
                q++;
            }
        }
        next += n_kept;
        st = clm_writer_column_write(w, label_ds, row0, nb, out_labels);
        if (!st)
            st = clm_writer_column_write(w, dist_ds, row0, nb, out_dist);
        for (int which = 0; which < 2 && !st; which++) {
            int col = which == 0 ? event_col : arpu_col;
            if (col < 0)
                continue;
            st = clm_table_read_f64(table, col, row0, nb, values);
            for (int64_t i = 0; !st && i < nb; i++)
                if (out_labels[i] >= 0 && !isnan(values[i])) {
                    churn[out_labels[i] * 4 + 2 * which] += values[i];
                    churn[out_labels[i] * 4 + 2 * which + 1] += 1.0;
                }
        }
        if (!st && p->progress)
            p->progress(p->progress_ctx, "writing segments", row0 + nb, n);
    }
    for (int c = 0; !st && c < k; c++) {
        pr->share[c] = (double)pr->size[c] / (double)f->n_rows;
        pr->churn_rate[c] = churn[c * 4 + 1] > 0 ? churn[c * 4] / churn[c * 4 + 1] : NAN;
        pr->mean_arpu[c] = churn[c * 4 + 3] > 0 ? churn[c * 4 + 2] / churn[c * 4 + 3] : NAN;
    }
    free(out_labels); free(out_dist); free(kept_dist); free(values); free(churn);
    return st;
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

clm_status clm_kmeans_run(const clm_kmeans_params *p, const char *input_path,
                          const char *output_path, FILE *report)
{
    clm_status st = clm_kmeans_params_check(p);
    if (st)
        return st;
    if (p->initial_centroids)
        return clm_error(CLM_E_PARAM, "k-means: initial centroids are for the in-memory API only");
    clm_table *table = NULL;
    km_features f;
    memset(&f, 0, sizeof f);
    km_profile pr;
    memset(&pr, 0, sizeof pr);
    clm_kmeans *model = NULL;
    int32_t *labels = NULL;
    clm_writer *w = NULL;
    clm_textfile *csv = NULL;
    char *csv_path = p->segments_csv ? NULL : csv_beside(output_path);
    const char *inputs[] = {input_path, NULL};

    if (!p->segments_csv && !csv_path)
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory");
    if (!st) st = clm_table_open(input_path, p->group, &table);
    if (!st) st = km_features_select(table, p, &f);
    if (!st) st = km_features_load(table, p, &f);
    /* Close the input while clustering: its HDF5 chunk caches would sit on
     * top of the matrix at the memory peak.  Reopened for the output pass. */
    clm_table_close(table);
    table = NULL;
    if (!st) st = clm_kmeans_create(p, &model);
    if (!st) {
        labels = malloc(sizeof(int32_t) * (size_t)f.n_rows);
        if (!labels)
            st = clm_error(CLM_E_NOMEM, "k-means: out of memory for %lld labels", (long long)f.n_rows);
    }
    if (!st && p->progress)
        p->progress(p->progress_ctx, "clustering", 0, f.n_rows);
    if (!st) st = clm_kmeans_fit(model, f.rows, f.n_rows, f.n_features, f.weights, labels);
    if (!st && p->progress)
        p->progress(p->progress_ctx, "clustering", f.n_rows, f.n_rows);
    if (!st) st = km_profile_alloc(&pr, clm_kmeans_k(model), f.n_features);
    if (!st) st = clm_table_open(input_path, p->group, &table);
    if (!st) st = clm_writer_create(output_path, inputs, &w);
    if (!st) st = write_rows(p, table, &f, model, labels, w, &pr);
    if (!st) st = km_profile_describe(&pr, &f, clm_kmeans_centroids(model));
    if (!st) st = km_save_model(w, model, p, &f, &pr);
    if (!st) st = km_profile_csv(&pr, &f, p->segments_csv ? p->segments_csv : csv_path, inputs, &csv);
    if (!st) {
        st = clm_writer_commit(w);
        w = NULL;
    }
    if (!st) {
        st = clm_textfile_commit(csv);
        csv = NULL;
    }
    if (!st && report) {
        print_k_table(model, report);
        fprintf(report, "k-means: k = %d, %d iterations, inertia %.6g, %lld rows x %d features%s\n",
                clm_kmeans_k(model), clm_kmeans_iterations(model), clm_kmeans_inertia(model),
                (long long)f.n_rows, f.n_features, p->scale ? " (standardised)" : "");
        if (f.n_input_rows != f.n_rows)
            fprintf(report, "k-means: %lld rows with missing values dropped (label -1)\n",
                    (long long)(f.n_input_rows - f.n_rows));
        if (f.n_imputed)
            fprintf(report, "k-means: %lld missing values imputed with the column mean\n",
                    (long long)f.n_imputed);
        km_profile_print(&pr, &f, report);
    }
    clm_writer_abort(w);
    clm_textfile_abort(csv);
    clm_kmeans_free(model);
    km_profile_free(&pr);
    km_features_free(&f);
    free(labels);
    free(csv_path);
    clm_table_close(table);
    return st;
}

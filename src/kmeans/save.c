/*
 * save.c — the model part of /segments in a results file: centroids (in
 * original units, attribute `features`), the centroids in the clustering
 * space and the standardisation (so `clmseg predict` can reapply the model
 * exactly), sizes, the profile, the --k auto table, the attributes k,
 * inertia, iterations, seed, product, and for a table fit the per-row
 * label and distance columns.  docs/kmeans.md lists the schema.
 */
#include <stdlib.h>

#include <stdio.h>

#include "core/util_internal.h"
#include "io/io_internal.h"
#include "kmeans/kmeans_internal.h"
#include "kmeans/kmeans_ranks.h"

const char *const km_missing_names[3] = {"fail", "drop", "impute"};

const char *km_missing_name(clm_missing_policy policy)
{
    return policy == CLM_MISSING_DROP || policy == CLM_MISSING_IMPUTE ? km_missing_names[policy]
                                                                      : km_missing_names[0];
}

static const char *init_name(const clm_kmeans_params *p)
{
    if (p->initial_centroids)
        return "given";
    switch (p->init) {
    case CLM_KMEANS_INIT_PLUSPLUS: return "k-means++";
    case CLM_KMEANS_INIT_PARALLEL: return "k-means||";
    case CLM_KMEANS_INIT_RANDOM: return "random";
    default: return "auto";
    }
}

/* "<group>/<name>" in a fixed buffer (HDF5 paths here are short). */
static const char *at(char *buf, size_t cap, const char *group, const char *name)
{
    snprintf(buf, cap, "%s/%s", strcmp(group, "/") ? group : "", name);
    return buf;
}

clm_status km_save_model(clm_writer *w, const clm_kmeans *model, const char *g)
{
    const clm_kmeans_params *p = &model->params;
    const km_features *f = &model->features;
    const km_profile *pr = &model->profile;
    const int k = clm_kmeans_k(model), d = f->n_features;
    const int64_t dims[2] = {k, d};
    const char *const *names = (const char *const *)f->names;
    char b[512];
    clm_status st = clm_writer_group(w, g);
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "centroids"), CLM_DT_FLOAT32, 2, dims, pr->centroids);
    if (!st) st = clm_writer_attr_strings(w, at(b, sizeof b, g, "centroids"), "features", names, d);
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "centroids_scaled"), CLM_DT_FLOAT32, 2, dims,
                                   clm_kmeans_centroids(model));
    if (!st) st = clm_writer_attr_strings(w, at(b, sizeof b, g, "centroids_scaled"), "features", names, d);
    if (!st) st = clm_writer_strings(w, at(b, sizeof b, g, "features"), names, d);
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "size"), CLM_DT_INT64, 1, dims, pr->size);

    if (!st) st = clm_writer_attr_i64(w, g, "k", k);
    if (!st) st = clm_writer_attr_f64(w, g, "inertia", clm_kmeans_inertia(model));
    if (!st) st = clm_writer_attr_i64(w, g, "iterations", clm_kmeans_iterations(model));
    if (!st) st = clm_writer_attr_i64(w, g, "seed", (int64_t)p->seed);
    if (!st) st = clm_writer_attr_i64(w, g, "n_init", p->n_init);
    if (!st) st = clm_writer_attr_i64(w, g, "max_iter", p->max_iter);
    if (!st) st = clm_writer_attr_f64(w, g, "tol", p->tol);
    if (!st) st = clm_writer_attr_string(w, g, "init", init_name(p));
    /* the product actually used, so predict assigns with the same one */
    if (!st) st = clm_writer_attr_string(w, g, "product",
                                         km_product_names[km_product_choose(model->product, k, d)]);
    if (!st) st = clm_writer_attr_strings(w, g, "features", names, d);
    if (!st) st = clm_writer_attr_i64(w, g, "scaled", p->scale ? 1 : 0);
    /* x' = (x - scale_center) / scale_scale, the exact transform the model uses */
    if (!st) st = clm_writer_attr_f64_array(w, g, "scale_center", f->center, d);
    if (!st) st = clm_writer_attr_f64_array(w, g, "scale_scale", f->scale, d);
    if (!st) st = clm_writer_attr_f64_array(w, g, "feature_mean", f->mean, d);
    if (!st) st = clm_writer_attr_f64_array(w, g, "feature_std", f->std, d);
    if (!st) st = clm_writer_attr_string(w, g, "missing", km_missing_name(p->missing));
    if (!st) st = clm_writer_attr_i64(w, g, "n_rows_clustered", f->n_rows);
    if (!st) st = clm_writer_attr_i64(w, g, "n_rows_dropped", f->n_input_rows - f->n_rows);
    if (!st) st = clm_writer_attr_i64(w, g, "n_values_imputed", f->n_imputed);
    if (!st) st = clm_writer_attr_string(w, g, "sample_weight", model->weight_column);
    if (!st) st = clm_writer_attr_string(w, g, "distance",
                                         "Euclidean distance to the assigned centroid in the clustering (standardised) space");

    /* profile */
    const int64_t kdim[1] = {k};
    if (!st) st = clm_writer_group(w, at(b, sizeof b, g, "profile"));
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "profile/size"), CLM_DT_INT64, 1, kdim, pr->size);
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "profile/share"), CLM_DT_FLOAT64, 1, kdim, pr->share);
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "profile/churn_rate"), CLM_DT_FLOAT64, 1, kdim, pr->churn_rate);
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "profile/mean_arpu"), CLM_DT_FLOAT64, 1, kdim, pr->mean_arpu);
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "profile/centroid"), CLM_DT_FLOAT32, 2, dims, pr->centroids);
    if (!st) st = clm_writer_attr_strings(w, at(b, sizeof b, g, "profile/centroid"), "features", names, d);
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "profile/zscore"), CLM_DT_FLOAT32, 2, dims, pr->zscore);
    if (!st) st = clm_writer_attr_strings(w, at(b, sizeof b, g, "profile/zscore"), "features", names, d);
    if (!st) st = clm_writer_strings(w, at(b, sizeof b, g, "profile/distinguishing"),
                                     (const char *const *)pr->distinguishing, k);
    if (!st) st = clm_writer_strings(w, at(b, sizeof b, g, "profile/name"), (const char *const *)pr->name, k);
    /* the previous quarter's segment each one continues (-1: none, or no
     * previous run to match) */
    int32_t *continues = st ? NULL : malloc(sizeof(int32_t) * (size_t)k);
    if (!st && !continues)
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory");
    for (int c = 0; !st && c < k; c++)
        continues[c] = model->continues ? model->continues[c] : -1;
    if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "continues"), CLM_DT_INT32, 1, kdim, continues);
    free(continues);
    if (!st) st = clm_writer_attr_string(w, at(b, sizeof b, g, "profile"), "churn_column",
                                         model->event_column);
    if (!st) st = clm_writer_attr_string(w, at(b, sizeof b, g, "profile"), "arpu_column",
                                         model->arpu_column);

    /* --k auto: the table the choice was made from */
    int n_scores = 0;
    const clm_kmeans_k_score *scores = clm_kmeans_k_scores(model, &n_scores);
    if (!st && n_scores > 0) {
        int64_t *ks = malloc(sizeof(int64_t) * (size_t)n_scores);
        double *inertia = malloc(sizeof(double) * (size_t)n_scores);
        double *sil = malloc(sizeof(double) * (size_t)n_scores);
        const int64_t sdim[1] = {n_scores};
        if (!ks || !inertia || !sil)
            st = clm_error(CLM_E_NOMEM, "k-means: out of memory");
        for (int i = 0; !st && i < n_scores; i++) {
            ks[i] = scores[i].k;
            inertia[i] = scores[i].inertia;
            sil[i] = scores[i].silhouette;
        }
        if (!st) st = clm_writer_group(w, at(b, sizeof b, g, "k_selection"));
        if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "k_selection/k"), CLM_DT_INT64, 1, sdim, ks);
        if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "k_selection/inertia"), CLM_DT_FLOAT64, 1, sdim, inertia);
        if (!st) st = clm_writer_array(w, at(b, sizeof b, g, "k_selection/silhouette"), CLM_DT_FLOAT64, 1, sdim, sil);
        if (!st) st = clm_writer_attr_string(w, at(b, sizeof b, g, "k_selection"), "criterion",
                                             "highest mean silhouette on a seeded sample (smaller k on ties)");
        if (!st) st = clm_writer_attr_i64(w, at(b, sizeof b, g, "k_selection"), "sample_rows", p->select_sample);
        free(ks); free(inertia); free(sil);
    }
    return st;
}

/* Per-row columns of a table fit.  Fitted on several ranks, each rank
 * holds its own rows: the columns are laid out here, zero-filled, and
 * each rank writes its rows into them after the file is closed
 * (km_save_rank_rows). */
static clm_status save_rows(const clm_kmeans *m, clm_writer *w, const char *g)
{
    char b[512];
    if (m->rows_on_ranks) {
        clm_status st = io_writer_column_zeros(w, at(b, sizeof b, g, "label"), CLM_DT_INT32, m->n_rows);
        if (!st)
            st = io_writer_column_zeros(w, at(b, sizeof b, g, "distance"), CLM_DT_FLOAT32, m->n_rows);
        return st;
    }
    clm_status st = clm_writer_column_array(w, at(b, sizeof b, g, "label"), CLM_DT_INT32, m->n_rows, m->labels);
    if (!st)
        st = clm_writer_column_array(w, at(b, sizeof b, g, "distance"), CLM_DT_FLOAT32, m->n_rows, m->distances);
    return st;
}

clm_status km_save_rank_rows(const clm_kmeans *m, const comm_ctx *comm, const char *path,
                             const char *group)
{
    if (!m->rows_on_ranks || !m->labels)
        return comm_agree(comm, CLM_OK);
    char label[512], distance[512];
    const io_rank_column columns[] = {
        {at(label, sizeof label, group, "label"), CLM_DT_INT32, m->labels, 0},
        {at(distance, sizeof distance, group, "distance"), CLM_DT_FLOAT32, m->distances, 0},
    };
    return io_write_rank_rows(comm, path, m->features.first_row, m->features.n_local_rows,
                              columns, 2);
}

clm_status clm_kmeans_save(const clm_kmeans *model, clm_writer *writer, const char *group)
{
    if (!model || model->k == 0)
        return clm_error(CLM_E_PARAM, "k-means: the model is not fitted");
    if (!model->features.names || !model->profile.size)
        return clm_error(CLM_E_PARAM, "k-means: only a model fitted on a table can be saved");
    if (!group || group[0] != '/')
        return clm_error(CLM_E_PARAM, "k-means: save needs an absolute group path, not '%s'",
                         group ? group : "(null)");
    clm_status st = model->labels ? save_rows(model, writer, group) : CLM_OK;
    if (!st)
        st = km_save_model(writer, model, group);
    return st;
}

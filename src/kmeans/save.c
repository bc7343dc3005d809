/*
 * save.c — the model part of /segments in a results file: centroids (in
 * original units, attribute `features`), the centroids in the clustering
 * space and the standardisation (so `clmseg predict` can reapply the model
 * exactly), sizes, the profile, the --k auto table, and the attributes k,
 * inertia, iterations, seed, product.  The per-row label and distance columns are
 * streamed by run.c.  docs/kmeans.md lists the schema.
 */
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"

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

clm_status km_save_model(clm_writer *w, const clm_kmeans *model, const clm_kmeans_params *p,
                         const km_features *f, const km_profile *pr)
{
    const int k = clm_kmeans_k(model), d = f->n_features;
    const int64_t dims[2] = {k, d};
    const char *const *names = (const char *const *)f->names;
    const char *g = "/segments";
    clm_status st = clm_writer_group(w, g);
    if (!st) st = clm_writer_array(w, "/segments/centroids", CLM_DT_FLOAT32, 2, dims, pr->centroids);
    if (!st) st = clm_writer_attr_strings(w, "/segments/centroids", "features", names, d);
    if (!st) st = clm_writer_array(w, "/segments/centroids_scaled", CLM_DT_FLOAT32, 2, dims,
                                   clm_kmeans_centroids(model));
    if (!st) st = clm_writer_attr_strings(w, "/segments/centroids_scaled", "features", names, d);
    if (!st) st = clm_writer_strings(w, "/segments/features", names, d);
    if (!st) st = clm_writer_array(w, "/segments/size", CLM_DT_INT64, 1, dims, pr->size);

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
                                         km_product_names[km_product_choose(p->product, k, d)]);
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
    if (!st) st = clm_writer_attr_string(w, g, "sample_weight", p->weight_column ? p->weight_column : "");
    if (!st) st = clm_writer_attr_string(w, g, "distance",
                                         "Euclidean distance to the assigned centroid in the clustering (standardised) space");

    /* profile */
    const int64_t kdim[1] = {k};
    if (!st) st = clm_writer_group(w, "/segments/profile");
    if (!st) st = clm_writer_array(w, "/segments/profile/size", CLM_DT_INT64, 1, kdim, pr->size);
    if (!st) st = clm_writer_array(w, "/segments/profile/share", CLM_DT_FLOAT64, 1, kdim, pr->share);
    if (!st) st = clm_writer_array(w, "/segments/profile/churn_rate", CLM_DT_FLOAT64, 1, kdim, pr->churn_rate);
    if (!st) st = clm_writer_array(w, "/segments/profile/mean_arpu", CLM_DT_FLOAT64, 1, kdim, pr->mean_arpu);
    if (!st) st = clm_writer_array(w, "/segments/profile/centroid", CLM_DT_FLOAT32, 2, dims, pr->centroids);
    if (!st) st = clm_writer_attr_strings(w, "/segments/profile/centroid", "features", names, d);
    if (!st) st = clm_writer_array(w, "/segments/profile/zscore", CLM_DT_FLOAT32, 2, dims, pr->zscore);
    if (!st) st = clm_writer_attr_strings(w, "/segments/profile/zscore", "features", names, d);
    if (!st) st = clm_writer_strings(w, "/segments/profile/distinguishing",
                                     (const char *const *)pr->distinguishing, k);
    if (!st) st = clm_writer_attr_string(w, "/segments/profile", "churn_column",
                                         p->event_column ? p->event_column : "");
    if (!st) st = clm_writer_attr_string(w, "/segments/profile", "arpu_column",
                                         p->arpu_column ? p->arpu_column : "");

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
        if (!st) st = clm_writer_group(w, "/segments/k_selection");
        if (!st) st = clm_writer_array(w, "/segments/k_selection/k", CLM_DT_INT64, 1, sdim, ks);
        if (!st) st = clm_writer_array(w, "/segments/k_selection/inertia", CLM_DT_FLOAT64, 1, sdim, inertia);
        if (!st) st = clm_writer_array(w, "/segments/k_selection/silhouette", CLM_DT_FLOAT64, 1, sdim, sil);
        if (!st) st = clm_writer_attr_string(w, "/segments/k_selection", "criterion",
                                             "highest mean silhouette on a seeded sample (smaller k on ties)");
        if (!st) st = clm_writer_attr_i64(w, "/segments/k_selection", "sample_rows", p->select_sample);
        free(ks); free(inertia); free(sil);
    }
    return st;
}

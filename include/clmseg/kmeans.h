/*
 * clmseg/kmeans.h — k-means segmentation of subscribers.
 *
 * The estimator shape of docs/design.md §10:
 *
 *   clm_kmeans_params     algorithm parameters (no column names, no paths);
 *   clm_kmeans_columns    which columns of a table to use;
 *   clm_kmeans_fit_table  selects and standardises the features of an open
 *                         clm_table, fits, and keeps in the model what a
 *                         run needs afterwards: every row's label and
 *                         distance, and the segment profile;
 *   clm_kmeans_create + clm_kmeans_fit   the same on rows in memory;
 *   clm_kmeans_save       writes the model (and the per-row labels of a
 *                         table fit) into a group of a results file;
 *   clm_kmeans_load       reads a saved model back (for predict);
 *   clm_kmeans_predict    assigns rows in memory (raw feature units);
 *   getters, clm_kmeans_write_csv / clm_kmeans_print, clm_kmeans_free.
 *
 * Properties (docs/kmeans.md): distances are one sgemm per row block plus
 * a vectorised argmin; centroid sums are per-chunk partial sums merged in
 * fixed chunk order, so labels, centroids and inertia are bit-identical
 * for any thread count; inertia is exact (double, direct differences).
 */
#ifndef CLMSEG_KMEANS_H
#define CLMSEG_KMEANS_H

#include <stdint.h>
#include <stdio.h>

#include "clmseg/kernels.h"
#include "clmseg/export.h"
#include "clmseg/status.h"
#include "clmseg/table.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the initial centroids are chosen. */
typedef enum clm_kmeans_init {
    CLM_KMEANS_INIT_AUTO = 0,     /* k-means++ (measured faster here; docs/kmeans.md) */
    CLM_KMEANS_INIT_PLUSPLUS = 1, /* greedy k-means++, 2 + ln k candidates per step  */
    CLM_KMEANS_INIT_PARALLEL = 2, /* k-means|| (5 rounds, oversampling 2k)            */
    CLM_KMEANS_INIT_RANDOM = 3    /* k distinct rows drawn uniformly                  */
} clm_kmeans_init;

/* How the assignment pass computes the block of dot products -2 X C^T
 * (docs/kmeans.md §3).  Only the last bit of a few near-tie distances can
 * differ between the two; the choice never depends on the thread count. */
typedef enum clm_kmeans_product {
    CLM_KMEANS_PRODUCT_AUTO = 0,  /* fused for k <= 8 (unless k < 4 and more
                                     than 32 features), else sgemm        */
    CLM_KMEANS_PRODUCT_SGEMM = 1, /* one cblas_sgemm per row block         */
    CLM_KMEANS_PRODUCT_FUSED = 2  /* register-blocked kernel, k <= 8 best  */
} clm_kmeans_product;

/* What to do with a row holding a missing (NaN) or infinite feature. */
typedef enum clm_missing_policy {
    CLM_MISSING_FAIL = 0,   /* error naming the file, the column and the first row */
    CLM_MISSING_DROP = 1,   /* leave the row out: label -1, distance NaN          */
    CLM_MISSING_IMPUTE = 2  /* replace by the column mean of the present values   */
} clm_missing_policy;

typedef struct clm_kmeans_params {
    /* --- clustering (every entry point) --- */
    int32_t k;             /* clusters; 0 = choose in [k_min, k_max] (default 8) */
    int32_t k_min, k_max;  /* range searched when k == 0 (default 2..10)         */
    clm_kmeans_init init;  /* default CLM_KMEANS_INIT_AUTO                       */
    int32_t n_init;        /* restarts, lowest inertia kept (default 1)          */
    int32_t max_iter;      /* Lloyd iterations at most (default 300)             */
    double tol;            /* stop when the squared centroid shift is at most
                              tol x mean feature variance (default 1e-4)        */
    uint64_t seed;         /* default 42                                         */
    int32_t n_threads;     /* 0: all cores (omp_get_max_threads)                 */
    clm_kmeans_product product; /* default CLM_KMEANS_PRODUCT_AUTO               */
    int64_t select_sample; /* rows of the seeded sample on which the k criterion
                              (mean silhouette) is computed (default 4000)      */
    const float *initial_centroids; /* k x n_features in the clustering space, or
                              NULL; replaces `init` (needs k > 0, n_init == 1).
                              Borrowed: must stay valid during fit.            */

    int scale;             /* z-score features (default 1); a fit on rows in
                              memory never scales (the rows are the space)   */
    clm_missing_policy missing; /* table fits and predict (default FAIL)       */

    clm_progress_fn progress;        /* may be NULL                           */
    void *progress_ctx;
    const clm_kernels *kernels; /* NULL: clm_kernels_default() */
} clm_kmeans_params;

/* Fills the defaults above. */
CLM_API void clm_kmeans_params_default(clm_kmeans_params *params);

/* Checks the parameters alone; CLM_E_PARAM with a detail naming the wrong
 * one (k < 0, k_min < 1, k_min > k_max, n_init < 1, max_iter < 1, tol < 0
 * or NaN, n_threads < 0, select_sample < 2, initial_centroids with k == 0
 * or n_init > 1, unknown init or missing policy). */
CLM_API clm_status clm_kmeans_params_check(const clm_kmeans_params *params);

typedef struct clm_kmeans clm_kmeans;

/* One row of the table from which --k auto decided. */
typedef struct clm_kmeans_k_score {
    int32_t k;
    double inertia;     /* on all rows                          */
    double silhouette;  /* mean silhouette on the seeded sample */
    int32_t iterations;
} clm_kmeans_k_score;

/* Creates an unfitted model with a copy of the numeric parameters (the
 * string and pointer fields are borrowed until the next fit).  Checks
 * them first.  Errors: CLM_E_PARAM, CLM_E_NOMEM. */
CLM_API clm_status clm_kmeans_create(const clm_kmeans_params *params, clm_kmeans **out);

/* Fits on `rows` (n_rows x n_features float32, row-major, already in the
 * space to cluster: no scaling is done here).  `weights`: n_rows
 * non-negative sample weights or NULL.  `labels` (n_rows, caller-owned)
 * receives the cluster of every row; it is also used as scratch during
 * seeding, so no other N-sized buffer is allocated.  Errors: CLM_E_PARAM
 * (n_features < 1, fewer rows than k), CLM_E_VALUE (non-finite value),
 * CLM_E_NOMEM.  Thread-safe for different models. */
CLM_API clm_status clm_kmeans_fit(clm_kmeans *model, const float *rows, int64_t n_rows,
                          int32_t n_features, const float *weights, int32_t *labels);

/* Getters of a fitted model (0 / NULL before fit).  Pointers stay valid
 * until the next fit or free. */
CLM_API int32_t clm_kmeans_k(const clm_kmeans *model);
CLM_API int32_t clm_kmeans_n_features(const clm_kmeans *model);
CLM_API const float *clm_kmeans_centroids(const clm_kmeans *model); /* k x n_features */
CLM_API double clm_kmeans_inertia(const clm_kmeans *model);  /* sum w ||x - c||^2, exact */
CLM_API int32_t clm_kmeans_iterations(const clm_kmeans *model);
CLM_API double clm_kmeans_seeding_seconds(const clm_kmeans *model); /* of the kept run */
/* The --k auto table (count 0 when k was given). */
CLM_API const clm_kmeans_k_score *clm_kmeans_k_scores(const clm_kmeans *model, int *count);

/* Frees the model; NULL is fine. */
CLM_API void clm_kmeans_free(clm_kmeans *model);

/* ---- fitting on a table ---------------------------------------------- */

/* Which columns of a table k-means uses.  NULL fields mean "none". */
typedef struct clm_kmeans_columns {
    const char *const *features; /* NULL-terminated names, or NULL for every
                                    numeric column but id/time/event/weight */
    const char *id;              /* excluded from the default features
                                    (default "subscriber_id")              */
    const char *time;            /* excluded (default "tenure_months")     */
    const char *event;           /* excluded; the profile's churn rate
                                    (default "churned")                    */
    const char *arpu;            /* the profile's mean ARPU (default "arpu") */
    const char *weight;          /* sample weights, or NULL (default)      */
} clm_kmeans_columns;

/* Fills the defaults above. */
CLM_API void clm_kmeans_columns_default(clm_kmeans_columns *columns);

/* Fits on the rows of an open table: chooses the feature columns, reads
 * them (on the calling thread), applies params->missing, standardises
 * (params->scale), fits, and computes every row's label (-1 for a row
 * dropped by CLM_MISSING_DROP) and distance, and the profile of each
 * segment (size, churn rate, mean ARPU, centroids in original units,
 * z-scores, the features that set it apart).  The N x d matrix is freed
 * before returning; the model keeps 8 bytes a row.  Errors: those of
 * table.h, CLM_E_PARAM, CLM_E_SCHEMA (unknown or non-numeric feature),
 * CLM_E_VALUE (missing value under CLM_MISSING_FAIL, bad weight: the
 * detail names the file, column and row), CLM_E_EMPTY (no rows left),
 * CLM_E_NOMEM.  On success *out owns the model. */
CLM_API clm_status clm_kmeans_fit_table(const clm_kmeans_params *params,
                                const clm_kmeans_columns *columns,
                                const clm_table *table, clm_kmeans **out);

/* Rows of the table the model was fitted on (0 after an in-memory fit),
 * and per-row results: label (-1 = dropped) and Euclidean distance to the
 * assigned centroid in the clustering space (NaN when dropped).  NULL
 * after an in-memory fit. */
CLM_API int64_t clm_kmeans_n_rows(const clm_kmeans *model);
CLM_API const int32_t *clm_kmeans_labels(const clm_kmeans *model);
CLM_API const float *clm_kmeans_distances(const clm_kmeans *model);

/* Name of feature j (NULL after an in-memory fit). */
CLM_API const char *clm_kmeans_feature_name(const clm_kmeans *model, int32_t feature);

/* The profile of a table fit (NULL after an in-memory fit): rows per
 * segment (k), churn rate and mean ARPU (k; NaN without those columns),
 * centroids in original units and their z-scores against all rows
 * (k x n_features), and one "sets it apart" text per segment. */
typedef struct clm_kmeans_profile {
    int32_t k, n_features;
    const int64_t *size;
    const double *share;
    const double *churn_rate;
    const double *mean_arpu;
    const float *centroids;
    const float *zscore;
    const char *const *distinguishing;
    const char *const *name;     /* k names from the distinguishing features
                                    ("high data gb · low tenure"), or as set
                                    by clm_kmeans_set_name (docs/kmeans.md) */
} clm_kmeans_profile;

/* Replaces the name of `segment` in the profile (a copy is kept); the
 * name is written to segments.csv and /segments/profile/name.  Errors:
 * CLM_E_PARAM (no profile, segment out of range, NULL or empty name),
 * CLM_E_NOMEM. */
CLM_API clm_status clm_kmeans_set_name(clm_kmeans *model, int32_t segment, const char *name);

/* Fills *profile; returns CLM_E_PARAM when the model has no profile. */
CLM_API clm_status clm_kmeans_get_profile(const clm_kmeans *model, clm_kmeans_profile *profile);

/* Writes the model into `group` of `writer` ("/segments"): centroids in
 * original and clustering units, the standardisation, sizes, profile,
 * the --k auto table, the parameters as attributes, and for a table fit
 * the per-row `label` and `distance` columns (docs/kmeans.md). */
CLM_API clm_status clm_kmeans_save(const clm_kmeans *model, clm_writer *writer, const char *group);

/* The profile as CSV (segments.csv: one row per segment) and as the
 * printed summary (the --k auto table, the fit line, the profile).
 * CLM_E_PARAM without a profile; CLM_E_IO when writing fails. */
CLM_API clm_status clm_kmeans_write_csv(const clm_kmeans *model, FILE *out);
CLM_API void clm_kmeans_print(const clm_kmeans *model, FILE *out);

/* ---- segments that keep their meaning from one quarter to the next --- */

/* Minimum-cost assignment (linear sum assignment) of n_rows rows to n_cols
 * columns: `cost` is n_rows x n_cols, row-major, finite.  min(n_rows,
 * n_cols) pairs are made, each row and column in one pair at most, with
 * the least total cost; match[i] (n_rows, caller-owned) receives the
 * column of row i, or -1 for a row left out (n_rows > n_cols).  *total
 * (may be NULL) receives the cost of the pairs.  Shortest augmenting
 * paths with dual potentials (Jonker-Volgenant style), O(n^2 m) for n =
 * min, m = max of the sizes; ties go to the lower column index, so the
 * result is deterministic.  Errors: CLM_E_PARAM (a size < 0 or > 4096,
 * NULL cost or match with a size > 0), CLM_E_VALUE (a non-finite cost),
 * CLM_E_NOMEM.  Thread-safe. */
CLM_API clm_status clm_kmeans_assignment(const double *cost, int32_t n_rows, int32_t n_cols,
                                         int32_t *match, double *total);

/* The cost of continuing each of `previous`'s segments by each of
 * `model`'s: cost[i * k_previous + j] (k_model x k_previous, caller-owned)
 * is the squared Euclidean distance, in `model`'s standardised clustering
 * space, between model's centroid i and previous's centroid j (mapped to
 * original units by previous's own standardisation, then into model's).
 * Features are matched by name for models fitted on a table or loaded;
 * two in-memory fits must have the same n_features and share one space.
 * Errors: CLM_E_PARAM (a model not fitted), CLM_E_SCHEMA (a feature of
 * `model` that `previous` lacks, named, or different feature counts). */
CLM_API clm_status clm_kmeans_match_cost(const clm_kmeans *model, const clm_kmeans *previous, double *cost);

/* clm_kmeans_match_cost + clm_kmeans_assignment: match[i] (k of `model`)
 * is the segment of `previous` that model's segment i continues, or -1
 * when none does (model has more segments).  *total (may be NULL): the
 * summed squared distance of the pairs.  Errors: as both. */
CLM_API clm_status clm_kmeans_match(const clm_kmeans *model, const clm_kmeans *previous, int32_t *match,
                                    double *total);

/* Renumbers the segments of `model` after a match against a model of
 * `previous_k` segments, so that a segment continuing the previous
 * segment j is numbered j.  Numbers stay 0..k-1: when k >= previous_k
 * every previous number is carried by its continuation and the segments
 * continuing none take previous_k, previous_k + 1, ... in their former
 * order; when k < previous_k the continuations of segments numbered >= k
 * take, in the order of those numbers, the numbers below k that no
 * continuation holds (docs/kmeans.md).  Centroids, the profile, the
 * per-row labels of a table fit and clm_kmeans_continues() follow.
 * `match` is what clm_kmeans_match gave (k entries).  Errors: CLM_E_PARAM
 * (not fitted, previous_k < 1, a match entry out of range or repeated). */
CLM_API clm_status clm_kmeans_relabel(clm_kmeans *model, const int32_t *match, int32_t previous_k);

/* After clm_kmeans_relabel: per segment (k), the previous segment it
 * continues (its own number, or -1).  NULL before any relabel. */
CLM_API const int32_t *clm_kmeans_continues(const clm_kmeans *model);

/* ---- reapplying a saved model ---------------------------------------- */

/* Loads the model saved in `group` of the results file `path` (feature
 * names, standardisation, missing policy, centroids, product), ready for
 * clm_kmeans_predict and clm_kmeans_predict_table.  `n_threads` as in the
 * params.  Errors: CLM_E_OPEN (no such file), CLM_E_FORMAT (not a saved
 * model; the detail says what is missing), CLM_E_NOMEM.  Use
 * clm_kmeans_saved_in() first to tell "no model" from "bad model". */
CLM_API clm_status clm_kmeans_load(const char *path, const char *group, int32_t n_threads,
                           clm_kmeans **out);

/* 1 when `group` of the results file `path` holds a saved k-means model,
 * 0 when it does not (or the file cannot be read). */
CLM_API int clm_kmeans_saved_in(const char *path, const char *group);

/* Assigns rows to the nearest fitted centroid.  `rows` (n_rows x
 * n_features, row-major) are in the units the model was fitted on: raw
 * feature values for a table fit (the saved standardisation and missing
 * policy are applied here: a missing value fails with CLM_E_VALUE naming
 * the feature and the row, is dropped (label -1, distance NaN) or
 * imputed), the clustering space for an in-memory fit.  `distances` (may
 * be NULL) gets the exact Euclidean distance in the clustering space.
 * Errors: CLM_E_PARAM (not fitted, wrong n_features), CLM_E_VALUE,
 * CLM_E_NOMEM. */
CLM_API clm_status clm_kmeans_predict(const clm_kmeans *model, const float *rows, int64_t n_rows,
                              int32_t n_features, int32_t *labels, float *distances);

/* Assigns every row of an open table (feature columns matched by name,
 * read in blocks on the calling thread): labels and distances hold
 * clm_table_n_rows(table) values each.  Errors: CLM_E_SCHEMA (a feature
 * missing or not numeric), those of clm_kmeans_predict with the file,
 * column and row named. */
CLM_API clm_status clm_kmeans_predict_table(const clm_kmeans *model, const clm_table *table,
                                    int32_t *labels, float *distances);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_KMEANS_H */

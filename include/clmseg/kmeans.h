/*
 * clmseg/kmeans.h — k-means segmentation of subscribers.
 *
 * Two levels of use:
 *
 *   - the model on an in-memory float32 matrix (rows x features,
 *     row-major): clm_kmeans_params_default / _check / clm_kmeans_create /
 *     clm_kmeans_fit / getters / clm_kmeans_predict / clm_kmeans_free;
 *   - the whole command on a subscriber table: clm_kmeans_run() selects
 *     and standardises the features, fits, and writes /segments of a
 *     results file plus segments.csv and a printed profile;
 *     clm_kmeans_apply_saved() reapplies a saved model to a new quarter
 *     (`clmseg predict`).
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

    /* --- table level (clm_kmeans_run, clm_kmeans_apply_saved) --- */
    const char *group;               /* NULL: "/subscribers"                  */
    const char *const *features;     /* NULL-terminated names, or NULL for every
                                        numeric column but id/time/event/weight */
    const char *id_column;           /* default "subscriber_id"               */
    const char *time_column;         /* default "tenure_months"               */
    const char *event_column;        /* default "churned" (churn rate)        */
    const char *arpu_column;         /* default "arpu" (profile mean ARPU)    */
    const char *weight_column;       /* sample weights, or NULL               */
    int scale;                       /* z-score features (default 1)          */
    clm_missing_policy missing;      /* default CLM_MISSING_FAIL              */
    const char *segments_csv;        /* profile CSV path; NULL: "segments.csv"
                                        in the folder of the output           */

    clm_progress_fn progress;        /* may be NULL                           */
    void *progress_ctx;
    const clm_kernels *kernels; /* NULL: clm_kernels_default() */
} clm_kmeans_params;

/* Fills the defaults above. */
void clm_kmeans_params_default(clm_kmeans_params *params);

/* Checks the parameters alone; CLM_E_PARAM with a detail naming the wrong
 * one (k < 0, k_min < 1, k_min > k_max, n_init < 1, max_iter < 1, tol < 0
 * or NaN, n_threads < 0, select_sample < 2, initial_centroids with k == 0
 * or n_init > 1, unknown init or missing policy). */
clm_status clm_kmeans_params_check(const clm_kmeans_params *params);

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
clm_status clm_kmeans_create(const clm_kmeans_params *params, clm_kmeans **out);

/* Fits on `rows` (n_rows x n_features float32, row-major, already in the
 * space to cluster: no scaling is done here).  `weights`: n_rows
 * non-negative sample weights or NULL.  `labels` (n_rows, caller-owned)
 * receives the cluster of every row; it is also used as scratch during
 * seeding, so no other N-sized buffer is allocated.  Errors: CLM_E_PARAM
 * (n_features < 1, fewer rows than k), CLM_E_VALUE (non-finite value),
 * CLM_E_NOMEM.  Thread-safe for different models. */
clm_status clm_kmeans_fit(clm_kmeans *model, const float *rows, int64_t n_rows,
                          int32_t n_features, const float *weights, int32_t *labels);

/* Getters of a fitted model (0 / NULL before fit).  Pointers stay valid
 * until the next fit or free. */
int32_t clm_kmeans_k(const clm_kmeans *model);
int32_t clm_kmeans_n_features(const clm_kmeans *model);
const float *clm_kmeans_centroids(const clm_kmeans *model); /* k x n_features */
double clm_kmeans_inertia(const clm_kmeans *model);  /* sum w ||x - c||^2, exact */
int32_t clm_kmeans_iterations(const clm_kmeans *model);
double clm_kmeans_seeding_seconds(const clm_kmeans *model); /* of the kept run */
/* The --k auto table (count 0 when k was given). */
const clm_kmeans_k_score *clm_kmeans_k_scores(const clm_kmeans *model, int *count);

/* Assigns rows to the nearest fitted centroid; `distances` (may be NULL)
 * gets the Euclidean distance to it, computed exactly.  Errors:
 * CLM_E_PARAM (not fitted, wrong n_features), CLM_E_NOMEM. */
clm_status clm_kmeans_predict(const clm_kmeans *model, const float *rows, int64_t n_rows,
                              int32_t n_features, int32_t *labels, float *distances);

/* Frees the model; NULL is fine. */
void clm_kmeans_free(clm_kmeans *model);

/* The `clmseg kmeans` command: reads the features of `input_path` (group
 * params->group), handles missing values, standardises, fits, and writes
 * `output_path` (/segments: label, distance, centroids, size, profile,
 * model attributes) and the segments CSV; prints the segment profile (and
 * the --k auto table) to `report` when it is not NULL.  Every output is
 * atomic; on error nothing is left under the final names.  Errors: those
 * of table.h / writer.h, CLM_E_SCHEMA (unknown or non-numeric feature),
 * CLM_E_VALUE (missing value under CLM_MISSING_FAIL, bad weight: the
 * detail names the file, column and row), CLM_E_EMPTY (no rows left). */
clm_status clm_kmeans_run(const clm_kmeans_params *params, const char *input_path,
                          const char *output_path, FILE *report);

/* The k-means applier of `clmseg predict`: if `results_path` holds a
 * /segments model, assigns every row of `input` to the saved centroids
 * (columns matched by name, saved standardisation and missing policy
 * reused) and writes /segments/label and /segments/distance to `output`;
 * sets *applied to 1.  Without a /segments model, *applied = 0 and
 * CLM_OK.  Errors: CLM_E_FORMAT (unreadable model), CLM_E_SCHEMA (a
 * feature missing from the input), CLM_E_VALUE (missing value under the
 * fail policy), I/O errors.  Call from the main thread. */
clm_status clm_kmeans_apply_saved(const char *results_path, const clm_table *input,
                                  clm_writer *output, int n_threads, int *applied);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_KMEANS_H */

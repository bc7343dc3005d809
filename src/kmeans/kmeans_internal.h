/*
 * kmeans_internal.h — pieces of the k-means module shared between its
 * files: the chunked view of the data that every parallel pass walks, the
 * passes themselves (assignment, inertia, variance), the seeding methods,
 * Lloyd's loop, k selection, and the table-level helpers of the command.
 *
 * Determinism rule used everywhere here: rows are cut into fixed chunks
 * whose size depends only on the number of rows; a pass computes one
 * partial result per chunk (in row order inside the chunk), and partials
 * are merged in chunk order on the calling thread.  Threads only decide
 * who computes which chunk, never the order of any floating-point sum.
 *
 * On several ranks (docs/design.md §7) the chunks are those of the whole
 * table, and each rank holds a contiguous run of them (core/comm_internal.h).
 * Every pass writes its partials at their *global* chunk index, shares
 * them (km_share: every rank then holds all of them) and merges all of
 * them in global chunk order, so the sums are those of one process; with
 * one rank km_share does nothing.
 */
#ifndef CLMSEG_KMEANS_INTERNAL_H
#define CLMSEG_KMEANS_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "clmseg/kmeans.h"
#include "kmeans/kmeans_ranks.h"
#include "clmseg/textfile.h"
#include "kernels.h"
#include "core/comm_internal.h"
#include "core/util_internal.h"

/* The data a pass walks. */
typedef struct km_data {
    const float *rows;      /* n_rows x n_features, row-major            */
    const float *weights;   /* n_rows weights, or NULL (all 1)           */
    int64_t n_rows;
    int n_features;
    int64_t chunk_rows;     /* rows per reduction chunk (depends on n)   */
    int64_t n_chunks;
    int n_threads;          /* OpenMP team size for the passes (>= 1)    */
    int product;            /* KM_PRODUCT_*, AUTO unless forced          */
    const clm_kernels *kernels; /* every kernel call goes through it     */
    /* Ranks (all equal to the one-process values when comm is NULL): rows
     * and n_rows above are this rank's; row 0 of them is global row
     * first_row, and local chunk 0 is global chunk chunk0. */
    const comm_ctx *comm;   /* the ranks, or NULL: one process           */
    int64_t n_all_rows;     /* rows over every rank                      */
    int64_t n_all_chunks;   /* chunks over every rank                    */
    int64_t first_row;
    int64_t chunk0;
} km_data;

/* Fills the chunking of `data` from n_rows; n_threads 0 means all cores.
 * The kernels are the default context (the caller may set another). */
void km_data_init(km_data *data, const float *rows, const float *weights,
                  int64_t n_rows, int n_features, int n_threads);

/* Rows per reduction chunk for n_rows rows: about n_rows / 64, clamped
 * to [4096, CLM_BLOCK_ROWS] (docs/design.md §13 rule 1). */
int64_t km_chunk_rows(int64_t n_rows);

/* The global rows [*first_row, *first_row + *n_rows) this rank holds when
 * n_all_rows rows are split by whole chunks (comm_chunks_of). */
void km_rank_rows(const comm_ctx *comm, int64_t n_all_rows, int64_t *first_row, int64_t *n_rows);

/* km_data_init for this rank's share `rows` (km_rank_rows of n_all_rows)
 * of a table of n_all_rows rows split among the ranks of `comm`. */
void km_data_init_ranks(km_data *data, const comm_ctx *comm, const float *rows,
                        const float *weights, int64_t n_all_rows, int n_features, int n_threads);

/* Every rank's partials of `parts` (n_all_chunks of chunk_bytes, this
 * rank's at their global indices) onto every rank; nothing on one rank. */
static inline clm_status km_share(const km_data *data, void *parts, size_t chunk_bytes)
{
    return comm_share_chunks(data->comm, parts, chunk_bytes, data->n_all_chunks);
}

/* Rows of chunk c: [*row0, *row0 + *count). */
static inline void km_chunk(const km_data *data, int64_t c, int64_t *row0, int64_t *count)
{
    *row0 = c * data->chunk_rows;
    int64_t end = *row0 + data->chunk_rows;
    if (end > data->n_rows)
        end = data->n_rows;
    *count = end - *row0;
}

/* Rows per sgemm block for k centroids of n_features: small enough that
 * OpenBLAS runs the call on the calling thread (m*n*k below its threading
 * threshold) and the block x k dot products stay in L1/L2. */
int64_t km_gemm_block_rows(int k, int n_features);

/* The block product -2 X C^T of the assignment pass (product.c):
 * KM_PRODUCT_BLAS, one cblas_sgemm per block; KM_PRODUCT_FUSED, the
 * register-blocked kernel of kernels/dots.c (k <= 8); AUTO picks by (k, d)
 * as measured in product.c. */
enum {
    KM_PRODUCT_AUTO = CLM_KMEANS_PRODUCT_AUTO,
    KM_PRODUCT_BLAS = CLM_KMEANS_PRODUCT_SGEMM,
    KM_PRODUCT_FUSED = CLM_KMEANS_PRODUCT_FUSED
};

typedef struct km_product {
    int method;             /* KM_PRODUCT_BLAS or KM_PRODUCT_FUSED       */
    int blas_nn;            /* BLAS with the centroids transposed (NN),
                             * which OpenBLAS's AVX-512 cores route to
                             * their unpacked small-matrix kernel        */
    int k, d;
    int ld;                 /* row stride of the dots block (>= k)       */
    const float *centroids; /* k x d, borrowed                           */
    float *prepared;        /* NN: C^T (d x k); fused: -2 C^T (d x ld)   */
    const clm_kernels *kernels; /* the fused product's dots_f32, borrowed */
} km_product;

/* Names of the KM_PRODUCT_* values, by value (the --product words and the
 * /segments attribute "product"). */
extern const char *const km_product_names[3];

/* The method AUTO resolves to for k centroids of n_features. */
int km_product_choose(int method, int k, int n_features);

clm_status km_product_init(km_product *p, const clm_kernels *kernels, int method,
                           const float *centroids, int k, int n_features);

/* dots (nb x p->ld, row-major): columns j < k hold -2 x_i . c_j. */
void km_product_block(const km_product *p, const float *x, int64_t nb, float *dots);

void km_product_free(km_product *p);

/* Assignment pass: labels[i] = nearest centroid (block product + argmin).  When
 * `sums` is not NULL it must hold, on entry, the per-cluster weighted sums
 * (k x d) and weights (`counts`, k) of the labels on entry (all zero when
 * every label is -1); they are updated to those of the new labels by
 * moving only the rows that changed cluster, the changes of each chunk
 * merged in chunk order.  *n_changed (may be NULL) counts rows whose label
 * changed. */
clm_status km_assign(const km_data *data, const float *centroids, int k,
                     int32_t *labels, double *sums, double *counts, int64_t *n_changed);

/* Exact sum of w_i ||x_i - c_{label_i}||^2 in double (chunk-ordered). */
clm_status km_inertia(const km_data *data, const float *centroids, int32_t *labels,
                      double *inertia);

/* out[i] = Euclidean distance of row i to centroid labels[i] (exact,
 * rounded to float; NaN for a negative label). */
clm_status km_distances(const km_data *data, const float *centroids, const int32_t *labels,
                        float *out);
/* km_distances into the matrix's own memory (rows == data->rows, which it
 * overwrites): on return rows[0..n_rows) are the distances, the rest of
 * the matrix is garbage (for the caller to cut off with realloc). */
clm_status km_distances_over_rows(const km_data *data, float *rows, const float *centroids,
                                  const int32_t *labels);

/* tol x mean over features of the (unweighted, population) variance. */
clm_status km_tolerance(const km_data *data, double tol, double *out);

/* Lloyd's loop from `centroids` (k x d, replaced by the final ones).
 * Fills labels (w.r.t. the final centroids), *inertia, *iterations. */
clm_status km_lloyd(const km_data *data, float *centroids, int k, int max_iter,
                    double tol_abs, int32_t *labels, double *inertia, int *iterations);

/* Seeding.  `store` is an n_rows int32 buffer used as scratch (closest
 * squared distances kept as float bit patterns, then labels). */
clm_status km_init_plusplus(const km_data *data, int k, uint64_t seed,
                            int32_t *store, float *centroids);
clm_status km_init_parallel(const km_data *data, int k, uint64_t seed,
                            int32_t *store, float *centroids);
clm_status km_init_random(const km_data *data, int k, uint64_t seed, float *centroids);

/* Mean silhouette of `n_sample` rows chosen by `seed`, each assigned to
 * its nearest of the k centroids (Euclidean, exact). */
clm_status km_silhouette(const km_data *data, const float *centroids, int k,
                         int64_t n_sample, uint64_t seed, double *out);

/* ---- random numbers: counter-based, so draws do not depend on threads -- */

static inline uint64_t km_mix(uint64_t x)
{
    return util_splitmix64(x);
}

static inline uint64_t km_hash3(uint64_t a, uint64_t b, uint64_t c)
{
    return km_mix(km_mix(km_mix(a) ^ b) ^ c);
}

/* Uniform double in [0, 1) from 53 bits. */
static inline double km_unit(uint64_t bits)
{
    return (double)(bits >> 11) * (1.0 / 9007199254740992.0);
}

/* Sequential stream for choices made on the calling thread. */
typedef struct km_rng {
    uint64_t state;
} km_rng;

static inline void km_rng_seed(km_rng *rng, uint64_t seed, uint64_t stream)
{
    rng->state = km_hash3(seed, stream, 0x6B6D65616E73ull);
}

static inline uint64_t km_rng_next(km_rng *rng)
{
    rng->state += UTIL_SPLITMIX_GAMMA;
    return km_mix(rng->state);
}

static inline double km_rng_unit(km_rng *rng)
{
    return km_unit(km_rng_next(rng));
}

/* Closest squared distances live in an int32 buffer as float bit patterns
 * (the labels buffer during seeding); memcpy keeps this free of aliasing
 * problems and compiles to a plain move. */
static inline float km_load_f32(const int32_t *store, int64_t i)
{
    float f;
    memcpy(&f, store + i, sizeof f);
    return f;
}

static inline void km_store_f32(int32_t *store, int64_t i, float f)
{
    memcpy(store + i, &f, sizeof f);
}

/* Seeding helpers shared by k-means++ and k-means|| (init_plusplus.c). */
clm_status km_update_closest(const km_data *data, const float *centres, int n_centres,
                             int first, int32_t *store, double *chunk_pot);
/* Draws a row with probability w D^2 / total over the global chunk
 * potentials `chunk_pot` (n_all_chunks); returns its global row number and
 * copies its features into `x` (n_features) on every rank; -1 and an
 * error recorded when the owner's row could not be shared. */
int64_t km_draw_row(const km_data *data, const int32_t *store, const double *chunk_pot,
                    double total, km_rng *rng, float *x);
double km_sum_in_order(const double *values, int64_t n);
/* Global row `row` (< n_all_rows): its features into `x` on every rank,
 * broadcast by the rank holding it; returns row, or -1 and an error. */
int64_t km_fetch_row(const km_data *data, int64_t row, float *x);
/* chunk_pot (n_all_chunks) = the weight of each global chunk's rows (its
 * row count without weights), shared: the potentials of a draw by weight. */
clm_status km_weight_potentials(const km_data *data, double *chunk_pot);

/* Number of threads to use for n_threads (0 = all). */
int km_threads(int n_threads);

/* ---- table level (features.c, profile.c, save.c) ----------------------- */

/* The feature matrix of a table, as the command holds it in memory. */
typedef struct km_features {
    int n_features;
    int *columns;             /* table column indices                      */
    char **names;             /* owned copies of the column names          */
    int64_t n_input_rows;     /* rows of the table                         */
    int64_t n_rows;           /* rows kept (== n_input_rows unless drop)   */
    /* On several ranks this process reads input rows [first_row,
     * first_row + n_local_rows) only; one process: 0 and n_input_rows. */
    int64_t first_row;
    int64_t n_local_rows;
    /* Kept rows this process holds: on several ranks km_rank_rows of
     * n_rows (with drop, re-cut by kept-row number); one process: n_rows. */
    int64_t n_local_kept;
    float *rows;              /* n_local_kept x n_features, clustering space */
    float *weights;           /* n_local_kept or NULL                      */
    uint8_t *dropped;         /* bitmap of this process's dropped input rows
                               * (from first_row), or NULL                 */
    int64_t n_imputed;        /* values replaced by the mean               */
    double *mean;             /* per feature, raw units, over kept rows    */
    double *std;              /* per feature, population std, raw units    */
    double *center;           /* transform: x' = (x - center) / scale      */
    double *scale;
} km_features;

/* Chooses the feature columns (columns->features or the default rule).
 * Errors name the file and the column. */
clm_status km_features_select(const clm_table *table, const clm_kmeans_columns *columns,
                              km_features *features);

/* Reads the matrix, applies the missing policy, reads weights, computes
 * mean/std and standardises (when params->scale). */
clm_status km_features_load(const clm_table *table, const clm_kmeans_params *params,
                            const clm_kmeans_columns *columns, km_features *features);

/* The same on the ranks of `comm` (NULL: one process, as above): each
 * rank reads its own rows (km_rank_rows), the moments are merged in global
 * chunk order and a bad value on any rank fails every rank with the
 * message naming its global row.  With --missing drop the kept rows are
 * re-cut onto the ranks (the chunks are those of the kept rows). */
clm_status km_features_load_ranks(const clm_table *table, const clm_kmeans_params *params,
                                  const clm_kmeans_columns *columns, const comm_ctx *comm,
                                  km_features *features);

void km_features_free(km_features *features);

static inline int km_bit(const uint8_t *bitmap, int64_t i)
{
    return (bitmap[i >> 3] >> (i & 7)) & 1;
}

/* Per-segment profile. */
typedef struct km_profile {
    int k, n_features;
    int64_t *size;            /* rows per segment                          */
    double *share;            /* size / kept rows                          */
    double *churn_rate;       /* NaN when there is no event column         */
    double *mean_arpu;        /* NaN when there is no ARPU column          */
    float *centroids;         /* k x d, original units                     */
    float *zscore;            /* k x d, (centroid - mean) / std            */
    char **distinguishing;    /* k strings: "arpu +1.52 sd; ..."           */
    char **name;              /* k names: "high data gb · low arpu" (names.c) */
} km_profile;

/* The default name of a segment from its z-scores (d of them) and the
 * feature names: the rule of names.c, into out (cap bytes). */
void km_segment_name(const float *zscore, const char *const *names, int d, char *out, size_t cap);

clm_status km_profile_alloc(km_profile *profile, int k, int n_features);
void km_profile_free(km_profile *profile);
/* Centroids in original units, z-scores and distinguishing features. */
clm_status km_profile_describe(km_profile *profile, const km_features *features,
                               const float *centroids);
void km_profile_print(const km_profile *profile, const km_features *features, FILE *out);
/* `continues`: k previous segment numbers (-1 none), or NULL. */
void km_profile_write_csv(const km_profile *profile, const km_features *features,
                          const int32_t *continues, FILE *out);
/* Writes the model and profile datasets and attributes of `group`. */
clm_status km_save_model(clm_writer *writer, const clm_kmeans *model, const char *group);

/* ---- the model object ----------------------------------------------- */

struct clm_kmeans {
    clm_kmeans_params params;   /* copy; pointer fields borrowed           */
    int32_t k;                  /* fitted k (0 before fit)                 */
    int32_t n_features;
    float *centroids;           /* k x n_features, clustering space        */
    double inertia;
    int32_t iterations;
    double seeding_seconds;
    clm_kmeans_k_score *scores; /* --k auto table                          */
    int n_scores;
    int product;                /* KM_PRODUCT_* of the assignment pass     */

    /* Table fits and loaded models (all zero after an in-memory fit). */
    km_features features;       /* names and standardisation; rows freed   */
    km_profile profile;         /* table fits only                         */
    int64_t n_rows;             /* input rows of a table fit               */
    int32_t *labels;            /* n_rows, -1 = dropped                    */
    float *distances;           /* n_rows, NaN = dropped                   */
    int rows_on_ranks;          /* labels and distances hold only this
                                   rank's input rows (features.first_row,
                                   .n_local_rows) of a fit on several ranks */
    char *event_column, *arpu_column, *weight_column; /* "" = none         */
    int32_t *continues;         /* k, after clm_kmeans_relabel; else NULL  */
};

/* The body of clm_kmeans_fit on a prepared view of the rows (one
 * process, or this rank's share: km_data_init_ranks): tolerance, seeding,
 * restarts, Lloyd, --k auto.  `labels` holds data->n_rows labels. */
clm_status km_fit_data(clm_kmeans *m, const km_data *data, int32_t *labels);

/* Assigns rows already in the clustering space. */
clm_status km_predict_scaled(const clm_kmeans *model, const float *rows, int64_t n_rows,
                             int32_t *labels, float *distances);
/* Assigns rows in the model's input units (standardisation and missing
 * policy applied); `source` and `row0` name the rows in error messages. */
clm_status km_predict_rows(const clm_kmeans *model, const float *rows, int64_t n_rows,
                           const char *source, int64_t row0, int32_t *labels, float *distances);

/* Name of a missing policy ("fail", "drop", "impute"). */
/* Names of the missing-value policies, by value, as saved in /segments. */
extern const char *const km_missing_names[3];
const char *km_missing_name(clm_missing_policy policy);

#endif /* CLMSEG_KMEANS_INTERNAL_H */

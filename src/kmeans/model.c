/*
 * model.c — the k-means model object: parameters, fit on an in-memory
 * matrix (seeding + Lloyd, restarts, --k auto), getters and prediction.
 *
 * Restart r uses the seed hash(seed, r) (restart 0 uses `seed` itself);
 * the run with the lowest inertia is kept (the first one on ties).  With
 * --k auto every k of the range is fitted the same way and the k with the
 * highest mean silhouette on a seeded sample wins (the smaller k on ties).
 * Only the centroids of each run are kept; when the kept run is not the
 * last one, one more assignment pass restores its labels, so the only
 * N-sized buffer is the caller's label array.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"


void clm_kmeans_params_default(clm_kmeans_params *p)
{
    memset(p, 0, sizeof *p);
    p->k = 8;
    p->k_min = 2;
    p->k_max = 10;
    p->init = CLM_KMEANS_INIT_AUTO;
    p->product = CLM_KMEANS_PRODUCT_AUTO;
    p->n_init = 1;
    p->max_iter = 300;
    p->tol = 1e-4;
    p->seed = 42;
    p->n_threads = 0;
    p->select_sample = 4000;
    p->initial_centroids = NULL;
    p->scale = 1;
    p->missing = CLM_MISSING_FAIL;
    p->kernels = NULL;
}

clm_status clm_kmeans_params_check(const clm_kmeans_params *p)
{
    if (!p)
        return clm_error(CLM_E_PARAM, "k-means: no parameters");
    if (p->k < 0 || p->k > 100000)
        return clm_error(CLM_E_PARAM, "k-means: k = %d is out of range [1, 100000] (0 = auto)", (int)p->k);
    if (p->k == 0 && (p->k_min < 1 || p->k_max < p->k_min || p->k_max > 1000))
        return clm_error(CLM_E_PARAM, "k-means: auto range %d-%d is invalid (need 1 <= lo <= hi <= 1000)",
                         (int)p->k_min, (int)p->k_max);
    if (p->n_init < 1)
        return clm_error(CLM_E_PARAM, "k-means: n_init = %d must be at least 1", (int)p->n_init);
    if (p->max_iter < 1)
        return clm_error(CLM_E_PARAM, "k-means: max_iter = %d must be at least 1", (int)p->max_iter);
    if (!(p->tol >= 0.0) || !isfinite(p->tol))
        return clm_error(CLM_E_PARAM, "k-means: tol = %g must be a finite number >= 0", p->tol);
    if (p->n_threads < 0)
        return clm_error(CLM_E_PARAM, "k-means: n_threads = %d must be >= 0", (int)p->n_threads);
    if (p->select_sample < 2)
        return clm_error(CLM_E_PARAM, "k-means: select_sample = %lld must be at least 2",
                         (long long)p->select_sample);
    if ((int)p->init < 0 || (int)p->init > CLM_KMEANS_INIT_RANDOM)
        return clm_error(CLM_E_PARAM, "k-means: unknown init method %d", (int)p->init);
    if ((int)p->product < 0 || (int)p->product > CLM_KMEANS_PRODUCT_FUSED)
        return clm_error(CLM_E_PARAM, "k-means: unknown product method %d", (int)p->product);
    if ((int)p->missing < 0 || (int)p->missing > CLM_MISSING_IMPUTE)
        return clm_error(CLM_E_PARAM, "k-means: unknown missing-value policy %d", (int)p->missing);
    if (p->initial_centroids && (p->k == 0 || p->n_init != 1))
        return clm_error(CLM_E_PARAM, "k-means: initial centroids need a fixed k and n_init = 1");
    return CLM_OK;
}

clm_status clm_kmeans_create(const clm_kmeans_params *params, clm_kmeans **out)
{
    *out = NULL;
    clm_status st = clm_kmeans_params_check(params);
    if (st)
        return st;
    clm_kmeans *m = calloc(1, sizeof *m);
    if (!m)
        return clm_error(CLM_E_NOMEM, "k-means: out of memory");
    m->params = *params;
    *out = m;
    return CLM_OK;
}

void clm_kmeans_free(clm_kmeans *model)
{
    if (!model)
        return;
    free(model->centroids);
    free(model->scores);
    km_features_free(&model->features);
    km_profile_free(&model->profile);
    free(model->labels);
    free(model->distances);
    free(model->event_column);
    free(model->arpu_column);
    free(model->weight_column);
    free(model->continues);
    free(model);
}

int64_t clm_kmeans_n_rows(const clm_kmeans *m) { return m ? m->n_rows : 0; }
const int32_t *clm_kmeans_labels(const clm_kmeans *m) { return m ? m->labels : NULL; }
const float *clm_kmeans_distances(const clm_kmeans *m) { return m ? m->distances : NULL; }

const char *clm_kmeans_feature_name(const clm_kmeans *m, int32_t j)
{
    if (!m || !m->features.names || j < 0 || j >= m->features.n_features)
        return NULL;
    return m->features.names[j];
}

clm_status clm_kmeans_get_profile(const clm_kmeans *m, clm_kmeans_profile *out)
{
    memset(out, 0, sizeof *out);
    if (!m || !m->profile.size)
        return clm_error(CLM_E_PARAM, "k-means: the model has no profile (fitted on rows in memory)");
    const km_profile *pr = &m->profile;
    *out = (clm_kmeans_profile){pr->k, pr->n_features, pr->size, pr->share, pr->churn_rate,
                                pr->mean_arpu, pr->centroids, pr->zscore,
                                (const char *const *)pr->distinguishing, (const char *const *)pr->name};
    return CLM_OK;
}

int32_t clm_kmeans_k(const clm_kmeans *m) { return m ? m->k : 0; }
int32_t clm_kmeans_n_features(const clm_kmeans *m) { return m ? m->n_features : 0; }
const float *clm_kmeans_centroids(const clm_kmeans *m) { return m ? m->centroids : NULL; }
double clm_kmeans_inertia(const clm_kmeans *m) { return m ? m->inertia : 0.0; }
int32_t clm_kmeans_iterations(const clm_kmeans *m) { return m ? m->iterations : 0; }
double clm_kmeans_seeding_seconds(const clm_kmeans *m) { return m ? m->seeding_seconds : 0.0; }

const clm_kmeans_k_score *clm_kmeans_k_scores(const clm_kmeans *m, int *count)
{
    *count = m ? m->n_scores : 0;
    return m ? m->scores : NULL;
}

/* Every value finite, weights finite and >= 0 (their total: km_fit_data). */
static clm_status check_input(const float *rows, int64_t n_rows, int d, const float *weights)
{
    int64_t first_bad = -1;
    for (int64_t i = 0; i < n_rows * d; i++)
        if (!isfinite(rows[i])) {
            first_bad = i;
            break;
        }
    if (first_bad >= 0)
        return clm_error(CLM_E_VALUE, "k-means: row %lld, feature %d is not a finite number",
                         (long long)(first_bad / d), (int)(first_bad % d));
    if (weights)
        for (int64_t i = 0; i < n_rows; i++)
            if (!isfinite(weights[i]) || weights[i] < 0.0f)
                return clm_error(CLM_E_VALUE, "k-means: sample weight of row %lld is %g (need a finite value >= 0)",
                                 (long long)i, (double)weights[i]);
    return CLM_OK;
}

/* CLM_E_VALUE when the (finite, >= 0) weights of every rank sum to 0,
 * that is when none is positive: a count, exact on any number of ranks. */
static clm_status check_weight_total(const km_data *data)
{
    if (!data->weights)
        return CLM_OK;
    int64_t positive = 0;
    for (int64_t i = 0; i < data->n_rows; i++)
        positive += data->weights[i] > 0.0f;
    clm_status st = comm_sum_i64(data->comm, &positive, 1);
    if (!st && positive == 0)
        st = clm_error(CLM_E_VALUE, "k-means: the sample weights sum to 0");
    return st;
}

/* Seeds restart `run` into `centroids`. */
static clm_status seed_run(const clm_kmeans_params *p, const km_data *data, int k,
                           uint64_t seed, int32_t *labels, float *centroids)
{
    if (p->initial_centroids) {
        memcpy(centroids, p->initial_centroids, sizeof(float) * (size_t)k * (size_t)data->n_features);
        return CLM_OK;
    }
    clm_kmeans_init init = p->init;
    /* auto: greedy k-means++.  Measured on this node (2M x 16 rows, two
     * threads) it seeds faster than our k-means|| for k = 8 (0.17 vs
     * 0.39 s), 32 (2.0 vs 2.5 s) and 64 (4.9 vs 5.1 s): with 2 + ln k
     * candidates per step it evaluates fewer distances per row than the
     * 5 x 2k candidates of k-means||, and every pass here is compute-bound,
     * not bandwidth-bound.  k-means|| stays available by name. */
    if (init == CLM_KMEANS_INIT_AUTO)
        init = CLM_KMEANS_INIT_PLUSPLUS;
    switch (init) {
    case CLM_KMEANS_INIT_PARALLEL:
        return km_init_parallel(data, k, seed, labels, centroids);
    case CLM_KMEANS_INIT_RANDOM:
        return km_init_random(data, k, seed, centroids);
    default:
        return km_init_plusplus(data, k, seed, labels, centroids);
    }
}

/* Fits one k with n_init restarts; best centroids into `best`.
 * *labels_current says whether `labels` holds the best run's labels. */
static clm_status fit_k(clm_kmeans *m, const km_data *data, int k, double tol_abs,
                        int32_t *labels, float *best, double *best_inertia, int *best_iter,
                        double *best_seeding, int *labels_current)
{
    const clm_kmeans_params *p = &m->params;
    const int64_t kd = (int64_t)k * data->n_features;
    float *centroids = malloc(sizeof(float) * (size_t)kd);
    if (!centroids)
        return clm_error(CLM_E_NOMEM, "k-means: out of memory");
    clm_status st = CLM_OK;
    *best_inertia = INFINITY;
    *labels_current = 0;
    for (int r = 0; !st && r < p->n_init; r++) {
        uint64_t seed = r == 0 ? p->seed : km_hash3(p->seed, (uint64_t)r, 0x72756eull);
        if (k != m->params.k)
            seed = km_hash3(seed, (uint64_t)k, 0x6bull); /* auto: own stream per k */
        double t0 = omp_get_wtime();
        st = seed_run(p, data, k, seed, labels, centroids);
        double seeding = omp_get_wtime() - t0;
        double inertia = 0.0;
        int iterations = 0;
        if (!st)
            st = km_lloyd(data, centroids, k, p->max_iter, tol_abs, labels, &inertia, &iterations);
        if (st)
            break;
        if (inertia < *best_inertia || r == 0) {
            *best_inertia = inertia;
            *best_iter = iterations;
            *best_seeding = seeding;
            memcpy(best, centroids, sizeof(float) * (size_t)kd);
            *labels_current = 1;
        } else {
            *labels_current = 0;
        }
    }
    free(centroids);
    return st;
}

clm_status clm_kmeans_fit(clm_kmeans *m, const float *rows, int64_t n_rows,
                          int32_t n_features, const float *weights, int32_t *labels)
{
    if (!m || !rows || !labels)
        return clm_error(CLM_E_PARAM, "k-means: NULL model, rows or labels");
    const clm_kmeans_params *p = &m->params;
    if (n_features < 1)
        return clm_error(CLM_E_PARAM, "k-means: no features");
    if (n_rows < 1)
        return clm_error(CLM_E_EMPTY, "k-means: no rows to cluster");
    const int k_lo = p->k > 0 ? p->k : p->k_min;
    if (k_lo > n_rows)
        return clm_error(CLM_E_PARAM, "k-means: k = %d exceeds the %lld rows to cluster",
                         k_lo, (long long)n_rows);
    clm_status st = check_input(rows, n_rows, n_features, weights);
    if (st)
        return st;
    km_data data;
    km_data_init(&data, rows, weights, n_rows, n_features, p->n_threads);
    data.kernels = kernels_resolve(p->kernels);
    data.product = p->product;
    return km_fit_data(m, &data, labels);
}

clm_status km_fit_data(clm_kmeans *m, const km_data *in, int32_t *labels)
{
    const clm_kmeans_params *p = &m->params;
    const int64_t n_rows = in->n_all_rows;
    const int n_features = in->n_features;
    int k_lo = p->k > 0 ? p->k : p->k_min, k_hi = p->k > 0 ? p->k : p->k_max;
    if (k_hi > n_rows)
        k_hi = (int)n_rows;
    if (k_lo > n_rows)
        return clm_error(CLM_E_PARAM, "k-means: k = %d exceeds the %lld rows to cluster",
                         k_lo, (long long)n_rows);
    clm_status st = CLM_OK;
    free(m->centroids);
    free(m->scores);
    m->centroids = NULL;
    m->scores = NULL;
    m->k = 0;
    m->n_scores = 0;
    m->n_features = n_features;
    m->product = p->product;

    km_data data = *in;
    double tol_abs = 0.0;
    st = check_weight_total(&data);
    if (!st)
        st = km_tolerance(&data, p->tol, &tol_abs);
    if (st)
        return st;

    int n_k = k_hi - k_lo + 1;
    float *all = malloc(sizeof(float) * (size_t)n_k * (size_t)k_hi * (size_t)n_features);
    double *inertia = malloc(sizeof(double) * (size_t)n_k);
    int *iters = malloc(sizeof(int) * (size_t)n_k);
    double *seeding = malloc(sizeof(double) * (size_t)n_k);
    m->scores = p->k == 0 ? calloc((size_t)n_k, sizeof *m->scores) : NULL;
    if (!all || !inertia || !iters || !seeding || (p->k == 0 && !m->scores)) {
        free(all); free(inertia); free(iters); free(seeding);
        return clm_error(CLM_E_NOMEM, "k-means: out of memory");
    }
    const int64_t stride = (int64_t)k_hi * n_features;
    int chosen = 0, labels_current = 0;
    double best_score = -INFINITY;
    for (int i = 0; !st && i < n_k; i++) {
        int k = k_lo + i;
        st = fit_k(m, &data, k, tol_abs, labels, all + i * stride, &inertia[i], &iters[i],
                   &seeding[i], &labels_current);
        if (st || p->k > 0)
            break;
        double sil = 0.0;
        st = km_silhouette(&data, all + i * stride, k, p->select_sample, p->seed, &sil);
        m->scores[i] = (clm_kmeans_k_score){k, inertia[i], sil, iters[i]};
        m->n_scores = i + 1;
        if (sil > best_score) {
            best_score = sil;
            chosen = i;
        }
    }
    /* labels hold the last run; restore the chosen one's when it differs */
    if (!st && (!labels_current || chosen != n_k - 1))
        st = km_assign(&data, all + chosen * stride, k_lo + chosen, labels, NULL, NULL, NULL);
    if (!st) {
        m->k = k_lo + chosen;
        m->inertia = inertia[chosen];
        m->iterations = iters[chosen];
        m->seeding_seconds = seeding[chosen];
        m->centroids = malloc(sizeof(float) * (size_t)stride);
        if (!m->centroids)
            st = clm_error(CLM_E_NOMEM, "k-means: out of memory");
        else
            memcpy(m->centroids, all + chosen * stride, sizeof(float) * (size_t)m->k * (size_t)n_features);
    }
    if (st)
        m->k = 0;
    free(all); free(inertia); free(iters); free(seeding);
    return st;
}

/* Assigns rows already in the clustering space (no missing values). */
clm_status km_predict_scaled(const clm_kmeans *m, const float *rows, int64_t n_rows,
                             int32_t *labels, float *distances)
{
    if (n_rows == 0)
        return CLM_OK;
    km_data data;
    km_data_init(&data, rows, NULL, n_rows, m->n_features, m->params.n_threads);
    data.kernels = kernels_resolve(m->params.kernels);
    data.product = m->product;
    clm_status st = km_assign(&data, m->centroids, m->k, labels, NULL, NULL, NULL);
    if (!st && distances)
        st = km_distances(&data, m->centroids, labels, distances);
    return st;
}

clm_status km_predict_rows(const clm_kmeans *m, const float *rows, int64_t n_rows,
                           const char *source, int64_t row0, int32_t *labels, float *distances)
{
    const int d = m->n_features;
    const km_features *f = &m->features;
    if (!f->center) /* fitted in memory: the rows are the clustering space */
        return km_predict_scaled(m, rows, n_rows, labels, distances);
    float *block = malloc(sizeof(float) * (size_t)(n_rows > 0 ? n_rows : 1) * (size_t)d);
    int32_t *kept_labels = malloc(sizeof(int32_t) * (size_t)(n_rows > 0 ? n_rows : 1));
    float *kept_dist = malloc(sizeof(float) * (size_t)(n_rows > 0 ? n_rows : 1));
    uint8_t *dropped = malloc((size_t)(n_rows > 0 ? n_rows : 1));
    clm_status st = CLM_OK;
    if (!block || !kept_labels || !kept_dist || !dropped)
        st = clm_error(CLM_E_NOMEM, "k-means: out of memory assigning %lld rows", (long long)n_rows);
    int64_t kept = 0;
    for (int64_t i = 0; !st && i < n_rows; i++) {
        const float *x = rows + i * d;
        float *dst = block + kept * d;
        dropped[i] = 0;
        for (int j = 0; j < d && !st && !dropped[i]; j++) {
            float v = x[j];
            if (!isfinite(v)) {
                if (m->params.missing == CLM_MISSING_IMPUTE)
                    v = (float)f->mean[j];
                else if (m->params.missing == CLM_MISSING_DROP)
                    dropped[i] = 1;
                else
                    st = clm_error(CLM_E_VALUE, "%s%scolumn '%s' has %s at row %lld (the model was fitted with --missing fail)",
                                   source ? source : "", source ? ": " : "", f->names[j],
                                   isnan(v) ? "a missing value (NaN)" : "an infinite value",
                                   (long long)(row0 + i));
            }
            dst[j] = (float)(((double)v - f->center[j]) / f->scale[j]);
        }
        kept += !dropped[i];
    }
    if (!st)
        st = km_predict_scaled(m, block, kept, kept_labels, kept_dist);
    for (int64_t i = 0, q = 0; !st && i < n_rows; i++) {
        if (dropped[i]) {
            labels[i] = -1;
            if (distances)
                distances[i] = NAN;
        } else {
            labels[i] = kept_labels[q];
            if (distances)
                distances[i] = kept_dist[q];
            q++;
        }
    }
    free(block);
    free(kept_labels);
    free(kept_dist);
    free(dropped);
    return st;
}

clm_status clm_kmeans_predict(const clm_kmeans *m, const float *rows, int64_t n_rows,
                              int32_t n_features, int32_t *labels, float *distances)
{
    if (!m || m->k == 0)
        return clm_error(CLM_E_PARAM, "k-means: the model is not fitted");
    if (n_features != m->n_features)
        return clm_error(CLM_E_PARAM, "k-means: %d features given, the model has %d",
                         (int)n_features, (int)m->n_features);
    if (n_rows < 0 || (n_rows > 0 && (!rows || !labels)))
        return clm_error(CLM_E_PARAM, "k-means: NULL rows or labels");
    return km_predict_rows(m, rows, n_rows, NULL, 0, labels, distances);
}

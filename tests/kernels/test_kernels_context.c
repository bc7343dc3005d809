/*
 * test_kernels_context.c — the kernel contexts (clmseg/kernels.h).
 *
 * First, before anything else in the process touches them, many OpenMP
 * threads ask for the default context at the same moment: all must get
 * the same pointer (pthread_once builds it once).  Then the contexts'
 * names and slots, and whole fits run with params.kernels =
 * clm_kernels_reference() against the default context:
 *   - a tree fit must give the same tree bit for bit: every tree kernel
 *     (histograms, routing, label listing, split scans) is bit-identical
 *     to its reference, so the same splits are found in the same order;
 *   - a k-means fit must give the same labels, centroids and iteration
 *     count: argmin, the centroid update and the small-k product are
 *     bit-identical.  Only the exact squared distance (AVX2: four partial
 *     sums) differs, in the last bits: so the inertia is asserted to a
 *     relative 1e-12, and the k-means++ potentials it feeds could in
 *     principle move a seeding draw that falls within 1e-12 of a boundary
 *     (not the case for these seeds: the labels are asserted equal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "kernels.h"

enum { MAX_THREADS = 16 };

static void test_default_once_from_threads(void **state)
{
    (void)state;
    const clm_kernels *seen[MAX_THREADS] = {0};
    int team = 0;
#pragma omp parallel num_threads(MAX_THREADS)
    {
#pragma omp single
        team = omp_get_num_threads();
        /* the barrier of `single` lines the threads up: the calls below
         * race for the first initialisation */
        seen[omp_get_thread_num()] = clm_kernels_default();
    }
    assert_true(team > 1);
    for (int t = 0; t < team; t++) {
        assert_non_null(seen[t]);
        assert_ptr_equal(seen[t], seen[0]);
    }
    assert_ptr_equal(seen[0], clm_kernels_default());
    const clm_kernels *refs[MAX_THREADS] = {0};
#pragma omp parallel num_threads(MAX_THREADS)
    refs[omp_get_thread_num()] = clm_kernels_reference();
    for (int t = 0; t < team; t++)
        assert_ptr_equal(refs[t], clm_kernels_reference());
}

static void test_names_and_slots(void **state)
{
    (void)state;
    const clm_kernels *d = clm_kernels_default(), *r = clm_kernels_reference();
    printf("default kernels: %s\n", clm_kernels_name(d));
    assert_string_equal(clm_kernels_name(r), "ref");
    assert_string_equal(clm_kernels_name(NULL), clm_kernels_name(d));
    /* the reference context holds the references */
    assert_true(r->argmin_f32 == clm_k_argmin_f32_ref);
    assert_true(r->survchunk_f64 == clm_k_survchunk_f64_ref);
    assert_true(r->split_scan_f64 == clm_k_split_scan_f64_ref);
    assert_true(r->cholesky_upper_f64 == clm_k_cholesky_upper_f64_ref);
    /* this test runs without CLMSEG_KERNELS (ctest sets none) */
    const char *force = getenv("CLMSEG_KERNELS");
    if (force && strcmp(force, "ref") == 0) {
        assert_ptr_equal(d, r);
        return;
    }
#if defined(__x86_64__)
    assert_ptr_not_equal(d, r);
    assert_true(d->hist_u8 == clm_k_hist_u8_sse2);
    if (__builtin_cpu_supports("avx2")) {
        assert_true(d->centroid_update_f32 == clm_k_centroid_update_f32_avx2);
        assert_true(strcmp(d->name, "avx2") == 0 || strcmp(d->name, "avx512") == 0);
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f")) {
        assert_true(d->argmin_f32 == clm_k_argmin_f32_avx512);
        assert_string_equal(d->name, "avx512");
    }
#endif
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double unit(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Blobs around k centres in d dimensions, plus uniform noise rows. */
static float *make_blobs(int64_t n, int d, int k)
{
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    assert_non_null(x);
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(unit() * k);
        for (int f = 0; f < d; f++) {
            double centre = (double)((c * 7 + f * 3) % 11) - 5.0;
            x[i * d + f] = i % 50 == 0 ? (float)(unit() * 12.0 - 6.0)
                                       : (float)(centre + (unit() - 0.5) * 1.5);
        }
    }
    return x;
}

static void fit_kmeans_both(int64_t n, int d, int k, clm_kmeans_product product, int weighted)
{
    float *x = make_blobs(n, d, k);
    float *w = NULL;
    if (weighted) {
        w = malloc(sizeof(float) * (size_t)n);
        assert_non_null(w);
        for (int64_t i = 0; i < n; i++)
            w[i] = (float)(0.5 + unit());
    }
    int32_t *labels[2];
    clm_kmeans *m[2];
    for (int v = 0; v < 2; v++) {
        clm_kmeans_params p;
        clm_kmeans_params_default(&p);
        assert_null(p.kernels);
        p.k = k;
        p.product = product;
        p.n_threads = 2;
        p.n_init = 2;
        p.kernels = v ? clm_kernels_reference() : NULL;
        labels[v] = malloc(sizeof(int32_t) * (size_t)n);
        assert_non_null(labels[v]);
        m[v] = NULL;
        assert_int_equal(clm_kmeans_create(&p, &m[v]), CLM_OK);
        assert_int_equal(clm_kmeans_fit(m[v], x, n, d, w, labels[v]), CLM_OK);
    }
    assert_memory_equal(labels[0], labels[1], sizeof(int32_t) * (size_t)n);
    assert_int_equal(clm_kmeans_iterations(m[0]), clm_kmeans_iterations(m[1]));
    assert_memory_equal(clm_kmeans_centroids(m[0]), clm_kmeans_centroids(m[1]),
                        sizeof(float) * (size_t)(k * d));
    double i0 = clm_kmeans_inertia(m[0]), i1 = clm_kmeans_inertia(m[1]);
    assert_true(i0 > 0.0);
    assert_true(fabs(i0 - i1) <= 1e-12 * i1);
    /* predictions, with exact distances, through each model's context */
    float *dist[2];
    for (int v = 0; v < 2; v++) {
        dist[v] = malloc(sizeof(float) * (size_t)n);
        assert_non_null(dist[v]);
        assert_int_equal(clm_kmeans_predict(m[v], x, n, d, labels[v], dist[v]), CLM_OK);
    }
    assert_memory_equal(labels[0], labels[1], sizeof(int32_t) * (size_t)n);
    for (int64_t i = 0; i < n; i++) /* rounded to float from doubles 1e-12 apart */
        assert_true(fabsf(dist[0][i] - dist[1][i]) <= 1e-6f * (dist[1][i] + 1e-30f));
    for (int v = 0; v < 2; v++) {
        clm_kmeans_free(m[v]);
        free(labels[v]);
        free(dist[v]);
    }
    free(x);
    free(w);
}

static void test_kmeans_reference_same_labels(void **state)
{
    (void)state;
    /* k = 8, d = 16: the fused product and the AVX-512 argmin path */
    fit_kmeans_both(30011, 16, 8, CLM_KMEANS_PRODUCT_AUTO, 0);
    /* k = 13 (not a multiple of 8), sgemm, weights */
    fit_kmeans_both(20003, 5, 13, CLM_KMEANS_PRODUCT_SGEMM, 1);
    /* k = 3 with the fused product forced, odd d */
    fit_kmeans_both(9001, 7, 3, CLM_KMEANS_PRODUCT_FUSED, 0);
}

static void fit_tree_both(int64_t n, int n_features, int n_classes)
{
    float *x = malloc(sizeof(float) * (size_t)(n * n_features));
    int32_t *y = malloc(sizeof(int32_t) * (size_t)n);
    assert_true(x && y);
    for (int64_t i = 0; i < n; i++) {
        double score = 0.0;
        for (int f = 0; f < n_features; f++) {
            double v = unit();
            x[i * n_features + f] = i % 97 == f ? NAN : (float)(f % 2 ? floor(v * 40.0) : v);
            score += (f + 1) * v;
        }
        int c = (int)(score / (n_features * (n_features + 1) / 2.0) * n_classes * 1.3);
        if (unit() < 0.15)
            c = (int)(unit() * n_classes);
        y[i] = c < n_classes ? c : n_classes - 1;
    }
    clm_tree *t[2];
    for (int v = 0; v < 2; v++) {
        clm_tree_params p;
        clm_tree_params_default(&p);
        assert_null(p.kernels);
        p.max_depth = 7;
        p.n_bins = 64;
        p.n_threads = 2;
        p.kernels = v ? clm_kernels_reference() : NULL;
        t[v] = NULL;
        assert_int_equal(clm_tree_fit_matrix(&p, x, y, n, n_features, n_classes, NULL, &t[v]),
                         CLM_OK);
    }
    clm_tree_nodes a, b;
    clm_tree_get_nodes(t[0], &a);
    clm_tree_get_nodes(t[1], &b);
    assert_int_equal(a.n_nodes, b.n_nodes);
    assert_true(a.n_nodes > 15);
    size_t nn = (size_t)a.n_nodes;
    assert_memory_equal(a.feature, b.feature, nn * sizeof *a.feature);
    assert_memory_equal(a.threshold, b.threshold, nn * sizeof *a.threshold);
    assert_memory_equal(a.left, b.left, nn * sizeof *a.left);
    assert_memory_equal(a.right, b.right, nn * sizeof *a.right);
    assert_memory_equal(a.value, b.value, nn * (size_t)n_classes * sizeof *a.value);
    assert_memory_equal(a.count, b.count, nn * sizeof *a.count);
    assert_memory_equal(a.impurity, b.impurity, nn * sizeof *a.impurity);
    clm_tree_metrics ma, mb;
    clm_tree_get_metrics(t[0], &ma);
    clm_tree_get_metrics(t[1], &mb);
    assert_memory_equal(&ma.accuracy, &mb.accuracy, sizeof(double));
    assert_memory_equal(&ma.log_loss, &mb.log_loss, sizeof(double));
    clm_tree_free(t[0]);
    clm_tree_free(t[1]);
    free(x);
    free(y);
}

static void test_tree_reference_same_tree(void **state)
{
    (void)state;
    fit_tree_both(60001, 6, 2);
    fit_tree_both(30007, 5, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* must stay first: the contexts are built by its threads */
        cmocka_unit_test(test_default_once_from_threads),
        cmocka_unit_test(test_names_and_slots),
        cmocka_unit_test(test_kmeans_reference_same_labels),
        cmocka_unit_test(test_tree_reference_same_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_kmeans_unit.c — the in-memory k-means model: hand-computed cases
 * (two pairs, k = 1 with and without weights, k equal to the number of
 * distinct points, all-duplicate rows, an empty cluster forced by the
 * initial centroids), weights equal to duplicated rows, --k auto on
 * separated blobs, every seeding method, bit-identical results for 1 and
 * 2 threads, prediction, and parameter / input errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/kmeans.h"
#include "testutil.h"

static clm_kmeans *fit(int k, const float *init, const float *x, int64_t n, int d,
                       const float *w, int32_t *labels)
{
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    p.k = k;
    p.initial_centroids = init;
    p.n_threads = 2;
    clm_kmeans *m = NULL;
    assert_int_equal(clm_kmeans_create(&p, &m), CLM_OK);
    assert_int_equal(clm_kmeans_fit(m, x, n, d, w, labels), CLM_OK);
    return m;
}

static void test_two_pairs(void **state)
{
    (void)state;
    const float x[4] = {0, 1, 10, 11}, init[2] = {0, 10};
    int32_t l[4];
    clm_kmeans *m = fit(2, init, x, 4, 1, NULL, l);
    const float *c = clm_kmeans_centroids(m);
    assert_true(c[0] == 0.5f && c[1] == 10.5f);
    assert_true(clm_kmeans_inertia(m) == 1.0);
    /* iteration 1 moves the centroids, iteration 2 changes no label */
    assert_int_equal(clm_kmeans_iterations(m), 2);
    assert_true(l[0] == 0 && l[1] == 0 && l[2] == 1 && l[3] == 1);
    clm_kmeans_free(m);
}

static void test_k1(void **state)
{
    (void)state;
    const float x[4] = {1, 2, 3, 6}, w[4] = {1, 1, 1, 2};
    int32_t l[4];
    clm_kmeans *m = fit(1, NULL, x, 4, 1, NULL, l);
    assert_true(clm_kmeans_centroids(m)[0] == 3.0f);
    assert_true(fabs(clm_kmeans_inertia(m) - 14.0) < 1e-12);
    clm_kmeans_free(m);
    /* weighted: mean 18/5 = 3.6, inertia 2.6^2 + 1.6^2 + 0.6^2 + 2 * 2.4^2 = 21.2 */
    m = fit(1, NULL, x, 4, 1, w, l);
    assert_true(fabs(clm_kmeans_centroids(m)[0] - 3.6) < 1e-6);
    assert_true(fabs(clm_kmeans_inertia(m) - 21.2) < 1e-5);
    clm_kmeans_free(m);
}

static void test_k_equals_distinct_points(void **state)
{
    (void)state;
    const float x[12] = {0, 0, 5, 5, 0, 0, 9, 1, 5, 5, 0, 0};
    int32_t l[6];
    clm_kmeans *m = fit(3, NULL, x, 6, 2, NULL, l);
    assert_true(clm_kmeans_inertia(m) == 0.0);
    /* rows 0, 2, 5 share a label; rows 1, 4 another; row 3 its own */
    assert_true(l[0] == l[2] && l[0] == l[5] && l[1] == l[4]);
    assert_true(l[0] != l[1] && l[0] != l[3] && l[1] != l[3]);
    clm_kmeans_free(m);
}

static void test_all_duplicates(void **state)
{
    (void)state;
    float x[40];
    for (int i = 0; i < 40; i++)
        x[i] = i % 2 ? 3.0f : -1.0f;
    int32_t l[20];
    clm_kmeans *m = fit(3, NULL, x, 20, 2, NULL, l);
    assert_true(clm_kmeans_inertia(m) == 0.0);
    for (int j = 0; j < 6; j++)
        assert_true(clm_kmeans_centroids(m)[j] == (j % 2 ? 3.0f : -1.0f));
    clm_kmeans_free(m);
}

static void test_forced_empty_cluster(void **state)
{
    (void)state;
    /* centroid 2 at 100 gets nothing; it takes row 2 (x = 2, squared
     * distance 4 to its centroid 0, the farthest); iteration 2 moves row 2
     * to it but no centroid moves (shift 0 <= tol): stop after 2 */
    const float x[5] = {0, 1, 2, 10, 11}, init[3] = {0, 10, 100};
    int32_t l[5];
    clm_kmeans *m = fit(3, init, x, 5, 1, NULL, l);
    const float *c = clm_kmeans_centroids(m);
    assert_true(c[0] == 0.5f && c[1] == 10.5f && c[2] == 2.0f);
    assert_true(l[0] == 0 && l[1] == 0 && l[2] == 2 && l[3] == 1 && l[4] == 1);
    assert_true(clm_kmeans_inertia(m) == 1.0);
    assert_int_equal(clm_kmeans_iterations(m), 2);
    clm_kmeans_free(m);
}

/* n rows of d features around k well-separated centres. */
static float *blobs(int64_t n, int d, int k, uint64_t seed, int32_t *truth)
{
    float *x = malloc(sizeof(float) * (size_t)(n * d));
    uint64_t s = seed;
    for (int64_t i = 0; i < n; i++) {
        int c = (int)(i % k);
        if (truth)
            truth[i] = c;
        for (int j = 0; j < d; j++) {
            double u = 0;
            for (int t = 0; t < 4; t++) { /* roughly normal, sd ~ 0.58 */
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                u += (double)(s >> 11) / 9007199254740992.0 - 0.5;
            }
            x[i * d + j] = (float)(u + 10.0 * ((c * 7 + j * 3) % 5) - (j == c % d ? 8.0 : 0.0));
        }
    }
    return x;
}

static void test_weights_equal_duplicates(void **state)
{
    (void)state;
    const int64_t n = 600;
    const int d = 3, k = 4;
    float *x = blobs(n, d, k, 7, NULL);
    float *w = malloc(sizeof(float) * n);
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++)
        total += (int64_t)(w[i] = (float)(1 + i % 3));
    float *dup = malloc(sizeof(float) * (size_t)(total * d));
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++)
        for (int r = 0; r < (int)w[i]; r++)
            memcpy(dup + (at++) * d, x + i * d, sizeof(float) * d);
    float init[12];
    for (int j = 0; j < k; j++)
        memcpy(init + j * d, x + (j * 37) * d, sizeof(float) * d);
    int32_t *l1 = malloc(sizeof(int32_t) * n), *l2 = malloc(sizeof(int32_t) * (size_t)total);
    clm_kmeans *a = fit(k, init, x, n, d, w, l1), *b = fit(k, init, dup, total, d, NULL, l2);
    for (int j = 0; j < k * d; j++)
        assert_true(fabsf(clm_kmeans_centroids(a)[j] - clm_kmeans_centroids(b)[j]) < 1e-5f);
    assert_true(fabs(clm_kmeans_inertia(a) - clm_kmeans_inertia(b)) <= 1e-9 * clm_kmeans_inertia(b));
    at = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(l1[i], l2[at]);
        at += (int64_t)w[i];
    }
    clm_kmeans_free(a); clm_kmeans_free(b);
    free(x); free(w); free(dup); free(l1); free(l2);
}

static void test_auto_k_on_blobs(void **state)
{
    (void)state;
    const int64_t n = 3000;
    float *x = blobs(n, 4, 3, 11, NULL);
    int32_t *l = malloc(sizeof(int32_t) * n);
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    p.k = 0;
    p.k_min = 2;
    p.k_max = 6;
    p.select_sample = 500;
    clm_kmeans *m = NULL;
    assert_int_equal(clm_kmeans_create(&p, &m), CLM_OK);
    assert_int_equal(clm_kmeans_fit(m, x, n, 4, NULL, l), CLM_OK);
    assert_int_equal(clm_kmeans_k(m), 3);
    int count = 0;
    const clm_kmeans_k_score *s = clm_kmeans_k_scores(m, &count);
    assert_int_equal(count, 5);
    for (int i = 0; i < count; i++) {
        assert_int_equal(s[i].k, 2 + i);
        assert_true(s[i].silhouette <= s[1].silhouette);
        assert_true(s[i].silhouette > -1.0 && s[i].silhouette <= 1.0);
    }
    assert_true(s[1].silhouette > 0.8); /* separated blobs */
    /* labels belong to the chosen k: all rows of a blob together */
    for (int64_t i = 3; i < n; i++)
        assert_int_equal(l[i], l[i % 3]);
    clm_kmeans_free(m);
    free(x); free(l);
}

/* The same fit with 1 and 2 threads gives identical bits. */
static void check_threads(clm_kmeans_init init, int n_init, int k)
{
    const int64_t n = 150001;
    const int d = 7;
    float *x = blobs(n, d, 5, 3, NULL);
    for (int64_t i = 0; i < n * d; i += 13)
        x[i] += (float)(i % 17) * 0.37f; /* overlap, so the loop iterates */
    int32_t *l[2];
    clm_kmeans *m[2];
    for (int t = 0; t < 2; t++) {
        clm_kmeans_params p;
        clm_kmeans_params_default(&p);
        p.k = k;
        p.init = init;
        p.n_init = n_init;
        p.n_threads = t + 1;
        p.seed = 99;
        if (k == 0) {
            p.k_min = 3;
            p.k_max = 5;
            p.select_sample = 300;
        }
        l[t] = malloc(sizeof(int32_t) * n);
        assert_int_equal(clm_kmeans_create(&p, &m[t]), CLM_OK);
        assert_int_equal(clm_kmeans_fit(m[t], x, n, d, NULL, l[t]), CLM_OK);
    }
    assert_int_equal(clm_kmeans_k(m[0]), clm_kmeans_k(m[1]));
    assert_memory_equal(clm_kmeans_centroids(m[0]), clm_kmeans_centroids(m[1]),
                        sizeof(float) * (size_t)(clm_kmeans_k(m[0]) * d));
    double i0 = clm_kmeans_inertia(m[0]), i1 = clm_kmeans_inertia(m[1]);
    assert_memory_equal(&i0, &i1, sizeof i0);
    assert_int_equal(clm_kmeans_iterations(m[0]), clm_kmeans_iterations(m[1]));
    assert_memory_equal(l[0], l[1], sizeof(int32_t) * n);
    assert_true(clm_kmeans_iterations(m[0]) >= 2);
    for (int t = 0; t < 2; t++) {
        clm_kmeans_free(m[t]);
        free(l[t]);
    }
    free(x);
}

static void test_threads_plusplus(void **state) { (void)state; check_threads(CLM_KMEANS_INIT_PLUSPLUS, 1, 9); }
static void test_threads_parallel(void **state) { (void)state; check_threads(CLM_KMEANS_INIT_PARALLEL, 2, 6); }
static void test_threads_random_auto(void **state) { (void)state; check_threads(CLM_KMEANS_INIT_RANDOM, 2, 0); }

static void test_seedings_find_blobs(void **state)
{
    (void)state;
    const int64_t n = 5000;
    const int d = 4, k = 5;
    int32_t *truth = malloc(sizeof(int32_t) * n), *l = malloc(sizeof(int32_t) * n);
    float *x = blobs(n, d, k, 5, truth);
    const clm_kmeans_init inits[] = {CLM_KMEANS_INIT_PLUSPLUS, CLM_KMEANS_INIT_PARALLEL,
                                     CLM_KMEANS_INIT_RANDOM};
    for (int q = 0; q < 3; q++) {
        clm_kmeans_params p;
        clm_kmeans_params_default(&p);
        p.k = k;
        p.init = inits[q];
        p.n_init = 5; /* random seeding needs restarts to find all blobs */
        clm_kmeans *m = NULL;
        assert_int_equal(clm_kmeans_create(&p, &m), CLM_OK);
        assert_int_equal(clm_kmeans_fit(m, x, n, d, NULL, l), CLM_OK);
        /* every blob maps to one label, distinct blobs to distinct labels */
        for (int64_t i = k; i < n; i++)
            assert_int_equal(l[i], l[truth[i]]);
        for (int a = 0; a < k; a++)
            for (int b = a + 1; b < k; b++)
                assert_true(l[a] != l[b]);
        /* predict the training rows: same labels, exact distances */
        int32_t *pl = malloc(sizeof(int32_t) * n);
        float *pd = malloc(sizeof(float) * n);
        assert_int_equal(clm_kmeans_predict(m, x, n, d, pl, pd), CLM_OK);
        assert_memory_equal(pl, l, sizeof(int32_t) * n);
        double inertia = 0;
        for (int64_t i = 0; i < n; i++)
            inertia += (double)pd[i] * pd[i];
        assert_true(fabs(inertia - clm_kmeans_inertia(m)) < 1e-5 * clm_kmeans_inertia(m));
        free(pl); free(pd);
        clm_kmeans_free(m);
    }
    free(x); free(truth); free(l);
}

static void test_errors(void **state)
{
    (void)state;
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    assert_int_equal(clm_kmeans_params_check(&p), CLM_OK);
    p.k = -1;
    assert_int_equal(clm_kmeans_params_check(&p), CLM_E_PARAM);
    clm_kmeans_params_default(&p);
    p.tol = NAN;
    assert_int_equal(clm_kmeans_params_check(&p), CLM_E_PARAM);
    clm_kmeans_params_default(&p);
    p.k = 0;
    p.k_min = 5;
    p.k_max = 3;
    assert_int_equal(clm_kmeans_params_check(&p), CLM_E_PARAM);
    assert_non_null(strstr(clm_error_detail(), "5-3"));
    clm_kmeans_params_default(&p);
    p.n_init = 0;
    assert_int_equal(clm_kmeans_params_check(&p), CLM_E_PARAM);

    clm_kmeans_params_default(&p);
    p.k = 3;
    clm_kmeans *m = NULL;
    assert_int_equal(clm_kmeans_create(&p, &m), CLM_OK);
    float x[4] = {1, 2, NAN, 4};
    int32_t l[4];
    assert_int_equal(clm_kmeans_fit(m, x, 4, 1, NULL, l), CLM_E_VALUE);
    assert_non_null(strstr(clm_error_detail(), "row 2"));
    x[2] = 3;
    assert_int_equal(clm_kmeans_fit(m, x, 2, 1, NULL, l), CLM_E_PARAM); /* k > rows */
    const float w[4] = {1, -1, 1, 1};
    assert_int_equal(clm_kmeans_fit(m, x, 4, 1, w, l), CLM_E_VALUE);
    assert_int_equal(clm_kmeans_predict(m, x, 4, 1, l, NULL), CLM_E_PARAM); /* not fitted */
    clm_kmeans_free(m);
    clm_kmeans_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_pairs),
        cmocka_unit_test(test_k1),
        cmocka_unit_test(test_k_equals_distinct_points),
        cmocka_unit_test(test_all_duplicates),
        cmocka_unit_test(test_forced_empty_cluster),
        cmocka_unit_test(test_weights_equal_duplicates),
        cmocka_unit_test(test_auto_k_on_blobs),
        cmocka_unit_test(test_threads_plusplus),
        cmocka_unit_test(test_threads_parallel),
        cmocka_unit_test(test_threads_random_auto),
        cmocka_unit_test(test_seedings_find_blobs),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

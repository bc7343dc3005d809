/*
 * test_kmeans_kernels.c — the k-means slots of the default kernel context
 * (the tuned variants this CPU runs) against those of the reference
 * context, plus every x86 variant of argmin on its own: argmin and centroid accumulation must agree bit for bit,
 * the exact squared distance to a relative 1e-12; the incremental centroid
 * update bit for bit, and equal to recomputing the sums from scratch within
 * rounding; the small-k block product bit for bit, and within float
 * rounding of a product in double; sizes 0, 1, odd,
 * unaligned (pointers offset by one element) and large; k from 1 to 17
 * (k not a multiple of 8), d from 1 to 19.  Also hand-computed values.
 * A comparison is skipped, with a note, only when the CPU has no tuned
 * variant of the slot (then default == reference).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "testutil.h"

/* The contexts compared, set by tu_kernels_setup. */
#define tuned tu_tuned
#define ref tu_ref

static uint64_t rng_state = 12345;
static float rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng_state >> 11) / 9007199254740992.0) * 4.0f - 2.0f;
}

static const int64_t sizes[] = {0, 1, 7, 8, 9, 33, 1023, 100003};
static const int ks[] = {1, 2, 3, 8, 9, 16, 17, 40};

static void test_argmin_hand(void **state)
{
    (void)state;
    /* 2 rows x 3 centroids (row-major); dots = -2 x.c, norms chosen by hand */
    const float dots[6] = {-2.0f, -6.0f, -4.0f, /* row 0 */ 0.0f, -1.0f, -1.0f /* row 1 */};
    const float cn[3] = {1.0f, 4.0f, 2.0f}, xn[2] = {5.0f, 0.5f};
    int32_t l[2];
    float md[2];
    /* row 0: -1, -2, -2 -> c1 (first of the tie); row 1: 1, 3, 1 -> c0 */
    ref->argmin_f32(dots, 3, 2, 3, cn, xn, l, md);
    assert_int_equal(l[0], 1);
    assert_int_equal(l[1], 0);
    assert_true(md[0] == 3.0f && md[1] == 1.5f);
    tuned->argmin_f32(dots, 3, 2, 3, cn, xn, l, md);
    assert_int_equal(l[0], 1);
    assert_int_equal(l[1], 0);
    assert_true(md[0] == 3.0f && md[1] == 1.5f);
    /* negative from cancellation is clamped to 0 */
    const float d1[1] = {-10.0f}, c1[1] = {1.0f}, x1[1] = {8.0f};
    tuned->argmin_f32(d1, 1, 1, 1, c1, x1, l, md);
    assert_true(md[0] == 0.0f);
    /* a NaN never wins, in either variant, also in the vector part */
    float nan9[9] = {NAN, 5, 3, NAN, 3, 7, 8, 9, 2.5f};
    float zero9[9] = {0};
    /* sixteen rows of eight with NaNs and a tie (AVX-512 vector path) */
    float nan16[16 * 8], zero8[8] = {0};
    for (int i = 0; i < 16 * 8; i++)
        nan16[i] = (float)((i * 7) % 11);
    nan16[3 * 8 + 0] = NAN;
    nan16[5 * 8 + 2] = NAN;
    nan16[6 * 8 + 5] = nan16[6 * 8 + 1]; /* a tie: the first index wins */
    for (int j = 0; j < 8; j++)
        nan16[9 * 8 + j] = NAN; /* row 9: all NaN -> label 0 */
    int32_t l16[16], r16[16];
    ref->argmin_f32(nan16, 8, 16, 8, zero8, NULL, r16, NULL);
    tuned->argmin_f32(nan16, 8, 16, 8, zero8, NULL, l16, NULL);
    assert_memory_equal(l16, r16, sizeof l16);
    assert_int_equal(r16[9], 0);
    for (int v = 0; v < 2; v++) {
        (v ? tuned : ref)->argmin_f32(nan9, 9, 1, 9, zero9, NULL, l, NULL);
        assert_int_equal(l[0], 8);
        (v ? tuned : ref)->argmin_f32(nan9, 9, 1, 8, zero9, NULL, l, NULL);
        assert_int_equal(l[0], 2);
    }
}

static void test_argmin_ref_vs_tuned(void **state)
{
    (void)state;
    if (!TU_TUNED_SLOT(tuned, ref, argmin_f32))
        skip();
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++) {
            int64_t n = sizes[s];
            int k = ks[q];
            int64_t ld = k + 3; /* rows padded: ld > k */
            /* +1: unaligned starting addresses */
            float *dots = malloc(sizeof(float) * (size_t)(ld * n + 2));
            float *cn = malloc(sizeof(float) * (size_t)(k + 2));
            float *xn = malloc(sizeof(float) * (size_t)(n + 2));
            int32_t *l1 = malloc(sizeof(int32_t) * (size_t)(n + 2)), *l2 = malloc(sizeof(int32_t) * (size_t)(n + 2));
            float *m1 = malloc(sizeof(float) * (size_t)(n + 2)), *m2 = malloc(sizeof(float) * (size_t)(n + 2));
            for (int64_t i = 0; i < ld * n + 2; i++)
                dots[i] = rnd();
            for (int j = 0; j < k + 2; j++)
                cn[j] = fabsf(rnd());
            /* exact ties between centroids 0 and k-1 on some rows */
            cn[1 + k - 1] = cn[1];
            for (int64_t i = 0; i < n; i += 5)
                dots[1 + i * ld + k - 1] = dots[1 + i * ld];
            for (int64_t i = 0; i < n + 2; i++)
                xn[i] = fabsf(rnd()) * 3.0f;
            ref->argmin_f32(dots + 1, ld, n, k, cn + 1, xn + 1, l1 + 1, m1 + 1);
            for (int64_t i = 0; i < n + 2; i++)
                l2[i] = -7, m2[i] = -1.0f;
            tuned->argmin_f32(dots + 1, ld, n, k, cn + 1, xn + 1, l2 + 1, m2 + 1);
            for (int64_t i = 1; i <= n; i++) {
                assert_int_equal(l1[i], l2[i]);
                assert_memory_equal(&m1[i], &m2[i], sizeof(float));
                assert_true(l1[i] >= 0 && l1[i] < k);
            }
            assert_int_equal(l2[n + 1], -7); /* nothing written past the end */
            /* without distances */
            tuned->argmin_f32(dots + 1, ld, n, k, cn + 1, NULL, l2 + 1, NULL);
            if (n > 0)
                assert_memory_equal(l1 + 1, l2 + 1, sizeof(int32_t) * (size_t)n);
            free(dots); free(cn); free(xn); free(l1); free(l2); free(m1); free(m2);
        }
}

/* Dense rows (ld == k), the layout of the assignment pass: the default
 * slot and every x86 variant this CPU runs (the AVX-512 one hands rows to
 * the AVX2 one, so both are checked on their own) against the reference,
 * with rows before and after a 16-row boundary. */
static void test_argmin_dense(void **state)
{
    (void)state;
    const int kd[] = {8, 16, 24, 5};
    const int64_t nd[] = {15, 16, 17, 256, 259};
    for (size_t q = 0; q < sizeof kd / sizeof kd[0]; q++)
        for (size_t s = 0; s < sizeof nd / sizeof nd[0]; s++) {
            int k = kd[q];
            int64_t n = nd[s];
            float *dots = malloc(sizeof(float) * (size_t)(n * k));
            float *cn = malloc(sizeof(float) * (size_t)k), *xn = malloc(sizeof(float) * (size_t)n);
            int32_t *l1 = malloc(sizeof(int32_t) * (size_t)n), *l2 = malloc(sizeof(int32_t) * (size_t)n);
            float *m1 = malloc(sizeof(float) * (size_t)n), *m2 = malloc(sizeof(float) * (size_t)n);
            for (int64_t i = 0; i < n * k; i++)
                dots[i] = rnd();
            for (int j = 0; j < k; j++)
                cn[j] = fabsf(rnd());
            for (int64_t i = 0; i < n; i++)
                xn[i] = fabsf(rnd()) * 3.0f;
            ref->argmin_f32(dots, k, n, k, cn, xn, l1, m1);
            for (int v = 0; v < 3; v++) {
                if (v == 1 && !__builtin_cpu_supports("avx2"))
                    continue;
                if (v == 2 && !__builtin_cpu_supports("avx512f"))
                    continue;
                (v == 0 ? tuned->argmin_f32 : v == 1 ? clm_k_argmin_f32_avx2
                                                     : clm_k_argmin_f32_avx512)(dots, k, n, k, cn, xn,
                                                                                l2, m2);
                assert_memory_equal(l1, l2, sizeof(int32_t) * (size_t)n);
                assert_memory_equal(m1, m2, sizeof(float) * (size_t)n);
            }
            free(dots); free(cn); free(xn); free(l1); free(l2); free(m1); free(m2);
        }
}

static void test_update_hand(void **state)
{
    (void)state;
    const float rows[6] = {1, 2, 3, 4, 5, 6};
    const float w[3] = {2, 7, 0.5f};
    /* from nothing: rows 0 and 2 join cluster 1, row 1 stays out */
    const int32_t none[3] = {-1, -1, -1}, first[3] = {1, -1, 1};
    double sums[4] = {0}, counts[2] = {0};
    assert_int_equal(ref->centroid_update_f32(rows, 3, 2, none, first, w, sums, counts), 2);
    assert_true(sums[0] == 0.0 && sums[1] == 0.0);
    assert_true(sums[2] == 2 * 1 + 0.5 * 5 && sums[3] == 2 * 2 + 0.5 * 6);
    assert_true(counts[1] == 2.5 && counts[0] == 0.0);
    /* row 2 moves to cluster 0, row 1 joins 0, row 0 stays */
    const int32_t second[3] = {1, 0, 0};
    assert_int_equal(ref->centroid_update_f32(rows, 3, 2, first, second, w, sums, counts), 2);
    assert_true(sums[0] == 7 * 3 + 0.5 * 5 && sums[1] == 7 * 4 + 0.5 * 6);
    assert_true(sums[2] == 2.0 && sums[3] == 4.0);
    assert_true(counts[0] == 7.5 && counts[1] == 2.0);
    /* unweighted, the default slot; unchanged labels move nothing */
    double s2[4] = {0}, c2[2] = {0};
    assert_int_equal(tuned->centroid_update_f32(rows, 3, 2, none, first, NULL, s2, c2), 2);
    assert_true(s2[2] == 6.0 && s2[3] == 8.0 && c2[1] == 2.0);
    assert_int_equal(tuned->centroid_update_f32(rows, 3, 2, first, first, NULL, s2, c2), 0);
    assert_true(s2[2] == 6.0 && s2[3] == 8.0 && c2[1] == 2.0);
}

/* A label in [-1, k), about a quarter of them equal to `prev` when given. */
static int32_t rnd_label(int k, const int32_t *prev)
{
    if (prev && fabsf(rnd()) < 1.0f)
        return *prev;
    int32_t l = (int32_t)(fabsf(rnd()) * 0.5f * (float)(k + 1)) - 1;
    return l >= k ? k - 1 : l;
}

static void test_update_ref_vs_tuned(void **state)
{
    (void)state;
    if (!TU_TUNED_SLOT(tuned, ref, centroid_update_f32))
        skip();
    const int ds[] = {1, 3, 4, 5, 8, 9, 16, 19, 24};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t q = 0; q < sizeof ds / sizeof ds[0]; q++)
            for (int weighted = 0; weighted < 2; weighted++) {
                int64_t n = sizes[s];
                int d = ds[q], k = 5;
                float *rows = malloc(sizeof(float) * (size_t)(n * d + 1));
                float *w = malloc(sizeof(float) * (size_t)(n + 1));
                int32_t *l0 = malloc(sizeof(int32_t) * (size_t)(n + 1));
                int32_t *l1 = malloc(sizeof(int32_t) * (size_t)(n + 1));
                for (int64_t i = 0; i < n * d + 1; i++)
                    rows[i] = rnd() * 1000.0f;
                for (int64_t i = 0; i < n + 1; i++) {
                    w[i] = fabsf(rnd());
                    l0[i] = rnd_label(k, NULL);
                    l1[i] = rnd_label(k, &l0[i]);
                }
                const float *wp = weighted ? w + 1 : NULL;
                /* the same starting sums for every variant: those of l0 */
                double *start = calloc((size_t)(k * d), sizeof(double));
                double cstart[5] = {0};
                for (int64_t i = 0; i < n; i++)
                    if (l0[i + 1] >= 0) {
                        for (int f = 0; f < d; f++)
                            start[l0[i + 1] * d + f] += (wp ? wp[i] : 1.0) * rows[1 + i * d + f];
                        cstart[l0[i + 1]] += wp ? wp[i] : 1.0;
                    }
                size_t bytes = sizeof(double) * (size_t)(k * d);
                double *s1 = malloc(bytes), *s2 = malloc(bytes), c1[5], c2[5];
                memcpy(s1, start, bytes);
                memcpy(c1, cstart, sizeof c1);
                int64_t moved = ref->centroid_update_f32(rows + 1, n, d, l0 + 1, l1 + 1, wp, s1, c1);
                int64_t expect = 0;
                for (int64_t i = 0; i < n; i++)
                    expect += l0[i + 1] != l1[i + 1];
                assert_int_equal(moved, expect);
                memcpy(s2, start, bytes);
                memcpy(c2, cstart, sizeof c2);
                assert_int_equal(tuned->centroid_update_f32(rows + 1, n, d, l0 + 1, l1 + 1, wp, s2, c2),
                                 expect);
                assert_memory_equal(s1, s2, bytes);
                assert_memory_equal(c1, c2, sizeof c1);
                /* and the moved sums are the sums of the new labels, up to
                 * the rounding of the additions */
                memset(s2, 0, bytes);
                memset(c2, 0, sizeof c2);
                for (int64_t i = 0; i < n; i++)
                    if (l1[i + 1] >= 0) {
                        for (int f = 0; f < d; f++)
                            s2[l1[i + 1] * d + f] += (wp ? wp[i] : 1.0) * rows[1 + i * d + f];
                        c2[l1[i + 1]] += wp ? wp[i] : 1.0;
                    }
                for (int j = 0; j < k * d; j++)
                    assert_true(fabs(s1[j] - s2[j]) <= 1e-9 * (1000.0 * (double)n + 1.0));
                for (int j = 0; j < k; j++)
                    assert_true(fabs(c1[j] - c2[j]) <= 1e-12 * ((double)n + 1.0));
                free(rows); free(w); free(l0); free(l1); free(start); free(s1); free(s2);
            }
}

static void test_dots_hand(void **state)
{
    (void)state;
    /* two rows of d = 3 against k = 2 centroids, ct = -2 C^T padded to 8 */
    const float x[6] = {1, 2, 3, -1, 0, 0.5f};
    const float c[2][3] = {{1, 0, 2}, {0.5f, -1, 0}};
    float ct[3 * 8] = {0};
    for (int j = 0; j < 2; j++)
        for (int f = 0; f < 3; f++)
            ct[f * 8 + j] = -2.0f * c[j][f];
    float want[16], got[16];
    ref->dots_f32(x, 2, 3, ct, 8, want);
    tuned->dots_f32(x, 2, 3, ct, 8, got);
    assert_true(want[0] == -14.0f && want[1] == 3.0f);   /* -2 (1+6), -2 (0.5-2) */
    assert_true(want[8] == 0.0f && want[9] == 1.0f);     /* -2 (-1+1), -2 (-0.5) */
    for (int j = 2; j < 8; j++)
        assert_true(want[j] == 0.0f && want[8 + j] == 0.0f); /* padding columns */
    assert_memory_equal(want, got, sizeof want);
}

static void test_dots_ref_vs_tuned(void **state)
{
    (void)state;
    if (!TU_TUNED_SLOT(tuned, ref, dots_f32))
        skip();
    const int ds[] = {1, 2, 3, 8, 16, 19, 22, 64};
    const int lds[] = {8, 16, 24};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t q = 0; q < sizeof ds / sizeof ds[0]; q++)
            for (size_t e = 0; e < sizeof lds / sizeof lds[0]; e++) {
                int64_t n = sizes[s] > 5000 ? 5003 : sizes[s];
                int d = ds[q], ld = lds[e], k = ld - 3; /* padding columns zero */
                float *x = malloc(sizeof(float) * (size_t)(n * d + 1));
                float *ct = calloc((size_t)(d * ld + 1), sizeof(float));
                float *o1 = malloc(sizeof(float) * (size_t)(n * ld + 1));
                float *o2 = malloc(sizeof(float) * (size_t)(n * ld + 1));
                for (int64_t i = 0; i < n * d + 1; i++)
                    x[i] = rnd();
                for (int f = 0; f < d; f++)
                    for (int j = 0; j < k; j++)
                        ct[1 + f * ld + j] = -2.0f * rnd();
                /* unaligned: everything offset by one element */
                ref->dots_f32(x + 1, n, d, ct + 1, ld, o1 + 1);
                tuned->dots_f32(x + 1, n, d, ct + 1, ld, o2 + 1);
                assert_memory_equal(o1 + 1, o2 + 1, sizeof(float) * (size_t)(n * ld));
                /* against the product in double: d roundings of terms of
                 * size <= 8 at most */
                for (int64_t i = 0; i < n; i++)
                    for (int j = 0; j < ld; j++) {
                        double exact = 0.0;
                        for (int f = 0; f < d; f++)
                            exact += (double)x[1 + i * d + f] * (double)ct[1 + f * ld + j];
                        assert_true(fabs(exact - (double)o1[1 + i * ld + j]) <= 8.0 * d * 6e-8 * d);
                        if (j >= k)
                            assert_true(o1[1 + i * ld + j] == 0.0f);
                    }
                free(x); free(ct); free(o1); free(o2);
            }
}

static void test_sqdist_ref_vs_tuned(void **state)
{
    (void)state;
    if (!TU_TUNED_SLOT(tuned, ref, sqdist_f64))
        skip();
    const int ds[] = {1, 3, 4, 7, 16, 19};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t q = 0; q < sizeof ds / sizeof ds[0]; q++) {
            int64_t n = sizes[s];
            int d = ds[q], k = 4;
            float *rows = malloc(sizeof(float) * (size_t)(n * d + 1));
            float *cent = malloc(sizeof(float) * (size_t)(k * d + 1));
            int32_t *lab = malloc(sizeof(int32_t) * (size_t)(n + 1));
            double *o1 = malloc(sizeof(double) * (size_t)(n + 1)), *o2 = malloc(sizeof(double) * (size_t)(n + 1));
            for (int64_t i = 0; i < n * d + 1; i++)
                rows[i] = rnd() * 10.0f;
            for (int64_t i = 0; i < k * d + 1; i++)
                cent[i] = rnd();
            for (int64_t i = 0; i < n + 1; i++)
                lab[i] = (int32_t)(i % (k + 1)) - 1;
            for (int with_labels = 0; with_labels < 2; with_labels++) {
                const int32_t *L = with_labels ? lab + 1 : NULL;
                ref->sqdist_f64(rows + 1, n, d, L, cent + 1, o1);
                tuned->sqdist_f64(rows + 1, n, d, L, cent + 1, o2);
                for (int64_t i = 0; i < n; i++)
                    assert_true(fabs(o1[i] - o2[i]) <= 1e-12 * fabs(o1[i]));
            }
            free(rows); free(cent); free(lab); free(o1); free(o2);
        }
}

/* The many-centre slot of each context equals its one-centre slot bit for
 * bit, centre by centre (1 to 6 centres: fewer, as many and more than the
 * AVX2 variant's group of four). */
static void test_sqdist_many(void **state)
{
    (void)state;
    const clm_kernels *contexts[2] = {ref, tuned};
    const int ds[] = {1, 3, 4, 7, 16, 19};
    for (int which = 0; which < 2; which++) {
        const clm_kernels *kc = contexts[which];
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (size_t q = 0; q < sizeof ds / sizeof ds[0]; q++)
                for (int m = 1; m <= 6; m++) {
                    int64_t n = sizes[s];
                    int d = ds[q];
                    float *rows = malloc(sizeof(float) * (size_t)(n * d + 1));
                    float *cent = malloc(sizeof(float) * (size_t)(m * d + 1));
                    double *many = malloc(sizeof(double) * (size_t)(m * n + 1));
                    double *one = malloc(sizeof(double) * (size_t)(n + 1));
                    for (int64_t i = 0; i < n * d + 1; i++)
                        rows[i] = rnd() * 10.0f;
                    for (int64_t i = 0; i < m * d + 1; i++)
                        cent[i] = rnd();
                    kc->sqdist_many_f64(rows + 1, n, d, cent + 1, m, many);
                    for (int t = 0; t < m; t++) {
                        kc->sqdist_f64(rows + 1, n, d, NULL, cent + 1 + (int64_t)t * d, one);
                        assert_memory_equal(many + (int64_t)t * n, one, sizeof(double) * (size_t)n);
                    }
                    free(rows); free(cent); free(many); free(one);
                }
    }
}

static void test_sqdist_hand(void **state)
{
    (void)state;
    /* (1,2,2) to the origin is 9, in both contexts */
    const float x[3] = {1, 2, 2}, c[3] = {0, 0, 0};
    double out;
    ref->sqdist_f64(x, 1, 3, NULL, c, &out);
    assert_true(out == 9.0);
    tuned->sqdist_f64(x, 1, 3, NULL, c, &out);
    assert_true(out == 9.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argmin_hand),
        cmocka_unit_test(test_argmin_ref_vs_tuned),
        cmocka_unit_test(test_argmin_dense),
        cmocka_unit_test(test_update_hand),
        cmocka_unit_test(test_update_ref_vs_tuned),
        cmocka_unit_test(test_dots_hand),
        cmocka_unit_test(test_dots_ref_vs_tuned),
        cmocka_unit_test(test_sqdist_ref_vs_tuned),
        cmocka_unit_test(test_sqdist_many),
        cmocka_unit_test(test_sqdist_hand),
    };
    return cmocka_run_group_tests(tests, tu_kernels_setup, NULL);
}

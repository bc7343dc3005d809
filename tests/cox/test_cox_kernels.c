/*
 * test_cox_kernels.c — the Cox cell-sums kernel: the default context's
 * variant against the reference one bit for bit, and the reference against
 * the formula summed here in long double (1e-12 relative), for widths 1 to
 * 33 (across the four-row blocking and vector widths), block lengths 0 to
 * 11 and a long one, and a block summed in two calls against one call.
 * The equity pass's exp(-r a) kernel against libm's exp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "testutil.h"

#define N_MAX 1031
#define P_MAX 33

static double x[N_MAX * P_MAX], beta[P_MAX];

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static size_t width(int p)
{
    return 1 + (size_t)p + (size_t)p * (size_t)p;
}

static void naive(int64_t n, int p, double *out)
{
    long double s[1 + P_MAX + P_MAX * P_MAX];
    memset(s, 0, sizeof s);
    for (int64_t i = 0; i < n; i++) {
        long double eta = 0;
        for (int j = 0; j < p; j++)
            eta += (long double)x[i * p + j] * beta[j];
        long double w = expl(eta);
        s[0] += w;
        for (int j = 0; j < p; j++) {
            s[1 + j] += w * x[i * p + j];
            for (int k = j; k < p; k++)
                s[1 + p + j * p + k] += w * x[i * p + j] * x[i * p + k];
        }
    }
    for (size_t k = 0; k < width(p); k++)
        out[k] = (double)s[k];
}

static void test_cox_sums(void **state)
{
    (void)state;
    static double a[1 + P_MAX + P_MAX * P_MAX], b[1 + P_MAX + P_MAX * P_MAX], c[1 + P_MAX + P_MAX * P_MAX];
    for (int64_t i = 0; i < N_MAX * P_MAX; i++)
        x[i] = 4.0 * uniform() - 2.0;
    const int compare = TU_TUNED_SLOT(tu_tuned, tu_ref, cox_sums_f64);
    static const int64_t lengths[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, N_MAX};
    for (int p = 1; p <= P_MAX; p++) {
        for (int j = 0; j < p; j++)
            beta[j] = (uniform() - 0.5) / sqrt((double)p);
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            const int64_t n = lengths[l];
            memset(a, 0, sizeof a);
            memset(b, 0, sizeof b);
            tu_ref->cox_sums_f64(x, n, p, beta, a);
            tu_tuned->cox_sums_f64(x, n, p, beta, b);
            if (compare)
                assert_memory_equal(a, b, width(p) * sizeof(double));
            naive(n, p, c);
            for (int j = 0; j < p; j++)
                for (int k = 0; k < p; k++) {
                    size_t at = 1 + (size_t)p + (size_t)j * p + (size_t)k;
                    if (k < (j & ~3))
                        assert_true(a[at] == 0.0); /* below the diagonal's group: untouched */
                    else if (k >= j)
                        assert_true(fabs(a[at] - c[at]) <= 1e-12 * (fabs(c[at]) + c[0]));
                }
            for (int k = 0; k <= p; k++)
                assert_true(fabs(a[k] - c[k]) <= 1e-12 * (fabs(c[k]) + c[0]));
            /* A block in two calls (split at an odd row) gives the same bits. */
            if (n > 5) {
                memset(b, 0, sizeof b);
                tu_ref->cox_sums_f64(x, 3, p, beta, b);
                tu_ref->cox_sums_f64(x + 3 * p, n - 3, p, beta, b);
                assert_memory_equal(a, b, (1 + (size_t)p) * sizeof(double));
                for (int j = 0; j < p; j++)
                    assert_memory_equal(a + 1 + p + (size_t)j * p + j, b + 1 + p + (size_t)j * p + j,
                                        (size_t)(p - j) * sizeof(double));
            }
        }
    }
}

/* exp(-r a) against libm's exp: within 4 ulp over the range the equity
 * pass uses, exactly 1 at a = 0, 0 below e^-708; tuned = reference. */
static void test_expneg(void **state)
{
    (void)state;
    enum { N = 4099 };
    static double a[N], q[N], t[N];
    const int compare = TU_TUNED_SLOT(tu_tuned, tu_ref, expneg_f64);
    static const double rates[] = {0.0, 1e-9, 0.37, 1.0, 3.5, 250.0};
    for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++) {
        for (int i = 0; i < N; i++)
            a[i] = i == 0 ? 0.0 : i < 100 ? (double)i * 1e-6 : 710.0 * uniform();
        tu_ref->expneg_f64(rates[ri], a, N, q);
        tu_tuned->expneg_f64(rates[ri], a, N, t);
        if (compare)
            assert_memory_equal(q, t, sizeof q);
        for (int i = 0; i < N; i++) {
            double x = -rates[ri] * a[i], want = x < -708.0 ? 0.0 : exp(x);
            if (a[i] == 0.0 || rates[ri] == 0.0)
                assert_true(q[i] == 1.0);
            if (!(fabs(q[i] - want) <= 4.0 * 2.220446049250313e-16 * want)) {
                print_error("exp(%.17g): %.17g, libm %.17g\n", x, q[i], want);
                fail();
            }
        }
    }
}

/* The single-precision variant: within 4 float ulp of exp in double
 * precision (the relative error of x = -r a itself included), exactly 1 at
 * a = 0, 0 below e^-87; tuned = reference. */
static void test_expneg_f32(void **state)
{
    (void)state;
    enum { N = 4099 };
    static float a[N], q[N], t[N];
    const int compare = TU_TUNED_SLOT(tu_tuned, tu_ref, expneg_f32);
    static const float rates[] = {0.0f, 1e-9f, 0.37f, 1.0f, 3.5f, 250.0f};
    for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++) {
        for (int i = 0; i < N; i++)
            a[i] = i == 0 ? 0.0f : i < 100 ? (float)i * 1e-6f : (float)(90.0 * uniform());
        tu_ref->expneg_f32(rates[ri], a, N, q);
        tu_tuned->expneg_f32(rates[ri], a, N, t);
        if (compare)
            assert_memory_equal(q, t, sizeof q);
        for (int i = 0; i < N; i++) {
            const float xf = -rates[ri] * a[i]; /* the product the kernel forms */
            double want = xf < -87.0f ? 0.0 : exp((double)xf);
            if (a[i] == 0.0f || rates[ri] == 0.0f)
                assert_true(q[i] == 1.0f);
            if (!(fabs((double)q[i] - want) <= 4.0 * 1.1920929e-7 * want + 1e-38)) {
                print_error("expf(%.9g): %.9g, exp %.17g\n", (double)xf, (double)q[i], want);
                fail();
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cox_sums),
        cmocka_unit_test(test_expneg),
        cmocka_unit_test(test_expneg_f32),
    };
    return cmocka_run_group_tests(tests, tu_kernels_setup, NULL);
}

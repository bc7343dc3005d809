/*
 * test_survival_unit.c — the in-memory estimator on hand-computed cases:
 * ties of events and censorings at one time, all censored, an event at
 * time 0, a one-subscriber stratum, a curve that never reaches 0.5, a
 * curve at exactly 0.5 over an interval (median averaging), log-rank on
 * two groups worked by hand, LTV by hand; the direct table and the hash
 * give the same figures; 1 and 2 threads give the same bits; bad rows are
 * reported with their row.  The log-rank test on 60 strata against a plain
 * Gaussian elimination written here (and its AVX2 and plain loops give the
 * same bits); a table that grows, and one that moves to the hash, between
 * blocks agree with a fresh hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "clmseg/survival.h"
#include "clmseg/writer.h"
#include "survival/survival_internal.h"
#include "testutil.h"

#define CLOSE(a, b) assert_true(fabs((a) - (b)) <= 1e-12 * fmax(1.0, fabs(b)))

static clm_survival *fit(const clm_survival_params *p, int64_t n, const double *t,
                         const uint8_t *e, const int32_t *s, int32_t n_strata, const double *arpu)
{
    clm_survival *surv = NULL;
    assert_int_equal(clm_survival_create(p, n_strata, NULL, &surv), CLM_OK);
    assert_int_equal(clm_survival_add(surv, n, t, e, s, arpu), CLM_OK);
    assert_int_equal(clm_survival_finish(surv), CLM_OK);
    return surv;
}

/* ties: events and censorings at the same time.
 * t: 1 1 1 2 2 2 3 4 5 5 ; e: 1 1 0 1 0 0 1 0 1 1
 * S(1) = 8/10, S(2) = 0.8 * 6/7, S(3) = S(2) * 3/4, S(4) = S(3), S(5) = 0. */
static void test_ties(void **state)
{
    (void)state;
    double t[] = {1, 1, 1, 2, 2, 2, 3, 4, 5, 5};
    uint8_t e[] = {1, 1, 0, 1, 0, 0, 1, 0, 1, 1};
    clm_survival_params p;
    clm_survival_params_default(&p);
    p.horizon = 6;
    clm_survival *s = fit(&p, 10, t, e, NULL, 1, NULL);
    assert_int_equal(clm_survival_n_curves(s), 2);
    const clm_survival_curve *c = clm_survival_curve_at(s, 1);
    assert_string_equal(c->label, "all");
    assert_int_equal(c->n_times, 5);
    const int64_t risk[] = {10, 7, 4, 3, 2}, ev[] = {2, 1, 1, 0, 2}, cen[] = {1, 2, 0, 1, 0};
    const double surv[] = {0.8, 0.8 * 6 / 7, 0.8 * 6 / 7 * 3 / 4, 0.8 * 6 / 7 * 3 / 4, 0};
    for (int j = 0; j < 5; j++) {
        assert_int_equal(c->at_risk[j], risk[j]);
        assert_int_equal(c->events[j], ev[j]);
        assert_int_equal(c->censored[j], cen[j]);
        CLOSE(c->survival[j], surv[j]);
    }
    /* Greenwood on -log S: 2/(10*8) + 1/(7*6) + 1/(4*3). */
    CLOSE(c->std_err[2], sqrt(2.0 / 80 + 1.0 / 42 + 1.0 / 12));
    assert_true(isinf(c->std_err[4]));
    assert_true(isnan(c->lower[4]) && isnan(c->upper[4]));
    /* Nelson-Aalen: 2/10 + 1/7 + 1/4 + 2/2. */
    CLOSE(c->cumhaz[4], 0.2 + 1.0 / 7 + 0.25 + 1.0);
    /* Log band at t = 1: exp(log 0.8 -+ z se), z = 1.959963984540054. */
    double se = sqrt(2.0 / 80), z = 1.959963984540054;
    CLOSE(c->lower[0], exp(log(0.8) - z * se));
    CLOSE(c->upper[0], fmin(exp(log(0.8) + z * se), 1.0));
    assert_true(c->median == 5.0); /* first S < 0.5 is at t = 5 (S(3) = 0.514) */
    /* RMST to 6: 1*1 + 1*0.8 + 1*S2 + 1*S3 + 1*S3 + 1*0. */
    CLOSE(c->rmst, 1 + 0.8 + surv[1] + surv[2] + surv[3]);
    clm_survival_free(s);
}

/* The curve sits at exactly 0.5 from t = 2 to t = 5: R's median is the
 * midpoint (2 + 5) / 2.  All-censored and never-below-0.5 give NA. */
static void test_medians(void **state)
{
    (void)state;
    clm_survival_params p;
    clm_survival_params_default(&p);
    double t1[] = {1, 2, 3, 5};
    uint8_t e1[] = {1, 1, 0, 1};
    clm_survival *s = fit(&p, 4, t1, e1, NULL, 1, NULL);
    const clm_survival_curve *c = clm_survival_curve_at(s, 1);
    assert_true(c->median == 3.5);
    clm_survival_free(s);

    double t2[] = {2, 3, 5, 5, 8};
    uint8_t e2[] = {0, 0, 0, 0, 0};
    s = fit(&p, 5, t2, e2, NULL, 1, NULL);
    c = clm_survival_curve_at(s, 1);
    assert_true(isnan(c->median) && isnan(c->median_lower) && isnan(c->median_upper));
    for (int j = 0; j < c->n_times; j++)
        assert_true(c->survival[j] == 1.0 && c->std_err[j] == 0.0 && c->cumhaz[j] == 0.0);
    CLOSE(c->rmst, 8 + 0.0 + (60 - 8) * 1.0); /* flat at 1 to the horizon */
    clm_survival_free(s);

    double t3[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    uint8_t e3[] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    s = fit(&p, 10, t3, e3, NULL, 1, NULL);
    c = clm_survival_curve_at(s, 1);
    assert_true(isnan(c->median));
    CLOSE(c->survival[9], 0.9 * 4.0 / 5.0);
    clm_survival_free(s);
}

/* An event at time 0 drops S at 0; a one-subscriber stratum. */
static void test_time_zero_and_single(void **state)
{
    (void)state;
    clm_survival_params p;
    clm_survival_params_default(&p);
    p.horizon = 3;
    double t[] = {0, 0, 1, 2, 3, 3, 4};
    uint8_t e[] = {1, 0, 1, 0, 1, 0, 1};
    int32_t st[] = {0, 0, 0, 0, 0, 0, 1};
    clm_survival *s = fit(&p, 7, t, e, st, 2, NULL);
    assert_int_equal(clm_survival_n_curves(s), 3);
    const clm_survival_curve *a = clm_survival_curve_at(s, 0);
    assert_true(a->time[0] == 0.0);
    CLOSE(a->survival[0], 5.0 / 6);
    CLOSE(a->survival[1], 5.0 / 6 * 3 / 4);
    /* RMST to 3: the drop at 0 counts from the start. */
    CLOSE(a->rmst, 1 * (5.0 / 6) + 1 * (5.0 / 6 * 3 / 4) + 1 * (5.0 / 6 * 3 / 4));
    const clm_survival_curve *one = clm_survival_curve_at(s, 1);
    assert_string_equal(one->label, "1");
    assert_int_equal(one->n_rows, 1);
    assert_int_equal(one->n_times, 1);
    assert_true(one->survival[0] == 0.0 && one->median == 4.0);
    assert_true(isnan(one->median_lower)); /* band undefined at S = 0 */
    clm_survival_free(s);
}

/* Two groups, worked by hand.  A: t = 1(e), 3(e); B: t = 2(e), 4(c).
 * t=1: n=4, nA=2, d=1: E_A = 1/2, V = 1*3/3 * (1/2)(1/2) = 1/4
 * t=2: n=3, nA=1, d=1: E_A += 1/3, V += 1*2/2 * (1/3)(2/3) = 2/9
 * t=3: n=2, nA=1, d=1: E_A += 1/2, V += 1*1/1 * (1/2)(1/2) = 1/4
 * O_A = 2, E_A = 4/3; chi = (2/3)^2 / (13/18) = 8/13. */
static void test_logrank_by_hand(void **state)
{
    (void)state;
    clm_survival_params p;
    clm_survival_params_default(&p);
    double t[] = {1, 3, 2, 4};
    uint8_t e[] = {1, 1, 1, 0};
    int32_t st[] = {0, 0, 1, 1};
    clm_survival *s = fit(&p, 4, t, e, st, 2, NULL);
    const clm_logrank *lr = clm_survival_logrank(s);
    CLOSE(lr->chisq, 8.0 / 13.0);
    assert_int_equal(lr->df, 1);
    CLOSE(lr->p_value, erfc(sqrt(8.0 / 13.0 / 2.0))); /* chi2(1) tail */
    clm_survival_free(s);
}

/* LTV(h) = sum S(t) ARPU margin / (1+d)^(t/12) with the stratum mean ARPU. */
static void test_ltv_by_hand(void **state)
{
    (void)state;
    clm_survival_params p;
    clm_survival_params_default(&p);
    p.horizon = 3;
    p.margin = 0.5;
    p.discount = 0.2;
    double t[] = {1, 2, 5, 5};
    uint8_t e[] = {1, 0, 1, 0};
    double arpu[] = {10, 20, 30, 40};
    clm_survival *s = fit(&p, 4, t, e, NULL, 1, arpu);
    const clm_survival_curve *c = clm_survival_curve_at(s, 1);
    CLOSE(c->arpu_mean, 25.0);
    double s1 = 0.75, f = 25.0 * 0.5;
    double l1 = s1 * f / pow(1.2, 1.0 / 12), l2 = l1 + s1 * f / pow(1.2, 2.0 / 12);
    double l3 = l2 + s1 * f / pow(1.2, 3.0 / 12);
    assert_true(c->ltv[0] == 0.0);
    CLOSE(c->ltv[1], l1);
    CLOSE(c->ltv[2], l2);
    CLOSE(c->ltv[3], l3);
    clm_survival_free(s);
}

/* Random data: direct table vs hash, and 1 vs 2 threads, agree bit for bit. */
static void test_table_hash_threads_agree(void **state)
{
    (void)state;
    enum { N = 150001, K = 5 };
    double *t = malloc(N * sizeof *t), *a = malloc(N * sizeof *a);
    uint8_t *e = malloc(N);
    int32_t *st = malloc(N * sizeof *st);
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        t[i] = (double)((x >> 33) % 50);
        e[i] = (uint8_t)((x >> 20) % 3 == 0);
        st[i] = (int32_t)((x >> 40) % (K + 1)); /* K = missing stratum */
        a[i] = (double)((x >> 12) % 100000) / 997.0;
    }
    clm_survival_params p;
    clm_survival_params_default(&p);
    clm_survival *runs[3];
    for (int r = 0; r < 3; r++) {
        p.n_threads = r == 1 ? 2 : 1;
        p.max_cells = r == 2 ? 64 : (int64_t)1 << 22; /* r = 2: hash */
        assert_int_equal(clm_survival_create(&p, K, NULL, &runs[r]), CLM_OK);
        for (int i0 = 0; i0 < N; i0 += 65536) {
            int n = N - i0 < 65536 ? N - i0 : 65536;
            assert_int_equal(clm_survival_add(runs[r], n, t + i0, e + i0, st + i0, a + i0), CLM_OK);
        }
        assert_int_equal(clm_survival_finish(runs[r]), CLM_OK);
    }
    assert_int_equal(clm_survival_n_missing_stratum(runs[0]), clm_survival_n_missing_stratum(runs[2]));
    assert_true(clm_survival_n_missing_stratum(runs[0]) > 0);
    for (int r = 1; r < 3; r++) {
        assert_int_equal(clm_survival_n_curves(runs[0]), clm_survival_n_curves(runs[r]));
        for (int i = 0; i < clm_survival_n_curves(runs[0]); i++) {
            const clm_survival_curve *c0 = clm_survival_curve_at(runs[0], i);
            const clm_survival_curve *c1 = clm_survival_curve_at(runs[r], i);
            assert_int_equal(c0->n_times, c1->n_times);
            size_t nd = (size_t)c0->n_times * sizeof(double);
            assert_memory_equal(c0->time, c1->time, nd);
            assert_memory_equal(c0->at_risk, c1->at_risk, (size_t)c0->n_times * 8);
            assert_memory_equal(c0->survival, c1->survival, nd);
            assert_memory_equal(c0->std_err, c1->std_err, nd);
            assert_memory_equal(c0->lower, c1->lower, nd);
            assert_memory_equal(c0->ltv, c1->ltv, (size_t)(c0->horizon + 1) * sizeof(double));
            assert_memory_equal(&c0->arpu_mean, &c1->arpu_mean, sizeof(double));
        }
        assert_memory_equal(clm_survival_logrank(runs[0]), clm_survival_logrank(runs[r]),
                            sizeof(clm_logrank));
    }
    /* Overall n = N, and the strata plus the missing ones add up. */
    const clm_survival_curve *all = clm_survival_curve_at(runs[0], clm_survival_n_curves(runs[0]) - 1);
    assert_int_equal(all->n_rows, N);
    for (int r = 0; r < 3; r++)
        clm_survival_free(runs[r]);
    free(t);
    free(a);
    free(e);
    free(st);
}

/* Log-rank chi-square from the curves, as R's survdiff: O, E and the full
 * V over the pooled times, then the first stratum with E > 0 left out and
 * (O - E)' V^-1 (O - E) by Gaussian elimination with partial pivoting. */
static double logrank_by_elimination(const clm_survival *s)
{
    int k = clm_survival_n_curves(s) - 1;
    const clm_survival_curve *all = clm_survival_curve_at(s, k);
    double *o = calloc((size_t)k, sizeof(double)), *ex = calloc((size_t)k, sizeof(double));
    double *v = calloc((size_t)k * (size_t)k, sizeof(double));
    double *risk = calloc((size_t)k, sizeof(double));
    assert_non_null(o);
    assert_non_null(ex);
    assert_non_null(v);
    assert_non_null(risk);
    for (int64_t j = 0; j < all->n_times; j++) {
        double t = all->time[j], n = 0, d = 0;
        for (int g = 0; g < k; g++) {
            const clm_survival_curve *c = clm_survival_curve_at(s, g);
            risk[g] = 0;
            for (int64_t i = 0; i < c->n_times; i++)
                if (c->time[i] >= t) {
                    risk[g] = (double)c->at_risk[i];
                    if (c->time[i] == t) {
                        d += (double)c->events[i];
                        o[g] += (double)c->events[i];
                    }
                    break;
                }
            n += risk[g];
        }
        if (d == 0 || n == 0)
            continue;
        for (int g = 0; g < k; g++) {
            ex[g] += d * risk[g] / n;
            if (n > 1)
                for (int h = 0; h < k; h++)
                    v[g * k + h] += d * (n - d) / (n - 1) * (risk[g] / n) *
                                    ((g == h) - risk[h] / n);
        }
    }
    int keep[128], q = 0, first = -1;
    for (int g = 0; g < k; g++)
        if (ex[g] > 0) {
            if (first < 0)
                first = g;
            else
                keep[q++] = g;
        }
    double a[128 * 128], b[128], diff[128];
    for (int i = 0; i < q; i++) {
        diff[i] = b[i] = o[keep[i]] - ex[keep[i]];
        for (int h = 0; h < q; h++)
            a[i * q + h] = v[keep[i] * k + keep[h]];
    }
    for (int c = 0; c < q; c++) {
        int piv = c;
        for (int r = c + 1; r < q; r++)
            if (fabs(a[r * q + c]) > fabs(a[piv * q + c]))
                piv = r;
        for (int h = 0; h < q; h++) {
            double tmp = a[c * q + h];
            a[c * q + h] = a[piv * q + h];
            a[piv * q + h] = tmp;
        }
        double tmp = b[c];
        b[c] = b[piv];
        b[piv] = tmp;
        for (int r = c + 1; r < q; r++) {
            double f = a[r * q + c] / a[c * q + c];
            for (int h = c; h < q; h++)
                a[r * q + h] -= f * a[c * q + h];
            b[r] -= f * b[c];
        }
    }
    double chi = 0;
    for (int r = q - 1; r >= 0; r--) {
        double x = b[r];
        for (int h = r + 1; h < q; h++)
            x -= a[r * q + h] * b[h];
        b[r] = x / a[r * q + r];
        chi += b[r] * diff[r];
    }
    free(o);
    free(ex);
    free(v);
    free(risk);
    return chi;
}

static void test_logrank_many_strata(void **state)
{
    (void)state;
    enum { N = 40000, K = 60 };
    double *t = malloc(N * sizeof *t);
    uint8_t *e = malloc(N);
    int32_t *st = malloc(N * sizeof *st);
    assert_non_null(t);
    assert_non_null(e);
    assert_non_null(st);
    uint64_t x = 777;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        st[i] = (int32_t)((x >> 40) % K);
        /* Hazards differ by stratum; stratum 7 never has an event. */
        t[i] = (double)((x >> 33) % (uint64_t)(20 + st[i]));
        e[i] = (uint8_t)(st[i] != 7 && (x >> 20) % 3 != 0);
    }
    clm_survival_params p;
    clm_survival_params_default(&p);
    clm_survival *s = fit(&p, N, t, e, st, K, NULL);
    const clm_logrank *lr = clm_survival_logrank(s);
    double ref = logrank_by_elimination(s);
    assert_int_equal(lr->df, K - 1);
    assert_true(ref > 10.0);
    assert_true(fabs(lr->chisq - ref) <= 1e-9 * ref);
    /* The reference context gives the same bits as the default one. */
    clm_logrank tuned = *lr;
    p.kernels = clm_kernels_reference();
    clm_survival *r = fit(&p, N, t, e, st, K, NULL);
    p.kernels = NULL;
    assert_memory_equal(&tuned, clm_survival_logrank(r), sizeof tuned);
    clm_survival_free(r);
    clm_survival_free(s);
    free(t);
    free(e);
    free(st);
}

/* Times grow between blocks (the table grows after chunks were already
 * counted), then a fractional time moves everything to the hash: the
 * same figures as a run on the hash from the start, for 1 and 2 threads. */
static void test_grow_then_hash(void **state)
{
    (void)state;
    enum { N = 3 * 65536, K = 4 };
    double *t = malloc(N * sizeof *t), *a = malloc(N * sizeof *a);
    uint8_t *e = malloc(N);
    int32_t *st = malloc(N * sizeof *st);
    assert_non_null(t);
    assert_non_null(a);
    assert_non_null(e);
    assert_non_null(st);
    uint64_t x = 4242;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int limit = i < 65536 ? 8 : 90; /* block 2: larger times in some chunks */
        t[i] = (double)((x >> 33) % (uint64_t)(i >= 65536 && i < 70000 ? 8 : limit));
        e[i] = (uint8_t)((x >> 20) % 2);
        st[i] = (int32_t)((x >> 40) % K);
        a[i] = (double)((x >> 12) % 1000) / 7.0;
    }
    t[2 * 65536 + 5000] = 3.5; /* block 3: a fractional time */
    clm_survival_params p;
    clm_survival_params_default(&p);
    clm_survival *runs[4];
    for (int r = 0; r < 4; r++) {
        p.n_threads = r % 2 ? 2 : 1;
        p.max_cells = r >= 2 ? 2 * (K + 1) : (int64_t)1 << 22; /* r >= 2: hash at once */
        assert_int_equal(clm_survival_create(&p, K, NULL, &runs[r]), CLM_OK);
        for (int i0 = 0; i0 < N; i0 += 65536)
            assert_int_equal(clm_survival_add(runs[r], 65536, t + i0, e + i0, st + i0, a + i0),
                             CLM_OK);
        assert_int_equal(clm_survival_finish(runs[r]), CLM_OK);
    }
    for (int r = 1; r < 4; r++) {
        assert_int_equal(clm_survival_n_curves(runs[0]), clm_survival_n_curves(runs[r]));
        for (int i = 0; i < clm_survival_n_curves(runs[0]); i++) {
            const clm_survival_curve *c0 = clm_survival_curve_at(runs[0], i);
            const clm_survival_curve *c1 = clm_survival_curve_at(runs[r], i);
            assert_int_equal(c0->n_times, c1->n_times);
            size_t nd = (size_t)c0->n_times * sizeof(double);
            assert_memory_equal(c0->time, c1->time, nd);
            assert_memory_equal(c0->at_risk, c1->at_risk, (size_t)c0->n_times * 8);
            assert_memory_equal(c0->events, c1->events, (size_t)c0->n_times * 8);
            assert_memory_equal(c0->survival, c1->survival, nd);
            assert_memory_equal(c0->ltv, c1->ltv, (size_t)(c0->horizon + 1) * sizeof(double));
        }
        assert_memory_equal(clm_survival_logrank(runs[0]), clm_survival_logrank(runs[r]),
                            sizeof(clm_logrank));
    }
    const clm_survival_curve *all = clm_survival_curve_at(runs[0], clm_survival_n_curves(runs[0]) - 1);
    assert_int_equal(all->n_rows, N);
    assert_true(all->time[all->n_times - 1] == 89.0);
    for (int r = 0; r < 4; r++)
        clm_survival_free(runs[r]);
    free(t);
    free(a);
    free(e);
    free(st);
}

/* A table of n rows: tenure (f64), churned (event_dtype), branch (by_dtype,
 * categorical with `n_cat` categories when n_cat > 0), arpu (f64). */
static void write_table(const char *path, int64_t n, const double *t, const double *event,
                        clm_dtype event_dtype, const double *by, clm_dtype by_dtype, int n_cat,
                        const double *arpu)
{
    clm_writer *w = NULL;
    int c[4];
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/tenure", CLM_DT_FLOAT64, n, &c[0]), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/churned", event_dtype, n, &c[1]), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/branch", by_dtype, n, &c[2]), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/arpu", CLM_DT_FLOAT64, n, &c[3]), CLM_OK);
    /* Values converted to the stored type here. */
    void *buf = malloc((size_t)n * 8);
    assert_non_null(buf);
    const double *src[2] = {event, by};
    clm_dtype types[2] = {event_dtype, by_dtype};
    assert_int_equal(clm_writer_column_write(w, c[0], 0, n, t), CLM_OK);
    for (int k = 0; k < 2; k++) {
        for (int64_t i = 0; i < n; i++) {
            switch (types[k]) {
            case CLM_DT_INT8: ((int8_t *)buf)[i] = (int8_t)src[k][i]; break;
            case CLM_DT_UINT8: ((uint8_t *)buf)[i] = (uint8_t)src[k][i]; break;
            case CLM_DT_INT32: ((int32_t *)buf)[i] = (int32_t)src[k][i]; break;
            default: ((double *)buf)[i] = src[k][i]; break;
            }
        }
        assert_int_equal(clm_writer_column_write(w, c[1 + k], 0, n, buf), CLM_OK);
    }
    assert_int_equal(clm_writer_column_write(w, c[3], 0, n, arpu), CLM_OK);
    if (n_cat > 0) {
        const char *names[] = {"north", "south", "east", "west", "centre"};
        assert_int_equal(clm_writer_attr_strings(w, "/subscribers/branch", "categories", names, n_cat),
                         CLM_OK);
    }
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    free(buf);
}

/* Opens `path`, fits survival on its table, closes it. */
static clm_status fit_path(const clm_survival_params *p, const char *path,
                           const clm_survival_columns *cols, clm_survival **out)
{
    clm_table *t = NULL;
    clm_status st = clm_table_open(path, NULL, &t);
    if (!st)
        st = clm_survival_fit_table(p, cols, t, out);
    clm_table_close(t);
    return st;
}

static clm_status fit_file(const char *path, clm_survival **out)
{
    clm_survival_params p;
    clm_survival_params_default(&p);
    clm_survival_columns cols;
    memset(&cols, 0, sizeof cols);
    cols.time = "tenure";
    cols.event = "churned";
    cols.by = "branch";
    cols.arpu = "arpu";
    return fit_path(&p, path, &cols, out);
}

static void test_table_types(void **state)
{
    (void)state;
    /* More rows than one read block, so that blocks after the first are
     * checked and counted too. */
    enum { N = 1100000, K = 5 };
    const char *dir = tu_tmpdir("survival_table_types");
    double *t = malloc(N * sizeof *t), *ev = malloc(N * sizeof *ev);
    double *by = malloc(N * sizeof *by), *a = malloc(N * sizeof *a);
    uint8_t *e = malloc(N);
    int32_t *st = malloc(N * sizeof *st);
    assert_true(t && ev && by && a && e && st);
    uint64_t x = 99;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        t[i] = (double)((x >> 33) % 40);
        e[i] = (uint8_t)((x >> 20) % 3 == 0);
        ev[i] = e[i];
        st[i] = (int32_t)((x >> 40) % K);
        by[i] = st[i];
        a[i] = (double)((x >> 12) % 1000) / 9.0;
    }
    clm_survival_params p;
    clm_survival_params_default(&p);
    clm_survival *mem = fit(&p, N, t, e, st, K, a);
    /* uint8 event + categorical int8 codes; int32 event + int32 values;
     * float event + float values. */
    const clm_dtype event_types[3] = {CLM_DT_UINT8, CLM_DT_INT32, CLM_DT_FLOAT64};
    const clm_dtype by_types[3] = {CLM_DT_INT8, CLM_DT_INT32, CLM_DT_FLOAT64};
    for (int v = 0; v < 3; v++) {
        const char *path = tu_path(dir, "types.h5");
        write_table(path, N, t, ev, event_types[v], by, by_types[v], v == 0 ? K : 0, a);
        clm_survival *s = NULL;
        assert_int_equal(fit_file(path, &s), CLM_OK);
        assert_int_equal(clm_survival_n_curves(s), clm_survival_n_curves(mem));
        for (int i = 0; i < clm_survival_n_curves(mem); i++) {
            const clm_survival_curve *c0 = clm_survival_curve_at(mem, i);
            const clm_survival_curve *c1 = clm_survival_curve_at(s, i);
            assert_int_equal(c0->n_times, c1->n_times);
            assert_memory_equal(c0->at_risk, c1->at_risk, (size_t)c0->n_times * 8);
            assert_memory_equal(c0->survival, c1->survival, (size_t)c0->n_times * 8);
            assert_memory_equal(c0->ltv, c1->ltv, (size_t)(c0->horizon + 1) * sizeof(double));
        }
        if (v == 0)
            assert_string_equal(clm_survival_curve_at(s, 2)->label, "east");
        clm_survival_free(s);
    }
    /* Bad rows in the second read block, named exactly.  A categorical
     * code that is neither -1 nor a category is refused by the table
     * reader itself (for every consumer), before the event is looked at. */
    struct {
        clm_dtype event_type, by_type;
        int n_cat;
        int64_t row;
        double event_value, by_value;
        const char *needle;
    } bad[] = {
        {CLM_DT_UINT8, CLM_DT_INT8, K, 1050001, 2, 1, "row 1050001: event value 2 is not 0 or 1"},
        {CLM_DT_UINT8, CLM_DT_INT8, K, 1050001, 2, -2, "column 'branch', row 1050001: code -2 is not a category"},
        {CLM_DT_INT32, CLM_DT_INT8, K, 1048576, 0, 7, "column 'branch', row 1048576: code 7 is outside its"},
        {CLM_DT_INT8, CLM_DT_INT32, 0, 1099999, -1, 1, "row 1099999: event value -1 is not 0 or 1"},
        {CLM_DT_FLOAT64, CLM_DT_FLOAT64, 0, 1048577, 0, 2.5, "row 1048577: stratum value 2.5 is not an integer"},
        {CLM_DT_FLOAT64, CLM_DT_INT32, 0, 1048578, NAN, 1, "row 1048578: event is missing"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        double keep_event = ev[bad[k].row], keep_by = by[bad[k].row];
        ev[bad[k].row] = bad[k].event_value;
        by[bad[k].row] = bad[k].by_value;
        const char *path = tu_path(dir, "bad.h5");
        write_table(path, N, t, ev, bad[k].event_type, by, bad[k].by_type, bad[k].n_cat, a);
        clm_survival *s = NULL;
        assert_int_equal(fit_file(path, &s), CLM_E_VALUE);
        if (!strstr(clm_error_detail(), bad[k].needle))
            fail_msg("%s: expected '%s'", clm_error_detail(), bad[k].needle);
        assert_null(s);
        ev[bad[k].row] = keep_event;
        by[bad[k].row] = keep_by;
    }
    clm_survival_free(mem);
    free(t);
    free(ev);
    free(by);
    free(a);
    free(e);
    free(st);
}

static void test_bad_rows(void **state)
{
    (void)state;
    clm_survival_params p;
    clm_survival_params_default(&p);
    p.source = "in.h5";
    p.time_column = "tenure";
    double t[] = {1, 2, -3, 4};
    uint8_t e[] = {0, 1, 0, 1};
    clm_survival *s = NULL;
    assert_int_equal(clm_survival_create(&p, 1, NULL, &s), CLM_OK);
    assert_int_equal(clm_survival_add(s, 2, t, e, NULL, NULL), CLM_OK);
    assert_int_equal(clm_survival_add(s, 2, t + 2, e + 2, NULL, NULL), CLM_E_VALUE);
    assert_non_null(strstr(clm_error_detail(), "in.h5"));
    assert_non_null(strstr(clm_error_detail(), "'tenure'"));
    assert_non_null(strstr(clm_error_detail(), "row 2"));
    assert_int_equal(clm_survival_finish(s), CLM_E_PARAM);
    clm_survival_free(s);

    uint8_t e2[] = {0, 1, 2, 1};
    double t2[] = {1, 2, 3, 4};
    assert_int_equal(clm_survival_create(&p, 1, NULL, &s), CLM_OK);
    assert_int_equal(clm_survival_add(s, 4, t2, e2, NULL, NULL), CLM_E_VALUE);
    assert_non_null(strstr(clm_error_detail(), "row 2"));
    clm_survival_free(s);

    assert_int_equal(clm_survival_create(&p, 1, NULL, &s), CLM_OK);
    assert_int_equal(clm_survival_finish(s), CLM_E_EMPTY);
    clm_survival_free(s);

    p.conf_level = 1.5;
    assert_int_equal(clm_survival_params_check(&p), CLM_E_PARAM);
    clm_survival_conf_type ct;
    assert_int_equal(clm_survival_conf_type_parse("log-log", &ct), CLM_OK);
    assert_int_equal(ct, CLM_CONF_LOGLOG);
    assert_int_equal(clm_survival_conf_type_parse("logit", &ct), CLM_E_PARAM);
}

/* The log-rank test by the Woodbury form over the event times (many
 * strata) equals the dense q x q factorisation, here on 400 strata with
 * different hazards and on 2,500 (past the switch point, where the public
 * figure is the Woodbury one); 40,000 strata of a few rows each finish in
 * linear memory. */
static void test_logrank_woodbury(void **state)
{
    (void)state;
    const int32_t sizes[] = {400, 2500, 40000};
    for (int which = 0; which < 3; which++) {
        const int32_t q = sizes[which];
        const int64_t n = (int64_t)q * (which == 2 ? 4 : 40);
        double *t = malloc(n * sizeof *t), *arpu = NULL;
        uint8_t *e = malloc(n);
        int32_t *g = malloc(n * sizeof *g);
        uint64_t x = 88172645463325252ULL;
        for (int64_t i = 0; i < n; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            g[i] = (int32_t)(i % q);
            /* integer months; stratum g leaves a little faster as g grows */
            t[i] = (double)(x % 48);
            e[i] = (uint8_t)(((x >> 20) % 100) < 30 + (uint64_t)(g[i] % 20));
        }
        clm_survival_params p;
        clm_survival_params_default(&p);
        clm_survival *s = NULL;
        assert_int_equal(clm_survival_create(&p, q, NULL, &s), CLM_OK);
        assert_int_equal(clm_survival_add(s, n, t, e, g, arpu), CLM_OK);
        assert_int_equal(clm_survival_finish(s), CLM_OK);
        const int32_t nc = clm_survival_n_curves(s);
        const clm_logrank *pub = clm_survival_logrank(s);
        assert_int_equal(pub->df, q - 1);
        clm_logrank low, dense;
        assert_int_equal(surv_logrank_with(s->kernels, s->curves, nc - 1, &s->curves[nc - 1], 0, &low), CLM_OK);
        assert_true(isfinite(low.chisq) && low.chisq > 0);
        if (q <= 2500) {
            assert_int_equal(surv_logrank_with(s->kernels, s->curves, nc - 1, &s->curves[nc - 1], 1 << 30, &dense),
                             CLM_OK);
            assert_true(fabs(low.chisq - dense.chisq) <= 1e-8 * dense.chisq);
            assert_int_equal(low.df, dense.df);
        }
        /* The public figure: dense up to the switch point, Woodbury past it. */
        if (q > SURV_LR_DENSE_MAX)
            assert_true(pub->chisq == low.chisq);
        else
            assert_true(pub->chisq == dense.chisq);
        clm_survival_free(s);
        free(t);
        free(e);
        free(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_medians),
        cmocka_unit_test(test_time_zero_and_single),
        cmocka_unit_test(test_logrank_by_hand),
        cmocka_unit_test(test_logrank_many_strata),
        cmocka_unit_test(test_grow_then_hash),
        cmocka_unit_test(test_table_types),
        cmocka_unit_test(test_ltv_by_hand),
        cmocka_unit_test(test_table_hash_threads_agree),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_logrank_woodbury),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

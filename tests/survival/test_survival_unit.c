/*
 * test_survival_unit.c — the in-memory estimator on hand-computed cases:
 * ties of events and censorings at one time, all censored, an event at
 * time 0, a one-subscriber stratum, a curve that never reaches 0.5, a
 * curve at exactly 0.5 over an interval (median averaging), log-rank on
 * two groups worked by hand, LTV by hand; the direct table and the hash
 * give the same figures; 1 and 2 threads give the same bits; bad rows are
 * reported with their row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/survival.h"

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
    clm_conf_type ct;
    assert_int_equal(clm_conf_type_parse("log-log", &ct), CLM_OK);
    assert_int_equal(ct, CLM_CONF_LOGLOG);
    assert_int_equal(clm_conf_type_parse("logit", &ct), CLM_E_PARAM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_medians),
        cmocka_unit_test(test_time_zero_and_single),
        cmocka_unit_test(test_logrank_by_hand),
        cmocka_unit_test(test_ltv_by_hand),
        cmocka_unit_test(test_table_hash_threads_agree),
        cmocka_unit_test(test_bad_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

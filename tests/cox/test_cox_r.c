/*
 * test_cox_r.c — Cox regression against R's survival::coxph.
 *
 * golden_cox.txt was written by make_golden.R (see its header for the
 * command): for the telco sample and a small hand case, Efron and Breslow
 * ties, with and without strata, the coefficients and standard errors,
 * both log-likelihoods, the three tests, the concordance and every row of
 * basehaz(fit, centered = FALSE).  Each must agree within 1e-6 relative.
 * The hand case also checks the null log-likelihood against a count done
 * here (Breslow at beta = 0: minus the sum over events of log of the
 * number at risk).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/cox.h"
#include "testutil.h"

static char telco_h5[4200], hand_h5[4200];

static int setup(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("cox_r"));
    snprintf(telco_h5, sizeof telco_h5, "%s/telco.h5", dir);
    snprintf(hand_h5, sizeof hand_h5, "%s/hand.h5", dir);
    if (tu_clmseg_run(NULL, NULL, "import '%s/datasets/telco_churn.csv' -o '%s' --quiet",
                      tu_source_dir(), telco_h5) != 0)
        return -1;
    if (tu_clmseg_run(NULL, NULL, "import '%s/tests/cox/hand.csv' -o '%s' --quiet",
                      tu_source_dir(), hand_h5) != 0)
        return -1;
    return 0;
}

/* Relative agreement, with an absolute floor for values near zero. */
static void assert_close(double got, double want, double rel, const char *what)
{
    double tol = rel * fabs(want) + 1e-12;
    if (!(fabs(got - want) <= tol)) {
        print_error("%s: clmseg %.17g, R %.17g (difference %.3g, allowed %.3g)\n", what, got,
                    want, fabs(got - want), tol);
        fail();
    }
}

/* The block of golden_cox.txt for one case (caller frees). */
static char *golden_block(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/cox/golden_cox.txt", tu_source_dir());
    char *all = tu_read_file(path, NULL);
    assert_non_null(all);
    char head[128];
    snprintf(head, sizeof head, "case %s \n", name);
    char *start = strstr(all, head);
    assert_non_null(start);
    char *end = strstr(start, "\nend\n");
    assert_non_null(end);
    size_t len = (size_t)(end - start);
    char *block = malloc(len + 1);
    memcpy(block, start, len);
    block[len] = '\0';
    free(all);
    return block;
}

static clm_cox *fit(const char *path, const char *time, const char *event, const char *level,
                    const char *const *features, int n_features, const char *strata,
                    clm_cox_ties ties, int threads)
{
    clm_table *table = NULL;
    assert_int_equal(clm_table_open(path, NULL, &table), CLM_OK);
    clm_cox_params p;
    clm_cox_params_default(&p);
    p.ties = ties;
    p.n_threads = threads;
    clm_cox_columns c;
    clm_cox_columns_default(&c);
    c.time = time;
    c.event = event;
    c.event_level = level;
    c.features = features;
    c.n_features = n_features;
    c.strata = strata;
    clm_cox *m = NULL;
    clm_status st = clm_cox_fit_table(&p, &c, table, &m);
    if (st)
        print_error("fit: %s\n", clm_error_detail());
    assert_int_equal(st, CLM_OK);
    clm_table_close(table);
    return m;
}

static int32_t stratum_index(const clm_cox *m, const char *label)
{
    for (int32_t s = 0; s < clm_cox_n_strata(m); s++)
        if (!strcmp(clm_cox_stratum_label(m, s), label))
            return s;
    return -1;
}

/* Compares a fit with its golden block, line by line. */
static void check_case(const clm_cox *m, const char *name)
{
    char *block = golden_block(name);
    clm_cox_summary s;
    clm_cox_get_summary(m, &s);
    int n_coef = 0, n_base = 0;
    char what[256];
    for (char *line = strtok(block, "\n"); line; line = strtok(NULL, "\n")) {
        char *f[4] = {0};
        int nf = 0;
        for (char *tab = line; nf < 4 && tab; nf++) {
            f[nf] = tab;
            tab = strchr(tab, '\t');
            if (tab)
                *tab++ = '\0';
        }
        if (!strcmp(f[0], "coef")) {
            int j = 0;
            while (j < s.n_terms && strcmp(s.terms[j], f[1]))
                j++;
            if (j == s.n_terms) {
                print_error("%s: term '%s' of R is not in the fit\n", name, f[1]);
                fail();
            }
            snprintf(what, sizeof what, "%s coef %s", name, f[1]);
            assert_close(s.coef[j], strtod(f[2], NULL), 1e-6, what);
            snprintf(what, sizeof what, "%s se %s", name, f[1]);
            assert_close(s.se[j], strtod(f[3], NULL), 1e-6, what);
            n_coef++;
        } else if (!strcmp(f[0], "loglik")) {
            snprintf(what, sizeof what, "%s loglik null", name);
            assert_close(s.loglik_null, strtod(f[1], NULL), 1e-9, what);
            snprintf(what, sizeof what, "%s loglik", name);
            assert_close(s.loglik, strtod(f[2], NULL), 1e-9, what);
        } else if (!strcmp(f[0], "concordance")) {
            snprintf(what, sizeof what, "%s concordance", name);
            assert_close(s.concordance, strtod(f[1], NULL), 1e-9, what);
        } else if (!strcmp(f[0], "tests")) {
            snprintf(what, sizeof what, "%s likelihood-ratio test", name);
            assert_close(s.lr_test, strtod(f[1], NULL), 1e-6, what);
            snprintf(what, sizeof what, "%s Wald test", name);
            assert_close(s.wald_test, strtod(f[2], NULL), 1e-6, what);
            snprintf(what, sizeof what, "%s score test", name);
            assert_close(s.score_test, strtod(f[3], NULL), 1e-6, what);
        } else if (!strcmp(f[0], "basehaz")) {
            int32_t st = stratum_index(m, f[1]);
            assert_true(st >= 0);
            int64_t n;
            const double *t, *h;
            clm_cox_baseline(m, st, &n, &t, &h);
            double time = strtod(f[2], NULL);
            int64_t k = 0;
            while (k < n && t[k] != time)
                k++;
            if (k == n) {
                print_error("%s: no baseline at time %g of stratum %s\n", name, time, f[1]);
                fail();
            }
            snprintf(what, sizeof what, "%s basehaz %s t=%g", name, f[1], time);
            assert_close(h[k], strtod(f[3], NULL), 1e-6, what);
            n_base++;
        }
    }
    assert_int_equal(n_coef, s.n_terms);
    /* R lists every time of every stratum: as many as the fit has. */
    int64_t total = 0;
    for (int32_t k = 0; k < clm_cox_n_strata(m); k++) {
        int64_t n;
        const double *t, *h;
        clm_cox_baseline(m, k, &n, &t, &h);
        total += n;
    }
    assert_int_equal(n_base, total);
    free(block);
}

static const char *const telco_features[] = {"contract", "monthly_charges", "payment_method",
                                             "internet_service", "senior_citizen"};
static const char *const strata_features[] = {"contract", "monthly_charges", "payment_method",
                                              "senior_citizen"};
static const char *const hand_features[] = {"x", "g"};
static const char *const hand_strata_features[] = {"x"};

static void run_cases(clm_cox_ties ties, const char *suffix)
{
    char name[64];
    clm_cox *m = fit(telco_h5, "tenure", "churn", "Yes", telco_features, 5, NULL, ties, 0);
    snprintf(name, sizeof name, "telco_%s", suffix);
    check_case(m, name);
    clm_cox_free(m);
    m = fit(telco_h5, "tenure", "churn", "Yes", strata_features, 4, "internet_service", ties, 0);
    snprintf(name, sizeof name, "telco_strata_%s", suffix);
    check_case(m, name);
    clm_cox_free(m);
    m = fit(hand_h5, "time", "event", NULL, hand_features, 2, NULL, ties, 0);
    snprintf(name, sizeof name, "hand_%s", suffix);
    check_case(m, name);
    clm_cox_free(m);
    m = fit(hand_h5, "time", "event", NULL, hand_strata_features, 1, "grp", ties, 0);
    snprintf(name, sizeof name, "hand_strata_%s", suffix);
    check_case(m, name);
    clm_cox_free(m);
}

static void test_efron_matches_r(void **state)
{
    (void)state;
    run_cases(CLM_COX_EFRON, "efron");
}

static void test_breslow_matches_r(void **state)
{
    (void)state;
    run_cases(CLM_COX_BRESLOW, "breslow");
}

/* Breslow at beta = 0 by hand: every event at t adds -log(at risk at t). */
static void test_null_loglik_by_hand(void **state)
{
    (void)state;
    static const double time[] = {1.5, 2, 2, 2, 3.25, 3.25, 3.25, 4, 5.5, 6, 6, 7, 8, 9};
    static const int event[] = {1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0};
    double ll0 = 0.0;
    for (int i = 0; i < 14; i++) {
        if (!event[i])
            continue;
        int at_risk = 0;
        for (int j = 0; j < 14; j++)
            at_risk += time[j] >= time[i];
        ll0 -= log((double)at_risk);
    }
    clm_cox *m = fit(hand_h5, "time", "event", NULL, hand_features, 2, NULL, CLM_COX_BRESLOW, 1);
    clm_cox_summary s;
    clm_cox_get_summary(m, &s);
    assert_close(s.loglik_null, ll0, 1e-12, "null log-likelihood");
    assert_int_equal(s.n_rows, 14);
    assert_int_equal(s.n_events, 9);
    clm_cox_free(m);
}

/* One thread or two: the same bits. */
static void test_threads_identical(void **state)
{
    (void)state;
    clm_cox *a = fit(telco_h5, "tenure", "churn", "Yes", strata_features, 4, "internet_service",
                     CLM_COX_EFRON, 1);
    clm_cox *b = fit(telco_h5, "tenure", "churn", "Yes", strata_features, 4, "internet_service",
                     CLM_COX_EFRON, 2);
    clm_cox_summary sa, sb;
    clm_cox_get_summary(a, &sa);
    clm_cox_get_summary(b, &sb);
    assert_memory_equal(sa.coef, sb.coef, (size_t)sa.n_terms * sizeof(double));
    assert_memory_equal(sa.var, sb.var, (size_t)sa.n_terms * sa.n_terms * sizeof(double));
    assert_true(sa.loglik == sb.loglik && sa.concordance == sb.concordance);
    for (int32_t k = 0; k < clm_cox_n_strata(a); k++) {
        int64_t na, nb;
        const double *ta, *ha, *tb, *hb;
        clm_cox_baseline(a, k, &na, &ta, &ha);
        clm_cox_baseline(b, k, &nb, &tb, &hb);
        assert_int_equal(na, nb);
        assert_memory_equal(ha, hb, (size_t)na * sizeof(double));
    }
    clm_cox_free(a);
    clm_cox_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_efron_matches_r),
        cmocka_unit_test(test_breslow_matches_r),
        cmocka_unit_test(test_null_loglik_by_hand),
        cmocka_unit_test(test_threads_identical),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

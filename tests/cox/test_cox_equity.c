/*
 * test_cox_equity.c — each subscriber's remaining lifetime and value, and
 * the Cox model's handling of bad input.
 *
 *  - The equity formulas against a computation done here from the model's
 *    R-checked figures (coefficients in original units and
 *    basehaz(centered = FALSE)), not from its internal centred scale.
 *  - The run on a generated quarter against the generator's truth
 *    (/truth/residual_months): active subscribers still there after 3 and
 *    12 months within 2% overall and 5% in every tier and every branch
 *    with at least 2,000 active subscribers.
 *  - One thread or two, a saved and loaded model, and `clmseg predict`
 *    with the run's saved models on the same quarter: the same bytes.
 *  - A constant covariate, perfect separation, collinear covariates, a
 *    missing value and a stratum without events.
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

static char telco_h5[4200];

static int setup(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("cox_equity"));
    snprintf(telco_h5, sizeof telco_h5, "%s/telco.h5", dir);
    return tu_clmseg_run(NULL, NULL, "import '%s/datasets/telco_churn.csv' -o '%s' --quiet",
                         tu_source_dir(), telco_h5);
}

static const char *const telco_features[] = {"contract", "monthly_charges", "payment_method",
                                             "senior_citizen"};

static clm_cox *fit_telco(const clm_table *table, int threads)
{
    clm_cox_params p;
    clm_cox_params_default(&p);
    p.n_threads = threads;
    clm_cox_columns c;
    clm_cox_columns_default(&c);
    c.time = "tenure";
    c.event = "churn";
    c.event_level = "Yes";
    c.features = telco_features;
    c.n_features = 4;
    c.strata = "internet_service";
    clm_cox *m = NULL;
    assert_int_equal(clm_cox_fit_table(&p, &c, table, &m), CLM_OK);
    return m;
}

static clm_equity *equity_of(const clm_cox *m, const clm_table *table, int threads, int horizon)
{
    clm_equity_params ep;
    clm_equity_params_default(&ep);
    ep.n_threads = threads;
    ep.horizon = horizon;
    clm_equity *eq = NULL;
    clm_status st = clm_cox_equity_table(m, &ep, "monthly_charges", NULL, table, &eq);
    if (st)
        print_error("equity: %s\n", clm_error_detail());
    assert_int_equal(st, CLM_OK);
    return eq;
}

/* H0 at x = 0 of stratum s at t: the step function R's basehaz lists,
 * then the mean rate of its last 12 months (docs/cox.md). */
static double h0_at(const clm_cox *m, int32_t s, double t)
{
    int64_t n;
    const double *time, *h;
    clm_cox_baseline(m, s, &n, &time, &h);
    double last = time[n - 1];
    double step_last12 = 0.0;
    for (int64_t k = 0; k < n && time[k] <= last - 12.0; k++)
        step_last12 = h[k];
    if (t >= last)
        return h[n - 1] + (h[n - 1] - step_last12) / 12.0 * (t - last);
    double v = 0.0;
    for (int64_t k = 0; k < n && time[k] <= t; k++)
        v = h[k];
    return v;
}

static void test_formulas(void **state)
{
    (void)state;
    clm_table *table = NULL;
    assert_int_equal(clm_table_open(telco_h5, NULL, &table), CLM_OK);
    clm_cox *m = fit_telco(table, 0);
    clm_equity *eq = equity_of(m, table, 0, 24);
    clm_cox_summary s;
    clm_cox_get_summary(m, &s);
    /* The columns by hand: tenure, churn, the covariates, the stratum. */
    const int64_t n = clm_table_n_rows(table);
    double *tenure = malloc(n * sizeof *tenure), *mc = malloc(n * sizeof *mc);
    double *senior = malloc(n * sizeof *senior);
    int32_t *contract = malloc(n * sizeof *contract), *pay = malloc(n * sizeof *pay);
    int32_t *inet = malloc(n * sizeof *inet), *churn = malloc(n * sizeof *churn);
    assert_int_equal(clm_table_read_f64(table, clm_table_find(table, "tenure"), 0, n, tenure), CLM_OK);
    assert_int_equal(clm_table_read_f64(table, clm_table_find(table, "monthly_charges"), 0, n, mc), CLM_OK);
    assert_int_equal(clm_table_read_f64(table, clm_table_find(table, "senior_citizen"), 0, n, senior), CLM_OK);
    assert_int_equal(clm_table_read_i32(table, clm_table_find(table, "contract"), 0, n, contract), CLM_OK);
    assert_int_equal(clm_table_read_i32(table, clm_table_find(table, "payment_method"), 0, n, pay), CLM_OK);
    assert_int_equal(clm_table_read_i32(table, clm_table_find(table, "internet_service"), 0, n, inet), CLM_OK);
    assert_int_equal(clm_table_read_i32(table, clm_table_find(table, "churn"), 0, n, churn), CLM_OK);
    const clm_column_info *ci = clm_table_column(table, clm_table_find(table, "contract"));
    const clm_column_info *pi = clm_table_column(table, clm_table_find(table, "payment_method"));
    const clm_column_info *ii = clm_table_column(table, clm_table_find(table, "internet_service"));
    const clm_column_info *yi = clm_table_column(table, clm_table_find(table, "churn"));
    int64_t active = 0, checked_tail = 0;
    double sum12 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (!strcmp(yi->categories[churn[i]], "Yes")) {
            assert_true(isnan(eq->leave_3[i]) && isnan(eq->value[i]));
            continue;
        }
        active++;
        double lp = 0.0;
        for (int j = 0; j < s.n_terms; j++) {
            const char *t = s.terms[j];
            double x;
            if (!strcmp(t, "monthly_charges"))
                x = mc[i];
            else if (!strcmp(t, "senior_citizen"))
                x = senior[i];
            else if (!strncmp(t, "contract=", 9))
                x = !strcmp(ci->categories[contract[i]], t + 9);
            else
                x = !strcmp(pi->categories[pay[i]], t + 15); /* "payment_method=" */
            lp += s.coef[j] * x;
        }
        int32_t st = -1;
        for (int32_t k = 0; k < clm_cox_n_strata(m); k++)
            if (!strcmp(clm_cox_stratum_label(m, k), ii->categories[inet[i]]))
                st = k;
        assert_true(st >= 0);
        const double r = exp(lp), tau = tenure[i], base = h0_at(m, st, tau);
        double months = 0.0, value = 0.0;
        for (int k = 1; k <= 24; k++) {
            double q = exp(-r * (h0_at(m, st, tau + k) - base));
            months += q;
            value += q * pow(1.10, -k / 12.0) * mc[i];
            if (k == 3)
                assert_float_equal(eq->leave_3[i], 1.0 - q, 2e-6);
            if (k == 12) {
                assert_float_equal(eq->leave_12[i], 1.0 - q, 2e-6);
                sum12 += q;
            }
        }
        assert_float_equal(eq->expected_months[i], months, 2e-5 * months);
        assert_float_equal(eq->value[i], value, 2e-5 * value);
        checked_tail += tau + 24 > 72;
    }
    assert_int_equal(eq->n_active, active);
    assert_true(checked_tail > 100); /* the extrapolated tail was exercised */
    assert_float_equal(eq->expected_active[12], sum12, 1e-6 * sum12);
    assert_float_equal(eq->expected_active[0], (double)active, 0.0);
    free(tenure); free(mc); free(senior); free(contract); free(pay); free(inet); free(churn);
    clm_equity_free(eq);
    clm_cox_free(m);
    clm_table_close(table);
}

static void test_threads_and_reload(void **state)
{
    (void)state;
    clm_table *table = NULL;
    assert_int_equal(clm_table_open(telco_h5, NULL, &table), CLM_OK);
    clm_cox *a = fit_telco(table, 1), *b = fit_telco(table, 2);
    clm_equity *ea = equity_of(a, table, 1, 36), *eb = equity_of(b, table, 2, 36);
    const size_t bytes = (size_t)ea->n_rows * sizeof(float);
    assert_memory_equal(ea->value, eb->value, bytes);
    assert_memory_equal(ea->leave_12, eb->leave_12, bytes);
    assert_memory_equal(ea->expected_active, eb->expected_active, 37 * sizeof(double));
    /* Saved and loaded: the same equity. */
    char path[4200];
    snprintf(path, sizeof path, "%s", tu_path(tu_tmpdir("cox_reload"), "model.h5"));
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    assert_int_equal(clm_cox_save(a, w, NULL), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    assert_true(clm_cox_saved_in(path, NULL));
    clm_cox *loaded = NULL;
    assert_int_equal(clm_cox_load(path, NULL, 2, &loaded), CLM_OK);
    clm_equity *el = equity_of(loaded, table, 2, 36);
    assert_memory_equal(ea->value, el->value, bytes);
    assert_memory_equal(ea->leave_3, el->leave_3, bytes);
    clm_cox_summary sa, sl;
    clm_cox_get_summary(a, &sa);
    clm_cox_get_summary(loaded, &sl);
    assert_int_equal(sa.n_terms, sl.n_terms);
    assert_memory_equal(sa.coef, sl.coef, (size_t)sa.n_terms * sizeof(double));
    assert_true(sa.concordance == sl.concordance && sa.loglik == sl.loglik);
    clm_equity_free(ea);
    clm_equity_free(eb);
    clm_equity_free(el);
    clm_cox_free(a);
    clm_cox_free(b);
    clm_cox_free(loaded);
    clm_table_close(table);
}

/* ---- the run against the generator's truth -------------------------------- */

static float *read_f32(const char *path, const char *group, const char *name, int64_t n)
{
    clm_table *t = NULL;
    assert_int_equal(clm_table_open_any(path, group, &t), CLM_OK);
    int col = clm_table_find(t, name);
    assert_true(col >= 0);
    assert_int_equal(clm_table_column(t, col)->length, n);
    float *v = malloc((size_t)n * sizeof *v);
    assert_int_equal(clm_table_read_f32(t, col, 0, n, v), CLM_OK);
    clm_table_close(t);
    return v;
}

static int32_t *read_i32(const char *path, const char *group, const char *name, int64_t n)
{
    clm_table *t = NULL;
    assert_int_equal(clm_table_open_any(path, group, &t), CLM_OK);
    int col = clm_table_find(t, name);
    assert_true(col >= 0);
    int32_t *v = malloc((size_t)n * sizeof *v);
    assert_int_equal(clm_table_read_i32(t, col, 0, n, v), CLM_OK);
    clm_table_close(t);
    return v;
}

static void check_gap(double pred, double truth, double bar, const char *what)
{
    double gap = fabs(pred / truth - 1.0);
    printf("%-32s predicted %10.1f  true %8.0f  gap %.2f%%\n", what, pred, truth, 100 * gap);
    if (!(gap <= bar)) {
        print_error("%s: gap %.2f%% above %.0f%%\n", what, 100 * gap, 100 * bar);
        fail();
    }
}

static void test_run_against_truth(void **state)
{
    (void)state;
    char dir[4096], q[4200], out[4200], results[4400];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("cox_truth"));
    snprintf(q, sizeof q, "%s/q.h5", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(results, sizeof results, "%s/results.h5", out);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 200000 --branches 40 --seed 3 --quiet", q), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --quiet", q, out), 0);
    const int64_t n = 200000;
    float *res = read_f32(q, "/truth", "residual_months", n);
    float *l3 = read_f32(results, "/equity", "leave_3", n);
    float *l12 = read_f32(results, "/equity", "leave_12", n);
    int32_t *tier = read_i32(results, "/value", "tier", n);
    int32_t *branch = read_i32(q, "/subscribers", "branch", n);
    enum { NB = 40 };
    double pred[1 + 3 + NB][2];
    int64_t truth[1 + 3 + NB][2], active[1 + 3 + NB];
    memset(pred, 0, sizeof pred);
    memset(truth, 0, sizeof truth);
    memset(active, 0, sizeof active);
    for (int64_t i = 0; i < n; i++) {
        assert_true(isnan(res[i]) == isnan(l12[i])); /* churned rows: NaN in both */
        if (isnan(res[i]))
            continue;
        int groups[3] = {0, 1 + tier[i], 4 + branch[i]};
        for (int g = 0; g < 3; g++) {
            active[groups[g]]++;
            pred[groups[g]][0] += 1.0 - l3[i];
            pred[groups[g]][1] += 1.0 - l12[i];
            truth[groups[g]][0] += res[i] > 3.0f;
            truth[groups[g]][1] += res[i] > 12.0f;
        }
    }
    check_gap(pred[0][0], (double)truth[0][0], 0.02, "all, after 3 months");
    check_gap(pred[0][1], (double)truth[0][1], 0.02, "all, after 12 months");
    char what[64];
    for (int t = 0; t < 3; t++)
        for (int k = 0; k < 2; k++) {
            snprintf(what, sizeof what, "tier %d, after %d months", t, k ? 12 : 3);
            check_gap(pred[1 + t][k], (double)truth[1 + t][k], 0.05, what);
        }
    int checked = 0;
    for (int b = 0; b < NB; b++) {
        if (active[4 + b] < 2000)
            continue;
        checked++;
        for (int k = 0; k < 2; k++) {
            snprintf(what, sizeof what, "branch %d, after %d months", b, k ? 12 : 3);
            check_gap(pred[4 + b][k], (double)truth[4 + b][k], 0.05, what);
        }
    }
    assert_true(checked >= 10);
    /* predict with the saved models on the same quarter: the same bytes */
    char scored[4400];
    snprintf(scored, sizeof scored, "%s/scored.h5", dir);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "predict '%s' '%s' -o '%s' --quiet", results, q, scored), 0);
    float *p12 = read_f32(scored, "/equity", "leave_12", n);
    float *v = read_f32(results, "/equity", "value", n), *pv = read_f32(scored, "/equity", "value", n);
    assert_memory_equal(l12, p12, (size_t)n * sizeof(float));
    assert_memory_equal(v, pv, (size_t)n * sizeof(float));
    free(p12); free(v); free(pv);
    free(res); free(l3); free(l12); free(tier); free(branch);
}

/* ---- bad input --------------------------------------------------------------- */

static clm_status fit_csv(const char *csv, const char *features, const char *strata, clm_cox **out)
{
    char dir[4200], c[4300], h5[4300];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("cox_bad"));
    snprintf(c, sizeof c, "%s/in.csv", dir);
    snprintf(h5, sizeof h5, "%s/in.h5", dir);
    assert_int_equal(tu_write_file(c, csv), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "import '%s' -o '%s' --quiet", c, h5), 0);
    clm_table *table = NULL;
    assert_int_equal(clm_table_open(h5, NULL, &table), CLM_OK);
    int n = 0;
    const char *list[4];
    char buf[256];
    snprintf(buf, sizeof buf, "%s", features);
    for (char *t = strtok(buf, ","); t && n < 4; t = strtok(NULL, ","))
        list[n++] = t;
    clm_cox_params p;
    clm_cox_params_default(&p);
    clm_cox_columns cols;
    clm_cox_columns_default(&cols);
    cols.time = "t";
    cols.event = "e";
    cols.features = list;
    cols.n_features = n;
    cols.strata = strata;
    clm_status st = clm_cox_fit_table(&p, &cols, table, out);
    clm_table_close(table);
    return st;
}

static void expect_error(const char *csv, const char *features, const char *needle)
{
    clm_cox *m = NULL;
    assert_int_equal(fit_csv(csv, features, NULL, &m), CLM_E_VALUE);
    assert_null(m);
    if (!strstr(clm_error_detail(), needle)) {
        print_error("message '%s' does not say '%s'\n", clm_error_detail(), needle);
        fail();
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    expect_error("t,e,x,c\n1,1,2,5\n2,0,2,6\n3,1,2,7\n4,0,2,5\n", "x", "column 'x' is constant");
    /* x orders the events perfectly: every event has x = 1, every
     * censoring before it x = 0. */
    expect_error("t,e,x\n1,1,1\n2,1,1\n3,1,1\n4,0,0\n5,0,0\n6,0,0\n7,1,1\n8,0,0\n", "x",
                 "runs to infinity");
    expect_error("t,e,x,y\n1,1,1,2\n2,0,2,4\n3,1,3,6\n4,0,5,10\n5,1,2,4\n6,0,7,14\n", "x,y",
                 "'y' is (nearly) a combination");
    expect_error("t,e,x\n1,1,1\n2,0,\n3,1,3\n4,0,5\n", "x", "row 1: covariate is missing");
    /* A stratum without events: fitted, zero baseline there. */
    clm_cox *m = NULL;
    assert_int_equal(fit_csv("t,e,x,g\n1,1,0.5,a\n2,1,1.5,a\n3,0,0.2,a\n4,1,2.5,a\n5,0,1.0,a\n"
                             "1,0,0.3,b\n2,0,0.9,b\n3,0,1.1,b\n",
                             "x", "g", &m), CLM_OK);
    int32_t b = clm_cox_stratum_label(m, 0)[0] == 'b' ? 0 : 1;
    int64_t nt;
    const double *t, *h;
    clm_cox_baseline(m, b, &nt, &t, &h);
    assert_int_equal(nt, 3);
    for (int64_t k = 0; k < nt; k++)
        assert_true(h[k] == 0.0);
    clm_cox_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formulas),
        cmocka_unit_test(test_threads_and_reload),
        cmocka_unit_test(test_run_against_truth),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

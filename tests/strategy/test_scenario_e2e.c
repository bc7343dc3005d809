/*
 * test_scenario_e2e.c — `clmseg scenario` end to end, checked against
 * check_scenario.py (numpy + h5py, from the quarter and the run's
 * results.h5 only).  On a generated quarter (60,000 rows, 20 branches,
 * seed 7) and a plan with every lever:
 *   - the baseline is the run's customer equity and expected active base;
 *   - a retention hazard ratio for ever gives q^0.7 - q per row after 3
 *     and 12 months, by branch and for the company, and take-up 0.3 gives
 *     0.3 x that; targeted, accepting and costs by hand for every lever
 *     (retention, upsell, renewal, bad debt, acquisition, win-back);
 *   - the waterfall of a two-lever scenario: each lever alone (equal to its
 *     own one-lever scenario) + the interaction = the net gain;
 *   - the budget (loose and binding): each policy within the budget, the
 *     optimised gaining most, allocation.csv summing to the policies;
 *   - plan errors exit 1 naming file:line and key and leave OUTDIR as it was;
 *   - 1 and 2 threads give the same bytes; `clmseg run --config plan.ini`
 *     gives the command's scenarios.csv;
 *   - scenario.html renders in headless Chromium with scenarios.csv's figures;
 *     with --lang zh it is Chinese with the same figures, --lang fr fails;
 *   - against the generator's truth (--truth-lever), the predicted extra
 *     active subscribers after 12 months within 10%, overall and per tier
 *     (test_truth_lever gives the figures).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char dir[4096], q[4200], rundir[4200], out[4200], plan[4200];

/* The plan of /tmp/scn/plan.ini (every lever), with the two-lever scenario
 * moved to health ranks 5-15 (the quarter has 20 branches), and three
 * scenarios more: save_d with take-up 0.3 and an accept cost, and each
 * lever of combo alone. check_scenario.py repeats these figures. */
static const char *const plan_text =
    "[plan]\n"
    "horizon = 36\n"
    "\n"
    "[scenario save_d]\n"
    "lever = retention\n"
    "stage = D\n"
    "hazard_ratio = 0.7\n"
    "take_up = 1\n"
    "cost_contact = high:20,medium:10,low:5\n"
    "\n"
    "[scenario save_d_30]\n"
    "lever = retention\n"
    "stage = D\n"
    "hazard_ratio = 0.7\n"
    "take_up = 0.3\n"
    "cost_contact = high:20,medium:10,low:5\n"
    "cost_accept = 7\n"
    "\n"
    "[scenario combo]\n"
    "branch_rank = 5-15\n"
    "[scenario combo.retention]\n"
    "tier = high,medium\n"
    "hazard_ratio = 0.8\n"
    "take_up = 0.4\n"
    "months = 12\n"
    "arpu_change = -0.05\n"
    "cost_contact = 8\n"
    "cost_accept = 15\n"
    "[scenario combo.upsell]\n"
    "stage = C\n"
    "arpu_change = 0.1\n"
    "take_up = 0.2\n"
    "cost_contact = 2\n"
    "\n"
    "[scenario combo_ret]\n"
    "lever = retention\n"
    "branch_rank = 5-15\n"
    "tier = high,medium\n"
    "hazard_ratio = 0.8\n"
    "take_up = 0.4\n"
    "months = 12\n"
    "arpu_change = -0.05\n"
    "cost_contact = 8\n"
    "cost_accept = 15\n"
    "\n"
    "[scenario combo_up]\n"
    "lever = upsell\n"
    "branch_rank = 5-15\n"
    "stage = C\n"
    "arpu_change = 0.1\n"
    "take_up = 0.2\n"
    "cost_contact = 2\n"
    "\n"
    "[scenario renew]\n"
    "lever = renewal\n"
    "to_plan = contract-24m\n"
    "plan = postpaid\n"
    "take_up = 0.3\n"
    "cost_contact = 5\n"
    "cost_accept = 40\n"
    "\n"
    "[scenario debt]\n"
    "lever = bad_debt\n"
    "recovery = 0.1\n"
    "take_up = 0.5\n"
    "cost_contact = 3\n"
    "\n"
    "[scenario acquire]\n"
    "lever = acquisition\n"
    "worst = 5\n"
    "new_per_month = 100\n"
    "months = 12\n"
    "cost_accept = 120\n"
    "\n"
    "[scenario winback]\n"
    "lever = winback\n"
    "take_up = 0.05\n"
    "tier = high\n"
    "cost_contact = 4\n"
    "cost_accept = 60\n"
    "\n"
    "[budget]\n"
    "total = 200000\n"
    "lever = retention\n"
    "hazard_ratio = 0.7\n"
    "take_up = 0.3\n"
    "months = 12\n"
    "cost_contact = high:20,medium:10,low:5\n"
    "cost_accept = 10\n";

/* A budget that binds: the optimised split spends it all. */
static const char *const tight_text =
    "[budget]\n"
    "total = 3000\n"
    "lever = retention\n"
    "hazard_ratio = 0.7\n"
    "take_up = 0.3\n"
    "months = 12\n"
    "cost_contact = high:20,medium:10,low:5\n"
    "cost_accept = 10\n";

/* Runs check_scenario.py; its last line must be "ok".  Prints what it
 * printed before when `show`. */
static void run_checker(const char *args, int show)
{
    char cmd[16384], *o = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/strategy/check_scenario.py' %s", tu_python(), tu_source_dir(), args);
    int rc = tu_run(cmd, &o, &err);
    if (rc != 0)
        fail_msg("check_scenario.py %s: %s %s", args, o, err);
    size_t len = strlen(o);
    assert_true(len >= 3 && !strcmp(o + len - 3, "ok\n"));
    if (show)
        printf("%s", o);
    free(o);
    free(err);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("scenario_e2e"));
    snprintf(q, sizeof q, "%s/q.h5", dir);
    snprintf(rundir, sizeof rundir, "%s/run", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(plan, sizeof plan, "%s/plan.ini", dir);
    if (tu_write_file(plan, plan_text))
        return 1;
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "synth -o '%s' --rows 60000 --branches 20 --seed 7 --quiet", q);
    if (!rc) {
        free(err);
        err = NULL;
        rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --threads 2 --quiet", q, rundir);
    }
    if (!rc) {
        free(err);
        err = NULL;
        rc = tu_clmseg_run(NULL, &err, "scenario '%s' '%s' -o '%s' --plan '%s' --threads 2 --quiet", q, rundir,
                           out, plan);
    }
    if (rc)
        fprintf(stderr, "setup failed (exit %d): %s\n", rc, err ? err : "");
    free(err);
    return rc;
}

static void test_outputs_present(void **state)
{
    (void)state;
    const char *files[] = {"scenarios.csv", "scenario_curves.csv", "scenario_levers.csv", "scenarios.h5",
                           "scenario.html", "allocation.csv", "allocation_policies.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!tu_exists(tu_path(out, files[i])))
            fail_msg("%s missing", files[i]);
    assert_int_equal(tu_count_matching(out, ".tmp."), 0);
    /* The summary names every scenario. */
    char *o = NULL;
    assert_int_equal(tu_clmseg_run(&o, NULL, "scenario '%s' '%s' -o '%s/summary' --plan '%s'", q, rundir, dir, plan),
                     0);
    const char *names[] = {"save_d ", "save_d_30 ", "combo ", "combo_ret ", "combo_up ", "renew ", "debt ",
                           "acquire ", "winback ", "budget 200000.00:"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(o, names[i]))
            fail_msg("summary without '%s': %s", names[i], o);
    free(o);
}

/* Items 1-4 and 6 of the brief: baseline, retention (take-up 1 and 0.3),
 * acquisition, renewal, bad debt, win-back, the two-lever waterfall. */
static void test_figures_against_reference(void **state)
{
    (void)state;
    char args[16384];
    snprintf(args, sizeof args, "outputs '%s' '%s' '%s'", q, rundir, out);
    run_checker(args, 0);
}

static void test_budget(void **state)
{
    (void)state;
    char args[16384];
    snprintf(args, sizeof args, "budget '%s' 200000", out);
    run_checker(args, 0);
    /* A budget-only plan whose total binds. */
    char tight[4200], tout[4200];
    snprintf(tight, sizeof tight, "%s/tight.ini", dir);
    snprintf(tout, sizeof tout, "%s/tight", dir);
    assert_int_equal(tu_write_file(tight, tight_text), 0);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "scenario '%s' '%s' -o '%s' --plan '%s' --quiet", q, rundir, tout, tight);
    if (rc != 0)
        fail_msg("budget-only plan: exit %d: %s", rc, err);
    free(err);
    snprintf(args, sizeof args, "budget '%s' 3000 binding", tout);
    run_checker(args, 0);
}

/* Errors in the plan (read before anything else) and in a lever (found
 * against the book): exit 1, the message names file:line and the key,
 * and neither a fresh nor a previous OUTDIR gets a partial file. */
static void test_plan_errors(void **state)
{
    (void)state;
    struct {
        const char *text, *message;
    } cases[] = {
        {"[scenario r]\nlever = renewal\nto_plan = contract-36m\nplan = postpaid\n",
         "bad.ini:1: to_plan 'contract-36m' is not a level of column 'plan'"},
        {"[scenario x]\nlever = retention\nhazard_ratoi = 0.7\n", "bad.ini:3: unknown key 'hazard_ratoi'"},
        {"[scenario x]\nlever = retention\nstage = D\ntake_up = 0.3x\n", "bad.ini:4: key 'take_up' = '0.3x'"},
        {"[scenario x]\nlever = retention\nhazard_ratio = -1\n", "bad.ini:3: key 'hazard_ratio' = '-1'"},
        {"# no lever\n[scenario x]\nstage = D\n", "bad.ini:2: [scenario x] needs lever"},
        {"[scenario x]\nlever = retain\n", "bad.ini:2: key 'lever' = 'retain'"},
        {"[scenario x]\nlever = retention\nbranch = Atlantis\n", "bad.ini:1: branch 'Atlantis' is not in the quarter"},
        {"[plan]\nhorizon = 36\n", "no [scenario NAME] and no [budget]"},
    };
    char bad[4200], prev[4200], fresh[4200], cmd[16384];
    snprintf(bad, sizeof bad, "%s/bad.ini", dir);
    snprintf(prev, sizeof prev, "%s/prev", dir);
    snprintf(fresh, sizeof fresh, "%s/fresh", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", prev, out, prev);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    const char *files[] = {"scenarios.csv", "scenario_curves.csv", "scenario_levers.csv", "scenarios.h5",
                           "scenario.html", "allocation.csv", "allocation_policies.csv"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(tu_write_file(bad, cases[i].text), 0);
        char *err = NULL;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", fresh);
        assert_int_equal(tu_run(cmd, NULL, NULL), 0);
        int rc = tu_clmseg_run(NULL, &err, "scenario '%s' '%s' -o '%s' --plan '%s'", q, rundir, fresh, bad);
        if (rc != 1 || !err || !strstr(err, cases[i].message))
            fail_msg("case %zu: exit %d, message %s (expected %s)", i, rc, err ? err : "", cases[i].message);
        free(err);
        int left = tu_count_matching(fresh, "");
        if (left > 2) /* "." and ".." of an empty folder */
            fail_msg("case %zu: %d entries left in a fresh OUTDIR", i, left - 2);
        rc = tu_clmseg_run(NULL, NULL, "scenario '%s' '%s' -o '%s' --plan '%s' --quiet", q, rundir, prev, bad);
        assert_int_equal(rc, 1);
        assert_int_equal(tu_count_matching(prev, ".tmp."), 0);
        for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
            char a[4400], b[4400];
            snprintf(a, sizeof a, "%s/%s", prev, files[f]);
            snprintf(b, sizeof b, "%s/%s", out, files[f]);
            if (!tu_same_bytes(a, b))
                fail_msg("case %zu: %s of the previous OUTDIR changed", i, files[f]);
        }
    }
    /* Usage errors. */
    char *err = NULL;
    assert_int_equal(tu_clmseg_run(NULL, &err, "scenario '%s' '%s' -o '%s'", q, rundir, fresh), 1);
    assert_non_null(strstr(err, "--plan"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "scenario '%s' '%s' -o '%s' --plan '%s/absent.ini'", q, rundir, fresh,
                                   dir), 1);
    assert_non_null(strstr(err, "absent.ini"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "scenario '%s' '%s/nowhere' -o '%s' --plan '%s'", q, dir, fresh,
                                   plan), 1);
    assert_non_null(strstr(err, "results.h5"));
    free(err);
}

static const char *const data_files[] = {"scenarios.csv", "scenario_curves.csv", "scenario_levers.csv",
                                         "allocation.csv", "allocation_policies.csv", "scenario.html"};

static void test_threads_same_bytes(void **state)
{
    (void)state;
    char one[4200];
    snprintf(one, sizeof one, "%s/threads1", dir);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "scenario '%s' '%s' -o '%s' --plan '%s' --threads 1 --quiet", q,
                                   rundir, one, plan), 0);
    const char *differs = tu_first_difference(one, out, data_files, sizeof data_files / sizeof data_files[0]);
    if (differs)
        fail_msg("%s differs between --threads 1 and 2", differs);
    assert_non_null(tu_h5dump());
    assert_true(tu_same_h5_group(tu_path(one, "scenarios.h5"), tu_path(out, "scenarios.h5"), "/scenarios", 10000));
    /* The file itself too (the writer puts no time or thread count in it). */
    char a[4400], b[4400];
    snprintf(a, sizeof a, "%s/scenarios.h5", one);
    snprintf(b, sizeof b, "%s/scenarios.h5", out);
    assert_true(tu_same_bytes(a, b));
}

/* The scenarios inside the run: the same bytes as the command's. */
static void test_run_config_same(void **state)
{
    (void)state;
    char r2[4200];
    snprintf(r2, sizeof r2, "%s/run_config", dir);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --config '%s' --threads 1 --quiet", q, r2, plan);
    if (rc != 0)
        fail_msg("run --config plan.ini: exit %d: %s", rc, err);
    free(err);
    for (size_t f = 0; f < sizeof data_files / sizeof data_files[0]; f++) {
        char a[4400], b[4400];
        snprintf(a, sizeof a, "%s/%s", r2, data_files[f]);
        snprintf(b, sizeof b, "%s/%s", out, data_files[f]);
        if (!tu_same_bytes(a, b))
            fail_msg("%s of the run differs from the scenario command's", data_files[f]);
    }
    assert_true(tu_same_h5_group(tu_path(r2, "results.h5"), tu_path(out, "scenarios.h5"), "/scenarios", 10000));
    /* The run's report has its scenario section. */
    char *report = tu_read_file(tu_path(r2, "report.html"), NULL);
    assert_non_null(report);
    assert_non_null(strstr(report, "Strategy scenarios"));
    free(report);
}

static void test_html_renders_in_chromium(void **state)
{
    (void)state;
    const char *chromium = getenv("CLMSEG_CHROMIUM");
    if (!chromium || !chromium[0] || strstr(chromium, "NOTFOUND"))
        fail_msg("chromium not found: the test command installs it");
    const char *flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                        "--disable-background-networking --disable-component-update --disable-sync";
    char profile[4200], dom[4200], png[4200], cmd[20000];
    snprintf(profile, sizeof profile, "%s/chromium-profile", dir);
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    snprintf(png, sizeof png, "%s/scenario.png", dir);
    /* The page is offline: no http(s) reference. */
    char *page = tu_read_file(tu_path(out, "scenario.html"), NULL);
    assert_non_null(page);
    assert_null(strstr(page, "http://"));
    assert_null(strstr(page, "https://"));
    assert_non_null(strstr(page, "<table id=\"scenarios\""));
    free(page);
    snprintf(cmd, sizeof cmd, "timeout 120 '%s' %s --user-data-dir='%s' --dump-dom 'file://%s/scenario.html' > '%s'",
             chromium, flags, profile, out, dom);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "timeout 120 '%s' %s --user-data-dir='%s' --window-size=1200,2400 --screenshot='%s' "
             "'file://%s/scenario.html'", chromium, flags, profile, png, out);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    size_t size = 0;
    char *bytes = tu_read_file(png, &size);
    assert_non_null(bytes);
    assert_true(size > 50000); /* a blank 1200x2400 page compresses to a few KB */
    assert_memory_equal(bytes, "\x89PNG", 4);
    free(bytes);
    char args[16384];
    snprintf(args, sizeof args, "dom '%s' '%s'", out, dom);
    run_checker(args, 0);

    /* --lang zh: the page in Chinese with the same figures (the parser
     * reads the written page as it reads the rendered one); the CSV is the
     * same bytes; a language it does not know is refused. */
    char zh[4200], a[4400], b[4400];
    snprintf(zh, sizeof zh, "%s/out_zh", dir);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "scenario '%s' '%s' -o '%s' --plan '%s' --lang zh --quiet", q, rundir,
                                   zh, plan), 0);
    page = tu_read_file(tu_path(zh, "scenario.html"), NULL);
    assert_non_null(page);
    assert_non_null(strstr(page, "<html lang=\"zh-Hans\""));
    assert_non_null(strstr(page, "<h1>策略情景</h1>"));
    assert_null(strstr(page, "Strategy scenarios"));
    free(page);
    snprintf(a, sizeof a, "%s/scenarios.csv", zh);
    snprintf(b, sizeof b, "%s/scenarios.csv", out);
    assert_true(tu_same_bytes(a, b));
    snprintf(args, sizeof args, "dom '%s' '%s/scenario.html'", zh, zh);
    run_checker(args, 0);
    char *err = NULL;
    assert_int_equal(tu_clmseg_run(NULL, &err, "scenario '%s' '%s' -o '%s/out_fr' --plan '%s' --lang fr --quiet", q,
                                   rundir, dir, plan), 1);
    assert_non_null(strstr(err, "--lang"));
    free(err);
}

/* The projection against the generator's truth: the same quarter
 * (1,000,000 rows, 100 branches, seed 7) with the counterfactual residual
 * lifetimes of a retention lever (hazard ratio 0.7 on stage D, for ever)
 * and the scenario of that lever (take-up 1) on the plain quarter's run.
 * The predicted extra active subscribers after 12 months against the true
 * difference sum(cf_residual > 12) - sum(residual > 12) over the targeted
 * rows, overall and per value tier: within 10% (the bar).
 *
 * Measured (2026-12-02): 114,112 rows targeted (the run's active stage D);
 * predicted +3,627.4, true +3,655 (+-60), -0.8%; high +248.4 vs +242
 * (+2.6%), medium +1,462.8 vs +1,454 (+0.6%), low +1,916.2 vs +1,959
 * (-2.2%).  On 200,000 rows the true difference's own sampling error is
 * 14% in the high tier, hence the larger quarter.  With strata by segment
 * alone (before cox.strata = segment+decline) the gap was -15% to -19%. */
static void test_truth_lever(void **state)
{
    (void)state;
    char tq[4200], tql[4200], tr[4200], to[4200], tplan[4200];
    snprintf(tq, sizeof tq, "%s/truth.h5", dir);
    snprintf(tql, sizeof tql, "%s/truth_lever.h5", dir);
    snprintf(tr, sizeof tr, "%s/truth_run", dir);
    snprintf(to, sizeof to, "%s/truth_out", dir);
    snprintf(tplan, sizeof tplan, "%s/truth.ini", dir);
    assert_int_equal(tu_write_file(tplan, "[scenario save_d]\nlever = retention\nstage = D\nhazard_ratio = 0.7\n"
                                          "take_up = 1\n"), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 1000000 --branches 100 --seed 7 --quiet", tq), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 1000000 --branches 100 --seed 7 --truth-lever "
                                               "'hazard_ratio=0.7,stage=D' --quiet", tql), 0);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --quiet", tq, tr);
    if (rc != 0)
        fail_msg("run on the truth quarter: %s", err);
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "scenario '%s' '%s' -o '%s' --plan '%s' --quiet", tq, tr, to, tplan),
                     0);
    char args[20000];
    snprintf(args, sizeof args, "truth '%s' '%s' '%s' '%s'", tq, tql, tr, to);
    run_checker(args, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs_present),
        cmocka_unit_test(test_figures_against_reference),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_plan_errors),
        cmocka_unit_test(test_threads_same_bytes),
        cmocka_unit_test(test_run_config_same),
        cmocka_unit_test(test_html_renders_in_chromium),
        cmocka_unit_test(test_truth_lever),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

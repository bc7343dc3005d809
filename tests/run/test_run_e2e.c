/*
 * test_run_e2e.c — `clmseg run` end to end: on a generated quarter every
 * output is present and consistent (checked independently by
 * check_run.py with h5py), the same with 1 and 2 threads to the byte, and
 * the stages match the generator's truth; on the telco sample (no branch
 * column) as one branch and by a column the user names; bad settings and
 * missing columns fail cleanly; an interrupted run leaves nothing
 * half-written; the report renders in headless Chromium and shows the
 * figures of branches.csv; in Chinese, with a previous quarter and a plan,
 * every heading of report.html and scenario.html is Chinese and the
 * region, quarter-over-quarter and scenario sections show the figures of
 * regions.csv, changes.csv and scenarios.csv.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static const char *quarter_dir;

static void run_checker(const char *args)
{
    char cmd[8192], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_run.py' %s", tu_python(), tu_source_dir(), args);
    int rc = tu_run(cmd, &out, &err);
    if (rc != 0)
        fail_msg("check_run.py %s: %s %s", args, out, err);
    assert_string_equal(out, "ok\n");
    free(out);
    free(err);
}

static int setup_quarter(void **state)
{
    (void)state;
    quarter_dir = strdup(tu_tmpdir("run_quarter"));
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "synth -o '%s' --rows 30000 --branches 40 --seed 11 --quiet",
                           tu_path(quarter_dir, "q.h5"));
    if (rc != 0)
        fprintf(stderr, "synth failed: %s\n", err);
    free(err);
    return rc;
}

/* Each of `names` is the same bytes in folders a and b (`what` names the
 * two runs in the failure). */
static void same_files(const char *a_dir, const char *b_dir, const char *const *names, size_t count,
                       const char *what)
{
    for (size_t i = 0; i < count; i++) {
        char a[4200], b[4200];
        snprintf(a, sizeof a, "%s/%s", a_dir, names[i]);
        snprintf(b, sizeof b, "%s/%s", b_dir, names[i]);
        if (!tu_same_bytes(a, b))
            fail_msg("%s differs between %s", names[i], what);
    }
}

static void test_generated_quarter(void **state)
{
    (void)state;
    assert_non_null(tu_python());
    const char *q = tu_path(quarter_dir, "q.h5");
    char out1[4096], out2[4096];
    snprintf(out1, sizeof out1, "%s", tu_path(quarter_dir, "out1"));
    snprintf(out2, sizeof out2, "%s", tu_path(quarter_dir, "out2"));
    char *out = NULL, *err = NULL;
    int rc = tu_clmseg_run(&out, &err, "run '%s' -o '%s' --threads 1", q, out1);
    if (rc != 0)
        fail_msg("run failed: %s", err);
    assert_non_null(strstr(out, "report: "));
    assert_non_null(strstr(out, "agreement with /truth/stage: 100.00%"));
    free(out);
    free(err);
    char args[16384];
    snprintf(args, sizeof args, "outputs '%s' '%s' --branches 40 --truth", q, out1);
    run_checker(args);

    /* Two threads: the same bytes in every data output. */
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --threads 2 --quiet", q, out2), 0);
    const char *same[] = {"results.h5", "segments.csv", "branches.csv", "warning.csv", "survival_segment.csv",
                          "survival_branch.csv", "tree_rules.txt", "lifecycle_curves.csv", "lifecycle_stages.csv"};
    same_files(out1, out2, same, sizeof same / sizeof same[0], "--threads 1 and 2");
    /* Next quarter: the saved models, thresholds and rules score it. */
    char next[4096], scored[4096];
    snprintf(next, sizeof next, "%s", tu_path(quarter_dir, "next.h5"));
    snprintf(scored, sizeof scored, "%s", tu_path(quarter_dir, "scored.h5"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 5000 --branches 40 --seed 12 --quiet", next), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "predict '%s/results.h5' '%s' -o '%s' --quiet", out1, next, scored), 0);
    snprintf(args, sizeof args, "predict '%s/results.h5' '%s' '%s'", out1, next, scored);
    run_checker(args);

    /* config.used reproduces the run. */
    char out3[4096], used[4200], a[4200], b[4200];
    snprintf(out3, sizeof out3, "%s", tu_path(quarter_dir, "out3"));
    snprintf(used, sizeof used, "%s/config.used", out1);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --config '%s' --quiet", q, out3, used), 0);
    snprintf(a, sizeof a, "%s/branches.csv", out1);
    snprintf(b, sizeof b, "%s/branches.csv", out3);
    assert_true(tu_same_bytes(a, b));
}

/* Runs a Chromium command; on a machine under a load of 15 a headless
 * Chromium has been seen to hang past its 120 s: a timeout (exit 124) is
 * tried once more, any other failure fails. */
static void browse(const char *cmd)
{
    int rc = tu_run(cmd, NULL, NULL);
    if (rc == 124) {
        fprintf(stderr, "chromium timed out; once more: %s\n", cmd);
        rc = tu_run(cmd, NULL, NULL);
    }
    if (rc != 0)
        fail_msg("chromium exit %d: %s", rc, cmd);
}

/* Headless Chromium opens `url` (scripts run): the DOM after them into
 * `dom`, and a screenshot into `png` that must not be blank. */
static void render(const char *url, const char *dom, const char *png)
{
    const char *chromium = getenv("CLMSEG_CHROMIUM");
    if (!chromium || !chromium[0] || strstr(chromium, "NOTFOUND"))
        fail_msg("chromium not found: the test command installs it");
    const char *flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                        "--disable-background-networking --disable-component-update --disable-sync";
    /* A profile of its own for each page (no lock left by the last one). */
    static int n_pages;
    char profile[64];
    snprintf(profile, sizeof profile, "chromium-profile-%d", n_pages++);
    const char *profile_dir = tu_path(quarter_dir, profile);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "timeout 120 '%s' %s --user-data-dir='%s' --dump-dom '%s' > '%s'", chromium, flags,
             profile_dir, url, dom);
    browse(cmd);
    snprintf(cmd, sizeof cmd, "timeout 120 '%s' %s --user-data-dir='%s' --window-size=1200,2400 --screenshot='%s' "
             "'%s'", chromium, flags, profile_dir, png, url);
    browse(cmd);
    size_t size = 0;
    char *bytes = tu_read_file(png, &size);
    assert_non_null(bytes);
    if (size <= 50000) /* a blank 1200x2400 page compresses to a few KB */
        fail_msg("%s: a screenshot of %zu bytes is blank", url, size);
    assert_memory_equal(bytes, "\x89PNG", 4);
    free(bytes);
}

/* The main page shows the ranking of branches.csv; the page of the top
 * branch, opened by its anchor from the ranking, shows its figures as
 * branches.csv, warning.csv and lifecycle_stages.csv hold them, a
 * segment's page those of segments.csv and lifecycle_stages.csv; the run
 * with --lang zh shows Chinese headings and stage names, on its main page
 * and on a branch's page. */
static void test_report_renders_in_chromium(void **state)
{
    (void)state;
    char out1[4096], url[8192], dom[4200], args[16384];
    snprintf(out1, sizeof out1, "%s", tu_path(quarter_dir, "out1"));
    if (!tu_exists(tu_path(out1, "report.html")))
        assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --quiet", tu_path(quarter_dir, "q.h5"), out1), 0);
    snprintf(dom, sizeof dom, "%s", tu_path(quarter_dir, "dom.html"));
    snprintf(url, sizeof url, "file://%s/report.html", out1);
    render(url, dom, tu_path(quarter_dir, "report.png"));
    snprintf(args, sizeof args, "dom '%s' '%s'", out1, dom);
    run_checker(args);

    /* The top branch of branches.csv and its anchor in the ranking. */
    char *csv = tu_read_file(tu_path(out1, "branches.csv"), NULL), branch[256] = "";
    assert_non_null(csv);
    assert_int_equal(sscanf(strchr(csv, '\n') + 1, "1,%255[^,]", branch), 1);
    free(csv);
    char cmd[20000], *anchor = NULL;
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_run.py' link '%s' '%s'", tu_python(), tu_source_dir(), dom,
             branch);
    assert_int_equal(tu_run(cmd, &anchor, NULL), 0);
    anchor[strcspn(anchor, "\n")] = '\0';
    snprintf(url, sizeof url, "file://%s/report.html%s", out1, anchor);
    char page_dom[4200];
    snprintf(page_dom, sizeof page_dom, "%s", tu_path(quarter_dir, "dom_branch.html"));
    render(url, page_dom, tu_path(quarter_dir, "branch.png"));
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_run.py' page '%s' '%s' '%s'", tu_python(), tu_source_dir(),
             out1, page_dom, branch);
    char *said = NULL, *err = NULL;
    if (tu_run(cmd, &said, &err) != 0)
        fail_msg("branch page: %s %s", said, err);
    printf("%s", said); /* "N figures of BRANCH checked" */
    free(said);
    free(err);
    /* A segment's page. */
    snprintf(url, sizeof url, "file://%s/report.html#s-2", out1);
    render(url, page_dom, tu_path(quarter_dir, "segment.png"));
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_run.py' segment '%s' '%s' 2", tu_python(), tu_source_dir(),
             out1, page_dom);
    said = err = NULL;
    if (tu_run(cmd, &said, &err) != 0)
        fail_msg("segment page: %s %s", said, err);
    printf("%s", said);
    free(said);
    free(err);

    /* Chinese. */
    char zh[4096];
    snprintf(zh, sizeof zh, "%s", tu_path(quarter_dir, "out_zh"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --lang zh --quiet", tu_path(quarter_dir, "q.h5"), zh),
                     0);
    snprintf(url, sizeof url, "file://%s/report.html", zh);
    snprintf(dom, sizeof dom, "%s", tu_path(quarter_dir, "dom_zh.html"));
    render(url, dom, tu_path(quarter_dir, "report_zh.png"));
    snprintf(args, sizeof args, "zh '%s' '%s'", zh, dom);
    run_checker(args);
    snprintf(url, sizeof url, "file://%s/report.html%s", zh, anchor);
    snprintf(dom, sizeof dom, "%s", tu_path(quarter_dir, "dom_zh_branch.html"));
    render(url, dom, tu_path(quarter_dir, "branch_zh.png"));
    snprintf(args, sizeof args, "zh '%s' '%s'", zh, dom);
    run_checker(args);
    /* The figures are the same in both languages. */
    snprintf(args, sizeof args, "page '%s' '%s' '%s'", zh, dom, branch);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_run.py' %s", tu_python(), tu_source_dir(), args);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    free(anchor);
}

/* A plan of two scenarios (one lever; two levers, so a waterfall with an
 * interaction) and a budget, for the run's config. */
static const char *const zh_plan =
    "[scenario save_d]\nlever = retention\nstage = D\nhazard_ratio = 0.7\ntake_up = 0.5\n"
    "cost_contact = high:20,medium:10,low:5\n\n"
    "[scenario combo]\n[scenario combo.retention]\nstage = D\nhazard_ratio = 0.8\ncost_contact = 5\n"
    "[scenario combo.upsell]\ntier = low\narpu_change = 0.05\ntake_up = 0.2\ncost_contact = 2\n\n"
    "[budget]\ntotal = 50000\nlever = retention\nhazard_ratio = 0.7\ntake_up = 0.3\nmonths = 12\n"
    "cost_contact = high:20,medium:10,low:5\ncost_accept = 10\n";

/* Two generated quarters (seeds 11 and 13): the second run with --lang
 * zh, --previous the first and the plan.  Rendered in Chromium, report.html
 * has only Chinese headings (check_run.py zh) and its region, quarter-over-
 * quarter and scenario sections the figures of regions.csv, changes.csv
 * and scenarios.csv (check_run.py sections); scenario.html, written by the
 * run, is Chinese too, its axes titled with their units, and its table
 * shows scenarios.csv's figures (check_scenario.py dom).  The English run
 * of the same shows the same figures. */
static void test_zh_previous_and_plan(void **state)
{
    (void)state;
    char q2[4096], prev[4096], zh[4096], en[4096], plan[4096], url[8192], dom[4200], args[16384];
    snprintf(q2, sizeof q2, "%s", tu_path(quarter_dir, "q13.h5"));
    snprintf(prev, sizeof prev, "%s", tu_path(quarter_dir, "prev"));
    snprintf(zh, sizeof zh, "%s", tu_path(quarter_dir, "out_zh_plan"));
    snprintf(en, sizeof en, "%s", tu_path(quarter_dir, "out_en_plan"));
    snprintf(plan, sizeof plan, "%s", tu_path(quarter_dir, "plan.ini"));
    FILE *f = fopen(plan, "w");
    assert_non_null(f);
    fputs(zh_plan, f);
    fclose(f);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 30000 --branches 40 --seed 13 --quiet", q2), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --quiet", tu_path(quarter_dir, "q.h5"), prev), 0);
    char *err = NULL;
    if (tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --previous '%s' --config '%s' --lang zh --quiet", q2, zh, prev,
                      plan) != 0)
        fail_msg("zh run: %s", err);
    free(err);
    assert_true(tu_exists(tu_path(zh, "regions.csv")) && tu_exists(tu_path(zh, "changes.csv")) &&
                tu_exists(tu_path(zh, "scenarios.csv")));
    snprintf(url, sizeof url, "file://%s/report.html", zh);
    snprintf(dom, sizeof dom, "%s", tu_path(quarter_dir, "dom_zh_plan.html"));
    render(url, dom, tu_path(quarter_dir, "report_zh_plan.png"));
    snprintf(args, sizeof args, "zh '%s' '%s'", zh, dom);
    run_checker(args);
    char cmd[20000], *said = NULL;
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_run.py' sections '%s' '%s' zh", tu_python(), tu_source_dir(),
             zh, dom);
    err = NULL;
    if (tu_run(cmd, &said, &err) != 0)
        fail_msg("sections: %s %s", said, err);
    printf("%s", said); /* "N figures of the sections checked" */
    assert_non_null(strstr(said, "\nok\n"));
    free(said);
    free(err);

    snprintf(url, sizeof url, "file://%s/scenario.html", zh);
    snprintf(dom, sizeof dom, "%s", tu_path(quarter_dir, "dom_zh_scenario.html"));
    render(url, dom, tu_path(quarter_dir, "scenario_zh.png"));
    snprintf(args, sizeof args, "scenario-zh '%s'", dom);
    run_checker(args);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/strategy/check_scenario.py' dom '%s' '%s'", tu_python(),
             tu_source_dir(), zh, dom);
    said = err = NULL;
    if (tu_run(cmd, &said, &err) != 0)
        fail_msg("scenario.html: %s %s", said, err);
    assert_string_equal(said, "ok\n");
    free(said);
    free(err);

    /* English: the same figures (the CSVs are the same bytes). */
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --previous '%s' --config '%s' --quiet", q2, en, prev,
                                   plan), 0);
    const char *same[] = {"regions.csv", "changes.csv", "scenarios.csv", "branches.csv"};
    same_files(zh, en, same, sizeof same / sizeof same[0], "--lang zh and en");
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_run.py' sections '%s' '%s/report.html'", tu_python(),
             tu_source_dir(), en, en);
    said = err = NULL;
    if (tu_run(cmd, &said, &err) != 0)
        fail_msg("English sections: %s %s", said, err);
    free(said);
    free(err);
}

/* A quarter of 3,000 branches (20 subscribers each): report.html holds
 * every branch's page and stays under the documented bound (docs/run.md:
 * 12 MB); --csv-bom starts every CSV with the byte-order mark and changes
 * nothing else. */
static void test_many_branch_pages(void **state)
{
    (void)state;
    char q[4096], out[4096], bom[4096], args[16384];
    snprintf(q, sizeof q, "%s", tu_path(quarter_dir, "q3000.h5"));
    snprintf(out, sizeof out, "%s", tu_path(quarter_dir, "out3000"));
    snprintf(bom, sizeof bom, "%s", tu_path(quarter_dir, "out3000_bom"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 60000 --branches 3000 --seed 5 --quiet", q), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --quiet", q, out), 0);
    snprintf(args, sizeof args, "size '%s' 12000000 3000", out);
    char cmd[20000], *said = NULL;
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_run.py' %s", tu_python(), tu_source_dir(), args);
    assert_int_equal(tu_run(cmd, &said, NULL), 0);
    printf("%s", said);
    assert_non_null(strstr(said, "ok"));
    free(said);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --csv-bom --quiet", q, bom), 0);
    static const char *const csvs[] = {"segments.csv", "branches.csv", "warning.csv", "equity.csv",
                                       "lifecycle_curves.csv", "lifecycle_stages.csv", "survival_segment.csv",
                                       "survival_branch.csv", "regions.csv"};
    for (size_t i = 0; i < sizeof csvs / sizeof csvs[0]; i++) {
        size_t with_n = 0, without_n = 0;
        char *with = tu_read_file(tu_path(bom, csvs[i]), &with_n);
        char *without = tu_read_file(tu_path(out, csvs[i]), &without_n);
        assert_non_null(with);
        assert_non_null(without);
        if (with_n != without_n + 3 || memcmp(with, "\xEF\xBB\xBF", 3) || memcmp(with + 3, without, without_n))
            fail_msg("%s: with --csv-bom it is not the BOM and the same bytes", csvs[i]);
        free(with);
        free(without);
    }
    /* Every CSV the run writes is in that list. */
    assert_int_equal(tu_count_matching(out, ".csv"), (int)(sizeof csvs / sizeof csvs[0]));
}

static void test_telco_sample(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("run_telco");
    const char *h5 = tu_path(dir, "telco.h5");
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/datasets/telco_churn.csv", tu_source_dir());
    assert_int_equal(tu_clmseg_run(NULL, NULL, "import '%s' -o '%s' --quiet", csv, h5), 0);
    const char *settings = "--set columns.time=tenure --set columns.event=churn --set columns.event_level=Yes "
                           "--set columns.arpu=monthly_charges";
    char out[4096], args[8192];
    snprintf(out, sizeof out, "%s", tu_path(dir, "one"));
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' %s --quiet", h5, out, settings);
    if (rc != 0)
        fail_msg("telco run failed: %s", err);
    free(err);
    snprintf(args, sizeof args, "outputs '%s' '%s' --branches 1", h5, out);
    run_checker(args);
    /* By a column the user names: three contract types. */
    snprintf(out, sizeof out, "%s", tu_path(dir, "contract"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' %s --branch contract --quiet", h5, out, settings), 0);
    snprintf(args, sizeof args, "outputs '%s' '%s' --branches 3", h5, out);
    run_checker(args);
    /* A categorical event without its level is refused with a hint. */
    snprintf(out, sizeof out, "%s", tu_path(dir, "nolevel"));
    assert_int_equal(tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --set columns.time=tenure --set columns.event=churn "
                                              "--set columns.arpu=monthly_charges --quiet", h5, out), 1);
    assert_non_null(strstr(err, "columns.event_level"));
    free(err);
}

static void test_bad_settings_leave_nothing(void **state)
{
    (void)state;
    char q[4096];
    snprintf(q, sizeof q, "%s", tu_path(quarter_dir, "q.h5"));
    const char *dir = tu_tmpdir("run_bad");
    const char *ini = tu_path(dir, "bad.ini");
    assert_int_equal(tu_write_file(ini, "[kmeans]\nk = 5\n[tree]\nmax_dept = 3\n"), 0);
    struct {
        const char *args, *message;
    } cases[] = {
        {"--config '%s/bad.ini'", "bad.ini:4: unknown key 'max_dept' in [tree]"},
        {"--set kmeans.k=zero", "kmeans.k (--set): 'zero' is not an integer"},
        {"--k 0", "kmeans.k (--k): 0 is outside"},
        {"--set columns.arpu=revenue", "column 'revenue' is missing"},
        {"--set tiers.high_share=0.8", "exceed 1"},
        {"--set health.w_risk=-1", "health.w_risk (--set): -1 is outside"},
        {"--config '%s/absent.ini'", "absent.ini"},
        {"--set nosuch.key=1", "unknown setting 'nosuch.key'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[8192], *err = NULL;
        snprintf(extra, sizeof extra, cases[i].args, dir);
        int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s/out' %s --quiet", q, dir, extra);
        if (rc != 1 || !strstr(err, cases[i].message))
            fail_msg("case %s: exit %d, message %s", cases[i].args, rc, err);
        free(err);
        assert_false(tu_exists(tu_path(dir, "out/results.h5")));
        assert_int_equal(tu_count_matching(tu_path(dir, "out"), ".tmp."), tu_exists(tu_path(dir, "out")) ? 0 : -1);
    }
    /* An input that would be overwritten by results.h5 is refused and kept. */
    char in_out[8192], *err = NULL;
    snprintf(in_out, sizeof in_out, "cp '%s' '%s/results.h5'", q, dir);
    assert_int_equal(tu_run(in_out, NULL, NULL), 0);
    assert_int_equal(tu_clmseg_run(NULL, &err, "run '%s/results.h5' -o '%s' --quiet", dir, dir), 1);
    assert_non_null(strstr(err, "it is the input file"));
    free(err);
    snprintf(in_out, sizeof in_out, "%s/results.h5", dir);
    assert_true(tu_same_bytes(in_out, q));
}

static void test_interrupted_run_leaves_no_partial_output(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("run_interrupt");
    char q[4096], out[4096], cmd[16384];
    snprintf(q, sizeof q, "%s", tu_path(dir, "big.h5"));
    snprintf(out, sizeof out, "%s", tu_path(dir, "out"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 600000 --quiet", q), 0);
    /* Interrupt at several points of the run; every time, nothing under a
     * final name may be half-written and no temporary file may remain. */
    const double delays[] = {0.3, 0.8, 1.5};
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'; '%s' run '%s' -o '%s' --quiet & pid=$!; sleep %.1f; kill -INT $pid; "
                 "wait $pid; echo $?", out, tu_clmseg(), q, out, delays[i]);
        char *status = NULL;
        assert_int_equal(tu_run(cmd, &status, NULL), 0);
        int code = atoi(status);
        free(status);
        /* 130 = killed by SIGINT, or 0 if the run finished first. */
        assert_true(code == 130 || code == 0);
        assert_true(tu_count_matching(out, ".tmp.") <= 0);
        if (tu_exists(tu_path(out, "results.h5"))) {
            char args[8192];
            snprintf(args, sizeof args, "'%s' -c \"import h5py; h5py.File('%s/results.h5', 'r')['branches/health'][:]\"",
                     tu_python(), out);
            assert_int_equal(tu_run(args, NULL, NULL), 0);
        }
    }
}

/* A rerun interrupted (SIGINT or SIGTERM) at several moments, over a
 * previous run with other settings (k = 5): OUTDIR holds all of the
 * previous run or all of a complete new one (checked against a
 * reference run with the new settings), never a mix, and no temporary. */
static void test_interrupted_rerun_is_all_or_nothing(void **state)
{
    (void)state;
    char dir[4096], q[4200], prev[4200], ref[4200], out[4200], cmd[40000];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_rerun_interrupt"));
    snprintf(q, sizeof q, "%s/q.h5", dir);
    snprintf(prev, sizeof prev, "%s/prev", dir);
    snprintf(ref, sizeof ref, "%s/ref", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 400000 --quiet", q), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --k 5 --quiet", q, prev), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --quiet", q, ref), 0);
    static const char *const files[] = {"results.h5", "segments.csv", "branches.csv", "warning.csv",
                                        "equity.csv", "survival_segment.csv", "survival_branch.csv",
                                        "tree_rules.txt", "config.used"};
    const size_t n_files = sizeof files / sizeof files[0];
    const double delays[] = {0.4, 1.2, 2.2};
    const char *const sigs[] = {"INT", "TERM", "INT"};
    int saw_prev = 0, saw_new = 0;
    for (size_t i = 0; i < sizeof delays / sizeof delays[0]; i++) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s' && { '%s' run '%s' -o '%s' --quiet & pid=$!; "
                 "sleep %.1f; kill -%s $pid; wait $pid; echo $?; }", out, prev, out, tu_clmseg(), q, out,
                 delays[i], sigs[i]);
        char *status = NULL;
        assert_int_equal(tu_run(cmd, &status, NULL), 0);
        free(status);
        assert_int_equal(tu_count_matching(out, ".tmp."), 0);
        int same_prev = 0, same_new = 0;
        for (size_t f = 0; f < n_files; f++) {
            char a[4400], b[4400], c[4400];
            snprintf(a, sizeof a, "%s/%s", out, files[f]);
            snprintf(b, sizeof b, "%s/%s", prev, files[f]);
            snprintf(c, sizeof c, "%s/%s", ref, files[f]);
            same_prev += tu_same_bytes(a, b);
            same_new += tu_same_bytes(a, c);
        }
        if (!(same_prev == (int)n_files || same_new == (int)n_files))
            fail_msg("interrupt after %.1f s: %d files of the previous run, %d of the new one", delays[i],
                     same_prev, same_new);
        saw_prev |= same_prev == (int)n_files;
        saw_new |= same_new == (int)n_files;
    }
    printf("interrupted reruns: previous run kept %s, new run complete %s\n", saw_prev ? "seen" : "not seen",
           saw_new ? "seen" : "not seen");
}

/* Subscriber ids above 2^53 (a double cannot hold them) come out exact in
 * warning.csv: the quarter's ids are shifted by 2^60 + 1 with h5py. */
static void test_large_ids(void **state)
{
    (void)state;
    char q[4096], big[4096], out[4096], cmd[16384];
    snprintf(q, sizeof q, "%s", tu_path(quarter_dir, "q.h5"));
    snprintf(big, sizeof big, "%s", tu_path(quarter_dir, "big_ids.h5"));
    snprintf(out, sizeof out, "%s", tu_path(quarter_dir, "big_ids"));
    snprintf(cmd, sizeof cmd,
             "cp '%s' '%s' && '%s' -c \"import h5py, numpy as np; "
             "f = h5py.File('%s', 'r+'); v = f['subscribers/subscriber_id'][:].astype(np.int64); "
             "del f['subscribers/subscriber_id']; "
             "f['subscribers/subscriber_id'] = v + (2**60 + 1); f.close()\"",
             q, big, tu_python(), big);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --quiet", big, out);
    if (rc != 0)
        fail_msg("run on large ids failed: %s", err);
    free(err);
    char args[8400];
    snprintf(args, sizeof args, "outputs '%s' '%s'", big, out);
    run_checker(args);
}

static void test_stage_tree(void **state)
{
    (void)state;
    char q[4096], out[4096], cmd[16384];
    snprintf(q, sizeof q, "%s", tu_path(quarter_dir, "q.h5"));
    snprintf(out, sizeof out, "%s", tu_path(quarter_dir, "stage_tree"));
    char *stdout_text = NULL, *err = NULL;
    int rc = tu_clmseg_run(&stdout_text, &err, "run '%s' -o '%s' --set stages.model=tree "
                                               "--set stages.label_column=/truth/stage --max-depth 10", q, out);
    if (rc != 0)
        fail_msg("stage tree run failed: %s", err);
    assert_non_null(strstr(stdout_text, "stage tree on '/truth/stage'"));
    free(stdout_text);
    free(err);
    /* The truth rules compare ratios (ARPU / last quarter's), which axis-
     * aligned splits only approximate: the majority stage alone scores
     * about 0.43, the rules themselves 1.0; a depth-10 tree reaches about
     * 0.85 on 200k rows, so 0.75 on 30k separates learning from guessing. */
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import json; r = json.load(open('%s/run.json'))['results']; "
             "assert r['stage_model'] == 'tree', r; assert r['stage_tree_accuracy'] > 0.75, r; "
             "assert r['truth_stage_agreement'] > 0.75, r; print('ok')\"",
             tu_python(), out);
    char *ok = NULL;
    assert_int_equal(tu_run(cmd, &ok, NULL), 0);
    assert_string_equal(ok, "ok\n");
    free(ok);
    char args[16384];
    snprintf(args, sizeof args, "outputs '%s' '%s' --branches 40", q, out);
    run_checker(args);
    /* Misconfigurations. */
    assert_int_equal(tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --set stages.model=tree --quiet", q, out), 1);
    assert_non_null(strstr(err, "stages.label_column"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --set stages.model=tree "
                                              "--set stages.label_column=/truth/nope --quiet", q, out), 1);
    assert_non_null(strstr(err, "stage label column '/truth/nope' is missing"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --set stages.model=forest --quiet", q, out), 1);
    assert_non_null(strstr(err, "'forest' is not rules or tree"));
    free(err);
}

static void test_bench_command(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("bench_cmd");
    char *out = NULL, *err = NULL;
    int rc = tu_clmseg_run(&out, &err, "bench --rows 20000 --json --quiet --dir '%s'", dir);
    if (rc != 0)
        fail_msg("bench failed: %s", err);
    /* One node line and five workloads, each with a positive time, parsed
     * independently. */
    const char *script = tu_path(dir, "check.py");
    assert_int_equal(tu_write_file(script,
                                   "import json, sys\n"
                                   "lines = [json.loads(l) for l in open(sys.argv[1])]\n"
                                   "node = [l for l in lines if l['bench'] == 'node'][0]\n"
                                   "assert node['memory_gb_per_s'] > 0 and node['sgemm_gflops'] > 0, node\n"
                                   "w = {l['workload']: l for l in lines if l['bench'] == 'workload'}\n"
                                   "assert len(w) == 5, w\n"
                                   "assert all(v['seconds'] > 0 and v['rows'] == 20000 for v in w.values()), w\n"
                                   "print('ok')\n"),
                     0);
    const char *json = tu_path(dir, "bench.jsonl");
    assert_int_equal(tu_write_file(json, out), 0);
    char cmd[16384], *ok = NULL;
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", tu_python(), script, json);
    assert_int_equal(tu_run(cmd, &ok, NULL), 0);
    assert_string_equal(ok, "ok\n");
    free(ok);
    free(out);
    free(err);
    /* Nothing left behind in the scratch folder but our own files. */
    assert_int_equal(tu_count_matching(dir, "clmseg-bench"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_quarter),
        cmocka_unit_test(test_report_renders_in_chromium),
        cmocka_unit_test(test_zh_previous_and_plan),
        cmocka_unit_test(test_many_branch_pages),
        cmocka_unit_test(test_telco_sample),
        cmocka_unit_test(test_bad_settings_leave_nothing),
        cmocka_unit_test(test_interrupted_run_leaves_no_partial_output),
        cmocka_unit_test(test_interrupted_rerun_is_all_or_nothing),
        cmocka_unit_test(test_stage_tree),
        cmocka_unit_test(test_large_ids),
        cmocka_unit_test(test_bench_command),
    };
    return cmocka_run_group_tests(tests, setup_quarter, NULL);
}

/*
 * test_run_previous.c — quarter over quarter, end to end, on generated
 * quarters (60,000 rows; seeds 1 and 2 with 20 branches, seed 3 with 24):
 *
 * - changes.csv equals what check_previous.py recomputes from the two
 *   branches.csv files, every column, for branches in both quarters, new
 *   (20 -> 24 branches) and gone (24 -> 20), and the report's first
 *   riser and faller are those of changes.csv;
 * - the run with --previous renumbers the segments of the same fit as the
 *   run without it: check_previous.py finds the renumbering to be the
 *   brute-force minimum-cost assignment numbered by the documented rule,
 *   with labels, sizes, /segments/continues and segments.csv following,
 *   for k = 8 against 8, 5 against 8 and 10 against 8;
 * - predict --previous gives the run's renumbered labels;
 * - segment names follow the documented rule, are the same for 1 and 2
 *   threads, and segments.names replaces them (segments.csv, results.h5,
 *   the report's labels);
 * - a wrong --previous fails naming the file; changes.csv of an earlier
 *   run with --previous does not survive a run without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

static char dir[2048];

static const char *at(const char *name)
{
    static char path[4][4096];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 4096, "%s/%s", dir, name);
    return p;
}

static void checker(const char *args)
{
    char cmd[16384], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/run/check_previous.py' %s", tu_python(), tu_source_dir(), args);
    int rc = tu_run(cmd, &out, &err);
    if (rc != 0) {
        char message[4096];
        snprintf(message, sizeof message, "%s %s", out ? out : "", err ? err : "");
        free(out);
        free(err);
        fail_msg("check_previous.py %s: %s", args, message);
    }
    assert_string_equal(out, "ok\n");
    free(out);
    free(err);
}

/* clmseg with the arguments fmt formats (into args); its stderr in *err. */
static int clmseg_va(char **err, char *args, size_t cap, const char *fmt, va_list ap)
{
    vsnprintf(args, cap, fmt, ap);
    return tu_clmseg_run(NULL, err, "%s", args);
}

static void run_ok(const char *fmt, ...)
{
    char args[8192], *err = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = clmseg_va(&err, args, sizeof args, fmt, ap);
    va_end(ap);
    if (rc != 0)
        fail_msg("clmseg %s: %s", args, err);
    free(err);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_previous"));
    const int seeds[3] = {1, 2, 3}, branches[3] = {20, 20, 24};
    for (int q = 0; q < 3; q++) {
        char name[32];
        snprintf(name, sizeof name, "q%d.h5", q + 1);
        char *err = NULL;
        int rc = tu_clmseg_run(NULL, &err, "synth -o '%s' --rows 60000 --branches %d --seed %d --quiet", at(name),
                               branches[q], seeds[q]);
        if (rc)
            fprintf(stderr, "synth: %s\n", err);
        free(err);
        if (rc)
            return rc;
    }
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --quiet", at("q1.h5"), at("r1"));
    if (rc)
        fprintf(stderr, "run: %s\n", err);
    free(err);
    return rc;
}

static void test_changes_csv(void **state)
{
    (void)state;
    char r2[4096], r3[4096], r1b[4096], args[16384];
    snprintf(r2, sizeof r2, "%s", at("r2"));
    snprintf(r3, sizeof r3, "%s", at("r3"));
    snprintf(r1b, sizeof r1b, "%s", at("r1b"));
    run_ok("run '%s' -o '%s' --previous '%s' --quiet", at("q2.h5"), r2, at("r1"));
    snprintf(args, sizeof args, "changes '%s' '%s'", at("r1"), r2);
    checker(args);
    /* 24 branches after 20: four new ones, empty figures of last quarter */
    run_ok("run '%s' -o '%s' --previous '%s' --quiet", at("q3.h5"), r3, r2);
    snprintf(args, sizeof args, "changes '%s' '%s'", r2, r3);
    checker(args);
    /* 20 after 24: four gone, listed after the others */
    run_ok("run '%s' -o '%s' --previous '%s' --quiet", at("q1.h5"), r1b, r3);
    snprintf(args, sizeof args, "changes '%s' '%s'", r3, r1b);
    checker(args);
    char *text = tu_read_file(tu_path(r3, "changes.csv"), NULL), *gone = tu_read_file(tu_path(r1b, "changes.csv"), NULL);
    assert_non_null(text);
    assert_non_null(gone);
    int n_new = 0, n_gone = 0;
    for (const char *p = text; (p = strstr(p, ",new,")) != NULL; p++)
        n_new++;
    for (const char *p = gone; (p = strstr(p, ",gone,")) != NULL; p++)
        n_gone++;
    assert_int_equal(n_new, 4);
    assert_int_equal(n_gone, 4);
    free(text);
    free(gone);
    /* The report's section. */
    char *page = tu_read_file(tu_path(r2, "report.html"), NULL);
    assert_non_null(page);
    assert_non_null(strstr(page, "<h2>Quarter over quarter</h2>"));
    assert_non_null(strstr(page, "Moved most up"));
    free(page);
}

static void test_relabelled_outputs(void **state)
{
    (void)state;
    static const struct {
        const char *k;
        const char *plain, *matched;
    } cases[] = {{"8", "p8", "m8"}, {"5", "p5", "m5"}, {"10", "p10", "m10"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char plain[4096], matched[4096], args[16384];
        snprintf(plain, sizeof plain, "%s", at(cases[c].plain));
        snprintf(matched, sizeof matched, "%s", at(cases[c].matched));
        run_ok("run '%s' -o '%s' --k %s --quiet", at("q2.h5"), plain, cases[c].k);
        run_ok("run '%s' -o '%s' --k %s --previous '%s' --quiet", at("q2.h5"), matched, cases[c].k, at("r1"));
        snprintf(args, sizeof args, "relabel '%s' '%s' '%s'", at("r1"), plain, matched);
        checker(args);
    }
    /* predict --previous renumbers the same way: the plain model applied
     * to its own quarter gives the labels of the run with --previous. */
    char scored[4096], plain_results[4096];
    snprintf(scored, sizeof scored, "%s", at("scored.h5"));
    snprintf(plain_results, sizeof plain_results, "%s/results.h5", at("p8"));
    run_ok("predict '%s' '%s' -o '%s' --previous '%s' --quiet", plain_results, at("q2.h5"), scored, at("r1"));
    clm_table *a = NULL, *b = NULL;
    char matched_results[4096];
    snprintf(matched_results, sizeof matched_results, "%s/results.h5", at("m8"));
    assert_int_equal(clm_table_open_any(scored, "/segments", &a), CLM_OK);
    assert_int_equal(clm_table_open_any(matched_results, "/segments", &b), CLM_OK);
    int ca = clm_table_find(a, "label"), cb = clm_table_find(b, "label");
    assert_true(ca >= 0 && cb >= 0);
    int64_t n = clm_table_column(a, ca)->length;
    assert_int_equal(n, 60000);
    assert_int_equal(clm_table_column(b, cb)->length, n);
    int32_t *la = malloc((size_t)n * sizeof *la), *lb = malloc((size_t)n * sizeof *lb);
    assert_int_equal(clm_table_read_i32(a, ca, 0, n, la), CLM_OK);
    assert_int_equal(clm_table_read_i32(b, cb, 0, n, lb), CLM_OK);
    assert_memory_equal(la, lb, (size_t)n * sizeof *la);
    free(la);
    free(lb);
    clm_table_close(a);
    clm_table_close(b);
}

static void test_names(void **state)
{
    (void)state;
    char one[4096], two[4096], named[4096], args[16384];
    snprintf(one, sizeof one, "%s", at("t1"));
    snprintf(two, sizeof two, "%s", at("t2"));
    snprintf(named, sizeof named, "%s", at("named"));
    run_ok("run '%s' -o '%s' --previous '%s' --threads 1 --quiet", at("q2.h5"), one, at("r1"));
    run_ok("run '%s' -o '%s' --previous '%s' --threads 2 --quiet", at("q2.h5"), two, at("r1"));
    snprintf(args, sizeof args, "names '%s'", one);
    checker(args);
    char a[4096];
    snprintf(a, sizeof a, "%s", tu_path(one, "segments.csv"));
    assert_true(tu_same_bytes(a, tu_path(two, "segments.csv")));
    snprintf(a, sizeof a, "%s", tu_path(one, "changes.csv"));
    assert_true(tu_same_bytes(a, tu_path(two, "changes.csv")));
    run_ok("run '%s' -o '%s' --previous '%s' --set 'segments.names=0:Heavy data, 3 : Value seekers' --quiet",
           at("q2.h5"), named, at("r1"));
    snprintf(args, sizeof args, "names '%s' '0:Heavy data,3:Value seekers'", named);
    checker(args);
}

/* A run that must fail, with needle1 (and needle2 unless NULL) in its message. */
static void run_fails(const char *needle1, const char *needle2, const char *fmt, ...)
{
    char args[8192], *err = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = clmseg_va(&err, args, sizeof args, fmt, ap);
    va_end(ap);
    assert_true(rc != 0);
    assert_non_null(err);
    if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
        fail_msg("clmseg %s: message '%s' lacks '%s' / '%s'", args, err, needle1, needle2 ? needle2 : "");
    free(err);
}

static void test_errors_and_leftover(void **state)
{
    (void)state;
    char out[4096], empty[4096], fake[4096];
    snprintf(out, sizeof out, "%s", at("bad"));
    snprintf(empty, sizeof empty, "%s", at("empty_dir"));
    snprintf(fake, sizeof fake, "%s", at("fake_dir"));
    run_fails("no_such_dir", "not a folder", "run '%s' -o '%s' --previous '%s/no_such_dir' --quiet", at("q2.h5"), out,
              dir);
    char cmd[20000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s' && cp '%s' '%s/results.h5'", empty, fake, at("q1.h5"), fake);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    char want[4200];
    snprintf(want, sizeof want, "%s/results.h5", empty);
    run_fails(want, "missing", "run '%s' -o '%s' --previous '%s' --quiet", at("q2.h5"), out, empty);
    snprintf(want, sizeof want, "%s/results.h5", fake);
    run_fails(want, "not the results of a clmseg run", "run '%s' -o '%s' --previous '%s' --quiet", at("q2.h5"), out,
              fake);
    run_fails("segments.names", "NUMBER:NAME", "run '%s' -o '%s' --set 'segments.names=Heavy' --quiet", at("q2.h5"),
              out);
    run_fails("segments.names names segment 8", NULL, "run '%s' -o '%s' --set 'segments.names=8:Nobody' --quiet",
              at("q2.h5"), out);
    /* changes.csv exists only with --previous: a later run without it
     * removes an earlier one's. */
    run_ok("run '%s' -o '%s' --previous '%s' --quiet", at("q2.h5"), out, at("r1"));
    assert_true(tu_exists(tu_path(out, "changes.csv")));
    run_ok("run '%s' -o '%s' --quiet", at("q2.h5"), out);
    assert_false(tu_exists(tu_path(out, "changes.csv")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_csv),
        cmocka_unit_test(test_relabelled_outputs),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_errors_and_leftover),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

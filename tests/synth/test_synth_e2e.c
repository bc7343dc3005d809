/*
 * test_synth_e2e.c — `clmseg synth` end to end, checked by an independent
 * reader: tests/synth/check_synth.py (h5py + numpy + scikit-learn, run with
 * Debian's python3) recomputes everything from the file.
 *
 *   - same seed twice, 1 vs 2 threads, different block sizes: identical
 *     datasets and attributes; another seed: different values;
 *   - schema: every required column with N rows, types, ranges, unique ids,
 *     categories, >= 16 numeric features;
 *   - model: churn rate, Kaplan-Meier S(12) by segment and branch, warning
 *     signals, k-means recovery of the segments (ARI);
 *   - stages: /truth/stage equals the documented rules recomputed;
 *   - bad parameters: exit 1, a message naming the option (the key of a
 *     bad --truth-lever), no file left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *dir;

/* Runs a check of check_synth.py; fails the test with its output. */
static void check(const char *args)
{
    const char *python = tu_python();
    if (!python)
        fail_msg("Debian python3 with h5py not found (the test command installs it)");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s/tests/synth/check_synth.py %s", python,
             tu_source_dir(), args);
    char *out = NULL, *err = NULL;
    int rc = tu_run(cmd, &out, &err);
    if (rc != 0)
        fail_msg("%s\n-> exit %d\n%s%s", cmd, rc, out ? out : "", err ? err : "");
    printf("  %s", out);
    free(out);
    free(err);
}

static void synth_ok(const char *file, const char *options)
{
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "synth -o '%s' %s --quiet", tu_path(dir, file), options);
    if (rc != 0)
        fail_msg("clmseg synth %s -> %d: %s", options, rc, err ? err : "");
    assert_string_equal(err, "");   /* --quiet: nothing on stderr */
    free(err);
}

static void test_deterministic(void **state)
{
    (void)state;
    synth_ok("a.h5", "--rows 100000 --seed 11 --threads 2");
    synth_ok("b.h5", "--rows 100000 --seed 11 --threads 2");
    synth_ok("c.h5", "--rows 100000 --seed 11 --threads 1 --block-rows 1000");
    synth_ok("d.h5", "--rows 100000 --seed 12 --threads 2");
    char args[8192];
    snprintf(args, sizeof args, "same '%s' '%s'", tu_path(dir, "a.h5"), tu_path(dir, "b.h5"));
    check(args);
    snprintf(args, sizeof args, "same '%s' '%s'", tu_path(dir, "a.h5"), tu_path(dir, "c.h5"));
    check(args);
    snprintf(args, sizeof args, "differ '%s' '%s'", tu_path(dir, "a.h5"), tu_path(dir, "d.h5"));
    check(args);
    assert_int_equal(tu_count_matching(dir, ".tmp"), 0);
}

static void test_schema_model_stages(void **state)
{
    (void)state;
    synth_ok("q.h5", "--rows 200000 --seed 7");
    char args[8192];
    snprintf(args, sizeof args, "schema '%s' 200000 300 8", tu_path(dir, "q.h5"));
    check(args);
    snprintf(args, sizeof args, "model '%s'", tu_path(dir, "q.h5"));
    check(args);
    snprintf(args, sizeof args, "stages '%s'", tu_path(dir, "q.h5"));
    check(args);
}

/* Other shapes: few branches, derived segments, a single row. */
static void test_other_shapes(void **state)
{
    (void)state;
    synth_ok("s.h5", "--rows 5000 --branches 7 --segments 13 --seed 3");
    char args[8192];
    snprintf(args, sizeof args, "schema '%s' 5000 7 13", tu_path(dir, "s.h5"));
    check(args);
    synth_ok("one.h5", "--rows 1 --branches 1 --segments 1");
    snprintf(args, sizeof args, "schema '%s' 1 1 1", tu_path(dir, "one.h5"));
    check(args);
}

/* Progress goes to stderr (one line per step when not a terminal), the
 * summary to stdout; -h prints the usage and exits 0. */
static void test_progress_and_help(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(tu_clmseg_run(&out, &err, "synth -o '%s' --rows 2000",
                                   tu_path(dir, "p.h5")), 0);
    assert_non_null(strstr(err, "synth: 2000 rows"));
    assert_non_null(strstr(out, "wrote 2000 subscribers"));
    free(out);
    free(err);
    assert_int_equal(tu_clmseg_run(&out, &err, "synth -h"), 0);
    assert_non_null(strstr(out, "usage: clmseg synth"));
    assert_non_null(strstr(out, "--truth-lever SPEC"));
    free(out);
    free(err);
}

/* Each bad command line: exit 1, a message naming the problem, no file. */
static void test_bad_parameters(void **state)
{
    (void)state;
    const char *out_file = tu_path(dir, "bad.h5");
    struct {
        const char *options;
        const char *message;
    } cases[] = {
        {"--rows 0", "--rows: 0 is out of range"},
        {"--rows -5", "--rows: -5 is out of range"},
        {"--rows many", "bad number for --rows: 'many'"},
        {"--rows 1.5", "bad number for --rows: '1.5'"},
        {"--rows=many", "bad number for --rows: 'many'"},
        {"--branches 0", "--branches: 0 is out of range"},
        {"--branches 100001", "--branches: 100001 is out of range"},
        {"--segments 65", "--segments: 65 is out of range"},
        {"--segments 0", "--segments: 0 is out of range"},
        {"--threads 0", "--threads: 0 is out of range"},
        {"--block-rows 0", "--block-rows: 0 is out of range"},
        {"--rows", "option '--rows' needs a value"},
        {"--colour blue", "unknown option '--colour'"},
        {"--quiet=yes", "option '--quiet' takes no value"},
        {"extra.h5", "unexpected argument 'extra.h5'"},
        /* --truth-lever (docs/synth.md): the message names the key. */
        {"--truth-lever hazard_ratio=0.7,colour=D", "unknown key 'colour'"},
        {"--truth-lever hazard_ratio=0", "hazard_ratio must be a finite number > 0"},
        {"--truth-lever hazard_ratio=-1,stage=D", "hazard_ratio must be a finite number > 0"},
        {"--truth-lever hazard_ratio=lots", "bad number for hazard_ratio: 'lots'"},
        {"--truth-lever stage=D", "hazard_ratio is required"},
        {"--truth-lever hazard_ratio=0.7,stage=Z", "stage: 'Z' is not a stage"},
        {"--truth-lever hazard_ratio=0.7,months=0", "months must be > 0"},
        {"--truth-lever hazard_ratio=0.7,arpu_max=cheap", "bad number for arpu_max: 'cheap'"},
        {"--truth-lever", "option '--truth-lever' needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        int rc = tu_clmseg_run(NULL, &err, "synth -o '%s' %s", out_file, cases[i].options);
        if (rc != 1 || !strstr(err, cases[i].message))
            fail_msg("synth %s -> exit %d, stderr: %s", cases[i].options, rc, err);
        assert_non_null(strstr(err, "clmseg synth: error:"));
        free(err);
        assert_false(tu_exists(out_file));
    }
    char *err = NULL;
    assert_int_equal(tu_clmseg_run(NULL, &err, "synth --rows 10"), 1);
    assert_non_null(strstr(err, "no output file"));
    free(err);
    /* A folder that does not exist: exit 1 naming the path. */
    assert_int_equal(tu_clmseg_run(NULL, &err, "synth -o '%s/no/such/q.h5' --rows 10", dir), 1);
    assert_non_null(strstr(err, "no/such"));
    free(err);
    assert_int_equal(tu_count_matching(dir, ".tmp"), 0);
}

int main(void)
{
    dir = strdup(tu_tmpdir("synth_e2e"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_schema_model_stages),
        cmocka_unit_test(test_other_shapes),
        cmocka_unit_test(test_progress_and_help),
        cmocka_unit_test(test_bad_parameters),
    };
    int failures = cmocka_run_group_tests(tests, NULL, NULL);
    free((void *)dir);
    return failures;
}

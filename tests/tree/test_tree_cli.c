/*
 * test_tree_cli.c — the tree and predict commands end to end: the telco
 * sample against scikit-learn on the same holdout (live), --threads 1 and
 * 2 giving identical outputs, a categorical split checked by hand and
 * reapplied to a quarter with a reordered dictionary and an unseen label,
 * and bad parameters / a constant target failing cleanly with nothing left
 * behind.  Fixtures and checks: tree_fixtures.py (h5py, scikit-learn).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "tree_fixture.h"

/* Runs a fixture whose output only is printed. */
static void fixture(const char *args)
{
    free(tree_fixture(args));
}

static void test_telco_matches_sklearn(void **unused)
{
    (void)unused;
    const char *dir = tu_tmpdir("tree_telco");
    char *err = NULL;
    char data[4096], res[4096];
    snprintf(data, sizeof data, "%s", tu_path(dir, "telco.h5"));
    snprintf(res, sizeof res, "%s", tu_path(dir, "res.h5"));
    int rc = tu_clmseg_run(NULL, &err, "import '%s/datasets/telco_churn.csv' -o '%s' --quiet",
                           tu_source_dir(), data);
    if (rc)
        fail_msg("import failed: %s", err);
    free(err);
    char *out = NULL;
    rc = tu_clmseg_run(&out, &err, "tree '%s' -o '%s' --target churn --target-level Yes "
                       "--max-depth 5 --test-fraction 0.3 --seed 3 --quiet", data, res);
    if (rc)
        fail_msg("tree failed: %s", err);
    /* Metrics and rules are printed; rules and JSON written beside. */
    assert_non_null(strstr(out, "holdout accuracy"));
    assert_non_null(strstr(out, "holdout ROC AUC"));
    assert_non_null(strstr(out, " -> "));
    assert_true(tu_exists(tu_path(dir, "tree_rules.txt")));
    assert_true(tu_exists(tu_path(dir, "tree.json")));
    char *rules = tu_read_file(tu_path(dir, "tree_rules.txt"), NULL);
    assert_non_null(rules);
    assert_non_null(strstr(rules, "contract in {"));
    free(rules);
    free(out);
    free(err);
    char args[9000];
    snprintf(args, sizeof args, "telco '%s' '%s' 5", data, res);
    fixture(args);
}

static void test_threads_identical(void **unused)
{
    (void)unused;
    const char *dir = tu_tmpdir("tree_threads");
    char data[4096], args[9000];
    snprintf(data, sizeof data, "%s", tu_path(dir, "random.h5"));
    snprintf(args, sizeof args, "random '%s' 60000", data);
    fixture(args);
    char d1[4096], d2[4096];
    snprintf(d1, sizeof d1, "%s/t1", dir);
    snprintf(d2, sizeof d2, "%s/t2", dir);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", d1, d2);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    for (int t = 1; t <= 2; t++) {
        char *err = NULL;
        int rc = tu_clmseg_run(NULL, &err, "tree '%s' -o '%s/res.h5' --max-depth 7 --bins 64 "
                               "--class-weight balanced --threads %d --quiet",
                               data, t == 1 ? d1 : d2, t);
        if (rc)
            fail_msg("tree --threads %d failed: %s", t, err);
        free(err);
    }
    char a[8300], b[8300];
    snprintf(a, sizeof a, "%s/tree.json", d1);
    snprintf(b, sizeof b, "%s/tree.json", d2);
    assert_true(tu_same_bytes(a, b));
    snprintf(a, sizeof a, "%s/tree_rules.txt", d1);
    snprintf(b, sizeof b, "%s/tree_rules.txt", d2);
    assert_true(tu_same_bytes(a, b));
    snprintf(args, sizeof args, "same '%s/res.h5' '%s/res.h5'", d1, d2);
    fixture(args);
}

static void test_categorical_and_predict(void **unused)
{
    (void)unused;
    const char *dir = tu_tmpdir("tree_cat");
    char data[4096], fresh[4096], res[4096], scored[4096], args[9000];
    snprintf(data, sizeof data, "%s", tu_path(dir, "cat.h5"));
    snprintf(fresh, sizeof fresh, "%s", tu_path(dir, "new.h5"));
    snprintf(res, sizeof res, "%s", tu_path(dir, "res.h5"));
    snprintf(scored, sizeof scored, "%s", tu_path(dir, "scored.h5"));
    snprintf(args, sizeof args, "cat '%s'", data);
    fixture(args);
    snprintf(args, sizeof args, "newquarter '%s'", fresh);
    fixture(args);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "tree '%s' -o '%s' --features plan --max-depth 1 "
                           "--test-fraction 0 --quiet", data, res);
    if (rc)
        fail_msg("tree failed: %s", err);
    free(err);
    rc = tu_clmseg_run(NULL, &err, "predict '%s' '%s' -o '%s' --quiet", res, fresh, scored);
    if (rc)
        fail_msg("predict failed: %s", err);
    free(err);
    /* Rates A .1, B .9, C .5, D .2: ordered A, D, C, B; the cuts cost
     * 167.3, 135 ({A,D} | {C,B}) and 135.3, so A and D (codes 0 and 3:
     * bits 9) go left with 30/200 churners, C and B right with 140/200.
     * No missing rows in training: unseen labels take the larger side,
     * left on a tie of 200 and 200.  The new file lists D, C, B, A, Z. */
    char cmd[9000];
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import h5py, numpy as np, sys\n"
             "r = h5py.File('%s', 'r')['churn']\n"
             "assert int(r['category_left'][0, 0]) == 9, r['category_left'][0]\n"
             "assert int(r['missing_left'][0]) == 1\n"
             "p = h5py.File('%s', 'r')['churn/probability'][()]\n"
             "want = np.array([0.15, 0.7, 0.7, 0.15, 0.15], np.float32)\n"
             "assert np.allclose(p, want, atol=1e-6), p\n\"",
             tree_python(), res, scored);
    char *out = NULL;
    err = NULL;
    rc = tu_run(cmd, &out, &err);
    if (rc)
        fail_msg("check failed: %s %s", out, err);
    free(out);
    free(err);
}

/* Makes fixture `name` in a fresh folder, trains a depth-1 tree on its
 * 'plan' with no holdout and `options`, and runs the Python `asserts`
 * with r = the saved /churn group. */
static void check_root_split(const char *name, const char *options, const char *asserts)
{
    const char *dir = tu_tmpdir(name);
    char data[4096], res[4096], args[9000], cmd[9000];
    snprintf(data, sizeof data, "%s", tu_path(dir, "data.h5"));
    snprintf(res, sizeof res, "%s", tu_path(dir, "res.h5"));
    snprintf(args, sizeof args, "%s '%s'", name, data);
    fixture(args);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "tree '%s' -o '%s' --features plan --max-depth 1 "
                           "--test-fraction 0 %s --quiet", data, res, options);
    if (rc)
        fail_msg("tree failed: %s", err);
    free(err);
    snprintf(cmd, sizeof cmd, "'%s' -c \"import h5py, numpy as np\n"
             "r = h5py.File('%s', 'r')['churn']\n%s\"", tree_python(), res, asserts);
    char *out = NULL;
    err = NULL;
    rc = tu_run(cmd, &out, &err);
    if (rc)
        fail_msg("check failed: %s %s", out, err);
    free(out);
    free(err);
}

/* A category rarer than --cat-min-count is pooled: A and B (300 rows
 * each, churn 0.5) and R (30 rows, all churned).  The plain ordered
 * partition (the search without pooling) cuts {A, B} | {R}: costs
 * 300 + 0 = 300 against the node's 630 - (330^2 + 300^2) / 630 = 314.29.
 * With R pooled (30 < 100) the candidates are A or B alone, with the pool
 * on either side: {A} | {B, R} costs 150 + (330 - (180^2 + 150^2) / 330)
 * = 313.64 (--cat-l2 0: plain Gini), and ties ({A, R} | {B}) keep the
 * first, pool right.  So only A (code 0: bits 1) goes left, and R with
 * the missing values goes right. */
static void test_rare_category_pooled(void **unused)
{
    (void)unused;
    check_root_split("pool", "--cat-l2 0",
                     "assert int(r['category_left'][0, 0]) == 1, r['category_left'][0]\n"
                     "assert int(r['missing_left'][0]) == 0\n"
                     "assert list(r['count'][()]) == [630, 300, 330], r['count'][()]\n"
                     "assert np.allclose(r['value'][1:, 1], [0.5, 180 / 330])\n");
}

/* The cap on categories moved: on the 'cat' fixture (A .1, B .9, C .5,
 * D .2, 100 rows each; smoothed rates 0.130, 0.857, 0.493, 0.220 with
 * the node's 0.425 and 10 pseudo-rows: the same order A, D, C, B) the
 * best cut {A, D} | {C, B} moves two categories; with
 * --cat-max-threshold 1 only {A} | ... (167.3) and {A, D, C} | {B}
 * (135.3) remain, so A, D and C (codes 0, 3, 2: bits 13) go left. */
static void test_cap_on_categories_moved(void **unused)
{
    (void)unused;
    check_root_split("cat", "--cat-l2 0 --cat-max-threshold 1",
                     "assert int(r['category_left'][0, 0]) == 13, r['category_left'][0]\n"
                     "assert list(r['count'][()]) == [400, 300, 100], r['count'][()]\n");
}

/* Runs clmseg tree expecting exit 1 with `needle` in stderr and no output
 * (final or temporary) left in `dir`. */
static void expect_failure(const char *dir, const char *data, const char *options,
                           const char *needle)
{
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "tree '%s' -o '%s/res.h5' %s --quiet", data, dir, options);
    if (rc != 1 || !err || !strstr(err, needle))
        fail_msg("'%s': exit %d, stderr '%s' (wanted '%s')", options, rc, err ? err : "", needle);
    free(err);
    assert_false(tu_exists(tu_path(dir, "res.h5")));
    assert_false(tu_exists(tu_path(dir, "tree_rules.txt")));
    assert_int_equal(tu_count_matching(dir, ".tmp"), 0);
}

static void test_bad_input(void **unused)
{
    (void)unused;
    const char *dir = tu_tmpdir("tree_bad");
    char data[4096], constant[4096], args[9000];
    snprintf(data, sizeof data, "%s", tu_path(dir, "random.h5"));
    snprintf(constant, sizeof constant, "%s", tu_path(dir, "constant.h5"));
    snprintf(args, sizeof args, "random '%s' 500", data);
    fixture(args);
    snprintf(args, sizeof args, "constant '%s'", constant);
    fixture(args);
    expect_failure(dir, data, "--max-depth -1", "--max-depth");
    expect_failure(dir, data, "--bins 300", "--bins");
    expect_failure(dir, data, "--bins 1", "--bins");
    expect_failure(dir, data, "--test-fraction 1", "--test-fraction");
    expect_failure(dir, data, "--min-leaf 0", "--min-leaf");
    expect_failure(dir, data, "--criterion best", "--criterion");
    expect_failure(dir, data, "--cat-min-count 0", "--cat-min-count");
    expect_failure(dir, data, "--cat-smooth -1", "--cat-smooth");
    expect_failure(dir, data, "--cat-max-threshold 0", "--cat-max-threshold");
    expect_failure(dir, data, "--target nope", "column 'nope' not found");
    expect_failure(dir, data, "--features u0,nope", "'nope' not found");
    expect_failure(dir, data, "--target u0", "must be an integer");
    expect_failure(dir, data, "--target plan --target-level P9", "no level 'P9'");
    expect_failure(dir, constant, "", "single value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_telco_matches_sklearn),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_categorical_and_predict),
        cmocka_unit_test(test_rare_category_pooled),
        cmocka_unit_test(test_cap_on_categories_moved),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

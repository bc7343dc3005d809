/*
 * test_mpi_tree.c — clmseg tree on 1 to 4 ranks (docs/design.md §7).
 *
 * The reference is the serial build's program on the same quarter: for
 * R = 1..4 ranks x T = 1..2 threads, results.h5, tree_rules.txt,
 * tree.json and the standard output of `mpirun -np R clmseg tree` must be
 * the serial run's bytes (the standard output but its "timing:" line,
 * which differs between any two runs).  A rank holds whole chunks of
 * 4,096 rows (TREE_CHUNK_ROWS), so:
 *
 *   50,000 rows  13 chunks, the last of 848 rows; 4 ranks hold 4, 3, 3, 3
 *                chunks; missing values planted on ranks 2 and 3
 *    6,000 rows  2 chunks, fewer than ranks: ranks 2 and 3 hold no row
 *   12,289 rows  4 chunks, the last holding a single row
 *
 * The cases meet each part of the fit that combines ranks: the binary
 * churn tree with its stratified holdout, AUC, log loss and permutation
 * importance (depth-bounded growth: row labels and listed nodes);
 * categorical features only, grown best-first; a multi-class categorical
 * target (plan, 4 levels) with balanced class weights and unbounded depth
 * (the row-index form); entropy, pruning and no holdout.
 *
 * The error case: a negative target in rank 2's rows (and a later one in
 * rank 3's) makes every one of 4 ranks exit 1 with the serial run's one
 * message, naming the first bad global row, and no output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "mpi_util.h"
#include "testutil.h"

static char dir[4096];
static char q50k[4200], q6000[4200], q12289[4200], q_bad[4200];

static int make_quarters(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi-tree"));
    snprintf(q50k, sizeof q50k, "%s/q50k.h5", dir);
    snprintf(q6000, sizeof q6000, "%s/q6000.h5", dir);
    snprintf(q12289, sizeof q12289, "%s/q12289.h5", dir);
    snprintf(q_bad, sizeof q_bad, "%s/q_bad.h5", dir);
    mpi_synth(q50k, 50000, 3);
    /* Missing values (bin 0) on ranks 2 and 3 of 4: rank 2 holds rows
     * 28,672 .. 40,959, rank 3 rows 40,960 .. 49,999. */
    mpi_put_nan(q50k, "arpu", 30001);
    mpi_put_nan(q50k, "arpu", 45000);
    mpi_synth(q6000, 6000, 5);
    mpi_synth(q12289, 12289, 11);
    mpi_synth(q_bad, 50000, 3);
    mpi_put_int(q_bad, "churned", 30001, -1);
    mpi_put_int(q_bad, "churned", 45000, -2);
    return 0;
}

/* The standard output without its timing line. */
static char *summary_of(const char *folder)
{
    char *text = tu_read_file(tu_path(folder, "stdout.txt"), NULL);
    assert_non_null(text);
    char *line = strstr(text, "timing: ");
    if (line) {
        char *rest = strchr(line, '\n');
        rest = rest ? rest + 1 : line + strlen(line);
        memmove(line, rest, strlen(rest) + 1);
    }
    return text;
}

/* Every R x T run of `clmseg tree QUARTER -o results.h5 ARGS` equals the
 * serial run in its three files and its summary. */
static void same_bytes_on_ranks(const char *quarter, const char *args, const char *expect)
{
    static int n_case = 0;
    char sub[4300], cmd[8192], ref[4400], out[4400];
    snprintf(sub, sizeof sub, "%s/tree-%d", dir, ++n_case);
    snprintf(cmd, sizeof cmd, "tree '%s' -o results.h5 --quiet %s", quarter, args);
    const char *files[] = {"results.h5", "tree_rules.txt", "tree.json"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 3, expect);
    snprintf(ref, sizeof ref, "%s/reference", sub);
    char *want = summary_of(ref);
    for (int ranks = 1; ranks <= 4; ranks++)
        for (int threads = 1; threads <= 2; threads++) {
            snprintf(out, sizeof out, "%s/ranks%d-threads%d", sub, ranks, threads);
            char *got = summary_of(out);
            if (strcmp(got, want))
                fail_msg("%s: stdout on %d ranks x %d threads differs from the serial run's:\n%s",
                         cmd, ranks, threads, got);
            free(got);
        }
    free(want);
}

static void test_churn_with_holdout_and_permutation(void **state)
{
    (void)state;
    same_bytes_on_ranks(q50k, "--permutation-repeats 3 --show-rules 3", "holdout ROC AUC: 0.");
}

static void test_categorical_features_best_first(void **state)
{
    (void)state;
    /* Ranks 2 and 3 hold no row. */
    same_bytes_on_ranks(q6000, "--features plan,region,branch --max-leaves 12 --cat-min-count 20",
                        " in {");
}

static void test_multi_class_target(void **state)
{
    (void)state;
    same_bytes_on_ranks(q12289, "--target plan --max-depth 0 --min-leaf 25 --class-weight balanced",
                        "contract-24m");
}

static void test_entropy_pruned_without_holdout(void **state)
{
    (void)state;
    same_bytes_on_ranks(q50k, "--criterion entropy --ccp-alpha 0.0005 --test-fraction 0",
                        "0 holdout rows");
}

static void test_bad_target_on_rank_2_stops_every_rank(void **state)
{
    (void)state;
    char sub[4300], args[8192];
    snprintf(sub, sizeof sub, "%s/bad-target", dir);
    snprintf(args, sizeof args, "tree '%s' -o results.h5 --quiet", q_bad);
    mpi_fails_alike_on_ranks(sub, args, 4, "target column 'churned' has the negative value -1 at row 30001");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_churn_with_holdout_and_permutation),
        cmocka_unit_test(test_categorical_features_best_first),
        cmocka_unit_test(test_multi_class_target),
        cmocka_unit_test(test_entropy_pruned_without_holdout),
        cmocka_unit_test(test_bad_target_on_rank_2_stops_every_rank),
    };
    return cmocka_run_group_tests(tests, make_quarters, NULL);
}

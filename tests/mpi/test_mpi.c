/*
 * test_mpi.c — clmseg kmeans on 1 to 4 ranks (docs/design.md §7).
 *
 * The reference is the serial build's program on the same quarter: for
 * R = 1..4 ranks x T = 1..2 threads, results.h5, segments.csv and the
 * standard output of `mpirun -np R clmseg kmeans` must be the serial
 * run's bytes.  The quarters are cut so that every way of splitting rows
 * among ranks is met (the k-means chunk is 4096 rows below 262,144 rows):
 *
 *   50,000 rows  13 chunks, the last of 848 rows (not a multiple of the
 *                chunk); 4 ranks hold 4, 3, 3, 3 chunks
 *    6,000 rows  2 chunks, fewer than ranks: ranks 2 and 3 hold no row
 *   12,289 rows  4 chunks, the last holding a single row
 *
 * plus the rare paths of the fit: restarts (--n-init), imputed values on
 * several ranks, and a feature with 4 distinct values for k = 8 (k-means++
 * runs out of mass and draws uniformly; Lloyd's loop refills empty
 * clusters with the farthest points, chosen across ranks).
 *
 * The error case: a NaN in rank 2's rows (and a later one in rank 3's)
 * makes every one of 4 ranks exit 1 on its own, within the timeout, with
 * one message naming the first bad global row, the serial run's message;
 * and no output file is left.
 *
 * Environment (tests/mpi/CMakeLists.txt): CLMSEG_BIN, the MPI program;
 * CLMSEG_SERIAL_BIN, the serial build's; CLMSEG_MPIEXEC and
 * CLMSEG_MPIEXEC_FLAGS, mpirun and its flags.  The ranks' exit codes are
 * read through OMPI_COMM_WORLD_RANK (Open MPI).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmseg/clmseg.h"
#include "mpi_util.h"
#include "testutil.h"

static char dir[4096];
static char q50k[4200], q6000[4200], q12289[4200], q_nan[4200], q_impute[4200];

static int make_quarters(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi"));
    snprintf(q50k, sizeof q50k, "%s/q50k.h5", dir);
    snprintf(q6000, sizeof q6000, "%s/q6000.h5", dir);
    snprintf(q12289, sizeof q12289, "%s/q12289.h5", dir);
    snprintf(q_nan, sizeof q_nan, "%s/q_nan.h5", dir);
    snprintf(q_impute, sizeof q_impute, "%s/q_impute.h5", dir);
    mpi_synth(q50k, 50000, 3);
    mpi_synth(q6000, 6000, 5);
    mpi_synth(q12289, 12289, 11);
    /* 50,000 rows on 4 ranks: rank 2 holds rows 28,672 .. 40,959, rank 3
     * rows 40,960 .. 49,999. */
    mpi_synth(q_nan, 50000, 3);
    mpi_put_nan(q_nan, "arpu", 30001);
    mpi_put_nan(q_nan, "arpu", 45000);
    /* Missing values on ranks 0, 1 and 3 of 4 (12,289 rows: one chunk each,
     * the last rank's chunk a single row) for --missing impute. */
    mpi_synth(q_impute, 12289, 11);
    mpi_put_nan(q_impute, "arpu", 17);
    mpi_put_nan(q_impute, "arpu_prev", 4100);
    mpi_put_nan(q_impute, "arpu", 12288);
    return 0;
}

/* Every R x T run of `clmseg kmeans QUARTER -o results.h5 ARGS` equals the
 * serial run in results.h5, segments.csv and stdout (mpi_util.h). */
static void same_bytes_on_ranks(const char *quarter, const char *args, const char *expect)
{
    mpi_kmeans_same_bytes(dir, quarter, args, expect);
}

static void test_rows_not_a_multiple_of_the_chunk(void **state)
{
    (void)state;
    same_bytes_on_ranks(q50k, "--k 6", "k-means: k = 6,");
}

static void test_fewer_chunks_than_ranks(void **state)
{
    (void)state;
    same_bytes_on_ranks(q6000, "--k 5 --n-init 2", "k-means: k = 5,");
}

static void test_last_chunk_of_one_row(void **state)
{
    (void)state;
    same_bytes_on_ranks(q12289, "--k 8 --seed 9", "k-means: k = 8,");
}

static void test_imputed_values_on_several_ranks(void **state)
{
    (void)state;
    same_bytes_on_ranks(q_impute, "--k 4 --missing impute",
                        "k-means: 3 missing values imputed with the column mean");
}

static void test_uniform_draws_and_empty_clusters(void **state)
{
    (void)state;
    /* 4 distinct values for 8 clusters: the seeding's mass runs out and the
     * loop refills the empty clusters. */
    same_bytes_on_ranks(q50k, "--features plan_downgrades --k 8", "k-means: k = 8,");
}

static void test_nan_on_rank_2_stops_every_rank(void **state)
{
    (void)state;
    char sub[4300], args[8192];
    snprintf(sub, sizeof sub, "%s/nan", dir);
    snprintf(args, sizeof args, "kmeans '%s' -o results.h5 --quiet", q_nan);
    mpi_fails_alike_on_ranks(sub, args, 4, "column 'arpu' has a missing value (NaN) at row 30001");
}

/* scenario runs on rank 0 alone (it projects a run's book, serial code)
 * while the other ranks wait: on 3 ranks its every output is the serial
 * build's, and a refused plan makes every rank exit 1 with one message
 * and no output folder.  A rank that did not see the others would run it
 * three times over into the same folder. */
static const char *const scenario_plan =
    "[plan]\nhorizon = 24\n\n"
    "[scenario save_d]\nlever = retention\nstage = D\nhazard_ratio = 0.7\ntake_up = 0.5\n"
    "cost_contact = high:20,medium:10,low:5\n\n"
    "[budget]\ntotal = 3000\nlever = retention\nhazard_ratio = 0.7\ntake_up = 0.3\nmonths = 12\n"
    "cost_contact = high:20,medium:10,low:5\ncost_accept = 10\n";

static void test_scenario_through_rank_0(void **state)
{
    (void)state;
    char run[4300], plan[4300], bad[4300], ref[4300], out[4300], args[16384];
    snprintf(run, sizeof run, "%s/scn-run", dir);
    snprintf(plan, sizeof plan, "%s/scn-plan.ini", dir);
    snprintf(bad, sizeof bad, "%s/scn-bad.ini", dir);
    snprintf(ref, sizeof ref, "%s/scn-reference", dir);
    snprintf(out, sizeof out, "%s/scn-ranks", dir);
    assert_int_equal(tu_write_file(plan, scenario_plan), 0);
    assert_int_equal(tu_write_file(bad, "[scenario x]\nlever = retention\nhazard_ratio = -1\n"), 0);
    snprintf(args, sizeof args, "run '%s' -o '%s' --quiet", q50k, run);
    assert_int_equal(mpi_run_reference(ref, args), 0);
    snprintf(args, sizeof args, "scenario '%s' '%s' -o scn --plan '%s'", q50k, run, plan);
    assert_int_equal(mpi_run_reference(ref, args), 0);
    char *err = NULL;
    if (mpi_run_ranks(3, 1, out, args, &err) != 0)
        fail_msg("scenario on 3 ranks: %s", err ? err : "");
    free(err);
    const char *files[] = {"scenarios.csv", "scenario_curves.csv", "scenario_levers.csv", "scenarios.h5",
                           "scenario.html", "allocation.csv", "allocation_policies.csv"};
    const char *differs = tu_first_difference(tu_path(ref, "scn"), tu_path(out, "scn"), files,
                                              sizeof files / sizeof files[0]);
    if (differs)
        fail_msg("scenario on 3 ranks wrote another %s than the serial build", differs);
    /* The printed summary, once (rank 0's), with a real figure in it. */
    char *text = tu_read_file(tu_path(out, "stdout.txt"), NULL), *want = tu_read_file(tu_path(ref, "stdout.txt"), NULL);
    assert_non_null(text);
    assert_non_null(want);
    assert_non_null(strstr(want, "save_d"));
    assert_non_null(strstr(want, "optimised     spend"));
    assert_string_equal(text, want);
    free(text);
    free(want);
    err = NULL;
    snprintf(args, sizeof args, "scenario '%s' '%s' -o scn --plan '%s' --quiet", q50k, run, bad);
    assert_int_equal(mpi_run_ranks(3, 1, out, args, &err), 1);
    assert_int_equal(mpi_count(err, "error:"), 1);
    free(err);
    assert_false(tu_exists(tu_path(out, "scn")));
}

/* synth writes through rank 0: on 3 ranks the serial build's bytes, and
 * every rank exits 0 (a failure: every rank exits 1). */
static void test_synth_through_rank_0(void **state)
{
    (void)state;
    char ref[4300], out[4300], args[8192];
    snprintf(ref, sizeof ref, "%s/synth-reference", dir);
    snprintf(out, sizeof out, "%s/synth-ranks", dir);
    assert_int_equal(mpi_run_reference(ref, "synth -o q.h5 --rows 20000 --seed 8 --quiet"), 0);
    char *err = NULL;
    /* mpi_run_ranks adds --threads, which synth takes. */
    snprintf(args, sizeof args, "synth -o q.h5 --rows 20000 --seed 8 --quiet");
    if (mpi_run_ranks(3, 2, out, args, &err) != 0)
        fail_msg("synth on 3 ranks: %s", err ? err : "");
    free(err);
    if (!tu_same_bytes(tu_path(ref, "q.h5"), tu_path(out, "q.h5")))
        fail_msg("synth on 3 ranks wrote other bytes than the serial build");
    err = NULL;
    snprintf(args, sizeof args, "synth -o /nonexistent-folder/q.h5 --rows 20000 --quiet");
    assert_int_equal(mpi_run_ranks(3, 1, out, args, &err), 1);
    assert_int_equal(mpi_count(err, "error:"), 1);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_not_a_multiple_of_the_chunk),
        cmocka_unit_test(test_fewer_chunks_than_ranks),
        cmocka_unit_test(test_last_chunk_of_one_row),
        cmocka_unit_test(test_imputed_values_on_several_ranks),
        cmocka_unit_test(test_uniform_draws_and_empty_clusters),
        cmocka_unit_test(test_nan_on_rank_2_stops_every_rank),
        cmocka_unit_test(test_scenario_through_rank_0),
        cmocka_unit_test(test_synth_through_rank_0),
    };
    return cmocka_run_group_tests(tests, make_quarters, NULL);
}

/*
 * test_mpi_survival.c — clmseg survival on 1 to 4 ranks (docs/design.md
 * §7).
 *
 * The reference is the serial build's program on the same quarter: for
 * R = 1..4 ranks x T = 1..2 threads, results.h5, survival.csv and the
 * standard output of `mpirun -np R clmseg survival` must be the serial
 * run's bytes.  Ranks hold whole survival chunks of 4,096 rows:
 *
 *   50,000 rows  13 chunks; 4 ranks hold 4, 3, 3, 3 chunks (rank 2 rows
 *                28,672 .. 40,959, rank 3 rows 40,960 .. 49,999)
 *    6,000 rows  2 chunks, fewer than ranks: ranks 2 and 3 hold no row
 *
 * Strata: a categorical column (branch), the labels of a k-means results
 * file (--by segment --results), an integer column (its range agreed
 * over the ranks), none; and a region column rewritten so that one
 * region occurs on rank 0 only and another on rank 3 only.  Times: whole
 * months (the direct tables) and days that are not whole months
 * (--time-unit days: the hash of continuous times).  ARPU is in every
 * run (LTV), so the relayed ARPU sums are checked too.
 *
 * The error cases: a NaN tenure in rank 2's rows (and a later one in
 * rank 3's) makes every one of 4 ranks exit 1 with the serial run's one
 * message; and a bad event code on rank 3 wins over a NaN tenure on rank
 * 1 of the same 1M-row block, as in the serial run (a block's events are
 * checked before its times).  No output file is left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_util.h"
#include "testutil.h"

#define ROWS 50000

static char dir[4096];
static char q50k[4200], q6000[4200], q_region[4200], q_days[4200], q_nan[4200], q_mixed[4200];
static char kmeans_results[4200];

static int make_quarters(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi_survival"));
    snprintf(q50k, sizeof q50k, "%s/q50k.h5", dir);
    snprintf(q6000, sizeof q6000, "%s/q6000.h5", dir);
    snprintf(q_region, sizeof q_region, "%s/q_region.h5", dir);
    snprintf(q_days, sizeof q_days, "%s/q_days.h5", dir);
    snprintf(q_nan, sizeof q_nan, "%s/q_nan.h5", dir);
    snprintf(q_mixed, sizeof q_mixed, "%s/q_mixed.h5", dir);
    snprintf(kmeans_results, sizeof kmeans_results, "%s/kmeans/results.h5", dir);
    mpi_synth(q50k, ROWS, 3);
    mpi_synth(q6000, 6000, 5);
    char cmd[20000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/kmeans' && '%s' kmeans '%s' -o '%s' --k 5 --quiet", dir,
             mpi_reference_bin(), q50k, kmeans_results);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);

    /* Region 0 in rows 0 .. 999 only (rank 0's), region 11 in rows 45,000
     * and on only (rank 3's), the other ten everywhere. */
    mpi_synth(q_region, ROWS, 7);
    int *region = malloc(sizeof(int) * ROWS);
    assert_non_null(region);
    for (int i = 0; i < ROWS; i++)
        region[i] = i < 1000 ? 0 : i >= 45000 ? 11 : 1 + i % 10;
    mpi_write_column(q_region, "region", H5T_NATIVE_INT, ROWS, region, 0);
    free(region);

    mpi_synth(q_days, ROWS, 9);
    mpi_add_float_tenure(q_days, ROWS, 1);

    mpi_synth(q_nan, ROWS, 3);
    mpi_add_float_tenure(q_nan, ROWS, 0);
    mpi_put_nan(q_nan, "tenure_f", 30001);
    mpi_put_nan(q_nan, "tenure_f", 45000);

    mpi_synth(q_mixed, ROWS, 3);
    mpi_add_float_tenure(q_mixed, ROWS, 0);
    mpi_put_nan(q_mixed, "tenure_f", 20000);
    int *churned = malloc(sizeof(int) * ROWS);
    assert_non_null(churned);
    mpi_read_column(q_mixed, "churned", H5T_NATIVE_INT, churned);
    churned[45000] = 2;
    mpi_write_column(q_mixed, "churned", H5T_NATIVE_INT, ROWS, churned, 0);
    free(churned);
    return 0;
}

/* Every R x T run of `clmseg survival QUARTER -o results.h5 ARGS` equals
 * the serial run in results.h5, survival.csv and stdout. */
static void same_bytes_on_ranks(const char *quarter, const char *args, const char *expect)
{
    static int n_case = 0;
    char sub[4300], cmd[16384];
    snprintf(sub, sizeof sub, "%s/survival-%d", dir, ++n_case);
    snprintf(cmd, sizeof cmd, "survival '%s' -o results.h5 %s", quarter, args);
    const char *files[] = {"results.h5", "survival.csv", "stdout.txt"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 3, expect);
}

static void test_by_a_categorical_column(void **state)
{
    (void)state;
    same_bytes_on_ranks(q50k, "--by branch", "survival by branch: Kaplan-Meier");
}

static void test_by_segment_of_a_kmeans_results_file(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "--by segment --results '%s'", kmeans_results);
    same_bytes_on_ranks(q50k, args, "survival by segment: Kaplan-Meier");
}

static void test_by_an_integer_column(void **state)
{
    (void)state;
    /* Its range (the strata) is agreed over the ranks' rows. */
    same_bytes_on_ranks(q50k, "--by complaints", "survival by complaints: Kaplan-Meier");
}

static void test_no_strata_and_ranks_without_rows(void **state)
{
    (void)state;
    same_bytes_on_ranks(q6000, "", "\nall              6000      1491 ");
}

static void test_strata_absent_from_some_ranks(void **state)
{
    (void)state;
    same_bytes_on_ranks(q_region, "--by region", "survival by region: Kaplan-Meier");
}

static void test_times_in_days(void **state)
{
    (void)state;
    same_bytes_on_ranks(q_days, "--time tenure_f --time-unit days --by plan",
                        "survival by plan: Kaplan-Meier");
}

static void test_nan_tenure_on_rank_2_stops_every_rank(void **state)
{
    (void)state;
    char sub[4300], args[8192];
    snprintf(sub, sizeof sub, "%s/nan", dir);
    snprintf(args, sizeof args, "survival '%s' -o results.h5 --time tenure_f --by branch --quiet",
             q_nan);
    mpi_fails_alike_on_ranks(sub, args, 4,
                             "column 'tenure_f', row 30001: time is missing (NaN) or infinite");
}

static void test_bad_event_wins_over_an_earlier_nan_in_its_block(void **state)
{
    (void)state;
    char sub[4300], args[8192];
    snprintf(sub, sizeof sub, "%s/mixed", dir);
    snprintf(args, sizeof args, "survival '%s' -o results.h5 --time tenure_f --quiet", q_mixed);
    mpi_fails_alike_on_ranks(sub, args, 4, "column 'churned', row 45000: event value 2 is not 0 or 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_a_categorical_column),
        cmocka_unit_test(test_by_segment_of_a_kmeans_results_file),
        cmocka_unit_test(test_by_an_integer_column),
        cmocka_unit_test(test_no_strata_and_ranks_without_rows),
        cmocka_unit_test(test_strata_absent_from_some_ranks),
        cmocka_unit_test(test_times_in_days),
        cmocka_unit_test(test_nan_tenure_on_rank_2_stops_every_rank),
        cmocka_unit_test(test_bad_event_wins_over_an_earlier_nan_in_its_block),
    };
    return cmocka_run_group_tests(tests, make_quarters, NULL);
}

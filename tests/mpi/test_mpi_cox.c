/*
 * test_mpi_cox.c — clmseg cox on 1 to 4 ranks (docs/design.md §7).
 *
 * The reference is the serial build's program on the same quarter: for
 * R = 1..4 ranks x T = 1..2 threads, results.h5 (the model, and /equity
 * with --equity) and the printed summary of `mpirun -np R clmseg cox`
 * must be the serial run's bytes.  Every rank fits on its own rows (whole
 * chunks of 4,096 rows) and the cells' sums run on through the ranks:
 *
 *   50,000 rows  13 chunks; 4 ranks hold 4, 3, 3, 3 chunks (rank 1 rows
 *                16,384 .. 28,671, rank 3 rows 40,960 .. 49,999)
 *    6,000 rows  2 chunks, fewer than ranks: ranks 2 and 3 hold no row
 *
 * Cases: times in days that are not whole months (the distinct times
 * gathered from every rank rather than counted in one table), strata by a
 * categorical column and the equity projection; no strata, Breslow ties
 * and a ridge penalty, with ranks that hold no row; a predictor of 4
 * distinct values, so that the concordance's ranges of lp cut through
 * ties (each value's rows must stay on one rank) and some ranks count
 * no row.
 *
 * The error case: a bad event code on rank 1 and a NaN time on rank 3 of
 * the same read block.  The serial scan checks a block's times before its
 * events, so every rank must report the time on rank 3, not the earlier
 * row: the ranks rank their failures as the serial scan meets them.
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

static char dir[4096], q6000[4200], q_days[4200], q_mixed[4200];

static int make_quarters(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi_cox"));
    snprintf(q6000, sizeof q6000, "%s/q6000.h5", dir);
    snprintf(q_days, sizeof q_days, "%s/q_days.h5", dir);
    snprintf(q_mixed, sizeof q_mixed, "%s/q_mixed.h5", dir);
    mpi_synth(q6000, 6000, 5);
    mpi_synth(q_days, ROWS, 9);
    mpi_add_float_tenure(q_days, ROWS, 1);

    mpi_synth(q_mixed, ROWS, 3);
    mpi_add_float_tenure(q_mixed, ROWS, 0);
    mpi_put_nan(q_mixed, "tenure_f", 45000);
    mpi_put_int(q_mixed, "churned", 20000, 2);
    return 0;
}

/* Every R x T run of `clmseg cox QUARTER -o results.h5 ARGS` equals the
 * serial run in results.h5 and stdout. */
static void same_bytes_on_ranks(const char *quarter, const char *args, const char *expect)
{
    static int n_case = 0;
    char sub[4300], cmd[16384];
    snprintf(sub, sizeof sub, "%s/cox-%d", dir, ++n_case);
    snprintf(cmd, sizeof cmd,
             "cox '%s' -o results.h5 --features arpu,service_calls,suspension_days,"
             "payment_delay_days,plan_downgrades %s",
             quarter, args);
    const char *files[] = {"results.h5", "stdout.txt"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 2, expect);
}

static void test_days_strata_by_a_column_and_equity(void **state)
{
    (void)state;
    same_bytes_on_ranks(q_days, "--time tenure_f --time-unit days --strata plan --equity",
                        "time tenure_f, event churned, ties efron, strata plan (4)");
}

static void test_breslow_and_a_ridge_on_ranks_without_rows(void **state)
{
    (void)state;
    same_bytes_on_ranks(q6000, "--ties breslow --l2 2.5 --equity", "n= 6000");
}

static void test_concordance_of_few_distinct_predictors(void **state)
{
    (void)state;
    char sub[4300], cmd[8192];
    snprintf(sub, sizeof sub, "%s/ties", dir);
    snprintf(cmd, sizeof cmd, "cox '%s' -o results.h5 --features plan_downgrades", q_days);
    const char *files[] = {"results.h5", "stdout.txt"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 2, "n= 50000");
}

static void test_nan_time_wins_over_an_earlier_bad_event_in_its_block(void **state)
{
    (void)state;
    char sub[4300], args[8192];
    snprintf(sub, sizeof sub, "%s/mixed", dir);
    snprintf(args, sizeof args,
             "cox '%s' -o results.h5 --time tenure_f --features arpu,service_calls --quiet",
             q_mixed);
    mpi_fails_alike_on_ranks(sub, args, 4, "column 'tenure_f', row 45000: time nan is not a number >= 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_strata_by_a_column_and_equity),
        cmocka_unit_test(test_breslow_and_a_ridge_on_ranks_without_rows),
        cmocka_unit_test(test_concordance_of_few_distinct_predictors),
        cmocka_unit_test(test_nan_time_wins_over_an_earlier_bad_event_in_its_block),
    };
    return cmocka_run_group_tests(tests, make_quarters, NULL);
}

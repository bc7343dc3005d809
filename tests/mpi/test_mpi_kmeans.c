/*
 * test_mpi_kmeans.c — the clmseg kmeans options beyond test_mpi.c's on 1
 * to 4 ranks (docs/design.md §7): k-means|| and random seeding, --k auto,
 * --missing drop and sample weights.
 *
 * As in test_mpi.c, for R = 1..4 ranks x T = 1..2 threads results.h5,
 * segments.csv and the standard output must be the serial build's bytes.
 * The quarters are those of test_mpi.c (the k-means chunk is 4096 rows):
 *
 *   50,000 rows  13 chunks, 4 ranks hold 4, 3, 3, 3 of them; rank 2 holds
 *                rows 28,672 .. 40,959
 *    6,000 rows  2 chunks: ranks 2 and 3 hold no row
 *   12,289 rows  4 chunks, the last of a single row; rank 2 of 4 holds
 *                rows 8,192 .. 12,287
 *
 * Dropping rows changes the chunks (they are those of the kept rows), so
 * the drop cases put every missing value in rank 2's rows: on 50,000 rows
 * 5,002 of them (its first and last row and 5,000 in between: 11 chunks
 * of kept rows instead of 13), and on 12,289 rows all of rank 2's rows
 * through the weight column, which leaves 8,193 kept rows whose last
 * chunk is again a single row, input row 12,288 of rank 3.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>

#include "mpi_util.h"
#include "testutil.h"

static char dir[4096];
static char q50k[4200], q6000[4200], q12289[4200], q_drop[4200], q_weight_drop[4200];

static int make_quarters(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi-kmeans"));
    snprintf(q50k, sizeof q50k, "%s/q50k.h5", dir);
    snprintf(q6000, sizeof q6000, "%s/q6000.h5", dir);
    snprintf(q12289, sizeof q12289, "%s/q12289.h5", dir);
    snprintf(q_drop, sizeof q_drop, "%s/q_drop.h5", dir);
    snprintf(q_weight_drop, sizeof q_weight_drop, "%s/q_weight_drop.h5", dir);
    mpi_synth(q50k, 50000, 3);
    mpi_synth(q6000, 6000, 5);
    mpi_synth(q12289, 12289, 11);
    mpi_synth(q_drop, 50000, 3);
    mpi_put_nan(q_drop, "arpu", 28672);
    mpi_put_nan_rows(q_drop, "arpu", 30000, 5000);
    mpi_put_nan(q_drop, "arpu", 40959);
    mpi_synth(q_weight_drop, 12289, 11);
    mpi_put_nan_rows(q_weight_drop, "arpu_prev", 8192, 4096);
    return 0;
}

/* Every R x T run of `clmseg kmeans QUARTER -o results.h5 ARGS` equals the
 * serial run in results.h5, segments.csv and stdout (mpi_util.h). */
static void same_bytes_on_ranks(const char *quarter, const char *args, const char *expect)
{
    mpi_kmeans_same_bytes(dir, quarter, args, expect);
}

static void test_parallel_init(void **state)
{
    (void)state;
    same_bytes_on_ranks(q50k, "--k 6 --init 'k-means||'", "k-means: k = 6,");
}

static void test_random_init_with_ranks_without_rows(void **state)
{
    (void)state;
    same_bytes_on_ranks(q6000, "--k 5 --init random --n-init 2", "k-means: k = 5,");
}

static void test_auto_k_with_a_one_row_chunk(void **state)
{
    (void)state;
    /* 4,000 sampled rows of 12,289 for the silhouette, on every rank. */
    same_bytes_on_ranks(q12289, "--k auto:2-4", "  <- chosen");
}

static void test_rows_dropped_on_rank_2(void **state)
{
    (void)state;
    same_bytes_on_ranks(q_drop, "--k 6 --missing drop",
                        "k-means: 5002 rows with missing values dropped (label -1)");
}

static void test_sample_weights_with_zeros(void **state)
{
    (void)state;
    /* Top-ups: many rows weigh 0; ranks 2 and 3 hold no row. */
    same_bytes_on_ranks(q6000, "--k 5 --sample-weight topups", "k-means: k = 5,");
}

static void test_missing_weights_drop_all_of_rank_2(void **state)
{
    (void)state;
    same_bytes_on_ranks(q_weight_drop, "--k 6 --sample-weight arpu_prev --missing drop",
                        "k-means: 4096 rows with missing values dropped (label -1)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_init),
        cmocka_unit_test(test_random_init_with_ranks_without_rows),
        cmocka_unit_test(test_auto_k_with_a_one_row_chunk),
        cmocka_unit_test(test_rows_dropped_on_rank_2),
        cmocka_unit_test(test_sample_weights_with_zeros),
        cmocka_unit_test(test_missing_weights_drop_all_of_rank_2),
    };
    return cmocka_run_group_tests(tests, make_quarters, NULL);
}

/*
 * test_comm_split.c — how the ranks split a table's chunks
 * (comm_chunks_of, comm_chunk_owner, comm_rows_of in src/core/comm.c):
 * pure arithmetic, so it is checked here without MPI.
 *
 *   - an equal split: runs that differ by at most one, the longer first
 *     (13 chunks on 4 ranks: 4, 3, 3, 3), whether root_share is 0 or 1000;
 *   - rank 0 weighted (the quarterly run, src/run/run.c): 64 chunks on
 *     4 ranks with rank 0 at 480 thousandths of another rank's are cut at
 *     floor(64 x 480 / 3480) = 8, floor(64 x 1480 / 3480) = 27 and
 *     floor(64 x 2480 / 3480) = 45, runs of 8, 19, 18, 19;
 *   - for 2-9 ranks, shares 0-1000 and 0-400 chunks: the runs tile the
 *     chunks in rank order, every chunk's owner is the rank whose run
 *     holds it, and a weighted rank 0 keeps at least one chunk (else the
 *     equal split applies) and no rank gets fewer chunks than it;
 *   - 2^40 chunks on 64 ranks: the cuts equal the exact 128-bit products.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>

#include "core/comm_internal.h"

static void runs(const comm_ctx *c, int64_t n, int64_t *first, int64_t *count)
{
    for (int r = 0; r < c->size; r++)
        comm_chunks_of(c, r, n, &first[r], &count[r]);
}

/* The runs of `c` over n chunks are want_first / want_count. */
static void assert_runs(const comm_ctx *c, int64_t n, const int64_t *want_first, const int64_t *want_count)
{
    int64_t first[16], count[16];
    runs(c, n, first, count);
    for (int r = 0; r < c->size; r++) {
        assert_int_equal(first[r], want_first[r]);
        assert_int_equal(count[r], want_count[r]);
    }
}

static void test_equal_split(void **state)
{
    (void)state;
    for (int share = 0; share <= 1000; share += 1000) {
        const comm_ctx c = {0, 4, share};
        assert_runs(&c, 13, (const int64_t[]){0, 4, 7, 10}, (const int64_t[]){4, 3, 3, 3});
        assert_int_equal(comm_chunk_owner(&c, 3, 13), 0);
        assert_int_equal(comm_chunk_owner(&c, 4, 13), 1);
        assert_int_equal(comm_chunk_owner(&c, 12, 13), 3);
    }
}

static void test_rank_0_weighted(void **state)
{
    (void)state;
    const comm_ctx c = {2, 4, 480};
    assert_runs(&c, 64, (const int64_t[]){0, 8, 27, 45}, (const int64_t[]){8, 19, 18, 19});
    assert_int_equal(comm_chunk_owner(&c, 7, 64), 0);
    assert_int_equal(comm_chunk_owner(&c, 8, 64), 1);
    assert_int_equal(comm_chunk_owner(&c, 44, 64), 2);
    assert_int_equal(comm_chunk_owner(&c, 45, 64), 3);
    /* Rows: chunks of 31,250 rows of 2,000,000; this is rank 2's. */
    int64_t row0, n_rows;
    comm_rows_of(&c, 2000000, 31250, &row0, &n_rows);
    assert_int_equal(row0, 27 * 31250);
    assert_int_equal(n_rows, 18 * 31250);
    /* Too few chunks to leave rank 0 one (7 x 480 < 3480): equal split. */
    assert_runs(&c, 7, (const int64_t[]){0, 2, 4, 6}, (const int64_t[]){2, 2, 2, 1});
}

static void test_every_layout_tiles(void **state)
{
    (void)state;
    int64_t first[9], count[9];
    for (int size = 2; size <= 9; size++)
        for (int share = 0; share <= 1000; share += 37)
            for (int64_t n = 0; n <= 400; n++) {
                const comm_ctx c = {0, size, share};
                runs(&c, n, first, count);
                int64_t at = 0;
                for (int r = 0; r < size; r++) {
                    assert_int_equal(first[r], at);
                    assert_true(count[r] >= 0);
                    for (int64_t k = first[r]; k < first[r] + count[r]; k++)
                        assert_int_equal(comm_chunk_owner(&c, k, n), r);
                    at += count[r];
                }
                assert_int_equal(at, n);
                const int64_t total = share + 1000 * (int64_t)(size - 1);
                if (share > 0 && n * share >= total) { /* weighted */
                    assert_true(count[0] >= 1);
                    for (int r = 1; r < size; r++)
                        assert_true(count[r] >= count[0]);
                }
            }
}

static void test_no_overflow(void **state)
{
    (void)state;
    const comm_ctx c = {0, 64, 250};
    const int64_t n = (int64_t)1 << 40;
    const __int128 total = 250 + 1000 * 63;
    for (int r = 1; r < 64; r++) {
        int64_t first, count;
        comm_chunks_of(&c, r, n, &first, &count);
        const __int128 before = 250 + 1000 * (__int128)(r - 1);
        assert_true((__int128)first == (__int128)n * before / total);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_split),
        cmocka_unit_test(test_rank_0_weighted),
        cmocka_unit_test(test_every_layout_tiles),
        cmocka_unit_test(test_no_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

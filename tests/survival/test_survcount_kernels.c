/*
 * test_survcount_kernels.c — the survival scan and count kernels: the tuned
 * variants against the references on sizes 0, 1, odd, unaligned and large,
 * with and without strata and ARPU, and with a bad value at every position
 * of a short block (the first bad row and its reason must agree).  The
 * fused chunk kernel (scan + count + ARPU sums) likewise, including the
 * chunks it must refuse to count (fractional times, times beyond the
 * table, bad rows in and across its sub-blocks): counts left unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "survcount.h"

#define N_MAX 200003
#define SLOTS 7
#define TIMES 40

static double time_buf[N_MAX + 3], arpu_buf[N_MAX + 3];
static uint8_t event_buf[N_MAX + 3];
static int32_t stratum_buf[N_MAX + 3];
/* One time more than the data use: chunks with a time of TIMES fit. */
static uint32_t counts_ref[(TIMES + 1) * SLOTS * 2], counts_tuned[(TIMES + 1) * SLOTS * 2];

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(int fractional)
{
    for (int64_t i = 0; i < N_MAX + 3; i++) {
        time_buf[i] = (double)(next() % TIMES);
        if (fractional && i % 97 == 50)
            time_buf[i] += 0.5;
        event_buf[i] = (uint8_t)(next() & 1);
        stratum_buf[i] = (int32_t)(next() % SLOTS);
        arpu_buf[i] = (double)(next() % 10000) / 100.0;
    }
}

static void same_scan(int64_t n, int64_t offset, int use_stratum, int use_arpu)
{
    clm_k_survscan_result a, b;
    const int32_t *st = use_stratum ? stratum_buf + offset : NULL;
    const double *ar = use_arpu ? arpu_buf + offset : NULL;
    clm_k_survscan_f64_ref(n, time_buf + offset, event_buf + offset, st, SLOTS, ar, &a);
    clm_k_survscan_f64_tuned(n, time_buf + offset, event_buf + offset, st, SLOTS, ar, &b);
    assert_int_equal(a.bad_row, b.bad_row);
    assert_int_equal(a.bad_reason, b.bad_reason);
    assert_int_equal(a.fraction_row, b.fraction_row);
    assert_true(a.max_time == b.max_time);
}

static void same_count(int64_t n, int64_t offset, int use_stratum)
{
    memset(counts_ref, 0, sizeof counts_ref);
    memset(counts_tuned, 0, sizeof counts_tuned);
    const int32_t *st = use_stratum ? stratum_buf + offset : NULL;
    clm_k_survcount_f64_ref(n, time_buf + offset, event_buf + offset, st, SLOTS, counts_ref);
    clm_k_survcount_f64_tuned(n, time_buf + offset, event_buf + offset, st, SLOTS, counts_tuned);
    assert_memory_equal(counts_ref, counts_tuned, sizeof counts_ref);
    int64_t total = 0;
    for (size_t c = 0; c < sizeof counts_ref / sizeof counts_ref[0]; c++)
        total += counts_ref[c];
    assert_int_equal(total, n);
}

static const int64_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 17, 63, 1001, 4096, 65537, N_MAX};

static void test_count_matches_reference(void **state)
{
    (void)state;
    fill(0);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (int64_t offset = 0; offset < 3; offset++)
            for (int s = 0; s < 2; s++)
                same_count(sizes[k], offset, s);
}

static void test_count_hand_cells(void **state)
{
    (void)state;
    /* Rows (t, slot, e): (0,0,1) (3,2,0) (3,2,0) (3,2,1) (39,6,1). */
    double t[] = {0, 3, 3, 3, 39};
    uint8_t e[] = {1, 0, 0, 1, 1};
    int32_t s[] = {0, 2, 2, 2, 6};
    memset(counts_tuned, 0, sizeof counts_tuned);
    clm_k_survcount_f64_tuned(5, t, e, s, SLOTS, counts_tuned);
    assert_int_equal(counts_tuned[(0 * SLOTS + 0) * 2 + 1], 1);
    assert_int_equal(counts_tuned[(3 * SLOTS + 2) * 2 + 0], 2);
    assert_int_equal(counts_tuned[(3 * SLOTS + 2) * 2 + 1], 1);
    assert_int_equal(counts_tuned[(39 * SLOTS + 6) * 2 + 1], 1);
}

static void test_scan_matches_reference(void **state)
{
    (void)state;
    for (int frac = 0; frac < 2; frac++) {
        fill(frac);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            for (int64_t offset = 0; offset < 3; offset++)
                for (int mode = 0; mode < 4; mode++)
                    same_scan(sizes[k], offset, mode & 1, mode >> 1);
    }
}

static void test_scan_every_bad_position(void **state)
{
    (void)state;
    const int n = 37;
    for (int reason = 1; reason <= 5; reason++) {
        for (int pos = 0; pos < n; pos++) {
            fill(0);
            switch (reason) {
            case 1: time_buf[pos] = NAN; break;
            case 2: time_buf[pos] = -0.5; break;
            case 3: event_buf[pos] = 2; break;
            case 4: stratum_buf[pos] = (pos & 1) ? -1 : SLOTS; break;
            default: arpu_buf[pos] = INFINITY; break;
            }
            /* A second bad value later must not hide the first. */
            time_buf[n - 1] = -1.0;
            clm_k_survscan_result a, b;
            clm_k_survscan_f64_ref(n, time_buf, event_buf, stratum_buf, SLOTS, arpu_buf, &a);
            clm_k_survscan_f64_tuned(n, time_buf, event_buf, stratum_buf, SLOTS, arpu_buf, &b);
            assert_int_equal(a.bad_row, pos);
            assert_int_equal(a.bad_reason, pos == n - 1 ? 2 : reason);
            assert_int_equal(b.bad_row, a.bad_row);
            assert_int_equal(b.bad_reason, a.bad_reason);
            assert_int_equal(b.fraction_row, a.fraction_row);
            assert_true(a.max_time == b.max_time);
        }
    }
}

static void test_scan_values(void **state)
{
    (void)state;
    double t[] = {3, 0, 12.25, 7, 72, 5.5};
    uint8_t e[] = {0, 1, 1, 0, 1, 0};
    clm_k_survscan_result r;
    clm_k_survscan_f64_tuned(6, t, e, NULL, 1, NULL, &r);
    assert_int_equal(r.bad_row, -1);
    assert_int_equal(r.fraction_row, 2);
    assert_true(r.max_time == 72.0);
    clm_k_survscan_f64_ref(0, t, e, NULL, 1, NULL, &r);
    assert_int_equal(r.bad_row, -1);
    assert_int_equal(r.fraction_row, -1);
    assert_true(r.max_time == 0.0);
}

static void test_stratum_sum(void **state)
{
    (void)state;
    double a[] = {1.5, 2.25, 4.0, 8.0};
    int32_t s[] = {1, 0, 1, 2};
    double sums[3] = {0, 0, 0};
    clm_k_stratum_sum_f64_ref(4, a, s, sums);
    assert_true(sums[0] == 2.25 && sums[1] == 5.5 && sums[2] == 8.0);
    double one = 0.0;
    clm_k_stratum_sum_f64_ref(4, a, NULL, &one);
    assert_true(one == 15.75);
}

static double sums_ref[SLOTS], sums_tuned[SLOTS];

/* Both fused kernels on the same rows: same result, same counted flag,
 * same counts (unchanged when not counted), same ARPU sums bit for bit
 * when the chunk has no bad row. */
static void same_chunk(int64_t n, int64_t offset, int use_stratum, int use_arpu, int64_t n_times)
{
    const int32_t *st = use_stratum ? stratum_buf + offset : NULL;
    const double *ar = use_arpu ? arpu_buf + offset : NULL;
    for (size_t c = 0; c < sizeof counts_ref / sizeof counts_ref[0]; c++)
        counts_ref[c] = counts_tuned[c] = (uint32_t)(c % 5); /* not zero: undo is checked */
    for (int k = 0; k < SLOTS; k++)
        sums_ref[k] = sums_tuned[k] = 0.125 * k;
    clm_k_survscan_result a, b;
    int ca = clm_k_survchunk_f64_ref(n, time_buf + offset, event_buf + offset, st, SLOTS, ar,
                                     n_times, counts_ref, sums_ref, &a);
    int cb = clm_k_survchunk_f64_tuned(n, time_buf + offset, event_buf + offset, st, SLOTS, ar,
                                       n_times, counts_tuned, sums_tuned, &b);
    assert_int_equal(ca, cb);
    assert_int_equal(a.bad_row, b.bad_row);
    assert_int_equal(a.bad_reason, b.bad_reason);
    assert_int_equal(a.fraction_row, b.fraction_row);
    assert_true(a.max_time == b.max_time);
    assert_memory_equal(counts_ref, counts_tuned, sizeof counts_ref);
    if (a.bad_row < 0 && use_arpu)
        assert_memory_equal(sums_ref, sums_tuned, sizeof sums_ref);
    int64_t added = 0;
    for (size_t c = 0; c < sizeof counts_ref / sizeof counts_ref[0]; c++)
        added += (int64_t)counts_tuned[c] - (int64_t)(c % 5);
    assert_int_equal(added, cb ? n : 0);
    /* The rule: counted exactly when valid, integer and inside the table. */
    assert_int_equal(ca, a.bad_row < 0 && a.fraction_row < 0 && a.max_time < (double)n_times);
}

static void test_chunk_matches_reference(void **state)
{
    (void)state;
    static const int64_t chunk_sizes[] = {0, 1, 3, 4, 7, 8, 9, 17, 511, 512, 513, 1001, 4096, 9000};
    static const int64_t table_times[] = {0, 1, 20, TIMES - 1, TIMES};
    for (int frac = 0; frac < 2; frac++) {
        fill(frac);
        for (size_t k = 0; k < sizeof chunk_sizes / sizeof chunk_sizes[0]; k++)
            for (int64_t offset = 0; offset < 3; offset++)
                for (int mode = 0; mode < 4; mode++)
                    for (size_t t = 0; t < sizeof table_times / sizeof table_times[0]; t++)
                        same_chunk(chunk_sizes[k], offset, mode & 1, mode >> 1, table_times[t]);
    }
}

static void test_chunk_bad_positions(void **state)
{
    (void)state;
    /* Bad values in the first, a middle and the last sub-block of a chunk,
     * and a time beyond the table or fractional at the same places. */
    const int64_t n = 1500;
    const int64_t positions[] = {0, 1, 5, 511, 512, 513, 1023, 1024, 1400, 1499};
    for (int reason = 1; reason <= 7; reason++) {
        for (size_t k = 0; k < sizeof positions / sizeof positions[0]; k++) {
            int64_t pos = positions[k];
            fill(0);
            switch (reason) {
            case 1: time_buf[pos] = NAN; break;
            case 2: time_buf[pos] = -1.0; break;
            case 3: event_buf[pos] = 7; break;
            case 4: stratum_buf[pos] = (pos & 1) ? -3 : SLOTS; break;
            case 5: arpu_buf[pos] = NAN; break;
            case 6: time_buf[pos] = TIMES; break;      /* beyond the table */
            default: time_buf[pos] = 2.5; break;       /* fractional */
            }
            for (int mode = 0; mode < 4; mode++)
                same_chunk(n, 0, mode & 1, mode >> 1, TIMES);
            same_chunk(n, 0, 1, 1, TIMES + 1);
        }
    }
}

static void test_chunk_hand(void **state)
{
    (void)state;
    /* Rows (t, slot, e, arpu): (0,0,1,1.5) (3,2,0,2) (3,2,1,4) (5,1,0,8). */
    double t[] = {0, 3, 3, 5};
    uint8_t e[] = {1, 0, 1, 0};
    int32_t s[] = {0, 2, 2, 1};
    double a[] = {1.5, 2, 4, 8};
    uint32_t counts[6 * 3 * 2] = {0};
    double sums[3] = {0, 0, 0};
    clm_k_survscan_result r;
    assert_int_equal(clm_k_survchunk_f64_tuned(4, t, e, s, 3, a, 6, counts, sums, &r), 1);
    assert_int_equal(counts[(0 * 3 + 0) * 2 + 1], 1);
    assert_int_equal(counts[(3 * 3 + 2) * 2 + 0], 1);
    assert_int_equal(counts[(3 * 3 + 2) * 2 + 1], 1);
    assert_int_equal(counts[(5 * 3 + 1) * 2 + 0], 1);
    assert_true(sums[0] == 1.5 && sums[1] == 8.0 && sums[2] == 6.0);
    assert_true(r.max_time == 5.0);
    /* A table of 5 times is too small: nothing counted, ARPU still summed. */
    memset(counts, 0, sizeof counts);
    assert_int_equal(clm_k_survchunk_f64_tuned(4, t, e, s, 3, a, 5, counts, sums, &r), 0);
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        assert_int_equal(counts[c], 0);
    assert_true(sums[0] == 3.0 && sums[1] == 16.0 && sums[2] == 12.0);
    assert_int_equal(r.bad_row, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_matches_reference),
        cmocka_unit_test(test_count_hand_cells),
        cmocka_unit_test(test_scan_matches_reference),
        cmocka_unit_test(test_scan_every_bad_position),
        cmocka_unit_test(test_scan_values),
        cmocka_unit_test(test_stratum_sum),
        cmocka_unit_test(test_chunk_matches_reference),
        cmocka_unit_test(test_chunk_bad_positions),
        cmocka_unit_test(test_chunk_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

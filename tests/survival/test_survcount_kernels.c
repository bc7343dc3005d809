/*
 * test_survcount_kernels.c — the survival scan and count kernels: the tuned
 * variants against the references on sizes 0, 1, odd, unaligned and large,
 * with and without strata and ARPU, and with a bad value at every position
 * of a short block (the first bad row and its reason must agree).
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
static int64_t counts_ref[TIMES * SLOTS * 2], counts_tuned[TIMES * SLOTS * 2];

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_matches_reference),
        cmocka_unit_test(test_count_hand_cells),
        cmocka_unit_test(test_scan_matches_reference),
        cmocka_unit_test(test_scan_every_bad_position),
        cmocka_unit_test(test_scan_values),
        cmocka_unit_test(test_stratum_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

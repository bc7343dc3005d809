/*
 * test_survcount_kernels.c — the survival scan and count kernels: the slots
 * of the default kernel context (the tuned variants this CPU runs) against
 * those of the reference context on sizes 0, 1, odd, unaligned and large,
 * with and without strata and ARPU, and with a bad value at every position
 * of a short block (the first bad row and its reason must agree).  The
 * fused chunk kernel (scan + count + ARPU sums) likewise, including the
 * chunks it must refuse to count (fractional times, times beyond the
 * table, bad rows in and across its sub-blocks): counts left unchanged.
 * A comparison is skipped, with a note, only when the CPU has no tuned
 * variant of the slot (then default == reference).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "testutil.h"

/* The contexts compared, set by tu_kernels_setup. */
#define tuned tu_tuned
#define ref tu_ref

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
    ref->survscan_f64(n, time_buf + offset, event_buf + offset, st, SLOTS, ar, &a);
    tuned->survscan_f64(n, time_buf + offset, event_buf + offset, st, SLOTS, ar, &b);
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
    ref->survcount_f64(n, time_buf + offset, event_buf + offset, st, SLOTS, counts_ref);
    tuned->survcount_f64(n, time_buf + offset, event_buf + offset, st, SLOTS, counts_tuned);
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
    if (!TU_TUNED_SLOT(tuned, ref, survcount_f64))
        skip();
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
    tuned->survcount_f64(5, t, e, s, SLOTS, counts_tuned);
    assert_int_equal(counts_tuned[(0 * SLOTS + 0) * 2 + 1], 1);
    assert_int_equal(counts_tuned[(3 * SLOTS + 2) * 2 + 0], 2);
    assert_int_equal(counts_tuned[(3 * SLOTS + 2) * 2 + 1], 1);
    assert_int_equal(counts_tuned[(39 * SLOTS + 6) * 2 + 1], 1);
}

static void test_scan_matches_reference(void **state)
{
    (void)state;
    if (!TU_TUNED_SLOT(tuned, ref, survscan_f64))
        skip();
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
    if (!TU_TUNED_SLOT(tuned, ref, survscan_f64))
        skip();
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
            ref->survscan_f64(n, time_buf, event_buf, stratum_buf, SLOTS, arpu_buf, &a);
            tuned->survscan_f64(n, time_buf, event_buf, stratum_buf, SLOTS, arpu_buf, &b);
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
    tuned->survscan_f64(6, t, e, NULL, 1, NULL, &r);
    assert_int_equal(r.bad_row, -1);
    assert_int_equal(r.fraction_row, 2);
    assert_true(r.max_time == 72.0);
    ref->survscan_f64(0, t, e, NULL, 1, NULL, &r);
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
    int ca = ref->survchunk_f64(n, time_buf + offset, event_buf + offset, st, SLOTS, ar,
                                n_times, counts_ref, sums_ref, &a);
    int cb = tuned->survchunk_f64(n, time_buf + offset, event_buf + offset, st, SLOTS, ar,
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
    if (!TU_TUNED_SLOT(tuned, ref, survchunk_f64))
        skip();
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
    if (!TU_TUNED_SLOT(tuned, ref, survchunk_f64))
        skip();
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
    assert_int_equal(tuned->survchunk_f64(4, t, e, s, 3, a, 6, counts, sums, &r), 1);
    assert_int_equal(counts[(0 * 3 + 0) * 2 + 1], 1);
    assert_int_equal(counts[(3 * 3 + 2) * 2 + 0], 1);
    assert_int_equal(counts[(3 * 3 + 2) * 2 + 1], 1);
    assert_int_equal(counts[(5 * 3 + 1) * 2 + 0], 1);
    assert_true(sums[0] == 1.5 && sums[1] == 8.0 && sums[2] == 6.0);
    assert_true(r.max_time == 5.0);
    /* A table of 5 times is too small: nothing counted, ARPU still summed. */
    memset(counts, 0, sizeof counts);
    assert_int_equal(tuned->survchunk_f64(4, t, e, s, 3, a, 5, counts, sums, &r), 0);
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++)
        assert_int_equal(counts[c], 0);
    assert_true(sums[0] == 3.0 && sums[1] == 16.0 && sums[2] == 12.0);
    assert_int_equal(r.bad_row, -1);
}

/* The log-rank loops: the batched covariance update and the Cholesky
 * factor, on q = 0, 1, odd and large, batches of 0, 1, odd and full size,
 * with zero shares (skipped terms); bit for bit.  By hand: the factor of
 * [[4, 2], [2, 5]] is [[2, 1], [0, 2]]; a matrix that is not positive
 * definite is refused by both. */
static void test_logrank_matches_reference(void **state)
{
    (void)state;
    if (!TU_TUNED_SLOT(tuned, ref, logrank_batch_f64) &&
        !TU_TUNED_SLOT(tuned, ref, cholesky_upper_f64))
        skip();
    static const int32_t qs[] = {0, 1, 2, 5, 17, 64};
    static const int32_t batches[] = {0, 1, 7, 32};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        for (size_t j = 0; j < sizeof batches / sizeof batches[0]; j++) {
            const int32_t q = qs[i], nb = batches[j];
            const size_t qq = (size_t)q * (size_t)q;
            double *shares = malloc(((size_t)nb * (size_t)q + 1) * sizeof *shares);
            double *weight = malloc(((size_t)nb + 1) * sizeof *weight);
            double *va = calloc(qq + 1, sizeof *va), *vb = calloc(qq + 1, sizeof *vb);
            assert_true(shares && weight && va && vb);
            for (int32_t b = 0; b < nb; b++) {
                weight[b] = 1.0 + (double)(next() % 1000) / 7.0;
                for (int32_t g = 0; g < q; g++)
                    shares[(size_t)b * (size_t)q + (size_t)g] =
                        next() % 5 == 0 ? 0.0 : (double)(next() % 1000) / 3000.0;
            }
            ref->logrank_batch_f64(q, nb, weight, shares, va);
            tuned->logrank_batch_f64(q, nb, weight, shares, vb);
            assert_memory_equal(va, vb, (qq + 1) * sizeof *va);
            /* a positive definite matrix: V + q I (upper triangle) */
            for (int32_t g = 0; g < q; g++)
                for (int32_t h = g; h < q; h++) {
                    double x = (double)(next() % 1000) / 1000.0 - 0.5;
                    va[(size_t)g * (size_t)q + (size_t)h] = (g == h ? (double)q + 1.0 : x);
                }
            memcpy(vb, va, qq * sizeof *va);
            int ra = ref->cholesky_upper_f64(q, va), rb = tuned->cholesky_upper_f64(q, vb);
            assert_int_equal(ra, 0);
            assert_int_equal(rb, 0);
            assert_memory_equal(va, vb, (qq + 1) * sizeof *va);
            free(shares); free(weight); free(va); free(vb);
        }
}

static void test_logrank_hand(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        const clm_kernels *k = v ? tuned : ref;
        double a[4] = {4, 2, 0, 5};
        assert_int_equal(k->cholesky_upper_f64(2, a), 0);
        assert_true(a[0] == 2.0 && a[1] == 1.0 && a[3] == 2.0);
        double b[4] = {1, 2, 0, 1}; /* [[1, 2], [2, 1]]: eigenvalue -1 */
        assert_int_equal(k->cholesky_upper_f64(2, b), -1);
        /* one time, weight 2, shares (0.5, 0.25): V -= 2 (s s' - diag(s)) */
        double var[4] = {0}, w = 2.0, sh[2] = {0.5, 0.25};
        k->logrank_batch_f64(2, 1, &w, sh, var);
        assert_true(var[0] == 2.0 * (0.5 - 0.25) && var[1] == -2.0 * 0.125);
        assert_true(var[3] == 2.0 * (0.25 - 0.0625) && var[2] == 0.0);
    }
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
        cmocka_unit_test(test_logrank_matches_reference),
        cmocka_unit_test(test_logrank_hand),
    };
    return cmocka_run_group_tests(tests, tu_kernels_setup, NULL);
}

/*
 * test_tree_kernels.c — the histogram and split-scan kernels: tuned
 * against reference on sizes 0, 1, odd, unaligned and large, and the
 * reference against hand-computed values.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* cmocka 1.1 has no double assertion. */
#define assert_close(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#include "histogram.h"
#include "split_scan.h"

static uint64_t state = 12345;
static uint32_t next_u32(void)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(state >> 33);
}

static void compare_hist(int64_t n_rows, int n_features, int n_classes, int use_rows,
                         int offset)
{
    /* `offset` shifts the binned matrix off its allocation's alignment. */
    int64_t total_rows = n_rows + 7;
    uint8_t *raw = malloc((size_t)(total_rows * n_features + offset + 1));
    uint8_t *bins = raw + offset;
    uint8_t *y = malloc((size_t)total_rows + 1);
    int32_t *rows = malloc((size_t)(n_rows + 1) * sizeof *rows);
    size_t hsize = (size_t)n_features * CLM_K_HIST_BINS * n_classes;
    uint32_t *a = calloc(hsize, sizeof *a), *b = calloc(hsize, sizeof *b);
    assert_non_null(raw);
    assert_non_null(a);
    for (int64_t i = 0; i < total_rows * n_features; i++)
        bins[i] = (uint8_t)(next_u32() & 255);
    for (int64_t i = 0; i < total_rows; i++)
        y[i] = (uint8_t)(next_u32() % (uint32_t)n_classes);
    for (int64_t i = 0; i < n_rows; i++)
        rows[i] = (int32_t)(next_u32() % (uint32_t)total_rows);
    clm_k_hist_u8_ref(bins, n_features, y, n_classes, use_rows ? rows : NULL, 3, n_rows, a);
    clm_k_hist_u8_tuned(bins, n_features, y, n_classes, use_rows ? rows : NULL, 3, n_rows, b);
    assert_memory_equal(a, b, hsize * sizeof *a);
    /* Every row lands once per feature. */
    for (int f = 0; f < n_features; f++) {
        uint64_t s = 0;
        for (size_t j = 0; j < (size_t)CLM_K_HIST_BINS * n_classes; j++)
            s += a[(size_t)f * CLM_K_HIST_BINS * n_classes + j];
        assert_int_equal(s, (uint64_t)n_rows);
    }
    free(raw); free(y); free(rows); free(a); free(b);
}

static void test_hist_sizes(void **unused)
{
    (void)unused;
    const int64_t sizes[] = {0, 1, 2, 17, 101, 4099, 200003};
    const int features[] = {1, 3, 4, 16, 21};
    const int classes[] = {2, 3, 5};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t f = 0; f < sizeof features / sizeof *features; f++)
            for (size_t k = 0; k < sizeof classes / sizeof *classes; k++)
                for (int use_rows = 0; use_rows < 2; use_rows++)
                    compare_hist(sizes[s], features[f], classes[k], use_rows, (int)(s % 3));
}

static void test_hist_hand(void **unused)
{
    (void)unused;
    /* Two features, three rows: (1, 2) class 0, (1, 0) class 1, (3, 2) class 1. */
    const uint8_t bins[] = {1, 2, 1, 0, 3, 2};
    const uint8_t y[] = {0, 1, 1};
    uint32_t h[2 * CLM_K_HIST_BINS * 2];
    memset(h, 0, sizeof h);
    clm_k_hist_u8_tuned(bins, 2, y, 2, NULL, 0, 3, h);
    assert_int_equal(h[1 * 2 + 0], 1);
    assert_int_equal(h[1 * 2 + 1], 1);
    assert_int_equal(h[3 * 2 + 1], 1);
    assert_int_equal(h[(CLM_K_HIST_BINS + 2) * 2 + 0], 1);
    assert_int_equal(h[(CLM_K_HIST_BINS + 2) * 2 + 1], 1);
    assert_int_equal(h[(CLM_K_HIST_BINS + 0) * 2 + 1], 1);
}

static void compare_scan(int n_bins, int n_classes, int criterion, int64_t min_leaf,
                         int with_missing, int integral)
{
    double *w = calloc((size_t)(n_bins + 1) * n_classes, sizeof *w);
    int64_t *c = calloc((size_t)n_bins + 1, sizeof *c);
    int32_t *order = calloc((size_t)n_bins + 1, sizeof *order);
    int n_order = 0;
    for (int b = 0; b <= n_bins; b++) {
        if (b == 0 && !with_missing)
            continue;
        for (int k = 0; k < n_classes; k++) {
            int64_t cnt = next_u32() % 50;
            c[b] += cnt;
            /* Integral weights make exact ties likely; fractional ones
             * exercise rounding. */
            w[b * n_classes + k] = integral ? (double)cnt : (double)cnt * (0.3 + 0.1 * k);
        }
        if (b > 0 && c[b] > 0)
            order[n_order++] = b;
    }
    clm_k_split_best r, t;
    clm_k_split_scan_f64_ref(w, c, order, n_order, n_classes, criterion, min_leaf, &r);
    clm_k_split_scan_f64_tuned(w, c, order, n_order, n_classes, criterion, min_leaf, &t);
    assert_int_equal(r.position, t.position);
    assert_int_equal(r.missing_left, t.missing_left);
    if (r.position >= 0)
        assert_true(memcmp(&r.cost, &t.cost, sizeof r.cost) == 0);
    else
        assert_true(isinf(r.cost) && isinf(t.cost));
    free(w); free(c); free(order);
}

static void test_scan_variants(void **unused)
{
    (void)unused;
    const int bins[] = {0, 1, 2, 3, 17, 64, 255};
    for (size_t b = 0; b < sizeof bins / sizeof *bins; b++)
        for (int k = 2; k <= 4; k++)
            for (int crit = 0; crit < 2; crit++)
                for (int miss = 0; miss < 2; miss++)
                    for (int integral = 0; integral < 2; integral++)
                        for (int64_t ml = 1; ml <= 40; ml *= 7)
                            for (int rep = 0; rep < 4; rep++)
                                compare_scan(bins[b], k, crit, ml, miss, integral);
}

static void test_scan_hand(void **unused)
{
    (void)unused;
    /* Bins 1..3 with class counts (0:3,1:0) (0:1,1:1) (0:0,1:3); no
     * missing.  Cut after bin 1: L = (3,0) cost 0, R = (1,4) cost
     * 5 - 17/5 = 1.6.  Cut after bin 2: L = (4,1) cost 1.6, R = (0,3) 0.
     * Tie: the first (lowest threshold) wins. */
    const double w[] = {0, 0, 3, 0, 1, 1, 0, 3};
    const int64_t c[] = {0, 3, 2, 3};
    const int32_t order[] = {1, 2, 3};
    clm_k_split_best r, t;
    clm_k_split_scan_f64_ref(w, c, order, 3, 2, CLM_K_GINI, 1, &r);
    clm_k_split_scan_f64_tuned(w, c, order, 3, 2, CLM_K_GINI, 1, &t);
    assert_int_equal(r.position, 0);
    assert_int_equal(t.position, 0);
    assert_int_equal(r.missing_left, -1);
    assert_close(r.cost, 1.6, 1e-12);
    /* min_leaf 4 leaves no valid cut (3 rows left or 3 right). */
    clm_k_split_scan_f64_ref(w, c, order, 3, 2, CLM_K_GINI, 4, &r);
    assert_int_equal(r.position, -1);
    /* Entropy of (1,4): 5 * H(0.2, 0.8) = 3.6096... */
    clm_k_split_scan_f64_ref(w, c, order, 3, 2, CLM_K_ENTROPY, 1, &r);
    double h = -(0.2 * log2(0.2) + 0.8 * log2(0.8)) * 5.0;
    assert_close(r.cost, h, 1e-12);
    /* A missing bin of 2 class-1 rows: after bin 1 it costs 7 - 37/7
     * (right) or 2.4 + 1.6 (left); after bin 2, right: L = (4,1) 1.6,
     * R = (0,5) 0 -> 1.6, the best. */
    const double wm[] = {0, 2, 3, 0, 1, 1, 0, 3};
    const int64_t cm[] = {2, 3, 2, 3};
    clm_k_split_scan_f64_tuned(wm, cm, order, 3, 2, CLM_K_GINI, 1, &t);
    clm_k_split_scan_f64_ref(wm, cm, order, 3, 2, CLM_K_GINI, 1, &r);
    assert_int_equal(t.position, 1);
    assert_int_equal(t.missing_left, 0);
    assert_close(t.cost, 1.6, 1e-12);
    assert_int_equal(r.position, 1);
    assert_int_equal(r.missing_left, 0);
    /* Missing rows of class 0 go left with bin 1's class-0 rows. */
    const double wl[] = {2, 0, 3, 0, 1, 1, 0, 3};
    clm_k_split_scan_f64_tuned(wl, cm, order, 3, 2, CLM_K_GINI, 1, &t);
    clm_k_split_scan_f64_ref(wl, cm, order, 3, 2, CLM_K_GINI, 1, &r);
    assert_int_equal(t.position, 0);
    assert_int_equal(t.missing_left, 1);
    assert_int_equal(r.position, 0);
    assert_int_equal(r.missing_left, 1);
    assert_close(t.cost, 1.6, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_hand),
        cmocka_unit_test(test_hist_sizes),
        cmocka_unit_test(test_scan_hand),
        cmocka_unit_test(test_scan_variants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

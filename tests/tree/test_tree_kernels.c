/*
 * test_tree_kernels.c — the histogram, route and split-scan kernels: the
 * slots of the default kernel context (the tuned variants this CPU runs)
 * against those of the reference context on sizes 0, 1, odd, unaligned and
 * large, and both against hand-computed values.  A comparison is skipped,
 * with a note, only when the CPU has no tuned variant of the slot.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* cmocka 1.1 has no double assertion. */
#define assert_close(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#include "kernels.h"
#include "testutil.h"

/* The contexts compared, set by tu_kernels_setup. */
#define tuned tu_tuned
#define ref tu_ref

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
    ref->hist_u8(bins, n_features, y, n_classes, use_rows ? rows : NULL, 3, n_rows, a);
    tuned->hist_u8(bins, n_features, y, n_classes, use_rows ? rows : NULL, 3, n_rows, b);
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
    if (!TU_TUNED_SLOT(tuned, ref, hist_u8))
        skip();
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
    tuned->hist_u8(bins, 2, y, 2, NULL, 0, 3, h);
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
    ref->split_scan_f64(w, c, order, n_order, n_classes, criterion, min_leaf, &r);
    tuned->split_scan_f64(w, c, order, n_order, n_classes, criterion, min_leaf, &t);
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
    if (!TU_TUNED_SLOT(tuned, ref, split_scan_f64))
        skip();
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
    ref->split_scan_f64(w, c, order, 3, 2, CLM_K_GINI, 1, &r);
    tuned->split_scan_f64(w, c, order, 3, 2, CLM_K_GINI, 1, &t);
    assert_int_equal(r.position, 0);
    assert_int_equal(t.position, 0);
    assert_int_equal(r.missing_left, -1);
    assert_close(r.cost, 1.6, 1e-12);
    /* min_leaf 4 leaves no valid cut (3 rows left or 3 right). */
    ref->split_scan_f64(w, c, order, 3, 2, CLM_K_GINI, 4, &r);
    assert_int_equal(r.position, -1);
    /* Entropy of (1,4): 5 * H(0.2, 0.8) = 3.6096... */
    ref->split_scan_f64(w, c, order, 3, 2, CLM_K_ENTROPY, 1, &r);
    double h = -(0.2 * log2(0.2) + 0.8 * log2(0.8)) * 5.0;
    assert_close(r.cost, h, 1e-12);
    /* A missing bin of 2 class-1 rows: after bin 1 it costs 7 - 37/7
     * (right) or 2.4 + 1.6 (left); after bin 2, right: L = (4,1) 1.6,
     * R = (0,5) 0 -> 1.6, the best. */
    const double wm[] = {0, 2, 3, 0, 1, 1, 0, 3};
    const int64_t cm[] = {2, 3, 2, 3};
    tuned->split_scan_f64(wm, cm, order, 3, 2, CLM_K_GINI, 1, &t);
    ref->split_scan_f64(wm, cm, order, 3, 2, CLM_K_GINI, 1, &r);
    assert_int_equal(t.position, 1);
    assert_int_equal(t.missing_left, 0);
    assert_close(t.cost, 1.6, 1e-12);
    assert_int_equal(r.position, 1);
    assert_int_equal(r.missing_left, 0);
    /* Missing rows of class 0 go left with bin 1's class-0 rows. */
    const double wl[] = {2, 0, 3, 0, 1, 1, 0, 3};
    tuned->split_scan_f64(wl, cm, order, 3, 2, CLM_K_GINI, 1, &t);
    ref->split_scan_f64(wl, cm, order, 3, 2, CLM_K_GINI, 1, &r);
    assert_int_equal(t.position, 0);
    assert_int_equal(t.missing_left, 1);
    assert_int_equal(r.position, 0);
    assert_int_equal(r.missing_left, 1);
    assert_close(t.cost, 1.6, 1e-12);
}

/* Route kernel: tuned against reference on the same labels; labels are
 * 0..4 so that the node (slot 2) holds about a fifth of the rows, or all
 * of them when `dense`. */
static void compare_route(int64_t n_rows, int n_features, int n_classes, int offset,
                          int count_side, int with_hist, int dense)
{
    int64_t total_rows = n_rows + 9;
    uint8_t *raw = malloc((size_t)(total_rows * n_features + offset + 1));
    uint8_t *bins = raw + offset;
    uint8_t *y = malloc((size_t)total_rows + 1);
    uint8_t *la = malloc((size_t)total_rows + 1), *lb = malloc((size_t)total_rows + 1);
    size_t hsize = (size_t)n_features * CLM_K_HIST_BINS * n_classes;
    uint32_t *a = calloc(hsize, sizeof *a), *b = calloc(hsize, sizeof *b);
    uint8_t goes_left[CLM_K_HIST_BINS];
    assert_non_null(raw);
    assert_non_null(a);
    for (int64_t i = 0; i < total_rows * n_features; i++)
        bins[i] = (uint8_t)(next_u32() & 255);
    for (int64_t i = 0; i < total_rows; i++) {
        y[i] = (uint8_t)(next_u32() % (uint32_t)n_classes);
        la[i] = lb[i] = dense ? 2 : (uint8_t)(next_u32() % 5);
    }
    for (int j = 0; j < CLM_K_HIST_BINS; j++)
        goes_left[j] = (uint8_t)(next_u32() & 1);
    const int feature = n_features - 1;
    int64_t left_a = -1, left_b = -2;
    int64_t ma = ref->route_hist_u8(bins, n_features, y, n_classes, la, 3, n_rows, 2,
                                    feature, goes_left, 2, 7, count_side,
                                    with_hist ? a : NULL, &left_a);
    int64_t mb = tuned->route_hist_u8(bins, n_features, y, n_classes, lb, 3, n_rows, 2,
                                      feature, goes_left, 2, 7, count_side,
                                      with_hist ? b : NULL, &left_b);
    assert_int_equal(ma, mb);
    assert_int_equal(left_a, left_b);
    assert_memory_equal(la, lb, (size_t)total_rows);
    assert_memory_equal(a, b, hsize * sizeof *a);
    /* The counted side is in feature 0's bins once per row; no row is
     * left labelled 2 but those that went left. */
    uint64_t s = 0;
    for (size_t j = 0; j < (size_t)CLM_K_HIST_BINS * n_classes; j++)
        s += a[j];
    assert_int_equal(s, with_hist ? (uint64_t)(count_side ? left_a : ma - left_a) : 0);
    int64_t twos = 0, sevens = 0;
    for (int64_t i = 3; i < 3 + n_rows; i++) {
        twos += la[i] == 2;
        sevens += la[i] == 7;
    }
    assert_int_equal(twos, left_a);
    assert_int_equal(sevens, ma - left_a);
    if (dense)
        assert_int_equal(ma, n_rows);
    /* Label listing, tuned against reference. */
    int32_t *ra = malloc((size_t)(n_rows + 1) * sizeof *ra);
    int32_t *rb = malloc((size_t)(n_rows + 1) * sizeof *rb);
    int64_t na = ref->label_rows_u8(la, 3, n_rows, 7, ra);
    int64_t nb = tuned->label_rows_u8(lb, 3, n_rows, 7, rb);
    assert_int_equal(na, ma - left_a);
    assert_int_equal(na, nb);
    assert_memory_equal(ra, rb, (size_t)na * sizeof *ra);
    for (int64_t i = 1; i < na; i++)
        assert_true(ra[i] > ra[i - 1]);
    free(raw); free(y); free(la); free(lb); free(a); free(b); free(ra); free(rb);
}

static void test_route_sizes(void **unused)
{
    (void)unused;
    if (!TU_TUNED_SLOT(tuned, ref, route_hist_u8) &&
        !TU_TUNED_SLOT(tuned, ref, label_rows_u8))
        skip();
    const int64_t sizes[] = {0, 1, 7, 15, 16, 17, 63, 1000, 16385, 70001};
    const int features[] = {1, 3, 16};
    const int classes[] = {2, 3};
    for (int s = 0; s < 10; s++)
        for (int f = 0; f < 3; f++)
            for (int k = 0; k < 2; k++)
                for (int side = 0; side < 2; side++) {
                    compare_route(sizes[s], features[f], classes[k], (int)(s % 3), side, 1,
                                  s % 2);
                    compare_route(sizes[s], features[f], classes[k], 1, side, 0, 0);
                }
}

static void test_route_hand(void **unused)
{
    (void)unused;
    /* Rows (2 features): (1,4) (2,5) (3,6) (1,7), labels 1 0 1 1; bins
     * 1 and 2 of feature 0 go left.  Rows 0 and 3 go left (label 5),
     * row 2 right (label 6), row 1 is another node's. */
    const uint8_t bins[] = {1, 4, 2, 5, 3, 6, 1, 7};
    const uint8_t y[] = {0, 1, 1, 0};
    uint8_t labels[] = {1, 0, 1, 1};
    uint8_t goes_left[CLM_K_HIST_BINS] = {0};
    goes_left[1] = goes_left[2] = 1;
    uint32_t h[2 * CLM_K_HIST_BINS * 2] = {0};
    int64_t left = 0;
    assert_int_equal(tuned->route_hist_u8(bins, 2, y, 2, labels, 0, 4, 1, 0, goes_left,
                                          5, 6, 0, h, &left), 3);
    assert_int_equal(left, 2);
    assert_int_equal(labels[0], 5);
    assert_int_equal(labels[1], 0);
    assert_int_equal(labels[2], 6);
    assert_int_equal(labels[3], 5);
    /* Only the right row (bins 3, 6; class 1) is counted. */
    assert_int_equal(h[3 * 2 + 1], 1);
    assert_int_equal(h[(CLM_K_HIST_BINS + 6) * 2 + 1], 1);
    uint32_t total = 0;
    for (size_t i = 0; i < sizeof h / sizeof *h; i++)
        total += h[i];
    assert_int_equal(total, 2);
    int32_t rows[4];
    assert_int_equal(tuned->label_rows_u8(labels, 0, 4, 5, rows), 2);
    assert_int_equal(rows[0], 0);
    assert_int_equal(rows[1], 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_hand),
        cmocka_unit_test(test_hist_sizes),
        cmocka_unit_test(test_route_hand),
        cmocka_unit_test(test_route_sizes),
        cmocka_unit_test(test_scan_hand),
        cmocka_unit_test(test_scan_variants),
    };
    return cmocka_run_group_tests(tests, tu_kernels_setup, NULL);
}

/*
 * histogram.c — reference and tuned class-count histogram kernels (see
 * histogram.h).  The tuned variant is plain C that the compiler schedules
 * well on any x86-64: the gain comes from the memory side (prefetching the
 * next gathered rows, fewer index computations), not from SIMD, because
 * histogram increments are scattered read-modify-writes.
 */
#include "histogram.h"

void clm_k_hist_u8_ref(const uint8_t *bins, int n_features, const uint8_t *y,
                       int n_classes, const int32_t *rows, int64_t first_row,
                       int64_t n_rows, uint32_t *hist)
{
    for (int64_t i = 0; i < n_rows; i++) {
        int64_t r = rows ? (int64_t)rows[i] : first_row + i;
        const uint8_t *row = bins + r * n_features;
        int k = y[r];
        for (int f = 0; f < n_features; f++)
            hist[((int64_t)f * CLM_K_HIST_BINS + row[f]) * n_classes + k]++;
    }
}

/* How many rows ahead to prefetch: far enough to hide a DRAM miss at the
 * rate one row's features are counted, near enough to stay in L1. */
#define PREFETCH_AHEAD 16

static void hist_two_class(const uint8_t *bins, int n_features, const uint8_t *y,
                           const int32_t *rows, int64_t first_row, int64_t n_rows,
                           uint32_t *hist)
{
    /* With two classes, bin and class fold into one index 2 * bin + class. */
    const int64_t fstride = 2 * CLM_K_HIST_BINS;
    for (int64_t i = 0; i < n_rows; i++) {
        int64_t r;
        if (rows) {
            if (i + PREFETCH_AHEAD < n_rows) {
                int64_t ahead = rows[i + PREFETCH_AHEAD];
                __builtin_prefetch(bins + ahead * n_features);
                __builtin_prefetch(y + ahead);
            }
            r = rows[i];
        } else {
            r = first_row + i;
        }
        const uint8_t *row = bins + r * n_features;
        uint32_t *h = hist + y[r];
        int f = 0;
        for (; f + 4 <= n_features; f += 4) {
            uint32_t *h0 = h + f * fstride;
            unsigned b0 = row[f], b1 = row[f + 1], b2 = row[f + 2], b3 = row[f + 3];
            h0[2 * b0]++;
            h0[fstride + 2 * b1]++;
            h0[2 * fstride + 2 * b2]++;
            h0[3 * fstride + 2 * b3]++;
        }
        for (; f < n_features; f++)
            h[f * fstride + 2 * row[f]]++;
    }
}

void clm_k_hist_u8_tuned(const uint8_t *bins, int n_features, const uint8_t *y,
                         int n_classes, const int32_t *rows, int64_t first_row,
                         int64_t n_rows, uint32_t *hist)
{
    if (n_classes == 2) {
        hist_two_class(bins, n_features, y, rows, first_row, n_rows, hist);
        return;
    }
    const int64_t fstride = (int64_t)CLM_K_HIST_BINS * n_classes;
    for (int64_t i = 0; i < n_rows; i++) {
        int64_t r;
        if (rows) {
            if (i + PREFETCH_AHEAD < n_rows) {
                int64_t ahead = rows[i + PREFETCH_AHEAD];
                __builtin_prefetch(bins + ahead * n_features);
                __builtin_prefetch(y + ahead);
            }
            r = rows[i];
        } else {
            r = first_row + i;
        }
        const uint8_t *row = bins + r * n_features;
        uint32_t *h = hist + y[r];
        for (int f = 0; f < n_features; f++)
            h[f * fstride + (int64_t)row[f] * n_classes]++;
    }
}

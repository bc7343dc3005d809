/*
 * histogram.c — reference and SSE2 (x86-64 baseline) class-count
 * histogram kernels (see histogram.h).  The `_sse2` histogram is plain C that the compiler schedules
 * well on any x86-64: the gain comes from the memory side (prefetching the
 * next gathered rows, fewer index computations), not from SIMD, because
 * histogram increments are scattered read-modify-writes.  The route and
 * label-listing kernels compare sixteen row labels at once with SSE2 (part
 * of every x86-64, so no run-time dispatch; a portable eight-byte path
 * otherwise), list a chunk's matching rows, then route and count them with
 * the bins prefetched ahead.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

void clm_k_hist_u8_sse2(const uint8_t *bins, int n_features, const uint8_t *y,
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

int64_t clm_k_route_hist_u8_ref(const uint8_t *bins, int n_features, const uint8_t *y,
                                int n_classes, uint8_t *labels, int64_t first_row,
                                int64_t n_rows, uint8_t slot, int feature,
                                const uint8_t *goes_left, uint8_t left_label,
                                uint8_t right_label, int count_side, uint32_t *hist,
                                int64_t *n_left)
{
    int64_t matched = 0, left = 0;
    for (int64_t r = first_row; r < first_row + n_rows; r++) {
        if (labels[r] != slot)
            continue;
        const uint8_t *row = bins + r * n_features;
        int side = goes_left[row[feature]] != 0;
        labels[r] = side ? left_label : right_label;
        matched++;
        left += side;
        if (hist && side == count_side) {
            int k = y[r];
            for (int f = 0; f < n_features; f++)
                hist[((int64_t)f * CLM_K_HIST_BINS + row[f]) * n_classes + k]++;
        }
    }
    *n_left = left;
    return matched;
}

/* Adds one row to a histogram (SSE2 route kernel). */
static inline void count_row(const uint8_t *row, int n_features, int n_classes, int k,
                             uint32_t *hist)
{
    if (n_classes == 2) {
        const int64_t fstride = 2 * CLM_K_HIST_BINS;
        uint32_t *h = hist + k;
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
    } else {
        const int64_t fstride = (int64_t)CLM_K_HIST_BINS * n_classes;
        uint32_t *h = hist + k;
        for (int f = 0; f < n_features; f++)
            h[f * fstride + (int64_t)row[f] * n_classes]++;
    }
}

/* Rows whose labels are gathered before they are routed: the positions of
 * a chunk's matching rows are listed first so that their bins can be
 * prefetched ahead, as for an index list (deep nodes hold scattered rows,
 * each on its own cache line). */
#define ROUTE_CHUNK 16384
/* Rows routed before the counted ones among them are added up. */
#define ROUTE_GROUP 64
/* Routed rows prefetched ahead. */
#define ROUTE_AHEAD 16

int64_t clm_k_route_hist_u8_sse2(const uint8_t *bins, int n_features, const uint8_t *y,
                                  int n_classes, uint8_t *labels, int64_t first_row,
                                  int64_t n_rows, uint8_t slot, int feature,
                                  const uint8_t *goes_left, uint8_t left_label,
                                  uint8_t right_label, int count_side, uint32_t *hist,
                                  int64_t *n_left)
{
#ifndef __SSE2__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint64_t pattern = ones * slot;
#endif
    int64_t matched = 0, left = 0;
    const int64_t end = first_row + n_rows;
    uint16_t at[ROUTE_CHUNK], counted[ROUTE_GROUP];
    /* side ^ count_off is 1 for a row of the counted side. */
    const unsigned count_off = count_side ? 0u : 1u;
    for (int64_t c0 = first_row; c0 < end; c0 += ROUTE_CHUNK) {
        const int chunk = end - c0 < ROUTE_CHUNK ? (int)(end - c0) : ROUTE_CHUNK;
        const uint8_t *lab = labels + c0;
        int m = 0, j = 0;
#ifdef __SSE2__
        /* SSE2 is part of x86-64: sixteen labels compared at once, the
         * matches read off the bit mask. */
        const __m128i want = _mm_set1_epi8((char)slot);
        for (; j + 16 <= chunk; j += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(lab + j));
            unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, want));
            while (mask) {
                at[m++] = (uint16_t)(j + __builtin_ctz(mask));
                mask &= mask - 1;
            }
        }
#else
        for (; j + 8 <= chunk; j += 8) {
            uint64_t word;
            memcpy(&word, lab + j, sizeof word);
            uint64_t v = word ^ pattern;
            /* Exact test for "some byte of v is zero" (a label equal to
             * slot): skip the eight rows when there is none. */
            if (!((v - ones) & ~v & highs))
                continue;
            for (int e = j; e < j + 8; e++) {
                at[m] = (uint16_t)e;
                m += lab[e] == slot;
            }
        }
#endif
        for (; j < chunk; j++) {
            at[m] = (uint16_t)j;
            m += lab[j] == slot;
        }
        /* Route a group of rows without branching on the side (it is a
         * coin toss to the predictor), listing the rows to count; then
         * count them while their lines are still in L1. */
        for (int g0 = 0; g0 < m; g0 += ROUTE_GROUP) {
            const int g1 = m - g0 < ROUTE_GROUP ? m : g0 + ROUTE_GROUP;
            int n_count = 0;
            unsigned group_left = 0;
            for (int i = g0; i < g1; i++) {
                if (i + ROUTE_AHEAD < m) {
                    int64_t ahead = c0 + at[i + ROUTE_AHEAD];
                    __builtin_prefetch(bins + ahead * n_features);
                    __builtin_prefetch(y + ahead);
                }
                const int64_t r = c0 + at[i];
                const unsigned side = goes_left[bins[r * n_features + feature]] != 0;
                labels[r] = (uint8_t)(right_label ^ ((left_label ^ right_label) & (0u - side)));
                group_left += side;
                counted[n_count] = at[i];
                n_count += (int)(side ^ count_off);
            }
            left += group_left;
            if (hist)
                for (int i = 0; i < n_count; i++) {
                    const int64_t r = c0 + counted[i];
                    count_row(bins + r * n_features, n_features, n_classes, y[r], hist);
                }
        }
        matched += m;
    }
    *n_left = left;
    return matched;
}

int64_t clm_k_label_rows_u8_ref(const uint8_t *labels, int64_t first_row, int64_t n_rows,
                                uint8_t slot, int32_t *rows)
{
    int64_t m = 0;
    for (int64_t r = first_row; r < first_row + n_rows; r++)
        if (labels[r] == slot)
            rows[m++] = (int32_t)r;
    return m;
}

int64_t clm_k_label_rows_u8_sse2(const uint8_t *labels, int64_t first_row, int64_t n_rows,
                                  uint8_t slot, int32_t *rows)
{
    int64_t m = 0, r = first_row;
    const int64_t end = first_row + n_rows;
#ifdef __SSE2__
    const __m128i want = _mm_set1_epi8((char)slot);
    for (; r + 16 <= end; r += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(labels + r));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, want));
        while (mask) {
            rows[m++] = (int32_t)(r + __builtin_ctz(mask));
            mask &= mask - 1;
        }
    }
#endif
    for (; r < end; r++)
        if (labels[r] == slot)
            rows[m++] = (int32_t)r;
    return m;
}

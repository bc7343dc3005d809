/*
 * histogram.h — class-count histograms of binned rows (the inner loop of
 * histogram tree growth).
 *
 * The binned matrix is row-major uint8: bins[row * n_features + f], so the
 * codes of all features of one row share a cache line and a node's rows
 * (an index list) are gathered once per row, not once per feature.
 * hist[(f * CLM_K_HIST_BINS + bin) * n_classes + class] is incremented once
 * per row and feature.  Counts are integers: the sum does not depend on the
 * order in which rows are visited, which is what makes trees bit-identical
 * for any thread count.
 *
 * No allocation, no I/O, no OpenMP: the driver (src/tree/histogram.c) gives
 * each thread its own `hist` buffer and a range of rows, and calls the
 * variant of its kernel context (kernels.h): `_ref` or `_sse2`, which give
 * identical counts.
 */
#ifndef CLMSEG_KERNEL_HISTOGRAM_H
#define CLMSEG_KERNEL_HISTOGRAM_H

#include <stdint.h>

#define CLM_K_HIST_BINS 256

/* Adds the rows rows[0 .. n_rows) (or, when rows is NULL, the contiguous
 * rows first_row .. first_row + n_rows) to `hist`, which must hold
 * n_features * CLM_K_HIST_BINS * n_classes counters (not cleared here).
 * y[row] is the class of a row, < n_classes.  n_rows may be 0. */
void clm_k_hist_u8_ref(const uint8_t *bins, int n_features, const uint8_t *y,
                       int n_classes, const int32_t *rows, int64_t first_row,
                       int64_t n_rows, uint32_t *hist);

/* Same contract and result; the x86-64 baseline variant (plain C the
 * compiler schedules for SSE2): unrolled over features, a two-class fast
 * path and software prefetch of the gathered rows. */
void clm_k_hist_u8_sse2(const uint8_t *bins, int n_features, const uint8_t *y,
                         int n_classes, const int32_t *rows, int64_t first_row,
                         int64_t n_rows, uint32_t *hist);

/* Routes a node's rows by a split and counts one side, in one pass (the
 * row-label form of growth, which keeps a uint8 label per row instead of
 * an int32 row-index array).  For each row r of first_row .. first_row +
 * n_rows with labels[r] == slot: the row goes left when
 * goes_left[bins[r * n_features + feature]] is non-zero, and labels[r]
 * becomes left_label or right_label; when `hist` is not NULL, the rows
 * going to side `count_side` (1 left, 0 right) are added to `hist` as by
 * clm_k_hist_u8_ref.  Rows with another label are not touched.  Returns
 * the number of rows labelled `slot` and sets *n_left to how many of them
 * went left.  n_rows may be 0. */
int64_t clm_k_route_hist_u8_ref(const uint8_t *bins, int n_features, const uint8_t *y,
                                int n_classes, uint8_t *labels, int64_t first_row,
                                int64_t n_rows, uint8_t slot, int feature,
                                const uint8_t *goes_left, uint8_t left_label,
                                uint8_t right_label, int count_side, uint32_t *hist,
                                int64_t *n_left);

/* Same contract and result; SSE2 (x86-64 baseline): skips labels a vector
 * at a time when none is `slot` (deep nodes hold few of the rows) and has
 * a two-class path. */
int64_t clm_k_route_hist_u8_sse2(const uint8_t *bins, int n_features, const uint8_t *y,
                                  int n_classes, uint8_t *labels, int64_t first_row,
                                  int64_t n_rows, uint8_t slot, int feature,
                                  const uint8_t *goes_left, uint8_t left_label,
                                  uint8_t right_label, int count_side, uint32_t *hist,
                                  int64_t *n_left);

/* Lists the rows first_row .. first_row + n_rows whose label is `slot`,
 * in ascending order, into rows[] (which must have room for them).
 * Returns how many were listed. */
int64_t clm_k_label_rows_u8_ref(const uint8_t *labels, int64_t first_row, int64_t n_rows,
                                uint8_t slot, int32_t *rows);

/* Same contract and result; compares sixteen labels at once (SSE2). */
int64_t clm_k_label_rows_u8_sse2(const uint8_t *labels, int64_t first_row, int64_t n_rows,
                                  uint8_t slot, int32_t *rows);

#endif /* CLMSEG_KERNEL_HISTOGRAM_H */

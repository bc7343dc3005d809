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
 * each thread its own `hist` buffer and a range of rows.
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

/* Same contract and result; unrolled over features, a two-class fast path
 * and software prefetch of the gathered rows. */
void clm_k_hist_u8_tuned(const uint8_t *bins, int n_features, const uint8_t *y,
                         int n_classes, const int32_t *rows, int64_t first_row,
                         int64_t n_rows, uint32_t *hist);

#endif /* CLMSEG_KERNEL_HISTOGRAM_H */

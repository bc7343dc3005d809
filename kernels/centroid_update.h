/*
 * centroid_update.h — keeps the per-cluster sums and weights of Lloyd's
 * update step current as rows change cluster.
 *
 * For every row i whose label changed (old_labels[i] != new_labels[i]),
 * in row order, in double precision:
 *     o = old_labels[i] >= 0:  sums[o * d + j] -= w_i x_ij,  counts[o] -= w_i
 *     n = new_labels[i] >= 0:  sums[n * d + j] += w_i x_ij,  counts[n] += w_i
 * (w_i = 1 when weights is NULL; a negative label is "no cluster": the
 * first pass starts from all -1, and rows dropped for missing values stay
 * -1).  Rows whose label did not change cost one vector compare per
 * eight, so after the first iterations, when few rows move, the update
 * step is nearly free; the first pass, where every row moves from -1, is
 * the plain accumulation.
 *
 * w_i x_ij of two floats is exact in double (48 significant bits), so each
 * term adds one rounding whatever the variant, and all variants do the
 * same additions in the same order: their results are bit-identical.
 * Labels must lie in [-1, k) for the k clusters the arrays hold.
 * Returns the number of rows whose label changed.  No allocation, no I/O,
 * no threads.
 */
#ifndef CLMSEG_KERNEL_CENTROID_UPDATE_H
#define CLMSEG_KERNEL_CENTROID_UPDATE_H

#include <stdint.h>

int64_t clm_k_centroid_update_f32_ref(const float *rows, int64_t n_rows, int n_features,
                                      const int32_t *old_labels, const int32_t *new_labels,
                                      const float *weights, double *sums, double *counts);

/* AVX2 variant; call only when the CPU has AVX2.  Drivers call the
 * centroid_update_f32 slot of their context (kernels.h). */
int64_t clm_k_centroid_update_f32_avx2(const float *rows, int64_t n_rows, int n_features,
                                       const int32_t *old_labels, const int32_t *new_labels,
                                       const float *weights, double *sums, double *counts);

#endif

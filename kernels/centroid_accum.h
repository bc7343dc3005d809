/*
 * centroid_accum.h — per-cluster sums and weights of a block of rows (the
 * update step of Lloyd's algorithm).
 *
 * sums[l * n_features + j] += w_i * x_ij and counts[l] += w_i for every row
 * i with label l = labels[i], in row order, in double precision.  Rows are
 * float32; the products and sums are done in double so that centroids of
 * tens of millions of rows keep their precision.  Both variants add the
 * same terms in the same order per element, so they give bit-identical
 * sums.  weights may be NULL (all 1; then no multiplication is done).
 * Labels must lie in [0, k) for the k clusters the arrays hold.  A row
 * whose label is negative is skipped (rows dropped for missing values).
 * No allocation, no I/O, no threads.
 */
#ifndef CLMSEG_KERNEL_CENTROID_ACCUM_H
#define CLMSEG_KERNEL_CENTROID_ACCUM_H

#include <stdint.h>

void clm_k_centroid_accum_f32_ref(const float *rows, int64_t n_rows, int n_features,
                                  const int32_t *labels, const float *weights,
                                  double *sums, double *counts);

void clm_k_centroid_accum_f32_avx2(const float *rows, int64_t n_rows, int n_features,
                                   const int32_t *labels, const float *weights,
                                   double *sums, double *counts);

/* AVX-512F variant; call only when the CPU has AVX-512F. */
void clm_k_centroid_accum_f32_avx512(const float *rows, int64_t n_rows, int n_features,
                                     const int32_t *labels, const float *weights,
                                     double *sums, double *counts);

/* Dispatches: AVX-512F (d >= 8), else AVX2, else the reference. */
void clm_k_centroid_accum_f32(const float *rows, int64_t n_rows, int n_features,
                              const int32_t *labels, const float *weights,
                              double *sums, double *counts);

#endif

/*
 * argmin.h — nearest-centroid search over a block of precomputed dot
 * products (k-means assignment step).
 *
 * The driver computes, with one sgemm per row block, the matrix
 *     dots[i * ld + j] = -2 * x_i . c_j      (one row of k per data row)
 * so that the squared distance is dots + ||c_j||^2 + ||x_i||^2.  The row
 * norm does not change which centroid is nearest, so the search compares
 * dots + ||c_j||^2 only and adds ||x_i||^2 to the winner when asked.
 * Row-major (rows x k) is the layout OpenBLAS computes fastest for the
 * tall-skinny k-means product (about 1.6x the centroid-major one here).
 *
 * Contract shared by both variants (they give bit-identical results):
 * label = the first index of the minimum of dots + ||c_j||^2 (a NaN value
 * never wins; when no value is below +inf the label is 0); min_dist is
 * that minimum + ||x_i||^2, clamped to >= 0 (the expanded formula can go
 * slightly negative through cancellation).  No allocation, no I/O, no
 * threads.
 */
#ifndef CLMSEG_KERNEL_ARGMIN_H
#define CLMSEG_KERNEL_ARGMIN_H

#include <stdint.h>

/* dots: n_rows x ld floats (ld >= k); centroid_norms: k floats;
 * row_norms: n_rows floats or NULL; labels: n_rows outputs;
 * min_dist: n_rows outputs or NULL (needs row_norms).  k >= 1. */
void clm_k_argmin_f32_ref(const float *dots, int64_t ld, int64_t n_rows, int k,
                          const float *centroid_norms, const float *row_norms,
                          int32_t *labels, float *min_dist);

/* AVX2 variant; call only when the CPU has AVX2. */
void clm_k_argmin_f32_avx2(const float *dots, int64_t ld, int64_t n_rows, int k,
                           const float *centroid_norms, const float *row_norms,
                           int32_t *labels, float *min_dist);

/* AVX-512F variant (sixteen rows at a time when k is a multiple of 8,
 * the rest by the AVX2 variant); call only when the CPU has AVX-512F and
 * AVX2.  Drivers call the argmin_f32 slot of their context (kernels.h). */
void clm_k_argmin_f32_avx512(const float *dots, int64_t ld, int64_t n_rows, int k,
                             const float *centroid_norms, const float *row_norms,
                             int32_t *labels, float *min_dist);

#endif

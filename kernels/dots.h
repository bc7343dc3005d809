/*
 * dots.h — the product of a row block with a few centroids, for the
 * k-means assignment step when k is small.
 *
 *     dots[i * ldc + j] = sum_f x[i * d + f] * ct[f * ldc + j]   (j < ldc)
 *
 * accumulated in float with one fused multiply-add per feature, in feature
 * order, from zero.  The caller passes ct = -2 C^T (d x ldc, ldc = k
 * rounded up to a multiple of 8, the padding columns zero), so the first
 * k columns of dots (leading dimension ldc) have the meaning of the sgemm
 * they replace (see argmin.h); the padding columns come out zero.  Both
 * variants do the same operations per element: bit-identical results.
 *
 * Why not cblas_sgemm for this: with k = 8 and d = 16 the product is 128
 * multiply-adds a row, and OpenBLAS 0.3.21's small-matrix path takes about
 * 19 cycles a row on this node (half its vector lanes idle at n = 8),
 * 5.1 ns against a 1.2 ns share of the memory floor.  Register-blocked
 * over 8 rows x 8 centroids, with the row values broadcast from memory,
 * the same product runs near the FMA units' rate (see docs/kmeans.md).
 * No allocation, no I/O, no threads.
 */
#ifndef CLMSEG_KERNEL_DOTS_H
#define CLMSEG_KERNEL_DOTS_H

#include <stdint.h>

/* ldc: a positive multiple of 8; dots: n_rows x ldc. */
void clm_k_dots_f32_ref(const float *x, int64_t n_rows, int d, const float *ct, int ldc,
                        float *dots);

/* AVX2 + FMA variant; call only when the CPU has both.  Drivers call the
 * dots_f32 slot of their context (kernels.h). */
void clm_k_dots_f32_avx2(const float *x, int64_t n_rows, int d, const float *ct, int ldc,
                         float *dots);

#endif

/*
 * sqdist.h — exact squared Euclidean distance, in double, from each row of
 * a float32 block to one centroid (its assigned one, or a single given
 * point).  Used where the expanded formula ||x||^2 - 2x.c + ||c||^2 is not
 * precise enough: inertia, reported distances, k-means++ potentials and
 * the farthest-point search for empty clusters.
 *
 * out[i] = sum_j ((double)x_ij - (double)c_j)^2 with c = centroids +
 * labels[i] * n_features, or c = centroids when labels is NULL.  A row
 * with a negative label gets 0.  The AVX2 variant sums four lanes and
 * adds them at the end, so it agrees with the reference to a relative
 * 1e-12, not bit for bit; each variant alone is deterministic.
 * No allocation, no I/O, no threads.
 */
#ifndef CLMSEG_KERNEL_SQDIST_H
#define CLMSEG_KERNEL_SQDIST_H

#include <stdint.h>

void clm_k_sqdist_f64_ref(const float *rows, int64_t n_rows, int n_features,
                          const int32_t *labels, const float *centroids, double *out);

/* AVX2 variant; call only when the CPU has AVX2.  Drivers call the
 * sqdist_f64 slot of their context (kernels.h). */
void clm_k_sqdist_f64_avx2(const float *rows, int64_t n_rows, int n_features,
                           const int32_t *labels, const float *centroids, double *out);

/* The same distances from each row to each of n_centres given centres:
 * out[t * n_rows + i] = the value clm_k_sqdist_f64_<variant> gives for
 * row i and centres + t * n_features, bit for bit (each centre's sum runs
 * in the same order).  The AVX2 variant takes up to four centres per row
 * at once: one load and widening of the row serves them all, and the four
 * independent sums keep the pipeline full, where one centre at a time
 * waits on its own chain of additions (k-means++ candidates). */
void clm_k_sqdist_many_f64_ref(const float *rows, int64_t n_rows, int n_features,
                               const float *centres, int n_centres, double *out);
void clm_k_sqdist_many_f64_avx2(const float *rows, int64_t n_rows, int n_features,
                                const float *centres, int n_centres, double *out);

#endif

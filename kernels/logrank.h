/*
 * logrank.h — the two dense loops of the log-rank test
 * (src/survival/survival_logrank.c): the batched update of the upper
 * triangle of the covariance V, and its Cholesky factor.
 *
 * Both variants run the same C loops; the AVX2 one is that code compiled
 * with AVX2 enabled (wider vectors on the contiguous row updates).  There
 * is no FMA contraction under -std=c11, so both give the same bits.
 * No allocation, no I/O, no threads.
 */
#ifndef CLMSEG_KERNEL_LOGRANK_H
#define CLMSEG_KERNEL_LOGRANK_H

#include <stdint.h>

/* var (upper triangle of a row-major q x q matrix) -= sum over the batch
 * b < n_batch of weight[b] (s_b s_b' - diag(s_b)), s_b = shares + b * q;
 * each element sums its terms in batch order.  n_batch may be 0. */
void clm_k_logrank_batch_f64_ref(int32_t q, int32_t n_batch, const double *weight,
                                 const double *shares, double *var);

/* AVX2 variant; call only when the CPU has AVX2. */
void clm_k_logrank_batch_f64_avx2(int32_t q, int32_t n_batch, const double *weight,
                                  const double *shares, double *var);

/* Cholesky factor of the symmetric m x m matrix whose upper triangle is in
 * a (row-major), in place: a = U'U with U upper triangular.  Returns 0, or
 * -1 when a pivot is not positive and finite (not numerically positive
 * definite; a is then partly overwritten). */
int clm_k_cholesky_upper_f64_ref(int64_t m, double *a);

/* AVX2 variant; call only when the CPU has AVX2. */
int clm_k_cholesky_upper_f64_avx2(int64_t m, double *a);

#endif /* CLMSEG_KERNEL_LOGRANK_H */

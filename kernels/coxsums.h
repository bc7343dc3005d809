/*
 * coxsums.h — the inner loop of a Cox partial-likelihood iteration: over a
 * block of rows of one (stratum, time, event) cell, with w_i = exp(x_i'b),
 *
 *     sums[0]                 += sum_i w_i
 *     sums[1 + j]             += sum_i w_i x_ij                 (j < p)
 *     sums[1 + p + j * p + k] += sum_i w_i x_ij x_ik            (j <= k < p)
 *
 * x is row-major (n_rows x p), b has p entries.  Only the upper triangle
 * (k >= j) is the contract: entries left of the diagonal within its group
 * of four columns (k >= j rounded down to a multiple of 4) may be written
 * too, so the inner loop runs on whole vectors; callers read k >= j.  Rows are added one after another, in
 * row order, each entry with a multiply and an add (no fused multiply-add,
 * no reassociation), so the variants give the reference's bits and a cell
 * summed block by block gives the same bits as in one call.
 *
 * Why not BLAS dsyrk for the p x p part: it needs the rows scaled by
 * sqrt(w) in a copy first, and at p = 20 OpenBLAS's small-matrix path
 * spends most of its time packing; four rows at a time with the block in
 * L1 runs at the FMA ports' rate without a copy (docs/cox.md).
 * No allocation, no I/O, no threads.
 */
#ifndef CLMSEG_KERNEL_COXSUMS_H
#define CLMSEG_KERNEL_COXSUMS_H

#include <stdint.h>

void clm_k_cox_sums_f64_ref(const double *x, int64_t n_rows, int p, const double *beta,
                            double *sums);

/* AVX2 variant; call only when the CPU has AVX2. */
void clm_k_cox_sums_f64_avx2(const double *x, int64_t n_rows, int p, const double *beta,
                             double *sums);

#endif

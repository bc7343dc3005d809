/*
 * expneg.h — q[k] = exp(-r a[k]) for k < n, with r >= 0 and a[k] >= 0
 * (finite): the conditional survival of one subscriber over the months of
 * the horizon (src/cox/cox_equity.c), the customer-equity pass's hot loop.
 *
 * Why not libm's exp: it is a call per value that the compiler cannot
 * vectorise without -ffast-math, and the equity pass evaluates one per
 * subscriber and month (3.6e8 on a 10M-row quarter over 36 months).  Here
 * the exponent is split as x = k ln2 + f (Cody–Waite, |f| <= ln2 / 2), e^f
 * is its Taylor polynomial of degree 13 (truncation below 2e-17 relative),
 * evaluated by Estrin's scheme (a short dependent chain),
 * and 2^k is built in the exponent bits; the loop vectorises.  Agrees with
 * libm within 4 ulp (tested); x below -708 gives 0 (e^-708 = 3e-308 is
 * below any survival the horizon can hold).  Both variants run the same
 * operations: bit-identical results.  No allocation, no I/O, no threads.
 */
#ifndef CLMSEG_KERNEL_EXPNEG_H
#define CLMSEG_KERNEL_EXPNEG_H

#include <stdint.h>

void clm_k_expneg_f64_ref(double r, const double *a, int64_t n, double *q);

/* AVX2 variant; call only when the CPU has AVX2. */
void clm_k_expneg_f64_avx2(double r, const double *a, int64_t n, double *q);

/* The same in single precision, for the scenario projection
 * (src/strategy/project.c), whose figures are sums of expectations: e^f
 * is the degree-7 Taylor polynomial (truncation below 5e-9 relative, under
 * a float's half ulp), 8 lanes to a 256-bit vector instead of 4, and half
 * the polynomial; within 4 float ulp of the double-precision exp (tested);
 * x below -87 gives 0.  Both variants bit-identical. */
void clm_k_expneg_f32_ref(float r, const float *a, int64_t n, float *q);
void clm_k_expneg_f32_avx2(float r, const float *a, int64_t n, float *q);

#endif

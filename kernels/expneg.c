/*
 * expneg.c — reference and AVX2 builds of exp(-r a) over a vector
 * (expneg.h): one always-inline body compiled twice.  CMakeLists.txt
 * compiles this file with -fno-trapping-math: without it GCC will not turn
 * the two selections of the loop into vector blends (a comparison might
 * raise a floating-point exception nobody here listens to), and the loop
 * stays scalar; no value changes.
 */
#include <stdint.h>
#include <string.h>

#include "expneg.h"

#if defined(__x86_64__) || defined(__i386__)
#define CLM_HAVE_X86 1
#endif

static inline __attribute__((always_inline)) void
expneg_body(double r, const double *a, int64_t n, double *q)
{
    const double log2e = 1.4426950408889634;
    const double ln2_hi = 6.93147180369123816490e-01; /* ln 2, top 32 bits */
    const double ln2_lo = 1.90821492927058770002e-10; /* the rest          */
    const double shifter = 6755399441055744.0;        /* 1.5 x 2^52        */
    for (int64_t i = 0; i < n; i++) {
        const double x0 = -r * a[i];
        const double x = x0 > -708.0 ? x0 : -708.0;
        /* k = round(x / ln 2): adding 1.5 x 2^52 leaves k in the low bits */
        double kd = x * log2e + shifter;
        uint64_t kbits;
        memcpy(&kbits, &kd, sizeof kbits);
        kd -= shifter;
        double f = (x - kd * ln2_hi) - kd * ln2_lo;
        /* e^f = sum_{i<=13} f^i / i!, by Estrin's scheme: pairs, then
         * pairs of pairs, so the dependent chain is four steps deep
         * instead of thirteen (the vector units overlap the rest). */
        const double f2 = f * f, f4 = f2 * f2, f8 = f4 * f4;
        const double p01 = 1.0 + f, p23 = 0.5 + f * (1.0 / 6.0);
        const double p45 = 1.0 / 24.0 + f * (1.0 / 120.0);
        const double p67 = 1.0 / 720.0 + f * (1.0 / 5040.0);
        const double p89 = 1.0 / 40320.0 + f * (1.0 / 362880.0);
        const double p1011 = 1.0 / 3628800.0 + f * (1.0 / 39916800.0);
        const double p1213 = 1.0 / 479001600.0 + f * (1.0 / 6227020800.0);
        const double q0 = p01 + f2 * p23, q1 = p45 + f2 * p67;
        const double q2 = p89 + f2 * p1011;
        const double r0 = q0 + f4 * q1, r1 = q2 + f4 * p1213;
        const double p = r0 + f8 * r1;
        /* 2^k: k + 1023 in the exponent field (k >= -1022 here) */
        uint64_t ebits = (kbits - 0x4338000000000000ULL + 1023ULL) << 52;
        double scale;
        memcpy(&scale, &ebits, sizeof scale);
        q[i] = x0 > -708.0 ? p * scale : 0.0;
    }
}

static inline __attribute__((always_inline)) void
expneg32_body(float r, const float *a, int64_t n, float *q)
{
    const float log2e = 1.44269504f;
    const float ln2_hi = 0.693145752f;   /* ln 2, top bits (exact k * ln2_hi) */
    const float ln2_lo = 1.42860677e-6f; /* the rest                           */
    const float shifter = 12582912.0f;   /* 1.5 x 2^23                         */
    for (int64_t i = 0; i < n; i++) {
        const float x0 = -r * a[i];
        const float x = x0 > -87.0f ? x0 : -87.0f;
        float kd = x * log2e + shifter;
        uint32_t kbits;
        memcpy(&kbits, &kd, sizeof kbits);
        kd -= shifter;
        const float f = (x - kd * ln2_hi) - kd * ln2_lo;
        /* e^f = sum_{i<=7} f^i / i!, Estrin: three steps deep. */
        const float f2 = f * f, f4 = f2 * f2;
        const float p01 = 1.0f + f, p23 = 0.5f + f * (1.0f / 6.0f);
        const float p45 = 1.0f / 24.0f + f * (1.0f / 120.0f);
        const float p67 = 1.0f / 720.0f + f * (1.0f / 5040.0f);
        const float p = (p01 + f2 * p23) + f4 * (p45 + f2 * p67);
        /* 2^k: k + 127 in the exponent field (k >= -126 here) */
        uint32_t ebits = (kbits - 0x4B400000u + 127u) << 23;
        float scale;
        memcpy(&scale, &ebits, sizeof scale);
        q[i] = x0 > -87.0f ? p * scale : 0.0f;
    }
}

void clm_k_expneg_f32_ref(float r, const float *a, int64_t n, float *q)
{
    expneg32_body(r, a, n, q);
}

void clm_k_expneg_f64_ref(double r, const double *a, int64_t n, double *q)
{
    expneg_body(r, a, n, q);
}

#ifdef CLM_HAVE_X86
__attribute__((target("avx2")))
void clm_k_expneg_f64_avx2(double r, const double *a, int64_t n, double *q)
{
    expneg_body(r, a, n, q);
}

__attribute__((target("avx2")))
void clm_k_expneg_f32_avx2(float r, const float *a, int64_t n, float *q)
{
    expneg32_body(r, a, n, q);
}
#else
void clm_k_expneg_f64_avx2(double r, const double *a, int64_t n, double *q)
{
    expneg_body(r, a, n, q);
}

void clm_k_expneg_f32_avx2(float r, const float *a, int64_t n, float *q)
{
    expneg32_body(r, a, n, q);
}
#endif

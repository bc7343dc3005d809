/*
 * dots.c — scalar reference and AVX2/FMA variant of the small-k block
 * product (see dots.h).
 *
 * The AVX2 variant holds eight accumulators, one per row of an eight-row
 * group, each eight centroids wide.  Per feature it loads one vector of
 * eight centroid values and does eight multiply-adds against the rows'
 * values broadcast straight from memory: eight independent chains cover
 * the multiply-add latency at two per cycle, and no transpose is needed
 * because the output is row-major like the centroid vector.  Whole
 * vectors are stored (a masked store is microcoded on some cores), hence
 * the padded output.  k > 8 runs one such pass per group of eight
 * centroids over the same (L1-resident) rows.
 */
#include <math.h>

#include "dots.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CLM_HAVE_X86 1
#endif

void clm_k_dots_f32_ref(const float *x, int64_t n_rows, int d, const float *ct, int ldc,
                        float *dots)
{
    for (int64_t i = 0; i < n_rows; i++)
        for (int j = 0; j < ldc; j++) {
            float acc = 0.0f;
            for (int f = 0; f < d; f++)
                acc = fmaf(x[i * d + f], ct[(int64_t)f * ldc + j], acc);
            dots[i * ldc + j] = acc;
        }
}

#ifdef CLM_HAVE_X86
__attribute__((target("avx2,fma")))
void clm_k_dots_f32_avx2(const float *x, int64_t n_rows, int d, const float *ct, int ldc,
                         float *dots)
{
    for (int g = 0; g < ldc; g += 8) {
        const float *cg = ct + g;
        int64_t i = 0;
        for (; i + 8 <= n_rows; i += 8) {
            const float *r = x + i * d;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            __m256 a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int f = 0; f < d; f++) {
                const __m256 c = _mm256_loadu_ps(cg + (int64_t)f * ldc);
                a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(r + f), c, a0);
                a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(r + d + f), c, a1);
                a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(r + 2 * d + f), c, a2);
                a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(r + 3 * d + f), c, a3);
                a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(r + 4 * d + f), c, a4);
                a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(r + 5 * d + f), c, a5);
                a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(r + 6 * d + f), c, a6);
                a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(r + 7 * d + f), c, a7);
            }
            float *o = dots + i * ldc + g;
            _mm256_storeu_ps(o, a0);
            _mm256_storeu_ps(o + ldc, a1);
            _mm256_storeu_ps(o + 2 * ldc, a2);
            _mm256_storeu_ps(o + 3 * ldc, a3);
            _mm256_storeu_ps(o + 4 * ldc, a4);
            _mm256_storeu_ps(o + 5 * ldc, a5);
            _mm256_storeu_ps(o + 6 * ldc, a6);
            _mm256_storeu_ps(o + 7 * ldc, a7);
        }
        for (; i < n_rows; i++) {
            const float *r = x + i * d;
            __m256 a = _mm256_setzero_ps();
            for (int f = 0; f < d; f++)
                a = _mm256_fmadd_ps(_mm256_broadcast_ss(r + f),
                                    _mm256_loadu_ps(cg + (int64_t)f * ldc), a);
            _mm256_storeu_ps(dots + i * ldc + g, a);
        }
    }
}
#else
void clm_k_dots_f32_avx2(const float *x, int64_t n_rows, int d, const float *ct, int ldc,
                         float *dots)
{
    clm_k_dots_f32_ref(x, n_rows, d, ct, ldc, dots);
}
#endif

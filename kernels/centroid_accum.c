/*
 * centroid_accum.c — scalar reference and AVX2 variant of the per-cluster
 * sum (see centroid_accum.h).  The AVX2 variant widens four floats to four
 * doubles per step; each element still receives its terms in row order,
 * and a weighted term is a separate multiply then add (no FMA), exactly as
 * the reference computes it, so the two agree bit for bit.  The AVX-512
 * variant (chosen at run time when the CPU has it and d >= 8) does the
 * same with eight doubles per step.
 */
#include "centroid_accum.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CLM_HAVE_X86 1
#endif

void clm_k_centroid_accum_f32_ref(const float *rows, int64_t n_rows, int n_features,
                                  const int32_t *labels, const float *weights,
                                  double *sums, double *counts)
{
    for (int64_t i = 0; i < n_rows; i++) {
        int32_t l = labels[i];
        if (l < 0)
            continue;
        const float *x = rows + i * n_features;
        double *s = sums + (int64_t)l * n_features;
        if (weights) {
            double w = (double)weights[i];
            for (int j = 0; j < n_features; j++)
                s[j] += w * (double)x[j];
            counts[l] += w;
        } else {
            for (int j = 0; j < n_features; j++)
                s[j] += (double)x[j];
            counts[l] += 1.0;
        }
    }
}

#ifdef CLM_HAVE_X86
__attribute__((target("avx2")))
void clm_k_centroid_accum_f32_avx2(const float *rows, int64_t n_rows, int n_features,
                                   const int32_t *labels, const float *weights,
                                   double *sums, double *counts)
{
    for (int64_t i = 0; i < n_rows; i++) {
        int32_t l = labels[i];
        if (l < 0)
            continue;
        const float *x = rows + i * n_features;
        double *s = sums + (int64_t)l * n_features;
        int j = 0;
        if (weights) {
            double w = (double)weights[i];
            __m256d wv = _mm256_set1_pd(w);
            for (; j + 4 <= n_features; j += 4) {
                __m256d xv = _mm256_cvtps_pd(_mm_loadu_ps(x + j));
                __m256d p = _mm256_mul_pd(wv, xv);
                _mm256_storeu_pd(s + j, _mm256_add_pd(_mm256_loadu_pd(s + j), p));
            }
            for (; j < n_features; j++)
                s[j] += w * (double)x[j];
            counts[l] += w;
        } else {
            for (; j + 4 <= n_features; j += 4) {
                __m256d xv = _mm256_cvtps_pd(_mm_loadu_ps(x + j));
                _mm256_storeu_pd(s + j, _mm256_add_pd(_mm256_loadu_pd(s + j), xv));
            }
            for (; j < n_features; j++)
                s[j] += (double)x[j];
            counts[l] += 1.0;
        }
    }
}
#else
void clm_k_centroid_accum_f32_avx2(const float *rows, int64_t n_rows, int n_features,
                                   const int32_t *labels, const float *weights,
                                   double *sums, double *counts)
{
    clm_k_centroid_accum_f32_ref(rows, n_rows, n_features, labels, weights, sums, counts);
}
#endif

#ifdef CLM_HAVE_X86
/* AVX-512: eight doubles per step, half the stores of the AVX2 variant
 * (the loop is bound by the read-modify-write of the sums). */
__attribute__((target("avx512f")))
void clm_k_centroid_accum_f32_avx512(const float *rows, int64_t n_rows, int n_features,
                                     const int32_t *labels, const float *weights,
                                     double *sums, double *counts)
{
    for (int64_t i = 0; i < n_rows; i++) {
        int32_t l = labels[i];
        if (l < 0)
            continue;
        const float *x = rows + i * n_features;
        double *s = sums + (int64_t)l * n_features;
        int j = 0;
        if (weights) {
            double w = (double)weights[i];
            __m512d wv = _mm512_set1_pd(w);
            for (; j + 8 <= n_features; j += 8) {
                __m512d p = _mm512_mul_pd(wv, _mm512_cvtps_pd(_mm256_loadu_ps(x + j)));
                _mm512_storeu_pd(s + j, _mm512_add_pd(_mm512_loadu_pd(s + j), p));
            }
            for (; j < n_features; j++)
                s[j] += w * (double)x[j];
            counts[l] += w;
        } else {
            for (; j + 8 <= n_features; j += 8)
                _mm512_storeu_pd(s + j, _mm512_add_pd(_mm512_loadu_pd(s + j),
                                                      _mm512_cvtps_pd(_mm256_loadu_ps(x + j))));
            for (; j < n_features; j++)
                s[j] += (double)x[j];
            counts[l] += 1.0;
        }
    }
}
#else
void clm_k_centroid_accum_f32_avx512(const float *rows, int64_t n_rows, int n_features,
                                     const int32_t *labels, const float *weights,
                                     double *sums, double *counts)
{
    clm_k_centroid_accum_f32_ref(rows, n_rows, n_features, labels, weights, sums, counts);
}
#endif

void clm_k_centroid_accum_f32(const float *rows, int64_t n_rows, int n_features,
                              const int32_t *labels, const float *weights,
                              double *sums, double *counts)
{
#ifdef CLM_HAVE_X86
    if (n_features >= 8 && __builtin_cpu_supports("avx512f")) {
        clm_k_centroid_accum_f32_avx512(rows, n_rows, n_features, labels, weights, sums, counts);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        clm_k_centroid_accum_f32_avx2(rows, n_rows, n_features, labels, weights, sums, counts);
        return;
    }
#endif
    clm_k_centroid_accum_f32_ref(rows, n_rows, n_features, labels, weights, sums, counts);
}

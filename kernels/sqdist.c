/*
 * sqdist.c — scalar reference and AVX2 variant of the exact squared
 * distance (see sqdist.h).  The AVX2 variant widens four floats at a time
 * to double and keeps four partial sums per row.
 */
#include "sqdist.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CLM_HAVE_X86 1
#endif

void clm_k_sqdist_f64_ref(const float *rows, int64_t n_rows, int n_features,
                          const int32_t *labels, const float *centroids, double *out)
{
    for (int64_t i = 0; i < n_rows; i++) {
        const float *c = centroids;
        if (labels) {
            if (labels[i] < 0) {
                out[i] = 0.0;
                continue;
            }
            c = centroids + (int64_t)labels[i] * n_features;
        }
        const float *x = rows + i * n_features;
        double s = 0.0;
        for (int j = 0; j < n_features; j++) {
            double diff = (double)x[j] - (double)c[j];
            s += diff * diff;
        }
        out[i] = s;
    }
}

void clm_k_sqdist_many_f64_ref(const float *rows, int64_t n_rows, int n_features,
                               const float *centres, int n_centres, double *out)
{
    for (int t = 0; t < n_centres; t++)
        clm_k_sqdist_f64_ref(rows, n_rows, n_features, NULL, centres + (int64_t)t * n_features,
                             out + (int64_t)t * n_rows);
}

#ifdef CLM_HAVE_X86
/* Four partial sums of (x - c)^2 over the first n_features & ~3 features,
 * lane l holding features l, l + 4, ...; then the lanes as
 * (l0 + l1) + (l2 + l3) and the tail in order: the order of
 * clm_k_sqdist_f64_avx2. */
__attribute__((target("avx2"))) static inline double finish(__m256d acc, const float *x, const float *c, int j,
                                                         int n_features)
{
    double lane[4];
    _mm256_storeu_pd(lane, acc);
    double s = (lane[0] + lane[1]) + (lane[2] + lane[3]);
    for (; j < n_features; j++) {
        double diff = (double)x[j] - (double)c[j];
        s += diff * diff;
    }
    return s;
}

__attribute__((target("avx2")))
void clm_k_sqdist_many_f64_avx2(const float *rows, int64_t n_rows, int n_features,
                                const float *centres, int n_centres, double *out)
{
    const int body = n_features & ~3;
    for (int t0 = 0; t0 < n_centres; t0 += 4) {
        const int m = n_centres - t0 < 4 ? n_centres - t0 : 4;
        const float *c0 = centres + (int64_t)t0 * n_features;
        const float *c1 = m > 1 ? c0 + n_features : c0, *c2 = m > 2 ? c0 + 2 * n_features : c0;
        const float *c3 = m > 3 ? c0 + 3 * n_features : c0;
        double *o = out + (int64_t)t0 * n_rows;
        for (int64_t i = 0; i < n_rows; i++) {
            const float *x = rows + i * n_features;
            __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < body; j += 4) {
                __m256d xv = _mm256_cvtps_pd(_mm_loadu_ps(x + j));
                __m256d d0 = _mm256_sub_pd(xv, _mm256_cvtps_pd(_mm_loadu_ps(c0 + j)));
                __m256d d1 = _mm256_sub_pd(xv, _mm256_cvtps_pd(_mm_loadu_ps(c1 + j)));
                __m256d d2 = _mm256_sub_pd(xv, _mm256_cvtps_pd(_mm_loadu_ps(c2 + j)));
                __m256d d3 = _mm256_sub_pd(xv, _mm256_cvtps_pd(_mm_loadu_ps(c3 + j)));
                a0 = _mm256_add_pd(a0, _mm256_mul_pd(d0, d0));
                a1 = _mm256_add_pd(a1, _mm256_mul_pd(d1, d1));
                a2 = _mm256_add_pd(a2, _mm256_mul_pd(d2, d2));
                a3 = _mm256_add_pd(a3, _mm256_mul_pd(d3, d3));
            }
            o[i] = finish(a0, x, c0, body, n_features);
            if (m > 1) o[n_rows + i] = finish(a1, x, c1, body, n_features);
            if (m > 2) o[2 * n_rows + i] = finish(a2, x, c2, body, n_features);
            if (m > 3) o[3 * n_rows + i] = finish(a3, x, c3, body, n_features);
        }
    }
}

__attribute__((target("avx2")))
void clm_k_sqdist_f64_avx2(const float *rows, int64_t n_rows, int n_features,
                           const int32_t *labels, const float *centroids, double *out)
{
    const int body = n_features & ~3;
    for (int64_t i = 0; i < n_rows; i++) {
        const float *c = centroids;
        if (labels) {
            if (labels[i] < 0) {
                out[i] = 0.0;
                continue;
            }
            c = centroids + (int64_t)labels[i] * n_features;
        }
        const float *x = rows + i * n_features;
        __m256d acc = _mm256_setzero_pd();
        for (int j = 0; j < body; j += 4) {
            __m256d diff = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + j)),
                                         _mm256_cvtps_pd(_mm_loadu_ps(c + j)));
            acc = _mm256_add_pd(acc, _mm256_mul_pd(diff, diff));
        }
        out[i] = finish(acc, x, c, body, n_features);
    }
}
#else
void clm_k_sqdist_many_f64_avx2(const float *rows, int64_t n_rows, int n_features,
                                const float *centres, int n_centres, double *out)
{
    clm_k_sqdist_many_f64_ref(rows, n_rows, n_features, centres, n_centres, out);
}

void clm_k_sqdist_f64_avx2(const float *rows, int64_t n_rows, int n_features,
                           const int32_t *labels, const float *centroids, double *out)
{
    clm_k_sqdist_f64_ref(rows, n_rows, n_features, labels, centroids, out);
}
#endif

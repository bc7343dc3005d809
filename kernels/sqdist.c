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

#ifdef CLM_HAVE_X86
__attribute__((target("avx2")))
void clm_k_sqdist_f64_avx2(const float *rows, int64_t n_rows, int n_features,
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
        __m256d acc = _mm256_setzero_pd();
        int j = 0;
        for (; j + 4 <= n_features; j += 4) {
            __m256d diff = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + j)),
                                         _mm256_cvtps_pd(_mm_loadu_ps(c + j)));
            acc = _mm256_add_pd(acc, _mm256_mul_pd(diff, diff));
        }
        double lane[4];
        _mm256_storeu_pd(lane, acc);
        double s = (lane[0] + lane[1]) + (lane[2] + lane[3]);
        for (; j < n_features; j++) {
            double diff = (double)x[j] - (double)c[j];
            s += diff * diff;
        }
        out[i] = s;
    }
}
#else
void clm_k_sqdist_f64_avx2(const float *rows, int64_t n_rows, int n_features,
                           const int32_t *labels, const float *centroids, double *out)
{
    clm_k_sqdist_f64_ref(rows, n_rows, n_features, labels, centroids, out);
}
#endif

/*
 * argmin.c — scalar reference and AVX2 variant of the nearest-centroid
 * search (see argmin.h).
 *
 * AVX2 variant, k a multiple of 8 (the common k = 8, 16, ...): eight rows
 * at a time; an 8 x 8 in-register transpose turns each group of eight
 * centroid values into vectors over the rows, and the reference's scan
 * (start at +inf, strict "<") runs on eight rows at once.  Other k: per
 * row, a running vector minimum (NaN-ignoring: _mm256_min_ps returns its
 * second operand when the first is NaN), a horizontal minimum, then the
 * first index equal to it (compare + movemask + count trailing zeros) -
 * exactly what the strict "<" scan returns.  AVX-512 variant, k a
 * multiple of 8: the same scan on sixteen rows at a time (see
 * argmin_rows16).  All agree with the reference bit for bit.
 */
#include <math.h>

#include "argmin.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CLM_HAVE_X86 1
#endif

static inline void finish_row(int64_t i, int32_t arg, float best, const float *row_norms,
                              int32_t *labels, float *min_dist)
{
    labels[i] = arg;
    if (min_dist) {
        float d = best + row_norms[i];
        min_dist[i] = d > 0.0f ? d : 0.0f;
    }
}

void clm_k_argmin_f32_ref(const float *dots, int64_t ld, int64_t n_rows, int k,
                          const float *centroid_norms, const float *row_norms,
                          int32_t *labels, float *min_dist)
{
    for (int64_t i = 0; i < n_rows; i++) {
        const float *row = dots + i * ld;
        float best = INFINITY;
        int32_t arg = 0;
        for (int j = 0; j < k; j++) {
            float v = row[j] + centroid_norms[j];
            if (v < best) {
                best = v;
                arg = j;
            }
        }
        finish_row(i, arg, best, row_norms, labels, min_dist);
    }
}

#ifdef CLM_HAVE_X86
/* Eight rows x eight centroid values (rows r0..r7) into eight vectors
 * holding one centroid's values for the eight rows. */
__attribute__((target("avx2")))
static inline void transpose8(const float *src, int64_t ld, __m256 c[8])
{
    __m256 r[8], t[8], s[8];
    for (int q = 0; q < 8; q++)
        r[q] = _mm256_loadu_ps(src + q * ld);
    for (int q = 0; q < 4; q++) {
        t[2 * q] = _mm256_unpacklo_ps(r[2 * q], r[2 * q + 1]);
        t[2 * q + 1] = _mm256_unpackhi_ps(r[2 * q], r[2 * q + 1]);
    }
    s[0] = _mm256_shuffle_ps(t[0], t[2], _MM_SHUFFLE(1, 0, 1, 0));
    s[1] = _mm256_shuffle_ps(t[0], t[2], _MM_SHUFFLE(3, 2, 3, 2));
    s[2] = _mm256_shuffle_ps(t[1], t[3], _MM_SHUFFLE(1, 0, 1, 0));
    s[3] = _mm256_shuffle_ps(t[1], t[3], _MM_SHUFFLE(3, 2, 3, 2));
    s[4] = _mm256_shuffle_ps(t[4], t[6], _MM_SHUFFLE(1, 0, 1, 0));
    s[5] = _mm256_shuffle_ps(t[4], t[6], _MM_SHUFFLE(3, 2, 3, 2));
    s[6] = _mm256_shuffle_ps(t[5], t[7], _MM_SHUFFLE(1, 0, 1, 0));
    s[7] = _mm256_shuffle_ps(t[5], t[7], _MM_SHUFFLE(3, 2, 3, 2));
    for (int q = 0; q < 4; q++) {
        c[q] = _mm256_permute2f128_ps(s[q], s[q + 4], 0x20);
        c[q + 4] = _mm256_permute2f128_ps(s[q], s[q + 4], 0x31);
    }
}

/* k a multiple of 8: eight rows at a time, centroid values transposed into
 * row vectors, then the reference's scan (start at +inf, strict "<")
 * done on eight rows at once with compare + blend. */
__attribute__((target("avx2")))
static int64_t argmin_rows8(const float *dots, int64_t ld, int64_t n_rows, int k,
                            const float *centroid_norms, const float *row_norms,
                            int32_t *labels, float *min_dist)
{
    int64_t i = 0;
    for (; i + 8 <= n_rows; i += 8) {
        __m256 best = _mm256_set1_ps(INFINITY);
        /* indices as floats so one blendv moves them with the minimum;
         * exact for k < 2^24 */
        __m256 arg = _mm256_setzero_ps();
        for (int g = 0; g < k; g += 8) {
            __m256 c[8];
            transpose8(dots + i * ld + g, ld, c);
            for (int j = 0; j < 8; j++) {
                __m256 v = _mm256_add_ps(c[j], _mm256_set1_ps(centroid_norms[g + j]));
                __m256 lt = _mm256_cmp_ps(v, best, _CMP_LT_OQ);
                best = _mm256_blendv_ps(best, v, lt);
                arg = _mm256_blendv_ps(arg, _mm256_set1_ps((float)(g + j)), lt);
            }
        }
        _mm256_storeu_si256((__m256i *)(void *)(labels + i), _mm256_cvttps_epi32(arg));
        if (min_dist) {
            __m256 d = _mm256_add_ps(best, _mm256_loadu_ps(row_norms + i));
            /* max(d, 0) gives 0 for NaN, like the scalar "d > 0 ? d : 0" */
            _mm256_storeu_ps(min_dist + i, _mm256_max_ps(d, _mm256_setzero_ps()));
        }
    }
    return i;
}

__attribute__((target("avx2")))
void clm_k_argmin_f32_avx2(const float *dots, int64_t ld, int64_t n_rows, int k,
                           const float *centroid_norms, const float *row_norms,
                           int32_t *labels, float *min_dist)
{
    const int k8 = k - k % 8;
    int64_t i = 0;
    if (k8 == k && k > 0)
        i = argmin_rows8(dots, ld, n_rows, k, centroid_norms, row_norms, labels, min_dist);
    for (; i < n_rows; i++) {
        const float *row = dots + i * ld;
        __m256 mv = _mm256_set1_ps(INFINITY);
        for (int j = 0; j < k8; j += 8)
            mv = _mm256_min_ps(_mm256_add_ps(_mm256_loadu_ps(row + j),
                                             _mm256_loadu_ps(centroid_norms + j)), mv);
        __m128 m4 = _mm_min_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
        m4 = _mm_min_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_min_ss(m4, _mm_shuffle_ps(m4, m4, 1));
        float best = _mm_cvtss_f32(m4);
        for (int j = k8; j < k; j++) {
            float v = row[j] + centroid_norms[j];
            best = v < best ? v : best;
        }
        int32_t arg = 0;
        if (best < INFINITY) {
            int j = 0, found = 0;
            const __m256 target = _mm256_set1_ps(best);
            for (; j < k8 && !found; j += 8) {
                __m256 v = _mm256_add_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(centroid_norms + j));
                int mask = _mm256_movemask_ps(_mm256_cmp_ps(v, target, _CMP_EQ_OQ));
                if (mask) {
                    arg = j + __builtin_ctz((unsigned)mask);
                    found = 1;
                }
            }
            for (j = k8; j < k && !found; j++)
                if (row[j] + centroid_norms[j] == best) {
                    arg = j;
                    found = 1;
                }
        }
        finish_row(i, arg, best, row_norms, labels, min_dist);
    }
}

/* AVX-512, k a multiple of 8: sixteen rows at a time.  Each zmm holds two
 * rows' eight values of a centroid group; in-lane unpack/shuffle steps
 * and a 128-bit-lane shuffle turn eight of them into eight vectors, one
 * per centroid, over the sixteen rows (in the lane order 0 2 4 6 1 3 5 7
 * 8 10 12 14 9 11 13 15, undone by one permute at the end).  Then the
 * reference's scan (start at +inf, strict "<", first index kept) runs on
 * sixteen rows with mask compares: the same additions and comparisons as
 * the reference, so the same labels and distances bit for bit.  Half the
 * shuffles per row of the AVX2 eight-row version. */
__attribute__((target("avx512f")))
static int64_t argmin_rows16(const float *dots, int64_t ld, int64_t n_rows, int k,
                             const float *centroid_norms, const float *row_norms,
                             int32_t *labels, float *min_dist)
{
    /* row r of the sixteen sits in lane unscramble[r] */
    const __m512i unscramble = _mm512_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7,
                                                 8, 12, 9, 13, 10, 14, 11, 15);
    int64_t i = 0;
    for (; i + 16 <= n_rows; i += 16) {
        __m512 best = _mm512_set1_ps(INFINITY);
        __m512i arg = _mm512_setzero_si512();
        for (int g = 0; g < k; g += 8) {
            const float *src = dots + i * ld + g;
            __m512 r[8];
            for (int q = 0; q < 8; q++) {
                __m256 lo = _mm256_loadu_ps(src + (2 * q) * ld);
                __m256 hi = _mm256_loadu_ps(src + (2 * q + 1) * ld);
                r[q] = _mm512_castpd_ps(_mm512_insertf64x4(
                    _mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
            }
            __m512 c[8];
            for (int h = 0; h < 2; h++) {
                const __m512 *rr = r + 4 * h;
                __m512 t0 = _mm512_unpacklo_ps(rr[0], rr[1]);
                __m512 t1 = _mm512_unpackhi_ps(rr[0], rr[1]);
                __m512 t2 = _mm512_unpacklo_ps(rr[2], rr[3]);
                __m512 t3 = _mm512_unpackhi_ps(rr[2], rr[3]);
                /* s_m, 128-bit lanes: c_m of rows (0 2 4 6) + 8h, c_{m+4}
                 * of the same rows, c_m of rows (1 3 5 7) + 8h, c_{m+4} */
                c[4 * h + 0] = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
                c[4 * h + 1] = _mm512_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
                c[4 * h + 2] = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
                c[4 * h + 3] = _mm512_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
            }
            for (int m = 0; m < 4; m++) {
                /* centroid g+m: lanes 0 and 2 of both halves; g+m+4: 1 and 3 */
                __m512 cm = _mm512_shuffle_f32x4(c[m], c[4 + m], _MM_SHUFFLE(2, 0, 2, 0));
                __m512 cm4 = _mm512_shuffle_f32x4(c[m], c[4 + m], _MM_SHUFFLE(3, 1, 3, 1));
                c[m] = cm;
                c[4 + m] = cm4;
            }
            for (int j = 0; j < 8; j++) {
                __m512 v = _mm512_add_ps(c[j], _mm512_set1_ps(centroid_norms[g + j]));
                __mmask16 lt = _mm512_cmp_ps_mask(v, best, _CMP_LT_OQ);
                best = _mm512_mask_mov_ps(best, lt, v);
                arg = _mm512_mask_mov_epi32(arg, lt, _mm512_set1_epi32(g + j));
            }
        }
        _mm512_storeu_si512((void *)(labels + i), _mm512_permutexvar_epi32(unscramble, arg));
        if (min_dist) {
            __m512 d = _mm512_add_ps(_mm512_permutexvar_ps(unscramble, best),
                                     _mm512_loadu_ps(row_norms + i));
            /* max(d, 0) gives 0 for NaN, like the scalar "d > 0 ? d : 0" */
            _mm512_storeu_ps(min_dist + i, _mm512_max_ps(d, _mm512_setzero_ps()));
        }
    }
    return i;
}

__attribute__((target("avx512f")))
void clm_k_argmin_f32_avx512(const float *dots, int64_t ld, int64_t n_rows, int k,
                             const float *centroid_norms, const float *row_norms,
                             int32_t *labels, float *min_dist)
{
    int64_t i = 0;
    if (k % 8 == 0 && k > 0)
        i = argmin_rows16(dots, ld, n_rows, k, centroid_norms, row_norms, labels, min_dist);
    if (i < n_rows)
        clm_k_argmin_f32_avx2(dots + i * ld, ld, n_rows - i, k, centroid_norms,
                              row_norms ? row_norms + i : NULL, labels + i,
                              min_dist ? min_dist + i : NULL);
}
#else
void clm_k_argmin_f32_avx512(const float *dots, int64_t ld, int64_t n_rows, int k,
                             const float *centroid_norms, const float *row_norms,
                             int32_t *labels, float *min_dist)
{
    clm_k_argmin_f32_ref(dots, ld, n_rows, k, centroid_norms, row_norms, labels, min_dist);
}

void clm_k_argmin_f32_avx2(const float *dots, int64_t ld, int64_t n_rows, int k,
                           const float *centroid_norms, const float *row_norms,
                           int32_t *labels, float *min_dist)
{
    clm_k_argmin_f32_ref(dots, ld, n_rows, k, centroid_norms, row_norms, labels, min_dist);
}
#endif

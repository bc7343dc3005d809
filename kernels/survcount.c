/*
 * survcount.c — scan and count kernels of survival estimation (see
 * survcount.h).  The reference versions are plain C11; the `_avx2` versions
 * (AVX2 + FMA, per-function target attributes, so the default build runs on
 * any x86-64) take four doubles at a time.  Which one runs is the kernel
 * context's choice (kernels.h), made once per process from the CPU.  Both
 * give identical results: the scan reports the same
 * first bad row, fractional row and maximum, the count adds the same cells,
 * the fused chunk kernel also sums ARPU in the same row order.
 */
#include "survcount.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SURV_HAVE_AVX2_PATH 1
#endif

/* ---- reference ---------------------------------------------------------- */

void clm_k_survscan_f64_ref(int64_t n_rows, const double *time,
                            const uint8_t *event, const int32_t *stratum,
                            int32_t n_slots, const double *arpu,
                            clm_k_survscan_result *result)
{
    result->bad_row = -1;
    result->bad_reason = CLM_K_SURV_OK;
    result->fraction_row = -1;
    result->max_time = 0.0;
    double max_time = 0.0;
    for (int64_t i = 0; i < n_rows; i++) {
        double t = time[i];
        int reason = CLM_K_SURV_OK;
        if (!isfinite(t))
            reason = CLM_K_SURV_TIME_NAN;
        else if (t < 0.0)
            reason = CLM_K_SURV_TIME_NEGATIVE;
        else if (event[i] > 1)
            reason = CLM_K_SURV_EVENT;
        else if (stratum && (stratum[i] < 0 || stratum[i] >= n_slots))
            reason = CLM_K_SURV_STRATUM;
        else if (arpu && !isfinite(arpu[i]))
            reason = CLM_K_SURV_ARPU_NAN;
        if (reason != CLM_K_SURV_OK) {
            result->bad_row = i;
            result->bad_reason = reason;
            break;
        }
        if (t > max_time)
            max_time = t;
        if (result->fraction_row < 0 && floor(t) != t)
            result->fraction_row = i;
    }
    result->max_time = max_time;
}

void clm_k_survcount_f64_ref(int64_t n_rows, const double *time,
                             const uint8_t *event, const int32_t *stratum,
                             int32_t n_slots, uint32_t *counts)
{
    for (int64_t i = 0; i < n_rows; i++) {
        int64_t slot = stratum ? stratum[i] : 0;
        int64_t cell = ((int64_t)time[i] * n_slots + slot) * 2 + event[i];
        counts[cell] += 1;
    }
}

void clm_k_stratum_sum_f64_ref(int64_t n_rows, const double *arpu,
                               const int32_t *stratum, double *sums)
{
    if (!stratum) {
        double s = sums[0];
        for (int64_t i = 0; i < n_rows; i++)
            s += arpu[i];
        sums[0] = s;
        return;
    }
    for (int64_t i = 0; i < n_rows; i++)
        sums[stratum[i]] += arpu[i];
}

int clm_k_survchunk_f64_ref(int64_t n_rows, const double *time, const uint8_t *event,
                            const int32_t *stratum, int32_t n_slots, const double *arpu,
                            int64_t n_times, uint32_t *counts, double *sums,
                            clm_k_survscan_result *result)
{
    clm_k_survscan_f64_ref(n_rows, time, event, stratum, n_slots, arpu, result);
    if (result->bad_row >= 0)
        return 0;
    if (arpu)
        clm_k_stratum_sum_f64_ref(n_rows, arpu, stratum, sums);
    if (result->fraction_row >= 0 || !(result->max_time < (double)n_times))
        return 0;
    clm_k_survcount_f64_ref(n_rows, time, event, stratum, n_slots, counts);
    return 1;
}

/* ---- AVX2 --------------------------------------------------------------- */

#ifdef SURV_HAVE_AVX2_PATH

/* Four rows at a time: one mask says whether all four are valid; the first
 * group that is not falls back to the reference loop from that group on, so
 * the first bad row and its reason are exactly the reference's. */
__attribute__((target("avx2,fma")))
static __attribute__((noinline)) void survscan_avx2(int64_t n_rows, const double *time, const uint8_t *event,
                                                    const int32_t *stratum, int32_t n_slots, const double *arpu,
                                                    clm_k_survscan_result *result)
{
    const __m256d zero = _mm256_setzero_pd();
    const __m256d big = _mm256_set1_pd(1.7976931348623157e308);
    const __m128i slots = _mm_set1_epi32(n_slots);
    const __m128i minus_one = _mm_set1_epi32(-1);
    __m256d vmax = zero;
    int64_t fraction_row = -1;
    int64_t i = 0;
    for (; i + 4 <= n_rows; i += 4) {
        __m256d t = _mm256_loadu_pd(time + i);
        /* Ordered compares are false for NaN: 0 <= t <= DBL_MAX. */
        __m256d ok = _mm256_and_pd(_mm256_cmp_pd(t, zero, _CMP_GE_OQ),
                                   _mm256_cmp_pd(t, big, _CMP_LE_OQ));
        if (arpu) {
            __m256d a = _mm256_loadu_pd(arpu + i);
            __m256d abs_a = _mm256_andnot_pd(_mm256_set1_pd(-0.0), a);
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(abs_a, big, _CMP_LE_OQ));
        }
        int bad = _mm256_movemask_pd(ok) != 0xF;
        uint32_t ev;
        memcpy(&ev, event + i, 4);
        bad |= (ev & 0xFEFEFEFEu) != 0;
        if (stratum) {
            __m128i s = _mm_loadu_si128((const __m128i *)(stratum + i));
            __m128i good = _mm_and_si128(_mm_cmpgt_epi32(s, minus_one),
                                         _mm_cmplt_epi32(s, slots));
            bad |= _mm_movemask_epi8(good) != 0xFFFF;
        }
        if (bad)
            break;
        vmax = _mm256_max_pd(vmax, t);
        if (fraction_row < 0) {
            __m256d fl = _mm256_round_pd(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
            int frac = _mm256_movemask_pd(_mm256_cmp_pd(fl, t, _CMP_NEQ_OQ));
            if (frac)
                fraction_row = i + __builtin_ctz((unsigned)frac);
        }
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, vmax);
    double max_time = lanes[0];
    for (int k = 1; k < 4; k++)
        if (lanes[k] > max_time)
            max_time = lanes[k];
    clm_k_survscan_result tail;
    clm_k_survscan_f64_ref(n_rows - i, time + i, event + i,
                           stratum ? stratum + i : NULL, n_slots,
                           arpu ? arpu + i : NULL, &tail);
    result->bad_row = tail.bad_row >= 0 ? tail.bad_row + i : -1;
    result->bad_reason = tail.bad_reason;
    if (fraction_row < 0 && tail.fraction_row >= 0)
        fraction_row = tail.fraction_row + i;
    result->fraction_row = fraction_row;
    result->max_time = tail.max_time > max_time ? tail.max_time : max_time;
}

/* Cell indices of four rows are computed in vector registers (time
 * truncated to int32, times n_slots, plus slot, times 2, plus event), then
 * the four increments are done from a small buffer.  The driver keeps the
 * table below 2^31 cells, so int32 indices cannot overflow. */
__attribute__((target("avx2,fma")))
static __attribute__((noinline)) void survcount_avx2(int64_t n_rows, const double *time, const uint8_t *event,
                                                     const int32_t *stratum, int32_t n_slots, uint32_t *counts)
{
    const __m128i slots = _mm_set1_epi32(n_slots);
    int64_t i = 0;
    int32_t cell[8];
    for (; i + 8 <= n_rows; i += 8) {
        __m128i t0 = _mm256_cvttpd_epi32(_mm256_loadu_pd(time + i));
        __m128i t1 = _mm256_cvttpd_epi32(_mm256_loadu_pd(time + i + 4));
        __m128i c0 = _mm_mullo_epi32(t0, slots);
        __m128i c1 = _mm_mullo_epi32(t1, slots);
        if (stratum) {
            c0 = _mm_add_epi32(c0, _mm_loadu_si128((const __m128i *)(stratum + i)));
            c1 = _mm_add_epi32(c1, _mm_loadu_si128((const __m128i *)(stratum + i + 4)));
        }
        uint32_t e0, e1;
        memcpy(&e0, event + i, 4);
        memcpy(&e1, event + i + 4, 4);
        c0 = _mm_add_epi32(_mm_slli_epi32(c0, 1), _mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)e0)));
        c1 = _mm_add_epi32(_mm_slli_epi32(c1, 1), _mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)e1)));
        _mm_storeu_si128((__m128i *)cell, c0);
        _mm_storeu_si128((__m128i *)(cell + 4), c1);
        for (int k = 0; k < 8; k++)
            counts[cell[k]] += 1;
    }
    clm_k_survcount_f64_ref(n_rows - i, time + i, event + i,
                            stratum ? stratum + i : NULL, n_slots, counts);
}

/* Rows per sub-block of the fused kernel: checked, then counted while its
 * columns (about 11 KB with ARPU) are still in L1. */
#define SURV_SUB_ROWS 512
/* How far ahead the count loop prefetches the columns. */
#define SURV_PREFETCH_ROWS 1024

/* Prefetches the row SURV_PREFETCH_ROWS after p (address arithmetic only:
 * a prefetch past the end of a column is harmless). */
__attribute__((target("avx2,fma")))
static inline void prefetch_ahead(const void *p, size_t element_size)
{
    _mm_prefetch((const char *)((uintptr_t)p + SURV_PREFETCH_ROWS * element_size), _MM_HINT_T0);
}

/* counts[cell] += 1 and sums[slot] += arpu[i] for rows already checked;
 * ARPU in row order, so the sums are the reference's bit for bit. */
__attribute__((target("avx2,fma")))
static inline void count_sum_avx2(int64_t n_rows, const double *time, const uint8_t *event,
                                  const int32_t *stratum, int32_t n_slots,
                                  const double *arpu, uint32_t *counts, double *sums)
{
    const __m128i slots = _mm_set1_epi32(n_slots);
    int32_t cell[8];
    int64_t i = 0;
    double total = arpu && !stratum ? sums[0] : 0.0;
    for (; i + 8 <= n_rows; i += 8) {
        /* Fetch the rows of the next sub-block meanwhile (a prefetch past
         * the end of the columns is harmless): the check loop then finds
         * them in cache. */
        prefetch_ahead(time + i, sizeof *time);
        if (arpu)
            prefetch_ahead(arpu + i, sizeof *arpu);
        if (stratum && (i & 15) == 0)
            prefetch_ahead(stratum + i, sizeof *stratum);
        if ((i & 63) == 0)
            prefetch_ahead(event + i, sizeof *event);
        __m128i c0 = _mm_mullo_epi32(_mm256_cvttpd_epi32(_mm256_loadu_pd(time + i)), slots);
        __m128i c1 = _mm_mullo_epi32(_mm256_cvttpd_epi32(_mm256_loadu_pd(time + i + 4)), slots);
        if (stratum) {
            c0 = _mm_add_epi32(c0, _mm_loadu_si128((const __m128i *)(stratum + i)));
            c1 = _mm_add_epi32(c1, _mm_loadu_si128((const __m128i *)(stratum + i + 4)));
        }
        uint32_t e0, e1;
        memcpy(&e0, event + i, 4);
        memcpy(&e1, event + i + 4, 4);
        c0 = _mm_add_epi32(_mm_slli_epi32(c0, 1), _mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)e0)));
        c1 = _mm_add_epi32(_mm_slli_epi32(c1, 1), _mm_cvtepu8_epi32(_mm_cvtsi32_si128((int)e1)));
        _mm_storeu_si128((__m128i *)cell, c0);
        _mm_storeu_si128((__m128i *)(cell + 4), c1);
        for (int k = 0; k < 8; k++)
            counts[cell[k]] += 1;
        if (arpu) {
            if (stratum)
                for (int k = 0; k < 8; k++)
                    sums[stratum[i + k]] += arpu[i + k];
            else
                for (int k = 0; k < 8; k++)
                    total += arpu[i + k];
        }
    }
    for (; i < n_rows; i++) {
        int64_t slot = stratum ? stratum[i] : 0;
        counts[((int64_t)time[i] * n_slots + slot) * 2 + event[i]] += 1;
        if (arpu) {
            if (stratum)
                sums[slot] += arpu[i];
            else
                total += arpu[i];
        }
    }
    if (arpu && !stratum)
        sums[0] = total;
}

/* 1 when every row of [0, n_rows) is valid, has an integer time below
 * n_times; the largest time goes into *vmax. */
__attribute__((target("avx2,fma")))
static inline int sub_clean_avx2(int64_t n_rows, const double *time, const uint8_t *event,
                                 const int32_t *stratum, int32_t n_slots, const double *arpu,
                                 double limit, __m256d *vmax)
{
    const __m256d zero = _mm256_setzero_pd();
    const __m256d vlimit = _mm256_set1_pd(limit);
    const __m256d big = _mm256_set1_pd(1.7976931348623157e308);
    const __m256d sign = _mm256_set1_pd(-0.0);
    const __m128i slots = _mm_set1_epi32(n_slots);
    const __m128i minus_one = _mm_set1_epi32(-1);
    __m256d ok_all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    __m128i good_all = _mm_set1_epi32(-1);
    uint32_t ev_bits = 0;
    __m256d m = *vmax;
    int64_t i = 0;
    for (; i + 4 <= n_rows; i += 4) {
        __m256d t = _mm256_loadu_pd(time + i);
        /* Ordered compares are false for NaN: 0 <= t < limit, t integer. */
        __m256d ok = _mm256_and_pd(_mm256_cmp_pd(t, zero, _CMP_GE_OQ),
                                   _mm256_cmp_pd(t, vlimit, _CMP_LT_OQ));
        __m256d fl = _mm256_round_pd(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        ok = _mm256_and_pd(ok, _mm256_cmp_pd(fl, t, _CMP_EQ_OQ));
        if (arpu) {
            __m256d abs_a = _mm256_andnot_pd(sign, _mm256_loadu_pd(arpu + i));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(abs_a, big, _CMP_LE_OQ));
        }
        ok_all = _mm256_and_pd(ok_all, ok);
        m = _mm256_max_pd(m, t);
        uint32_t ev;
        memcpy(&ev, event + i, 4);
        ev_bits |= ev;
        if (stratum) {
            __m128i s = _mm_loadu_si128((const __m128i *)(stratum + i));
            good_all = _mm_and_si128(good_all, _mm_and_si128(_mm_cmpgt_epi32(s, minus_one),
                                                             _mm_cmplt_epi32(s, slots)));
        }
    }
    int clean = _mm256_movemask_pd(ok_all) == 0xF && (ev_bits & 0xFEFEFEFEu) == 0 &&
                _mm_movemask_epi8(good_all) == 0xFFFF;
    for (; clean && i < n_rows; i++) {
        double t = time[i];
        clean = t >= 0.0 && t < limit && floor(t) == t && event[i] <= 1 &&
                (!stratum || (stratum[i] >= 0 && stratum[i] < n_slots)) &&
                (!arpu || isfinite(arpu[i]));
        if (clean)
            m = _mm256_max_pd(m, _mm256_set1_pd(t));
    }
    *vmax = m;
    return clean;
}

/* Check and count by sub-blocks; the first sub-block that is not clean
 * (a bad row, a fractional time, or a time beyond the table) undoes the
 * counts already added, and the chunk is scanned as a whole for the exact
 * result; its remaining ARPU is then summed, continuing in row order. */
__attribute__((target("avx2,fma")))
static __attribute__((noinline)) int survchunk_avx2(int64_t n_rows, const double *time, const uint8_t *event,
                                                   const int32_t *stratum, int32_t n_slots, const double *arpu,
                                                   int64_t n_times, uint32_t *counts, double *sums,
                                                   clm_k_survscan_result *result)
{
    const double limit = (double)n_times;
    __m256d vmax = _mm256_setzero_pd();
    int64_t done = 0;
    int clean = n_times > 0;
    while (clean && done < n_rows) {
        int64_t len = n_rows - done < SURV_SUB_ROWS ? n_rows - done : SURV_SUB_ROWS;
        const int32_t *st = stratum ? stratum + done : NULL;
        const double *ar = arpu ? arpu + done : NULL;
        clean = sub_clean_avx2(len, time + done, event + done, st, n_slots, ar, limit, &vmax);
        if (clean) {
            count_sum_avx2(len, time + done, event + done, st, n_slots, ar, counts, sums);
            done += len;
        }
    }
    if (clean) {
        double lanes[4];
        _mm256_storeu_pd(lanes, vmax);
        double max_time = lanes[0];
        for (int k = 1; k < 4; k++)
            if (lanes[k] > max_time)
                max_time = lanes[k];
        result->bad_row = -1;
        result->bad_reason = CLM_K_SURV_OK;
        result->fraction_row = -1;
        result->max_time = max_time;
        return 1;
    }
    for (int64_t i = 0; i < done; i++) {
        int64_t slot = stratum ? stratum[i] : 0;
        counts[((int64_t)time[i] * n_slots + slot) * 2 + event[i]] -= 1;
    }
    survscan_avx2(n_rows, time, event, stratum, n_slots, arpu, result);
    if (result->bad_row < 0 && arpu)
        clm_k_stratum_sum_f64_ref(n_rows - done, arpu + done, stratum ? stratum + done : NULL,
                                  sums);
    return 0;
}

/* The entry points: each clears the upper halves of the vector registers
 * on return (vzeroupper).  gcc 12 left them dirty on some paths of these
 * kernels, and every SSE instruction the thread ran afterwards (libm's exp
 * in the bands, printf, HDF5's conversions) then paid a false dependency:
 * about 15% of `clmseg survival`. */
__attribute__((target("avx2,fma")))
void clm_k_survscan_f64_avx2(int64_t n_rows, const double *time, const uint8_t *event, const int32_t *stratum,
                             int32_t n_slots, const double *arpu, clm_k_survscan_result *result)
{
    survscan_avx2(n_rows, time, event, stratum, n_slots, arpu, result);
    _mm256_zeroupper();
}

__attribute__((target("avx2,fma")))
void clm_k_survcount_f64_avx2(int64_t n_rows, const double *time, const uint8_t *event, const int32_t *stratum,
                              int32_t n_slots, uint32_t *counts)
{
    survcount_avx2(n_rows, time, event, stratum, n_slots, counts);
    _mm256_zeroupper();
}

__attribute__((target("avx2,fma")))
int clm_k_survchunk_f64_avx2(int64_t n_rows, const double *time, const uint8_t *event, const int32_t *stratum,
                             int32_t n_slots, const double *arpu, int64_t n_times, uint32_t *counts,
                             double *sums, clm_k_survscan_result *result)
{
    int counted = survchunk_avx2(n_rows, time, event, stratum, n_slots, arpu, n_times, counts, sums, result);
    _mm256_zeroupper();
    return counted;
}

#else
/* Without x86-64 the AVX2 names stand for the reference loops, so the
 * kernels link everywhere; the context never installs them there. */
void clm_k_survscan_f64_avx2(int64_t n_rows, const double *time,
                             const uint8_t *event, const int32_t *stratum,
                             int32_t n_slots, const double *arpu,
                             clm_k_survscan_result *result)
{
    clm_k_survscan_f64_ref(n_rows, time, event, stratum, n_slots, arpu, result);
}

void clm_k_survcount_f64_avx2(int64_t n_rows, const double *time,
                              const uint8_t *event, const int32_t *stratum,
                              int32_t n_slots, uint32_t *counts)
{
    clm_k_survcount_f64_ref(n_rows, time, event, stratum, n_slots, counts);
}

int clm_k_survchunk_f64_avx2(int64_t n_rows, const double *time, const uint8_t *event,
                             const int32_t *stratum, int32_t n_slots, const double *arpu,
                             int64_t n_times, uint32_t *counts, double *sums,
                             clm_k_survscan_result *result)
{
    return clm_k_survchunk_f64_ref(n_rows, time, event, stratum, n_slots, arpu, n_times,
                                   counts, sums, result);
}
#endif /* SURV_HAVE_AVX2_PATH */

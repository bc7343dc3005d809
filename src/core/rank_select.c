/*
 * rank_select.c — exact order statistics of float values spread over the
 * ranks (comm_select_f32), by their bits: two counting passes, each an
 * integer histogram summed over the ranks, so the result is the same
 * value whatever the rank count, the thread count or the order of rows.
 *
 * A float's bits, with the sign bit flipped for positives and every bit
 * flipped for negatives, order as the values do (-0 just below +0): the
 * k-th smallest key is the k-th smallest value.  The first pass counts
 * the keys' upper 16 bits, which fixes the bucket of each k and its rank
 * within it; the second counts the lower 16 bits inside that bucket.
 * Each histogram is 512 KB a rank, one in the first pass and one per k
 * in the second, whatever the row count, where gathering the values to
 * one rank would send 4 bytes a row.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/comm_internal.h"

#define SELECT_BITS 16
#define SELECT_BINS ((int64_t)1 << SELECT_BITS)

static inline uint32_t order_key(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

static inline float key_value(uint32_t key)
{
    const uint32_t u = (key & 0x80000000u) ? key & 0x7fffffffu : ~key;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* The bin of bins[0..SELECT_BINS) that holds the count-th entry (0-based)
 * and, at *rest, that entry's place inside it; -1 past the counts. */
static int64_t bin_of(const int64_t *bins, int64_t count, int64_t *rest)
{
    for (int64_t b = 0; b < SELECT_BINS; b++) {
        if (count < bins[b]) {
            *rest = count;
            return b;
        }
        count -= bins[b];
    }
    return -1;
}

clm_status comm_select_f32(const comm_ctx *c, const float *x, int64_t n, const int64_t *k, int n_k,
                           float *out)
{
    if (n_k < 1 || n_k > COMM_SELECT_MAX)
        return clm_error(CLM_E_INTERNAL, "comm_select_f32: %d order statistics asked, 1..%d allowed",
                         n_k, COMM_SELECT_MAX);
    int64_t *upper = calloc((size_t)SELECT_BINS * (size_t)(1 + n_k), sizeof *upper);
    clm_status st = comm_agree(c, upper ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory"));
    if (st) {
        free(upper);
        return st;
    }
    int64_t *lower = upper + SELECT_BINS; /* n_k histograms, one per k */
    for (int64_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            upper[order_key(x[i]) >> SELECT_BITS]++;
    st = comm_sum_i64(c, upper, (int)SELECT_BINS);
    int64_t bucket[COMM_SELECT_MAX], rest[COMM_SELECT_MAX];
    for (int j = 0; !st && j < n_k; j++)
        if ((bucket[j] = k[j] >= 0 ? bin_of(upper, k[j], &rest[j]) : -1) < 0)
            st = clm_error(CLM_E_INTERNAL, "comm_select_f32: order statistic %lld is past the values",
                           (long long)k[j]);
    /* The same on every rank: the counts are. */
    for (int64_t i = 0; !st && i < n; i++) {
        if (isnan(x[i]))
            continue;
        const uint32_t key = order_key(x[i]);
        for (int j = 0; j < n_k; j++)
            if ((int64_t)(key >> SELECT_BITS) == bucket[j])
                lower[j * SELECT_BINS + (key & (SELECT_BINS - 1))]++;
    }
    if (!st)
        st = comm_sum_i64(c, lower, (int)(n_k * SELECT_BINS));
    for (int j = 0; !st && j < n_k; j++) {
        int64_t within = 0;
        const int64_t low = bin_of(lower + j * SELECT_BINS, rest[j], &within);
        if (low < 0)
            st = clm_error(CLM_E_INTERNAL, "comm_select_f32: the counts of the two passes differ");
        else
            out[j] = key_value((uint32_t)(bucket[j] << SELECT_BITS | low));
    }
    free(upper);
    return st;
}

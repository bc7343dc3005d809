/*
 * allocate.c — the retention budget split by three policies (allocate.h,
 * docs/strategy.md "The retention budget").
 *
 * The rank key of a positive-gain candidate is 64 bits: the bits of its
 * float gain/cost flipped (larger ratios first) above its 32-bit index
 * (ties: lower index first).  It is sorted by an LSD radix sort of 16-bit
 * digits whose passes over the low half are free: the candidates enter in
 * index order and every pass is stable, so only the two digits of the
 * high half need a pass, and the index itself is never stored.  The sort
 * moves 24-byte records (the key's high half and the figures the walks
 * read), not indices: a gather of six input columns in rank order costs
 * random reads, several times a pass over the records.
 *
 * Three phases, none of which the thread count can change:
 *   1. per fixed block of rows (parallel): check every candidate, count
 *      the low key digits of the positive-gain ones, then write their
 *      records straight to their place after the first radix pass
 *      (offsets digit-major, block-minor); the first bad row is reported;
 *   2. the second radix pass (parallel: each thread counts and scatters a
 *      contiguous chunk), skipped when every key shares its high digit.
 *      The keys are distinct, so the sorted order is unique;
 *   3. one walk per policy over the records in rank order (the three run
 *      side by side, each sequential, so every sum has one fixed order).
 * A walk takes each candidate as far as its budget pool (the whole budget,
 * or its cell's share) and its cap group allow; the last candidate of a
 * pool or a cap is taken fractionally.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/util_internal.h"
#include "strategy/allocate.h"

const char *const alloc_policy_names[ALLOC_N_POLICIES] = {"optimised", "proportional", "high_tier"};

/* Rows per block of the first pass: fixed, so the per-block counts and the
 * layout they give do not depend on the thread count; large, because each
 * block keeps RADIX_SIZE counters. */
#define ALLOC_BLOCK ((int64_t)1 << 20)

/* Digit width of the radix sort: two passes of 16 bits over the 32 bits
 * of the key.  Three passes of 11 bits scatter to fewer streams (which
 * stay in cache) but move the records once more; on bench_allocate the
 * two measured alike within the noise of the shared machine, and four
 * passes of 8 bits slower, so the fewer passes are kept. */
#define RADIX_BITS 16
#define RADIX_SIZE (1 << RADIX_BITS)

/* Why a candidate is refused (0: it is fine). */
enum fault { FAULT_NONE, FAULT_CELL, FAULT_GROUP, FAULT_GAIN, FAULT_COST, FAULT_SAVES };

static enum fault candidate_fault(const alloc_input *in, int capped, int64_t i)
{
    if (in->cell[i] < 0 || in->cell[i] >= in->n_cells)
        return FAULT_CELL;
    if (capped && (in->cap_group[i] < 0 || in->cap_group[i] >= in->n_cap_groups))
        return FAULT_GROUP;
    if (!isfinite(in->gain[i]))
        return FAULT_GAIN;
    if (!(in->cost[i] > 0) || !isfinite(in->cost[i]))
        return FAULT_COST;
    if (!isfinite(in->saves[i]))
        return FAULT_SAVES;
    return FAULT_NONE;
}

static clm_status report_fault(const alloc_input *in, int64_t i, enum fault f)
{
    long long row = (long long)i;
    switch (f) {
    case FAULT_CELL:
        return clm_error(CLM_E_VALUE, "allocation: candidate %lld: cell %d outside [0, %d)", row,
                         (int)in->cell[i], (int)in->n_cells);
    case FAULT_GROUP:
        return clm_error(CLM_E_VALUE, "allocation: candidate %lld: cap group %d outside [0, %d)", row,
                         (int)in->cap_group[i], (int)in->n_cap_groups);
    case FAULT_GAIN:
        return clm_error(CLM_E_VALUE, "allocation: candidate %lld: gain %g is not finite", row, (double)in->gain[i]);
    case FAULT_COST:
        return clm_error(CLM_E_VALUE, "allocation: candidate %lld: cost %g is not a finite value > 0", row,
                         (double)in->cost[i]);
    case FAULT_SAVES:
        return clm_error(CLM_E_VALUE, "allocation: candidate %lld: saves %g is not finite", row,
                         (double)in->saves[i]);
    default:
        return clm_error(CLM_E_INTERNAL, "allocation: candidate %lld: unknown fault", row);
    }
}

/* The settings alloc_solve refuses before looking at any candidate. */
static clm_status check_settings(const alloc_input *in, int capped)
{
    if (in->n < 0 || (uint64_t)in->n > UINT32_MAX)
        return clm_error(CLM_E_PARAM, "allocation: %lld candidates (0 to %lu allowed)", (long long)in->n,
                         (unsigned long)UINT32_MAX);
    if (in->n_cells < 0 || (in->n > 0 && in->n_cells == 0))
        return clm_error(CLM_E_PARAM, "allocation: %d cells for %lld candidates", (int)in->n_cells,
                         (long long)in->n);
    if (in->n > 0 && (!in->cell || !in->gain || !in->cost || !in->saves || !in->high))
        return clm_error(CLM_E_PARAM, "allocation: cell, gain, cost, saves and high are required");
    if (in->n_cells > 0 && !in->cell_subscribers)
        return clm_error(CLM_E_PARAM, "allocation: cell_subscribers is required");
    if (in->cap && !in->cap_group)
        return clm_error(CLM_E_PARAM, "allocation: caps are given without cap groups");
    if (capped && in->n_cap_groups < 0)
        return clm_error(CLM_E_PARAM, "allocation: %d cap groups", (int)in->n_cap_groups);
    if (!(in->total >= 0))
        return clm_error(CLM_E_PARAM, "allocation: budget %g is not >= 0", in->total);
    for (int32_t g = 0; capped && g < in->n_cap_groups; g++)
        if (!(in->cap[g] >= 0))
            return clm_error(CLM_E_VALUE, "allocation: cap group %d: cap %g is not >= 0", (int)g, in->cap[g]);
    for (int32_t c = 0; c < in->n_cells; c++)
        if (in->cell_subscribers[c] < 0)
            return clm_error(CLM_E_VALUE, "allocation: cell %d: %lld subscribers", (int)c,
                             (long long)in->cell_subscribers[c]);
    return CLM_OK;
}

/* The high half of the rank key of a positive-gain candidate: the rank
 * key is this above the 32-bit candidate index, so ascending keys are
 * descending gain/cost, then ascending index.  The quotient is > 0
 * (possibly +inf or a denormal), so its IEEE bits order like its value.
 * The low half is never stored: records are made in index order and every
 * radix pass is stable, so their order is already that of the index. */
static inline uint32_t rank_key(float gain, float cost)
{
    float ratio = gain / cost;
    uint32_t bits;
    memcpy(&bits, &ratio, sizeof bits);
    return ~bits;
}

/* A positive-gain candidate as the sort moves it: its rank key and the
 * figures the walks read, so that no pass has to gather them from the
 * inputs in rank order (random reads cost several times a sequential
 * pass over the whole record). */
typedef struct ranked {
    uint32_t key;              /* the high half of the rank key (see rank_key)      */
    float gain, cost, saves;
    uint32_t cell_high;        /* the cell, with bit 31 set for a high-tier one     */
    int32_t group;             /* cap group (0 without caps)                        */
} ranked;

#define HIGH_BIT 0x80000000u

/* Phase 1 (the first radix pass): checks every candidate, counts
 * the positive-gain ones per block and their low key digits per block,
 * then writes their records to *out (util_alloc_big, m entries; the caller
 * frees it) ordered by the low digit, stably: the offsets run digit-major,
 * block-minor and each block writes in index order.  *m gets their number.
 * The blocks are fixed, so the layout does not depend on the thread count. */
static clm_status first_pass(const alloc_input *in, int capped, int threads, ranked **out, int64_t *m)
{
    int64_t n = in->n, n_blocks = (n + ALLOC_BLOCK - 1) / ALLOC_BLOCK;
    int64_t *bad = malloc((size_t)(n_blocks + 1) * sizeof *bad);
    int64_t *offset = malloc((size_t)(n_blocks + 1) * RADIX_SIZE * sizeof *offset);
    *out = NULL;
    if (!bad || !offset) {
        free(bad);
        free(offset);
        return clm_error(CLM_E_NOMEM, "allocation: no memory for %lld blocks", (long long)n_blocks);
    }
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; b++) {
        int64_t lo = b * ALLOC_BLOCK, hi = lo + util_block_len(n, lo, ALLOC_BLOCK);
        int64_t *count = offset + b * RADIX_SIZE;
        memset(count, 0, RADIX_SIZE * sizeof *count);
        bad[b] = -1;
        for (int64_t i = lo; i < hi; i++) {
            if (candidate_fault(in, capped, i) != FAULT_NONE) {
                bad[b] = i;
                break;
            }
            if (in->gain[i] > 0)
                count[rank_key(in->gain[i], in->cost[i]) & (RADIX_SIZE - 1)]++;
        }
    }
    for (int64_t b = 0; b < n_blocks; b++)
        if (bad[b] >= 0) {
            clm_status st = report_fault(in, bad[b], candidate_fault(in, capped, bad[b]));
            free(bad);
            free(offset);
            return st;
        }
    free(bad);
    int64_t sum = 0;
    for (int d = 0; d < RADIX_SIZE; d++)
        for (int64_t b = 0; b < n_blocks; b++) {
            int64_t c = offset[b * RADIX_SIZE + d];
            offset[b * RADIX_SIZE + d] = sum;
            sum += c;
        }
    *m = sum;
    ranked *dst = *out = util_alloc_big((size_t)(sum > 0 ? sum : 1) * sizeof *dst);
    if (!dst) {
        free(offset);
        return clm_error(CLM_E_NOMEM, "allocation: no memory for %lld candidates", (long long)sum);
    }
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; b++) {
        int64_t lo = b * ALLOC_BLOCK, hi = lo + util_block_len(n, lo, ALLOC_BLOCK);
        int64_t *at = offset + b * RADIX_SIZE;
        for (int64_t i = lo; i < hi; i++)
            if (in->gain[i] > 0) {
                uint32_t key = rank_key(in->gain[i], in->cost[i]);
                dst[at[key & (RADIX_SIZE - 1)]++] =
                    (ranked){key,
                             in->gain[i],
                             in->cost[i],
                             in->saves[i],
                             (uint32_t)in->cell[i] | (in->high[i] ? HIGH_BIT : 0),
                             capped ? in->cap_group[i] : 0};
            }
    }
    free(offset);
    return CLM_OK;
}

/* A radix pass after the first: moves src[0..m) to dst ordered by the
 * digit of the key at `shift`, stably.  Each thread counts and scatters its
 * own contiguous chunk; the offsets run digit-major, chunk-minor.  `hist`
 * holds threads * RADIX_SIZE counters.  Returns 0 without touching dst
 * when every key has the same digit (src is then in order already), 1
 * when dst holds the result. */
static int later_pass(const ranked *src, ranked *dst, int64_t m, int shift, int threads, int64_t *hist)
{
    int moved = 0;
#pragma omp parallel num_threads(threads)
    {
#ifdef _OPENMP
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
        int t = 0, nt = 1;
#endif
        int64_t lo = m * t / nt, hi = m * (t + 1) / nt;
        int64_t *mine = hist + (int64_t)t * RADIX_SIZE;
        memset(mine, 0, RADIX_SIZE * sizeof *mine);
        for (int64_t i = lo; i < hi; i++)
            mine[(src[i].key >> shift) & (RADIX_SIZE - 1)]++;
#pragma omp barrier
#pragma omp single
        {
            int64_t sum = 0, d0 = m > 0 ? (int64_t)((src[0].key >> shift) & (RADIX_SIZE - 1)) : 0, same = 0;
            for (int u = 0; u < nt; u++)
                same += hist[(int64_t)u * RADIX_SIZE + d0];
            moved = same != m;
            for (int d = 0; d < RADIX_SIZE; d++)
                for (int u = 0; u < nt; u++) {
                    int64_t c = hist[(int64_t)u * RADIX_SIZE + d];
                    hist[(int64_t)u * RADIX_SIZE + d] = sum;
                    sum += c;
                }
        }
        if (moved)
            for (int64_t i = lo; i < hi; i++)
                dst[mine[(src[i].key >> shift) & (RADIX_SIZE - 1)]++] = src[i];
    }
    return moved;
}

/* Takes candidate c as far as *left (its pool's budget left) and *cap (its
 * group's cap left; NULL: none) allow, into its cell of cells[].  Returns
 * 1 when it was taken (in part or whole).  take <= *left, so a budget
 * left never drops below 0. */
static inline int take_one(const ranked *c, double *left, double *cap, alloc_cell *cells)
{
    double cost = (double)c->cost, take = cost;
    if (take > *left)
        take = *left;
    if (cap && take > *cap)
        take = *cap;
    if (!(take > 0))
        return 0;
    double fraction = take == cost ? 1.0 : take / cost;
    alloc_cell *out = &cells[c->cell_high & ~HIGH_BIT];
    out->spend += take;
    out->contacted += fraction;
    out->saves += fraction * (double)c->saves;
    out->net_gain += fraction * (double)c->gain;
    *left -= take;
    if (cap)
        *cap -= take;
    return 1;
}

/* One policy's walk over the ranked candidates.  pool[] holds the budget
 * left of each pool: one pool, or one per cell when per_cell; cap_left[]
 * the cap left of each group (NULL: no caps).  Accumulates into cells[]
 * (zeroed by the caller); *last gets the rank of the last candidate taken,
 * or -1.  A single pool's budget lives in a register and ends the walk
 * when spent; per-cell pools end it when every one is spent. */
static void walk(const ranked *r, int64_t m, int per_cell, int high_only, double *pool, int32_t n_pools,
                 double *cap_left, alloc_cell *cells, int64_t *last)
{
    *last = -1;
    if (!per_cell) {
        double left = pool[0];
        for (int64_t k = 0; k < m && left > 0; k++)
            if ((!high_only || (r[k].cell_high & HIGH_BIT)) &&
                take_one(&r[k], &left, cap_left ? &cap_left[r[k].group] : NULL, cells))
                *last = k;
        pool[0] = left;
        return;
    }
    int32_t live = 0;
    for (int32_t p = 0; p < n_pools; p++)
        live += pool[p] > 0;
    for (int64_t k = 0; k < m && live > 0; k++) {
        if (high_only && !(r[k].cell_high & HIGH_BIT))
            continue;
        double *left = &pool[r[k].cell_high & ~HIGH_BIT];
        if (take_one(&r[k], left, cap_left ? &cap_left[r[k].group] : NULL, cells)) {
            live -= !(*left > 0);
            *last = k;
        }
    }
}

void alloc_result_free(alloc_result *r)
{
    if (!r)
        return;
    for (int p = 0; p < ALLOC_N_POLICIES; p++)
        free(r->cells[p]);
    memset(r, 0, sizeof *r);
    r->threshold = NAN;
}

/* Phase 3: the budget pools and cap lefts of each policy, then the three
 * walks side by side. */
static clm_status run_policies(const alloc_input *in, int capped, int threads, const ranked *r, int64_t m,
                               alloc_result *out)
{
    int32_t n_cells = in->n_cells, n_groups = capped ? in->n_cap_groups : 0;
    int32_t n_pools[ALLOC_N_POLICIES] = {1, n_cells, 1};
    double *pool[ALLOC_N_POLICIES] = {0}, *cap_left[ALLOC_N_POLICIES] = {0};
    clm_status st = CLM_OK;
    for (int p = 0; p < ALLOC_N_POLICIES && !st; p++) {
        pool[p] = malloc((size_t)(n_pools[p] > 0 ? n_pools[p] : 1) * sizeof(double));
        if (capped)
            cap_left[p] = malloc((size_t)(n_groups > 0 ? n_groups : 1) * sizeof(double));
        if (!pool[p] || (capped && !cap_left[p]))
            st = clm_error(CLM_E_NOMEM, "allocation: no memory for %d cells", (int)n_cells);
    }
    if (!st) {
        pool[ALLOC_OPTIMISED][0] = pool[ALLOC_HIGH_TIER][0] = in->total;
        double subscribers = 0;
        for (int32_t c = 0; c < n_cells; c++)
            subscribers += (double)in->cell_subscribers[c];
        /* A cell without subscribers gets nothing, even of an infinite budget. */
        for (int32_t c = 0; c < n_cells; c++)
            pool[ALLOC_PROPORTIONAL][c] =
                in->cell_subscribers[c] > 0 ? in->total * ((double)in->cell_subscribers[c] / subscribers) : 0.0;
        for (int p = 0; p < ALLOC_N_POLICIES && capped; p++)
            memcpy(cap_left[p], in->cap, (size_t)n_groups * sizeof(double));
        int64_t last[ALLOC_N_POLICIES];
#pragma omp parallel for num_threads(threads < ALLOC_N_POLICIES ? threads : ALLOC_N_POLICIES) schedule(dynamic, 1)
        for (int p = 0; p < ALLOC_N_POLICIES; p++)
            walk(r, m, p == ALLOC_PROPORTIONAL, p == ALLOC_HIGH_TIER, pool[p], n_pools[p], cap_left[p],
                 out->cells[p], &last[p]);
        for (int p = 0; p < ALLOC_N_POLICIES; p++)
            for (int32_t c = 0; c < n_cells; c++) {
                out->total[p].spend += out->cells[p][c].spend;
                out->total[p].contacted += out->cells[p][c].contacted;
                out->total[p].saves += out->cells[p][c].saves;
                out->total[p].net_gain += out->cells[p][c].net_gain;
            }
        const ranked *t = last[ALLOC_OPTIMISED] >= 0 ? &r[last[ALLOC_OPTIMISED]] : NULL;
        out->threshold = t ? (double)t->gain / (double)t->cost : NAN;
    }
    for (int p = 0; p < ALLOC_N_POLICIES; p++) {
        free(pool[p]);
        free(cap_left[p]);
    }
    return st;
}

clm_status alloc_solve(const alloc_input *in, alloc_result *out)
{
    memset(out, 0, sizeof *out);
    out->threshold = NAN;
    int capped = in->cap_group && in->cap;
    clm_status st = check_settings(in, capped);
    if (st)
        return st;
    int threads = util_threads(in->n_threads);
    out->n_cells = in->n_cells;
    for (int p = 0; p < ALLOC_N_POLICIES; p++)
        if (!(out->cells[p] = calloc((size_t)(in->n_cells > 0 ? in->n_cells : 1), sizeof(alloc_cell)))) {
            alloc_result_free(out);
            return clm_error(CLM_E_NOMEM, "allocation: no memory for %d cells", (int)in->n_cells);
        }
    ranked *keys = NULL, *tmp = NULL;
    int64_t *hist = NULL;
    int64_t m = 0;
    st = first_pass(in, capped, threads, &keys, &m);
    if (!st) {
        tmp = util_alloc_big((size_t)(m > 0 ? m : 1) * sizeof *tmp);
        hist = malloc((size_t)threads * RADIX_SIZE * sizeof *hist);
        if (!tmp || !hist)
            st = clm_error(CLM_E_NOMEM, "allocation: no memory to sort %lld candidates", (long long)m);
    }
    if (!st) {
        for (int shift = RADIX_BITS; shift < 32; shift += RADIX_BITS)
            if (later_pass(keys, tmp, m, shift, threads, hist)) {
                ranked *swap = keys;
                keys = tmp;
                tmp = swap;
            }
        free(tmp);
        tmp = NULL;
        st = run_policies(in, capped, threads, keys, m, out);
    }
    free(keys);
    free(tmp);
    free(hist);
    if (st)
        alloc_result_free(out);
    return st;
}

/*
 * cox_concordance.c — Harrell's C of the fitted linear predictor, within
 * strata, counted exactly in O(N log T) after one sort of the predictor.
 *
 * A pair (i, j) of one stratum is comparable when i had the event at t_i
 * and j was still there after it: t_j > t_i, or t_j = t_i and j censored
 * (a censoring at an event's time is taken to come after it, as in the
 * Kaplan–Meier estimate and R's concordance).  It is concordant when
 * lp_i > lp_j (the one who left sooner had the higher risk), tied when
 * lp_i = lp_j.  C = (concordant + tied / 2) / comparable pairs.
 *
 * Rows are taken in increasing lp (a radix sort of the predictor with
 * its cell beside it); a Fenwick tree per stratum over the time index
 * counts the rows already taken (smaller lp) at each time, and a plain
 * array the censored ones, so each event's concordant count is a suffix
 * sum and a point value.  Rows of equal lp are queried before and after
 * they are added, which gives the ties.
 *
 * The radix sort is written here because nothing in Debian sorts keys
 * with a payload in C; qsort of 10^7 pairs is several times slower.
 *
 * On several ranks no rank sees every row.  The count of a row depends
 * only on how many rows of smaller (or equal) lp there are at each
 * (stratum, time), and on nothing else about them, so the lp range can
 * be cut among the ranks: rank r counts the rows of its range, starting
 * its Fenwick trees from the histogram of the rows of every lower range
 * (the ranks before it).  R - 1 splitter keys, evenly spaced in a sample
 * of every rank's keys, cut the range; equal keys always fall into one
 * range, so a group of equal lp is summed whole.  The splitters decide
 * only how many rows each rank counts, never the counts: each
 * (key, cell) pair goes to the rank of its range (one all-to-all, 16
 * bytes a row in all), the ranks exchange their (stratum, time)
 * histograms (R x S x T x 16 bytes), and the concordant, discordant and
 * tied counts are int64 sums, added exactly over the ranks.  C, their
 * ratio, has the serial run's bits for any rank count, and a rank holds
 * its own rows' pairs and then its range's, never every row's
 * (docs/scaling.md).  One rank is the same path with no splitter.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "cox/cox_internal.h"

typedef struct keyed {
    uint64_t key;              /* the order-preserving bits of lp */
    int64_t cell;
} keyed;

/* Maps a double to an unsigned integer of the same order (-0 = +0). */
static uint64_t order_bits(double v)
{
    if (v == 0.0)
        v = 0.0;
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return (b & 0x8000000000000000ULL) ? ~b : b | 0x8000000000000000ULL;
}

/* LSD radix sort on 16-bit digits; `tmp` has n entries. */
static void radix_sort(keyed *a, keyed *tmp, int64_t n, int64_t *count)
{
    if (n < 2)
        return; /* a rank's range may hold no row */
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (int64_t i = 0; i < n; i++)
            count[(a[i].key >> shift) & 0xffff]++;
        if (count[(a[0].key >> shift) & 0xffff] == n)
            continue; /* one digit value: this pass would not move anything */
        int64_t sum = 0;
        for (int d = 0; d < 65536; d++) {
            int64_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (int64_t i = 0; i < n; i++)
            tmp[count[(a[i].key >> shift) & 0xffff]++] = a[i];
        memcpy(a, tmp, (size_t)n * sizeof *a);
    }
}

/* Fenwick tree over n_times entries: add at t, sum over (t, n_times). */
static void fw_add(int64_t *tree, int64_t n, int64_t t, int64_t v)
{
    for (int64_t i = t + 1; i <= n; i += i & -i)
        tree[i - 1] += v;
}

static int64_t fw_prefix(const int64_t *tree, int64_t t) /* sum over [0, t] */
{
    int64_t s = 0;
    for (int64_t i = t + 1; i > 0; i -= i & -i)
        s += tree[i - 1];
    return s;
}

/* Builds the Fenwick tree over n entries in place from the plain counts
 * (O(n)): each node adds itself into its parent. */
static void fw_build(int64_t *tree, int64_t n)
{
    for (int64_t i = 1; i <= n; i++) {
        const int64_t up = i + (i & -i);
        if (up <= n)
            tree[up - 1] += tree[i - 1];
    }
}

/* Keys each rank offers for the splitters: a few per cent of balance
 * between the ranks' ranges, 8 KB a rank to gather. */
#define SAMPLE_KEYS 1024

static int compare_keys(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The rank whose range holds `key`: the number of splitters < key (rank
 * r holds the keys in (split[r - 1], split[r]]), so that equal keys
 * always go to one rank and ranges follow rank order. */
static int owner_of(uint64_t key, const uint64_t *split, int n_split)
{
    int lo = 0, hi = n_split;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (split[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* n_split splitters from the m sorted keys, at evenly spaced places;
 * where one would equal the splitter before (a value holding more than
 * a rank's share of the rows), the next larger key instead, so that the
 * rows of a common value fill one rank and the others share the rest
 * (rather than all going to one rank).  Only the balance depends on it. */
static void pick_evenly(const uint64_t *keys, size_t m, uint64_t *split, int n_split)
{
    size_t j = 0;
    for (int r = 0; r < n_split; r++) {
        const size_t even = (size_t)(r + 1) * m / (size_t)(n_split + 1);
        j = even > j ? even : j;
        while (r > 0 && j + 1 < m && keys[j] <= split[r - 1])
            j++;
        split[r] = keys[j];
    }
}

/* The size - 1 splitters (*split, free it; none on one rank or without
 * rows): every rank's keys at evenly spaced rows (the rows are in cell
 * order, not lp order, so these are a spread sample), gathered, sorted,
 * and picked by pick_evenly. */
static clm_status pick_splitters(const cox_design *d, const double *lp, uint64_t **split,
                                 int *n_split)
{
    *split = NULL;
    *n_split = 0;
    if (!comm_is_parallel(d->comm))
        return CLM_OK;
    const int64_t n = d->n_local, k = n < SAMPLE_KEYS ? n : SAMPLE_KEYS;
    uint64_t *sample = malloc((size_t)(k > 0 ? k : 1) * sizeof *sample);
    clm_status st = sample ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t j = 0; sample && j < k; j++)
        sample[j] = order_bits(lp[(2 * j + 1) * n / (2 * k)]);
    st = comm_agree(d->comm, st);
    void *all = NULL;
    size_t bytes = 0;
    if (!st)
        st = comm_allgather_bytes(d->comm, sample, (size_t)k * sizeof *sample, &all, &bytes);
    free(sample);
    const size_t m = bytes / sizeof(uint64_t);
    const int size = d->comm->size;
    uint64_t *keys = all, *out = NULL;
    if (!st && m > 0) {
        qsort(keys, m, sizeof *keys, compare_keys);
        out = malloc(sizeof *out * (size_t)(size - 1));
        st = out ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
        if (out)
            pick_evenly(keys, m, out, size - 1);
    }
    free(all);
    st = comm_agree(d->comm, st);
    if (st) {
        free(out);
        return st;
    }
    *split = out;
    *n_split = out ? size - 1 : 0;
    return CLM_OK;
}

/* This rank's rows as (key, cell) pairs, grouped by the rank of their
 * range, sent there: *mine (free it) gets the n_mine pairs of this
 * rank's range, from every rank. */
static clm_status send_to_owners(const cox_design *d, const double *lp, const uint64_t *split,
                                 int n_split, keyed **mine, int64_t *n_mine)
{
    const int size = d->comm ? d->comm->size : 1;
    const int64_t n = d->n_local;
    /* Per rank: its next slot in `send` (size + 1), then its count. */
    int64_t *next = calloc(2 * (size_t)size + 1, sizeof *next);
    keyed *send = util_alloc_big((size_t)(n > 0 ? n : 1) * sizeof *send);
    clm_status st = next && send ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    int64_t *send_n = next ? next + size + 1 : NULL;
    for (int64_t c = 0; !st && c < d->n_cells; c++)
        for (int64_t i = d->cells[c].row0; i < d->cells[c].row0 + d->cells[c].n; i++)
            next[owner_of(order_bits(lp[i]), split, n_split) + 1]++;
    for (int r = 0; !st && r < size; r++) {
        send_n[r] = next[r + 1];
        next[r + 1] += next[r];
    }
    for (int64_t c = 0; !st && c < d->n_cells; c++) {
        for (int64_t i = d->cells[c].row0; i < d->cells[c].row0 + d->cells[c].n; i++) {
            const uint64_t key = order_bits(lp[i]);
            send[next[owner_of(key, split, n_split)]++] = (keyed){key, c};
        }
    }
    st = comm_agree(d->comm, st);
    void *got = NULL;
    if (!st)
        st = comm_exchange_rows(d->comm, send, send_n, sizeof *send, &got, n_mine);
    free(send);
    free(next);
    *mine = got;
    return st;
}

/* The concordant, discordant and tied pairs whose event row is one of
 * the n rows at `a` (this rank's range of lp). */
static clm_status count_range(const cox_design *d, keyed *a, int64_t n, int64_t counts[3]);

clm_status cox_concordance(const cox_design *d, const double *lp, double *out)
{
    uint64_t *split = NULL;
    int n_split = 0;
    clm_status st = pick_splitters(d, lp, &split, &n_split);
    keyed *mine = NULL;
    int64_t n_mine = 0;
    if (!st)
        st = send_to_owners(d, lp, split, n_split, &mine, &n_mine);
    free(split);
    int64_t counts[3] = {0, 0, 0}; /* concordant, discordant, tied */
    if (!st)
        st = count_range(d, mine, n_mine, counts);
    free(mine);
    if (!st)
        st = comm_sum_i64(d->comm, counts, 3);
    if (st)
        return st;
    /* Exact integers below 2^53 as doubles: the serial run's C. */
    const int64_t pairs = counts[0] + counts[1] + counts[2];
    *out = pairs > 0 ? ((double)counts[0] + 0.5 * (double)counts[2]) / (double)pairs : NAN;
    return CLM_OK;
}

/* The Fenwick trees and censored counts at the start of this rank's
 * range: the rows of every lower range, from the ranks' histograms of
 * their own rows by (stratum, time) (all rows, then censored ones). */
static clm_status start_of_range(const cox_design *d, const keyed *a, int64_t n, int64_t *tree,
                                 int64_t *cens)
{
    const int64_t T = d->n_times, ST = (int64_t)d->n_strata * T;
    int64_t *hist = calloc((size_t)(2 * ST), sizeof *hist);
    clm_status st = comm_agree(d->comm, hist ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory"));
    for (int64_t i = 0; !st && i < n; i++) {
        const cox_cell *cell = &d->cells[a[i].cell];
        hist[cell->stratum * T + cell->time]++;
        if (!cell->event)
            hist[ST + cell->stratum * T + cell->time]++;
    }
    void *all = NULL;
    size_t bytes = 0;
    if (!st)
        st = comm_allgather_bytes(d->comm, hist, (size_t)(2 * ST) * sizeof *hist, &all, &bytes);
    free(hist);
    const int rank = d->comm ? d->comm->rank : 0;
    for (int r = 0; !st && r < rank; r++) {
        const int64_t *h = (const int64_t *)all + (size_t)r * 2 * (size_t)ST;
        for (int64_t j = 0; j < ST; j++) {
            tree[j] += h[j];
            cens[j] += h[ST + j];
        }
    }
    for (int64_t s = 0; !st && s < d->n_strata; s++)
        fw_build(tree + s * T, T);
    free(all);
    return st;
}

static clm_status count_range(const cox_design *d, keyed *a, int64_t n, int64_t counts[3])
{
    const int64_t T = d->n_times, S = d->n_strata;
    keyed *tmp = util_alloc_big((size_t)(n > 0 ? n : 1) * sizeof *tmp);
    int64_t *count = malloc(65536 * sizeof *count);
    int64_t *tree = calloc((size_t)(S * T), sizeof *tree);   /* all rows taken, by time */
    int64_t *cens = calloc((size_t)(S * T), sizeof *cens);   /* censored rows taken     */
    int64_t *total = calloc((size_t)(S * T), sizeof *total); /* all rows, by time       */
    int64_t *total_cens = calloc((size_t)(S * T), sizeof *total_cens);
    clm_status st = tmp && count && tree && cens && total && total_cens
                        ? CLM_OK
                        : clm_error(CLM_E_NOMEM, "out of memory");
    st = comm_agree(d->comm, st);
    if (!st)
        st = start_of_range(d, a, n, tree, cens);
    if (st)
        goto done;
    for (int64_t c = 0; c < d->n_cells; c++) {
        const cox_cell *cell = &d->cells[c];
        total[cell->stratum * T + cell->time] += cell->all;
        if (!cell->event)
            total_cens[cell->stratum * T + cell->time] += cell->all;
    }
    /* Suffix sums of the totals: rows of the stratum after each time. */
    for (int64_t s = 0; s < S; s++) {
        int64_t after = 0;
        for (int64_t t = T - 1; t >= 0; t--) {
            int64_t here = total[s * T + t];
            total[s * T + t] = after;
            after += here;
        }
    }
    radix_sort(a, tmp, n, count);
    free(tmp);
    tmp = NULL;
    /* Per group of equal lp only the sums matter: the events' counts of
     * smaller lp before the group is added, and of smaller-or-equal after. */
    int64_t concordant = 0, discordant = 0, tied = 0;
    for (int64_t g = 0; g < n;) {
        int64_t end = g + 1;
        while (end < n && a[end].key == a[g].key)
            end++;
        int64_t less = 0, leq = 0, comparable = 0;
        for (int64_t i = g; i < end; i++) {
            const cox_cell *cell = &d->cells[a[i].cell];
            if (!cell->event)
                continue;
            const int64_t *tr = tree + cell->stratum * T, at = cell->stratum * T + cell->time;
            less += fw_prefix(tr, T - 1) - fw_prefix(tr, cell->time) + cens[at];
            comparable += total[at] + total_cens[at];
        }
        for (int64_t i = g; i < end; i++) {
            const cox_cell *cell = &d->cells[a[i].cell];
            fw_add(tree + cell->stratum * T, T, cell->time, 1);
            if (!cell->event)
                cens[cell->stratum * T + cell->time]++;
        }
        for (int64_t i = g; i < end; i++) {
            const cox_cell *cell = &d->cells[a[i].cell];
            if (!cell->event)
                continue;
            const int64_t *tr = tree + cell->stratum * T, at = cell->stratum * T + cell->time;
            leq += fw_prefix(tr, T - 1) - fw_prefix(tr, cell->time) + cens[at];
        }
        concordant += less;
        tied += leq - less;
        discordant += comparable - leq;
        g = end;
    }
    counts[0] = concordant;
    counts[1] = discordant;
    counts[2] = tied;
done:
    free(tmp);
    free(count);
    free(tree);
    free(cens);
    free(total);
    free(total_cens);
    return st;
}

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
 * The counts do not depend on the order the rows come in (a group of
 * equal lp is summed whole), so on several ranks rank 0 gathers every
 * rank's (key, cell) pairs in rank order and counts them: 16 bytes a row
 * on rank 0 (docs/scaling.md), one double back to every rank.
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

/* The pairs of the n rows at `a` (every row of the table). */
static clm_status count_pairs(const cox_design *d, keyed *a, int64_t n, double *out);

clm_status cox_concordance(const cox_design *d, const double *lp, double *out)
{
    const int root = !d->comm || d->comm->rank == 0;
    const int64_t n = root ? d->n_rows : d->n_local;
    keyed *a = util_alloc_big((size_t)(n > 0 ? n : 1) * sizeof *a);
    clm_status st = a ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t c = 0; a && c < d->n_cells; c++) {
        const cox_cell *cell = &d->cells[c];
        for (int64_t i = cell->row0; i < cell->row0 + cell->n; i++) {
            a[i].key = order_bits(lp[i]);
            a[i].cell = c;
        }
    }
    st = comm_agree(d->comm, st);
    if (!st)
        st = comm_gather_rows(d->comm, a, d->n_local, sizeof *a, root ? a : NULL, d->n_rows);
    if (!st && root)
        st = count_pairs(d, a, n, out);
    free(a);
    st = comm_agree(d->comm, st);
    return st ? st : comm_bcast(d->comm, out, sizeof *out, 0);
}

static clm_status count_pairs(const cox_design *d, keyed *a, int64_t n, double *out)
{
    const int64_t T = d->n_times, S = d->n_strata;
    keyed *tmp = util_alloc_big((size_t)n * sizeof *tmp);
    int64_t *count = malloc(65536 * sizeof *count);
    int64_t *tree = calloc((size_t)(S * T), sizeof *tree);   /* all rows taken, by time */
    int64_t *cens = calloc((size_t)(S * T), sizeof *cens);   /* censored rows taken     */
    int64_t *total = calloc((size_t)(S * T), sizeof *total); /* all rows, by time       */
    int64_t *total_cens = calloc((size_t)(S * T), sizeof *total_cens);
    clm_status st = CLM_OK;
    if (!tmp || !count || !tree || !cens || !total || !total_cens) {
        st = clm_error(CLM_E_NOMEM, "out of memory");
        goto done;
    }
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
    double concordant = 0, discordant = 0, tied = 0;
    for (int64_t g = 0; g < n;) {
        int64_t end = g + 1;
        while (end < n && a[end].key == a[g].key)
            end++;
        double less = 0, leq = 0, comparable = 0;
        for (int64_t i = g; i < end; i++) {
            const cox_cell *cell = &d->cells[a[i].cell];
            if (!cell->event)
                continue;
            const int64_t *tr = tree + cell->stratum * T, at = cell->stratum * T + cell->time;
            less += (double)(fw_prefix(tr, T - 1) - fw_prefix(tr, cell->time) + cens[at]);
            comparable += (double)(total[at] + total_cens[at]);
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
            leq += (double)(fw_prefix(tr, T - 1) - fw_prefix(tr, cell->time) + cens[at]);
        }
        concordant += less;
        tied += leq - less;
        discordant += comparable - leq;
        g = end;
    }
    {
        double pairs = concordant + discordant + tied;
        *out = pairs > 0 ? (concordant + 0.5 * tied) / pairs : NAN;
    }
done:
    free(tmp);
    free(count);
    free(tree);
    free(cens);
    free(total);
    free(total_cens);
    return st;
}

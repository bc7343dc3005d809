/*
 * project.c — one evaluation over the book: the baseline, or levers
 * acting together.
 *
 * Active subscriber i, at tenure tau in stratum s with relative hazard r,
 * has the baseline increments a_k = H_s(tau + k) - H_s(tau) and the
 * conditional survival q_k = exp(-r a_k), k = 1..h.  A lever that acts in
 * month k multiplies that month's hazard by rho_k (so the increments
 * become A'_k = sum_{j<=k} rho_j (a_j - a_{j-1})) and the month's ARPU by
 * (1 + change); with take-up p each lever is accepted independently, so a
 * row reached by L levers is the mixture of its 2^L acceptance states,
 * each with its own exponentials (one call of the expneg kernel).  Rows
 * no lever reaches are the baseline: an evaluation only visits the rows
 * and cohorts its levers reach, and adds their changes to the baseline.
 *
 * Sums: per chunk of BOOK_CHUNK rows of one branch, in a window of chunks
 * computed in parallel and then added in chunk order, so every figure is
 * the same for any thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "strategy/strategy_internal.h"

/* Chunks computed in parallel before being added (bounds the partials). */
#define PROJ_WINDOW 2048

/* A chunk's sums: the counts and cost, then two curves over months
 * 0..h: expected active and revenue (the baseline's own, or a scenario's
 * changes).  The figures of a group follow from its curves (add_part), so
 * a row only adds vectors. */
enum { P_TARGETED, P_ACCEPTING, P_COST, P_SCALARS };

/* Doubles of a chunk's sums, rounded up to whole 64-byte cache lines: the
 * threads write neighbouring chunks' sums row after row, and two of them
 * sharing a line made two threads slower than one. */
static size_t part_len(int h) { return (P_SCALARS + 2 * (size_t)(h + 1) + 7) & ~(size_t)7; }

/* Memory on 64-byte lines for per-thread or per-chunk buffers. */
static void *alloc_lines(size_t bytes) { return aligned_alloc(64, (bytes + 63) & ~(size_t)63); }

clm_status proj_alloc(proj_out *o, int32_t nb, int32_t h)
{
    memset(o, 0, sizeof *o);
    o->n_branches = nb;
    o->branch = calloc((size_t)nb, sizeof *o->branch);
    o->active = calloc((size_t)h + 1, sizeof *o->active);
    o->revenue = calloc((size_t)h + 1, sizeof *o->revenue);
    o->branch_gain = calloc((size_t)nb * (size_t)(h + 1), sizeof *o->branch_gain);
    if (!o->branch || !o->active || !o->revenue || !o->branch_gain) {
        proj_release(o);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    return CLM_OK;
}

void proj_release(proj_out *o)
{
    free(o->branch);
    free(o->active);
    free(o->revenue);
    free(o->branch_gain);
    memset(o, 0, sizeof *o);
}

/* Row-acting levers (the cohorts are added apart). */
static int acts_on_rows(clm_lever_kind k)
{
    return k == CLM_LEVER_KIND_RETENTION || k == CLM_LEVER_KIND_UPSELL || k == CLM_LEVER_KIND_RENEWAL ||
           k == CLM_LEVER_KIND_BAD_DEBT;
}

/* The hazard ratio and ARPU factor lever `rt` brings to book row i. */
static void lever_effect(const lever_rt *rt, const clm_book *bk, int64_t i, double *ratio, double *factor)
{
    const plan_lever *l = rt->lever;
    *ratio = l->hazard_ratio;
    *factor = 1.0 + l->arpu_change;
    if (l->kind == CLM_LEVER_KIND_RENEWAL)
        *ratio *= rt->plan_ratio[bk->plan[i]];
    if (l->kind == CLM_LEVER_KIND_BAD_DEBT)
        *factor *= 1.0 + l->recovery;
}

typedef struct row_work {
    float a[1200], ap[1200], q[1200], qs[1200];
    double eq_active[1200], eq_rev[1200];
} row_work;

/* The change one row brings: adds to `part` (a chunk's sums).  `hit`
 * holds the levers reaching the row.  Each acceptance state's hazard
 * ratio and ARPU factor are constant between the months where one of its
 * levers stops acting, so its increments are built segment by segment
 * (A'_k = A'_{k0-1} + rho (a_k - a_{k0-1}) within a segment). */
static void row_change(const clm_book *bk, const lever_rt *const *hit, int n_hit, int64_t i, row_work *w,
                       double *part)
{
    const int h = bk->horizon;
    const float r = (float)bk->r[i];
    const double arpu = bk->arpu[i];
    const float *restrict a = book_increments_of(bk, i, w->a);
    float *restrict q = w->q, *restrict ap = w->ap, *restrict qs = w->qs;
    double *restrict ea = w->eq_active, *restrict er = w->eq_rev;
    bk->kernels->expneg_f32(r, a, h, q);
    double ratio[PLAN_MAX_LEVERS], factor[PLAN_MAX_LEVERS], p[PLAN_MAX_LEVERS];
    int32_t months[PLAN_MAX_LEVERS];
    double none = 1.0, cost = 0.0;
    for (int l = 0; l < n_hit; l++) {
        lever_effect(hit[l], bk, i, &ratio[l], &factor[l]);
        p[l] = hit[l]->lever->take_up;
        months[l] = hit[l]->months;
        none *= 1.0 - p[l];
        const plan_cost *c = &hit[l]->lever->cost;
        cost += c->contact[bk->tier[i]] + p[l] * c->accept;
    }
    double *restrict ca = part + P_SCALARS + 1, *restrict cr = ca + h + 1;
    part[P_TARGETED] += 1.0;
    part[P_ACCEPTING] += 1.0 - none;
    part[P_COST] += cost;
    if (n_hit == 1) {
        /* One lever (the common case): accepting with probability p, the
         * ratio and factor act for its first `months` months. */
        const int m = months[0] < h ? months[0] : h;
        const float rho = (float)ratio[0];
        if (rho == 1.0f) {
            /* An ARPU lever alone (up-sell, bad debt): the survival is the
             * baseline's, so are its exponentials. */
            const double pf = p[0] * (factor[0] - 1.0) * arpu;
            for (int k = 0; k < m; k++)
                cr[k] += pf * q[k];
            return;
        }
        for (int k = 0; k < m; k++)
            ap[k] = rho * a[k];
        /* After the lever stops, A'_k = a_k + (rho - 1) a_{m-1}: the
         * survival runs parallel to the baseline's, q'_k = q_k e^{-r shift},
         * one exponential instead of h - m. */
        bk->kernels->expneg_f32(r, ap, m, qs);
        if (m < h) {
            const double shift = m > 0 ? ((double)rho - 1.0) * a[m - 1] : 0.0;
            const float c = (float)exp(-(double)r * shift);
            for (int k = m; k < h; k++)
                qs[k] = q[k] * c;
        }
        const double pa = p[0], pf = p[0] * factor[0] * arpu, pr = p[0] * arpu;
        for (int k = 0; k < m; k++) {
            ca[k] += pa * ((double)qs[k] - q[k]);
            cr[k] += pf * qs[k] - pr * q[k];
        }
        for (int k = m; k < h; k++) {
            ca[k] += pa * ((double)qs[k] - q[k]);
            cr[k] += pr * ((double)qs[k] - q[k]);
        }
        return;
    }
    /* The state nobody accepts: the baseline, weight `none`. */
    for (int k = 0; k < h; k++) {
        ea[k] = none * q[k];
        er[k] = none * q[k];
    }
    for (unsigned set = 1; set < 1u << n_hit; set++) {
        double weight = 1.0;
        for (int l = 0; l < n_hit; l++)
            weight *= set >> l & 1u ? p[l] : 1.0 - p[l];
        if (weight == 0.0)
            continue;
        /* The segments of the state: [k0, k1) with one ratio and factor. */
        int32_t bounds[PLAN_MAX_LEVERS + 1];
        double rho_seg[PLAN_MAX_LEVERS + 1], f_seg[PLAN_MAX_LEVERS + 1];
        int n_seg = 0;
        for (int k0 = 0; k0 < h;) {
            int k1 = h;
            double rho = 1.0, f = 1.0;
            for (int l = 0; l < n_hit; l++)
                if (set >> l & 1u && months[l] > k0) {
                    rho *= ratio[l];
                    f *= factor[l];
                    k1 = months[l] < k1 ? months[l] : k1;
                }
            bounds[n_seg] = k1;
            rho_seg[n_seg] = rho;
            f_seg[n_seg++] = f;
            k0 = k1;
        }
        float base = 0.0f, a_prev = 0.0f;
        for (int g = 0, k0 = 0; g < n_seg; k0 = bounds[g++]) {
            const float rho = (float)rho_seg[g];
            for (int k = k0; k < bounds[g]; k++)
                ap[k] = base + rho * (a[k] - a_prev);
            base = ap[bounds[g] - 1];
            a_prev = a[bounds[g] - 1];
        }
        bk->kernels->expneg_f32(r, ap, h, qs);
        for (int g = 0, k0 = 0; g < n_seg; k0 = bounds[g++]) {
            const double wf = weight * f_seg[g];
            for (int k = k0; k < bounds[g]; k++) {
                ea[k] += weight * qs[k];
                er[k] += wf * qs[k];
            }
        }
    }
    for (int k = 0; k < h; k++) {
        ca[k] += ea[k] - q[k];
        cr[k] += (er[k] - q[k]) * arpu;
    }
}

/* A baseline row: its own curves. */
static void row_base(const clm_book *bk, int64_t i, row_work *w, double *part)
{
    const int h = bk->horizon;
    const double arpu = bk->arpu[i];
    const float *a = book_increments_of(bk, i, w->a);
    float *restrict q = w->q;
    bk->kernels->expneg_f32((float)bk->r[i], a, h, q);
    double *restrict ca = part + P_SCALARS, *restrict cr = ca + h + 1;
    ca[0] += 1.0;
    cr[0] += arpu;
    for (int k = 0; k < h; k++) {
        ca[k + 1] += q[k];
        cr[k + 1] += q[k] * arpu;
    }
}

/* Adds a chunk's sums to its branch and to the company; the figures come
 * from the chunk's curves. */
static void add_part(const clm_book *bk, proj_out *o, int32_t b, const double *part)
{
    const int h = bk->horizon;
    const double *ca = part + P_SCALARS, *cr = ca + h + 1;
    double rev = 0.0, eq = 0.0;
    for (int k = 1; k <= h; k++) {
        rev += cr[k];
        eq += cr[k] * bk->disc[k];
    }
    proj_sums *s[2] = {&o->branch[b], &o->company};
    for (int g = 0; g < 2; g++) {
        s[g]->targeted += part[P_TARGETED];
        s[g]->accepting += part[P_ACCEPTING];
        s[g]->cost += part[P_COST];
        s[g]->fig.active_3 += ca[3];
        s[g]->fig.active_12 += ca[12];
        s[g]->fig.active_h += ca[h];
        s[g]->fig.revenue += rev;
        s[g]->fig.equity += eq * bk->margin;
    }
    double *bg = o->branch_gain + (size_t)b * (size_t)(h + 1);
    for (int k = 0; k <= h; k++) {
        o->active[k] += ca[k];
        o->revenue[k] += cr[k];
        bg[k] += cr[k] * bk->margin * bk->disc[k];
    }
}

/* The chunks of the book: (branch, first row), built per call (cheap). */
static clm_status chunk_table(const clm_book *bk, int64_t *n_out, int64_t **start, int32_t **branch)
{
    int64_t n = 0;
    for (int32_t b = 0; b < bk->n_branches; b++)
        n += (bk->branch_start[b + 1] - bk->branch_start[b] + BOOK_CHUNK - 1) / BOOK_CHUNK;
    *start = malloc((size_t)(n + 1) * sizeof **start);
    *branch = malloc((size_t)(n + 1) * sizeof **branch);
    if (!*start || !*branch)
        return clm_error(CLM_E_NOMEM, "out of memory");
    int64_t c = 0;
    for (int32_t b = 0; b < bk->n_branches; b++)
        for (int64_t i = bk->branch_start[b]; i < bk->branch_start[b + 1]; i += BOOK_CHUNK) {
            (*start)[c] = i;
            (*branch)[c++] = b;
        }
    *n_out = n;
    return CLM_OK;
}

/* Runs every chunk of the book through `levers` (NULL: the baseline). */
static clm_status pass_rows(const clm_book *bk, const lever_rt *const *levers, int n_levers, int n_threads,
                            proj_out *o)
{
    int64_t n_chunks = 0, *cstart = NULL;
    int32_t *cbranch = NULL;
    clm_status st = chunk_table(bk, &n_chunks, &cstart, &cbranch);
    const size_t len = part_len(bk->horizon);
    const int64_t window = n_chunks < PROJ_WINDOW ? n_chunks : PROJ_WINDOW;
    double *parts = st ? NULL : alloc_lines((size_t)(window > 0 ? window : 1) * len * sizeof *parts);
    row_work *work = st ? NULL : alloc_lines((size_t)n_threads * sizeof *work);
    if (!st && (!parts || !work))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t w0 = 0; !st && w0 < n_chunks; w0 += window) {
        const int64_t w1 = w0 + window < n_chunks ? w0 + window : n_chunks;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
        for (int64_t c = w0; c < w1; c++) {
            row_work *wk = &work[util_thread_id()];
            double *part = parts + (size_t)(c - w0) * len;
            memset(part, 0, len * sizeof *part);
            const int32_t b = cbranch[c];
            const int64_t i1 = cstart[c] + BOOK_CHUNK < bk->branch_start[b + 1] ? cstart[c] + BOOK_CHUNK
                                                                                 : bk->branch_start[b + 1];
            int any = !levers;
            for (int l = 0; l < n_levers && !any; l++)
                any = levers[l]->branch_mask[b];
            for (int64_t i = cstart[c]; any && i < i1; i++) {
                if (!levers) {
                    row_base(bk, i, wk, part);
                    continue;
                }
                const lever_rt *hit[PLAN_MAX_LEVERS];
                int n_hit = 0;
                for (int l = 0; l < n_levers; l++)
                    if (lever_reaches(levers[l], bk, b, i))
                        hit[n_hit++] = levers[l];
                if (n_hit)
                    row_change(bk, hit, n_hit, i, wk, part);
            }
        }
        for (int64_t c = w0; c < w1; c++)
            add_part(bk, o, cbranch[c], parts + (size_t)(c - w0) * len);
    }
    free(parts);
    free(work);
    free(cstart);
    free(cbranch);
    return st;
}

clm_status proj_baseline(const clm_book *bk, int n_threads, proj_out *base)
{
    return pass_rows(bk, NULL, 0, util_threads(n_threads), base);
}

/* Curves of a cohort that arrives `per_month` strong at the start of
 * months 1..months: active[k] = sum_j per_month S(k - j + 1). */
static void add_cohort(const clm_book *bk, proj_out *o, int32_t b, const double *surv, double arpu,
                       double per_month, int32_t months, double cost_each)
{
    const int h = bk->horizon;
    double part[P_SCALARS + 2 * 1201];
    memset(part, 0, part_len(h) * sizeof *part);
    double *ca = part + P_SCALARS, *cr = ca + h + 1;
    for (int k = 1; k <= h; k++) {
        double a = 0.0;
        for (int j = 1; j <= k && j <= months; j++)
            a += per_month * surv[k - j + 1];
        ca[k] = a;
        cr[k] = a * arpu;
    }
    part[P_ACCEPTING] = per_month * (months < h ? months : h);
    part[P_COST] = part[P_ACCEPTING] * cost_each;
    add_part(bk, o, b, part);
}

/* New subscribers: per reached branch, new_per_month for the lever's
 * months, with the survival and ARPU of the branch's recent joiners. */
static clm_status acquisition(const clm_book *bk, const lever_rt *rt, proj_out *o)
{
    const int h = bk->horizon;
    const plan_lever *l = rt->lever;
    for (int32_t b = 0; b < bk->n_branches; b++)
        if (rt->branch_mask[b])
            add_cohort(bk, o, b, bk->join_branch + (size_t)b * (size_t)(h + 1), bk->join_branch_arpu[b],
                       l->new_per_month, rt->months, l->cost.accept);
    return CLM_OK;
}

/* Win-back: a share take_up of the reached churners comes back at the
 * start of month 1 with its segment's survival and ARPU; each reached
 * churner costs its tier's contact cost. */
static clm_status winback(const clm_book *bk, const lever_rt *rt, proj_out *o)
{
    const int h = bk->horizon;
    const int32_t ng = bk->n_segments > 0 ? bk->n_segments : 1;
    const double *prof = bk->join_segment, *arpu = bk->join_segment_arpu;
    double *wins = malloc((size_t)ng * sizeof *wins);
    if (!wins)
        return clm_error(CLM_E_NOMEM, "out of memory");
    const plan_lever *l = rt->lever;
    for (int32_t b = 0; b < bk->n_branches; b++) {
        if (!rt->branch_mask[b])
            continue;
        double contact = 0.0, reached = 0.0;
        memset(wins, 0, (size_t)ng * sizeof *wins);
        for (int64_t j = bk->churn_start[b]; j < bk->churn_start[b + 1]; j++) {
            if (!lever_reaches_churner(rt, bk, b, j))
                continue;
            int32_t g = bk->churn_segment[j] >= 0 && bk->churn_segment[j] < ng ? bk->churn_segment[j] : 0;
            wins[g] += l->take_up;
            reached += 1.0;
            contact += l->cost.contact[bk->churn_tier[j]];
        }
        for (int32_t g = 0; g < ng; g++)
            if (wins[g] > 0)
                add_cohort(bk, o, b, prof + (size_t)g * (size_t)(h + 1), arpu[g], wins[g], 1, l->cost.accept);
        o->branch[b].targeted += reached;
        o->company.targeted += reached;
        o->branch[b].cost += contact;
        o->company.cost += contact;
    }
    free(wins);
    return CLM_OK;
}

clm_status proj_levers(const clm_book *bk, const lever_rt *rts, int n_levers, const proj_out *base,
                       int n_threads, proj_out *o)
{
    const int h = bk->horizon;
    /* Start from the baseline's figures; the passes add the changes. */
    for (int32_t b = 0; b < bk->n_branches; b++) {
        o->branch[b] = base->branch[b];
        o->branch[b].targeted = o->branch[b].accepting = o->branch[b].cost = 0.0;
    }
    o->company = base->company;
    o->company.targeted = o->company.accepting = o->company.cost = 0.0;
    memcpy(o->active, base->active, (size_t)(h + 1) * sizeof *o->active);
    memcpy(o->revenue, base->revenue, (size_t)(h + 1) * sizeof *o->revenue);
    memset(o->branch_gain, 0, (size_t)bk->n_branches * (size_t)(h + 1) * sizeof *o->branch_gain);
    const lever_rt *rows[PLAN_MAX_LEVERS];
    int n_rows = 0;
    for (int l = 0; l < n_levers; l++)
        if (acts_on_rows(rts[l].lever->kind))
            rows[n_rows++] = &rts[l];
    clm_status st = n_rows ? pass_rows(bk, rows, n_rows, util_threads(n_threads), o) : CLM_OK;
    for (int l = 0; !st && l < n_levers; l++) {
        if (rts[l].lever->kind == CLM_LEVER_KIND_ACQUISITION)
            st = acquisition(bk, &rts[l], o);
        else if (rts[l].lever->kind == CLM_LEVER_KIND_WINBACK)
            st = winback(bk, &rts[l], o);
    }
    return st;
}

clm_status proj_row_gains(const clm_book *bk, const lever_rt *rt, int n_threads, float *gain, float *saves12)
{
    const int h = bk->horizon;
    n_threads = util_threads(n_threads);
    row_work *work = alloc_lines((size_t)n_threads * sizeof *work);
    if (!work)
        return clm_error(CLM_E_NOMEM, "out of memory");
    /* The row's change with take-up 1 and no costs: what accepting brings. */
    plan_lever sure = *rt->lever;
    sure.take_up = 1.0;
    memset(&sure.cost, 0, sizeof sure.cost);
    lever_rt one = *rt;
    one.lever = &sure;
    const lever_rt *hit[1] = {&one};
    const size_t len = part_len(h);
    double *parts = alloc_lines((size_t)n_threads * len * sizeof *parts);
    if (!parts) {
        free(work);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    int64_t n_chunks = 0, *cstart = NULL;
    int32_t *cbranch = NULL;
    clm_status st = chunk_table(bk, &n_chunks, &cstart, &cbranch);
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
    for (int64_t c = 0; c < (st ? 0 : n_chunks); c++) {
        const int32_t b = cbranch[c];
        const int64_t i1 = cstart[c] + BOOK_CHUNK < bk->branch_start[b + 1] ? cstart[c] + BOOK_CHUNK
                                                                             : bk->branch_start[b + 1];
        const int t = util_thread_id();
        double *part = parts + (size_t)t * len;
        for (int64_t i = cstart[c]; i < i1; i++) {
            if (!lever_reaches(rt, bk, b, i)) {
                gain[i] = saves12[i] = NAN;
                continue;
            }
            memset(part, 0, len * sizeof *part);
            row_change(bk, hit, 1, i, &work[t], part);
            const double *ca = part + P_SCALARS, *cr = ca + h + 1;
            double eq = 0.0;
            for (int k = 1; k <= h; k++)
                eq += cr[k] * bk->disc[k];
            gain[i] = (float)(eq * bk->margin);
            saves12[i] = (float)ca[12];
        }
    }
    free(cstart);
    free(cbranch);
    free(parts);
    free(work);
    return st;
}

/*
 * book.c — the base a projection starts from: every active subscriber's
 * relative hazard, stratum, tenure and ARPU (from the Cox model's equity
 * pass), tier, stage, segment, plan, risk decile and bad-debt signal,
 * gathered once in branch order; the quarter's churners likewise; and the
 * baseline cumulative hazard of each stratum on a month grid.
 *
 * Branch order (a counting sort, rows of a branch kept in row order) lets
 * every sum be taken per fixed chunk of one branch and added in order, so
 * figures do not depend on the thread count.  Rows without a branch are
 * left out of the book (docs/strategy.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "strategy/strategy_internal.h"

void clm_book_free(clm_book *bk)
{
    if (!bk)
        return;
    for (int32_t b = 0; bk->branch_names && b < bk->n_branches; b++)
        free(bk->branch_names[b]);
    free(bk->branch_names);
    for (int32_t c = 0; bk->plan_names && c < bk->n_plans; c++)
        free(bk->plan_names[c]);
    free(bk->plan_names);
    free(bk->plan_column);
    free(bk->branch_rank);
    free(bk->branch_start);
    free(bk->row);
    free(bk->r);
    free(bk->stratum);
    free(bk->tenure);
    free(bk->arpu);
    free(bk->leave_12);
    free(bk->tier);
    free(bk->stage);
    free(bk->decile);
    free(bk->debt);
    free(bk->attr);
    free(bk->segment);
    free(bk->plan);
    free(bk->churn_start);
    free(bk->churn_tier);
    free(bk->churn_segment);
    free(bk->churn_plan);
    free(bk->churn_arpu);
    free(bk->grid);
    free(bk->tail);
    free(bk->incr);
    free(bk->disc);
    free(bk->join_branch);
    free(bk->join_branch_arpu);
    free(bk->join_segment);
    free(bk->join_segment_arpu);
    clm_cox_free(bk->owned_cox);
    free(bk);
}

int64_t clm_book_n_active(const clm_book *bk) { return bk->n; }

void book_increments(const clm_book *bk, int32_t s, double tau, int h, float *a)
{
    if (tau == floor(tau) && tau + h < (double)bk->grid_len) {
        const double *g = bk->grid + (size_t)s * (size_t)bk->grid_len + (int64_t)tau;
        for (int k = 0; k < h; k++)
            a[k] = (float)(g[k + 1] - g[0]);
        return;
    }
    const double h0 = clm_cox_cumhaz(bk->cox, s, tau);
    for (int k = 0; k < h; k++)
        a[k] = (float)(clm_cox_cumhaz(bk->cox, s, tau + k + 1) - h0);
}

/* Health ranks: 1 = healthiest, ties in branch order (the order of
 * branches.csv, run_health_order). */
static clm_status rank_branches(clm_book *bk, const double *health)
{
    const int32_t nb = bk->n_branches;
    bk->branch_rank = malloc((size_t)nb * sizeof *bk->branch_rank);
    int *order = malloc((size_t)nb * sizeof *order);
    double *key = malloc((size_t)nb * sizeof *key);
    clm_status st = CLM_OK;
    if (!bk->branch_rank || !order || !key)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t b = 0; !st && b < nb; b++)
        key[b] = health && isfinite(health[b]) ? -health[b] : INFINITY; /* unknown: last */
    if (!st && util_order_by_key(key, nb, order))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t r = 0; !st && r < nb; r++)
        bk->branch_rank[order[r]] = r + 1;
    free(order);
    free(key);
    return st;
}

/* Sorts n non-negative floats (by their bits, which order like their
 * values) with an LSD radix sort of two 16-bit digits: O(n), where qsort
 * took a tenth of a projection's time on 10M rows.  `tmp` holds n values,
 * `count` 65536; the result ends in `v` (an even number of passes). */
static void sort_nonneg(uint32_t *v, uint32_t *tmp, int64_t *count, int64_t n)
{
    for (int pass = 0; pass < 2; pass++) {
        const int shift = 16 * pass;
        memset(count, 0, 65536 * sizeof *count);
        for (int64_t i = 0; i < n; i++)
            count[v[i] >> shift & 0xFFFFu]++;
        int64_t at = 0;
        for (int d = 0; d < 65536; d++) {
            const int64_t c = count[d];
            count[d] = at;
            at += c;
        }
        for (int64_t i = 0; i < n; i++)
            tmp[count[v[i] >> shift & 0xFFFFu]++] = v[i];
        uint32_t *t = v;
        v = tmp;
        tmp = t;
    }
}

/* Risk deciles of leave_12 over the active rows: cut j (j = 1..9) is the
 * value at sorted position floor(j n / 10); a row's decile is 1 + the
 * number of cuts strictly below its value (ties go to the lower decile). */
static clm_status assign_deciles(clm_book *bk)
{
    const int64_t n = bk->n;
    float cuts[9];
    if (n == 0)
        return CLM_OK;
    uint32_t *bits = malloc((size_t)n * sizeof *bits), *tmp = malloc((size_t)n * sizeof *tmp);
    int64_t *count = malloc(65536 * sizeof *count);
    if (!bits || !tmp || !count) {
        free(bits);
        free(tmp);
        free(count);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        float v = bk->leave_12[i];
        v = v > 0.0f ? v : 0.0f; /* a probability; NaN (no horizon of 12) cannot occur: checked */
        memcpy(&bits[i], &v, sizeof v);
    }
    sort_nonneg(bits, tmp, count, n);
    free(count);
    for (int j = 1; j <= 9; j++)
        memcpy(&cuts[j - 1], &bits[(int64_t)((double)j * (double)n / 10.0)], sizeof(float));
    free(bits);
    free(tmp);
    for (int64_t i = 0; i < n; i++) {
        uint8_t d = 1;
        for (int j = 0; j < 9; j++)
            d += bk->leave_12[i] > cuts[j];
        bk->decile[i] = d;
    }
    return CLM_OK;
}

static clm_status copy_names(char ***out, const char *const *names, int32_t n)
{
    *out = calloc((size_t)(n > 0 ? n : 1), sizeof **out);
    if (!*out)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t i = 0; i < n; i++)
        if (!((*out)[i] = util_strdup(names[i])))
            return clm_error(CLM_E_NOMEM, "out of memory");
    return CLM_OK;
}

static clm_status build_grid(clm_book *bk, double max_tenure)
{
    bk->n_strata = clm_cox_n_strata(bk->cox);
    bk->grid_len = (int64_t)ceil(max_tenure) + bk->horizon + 2;
    bk->grid = malloc((size_t)bk->n_strata * (size_t)bk->grid_len * sizeof *bk->grid);
    if (!bk->grid)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t s = 0; s < bk->n_strata; s++)
        for (int64_t u = 0; u < bk->grid_len; u++)
            bk->grid[(size_t)s * (size_t)bk->grid_len + (size_t)u] = clm_cox_cumhaz(bk->cox, s, (double)u);
    const int h = bk->horizon;
    bk->n_tau = (int64_t)floor(max_tenure) + 1;
    bk->incr = malloc((size_t)bk->n_strata * (size_t)bk->n_tau * (size_t)h * sizeof *bk->incr);
    if (!bk->incr)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t s = 0; s < bk->n_strata; s++)
        for (int64_t t = 0; t < bk->n_tau; t++)
            book_increments(bk, s, (double)t, h,
                            bk->incr + ((size_t)s * (size_t)bk->n_tau + (size_t)t) * (size_t)h);
    bk->disc = malloc((size_t)(bk->horizon + 1) * sizeof *bk->disc);
    if (!bk->disc)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int k = 0; k <= bk->horizon; k++)
        bk->disc[k] = pow(1.0 + bk->discount, -(double)k / 12.0);
    return CLM_OK;
}

clm_status clm_book_create(const clm_book_source *src, clm_book **out)
{
    *out = NULL;
    const clm_equity *eq = src->equity;
    if (!src->cox || !eq || !src->arpu || !src->churned || !src->branch || !src->tier || !src->stage ||
        src->n_branches < 1)
        return clm_error(CLM_E_PARAM, "book: the model, its equity, ARPU, churn flags, branches, tiers and "
                         "stages are required");
    const int32_t h = src->equity_params.horizon;
    if (h < 12 || h > 1200)
        return clm_error(CLM_E_PARAM, "scenario: horizon %d is not in 12..1200 months", (int)h);
    clm_book *bk = calloc(1, sizeof *bk);
    if (!bk)
        return clm_error(CLM_E_NOMEM, "out of memory");
    const int64_t n_rows = eq->n_rows, nb = src->n_branches;
    bk->n_rows = n_rows;
    bk->n_branches = src->n_branches;
    bk->cox = src->cox;
    bk->horizon = h;
    bk->margin = src->equity_params.margin;
    bk->discount = src->equity_params.discount;
    bk->new_months = src->new_months;
    bk->n_segments = src->segment ? src->n_segments : 0;
    bk->n_plans = src->plan ? src->n_plans : 0;
    bk->kernels = clm_kernels_default();
    clm_status st = copy_names(&bk->branch_names, src->branch_names, src->n_branches);
    if (!st && bk->n_plans) st = copy_names(&bk->plan_names, src->plan_names, bk->n_plans);
    if (!st && src->plan_column && !(bk->plan_column = util_strdup(src->plan_column)))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st) st = rank_branches(bk, src->branch_health);
    /* Counts per branch, then offsets (the counting sort). */
    bk->branch_start = calloc((size_t)nb + 1, sizeof *bk->branch_start);
    bk->churn_start = calloc((size_t)nb + 1, sizeof *bk->churn_start);
    if (!st && (!bk->branch_start || !bk->churn_start))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    double max_tenure = 0.0;
    for (int64_t i = 0; !st && i < n_rows; i++) {
        int32_t b = src->branch[i];
        if (b < 0 || b >= nb)
            continue;
        if (src->churned[i]) {
            bk->churn_start[b + 1]++;
        } else if (isfinite(eq->relative_hazard[i])) {
            bk->branch_start[b + 1]++;
            if (eq->tenure[i] > max_tenure)
                max_tenure = eq->tenure[i];
        }
    }
    for (int64_t b = 0; b < nb; b++) {
        bk->branch_start[b + 1] += bk->branch_start[b];
        bk->churn_start[b + 1] += bk->churn_start[b];
    }
    const int64_t n = st ? 0 : bk->branch_start[nb], nc = st ? 0 : bk->churn_start[nb];
    bk->n = n;
    bk->n_churned = nc;
    const size_t sn = (size_t)(n > 0 ? n : 1), sc = (size_t)(nc > 0 ? nc : 1);
    if (!st) {
        bk->row = malloc(sn * sizeof *bk->row);
        bk->r = malloc(sn * sizeof *bk->r);
        bk->stratum = malloc(sn * sizeof *bk->stratum);
        bk->tenure = malloc(sn * sizeof *bk->tenure);
        bk->arpu = malloc(sn * sizeof *bk->arpu);
        bk->leave_12 = malloc(sn * sizeof *bk->leave_12);
        bk->tier = malloc(sn);
        bk->stage = malloc(sn);
        bk->decile = malloc(sn);
        bk->debt = malloc(sn);
        bk->segment = malloc(sn * sizeof *bk->segment);
        bk->plan = malloc(sn * sizeof *bk->plan);
        bk->churn_tier = malloc(sc);
        bk->churn_segment = malloc(sc * sizeof *bk->churn_segment);
        bk->churn_plan = malloc(sc * sizeof *bk->churn_plan);
        bk->churn_arpu = malloc(sc * sizeof *bk->churn_arpu);
        if (!bk->row || !bk->r || !bk->stratum || !bk->tenure || !bk->arpu || !bk->leave_12 || !bk->tier ||
            !bk->stage || !bk->decile || !bk->debt || !bk->segment || !bk->plan || !bk->churn_tier ||
            !bk->churn_segment || !bk->churn_plan || !bk->churn_arpu)
            st = clm_error(CLM_E_NOMEM, "out of memory");
    }
    int64_t *fill = st ? NULL : malloc(2 * (size_t)nb * sizeof *fill);
    if (!st && !fill)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st) {
        memcpy(fill, bk->branch_start, (size_t)nb * sizeof *fill);
        memcpy(fill + nb, bk->churn_start, (size_t)nb * sizeof *fill);
    }
    for (int64_t i = 0; !st && i < n_rows; i++) {
        int32_t b = src->branch[i];
        if (b < 0 || b >= nb)
            continue;
        const int32_t seg = src->segment ? src->segment[i] : -1;
        const int32_t plan = src->plan ? src->plan[i] : -1;
        const uint8_t tier = src->tier[i] < CLM_N_TIERS ? src->tier[i] : CLM_TIER_LOW;
        if (src->churned[i]) {
            int64_t j = fill[nb + b]++;
            bk->churn_tier[j] = tier;
            bk->churn_segment[j] = seg;
            bk->churn_plan[j] = plan;
            bk->churn_arpu[j] = src->arpu[i];
            continue;
        }
        if (!isfinite(eq->relative_hazard[i]))
            continue;
        int64_t j = fill[b]++;
        bk->row[j] = i;
        bk->r[j] = eq->relative_hazard[i];
        bk->stratum[j] = eq->stratum[i];
        bk->tenure[j] = eq->tenure[i];
        bk->arpu[j] = isfinite(src->arpu[i]) ? src->arpu[i] : 0.0f;
        bk->leave_12[j] = eq->leave_12[i];
        bk->tier[j] = tier;
        bk->stage[j] = src->stage[i];
        bk->debt[j] = src->debt_signal ? src->debt_signal[i] : 0;
        bk->segment[j] = seg;
        bk->plan[j] = plan;
    }
    free(fill);
    if (!st) st = assign_deciles(bk);
    if (!st && !(bk->attr = malloc(sn * sizeof *bk->attr)))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t i = 0; !st && i < n; i++)
        bk->attr[i] = book_attr(bk->tier[i], bk->stage[i] < CLM_N_STAGES ? bk->stage[i] : CLM_STAGE_C,
                                bk->decile[i], bk->debt[i]);
    if (!st) st = build_grid(bk, max_tenure);
    if (!st) {
        const size_t len = (size_t)h + 1, ng = (size_t)(bk->n_segments > 0 ? bk->n_segments : 1);
        bk->join_branch = malloc((size_t)nb * len * sizeof(double));
        bk->join_branch_arpu = malloc((size_t)nb * sizeof(double));
        bk->join_segment = malloc(ng * len * sizeof(double));
        bk->join_segment_arpu = malloc(ng * sizeof(double));
        if (!bk->join_branch || !bk->join_branch_arpu || !bk->join_segment || !bk->join_segment_arpu)
            st = clm_error(CLM_E_NOMEM, "out of memory");
    }
    if (!st) st = cohort_profiles(bk, 0, bk->join_branch, bk->join_branch_arpu);
    if (!st) st = cohort_profiles(bk, bk->n_segments > 0, bk->join_segment, bk->join_segment_arpu);
    if (st) {
        clm_book_free(bk);
        return st;
    }
    *out = bk;
    return CLM_OK;
}

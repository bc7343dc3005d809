/*
 * budget.c — the retention budget: the lever's candidates with the
 * expected gain and spend of contacting each, the cells they fall in
 * (branch x tier x stage by default, or the plan's grouping), the caps,
 * and the split that allocate.c computes for the optimised and the two
 * simple policies.
 *
 * Contacting candidate i costs c_i = contact(tier_i) + p accept and
 * brings g_i = p dE_i - c_i, where dE_i is the equity the lever adds if
 * the subscriber accepts (project.c) and p the take-up; its expected saves
 * are p times the extra probability of being active after 12 months.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "strategy/allocate.h"
#include "strategy/strategy_internal.h"

const char *const clm_budget_policy_names[CLM_N_POLICIES] = {"optimised", "proportional", "high_tier"};

void budget_result_free(clm_budget_result *r)
{
    if (!r)
        return;
    for (int32_t k = 0; r->keys && k < r->n_keys; k++)
        free(r->keys[k]);
    free(r->keys);
    for (int64_t c = 0; r->cell_labels && c < (int64_t)r->n_cells * r->n_keys; c++)
        free(r->cell_labels[c]);
    free(r->cell_labels);
    free(r->cell_subscribers);
    free(r->cell_candidates);
    for (int p = 0; p < CLM_N_POLICIES; p++)
        free(r->cells[p]);
    free(r);
}

enum { KEY_BRANCH, KEY_TIER, KEY_STAGE, KEY_SEGMENT, KEY_PLAN };

static int key_code(const char *name)
{
    static const char *const names[] = {"branch", "tier", "stage", "segment", "plan"};
    for (int k = 0; k < 5; k++)
        if (!strcmp(names[k], name))
            return k;
    return -1;
}

/* Grouping other than the branch: a mixed-radix number over the keys. */
typedef struct cell_keys {
    int n, code[8];
    int64_t size[8];
    int by_branch;
    int64_t rest;                  /* product of the non-branch sizes       */
} cell_keys;

static int64_t rest_id(const cell_keys *ck, const clm_book *bk, int64_t i)
{
    int64_t id = 0;
    for (int k = 0; k < ck->n; k++) {
        int64_t v = 0;
        switch (ck->code[k]) {
        case KEY_TIER: v = bk->tier[i]; break;
        case KEY_STAGE: v = bk->stage[i]; break;
        case KEY_SEGMENT: v = bk->segment[i] + 1; break; /* 0: none */
        case KEY_PLAN: v = bk->plan[i] + 1; break;
        default: continue;
        }
        id = id * ck->size[k] + v;
    }
    return id;
}

static char *label_of(const cell_keys *ck, const clm_book *bk, int k, int32_t b, int64_t rest)
{
    /* Digit k of `rest` (the branch key has no digit). */
    int64_t v = rest;
    for (int j = ck->n - 1; j > k; j--)
        if (ck->code[j] != KEY_BRANCH)
            v /= ck->size[j];
    char buf[64];
    switch (ck->code[k]) {
    case KEY_BRANCH: return util_strdup(bk->branch_names[b]);
    case KEY_TIER: return util_strdup(clm_tier_names[v % ck->size[k]]);
    case KEY_STAGE:
        snprintf(buf, sizeof buf, "%c", 'A' + (int)(v % ck->size[k]));
        return util_strdup(buf);
    case KEY_SEGMENT:
        v %= ck->size[k];
        if (v == 0)
            return util_strdup("none");
        snprintf(buf, sizeof buf, "%lld", (long long)(v - 1));
        return util_strdup(buf);
    default:
        v %= ck->size[k];
        return util_strdup(v == 0 ? "none" : bk->plan_names[v - 1]);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Dense cell numbers for the active rows, in (branch, rest) order.  Only
 * the combinations a branch's rows touch are visited and reset, so many
 * branches times a large grouping cost their rows, not their product. */
static clm_status number_cells(const clm_book *bk, const cell_keys *ck, int32_t *cell, clm_budget_result *r)
{
    const int32_t nb = bk->n_branches, groups = ck->by_branch ? nb : 1;
    int32_t *seen = malloc((size_t)ck->rest * sizeof *seen);
    int64_t *touched = malloc((size_t)ck->rest * sizeof *touched);
    int64_t cap = 64, n = 0;
    int32_t *cb = malloc((size_t)cap * sizeof *cb);
    int64_t *cr = malloc((size_t)cap * sizeof *cr);
    clm_status st = seen && touched && cb && cr ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t v = 0; !st && v < ck->rest; v++)
        seen[v] = -1;
    for (int32_t g = 0; !st && g < groups; g++) {
        const int64_t i0 = ck->by_branch ? bk->branch_start[g] : 0;
        const int64_t i1 = ck->by_branch ? bk->branch_start[g + 1] : bk->n;
        int64_t n_touched = 0;
        for (int64_t i = i0; i < i1; i++) {
            const int64_t v = rest_id(ck, bk, i);
            if (seen[v] == -1) {
                seen[v] = -2;
                touched[n_touched++] = v;
            }
        }
        qsort(touched, (size_t)n_touched, sizeof *touched, cmp_i64);
        for (int64_t t = 0; !st && t < n_touched; t++) {
            const int64_t v = touched[t];
            if (n == cap) {
                cap *= 2;
                int32_t *gb = realloc(cb, (size_t)cap * sizeof *cb);
                if (gb) cb = gb;
                int64_t *gr = realloc(cr, (size_t)cap * sizeof *cr);
                if (gr) cr = gr;
                if (!gb || !gr || n >= INT32_MAX) {
                    st = clm_error(CLM_E_NOMEM, "out of memory for the budget's cells");
                    break;
                }
            }
            cb[n] = g;
            cr[n] = v;
            seen[v] = (int32_t)n++;
        }
        for (int64_t i = i0; !st && i < i1; i++)
            cell[i] = seen[rest_id(ck, bk, i)];
        for (int64_t t = 0; t < n_touched; t++)
            seen[touched[t]] = -1;
    }
    if (!st) {
        r->n_cells = (int32_t)n;
        r->cell_labels = calloc((size_t)(n > 0 ? n : 1) * (size_t)ck->n, sizeof *r->cell_labels);
        if (!r->cell_labels)
            st = clm_error(CLM_E_NOMEM, "out of memory");
        for (int64_t c = 0; !st && c < n; c++)
            for (int k = 0; !st && k < ck->n; k++)
                if (!(r->cell_labels[c * ck->n + k] = label_of(ck, bk, k, cb[c], cr[c])))
                    st = clm_error(CLM_E_NOMEM, "out of memory");
    }
    free(seen);
    free(touched);
    free(cb);
    free(cr);
    return st;
}

static clm_status setup_keys(const clm_book *bk, const plan_budget *pb, cell_keys *ck, clm_budget_result *r)
{
    memset(ck, 0, sizeof *ck);
    if (pb->n_cells > 8)
        return clm_error(CLM_E_PARAM, "[budget]: at most 8 grouping columns in cells");
    ck->n = pb->n_cells;
    ck->rest = 1;
    r->n_keys = pb->n_cells;
    r->keys = calloc((size_t)pb->n_cells, sizeof *r->keys);
    if (!r->keys)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int k = 0; k < pb->n_cells; k++) {
        ck->code[k] = key_code(pb->cells[k]);
        for (int j = 0; j < k; j++)
            if (ck->code[j] == ck->code[k])
                return clm_error(CLM_E_PARAM, "[budget]: cells names '%s' twice", pb->cells[k]);
        if (!(r->keys[k] = util_strdup(pb->cells[k])))
            return clm_error(CLM_E_NOMEM, "out of memory");
        switch (ck->code[k]) {
        case KEY_BRANCH: ck->by_branch = 1; ck->size[k] = 1; continue;
        case KEY_TIER: ck->size[k] = CLM_N_TIERS; break;
        case KEY_STAGE: ck->size[k] = CLM_N_STAGES; break;
        case KEY_SEGMENT: ck->size[k] = bk->n_segments + 1; break;
        default:
            if (!bk->n_plans)
                return clm_error(CLM_E_PARAM, "[budget]: cells by plan, but the quarter has no plan column");
            ck->size[k] = bk->n_plans + 1;
        }
        ck->rest *= ck->size[k];
        if (ck->rest > 10000000)
            return clm_error(CLM_E_PARAM, "[budget]: the cells' grouping has over 10 million combinations");
    }
    return CLM_OK;
}

static clm_status caps_of(const clm_book *bk, const plan_budget *pb, double *cap)
{
    for (int32_t b = 0; b < bk->n_branches; b++)
        cap[b] = pb->cap_all;
    for (int i = 0; i < pb->n_caps; i++) {
        int32_t found = -1;
        for (int32_t b = 0; b < bk->n_branches && found < 0; b++)
            if (!strcmp(bk->branch_names[b], pb->cap_names[i]))
                found = b;
        if (found < 0)
            return clm_error(CLM_E_PARAM, "%s: [budget] cap: branch '%s' is not in the quarter",
                             pb->lever.where, pb->cap_names[i]);
        cap[found] = pb->cap_values[i];
    }
    return CLM_OK;
}

clm_status budget_solve(const clm_book *bk, const plan_budget *pb, int n_threads, clm_budget_result **out)
{
    *out = NULL;
    const int64_t n = bk->n;
    const plan_lever *l = &pb->lever;
    clm_budget_result *r = calloc(1, sizeof *r);
    if (!r)
        return clm_error(CLM_E_NOMEM, "out of memory");
    r->total = pb->total;
    const size_t sn = (size_t)(n > 0 ? n : 1);
    float *gain_eq = malloc(sn * sizeof *gain_eq), *saves12 = malloc(sn * sizeof *saves12);
    int32_t *row_cell = malloc(sn * sizeof *row_cell);
    double *cap = malloc((size_t)bk->n_branches * sizeof *cap);
    lever_rt rt;
    memset(&rt, 0, sizeof rt);
    clm_status st = gain_eq && saves12 && row_cell && cap ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    const double t0 = util_now();
    if (!st) st = lever_compile(l, bk, &rt);
    if (!st) st = proj_row_gains(bk, &rt, n_threads, gain_eq, saves12);
    cell_keys ck;
    if (!st) st = setup_keys(bk, pb, &ck, r);
    if (!st) st = number_cells(bk, &ck, row_cell, r);
    if (!st) st = caps_of(bk, pb, cap);
    /* The candidates: the reached rows, in book order. */
    int64_t m = 0;
    for (int64_t i = 0; !st && i < n; i++)
        m += !isnan(gain_eq[i]);
    const size_t sm = (size_t)(m > 0 ? m : 1);
    int32_t *cell = NULL, *group = NULL;
    float *gain = NULL, *cost = NULL, *saves = NULL;
    uint8_t *high = NULL;
    if (!st) {
        cell = malloc(sm * sizeof *cell);
        group = malloc(sm * sizeof *group);
        gain = malloc(sm * sizeof *gain);
        cost = malloc(sm * sizeof *cost);
        saves = malloc(sm * sizeof *saves);
        high = malloc(sm);
        r->cell_subscribers = calloc((size_t)(r->n_cells > 0 ? r->n_cells : 1), sizeof(int64_t));
        r->cell_candidates = calloc((size_t)(r->n_cells > 0 ? r->n_cells : 1), sizeof(int64_t));
        if (!cell || !group || !gain || !cost || !saves || !high || !r->cell_subscribers || !r->cell_candidates)
            st = clm_error(CLM_E_NOMEM, "out of memory");
    }
    const double p = l->take_up;
    int64_t j = 0;
    for (int32_t b = 0; !st && b < bk->n_branches; b++)
        for (int64_t i = bk->branch_start[b]; i < bk->branch_start[b + 1]; i++) {
            r->cell_subscribers[row_cell[i]]++;
            if (isnan(gain_eq[i]))
                continue;
            const double c = l->cost.contact[bk->tier[i]] + p * l->cost.accept;
            if (!(c > 0)) {
                st = clm_error(CLM_E_PARAM, "%s: [budget]: contacting a %s-tier subscriber costs nothing; set "
                               "cost_contact (or cost_accept) so the budget has something to split",
                               l->where, clm_tier_names[bk->tier[i]]);
                break;
            }
            r->cell_candidates[row_cell[i]]++;
            cell[j] = row_cell[i];
            group[j] = b;
            cost[j] = (float)c;
            gain[j] = (float)(p * gain_eq[i] - c);
            saves[j] = (float)(p * saves12[i]);
            high[j] = bk->tier[i] == CLM_TIER_HIGH;
            j++;
        }
    alloc_result ar;
    memset(&ar, 0, sizeof ar);
    if (!st) {
        alloc_input in = {.n = m, .cell = cell, .n_cells = r->n_cells, .cap_group = group,
                          .n_cap_groups = bk->n_branches, .cap = cap, .gain = gain, .cost = cost,
                          .saves = saves, .high = high, .cell_subscribers = r->cell_subscribers,
                          .total = pb->total, .n_threads = n_threads};
        const double t1 = util_now();
        st = alloc_solve(&in, &ar);
        r->seconds_candidates = t1 - t0;
        r->seconds_allocate = util_now() - t1;
    }
    for (int pol = 0; !st && pol < CLM_N_POLICIES; pol++) {
        r->cells[pol] = malloc((size_t)(r->n_cells > 0 ? r->n_cells : 1) * sizeof(clm_budget_cell));
        if (!r->cells[pol]) {
            st = clm_error(CLM_E_NOMEM, "out of memory");
            break;
        }
        for (int32_t c = 0; c < r->n_cells; c++) {
            const alloc_cell *a = &ar.cells[pol][c];
            r->cells[pol][c] = (clm_budget_cell){a->spend, a->contacted, a->saves, a->net_gain};
        }
        const alloc_cell *t = &ar.total[pol];
        r->totals[pol] = (clm_budget_cell){t->spend, t->contacted, t->saves, t->net_gain};
    }
    r->threshold = ar.threshold;
    alloc_result_free(&ar);
    lever_release(&rt);
    free(gain_eq);
    free(saves12);
    free(row_cell);
    free(cap);
    free(cell);
    free(group);
    free(gain);
    free(cost);
    free(saves);
    free(high);
    if (st) {
        budget_result_free(r);
        return st;
    }
    *out = r;
    return CLM_OK;
}

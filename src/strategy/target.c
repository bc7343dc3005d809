/*
 * target.c — which subscribers a lever reaches: the branch, plan and
 * segment conditions resolved once against the book (names to codes,
 * health ranks to branches), so the hot loop tests bytes, and the renewal
 * lever's hazard ratio per current plan from the model's coefficients.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strategy/strategy_internal.h"

clm_status target_branch_mask(const plan_target *t, const clm_book *bk, const char *where, uint8_t *mask)
{
    const int32_t nb = bk->n_branches;
    for (int32_t b = 0; b < nb; b++)
        mask[b] = 1;
    if (t->branches) {
        uint8_t *named = calloc((size_t)(nb > 0 ? nb : 1), 1);
        if (!named)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int i = 0; i < t->n_branches; i++) {
            int32_t found = -1;
            for (int32_t b = 0; b < nb && found < 0; b++)
                if (!strcmp(bk->branch_names[b], t->branches[i]))
                    found = b;
            if (found < 0) {
                free(named);
                return clm_error(CLM_E_PARAM, "%s: branch '%s' is not in the quarter", where, t->branches[i]);
            }
            named[found] = 1;
        }
        for (int32_t b = 0; b < nb; b++)
            mask[b] &= named[b];
        free(named);
    }
    for (int32_t b = 0; b < nb; b++) {
        int32_t rank = bk->branch_rank[b];
        if (t->rank_lo && (rank < t->rank_lo || rank > t->rank_hi))
            mask[b] = 0;
        if (t->worst && rank <= nb - t->worst)
            mask[b] = 0;
    }
    return CLM_OK;
}

static int32_t plan_code(const clm_book *bk, const char *name)
{
    for (int32_t c = 0; c < bk->n_plans; c++)
        if (!strcmp(bk->plan_names[c], name))
            return c;
    return -1;
}

clm_status target_plan_mask(const plan_target *t, const clm_book *bk, const char *where, uint8_t *mask)
{
    memset(mask, t->plans ? 0 : 1, (size_t)bk->n_plans);
    for (int i = 0; t->plans && i < t->n_plans; i++) {
        int32_t c = plan_code(bk, t->plans[i]);
        if (c < 0)
            return clm_error(CLM_E_PARAM, "%s: plan '%s' is not a level of column '%s'", where, t->plans[i],
                             bk->plan_column ? bk->plan_column : "plan");
        mask[c] = 1;
    }
    return CLM_OK;
}

/* The model's log-hazard coefficient of each plan level (0: its
 * reference level), or an error when the model has no plan terms. */
static clm_status plan_coefficients(const clm_book *bk, const char *where, double *beta)
{
    clm_cox_summary sum;
    clm_cox_get_summary(bk->cox, &sum);
    const size_t len = strlen(bk->plan_column);
    int found = 0;
    for (int32_t c = 0; c < bk->n_plans; c++)
        beta[c] = 0.0;
    for (int32_t j = 0; j < sum.n_terms; j++) {
        const char *term = sum.terms[j];
        if (strncmp(term, bk->plan_column, len) || term[len] != '=')
            continue;
        int32_t c = plan_code(bk, term + len + 1);
        if (c >= 0) {
            beta[c] = sum.coef[j];
            found = 1;
        }
    }
    if (!found)
        return clm_error(CLM_E_PARAM, "%s: a renewal lever needs the Cox model to have column '%s' among its "
                         "covariates (cox.features), so that plans have hazard ratios", where, bk->plan_column);
    return CLM_OK;
}

void lever_release(lever_rt *rt)
{
    free(rt->branch_mask);
    free(rt->plan_mask);
    free(rt->segment_mask);
    free(rt->plan_ratio);
    memset(rt, 0, sizeof *rt);
}

clm_status lever_compile(const plan_lever *l, const clm_book *bk, lever_rt *rt)
{
    memset(rt, 0, sizeof *rt);
    rt->lever = l;
    rt->months = l->months > 0 && l->months < bk->horizon ? l->months : bk->horizon;
    const char *where = l->where ? l->where : "plan";
    rt->branch_mask = malloc((size_t)(bk->n_branches > 0 ? bk->n_branches : 1));
    if (!rt->branch_mask)
        return clm_error(CLM_E_NOMEM, "out of memory");
    clm_status st = target_branch_mask(&l->target, bk, where, rt->branch_mask);
    const int renewal = l->kind == CLM_LEVER_KIND_RENEWAL;
    if (!st && (l->target.plans || renewal)) {
        if (!bk->n_plans) {
            st = clm_error(CLM_E_PARAM, "%s: the quarter has no plan column '%s' to target", where,
                           bk->plan_column ? bk->plan_column : "plan");
        } else if (!(rt->plan_mask = malloc((size_t)bk->n_plans))) {
            st = clm_error(CLM_E_NOMEM, "out of memory");
        } else {
            st = target_plan_mask(&l->target, bk, where, rt->plan_mask);
        }
    }
    if (!st && renewal) {
        int32_t to = plan_code(bk, l->to_plan);
        rt->plan_ratio = malloc((size_t)bk->n_plans * sizeof *rt->plan_ratio);
        if (to < 0)
            st = clm_error(CLM_E_PARAM, "%s: to_plan '%s' is not a level of column '%s'", where, l->to_plan,
                           bk->plan_column);
        else if (!rt->plan_ratio)
            st = clm_error(CLM_E_NOMEM, "out of memory");
        else
            st = plan_coefficients(bk, where, rt->plan_ratio);
        if (!st) {
            double to_beta = rt->plan_ratio[to];
            for (int32_t c = 0; c < bk->n_plans; c++)
                rt->plan_ratio[c] = exp(to_beta - rt->plan_ratio[c]);
            rt->plan_mask[to] = 0; /* those already on it are not offered it */
        }
    }
    if (!st && l->target.segments) {
        rt->segment_mask = calloc((size_t)(bk->n_segments > 0 ? bk->n_segments : 1), 1);
        if (!rt->segment_mask)
            st = clm_error(CLM_E_NOMEM, "out of memory");
        for (int i = 0; !st && i < l->target.n_segments; i++) {
            int32_t s = l->target.segments[i];
            if (s >= bk->n_segments)
                st = clm_error(CLM_E_PARAM, "%s: segment %d is not among the run's %d segments", where, (int)s,
                               (int)bk->n_segments);
            else
                rt->segment_mask[s] = 1;
        }
    }
    /* The table of the tier, stage, decile and bad-debt conditions. */
    const plan_target *t = &l->target;
    for (int code = 0; code < 1024; code++) {
        const int tier = code & 3, stage = code >> 2 & 7, decile = (code >> 5 & 15) + 1, debt = code >> 9 & 1;
        rt->attr_ok[code] = (uint8_t)((!t->tiers || t->tiers >> tier & 1u) && (!t->stages || t->stages >> stage & 1u) &&
                                      (!t->deciles || t->deciles >> (decile - 1) & 1u) &&
                                      (l->kind != CLM_LEVER_KIND_BAD_DEBT || debt));
    }
    rt->attr_only = !rt->segment_mask && !rt->plan_mask && isnan(t->leave_12_min) && isnan(t->arpu_min) &&
                    isnan(t->arpu_max);
    if (st)
        lever_release(rt);
    return st;
}

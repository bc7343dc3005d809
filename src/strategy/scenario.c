/*
 * scenario.c — the baseline, every scenario of a plan, the net gain of
 * each lever alone (the waterfall) and the budget, into one result.
 *
 * For a scenario, per branch and for the company: the baseline's figures,
 * the scenario's (the baseline plus the changes of what its levers
 * reach), the cost (contact and accept per branch; fixed costs belong to
 * the company row only), the net gain = equity - baseline equity - cost,
 * the ROI = net gain / cost, and the payback month: the first month whose
 * cumulative discounted margin gain covers the cost.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "strategy/strategy_internal.h"

void clm_scenario_result_free(clm_scenario_result *r)
{
    if (!r)
        return;
    for (int32_t s = 0; s < r->n_scenarios; s++) {
        free(r->names ? r->names[s] : NULL);
        for (int32_t l = 0; r->lever_names && r->lever_names[s] && l < r->n_levers[s]; l++)
            free(r->lever_names[s][l]);
        if (r->lever_names)
            free(r->lever_names[s]);
        if (r->lever_net_gain)
            free(r->lever_net_gain[s]);
    }
    for (int32_t b = 0; r->branch_names && b <= r->n_branches; b++)
        free(r->branch_names[b]);
    free(r->branch_names);
    free(r->names);
    free(r->lever_names);
    free(r->lever_net_gain);
    free(r->n_levers);
    free(r->interaction);
    free(r->rows);
    free(r->base_active);
    free(r->base_revenue);
    free(r->active);
    free(r->revenue);
    budget_result_free(r->budget);
    free(r);
}

static int32_t payback(const double *gain, int h, double cost)
{
    double cum = 0.0;
    for (int k = 1; k <= h; k++) {
        cum += gain[k];
        if (cum >= cost && cum > 0)
            return k;
    }
    return 0;
}

static void fill_row(clm_scenario_row *row, const proj_sums *base, const proj_sums *scen, double fixed)
{
    row->targeted = scen->targeted;
    row->accepting = scen->accepting;
    row->base = base->fig;
    row->scen = scen->fig;
    row->cost = scen->cost + fixed;
    row->net_gain = scen->fig.equity - base->fig.equity - row->cost;
    row->roi = row->cost > 0 ? row->net_gain / row->cost : NAN;
}

/* The levers of a scenario compiled against the book. */
static clm_status compile_all(const plan_scenario *sc, const clm_book *bk, lever_rt *rts)
{
    for (int l = 0; l < sc->n_levers; l++) {
        clm_status st = lever_compile(&sc->levers[l], bk, &rts[l]);
        if (st) {
            for (int k = 0; k < l; k++)
                lever_release(&rts[k]);
            return st;
        }
    }
    return CLM_OK;
}

/* Company net gain of levers `rts` (all of the scenario, or one). */
static double company_net(const proj_out *base, const proj_out *o, const lever_rt *rts, int n)
{
    double fixed = 0.0;
    for (int l = 0; l < n; l++)
        fixed += rts[l].lever->cost.fixed;
    return o->company.fig.equity - base->company.fig.equity - o->company.cost - fixed;
}

static clm_status one_scenario(const clm_book *bk, const plan_scenario *sc, const proj_out *base,
                               int n_threads, int32_t s, clm_scenario_result *r, proj_out *o)
{
    const int h = bk->horizon;
    const int32_t nb = bk->n_branches;
    lever_rt rts[PLAN_MAX_LEVERS];
    clm_status st = compile_all(sc, bk, rts);
    if (st)
        return st;
    st = proj_levers(bk, rts, sc->n_levers, base, n_threads, o);
    double fixed = 0.0;
    for (int l = 0; l < sc->n_levers; l++)
        fixed += sc->levers[l].cost.fixed;
    if (!st) {
        clm_scenario_row *rows = r->rows + (size_t)s * (size_t)(nb + 1);
        for (int32_t b = 0; b < nb; b++) {
            fill_row(&rows[b], &base->branch[b], &o->branch[b], 0.0);
            rows[b].payback_month = payback(o->branch_gain + (size_t)b * (size_t)(h + 1), h, rows[b].cost);
        }
        fill_row(&rows[nb], &base->company, &o->company, fixed);
        double *gain = malloc((size_t)(h + 1) * sizeof *gain);
        if (!gain) {
            st = clm_error(CLM_E_NOMEM, "out of memory");
        } else {
            for (int k = 0; k <= h; k++)
                gain[k] = (o->revenue[k] - base->revenue[k]) * bk->margin * bk->disc[k];
            rows[nb].payback_month = payback(gain, h, rows[nb].cost);
            free(gain);
        }
        memcpy(r->active + (size_t)s * (size_t)(h + 1), o->active, (size_t)(h + 1) * sizeof *o->active);
        memcpy(r->revenue + (size_t)s * (size_t)(h + 1), o->revenue, (size_t)(h + 1) * sizeof *o->revenue);
    }
    /* The waterfall: each lever alone, and what acting together adds. */
    const int nl = sc->n_levers;
    r->n_levers[s] = nl;
    r->lever_names[s] = calloc((size_t)nl, sizeof(char *));
    r->lever_net_gain[s] = calloc((size_t)nl, sizeof(double));
    if (!st && (!r->lever_names[s] || !r->lever_net_gain[s]))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    const double total = st ? 0.0 : company_net(base, o, rts, nl);
    double alone_sum = 0.0;
    for (int l = 0; !st && l < nl; l++) {
        if (!(r->lever_names[s][l] = util_strdup(sc->levers[l].name)))
            st = clm_error(CLM_E_NOMEM, "out of memory");
        if (!st && nl == 1) {
            r->lever_net_gain[s][l] = total;
        } else if (!st) {
            st = proj_levers(bk, &rts[l], 1, base, n_threads, o);
            if (!st)
                r->lever_net_gain[s][l] = company_net(base, o, &rts[l], 1);
        }
        alone_sum += st ? 0.0 : r->lever_net_gain[s][l];
    }
    r->interaction[s] = total - alone_sum;
    for (int l = 0; l < nl; l++)
        lever_release(&rts[l]);
    return st;
}

static clm_status result_alloc(const clm_book *bk, const clm_plan *plan, clm_scenario_result **out)
{
    const int32_t ns = plan->n_scenarios, nb = bk->n_branches, h = bk->horizon;
    clm_scenario_result *r = calloc(1, sizeof *r);
    if (!r)
        return clm_error(CLM_E_NOMEM, "out of memory");
    *out = r;
    r->horizon = h;
    r->margin = bk->margin;
    r->discount = bk->discount;
    r->n_scenarios = ns;
    r->n_branches = nb;
    const size_t s1 = (size_t)(ns > 0 ? ns : 1);
    r->names = calloc(s1, sizeof *r->names);
    r->branch_names = calloc((size_t)nb + 1, sizeof *r->branch_names);
    r->rows = calloc(s1 * ((size_t)nb + 1), sizeof *r->rows);
    r->base_active = calloc((size_t)h + 1, sizeof(double));
    r->base_revenue = calloc((size_t)h + 1, sizeof(double));
    r->active = calloc(s1 * ((size_t)h + 1), sizeof(double));
    r->revenue = calloc(s1 * ((size_t)h + 1), sizeof(double));
    r->n_levers = calloc(s1, sizeof *r->n_levers);
    r->lever_names = calloc(s1, sizeof *r->lever_names);
    r->lever_net_gain = calloc(s1, sizeof *r->lever_net_gain);
    r->interaction = calloc(s1, sizeof *r->interaction);
    if (!r->names || !r->branch_names || !r->rows || !r->base_active || !r->base_revenue || !r->active ||
        !r->revenue || !r->n_levers || !r->lever_names || !r->lever_net_gain || !r->interaction)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t b = 0; b < nb; b++)
        if (!(r->branch_names[b] = util_strdup(bk->branch_names[b])))
            return clm_error(CLM_E_NOMEM, "out of memory");
    if (!(r->branch_names[nb] = util_strdup("all")))
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t s = 0; s < ns; s++)
        if (!(r->names[s] = util_strdup(plan->scenarios[s].name)))
            return clm_error(CLM_E_NOMEM, "out of memory");
    return CLM_OK;
}

clm_status clm_scenario_project(const clm_book *bk, const clm_plan *plan, int32_t n_threads,
                                clm_scenario_result **out)
{
    *out = NULL;
    clm_scenario_result *r = NULL;
    clm_status st = result_alloc(bk, plan, &r);
    proj_out base, o;
    memset(&base, 0, sizeof base);
    memset(&o, 0, sizeof o);
    if (!st) st = proj_alloc(&base, bk->n_branches, bk->horizon);
    if (!st) st = proj_alloc(&o, bk->n_branches, bk->horizon);
    double t0 = util_now();
    if (!st) st = proj_baseline(bk, n_threads, &base);
    if (!st) {
        memcpy(r->base_active, base.active, (size_t)(bk->horizon + 1) * sizeof(double));
        memcpy(r->base_revenue, base.revenue, (size_t)(bk->horizon + 1) * sizeof(double));
    }
    double t1 = util_now();
    for (int32_t s = 0; !st && s < plan->n_scenarios; s++)
        st = one_scenario(bk, &plan->scenarios[s], &base, n_threads, s, r, &o);
    double t2 = util_now();
    if (!st && plan->has_budget)
        st = budget_solve(bk, &plan->budget, n_threads, &r->budget);
    double t3 = util_now();
    r->seconds_baseline = t1 - t0;
    r->seconds_scenarios = t2 - t1;
    r->seconds_budget = t3 - t2;
    proj_release(&base);
    proj_release(&o);
    if (st) {
        clm_scenario_result_free(r);
        return st;
    }
    *out = r;
    return CLM_OK;
}

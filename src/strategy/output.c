/*
 * output.c — a scenario result as files: scenarios.csv (scenario x
 * branch, then the company row "all"), scenario_curves.csv (the company's
 * expected active base and monthly revenue, baseline and each scenario),
 * scenario_levers.csv (the waterfall), allocation.csv and
 * allocation_policies.csv, and the same under /scenarios in HDF5
 * (docs/formats.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "strategy/strategy_internal.h"

/* A number, or NA; a sum that cancels to a tiny negative prints as 0,
 * not "-0.00". */
static void num(FILE *f, double v, int decimals)
{
    if (isnan(v))
        fputs(",NA", f);
    else
        fprintf(f, ",%.*f", decimals, fabs(v) < 0.5 * pow(10.0, -decimals) ? 0.0 : v);
}

void clm_scenario_write_csv(const clm_scenario_result *r, FILE *f)
{
    fprintf(f, "scenario,branch,targeted,accepting,active_3_base,active_3,active_12_base,active_12,"
               "active_%d_base,active_%d,revenue_base,revenue,equity_base,equity,cost,net_gain,roi,"
               "payback_month\n", (int)r->horizon, (int)r->horizon);
    const int32_t nb = r->n_branches;
    /* A base without a branch column is one branch named "all": the
     * company row says it all. */
    const int32_t first = nb == 1 && !strcmp(r->branch_names[0], "all") ? 1 : 0;
    for (int32_t s = 0; s < r->n_scenarios; s++)
        for (int32_t b = first; b <= nb; b++) {
            const clm_scenario_row *x = &r->rows[(size_t)s * (size_t)(nb + 1) + (size_t)b];
            util_csv_field(f, r->names[s]);
            fputc(',', f);
            util_csv_field(f, r->branch_names[b]);
            num(f, x->targeted, 0);
            num(f, x->accepting, 2);
            num(f, x->base.active_3, 2);
            num(f, x->scen.active_3, 2);
            num(f, x->base.active_12, 2);
            num(f, x->scen.active_12, 2);
            num(f, x->base.active_h, 2);
            num(f, x->scen.active_h, 2);
            num(f, x->base.revenue, 2);
            num(f, x->scen.revenue, 2);
            num(f, x->base.equity, 2);
            num(f, x->scen.equity, 2);
            num(f, x->cost, 2);
            num(f, x->net_gain, 2);
            num(f, x->roi, 4);
            if (x->payback_month > 0)
                fprintf(f, ",%d\n", (int)x->payback_month);
            else
                fputs(",\n", f);
        }
}

void clm_scenario_write_curves_csv(const clm_scenario_result *r, FILE *f)
{
    fputs("scenario,month,active,revenue\n", f);
    const int h = r->horizon;
    for (int32_t s = -1; s < r->n_scenarios; s++) {
        const double *a = s < 0 ? r->base_active : r->active + (size_t)s * (size_t)(h + 1);
        const double *v = s < 0 ? r->base_revenue : r->revenue + (size_t)s * (size_t)(h + 1);
        for (int k = 0; k <= h; k++) {
            util_csv_field(f, s < 0 ? "baseline" : r->names[s]);
            fprintf(f, ",%d,%.2f,%.2f\n", k, a[k], v[k]);
        }
    }
}

void clm_scenario_write_levers_csv(const clm_scenario_result *r, FILE *f)
{
    fputs("scenario,lever,net_gain\n", f);
    for (int32_t s = 0; s < r->n_scenarios; s++) {
        for (int32_t l = 0; l < r->n_levers[s]; l++) {
            util_csv_field(f, r->names[s]);
            fputc(',', f);
            util_csv_field(f, r->lever_names[s][l]);
            num(f, r->lever_net_gain[s][l], 2);
            fputc('\n', f);
        }
        util_csv_field(f, r->names[s]);
        fputs(",interaction", f);
        num(f, r->interaction[s], 2);
        fputc('\n', f);
    }
}

void clm_budget_write_csv(const clm_budget_result *g, FILE *f)
{
    for (int k = 0; k < g->n_keys; k++)
        fprintf(f, "%s,", g->keys[k]);
    fputs("subscribers,candidates,spend,contacted,expected_saves,net_gain,proportional_spend,"
          "proportional_net_gain,high_tier_spend,high_tier_net_gain\n", f);
    for (int32_t c = 0; c < g->n_cells; c++) {
        for (int k = 0; k < g->n_keys; k++) {
            util_csv_field(f, g->cell_labels[(size_t)c * (size_t)g->n_keys + (size_t)k]);
            fputc(',', f);
        }
        const clm_budget_cell *o = &g->cells[CLM_POLICY_OPTIMISED][c];
        const clm_budget_cell *p = &g->cells[CLM_POLICY_PROPORTIONAL][c];
        const clm_budget_cell *h = &g->cells[CLM_POLICY_HIGH_TIER][c];
        fprintf(f, "%lld,%lld", (long long)g->cell_subscribers[c], (long long)g->cell_candidates[c]);
        num(f, o->spend, 2);
        num(f, o->contacted, 2);
        num(f, o->saves, 2);
        num(f, o->net_gain, 2);
        num(f, p->spend, 2);
        num(f, p->net_gain, 2);
        num(f, h->spend, 2);
        num(f, h->net_gain, 2);
        fputc('\n', f);
    }
}

void clm_budget_write_policies_csv(const clm_budget_result *g, FILE *f)
{
    fputs("policy,budget,spend,contacted,expected_saves,net_gain\n", f);
    for (int p = 0; p < CLM_N_POLICIES; p++) {
        const clm_budget_cell *t = &g->totals[p];
        fputs(clm_budget_policy_names[p], f);
        num(f, g->total, 2);
        num(f, t->spend, 2);
        num(f, t->contacted, 2);
        num(f, t->saves, 2);
        num(f, t->net_gain, 2);
        fputc('\n', f);
    }
}

/* ---- HDF5 ----------------------------------------------------------------------- */

static clm_status save_budget(const clm_budget_result *g, clm_writer *w, const char *group)
{
    char path[1024];
    const int64_t nc = g->n_cells;
    clm_status st = CLM_OK;
    for (int k = 0; !st && k < g->n_keys; k++) {
        const char **col = malloc((size_t)(nc > 0 ? nc : 1) * sizeof *col);
        if (!col)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int64_t c = 0; c < nc; c++)
            col[c] = g->cell_labels[(size_t)c * (size_t)g->n_keys + (size_t)k];
        snprintf(path, sizeof path, "%s/allocation/%s", group, g->keys[k]);
        st = clm_writer_strings(w, path, col, nc);
        free(col);
    }
    double *v = malloc((size_t)(nc > 0 ? nc : 1) * sizeof *v);
    if (!v)
        return clm_error(CLM_E_NOMEM, "out of memory");
    static const char *const fields[] = {"spend", "contacted", "expected_saves", "net_gain"};
    for (int p = 0; !st && p < CLM_N_POLICIES; p++)
        for (int f = 0; !st && f < 4; f++) {
            for (int64_t c = 0; c < nc; c++) {
                const clm_budget_cell *x = &g->cells[p][c];
                v[c] = f == 0 ? x->spend : f == 1 ? x->contacted : f == 2 ? x->saves : x->net_gain;
            }
            snprintf(path, sizeof path, "%s/allocation/%s/%s", group, clm_budget_policy_names[p], fields[f]);
            st = clm_writer_array(w, path, CLM_DT_FLOAT64, 1, &nc, v);
        }
    free(v);
    snprintf(path, sizeof path, "%s/allocation", group);
    if (!st) st = clm_writer_attr_f64(w, path, "budget", g->total);
    if (!st) st = clm_writer_attr_f64(w, path, "threshold", g->threshold);
    return st;
}

clm_status clm_scenario_save(const clm_scenario_result *r, clm_writer *w, const char *group)
{
    if (!group)
        group = "/scenarios";
    char path[1024];
    const int32_t nb = r->n_branches, ns = r->n_scenarios, h = r->horizon;
    const int64_t n_rows = (int64_t)ns * (nb + 1);
    clm_status st = clm_writer_group(w, group);
    if (!st && ns > 0) {
        snprintf(path, sizeof path, "%s/name", group);
        st = clm_writer_strings(w, path, (const char *const *)r->names, ns);
    }
    if (!st) {
        snprintf(path, sizeof path, "%s/branch", group);
        st = clm_writer_strings(w, path, (const char *const *)r->branch_names, (int64_t)nb + 1);
    }
    /* Each figure as a scenario x (branches + company) array. */
    static const char *const fields[] = {"targeted", "accepting", "active_3_base", "active_3",
                                         "active_12_base", "active_12", "active_h_base", "active_h",
                                         "revenue_base", "revenue", "equity_base", "equity", "cost",
                                         "net_gain", "roi", "payback_month"};
    const size_t nf = sizeof fields / sizeof fields[0];
    double *v = malloc((size_t)(n_rows > 0 ? n_rows : 1) * sizeof *v);
    if (!v)
        return clm_error(CLM_E_NOMEM, "out of memory");
    const int64_t dims[2] = {ns, (int64_t)nb + 1};
    for (size_t f = 0; !st && ns > 0 && f < nf; f++) {
        for (int64_t i = 0; i < n_rows; i++) {
            const clm_scenario_row *x = &r->rows[i];
            const double all[] = {x->targeted, x->accepting, x->base.active_3, x->scen.active_3,
                                  x->base.active_12, x->scen.active_12, x->base.active_h, x->scen.active_h,
                                  x->base.revenue, x->scen.revenue, x->base.equity, x->scen.equity,
                                  x->cost, x->net_gain, x->roi, (double)x->payback_month};
            v[i] = all[f];
        }
        snprintf(path, sizeof path, "%s/%s", group, fields[f]);
        st = clm_writer_array(w, path, CLM_DT_FLOAT64, 2, dims, v);
    }
    free(v);
    const int64_t one = (int64_t)h + 1, curves[2] = {ns, (int64_t)h + 1};
    snprintf(path, sizeof path, "%s/curves/baseline_active", group);
    if (!st) st = clm_writer_array(w, path, CLM_DT_FLOAT64, 1, &one, r->base_active);
    snprintf(path, sizeof path, "%s/curves/baseline_revenue", group);
    if (!st) st = clm_writer_array(w, path, CLM_DT_FLOAT64, 1, &one, r->base_revenue);
    snprintf(path, sizeof path, "%s/curves/active", group);
    if (!st && ns > 0) st = clm_writer_array(w, path, CLM_DT_FLOAT64, 2, curves, r->active);
    snprintf(path, sizeof path, "%s/curves/revenue", group);
    if (!st && ns > 0) st = clm_writer_array(w, path, CLM_DT_FLOAT64, 2, curves, r->revenue);
    if (!st) st = clm_writer_attr_i64(w, group, "horizon", h);
    if (!st) st = clm_writer_attr_f64(w, group, "margin", r->margin);
    if (!st) st = clm_writer_attr_f64(w, group, "discount", r->discount);
    if (!st && r->budget) st = save_budget(r->budget, w, group);
    return st;
}

/*
 * step_scenarios.c — the plan's scenarios and budget inside the run: the
 * book is built from memory (the Cox model's equity pass, the run's
 * tiers, stages, segments and branch health, the plan column and the
 * bad-debt signals read once), projected as `clmseg scenario` does, and
 * written as scenarios.csv, scenario_curves.csv, scenario_levers.csv,
 * scenario.html (and allocation*.csv with a budget), /scenarios in
 * results.h5 and a section of the report.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/html_internal.h"
#include "run/run_ctx.h"

/* A numeric column as a 0/1 flag (value > 0), OR-ed into flag. */
static clm_status flag_from(const run_ctx *ctx, const char *name, uint8_t *flag, float *buf)
{
    if (!name || clm_table_find(ctx->table, name) < 0)
        return CLM_OK;
    int col = -1;
    clm_status s = clm_table_require(ctx->table, name, CLM_KIND_NUMERIC, &col);
    if (!s) s = clm_table_read_f32(ctx->table, col, 0, ctx->n_rows, buf);
    for (int64_t i = 0; !s && i < ctx->n_rows; i++)
        flag[i] |= buf[i] > 0;
    return s;
}

clm_status run_scenarios(run_ctx *ctx)
{
    const int64_t n = ctx->n_rows;
    const int nb = ctx->n_branches;
    uint8_t *debt = calloc((size_t)n, 1);
    float *buf = malloc((size_t)n * sizeof *buf);
    double *health = malloc((size_t)nb * sizeof *health);
    int32_t *plan = NULL;
    clm_status s = debt && buf && health ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    if (!s) s = flag_from(ctx, ctx->col_delay, debt, buf);
    if (!s) s = flag_from(ctx, ctx->col_susp, debt, buf);
    for (int b = 0; !s && b < nb; b++)
        health[b] = ctx->branches[b].health.total;
    const clm_column_info *plan_info = NULL;
    int plan_col = ctx->col_plan ? clm_table_find(ctx->table, ctx->col_plan) : -1;
    if (!s && plan_col >= 0 && clm_table_column(ctx->table, plan_col)->kind == CLM_KIND_CATEGORICAL) {
        plan_info = clm_table_column(ctx->table, plan_col);
        if (!(plan = malloc((size_t)n * sizeof *plan)))
            s = clm_error(CLM_E_NOMEM, "out of memory");
        else
            s = clm_table_read_i32(ctx->table, plan_col, 0, n, plan);
    }
    clm_equity_params ep = ctx->equity_params;
    if (clm_plan_horizon(ctx->plan) > 0)
        ep.horizon = clm_plan_horizon(ctx->plan);
    clm_book *book = NULL;
    if (!s) {
        clm_book_source src = {
            .cox = ctx->cox, .equity = ctx->equity, .arpu = ctx->arpu, .churned = ctx->churned,
            .branch = ctx->branch, .n_branches = nb, .branch_names = (const char *const *)ctx->branch_names,
            .branch_health = health, .tier = ctx->tier, .stage = ctx->stage, .segment = ctx->segment,
            .n_segments = ctx->k, .plan = plan, .n_plans = plan_info ? plan_info->n_categories : 0,
            .plan_names = plan_info ? (const char *const *)plan_info->categories : NULL,
            .plan_column = plan_info ? ctx->col_plan : NULL, .debt_signal = debt,
            .new_months = ctx->stages.new_months, .equity_params = ep};
        s = clm_book_create(&src, &book);
    }
    if (!s) s = clm_scenario_project(book, ctx->plan, ctx->n_threads, &ctx->scenarios);
    clm_book_free(book);
    free(debt);
    free(buf);
    free(health);
    free(plan);
    return s;
}

typedef void (*scenario_writer)(const clm_scenario_result *r, FILE *f);

static void write_allocation(const clm_scenario_result *r, FILE *f) { clm_budget_write_csv(r->budget, f); }
static void write_policies(const clm_scenario_result *r, FILE *f)
{
    clm_budget_write_policies_csv(r->budget, f);
}

clm_status run_write_scenario_outputs(run_ctx *ctx)
{
    static const struct {
        const char *name;
        scenario_writer write;
        int budget_only;
    } outs[] = {
        {"scenarios.csv", clm_scenario_write_csv, 0},
        {"scenario_curves.csv", clm_scenario_write_curves_csv, 0},
        {"scenario_levers.csv", clm_scenario_write_levers_csv, 0},
        {"scenario.html", clm_scenario_write_html, 0},
        {"allocation.csv", write_allocation, 1},
        {"allocation_policies.csv", write_policies, 1},
    };
    clm_status s = CLM_OK;
    for (size_t k = 0; !s && k < sizeof outs / sizeof outs[0]; k++) {
        if (outs[k].budget_only && !ctx->scenarios->budget)
            continue;
        clm_textfile *tf = NULL;
        const int csv = strstr(outs[k].name, ".csv") != NULL;
        s = csv ? run_csv_open(ctx->outdir, outs[k].name, ctx->input, ctx->csv_bom, &tf)
                : run_text_open(ctx->outdir, outs[k].name, ctx->input, &tf);
        if (s)
            break;
        outs[k].write(ctx->scenarios, clm_textfile_stream(tf));
        s = run_text_finish(&ctx->outputs, tf, CLM_OK);
    }
    return s;
}

void run_report_scenarios(const run_ctx *ctx, FILE *f)
{
    const clm_scenario_result *r = ctx->scenarios;
    const int32_t nb = r->n_branches;
    fputs("<h2>Strategy scenarios</h2>\n<p>The plan's scenarios over the active base, projected from the Cox "
          "model for ", f);
    fprintf(f, "%d months (the curves, waterfalls and branch tables are in <a href=\"scenario.html\">"
               "scenario.html</a>).</p>\n", (int)r->horizon);
    fputs("<table class=\"sortable\" id=\"scenario-summary\"><thead><tr><th>scenario</th><th>targeted</th>"
          "<th>accepting</th><th>extra active after 12 m</th><th>equity change</th><th>cost</th>"
          "<th>net gain</th><th>ROI</th><th>payback month</th></tr></thead><tbody>\n", f);
    for (int32_t s = 0; s < r->n_scenarios; s++) {
        const clm_scenario_row *x = &r->rows[(size_t)s * (size_t)(nb + 1) + (size_t)nb];
        fputs("<tr><td>", f);
        html_escape(f, r->names[s]);
        fprintf(f, "</td><td>%.0f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>",
                x->targeted, x->accepting, x->scen.active_12 - x->base.active_12,
                x->scen.equity - x->base.equity, x->cost, x->net_gain);
        if (isnan(x->roi))
            fputs("<td>NA</td>", f);
        else
            fprintf(f, "<td>%.4f</td>", x->roi);
        if (x->payback_month > 0)
            fprintf(f, "<td>%d</td></tr>\n", (int)x->payback_month);
        else
            fputs("<td>&#8212;</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    if (r->budget) {
        const clm_budget_cell *t = r->budget->totals;
        fprintf(f, "<p>Retention budget %.2f: the optimised split gains %.2f, %.2f more than spreading it in "
                   "proportion to subscribers and %.2f more than spending it on the high tier only "
                   "(allocation.csv).</p>\n", r->budget->total, t[CLM_POLICY_OPTIMISED].net_gain,
                t[CLM_POLICY_OPTIMISED].net_gain - t[CLM_POLICY_PROPORTIONAL].net_gain,
                t[CLM_POLICY_OPTIMISED].net_gain - t[CLM_POLICY_HIGH_TIER].net_gain);
    }
}

/*
 * step_scenarios.c — the plan's scenarios and budget inside the run: the
 * book is built from memory (the Cox model's equity pass, the run's
 * tiers, stages, segments and branch health, the plan column and the
 * bad-debt signals read once), projected as `clmseg scenario` does, and
 * written as scenarios.csv, scenario_curves.csv, scenario_levers.csv,
 * scenario.html (and allocation*.csv with a budget), /scenarios in
 * results.h5 and a section of the report.  scenario.html and the
 * section are in the report's language (report.lang); their figures are
 * scenarios.csv's, formatted as the report's tables are.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/format_internal.h"
#include "report/html_internal.h"
#include "report/strings_internal.h"
#include "run/run_ctx.h"

clm_status run_scenarios(run_ctx *ctx)
{
    const int64_t n = ctx->n_rows;
    const int nb = ctx->n_branches;
    uint8_t *debt = calloc((size_t)n, 1);
    double *health = malloc((size_t)nb * sizeof *health);
    int32_t *plan = NULL;
    clm_status s = debt && health ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    if (!s) s = clm_book_debt_signal(ctx->table, ctx->col_delay, debt);
    if (!s) s = clm_book_debt_signal(ctx->table, ctx->col_susp, debt);
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
    free(health);
    free(plan);
    return s;
}

typedef void (*scenario_writer)(const run_ctx *ctx, FILE *f);

static void write_csv(const run_ctx *ctx, FILE *f) { clm_scenario_write_csv(ctx->scenarios, f); }
static void write_curves(const run_ctx *ctx, FILE *f) { clm_scenario_write_curves_csv(ctx->scenarios, f); }
static void write_levers(const run_ctx *ctx, FILE *f) { clm_scenario_write_levers_csv(ctx->scenarios, f); }
static void write_html(const run_ctx *ctx, FILE *f)
{
    clm_scenario_write_html(ctx->scenarios, ctx->report_lang == REPORT_LANG_ZH ? "zh" : "en", f);
}
static void write_allocation(const run_ctx *ctx, FILE *f) { clm_budget_write_csv(ctx->scenarios->budget, f); }
static void write_policies(const run_ctx *ctx, FILE *f)
{
    clm_budget_write_policies_csv(ctx->scenarios->budget, f);
}

clm_status run_write_scenario_outputs(run_ctx *ctx)
{
    static const struct {
        const char *name;
        scenario_writer write;
        int budget_only;
    } outs[] = {
        {"scenarios.csv", write_csv, 0},
        {"scenario_curves.csv", write_curves, 0},
        {"scenario_levers.csv", write_levers, 0},
        {"scenario.html", write_html, 0},
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
        outs[k].write(ctx, clm_textfile_stream(tf));
        s = run_text_finish(&ctx->outputs, tf, CLM_OK);
    }
    return s;
}

/* The company row of each scenario: scenarios.csv's figures (targeted 0
 * decimals, the rest 2, roi 4 shown in percent with 2); the extra active
 * subscribers and the equity change are differences of its columns. */
void run_report_scenarios(const run_ctx *ctx, FILE *f)
{
    const clm_scenario_result *r = ctx->scenarios;
    const int32_t nb = r->n_branches;
    const int lang = ctx->report_lang;
    char v[8][FMT_CAP];
    fputs("<h2>", f);
    html_escape(f, report_text_of(lang, RT_H_SCENARIOS));
    fputs("</h2>\n<p>", f);
    html_escapef(f, report_text_of(lang, RT_SCEN_NOTE), fmt_count(v[0], FMT_CAP, r->horizon));
    fputs(" <a href=\"scenario.html\">scenario.html</a>", f);
    fputs(lang == REPORT_LANG_ZH ? "。</p>\n" : ".</p>\n", f);
    const char *heads[9] = {report_text_of(lang, RT_C_SCENARIO), report_text_of(lang, RT_C_TARGETED),
                            report_text_of(lang, RT_C_ACCEPTING), report_text_of(lang, RT_C_EXTRA_12),
                            report_text_of(lang, RT_C_EQUITY_CHANGE), report_text_of(lang, RT_C_COST),
                            report_text_of(lang, RT_C_NET_GAIN), report_text_of(lang, RT_C_ROI),
                            report_text_of(lang, RT_C_PAYBACK)};
    fputs("<table class=\"sortable\" id=\"scenario-summary\">", f);
    html_header_row(f, heads, 9);
    fputs("<tbody>\n", f);
    for (int32_t s = 0; s < r->n_scenarios; s++) {
        const clm_scenario_row *x = &r->rows[(size_t)s * (size_t)(nb + 1) + (size_t)nb];
        fputs("<tr><td>", f);
        html_escape(f, r->names[s]);
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                   "</tr>\n",
                fmt_fixed(v[0], FMT_CAP, fmt_as_csv(x->targeted, 0), 0),
                fmt_money(v[1], FMT_CAP, fmt_as_csv(x->accepting, 2)),
                fmt_money(v[2], FMT_CAP, fmt_as_csv(x->scen.active_12, 2) - fmt_as_csv(x->base.active_12, 2)),
                fmt_money(v[3], FMT_CAP, fmt_as_csv(x->scen.equity, 2) - fmt_as_csv(x->base.equity, 2)),
                fmt_money(v[4], FMT_CAP, fmt_as_csv(x->cost, 2)), fmt_money(v[5], FMT_CAP, fmt_as_csv(x->net_gain, 2)),
                fmt_percent(v[6], FMT_CAP, fmt_as_csv(x->roi, 4), 2),
                fmt_fixed(v[7], FMT_CAP, x->payback_month > 0 ? (double)x->payback_month : NAN, 0));
    }
    fputs("</tbody></table>\n", f);
    if (r->budget) {
        const clm_budget_cell *t = r->budget->totals;
        const double opt = fmt_as_csv(t[CLM_POLICY_OPTIMISED].net_gain, 2);
        fputs("<p>", f);
        html_escapef(f, report_text_of(lang, RT_SCEN_BUDGET), fmt_money(v[0], FMT_CAP, fmt_as_csv(r->budget->total, 2)),
                     fmt_money(v[1], FMT_CAP, opt),
                     fmt_money(v[2], FMT_CAP, opt - fmt_as_csv(t[CLM_POLICY_PROPORTIONAL].net_gain, 2)),
                     fmt_money(v[3], FMT_CAP, opt - fmt_as_csv(t[CLM_POLICY_HIGH_TIER].net_gain, 2)));
        fputs("</p>\n", f);
    }
}

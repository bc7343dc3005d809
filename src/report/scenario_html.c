/*
 * scenario_html.c — scenario.html: one self-contained page (no network)
 * for a strategy team: per scenario the company figures, the baseline and
 * scenario curves of the active base and the monthly revenue, the
 * waterfall of net gain by lever (each lever alone, then what acting
 * together adds), the sortable branch table, and the budget's split
 * against the two simple policies.  The numbers printed are those of
 * scenarios.csv (same rounding), so a reader or a test can match them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clmseg/scenario.h"
#include "report/html_internal.h"

/* Bars of a waterfall at most: the levers, the interaction, the total. */
#define PLAN_BARS_MAX 16

/* Two curves (baseline dashed, scenario solid) over months 0..h. */
static void svg_two_curves(FILE *f, const double *base, const double *scen, int h, const char *y_label)
{
    const double W = 560, H = 220, L = 70, B = 36, T = 12, R = 12;
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k <= h; k++) {
        const double v[2] = {base[k], scen[k]};
        for (int j = 0; j < 2; j++) {
            lo = v[j] < lo ? v[j] : lo;
            hi = v[j] > hi ? v[j] : hi;
        }
    }
    if (!(hi > lo))
        hi = lo + 1.0;
    lo = lo > 0 ? 0.0 : lo;
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", W, H, W, H);
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4.0, y = H - B - (H - B - T) * t / 4.0;
        fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.0f</text>\n",
                L, W - R, y, y, L - 4, y + 3, v);
    }
    for (int k = 0; k <= h; k += h >= 24 ? 6 : 3)
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%d</text>\n",
                L + (W - L - R) * k / h, H - B + 14, k);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">months from now</text>\n",
            L + (W - L - R) / 2, H - 4);
    fprintf(f, "<text x=\"12\" y=\"%.0f\" font-size=\"11\" transform=\"rotate(-90 12 %.0f)\" "
               "text-anchor=\"middle\">", (H - B) / 2, (H - B) / 2);
    html_escape(f, y_label);
    fputs("</text>\n", f);
    const double *curves[2] = {base, scen};
    static const char *const style[2] = {"stroke=\"#888\" stroke-dasharray=\"5 3\"", "stroke=\"#1f5fa8\""};
    for (int c = 0; c < 2; c++) {
        fprintf(f, "<polyline fill=\"none\" stroke-width=\"2\" %s points=\"", style[c]);
        for (int k = 0; k <= h; k++)
            fprintf(f, "%.1f,%.1f ", L + (W - L - R) * k / h,
                    H - B - (H - B - T) * (curves[c][k] - lo) / (hi - lo));
        fputs("\"/>\n", f);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"11\" fill=\"#888\">- - baseline</text>"
               "<text x=\"%.0f\" y=\"38\" font-size=\"11\" fill=\"#1f5fa8\">&#8212; scenario</text>\n",
            W - 120, W - 120);
    fputs("</svg>\n", f);
}

/* Net gain by lever alone, then the interaction, then the total. */
static void svg_waterfall(FILE *f, const clm_scenario_result *r, int s, double total)
{
    const int n = r->n_levers[s] + 2;
    double v[PLAN_BARS_MAX], start[PLAN_BARS_MAX];
    const char *label[PLAN_BARS_MAX];
    double run = 0.0, lo = 0.0, hi = 0.0;
    for (int i = 0; i < n; i++) {
        if (i < r->n_levers[s]) {
            label[i] = r->lever_names[s][i];
            v[i] = r->lever_net_gain[s][i];
        } else if (i == r->n_levers[s]) {
            label[i] = "interaction";
            v[i] = r->interaction[s];
        } else {
            label[i] = "net gain";
            v[i] = total;
        }
        start[i] = i == n - 1 ? 0.0 : run;
        if (i < n - 1)
            run += v[i];
        const double a = start[i], b = start[i] + v[i];
        lo = a < lo ? a : lo, lo = b < lo ? b : lo;
        hi = a > hi ? a : hi, hi = b > hi ? b : hi;
    }
    if (!(hi > lo))
        hi = lo + 1.0;
    const double W = 560, H = 40.0 + 28.0 * n, L = 110, R = 110;
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", W, H, W, H);
    const double x0 = L + (W - L - R) * (0 - lo) / (hi - lo);
    fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"8\" y2=\"%.0f\" stroke=\"#999\"/>\n", x0, x0, H - 20);
    for (int i = 0; i < n; i++) {
        double a = start[i], b = start[i] + v[i];
        double xa = L + (W - L - R) * ((a < b ? a : b) - lo) / (hi - lo);
        double w = (W - L - R) * fabs(b - a) / (hi - lo);
        const char *colour = i == n - 1 ? "#1f5fa8" : v[i] >= 0 ? "#3a9a5b" : "#c0392b";
        double y = 12 + 28.0 * i;
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">", L - 6, y + 14);
        html_escape(f, label[i]);
        fprintf(f, "</text><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%.2f</text>\n",
                xa, y, w > 0.5 ? w : 0.5, colour, W - R + 6, y + 14, v[i]);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">net gain "
               "(equity change - cost, money)</text>\n", L + (W - L - R) / 2, H - 4);
    fputs("</svg>\n", f);
}

static void figure_cells(FILE *f, const clm_scenario_row *x)
{
    fprintf(f, "<td data-v=\"%.0f\">%.0f</td><td data-v=\"%.2f\">%.2f</td>"
               "<td data-v=\"%.2f\">%.2f</td><td data-v=\"%.2f\">%.2f</td>"
               "<td data-v=\"%.2f\">%.2f</td><td data-v=\"%.2f\">%.2f</td>"
               "<td data-v=\"%.2f\">%.2f</td>",
            x->targeted, x->targeted, x->accepting, x->accepting, x->base.active_12, x->base.active_12,
            x->scen.active_12, x->scen.active_12, x->scen.equity - x->base.equity,
            x->scen.equity - x->base.equity, x->cost, x->cost, x->net_gain, x->net_gain);
    if (isnan(x->roi))
        fputs("<td data-v=\"0\">NA</td>", f);
    else
        fprintf(f, "<td data-v=\"%.4f\">%.4f</td>", x->roi, x->roi);
    if (x->payback_month > 0)
        fprintf(f, "<td data-v=\"%d\">%d</td>", (int)x->payback_month, (int)x->payback_month);
    else
        fputs("<td data-v=\"9999\">&#8212;</td>", f);
}

static const char *const table_head =
    "<th>targeted</th><th>accepting</th><th>active after 12 m, baseline</th><th>active after 12 m</th>"
    "<th>equity change</th><th>cost</th><th>net gain</th><th>ROI</th><th>payback month</th>";

static void budget_section(FILE *f, const clm_budget_result *g)
{
    fputs("<h2>Retention budget</h2>\n", f);
    const clm_budget_cell *o = &g->totals[CLM_POLICY_OPTIMISED];
    fprintf(f, "<p>Budget %.2f: the optimised split spends %.2f on %.2f contacts for %.2f expected saves and a "
               "net gain of <b id=\"budget-net\">%.2f</b>.</p>\n", g->total, o->spend, o->contacted, o->saves,
            o->net_gain);
    fputs("<table id=\"policies\"><thead><tr><th>policy</th><th>spend</th><th>contacted</th>"
          "<th>expected saves</th><th>net gain</th><th>optimised gains more by</th></tr></thead><tbody>\n", f);
    for (int p = 0; p < CLM_N_POLICIES; p++) {
        const clm_budget_cell *t = &g->totals[p];
        fprintf(f, "<tr><td>%s</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td></tr>\n",
                clm_budget_policy_names[p], t->spend, t->contacted, t->saves, t->net_gain,
                o->net_gain - t->net_gain);
    }
    fputs("</tbody></table>\n<p>Every cell's spend, contacts and saves are in allocation.csv.</p>\n", f);
}

void clm_scenario_write_html(const clm_scenario_result *r, FILE *f)
{
    html_begin(f, "clmseg scenarios", "en");
    fputs("<h1>Strategy scenarios</h1>\n", f);
    fprintf(f, "<p>Each active subscriber projected month by month over %d months from the Cox model's "
               "conditional survival, ARPU and margin %.2f, discounted at %.1f%% a year; the baseline, "
               "then each scenario of the plan (docs/strategy.md).</p>\n",
            (int)r->horizon, r->margin, 100.0 * r->discount);
    const int32_t nb = r->n_branches, h = r->horizon;
    fputs("<h2>Scenarios</h2>\n<table id=\"scenarios\" class=\"sortable\"><thead><tr><th>scenario</th>", f);
    fputs(table_head, f);
    fputs("</tr></thead><tbody>\n", f);
    for (int32_t s = 0; s < r->n_scenarios; s++) {
        fputs("<tr><td>", f);
        html_escape(f, r->names[s]);
        fputs("</td>", f);
        figure_cells(f, &r->rows[(size_t)s * (size_t)(nb + 1) + (size_t)nb]);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    for (int32_t s = 0; s < r->n_scenarios; s++) {
        const clm_scenario_row *all = &r->rows[(size_t)s * (size_t)(nb + 1) + (size_t)nb];
        fputs("<section class=\"scenario\"><h2>Scenario ", f);
        html_escape(f, r->names[s]);
        fputs("</h2>\n<h3>Active subscribers</h3>\n", f);
        svg_two_curves(f, r->base_active, r->active + (size_t)s * (size_t)(h + 1), h, "expected active subscribers");
        fputs("<h3>Monthly revenue</h3>\n", f);
        svg_two_curves(f, r->base_revenue, r->revenue + (size_t)s * (size_t)(h + 1), h, "revenue per month (money)");
        fputs("<h3>Net gain by lever</h3>\n", f);
        svg_waterfall(f, r, s, all->net_gain);
        fputs("<h3>By branch</h3>\n<div class=\"scroll\"><table class=\"sortable branches\"><thead><tr>"
              "<th>branch</th>", f);
        fputs(table_head, f);
        fputs("</tr></thead><tbody>\n", f);
        for (int32_t b = 0; b <= nb; b++) {
            const clm_scenario_row *x = &r->rows[(size_t)s * (size_t)(nb + 1) + (size_t)b];
            if (b < nb && ((x->targeted == 0 && x->accepting == 0) || !strcmp(r->branch_names[b], "all")))
                continue; /* the branches the scenario does not reach: baseline only */
            fputs(b == nb ? "<tr class=\"total\"><td>" : "<tr><td>", f);
            html_escape(f, r->branch_names[b]);
            fputs("</td>", f);
            figure_cells(f, x);
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table></div>\n<p>Branches the scenario does not reach are left out; every branch is "
              "in scenarios.csv.</p></section>\n", f);
    }
    if (r->budget)
        budget_section(f, r->budget);
    html_end(f);
}

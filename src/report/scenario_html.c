/*
 * scenario_html.c — scenario.html: one self-contained page (no network)
 * for a strategy team: per scenario the company figures, the baseline and
 * scenario curves of the active base and the monthly revenue, the
 * waterfall of net gain by lever (each lever alone, then what acting
 * together adds), the sortable branch table, and the budget's split
 * against the two simple policies.
 *
 * Words come from the strings table (strings_internal.h) in the language
 * asked for; every figure is the value scenarios.csv, scenario_levers.csv
 * or allocation_policies.csv holds (fmt_as_csv with the CSV's decimals)
 * shown as report.html shows its figures (format_internal.h: separators,
 * two decimals for money and counts of expected subscribers, ROI in
 * percent), so a reader or a test can match them; an equity change is the
 * difference of the two CSV columns.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clmseg/scenario.h"
#include "report/format_internal.h"
#include "report/html_internal.h"
#include "report/strings_internal.h"

/* Bars of a waterfall at most: the levers, the interaction, the total. */
#define PLAN_BARS_MAX 16

/* A figure of a CSV column with 2 decimals, as shown. */
static char *csv_money(char *buf, double v)
{
    return fmt_money(buf, FMT_CAP, fmt_as_csv(v, 2));
}

/* Two curves (baseline dashed, scenario solid) over months 0..h, the axes
 * titled with their units. */
static void svg_two_curves(FILE *f, const double *base, const double *scen, int h, const char *y_label, int lang)
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
    char tick[FMT_CAP];
    fprintf(f, "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n", W, H, W, H);
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4.0, y = H - B - (H - B - T) * t / 4.0;
        fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>\n",
                L, W - R, y, y, L - 4, y + 3, fmt_fixed(tick, sizeof tick, v, 0));
    }
    for (int k = 0; k <= h; k += h >= 24 ? 6 : 3)
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%d</text>\n",
                L + (W - L - R) * k / h, H - B + 14, k);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">", L + (W - L - R) / 2, H - 4);
    html_escape(f, report_text_of(lang, RT_AX_FROM_NOW));
    fprintf(f, "</text>\n<text x=\"12\" y=\"%.0f\" font-size=\"11\" transform=\"rotate(-90 12 %.0f)\" "
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
    fprintf(f, "<text x=\"%.0f\" y=\"24\" font-size=\"11\" fill=\"#888\">- - ", W - 120);
    html_escape(f, report_text_of(lang, RT_S_BASELINE));
    fprintf(f, "</text><text x=\"%.0f\" y=\"38\" font-size=\"11\" fill=\"#1f5fa8\">&#8212; ", W - 120);
    html_escape(f, report_text_of(lang, RT_S_SCENARIO_CURVE));
    fputs("</text>\n</svg>\n", f);
}

/* Net gain by lever alone, then the interaction, then the total; each
 * bar's figure as scenario_levers.csv (and scenarios.csv) holds it. */
static void svg_waterfall(FILE *f, const clm_scenario_result *r, int s, double total, int lang)
{
    const int n = r->n_levers[s] + 2;
    double v[PLAN_BARS_MAX], start[PLAN_BARS_MAX];
    const char *label[PLAN_BARS_MAX];
    double run = 0.0, lo = 0.0, hi = 0.0;
    for (int i = 0; i < n; i++) {
        if (i < r->n_levers[s]) {
            label[i] = report_plan_lever_name(lang, r->lever_names[s][i]);
            v[i] = r->lever_net_gain[s][i];
        } else if (i == r->n_levers[s]) {
            label[i] = report_text_of(lang, RT_S_INTERACTION);
            v[i] = r->interaction[s];
        } else {
            label[i] = report_text_of(lang, RT_C_NET_GAIN);
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
    char text[FMT_CAP];
    for (int i = 0; i < n; i++) {
        double a = start[i], b = start[i] + v[i];
        double xa = L + (W - L - R) * ((a < b ? a : b) - lo) / (hi - lo);
        double w = (W - L - R) * fabs(b - a) / (hi - lo);
        const char *colour = i == n - 1 ? "#1f5fa8" : v[i] >= 0 ? "#3a9a5b" : "#c0392b";
        double y = 12 + 28.0 * i;
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">", L - 6, y + 14);
        html_escape(f, label[i]);
        fprintf(f, "</text><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>"
                   "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%s</text>\n",
                xa, y, w > 0.5 ? w : 0.5, colour, W - R + 6, y + 14, csv_money(text, v[i]));
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">", L + (W - L - R) / 2, H - 4);
    html_escape(f, report_text_of(lang, RT_AX_NET_GAIN));
    fputs("</text>\n</svg>\n", f);
}

/* A cell: its raw value for sorting, its figure as text. */
static void cell(FILE *f, double raw, const char *text)
{
    fprintf(f, "<td data-v=\"%.17g\">%s</td>", isfinite(raw) ? raw : -1e300, text);
}

/* targeted (0 decimals in scenarios.csv), accepting, active_12_base,
 * active_12, equity - equity_base, cost, net_gain (2), roi (4, shown in
 * percent with 2), payback_month (a dash when none). */
static void figure_cells(FILE *f, const clm_scenario_row *x)
{
    char v[FMT_CAP];
    const double change = fmt_as_csv(x->scen.equity, 2) - fmt_as_csv(x->base.equity, 2);
    cell(f, x->targeted, fmt_fixed(v, sizeof v, fmt_as_csv(x->targeted, 0), 0));
    cell(f, x->accepting, csv_money(v, x->accepting));
    cell(f, x->base.active_12, csv_money(v, x->base.active_12));
    cell(f, x->scen.active_12, csv_money(v, x->scen.active_12));
    cell(f, change, fmt_money(v, sizeof v, change));
    cell(f, x->cost, csv_money(v, x->cost));
    cell(f, x->net_gain, csv_money(v, x->net_gain));
    cell(f, x->roi, fmt_percent(v, sizeof v, fmt_as_csv(x->roi, 4), 2));
    cell(f, x->payback_month > 0 ? x->payback_month : 9999,
         fmt_fixed(v, sizeof v, x->payback_month > 0 ? (double)x->payback_month : NAN, 0));
}

/* The columns of figure_cells after `first` (scenario or branch). */
static void table_head(FILE *f, report_text first, int lang)
{
    static const report_text ids[10] = {RT_C_SCENARIO,  RT_C_TARGETED,      RT_C_ACCEPTING, RT_C_ACTIVE_12_BASE,
                                        RT_C_ACTIVE_12, RT_C_EQUITY_CHANGE, RT_C_COST,      RT_C_NET_GAIN,
                                        RT_C_ROI,       RT_C_PAYBACK};
    const char *heads[10];
    for (int i = 0; i < 10; i++)
        heads[i] = report_text_of(lang, i == 0 ? first : ids[i]);
    html_header_row(f, heads, 10);
}

static void heading(FILE *f, const char *tag, const char *text)
{
    fprintf(f, "<%s>", tag);
    html_escape(f, text);
    fprintf(f, "</%s>\n", tag);
}

/* The budget's figures as allocation_policies.csv holds them (2 decimals). */
static void budget_section(FILE *f, const clm_budget_result *g, int lang)
{
    heading(f, "h2", report_text_of(lang, RT_S_H_BUDGET));
    const clm_budget_cell *o = &g->totals[CLM_POLICY_OPTIMISED];
    char v[5][FMT_CAP];
    fputs("<p>", f);
    html_escapef(f, report_text_of(lang, RT_S_BUDGET), csv_money(v[0], g->total), csv_money(v[1], o->spend),
                 csv_money(v[2], o->contacted), csv_money(v[3], o->saves));
    fprintf(f, " <b id=\"budget-net\">%s</b>.</p>\n", csv_money(v[0], o->net_gain));
    const char *heads[6] = {report_text_of(lang, RT_C_POLICY), report_text_of(lang, RT_C_SPEND),
                            report_text_of(lang, RT_C_CONTACTED), report_text_of(lang, RT_C_SAVES),
                            report_text_of(lang, RT_C_NET_GAIN), report_text_of(lang, RT_C_GAINS_MORE)};
    fputs("<table id=\"policies\">", f);
    html_header_row(f, heads, 6);
    fputs("<tbody>\n", f);
    for (int p = 0; p < CLM_N_POLICIES; p++) {
        const clm_budget_cell *t = &g->totals[p];
        fputs("<tr><td>", f);
        html_escape(f, report_policy_name(lang, p));
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", csv_money(v[0], t->spend),
                csv_money(v[1], t->contacted), csv_money(v[2], t->saves), csv_money(v[3], t->net_gain),
                fmt_money(v[4], FMT_CAP, fmt_as_csv(o->net_gain, 2) - fmt_as_csv(t->net_gain, 2)));
    }
    fputs("</tbody></table>\n<p>", f);
    html_escape(f, report_text_of(lang, RT_S_ALLOCATION));
    fputs("</p>\n", f);
}

void clm_scenario_write_html(const clm_scenario_result *r, const char *lang_name, FILE *f)
{
    const int lang = report_lang_parse(lang_name) < 0 ? REPORT_LANG_EN : report_lang_parse(lang_name);
    char v[3][FMT_CAP];
    html_begin(f, report_text_of(lang, RT_S_DOC_TITLE), report_lang_tag(lang));
    heading(f, "h1", report_text_of(lang, RT_H_SCENARIOS));
    fputs("<p>", f);
    html_escapef(f, report_text_of(lang, RT_S_INTRO), fmt_count(v[0], FMT_CAP, r->horizon),
                 fmt_fixed(v[1], FMT_CAP, r->margin, 2), fmt_percent(v[2], FMT_CAP, r->discount, 1));
    fputs("</p>\n", f);
    const int32_t nb = r->n_branches, h = r->horizon;
    heading(f, "h2", report_text_of(lang, RT_S_H_SCENARIOS));
    fputs("<table id=\"scenarios\" class=\"sortable\">", f);
    table_head(f, RT_C_SCENARIO, lang);
    fputs("<tbody>\n", f);
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
        fputs("<section class=\"scenario\"><h2>", f);
        html_escapef(f, report_text_of(lang, RT_S_SCENARIO), r->names[s]);
        fputs("</h2>\n", f);
        heading(f, "h3", report_text_of(lang, RT_S_H_ACTIVE));
        svg_two_curves(f, r->base_active, r->active + (size_t)s * (size_t)(h + 1), h,
                       report_text_of(lang, RT_AX_ACTIVE), lang);
        heading(f, "h3", report_text_of(lang, RT_S_H_REVENUE));
        svg_two_curves(f, r->base_revenue, r->revenue + (size_t)s * (size_t)(h + 1), h,
                       report_text_of(lang, RT_AX_REVENUE), lang);
        heading(f, "h3", report_text_of(lang, RT_S_H_WATERFALL));
        svg_waterfall(f, r, s, all->net_gain, lang);
        heading(f, "h3", report_text_of(lang, RT_S_H_BY_BRANCH));
        fputs("<div class=\"scroll\"><table class=\"sortable branches\">", f);
        table_head(f, RT_C_BRANCH, lang);
        fputs("<tbody>\n", f);
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
        fputs("</tbody></table></div>\n<p>", f);
        html_escape(f, report_text_of(lang, RT_S_LEFT_OUT));
        fputs("</p></section>\n", f);
    }
    if (r->budget)
        budget_section(f, r->budget, lang);
    html_end(f);
}

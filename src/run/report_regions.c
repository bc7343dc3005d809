/*
 * report_regions.c — the report's region section: the regions in health
 * order, each a collapsible <details> block whose table holds the region's
 * own row and, under it, its branches in the branch health order with
 * their rank among all branches.  Words come from the strings table in the
 * report's language; every figure is the value regions.csv or branches.csv
 * holds (fmt_as_csv), formatted as the branch ranking formats it
 * (format_internal.h), so a reader can match them one for one.
 */
#include <stdlib.h>

#include "report/format_internal.h"
#include "report/html_internal.h"
#include "report/strings_internal.h"
#include "run/run_regions.h"

/* Regions and branches per region the section lists at most (the rest are
 * in regions.csv and branches.csv): the page stays small with 200,000
 * branches. */
#define REPORT_REGIONS_MAX 500
#define REPORT_BRANCHES_PER_REGION 100

/* One row: the columns of the branch ranking (step_report.c), with the
 * decimals of RUN_CSV_HEALTH_HEADER's columns rounded as the CSV rounds. */
static void group_row(FILE *f, const char *cls, int rank, const run_branch *g, int lang)
{
    const clm_health_metrics *m = &g->metrics;
    char v[5][FMT_CAP];
    fprintf(f, "<tr class=\"%s\"><td>%s</td><td>", cls, fmt_count(v[0], FMT_CAP, rank));
    html_escape(f, g->name);
    fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>",
            fmt_count(v[0], FMT_CAP, m->subscribers), fmt_percent(v[1], FMT_CAP, fmt_as_csv(m->churn_rate, 6), 2),
            fmt_percent(v[2], FMT_CAP, fmt_as_csv(m->s12, 6), 2), fmt_money(v[3], FMT_CAP, fmt_as_csv(m->arpu, 4)),
            fmt_money(v[4], FMT_CAP, fmt_as_csv(m->ltv, 4)));
    for (int k = 0; k < CLM_N_SCORES; k++)
        fprintf(f, "<td>%s</td>", fmt_fixed(v[0], FMT_CAP, fmt_as_csv(g->health.score[k], 2), 2));
    fprintf(f, "<td>%s</td><td>", fmt_fixed(v[0], FMT_CAP, fmt_as_csv(g->health.total, 2), 2));
    html_escape(f, report_lever_name(lang, g->health.lever));
    fputs("</td></tr>\n", f);
}

static void header(FILE *f, int lang)
{
    const char *heads[13] = {report_text_of(lang, RT_K_RANK),      report_text_of(lang, RT_C_REGION_BRANCH),
                             report_text_of(lang, RT_K_SUBSCRIBERS), report_text_of(lang, RT_K_CHURN_RATE),
                             "S(12)", "ARPU", "LTV", report_score_name(lang, 0), report_score_name(lang, 1),
                             report_score_name(lang, 2), report_score_name(lang, 3), report_text_of(lang, RT_K_HEALTH),
                             report_text_of(lang, RT_C_LEVER)};
    fputs("<div class=\"scroll\"><table class=\"region\">", f);
    html_header_row(f, heads, 13);
    fputs("<tbody>\n", f);
}

/* "1. North · health score 61.20 · 1,234 subscribers · ...": the region's
 * line of figures, each rounded as regions.csv holds it. */
static void summary(FILE *f, int rank, const run_branch *fig, int n_branches, int lang)
{
    char v[FMT_CAP];
    fprintf(f, "<details class=\"region\"><summary>%d. ", rank);
    html_escape(f, fig->name);
    fputs(" &middot; ", f);
    html_escapef(f, report_text_of(lang, RT_REGION_HEALTH), fmt_fixed(v, FMT_CAP, fmt_as_csv(fig->health.total, 2), 2));
    fputs(" &middot; ", f);
    html_escapef(f, report_text_of(lang, RT_REGION_SUBSCRIBERS), fmt_count(v, FMT_CAP, fig->metrics.subscribers));
    fputs(" &middot; ", f);
    html_escapef(f, report_text_of(lang, RT_REGION_CHURN),
                 fmt_percent(v, FMT_CAP, fmt_as_csv(fig->metrics.churn_rate, 6), 2));
    fputs(" &middot; ", f);
    html_escapef(f, report_text_of(lang, RT_REGION_LEVER), report_lever_name(lang, fig->health.lever));
    fputs(" &middot; ", f);
    html_escapef(f, report_text_of(lang, RT_REGION_BRANCHES), fmt_count(v, FMT_CAP, n_branches));
    fputs("</summary>\n", f);
}

void run_report_regions(FILE *f, const run_ctx *ctx)
{
    const run_regions *R = ctx->regions;
    if (!R || !R->figures)
        return;
    const int nb = ctx->n_branches, lang = ctx->report_lang;
    int *order = run_group_order(R->figures, R->n);
    int *branch_order = run_health_order(ctx);
    /* The branches of each region in health order: a counting sort of the
     * branch order by region, so this is O(branches). */
    int *start = calloc((size_t)R->n + 1, sizeof *start);
    int *listed = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *listed);
    int *rank = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *rank);
    if (order && branch_order && start && listed && rank) {
        for (int b = 0; b < nb; b++)
            if (R->of_branch[b] >= 0)
                start[R->of_branch[b] + 1]++;
        for (int g = 0; g < R->n; g++)
            start[g + 1] += start[g];
        for (int r = 0; r < nb; r++) {
            int b = branch_order[r], g = R->of_branch[b];
            rank[b] = r + 1;
            if (g >= 0)
                listed[start[g]++] = b;
        }
        for (int g = R->n; g > 0; g--) /* start[g] ended at region g's end: shift back */
            start[g] = start[g - 1];
        start[0] = 0;

        char a[FMT_CAP], b[FMT_CAP];
        fputs("<h2>", f);
        html_escape(f, report_text_of(lang, RT_H_REGIONS));
        fputs("</h2>\n<style>tr.region-total td{font-weight:bold}"
              "details.region summary{cursor:pointer;margin:.3em 0}</style>\n<p>", f);
        html_escapef(f, report_text_of(lang, RT_REGIONS_NOTE), fmt_count(a, sizeof a, R->n),
                     fmt_count(b, sizeof b, nb), ctx->col_region);
        fputs("</p>\n", f);
        const int shown = R->n < REPORT_REGIONS_MAX ? R->n : REPORT_REGIONS_MAX;
        if (shown < R->n) {
            fputs("<p>", f);
            html_escapef(f, report_text_of(lang, RT_REGIONS_CAPPED), fmt_count(a, sizeof a, shown),
                         fmt_count(b, sizeof b, R->n));
            fputs("</p>\n", f);
        }
        for (int r = 0; r < shown; r++) {
            const int g = order[r];
            const run_branch *fig = &R->figures[g];
            summary(f, r + 1, fig, R->branch_count[g], lang);
            header(f, lang);
            group_row(f, "region-total", r + 1, fig, lang);
            const int n_in = start[g + 1] - start[g];
            const int cap = n_in < REPORT_BRANCHES_PER_REGION ? n_in : REPORT_BRANCHES_PER_REGION;
            for (int k = 0; k < cap; k++) {
                int br = listed[start[g] + k];
                group_row(f, "branch", rank[br], &ctx->branches[br], lang);
            }
            fputs("</tbody></table></div>\n", f);
            if (cap < n_in) {
                fputs("<p>", f);
                html_escapef(f, report_text_of(lang, RT_REGION_BRANCHES_CAPPED), fmt_count(a, sizeof a, cap),
                             fmt_count(b, sizeof b, n_in));
                fputs("</p>\n", f);
            }
            fputs("</details>\n", f);
        }
    }
    free(order);
    free(branch_order);
    free(start);
    free(listed);
    free(rank);
}

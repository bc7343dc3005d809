/*
 * report_regions.c — the report's region section: the regions in health
 * order, each a collapsible <details> block whose table holds the region's
 * own row and, under it, its branches in the branch health order with
 * their rank among all branches.  Figures are printed rounded as in
 * regions.csv and branches.csv, so a reader can match them one for one.
 */
#include <stdlib.h>

#include "report/html_internal.h"
#include "run/run_regions.h"

/* Regions and branches per region the section lists at most (the rest are
 * in regions.csv and branches.csv): the page stays small with 200,000
 * branches. */
#define REPORT_REGIONS_MAX 500
#define REPORT_BRANCHES_PER_REGION 100

static void group_row(FILE *f, const char *cls, int rank, const run_branch *g)
{
    const clm_health_metrics *m = &g->metrics;
    fprintf(f, "<tr class=\"%s\"><td>%d</td><td>", cls, rank);
    html_escape(f, g->name);
    fprintf(f, "</td><td>%lld</td><td>%.6f</td><td>%.6f</td><td>%.4f</td><td>%.4f</td>", (long long)m->subscribers,
            m->churn_rate, m->s12, m->arpu, m->ltv);
    for (int k = 0; k < CLM_N_SCORES; k++)
        fprintf(f, "<td>%.2f</td>", g->health.score[k]);
    fprintf(f, "<td>%.2f</td><td>", g->health.total);
    html_escape(f, clm_health_lever_names[g->health.lever]);
    fputs("</td></tr>\n", f);
}

void run_report_regions(FILE *f, const run_ctx *ctx)
{
    const run_regions *R = ctx->regions;
    if (!R || !R->figures)
        return;
    const int nb = ctx->n_branches;
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

        fputs("<h2>Regions ranked by health score</h2>\n<style>tr.region-total td{font-weight:bold}"
              "details.region summary{cursor:pointer;margin:.3em 0}</style>\n", f);
        fprintf(f, "<p>%d regions over %d branches (column ", R->n, nb);
        html_escape(f, ctx->col_region);
        fputs("). A region's figures come from its own subscribers the way a branch's do, and its sub-scores "
              "rank it among the regions (0 worst, 100 best; docs/run.md). Open a region: its first row (bold) is "
              "the region with its rank among the regions, then its branches, each with its rank among all "
              "branches (regions.csv, branches.csv).</p>\n", f);
        const int shown = R->n < REPORT_REGIONS_MAX ? R->n : REPORT_REGIONS_MAX;
        if (shown < R->n)
            fprintf(f, "<p>The %d healthiest regions are listed; all %d are in regions.csv.</p>\n", shown, R->n);
        for (int r = 0; r < shown; r++) {
            const int g = order[r];
            const run_branch *fig = &R->figures[g];
            fprintf(f, "<details class=\"region\"><summary>%d. ", r + 1);
            html_escape(f, fig->name);
            fprintf(f, " &middot; health %.2f &middot; %lld subscribers &middot; churn rate %.6f &middot; lever ",
                    fig->health.total, (long long)fig->metrics.subscribers, fig->metrics.churn_rate);
            html_escape(f, clm_health_lever_names[fig->health.lever]);
            fprintf(f, " &middot; %d branch%s</summary>\n", R->branch_count[g], R->branch_count[g] == 1 ? "" : "es");
            fputs("<div class=\"scroll\"><table><thead><tr><th>rank</th><th>region / branch</th><th>subscribers</th>"
                  "<th>churn rate</th><th>S(12)</th><th>ARPU</th><th>LTV</th><th>retention</th><th>value</th>"
                  "<th>growth</th><th>risk</th><th>health</th><th>lever</th></tr></thead><tbody>\n", f);
            group_row(f, "region-total", r + 1, fig);
            const int n_in = start[g + 1] - start[g];
            const int cap = n_in < REPORT_BRANCHES_PER_REGION ? n_in : REPORT_BRANCHES_PER_REGION;
            for (int k = 0; k < cap; k++) {
                int b = listed[start[g] + k];
                group_row(f, "branch", rank[b], &ctx->branches[b]);
            }
            fputs("</tbody></table></div>\n", f);
            if (cap < n_in)
                fprintf(f, "<p>The %d healthiest of its %d branches; all are in branches.csv.</p>\n", cap, n_in);
            fputs("</details>\n", f);
        }
    }
    free(order);
    free(branch_order);
    free(start);
    free(listed);
    free(rank);
}

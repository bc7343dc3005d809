/*
 * report_previous.c — the report's "Quarter over quarter" section, with a
 * previous run (docs/run.md): the branches whose health rank rose and fell
 * most since last quarter (all of them in changes.csv), and per segment
 * how its profile shifted against the segment it continues: share, churn
 * rate, mean ARPU, the distance the centroid moved (in this quarter's
 * standard deviations) and the features whose z-score against the whole
 * base changed most.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html_internal.h"
#include "run/run_ctx.h"
#include "run/run_previous.h"

/* Branches listed per direction. */
#define MOVERS_SHOWN 10

typedef struct mover {
    int branch, rank, rank_prev;
} mover;

/* Largest rise first; equal rises by this quarter's rank. */
static int by_rise(const void *a, const void *b)
{
    const mover *x = a, *y = b;
    int rx = x->rank_prev - x->rank, ry = y->rank_prev - y->rank;
    if (rx != ry)
        return ry > rx ? 1 : -1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Largest fall first; equal falls by this quarter's rank. */
static int by_fall(const void *a, const void *b)
{
    const mover *x = a, *y = b;
    int rx = x->rank_prev - x->rank, ry = y->rank_prev - y->rank;
    if (rx != ry)
        return rx > ry ? 1 : -1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

static void movers_table(FILE *f, const run_ctx *ctx, const mover *m, int count, int rising)
{
    fprintf(f, "<p>Moved most %s:</p>\n", rising ? "up" : "down");
    fputs("<table><thead><tr><th>branch</th><th>rank last quarter</th><th>rank</th><th>health last quarter</th>"
          "<th>health</th><th>churn rate last quarter</th><th>churn rate</th></tr></thead><tbody>\n", f);
    const run_previous *p = ctx->previous;
    for (int i = 0; i < count; i++) {
        const run_branch *br = &ctx->branches[m[i].branch];
        const run_previous_branch *pb = &p->branches[run_previous_find(p, br->name)];
        fputs("<tr><td>", f);
        html_escape(f, br->name);
        fprintf(f, "</td><td>%d</td><td>%d</td><td>%.2f</td><td>%.2f</td><td>%.6f</td><td>%.6f</td></tr>\n",
                m[i].rank_prev, m[i].rank, pb->health, br->health.total, pb->churn_rate, br->metrics.churn_rate);
    }
    fputs("</tbody></table>\n", f);
}

static void branch_movers(FILE *f, const run_ctx *ctx)
{
    const run_previous *p = ctx->previous;
    const int nb = ctx->n_branches;
    int *order = run_health_order(ctx);
    mover *m = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *m);
    int n = 0, n_new = 0;
    for (int r = 0; order && m && r < nb; r++) {
        int b = run_previous_find(p, ctx->branches[order[r]].name);
        if (b < 0)
            n_new++;
        else
            m[n++] = (mover){order[r], r + 1, p->branches[b].rank};
    }
    if (order && m) {
        fprintf(f, "<p>%d branches in both quarters, %d new this quarter, %d gone since last quarter; every "
                   "branch, with its figures of both quarters, is in changes.csv.</p>\n",
                n, n_new, p->n_branches - n);
        qsort(m, (size_t)n, sizeof *m, by_rise);
        int up = 0, down = 0;
        while (up < n && up < MOVERS_SHOWN && m[up].rank_prev > m[up].rank)
            up++;
        if (up)
            movers_table(f, ctx, m, up, 1);
        qsort(m, (size_t)n, sizeof *m, by_fall);
        while (down < n && down < MOVERS_SHOWN && m[down].rank_prev < m[down].rank)
            down++;
        if (down)
            movers_table(f, ctx, m, down, 0);
        if (!up && !down)
            fputs("<p>No branch changed rank.</p>\n", f);
    }
    free(order);
    free(m);
}

/* The two features whose z-score changed most, as "data_gb +0.42". */
static void z_shifts(FILE *f, const run_ctx *ctx, const clm_kmeans_profile *now, int s, int old)
{
    const run_previous *p = ctx->previous;
    const int d = now->n_features;
    double best[2] = {0, 0};
    int at[2] = {-1, -1};
    for (int j = 0; j < d; j++) {
        const char *name = clm_kmeans_feature_name(ctx->kmeans, j);
        int q = -1;
        for (int c = 0; c < p->n_features && q < 0; c++)
            if (!strcmp(clm_kmeans_feature_name(p->kmeans, c), name))
                q = c;
        if (q < 0)
            continue;
        double shift = (double)now->zscore[(int64_t)s * d + j] - (double)p->zscore[(int64_t)old * p->n_features + q];
        if (at[0] < 0 || fabs(shift) > fabs(best[0])) {
            best[1] = best[0];
            at[1] = at[0];
            best[0] = shift;
            at[0] = j;
        } else if (at[1] < 0 || fabs(shift) > fabs(best[1])) {
            best[1] = shift;
            at[1] = j;
        }
    }
    for (int t = 0; t < 2 && at[t] >= 0; t++) {
        fputs(t ? "; " : "", f);
        html_escape(f, clm_kmeans_feature_name(ctx->kmeans, at[t]));
        fprintf(f, " %+.2f", best[t]);
    }
}

static void segment_shifts(FILE *f, const run_ctx *ctx)
{
    const run_previous *p = ctx->previous;
    clm_kmeans_profile now;
    const int32_t *continues = clm_kmeans_continues(ctx->kmeans);
    if (clm_kmeans_get_profile(ctx->kmeans, &now) != CLM_OK || !continues)
        return;
    fputs("<p>Each segment against the one of last quarter it continues (matched by the least total squared "
          "distance between centroids; docs/kmeans.md). The centroid shift is in this quarter's standard "
          "deviations; the z-score change is of the segment's centroid against the whole base.</p>\n", f);
    fputs("<table><thead><tr><th>segment</th><th>continues</th><th>share last quarter</th><th>share</th>"
          "<th>churn rate last quarter</th><th>churn rate</th><th>mean ARPU last quarter</th><th>mean ARPU</th>"
          "<th>centroid shift (sd)</th><th>largest z-score changes</th></tr></thead><tbody>\n", f);
    char label[320];
    for (int s = 0; s < ctx->k; s++) {
        int old = continues[s];
        fputs("<tr><td>", f);
        html_escape(f, run_segment_label(ctx, s, label, sizeof label));
        fputs("</td><td>", f);
        if (old < 0) {
            fprintf(f, "new this quarter</td><td></td><td>%.4f</td><td></td><td>%.4f</td><td></td><td>%.2f</td>"
                       "<td></td><td></td></tr>\n", now.share[s], now.churn_rate[s], now.mean_arpu[s]);
            continue;
        }
        fprintf(f, "%d: ", old);
        html_escape(f, p->segment_names[old]);
        fprintf(f, "</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.2f</td><td>%.2f</td>"
                   "<td>%.3f</td><td>", p->share[old], now.share[s], p->churn_rate[old], now.churn_rate[s],
                p->mean_arpu[old], now.mean_arpu[s], sqrt(p->cost[(int64_t)s * p->k + old]));
        z_shifts(f, ctx, &now, s, old);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    for (int old = 0; old < p->k; old++) {
        int held = 0;
        for (int s = 0; s < ctx->k; s++)
            held |= continues[s] == old;
        if (!held) {
            fprintf(f, "<p>Last quarter's segment %d (", old);
            html_escape(f, p->segment_names[old]);
            fprintf(f, ", %.1f%% of subscribers) has no continuation this quarter.</p>\n", 100.0 * p->share[old]);
        }
    }
}

void run_report_previous(FILE *f, const run_ctx *ctx)
{
    if (!ctx->previous)
        return;
    fputs("<h2>Quarter over quarter</h2>\n<p>Against last quarter's run ", f);
    html_escape(f, ctx->previous->path);
    fputs(".</p>\n", f);
    branch_movers(f, ctx);
    segment_shifts(f, ctx);
}

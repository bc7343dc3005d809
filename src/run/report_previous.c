/*
 * report_previous.c — the report's "Quarter over quarter" section, with a
 * previous run (docs/run.md): the branches whose health rank rose and fell
 * most since last quarter (all of them in changes.csv), and per segment
 * how its profile shifted against the segment it continues: share, churn
 * rate, mean ARPU, the distance the centroid moved (in this quarter's
 * standard deviations) and the features whose z-score against the whole
 * base changed most.  Words come from the strings table in the report's
 * language; the branch figures are changes.csv's values (fmt_as_csv) shown
 * as the branch ranking shows them (format_internal.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/format_internal.h"
#include "report/html_internal.h"
#include "report/strings_internal.h"
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

static const char *tx(const run_ctx *ctx, report_text id)
{
    return report_text_of(ctx->report_lang, id);
}

/* A paragraph of one sentence of the strings table. */
#define SENTENCE(f, ...)                                                                                     \
    do {                                                                                                     \
        fputs("<p>", f);                                                                                     \
        html_escapef(f, __VA_ARGS__);                                                                        \
        fputs("</p>\n", f);                                                                                  \
    } while (0)

/* The columns of changes.csv it shows: rank_prev, rank, health_prev,
 * health (2 decimals), churn_rate_prev, churn_rate (6 decimals, shown in
 * percent with 2). */
static void movers_table(FILE *f, const run_ctx *ctx, const mover *m, int count, int rising)
{
    fputs("<p>", f);
    html_escape(f, tx(ctx, rising ? RT_PREV_UP : RT_PREV_DOWN));
    fprintf(f, "</p>\n<table id=\"movers-%s\">", rising ? "up" : "down");
    const char *heads[7] = {tx(ctx, RT_C_BRANCH),      tx(ctx, RT_C_RANK_PREV),  tx(ctx, RT_K_RANK),
                            tx(ctx, RT_C_HEALTH_PREV), tx(ctx, RT_K_HEALTH),     tx(ctx, RT_C_CHURN_PREV),
                            tx(ctx, RT_K_CHURN_RATE)};
    html_header_row(f, heads, 7);
    fputs("<tbody>\n", f);
    const run_previous *p = ctx->previous;
    char v[6][FMT_CAP];
    for (int i = 0; i < count; i++) {
        const run_branch *br = &ctx->branches[m[i].branch];
        const run_previous_branch *pb = &p->branches[run_previous_find(p, br->name)];
        fputs("<tr><td>", f);
        html_escape(f, br->name);
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                fmt_count(v[0], FMT_CAP, m[i].rank_prev), fmt_count(v[1], FMT_CAP, m[i].rank),
                fmt_fixed(v[2], FMT_CAP, fmt_as_csv(pb->health, 2), 2),
                fmt_fixed(v[3], FMT_CAP, fmt_as_csv(br->health.total, 2), 2),
                fmt_percent(v[4], FMT_CAP, fmt_as_csv(pb->churn_rate, 6), 2),
                fmt_percent(v[5], FMT_CAP, fmt_as_csv(br->metrics.churn_rate, 6), 2));
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
        char a[FMT_CAP], b[FMT_CAP], c[FMT_CAP];
        SENTENCE(f, tx(ctx, RT_PREV_COUNTS), fmt_count(a, sizeof a, n), fmt_count(b, sizeof b, n_new),
                 fmt_count(c, sizeof c, p->n_branches - n));
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
            SENTENCE(f, "%s", tx(ctx, RT_PREV_NO_CHANGE));
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
        char v[FMT_CAP];
        fmt_fixed(v, sizeof v, best[t], 2);
        fprintf(f, " %s%s", v[0] == '-' ? "" : "+", v); /* "+0.42", "-0.31" */
    }
}

static void segment_shifts(FILE *f, const run_ctx *ctx)
{
    const run_previous *p = ctx->previous;
    clm_kmeans_profile now;
    const int32_t *continues = clm_kmeans_continues(ctx->kmeans);
    if (clm_kmeans_get_profile(ctx->kmeans, &now) != CLM_OK || !continues)
        return;
    SENTENCE(f, "%s", tx(ctx, RT_PREV_SEGMENTS_NOTE));
    fputs("<table id=\"segment-shifts\">", f);
    const char *heads[10] = {tx(ctx, RT_C_SEGMENT),     tx(ctx, RT_C_CONTINUES),  tx(ctx, RT_C_SHARE_PREV),
                             tx(ctx, RT_C_SHARE),       tx(ctx, RT_C_CHURN_PREV), tx(ctx, RT_K_CHURN_RATE),
                             tx(ctx, RT_C_ARPU_PREV),   tx(ctx, RT_MEAN_ARPU),    tx(ctx, RT_C_SHIFT),
                             tx(ctx, RT_C_Z_CHANGES)};
    html_header_row(f, heads, 10);
    fputs("<tbody>\n", f);
    char label[320], v[7][FMT_CAP];
    for (int s = 0; s < ctx->k; s++) {
        int old = continues[s];
        fputs("<tr><td>", f);
        html_escape(f, run_segment_label(ctx, s, label, sizeof label));
        fputs("</td><td>", f);
        if (old < 0) {
            html_escape(f, tx(ctx, RT_PREV_NEW_SEGMENT));
            fprintf(f, "</td><td></td><td>%s</td><td></td><td>%s</td><td></td><td>%s</td><td></td><td></td></tr>\n",
                    fmt_percent(v[0], FMT_CAP, now.share[s], 2), fmt_percent(v[1], FMT_CAP, now.churn_rate[s], 2),
                    fmt_money(v[2], FMT_CAP, now.mean_arpu[s]));
            continue;
        }
        fprintf(f, "%d: ", old);
        html_escape(f, p->segment_names[old]);
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
                fmt_percent(v[0], FMT_CAP, p->share[old], 2), fmt_percent(v[1], FMT_CAP, now.share[s], 2),
                fmt_percent(v[2], FMT_CAP, p->churn_rate[old], 2), fmt_percent(v[3], FMT_CAP, now.churn_rate[s], 2),
                fmt_money(v[4], FMT_CAP, p->mean_arpu[old]), fmt_money(v[5], FMT_CAP, now.mean_arpu[s]),
                fmt_fixed(v[6], FMT_CAP, sqrt(p->cost[(int64_t)s * p->k + old]), 3));
        z_shifts(f, ctx, &now, s, old);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    for (int old = 0; old < p->k; old++) {
        int held = 0;
        for (int s = 0; s < ctx->k; s++)
            held |= continues[s] == old;
        if (!held) {
            char number[16];
            snprintf(number, sizeof number, "%d", old);
            SENTENCE(f, tx(ctx, RT_PREV_NO_CONTINUATION), number, p->segment_names[old],
                     fmt_percent(v[0], FMT_CAP, p->share[old], 2));
        }
    }
}

void run_report_previous(FILE *f, const run_ctx *ctx)
{
    if (!ctx->previous)
        return;
    fputs("<h2>", f);
    html_escape(f, tx(ctx, RT_H_PREVIOUS));
    fputs("</h2>\n", f);
    SENTENCE(f, tx(ctx, RT_PREV_AGAINST), ctx->previous->path);
    branch_movers(f, ctx);
    segment_shifts(f, ctx);
}

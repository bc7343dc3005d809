/*
 * step_report.c — report.html: one self-contained page, drawn from the
 * models and figures in memory (nothing is read back from a file).
 *
 * The page shows the figures of the run as written elsewhere: the branch
 * table prints the same rounded values as branches.csv, so a reader (or a
 * test) can match them one for one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/textfile.h"
#include "clmseg/version.h"
#include "clmseg/writer.h"
#include "io/io_internal.h"
#include "report/html_internal.h"
#include "run/run_ctx.h"
#include "run/run_regions.h"

static void section(FILE *f, const char *title)
{
    fputs("<h2>", f);
    html_escape(f, title);
    fputs("</h2>\n", f);
}

/* Branches the ranking table lists at most: the healthiest and the least
 * healthy half each; the rest are in branches.csv (docs/run.md).  200,000
 * rows made an 85 MB page no browser opens comfortably. */
#define REPORT_BRANCHES_MAX 1000

static void branch_table(FILE *f, const run_ctx *ctx, const int *order)
{
    int nb = ctx->n_branches, capped = nb > REPORT_BRANCHES_MAX;
    if (capped)
        fprintf(f, "<p>%d branches: the %d healthiest and the %d least healthy are listed; every branch is in "
                   "branches.csv, in the same order.</p>\n",
                nb, REPORT_BRANCHES_MAX / 2, REPORT_BRANCHES_MAX / 2);
    fputs("<div class=\"scroll\"><table class=\"sortable\" id=\"branches\"><thead><tr><th>rank</th><th>branch</th>"
          "<th>subscribers</th><th>churn rate</th><th>S(12)</th><th>ARPU</th><th>LTV</th><th>retention</th>"
          "<th>value</th><th>growth</th><th>risk</th><th>health</th><th>lever</th></tr></thead><tbody>\n", f);
    for (int r = 0; r < nb; r++) {
        if (capped && r == REPORT_BRANCHES_MAX / 2)
            r = nb - REPORT_BRANCHES_MAX / 2; /* skip the middle */
        const run_branch *br = &ctx->branches[order[r]];
        const clm_health_metrics *m = &br->metrics;
        fprintf(f, "<tr><td data-v=\"%d\">%d</td><td>", r + 1, r + 1);
        html_escape(f, br->name);
        fprintf(f, "</td><td data-v=\"%lld\">%lld</td><td data-v=\"%.6f\">%.6f</td><td data-v=\"%.6f\">%.6f</td>"
                   "<td data-v=\"%.4f\">%.4f</td><td data-v=\"%.4f\">%.4f</td>",
                (long long)m->subscribers, (long long)m->subscribers, m->churn_rate, m->churn_rate, m->s12, m->s12,
                m->arpu, m->arpu, m->ltv, m->ltv);
        for (int k = 0; k < CLM_N_SCORES; k++)
            fprintf(f, "<td data-v=\"%.2f\">%.2f</td>", br->health.score[k], br->health.score[k]);
        fprintf(f, "<td data-v=\"%.2f\"><span class=\"bar\" style=\"width:%.0fpx\"></span>%.2f</td><td>",
                br->health.total, br->health.total * 0.8, br->health.total);
        html_escape(f, clm_health_lever_names[br->health.lever]);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}

/* The leaves with the highest churn share, from the rules text. */
static void strongest_rules(FILE *f, const run_ctx *ctx)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return;
    clm_tree_write_rules(ctx->tree, mem);
    fclose(mem);
    /* Lines "conditions -> 1 63.2%, 0 36.8% (n=3272)": rank the leaves by
     * the share of the positive class, among leaves of at least 0.5% of
     * the subscribers (a 20-row leaf at 100% is not a segment to act on). */
    const char *positive = clm_tree_class_label(ctx->tree, clm_tree_n_classes(ctx->tree) > 1 ? 1 : 0);
    size_t plen = strlen(positive);
    int n_lines = 0;
    for (char *p = text; p && *p; p++)
        n_lines += *p == '\n';
    char **lines = calloc((size_t)n_lines + 1, sizeof *lines);
    double *share = calloc((size_t)n_lines + 1, sizeof *share);
    int m = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line && lines && share; line = strtok(NULL, "\n")) {
        const char *arrow = strstr(line, "-> ");
        const char *count = strstr(line, "(n=");
        if (!arrow || !count || atof(count + 3) < 0.005 * (double)ctx->n_rows)
            continue;
        double sh = 0;
        for (const char *p = arrow + 3; p && p < count; p = strstr(p, ", ")) {
            if (p[0] == ',')
                p += 2;
            if (!strncmp(p, positive, plen) && p[plen] == ' ') {
                sh = atof(p + plen + 1);
                break;
            }
            p = strchr(p, ',');
        }
        lines[m] = line;
        share[m] = sh;
        m++;
    }
    fputs("<pre>", f);
    for (int shown = 0; shown < 10 && shown < m; shown++) {
        int best = -1;
        for (int i = 0; i < m; i++)
            if (lines[i] && (best < 0 || share[i] > share[best]))
                best = i;
        if (best < 0)
            break;
        html_escape(f, lines[best]);
        fputc('\n', f);
        lines[best] = NULL;
    }
    fputs("</pre>\n", f);
    free(lines);
    free(share);
    free(text);
}

/* Customer equity: the company's figures, the branches holding the most
 * remaining value (with the share at risk within 12 months), and the
 * table by tier and stage. */
static void equity_section(FILE *f, const run_ctx *ctx)
{
    const run_equity_sum *c = &ctx->eq_company;
    clm_cox_summary sm;
    clm_cox_get_summary(ctx->cox, &sm);
    section(f, "Customer equity: the remaining value of the active subscribers");
    fprintf(f, "<p>Expected discounted value over the next %d months of each of the %lld active "
               "subscribers, from the Cox model (concordance %.3f; docs/cox.md): %.2f in all, "
               "%.1f%% of it held by subscribers expected to leave within 12 months; %.0f expected "
               "to leave within 3 months and %.0f within 12.</p>\n",
            (int)ctx->equity_params.horizon, (long long)c->active, sm.concordance, c->equity,
            c->equity > 0 ? 100.0 * c->at_risk_12 / c->equity : 0.0, c->leave_3, c->leave_12);
    const run_calibration *cal = &ctx->calib;
    if (cal->has_truth)
        fprintf(f, "<p>Against the generator's truth: still active after 12 months %.0f predicted, "
                   "%.0f true (%+.2f%%); the largest gap of a value tier %.2f%%, of a branch with "
                   "2,000 active subscribers or more %.2f%%.</p>\n",
                cal->pred_12, cal->true_12, 100 * (cal->pred_12 / cal->true_12 - 1),
                100 * cal->worst_tier, 100 * cal->worst_branch);
    const int nb = ctx->n_branches, show = nb < 15 ? nb : 15;
    int *top = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *top);
    char (*labels)[160] = malloc((size_t)(show > 0 ? show : 1) * sizeof *labels);
    const char **lp = malloc((size_t)(show > 0 ? show : 1) * sizeof *lp);
    double *values = malloc((size_t)(show > 0 ? show : 1) * sizeof *values);
    if (top && labels && lp && values) {
        /* The `show` branches with the most equity, by selection (ties:
         * the lower branch index first). */
        for (int b = 0; b < nb; b++)
            top[b] = b;
        for (int r = 0; r < show; r++) {
            int best = r;
            for (int q = r + 1; q < nb; q++)
                if (ctx->eq_branch[top[q]].equity > ctx->eq_branch[top[best]].equity)
                    best = q;
            int t = top[r];
            top[r] = top[best];
            top[best] = t;
            const run_equity_sum *e = &ctx->eq_branch[top[r]];
            snprintf(labels[r], sizeof labels[r], "%s (%.1f%% at risk)", ctx->branch_names[top[r]],
                     e->equity > 0 ? 100.0 * e->at_risk_12 / e->equity : 0.0);
            lp[r] = labels[r];
            values[r] = e->equity;
        }
        fprintf(f, "<p>The %d branches with the most customer equity (all in equity.csv and "
                   "branches.csv):</p>\n", show);
        svg_bars(f, lp, values, show, "%.0f");
    }
    free(top);
    free(labels);
    free(lp);
    free(values);
    fputs("<table><thead><tr><th>group</th><th>active</th><th>equity</th><th>per subscriber</th>"
          "<th>at risk within 12 months</th><th>expected months</th></tr></thead><tbody>\n", f);
    for (int g = 0; g < CLM_N_TIERS + CLM_N_STAGES; g++) {
        const run_equity_sum *e = g < CLM_N_TIERS ? &ctx->eq_tier[g] : &ctx->eq_stage[g - CLM_N_TIERS];
        if (e->active == 0)
            continue;
        fputs("<tr><td>", f);
        if (g < CLM_N_TIERS)
            fprintf(f, "tier %s", clm_tier_names[g]);
        else
            fprintf(f, "stage %s", clm_stage_names[g - CLM_N_TIERS]);
        fprintf(f, "</td><td>%lld</td><td>%.2f</td><td>%.2f</td><td>%.1f%%</td><td>%.1f</td></tr>\n",
                (long long)e->active, e->equity, e->equity / (double)e->active,
                e->equity > 0 ? 100.0 * e->at_risk_12 / e->equity : 0.0, e->months / (double)e->active);
    }
    fputs("</tbody></table>\n", f);
}

clm_status run_write_report(run_ctx *ctx)
{
    clm_status s;
    char path[4096];
    run_out_path(ctx->outdir, "report.html", path, sizeof path);
    clm_textfile *tf = NULL;
    s = clm_textfile_open(path, (const char *const[]){ctx->input, NULL}, &tf);
    if (s)
        return s;
    FILE *f = clm_textfile_stream(tf);
    int nb = ctx->n_branches;
    int *order = run_health_order(ctx);
    if (!order) {
        clm_textfile_abort(tf);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }

    html_begin(f, "clmseg quarterly report");
    fputs("<h1>Quarterly customer-lifecycle report</h1><p class=\"sub\">", f);
    html_escape(f, ctx->input);
    fprintf(f, " &middot; clmseg %s</p>\n", CLMSEG_VERSION);

    /* Headline figures. */
    const clm_survival_curve *all = NULL;
    for (int c = 0; c < clm_survival_n_curves(ctx->surv_branch); c++)
        if (!strcmp(clm_survival_curve_at(ctx->surv_branch, c)->label, "all"))
            all = clm_survival_curve_at(ctx->surv_branch, c);
    double s12 = NAN, ltv = NAN, arpu = 0;
    if (all) {
        for (int64_t j = 0; j < all->n_times && all->time[j] <= 12; j++)
            s12 = all->survival[j];
        ltv = all->ltv ? all->ltv[all->horizon] : NAN;
    }
    for (int64_t i = 0; i < ctx->n_rows; i++)
        arpu += isnan(ctx->arpu[i]) ? 0 : ctx->arpu[i];
    clm_tree_metrics tm;
    clm_tree_get_metrics(ctx->tree, &tm);
    char v[8][64];
    snprintf(v[0], 64, "%lld", (long long)ctx->n_rows);
    int64_t n_churned = 0;
    for (int64_t i = 0; i < ctx->n_rows; i++)
        n_churned += ctx->churned[i];
    snprintf(v[1], 64, "%.1f%%", 100.0 * (double)n_churned / (double)ctx->n_rows);
    snprintf(v[2], 64, "%.3f", s12);
    snprintf(v[3], 64, "%.2f", arpu / (double)ctx->n_rows);
    snprintf(v[4], 64, "%.0f", ltv);
    snprintf(v[5], 64, "%d", ctx->k);
    snprintf(v[6], 64, "%d", nb);
    snprintf(v[7], 64, "%.3f", tm.auc);
    const char *labels[8] = {"subscribers", "churned", "S(12)", "mean ARPU", "LTV (horizon)", "segments",
                             "branches", "churn tree AUC"};
    const char *values[8] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    html_kpis(f, labels, values, 8);
    fprintf(f, "<p>Lifecycle stages by %s", ctx->stage_model_tree ? "a tree trained on labelled stages" : "rules");
    if (ctx->stage_model_tree)
        fprintf(f, " (holdout accuracy %.4f)", ctx->stage_tree_accuracy);
    if (!isnan(ctx->truth_agreement))
        fprintf(f, "; they agree with the generator's ground truth on %.2f%% of subscribers", 100 * ctx->truth_agreement);
    fputs(".</p>\n", f);

    /* Survival by segment. */
    section(f, "Survival by segment (Kaplan-Meier, 95% band)");
    int nc = clm_survival_n_curves(ctx->surv_segment);
    svg_curve *curves = calloc((size_t)(nc ? nc : 1), sizeof *curves);
    const char **seg_labels = calloc((size_t)(nc ? nc : 1), sizeof *seg_labels);
    double *seg_ltv = calloc((size_t)(nc ? nc : 1), sizeof *seg_ltv);
    char (*seg_names)[160] = calloc((size_t)(nc ? nc : 1), sizeof *seg_names);
    int m = 0;
    double max_time = 0;
    for (int c = 0; curves && seg_labels && seg_ltv && seg_names && c < nc; c++) {
        const clm_survival_curve *cv = clm_survival_curve_at(ctx->surv_segment, c);
        if (!strcmp(cv->label, "all"))
            continue;
        run_segment_label(ctx, atoi(cv->label), seg_names[m], sizeof seg_names[m]);
        curves[m] = (svg_curve){seg_names[m], (int)cv->n_times, cv->time, cv->survival, cv->lower, cv->upper,
                                    cv->at_risk};
        seg_labels[m] = seg_names[m];
        seg_ltv[m] = cv->ltv ? cv->ltv[cv->horizon] : NAN;
        if (cv->n_times && cv->time[cv->n_times - 1] > max_time)
            max_time = cv->time[cv->n_times - 1];
        m++;
    }
    svg_survival(f, curves, m, max_time > 0 ? max_time : 12, 6);
    section(f, "Lifetime value by segment");
    fprintf(f, "<p>LTV over %.0f months: S(t) &middot; mean ARPU &middot; margin, discounted.</p>\n", ctx->horizon);
    svg_bars(f, seg_labels, seg_ltv, m, "%.0f");
    free(curves);
    free(seg_labels);
    free(seg_ltv);
    free(seg_names);

    /* Segment profiles: the standardised centroids of the k-means model. */
    clm_kmeans_profile prof;
    if (clm_kmeans_get_profile(ctx->kmeans, &prof) == CLM_OK) {
        const int k = prof.k, d = prof.n_features;
        section(f, "Segment profiles (standardised centroids)");
        char (*rl)[160] = calloc((size_t)k, sizeof *rl), (*notes)[48] = calloc((size_t)k, sizeof *notes);
        const char **rowp = calloc((size_t)k, sizeof *rowp), **notep = calloc((size_t)k, sizeof *notep);
        const char **features = calloc((size_t)d, sizeof *features);
        double *z = malloc((size_t)k * (size_t)d * sizeof *z);
        if (rl && notes && rowp && notep && features && z) {
            for (int i = 0; i < k; i++) {
                run_segment_label(ctx, i, rl[i], sizeof rl[i]);
                snprintf(notes[i], 48, "n=%lld (%.1f%%)", (long long)prof.size[i],
                         100.0 * (double)prof.size[i] / (double)ctx->n_rows);
                rowp[i] = rl[i];
                notep[i] = notes[i];
            }
            for (int j = 0; j < d; j++)
                features[j] = clm_kmeans_feature_name(ctx->kmeans, j);
            for (int64_t q = 0; q < (int64_t)k * d; q++)
                z[q] = prof.zscore[q];
            svg_heatmap(f, rowp, features, z, k, d, 2.0, notep);
        }
        free(rl);
        free(notes);
        free(rowp);
        free(notep);
        free(features);
        free(z);
    }

    section(f, "Branch ranking by health score");
    fputs("<p>Click a column header to sort. Sub-scores are ranks among branches (0 worst, 100 best); "
          "the lever names the weakest sub-score (docs/lifecycle.md).</p>\n", f);
    branch_table(f, ctx, order);
    run_report_regions(f, ctx);
    run_report_previous(f, ctx); /* with a previous run only (report_previous.c) */

    section(f, "Stage mix of the best and worst branches");
    int show = nb < 5 ? nb : 5, rows = nb <= 10 ? nb : 2 * show;
    const char **mix_labels = calloc((size_t)rows, sizeof *mix_labels);
    double *mix = calloc((size_t)rows * CLM_N_STAGES, sizeof *mix);
    for (int r = 0; mix && mix_labels && r < rows; r++) {
        int b = nb <= 10 ? order[r] : (r < show ? order[r] : order[nb - rows + r]);
        mix_labels[r] = ctx->branches[b].name;
        for (int k = 0; k < CLM_N_STAGES; k++)
            mix[(size_t)r * CLM_N_STAGES + k] = ctx->branches[b].stage_share[k];
    }
    if (mix && mix_labels)
        svg_stacked(f, mix_labels, clm_stage_names, mix, rows, CLM_N_STAGES);
    free(mix_labels);
    free(mix);

    if (ctx->cox)
        equity_section(f, ctx);
    if (ctx->scenarios)
        run_report_scenarios(ctx, f);

    section(f, "Churn tree: the riskiest leaves");
    fprintf(f, "<p>Holdout accuracy %.4f, AUC %.4f, %d leaves. All rules: tree_rules.txt.</p>\n", tm.accuracy, tm.auc,
            clm_tree_n_leaves(ctx->tree));
    strongest_rules(f, ctx);

    section(f, "Run");
    fputs("<table><thead><tr><th>step</th><th>seconds</th><th>peak memory (MB)</th></tr></thead><tbody>\n", f);
    for (int i = 0; i < ctx->clock.n_steps; i++) {
        fputs("<tr><td>", f);
        html_escape(f, ctx->clock.steps[i].name);
        fprintf(f, "</td><td>%.3f</td><td>%.0f</td></tr>\n", ctx->clock.steps[i].seconds, ctx->clock.steps[i].peak_mb);
    }
    fputs("</tbody></table>\n<p>Settings (config.used):</p><pre>", f);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        cfg_write(ctx->config, mem);
        fclose(mem);
        html_escape(f, text);
        free(text);
    }
    fputs("</pre>\n", f);
    html_end(f);
    free(order);
    return run_text_finish(&ctx->outputs, tf, CLM_OK);
}

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
#include "report/format_internal.h"
#include "report/html_internal.h"
#include "report/strings_internal.h"
#include "run/run_ctx.h"
#include "run/run_regions.h"

static const char *tx(const run_ctx *ctx, report_text id)
{
    return report_text_of(ctx->report_lang, id);
}

static void section(FILE *f, const char *title)
{
    fputs("<h2>", f);
    html_escape(f, title);
    fputs("</h2>\n", f);
}

/* A paragraph from a sentence of the strings table and its figures. */
#define PARAGRAPH(f, ctx, id, ...)                                                                           \
    do {                                                                                                     \
        char text_[2048];                                                                                    \
        snprintf(text_, sizeof text_, tx(ctx, id), __VA_ARGS__);                                             \
        fputs("<p>", f);                                                                                     \
        html_escape(f, text_);                                                                               \
        fputs("</p>\n", f);                                                                                  \
    } while (0)

/* A table cell with its figure as text and its raw value for sorting. */
static void cell(FILE *f, double raw, const char *text)
{
    fprintf(f, "<td data-v=\"%.17g\">", isfinite(raw) ? raw : -1e300);
    html_escape(f, text);
    fputs("</td>", f);
}

/* Branches the ranking table lists at most: the healthiest and the least
 * healthy half each; the rest are in branches.csv and have their pages
 * (docs/run.md).  200,000 rows made an 85 MB page no browser opens
 * comfortably. */
#define REPORT_BRANCHES_MAX 1000

/* The ranking: each figure formatted from the value branches.csv holds
 * (fmt_as_csv), so the shown figure is the CSV's rounded once more. */
static void branch_table(FILE *f, const run_ctx *ctx, const int *order)
{
    int nb = ctx->n_branches, capped = nb > REPORT_BRANCHES_MAX;
    char a[FMT_CAP], b[FMT_CAP], c[FMT_CAP];
    if (capped)
        PARAGRAPH(f, ctx, RT_RANKING_CAPPED, fmt_count(a, sizeof a, nb),
                  fmt_count(b, sizeof b, REPORT_BRANCHES_MAX / 2), fmt_count(c, sizeof c, REPORT_BRANCHES_MAX / 2));
    const char *heads[13] = {tx(ctx, RT_K_RANK), tx(ctx, RT_C_BRANCH), tx(ctx, RT_K_SUBSCRIBERS),
                             tx(ctx, RT_K_CHURN_RATE), "S(12)", "ARPU", "LTV",
                             report_score_name(ctx->report_lang, 0), report_score_name(ctx->report_lang, 1),
                             report_score_name(ctx->report_lang, 2), report_score_name(ctx->report_lang, 3),
                             tx(ctx, RT_K_HEALTH), tx(ctx, RT_C_LEVER)};
    fputs("<div class=\"scroll\"><table class=\"sortable\" id=\"branches\">", f);
    html_header_row(f, heads, 13);
    fputs("<tbody>\n", f);
    for (int r = 0; r < nb; r++) {
        if (capped && r == REPORT_BRANCHES_MAX / 2)
            r = nb - REPORT_BRANCHES_MAX / 2; /* skip the middle */
        const run_branch *br = &ctx->branches[order[r]];
        const clm_health_metrics *m = &br->metrics;
        fputs("<tr>", f);
        cell(f, r + 1, fmt_count(a, sizeof a, r + 1));
        fprintf(f, "<td><a href=\"#b-%d\">", order[r]);
        html_escape(f, br->name);
        fputs("</a></td>", f);
        cell(f, (double)m->subscribers, fmt_count(a, sizeof a, m->subscribers));
        cell(f, m->churn_rate, fmt_percent(a, sizeof a, fmt_as_csv(m->churn_rate, 6), 2));
        cell(f, m->s12, fmt_percent(a, sizeof a, fmt_as_csv(m->s12, 6), 2));
        cell(f, m->arpu, fmt_money(a, sizeof a, fmt_as_csv(m->arpu, 4)));
        cell(f, m->ltv, fmt_money(a, sizeof a, fmt_as_csv(m->ltv, 4)));
        for (int k = 0; k < CLM_N_SCORES; k++)
            cell(f, br->health.score[k], fmt_fixed(a, sizeof a, fmt_as_csv(br->health.score[k], 2), 2));
        fprintf(f, "<td data-v=\"%.17g\"><span class=\"bar\" style=\"width:%.0fpx\"></span>%s</td><td>",
                br->health.total, br->health.total * 0.8, fmt_fixed(a, sizeof a, fmt_as_csv(br->health.total, 2), 2));
        html_escape(f, report_lever_name(ctx->report_lang, br->health.lever));
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
    char v[7][FMT_CAP];
    section(f, tx(ctx, RT_H_EQUITY));
    PARAGRAPH(f, ctx, RT_EQUITY_NOTE, fmt_fixed(v[0], FMT_CAP, ctx->equity_params.horizon, 0),
              fmt_count(v[1], FMT_CAP, c->active), fmt_fixed(v[2], FMT_CAP, sm.concordance, 3),
              fmt_money(v[3], FMT_CAP, c->equity),
              fmt_percent(v[4], FMT_CAP, c->equity > 0 ? c->at_risk_12 / c->equity : 0.0, 1),
              fmt_fixed(v[5], FMT_CAP, c->leave_3, 0), fmt_fixed(v[6], FMT_CAP, c->leave_12, 0));
    const run_calibration *cal = &ctx->calib;
    if (cal->has_truth)
        PARAGRAPH(f, ctx, RT_EQUITY_TRUTH, fmt_fixed(v[0], FMT_CAP, cal->pred_12, 0),
                  fmt_fixed(v[1], FMT_CAP, cal->true_12, 0), fmt_percent(v[2], FMT_CAP, cal->pred_12 / cal->true_12 - 1, 2),
                  fmt_percent(v[3], FMT_CAP, cal->worst_tier, 2), fmt_percent(v[4], FMT_CAP, cal->worst_branch, 2));
    const int nb = ctx->n_branches, show = nb < 15 ? nb : 15;
    int *top = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *top);
    char (*labels)[160] = malloc((size_t)(show > 0 ? show : 1) * sizeof *labels);
    char (*texts)[FMT_CAP] = malloc((size_t)(show > 0 ? show : 1) * sizeof *texts);
    const char **lp = malloc((size_t)(show > 0 ? show : 1) * sizeof *lp);
    const char **tp = malloc((size_t)(show > 0 ? show : 1) * sizeof *tp);
    double *values = malloc((size_t)(show > 0 ? show : 1) * sizeof *values);
    if (top && labels && texts && lp && tp && values) {
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
            char risk[FMT_CAP], at_risk[128];
            fmt_percent(risk, sizeof risk, e->equity > 0 ? e->at_risk_12 / e->equity : 0.0, 1);
            snprintf(at_risk, sizeof at_risk, tx(ctx, RT_AT_RISK_LABEL), risk);
            snprintf(labels[r], sizeof labels[r], "%s (%s)", ctx->branch_names[top[r]], at_risk);
            lp[r] = labels[r];
            values[r] = e->equity;
            tp[r] = fmt_money(texts[r], FMT_CAP, e->equity);
        }
        PARAGRAPH(f, ctx, RT_EQUITY_TOP, fmt_count(v[0], FMT_CAP, show));
        svg_bars(f, lp, values, tp, show, tx(ctx, RT_AX_EQUITY));
    }
    free(top);
    free(labels);
    free(texts);
    free(lp);
    free(tp);
    free(values);
    const char *heads[6] = {tx(ctx, RT_C_GROUP), tx(ctx, RT_C_ACTIVE), tx(ctx, RT_C_EQUITY),
                            tx(ctx, RT_C_PER_SUBSCRIBER), tx(ctx, RT_C_AT_RISK_12), tx(ctx, RT_C_EXPECTED_MONTHS)};
    fputs("<table id=\"equity\">", f);
    html_header_row(f, heads, 6);
    fputs("<tbody>\n", f);
    for (int g = 0; g < CLM_N_TIERS + CLM_N_STAGES; g++) {
        const run_equity_sum *e = g < CLM_N_TIERS ? &ctx->eq_tier[g] : &ctx->eq_stage[g - CLM_N_TIERS];
        if (e->active == 0)
            continue;
        fputs("<tr><td>", f);
        html_escape(f, g < CLM_N_TIERS ? report_tier_name(ctx->report_lang, g)
                                       : report_stage_name(ctx->report_lang, g - CLM_N_TIERS));
        fprintf(f, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                fmt_count(v[0], FMT_CAP, e->active), fmt_money(v[1], FMT_CAP, e->equity),
                fmt_money(v[2], FMT_CAP, e->equity / (double)e->active),
                fmt_percent(v[3], FMT_CAP, e->equity > 0 ? e->at_risk_12 / e->equity : 0.0, 1),
                fmt_fixed(v[4], FMT_CAP, e->months / (double)e->active, 1));
    }
    fputs("</tbody></table>\n", f);
}

/* Headline figures of the company. */
static void headline(FILE *f, const run_ctx *ctx, const clm_tree_metrics *tm)
{
    const clm_survival_curve *all = run_group_curve(ctx, 0);
    double s12 = all ? run_survival_at(all, 12.0) : NAN, ltv = all && all->ltv ? all->ltv[all->horizon] : NAN;
    double arpu = 0;
    int64_t n_churned = 0;
    for (int64_t i = 0; i < ctx->n_rows; i++) {
        arpu += isnan(ctx->arpu[i]) ? 0 : ctx->arpu[i];
        n_churned += ctx->churned[i];
    }
    char v[8][FMT_CAP];
    fmt_count(v[0], FMT_CAP, ctx->n_rows);
    fmt_percent(v[1], FMT_CAP, (double)n_churned / (double)ctx->n_rows, 2);
    fmt_percent(v[2], FMT_CAP, s12, 2);
    fmt_money(v[3], FMT_CAP, arpu / (double)ctx->n_rows);
    fmt_money(v[4], FMT_CAP, ltv);
    fmt_count(v[5], FMT_CAP, ctx->k);
    fmt_count(v[6], FMT_CAP, ctx->n_branches);
    fmt_fixed(v[7], FMT_CAP, tm->auc, 3);
    const char *labels[8] = {tx(ctx, RT_K_SUBSCRIBERS), tx(ctx, RT_K_CHURNED), tx(ctx, RT_K_S12),
                             tx(ctx, RT_K_ARPU),        tx(ctx, RT_K_LTV),     tx(ctx, RT_K_SEGMENTS),
                             tx(ctx, RT_K_BRANCHES),    tx(ctx, RT_K_AUC)};
    const char *values[8] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    html_kpis(f, labels, values, 8);
    char text[2048];
    if (ctx->stage_model_tree)
        snprintf(text, sizeof text, tx(ctx, RT_STAGES_BY_TREE), fmt_percent(v[0], FMT_CAP, ctx->stage_tree_accuracy, 2));
    else
        snprintf(text, sizeof text, "%s", tx(ctx, RT_STAGES_BY_RULES));
    size_t used = strlen(text);
    if (!isnan(ctx->truth_agreement) && used < sizeof text)
        snprintf(text + used, sizeof text - used, tx(ctx, RT_TRUTH_AGREE),
                 fmt_percent(v[0], FMT_CAP, ctx->truth_agreement, 2));
    fputs("<p>", f);
    html_escape(f, text);
    fputs(ctx->report_lang == REPORT_LANG_ZH ? "。</p>\n" : ".</p>\n", f);
}

/* Survival and LTV by segment; each legend names "segment s", linked. */
static void segment_charts(FILE *f, const run_ctx *ctx)
{
    const svg_axes axes = {tx(ctx, RT_AX_MONTHS), tx(ctx, RT_AX_SURVIVAL), tx(ctx, RT_AT_RISK)};
    section(f, tx(ctx, RT_H_SURVIVAL));
    int nc = clm_survival_n_curves(ctx->surv_segment);
    svg_curve *curves = calloc((size_t)(nc ? nc : 1), sizeof *curves);
    const char **seg_labels = calloc((size_t)(nc ? nc : 1), sizeof *seg_labels);
    const char **ltv_texts = calloc((size_t)(nc ? nc : 1), sizeof *ltv_texts);
    double *seg_ltv = calloc((size_t)(nc ? nc : 1), sizeof *seg_ltv);
    char (*seg_names)[160] = calloc((size_t)(nc ? nc : 1), sizeof *seg_names);
    char (*texts)[FMT_CAP] = calloc((size_t)(nc ? nc : 1), sizeof *texts);
    int m = 0;
    double max_time = 0;
    for (int c = 0; curves && seg_labels && ltv_texts && seg_ltv && seg_names && texts && c < nc; c++) {
        const clm_survival_curve *cv = clm_survival_curve_at(ctx->surv_segment, c);
        if (!strcmp(cv->label, "all"))
            continue;
        run_segment_label(ctx, atoi(cv->label), seg_names[m], sizeof seg_names[m]);
        curves[m] = (svg_curve){seg_names[m], (int)cv->n_times, cv->time, cv->survival, cv->lower, cv->upper,
                                    cv->at_risk};
        seg_labels[m] = seg_names[m];
        seg_ltv[m] = cv->ltv ? cv->ltv[cv->horizon] : NAN;
        ltv_texts[m] = fmt_money(texts[m], FMT_CAP, seg_ltv[m]);
        if (cv->n_times && cv->time[cv->n_times - 1] > max_time)
            max_time = cv->time[cv->n_times - 1];
        m++;
    }
    svg_survival(f, curves, m, max_time > 0 ? max_time : 12, 6, &axes);
    section(f, tx(ctx, RT_H_LTV));
    char h[FMT_CAP];
    PARAGRAPH(f, ctx, RT_LTV_NOTE, fmt_fixed(h, sizeof h, ctx->horizon, 0));
    svg_bars(f, seg_labels, seg_ltv, ltv_texts, m, tx(ctx, RT_AX_LTV));
    free(curves);
    free(seg_labels);
    free(ltv_texts);
    free(seg_ltv);
    free(seg_names);
    free(texts);
}

/* Segment profiles: the standardised centroids of the k-means model. */
static void segment_profiles(FILE *f, const run_ctx *ctx)
{
    clm_kmeans_profile prof;
    if (clm_kmeans_get_profile(ctx->kmeans, &prof) != CLM_OK)
        return;
    const int k = prof.k, d = prof.n_features;
    section(f, tx(ctx, RT_H_PROFILES));
    char (*rl)[160] = calloc((size_t)k, sizeof *rl), (*notes)[96] = calloc((size_t)k, sizeof *notes);
    const char **rowp = calloc((size_t)k, sizeof *rowp), **notep = calloc((size_t)k, sizeof *notep);
    const char **features = calloc((size_t)d, sizeof *features);
    double *z = malloc((size_t)k * (size_t)d * sizeof *z);
    if (rl && notes && rowp && notep && features && z) {
        for (int i = 0; i < k; i++) {
            char n[FMT_CAP], share[FMT_CAP];
            run_segment_label(ctx, i, rl[i], sizeof rl[i]);
            snprintf(notes[i], 96, "n=%s (%s)", fmt_count(n, sizeof n, prof.size[i]),
                     fmt_percent(share, sizeof share, (double)prof.size[i] / (double)ctx->n_rows, 1));
            rowp[i] = rl[i];
            notep[i] = notes[i];
        }
        for (int j = 0; j < d; j++)
            features[j] = clm_kmeans_feature_name(ctx->kmeans, j);
        for (int64_t q = 0; q < (int64_t)k * d; q++)
            z[q] = prof.zscore[q];
        svg_heatmap(f, rowp, features, z, k, d, 2.0, notep, tx(ctx, RT_AX_Z));
    }
    free(rl);
    free(notes);
    free(rowp);
    free(notep);
    free(features);
    free(z);
}

static void stage_mix(FILE *f, const run_ctx *ctx, const int *order)
{
    const int nb = ctx->n_branches;
    section(f, tx(ctx, RT_H_MIX));
    int show = nb < 5 ? nb : 5, rows = nb <= 10 ? nb : 2 * show;
    const char **mix_labels = calloc((size_t)(rows ? rows : 1), sizeof *mix_labels);
    double *mix = calloc((size_t)(rows ? rows : 1) * CLM_N_STAGES, sizeof *mix);
    const char *stage_labels[CLM_N_STAGES];
    for (int k = 0; k < CLM_N_STAGES; k++)
        stage_labels[k] = report_stage_name(ctx->report_lang, k);
    for (int r = 0; mix && mix_labels && r < rows; r++) {
        int b = nb <= 10 ? order[r] : (r < show ? order[r] : order[nb - rows + r]);
        mix_labels[r] = ctx->branches[b].name;
        for (int k = 0; k < CLM_N_STAGES; k++)
            mix[(size_t)r * CLM_N_STAGES + k] = ctx->branches[b].stage_share[k];
    }
    if (mix && mix_labels)
        svg_stacked(f, mix_labels, stage_labels, mix, rows, CLM_N_STAGES, tx(ctx, RT_AX_SHARE));
    free(mix_labels);
    free(mix);
}

/* The timings and settings of the run. */
static void run_section(FILE *f, const run_ctx *ctx)
{
    section(f, tx(ctx, RT_H_RUN));
    const char *heads[3] = {tx(ctx, RT_STEP), tx(ctx, RT_SECONDS), tx(ctx, RT_PEAK_MB)};
    fputs("<table>", f);
    html_header_row(f, heads, 3);
    fputs("<tbody>\n", f);
    char a[FMT_CAP], b[FMT_CAP];
    for (int i = 0; i < ctx->clock.n_steps; i++) {
        fputs("<tr><td>", f);
        html_escape(f, ctx->clock.steps[i].name);
        fprintf(f, "</td><td>%s</td><td>%s</td></tr>\n", fmt_fixed(a, sizeof a, ctx->clock.steps[i].seconds, 3),
                fmt_fixed(b, sizeof b, ctx->clock.steps[i].peak_mb, 0));
    }
    fputs("</tbody></table>\n<p>", f);
    html_escape(f, tx(ctx, RT_SETTINGS));
    fputs("</p><pre>", f);
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
}

/* The index of every branch and segment page (filled by the page script
 * when opened: thousands of links stay out of the file). */
static void pages_index(FILE *f, const run_ctx *ctx)
{
    section(f, tx(ctx, RT_H_PAGES));
    fputs("<details id=\"pages-index\"><summary>", f);
    html_escape(f, tx(ctx, RT_PAGES_NOTE));
    fputs("</summary></details>\n", f);
}

clm_status run_write_report(run_ctx *ctx)
{
    clm_textfile *tf = NULL;
    clm_status s = run_text_open(ctx->outdir, "report.html", ctx->input, &tf);
    if (s)
        return s;
    FILE *f = clm_textfile_stream(tf);
    int *order = run_health_order(ctx);
    if (!order) {
        clm_textfile_abort(tf);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    html_begin(f, tx(ctx, RT_DOC_TITLE), report_lang_tag(ctx->report_lang));
    fputs("<main id=\"main\"><h1>", f);
    html_escape(f, tx(ctx, RT_TITLE));
    fputs("</h1><p class=\"sub\">", f);
    html_escape(f, ctx->input);
    fprintf(f, " &middot; clmseg %s</p>\n", CLMSEG_VERSION);
    clm_tree_metrics tm;
    clm_tree_get_metrics(ctx->tree, &tm);
    headline(f, ctx, &tm);
    segment_charts(f, ctx);
    segment_profiles(f, ctx);

    section(f, tx(ctx, RT_H_RANKING));
    fputs("<p>", f);
    html_escape(f, tx(ctx, RT_RANKING_NOTE));
    fputs("</p>\n", f);
    branch_table(f, ctx, order);
    run_report_regions(f, ctx);  /* with a region column only (report_regions.c) */
    run_report_previous(f, ctx); /* with a previous run only (report_previous.c) */
    stage_mix(f, ctx, order);
    if (ctx->cox)
        equity_section(f, ctx);
    if (ctx->scenarios)
        run_report_scenarios(ctx, f); /* with a plan only (step_scenarios.c) */

    section(f, tx(ctx, RT_H_TREE));
    char v[3][FMT_CAP];
    PARAGRAPH(f, ctx, RT_TREE_NOTE, fmt_fixed(v[0], FMT_CAP, tm.accuracy, 4), fmt_fixed(v[1], FMT_CAP, tm.auc, 4),
              fmt_count(v[2], FMT_CAP, clm_tree_n_leaves(ctx->tree)));
    strongest_rules(f, ctx);
    pages_index(f, ctx);
    run_section(f, ctx);
    fputs("</main>\n", f);
    s = run_report_pages(f, ctx, order);
    html_end(f);
    free(order);
    return run_text_finish(&ctx->outputs, tf, s);
}

/*
 * run_report.c — the files a strategy team reads: report.html (one
 * self-contained page), tree_rules.txt and the survival CSVs.
 *
 * The page shows the figures of the run as written elsewhere: the branch
 * table prints the same rounded values as branches.csv, so a reader (or a
 * test) can match them one for one.
 */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/textfile.h"
#include "clmseg/version.h"
#include "clmseg/writer.h"
#include "io/io_internal.h"
#include "report/html_internal.h"
#include "run/run_internal.h"

/* The standardised centroids (k x d) and feature names of the k-means step,
 * read from its results with the HDF5 API (small arrays only). */
typedef struct heat {
    int k, d;
    double *z;          /* k x d */
    char **features;    /* d names */
    int64_t *size;      /* k sizes */
} heat;

static void heat_free(heat *h)
{
    for (int j = 0; h->features && j < h->d; j++)
        free(h->features[j]);
    free(h->features);
    free(h->z);
    free(h->size);
}

static int read_heat(const char *path, heat *h)
{
    memset(h, 0, sizeof *h);
    clm_io_silence_hdf5();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    int ok = 0;
    hid_t ds = H5Dopen2(f, "/segments/profile/zscore", H5P_DEFAULT);
    hid_t sz = H5Dopen2(f, "/segments/size", H5P_DEFAULT);
    if (ds >= 0 && sz >= 0) {
        hid_t space = H5Dget_space(ds);
        hsize_t dims[2] = {0, 0};
        if (H5Sget_simple_extent_ndims(space) == 2) {
            H5Sget_simple_extent_dims(space, dims, NULL);
            h->k = (int)dims[0];
            h->d = (int)dims[1];
            h->z = malloc((size_t)h->k * h->d * sizeof *h->z);
            h->size = malloc((size_t)h->k * sizeof *h->size);
            if (h->z && h->size && H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, h->z) >= 0 &&
                H5Dread(sz, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, h->size) >= 0) {
                char **names = NULL;
                /* The feature names are a string attribute like a dictionary. */
                /* Feature names: a variable-length UTF-8 string attribute,
                 * as clm_writer_attr_strings writes it. */
                if (H5Aexists(ds, "features") > 0) {
                    hid_t attr = H5Aopen(ds, "features", H5P_DEFAULT);
                    hid_t type = H5Tcopy(H5T_C_S1);
                    H5Tset_size(type, H5T_VARIABLE);
                    H5Tset_cset(type, H5T_CSET_UTF8);
                    char **raw = calloc((size_t)h->d, sizeof *raw);
                    names = calloc((size_t)h->d, sizeof *names);
                    if (raw && names && H5Aread(attr, type, raw) >= 0) {
                        ok = 1;
                        for (int j = 0; j < h->d; j++) {
                            names[j] = malloc(strlen(raw[j] ? raw[j] : "") + 1);
                            if (!names[j])
                                ok = 0;
                            else
                                strcpy(names[j], raw[j] ? raw[j] : "");
                        }
                        hsize_t n = (hsize_t)h->d;
                        hid_t mspace = H5Screate_simple(1, &n, NULL);
                        H5Dvlen_reclaim(type, mspace, H5P_DEFAULT, raw);
                        H5Sclose(mspace);
                    }
                    free(raw);
                    H5Tclose(type);
                    H5Aclose(attr);
                }
                h->features = names;
            }
        }
        H5Sclose(space);
    }
    if (ds >= 0) H5Dclose(ds);
    if (sz >= 0) H5Dclose(sz);
    H5Fclose(f);
    if (!ok) {
        heat_free(h);
        memset(h, 0, sizeof *h);
        return -1;
    }
    return 0;
}

static void section(FILE *f, const char *title)
{
    fputs("<h2>", f);
    clm_html_escape(f, title);
    fputs("</h2>\n", f);
}

static void branch_table(FILE *f, const run_ctx *ctx, const int *order)
{
    fputs("<div class=\"scroll\"><table class=\"sortable\" id=\"branches\"><thead><tr><th>rank</th><th>branch</th>"
          "<th>subscribers</th><th>churn rate</th><th>S(12)</th><th>ARPU</th><th>LTV</th><th>retention</th>"
          "<th>value</th><th>growth</th><th>risk</th><th>health</th><th>lever</th></tr></thead><tbody>\n", f);
    for (int r = 0; r < ctx->n_branches; r++) {
        const run_branch *br = &ctx->branches[order[r]];
        const clm_branch_metrics *m = &br->metrics;
        fprintf(f, "<tr><td data-v=\"%d\">%d</td><td>", r + 1, r + 1);
        clm_html_escape(f, br->name);
        fprintf(f, "</td><td data-v=\"%lld\">%lld</td><td data-v=\"%.6f\">%.6f</td><td data-v=\"%.6f\">%.6f</td>"
                   "<td data-v=\"%.4f\">%.4f</td><td data-v=\"%.4f\">%.4f</td>",
                (long long)m->subscribers, (long long)m->subscribers, m->churn_rate, m->churn_rate, m->s12, m->s12,
                m->arpu, m->arpu, m->ltv, m->ltv);
        for (int k = 0; k < CLM_N_SCORES; k++)
            fprintf(f, "<td data-v=\"%.2f\">%.2f</td>", br->health.score[k], br->health.score[k]);
        fprintf(f, "<td data-v=\"%.2f\"><span class=\"bar\" style=\"width:%.0fpx\"></span>%.2f</td><td>",
                br->health.total, br->health.total * 0.8, br->health.total);
        clm_html_escape(f, clm_lever_names[br->health.lever]);
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
        clm_html_escape(f, lines[best]);
        fputc('\n', f);
        lines[best] = NULL;
    }
    fputs("</pre>\n", f);
    free(lines);
    free(share);
    free(text);
}

static clm_status write_text_outputs(run_ctx *ctx)
{
    const char *const inputs[] = {ctx->input, NULL};
    char path[4096];
    clm_textfile *tf = NULL;
    run_out_path(ctx, "tree_rules.txt", path, sizeof path);
    clm_status s = clm_textfile_open(path, inputs, &tf);
    if (!s) {
        s = clm_tree_write_rules(ctx->tree, clm_textfile_stream(tf));
        if (s) clm_textfile_abort(tf); else s = clm_textfile_commit(tf);
    }
    const char *names[2] = {"survival_segment.csv", "survival_branch.csv"};
    clm_survival *surv[2] = {ctx->surv_segment, ctx->surv_branch};
    for (int i = 0; i < 2 && !s; i++) {
        run_out_path(ctx, names[i], path, sizeof path);
        s = clm_textfile_open(path, inputs, &tf);
        if (!s) {
            s = clm_survival_write_csv(surv[i], clm_textfile_stream(tf));
            if (s) clm_textfile_abort(tf); else s = clm_textfile_commit(tf);
        }
    }
    return s;
}

clm_status run_write_report(run_ctx *ctx)
{
    clm_status s = write_text_outputs(ctx);
    if (s)
        return s;
    char path[4096];
    run_out_path(ctx, "report.html", path, sizeof path);
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

    clm_html_begin(f, "clmseg quarterly report");
    fputs("<h1>Quarterly customer-lifecycle report</h1><p class=\"sub\">", f);
    clm_html_escape(f, ctx->input);
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
    clm_html_kpis(f, labels, values, 8);
    fprintf(f, "<p>Lifecycle stages by %s", ctx->stage_model_tree ? "a tree trained on labelled stages" : "rules");
    if (ctx->stage_model_tree)
        fprintf(f, " (holdout accuracy %.4f)", ctx->stage_tree_accuracy);
    if (!isnan(ctx->truth_agreement))
        fprintf(f, "; they agree with the generator's ground truth on %.2f%% of subscribers", 100 * ctx->truth_agreement);
    fputs(".</p>\n", f);

    /* Survival by segment. */
    section(f, "Survival by segment (Kaplan-Meier, 95% band)");
    int nc = clm_survival_n_curves(ctx->surv_segment);
    clm_svg_curve *curves = calloc((size_t)(nc ? nc : 1), sizeof *curves);
    const char **seg_labels = calloc((size_t)(nc ? nc : 1), sizeof *seg_labels);
    double *seg_ltv = calloc((size_t)(nc ? nc : 1), sizeof *seg_ltv);
    char (*seg_names)[48] = calloc((size_t)(nc ? nc : 1), sizeof *seg_names);
    int m = 0;
    double max_time = 0;
    for (int c = 0; curves && seg_labels && seg_ltv && seg_names && c < nc; c++) {
        const clm_survival_curve *cv = clm_survival_curve_at(ctx->surv_segment, c);
        if (!strcmp(cv->label, "all"))
            continue;
        snprintf(seg_names[m], 48, "segment %s", cv->label);
        curves[m] = (clm_svg_curve){seg_names[m], (int)cv->n_times, cv->time, cv->survival, cv->lower, cv->upper,
                                    cv->at_risk};
        seg_labels[m] = seg_names[m];
        seg_ltv[m] = cv->ltv ? cv->ltv[cv->horizon] : NAN;
        if (cv->n_times && cv->time[cv->n_times - 1] > max_time)
            max_time = cv->time[cv->n_times - 1];
        m++;
    }
    clm_svg_survival(f, curves, m, max_time > 0 ? max_time : 12, 6);
    section(f, "Lifetime value by segment");
    fprintf(f, "<p>LTV over %.0f months: S(t) &middot; mean ARPU &middot; margin, discounted.</p>\n", ctx->horizon);
    clm_svg_bars(f, seg_labels, seg_ltv, m, "%.0f");
    free(curves);
    free(seg_labels);
    free(seg_ltv);
    free(seg_names);

    /* Segment profiles. */
    heat h;
    if (read_heat(ctx->path_segments_work, &h) == 0) {
        section(f, "Segment profiles (standardised centroids)");
        char (*rl)[32] = calloc((size_t)h.k, sizeof *rl), (*notes)[48] = calloc((size_t)h.k, sizeof *notes);
        const char **rowp = calloc((size_t)h.k, sizeof *rowp), **notep = calloc((size_t)h.k, sizeof *notep);
        if (rl && notes && rowp && notep) {
            for (int i = 0; i < h.k; i++) {
                snprintf(rl[i], 32, "segment %d", i);
                snprintf(notes[i], 48, "n=%lld (%.1f%%)", (long long)h.size[i],
                         100.0 * (double)h.size[i] / (double)ctx->n_rows);
                rowp[i] = rl[i];
                notep[i] = notes[i];
            }
            clm_svg_heatmap(f, rowp, (const char *const *)h.features, h.z, h.k, h.d, 2.0, notep);
        }
        free(rl);
        free(notes);
        free(rowp);
        free(notep);
        heat_free(&h);
    }

    section(f, "Branch ranking by health score");
    fputs("<p>Click a column header to sort. Sub-scores are ranks among branches (0 worst, 100 best); "
          "the lever names the weakest sub-score (docs/lifecycle.md).</p>\n", f);
    branch_table(f, ctx, order);

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
        clm_svg_stacked(f, mix_labels, clm_stage_names, mix, rows, CLM_N_STAGES);
    free(mix_labels);
    free(mix);

    section(f, "Churn tree: the riskiest leaves");
    fprintf(f, "<p>Holdout accuracy %.4f, AUC %.4f, %d leaves. All rules: tree_rules.txt.</p>\n", tm.accuracy, tm.auc,
            clm_tree_n_leaves(ctx->tree));
    strongest_rules(f, ctx);

    section(f, "Run");
    fputs("<table><thead><tr><th>step</th><th>seconds</th><th>peak memory (MB)</th></tr></thead><tbody>\n", f);
    for (int i = 0; i < ctx->n_steps; i++) {
        fputs("<tr><td>", f);
        clm_html_escape(f, ctx->steps[i].name);
        fprintf(f, "</td><td>%.3f</td><td>%.0f</td></tr>\n", ctx->steps[i].seconds, ctx->steps[i].peak_mb);
    }
    fputs("</tbody></table>\n<p>Settings (config.used):</p><pre>", f);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        clm_config_write(ctx->config, mem);
        fclose(mem);
        clm_html_escape(f, text);
        free(text);
    }
    fputs("</pre>\n", f);
    clm_html_end(f);
    free(order);
    return clm_textfile_commit(tf);
}

/*
 * step_curves.c — lifecycle_curves.csv: per company, branch and segment,
 * by tenure month, the subscribers at that tenure, their mean ARPU, the
 * group's Kaplan–Meier survival and the cumulative value
 * sum_{u <= month} S(u) x mean ARPU(u) (what a subscriber who joins today
 * is expected to bring by that month, read off this quarter's
 * cross-section; docs/run.md).
 *
 * One pass over the rows in row order counts subscribers and sums ARPU per
 * (group, whole month) in dense tables; the survival comes from the
 * run's curves in memory (the branch curves through run_branch.curve), so
 * it is the same S as survival_branch.csv and survival_segment.csv.
 * Company rows cover every month up to the longest tenure; branch and
 * segment rows only the months that group has subscribers at.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "run/run_ctx.h"

/* Months beyond this are refused (a tenure column in days read as months). */
#define CURVES_MAX_MONTH 10000

/* A group's curve of segment s: the stratum labelled "s" (labels are the
 * segment numbers), or NULL. */
static const clm_survival_curve *segment_curve(const run_ctx *ctx, int s)
{
    char label[16];
    snprintf(label, sizeof label, "%d", s);
    int n = clm_survival_n_curves(ctx->surv_segment);
    for (int c = 0; c + 1 < n; c++) {
        const clm_survival_curve *cv = clm_survival_curve_at(ctx->surv_segment, c);
        if (!strcmp(cv->label, label))
            return cv;
    }
    return NULL;
}

static void write_group(FILE *f, const char *level, const char *name, const int64_t *count,
                        const int64_t *priced, const double *arpu, int n_months,
                        const clm_survival_curve *curve, int all)
{
    double value = 0.0;
    for (int m = 0; m < n_months; m++) {
        if (!all && count[m] == 0)
            continue;
        double mean = priced[m] > 0 ? arpu[m] / (double)priced[m] : NAN;
        double s = curve ? run_survival_at(curve, (double)m) : NAN;
        if (!isnan(mean))
            value += s * mean;
        fprintf(f, "%s,", level);
        run_csv_field(f, name);
        fprintf(f, ",%d,%lld,", m, (long long)count[m]);
        if (isnan(mean))
            fputs("NA", f);
        else
            fprintf(f, "%.4f", mean);
        if (isnan(s))
            fputs(",NA,NA\n", f);
        else
            fprintf(f, ",%.6f,%.4f\n", s, value);
    }
}

clm_status run_write_curves_csv(run_ctx *ctx)
{
    const int64_t n = ctx->n_rows;
    const int nb = ctx->n_branches, k = ctx->k, groups = 1 + nb + k;
    double *t = malloc((size_t)n * sizeof *t);
    if (!t)
        return clm_error(CLM_E_NOMEM, "out of memory");
    clm_status s = clm_table_read_f64(ctx->table, clm_table_find(ctx->table, ctx->col_time), 0, n, t);
    const double unit = ctx->time_unit_days > 0 ? ctx->time_unit_days / CLM_DAYS_PER_MONTH : 1.0;
    int n_months = 1;
    for (int64_t i = 0; !s && i < n; i++) {
        double m = floor(t[i] * unit);
        if (m > CURVES_MAX_MONTH) {
            s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: tenure %g months is beyond the "
                          "%d months lifecycle_curves.csv lists (is columns.time_unit right?)",
                          ctx->input, ctx->col_time, (long long)i, m, CURVES_MAX_MONTH);
            break;
        }
        n_months = (int)m + 1 > n_months ? (int)m + 1 : n_months;
    }
    const size_t cells = (size_t)groups * (size_t)n_months;
    int64_t *count = s ? NULL : calloc(cells, sizeof *count);
    int64_t *priced = s ? NULL : calloc(cells, sizeof *priced); /* rows with an ARPU */
    double *arpu = s ? NULL : calloc(cells, sizeof *arpu);
    if (!s && (!count || !priced || !arpu))
        s = clm_error(CLM_E_NOMEM, "out of memory for %d groups x %d months", groups, n_months);
    for (int64_t i = 0; !s && i < n; i++) {
        const int m = (int)floor(t[i] * unit);
        const float a = ctx->arpu[i];
        int g[3] = {0, ctx->branch[i] >= 0 ? 1 + ctx->branch[i] : -1,
                    ctx->segment[i] >= 0 ? 1 + nb + ctx->segment[i] : -1};
        for (int j = 0; j < 3; j++) {
            if (g[j] < 0)
                continue;
            size_t c = (size_t)g[j] * (size_t)n_months + (size_t)m;
            count[c]++;
            if (!isnan(a)) {
                priced[c]++;
                arpu[c] += a;
            }
        }
    }
    free(t);
    clm_textfile *tf = NULL;
    if (!s)
        s = run_text_open(ctx->outdir, "lifecycle_curves.csv", ctx->input, &tf);
    if (!s) {
        FILE *f = clm_textfile_stream(tf);
        fputs("level,name,month,subscribers,mean_arpu,survival,cumulative_value\n", f);
        const clm_survival_curve *all =
            clm_survival_curve_at(ctx->surv_branch, clm_survival_n_curves(ctx->surv_branch) - 1);
        write_group(f, "company", "all", count, priced, arpu, n_months, all, 1);
        for (int b = 0; b < nb; b++) {
            size_t at = (size_t)(1 + b) * n_months;
            write_group(f, "branch", ctx->branch_names[b], count + at, priced + at, arpu + at,
                        n_months, ctx->branches[b].curve, 0);
        }
        for (int j = 0; j < k; j++) {
            char name[16];
            snprintf(name, sizeof name, "%d", j);
            size_t at = (size_t)(1 + nb + j) * n_months;
            write_group(f, "segment", name, count + at, priced + at, arpu + at, n_months,
                        segment_curve(ctx, j), 0);
        }
        s = run_text_finish(&ctx->outputs, tf, CLM_OK);
    }
    free(count);
    free(priced);
    free(arpu);
    return s;
}

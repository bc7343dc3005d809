/*
 * step_branches.c — the branch health step: per-branch figures, health
 * scores and levers, and the health order shared by branches.csv and the
 * report; the same figures for groups of branches (the regions).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/writer.h"
#include "core/util_internal.h"
#include "run/run_ctx.h"

double run_survival_at(const clm_survival_curve *c, double t)
{
    double s = 1.0;
    for (int64_t j = 0; j < c->n_times && c->time[j] <= t; j++)
        s = c->survival[j];
    return s;
}

/* Curves sorted by label, so each branch finds its own in log time (a
 * scan per branch is quadratic: 200,000 branches took minutes). */
typedef struct labelled_curve {
    const char *label;
    const clm_survival_curve *curve;
} labelled_curve;

static int by_label(const void *a, const void *b)
{
    return strcmp(((const labelled_curve *)a)->label, ((const labelled_curve *)b)->label);
}

static const clm_survival_curve *find_curve(const labelled_curve *sorted, int n, const char *label)
{
    labelled_curve key = {label, NULL};
    const labelled_curve *hit = bsearch(&key, sorted, (size_t)n, sizeof *sorted, by_label);
    return hit ? hit->curve : NULL;
}

clm_status run_group_health(run_ctx *ctx, const int32_t *group_of, int n_groups, char *const *names,
                            const clm_survival *surv, const char *one_curve, run_branch *out)
{
    int nb = ctx->n_branches, ng = n_groups;
    int64_t n = ctx->n_rows;
    double *arpu_sum = calloc((size_t)ng, sizeof *arpu_sum);
    double *risk_sum = calloc((size_t)ng, sizeof *risk_sum);
    double *prev_sum = calloc((size_t)ng, sizeof *prev_sum);
    int64_t *prev_n = calloc((size_t)ng, sizeof *prev_n);
    int64_t *debt = calloc((size_t)ng, sizeof *debt);
    int64_t *events = calloc((size_t)ng, sizeof *events);
    int64_t (*stages)[CLM_N_STAGES] = calloc((size_t)ng, sizeof *stages);
    clm_health_metrics *metrics = calloc((size_t)ng, sizeof *metrics);
    clm_health_result *health = calloc((size_t)ng, sizeof *health);
    clm_status s = CLM_OK;
    if (!arpu_sum || !risk_sum || !prev_sum || !prev_n || !debt || !events || !stages || !metrics || !health)
        s = clm_error(CLM_E_NOMEM, "out of memory for %d groups of branches", ng);
    /* One sequential pass: sums in row order, so the figures never depend
     * on the thread count. */
    for (int64_t i = 0; i < n && !s; i++) {
        int32_t b = ctx->branch[i];
        int32_t g = b < 0 || !group_of ? b : group_of[b];
        if (g < 0)
            continue;
        run_branch *br = &out[g];
        br->metrics.subscribers++;
        float a = ctx->arpu[i];
        int churned = ctx->churned[i]; /* the event, whatever staged the row */
        events[g] += churned;
        stages[g][ctx->stage[i]]++;
        if (!isnan(a)) {
            arpu_sum[g] += a;
            if (!churned)
                risk_sum[g] += (double)ctx->probability[i] * a;
        }
    }
    /* The per-branch sums of the signal columns, summed into the groups
     * (a branch alone adds its own to 0: the same figure). */
    for (int b = 0; b < nb && !s; b++) {
        int32_t g = group_of ? group_of[b] : b;
        if (g < 0)
            continue;
        prev_sum[g] += ctx->arpu_prev_sum[b];
        prev_n[g] += ctx->arpu_prev_n[b];
        debt[g] += ctx->debt_count[b];
    }
    /* Survival per group, matched by label. */
    int n_curves = s ? 0 : clm_survival_n_curves(surv);
    labelled_curve *sorted = malloc((size_t)(n_curves > 0 ? n_curves : 1) * sizeof *sorted);
    if (!s && !sorted)
        s = clm_error(CLM_E_NOMEM, "out of memory for %d curves", n_curves);
    for (int c = 0; c < n_curves && !s; c++) {
        sorted[c].curve = clm_survival_curve_at(surv, c);
        sorted[c].label = sorted[c].curve->label;
    }
    if (!s)
        qsort(sorted, (size_t)n_curves, sizeof *sorted, by_label);
    for (int g = 0; g < ng && !s; g++) {
        run_branch *br = &out[g];
        clm_health_metrics *m = &br->metrics;
        br->name = names[g];
        double count = (double)m->subscribers;
        m->churn_rate = count > 0 ? events[g] / count : NAN;
        m->arpu = count > 0 ? arpu_sum[g] / count : NAN;
        br->arpu_prev = prev_n[g] > 0 ? prev_sum[g] / (double)prev_n[g] : NAN;
        m->arpu_change = br->arpu_prev > 0 ? m->arpu / br->arpu_prev - 1.0 : NAN;
        for (int k = 0; k < CLM_N_STAGES; k++)
            br->stage_share[k] = count > 0 ? stages[g][k] / count : NAN;
        m->share_ab = br->stage_share[CLM_STAGE_A] + br->stage_share[CLM_STAGE_B];
        m->share_d = br->stage_share[CLM_STAGE_D];
        m->revenue_at_risk = arpu_sum[g] > 0 ? risk_sum[g] / arpu_sum[g] : NAN;
        m->debt_share = stages[g][CLM_STAGE_D] > 0 ? (double)debt[g] / stages[g][CLM_STAGE_D] : 0.0;
        m->s12 = NAN;
        m->ltv = NAN;
        const clm_survival_curve *cv = find_curve(sorted, n_curves, one_curve ? one_curve : br->name);
        br->curve = cv;
        if (cv) {
            m->s12 = run_survival_at(cv, 12.0);
            m->ltv = cv->ltv ? cv->ltv[cv->horizon] : NAN;
        }
        metrics[g] = *m;
    }
    if (!s) s = clm_health_score(metrics, ng, &ctx->weights, health);
    for (int g = 0; g < ng && !s; g++)
        out[g].health = health[g];
    free(sorted);
    free(arpu_sum);
    free(risk_sum);
    free(prev_sum);
    free(prev_n);
    free(debt);
    free(events);
    free(stages);
    free(metrics);
    free(health);
    return s;
}

clm_status run_branches(run_ctx *ctx)
{
    ctx->branches = calloc((size_t)ctx->n_branches, sizeof *ctx->branches);
    if (!ctx->branches)
        return clm_error(CLM_E_NOMEM, "out of memory for %d branches", ctx->n_branches);
    return run_group_health(ctx, NULL, ctx->n_branches, ctx->branch_names, ctx->surv_branch,
                            ctx->has_branch ? NULL : "all", ctx->branches);
}

void run_csv_number(FILE *f, const char *format, double v)
{
    fputc(',', f);
    if (isnan(v))
        fputs("NA", f);
    else
        fprintf(f, format, v);
}

void run_csv_field(FILE *f, const char *text)
{
    util_csv_field(f, text);
}

int *run_health_order(const run_ctx *ctx)
{
    return run_group_order(ctx->branches, ctx->n_branches);
}

int *run_group_order(const run_branch *groups, int nb)
{
    int *order = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *order);
    double *key = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *key);
    /* Healthiest first, equal scores in branch order.  Scores are finite
     * (ranks in [0, 100]), so -total orders them. */
    for (int b = 0; order && key && b < nb; b++)
        key[b] = -groups[b].health.total;
    if (order && key && util_order_by_key(key, nb, order)) {
        free(order);
        order = NULL;
    }
    free(key);
    return order;
}

/* A CSV field, quoted when it holds a comma, quote or newline. */

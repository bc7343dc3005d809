/*
 * step_results.c — the results.h5 step: the k-means model with every
 * row's label, then tiers, stages, the churn tree with every
 * row's probability, survival by segment and by branch, /branches and
 * /regions (with a region column).
 * Row i of every per-subscriber dataset is row i of the input.
 */
#include <stdlib.h>

#include "core/util_internal.h"
#include "clmseg/writer.h"
#include "run/run_ctx.h"
#include "run/run_regions.h"
#include "run/run_previous.h"

clm_status run_write_group_h5(const run_ctx *ctx, clm_writer *w, const char *group, const run_branch *groups,
                              int n_groups)
{
    int nb = n_groups;
    int64_t dims = nb;
    double *v = malloc((size_t)nb * sizeof *v);
    int64_t *subs = malloc((size_t)nb * sizeof *subs);
    const char **names = malloc((size_t)nb * sizeof *names);
    const char **levers = malloc((size_t)nb * sizeof *levers);
    if (!v || !subs || !names || !levers) {
        free(v);
        free(subs);
        free(names);
        free(levers);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int b = 0; b < nb; b++) {
        names[b] = groups[b].name;
        levers[b] = clm_health_lever_names[groups[b].health.lever];
        subs[b] = groups[b].metrics.subscribers;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/name", group);
    clm_status s = clm_writer_strings(w, path, names, nb);
    snprintf(path, sizeof path, "%s/subscribers", group);
    if (!s) s = clm_writer_array(w, path, CLM_DT_INT64, 1, &dims, subs);
    /* Every per-branch figure as one float64 array, read by a getter. */
    static const char *const fields[] = {
        "churn_rate", "s12", "arpu", "arpu_change", "ltv", "revenue_at_risk", "share_A", "share_B", "share_C",
        "share_D", "share_E", "retention", "value", "growth", "risk", "health"};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0] && !s; f++) {
        for (int b = 0; b < nb; b++) {
            const run_branch *br = &groups[b];
            const clm_health_metrics *m = &br->metrics;
            const double all[] = {m->churn_rate, m->s12, m->arpu, m->arpu_change, m->ltv, m->revenue_at_risk,
                                  br->stage_share[0], br->stage_share[1], br->stage_share[2], br->stage_share[3],
                                  br->stage_share[4], br->health.score[0], br->health.score[1],
                                  br->health.score[2], br->health.score[3], br->health.total};
            v[b] = all[f];
        }
        snprintf(path, sizeof path, "%s/%s", group, fields[f]);
        s = clm_writer_array(w, path, CLM_DT_FLOAT64, 1, &dims, v);
    }
    snprintf(path, sizeof path, "%s/lever", group);
    if (!s) s = clm_writer_strings(w, path, levers, nb);
    if (!s) s = clm_writer_attr_f64_array(w, group, "weights", ctx->weights.weight, CLM_N_SCORES);
    if (!s) s = clm_writer_attr_strings(w, group, "scores", clm_health_score_names, CLM_N_SCORES);
    free(v);
    free(subs);
    free(names);
    free(levers);
    return s;
}

/* /cox (the model) and /equity (per row, and the expected active count
 * after 0..horizon months). */
static clm_status write_equity(run_ctx *ctx, clm_writer *w)
{
    const clm_equity *eq = ctx->equity;
    clm_status s = clm_cox_save(ctx->cox, w, "/cox");
    if (!s) s = clm_equity_save(eq, w, "/equity");
    if (!s) s = clm_writer_attr_f64(w, "/equity", "margin", ctx->equity_params.margin);
    if (!s) s = clm_writer_attr_f64(w, "/equity", "discount", ctx->equity_params.discount);
    return s;
}

clm_status run_write_results(run_ctx *ctx)
{
    clm_writer *w = NULL;
    int64_t n = ctx->n_rows;
    clm_status s = clm_writer_create(ctx->path_results, (const char *const[]){ctx->input, NULL}, &w);
    if (s)
        return s;
    s = clm_kmeans_save(ctx->kmeans, w, "/segments");
    if (!s && ctx->previous) s = clm_writer_attr_string(w, "/segments", "previous", ctx->previous->path);
    if (!s) s = clm_lifecycle_save(ctx->lifecycle, w, ctx->tier, ctx->stage, n);
    if (!s) s = clm_tree_save(ctx->tree, w, "/churn");
    if (!s) s = clm_writer_column_array(w, "/churn/probability", CLM_DT_FLOAT32, n, ctx->probability);
    if (!s) s = clm_survival_write_h5(ctx->surv_segment, w, "segment");
    if (!s) s = clm_survival_write_h5(ctx->surv_branch, w, "branch");
    if (!s) s = run_write_group_h5(ctx, w, "/branches", ctx->branches, ctx->n_branches);
    if (!s && ctx->regions) s = run_write_regions_h5(ctx, w);
    if (!s) s = run_write_lifecycle_h5(ctx, w);
    if (!s && ctx->cox) s = write_equity(ctx, w);
    if (!s && ctx->scenarios) s = clm_scenario_save(ctx->scenarios, w, "/scenarios");
    return run_results_finish(&ctx->outputs, w, s);
}

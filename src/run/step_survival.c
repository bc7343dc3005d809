/*
 * step_survival.c — the survival step: Kaplan–Meier and LTV by segment
 * (the k-means labels in memory are the strata) and by branch.
 */
#include <string.h>

#include "run/run_ctx.h"

void run_survival_columns(const run_ctx *ctx, clm_survival_columns *cols)
{
    memset(cols, 0, sizeof *cols);
    cols->time = ctx->col_time;
    cols->event = ctx->col_event;
    cols->event_level = ctx->event_level;
    cols->arpu = ctx->col_arpu;
    cols->time_unit_days = ctx->time_unit_days;
}

clm_status run_survival(run_ctx *ctx)
{
    clm_survival_columns cols;
    run_survival_columns(ctx, &cols);
    cols.strata = ctx->segment;
    cols.n_strata = ctx->k;
    cols.strata_name = "segment";
    clm_status s = clm_survival_fit_table(&ctx->survival_params, &cols, ctx->table, &ctx->surv_segment);
    if (s)
        return s;
    cols.strata = NULL;
    cols.n_strata = 0;
    cols.by = ctx->has_branch ? ctx->col_branch : NULL;
    s = clm_survival_fit_table(&ctx->survival_params, &cols, ctx->table, &ctx->surv_branch);
    if (!s && ctx->log) {
        clm_survival_print(ctx->surv_segment, ctx->log, "segment");
        if (ctx->n_branches <= 20)
            clm_survival_print(ctx->surv_branch, ctx->log, ctx->has_branch ? ctx->col_branch : "all");
    }
    return s;
}

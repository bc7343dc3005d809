/*
 * step_survival.c — the survival step: Kaplan–Meier and LTV by segment
 * (the k-means labels in memory are the strata) and by branch.  It runs
 * on every rank (run.c), each counting its own rows (surv_fit_table_ranks:
 * counts merged exactly, ARPU sums relayed in row order), so every rank
 * ends with the serial estimators; rank 0 keeps them for the later steps.
 */
#include <stdlib.h>
#include <string.h>

#include "run/run_ctx.h"
#include "survival/survival_ranks.h"

void run_survival_columns(const run_ctx *ctx, clm_survival_columns *cols)
{
    memset(cols, 0, sizeof *cols);
    cols->time = ctx->col_time;
    cols->event = ctx->col_event;
    cols->event_level = ctx->event_level;
    cols->arpu = ctx->col_arpu;
    cols->time_unit_days = ctx->time_unit_days;
}

/* The segment of each of this rank's survival rows (surv_rank_rows), from
 * rank 0, which holds every row's (*mine: a new array; on one process the
 * labels themselves, *owned 0). */
static clm_status segments_here(run_ctx *ctx, const clm_survival_columns *cols, int32_t **mine, int *owned)
{
    const int64_t n_rows = clm_table_n_rows(ctx->table);
    *owned = comm_is_parallel(&ctx->comm);
    if (!*owned) {
        *mine = (int32_t *)ctx->segment; /* read only */
        return CLM_OK;
    }
    int64_t first, n;
    surv_rank_rows(&ctx->comm, n_rows, surv_file_chunk(ctx->table, cols), &first, &n);
    *mine = malloc((size_t)(n > 0 ? n : 1) * sizeof **mine);
    clm_status s = comm_agree(&ctx->comm, *mine ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory"));
    if (!s)
        s = comm_recut_rows(&ctx->comm, ctx->segment, ctx->root ? n_rows : 0, sizeof **mine, *mine, n);
    return s;
}

clm_status run_survival(run_ctx *ctx)
{
    clm_survival_columns cols;
    run_survival_columns(ctx, &cols);
    int32_t *segment = NULL;
    int owned = 0;
    clm_status s = segments_here(ctx, &cols, &segment, &owned);
    if (s) {
        if (owned)
            free(segment);
        return s;
    }
    cols.strata = segment;
    cols.n_strata = ctx->k;
    cols.strata_name = "segment";
    s = surv_fit_table_ranks(&ctx->survival_params, &cols, ctx->table, &ctx->comm, &ctx->surv_segment);
    if (owned)
        free(segment);
    if (s)
        return s;
    cols.strata = NULL;
    cols.n_strata = 0;
    cols.by = ctx->has_branch ? ctx->col_branch : NULL;
    s = surv_fit_table_ranks(&ctx->survival_params, &cols, ctx->table, &ctx->comm, &ctx->surv_branch);
    if (!ctx->root) { /* rank 0 alone reads them in the later steps */
        clm_survival_free(ctx->surv_segment);
        clm_survival_free(ctx->surv_branch);
        ctx->surv_segment = ctx->surv_branch = NULL;
    }
    if (!s && ctx->root && ctx->log) {
        clm_survival_print(ctx->surv_segment, ctx->log, "segment");
        if (ctx->n_branches <= 20)
            clm_survival_print(ctx->surv_branch, ctx->log, ctx->has_branch ? ctx->col_branch : "all");
    }
    return s;
}

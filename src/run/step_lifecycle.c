/*
 * step_lifecycle.c — the tiers+stages step: branch codes, value tiers
 * (ARPU quantiles), lifecycle stages A–E by the rules, the per-branch
 * figures the signal columns give, and the agreement with /truth/stage
 * when the input carries the generator's truth.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "lifecycle/lifecycle_internal.h"
#include "run/run_ctx.h"

/* The labels of every row of `column`: categorical codes with their
 * names, or an integer column's distinct values as dense codes in order of
 * value.  Shared by the branch and the region columns, so a branch code
 * means the same wherever it is read.  *codes, *names and *n are set as
 * soon as allocated, so the caller frees them on error too. */
clm_status run_read_labels(const run_ctx *ctx, const char *column, int32_t **codes, int *n_labels,
                           char ***names)
{
    int64_t n = ctx->n_rows;
    int32_t *code = *codes = malloc((size_t)n * sizeof *code);
    if (!code)
        return clm_error(CLM_E_NOMEM, "out of memory for the codes of column '%s'", column);
    int col = clm_table_find(ctx->table, column);
    const clm_column_info *info = clm_table_column(ctx->table, col);
    clm_status s = clm_table_read_i32(ctx->table, col, 0, n, code);
    if (s)
        return s;
    if (info->kind == CLM_KIND_CATEGORICAL) {
        *n_labels = info->n_categories;
        *names = calloc((size_t)(info->n_categories ? info->n_categories : 1), sizeof(char *));
        if (!*names)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int b = 0; b < info->n_categories; b++) {
            size_t len = strlen(info->categories[b]) + 1;
            if (!((*names)[b] = malloc(len)))
                return clm_error(CLM_E_NOMEM, "out of memory");
            memcpy((*names)[b], info->categories[b], len);
        }
        for (int64_t i = 0; i < n; i++)
            if (code[i] < -1 || code[i] >= info->n_categories)
                return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: code %d is outside its %d categories",
                                 ctx->input, column, (long long)i, code[i], info->n_categories);
        return CLM_OK;
    }
    /* Integer ids: dense codes in order of value. */
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (int64_t i = 0; i < n; i++) {
        if (code[i] < lo) lo = code[i];
        if (code[i] > hi) hi = code[i];
    }
    if ((int64_t)hi - lo >= 1000000)
        return clm_error(CLM_E_VALUE, "%s: column '%s' spans %lld values; use a categorical column",
                         ctx->input, column, (long long)hi - lo + 1);
    int32_t span = hi - lo + 1;
    int32_t *dense = malloc((size_t)span * sizeof *dense);
    if (!dense)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t v = 0; v < span; v++)
        dense[v] = -1;
    for (int64_t i = 0; i < n; i++)
        dense[code[i] - lo] = 1;
    int nb = 0;
    for (int32_t v = 0; v < span; v++)
        if (dense[v] >= 0)
            dense[v] = nb++;
    *n_labels = nb;
    *names = calloc((size_t)nb, sizeof(char *));
    if (!*names) {
        free(dense);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int32_t v = 0; v < span; v++)
        if (dense[v] >= 0) {
            char buf[16];
            snprintf(buf, sizeof buf, "%d", (int)(v + lo));
            if (!((*names)[dense[v]] = malloc(strlen(buf) + 1))) {
                free(dense);
                return clm_error(CLM_E_NOMEM, "out of memory");
            }
            strcpy((*names)[dense[v]], buf);
        }
    for (int64_t i = 0; i < n; i++)
        code[i] = dense[code[i] - lo];
    free(dense);
    return CLM_OK;
}

/* Reads the branch of every row (run_read_labels); without a branch
 * column the whole company is one branch. */
static clm_status read_branches(run_ctx *ctx)
{
    if (ctx->has_branch)
        return run_read_labels(ctx, ctx->col_branch, &ctx->branch, &ctx->n_branches, &ctx->branch_names);
    int64_t n = ctx->n_rows;
    ctx->branch = malloc((size_t)n * sizeof *ctx->branch);
    if (!ctx->branch)
        return clm_error(CLM_E_NOMEM, "out of memory for the branch codes");
    for (int64_t i = 0; i < n; i++)
        ctx->branch[i] = 0;
    ctx->n_branches = 1;
    ctx->branch_names = malloc(sizeof *ctx->branch_names);
    if (!ctx->branch_names || !(ctx->branch_names[0] = malloc(8)))
        return clm_error(CLM_E_NOMEM, "out of memory");
    strcpy(ctx->branch_names[0], "all");
    return CLM_OK;
}

/* Column index of an optional column, or -1 (absent or not configured). */
static int optional_column(const run_ctx *ctx, const char *name)
{
    return name ? clm_table_find(ctx->table, name) : -1;
}

/* Agreement of the stages with /truth/stage when the input has it. */
void run_compare_with_truth(run_ctx *ctx)
{
    clm_table *truth = NULL;
    if (clm_table_open_group(ctx->table, "/truth", &truth) != CLM_OK) {
        clm_error_clear();
        return;
    }
    int col = clm_table_find(truth, "stage");
    int32_t *buf = malloc(CLM_BLOCK_ROWS * sizeof *buf);
    if (col >= 0 && buf && clm_table_column(truth, col)->length == ctx->n_rows) {
        int64_t same = 0;
        clm_status s = CLM_OK;
        for (int64_t r0 = 0; r0 < ctx->n_rows && !s; r0 += CLM_BLOCK_ROWS) {
            int64_t n = util_block_len(ctx->n_rows, r0, CLM_BLOCK_ROWS);
            s = clm_table_read_i32(truth, col, r0, n, buf);
            for (int64_t i = 0; i < n && !s; i++)
                same += buf[i] == ctx->stage[r0 + i];
        }
        if (!s) {
            ctx->truth_agreement = (double)same / (double)ctx->n_rows;
            ctx->truth_rows = ctx->n_rows;
        }
    }
    free(buf);
    clm_table_close(truth);
}

clm_status run_tiers_and_stages(run_ctx *ctx)
{
    int64_t n = ctx->n_rows;
    clm_status s = read_branches(ctx);
    if (s)
        return s;
    float *arpu = ctx->arpu = malloc((size_t)n * sizeof *arpu);
    ctx->tier = malloc((size_t)n);
    ctx->stage = malloc((size_t)n);
    ctx->churned = malloc((size_t)n);
    ctx->decline = malloc((size_t)n);
    size_t nb = (size_t)ctx->n_branches;
    ctx->debt_count = calloc(nb, sizeof *ctx->debt_count);
    ctx->arpu_prev_sum = calloc(nb, sizeof *ctx->arpu_prev_sum);
    ctx->arpu_prev_n = calloc(nb, sizeof *ctx->arpu_prev_n);
    if (!arpu || !ctx->tier || !ctx->stage || !ctx->churned || !ctx->decline || !ctx->debt_count || !ctx->arpu_prev_sum || !ctx->arpu_prev_n)
        return clm_error(CLM_E_NOMEM, "out of memory for tiers and stages");
    s = clm_table_read_f32(ctx->table, clm_table_find(ctx->table, ctx->col_arpu), 0, n, arpu);
    if (!s) s = clm_tier_thresholds(&ctx->tiers, arpu, n, &ctx->high_min, &ctx->low_max);
    if (!s) clm_tier_assign(ctx->high_min, ctx->low_max, arpu, n, ctx->tier);
    if (!s) {
        clm_lifecycle_columns lc = {ctx->col_event, ctx->col_time, ctx->col_arpu, ctx->col_arpu_prev,
                                    ctx->col_susp, ctx->col_down, ctx->col_cnow, ctx->col_cprev,
                                    ctx->col_compl, ctx->event_level, ctx->time_unit_days};
        s = clm_lifecycle_create(&ctx->stages, ctx->high_min, ctx->low_max, &lc, &ctx->lifecycle);
    }
    if (s)
        return s;

    /* Stage inputs, streamed in blocks: churned, tenure, then the optional
     * signal columns (absent ones stay NULL and never fire). */
    const char *names[9] = {ctx->col_event, ctx->col_time, ctx->col_arpu, ctx->col_arpu_prev, ctx->col_susp,
                            ctx->col_down, ctx->col_cnow, ctx->col_cprev, ctx->col_compl};
    int cols[9];
    float *buf[9] = {0};
    for (int j = 0; j < 9; j++) {
        cols[j] = optional_column(ctx, names[j]);
        if (j > 0 && cols[j] >= 0 && clm_table_column(ctx->table, cols[j])->kind != CLM_KIND_NUMERIC)
            cols[j] = -1;
        if (cols[j] >= 0 && !(buf[j] = malloc(CLM_BLOCK_ROWS * sizeof(float))))
            s = clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int64_t r0 = 0; r0 < n && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t m = util_block_len(n, r0, CLM_BLOCK_ROWS);
        for (int j = 0; j < 9 && !s; j++)
            if (cols[j] >= 0)
                s = clm_table_read_f32(ctx->table, cols[j], r0, m, buf[j]);
        if (s)
            break;
        if (ctx->event_code >= 0) /* categorical event: its level means churned */
            for (int64_t i = 0; i < m; i++)
                buf[0][i] = buf[0][i] == (float)ctx->event_code ? 1.0f : 0.0f;
        lifecycle_tenure_to_months(buf[1], m, ctx->time_unit_days);
        clm_stage_inputs in = {buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7], buf[8]};
        clm_stage_assign(&ctx->stages, &in, m, ctx->stage + r0);
        for (int64_t i = 0; i < m; i++)
            ctx->churned[r0 + i] = buf[0][i] >= 0.5f;
        clm_stage_decline(&ctx->stages, &in, m, ctx->decline + r0);
        /* Per-branch figures that need the signal columns of this block. */
        for (int64_t i = 0; i < m; i++) {
            int32_t b = ctx->branch[r0 + i];
            if (b < 0)
                continue;
            if (buf[3] && !isnan(buf[3][i])) {
                ctx->arpu_prev_sum[b] += buf[3][i];
                ctx->arpu_prev_n[b]++;
            }
            if (ctx->stage[r0 + i] == CLM_STAGE_D && buf[4] && buf[4][i] >= ctx->stages.suspensions_min)
                ctx->debt_count[b]++;
        }
    }
    for (int j = 0; j < 9; j++)
        free(buf[j]);
    if (s)
        return s;
    for (int64_t i = 0; i < n; i++)
        ctx->stage_count[ctx->stage[i]]++;
    run_compare_with_truth(ctx);
    if (ctx->log) {
        fprintf(ctx->log, "value tiers: high ARPU >= %.2f, low ARPU < %.2f\nstages:", ctx->high_min, ctx->low_max);
        for (int k = 0; k < CLM_N_STAGES; k++)
            fprintf(ctx->log, " %s %.1f%%", clm_stage_letters[k], 100.0 * ctx->stage_count[k] / (double)n);
        if (!isnan(ctx->truth_agreement))
            fprintf(ctx->log, "  (agreement with /truth/stage: %.2f%%)", 100 * ctx->truth_agreement);
        fprintf(ctx->log, "\n");
    }
    return CLM_OK;
}

/*
 * step_churn_tree.c — the churn tree step: a histogram CART on the event
 * column, fitted on the open table; every row's churn probability is kept
 * in memory for the branch figures, the warning list and results.h5.  It
 * runs on every rank (run.c).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "run/run_ctx.h"
#include "tree/tree_ranks.h"

clm_status run_churn_tree(run_ctx *ctx)
{
    clm_tree_columns cols;
    clm_tree_columns_default(&cols);
    cols.target = ctx->col_event;
    cols.target_level = ctx->event_level;
    /* Default features: every usable column but id, event, time, branch
     * and region (tenure is the survival time, decided by the churn
     * itself; the branch and its region are where the lever is pulled, not
     * a behaviour). */
    const char **features = NULL;
    int n_features = 0;
    if (ctx->tree_features) {
        features = (const char **)ctx->tree_features;
        n_features = ctx->n_tree_features;
    } else {
        int nc = clm_table_n_columns(ctx->table);
        features = malloc((size_t)(nc + 1) * sizeof *features);
        if (!features)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int c = 0; c < nc; c++) {
            const clm_column_info *info = clm_table_column(ctx->table, c);
            if (info->kind == CLM_KIND_UNSUPPORTED || (ctx->col_id && !strcmp(info->name, ctx->col_id)) ||
                !strcmp(info->name, ctx->col_event) || !strcmp(info->name, ctx->col_time) ||
                (ctx->col_branch && !strcmp(info->name, ctx->col_branch)) ||
                (ctx->col_region && !strcmp(info->name, ctx->col_region)))
                continue;
            features[n_features++] = info->name;
        }
        features[n_features] = NULL;
    }
    cols.features = features;
    cols.n_features = n_features;
    /* On every rank, each on its own rows; rank 0 keeps every row's leaf
     * (tree_fit_table_ranks) for the probabilities below. */
    clm_status s = tree_fit_table_ranks(&ctx->tree_params, &cols, ctx->table, &ctx->comm, &ctx->tree);
    if (!s)
        s = tree_gather_outputs(ctx->tree);
    if (!ctx->tree_features)
        free(features);
    if (s || !ctx->root) {
        clm_tree_free(ctx->tree);
        ctx->tree = NULL;
        return s;
    }
    int64_t n = ctx->n_rows;
    int n_classes = clm_tree_n_classes(ctx->tree);
    ctx->probability = malloc((size_t)n * sizeof *ctx->probability);
    float *block = malloc((size_t)CLM_BLOCK_ROWS * (size_t)n_classes * sizeof *block);
    if (!ctx->probability || !block) {
        free(block);
        return clm_error(CLM_E_NOMEM, "out of memory for churn probabilities");
    }
    for (int64_t r0 = 0; r0 < n && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t m = util_block_len(n, r0, CLM_BLOCK_ROWS);
        s = clm_tree_predict_training(ctx->tree, r0, m, block);
        for (int64_t i = 0; i < m && !s; i++)
            ctx->probability[r0 + i] = block[i * n_classes + (n_classes > 1 ? 1 : 0)];
    }
    free(block);
    if (!s && ctx->log) {
        clm_tree_metrics m;
        clm_tree_get_metrics(ctx->tree, &m);
        fprintf(ctx->log, "churn tree: %d leaves, depth %d, holdout accuracy %.4f, AUC %.4f\n",
                clm_tree_n_leaves(ctx->tree), clm_tree_depth(ctx->tree), m.accuracy, m.auc);
    }
    return s;
}

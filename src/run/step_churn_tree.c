/*
 * step_churn_tree.c — the churn tree step: a histogram CART on the event
 * column, fitted on the open table; every row's churn probability is kept
 * in memory (rank 0) for the branch figures, the warning list and
 * results.h5.  It runs on every rank (run.c).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "run/run_ctx.h"
#include "tree/tree_ranks.h"

/* The churn probability (class 1's, or the only class's) of the first n
 * rows the tree holds: every row on rank 0 once gathered, else this
 * rank's own. */
static clm_status probabilities(const clm_tree *tree, int64_t n, float **out)
{
    const int n_classes = clm_tree_n_classes(tree);
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    float *block = malloc((size_t)CLM_BLOCK_ROWS * (size_t)n_classes * sizeof *block);
    clm_status s = p && block ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory for churn probabilities");
    for (int64_t r0 = 0; r0 < n && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t m = util_block_len(n, r0, CLM_BLOCK_ROWS);
        s = clm_tree_predict_training(tree, r0, m, block);
        for (int64_t i = 0; i < m && !s; i++)
            p[r0 + i] = block[i * n_classes + (n_classes > 1 ? 1 : 0)];
    }
    free(block);
    if (s)
        free(p);
    *out = s ? NULL : p;
    return s;
}

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
     * (tree_fit_table_ranks) for the probabilities below, and another rank
     * its own rows' probabilities, for results.h5. */
    clm_status s = tree_fit_table_ranks(&ctx->tree_params, &cols, ctx->table, &ctx->comm, &ctx->tree);
    if (!ctx->tree_features)
        free(features);
    int64_t first = 0, n_mine = 0;
    float *mine = NULL;
    if (!s)
        tree_rows_here(ctx->tree, &first, &n_mine);
    if (!s && !ctx->root)
        s = probabilities(ctx->tree, n_mine, &mine);
    s = comm_agree(&ctx->comm, s);
    if (!s)
        s = tree_gather_outputs(ctx->tree);
    if (!s && ctx->root)
        s = probabilities(ctx->tree, ctx->n_rows, &ctx->probability);
    s = comm_agree(&ctx->comm, s);
    if (!s) {
        static const char *const name[1] = {"/churn/probability"};
        static const clm_dtype type[1] = {CLM_DT_FLOAT32};
        const void *data[1] = {ctx->root ? ctx->probability : mine};
        s = run_keep_rows(ctx, first, n_mine, 1, name, type, data, (void *const[]){mine});
        mine = NULL;
    }
    free(mine);
    if (s || !ctx->root) {
        clm_tree_free(ctx->tree);
        ctx->tree = NULL;
        return s;
    }
    if (ctx->log) {
        clm_tree_metrics m;
        clm_tree_get_metrics(ctx->tree, &m);
        fprintf(ctx->log, "churn tree: %d leaves, depth %d, holdout accuracy %.4f, AUC %.4f\n",
                clm_tree_n_leaves(ctx->tree), clm_tree_depth(ctx->tree), m.accuracy, m.auc);
    }
    return s;
}

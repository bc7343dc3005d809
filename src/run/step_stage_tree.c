/*
 * step_stage_tree.c — lifecycle stages from a tree instead of rules
 * (stages.model = tree): a multi-class tree is trained on a labelled stage
 * column (stages.label_column: a column of the table, or "/group/dataset"
 * such as the generator's /truth/stage) and every subscriber gets the most
 * likely stage.  Useful where an operator has hand-labelled stages from a
 * CRM system and wants the rest of the base staged the same way.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "run/run_ctx.h"

/* Stage code of a label: "A".."E", a stage name, or an integer 0..4. */
static int stage_of_label(const char *label)
{
    for (int k = 0; k < CLM_N_STAGES; k++)
        if (!strcmp(label, clm_stage_letters[k]) || !strcmp(label, clm_stage_names[k]))
            return k;
    char *end;
    long v = strtol(label, &end, 10);
    return (*label && !*end && v >= 0 && v < CLM_N_STAGES) ? (int)v : -1;
}

/* Reads the labelled stages into y (codes 0..4). */
static clm_status read_labels(run_ctx *ctx, const char *label, int32_t *y)
{
    clm_table *src = ctx->table, *other = NULL;
    const char *name = label;
    char group[1024];
    clm_status s = CLM_OK;
    if (label[0] == '/') {
        const char *slash = strrchr(label, '/');
        snprintf(group, sizeof group, "%.*s", (int)(slash - label), label);
        name = slash + 1;
        s = clm_table_open_group(ctx->table, group[0] ? group : "/", &other);
        if (s)
            return s;
        src = other;
    }
    int col = clm_table_find(src, name);
    if (col < 0)
        s = clm_error(CLM_E_SCHEMA, "%s: stage label column '%s' is missing", ctx->input, label);
    else if (clm_table_column(src, col)->length != ctx->n_rows)
        s = clm_error(CLM_E_SCHEMA, "%s: stage labels '%s' have %lld rows, the table %lld", ctx->input, label,
                      (long long)clm_table_column(src, col)->length, (long long)ctx->n_rows);
    if (!s) s = clm_table_read_i32(src, col, 0, ctx->n_rows, y);
    if (!s) {
        const clm_column_info *info = clm_table_column(src, col);
        int map[256];
        for (int c = 0; c < 256; c++)
            map[c] = -1;
        if (info->kind == CLM_KIND_CATEGORICAL)
            for (int c = 0; c < info->n_categories && c < 256; c++)
                map[c] = stage_of_label(info->categories[c]);
        else
            for (int c = 0; c < CLM_N_STAGES; c++)
                map[c] = c;
        for (int64_t i = 0; i < ctx->n_rows && !s; i++) {
            int code = y[i] >= 0 && y[i] < 256 ? map[y[i]] : -1;
            if (code < 0)
                s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: %d is not a stage (A..E or 0..4)", ctx->input,
                              label, (long long)i, y[i]);
            y[i] = code;
        }
    }
    clm_table_close(other);
    return s;
}

clm_status run_stage_tree(run_ctx *ctx)
{
    int64_t n = ctx->n_rows;
    const char *label = cfg_string(ctx->config, "stages.label_column");
    const char *label_name = strrchr(label, '/') ? strrchr(label, '/') + 1 : label;
    int32_t *y = malloc((size_t)n * sizeof *y);
    int nc = clm_table_n_columns(ctx->table);
    int *cols = malloc((size_t)nc * sizeof *cols);
    const char **names = malloc((size_t)nc * sizeof *names);
    if (!y || !cols || !names) {
        free(y);
        free(cols);
        free(names);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    clm_status s = read_labels(ctx, label, y);
    /* Features: every numeric column but id, branch, region and the labels (tenure
     * and churn flag included: they define stages A and E). */
    int d = 0;
    for (int c = 0; c < nc && !s; c++) {
        const clm_column_info *info = clm_table_column(ctx->table, c);
        if (info->kind != CLM_KIND_NUMERIC || (ctx->col_id && !strcmp(info->name, ctx->col_id)) ||
            (ctx->col_branch && !strcmp(info->name, ctx->col_branch)) ||
            (ctx->col_region && !strcmp(info->name, ctx->col_region)) || !strcmp(info->name, label_name))
            continue;
        cols[d] = c;
        names[d++] = info->name;
    }
    float *x = s ? NULL : malloc((size_t)n * (size_t)(d ? d : 1) * sizeof *x);
    float *scratch = malloc(CLM_BLOCK_ROWS * sizeof *scratch);
    if (!s && (!x || !scratch))
        s = clm_error(CLM_E_NOMEM, "out of memory for the stage tree's %lld x %d features", (long long)n, d);
    for (int64_t r0 = 0; r0 < n && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t m = util_block_len(n, r0, CLM_BLOCK_ROWS);
        s = clm_table_read_block_f32(ctx->table, cols, d, r0, m, x + r0 * d, scratch);
    }
    clm_tree *tree = NULL;
    if (!s) {
        clm_tree_params tp;
        clm_tree_params_default(&tp);
        long long depth;
        s = cfg_int(ctx->config, "tree.max_depth", 1, 64, &depth);
        tp.max_depth = (int)depth;
        tp.seed = ctx->seed;
        tp.n_threads = ctx->n_threads;
        tp.permutation_repeats = 0;
        if (!s) s = clm_tree_fit_matrix(&tp, x, y, n, d, CLM_N_STAGES, names, &tree);
    }
    free(x);
    x = NULL;
    float *prob = s ? NULL : malloc((size_t)CLM_BLOCK_ROWS * CLM_N_STAGES * sizeof *prob);
    if (!s && !prob)
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t r0 = 0; r0 < n && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t m = util_block_len(n, r0, CLM_BLOCK_ROWS);
        s = clm_tree_predict_training(tree, r0, m, prob);
        for (int64_t i = 0; i < m && !s; i++) {
            int best = 0; /* ties go to the earlier stage */
            for (int k = 1; k < CLM_N_STAGES; k++)
                if (prob[i * CLM_N_STAGES + k] > prob[i * CLM_N_STAGES + best])
                    best = k;
            ctx->stage[r0 + i] = (uint8_t)best;
        }
    }
    if (!s) {
        clm_tree_metrics m;
        clm_tree_get_metrics(tree, &m);
        ctx->stage_tree_accuracy = m.accuracy;
        for (int k = 0; k < CLM_N_STAGES; k++)
            ctx->stage_count[k] = 0;
        for (int64_t i = 0; i < n; i++)
            ctx->stage_count[ctx->stage[i]]++;
        run_compare_with_truth(ctx, NULL, 0, n, ctx->stage);
        if (ctx->log) {
            fprintf(ctx->log, "stage tree on '%s': %d leaves, holdout accuracy %.4f", label,
                    clm_tree_n_leaves(tree), m.accuracy);
            if (!isnan(ctx->truth_agreement))
                fprintf(ctx->log, ", agreement with /truth/stage %.2f%%", 100 * ctx->truth_agreement);
            fprintf(ctx->log, "\n");
        }
    }
    clm_tree_free(tree);
    free(prob);
    free(scratch);
    free(y);
    free(cols);
    free(names);
    return s;
}

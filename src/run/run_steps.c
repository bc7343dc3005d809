/*
 * run_steps.c — the modelling steps of the quarterly run: segments
 * (k-means), value tiers and lifecycle stages, the churn tree, and survival
 * by segment and by branch.  Each step configures a capability from the
 * run's settings and keeps the per-row results the later steps need.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/kmeans.h"
#include "run/run_internal.h"

/* Splits a comma-separated list into a NULL-terminated array of trimmed
 * names (one allocation; free the returned pointer).  NULL for "". */
static char **split_list(const char *text, int *count)
{
    *count = 0;
    if (!text || !text[0])
        return NULL;
    size_t len = strlen(text);
    int n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    char **list = malloc((size_t)(n + 1) * sizeof *list + len + 1);
    if (!list)
        return NULL;
    char *copy = (char *)(list + n + 1);
    memcpy(copy, text, len + 1);
    int k = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ')
            *--end = '\0';
        if (*tok)
            list[k++] = tok;
    }
    list[k] = NULL;
    *count = k;
    return list;
}

clm_status run_segments(run_ctx *ctx)
{
    clm_kmeans_params kp;
    clm_kmeans_params_default(&kp);
    long long k, n_init, max_iter;
    clm_status s = clm_config_int(ctx->config, "kmeans.k", 1, 1000, &k);
    if (!s) s = clm_config_int(ctx->config, "kmeans.n_init", 1, 1000, &n_init);
    if (!s) s = clm_config_int(ctx->config, "kmeans.max_iter", 1, 100000, &max_iter);
    if (!s) s = clm_config_double(ctx->config, "kmeans.tol", 0, 1e6, &kp.tol);
    if (s)
        return s;
    const char *missing = clm_config_string(ctx->config, "kmeans.missing");
    if (!strcmp(missing, "fail"))
        kp.missing = CLM_MISSING_FAIL;
    else if (!strcmp(missing, "drop"))
        kp.missing = CLM_MISSING_DROP;
    else if (!strcmp(missing, "impute"))
        kp.missing = CLM_MISSING_IMPUTE;
    else
        return clm_error(CLM_E_PARAM, "kmeans.missing: '%s' is not fail, drop or impute", missing);
    kp.k = (int32_t)k;
    kp.n_init = (int32_t)n_init;
    kp.max_iter = (int32_t)max_iter;
    kp.seed = ctx->seed;
    kp.n_threads = ctx->n_threads;
    kp.group = ctx->group;
    kp.id_column = ctx->col_id ? ctx->col_id : "subscriber_id";
    kp.time_column = ctx->col_time;
    kp.event_column = ctx->col_event;
    kp.arpu_column = ctx->col_arpu;
    int n_features;
    char **features = split_list(clm_config_string(ctx->config, "kmeans.features"), &n_features);
    kp.features = (const char *const *)features;
    char csv[4096];
    run_out_path(ctx, "segments.csv", csv, sizeof csv);
    kp.segments_csv = csv;
    s = clm_kmeans_run(&kp, ctx->input, ctx->path_segments_work, ctx->log);
    free(features);
    if (s)
        return s;

    clm_table *seg = NULL;
    s = clm_table_open_any(ctx->path_segments_work, "/segments", &seg);
    if (s)
        return s;
    int label = clm_table_find(seg, "label"), size = clm_table_find(seg, "size");
    if (label < 0 || size < 0 || clm_table_column(seg, label)->length != ctx->n_rows) {
        clm_table_close(seg);
        return clm_error(CLM_E_INTERNAL, "k-means results lack /segments/label or /segments/size");
    }
    ctx->k = (int)clm_table_column(seg, size)->length;
    ctx->segment = malloc((size_t)ctx->n_rows * sizeof *ctx->segment);
    if (!ctx->segment)
        s = clm_error(CLM_E_NOMEM, "out of memory for the segment labels");
    else
        s = clm_table_read_i32(seg, label, 0, ctx->n_rows, ctx->segment);
    clm_table_close(seg);
    return s;
}

/* Reads the branch of every row: categorical codes with their labels, or
 * an integer column's distinct values; without a branch column the whole
 * company is one branch. */
static clm_status read_branches(run_ctx *ctx)
{
    int64_t n = ctx->n_rows;
    ctx->branch = malloc((size_t)n * sizeof *ctx->branch);
    if (!ctx->branch)
        return clm_error(CLM_E_NOMEM, "out of memory for the branch codes");
    if (!ctx->has_branch) {
        for (int64_t i = 0; i < n; i++)
            ctx->branch[i] = 0;
        ctx->n_branches = 1;
        ctx->branch_names = malloc(sizeof *ctx->branch_names);
        if (!ctx->branch_names || !(ctx->branch_names[0] = malloc(8)))
            return clm_error(CLM_E_NOMEM, "out of memory");
        strcpy(ctx->branch_names[0], "all");
        return CLM_OK;
    }
    int col = clm_table_find(ctx->table, ctx->col_branch);
    const clm_column_info *info = clm_table_column(ctx->table, col);
    clm_status s = clm_table_read_i32(ctx->table, col, 0, n, ctx->branch);
    if (s)
        return s;
    if (info->kind == CLM_KIND_CATEGORICAL) {
        ctx->n_branches = info->n_categories;
        ctx->branch_names = calloc((size_t)(info->n_categories ? info->n_categories : 1), sizeof(char *));
        if (!ctx->branch_names)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int b = 0; b < info->n_categories; b++) {
            size_t len = strlen(info->categories[b]) + 1;
            if (!(ctx->branch_names[b] = malloc(len)))
                return clm_error(CLM_E_NOMEM, "out of memory");
            memcpy(ctx->branch_names[b], info->categories[b], len);
        }
        for (int64_t i = 0; i < n; i++)
            if (ctx->branch[i] < -1 || ctx->branch[i] >= info->n_categories)
                return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: code %d is outside its %d categories",
                                 ctx->input, ctx->col_branch, (long long)i, ctx->branch[i], info->n_categories);
        return CLM_OK;
    }
    /* Integer branch ids: dense codes in order of value. */
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (int64_t i = 0; i < n; i++) {
        if (ctx->branch[i] < lo) lo = ctx->branch[i];
        if (ctx->branch[i] > hi) hi = ctx->branch[i];
    }
    if ((int64_t)hi - lo >= 1000000)
        return clm_error(CLM_E_VALUE, "%s: column '%s' spans %lld values; use a categorical branch column",
                         ctx->input, ctx->col_branch, (long long)hi - lo + 1);
    int32_t span = hi - lo + 1;
    int32_t *dense = malloc((size_t)span * sizeof *dense);
    if (!dense)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int32_t v = 0; v < span; v++)
        dense[v] = -1;
    for (int64_t i = 0; i < n; i++)
        dense[ctx->branch[i] - lo] = 1;
    int nb = 0;
    for (int32_t v = 0; v < span; v++)
        if (dense[v] >= 0)
            dense[v] = nb++;
    ctx->n_branches = nb;
    ctx->branch_names = calloc((size_t)nb, sizeof(char *));
    if (!ctx->branch_names) {
        free(dense);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int32_t v = 0; v < span; v++)
        if (dense[v] >= 0) {
            char buf[16];
            snprintf(buf, sizeof buf, "%d", (int)(v + lo));
            if (!(ctx->branch_names[dense[v]] = malloc(strlen(buf) + 1))) {
                free(dense);
                return clm_error(CLM_E_NOMEM, "out of memory");
            }
            strcpy(ctx->branch_names[dense[v]], buf);
        }
    for (int64_t i = 0; i < n; i++)
        ctx->branch[i] = dense[ctx->branch[i] - lo];
    free(dense);
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
    if (clm_table_open_any(ctx->input, "/truth", &truth) != CLM_OK) {
        clm_error_clear();
        return;
    }
    int col = clm_table_find(truth, "stage");
    int32_t *buf = malloc(CLM_BLOCK_ROWS * sizeof *buf);
    if (col >= 0 && buf && clm_table_column(truth, col)->length == ctx->n_rows) {
        int64_t same = 0;
        clm_status s = CLM_OK;
        for (int64_t r0 = 0; r0 < ctx->n_rows && !s; r0 += CLM_BLOCK_ROWS) {
            int64_t n = ctx->n_rows - r0 < CLM_BLOCK_ROWS ? ctx->n_rows - r0 : CLM_BLOCK_ROWS;
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
    size_t nb = (size_t)ctx->n_branches;
    ctx->debt_count = calloc(nb, sizeof *ctx->debt_count);
    ctx->arpu_prev_sum = calloc(nb, sizeof *ctx->arpu_prev_sum);
    ctx->arpu_prev_n = calloc(nb, sizeof *ctx->arpu_prev_n);
    if (!arpu || !ctx->tier || !ctx->stage || !ctx->churned || !ctx->debt_count || !ctx->arpu_prev_sum || !ctx->arpu_prev_n)
        return clm_error(CLM_E_NOMEM, "out of memory for tiers and stages");
    s = clm_table_read_f32(ctx->table, clm_table_find(ctx->table, ctx->col_arpu), 0, n, arpu);
    if (!s) s = clm_tier_thresholds(&ctx->tiers, arpu, n, &ctx->high_min, &ctx->low_max);
    if (!s) clm_tier_assign(ctx->high_min, ctx->low_max, arpu, n, ctx->tier);
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
        int64_t m = n - r0 < CLM_BLOCK_ROWS ? n - r0 : CLM_BLOCK_ROWS;
        for (int j = 0; j < 9 && !s; j++)
            if (cols[j] >= 0)
                s = clm_table_read_f32(ctx->table, cols[j], r0, m, buf[j]);
        if (s)
            break;
        if (ctx->event_code >= 0) /* categorical event: its level means churned */
            for (int64_t i = 0; i < m; i++)
                buf[0][i] = buf[0][i] == (float)ctx->event_code ? 1.0f : 0.0f;
        clm_stage_inputs in = {buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7], buf[8]};
        clm_stage_assign(&ctx->stages, &in, m, ctx->stage + r0);
        for (int64_t i = 0; i < m; i++)
            ctx->churned[r0 + i] = buf[0][i] >= 0.5f;
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

clm_status run_churn_tree(run_ctx *ctx)
{
    clm_tree_params tp;
    clm_tree_params_default(&tp);
    long long depth, min_leaf, bins, repeats;
    clm_status s = clm_config_int(ctx->config, "tree.max_depth", 1, 64, &depth);
    if (!s) s = clm_config_int(ctx->config, "tree.permutation_repeats", 0, 100, &repeats);
    if (!s) s = clm_config_int(ctx->config, "tree.min_leaf", 1, INT64_MAX, &min_leaf);
    if (!s) s = clm_config_int(ctx->config, "tree.bins", 2, 256, &bins);
    if (!s) s = clm_config_double(ctx->config, "tree.test_fraction", 0, 0.99, &tp.test_fraction);
    if (!s) s = clm_config_double(ctx->config, "tree.ccp_alpha", 0, 1e9, &tp.ccp_alpha);
    if (s)
        return s;
    tp.target = ctx->col_event;
    tp.target_level = ctx->event_level;
    tp.max_depth = (int)depth;
    tp.min_leaf = min_leaf;
    tp.n_bins = (int)bins;
    tp.permutation_repeats = (int)repeats;
    tp.seed = ctx->seed;
    tp.n_threads = ctx->n_threads;

    /* Default features: every usable column but id, event, time and branch
     * (tenure is the survival time, decided by the churn itself; the
     * branch is where the lever is pulled, not a behaviour). */
    int n_given;
    char **given = split_list(clm_config_string(ctx->config, "tree.features"), &n_given);
    const char **features = NULL;
    int n_features = 0;
    if (given) {
        features = (const char **)given;
        n_features = n_given;
    } else {
        int nc = clm_table_n_columns(ctx->table);
        features = malloc((size_t)(nc + 1) * sizeof *features);
        if (!features)
            return clm_error(CLM_E_NOMEM, "out of memory");
        for (int c = 0; c < nc; c++) {
            const clm_column_info *info = clm_table_column(ctx->table, c);
            if (info->kind == CLM_KIND_UNSUPPORTED || (ctx->col_id && !strcmp(info->name, ctx->col_id)) ||
                !strcmp(info->name, ctx->col_event) || !strcmp(info->name, ctx->col_time) ||
                (ctx->col_branch && !strcmp(info->name, ctx->col_branch)))
                continue;
            features[n_features++] = info->name;
        }
        features[n_features] = NULL;
    }
    tp.features = features;
    tp.n_features_given = n_features;
    s = clm_tree_fit_table(&tp, ctx->table, &ctx->tree);
    free(features);
    if (s)
        return s;

    int64_t n = ctx->n_rows;
    int n_classes = clm_tree_n_classes(ctx->tree);
    ctx->probability = malloc((size_t)n * sizeof *ctx->probability);
    float *block = malloc((size_t)CLM_BLOCK_ROWS * (size_t)n_classes * sizeof *block);
    if (!ctx->probability || !block) {
        free(block);
        return clm_error(CLM_E_NOMEM, "out of memory for churn probabilities");
    }
    for (int64_t r0 = 0; r0 < n && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t m = n - r0 < CLM_BLOCK_ROWS ? n - r0 : CLM_BLOCK_ROWS;
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

static clm_status survival_params(run_ctx *ctx, clm_survival_params *p)
{
    clm_survival_params_default(p);
    double margin, discount, level;
    clm_status s = clm_config_double(ctx->config, "survival.margin", 0, 1e6, &margin);
    if (!s) s = clm_config_double(ctx->config, "survival.discount", 0, 100, &discount);
    if (!s) s = clm_config_double(ctx->config, "survival.conf_level", 1e-6, 1 - 1e-9, &level);
    if (s)
        return s;
    p->margin = margin;
    p->discount = discount;
    p->conf_level = level;
    p->horizon = (int32_t)ctx->horizon;
    p->n_threads = ctx->n_threads;
    return clm_survival_params_check(p);
}

clm_status run_survival(run_ctx *ctx)
{
    clm_survival_params p;
    clm_status s = survival_params(ctx, &p);
    if (s)
        return s;
    clm_survival_columns cols = {ctx->group, ctx->col_time, ctx->col_event, ctx->event_level, "segment",
                                 ctx->path_segments_work, ctx->col_arpu};
    s = clm_survival_fit_table(&p, ctx->input, &cols, &ctx->surv_segment);
    if (s)
        return s;
    cols.by = ctx->has_branch ? ctx->col_branch : NULL;
    cols.results = NULL;
    s = clm_survival_fit_table(&p, ctx->input, &cols, &ctx->surv_branch);
    if (!s && ctx->log) {
        clm_survival_print(ctx->surv_segment, ctx->log, "segment");
        if (ctx->n_branches <= 20)
            clm_survival_print(ctx->surv_branch, ctx->log, ctx->has_branch ? ctx->col_branch : "all");
    }
    return s;
}

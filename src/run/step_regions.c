/*
 * step_regions.c — the region level: the branch -> region map, checked
 * in the validate step, and the regions' figures after the branch health
 * step, computed from each region's own rows the way a branch's are
 * (run_group_health), with its own Kaplan-Meier curve for S(12) and LTV.
 */
#include <stdlib.h>
#include <string.h>

#include "run/run_regions.h"

void run_regions_free(run_regions *r)
{
    if (!r)
        return;
    for (int g = 0; r->names && g < r->n; g++)
        free(r->names[g]);
    free(r->names);
    free(r->of_branch);
    free(r->branch_count);
    free(r->figures);
    clm_survival_free(r->surv);
    free(r);
}

static void free_labels(int32_t *codes, char **names, int n)
{
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    free(codes);
}

/* Whether the run has a region level: the column exists and so does the
 * branch column.  A column named explicitly must exist. */
static clm_status region_column(const run_ctx *ctx, int *use)
{
    *use = 0;
    if (!ctx->col_region)
        return CLM_OK;
    const int named = strcmp(ctx->col_region, "region") != 0; /* not the default */
    int col = clm_table_find(ctx->table, ctx->col_region);
    if (col < 0)
        return named ? clm_error(CLM_E_SCHEMA, "%s: region column '%s' is missing (columns.region)", ctx->input,
                                 ctx->col_region)
                     : CLM_OK;
    if (!ctx->has_branch) {
        if (named)
            return clm_error(CLM_E_SCHEMA, "%s: columns.region = %s needs a branch column (columns.branch): "
                             "a region groups branches", ctx->input, ctx->col_region);
        if (ctx->log)
            fprintf(ctx->log, "regions: column '%s' ignored: no branch column\n", ctx->col_region);
        return CLM_OK;
    }
    const clm_column_info *info = clm_table_column(ctx->table, col);
    if (info->kind != CLM_KIND_CATEGORICAL && !(info->kind == CLM_KIND_NUMERIC && info->dtype <= CLM_DT_UINT64))
        return clm_error(CLM_E_SCHEMA, "%s: region column '%s' is %s; it must be categorical or integer",
                         ctx->input, ctx->col_region, clm_dtype_name(info->dtype));
    *use = 1;
    return CLM_OK;
}

/* of_branch[b] = the region code of branch b's rows (-1: no row), checked
 * to be one; `first` keeps the row that set it, for the messages. */
static clm_status map_branches(const run_ctx *ctx, const int32_t *branch, char **branch_names, int nb,
                               const int32_t *region, char **region_names, int32_t *of_branch)
{
    int64_t *first = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *first);
    int64_t *any = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *any);
    if (!first || !any) {
        free(first);
        free(any);
        return clm_error(CLM_E_NOMEM, "out of memory for %d branches", nb);
    }
    for (int b = 0; b < nb; b++) {
        of_branch[b] = -1;
        first[b] = any[b] = -1;
    }
    clm_status s = CLM_OK;
    for (int64_t i = 0; i < ctx->n_rows && !s; i++) {
        int32_t b = branch[i], r = region[i];
        if (b < 0)
            continue;
        if (any[b] < 0)
            any[b] = i;
        if (r < 0)
            continue; /* a row without a region takes its branch's */
        if (of_branch[b] < 0) {
            of_branch[b] = r;
            first[b] = i;
        } else if (of_branch[b] != r) {
            s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: branch '%s' is in region '%s' here but in "
                          "region '%s' at row %lld; a branch belongs to one region", ctx->input, ctx->col_region,
                          (long long)i, branch_names[b], region_names[r], region_names[of_branch[b]],
                          (long long)first[b]);
        }
    }
    for (int b = 0; b < nb && !s; b++)
        if (any[b] >= 0 && of_branch[b] < 0)
            s = clm_error(CLM_E_VALUE, "%s: column '%s': branch '%s' has no region on any of its rows (row %lld "
                          "is one of them)", ctx->input, ctx->col_region, branch_names[b], (long long)any[b]);
    free(first);
    free(any);
    return s;
}

/* The regions some branch lies in, in code order: R->names (moved out
 * of region_names), R->of_branch turned into indices into them, and the
 * branches of each. */
static clm_status keep_used_regions(run_regions *R, int nb, char **region_names, int nr)
{
    int32_t *dense = malloc((size_t)(nr > 0 ? nr : 1) * sizeof *dense);
    R->n_branches = nb;
    R->names = calloc((size_t)(nr > 0 ? nr : 1), sizeof *R->names);
    R->branch_count = calloc((size_t)(nr > 0 ? nr : 1), sizeof *R->branch_count);
    if (!dense || !R->names || !R->branch_count) {
        free(dense);
        return clm_error(CLM_E_NOMEM, "out of memory for the regions");
    }
    for (int r = 0; r < nr; r++)
        dense[r] = -1;
    for (int b = 0; b < nb; b++)
        if (R->of_branch[b] >= 0)
            dense[R->of_branch[b]] = 1;
    for (int r = 0; r < nr; r++)
        if (dense[r] >= 0) {
            dense[r] = R->n;
            R->names[R->n++] = region_names[r]; /* moved: not freed by the caller */
            region_names[r] = NULL;
        }
    for (int b = 0; b < nb; b++)
        if (R->of_branch[b] >= 0) {
            R->of_branch[b] = dense[R->of_branch[b]];
            R->branch_count[R->of_branch[b]]++;
        }
    free(dense);
    return CLM_OK;
}

clm_status run_region_map(run_ctx *ctx)
{
    int use = 0;
    clm_status s = region_column(ctx, &use);
    if (s || !use)
        return s;
    /* The branch codes as the tiers step reads them (the same function),
     * so branch b here is branch b of ctx->branches. */
    int32_t *branch = NULL, *region = NULL;
    char **branch_names = NULL, **region_names = NULL;
    int nb = 0, nr = 0;
    s = run_read_labels(ctx, ctx->col_branch, &branch, &nb, &branch_names);
    if (!s) s = run_read_labels(ctx, ctx->col_region, &region, &nr, &region_names);
    run_regions *R = s ? NULL : calloc(1, sizeof *R);
    if (!s && R)
        R->of_branch = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *R->of_branch);
    if (!s && (!R || !R->of_branch))
        s = clm_error(CLM_E_NOMEM, "out of memory for the regions");
    if (!s) s = map_branches(ctx, branch, branch_names, nb, region, region_names, R->of_branch);
    /* The default region column groups the default branch column: ranking
     * by another column (--branch plan) that does not nest in the regions
     * drops the region level with a note instead of failing the run.  A
     * region column named explicitly, or the default pair, must nest. */
    int dropped = 0;
    if (s == CLM_E_VALUE && !strcmp(ctx->col_region, "region") && strcmp(ctx->col_branch, "branch")) {
        if (ctx->log)
            fprintf(ctx->log, "regions: column 'region' not used with branch column '%s': %s\n", ctx->col_branch,
                    clm_error_detail());
        clm_error_clear();
        s = CLM_OK;
        dropped = 1;
    }
    if (!s && !dropped) s = keep_used_regions(R, nb, region_names, nr);
    if (!s && !dropped && R->n == 0)
        s = clm_error(CLM_E_EMPTY, "%s: column '%s' names no region on any row with a branch", ctx->input,
                      ctx->col_region);
    free_labels(branch, branch_names, nb);
    free_labels(region, region_names, nr);
    if (s || dropped) {
        run_regions_free(R);
        return s;
    }
    ctx->regions = R;
    if (ctx->log)
        fprintf(ctx->log, "regions: %d regions over %d branches (column '%s')\n", R->n, nb, ctx->col_region);
    return CLM_OK;
}

clm_status run_region_health(run_ctx *ctx)
{
    run_regions *R = ctx->regions;
    if (R->n_branches != ctx->n_branches)
        return clm_error(CLM_E_INTERNAL, "regions: %d branches mapped, %d in the run", R->n_branches,
                         ctx->n_branches);
    int64_t n = ctx->n_rows;
    int32_t *row_region = malloc((size_t)n * sizeof *row_region);
    R->figures = calloc((size_t)R->n, sizeof *R->figures);
    if (!row_region || !R->figures) {
        free(row_region);
        return clm_error(CLM_E_NOMEM, "out of memory for the regions");
    }
    for (int64_t i = 0; i < n; i++)
        row_region[i] = ctx->branch[i] < 0 ? -1 : R->of_branch[ctx->branch[i]];
    clm_survival_columns cols;
    run_survival_columns(ctx, &cols);
    cols.strata = row_region;
    cols.n_strata = R->n;
    cols.stratum_labels = (const char *const *)R->names;
    cols.strata_name = "region";
    clm_status s = clm_survival_fit_table(&ctx->survival_params, &cols, ctx->table, &R->surv);
    free(row_region);
    if (!s) s = run_group_health(ctx, R->of_branch, R->n, R->names, R->surv, NULL, R->figures);
    return s;
}

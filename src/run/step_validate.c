/*
 * step_validate.c — the validate step: checks the columns every step
 * needs and the values of time and event, so a bad quarter fails in
 * seconds with the first bad row named.  It runs on every rank (run.c),
 * each checking its own rows; the branch -> region map is rank 0's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "run/run_ctx.h"
#include "run/run_regions.h"
#include "io/table_ranks.h"

/* Every column a NULL-terminated setting lists exists, of `kind`
 * (CLM_KIND_UNSUPPORTED: numeric or categorical). */
static clm_status check_listed(const run_ctx *ctx, const char *key, char **names, clm_column_kind kind)
{
    for (int i = 0; names && names[i]; i++) {
        clm_status s = clm_table_require(ctx->table, names[i], kind, NULL);
        if (s) {
            char detail[1024]; /* the message is rewritten from a copy of itself */
            snprintf(detail, sizeof detail, "%s", clm_error_detail());
            return clm_error(s, "%s (listed in %s)", detail, key);
        }
    }
    return CLM_OK;
}

/* Checks the columns every step needs and the values of time and event
 * before any long step runs, so a bad quarter fails in seconds with the
 * first bad row named. */
clm_status run_validate(run_ctx *ctx)
{
    /* The input, opened by run.c before the first step of every rank (the
     * run's one open on each); rank 0's cache makes every later read of a
     * column a memory copy (docs/design.md §11). */
    clm_status s = ctx->root ? clm_table_set_cache(ctx->table, ctx->column_cache) : CLM_OK;
    if ((s = comm_agree(&ctx->comm, s)))
        return s;
    ctx->n_rows = clm_table_n_rows(ctx->table);
    if (ctx->n_rows < 2)
        return clm_error(CLM_E_EMPTY, "%s: the table has %lld rows; a run needs at least 2", ctx->input,
                         (long long)ctx->n_rows);
    const char *required[] = {ctx->col_time, ctx->col_event, ctx->col_arpu};
    for (int i = 0; i < 3; i++) {
        s = clm_table_require(ctx->table, required[i], CLM_KIND_UNSUPPORTED, NULL);
        if (s)
            return s;
    }
    s = clm_table_require(ctx->table, ctx->col_time, CLM_KIND_NUMERIC, NULL);
    if (!s) s = clm_table_require(ctx->table, ctx->col_arpu, CLM_KIND_NUMERIC, NULL);
    if (s)
        return s;
    ctx->has_id = ctx->col_id && clm_table_find(ctx->table, ctx->col_id) >= 0;
    if (ctx->col_id && !ctx->has_id && strcmp(ctx->col_id, "subscriber_id") != 0)
        return clm_error(CLM_E_SCHEMA, "%s: id column '%s' is missing", ctx->input, ctx->col_id);
    int tcol = clm_table_find(ctx->table, ctx->col_time), ecol = clm_table_find(ctx->table, ctx->col_event);
    const clm_column_info *einfo = clm_table_column(ctx->table, ecol);
    if (einfo->kind == CLM_KIND_CATEGORICAL) {
        if (!ctx->event_level)
            return clm_error(CLM_E_SCHEMA, "%s: event column '%s' is categorical; name the level that means "
                             "churned with --set columns.event_level=LEVEL", ctx->input, ctx->col_event);
        for (int c = 0; c < einfo->n_categories; c++)
            if (!strcmp(einfo->categories[c], ctx->event_level))
                ctx->event_code = c;
        if (ctx->event_code < 0)
            return clm_error(CLM_E_VALUE, "%s: column '%s' has no level '%s'", ctx->input, ctx->col_event,
                             ctx->event_level);
    } else if (ctx->event_level) {
        return clm_error(CLM_E_PARAM, "columns.event_level is set but column '%s' is not categorical",
                         ctx->col_event);
    }
    /* Optional columns named in the config but absent are an error only
     * when the user named them explicitly; the defaults may be absent. */
    ctx->has_branch = ctx->col_branch && clm_table_find(ctx->table, ctx->col_branch) >= 0;
    if (ctx->col_branch && !ctx->has_branch && strcmp(ctx->col_branch, "branch") != 0)
        return clm_error(CLM_E_SCHEMA, "%s: branch column '%s' is missing", ctx->input, ctx->col_branch);

    /* The columns the settings name, before any long step: a typo in
     * cox.features must not cost a k-means first. */
    s = check_listed(ctx, "kmeans.features", ctx->kmeans_features, CLM_KIND_NUMERIC);
    if (!s) s = check_listed(ctx, "tree.features", ctx->tree_features, CLM_KIND_UNSUPPORTED);
    if (!s) s = check_listed(ctx, "cox.features", ctx->cox_features, CLM_KIND_UNSUPPORTED);
    if (!s && ctx->cox_enabled && ctx->cox_strata && strcmp(ctx->cox_strata, "segment") &&
        strcmp(ctx->cox_strata, CLM_COX_SEGMENT_DECLINE))
        s = clm_table_require(ctx->table, ctx->cox_strata, CLM_KIND_UNSUPPORTED, NULL);
    /* Up to here every rank has made the same checks of the same
     * metadata; from here each checks its own rows (run_stage_rows). */
    if ((s = comm_agree(&ctx->comm, s)))
        return s;
    /* Branch codes outside the dictionary, named with their row. */
    if (ctx->has_branch) {
        int b = clm_table_find(ctx->table, ctx->col_branch);
        const clm_column_info *info = clm_table_column(ctx->table, b);
        if (info->kind == CLM_KIND_CATEGORICAL) {
            int64_t *counts = malloc((size_t)(info->n_categories > 0 ? info->n_categories : 1) * sizeof *counts);
            int64_t missing = 0;
            s = comm_agree(&ctx->comm, counts ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory"));
            if (!s) s = io_category_counts_ranks(ctx->table, b, &ctx->comm, counts, &missing);
            free(counts);
        }
    }
    if (s)
        return s;
    int64_t first, n_mine;
    run_stage_rows(ctx, &first, &n_mine);

    double *t = malloc(CLM_BLOCK_ROWS * sizeof *t), *e = malloc(CLM_BLOCK_ROWS * sizeof *e);
    if (!t || !e)
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t r0 = first; r0 < first + n_mine && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t n = util_block_len(first + n_mine, r0, CLM_BLOCK_ROWS);
        s = clm_table_read_f64(ctx->table, tcol, r0, n, t);
        if (!s) s = clm_table_read_f64(ctx->table, ecol, r0, n, e);
        for (int64_t i = 0; i < n && !s; i++) {
            if (!(t[i] >= 0) || isinf(t[i]))
                s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: time %g is not a number >= 0", ctx->input,
                              ctx->col_time, (long long)(r0 + i), t[i]);
            else if (ctx->event_code >= 0 ? isnan(e[i]) : (e[i] != 0 && e[i] != 1))
                s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: event %s", ctx->input, ctx->col_event,
                              (long long)(r0 + i), ctx->event_code >= 0 ? "is missing" : "is not 0 or 1");
        }
    }
    free(t);
    free(e);
    /* The first bad row is the lowest rank's (the ranks' rows follow one
     * another); the branch -> region map stays with rank 0. */
    s = comm_agree(&ctx->comm, s);
    if (!s && ctx->root)
        s = run_region_map(ctx); /* a branch in two regions fails here */
    return comm_agree(&ctx->comm, s);
}

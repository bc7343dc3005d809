/*
 * step_segment_names.c — the step right after the fit: with a previous
 * run, this quarter's segments are matched to last quarter's (minimum-cost
 * assignment on squared centroid distances in this model's standardised
 * space, clm_kmeans_match) and renumbered so that each one carries the
 * number of the segment it continues (clm_kmeans_relabel), before any
 * other step reads a segment number; then every segment gets its name:
 * the one made from its distinguishing features (docs/kmeans.md), or the
 * one segments.names gives for its number.  run_segment_label is the one
 * way the reports label a segment.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/util_internal.h"
#include "report/strings_internal.h"
#include "run/run_ctx.h"
#include "run/run_previous.h"

/* Renumbers this quarter's segments to continue last quarter's. */
static clm_status relabel(run_ctx *ctx)
{
    run_previous *p = ctx->previous;
    const int k = ctx->k, kp = p->k;
    int32_t *match = malloc((size_t)k * sizeof *match);
    double *cost = malloc((size_t)k * (size_t)kp * sizeof *cost);
    p->cost = malloc((size_t)k * (size_t)kp * sizeof *p->cost);
    if (!match || !cost || !p->cost) {
        free(match);
        free(cost);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    clm_status s = clm_kmeans_match_cost(ctx->kmeans, p->kmeans, cost);
    if (s) {
        char detail[1024];
        snprintf(detail, sizeof detail, "%s", clm_error_detail());
        s = clm_error(s, "%s (this quarter against %s)", detail, p->path);
    }
    double total = 0;
    if (!s) s = clm_kmeans_assignment(cost, k, kp, match, &total);
    if (!s) s = clm_kmeans_relabel(ctx->kmeans, match, kp);
    free(cost);
    /* The other ranks renumber their own rows' labels by it (step_results.c). */
    if (!s && comm_is_parallel(&ctx->comm)) {
        ctx->segment_match = match;
        ctx->segment_match_k = kp;
        match = NULL;
    }
    free(match);
    /* The costs again, rows in the new numbering, for the report. */
    if (!s) s = clm_kmeans_match_cost(ctx->kmeans, p->kmeans, p->cost);
    if (!s && ctx->log)
        fprintf(ctx->log, "segments matched to %s: %d of %d continue a previous segment (summed squared "
                          "distance %.4g)\n", p->path, k < kp ? k : kp, k, total);
    return s;
}

clm_status run_label_segments(run_ctx *ctx)
{
    clm_status s = ctx->previous ? relabel(ctx) : CLM_OK;
    for (int c = ctx->k; !s && c < ctx->n_name_overrides; c++)
        if (ctx->name_overrides[c])
            s = clm_error(CLM_E_PARAM, "segments.names names segment %d, but there are %d segments (0..%d)", c,
                          ctx->k, ctx->k - 1);
    for (int c = 0; !s && c < ctx->k && c < ctx->n_name_overrides; c++)
        if (ctx->name_overrides[c])
            s = clm_kmeans_set_name(ctx->kmeans, c, ctx->name_overrides[c]);
    clm_kmeans_profile prof;
    if (!s) s = clm_kmeans_get_profile(ctx->kmeans, &prof);
    if (!s) {
        ctx->segment_names = calloc((size_t)ctx->k, sizeof *ctx->segment_names);
        if (!ctx->segment_names)
            s = clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int c = 0; !s && c < ctx->k; c++)
        if (!(ctx->segment_names[c] = util_strdup(prof.name[c])))
            s = clm_error(CLM_E_NOMEM, "out of memory");
    if (!s && ctx->log)
        clm_kmeans_print(ctx->kmeans, ctx->log); /* in the final numbering */
    return s;
}

const char *run_segment_label(const run_ctx *ctx, int segment, char *buf, size_t cap)
{
    /* "segment s" in the report's language, then ": name" when named. */
    char number[16];
    snprintf(number, sizeof number, "%d", segment);
    int n = snprintf(buf, cap, report_text_of(ctx->report_lang, RT_SEGMENT_N), number);
    if (ctx->segment_names && segment >= 0 && segment < ctx->k && n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, ": %s", ctx->segment_names[segment]);
    return buf;
}

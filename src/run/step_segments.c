/*
 * step_segments.c — the segments step: k-means fitted on the open table;
 * the model keeps every row's label, which the later steps read in memory.
 * The next step (step_segment_names.c) renumbers and names the segments
 * and prints the profile.
 */

#include "run/run_ctx.h"

clm_status run_segments(run_ctx *ctx)
{
    clm_kmeans_columns cols;
    clm_kmeans_columns_default(&cols);
    cols.id = ctx->col_id ? ctx->col_id : "subscriber_id";
    cols.time = ctx->col_time;
    cols.event = ctx->col_event;
    cols.arpu = ctx->col_arpu;
    cols.features = (const char *const *)ctx->kmeans_features;
    clm_status s = clm_kmeans_fit_table(&ctx->kmeans_params, &cols, ctx->table, &ctx->kmeans);
    if (s)
        return s;
    ctx->k = clm_kmeans_k(ctx->kmeans);
    ctx->segment = clm_kmeans_labels(ctx->kmeans);
    return CLM_OK;
}

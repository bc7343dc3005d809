/*
 * step_segments.c — the segments step: k-means fitted on the open table;
 * the model keeps every row's label, which the later steps read in memory.
 * The next step (step_segment_names.c) renumbers and names the segments
 * and prints the profile.  It is one of the two steps that run on every
 * rank (run.c).
 */

#include "kmeans/kmeans_ranks.h"
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
    /* On every rank, each on its own rows; rank 0 then holds every row's
     * label and distance for the steps after this one, which it alone runs. */
    clm_status s = km_fit_table_ranks(&ctx->kmeans_params, &cols, ctx->table, &ctx->comm, &ctx->kmeans);
    if (!s)
        s = km_gather_rows(ctx->kmeans, &ctx->comm);
    if (!s) /* every rank's: the later steps of every rank size by it */
        ctx->k = clm_kmeans_k(ctx->kmeans);
    if (s || !ctx->root) {
        clm_kmeans_free(ctx->kmeans);
        ctx->kmeans = NULL;
        return s;
    }
    ctx->segment = clm_kmeans_labels(ctx->kmeans);
    return CLM_OK;
}

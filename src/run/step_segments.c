/*
 * step_segments.c — the segments step: k-means fitted on the open table;
 * the model keeps every row's label, which the later steps read in memory.
 * The next step (step_segment_names.c) renumbers and names the segments
 * and prints the profile.  It runs on every rank (run.c); a rank other
 * than 0 keeps the model, whose labels and distances are its own rows',
 * for results.h5 (step_results.c renumbers them as rank 0 did).
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
    int64_t first = 0, n = 0;
    if (!s)
        km_rows_here(ctx->kmeans, &first, &n);
    if (!s)
        s = km_gather_rows(ctx->kmeans, &ctx->comm);
    if (s) {
        clm_kmeans_free(ctx->kmeans);
        ctx->kmeans = NULL;
        return s;
    }
    ctx->k = clm_kmeans_k(ctx->kmeans); /* every rank's: later steps size by it */
    if (ctx->root)
        ctx->segment = clm_kmeans_labels(ctx->kmeans);
    static const char *const names[2] = {"/segments/label", "/segments/distance"};
    static const clm_dtype types[2] = {CLM_DT_INT32, CLM_DT_FLOAT32};
    const void *data[2] = {clm_kmeans_labels(ctx->kmeans), clm_kmeans_distances(ctx->kmeans)};
    return run_keep_rows(ctx, first, n, 2, names, types, data, NULL);
}

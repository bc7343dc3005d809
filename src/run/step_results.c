/*
 * step_results.c — the results.h5 step: the k-means model with every
 * row's label, then tiers, stages, the churn tree with every
 * row's probability, survival by segment and by branch, /branches and
 * /regions (with a region column).
 * Row i of every per-subscriber dataset is row i of the input.
 *
 * On several ranks the file is written in the two phases of the other
 * commands (io_internal.h): rank 0 writes it with every per-row column
 * laid out zero-filled, and closes it; then every rank writes its own rows
 * of each step's columns (run_keep_rows), collectively, so that no rank
 * writes the rows of another.  Rank 0 still holds every row (its later
 * steps read them), but the per-row bytes reach the file from every rank.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "clmseg/writer.h"
#include "io/io_internal.h"
#include "run/run_ctx.h"
#include "run/run_regions.h"
#include "run/run_previous.h"

clm_status run_write_group_h5(const run_ctx *ctx, clm_writer *w, const char *group, const run_branch *groups,
                              int n_groups)
{
    int nb = n_groups;
    int64_t dims = nb;
    double *v = malloc((size_t)nb * sizeof *v);
    int64_t *subs = malloc((size_t)nb * sizeof *subs);
    const char **names = malloc((size_t)nb * sizeof *names);
    const char **levers = malloc((size_t)nb * sizeof *levers);
    if (!v || !subs || !names || !levers) {
        free(v);
        free(subs);
        free(names);
        free(levers);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int b = 0; b < nb; b++) {
        names[b] = groups[b].name;
        levers[b] = clm_health_lever_names[groups[b].health.lever];
        subs[b] = groups[b].metrics.subscribers;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/name", group);
    clm_status s = clm_writer_strings(w, path, names, nb);
    snprintf(path, sizeof path, "%s/subscribers", group);
    if (!s) s = clm_writer_array(w, path, CLM_DT_INT64, 1, &dims, subs);
    /* Every per-branch figure as one float64 array, read by a getter. */
    static const char *const fields[] = {
        "churn_rate", "s12", "arpu", "arpu_change", "ltv", "revenue_at_risk", "share_A", "share_B", "share_C",
        "share_D", "share_E", "retention", "value", "growth", "risk", "health"};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0] && !s; f++) {
        for (int b = 0; b < nb; b++) {
            const run_branch *br = &groups[b];
            const clm_health_metrics *m = &br->metrics;
            const double all[] = {m->churn_rate, m->s12, m->arpu, m->arpu_change, m->ltv, m->revenue_at_risk,
                                  br->stage_share[0], br->stage_share[1], br->stage_share[2], br->stage_share[3],
                                  br->stage_share[4], br->health.score[0], br->health.score[1],
                                  br->health.score[2], br->health.score[3], br->health.total};
            v[b] = all[f];
        }
        snprintf(path, sizeof path, "%s/%s", group, fields[f]);
        s = clm_writer_array(w, path, CLM_DT_FLOAT64, 1, &dims, v);
    }
    snprintf(path, sizeof path, "%s/lever", group);
    if (!s) s = clm_writer_strings(w, path, levers, nb);
    if (!s) s = clm_writer_attr_f64_array(w, group, "weights", ctx->weights.weight, CLM_N_SCORES);
    if (!s) s = clm_writer_attr_strings(w, group, "scores", clm_health_score_names, CLM_N_SCORES);
    free(v);
    free(subs);
    free(names);
    free(levers);
    return s;
}

/* /cox (the model) and /equity (per row, and the expected active count
 * after 0..horizon months). */
static clm_status write_equity(run_ctx *ctx, clm_writer *w)
{
    const clm_equity *eq = ctx->equity;
    clm_status s = clm_cox_save(ctx->cox, w, "/cox");
    io_writer_defer_rows(w, comm_is_parallel(&ctx->comm)); /* the per-row columns */
    if (!s) s = clm_equity_save(eq, w, "/equity");
    io_writer_defer_rows(w, 0);
    if (!s) s = clm_writer_attr_f64(w, "/equity", "margin", ctx->equity_params.margin);
    if (!s) s = clm_writer_attr_f64(w, "/equity", "discount", ctx->equity_params.discount);
    return s;
}

clm_status run_keep_rows(run_ctx *ctx, int64_t first, int64_t n, int n_columns, const char *const *dataset,
                         const clm_dtype *dtype, const void *const *data, void *const *owned)
{
    comm_note_rows(n);
    if (!comm_is_parallel(&ctx->comm)) {
        for (int j = 0; owned && j < n_columns; j++)
            free(owned[j]);
        return CLM_OK;
    }
    if (ctx->n_rank_rows >= RUN_ROW_GROUPS || n_columns > RUN_ROW_COLUMNS) {
        for (int j = 0; owned && j < n_columns; j++)
            free(owned[j]);
        return clm_error(CLM_E_INTERNAL, "run: more per-row columns than RUN_ROW_GROUPS x RUN_ROW_COLUMNS");
    }
    run_rank_rows *g = &ctx->rank_rows[ctx->n_rank_rows++];
    g->first = first;
    g->n = n;
    g->n_columns = n_columns;
    for (int j = 0; j < n_columns; j++) {
        g->dataset[j] = dataset[j];
        g->dtype[j] = dtype[j];
        g->data[j] = data[j];
        g->owned[j] = owned ? owned[j] : NULL;
    }
    return CLM_OK;
}

/* Rank 0's renumbering of the segments (a previous run's match) on this
 * rank's own labels, which the ranks other than 0 still hold in the
 * numbering of the fit. */
static clm_status relabel_here(run_ctx *ctx)
{
    int32_t kp = ctx->segment_match_k;
    clm_status s = comm_bcast(&ctx->comm, &kp, sizeof kp, 0);
    if (s || kp == 0)
        return s;
    if (!ctx->root && !(ctx->segment_match = malloc((size_t)ctx->k * sizeof *ctx->segment_match)))
        s = clm_error(CLM_E_NOMEM, "out of memory");
    s = comm_agree(&ctx->comm, s);
    if (!s) s = comm_bcast(&ctx->comm, ctx->segment_match, (size_t)ctx->k * sizeof *ctx->segment_match, 0);
    if (!s && !ctx->root) s = clm_kmeans_relabel(ctx->kmeans, ctx->segment_match, kp);
    return comm_agree(&ctx->comm, s);
}

/* The second phase: every step's rows on every rank into rank 0's closed
 * file, one collective write per step. */
static clm_status write_rank_rows(run_ctx *ctx)
{
    const char *path = ctx->root ? io_writer_temp_path(ctx->outputs.results) : NULL;
    clm_status s = relabel_here(ctx);
    for (int i = 0; !s && i < ctx->n_rank_rows; i++) {
        const run_rank_rows *g = &ctx->rank_rows[i];
        io_rank_column columns[RUN_ROW_COLUMNS];
        for (int j = 0; j < g->n_columns; j++)
            columns[j] = (io_rank_column){g->dataset[j], g->dtype[j], g->data[j], 0};
        s = io_write_rank_rows(&ctx->comm, path, g->first, g->n, columns, g->n_columns);
    }
    return s;
}

/* The file itself (rank 0); on several ranks its per-row columns are laid
 * out zero-filled, for write_rank_rows. */
static clm_status write_file(run_ctx *ctx)
{
    clm_writer *w = NULL;
    int64_t n = ctx->n_rows;
    clm_status s = clm_writer_create(ctx->path_results, (const char *const[]){ctx->input, NULL}, &w);
    if (s)
        return s;
    /* Only the per-row columns are deferred (the savers' other arrays,
     * the curves' tables among them, are rank 0's whole). */
    const int ranks = comm_is_parallel(&ctx->comm);
    io_writer_defer_rows(w, ranks);
    s = clm_kmeans_save(ctx->kmeans, w, "/segments");
    if (!s && ctx->previous) s = clm_writer_attr_string(w, "/segments", "previous", ctx->previous->path);
    if (!s) s = clm_lifecycle_save(ctx->lifecycle, w, ctx->tier, ctx->stage, n);
    if (!s) s = clm_tree_save(ctx->tree, w, "/churn");
    if (!s) s = clm_writer_column_array(w, "/churn/probability", CLM_DT_FLOAT32, n, ctx->probability);
    io_writer_defer_rows(w, 0);
    if (!s) s = clm_survival_write_h5(ctx->surv_segment, w, "segment");
    if (!s) s = clm_survival_write_h5(ctx->surv_branch, w, "branch");
    if (!s) s = run_write_group_h5(ctx, w, "/branches", ctx->branches, ctx->n_branches);
    if (!s && ctx->regions) s = run_write_regions_h5(ctx, w);
    if (!s) s = run_write_lifecycle_h5(ctx, w);
    if (!s && ctx->cox) s = write_equity(ctx, w);
    if (!s && ctx->scenarios) s = clm_scenario_save(ctx->scenarios, w, "/scenarios");
    return run_results_finish(&ctx->outputs, w, s);
}

clm_status run_write_results(run_ctx *ctx)
{
    clm_status s = ctx->root ? write_file(ctx) : CLM_OK;
    if (!comm_is_parallel(&ctx->comm))
        return s;
    s = comm_wait_root(&ctx->comm, s); /* the others asleep meanwhile */
    return s ? s : write_rank_rows(ctx);
}

/*
 * region_outputs.c — the region level's files: regions.csv (one row per
 * region in health order, the columns of branches.csv's health part and
 * the number of branches), /regions in results.h5, and the region column
 * of branches.csv.
 */
#include <stdlib.h>

#include "clmseg/textfile.h"
#include "clmseg/writer.h"
#include "run/run_regions.h"

void run_csv_region_of(FILE *f, const run_ctx *ctx, int branch)
{
    const run_regions *R = ctx->regions;
    fputc(',', f);
    if (R->of_branch[branch] >= 0)
        run_csv_field(f, R->names[R->of_branch[branch]]);
}

clm_status run_write_regions_csv(run_ctx *ctx)
{
    const run_regions *R = ctx->regions;
    clm_textfile *tf = NULL;
    clm_status s = run_csv_open(ctx->outdir, "regions.csv", ctx->input, ctx->csv_bom, &tf);
    if (s)
        return s;
    int *order = run_group_order(R->figures, R->n);
    if (!order) {
        clm_textfile_abort(tf);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    FILE *f = clm_textfile_stream(tf);
    fprintf(f, "region,rank,%s,branches\n", RUN_CSV_HEALTH_HEADER);
    for (int r = 0; r < R->n; r++) {
        const run_branch *g = &R->figures[order[r]];
        run_csv_field(f, g->name);
        fprintf(f, ",%d", r + 1);
        run_csv_health_fields(f, g);
        fprintf(f, ",%d\n", R->branch_count[order[r]]);
    }
    free(order);
    return run_text_finish(&ctx->outputs, tf, CLM_OK);
}

clm_status run_write_regions_h5(const run_ctx *ctx, clm_writer *w)
{
    const run_regions *R = ctx->regions;
    clm_status s = run_write_group_h5(ctx, w, "/regions", R->figures, R->n);
    int64_t *count = malloc((size_t)(R->n > 0 ? R->n : 1) * sizeof *count);
    if (!s && !count)
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int g = 0; g < R->n && !s; g++)
        count[g] = R->branch_count[g];
    int64_t dims = R->n, nb = R->n_branches;
    if (!s) s = clm_writer_array(w, "/regions/branches", CLM_DT_INT64, 1, &dims, count);
    /* /branches order: entry b is the region of /branches/name[b]. */
    if (!s) s = clm_writer_array(w, "/regions/branch_region", CLM_DT_INT32, 1, &nb, R->of_branch);
    if (!s) s = clm_writer_attr_string(w, "/regions", "column", ctx->col_region);
    free(count);
    return s;
}

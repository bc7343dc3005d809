/*
 * run_regions.h — the region level of the quarterly run: an optional
 * column (columns.region, e.g. a province above city offices) that groups
 * the branches, each region ranked with the same four sub-scores as a
 * branch, computed from its own subscribers (docs/run.md, "Regions").
 *
 * A branch belongs to one region: the rows of a branch that name a region
 * all name the same one (a row without a region takes its branch's).  The
 * map is built and checked in the validate step, before any long step; the
 * figures after the branch health step.
 */
#ifndef CLMSEG_RUN_REGIONS_H
#define CLMSEG_RUN_REGIONS_H

#include <stdint.h>
#include <stdio.h>

#include "run/run_ctx.h"

typedef struct run_regions {
    int n;                        /* regions holding at least one branch  */
    char **names;                 /* n labels, in the column's code order */
    int n_branches;               /* branches of the map (= the run's)    */
    int32_t *of_branch;           /* per branch: its region, -1 for a
                                     branch without rows                  */
    int *branch_count;            /* per region: its branches             */
    run_branch *figures;          /* per region: figures, health, lever   */
    clm_survival *surv;           /* Kaplan-Meier by region               */
} run_regions;

/* The validate step's part (step_regions.c): reads columns.region when the
 * table has it and a branch column exists, builds ctx->regions, and fails
 * with file, column, branch, both regions and their rows when a branch
 * lies in two regions.  No column (or a column the config does not name
 * explicitly while the table lacks it): ctx->regions stays NULL. */
clm_status run_region_map(run_ctx *ctx);

/* The region health step: Kaplan-Meier by region and the figures. */
clm_status run_region_health(run_ctx *ctx);

void run_regions_free(run_regions *regions);

/* regions.csv (region_outputs.c), health order. */
clm_status run_write_regions_csv(run_ctx *ctx);
/* /regions in results.h5: the figures of run_write_group_h5, the branch
 * count and each branch's region (index into /regions/name). */
clm_status run_write_regions_h5(const run_ctx *ctx, clm_writer *w);
/* ",<region of branch b>" (empty for a branch without rows). */
void run_csv_region_of(FILE *f, const run_ctx *ctx, int branch);

/* The report's section (report_regions.c): regions in health order, each
 * a collapsible block with its branches under it.  Nothing without
 * regions. */
void run_report_regions(FILE *f, const run_ctx *ctx);

#endif /* CLMSEG_RUN_REGIONS_H */

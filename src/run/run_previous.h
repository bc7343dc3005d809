/*
 * run_previous.h — last quarter's run, as this quarter's run compares
 * with it (`clmseg run --previous LAST_RUNDIR`, key run.previous;
 * docs/run.md "Quarter over quarter").
 *
 * step_previous.c reads LAST_RUNDIR/results.h5 (/branches and /segments)
 * before the first step; step_segment_names.c matches and renumbers this
 * quarter's segments right after the fit and names them;
 * step_changes.c writes changes.csv; report_previous.c the report's
 * section.  Include after run_ctx.h.
 */
#ifndef CLMSEG_RUN_PREVIOUS_H
#define CLMSEG_RUN_PREVIOUS_H

#include <stdint.h>

#include "clmseg/kmeans.h"
#include "clmseg/lifecycle.h"

/* The per-branch figures of last quarter's /branches, in its order. */
typedef struct run_previous_branch {
    char *name;
    int rank;                       /* 1-based, by health as branches.csv */
    double health, churn_rate, s12, arpu;
    double share[CLM_N_STAGES];
} run_previous_branch;

typedef struct run_previous {
    char path[4096];                /* LAST_RUNDIR/results.h5             */
    int n_branches;
    run_previous_branch *branches;
    int *by_name;                   /* branch indices sorted by name      */
    clm_kmeans *kmeans;             /* last quarter's segments, loaded    */
    int k, n_features;
    double *share, *churn_rate, *mean_arpu; /* k each (profile)           */
    float *zscore;                  /* k x n_features, profile/zscore     */
    char **segment_names;           /* k: profile/name, or "segment j"    */
    double *cost;                   /* this k x last k: squared distance of
                                       the centroids (after the relabel,
                                       rows in this quarter's numbering)   */
} run_previous;

/* The previous branch named `name`, or -1. */
int run_previous_find(const run_previous *previous, const char *name);

void run_previous_free(run_previous *previous);

#endif /* CLMSEG_RUN_PREVIOUS_H */

/*
 * clmseg/run.h — the quarterly run: every step of docs/design.md §1 on one quarter.
 *
 * clm_run() validates the table, segments it (k-means), assigns value
 * tiers and lifecycle stages, trains the churn tree, estimates survival and
 * LTV by segment and by branch, scores every branch's health, and writes
 * into a folder: results.h5, segments.csv, branches.csv, warning.csv,
 * equity.csv, lifecycle_curves.csv, lifecycle_stages.csv,
 * survival_segment.csv, survival_branch.csv, tree_rules.txt, report.html
 * (with a page per branch and segment; report.lang en or zh), run.json and
 * config.used.  Every file is written under a temporary name
 * and renamed when complete.  docs/run.md documents the configuration keys.
 */
#ifndef CLMSEG_RUN_H
#define CLMSEG_RUN_H

#include <stdio.h>

#include "clmseg/export.h"
#include "clmseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clm_run_options {
    const char *config_path;         /* INI file, or NULL for the defaults       */
    const char *const *overrides;    /* NULL-terminated "section.key=value"s,
                                        applied after the file (flags), or NULL */
    const char *const *override_origins; /* parallel to overrides: the flag each
                                        came from ("--k"), or NULL ("--set")   */
    FILE *log;                       /* step lines and tables, or NULL          */
    clm_progress_fn progress;        /* may be NULL                             */
    void *progress_ctx;
} clm_run_options;

/* Runs the quarter in `input_path` into the folder `outdir` (created when
 * missing).  Errors: bad configuration (CLM_E_FORMAT / CLM_E_PARAM /
 * CLM_E_USAGE naming file and line or key), the errors of each step (their
 * messages name file, column and row), CLM_E_OVERWRITE when an output
 * would replace the input.  On error no output file is left half-written. */
CLM_API clm_status clm_run(const char *input_path, const char *outdir, const clm_run_options *options);

/* Writes the documented default configuration (every key with its help)
 * to `out`: the starting point of a config file. */
CLM_API void clm_run_write_default_config(FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_RUN_H */

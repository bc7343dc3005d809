/*
 * clmseg/lifecycle.h — value tiers, lifecycle stages A–E and branch health
 * scores: the customer-lifecycle vocabulary of docs/design.md §1 turned into rules
 * that are documented, configurable and testable by hand.
 *
 * This header is an umbrella: tiers (clm_tier_*) are in clmseg/tiers.h,
 * stages (clm_stage_*) in clmseg/stages.h, branch health (clm_health_*) in
 * clmseg/health.h; it declares only the applier of saved rules.
 *
 * These functions work on arrays already in memory (one row block, or one
 * row per branch); the quarterly run streams the table through them.  They
 * allocate nothing except where stated, and are safe to call from several
 * threads on disjoint outputs.  docs/lifecycle.md gives the formulas.
 */
#ifndef CLMSEG_LIFECYCLE_H
#define CLMSEG_LIFECYCLE_H

#include "clmseg/export.h"
#include "clmseg/health.h"
#include "clmseg/stages.h"
#include "clmseg/status.h"
#include "clmseg/table.h"
#include "clmseg/tiers.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The lifecycle applier of `clmseg predict`: when `results_path` holds a
 * quarterly run's /value and /lifecycle groups, computes the value tier
 * (with the saved ARPU thresholds, not new quantiles) and the stage (with
 * the saved rules and column names) of every row of `input`, writes
 * /value/tier and /lifecycle/stage to `output`, and sets *applied to 1.
 * Without them *applied = 0 and CLM_OK.  Errors: CLM_E_FORMAT (unreadable
 * saved rules), CLM_E_SCHEMA (event, tenure or ARPU column missing), I/O. */
CLM_API clm_status clm_lifecycle_apply_saved(const char *results_path, const clm_table *input,
                                             clm_writer *output, int n_threads, int *applied);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_LIFECYCLE_H */

/*
 * clmseg/lifecycle.h — value tiers, lifecycle stages A–E and branch health
 * scores: the customer-lifecycle vocabulary of docs/design.md §1 turned into rules
 * that are documented, configurable and testable by hand.
 *
 * This header is an umbrella: tiers (clm_tier_*) are in clmseg/tiers.h,
 * stages (clm_stage_*) in clmseg/stages.h, branch health (clm_health_*) in
 * clmseg/health.h; it declares the lifecycle model: the tier thresholds
 * and stage rules of a run, saved and reapplied to a new quarter.
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

/* ---- the lifecycle model: tiers and stages as a saved, reusable rule set */

/* The columns the stage rules and tiers read (clm_stage_inputs order).
 * event, time and arpu are required; a NULL or "" signal column is off. */
typedef struct clm_lifecycle_columns {
    const char *event, *time, *arpu, *arpu_prev, *suspensions, *plan_downgrades,
        *contacts_now, *contacts_prev, *complaints;
    const char *event_level;  /* categorical event: the level that means churned */
    double time_unit_days;    /* days per unit of `time` (0: months); the stage
                                 rules compare tenure in months              */
} clm_lifecycle_columns;

typedef struct clm_lifecycle clm_lifecycle;

/* A lifecycle model from its rules, its tier thresholds (high ARPU >=
 * high_min, low ARPU < low_max) and its columns (names copied).  Errors:
 * CLM_E_PARAM (bad rules, thresholds or a required column missing),
 * CLM_E_NOMEM. */
CLM_API clm_status clm_lifecycle_create(const clm_stage_rules *rules, double high_min, double low_max,
                                        const clm_lifecycle_columns *columns, clm_lifecycle **out);

/* Writes the model as the /value and /lifecycle groups of a results file:
 * the thresholds, rules, rule names, columns and event level as
 * attributes, and, when `tier` / `stage` are not NULL, the per-row
 * datasets /value/tier and /lifecycle/stage (n_rows each). */
CLM_API clm_status clm_lifecycle_save(const clm_lifecycle *model, clm_writer *writer,
                                      const uint8_t *tier, const uint8_t *stage, int64_t n_rows);

/* 1 when the results file `path` holds /value and /lifecycle, else 0. */
CLM_API int clm_lifecycle_saved_in(const char *path);

/* Reads a model saved by clm_lifecycle_save.  Errors: CLM_E_OPEN,
 * CLM_E_FORMAT (groups or attributes missing), CLM_E_NOMEM. */
CLM_API clm_status clm_lifecycle_load(const char *path, clm_lifecycle **out);

/* Tier and stage of every row of an open table (columns matched by name,
 * read in blocks on the calling thread): tier and stage hold
 * clm_table_n_rows(table) values.  Tiers use the saved thresholds, not new
 * quantiles, so a subscriber whose ARPU did not change keeps his tier.
 * Errors: CLM_E_SCHEMA (a required column missing), read errors. */
CLM_API clm_status clm_lifecycle_predict_table(const clm_lifecycle *model, const clm_table *table,
                                               uint8_t *tier, uint8_t *stage);
/* The same, each output optional (NULL: not computed), and the decline
 * signals of every row (clm_stage_decline), churned rows included. */
CLM_API clm_status clm_lifecycle_predict_table_decline(const clm_lifecycle *model, const clm_table *table,
                                                       uint8_t *tier, uint8_t *stage, uint8_t *decline);

/* The strata "segment+decline" of a table (clm_cox_segment_decline): the
 * stage rules saved in the results file `path` give each row's decline
 * signals, and segments[i] becomes 2 segments[i] + decline[i] in place
 * (-1 stays -1).  Errors as clm_lifecycle_load and _predict_table. */
CLM_API clm_status clm_lifecycle_decline_strata(const char *path, const clm_table *table, int32_t *segments);

/* Frees the model; NULL is fine. */
CLM_API void clm_lifecycle_free(clm_lifecycle *model);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_LIFECYCLE_H */

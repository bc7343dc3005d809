/*
 * clmseg/stages.h — lifecycle stages A-E (acquisition, build-up, climax,
 * decline, exit) assigned to each subscriber by documented rules.
 *
 * Part of the lifecycle vocabulary (clmseg/lifecycle.h includes it).  The
 * functions work on one row block in memory, allocate nothing, and are
 * safe to call from several threads on disjoint outputs.
 * docs/lifecycle.md gives the rules.
 */
#ifndef CLMSEG_STAGES_H
#define CLMSEG_STAGES_H

#include <stdint.h>

#include "clmseg/export.h"
#include "clmseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLM_STAGE_A = 0, CLM_STAGE_B, CLM_STAGE_C, CLM_STAGE_D, CLM_STAGE_E, CLM_N_STAGES };

/* "A".."E" and the long names ("acquisition", "build-up", "climax",
 * "decline", "exit"). */
CLM_API extern const char *const clm_stage_letters[CLM_N_STAGES];
CLM_API extern const char *const clm_stage_names[CLM_N_STAGES];

/* The rules, applied in this order (first match wins):
 *   E  churned == 1
 *   A  tenure_months < new_months
 *   D  any decline signal:
 *        arpu < (1 - arpu_drop) * arpu_prev,
 *        suspensions >= suspensions_min,
 *        plan_downgrades >= downgrades_min,
 *        contacts_now < (1 - contact_drop) * contacts_prev,
 *        complaints >= complaints_min
 *   B  arpu > (1 + arpu_gain) * arpu_prev
 *   C  the rest
 * A signal whose column is absent (NULL) or missing (NaN) never fires. */
typedef struct clm_stage_rules {
    double new_months;      /* default 4    */
    double arpu_drop;       /* default 0.15 */
    double suspensions_min; /* default 1    */
    double downgrades_min;  /* default 1    */
    double contact_drop;    /* default 0.30 */
    double complaints_min;  /* default 2    */
    double arpu_gain;       /* default 0.05 */
} clm_stage_rules;

CLM_API void clm_stage_rules_default(clm_stage_rules *rules);
CLM_API clm_status clm_stage_rules_check(const clm_stage_rules *rules);

/* One block of the columns the rules read; any pointer except churned and
 * tenure may be NULL when the table has no such column. */
typedef struct clm_stage_inputs {
    const float *churned, *tenure_months, *arpu, *arpu_prev;
    const float *suspensions, *plan_downgrades, *contacts_now, *contacts_prev, *complaints;
} clm_stage_inputs;

CLM_API void clm_stage_assign(const clm_stage_rules *rules, const clm_stage_inputs *in,
                              int64_t n_rows, uint8_t *stage);

/* decline[i] = 1 when a decline signal of the D rule fires for row i,
 * whatever its churn flag and tenure (in->churned and tenure_months are
 * not read): the signals of a churned subscriber describe its last
 * quarter, so a survival model can be stratified by them on every row. */
CLM_API void clm_stage_decline(const clm_stage_rules *rules, const clm_stage_inputs *in,
                               int64_t n_rows, uint8_t *decline);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_STAGES_H */

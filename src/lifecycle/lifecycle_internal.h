/*
 * lifecycle_internal.h — what the lifecycle module shares with the run
 * and with `clmseg predict` on several ranks (a rank's rows only).
 */
#ifndef CLMSEG_LIFECYCLE_INTERNAL_H
#define CLMSEG_LIFECYCLE_INTERNAL_H

#include <stdint.h>

#include "clmseg/lifecycle.h"
#include "clmseg/table.h"
#include "clmseg/tiers.h"
#include "core/comm_internal.h"

/* Tenure read in units of `time_unit_days` days, converted in place to the
 * months the stage rules compare (30.4375 days; 0 or 30.4375: already in
 * months, left as it is). */
void lifecycle_tenure_to_months(float *tenure, int64_t n, double time_unit_days);

/* clm_lifecycle_predict_table_decline for the table's rows [first,
 * first + n) only: tier, stage and decline[0..n) (each NULL: not wanted)
 * are theirs. */
clm_status lifecycle_predict_rows(const clm_lifecycle *model, const clm_table *table, int64_t first,
                                  int64_t n, uint8_t *tier, uint8_t *stage, uint8_t *decline);

/* clm_lifecycle_decline_strata for the table's rows [first, first + n):
 * segments[0..n) are theirs. */
clm_status lifecycle_decline_strata_rows(const char *path, const clm_table *table, int64_t first,
                                         int64_t n, int32_t *segments);

/* clm_tier_thresholds over every rank's arpu[0..n_rows) (NULL or one
 * rank: the public function): exact order statistics (comm_select_f32),
 * the same thresholds, status and message on every rank. */
clm_status lifecycle_tier_thresholds_ranks(const clm_tier_params *p, const float *arpu, int64_t n_rows,
                                           const comm_ctx *comm, double *high_min, double *low_max);

#endif /* CLMSEG_LIFECYCLE_INTERNAL_H */

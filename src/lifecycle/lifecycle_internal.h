/*
 * lifecycle_internal.h — what the lifecycle module shares with the run.
 */
#ifndef CLMSEG_LIFECYCLE_INTERNAL_H
#define CLMSEG_LIFECYCLE_INTERNAL_H

#include <stdint.h>

/* Tenure read in units of `time_unit_days` days, converted in place to the
 * months the stage rules compare (30.4375 days; 0 or 30.4375: already in
 * months, left as it is). */
void lifecycle_tenure_to_months(float *tenure, int64_t n, double time_unit_days);

#endif /* CLMSEG_LIFECYCLE_INTERNAL_H */

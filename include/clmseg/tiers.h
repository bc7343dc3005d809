/*
 * clmseg/tiers.h — value tiers (high, medium, low) of subscribers by ARPU.
 *
 * Part of the lifecycle vocabulary (clmseg/lifecycle.h includes it).  The
 * functions work on arrays already in memory, allocate nothing except
 * where stated, and are safe to call from several threads on disjoint
 * outputs.  docs/lifecycle.md gives the formulas.
 */
#ifndef CLMSEG_TIERS_H
#define CLMSEG_TIERS_H

#include <stdint.h>

#include "clmseg/export.h"
#include "clmseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CLM_TIER_HIGH = 0, CLM_TIER_MEDIUM = 1, CLM_TIER_LOW = 2, CLM_N_TIERS = 3 };

/* Names of the tiers, indexed by code: "high", "medium", "low". */
CLM_API extern const char *const clm_tier_names[CLM_N_TIERS];

typedef struct clm_tier_params {
    double high_share;  /* top share by ARPU that is "high" (default 0.20)  */
    double low_share;   /* bottom share that is "low" (default 0.30)        */
    int fixed;          /* 1: use the two thresholds below instead          */
    double high_min;    /* fixed mode: ARPU >= high_min is high             */
    double low_max;     /* fixed mode: ARPU <  low_max is low               */
} clm_tier_params;

CLM_API void clm_tier_params_default(clm_tier_params *params);

/* CLM_E_PARAM (with a message) when shares are outside [0, 1], sum above 1,
 * or fixed thresholds have low_max > high_min. */
CLM_API clm_status clm_tier_params_check(const clm_tier_params *params);

/* Thresholds of the tiers.  In share mode they are order statistics of the
 * non-missing ARPU values v(0) <= ... <= v(m-1):
 *     low_max  = v(floor(m * low_share))        (rows below it are low)
 *     high_min = v(m - ceil(m * high_share))    (rows at or above are high)
 * so with distinct values exactly floor(m*low) rows are low and
 * ceil(m*high) are high; ties fall to the higher tier.  Allocates a copy of
 * the m values (selection, not a full sort).  CLM_E_EMPTY if m == 0. */
CLM_API clm_status clm_tier_thresholds(const clm_tier_params *params, const float *arpu,
                                       int64_t n_rows, double *high_min, double *low_max);

/* tier[i] for each row; NaN ARPU is medium (the tier that triggers no
 * tier-specific action). */
CLM_API void clm_tier_assign(double high_min, double low_max, const float *arpu,
                             int64_t n_rows, uint8_t *tier);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_TIERS_H */

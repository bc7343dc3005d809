/*
 * tiers.c — high / medium / low value tiers by ARPU quantiles or fixed
 * thresholds.
 *
 * The quantiles are exact order statistics, found by counting the values'
 * bits (comm_select_f32: two passes over the rows, no copy of them), so
 * the thresholds are the same values whether the rows sit in one process
 * or are spread over ranks (the run's tiers+stages step).
 */
#include <math.h>
#include <stdlib.h>

#include "clmseg/tiers.h"
#include "core/comm_internal.h"
#include "lifecycle/lifecycle_internal.h"

const char *const clm_tier_names[CLM_N_TIERS] = {"high", "medium", "low"};

void clm_tier_params_default(clm_tier_params *p)
{
    p->high_share = 0.20;
    p->low_share = 0.30;
    p->fixed = 0;
    p->high_min = 0.0;
    p->low_max = 0.0;
}

clm_status clm_tier_params_check(const clm_tier_params *p)
{
    if (p->fixed) {
        if (!isfinite(p->high_min) || !isfinite(p->low_max) || p->low_max > p->high_min)
            return clm_error(CLM_E_PARAM, "value tiers: fixed thresholds need low_max (%g) <= high_min (%g)",
                             p->low_max, p->high_min);
        return CLM_OK;
    }
    if (!(p->high_share >= 0 && p->high_share <= 1) || !(p->low_share >= 0 && p->low_share <= 1))
        return clm_error(CLM_E_PARAM, "value tiers: shares must be in [0, 1] (high %g, low %g)", p->high_share,
                         p->low_share);
    if (p->high_share + p->low_share > 1.0 + 1e-12)
        return clm_error(CLM_E_PARAM, "value tiers: high share %g + low share %g exceed 1", p->high_share,
                         p->low_share);
    return CLM_OK;
}

clm_status clm_tier_thresholds(const clm_tier_params *p, const float *arpu, int64_t n_rows, double *high_min,
                               double *low_max)
{
    return lifecycle_tier_thresholds_ranks(p, arpu, n_rows, NULL, high_min, low_max);
}

clm_status lifecycle_tier_thresholds_ranks(const clm_tier_params *p, const float *arpu, int64_t n_rows,
                                           const comm_ctx *comm, double *high_min, double *low_max)
{
    clm_status status = clm_tier_params_check(p);
    if (status != CLM_OK)
        return status;
    if (p->fixed) {
        *high_min = p->high_min;
        *low_max = p->low_max;
        return CLM_OK;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < n_rows; i++)
        m += !isnan(arpu[i]);
    if ((status = comm_sum_i64(comm, &m, 1)))
        return status;
    if (m == 0)
        return clm_error(CLM_E_EMPTY, "value tiers: no ARPU values");
    int64_t k_low = (int64_t)floor((double)m * p->low_share);
    int64_t k_high = m - (int64_t)ceil((double)m * p->high_share);
    if (k_low > m - 1) k_low = m - 1;
    if (k_high < 0) k_high = 0;
    /* low_share = 1 or high_share = 0: thresholds beyond the data. */
    const int64_t k[2] = {k_low, k_high < m ? k_high : k_low};
    float v[2];
    if ((status = comm_select_f32(comm, arpu, n_rows, k, 2, v)))
        return status;
    *low_max = p->low_share >= 1.0 ? INFINITY : v[0];
    *high_min = k_high >= m ? INFINITY : v[1];
    return CLM_OK;
}

void clm_tier_assign(double high_min, double low_max, const float *arpu, int64_t n_rows, uint8_t *tier)
{
    for (int64_t i = 0; i < n_rows; i++) {
        float a = arpu[i];
        if (isnan(a))
            tier[i] = CLM_TIER_MEDIUM;
        else if (a >= high_min)
            tier[i] = CLM_TIER_HIGH;
        else if (a < low_max)
            tier[i] = CLM_TIER_LOW;
        else
            tier[i] = CLM_TIER_MEDIUM;
    }
}

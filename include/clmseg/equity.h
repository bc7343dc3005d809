/*
 * clmseg/equity.h — customer equity: each active subscriber's remaining
 * lifetime and value, as a survival model projects it (today the Cox
 * model: clm_cox_equity_table in cox.h), and its output (docs/cox.md).
 */
#ifndef CLMSEG_EQUITY_H
#define CLMSEG_EQUITY_H

#include <stdint.h>

#include "clmseg/export.h"
#include "clmseg/status.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clm_equity_params {
    int32_t horizon;           /* months projected (default 36)                 */
    double margin;             /* share of ARPU that is margin (default 1)      */
    double discount;           /* annual discount rate (default 0.10)           */
    int32_t n_threads;         /* 0: all cores                                  */
} clm_equity_params;

CLM_API void clm_equity_params_default(clm_equity_params *params);

/* Per-row results: NaN for churned rows. */
typedef struct clm_equity {
    int64_t n_rows;
    int64_t n_active;
    float *leave_3, *leave_12;  /* P(leaves within 3 / 12 months)              */
    float *expected_months;    /* expected months still here within the horizon */
    float *value;              /* expected discounted remaining value           */
    int32_t horizon;
    double *expected_active;   /* horizon + 1 values: expected active rows
                                  after m = 0..horizon months                   */
    /* What the projection of each row started from (not saved): its
     * relative hazard exp(lp) on the model's centred scale (NaN for
     * churned rows), its stratum and its tenure in months.  A scenario
     * projection (clmseg/scenario.h) starts from these. */
    double *relative_hazard;
    int32_t *stratum;
    double *tenure;
} clm_equity;

/* Writes /equity (group NULL) or `group`: leave_3, leave_12,
 * expected_months and value per row (float32), expected_active
 * (horizon + 1 values), and the attributes horizon, n_active. */
CLM_API clm_status clm_equity_save(const clm_equity *equity, clm_writer *writer, const char *group);
CLM_API void clm_equity_free(clm_equity *equity);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_EQUITY_H */

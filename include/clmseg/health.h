/*
 * clmseg/health.h — branch health: four rank sub-scores per branch, their
 * weighted total and the lever to pull.
 *
 * Part of the lifecycle vocabulary (clmseg/lifecycle.h includes it).
 * Works on one row per branch in memory; safe to call from several threads
 * on disjoint outputs.  docs/lifecycle.md gives the formulas.
 */
#ifndef CLMSEG_HEALTH_H
#define CLMSEG_HEALTH_H

#include <stdint.h>

#include "clmseg/export.h"
#include "clmseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the run measures per branch (one row per branch). */
typedef struct clm_health_metrics {
    int64_t subscribers;
    double churn_rate;       /* events / subscribers                       */
    double s12;              /* Kaplan-Meier S(12)                         */
    double arpu;             /* mean ARPU                                  */
    double ltv;              /* LTV at the horizon                         */
    double share_ab;         /* share of subscribers in stages A or B      */
    double arpu_change;      /* mean ARPU / mean previous ARPU - 1         */
    double share_d;          /* share in stage D                           */
    double revenue_at_risk;  /* sum over active rows of p(churn) * ARPU,
                                as a share of the branch's ARPU sum         */
    double debt_share;       /* share of D subscribers whose signals are
                                suspensions (bad debt rather than taste)    */
} clm_health_metrics;

enum { CLM_SCORE_RETENTION = 0, CLM_SCORE_VALUE, CLM_SCORE_GROWTH, CLM_SCORE_RISK, CLM_N_SCORES };
enum { CLM_LEVER_ACQUISITION = 0, CLM_LEVER_RETENTION, CLM_LEVER_UPSELL, CLM_LEVER_WINBACK,
       CLM_LEVER_BAD_DEBT, CLM_N_LEVERS };

CLM_API extern const char *const clm_health_score_names[CLM_N_SCORES];  /* "retention", ... */
CLM_API extern const char *const clm_health_lever_names[CLM_N_LEVERS];  /* "acquisition", "retention",
                                                            "up-sell/cross-sell", "win-back",
                                                            "bad-debt control" */

typedef struct clm_health_weights {
    double weight[CLM_N_SCORES];  /* default 0.30, 0.25, 0.20, 0.25 */
} clm_health_weights;

CLM_API void clm_health_weights_default(clm_health_weights *weights);
/* Weights must be >= 0 and not all 0. */
CLM_API clm_status clm_health_weights_check(const clm_health_weights *weights);

typedef struct clm_health_result {
    double score[CLM_N_SCORES];  /* each in [0, 100]                        */
    double total;                /* weighted mean of the scores, [0, 100]   */
    int lever;                   /* CLM_LEVER_*                             */
    int weakest;                 /* CLM_SCORE_* of the weakest sub-score    */
} clm_health_result;

/* Scores every branch against the others.  Each metric becomes a rank
 * score 100 * (r - 1) / (B - 1), with r the 1-based rank from worst to best
 * (ties share their mean rank; a single branch scores 50); a sub-score is
 * the mean of its two metrics:
 *   retention  S(12) (higher better), churn rate (lower better)
 *   value      ARPU, LTV (higher better)
 *   growth     share in A+B, ARPU change (higher better)
 *   risk       share in D, revenue at risk (lower better)
 * total = sum w_k score_k / sum w_k.  The lever is that of the weakest
 * sub-score (ties: retention, value, growth, risk): retention -> retention,
 * value -> up-sell/cross-sell, growth -> acquisition, risk -> bad-debt
 * control when debt_share >= 0.5, else win-back.  Allocates O(B) scratch;
 * CLM_E_NOMEM or CLM_E_PARAM (bad weights, n_branches < 1). */
CLM_API clm_status clm_health_score(const clm_health_metrics *metrics, int n_branches,
                                    const clm_health_weights *weights, clm_health_result *out);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_HEALTH_H */

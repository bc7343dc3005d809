/*
 * clmseg/lifecycle.h — value tiers, lifecycle stages A–E and branch health
 * scores: the customer-lifecycle vocabulary of DESIGN §1 turned into rules
 * that are documented, configurable and testable by hand.
 *
 * These functions work on arrays already in memory (one row block, or one
 * row per branch); the quarterly run streams the table through them.  They
 * allocate nothing except where stated, and are safe to call from several
 * threads on disjoint outputs.  docs/lifecycle.md gives the formulas.
 */
#ifndef CLMSEG_LIFECYCLE_H
#define CLMSEG_LIFECYCLE_H

#include <stdint.h>

#include "clmseg/status.h"
#include "clmseg/table.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- value tiers ------------------------------------------------------ */

enum { CLM_TIER_HIGH = 0, CLM_TIER_MEDIUM = 1, CLM_TIER_LOW = 2, CLM_N_TIERS = 3 };

/* Names of the tiers, indexed by code: "high", "medium", "low". */
extern const char *const clm_tier_names[CLM_N_TIERS];

typedef struct clm_tier_params {
    double high_share;  /* top share by ARPU that is "high" (default 0.20)  */
    double low_share;   /* bottom share that is "low" (default 0.30)        */
    int fixed;          /* 1: use the two thresholds below instead          */
    double high_min;    /* fixed mode: ARPU >= high_min is high             */
    double low_max;     /* fixed mode: ARPU <  low_max is low               */
} clm_tier_params;

void clm_tier_params_default(clm_tier_params *params);

/* CLM_E_PARAM (with a message) when shares are outside [0, 1], sum above 1,
 * or fixed thresholds have low_max > high_min. */
clm_status clm_tier_params_check(const clm_tier_params *params);

/* Thresholds of the tiers.  In share mode they are order statistics of the
 * non-missing ARPU values v(0) <= ... <= v(m-1):
 *     low_max  = v(floor(m * low_share))        (rows below it are low)
 *     high_min = v(m - ceil(m * high_share))    (rows at or above are high)
 * so with distinct values exactly floor(m*low) rows are low and
 * ceil(m*high) are high; ties fall to the higher tier.  Allocates a copy of
 * the m values (selection, not a full sort).  CLM_E_EMPTY if m == 0. */
clm_status clm_tier_thresholds(const clm_tier_params *params, const float *arpu,
                               int64_t n_rows, double *high_min, double *low_max);

/* tier[i] for each row; NaN ARPU is medium (the tier that triggers no
 * tier-specific action). */
void clm_tier_assign(double high_min, double low_max, const float *arpu,
                     int64_t n_rows, uint8_t *tier);

/* ---- lifecycle stages ------------------------------------------------- */

enum { CLM_STAGE_A = 0, CLM_STAGE_B, CLM_STAGE_C, CLM_STAGE_D, CLM_STAGE_E, CLM_N_STAGES };

/* "A".."E" and the long names ("acquisition", "build-up", "climax",
 * "decline", "exit"). */
extern const char *const clm_stage_letters[CLM_N_STAGES];
extern const char *const clm_stage_names[CLM_N_STAGES];

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

void clm_stage_rules_default(clm_stage_rules *rules);
clm_status clm_stage_rules_check(const clm_stage_rules *rules);

/* One block of the columns the rules read; any pointer except churned and
 * tenure may be NULL when the table has no such column. */
typedef struct clm_stage_inputs {
    const float *churned, *tenure_months, *arpu, *arpu_prev;
    const float *suspensions, *plan_downgrades, *contacts_now, *contacts_prev, *complaints;
} clm_stage_inputs;

void clm_stage_assign(const clm_stage_rules *rules, const clm_stage_inputs *in,
                      int64_t n_rows, uint8_t *stage);

/* ---- branch health ---------------------------------------------------- */

/* What the run measures per branch (one row per branch). */
typedef struct clm_branch_metrics {
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
} clm_branch_metrics;

enum { CLM_SCORE_RETENTION = 0, CLM_SCORE_VALUE, CLM_SCORE_GROWTH, CLM_SCORE_RISK, CLM_N_SCORES };
enum { CLM_LEVER_ACQUISITION = 0, CLM_LEVER_RETENTION, CLM_LEVER_UPSELL, CLM_LEVER_WINBACK,
       CLM_LEVER_BAD_DEBT, CLM_N_LEVERS };

extern const char *const clm_score_names[CLM_N_SCORES];  /* "retention", ... */
extern const char *const clm_lever_names[CLM_N_LEVERS];  /* "acquisition", "retention",
                                                            "up-sell/cross-sell", "win-back",
                                                            "bad-debt control" */

typedef struct clm_health_weights {
    double weight[CLM_N_SCORES];  /* default 0.30, 0.25, 0.20, 0.25 */
} clm_health_weights;

void clm_health_weights_default(clm_health_weights *weights);
/* Weights must be >= 0 and not all 0. */
clm_status clm_health_weights_check(const clm_health_weights *weights);

typedef struct clm_branch_health {
    double score[CLM_N_SCORES];  /* each in [0, 100]                        */
    double total;                /* weighted mean of the scores, [0, 100]   */
    int lever;                   /* CLM_LEVER_*                             */
    int weakest;                 /* CLM_SCORE_* of the weakest sub-score    */
} clm_branch_health;

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
clm_status clm_health_score(const clm_branch_metrics *metrics, int n_branches,
                            const clm_health_weights *weights, clm_branch_health *out);

/* ---- reapplying a run's rules ------------------------------------------- */

/* The lifecycle applier of `clmseg predict`: when `results_path` holds a
 * quarterly run's /value and /lifecycle groups, computes the value tier
 * (with the saved ARPU thresholds, not new quantiles) and the stage (with
 * the saved rules and column names) of every row of `input`, writes
 * /value/tier and /lifecycle/stage to `output`, and sets *applied to 1.
 * Without them *applied = 0 and CLM_OK.  Errors: CLM_E_FORMAT (unreadable
 * saved rules), CLM_E_SCHEMA (event, tenure or ARPU column missing), I/O. */
clm_status clm_lifecycle_apply_saved(const char *results_path, const clm_table *input,
                                     clm_writer *output, int n_threads, int *applied);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_LIFECYCLE_H */

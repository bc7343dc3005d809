/*
 * clmseg/scenario.h — head-office strategy modelling: what-if scenarios
 * built from the eleven value levers, projected month by month over the
 * active base from each subscriber's conditional survival, ARPU and
 * margin, and the retention budget split where value and risk meet.
 *
 * The pieces, in the order they are used (docs/strategy.md):
 *   clm_plan     a plan file: [plan] settings, [scenario NAME] and
 *                [scenario NAME.LEVER] sections, an optional [budget];
 *   clm_book     the base the projection starts from: every active
 *                subscriber's relative hazard, stratum, tenure and ARPU
 *                (from a fitted Cox model's customer equity), their tier,
 *                stage, segment, plan, branch and risk decile, the
 *                quarter's churners, and the baseline hazard grids;
 *   clm_scenario_project()  the baseline and every scenario of the plan,
 *                by branch and for the company, and the budget.
 *
 * Every figure is an expectation: a lever's take-up is the probability
 * that a contacted subscriber accepts, levers of one scenario are
 * accepted independently and act together on a subscriber they both
 * reach (hazard ratios multiply, ARPU changes compound), so interactions
 * are counted once, not added up.  Sums are taken per fixed chunk of rows
 * within a branch and added in order: results are the same bytes for any
 * thread count.
 */
#ifndef CLMSEG_SCENARIO_H
#define CLMSEG_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "clmseg/cox.h"
#include "clmseg/equity.h"
#include "clmseg/export.h"
#include "clmseg/status.h"
#include "clmseg/table.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the plan -------------------------------------------------------------- */

typedef enum clm_lever_kind {
    CLM_LEVER_KIND_RETENTION = 0,   /* hazard x ratio while it acts, optional ARPU concession */
    CLM_LEVER_KIND_UPSELL,          /* ARPU x (1 + change), optional hazard ratio            */
    CLM_LEVER_KIND_RENEWAL,         /* move to a plan: hazard ratio from the plan coefficients */
    CLM_LEVER_KIND_BAD_DEBT,        /* recover a share of the revenue of flagged subscribers  */
    CLM_LEVER_KIND_ACQUISITION,     /* new subscribers per month per branch                   */
    CLM_LEVER_KIND_WINBACK,         /* a share of the churners reactivated                    */
    CLM_N_LEVER_KINDS
} clm_lever_kind;

/* "retention", "upsell", "renewal", "bad_debt", "acquisition", "winback". */
CLM_API extern const char *const clm_lever_kind_names[CLM_N_LEVER_KINDS];

typedef struct clm_plan clm_plan;

/* Reads the [plan], [scenario ...] and [budget] sections of an INI file;
 * other sections are skipped, so a run's config file can hold its
 * scenarios.  Errors (CLM_E_FORMAT, CLM_E_PARAM) name the file, line and
 * key.  A file without scenarios or budget gives an empty plan. */
CLM_API clm_status clm_plan_read(const char *path, clm_plan **out);
CLM_API int32_t clm_plan_n_scenarios(const clm_plan *plan);
CLM_API int clm_plan_has_budget(const clm_plan *plan);
/* Projection months ([plan] horizon; 0 when not set: the caller's). */
CLM_API int32_t clm_plan_horizon(const clm_plan *plan);
CLM_API void clm_plan_free(clm_plan *plan);

/* ---- the base --------------------------------------------------------------- */

/* What the book is built from.  Arrays are per row of the quarter (n_rows
 * = equity->n_rows) and borrowed for the call. */
typedef struct clm_book_source {
    const clm_cox *cox;              /* the fitted (or loaded) model          */
    const clm_equity *equity;        /* its equity on the quarter: relative
                                        hazard, stratum, tenure per row       */
    const float *arpu;               /* ARPU per row                          */
    const uint8_t *churned;          /* 1 for the quarter's churners          */
    const int32_t *branch;           /* branch code per row, -1 none          */
    int32_t n_branches;
    const char *const *branch_names;
    const double *branch_health;     /* per branch: the health score (ranks)  */
    const uint8_t *tier, *stage;     /* per row                               */
    const int32_t *segment;          /* per row, or NULL                      */
    int32_t n_segments;
    const int32_t *plan;             /* per row: code of the plan, -1 none, or NULL */
    int32_t n_plans;
    const char *const *plan_names;   /* the plan column's levels              */
    const char *plan_column;         /* its name (the renewal lever's model terms) */
    const uint8_t *debt_signal;      /* per row: payment delay or suspension, or NULL */
    double new_months;               /* tenure below this: a recent joiner    */
    clm_equity_params equity_params; /* horizon, margin, discount of the projection */
} clm_book_source;

typedef struct clm_book clm_book;

CLM_API clm_status clm_book_create(const clm_book_source *source, clm_book **out);

/* The book of a finished `clmseg run`: the quarter it ran on and its
 * results.h5 (the Cox model, each row's segment, tier and stage, each
 * branch's health; margin and discount from /equity).  The columns are
 * the run's defaults unless set. */
typedef struct clm_book_load_params {
    const char *branch;              /* "branch" (categorical)                 */
    const char *arpu;                /* "arpu"                                 */
    const char *plan;                /* "plan" (categorical; absent: no plans) */
    const char *payment_delay;       /* "payment_delay_days": > 0 is a bad-debt signal */
    const char *suspensions;         /* "suspensions": > 0 likewise            */
    double new_months;               /* 4: the stage-A bound                   */
    int32_t horizon;                 /* months projected (0: 36)               */
    int32_t n_threads;
} clm_book_load_params;

CLM_API void clm_book_load_params_default(clm_book_load_params *params);
CLM_API clm_status clm_book_load(const clm_table *quarter, const char *results_path,
                                 const clm_book_load_params *params, clm_book **out);
/* The bad-debt signal of every row: flag[i] |= (column value > 0), for a
 * numeric column such as payment_delay_days or suspensions; a NULL, empty
 * or absent column changes nothing. */
CLM_API clm_status clm_book_debt_signal(const clm_table *table, const char *column, uint8_t *flag);
/* Active subscribers in the book. */
CLM_API int64_t clm_book_n_active(const clm_book *book);
CLM_API void clm_book_free(clm_book *book);

/* ---- the projection ----------------------------------------------------------- */

/* One group's figures under the baseline or a scenario.  active_h is the
 * expected active count after `horizon` months, revenue the undiscounted
 * revenue over the horizon, equity the discounted margin (as the run's
 * customer equity). */
typedef struct clm_scenario_figures {
    double active_3, active_12, active_h;
    double revenue, equity;
} clm_scenario_figures;

typedef struct clm_scenario_row {
    double targeted;                 /* subscribers contacted (churners for win-back) */
    double accepting;                /* expected accepting (or acquired) subscribers */
    clm_scenario_figures base, scen;
    double cost;                     /* contact + accept (+ fixed: company row only) */
    double net_gain;                 /* equity - equity base - cost           */
    double roi;                      /* net_gain / cost (NaN without cost)     */
    int32_t payback_month;           /* first month the discounted gain covers
                                        the cost, 0 when not within the horizon */
} clm_scenario_row;

/* The budget's split (allocation.csv, allocation_policies.csv). */
typedef enum { CLM_POLICY_OPTIMISED, CLM_POLICY_PROPORTIONAL, CLM_POLICY_HIGH_TIER,
               CLM_N_POLICIES } clm_budget_policy;
CLM_API extern const char *const clm_budget_policy_names[CLM_N_POLICIES];

typedef struct clm_budget_cell {
    double spend, contacted, saves, net_gain;
} clm_budget_cell;

typedef struct clm_budget_result {
    double total;                    /* the budget                            */
    int32_t n_keys;                  /* grouping columns of a cell            */
    char **keys;                     /* "branch", "tier", "stage", ...        */
    int32_t n_cells;
    char **cell_labels;              /* n_cells x n_keys labels                */
    int64_t *cell_subscribers;       /* active subscribers per cell           */
    int64_t *cell_candidates;        /* subscribers the lever can reach       */
    clm_budget_cell *cells[CLM_N_POLICIES]; /* n_cells each                   */
    clm_budget_cell totals[CLM_N_POLICIES];
    double threshold;                /* gain per cost of the last contact      */
    double seconds_candidates;       /* each candidate's gain if contacted      */
    double seconds_allocate;         /* the three policies' split (alloc_solve) */
} clm_budget_result;

typedef struct clm_scenario_result {
    int32_t horizon;
    double margin, discount;
    int32_t n_scenarios;
    char **names;                    /* n_scenarios                            */
    int32_t n_branches;
    char **branch_names;             /* n_branches, then "all"                 */
    clm_scenario_row *rows;          /* [s * (n_branches + 1) + b]; b = n_branches: company */
    double *base_active, *base_revenue;   /* company, months 0..horizon        */
    double *active, *revenue;        /* [s * (horizon + 1) + m]                */
    /* The net gain of each lever alone and what acting together adds. */
    int32_t *n_levers;               /* per scenario                           */
    char ***lever_names;             /* per scenario, n_levers names           */
    double **lever_net_gain;         /* per scenario, n_levers                 */
    double *interaction;             /* per scenario                           */
    clm_budget_result *budget;       /* NULL without [budget]                  */
    double seconds_baseline, seconds_scenarios, seconds_budget;
} clm_scenario_result;

/* The baseline and each scenario of `plan` over the book, and the budget.
 * n_threads 0: all cores.  Errors: CLM_E_PARAM naming the scenario and key
 * (an unknown branch, a renewal plan the model has no term for ...),
 * CLM_E_NOMEM. */
CLM_API clm_status clm_scenario_project(const clm_book *book, const clm_plan *plan, int32_t n_threads,
                                        clm_scenario_result **out);
CLM_API void clm_scenario_result_free(clm_scenario_result *result);

/* /scenarios (and /allocation) under `group` (NULL: "/scenarios"). */
CLM_API clm_status clm_scenario_save(const clm_scenario_result *result, clm_writer *writer,
                                     const char *group);
/* scenarios.csv, scenario_curves.csv, scenario_levers.csv. */
CLM_API void clm_scenario_write_csv(const clm_scenario_result *result, FILE *out);
CLM_API void clm_scenario_write_curves_csv(const clm_scenario_result *result, FILE *out);
CLM_API void clm_scenario_write_levers_csv(const clm_scenario_result *result, FILE *out);
/* scenario.html: self-contained, offline (src/report/scenario_html.c), in
 * the language `lang` names: "en" (English) or "zh" (Simplified Chinese);
 * NULL or any other name gives English.  Figures are scenarios.csv's,
 * formatted as report.html formats them (docs/run.md, "Numbers"). */
CLM_API void clm_scenario_write_html(const clm_scenario_result *result, const char *lang, FILE *out);
/* allocation.csv and allocation_policies.csv (a result with a budget). */
CLM_API void clm_budget_write_csv(const clm_budget_result *budget, FILE *out);
CLM_API void clm_budget_write_policies_csv(const clm_budget_result *budget, FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_SCENARIO_H */

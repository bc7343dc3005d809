/*
 * strategy_internal.h — the pieces of strategy modelling (docs/strategy.md).
 *
 *   plan.c      the plan file: scenarios, their levers, the budget
 *   target.c    which rows a lever reaches
 *   book.c      the base the projection starts from
 *   book_load.c the book of a finished run (its results.h5 and quarter)
 *   cohort.c    survival and ARPU profiles of new and won-back subscribers
 *   project.c   one scenario over the book: the per-row hot loop
 *   scenario.c  the baseline, every scenario, the lever waterfall
 *   budget.c    the budget's candidates, cells and policies
 *   allocate.c  the budget's split (allocate.h)
 *   output.c    scenarios.csv, the curves, /scenarios
 */
#ifndef CLMSEG_STRATEGY_INTERNAL_H
#define CLMSEG_STRATEGY_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "clmseg/kernels.h"
#include "kernels.h"
#include "clmseg/scenario.h"
#include "clmseg/stages.h"
#include "clmseg/tiers.h"

/* Levers in one scenario at most (acceptance states per row: 2^levers). */
#define PLAN_MAX_LEVERS 8

/* A target: every condition given must hold (an empty list: any). */
typedef struct plan_target {
    char **branches;               /* names; NULL: any                     */
    int n_branches;
    int32_t rank_lo, rank_hi;      /* health ranks (1 = healthiest), 0: any */
    int32_t worst;                 /* the `worst` least healthy, 0: any     */
    uint8_t tiers;                 /* bit per tier, 0: any                  */
    uint8_t stages;                /* bit per stage, 0: any                 */
    int32_t *segments;             /* NULL: any                             */
    int n_segments;
    char **plans;                  /* plan levels; NULL: any                */
    int n_plans;
    uint16_t deciles;              /* bit per risk decile 1..10, 0: any     */
    double leave_12_min;           /* P(leave within 12 m) at least; NaN: any */
    double arpu_min, arpu_max;     /* NaN: any                              */
} plan_target;

typedef struct plan_cost {
    double contact[CLM_N_TIERS];   /* per contacted subscriber, by tier    */
    double accept;                 /* per accepting (acquired, won) one     */
    double fixed;
} plan_cost;

typedef struct plan_lever {
    clm_lever_kind kind;
    char *name;                    /* "retention", or the section's suffix  */
    plan_target target;
    double hazard_ratio;           /* 1: none                               */
    double arpu_change;            /* share, 0: none                        */
    double take_up;                /* share accepting, 0..1                 */
    int32_t months;                /* months it acts from the snapshot (0: horizon) */
    char *to_plan;                 /* renewal                               */
    double recovery;               /* bad_debt: share of revenue recovered  */
    double new_per_month;          /* acquisition: per branch reached        */
    plan_cost cost;
    const char *where;             /* "file:line" of the section, for errors */
} plan_lever;

typedef struct plan_scenario {
    char *name;
    int n_levers;
    plan_lever levers[PLAN_MAX_LEVERS];
} plan_scenario;

typedef struct plan_budget {
    double total;
    plan_lever lever;
    char **cells;                  /* grouping: branch, tier, stage, segment, plan */
    int n_cells;
    double cap_all;                /* per branch, INFINITY: none            */
    char **cap_names;              /* per-branch caps                        */
    double *cap_values;
    int n_caps;
} plan_budget;

struct clm_plan {
    int32_t horizon;               /* 0: the caller's                        */
    int n_scenarios;
    plan_scenario *scenarios;
    int has_budget;
    plan_budget budget;
    char *path;
    char **wheres;                 /* the "file:line" strings levers point to */
    int n_wheres;
};

/* ---- the book ---------------------------------------------------------------- */

enum { BOOK_CHUNK = 4096 };

/* Active subscribers in branch order (rows of a branch in row order), so
 * that fixed chunks of rows lie within one branch and their sums can be
 * added in a fixed order. */
struct clm_book {
    int64_t n_rows;                /* of the quarter                         */
    int64_t n;                     /* active rows                            */
    int32_t n_branches;
    char **branch_names;           /* owned copies                           */
    int32_t *branch_rank;          /* per branch: 1 = healthiest             */
    int64_t *branch_start;         /* n_branches + 1 offsets into the arrays */
    /* Per active row, in book order. */
    int64_t *row;                  /* row of the quarter                     */
    double *r;                     /* relative hazard                        */
    int32_t *stratum;
    double *tenure;                /* months                                 */
    float *arpu;
    float *leave_12;
    uint8_t *tier, *stage, *decile, *debt;
    uint16_t *attr;                /* the four together: book_attr()          */
    int32_t *segment, *plan;       /* -1: none                               */
    int32_t n_segments;
    int32_t n_plans;
    char **plan_names;
    char *plan_column;
    /* The quarter's churners, in branch order. */
    int64_t n_churned;
    int64_t *churn_start;          /* n_branches + 1                        */
    uint8_t *churn_tier;
    int32_t *churn_segment, *churn_plan;
    float *churn_arpu;
    /* Recent joiners (tenure < new_months) and the profiles of new and
     * won-back subscribers taken from them once (cohort.c): survival from
     * tenure 0, months 0..horizon, and mean ARPU, per branch and per
     * segment (n_segments, or 1 without segments). */
    double new_months;
    double *join_branch, *join_branch_arpu;
    double *join_segment, *join_segment_arpu;
    /* Cumulative hazard per stratum on the month grid 0..grid_len-1. */
    int32_t n_strata;
    int64_t grid_len;
    double *grid;                  /* n_strata x grid_len                    */
    double *tail;                  /* per stratum: the tail rate             */
    /* The increments of every (stratum, whole tenure) cell, as floats:
     * incr[(s n_tau + tau) h + k] = H_s(tau + k + 1) - H_s(tau). */
    float *incr;
    int64_t n_tau;
    const clm_cox *cox;
    clm_cox *owned_cox;            /* loaded by clm_book_load, freed with it */
    int32_t horizon;
    double margin, discount;
    double *disc;                  /* (1 + d)^(-m/12), m = 0..horizon        */
    const clm_kernels *kernels;
};

/* H_s(tau + k) - H_s(tau), k = 1..h, into a[0..h) (the differences taken
 * in double precision, then rounded: the projection runs in float). */
void book_increments(const clm_book *book, int32_t stratum, double tau, int h, float *a);

/* The increments of active book row i: a pointer into the book's table
 * for a whole tenure, else computed into buf. */
static inline const float *book_increments_of(const clm_book *bk, int64_t i, float *buf)
{
    const double tau = bk->tenure[i];
    if (tau == floor(tau) && tau < (double)bk->n_tau)
        return bk->incr + ((size_t)bk->stratum[i] * (size_t)bk->n_tau + (size_t)tau) * (size_t)bk->horizon;
    book_increments(bk, bk->stratum[i], tau, bk->horizon, buf);
    return buf;
}

/* ---- targets ------------------------------------------------------------------ */

/* Per-branch mask of a target (1: the branch is reached), n_branches bytes,
 * or an error naming the unknown branch. */
clm_status target_branch_mask(const plan_target *t, const clm_book *book, const char *where,
                              uint8_t *mask);
/* Codes of the target's plans in the book's plan levels (bit set over
 * codes, n_plans bytes), or an error naming the unknown plan. */
clm_status target_plan_mask(const plan_target *t, const clm_book *book, const char *where,
                            uint8_t *mask);

/* A lever compiled against the book: the branch and plan masks and the
 * per-row conditions, checked in the hot loop. */
typedef struct lever_rt {
    const plan_lever *lever;
    uint8_t *branch_mask;          /* n_branches                            */
    uint8_t *plan_mask;            /* n_plans, or NULL: any plan            */
    uint8_t *segment_mask;         /* n_segments, or NULL                   */
    double *plan_ratio;            /* renewal: per plan code, the hazard ratio of
                                      moving to the target plan (NULL otherwise) */
    int32_t months;                /* resolved: 1..horizon                  */
    /* The tier, stage, decile and bad-debt conditions of the target as one
     * table over book_attr codes, and whether nothing else is asked (no
     * segment, plan, ARPU or leave_12 condition): the hot loop's test is
     * then one load. */
    uint8_t attr_ok[1024];
    int attr_only;
} lever_rt;

clm_status lever_compile(const plan_lever *lever, const clm_book *book, lever_rt *out);
void lever_release(lever_rt *rt);

static inline int target_row_ok(const plan_target *t, const lever_rt *rt, int tier, int32_t segment,
                                int32_t plan, double arpu)
{
    if (t->tiers && !(t->tiers >> tier & 1u))
        return 0;
    if (rt->segment_mask && (segment < 0 || !rt->segment_mask[segment]))
        return 0;
    if (rt->plan_mask && (plan < 0 || !rt->plan_mask[plan]))
        return 0;
    if (!isnan(t->arpu_min) && !(arpu >= t->arpu_min))
        return 0;
    if (!isnan(t->arpu_max) && !(arpu <= t->arpu_max))
        return 0;
    return 1;
}

/* A row's tier (2 bits), stage (3), risk decile - 1 (4) and bad-debt
 * flag (1) as one 10-bit code. */
static inline uint16_t book_attr(int tier, int stage, int decile, int debt)
{
    return (uint16_t)(tier | stage << 2 | (decile - 1) << 5 | (debt != 0) << 9);
}

/* 1 when active book row i, of branch b, is reached by the lever. */
static inline int lever_reaches(const lever_rt *rt, const clm_book *bk, int32_t b, int64_t i)
{
    if (!rt->branch_mask[b] || !rt->attr_ok[bk->attr[i]])
        return 0;
    if (rt->attr_only)
        return 1;
    const plan_target *t = &rt->lever->target;
    if (!isnan(t->leave_12_min) && !(bk->leave_12[i] >= t->leave_12_min))
        return 0;
    return target_row_ok(t, rt, bk->tier[i], bk->segment[i], bk->plan[i], bk->arpu[i]);
}

/* 1 when churner j of branch b is reached (win-back). */
static inline int lever_reaches_churner(const lever_rt *rt, const clm_book *bk, int32_t b, int64_t j)
{
    if (!rt->branch_mask[b])
        return 0;
    return target_row_ok(&rt->lever->target, rt, bk->churn_tier[j], bk->churn_segment[j],
                         bk->churn_plan[j], bk->churn_arpu[j]);
}

/* ---- one projection ---------------------------------------------------------------- */

/* The figures of one evaluation, per branch and for the company. */
typedef struct proj_sums {
    double targeted, accepting, cost;
    clm_scenario_figures fig;      /* the evaluation's (not the deltas')    */
} proj_sums;

typedef struct proj_out {
    int32_t n_branches;
    proj_sums *branch;             /* n_branches                            */
    proj_sums company;
    double *active, *revenue;      /* company curves, horizon + 1           */
    double *branch_gain;           /* per branch x (horizon + 1): discounted
                                      margin gain over the baseline by month */
} proj_out;

clm_status proj_alloc(proj_out *out, int32_t n_branches, int32_t horizon);
void proj_release(proj_out *out);

/* The baseline (no lever) into `base`; then the levers `rts` acting
 * together into `out` (the baseline plus the changes of the rows and
 * cohorts they reach). */
clm_status proj_baseline(const clm_book *book, int n_threads, proj_out *base);
clm_status proj_levers(const clm_book *book, const lever_rt *rts, int n_levers, const proj_out *base,
                       int n_threads, proj_out *out);

/* Per active book row, the change the lever makes if the row accepts:
 * equity gain, and the change in active after 12 months.  For the budget:
 * gain[i] and saves12[i] for every reached row, NaN elsewhere. */
clm_status proj_row_gains(const clm_book *book, const lever_rt *rt, int n_threads, float *gain,
                          float *saves12);

/* ---- cohorts ---------------------------------------------------------------------------- */

/* Mean survival from tenure 0 of the recent joiners of each group (by
 * branch or by segment), months 0..horizon, and their mean ARPU; a group
 * without joiners takes the company's.  prof: n_groups x (horizon + 1). */
clm_status cohort_profiles(const clm_book *book, int by_segment, double *prof, double *arpu);

/* ---- the budget ---------------------------------------------------------------------------- */

clm_status budget_solve(const clm_book *book, const plan_budget *budget, int n_threads,
                        clm_budget_result **out);
void budget_result_free(clm_budget_result *r);

#endif /* CLMSEG_STRATEGY_INTERNAL_H */

/*
 * allocate.h — the retention budget: how a total budget is split over the
 * candidates of a lever so that the expected net gain is largest, beside
 * two simple policies it is compared with.  Internal (no clm_ prefix); the
 * strategy step fills alloc_input from the projection engine's per
 * candidate figures and writes the per-cell results.
 *
 * The method and its optimality argument are in docs/strategy.md
 * ("The retention budget"): candidates with a positive gain are taken in
 * decreasing gain/cost, each as far as the budget and its cap group allow,
 * the last one of a budget or a cap fractionally.
 */
#ifndef CLMSEG_STRATEGY_ALLOCATE_H
#define CLMSEG_STRATEGY_ALLOCATE_H

#include <stdint.h>

#include "clmseg/status.h"

/* The candidates and the budget.  Every array has n entries unless said
 * otherwise; the caller owns them and alloc_solve only reads them. */
typedef struct alloc_input {
    int64_t n;                 /* candidates, 0 <= n <= UINT32_MAX (the ranking key
                                  holds a 32-bit candidate index)                  */
    const int32_t *cell;       /* cell of each candidate, in [0, n_cells)            */
    int32_t n_cells;
    const int32_t *cap_group;  /* group (branch) of each candidate for caps, or NULL */
    int32_t n_cap_groups;
    const double *cap;         /* per cap group: the most it may spend (INFINITY: none), or NULL;
                                  caps apply when cap_group and cap are both given  */
    const float *gain;         /* expected net gain if contacted (may be <= 0), finite */
    const float *cost;         /* expected spend if contacted, > 0 and finite        */
    const float *saves;        /* expected extra subscribers active after 12 months  */
    const uint8_t *high;       /* 1 when the candidate is in the high value tier (nonzero = high) */
    const int64_t *cell_subscribers; /* per cell: active subscribers (proportional policy), >= 0 */
    double total;              /* the budget, >= 0 (INFINITY: no limit)              */
    int n_threads;             /* 0: all cores; the result does not depend on it     */
} alloc_input;

/* What a policy does in one cell (or in all of them): money spent, expected
 * contacts (a fractional candidate counts its fraction), expected saves and
 * expected net gain. */
typedef struct alloc_cell { double spend, contacted, saves, net_gain; } alloc_cell;

typedef enum { ALLOC_OPTIMISED, ALLOC_PROPORTIONAL, ALLOC_HIGH_TIER, ALLOC_N_POLICIES } alloc_policy;

/* "optimised", "proportional", "high_tier": the names of the policies in
 * outputs, indexed by alloc_policy. */
extern const char *const alloc_policy_names[ALLOC_N_POLICIES];

typedef struct alloc_result {
    int32_t n_cells;
    alloc_cell *cells[ALLOC_N_POLICIES];   /* n_cells each                          */
    alloc_cell total[ALLOC_N_POLICIES];    /* the sum of cells[p] in cell order     */
    double threshold;          /* gain/cost of the last subscriber the optimised plan
                                  contacts; NAN when it contacts nobody             */
} alloc_result;

/* Splits in->total by the three policies (docs/strategy.md):
 *   optimised     every candidate with gain > 0 in decreasing gain/cost (the
 *                 float quotient; ties: lower index first), each taking
 *                 min(cost, budget left, its cap group's cap left);
 *   proportional  cell c gets total * cell_subscribers[c] / their sum and
 *                 spends it on its own candidates in the same order (the
 *                 cells draw on shared caps in that global order);
 *   high_tier     the whole budget on candidates with high[i] != 0 only.
 * A policy that runs out of positive-gain candidates leaves money unspent.
 *
 * Fills *out (its previous content is ignored; free it with
 * alloc_result_free).  Returns CLM_OK; CLM_E_PARAM for an impossible
 * setting (n < 0 or too large, a required array NULL, cap without
 * cap_group, total negative or NaN); CLM_E_VALUE naming the candidate or
 * cap group for a value out of range (cell or group outside its range, cost
 * not > 0, a gain or saves not finite, a cap negative or NaN); CLM_E_NOMEM.
 * On failure *out is left empty (safe to free).  `in` and `out` must not be
 * NULL.  The result is the same to the bit for any n_threads.  Memory at
 * the peak: two 24-byte records per positive-gain candidate, plus 512 KiB
 * per 2^20 candidates of counts.  Thread-safe for distinct outputs. */
clm_status alloc_solve(const alloc_input *in, alloc_result *out);

/* Frees the per-cell arrays of *r and empties it; NULL or an empty result
 * is fine. */
void alloc_result_free(alloc_result *r);

#endif /* CLMSEG_STRATEGY_ALLOCATE_H */

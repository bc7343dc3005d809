/*
 * cox_internal.h — src/cox: reading the rows into cells (cox_design.c),
 * the partial likelihood and Newton's method (cox_fit.c), concordance
 * (cox_concordance.c), the printed summary (cox_print.c), saving and
 * loading (cox_save.c), and the remaining value of the active rows
 * (cox_equity.c).  Data flow: table -> design -> fit -> model -> save /
 * equity; nothing flows back.
 */
#ifndef CLMSEG_COX_INTERNAL_H
#define CLMSEG_COX_INTERNAL_H

#include <stdint.h>

#include "clmseg/cox.h"
#include "clmseg/survival.h"
#include "core/comm_internal.h"
#include "kernels.h"


/* A coefficient whose standardised value passes this has run off to
 * infinity (perfect separation): e^20 is a hazard ratio of 5e8 per
 * standard deviation. */
#define COX_INFINITE_BETA 20.0

typedef enum { COX_NUMERIC = 0, COX_INDICATOR = 1 } cox_term_kind;

/* One column of the design: a numeric covariate, or the indicator of one
 * level of a categorical one. */
typedef struct cox_term {
    char *name;                /* "arpu" or "plan=Prepaid"                   */
    char *column;              /* the source column                          */
    char *level;               /* the level (indicators), else NULL          */
    int32_t code;              /* its code in the table being read           */
    cox_term_kind kind;
    double center, scale;      /* x_std = (x - center) / scale               */
} cox_term;

/* The rows of one (stratum, time, event) cell are contiguous in the design.
 * On several ranks every rank lists every cell of the table, with its own
 * rows of it (n may be 0) and the count over all ranks. */
typedef struct cox_cell {
    int32_t stratum;
    int32_t time;              /* index into cox_design.times                */
    int32_t event;             /* 0 censored, 1 event                        */
    int64_t row0, n;           /* this rank's rows [row0, row0 + n) of x     */
    int64_t all;               /* the cell's rows on every rank              */
} cox_cell;

/* Everything the iterations read, built once from the table.  On several
 * ranks (docs/design.md §7) each rank holds the table rows [row_first,
 * row_first + n_local), contiguous and in rank order: a cell's rows in the
 * serial order are rank 0's, then rank 1's, and so on, so the cell sums
 * run on through the ranks in that order (cox_cells_relay) and give the
 * serial bits. */
typedef struct cox_design {
    const comm_ctx *comm;      /* NULL or one rank: every row here           */
    int64_t row_first, n_local;
    int p;
    cox_term *terms;           /* p terms (owned)                            */
    int64_t n_rows, n_events;
    int32_t n_strata;
    char **stratum_labels;     /* n_strata (owned)                           */
    char *strata_name;         /* column or in-memory name, NULL: no strata  */
    int64_t n_times;
    double *times;             /* distinct times in months, ascending        */
    int64_t n_cells;
    cox_cell *cells;           /* non-empty cells, by (stratum, time, event) */
    double *x;                 /* n_local x p, standardised, in cell order   */
    double *event_sum;         /* p: sum of x over the events (each event
                                  cell's sum, added in cell order)          */
    /* What predicting needs to read a table the same way. */
    char *time_column, *event_column, *event_level, *strata_column;
    double time_unit_days;
} cox_design;

/* Reads `table` into a design; see clm_cox_fit_table for the errors.  On
 * the ranks of `comm` (NULL: one) each reads the rows cox_rank_rows gives
 * it (columns->strata_rows holds those rows' strata); every rank returns
 * the same status and message (the serial run's, at the first bad row). */
clm_status cox_design_build(const clm_cox_columns *columns, const clm_table *table,
                            int n_threads, const comm_ctx *comm, cox_design *design);

/* Each cell's fold over this rank's rows: continues the `width` sums at
 * `sums` (the cell's state so far) over the rows of cell c. */
typedef void (*cox_cell_fold)(const cox_design *d, int64_t c, double *sums, const void *arg);

/* Every cell's fold over the rows of every rank, in row order: the cells
 * go through the ranks in batches (rank r folds batch b while rank r + 1
 * folds batch b - 1), each rank going on from the state the rank before
 * it passed.  On return the last rank (the only one) holds every cell's
 * total in sums (n_cells x width); the others hold partial states.
 * Threads fold the cells of a batch, each cell on one thread. */
clm_status cox_cells_relay(const cox_design *d, int n_threads, size_t width, double *sums,
                           cox_cell_fold fold, const void *arg);

/* The rank that holds the totals of cox_cells_relay. */
static inline int cox_last_rank(const cox_design *d)
{
    return d->comm ? d->comm->size - 1 : 0;
}
void cox_design_free(cox_design *design);
void cox_terms_free(cox_term *terms, int p);

/* Partial log-likelihood, score and information at `beta` (standardised),
 * penalty included (ll_pen); `ll` without the penalty.  `info` is p x p
 * (full, symmetric).  `sums` is scratch of n_cells x (1 + p + p*p).
 * On several ranks every rank calls it and gets the same results.
 * `hazard`, when not NULL, receives the baseline hazard increment of each
 * event cell (index: cell), 0 elsewhere. */
typedef struct cox_eval {
    double ll, ll_pen;
    double *score;             /* p   */
    double *info;              /* p*p */
} cox_eval;

clm_status cox_evaluate(const cox_design *d, const clm_kernels *kernels, int n_threads,
                        clm_cox_ties ties, double l2, const double *beta, double *sums,
                        cox_eval *out, double *hazard);

/* Harrell's C of the linear predictor lp (one per design row), within
 * strata, as R's concordance for coxph: comparable pairs have the shorter
 * time an event (a censoring at the same time counts as longer); ties in
 * lp count one half.  NaN when no pair is comparable.  On several ranks
 * each rank counts the pairs of one range of lp, and every rank gets C
 * (the serial bits). */
clm_status cox_concordance(const cox_design *d, const double *lp, double *out);

/* The fitted model. */
struct clm_cox {
    clm_cox_params params;
    int p;
    cox_term *terms;
    char **term_names;         /* p pointers into terms (for the summary)    */
    double *beta;              /* standardised scale                         */
    double *coef, *se, *var;   /* original units                             */
    double loglik_null, loglik, lr_test, wald_test, score_test, concordance;
    int64_t n_rows, n_events;
    int32_t iterations;
    int32_t n_evals;           /* likelihood evaluations of the fit          */
    double design_seconds, eval_seconds; /* reading the rows; one evaluation */
    int32_t n_strata;
    char **stratum_labels;
    char *strata_name, *strata_column;
    char *time_column, *event_column, *event_level;
    double time_unit_days;
    /* Baseline per stratum: times with rows, cumulative hazard at the
     * centred covariates (the scale the fit works on) and at x = 0. */
    int64_t *base_n;           /* n_strata                                   */
    double **base_time, **base_cumhaz_c, **base_cumhaz;
    double lp_offset;          /* sum_j center_j coef_j: lp at x = 0 is -this */
};

/* Allocates the per-stratum baseline arrays of a model (n entries each). */
clm_status cox_model_alloc_baseline(clm_cox *model, int32_t n_strata);

#endif /* CLMSEG_COX_INTERNAL_H */

/*
 * clmseg/cox.h — Cox proportional hazards (survival regression) and each
 * active subscriber's remaining lifetime and value (customer equity).
 *
 * The model: the hazard of row i in stratum s at time t is
 *     h_s(t) exp(x_i' beta),
 * with a baseline h_s per stratum (segments differ in shape, not only in
 * scale).  beta maximises the partial likelihood (Breslow or Efron ties)
 * by Newton's method with step halving, as R's survival::coxph does, and
 * the figures follow coxph and summary(coxph): coefficients and standard
 * errors in the covariates' original units, the log-likelihood at 0 and
 * at the fit, the likelihood-ratio, Wald and score tests, Harrell's
 * concordance, and the baseline cumulative hazard at x = 0 per stratum
 * (basehaz(fit, centered = FALSE)).  docs/cox.md gives the formulas.
 *
 * Numeric covariates are centred and scaled internally (the ridge penalty
 * --l2 acts on that scale); a categorical covariate becomes one indicator
 * per level present, against its most frequent level.
 *
 * Speed by construction: rows are laid out once in (stratum, time, event)
 * cells, so every Newton iteration is one parallel pass over the rows,
 * summing e^{x'b}, x e^{x'b} and x x' e^{x'b} per cell (the last with one
 * BLAS rank-k update per block of rows), plus a sweep over the cells that
 * turns them into risk-set sums.  Nothing is sorted per iteration.  A cell
 * is summed by one thread in a fixed order, and cells are combined in cell
 * order, so the fit is bit-identical for any thread count.
 *
 * Usage: clm_cox_params_default(&p), clm_cox_columns_default(&c), set
 * c.features ...; clm_cox_fit_table(); read it with the getters or
 * clm_cox_print(); clm_cox_save() into a results file and clm_cox_load()
 * back; clm_cox_equity_table() for the remaining value of the active rows;
 * clm_cox_free().
 */
#ifndef CLMSEG_COX_H
#define CLMSEG_COX_H

#include <stdint.h>
#include <stdio.h>

#include "clmseg/export.h"
#include "clmseg/kernels.h"
#include "clmseg/status.h"
#include "clmseg/table.h"
#include "clmseg/writer.h"
#include "clmseg/equity.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clm_cox_ties {
    CLM_COX_EFRON = 0,   /* default, as R's coxph */
    CLM_COX_BRESLOW = 1
} clm_cox_ties;

/* "efron" or "breslow"; CLM_E_PARAM otherwise. */
CLM_API clm_status clm_cox_ties_parse(const char *text, clm_cox_ties *out);
CLM_API const char *clm_cox_ties_name(clm_cox_ties ties);

typedef struct clm_cox_params {
    clm_cox_ties ties;         /* default CLM_COX_EFRON                         */
    double l2;                 /* ridge penalty l2/2 |b|^2 on the standardised
                                  coefficients (indicators unscaled); default 0 */
    int32_t max_iter;          /* Newton iterations at most (default 30)        */
    double tol;                /* stop when the log-likelihood changes by less
                                  than tol relative (default 1e-12)              */
    int32_t n_threads;         /* 0: all cores                                  */
    const clm_kernels *kernels;/* NULL: clm_kernels_default()                   */
} clm_cox_params;

CLM_API void clm_cox_params_default(clm_cox_params *params);
/* CLM_E_PARAM naming the wrong parameter. */
CLM_API clm_status clm_cox_params_check(const clm_cox_params *params);

/* Which columns to use.  NULL fields take the defaults shown. */
typedef struct clm_cox_columns {
    const char *time;          /* "tenure_months"                               */
    const char *event;         /* "churned": 0/1, or a categorical with
                                  event_level                                   */
    const char *event_level;   /* category (or value) meaning the event         */
    const char *const *features; /* covariates: numeric or categorical columns */
    int n_features;
    const char *strata;        /* stratum column (categorical or integer), or
                                  NULL: the in-memory strata below, or none     */
    /* In-memory strata (e.g. the k-means segments), used when `strata` is
     * NULL and `strata_rows` is not: strata_rows[i] in [0, n_strata).
     * Borrowed for the duration of the call. */
    const int32_t *strata_rows;
    int32_t n_strata;
    const char *const *stratum_labels; /* n_strata names or NULL: "0", "1" ... */
    const char *strata_name;   /* what the strata are called ("segment")        */
    double time_unit_days;     /* as clm_survival_columns: 0 = months            */
} clm_cox_columns;

CLM_API void clm_cox_columns_default(clm_cox_columns *columns);

typedef struct clm_cox clm_cox;

/* Fits the model on every row of `table`.  Errors, each naming the file,
 * column and row where there is one: CLM_E_PARAM, CLM_E_SCHEMA (missing or
 * unusable column), CLM_E_VALUE (NaN or missing covariate, negative or
 * NaN time, bad event or stratum; a constant covariate; collinear
 * covariates; perfect separation: a coefficient that runs to infinity),
 * CLM_E_EMPTY (no rows, no events), CLM_E_NOMEM.  A stratum without
 * events adds nothing to the likelihood (as in R) and gets a zero
 * baseline hazard. */
CLM_API clm_status clm_cox_fit_table(const clm_cox_params *params,
                                     const clm_cox_columns *columns,
                                     const clm_table *table, clm_cox **out);

/* The fitted figures.  Arrays are owned by the model. */
typedef struct clm_cox_summary {
    int32_t n_terms;
    const char *const *terms;  /* "column" or "column=level"                    */
    const double *coef;        /* original units                                */
    const double *se;
    const double *var;         /* n_terms x n_terms covariance, original units  */
    double loglik_null, loglik; /* at beta = 0 and at the fit (penalty excluded) */
    double lr_test, wald_test, score_test; /* each on n_terms df                */
    double concordance;        /* Harrell's C, within strata                    */
    int64_t n_rows, n_events;
    int32_t iterations;
    int32_t n_strata;
    clm_cox_ties ties;
    double l2;
    /* Wall seconds of the fit (0 for a loaded model): reading the rows
     * into cells, and one likelihood evaluation (the pass an iteration
     * makes), the mean over the fit's evaluations. */
    double design_seconds, iteration_seconds;
} clm_cox_summary;

CLM_API void clm_cox_get_summary(const clm_cox *model, clm_cox_summary *out);

/* Strata of the model: their number, names ("all" without strata) and the
 * name of the stratum column (NULL without strata). */
CLM_API int32_t clm_cox_n_strata(const clm_cox *model);
CLM_API const char *clm_cox_stratum_label(const clm_cox *model, int32_t stratum);
CLM_API const char *clm_cox_strata_name(const clm_cox *model);

/* Baseline cumulative hazard of stratum s at x = 0, at every distinct time
 * of the stratum (R's basehaz(fit, centered = FALSE)). */
CLM_API void clm_cox_baseline(const clm_cox *model, int32_t stratum, int64_t *n_times,
                              const double **time, const double **cumhaz);

/* The centred baseline cumulative hazard of stratum s at time t (months),
 * the one the equity projection uses: the step function, then past the
 * stratum's last time its mean rate of the last 12 months.  NaN for a
 * stratum out of range. */
CLM_API double clm_cox_cumhaz(const clm_cox *model, int32_t stratum, double t);

/* In-memory strata "segment+decline" (the run's default, docs/cox.md): out[i]
 * = 2 segment[i] + decline[i] (-1 for a missing segment), so each segment
 * has one baseline for subscribers without a decline signal and one for
 * those with one; labels "S" and "S+decline".  `out` may be `segment`. */
CLM_API void clm_cox_segment_decline(const int32_t *segment, const uint8_t *decline, int64_t n_rows,
                                     int32_t *out);
#define CLM_COX_SEGMENT_DECLINE "segment+decline"

/* The summary laid out like R's summary(coxph). */
CLM_API void clm_cox_print(const clm_cox *model, FILE *out);

/* Writes the model under `group` (NULL: "/cox"): datasets terms, coef, se,
 * var, and what predicting needs (centre, scale, the baseline per stratum);
 * attributes loglik (null, final), concordance, ties, n_rows, n_events
 * (docs/formats.md). */
CLM_API clm_status clm_cox_save(const clm_cox *model, clm_writer *writer, const char *group);
/* Loads a model saved by clm_cox_save (group NULL: "/cox"). */
CLM_API clm_status clm_cox_load(const char *path, const char *group, int32_t n_threads,
                                clm_cox **out);
/* 1 when `path` holds a model under `group` (NULL: "/cox"), else 0. */
CLM_API int clm_cox_saved_in(const char *path, const char *group);

CLM_API void clm_cox_free(clm_cox *model);

/* ---- each active subscriber's remaining lifetime and value -------------- */

/* For every row of `table` (read with the model's columns, and `arpu`; the
 * event column says which rows are active; in-memory strata when the model
 * has them must come in `strata_rows`): the conditional survival
 * S_i(t_i + m) / S_i(t_i), m = 1..horizon, from the model, and the figures
 * above.  E_i = sum_m S_i(t_i+m)/S_i(t_i) ARPU_i margin (1+d)^(-m/12).
 * Past the last time of a stratum the baseline hazard continues at its mean
 * rate of the last 12 months (docs/cox.md).  Levels of a categorical the
 * model has not seen count as its reference level.  Errors as
 * clm_cox_fit_table. */
CLM_API clm_status clm_cox_equity_table(const clm_cox *model, const clm_equity_params *params,
                                        const char *arpu, const int32_t *strata_rows,
                                        const clm_table *table, clm_equity **out);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_COX_H */

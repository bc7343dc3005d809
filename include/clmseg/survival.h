/*
 * clmseg/survival.h — survival and lifetime value: Kaplan–Meier curves with
 * Greenwood standard errors and confidence bands, median lifetime and its
 * interval, S at chosen horizons, restricted mean survival time, the
 * Nelson–Aalen cumulative hazard, the log-rank test across strata, and the
 * cumulative lifetime-value curve per stratum (docs/survival.md).
 *
 * Figures follow R's survival package (survfit, print.survfit, survdiff):
 * the standard error is that of the cumulative hazard (-log S), as R's
 * survfit reports it; bands are R's "log" (default), "log-log" or "plain";
 * the median and its interval use print.survfit's rule (first time the
 * curve or band is <= 0.5, averaging with the next lower step when the
 * curve sits at 0.5 exactly).
 *
 * Two ways in:
 *   - in memory: clm_survival_create, clm_survival_add (any number of row
 *     blocks, counted in parallel), clm_survival_finish, then the getters;
 *   - from an open table: clm_survival_fit_table streams the columns
 *     through the same path (strata from a column or from memory).
 * Counting is one pass: events and censorings per (stratum, integer time)
 * cell, directly indexed, per-thread tables; times that are not integers
 * switch to a hash of distinct (stratum, time) pairs, sorted at the end.
 * Results are bit-identical for any thread count.
 */
#ifndef CLMSEG_SURVIVAL_H
#define CLMSEG_SURVIVAL_H

#include <stdint.h>
#include <stdio.h>

#include "clmseg/kernels.h"
#include "clmseg/export.h"
#include "clmseg/status.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Confidence band transformation (R survfit's conf.type). */
typedef enum clm_survival_conf_type {
    CLM_CONF_LOG = 0,     /* exp(log S -+ z se)                  */
    CLM_CONF_LOGLOG = 1,  /* exp(-exp(log(-log S) -+ z se/log S)) */
    CLM_CONF_PLAIN = 2    /* S -+ z se S, clipped to [0, 1]       */
} clm_survival_conf_type;

/* Parses "log", "log-log" or "plain"; CLM_E_PARAM otherwise. */
CLM_API clm_status clm_survival_conf_type_parse(const char *text, clm_survival_conf_type *out);
/* "log", "log-log", "plain". */
CLM_API const char *clm_survival_conf_type_name(clm_survival_conf_type type);

/* Most horizons --at may list. */
#define CLM_SURVIVAL_MAX_AT 32

typedef struct clm_survival_params {
    clm_survival_conf_type conf_type;  /* default CLM_CONF_LOG                      */
    double conf_level;        /* in (0, 1); default 0.95                   */
    int32_t horizon;          /* months for RMST and LTV; default 60       */
    double margin;            /* share of ARPU that is margin; default 1   */
    double discount;          /* annual discount rate >= 0; default 0.10   */
    int32_t n_at;             /* horizons where S is reported (default 4)  */
    double at[CLM_SURVIVAL_MAX_AT]; /* default 6, 12, 24, 36               */
    int32_t n_threads;        /* 0: all cores (omp_get_max_threads)        */
    int64_t max_cells;        /* cap of (times x strata) cells of a direct
                                 table per thread before the hash is used;
                                 default 1 << 22                           */
    /* Names used in error messages only (may be NULL): */
    const char *source;       /* input file                                */
    const char *time_column, *event_column, *stratum_column, *arpu_column;
    clm_progress_fn progress; /* may be NULL                               */
    void *progress_ctx;
    const clm_kernels *kernels; /* NULL: clm_kernels_default() */
} clm_survival_params;

/* Fills the defaults above. */
CLM_API void clm_survival_params_default(clm_survival_params *params);

/* Checks the parameters alone: CLM_E_PARAM naming the wrong one. */
CLM_API clm_status clm_survival_params_check(const clm_survival_params *params);

typedef struct clm_survival clm_survival;

/* One Kaplan–Meier curve: a stratum, or the overall curve.  Arrays have
 * n_times entries (the distinct times with an event or a censoring, in
 * increasing order), except survival_at (n_at) and ltv (horizon + 1: LTV
 * after 0, 1, ..., horizon months).  NaN marks a value R reports as NA
 * (a band at S = 0, a median never reached, S past the last time).
 * Everything is owned by the clm_survival and valid until it is freed. */
typedef struct clm_survival_curve {
    const char *label;         /* category, integer value, or "all"        */
    int64_t n_rows;            /* subscribers in the stratum               */
    int64_t n_events;          /* events (churns)                          */
    int64_t n_times;
    const double *time;
    const int64_t *at_risk;    /* at risk just before time[j]              */
    const int64_t *events;     /* events at time[j]                        */
    const int64_t *censored;   /* censored at time[j]                      */
    const double *survival;    /* Kaplan–Meier S(time[j])                  */
    const double *std_err;     /* Greenwood SE of -log S (R's std.err)     */
    const double *lower, *upper; /* confidence band                        */
    const double *cumhaz;      /* Nelson–Aalen cumulative hazard           */
    double median, median_lower, median_upper;
    double rmst;               /* restricted mean survival to the horizon  */
    double arpu_mean;          /* NaN without an ARPU column               */
    int32_t n_at;
    const double *at;          /* the horizons                             */
    const double *survival_at; /* S at each horizon, NaN past last time    */
    int32_t horizon;
    const double *ltv;         /* cumulative LTV, horizon + 1 values; NULL
                                  without an ARPU column                   */
} clm_survival_curve;

/* Log-rank test across strata (R's survdiff, rho = 0). */
typedef struct clm_logrank {
    double chisq;
    int32_t df;                /* strata with expected events > 0, minus 1 */
    double p_value;            /* upper tail of chi-square(df)             */
    int32_t n_sparse;          /* strata with expected events in (0, 5):
                                  when they are many the chi-square
                                  approximation is poor (docs/survival.md) */
} clm_logrank;

/* Creates an empty estimator for `n_strata` >= 1 strata.  `labels` names
 * them (copied; NULL gives "0", "1", ...).  Row strata are given to
 * clm_survival_add as slots 0 .. n_strata - 1, or n_strata for a row whose
 * stratum is missing (it counts in the overall curve only).
 * Errors: CLM_E_PARAM (bad params or n_strata), CLM_E_NOMEM. */
CLM_API clm_status clm_survival_create(const clm_survival_params *params,
                               int32_t n_strata, const char *const *labels,
                               clm_survival **out);

/* Counts a block of n_rows rows (the next rows of the input, for error
 * messages), in parallel.  time[i] >= 0 finite (months; integers use the
 * direct table), event[i] 0 or 1, stratum[i] as above (NULL: all in
 * stratum 0), arpu[i] finite (NULL: no LTV; must be NULL for every block or
 * for none).  A bad row fails with CLM_E_VALUE naming the source, column
 * and row, and leaves the estimator unusable.  Errors also CLM_E_NOMEM,
 * CLM_E_PARAM (called after finish). */
CLM_API clm_status clm_survival_add(clm_survival *surv, int64_t n_rows,
                            const double *time, const uint8_t *event,
                            const int32_t *stratum, const double *arpu);

/* Builds the curves, the log-rank test and the LTV curves.  CLM_E_EMPTY if
 * no row was added; CLM_E_NOMEM. */
CLM_API clm_status clm_survival_finish(clm_survival *surv);

/* Number of curves after finish: the strata that have rows, in slot order,
 * then the overall curve (last).  0 before finish. */
CLM_API int32_t clm_survival_n_curves(const clm_survival *surv);
CLM_API const clm_survival_curve *clm_survival_curve_at(const clm_survival *surv,
                                                int32_t index);
/* The log-rank test (chisq 0, df 0, p 1 with fewer than two strata). */
CLM_API const clm_logrank *clm_survival_logrank(const clm_survival *surv);
/* Rows counted in the overall curve only (missing stratum). */
CLM_API int64_t clm_survival_n_missing_stratum(const clm_survival *surv);
/* The parameters the estimator was created with. */
CLM_API const clm_survival_params *clm_survival_get_params(const clm_survival *surv);

/* Frees everything.  NULL is fine. */
CLM_API void clm_survival_free(clm_survival *surv);

/* ---- from an HDF5 table ------------------------------------------------- */

/* Which columns to use.  NULL fields take the defaults shown. */
typedef struct clm_survival_columns {
    const char *time;         /* "tenure_months"                               */
    const char *event;        /* "churned": 0/1 numeric or boolean, or a
                                 categorical with event_level                 */
    const char *event_level;  /* category meaning "event" (e.g. "Yes"); NULL:
                                 a two-level categorical needs it, numeric
                                 columns must be 0/1                          */
    const char *by;           /* stratum column of the table; NULL: overall
                                 curve only (or the strata below)             */
    const char *arpu;         /* ARPU column; NULL: no LTV                     */
    /* Strata already in memory (e.g. the segment labels of a k-means fit),
     * used when `strata` is not NULL and `by` is NULL: strata[i] in
     * [0, n_strata) for row i, or -1 for a row without a stratum.  Borrowed
     * for the duration of the fit. */
    const int32_t *strata;
    int32_t n_strata;
    const char *const *stratum_labels; /* n_strata names, or NULL: "0", "1", ... */
    const char *strata_name;  /* name of the strata in messages ("segment")    */
    /* Days per unit of the time column; times are converted to months
     * (30.4375 days, a Julian year / 12) as they are read, so S(12), the
     * horizons and LTV are in months whatever the unit.  0 (default) or
     * 30.4375: months; 7: weeks; 1: days.  See clm_survival_time_unit. */
    double time_unit_days;
} clm_survival_columns;

/* Days in the month every duration is converted to: a Julian year / 12
 * (487/16, a binary fraction, so whole days convert exactly). */
#define CLM_DAYS_PER_MONTH 30.4375

/* Days per unit for "months", "weeks" or "days" (CLM_E_PARAM otherwise). */
CLM_API clm_status clm_survival_time_unit(const char *name, double *days);

/* Streams the columns of an open table in blocks of 16 x CLM_BLOCK_ROWS
 * (read on the calling thread, counted in parallel) and finishes the
 * estimator.  A categorical `by` gives one stratum per category (code -1:
 * missing); an integer-valued column one stratum per distinct value (NaN:
 * missing).  Errors: those of clm_table.h / clm_survival_add, CLM_E_SCHEMA
 * for a missing or unusable column, CLM_E_PARAM for in-memory strata out
 * of range, CLM_E_VALUE for bad values (file, column and row). */
CLM_API clm_status clm_survival_fit_table(const clm_survival_params *params,
                                  const clm_survival_columns *columns,
                                  const clm_table *table, clm_survival **out);

/* ---- outputs ------------------------------------------------------------ */

/* Writes the curves in the long layout (docs/survival.md, Outputs):
 * /survival/<by> holds, for the strata with rows in stratum order, the
 * per-time fields time, at_risk, events, censored, survival, std_err,
 * lower, upper, cumhaz concatenated (stratum s at offset[s], n_times[s]
 * points), one dataset per per-stratum figure (label, n_rows, n_events,
 * n_times, offset, median, median_lower, median_upper, rmst, arpu_mean),
 * survival_at [strata x n_at] and ltv [strata x horizon + 1] (with ARPU);
 * the shared settings and the log-rank test as attributes.  The overall
 * curve goes to /survival/all in the same layout (one stratum), unless the
 * file has it already.  `by` NULL: only /survival/all; a '/' in `by`
 * becomes '_'.  About twenty objects whatever the number of strata.
 * Errors: those of the writer, CLM_E_NOMEM, CLM_E_PARAM before finish. */
CLM_API clm_status clm_survival_write_h5(const clm_survival *surv, clm_writer *writer,
                                 const char *by);

/* Tidy CSV, one row per (stratum, time): stratum, time, at_risk, events,
 * censored, survival, std_err, lower, upper, cumhaz, ltv (LTV after
 * floor(time) months; empty past the horizon or without ARPU). */
CLM_API clm_status clm_survival_write_csv(const clm_survival *surv, FILE *out);

/* The printed summary: one line per curve (n, events, median and CI, S at
 * the horizons, RMST, LTV) and the log-rank line. */
CLM_API void clm_survival_print(const clm_survival *surv, FILE *out, const char *by);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_SURVIVAL_H */

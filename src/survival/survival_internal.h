/*
 * survival_internal.h — the estimator's state, shared by the files of
 * src/survival: counting (survival.c), the hash of continuous times
 * (survival_hash.c), curve statistics (survival_km.c), the log-rank test
 * (survival_logrank.c), the table driver (survival_table.c) and the outputs
 * (survival_write.c, survival_print.c).
 */
#ifndef CLMSEG_SURVIVAL_INTERNAL_H
#define CLMSEG_SURVIVAL_INTERNAL_H

#include <stdint.h>

#include "clmseg/survival.h"
#include "core/comm_internal.h"
#include "kernels.h"

/* Rows per chunk handed to a thread; a 64 Ki block has 16 chunks. */
#define SURV_CHUNK_ROWS 4096
/* clm_survival_add counts at most this many rows per pass (a multiple of
 * SURV_LANES chunks, so the lanes see their chunks in the same order), so
 * that one pass cannot overflow the uint32 tables. */
#define SURV_MAX_PASS_ROWS ((int64_t)1 << 30)
/* ARPU sums are kept per lane: chunk c of a block goes to lane c % LANES,
 * lanes are summed in order at the end, so the floating-point sums do not
 * depend on which thread ran which chunk. */
#define SURV_LANES 16

/* Hash of distinct (slot, time) pairs, used once a time is not an integer
 * or the direct table would be too large. */
typedef struct surv_hash {
    int64_t capacity;    /* power of two                        */
    int64_t n_entries;
    int64_t *index;      /* capacity slots: entry index or -1   */
    int32_t *slot;       /* per entry                            */
    double *time;        /* per entry                            */
    int64_t *counts;     /* per entry: [censored, events]        */
    int64_t entry_capacity;
} surv_hash;

int surv_hash_init(surv_hash *hash);
void surv_hash_free(surv_hash *hash);
/* Adds `count` rows with event flag `event` at (slot, time); 0 or -1 on
 * allocation failure. */
int surv_hash_add(surv_hash *hash, int32_t slot, double time, int event, int64_t count);

/* One curve's storage (the public view points into it). */
typedef struct surv_curve {
    clm_survival_curve view;
    char *label;
    double *time;
    int64_t *at_risk, *events, *censored;
    double *survival, *std_err, *lower, *upper, *cumhaz;
    double *survival_at;
    double *ltv;
} surv_curve;

struct clm_survival {
    clm_survival_params params;
    char *names[5];          /* owned copies: source, time, event, stratum, arpu */
    int32_t n_strata;
    int32_t n_slots;         /* n_strata + 1 (the last: missing stratum)  */
    char **labels;           /* n_strata                                   */
    int n_threads;
    int failed;              /* a bad row was seen: no more adds           */
    int finished;
    int has_arpu;            /* -1 unknown (no block yet), 0, 1            */
    int64_t rows_seen;
    int64_t row_base;        /* global row of the first row added: the
                                rank's first row on several ranks, else 0
                                (error messages name global rows)          */

    /* Direct mode: per-thread tables of n_times x n_slots x 2 counts,
     * uint32 (compact for the cache), added into the int64 totals before
     * 2^32 rows can have reached one cell. */
    int hashed;              /* 0: direct tables, 1: hash                  */
    int64_t n_times;         /* table capacity in integer times            */
    uint32_t **tables;       /* n_threads                                  */
    int64_t *totals;         /* n_times x n_slots x 2                      */
    int64_t rows_since_flush;/* rows counted since the tables were added in */
    surv_hash hash;

    double *lane_sums;       /* SURV_LANES x n_slots                       */
    const clm_kernels *kernels; /* params.kernels resolved: every kernel call */

    /* Results. */
    int32_t n_curves;
    surv_curve *curves;
    clm_logrank logrank;
    int64_t n_missing;
};

/* Per-(slot, time) counts in time order within each slot, the input of the
 * curve statistics: entries [first[s], first[s+1]) belong to slot s. */
typedef struct surv_cells {
    int64_t n_entries;
    int64_t *first;          /* n_slots + 1 */
    double *time;
    int64_t *censored, *events;
} surv_cells;

void surv_cells_free(surv_cells *cells);
/* Room for n_entries cells of n_slots slots (first[] zeroed); 0 or -1. */
int surv_cells_alloc(surv_cells *cells, int32_t n_slots, int64_t n_entries);
/* The counted rows as cells per slot and the overall curve's cells (all
 * in one slot); 0, or -1 when out of memory. */
int surv_cells_build(clm_survival *s, surv_cells *cells, surv_cells *all);
/* The overall curve's cells from the per-slot ones: sorted by time, equal
 * times merged; 0 or -1. */
int surv_cells_overall(const surv_cells *in, surv_cells *out);
/* The finish step from the cells (and the ARPU lane sums, rows_seen and
 * has_arpu of `s`): curves, log-rank test, LTV. */
clm_status surv_finish_cells(clm_survival *s, const surv_cells *cells, const surv_cells *all);

/* A distinct (slot, time) pair with its counts, for sorting. */
typedef struct surv_pair {
    double time;
    int32_t slot;
    int64_t censored, events;
} surv_pair;

/* qsort order of surv_pair: by slot, then by time. */
int surv_cmp_slot_time(const void *a, const void *b);

/* On several ranks (survival_ranks.c).  surv_relay_arpu: the lane sums of
 * the whole table, on every rank, from this rank's n_rows rows (from
 * global row first_row, a chunk boundary) of ARPU and slots (NULL: slot
 * 0), summed in the serial run's order.  surv_finish_ranks: the finish
 * step on the counts of every rank, merged. */
clm_status surv_relay_arpu(clm_survival *s, const comm_ctx *comm, int64_t first_row,
                           int64_t n_rows, const double *arpu, const int32_t *slot);
clm_status surv_finish_ranks(clm_survival *s, const comm_ctx *comm);

/* Fills the statistics of one curve from its time-ordered counts.
 * discount_factors[h] = pow(1 + discount, h / 12.0) for h = 0..horizon
 * (computed once for all curves), or NULL to compute them here; z is the
 * band quantile util_qnorm(1 - (1 - conf_level) / 2), also computed once
 * (200,000 branch curves spent a fifth of their time on it). */
clm_status surv_curve_build(const clm_survival_params *params, const char *label,
                            int64_t n_entries, const double *time,
                            const int64_t *censored, const int64_t *events,
                            double arpu_mean, const double *discount_factors, double z,
                            surv_curve *curve);
void surv_curve_free(surv_curve *curve);

/* The R print.survfit median rule on (time, y) pairs; NaN if not reached. */
double surv_median_rule(int64_t n, const double *time, const double *y);

/* Log-rank test over the strata curves (not the overall one), its dense
 * loops run by `kernels`.  Up to SURV_LR_DENSE_MAX compared strata it
 * factors the q x q covariance (as R's survdiff); beyond, the Woodbury form
 * over the event times keeps time and memory linear in the strata
 * (survival_logrank.c).  surv_logrank_with takes the switch point (tests
 * compare the two forms). */
#define SURV_LR_DENSE_MAX 2000
/* Expected events below which a stratum counts as sparse (the usual rule
 * of thumb for the chi-square approximation: about 5 per stratum). */
#define SURV_LR_SPARSE 5.0

/* Days in a month of survival time (a Julian year / 12; 487/16, exact in
 * binary). */
clm_status surv_logrank(const clm_kernels *kernels, const surv_curve *curves,
                        int32_t n_strata_curves, const surv_curve *overall, clm_logrank *out);
clm_status surv_logrank_with(const clm_kernels *kernels, const surv_curve *curves,
                             int32_t n_strata_curves, const surv_curve *overall, int32_t dense_max,
                             clm_logrank *out);

#endif /* CLMSEG_SURVIVAL_INTERNAL_H */

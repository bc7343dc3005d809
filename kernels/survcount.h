/*
 * survcount.h — the hot loops of survival estimation: checking a chunk of
 * rows and counting events and censorings per (integer time, stratum) cell.
 *
 * The survival driver (src/survival/) reads a block, then splits it into
 * fixed chunks that threads process; each chunk is scanned (validity,
 * largest time, first fractional time) and counted into the calling
 * thread's table in one pass (clm_k_survchunk_f64; the separate scan and
 * count kernels remain for the chunks that had to wait for the table to
 * grow).  Counts are integers, so merging per-thread tables in any order
 * gives the same result; sums of ARPU are floating point and are kept per
 * chunk lane by the driver, in row order here.
 *
 * Table layout: counts[(t * n_slots + s) * 2 + e] for integer time t,
 * stratum slot s and event flag e (0 = censored, 1 = event).  Time-major, so
 * the table grows in t by appending.  Counts are uint32 (half the cache
 * footprint of int64: the table of 73 months x 301 strata is 176 KB); the
 * driver adds them into int64 totals before 2^32 rows can reach one cell.
 *
 * Kernels: no allocation, no I/O, no OpenMP.  Each has a plain reference
 * (_ref) and an AVX2 + FMA variant (_avx2: call only when the CPU has both),
 * which give identical results.  The driver calls the survscan_f64,
 * survcount_f64 and survchunk_f64 slots of its kernel context (kernels.h).
 */
#ifndef CLMSEG_KERNELS_SURVCOUNT_H
#define CLMSEG_KERNELS_SURVCOUNT_H

#include <stdint.h>

/* Why a row cannot be counted (first one found in row order). */
enum {
    CLM_K_SURV_OK = 0,
    CLM_K_SURV_TIME_NAN = 1,      /* time is NaN or infinite        */
    CLM_K_SURV_TIME_NEGATIVE = 2, /* time < 0                       */
    CLM_K_SURV_EVENT = 3,         /* event flag is not 0 or 1       */
    CLM_K_SURV_STRATUM = 4,       /* stratum slot outside [0, n)    */
    CLM_K_SURV_ARPU_NAN = 5       /* ARPU is NaN or infinite        */
};

/* Result of scanning a chunk. */
typedef struct clm_k_survscan_result {
    int64_t bad_row;       /* first row (chunk-relative) that is invalid, or -1 */
    int32_t bad_reason;    /* CLM_K_SURV_* of bad_row                           */
    int64_t fraction_row;  /* first valid row whose time is not an integer, -1  */
    double max_time;       /* largest time among valid rows (0 if none)         */
} clm_k_survscan_result;

/* Scans rows [0, n_rows): time[i] must be finite and >= 0, event[i] 0 or 1,
 * stratum[i] in [0, n_slots) (stratum may be NULL: every row in slot 0),
 * arpu[i] finite (arpu may be NULL).  Rows after the first invalid one are
 * not looked at.  n_rows may be 0. */
void clm_k_survscan_f64_ref(int64_t n_rows, const double *time,
                            const uint8_t *event, const int32_t *stratum,
                            int32_t n_slots, const double *arpu,
                            clm_k_survscan_result *result);
void clm_k_survscan_f64_avx2(int64_t n_rows, const double *time,
                             const uint8_t *event, const int32_t *stratum,
                             int32_t n_slots, const double *arpu,
                             clm_k_survscan_result *result);

/* Adds every row to counts[(time * n_slots + slot) * 2 + event].  The rows
 * must have passed the scan: integer times, time < the table's time count,
 * valid events and slots (not checked here).  stratum may be NULL. */
void clm_k_survcount_f64_ref(int64_t n_rows, const double *time,
                             const uint8_t *event, const int32_t *stratum,
                             int32_t n_slots, uint32_t *counts);
void clm_k_survcount_f64_avx2(int64_t n_rows, const double *time,
                              const uint8_t *event, const int32_t *stratum,
                              int32_t n_slots, uint32_t *counts);

/* sums[slot] += arpu[i] for every row, in row order (so every variant gives
 * the same floating-point result).  stratum may be NULL. */
void clm_k_stratum_sum_f64_ref(int64_t n_rows, const double *arpu,
                               const int32_t *stratum, double *sums);

/* Scan, count and ARPU sum of one chunk in a single pass over its rows (the
 * driver's hot path: the rows are read from memory once and counted while
 * still in L1).  result is exactly clm_k_survscan_f64_ref's.  Then:
 *   - no bad row, no fractional time and max_time < n_times: every row is
 *     added to counts (as clm_k_survcount_f64_ref) and 1 is returned;
 *   - otherwise counts are left unchanged and 0 is returned (the driver
 *     grows its table or moves to the hash, then counts the chunk again);
 *   - with arpu and no bad row, sums[slot] += arpu[i] in row order (as
 *     clm_k_stratum_sum_f64_ref) whether or not the chunk was counted; with
 *     a bad row the sums are unspecified (the driver fails the estimator).
 * n_times may be 0 (nothing is counted).  stratum and arpu may be NULL
 * (sums is then unused when arpu is NULL).  counts must hold
 * n_times * n_slots * 2 cells, fewer than 2^31. */
int clm_k_survchunk_f64_ref(int64_t n_rows, const double *time, const uint8_t *event,
                            const int32_t *stratum, int32_t n_slots, const double *arpu,
                            int64_t n_times, uint32_t *counts, double *sums,
                            clm_k_survscan_result *result);
int clm_k_survchunk_f64_avx2(int64_t n_rows, const double *time, const uint8_t *event,
                             const int32_t *stratum, int32_t n_slots, const double *arpu,
                             int64_t n_times, uint32_t *counts, double *sums,
                             clm_k_survscan_result *result);

#endif /* CLMSEG_KERNELS_SURVCOUNT_H */

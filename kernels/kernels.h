/*
 * kernels.h — the kernel context: one slot (function pointer) per hot
 * loop, the way BLIS keeps its context.  A context is filled with the
 * `_ref` references first; then each slot a tuned variant improves, and
 * that this CPU can run, is overridden.  That happens once per process,
 * in src/core/kernels.c, behind pthread_once; afterwards the contexts are
 * read-only, so any thread may call through them.
 *
 * Drivers never name a variant: they resolve the context of their model
 * (params.kernels, NULL meaning clm_kernels_default()) once, keep the
 * pointer with their data, and call every kernel through its slot.  The
 * contract of each slot is that of the `_ref` function it starts as (see
 * the header of that kernel).
 *
 * Variant names say the instruction set: `_ref` (plain C11), `_sse2` (the
 * x86-64 baseline: unrolled C and SSE2, installed on every x86-64 build),
 * `_avx2` (AVX2, with FMA where the kernel says so), `_avx512`
 * (AVX-512F).
 */
#ifndef CLMSEG_KERNELS_INTERNAL_H
#define CLMSEG_KERNELS_INTERNAL_H

#include <stdint.h>

#include "clmseg/kernels.h"

#include "argmin.h"
#include "centroid_update.h"
#include "coxsums.h"
#include "dots.h"
#include "expneg.h"
#include "histogram.h"
#include "logrank.h"
#include "split_scan.h"
#include "sqdist.h"
#include "survcount.h"

struct clm_kernels {
    const char *name; /* "ref", "sse2", "avx2" or "avx512": the widest set used */

    /* k-means (kernels/argmin.h, centroid_update.h, dots.h, sqdist.h) */
    void (*argmin_f32)(const float *dots, int64_t ld, int64_t n_rows, int k,
                       const float *centroid_norms, const float *row_norms,
                       int32_t *labels, float *min_dist);
    int64_t (*centroid_update_f32)(const float *rows, int64_t n_rows, int n_features,
                                   const int32_t *old_labels, const int32_t *new_labels,
                                   const float *weights, double *sums, double *counts);
    void (*dots_f32)(const float *x, int64_t n_rows, int d, const float *ct, int ldc,
                     float *dots);
    void (*sqdist_f64)(const float *rows, int64_t n_rows, int n_features,
                       const int32_t *labels, const float *centroids, double *out);
    void (*sqdist_many_f64)(const float *rows, int64_t n_rows, int n_features,
                            const float *centres, int n_centres, double *out);

    /* tree (kernels/histogram.h, split_scan.h) */
    void (*hist_u8)(const uint8_t *bins, int n_features, const uint8_t *y, int n_classes,
                    const int32_t *rows, int64_t first_row, int64_t n_rows, uint32_t *hist);
    int64_t (*route_hist_u8)(const uint8_t *bins, int n_features, const uint8_t *y,
                             int n_classes, uint8_t *labels, int64_t first_row,
                             int64_t n_rows, uint8_t slot, int feature,
                             const uint8_t *goes_left, uint8_t left_label,
                             uint8_t right_label, int count_side, uint32_t *hist,
                             int64_t *n_left);
    int64_t (*label_rows_u8)(const uint8_t *labels, int64_t first_row, int64_t n_rows,
                             uint8_t slot, int32_t *rows);
    void (*split_scan_f64)(const double *weighted, const int64_t *counts,
                           const int32_t *order, int n_order, int n_classes, int criterion,
                           int64_t min_leaf, clm_k_split_best *best);

    /* survival (kernels/survcount.h, logrank.h) */
    void (*survscan_f64)(int64_t n_rows, const double *time, const uint8_t *event,
                         const int32_t *stratum, int32_t n_slots, const double *arpu,
                         clm_k_survscan_result *result);
    void (*survcount_f64)(int64_t n_rows, const double *time, const uint8_t *event,
                          const int32_t *stratum, int32_t n_slots, uint32_t *counts);
    int (*survchunk_f64)(int64_t n_rows, const double *time, const uint8_t *event,
                         const int32_t *stratum, int32_t n_slots, const double *arpu,
                         int64_t n_times, uint32_t *counts, double *sums,
                         clm_k_survscan_result *result);
    void (*logrank_batch_f64)(int32_t q, int32_t n_batch, const double *weight,
                              const double *shares, double *var);
    int (*cholesky_upper_f64)(int64_t m, double *a);

    /* Cox regression (kernels/coxsums.h) */
    void (*cox_sums_f64)(const double *x, int64_t n_rows, int p, const double *beta,
                         double *sums);
    /* customer equity (kernels/expneg.h) */
    void (*expneg_f64)(double r, const double *a, int64_t n, double *q);
    /* scenario projection (kernels/expneg.h) */
    void (*expneg_f32)(float r, const float *a, int64_t n, float *q);
};

/* The context a model uses: `kernels` itself, or the default one when it
 * is NULL (the value clm_*_params_default() leaves). */
static inline const clm_kernels *kernels_resolve(const clm_kernels *kernels)
{
    return kernels ? kernels : clm_kernels_default();
}

#endif /* CLMSEG_KERNELS_INTERNAL_H */

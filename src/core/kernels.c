/*
 * kernels.c — builds the two kernel contexts of the process (see
 * kernels/kernels.h and clmseg/kernels.h).
 *
 * Both are filled once, under pthread_once, so that concurrent first
 * calls (from an OpenMP team, say) neither race nor see a half-filled
 * table: the reference context with the `_ref` functions, then the
 * default context as a copy of it whose slots are overridden by the
 * variants this CPU supports (__builtin_cpu_supports, so the default build
 * runs on any x86-64).  CLMSEG_KERNELS=ref, read here and nowhere else,
 * keeps the default context equal to the reference one.  This lives in
 * src/core rather than kernels/ because it reads the environment and
 * needs pthread; kernels/ holds loops only.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static clm_kernels reference_context;
static clm_kernels tuned_context;
static const clm_kernels *default_context;
static pthread_once_t contexts_once = PTHREAD_ONCE_INIT;

static void fill_reference(clm_kernels *k)
{
    k->name = "ref";
    k->argmin_f32 = clm_k_argmin_f32_ref;
    k->centroid_update_f32 = clm_k_centroid_update_f32_ref;
    k->dots_f32 = clm_k_dots_f32_ref;
    k->sqdist_f64 = clm_k_sqdist_f64_ref;
    k->sqdist_many_f64 = clm_k_sqdist_many_f64_ref;
    k->hist_u8 = clm_k_hist_u8_ref;
    k->route_hist_u8 = clm_k_route_hist_u8_ref;
    k->label_rows_u8 = clm_k_label_rows_u8_ref;
    k->split_scan_f64 = clm_k_split_scan_f64_ref;
    k->survscan_f64 = clm_k_survscan_f64_ref;
    k->survcount_f64 = clm_k_survcount_f64_ref;
    k->survchunk_f64 = clm_k_survchunk_f64_ref;
    k->logrank_batch_f64 = clm_k_logrank_batch_f64_ref;
    k->cholesky_upper_f64 = clm_k_cholesky_upper_f64_ref;
    k->cox_sums_f64 = clm_k_cox_sums_f64_ref;
    k->expneg_f64 = clm_k_expneg_f64_ref;
    k->expneg_f32 = clm_k_expneg_f32_ref;
}

/* Overrides, from the narrowest instruction set to the widest, the slots
 * whose variant this CPU can run. */
static void override_tuned(clm_kernels *k)
{
#if defined(__x86_64__) && defined(__SSE2__)
    /* SSE2 is part of x86-64: no run-time check. */
    k->name = "sse2";
    k->hist_u8 = clm_k_hist_u8_sse2;
    k->route_hist_u8 = clm_k_route_hist_u8_sse2;
    k->label_rows_u8 = clm_k_label_rows_u8_sse2;
    k->split_scan_f64 = clm_k_split_scan_f64_sse2;
#endif
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2");
    const int fma = __builtin_cpu_supports("fma");
    if (avx2) {
        k->name = "avx2";
        k->argmin_f32 = clm_k_argmin_f32_avx2;
        k->centroid_update_f32 = clm_k_centroid_update_f32_avx2;
        k->sqdist_f64 = clm_k_sqdist_f64_avx2;
        k->sqdist_many_f64 = clm_k_sqdist_many_f64_avx2;
        k->logrank_batch_f64 = clm_k_logrank_batch_f64_avx2;
        k->cholesky_upper_f64 = clm_k_cholesky_upper_f64_avx2;
        k->cox_sums_f64 = clm_k_cox_sums_f64_avx2;
        k->expneg_f64 = clm_k_expneg_f64_avx2;
        k->expneg_f32 = clm_k_expneg_f32_avx2;
    }
    if (avx2 && fma) {
        k->dots_f32 = clm_k_dots_f32_avx2;
        k->survscan_f64 = clm_k_survscan_f64_avx2;
        k->survcount_f64 = clm_k_survcount_f64_avx2;
        k->survchunk_f64 = clm_k_survchunk_f64_avx2;
    }
    /* The AVX-512 argmin hands the rows it does not take to the AVX2 one. */
    if (avx2 && __builtin_cpu_supports("avx512f")) {
        k->name = "avx512";
        k->argmin_f32 = clm_k_argmin_f32_avx512;
    }
#endif
}

static void build_contexts(void)
{
    fill_reference(&reference_context);
    tuned_context = reference_context;
    override_tuned(&tuned_context);
    const char *force = getenv("CLMSEG_KERNELS");
    default_context = force && strcmp(force, "ref") == 0 ? &reference_context : &tuned_context;
}

const clm_kernels *clm_kernels_default(void)
{
    pthread_once(&contexts_once, build_contexts);
    return default_context;
}

const clm_kernels *clm_kernels_reference(void)
{
    pthread_once(&contexts_once, build_contexts);
    return &reference_context;
}

const char *clm_kernels_name(const clm_kernels *kernels)
{
    return kernels_resolve(kernels)->name;
}

/*
 * clmseg/export.h — which symbols libclmseg exports.
 *
 * The library is compiled with -fvisibility=hidden: a function or object is
 * visible outside libclmseg.so only when its public declaration carries
 * CLM_API, so internal helpers (io_, cfg_, json_, the clm_k_ kernels) can
 * change freely without breaking programs linked against the shared
 * library.  The static library keeps every symbol linkable (visibility only
 * matters for shared objects), which is what the tests rely on.
 *
 * Put CLM_API first on each public declaration:
 *     CLM_API clm_status clm_table_open(const char *path, ...);
 *     CLM_API extern const char *const clm_tier_names[CLM_N_TIERS];
 */
#ifndef CLMSEG_EXPORT_H
#define CLMSEG_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define CLM_API __attribute__((visibility("default")))
#else
#define CLM_API
#endif

#endif /* CLMSEG_EXPORT_H */

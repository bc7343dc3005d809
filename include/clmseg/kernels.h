/*
 * clmseg/kernels.h — which implementation of the hot loops a fit uses.
 *
 * Every hot loop of clmseg (nearest-centroid search, centroid sums, the
 * small-k product, exact distances, tree histograms and split scans,
 * survival counting, the log-rank algebra) exists as a plain C reference
 * and, where it pays, as variants for an instruction set (the x86-64
 * baseline SSE2, AVX2, AVX-512).
 * A kernel context is the table of the variants one run uses.  Two exist
 * per process and neither is ever modified after it is built:
 *   - the reference context: every loop in its plain C11 version;
 *   - the default context: the reference, with each loop replaced by the
 *     best variant this CPU supports (detected once, at run time, so the
 *     default binary runs on any x86-64).
 * Models take a context in their parameters (`kernels`, NULL meaning the
 * default one); tests pass clm_kernels_reference() to compare the two.
 * The variants give the reference's results bit for bit, except the
 * exact squared distance (k-means inertia and seeding potentials), which
 * agrees to a relative 1e-12 (docs/kmeans.md).
 *
 * The environment variable CLMSEG_KERNELS=ref makes the default context
 * the reference one for the whole process (to rule out a tuned kernel when
 * a result looks wrong).  It is read once, on the first call of any
 * function below; setting it later has no effect.  Any other value, or
 * none, selects the tuned variants.
 */
#ifndef CLMSEG_KERNELS_H
#define CLMSEG_KERNELS_H

#include "clmseg/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A kernel context (opaque; contexts are static and never freed). */
typedef struct clm_kernels clm_kernels;

/* The default context: the tuned variants this CPU supports, or the
 * reference context when CLMSEG_KERNELS=ref was set at the first call.
 * Never NULL; the same pointer for the life of the process.  Thread-safe:
 * the first call builds both contexts exactly once (pthread_once), however
 * many threads call it at the same time. */
CLM_API const clm_kernels *clm_kernels_default(void);

/* The reference context: every kernel in its plain C11 version.  Never
 * NULL; the same pointer for the life of the process.  Thread-safe. */
CLM_API const clm_kernels *clm_kernels_reference(void);

/* A context's name, for logs and benchmark records: "ref" for the
 * reference context, else the widest instruction set among its variants
 * ("sse2", "avx2", "avx512").  NULL gives the name of the default context.
 * The string is static.  Thread-safe. */
CLM_API const char *clm_kernels_name(const clm_kernels *kernels);

#ifdef __cplusplus
}
#endif

#endif /* CLMSEG_KERNELS_H */

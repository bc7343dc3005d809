/*
 * logrank.c — reference and AVX2 builds of the log-rank loops (see
 * logrank.h).  The loops are written once, as always-inline bodies, and
 * compiled twice: plainly for the reference and under target("avx2") for
 * the tuned variant, so the two cannot drift apart.  The update of the
 * trailing rows of the factor and of V runs along contiguous rows, which
 * is where the wider vectors help.
 */
#include <math.h>
#include <stddef.h>

#include "logrank.h"

#if defined(__x86_64__) || defined(__i386__)
#define CLM_HAVE_X86 1
#endif

static inline __attribute__((always_inline)) void
batch_body(int32_t q, int32_t n_batch, const double *weight, const double *shares, double *var)
{
    for (int32_t g = 0; g < q; g++) {
        double *row = var + (size_t)g * (size_t)q;
        for (int32_t b = 0; b < n_batch; b++) {
            const double *sb = shares + (size_t)b * (size_t)q;
            if (sb[g] == 0.0)
                continue;
            double wg = weight[b] * sb[g];
            for (int32_t h = g; h < q; h++)
                row[h] -= wg * sb[h];
            row[g] += wg;
        }
    }
}

static inline __attribute__((always_inline)) int cholesky_body(int64_t m, double *a)
{
    for (int64_t k = 0; k < m; k++) {
        double *row_k = a + k * m;
        double d = row_k[k];
        if (!(d > 0.0) || !isfinite(d))
            return -1;
        double r = sqrt(d);
        row_k[k] = r;
        double inv = 1.0 / r;
        for (int64_t j = k + 1; j < m; j++)
            row_k[j] *= inv;
        for (int64_t i = k + 1; i < m; i++) {
            double f = row_k[i];
            if (f == 0.0)
                continue;
            double *row_i = a + i * m;
            for (int64_t j = i; j < m; j++)
                row_i[j] -= f * row_k[j];
        }
    }
    return 0;
}

void clm_k_logrank_batch_f64_ref(int32_t q, int32_t n_batch, const double *weight,
                                 const double *shares, double *var)
{
    batch_body(q, n_batch, weight, shares, var);
}

int clm_k_cholesky_upper_f64_ref(int64_t m, double *a)
{
    return cholesky_body(m, a);
}

#ifdef CLM_HAVE_X86
__attribute__((target("avx2")))
void clm_k_logrank_batch_f64_avx2(int32_t q, int32_t n_batch, const double *weight,
                                  const double *shares, double *var)
{
    batch_body(q, n_batch, weight, shares, var);
}

__attribute__((target("avx2")))
int clm_k_cholesky_upper_f64_avx2(int64_t m, double *a)
{
    return cholesky_body(m, a);
}
#else
void clm_k_logrank_batch_f64_avx2(int32_t q, int32_t n_batch, const double *weight,
                                  const double *shares, double *var)
{
    batch_body(q, n_batch, weight, shares, var);
}

int clm_k_cholesky_upper_f64_avx2(int64_t m, double *a)
{
    return cholesky_body(m, a);
}
#endif

/*
 * coxsums.c — reference and AVX2 builds of the Cox cell sums (coxsums.h).
 * One always-inline body compiled twice, plainly and under
 * target("avx2"), so the two cannot drift apart.  The body takes rows in
 * fours: the weights and the products w_i x_ij are formed first, then each
 * entry of the upper triangle receives its four terms in row order, so the
 * block is loaded and stored once per four rows instead of once per row.
 */
#include <math.h>
#include <stddef.h>

#include "coxsums.h"

#if defined(__x86_64__) || defined(__i386__)
#define CLM_HAVE_X86 1
#endif

/* Largest p the four-row path keeps on the stack; wider designs take the
 * row-at-a-time loop (same order of operations, same bits). */
#define COX_SUMS_MAX_P 256

static inline __attribute__((always_inline)) double row_weight(const double *xi, int p,
                                                               const double *beta)
{
    double eta = 0.0;
    for (int j = 0; j < p; j++)
        eta += xi[j] * beta[j];
    return exp(eta);
}

static inline __attribute__((always_inline)) void
one_row(const double *xi, int p, double w, double *sums)
{
    double *s1 = sums + 1, *s2 = sums + 1 + p;
    sums[0] += w;
    for (int j = 0; j < p; j++) {
        double a = w * xi[j];
        s1[j] += a;
        double *row = s2 + (size_t)j * (size_t)p;
        for (int k = j; k < p; k++)
            row[k] += a * xi[k];
    }
}

static inline __attribute__((always_inline)) void
sums_body(const double *x, int64_t n_rows, int p, const double *beta, double *sums)
{
    int64_t i = 0;
    if (p <= COX_SUMS_MAX_P) {
        double a[4][COX_SUMS_MAX_P];
        double *s1 = sums + 1, *s2 = sums + 1 + p;
        for (; i + 4 <= n_rows; i += 4) {
            const double *x0 = x + (size_t)i * (size_t)p, *x1 = x0 + p, *x2 = x1 + p,
                         *x3 = x2 + p;
            /* Four independent chains (each in row_weight's order): the
             * dot products overlap instead of waiting on one add. */
            double e0 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0;
            for (int j = 0; j < p; j++) {
                e0 += x0[j] * beta[j];
                e1 += x1[j] * beta[j];
                e2 += x2[j] * beta[j];
                e3 += x3[j] * beta[j];
            }
            double w0 = exp(e0), w1 = exp(e1), w2 = exp(e2), w3 = exp(e3);
            sums[0] += w0;
            sums[0] += w1;
            sums[0] += w2;
            sums[0] += w3;
            for (int j = 0; j < p; j++) {
                a[0][j] = w0 * x0[j];
                a[1][j] = w1 * x1[j];
                a[2][j] = w2 * x2[j];
                a[3][j] = w3 * x3[j];
                double s = s1[j];
                s += a[0][j];
                s += a[1][j];
                s += a[2][j];
                s += a[3][j];
                s1[j] = s;
            }
            for (int j = 0; j < p; j++) {
                double *row = s2 + (size_t)j * (size_t)p;
                const double a0 = a[0][j], a1 = a[1][j], a2 = a[2][j], a3 = a[3][j];
                /* From the start of j's group of four columns: whole
                 * vectors, no ragged start (the few entries left of the
                 * diagonal this writes are never read). */
                for (int k = j & ~3; k < p; k++) {
                    double s = row[k];
                    s += a0 * x0[k];
                    s += a1 * x1[k];
                    s += a2 * x2[k];
                    s += a3 * x3[k];
                    row[k] = s;
                }
            }
        }
    }
    for (; i < n_rows; i++) {
        const double *xi = x + (size_t)i * (size_t)p;
        one_row(xi, p, row_weight(xi, p, beta), sums);
    }
}

void clm_k_cox_sums_f64_ref(const double *x, int64_t n_rows, int p, const double *beta,
                            double *sums)
{
    sums_body(x, n_rows, p, beta, sums);
}

#ifdef CLM_HAVE_X86
__attribute__((target("avx2")))
void clm_k_cox_sums_f64_avx2(const double *x, int64_t n_rows, int p, const double *beta,
                             double *sums)
{
    sums_body(x, n_rows, p, beta, sums);
}
#else
void clm_k_cox_sums_f64_avx2(const double *x, int64_t n_rows, int p, const double *beta,
                             double *sums)
{
    sums_body(x, n_rows, p, beta, sums);
}
#endif

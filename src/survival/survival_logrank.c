/*
 * survival_logrank.c — the log-rank test across strata, as R's survdiff
 * (rho = 0): observed and expected events per stratum and their covariance
 * summed over the distinct event times of the pooled data,
 *     E_g  += d n_g / n
 *     V_gh += d (n - d) / (n - 1) * (n_g / n) * ([g = h] - n_h / n)
 * then chi-square = (O - E)' V^-1 (O - E) over the strata with E > 0, the
 * first of them left out; df = (strata with E > 0) - 1.  Cost: one pass
 * over the pooled times, O(times x strata^2) for V.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "survival/survival_internal.h"

/* Solves a x = b for a dense m x m matrix (row-major, overwritten) by
 * Gaussian elimination with partial pivoting; -1 if singular. */
static int solve(int64_t m, double *a, double *b)
{
    for (int64_t col = 0; col < m; col++) {
        int64_t piv = col;
        for (int64_t r = col + 1; r < m; r++)
            if (fabs(a[r * m + col]) > fabs(a[piv * m + col]))
                piv = r;
        if (!(fabs(a[piv * m + col]) > 1e-300))
            return -1;
        if (piv != col) {
            for (int64_t k = 0; k < m; k++) {
                double t = a[col * m + k];
                a[col * m + k] = a[piv * m + k];
                a[piv * m + k] = t;
            }
            double t = b[col];
            b[col] = b[piv];
            b[piv] = t;
        }
        for (int64_t r = col + 1; r < m; r++) {
            double f = a[r * m + col] / a[col * m + col];
            if (f == 0.0)
                continue;
            for (int64_t k = col; k < m; k++)
                a[r * m + k] -= f * a[col * m + k];
            b[r] -= f * b[col];
        }
    }
    for (int64_t r = m - 1; r >= 0; r--) {
        double v = b[r];
        for (int64_t k = r + 1; k < m; k++)
            v -= a[r * m + k] * b[k];
        b[r] = v / a[r * m + r];
    }
    return 0;
}

clm_status surv_logrank(const surv_curve *curves, int32_t k, const surv_curve *overall,
                        clm_logrank *out)
{
    out->chisq = 0.0;
    out->df = 0;
    out->p_value = 1.0;
    if (k < 2)
        return CLM_OK;
    size_t kk = (size_t)k;
    double *observed = calloc(kk, sizeof(double));
    double *expected = calloc(kk, sizeof(double));
    double *var = calloc(kk * kk, sizeof(double));
    double *risk = calloc(kk, sizeof(double));
    double *share = calloc(kk, sizeof(double));
    int64_t *pos = calloc(kk, sizeof(int64_t));
    double *a = NULL, *b = NULL;
    int32_t *keep = NULL;
    clm_status st = CLM_OK;
    if (!observed || !expected || !var || !risk || !share || !pos) {
        st = clm_error(CLM_E_NOMEM, "out of memory in the log-rank test");
        goto done;
    }
    for (int64_t j = 0; j < overall->view.n_times; j++) {
        double t = overall->time[j];
        double n = 0.0, d = 0.0;
        for (int32_t g = 0; g < k; g++) {
            const clm_survival_curve *c = &curves[g].view;
            while (pos[g] < c->n_times && c->time[pos[g]] < t)
                pos[g]++;
            int64_t p = pos[g];
            risk[g] = p < c->n_times ? (double)c->at_risk[p] : 0.0;
            n += risk[g];
            if (p < c->n_times && c->time[p] == t) {
                d += (double)c->events[p];
                observed[g] += (double)c->events[p];
            }
        }
        if (d == 0.0 || n == 0.0)
            continue;
        for (int32_t g = 0; g < k; g++)
            expected[g] += d * risk[g] / n;
        if (n > 1.0) {
            /* V += w (diag(a) - a a'), a = risk / n; rows of empty strata
             * get nothing, and the inner loop is a plain axpy. */
            double w = d * (n - d) / (n - 1.0);
            for (int32_t g = 0; g < k; g++)
                share[g] = risk[g] / n;
            for (int32_t g = 0; g < k; g++) {
                if (share[g] == 0.0)
                    continue;
                double wg = w * share[g];
                double *row = var + (size_t)g * kk;
                for (int32_t h = 0; h < k; h++)
                    row[h] -= wg * share[h];
                row[g] += wg;
            }
        }
    }
    /* Strata with expected events; the first of them is left out. */
    int32_t m = 0, first = -1;
    for (int32_t g = 0; g < k; g++)
        if (expected[g] > 0) {
            if (first < 0)
                first = g;
            m++;
        }
    out->df = m - 1 > 0 ? m - 1 : 0;
    if (m < 2)
        goto done;
    int32_t q = 0;
    keep = malloc((size_t)m * sizeof(int32_t));
    if (!keep) {
        st = clm_error(CLM_E_NOMEM, "out of memory in the log-rank test");
        goto done;
    }
    for (int32_t g = 0; g < k; g++)
        if (expected[g] > 0 && g != first)
            keep[q++] = g;
    a = malloc((size_t)q * (size_t)q * sizeof(double));
    b = malloc((size_t)q * sizeof(double));
    double *diff = risk; /* reuse */
    if (!a || !b) {
        st = clm_error(CLM_E_NOMEM, "out of memory in the log-rank test");
        goto done;
    }
    for (int32_t i = 0; i < q; i++) {
        diff[i] = observed[keep[i]] - expected[keep[i]];
        b[i] = diff[i];
        for (int32_t j = 0; j < q; j++)
            a[i * q + j] = var[keep[i] * kk + keep[j]];
    }
    if (solve(q, a, b)) {
        out->chisq = NAN;
        out->p_value = NAN;
        goto done;
    }
    double chi = 0.0;
    for (int32_t i = 0; i < q; i++)
        chi += b[i] * diff[i];
    out->chisq = chi;
    out->p_value = surv_chisq_upper(chi, out->df);
done:
    free(observed);
    free(expected);
    free(var);
    free(risk);
    free(share);
    free(pos);
    free(a);
    free(b);
    free(keep);
    return st;
}

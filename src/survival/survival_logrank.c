/*
 * survival_logrank.c — the log-rank test across strata, as R's survdiff
 * (rho = 0): observed and expected events per stratum and their covariance
 * summed over the distinct event times of the pooled data,
 *     E_g  += d n_g / n
 *     V_gh += d (n - d) / (n - 1) * (n_g / n) * ([g = h] - n_h / n)
 * then chi-square = (O - E)' V^-1 (O - E) over the strata with E > 0, the
 * first of them left out; df = (strata with E > 0) - 1.
 *
 * Cost: a first pass over the pooled times gives O and E (so the kept
 * strata are known); a second builds only the upper triangle of the kept
 * q x q block of V, SURV_LR_BATCH event times at a time so that each row
 * of V stays in L1 while the batch is applied (each element still sums
 * its terms in time order); then a Cholesky factor V = U'U gives
 * chi-square = |U'^-1 (O - E)|^2 in q^3 / 6 multiply-adds, a sixth of the
 * general solve's work.  If V is not numerically positive definite, the
 * general solve with partial pivoting decides.  The batch update and the
 * factor are kernels (kernels/logrank.c), called through the estimator's
 * kernel context; their variants give the same bits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
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

/* Event times applied to V at a time (their shares: BATCH x q doubles). */
#define SURV_LR_BATCH 32

/* Risk sets of the k strata just before pooled time t: pos[] walks each
 * curve forward; returns n and fills risk[], d and the events per stratum
 * at t (events_at, may be NULL). */
static void risk_at(const surv_curve *curves, int32_t k, double t, int64_t *pos, double *risk,
                    double *n_out, double *d_out, double *events_at)
{
    double n = 0.0, d = 0.0;
    for (int32_t g = 0; g < k; g++) {
        const clm_survival_curve *c = &curves[g].view;
        while (pos[g] < c->n_times && c->time[pos[g]] < t)
            pos[g]++;
        int64_t p = pos[g];
        risk[g] = p < c->n_times ? (double)c->at_risk[p] : 0.0;
        n += risk[g];
        double e = 0.0;
        if (p < c->n_times && c->time[p] == t) {
            e = (double)c->events[p];
            d += e;
        }
        if (events_at)
            events_at[g] = e;
    }
    *n_out = n;
    *d_out = d;
}

/* Upper Cholesky factor of the m x m symmetric matrix a in place (rows
 * i <= h used); -1 when it is not positive definite. */
static int cholesky_small(int64_t m, double *a)
{
    for (int64_t i = 0; i < m; i++) {
        for (int64_t h = i; h < m; h++) {
            double v = a[i * m + h];
            for (int64_t r = 0; r < i; r++)
                v -= a[r * m + i] * a[r * m + h];
            if (h == i) {
                if (!(v > 0.0))
                    return -1;
                a[i * m + i] = sqrt(v);
            } else {
                a[i * m + h] = v / a[i * m + i];
            }
        }
    }
    return 0;
}

/* Chi-square of the log-rank test for many strata, in memory and time
 * linear in them.  Over the kept strata V = D - P P' with D = diag(delta),
 * delta_i = sum_t c_t s_ti and P_ti = sqrt(c_t) s_ti (c_t = d (n - d) / (n - 1)
 * and s_ti = n_ti / n at the event times t with n > 1), so by the Woodbury
 * identity
 *     z' V^-1 z = z' D^-1 z + w' M^-1 w,  w = P' D^-1 z,  M = I - P' D^-1 P,
 * a T x T system for T event times instead of a q x q one: O(q T^2 + T^3)
 * instead of O(q^3) and q^2 memory.  NaN when a kept stratum has no
 * variance (delta 0) or M is not positive definite, as the dense path
 * gives NaN for a singular V. */
static clm_status chisq_low_rank(const surv_curve *curves, int32_t k, const surv_curve *overall,
                                 const int32_t *keep, int32_t q, const double *observed,
                                 const double *expected, double *risk, int64_t *pos, double *chi)
{
    int64_t n_event_times = 0;
    for (int64_t j = 0; j < overall->view.n_times; j++)
        n_event_times += overall->view.events[j] > 0;
    const int64_t T = n_event_times;
    double *p = malloc((size_t)(T > 0 ? T : 1) * (size_t)q * sizeof *p);
    double *delta = calloc((size_t)q, sizeof *delta);
    double *z = malloc((size_t)q * sizeof *z);
    double *w = calloc((size_t)(T > 0 ? T : 1), sizeof *w);
    double *m = calloc((size_t)(T > 0 ? T * T : 1), sizeof *m);
    if (!p || !delta || !z || !w || !m) {
        free(p); free(delta); free(z); free(w); free(m);
        return clm_error(CLM_E_NOMEM, "out of memory in the log-rank test (%d strata)", (int)q);
    }
    memset(pos, 0, (size_t)k * sizeof *pos);
    int64_t t = 0;
    for (int64_t j = 0; j < overall->view.n_times; j++) {
        double n, d;
        risk_at(curves, k, overall->time[j], pos, risk, &n, &d, NULL);
        if (d == 0.0 || n <= 1.0)
            continue;
        const double c = d * (n - d) / (n - 1.0), root = sqrt(c);
        double *row = p + t * q;
        for (int32_t i = 0; i < q; i++) {
            const double s = risk[keep[i]] / n;
            delta[i] += c * s;
            row[i] = root * s;
        }
        t++;
    }
    const int64_t used = t; /* event times with n > 1 */
    double a = 0.0;
    int bad = 0;
    for (int32_t i = 0; i < q; i++) {
        z[i] = observed[keep[i]] - expected[keep[i]];
        bad |= !(delta[i] > 0.0);
        if (!bad)
            a += z[i] * z[i] / delta[i];
    }
    if (!bad) {
        for (int64_t u = 0; u < used; u++) {
            const double *pu = p + u * q;
            double s = 0.0;
            for (int32_t i = 0; i < q; i++)
                s += pu[i] * z[i] / delta[i];
            w[u] = s;
            for (int64_t v = u; v < used; v++) {
                const double *pv = p + v * q;
                double dot = 0.0;
                for (int32_t i = 0; i < q; i++)
                    dot += pu[i] * pv[i] / delta[i];
                m[u * used + v] = (u == v ? 1.0 : 0.0) - dot;
            }
        }
        bad = cholesky_small(used, m);
    }
    if (!bad) {
        /* w' M^-1 w = |U'^-1 w|^2 with M = U'U. */
        double quad = 0.0;
        for (int64_t u = 0; u < used; u++) {
            double y = w[u];
            for (int64_t r = 0; r < u; r++)
                y -= m[r * used + u] * w[r];
            y /= m[u * used + u];
            w[u] = y;
            quad += y * y;
        }
        *chi = a + quad;
    } else {
        *chi = NAN;
    }
    free(p); free(delta); free(z); free(w); free(m);
    return CLM_OK;
}

clm_status surv_logrank(const clm_kernels *kernels, const surv_curve *curves, int32_t k,
                        const surv_curve *overall, clm_logrank *out)
{
    return surv_logrank_with(kernels, curves, k, overall, SURV_LR_DENSE_MAX, out);
}

clm_status surv_logrank_with(const clm_kernels *kernels, const surv_curve *curves, int32_t k,
                             const surv_curve *overall, int32_t dense_max, clm_logrank *out)
{
    out->chisq = 0.0;
    out->df = 0;
    out->p_value = 1.0;
    out->n_sparse = 0;
    if (k < 2)
        return CLM_OK;
    size_t kk = (size_t)k;
    double *observed = calloc(kk, sizeof(double));
    double *expected = calloc(kk, sizeof(double));
    double *risk = calloc(kk, sizeof(double));
    double *events_at = calloc(kk, sizeof(double));
    int64_t *pos = calloc(kk, sizeof(int64_t));
    double *var = NULL, *b = NULL, *shares = NULL;
    int32_t *keep = NULL;
    clm_status st = CLM_OK;
    if (!observed || !expected || !risk || !events_at || !pos) {
        st = clm_error(CLM_E_NOMEM, "out of memory in the log-rank test");
        goto done;
    }
    /* Pass 1: observed and expected events. */
    for (int64_t j = 0; j < overall->view.n_times; j++) {
        double n, d;
        risk_at(curves, k, overall->time[j], pos, risk, &n, &d, events_at);
        for (int32_t g = 0; g < k; g++)
            observed[g] += events_at[g];
        if (d == 0.0 || n == 0.0)
            continue;
        for (int32_t g = 0; g < k; g++)
            expected[g] += d * risk[g] / n;
    }
    /* Strata with expected events; the first of them is left out. */
    int32_t m = 0, first = -1;
    for (int32_t g = 0; g < k; g++)
        if (expected[g] > 0) {
            if (first < 0)
                first = g;
            m++;
            out->n_sparse += expected[g] < SURV_LR_SPARSE;
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
    if (q > dense_max) {
        double chi = 0.0;
        st = chisq_low_rank(curves, k, overall, keep, q, observed, expected, risk, pos, &chi);
        if (!st) {
            out->chisq = chi;
            out->p_value = isnan(chi) ? NAN : util_chisq_upper(chi, out->df);
        }
        goto done;
    }
    size_t qq = (size_t)q;
    var = malloc(qq * qq * sizeof(double));
    b = malloc(qq * sizeof(double));
    /* The batch of shares; the scratch matrix of the general solve. */
    size_t n_scratch = qq > SURV_LR_BATCH ? qq * qq : (size_t)SURV_LR_BATCH * qq;
    shares = malloc(n_scratch * sizeof(double));
    if (!var || !b || !shares) {
        st = clm_error(CLM_E_NOMEM, "out of memory in the log-rank test");
        goto done;
    }
    int attempt = 0;
build:
    /* Pass 2: V += w (diag(s) - s s'), s = risk / n over the kept strata,
     * at the event times with more than one at risk. */
    memset(var, 0, qq * qq * sizeof(double));
    memset(pos, 0, kk * sizeof(int64_t));
    double weight[SURV_LR_BATCH];
    int32_t n_batch = 0;
    for (int64_t j = 0; j < overall->view.n_times; j++) {
        double n, d;
        risk_at(curves, k, overall->time[j], pos, risk, &n, &d, NULL);
        if (d == 0.0 || n <= 1.0)
            continue;
        weight[n_batch] = d * (n - d) / (n - 1.0);
        double *sb = shares + (size_t)n_batch * qq;
        for (int32_t i = 0; i < q; i++)
            sb[i] = risk[keep[i]] / n;
        if (++n_batch == SURV_LR_BATCH) {
            kernels->logrank_batch_f64(q, n_batch, weight, shares, var);
            n_batch = 0;
        }
    }
    kernels->logrank_batch_f64(q, n_batch, weight, shares, var);

    double *diff = b;
    for (int32_t i = 0; i < q; i++)
        diff[i] = observed[keep[i]] - expected[keep[i]];
    double chi = 0.0;
    if (attempt == 0) {
        if (kernels->cholesky_upper_f64(q, var) == 0) {
            /* Forward substitution U' y = diff, row by row of U; chi = |y|^2. */
            for (int32_t i = 0; i < q; i++) {
                const double *row = var + (size_t)i * qq;
                double y = diff[i] / row[i];
                chi += y * y;
                for (int32_t h = i + 1; h < q; h++)
                    diff[h] -= row[h] * y;
            }
        } else {
            /* Not positive definite in floating point: V again, and the
             * general solve on it (NaN when it is singular). */
            attempt = 1;
            goto build;
        }
    } else {
        double *a = shares; /* q x q scratch */
        for (int32_t i = 0; i < q; i++)
            for (int32_t h = 0; h < q; h++)
                a[(size_t)i * qq + (size_t)h] =
                    h >= i ? var[(size_t)i * qq + (size_t)h] : var[(size_t)h * qq + (size_t)i];
        double *x = risk; /* reuse: k >= q */
        memcpy(x, diff, qq * sizeof(double));
        if (solve(q, a, x)) {
            out->chisq = NAN;
            out->p_value = NAN;
            goto done;
        }
        for (int32_t i = 0; i < q; i++)
            chi += x[i] * diff[i];
    }
    out->chisq = chi;
    out->p_value = util_chisq_upper(chi, out->df);
done:
    free(observed);
    free(expected);
    free(risk);
    free(events_at);
    free(pos);
    free(var);
    free(b);
    free(shares);
    free(keep);
    return st;
}

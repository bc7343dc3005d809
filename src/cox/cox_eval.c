/*
 * cox_eval.c — the partial log-likelihood, its score and its information
 * at one beta: one parallel pass over the cells (the cox_sums kernel),
 * then a sweep over each stratum's times from the last to the first that
 * grows the risk-set sums R0, R1, R2 and adds each event time's terms.
 *
 * At a time with d events whose sums are E0, E1, E2 (Efron; Breslow is
 * the case a_k = 0), with D_k = R0 - a_k E0, a_k = k / d, k = 0..d-1:
 *   loglik -= sum_k log D_k
 *   score  -= R1 A - E1 B
 *   info   += R2 A - E2 B - (R1 R1' C0 - (R1 E1' + E1 R1') C1 + E1 E1' C2)
 * with A = sum 1/D_k, B = sum a_k/D_k, C0 = sum 1/D_k^2, C1 = sum a_k/D_k^2,
 * C2 = sum a_k^2/D_k^2 — so a tie of d events costs O(d) scalars and
 * O(p^2) once, never O(d p^2).  The events' own terms, sum x'beta and
 * sum x, come from the design's event_sum.  Cells are summed each by one
 * thread, and the sweep runs in cell order: the same bits for any thread
 * count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cox/cox_internal.h"

void cox_evaluate(const cox_design *d, const clm_kernels *kernels, int n_threads,
                  clm_cox_ties ties, double l2, const double *beta, double *sums,
                  cox_eval *out, double *hazard)
{
    const int p = d->p;
    const size_t width = 1 + (size_t)p + (size_t)p * (size_t)p;

#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
    for (int64_t c = 0; c < d->n_cells; c++) {
        const cox_cell *cell = &d->cells[c];
        double *s = sums + (size_t)c * width;
        memset(s, 0, width * sizeof *s);
        kernels->cox_sums_f64(d->x + (size_t)cell->row0 * (size_t)p, cell->n, p, beta, s);
    }

    double *score = out->score, *info = out->info;
    double *r = calloc(width, sizeof *r); /* R0, R1, R2 of the risk set */
    double ll = 0.0;
    for (int j = 0; j < p; j++) {
        score[j] = d->event_sum[j];
        ll += d->event_sum[j] * beta[j];
    }
    memset(info, 0, (size_t)p * (size_t)p * sizeof *info);
    if (hazard)
        memset(hazard, 0, (size_t)d->n_cells * sizeof *hazard);
    if (!r) {
        out->ll = out->ll_pen = NAN;
        return;
    }
    double *r1 = r + 1, *r2 = r + 1 + p;
    int64_t c = d->n_cells - 1;
    while (c >= 0) {
        const int32_t stratum = d->cells[c].stratum;
        memset(r, 0, width * sizeof *r);
        /* The cells of one stratum, last time first. */
        for (; c >= 0 && d->cells[c].stratum == stratum;) {
            const int32_t time = d->cells[c].time;
            int64_t ev = -1;
            for (; c >= 0 && d->cells[c].stratum == stratum && d->cells[c].time == time; c--) {
                const double *s = sums + (size_t)c * width;
                for (size_t k = 0; k < width; k++)
                    r[k] += s[k];
                if (d->cells[c].event)
                    ev = c;
            }
            if (ev < 0)
                continue;
            const double *e = sums + (size_t)ev * width;
            const double *e1 = e + 1, *e2 = e + 1 + p;
            const int64_t n_ev = d->cells[ev].n;
            double A = 0, B = 0, C0 = 0, C1 = 0, C2 = 0;
            if (ties == CLM_COX_BRESLOW || n_ev == 1) {
                A = (double)n_ev / r[0];
                C0 = A / r[0];
                ll -= (double)n_ev * log(r[0]);
            } else {
                for (int64_t k = 0; k < n_ev; k++) {
                    double a = (double)k / (double)n_ev;
                    double dk = r[0] - a * e[0];
                    double inv = 1.0 / dk;
                    A += inv;
                    B += a * inv;
                    C0 += inv * inv;
                    C1 += a * inv * inv;
                    C2 += a * a * inv * inv;
                    ll -= log(dk);
                }
            }
            if (hazard)
                hazard[ev] = A;
            for (int j = 0; j < p; j++)
                score[j] -= r1[j] * A - e1[j] * B;
            for (int j = 0; j < p; j++)
                for (int k = j; k < p; k++) {
                    size_t jk = (size_t)j * (size_t)p + (size_t)k;
                    info[jk] += r2[jk] * A - e2[jk] * B -
                                (r1[j] * r1[k] * C0 - (r1[j] * e1[k] + e1[j] * r1[k]) * C1 +
                                 e1[j] * e1[k] * C2);
                }
        }
    }
    free(r);
    double pen = 0.0;
    for (int j = 0; j < p; j++) {
        pen += beta[j] * beta[j];
        score[j] -= l2 * beta[j];
        info[(size_t)j * (size_t)p + (size_t)j] += l2;
        for (int k = 0; k < j; k++)
            info[(size_t)j * (size_t)p + (size_t)k] = info[(size_t)k * (size_t)p + (size_t)j];
    }
    out->ll = ll;
    out->ll_pen = ll - 0.5 * l2 * pen;
}

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
 * count.  On several ranks the cell sums run on through the ranks in row
 * order (cox_cells_relay), the last rank sweeps, and every rank gets its
 * results: the same bits for any rank count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cox/cox_internal.h"

/* Batches of cells with about the same number of rows each: enough of
 * them that the ranks overlap (rank r + 1 starts on a batch as soon as
 * rank r has passed it on), few enough that each message is large. */
static int64_t batch_count(const cox_design *d)
{
    if (!d->comm)
        return 1;
    int64_t n = 16 * (int64_t)d->comm->size;
    return n < d->n_cells ? n : (d->n_cells > 0 ? d->n_cells : 1);
}

clm_status cox_cells_relay(const cox_design *d, int n_threads, size_t width, double *sums,
                           cox_cell_fold fold, const void *arg)
{
    const int64_t n_batches = batch_count(d);
    const int first_rank = !d->comm || d->comm->rank == 0;
    int64_t c0 = 0, seen = 0;
    for (int64_t b = 0; b < n_batches; b++) {
        /* The batch ends where the rows passed reach its share of n_rows. */
        const int64_t until = (b + 1 == n_batches) ? INT64_MAX : d->n_rows / n_batches * (b + 1);
        int64_t c1 = c0;
        while (c1 < d->n_cells && (c1 == c0 || seen < until)) {
            seen += d->cells[c1].all;
            c1++;
        }
        double *part = sums + (size_t)c0 * width;
        const size_t bytes = (size_t)(c1 - c0) * width * sizeof *sums;
        clm_status st = CLM_OK;
        if (first_rank)
            memset(part, 0, bytes);
        else
            st = comm_relay_receive(d->comm, part, bytes);
        if (st)
            return st;
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
        for (int64_t c = c0; c < c1; c++)
            fold(d, c, sums + (size_t)c * width, arg);
        if ((st = comm_relay_pass(d->comm, part, bytes)))
            return st;
        c0 = c1;
    }
    return CLM_OK;
}

typedef struct sums_arg {
    const clm_kernels *kernels;
    const double *beta;
} sums_arg;

static void fold_sums(const cox_design *d, int64_t c, double *s, const void *arg)
{
    const sums_arg *a = arg;
    const cox_cell *cell = &d->cells[c];
    a->kernels->cox_sums_f64(d->x + (size_t)cell->row0 * (size_t)d->p, cell->n, d->p, a->beta, s);
}

/* The sweep over the cells' totals (on the rank that holds them). */
static void sweep(const cox_design *d, clm_cox_ties ties, double l2, const double *beta,
                  const double *sums, cox_eval *out, double *hazard);

clm_status cox_evaluate(const cox_design *d, const clm_kernels *kernels, int n_threads,
                        clm_cox_ties ties, double l2, const double *beta, double *sums,
                        cox_eval *out, double *hazard)
{
    const sums_arg arg = {kernels, beta};
    const size_t width = 1 + (size_t)d->p + (size_t)d->p * (size_t)d->p;
    clm_status st = cox_cells_relay(d, n_threads, width, sums, fold_sums, &arg);
    if (st)
        return st;
    const int last = cox_last_rank(d);
    if (!d->comm || d->comm->rank == last)
        sweep(d, ties, l2, beta, sums, out, hazard);
    if (!d->comm)
        return CLM_OK;
    /* The last rank's results to every rank, in one message. */
    const int p = d->p;
    const size_t n = 2 + (size_t)p + (size_t)p * (size_t)p + (hazard ? (size_t)d->n_cells : 0);
    double *msg = malloc(n * sizeof *msg);
    if (!msg)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    comm_abort_unagreed(d->comm, st);
    if (d->comm->rank == last) {
        msg[0] = out->ll;
        msg[1] = out->ll_pen;
        memcpy(msg + 2, out->score, (size_t)p * sizeof *msg);
        memcpy(msg + 2 + p, out->info, (size_t)p * (size_t)p * sizeof *msg);
        if (hazard)
            memcpy(msg + 2 + p + (size_t)p * p, hazard, (size_t)d->n_cells * sizeof *msg);
    }
    st = comm_bcast(d->comm, msg, n * sizeof *msg, last);
    if (!st) {
        out->ll = msg[0];
        out->ll_pen = msg[1];
        memcpy(out->score, msg + 2, (size_t)p * sizeof *msg);
        memcpy(out->info, msg + 2 + p, (size_t)p * (size_t)p * sizeof *msg);
        if (hazard)
            memcpy(hazard, msg + 2 + p + (size_t)p * p, (size_t)d->n_cells * sizeof *msg);
    }
    free(msg);
    return st;
}

static void sweep(const cox_design *d, clm_cox_ties ties, double l2, const double *beta,
                  const double *sums, cox_eval *out, double *hazard)
{
    const int p = d->p;
    const size_t width = 1 + (size_t)p + (size_t)p * (size_t)p;
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
            const int64_t n_ev = d->cells[ev].all;
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

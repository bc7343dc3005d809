/*
 * cox_fit.c — Newton's method on the partial likelihood, as R's coxph
 * (coxfit6) runs it: from beta = 0, a full Newton step, halved while the
 * (penalised) log-likelihood falls; done when it changes by less than
 * `tol` relative in a step taken whole.  Then the variance (the inverse
 * information at the fit), the three tests, the baseline hazard per
 * stratum, concordance, and everything turned to the original units.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "cox/cox_internal.h"
#include "cox/cox_ranks.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static double wall(void)
{
#ifdef _OPENMP
    return omp_get_wtime();
#else
    return 0.0;
#endif
}

/* Every evaluation of a fit goes through here, timed. */
typedef struct eval_clock {
    double seconds;
    int32_t count;
} eval_clock;

/* A failed evaluation (a message between the ranks) ends the job: the
 * ranks may be at different points of the relay (comm_abort_unagreed). */
static void timed_eval(eval_clock *clock, const cox_design *d, const clm_kernels *kernels,
                       int n_threads, const clm_cox_params *params, const double *beta,
                       double *sums, cox_eval *out, double *hazard)
{
    double t0 = wall();
    clm_status st = cox_evaluate(d, kernels, n_threads, params->ties, params->l2, beta, sums,
                                 out, hazard);
    comm_abort_unagreed(d->comm, st);
    clock->seconds += wall() - t0;
    clock->count++;
}

clm_status clm_cox_ties_parse(const char *text, clm_cox_ties *out)
{
    if (text && !strcmp(text, "efron"))
        *out = CLM_COX_EFRON;
    else if (text && !strcmp(text, "breslow"))
        *out = CLM_COX_BRESLOW;
    else
        return clm_error(CLM_E_PARAM, "ties '%s' is not efron or breslow", text ? text : "(none)");
    return CLM_OK;
}

const char *clm_cox_ties_name(clm_cox_ties ties)
{
    return ties == CLM_COX_BRESLOW ? "breslow" : "efron";
}

void clm_cox_params_default(clm_cox_params *p)
{
    memset(p, 0, sizeof *p);
    p->ties = CLM_COX_EFRON;
    p->max_iter = 30;
    p->tol = 1e-12;
}

clm_status clm_cox_params_check(const clm_cox_params *p)
{
    if (!p)
        return clm_error(CLM_E_PARAM, "cox: no parameters");
    if (p->ties != CLM_COX_EFRON && p->ties != CLM_COX_BRESLOW)
        return clm_error(CLM_E_PARAM, "cox: ties %d is not efron or breslow", (int)p->ties);
    if (!(p->l2 >= 0.0) || !isfinite(p->l2))
        return clm_error(CLM_E_PARAM, "cox: l2 %g is not a number >= 0", p->l2);
    if (p->max_iter < 1 || p->max_iter > 1000)
        return clm_error(CLM_E_PARAM, "cox: max_iter %d is not in 1..1000", (int)p->max_iter);
    if (!(p->tol > 0.0) || !(p->tol < 1.0))
        return clm_error(CLM_E_PARAM, "cox: tol %g is not in (0, 1)", p->tol);
    if (p->n_threads < 0)
        return clm_error(CLM_E_PARAM, "cox: threads %d is negative", (int)p->n_threads);
    return CLM_OK;
}

void clm_cox_columns_default(clm_cox_columns *c)
{
    memset(c, 0, sizeof *c);
}

/* ---- small dense algebra on the p x p information ---------------------- */

/* Solves A x = b by the upper Cholesky factor R (A = R'R, row-major). */
static void chol_solve(int p, const double *R, const double *b, double *x)
{
    for (int i = 0; i < p; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= R[(size_t)k * p + i] * x[k];
        x[i] = s / R[(size_t)i * p + i];
    }
    for (int i = p - 1; i >= 0; i--) {
        double s = x[i];
        for (int k = i + 1; k < p; k++)
            s -= R[(size_t)i * p + k] * x[k];
        x[i] = s / R[(size_t)i * p + i];
    }
}

/* The first term that makes the leading block singular: the one that is a
 * combination of the terms before it. */
static int singular_term(const clm_kernels *kernels, int p, const double *info, double *work)
{
    for (int m = 1; m <= p; m++) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                work[(size_t)i * m + j] = info[(size_t)i * p + j];
        if (kernels->cholesky_upper_f64(m, work) != 0)
            return m - 1;
    }
    return p - 1;
}

/* Cholesky of `info` into R, or an error naming the collinear term. */
static clm_status factor(const clm_kernels *kernels, const cox_design *d, const double *info,
                         double *R, double *work)
{
    const int p = d->p;
    memcpy(R, info, (size_t)p * p * sizeof *R);
    /* A pivot far below its diagonal's scale is a collinearity too. */
    if (kernels->cholesky_upper_f64(p, R) == 0) {
        int ok = 1;
        for (int j = 0; j < p; j++)
            ok &= R[(size_t)j * p + j] * R[(size_t)j * p + j] > 1e-10 * info[(size_t)j * p + j];
        if (ok)
            return CLM_OK;
    }
    int t = singular_term(kernels, p, info, work);
    return clm_error(CLM_E_VALUE,
                     "cox: covariate '%s' is (nearly) a combination of the covariates before "
                     "it: the information matrix is singular; drop it or one of those",
                     d->terms[t].name);
}

/* ---- the fit ------------------------------------------------------------ */

typedef struct fit_work {
    double *sums, *R, *work, *step, *trial, *score, *info;
} fit_work;

static void work_free(fit_work *w)
{
    free(w->sums);
    free(w->R);
    free(w->work);
    free(w->step);
    free(w->trial);
    free(w->score);
    free(w->info);
}

void clm_cox_free(clm_cox *m)
{
    if (!m)
        return;
    cox_terms_free(m->terms, m->p);
    free(m->term_names);
    free(m->beta);
    free(m->coef);
    free(m->se);
    free(m->var);
    if (m->stratum_labels)
        for (int32_t s = 0; s < m->n_strata; s++)
            free(m->stratum_labels[s]);
    free(m->stratum_labels);
    for (int32_t s = 0; m->base_time && s < m->n_strata; s++) {
        free(m->base_time[s]);
        free(m->base_cumhaz_c[s]);
        free(m->base_cumhaz[s]);
    }
    free(m->base_n);
    free(m->base_time);
    free(m->base_cumhaz_c);
    free(m->base_cumhaz);
    free(m->strata_name);
    free(m->strata_column);
    free(m->time_column);
    free(m->event_column);
    free(m->event_level);
    free(m);
}

clm_status cox_model_alloc_baseline(clm_cox *m, int32_t n_strata)
{
    m->base_n = calloc((size_t)n_strata, sizeof *m->base_n);
    m->base_time = calloc((size_t)n_strata, sizeof *m->base_time);
    m->base_cumhaz_c = calloc((size_t)n_strata, sizeof *m->base_cumhaz_c);
    m->base_cumhaz = calloc((size_t)n_strata, sizeof *m->base_cumhaz);
    if (!m->base_n || !m->base_time || !m->base_cumhaz_c || !m->base_cumhaz)
        return clm_error(CLM_E_NOMEM, "out of memory");
    return CLM_OK;
}

/* The baseline per stratum from the hazard increments of the event cells:
 * at every time of the stratum that has rows. */
static clm_status baseline(const cox_design *d, const double *hazard, clm_cox *m)
{
    clm_status st = cox_model_alloc_baseline(m, d->n_strata);
    if (st)
        return st;
    const double scale_back = exp(-m->lp_offset);
    for (int64_t c = 0; c < d->n_cells;) {
        const int32_t s = d->cells[c].stratum;
        int64_t end = c, n = 0;
        for (int32_t last = -1; end < d->n_cells && d->cells[end].stratum == s; end++) {
            n += d->cells[end].time != last;
            last = d->cells[end].time;
        }
        m->base_n[s] = n;
        m->base_time[s] = malloc((size_t)n * sizeof(double));
        m->base_cumhaz_c[s] = malloc((size_t)n * sizeof(double));
        m->base_cumhaz[s] = malloc((size_t)n * sizeof(double));
        if (!m->base_time[s] || !m->base_cumhaz_c[s] || !m->base_cumhaz[s])
            return clm_error(CLM_E_NOMEM, "out of memory");
        double h = 0.0;
        int64_t k = -1;
        for (int32_t last = -1; c < end; c++) {
            if (d->cells[c].time != last) {
                k++;
                last = d->cells[c].time;
                m->base_time[s][k] = d->times[last];
            }
            h += hazard[c];
            m->base_cumhaz_c[s][k] = h;
            m->base_cumhaz[s][k] = h * scale_back;
        }
    }
    return CLM_OK;
}

static clm_status model_from_design(cox_design *d, const clm_cox_params *params, clm_cox **out)
{
    clm_cox *m = calloc(1, sizeof *m);
    if (!m)
        return clm_error(CLM_E_NOMEM, "out of memory");
    const int p = d->p;
    m->params = *params;
    m->p = p;
    m->n_rows = d->n_rows;
    m->n_events = d->n_events;
    m->n_strata = d->n_strata;
    m->time_unit_days = d->time_unit_days;
    /* Move what the model keeps out of the design. */
    m->terms = d->terms;
    d->terms = NULL;
    d->p = 0;
    m->stratum_labels = d->stratum_labels;
    d->stratum_labels = NULL;
    m->strata_name = d->strata_name;
    d->strata_name = NULL;
    m->strata_column = d->strata_column;
    d->strata_column = NULL;
    m->time_column = d->time_column;
    d->time_column = NULL;
    m->event_column = d->event_column;
    d->event_column = NULL;
    m->event_level = d->event_level;
    d->event_level = NULL;
    m->term_names = malloc((size_t)p * sizeof *m->term_names);
    m->beta = calloc((size_t)p, sizeof *m->beta);
    m->coef = calloc((size_t)p, sizeof *m->coef);
    m->se = calloc((size_t)p, sizeof *m->se);
    m->var = calloc((size_t)p * p, sizeof *m->var);
    *out = m;
    if (!m->term_names || !m->beta || !m->coef || !m->se || !m->var)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int j = 0; j < p; j++)
        m->term_names[j] = m->terms[j].name;
    return CLM_OK;
}

clm_status clm_cox_fit_table(const clm_cox_params *params, const clm_cox_columns *columns,
                             const clm_table *table, clm_cox **out)
{
    return cox_fit_table_ranks(params, columns, table, NULL, out);
}

clm_status cox_fit_table_ranks(const clm_cox_params *params, const clm_cox_columns *columns,
                               const clm_table *table, const comm_ctx *comm, clm_cox **out)
{
    *out = NULL;
    clm_status st = clm_cox_params_check(params);
    if (st)
        return st;
    const clm_kernels *kernels = kernels_resolve(params->kernels);
    const int n_threads = util_threads(params->n_threads);
    cox_design d;
    const double t_design = wall();
    if ((st = cox_design_build(columns, table, n_threads, comm, &d)))
        return st;
    const double design_seconds = wall() - t_design;
    eval_clock clock = {0.0, 0};
    const int p = d.p;
    const size_t width = 1 + (size_t)p + (size_t)p * (size_t)p;
    fit_work w;
    memset(&w, 0, sizeof w);
    w.sums = util_alloc_big((size_t)(d.n_cells > 0 ? d.n_cells : 1) * width * sizeof *w.sums);
    w.R = malloc((size_t)p * p * sizeof *w.R);
    w.work = malloc((size_t)p * p * sizeof *w.work);
    w.step = malloc((size_t)p * sizeof *w.step);
    w.trial = malloc((size_t)p * sizeof *w.trial);
    w.score = malloc((size_t)p * sizeof *w.score);
    w.info = malloc((size_t)p * p * sizeof *w.info);
    double *beta = calloc((size_t)p, sizeof *beta);
    double *hazard = malloc((size_t)d.n_cells * sizeof *hazard);
    double *lp = NULL;
    clm_cox *m = NULL;
    if (!w.sums || !w.R || !w.work || !w.step || !w.trial || !w.score || !w.info || !beta ||
        !hazard)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    /* From here on every rank computes the same figures: its failures are
     * every rank's. */
    if ((st = comm_agree(d.comm, st)))
        goto done;

    cox_eval ev = {0, 0, w.score, w.info};
    timed_eval(&clock, &d, kernels, n_threads, params, beta, w.sums, &ev, NULL);
    const double ll_null = ev.ll;
    if ((st = factor(kernels, &d, w.info, w.R, w.work)))
        goto done;
    chol_solve(p, w.R, w.score, w.step);
    double score_test = 0.0;
    for (int j = 0; j < p; j++)
        score_test += w.score[j] * w.step[j];

    double ll_old = ev.ll_pen;
    int converged = 0, iter = 0;
    while (!converged && iter < params->max_iter) {
        iter++;
        /* The Newton decrement score' I^-1 score is twice the gain the
         * step promises.  Below the tolerance the likelihood cannot tell
         * the step from rounding (a full step may even come out lower),
         * but beta is still off by up to the square root of it: take the
         * step whole, which squares that error away, and stop. */
        double decrement = 0.0;
        for (int j = 0; j < p; j++)
            decrement += w.score[j] * w.step[j];
        const int last = decrement <= 2.0 * params->tol * fabs(ll_old);
        for (int j = 0; j < p; j++)
            w.trial[j] = beta[j] + w.step[j];
        timed_eval(&clock, &d, kernels, n_threads, params, w.trial, w.sums, &ev, hazard);
        int halvings = 0;
        while (!last && !(ev.ll_pen >= ll_old) && halvings < 40) {
            for (int j = 0; j < p; j++)
                w.trial[j] = 0.5 * (w.trial[j] + beta[j]);
            timed_eval(&clock, &d, kernels, n_threads, params, w.trial, w.sums, &ev,
                         hazard);
            halvings++;
        }
        if (!last && !(ev.ll_pen >= ll_old)) {
            /* No step improves on beta: it is the optimum to rounding. */
            timed_eval(&clock, &d, kernels, n_threads, params, beta, w.sums, &ev, hazard);
            if ((st = factor(kernels, &d, w.info, w.R, w.work)))
                goto done;
            chol_solve(p, w.R, w.score, w.step);
            converged = 1;
            break;
        }
        converged = last || (halvings == 0 && fabs(1.0 - ll_old / ev.ll_pen) <= params->tol);
        memcpy(beta, w.trial, (size_t)p * sizeof *beta);
        ll_old = ev.ll_pen;
        if ((st = factor(kernels, &d, w.info, w.R, w.work)))
            goto done;
        chol_solve(p, w.R, w.score, w.step);
    }
    /* Perfect separation: the likelihood has converged but Newton would
     * still move a coefficient by a sizeable step (it grows by about one
     * per iteration towards infinity), as R's coxph checks with u' var;
     * or the coefficient is already absurd. */
    for (int j = 0; j < p; j++)
        if (fabs(beta[j]) > COX_INFINITE_BETA ||
            fabs(w.step[j]) > 1e-4 * (fabs(beta[j]) > 1.0 ? fabs(beta[j]) : 1.0)) {
            st = clm_error(CLM_E_VALUE,
                           "cox: the coefficient of '%s' runs to infinity (perfect separation: "
                           "the covariate alone orders the events); drop it, merge its levels, or "
                           "fit with --l2", d.terms[j].name);
            goto done;
        }
    if (!converged) {
        st = clm_error(CLM_E_VALUE, "cox: Newton's method did not converge in %d iterations",
                       (int)params->max_iter);
        goto done;
    }
    /* The last evaluation was at beta: ev, the factor of its information
     * in w.R and the baseline increments in `hazard` are the fit's. */
    st = model_from_design(&d, params, &m);
    if ((st = comm_agree(d.comm, st)))
        goto done;
    m->iterations = iter;
    m->design_seconds = design_seconds;
    m->n_evals = clock.count;
    m->eval_seconds = clock.count ? clock.seconds / clock.count : 0.0;
    m->loglik_null = ll_null;
    m->loglik = ev.ll;
    m->lr_test = 2.0 * (ev.ll - ll_null);
    m->score_test = score_test;
    memcpy(m->beta, beta, (size_t)p * sizeof *beta);
    /* Variance: columns of the inverse information. */
    for (int k = 0; k < p; k++) {
        for (int j = 0; j < p; j++)
            w.step[j] = j == k;
        chol_solve(p, w.R, w.step, w.trial);
        for (int j = 0; j < p; j++)
            w.work[(size_t)j * p + k] = w.trial[j];
    }
    double wald = 0.0;
    for (int j = 0; j < p; j++)
        for (int k = 0; k < p; k++)
            wald += beta[j] * w.info[(size_t)j * p + k] * beta[k];
    m->wald_test = wald;
    m->lp_offset = 0.0;
    for (int j = 0; j < p; j++) {
        const double sj = m->terms[j].scale;
        m->coef[j] = beta[j] / sj;
        m->lp_offset += m->terms[j].center * m->coef[j];
        for (int k = 0; k < p; k++)
            m->var[(size_t)j * p + k] = w.work[(size_t)j * p + k] / (sj * m->terms[k].scale);
        m->se[j] = sqrt(m->var[(size_t)j * p + j]);
    }
    st = baseline(&d, hazard, m);
    if ((st = comm_agree(d.comm, st)))
        goto done;
    if (!(lp = util_alloc_big((size_t)(d.n_local > 0 ? d.n_local : 1) * sizeof *lp)))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if ((st = comm_agree(d.comm, st)))
        goto done;
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int64_t i = 0; i < d.n_local; i++) {
        const double *xi = d.x + (size_t)i * (size_t)p;
        double e = 0.0;
        for (int j = 0; j < p; j++)
            e += xi[j] * beta[j];
        lp[i] = e;
    }
    /* The concordance reads the linear predictor and the cells only: the
     * design's rows (8 bytes a row and covariate, the fit's largest array)
     * go before its pairs and their sort buffer (48 bytes a row) arrive. */
    free(d.x);
    d.x = NULL;
    d.p = p; /* the terms moved to the model; the concordance needs p only */
    st = cox_concordance(&d, lp, &m->concordance);
    d.p = 0;

done:
    free(lp);
    free(beta);
    free(hazard);
    work_free(&w);
    cox_design_free(&d);
    if (st) {
        clm_cox_free(m);
        return st;
    }
    *out = m;
    return CLM_OK;
}

/* ---- getters ------------------------------------------------------------ */

void clm_cox_get_summary(const clm_cox *m, clm_cox_summary *s)
{
    memset(s, 0, sizeof *s);
    s->n_terms = m->p;
    s->terms = (const char *const *)m->term_names;
    s->coef = m->coef;
    s->se = m->se;
    s->var = m->var;
    s->loglik_null = m->loglik_null;
    s->loglik = m->loglik;
    s->lr_test = m->lr_test;
    s->wald_test = m->wald_test;
    s->score_test = m->score_test;
    s->concordance = m->concordance;
    s->n_rows = m->n_rows;
    s->n_events = m->n_events;
    s->iterations = m->iterations;
    s->n_strata = m->n_strata;
    s->ties = m->params.ties;
    s->l2 = m->params.l2;
    s->design_seconds = m->design_seconds;
    s->iteration_seconds = m->eval_seconds;
}

int32_t clm_cox_n_strata(const clm_cox *m)
{
    return m->n_strata;
}

const char *clm_cox_stratum_label(const clm_cox *m, int32_t s)
{
    return s >= 0 && s < m->n_strata ? m->stratum_labels[s] : NULL;
}

const char *clm_cox_strata_name(const clm_cox *m)
{
    return m->strata_name;
}

void clm_cox_baseline(const clm_cox *m, int32_t s, int64_t *n, const double **time,
                      const double **cumhaz)
{
    int ok = s >= 0 && s < m->n_strata;
    *n = ok ? m->base_n[s] : 0;
    *time = ok ? m->base_time[s] : NULL;
    *cumhaz = ok ? m->base_cumhaz[s] : NULL;
}

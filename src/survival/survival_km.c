/*
 * survival_km.c — one Kaplan–Meier curve from its time-ordered counts:
 * at-risk numbers, S(t), Greenwood variance, confidence bands, the
 * Nelson–Aalen cumulative hazard, the median and its interval, S at the
 * horizons, the restricted mean and the cumulative LTV curve.
 *
 * The formulas reproduce R's survival package (survfit, survfit_confint,
 * survmean in print.survfit); docs/survival.md writes them out.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "survival/survival_internal.h"

void surv_curve_free(surv_curve *c)
{
    free(c->label);
    free(c->time);
    free(c->at_risk);
    free(c->events);
    free(c->censored);
    free(c->survival);
    free(c->std_err);
    free(c->lower);
    free(c->upper);
    free(c->cumhaz);
    free(c->survival_at);
    free(c->ltv);
    memset(c, 0, sizeof *c);
}

double surv_median_rule(int64_t n, const double *time, const double *y)
{
    /* print.survfit (survmean's minmin): the first time y < 0.5 + tol; if
     * y is 0.5 there (within tol) and drops lower later, the midpoint
     * between that time and the first time y is below it. */
    const double tol = sqrt(2.220446049250313e-16);
    int64_t first = -1;
    for (int64_t j = 0; j < n; j++)
        if (!isnan(y[j]) && y[j] < 0.5 + tol) {
            first = j;
            break;
        }
    if (first < 0)
        return NAN;
    if (fabs(y[first] - 0.5) < tol)
        for (int64_t j = first + 1; j < n; j++)
            if (!isnan(y[j]) && y[j] < y[first])
                return (time[first] + time[j]) / 2.0;
    return time[first];
}

/* S at time x: the value at the largest curve time <= x (1 before the
 * first time); `extend` 0 gives NaN past the last time. */
static double survival_at_time(const surv_curve *c, int64_t n, double x, int extend)
{
    if (n == 0)
        return 1.0;
    if (x > c->time[n - 1] && !extend)
        return NAN;
    int64_t lo = 0, hi = n; /* first index with time > x */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (c->time[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 1.0 : c->survival[lo - 1];
}

static void bands(const clm_survival_params *p, double z, int64_t n, surv_curve *c)
{
    for (int64_t j = 0; j < n; j++) {
        double s = c->survival[j], se = c->std_err[j];
        double lo, up;
        switch (p->conf_type) {
        case CLM_CONF_PLAIN: {
            double se2 = se * s * z; /* Inf * 0 at S = 0: NaN, as R's NA */
            lo = isnan(se2) ? NAN : fmax(s - se2, 0.0);
            up = isnan(se2) ? NAN : fmin(s + se2, 1.0);
            break;
        }
        case CLM_CONF_LOGLOG: {
            if (s == 0.0 || s == 1.0) {
                lo = up = NAN;
                break;
            }
            double ls = log(s);
            double se2 = z * se / ls;
            double ll = log(-ls);
            lo = exp(-exp(ll - se2));
            up = exp(-exp(ll + se2));
            break;
        }
        default:
            if (s == 0.0) {
                lo = up = NAN;
                break;
            }
            double ls = log(s);
            lo = exp(ls - z * se);
            up = fmin(exp(ls + z * se), 1.0);
            break;
        }
        c->lower[j] = lo;
        c->upper[j] = up;
    }
}

/* Restricted mean to `end` (R survmean): area under the step curve from 0. */
static double restricted_mean(const surv_curve *c, int64_t n, double end)
{
    double area = 0.0, prev_time = 0.0, prev_s = 1.0;
    for (int64_t j = 0; j < n && c->time[j] <= end; j++) {
        area += (c->time[j] - prev_time) * prev_s;
        prev_time = c->time[j];
        prev_s = c->survival[j];
    }
    return area + (end - prev_time) * prev_s;
}

clm_status surv_curve_build(const clm_survival_params *p, const char *label, int64_t n,
                            const double *time, const int64_t *censored,
                            const int64_t *events, double arpu_mean,
                            const double *discount_factors, double z, surv_curve *c)
{
    memset(c, 0, sizeof *c);
    size_t m = (size_t)(n ? n : 1);
    /* calloc where the median rule reads: gcc 12 cannot see that no value
     * of an empty curve is read, and warns. */
    size_t label_len = strlen(label) + 1;
    c->label = malloc(label_len);
    c->time = calloc(m, sizeof(double));
    c->at_risk = malloc(m * sizeof(int64_t));
    c->events = malloc(m * sizeof(int64_t));
    c->censored = malloc(m * sizeof(int64_t));
    c->survival = calloc(m, sizeof(double));
    c->std_err = malloc(m * sizeof(double));
    c->lower = calloc(m, sizeof(double));
    c->upper = calloc(m, sizeof(double));
    c->cumhaz = malloc(m * sizeof(double));
    c->survival_at = malloc((size_t)(p->n_at ? p->n_at : 1) * sizeof(double));
    int with_ltv = !isnan(arpu_mean);
    if (with_ltv)
        c->ltv = malloc(((size_t)p->horizon + 1) * sizeof(double));
    if (!c->label || !c->time || !c->at_risk || !c->events || !c->censored ||
        !c->survival || !c->std_err || !c->lower || !c->upper || !c->cumhaz ||
        !c->survival_at || (with_ltv && !c->ltv))
        return clm_error(CLM_E_NOMEM, "out of memory building the survival curve of '%s'", label);
    memcpy(c->label, label, label_len);

    int64_t total = 0, n_events = 0;
    for (int64_t j = 0; j < n; j++) {
        total += censored[j] + events[j];
        n_events += events[j];
    }
    int64_t at_risk = total;
    double s = 1.0, greenwood = 0.0, hazard = 0.0;
    for (int64_t j = 0; j < n; j++) {
        int64_t d = events[j];
        double nr = (double)at_risk, dd = (double)d;
        c->time[j] = time[j];
        c->at_risk[j] = at_risk;
        c->events[j] = d;
        c->censored[j] = censored[j];
        if (d > 0) {
            s *= (nr - dd) / nr;
            hazard += dd / nr;
            /* Greenwood: sum d / (n (n - d)); infinite once S reaches 0,
             * which R reports as std.err Inf. */
            greenwood += at_risk > d ? dd / (nr * (nr - dd)) : INFINITY;
        }
        c->survival[j] = s;
        c->std_err[j] = sqrt(greenwood);
        c->cumhaz[j] = hazard;
        at_risk -= d + censored[j];
    }
    bands(p, z, n, c);

    c->view.median = surv_median_rule(n, c->time, c->survival);
    c->view.median_lower = surv_median_rule(n, c->time, c->lower);
    c->view.median_upper = surv_median_rule(n, c->time, c->upper);
    c->view.rmst = restricted_mean(c, n, (double)p->horizon);
    for (int i = 0; i < p->n_at; i++)
        c->survival_at[i] = survival_at_time(c, n, p->at[i], 0);
    if (with_ltv) {
        /* LTV(h) = sum_{t=1..h} S(t) ARPU margin / (1 + d)^(t/12); S is
         * carried flat past the last observed time. */
        c->ltv[0] = 0.0;
        int64_t j = 0; /* first index with time > h: S(h) = survival[j - 1] */
        for (int32_t h = 1; h <= p->horizon; h++) {
            while (j < n && c->time[j] <= (double)h)
                j++;
            double st = j == 0 ? 1.0 : c->survival[j - 1];
            double factor = discount_factors ? discount_factors[h]
                                             : pow(1.0 + p->discount, h / 12.0);
            double value = st * arpu_mean * p->margin / factor;
            c->ltv[h] = c->ltv[h - 1] + value;
        }
    }

    clm_survival_curve *v = &c->view;
    v->label = c->label;
    v->n_rows = total;
    v->n_events = n_events;
    v->n_times = n;
    v->time = c->time;
    v->at_risk = c->at_risk;
    v->events = c->events;
    v->censored = c->censored;
    v->survival = c->survival;
    v->std_err = c->std_err;
    v->lower = c->lower;
    v->upper = c->upper;
    v->cumhaz = c->cumhaz;
    v->arpu_mean = arpu_mean;
    v->n_at = p->n_at;
    v->at = p->at;
    v->survival_at = c->survival_at;
    v->horizon = p->horizon;
    v->ltv = c->ltv;
    return CLM_OK;
}

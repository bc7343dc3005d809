/*
 * survival_print.c — the printed summary of a survival run: one line per
 * stratum and one for all rows (n, events, median with its interval, S at
 * the horizons, RMST and LTV at the horizon), then the log-rank line.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "survival/survival_internal.h"

static void print_value(FILE *out, int width, int precision, double v)
{
    if (isnan(v))
        fprintf(out, " %*s", width, "NA");
    else
        fprintf(out, " %*.*f", width, precision, v);
}

void clm_survival_print(const clm_survival *s, FILE *out, const char *by)
{
    if (!s->finished)
        return;
    const clm_survival_params *p = &s->params;
    int label_width = 10;
    for (int32_t i = 0; i < s->n_curves; i++) {
        int len = (int)strlen(s->curves[i].view.label);
        if (len > label_width)
            label_width = len > 40 ? 40 : len;
    }
    fprintf(out, "survival by %s: Kaplan-Meier, %g%% bands (%s), horizon %d months\n",
            by ? by : "(none)", 100.0 * p->conf_level, clm_survival_conf_type_name(p->conf_type),
            (int)p->horizon);
    fprintf(out, "%-*s %10s %9s %8s %19s", label_width, "stratum", "n", "events", "median", "CI");
    for (int k = 0; k < p->n_at; k++) {
        char head[32];
        snprintf(head, sizeof head, "S(%g)", p->at[k]);
        fprintf(out, " %7s", head);
    }
    char rmst[32], ltv[32];
    snprintf(rmst, sizeof rmst, "RMST(%d)", (int)p->horizon);
    snprintf(ltv, sizeof ltv, "LTV(%d)", (int)p->horizon);
    fprintf(out, " %9s %10s\n", rmst, ltv);
    int32_t first = by ? 0 : s->n_curves - 1;
    for (int32_t i = first; i < s->n_curves; i++) {
        const clm_survival_curve *c = &s->curves[i].view;
        fprintf(out, "%-*.*s %10lld %9lld", label_width, label_width, c->label,
                (long long)c->n_rows, (long long)c->n_events);
        print_value(out, 8, 2, c->median);
        char ci[64], lo[24], up[24];
        snprintf(lo, sizeof lo, isnan(c->median_lower) ? "NA" : "%.2f", c->median_lower);
        snprintf(up, sizeof up, isnan(c->median_upper) ? "NA" : "%.2f", c->median_upper);
        snprintf(ci, sizeof ci, "(%s, %s)", lo, up);
        fprintf(out, " %19s", ci);
        for (int k = 0; k < c->n_at; k++)
            print_value(out, 7, 4, c->survival_at[k]);
        print_value(out, 9, 2, c->rmst);
        print_value(out, 10, 2, c->ltv ? c->ltv[c->horizon] : NAN);
        fputc('\n', out);
    }
    if (by) {
        if (s->n_missing > 0)
            fprintf(out, "(%lld rows with a missing %s count in 'all' only)\n",
                    (long long)s->n_missing, by);
        fprintf(out, "log-rank: chi-square = %.6g on %d df, p = %.4g\n", s->logrank.chisq,
                (int)s->logrank.df, s->logrank.p_value);
        if (s->logrank.n_sparse > 0)
            fprintf(out, "(%d of the %d strata compared expect fewer than 5 events: the chi-square "
                         "approximation is poor for them)\n",
                    (int)s->logrank.n_sparse, (int)s->logrank.df + 1);
    }
}

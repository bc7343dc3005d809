/*
 * cox_print.c — the printed summary, laid out like R's summary(coxph):
 * the coefficient table (coef, exp(coef), se(coef), z, Pr(>|z|) with the
 * significance stars), the hazard ratios with their 95% intervals, the
 * concordance and the three tests.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/util_internal.h"
#include "cox/cox_internal.h"

static const char *stars(double p)
{
    return p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : "";
}

/* R's format.pval at 2 significant digits: "<2e-16" below that. */
static void format_p(double p, char *buf, size_t size)
{
    if (!(p >= 2e-16))
        snprintf(buf, size, "<2e-16");
    else
        snprintf(buf, size, "%.2g", p);
}

void clm_cox_print(const clm_cox *m, FILE *out)
{
    const int p = m->p;
    int width = 4;
    for (int j = 0; j < p; j++) {
        int len = (int)strlen(m->term_names[j]);
        width = len > width ? len : width;
    }
    fprintf(out, "Cox proportional hazards: time %s, event %s%s%s, ties %s", m->time_column,
            m->event_column, m->event_level ? " = " : "", m->event_level ? m->event_level : "",
            clm_cox_ties_name(m->params.ties));
    if (m->strata_name)
        fprintf(out, ", strata %s (%d)", m->strata_name, (int)m->n_strata);
    if (m->params.l2 > 0)
        fprintf(out, ", l2 %g", m->params.l2);
    fprintf(out, "\n\n  n= %lld, number of events= %lld\n\n", (long long)m->n_rows,
            (long long)m->n_events);
    fprintf(out, "%*s %12s %12s %12s %9s %9s\n", width, "", "coef", "exp(coef)", "se(coef)", "z",
            "Pr(>|z|)");
    for (int j = 0; j < p; j++) {
        double z = m->coef[j] / m->se[j];
        double pz = erfc(fabs(z) / sqrt(2.0));
        char pbuf[16];
        format_p(pz, pbuf, sizeof pbuf);
        fprintf(out, "%-*s %12.5g %12.5g %12.5g %9.3f %9s %s\n", width, m->term_names[j],
                m->coef[j], exp(m->coef[j]), m->se[j], z, pbuf, stars(pz));
    }
    fprintf(out, "---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n\n");
    const double zq = util_qnorm(0.975);
    fprintf(out, "%*s %10s %10s %10s %10s\n", width, "", "exp(coef)", "exp(-coef)", "lower .95",
            "upper .95");
    for (int j = 0; j < p; j++)
        fprintf(out, "%-*s %10.4g %10.4g %10.4g %10.4g\n", width, m->term_names[j],
                exp(m->coef[j]), exp(-m->coef[j]), exp(m->coef[j] - zq * m->se[j]),
                exp(m->coef[j] + zq * m->se[j]));
    char pbuf[16];
    fprintf(out, "\nConcordance= %.3f\n", m->concordance);
    format_p(util_chisq_upper(m->lr_test, p), pbuf, sizeof pbuf);
    fprintf(out, "Likelihood ratio test= %-8.4g on %d df,   p=%s\n", m->lr_test, p, pbuf);
    format_p(util_chisq_upper(m->wald_test, p), pbuf, sizeof pbuf);
    fprintf(out, "Wald test            = %-8.4g on %d df,   p=%s\n", m->wald_test, p, pbuf);
    format_p(util_chisq_upper(m->score_test, p), pbuf, sizeof pbuf);
    fprintf(out, "Score (logrank) test = %-8.4g on %d df,   p=%s\n", m->score_test, p, pbuf);
    fprintf(out, "Log-likelihood: %.6f (null %.6f), %d Newton iterations\n", m->loglik,
            m->loglik_null, (int)m->iterations);
}

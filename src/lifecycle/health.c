/*
 * health.c — branch health scores by rank among branches, and the lever
 * each branch should pull first.
 *
 * Ranks rather than raw values make the four sub-scores comparable (a
 * churn rate and an LTV have no common unit) and robust to one extreme
 * branch; the price is that scores are relative to this quarter's branches,
 * which is what a head office ranking needs.
 */
#include <math.h>
#include <stdlib.h>

#include "clmseg/health.h"
#include "core/util_internal.h"

const char *const clm_health_score_names[CLM_N_SCORES] = {"retention", "value", "growth", "risk"};
const char *const clm_health_lever_names[CLM_N_LEVERS] = {"acquisition", "retention", "up-sell/cross-sell", "win-back",
                                                   "bad-debt control"};

void clm_health_weights_default(clm_health_weights *w)
{
    w->weight[CLM_SCORE_RETENTION] = 0.30;
    w->weight[CLM_SCORE_VALUE] = 0.25;
    w->weight[CLM_SCORE_GROWTH] = 0.20;
    w->weight[CLM_SCORE_RISK] = 0.25;
}

clm_status clm_health_weights_check(const clm_health_weights *w)
{
    double sum = 0;
    for (int k = 0; k < CLM_N_SCORES; k++) {
        if (!(w->weight[k] >= 0) || !isfinite(w->weight[k]))
            return clm_error(CLM_E_PARAM, "health weights: weight of %s must be a number >= 0 (got %g)",
                             clm_health_score_names[k], w->weight[k]);
        sum += w->weight[k];
    }
    if (sum <= 0)
        return clm_error(CLM_E_PARAM, "health weights: at least one weight must be > 0");
    return CLM_OK;
}

/* score[i] = 100 (r_i - 1) / (B - 1), r the mean rank from worst (1) to
 * best (B).  `sign` is +1 when higher values are better, -1 otherwise.
 * NaN metrics rank as the worst. */
static int rank_scores(const double *values, int n, int sign, double *key, int *order, double *score)
{
    if (n == 1) {
        score[0] = 50.0;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        double v = values[i];
        key[i] = isnan(v) ? -INFINITY : sign * v;
    }
    if (util_order_by_key(key, n, order))
        return -1;
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && key[order[j + 1]] == key[order[i]])
            j++;
        double mean_rank = (i + j) / 2.0 + 1.0; /* ranks i+1 .. j+1 */
        for (int t = i; t <= j; t++)
            score[order[t]] = 100.0 * (mean_rank - 1.0) / (n - 1);
        i = j + 1;
    }
    return 0;
}

clm_status clm_health_score(const clm_health_metrics *m, int n, const clm_health_weights *w, clm_health_result *out)
{
    if (n < 1)
        return clm_error(CLM_E_PARAM, "health score: no branches");
    clm_status status = clm_health_weights_check(w);
    if (status != CLM_OK)
        return status;
    /* 8 metrics of n values, 8 score columns, the keys and their order. */
    double *values = malloc((size_t)n * 17 * sizeof *values);
    int *order = malloc((size_t)n * sizeof *order);
    if (!values || !order) {
        free(values);
        free(order);
        return clm_error(CLM_E_NOMEM, "health score: out of memory for %d branches", n);
    }
    double *col[8], *score[8];
    for (int k = 0; k < 8; k++) {
        col[k] = values + (size_t)k * n;
        score[k] = values + (size_t)(8 + k) * n;
    }
    for (int i = 0; i < n; i++) {
        col[0][i] = m[i].s12;
        col[1][i] = m[i].churn_rate;
        col[2][i] = m[i].arpu;
        col[3][i] = m[i].ltv;
        col[4][i] = m[i].share_ab;
        col[5][i] = m[i].arpu_change;
        col[6][i] = m[i].share_d;
        col[7][i] = m[i].revenue_at_risk;
    }
    static const int sign[8] = {+1, -1, +1, +1, +1, +1, -1, -1};
    double *key = values + (size_t)16 * n;
    for (int k = 0; k < 8; k++)
        if (rank_scores(col[k], n, sign[k], key, order, score[k])) {
            free(values);
            free(order);
            return clm_error(CLM_E_NOMEM, "health score: out of memory for %d branches", n);
        }
    double wsum = 0;
    for (int k = 0; k < CLM_N_SCORES; k++)
        wsum += w->weight[k];
    for (int i = 0; i < n; i++) {
        clm_health_result *h = &out[i];
        double total = 0;
        int weakest = 0;
        for (int k = 0; k < CLM_N_SCORES; k++) {
            h->score[k] = 0.5 * (score[2 * k][i] + score[2 * k + 1][i]);
            total += w->weight[k] * h->score[k];
            if (h->score[k] < h->score[weakest])
                weakest = k;
        }
        h->total = total / wsum;
        h->weakest = weakest;
        switch (weakest) {
        case CLM_SCORE_RETENTION: h->lever = CLM_LEVER_RETENTION; break;
        case CLM_SCORE_VALUE: h->lever = CLM_LEVER_UPSELL; break;
        case CLM_SCORE_GROWTH: h->lever = CLM_LEVER_ACQUISITION; break;
        default: h->lever = m[i].debt_share >= 0.5 ? CLM_LEVER_BAD_DEBT : CLM_LEVER_WINBACK; break;
        }
    }
    free(values);
    free(order);
    return CLM_OK;
}

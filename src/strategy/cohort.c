/*
 * cohort.c — the profiles of subscribers who are not on the network yet:
 * new ones (acquisition) and won-back churners (win-back).
 *
 * A new subscriber of a branch is taken to be like that branch's recent
 * joiners (active, tenure below the stage-A bound): their mean survival
 * from tenure 0 under the model, S(u) = mean_i exp(-r_i H_s(u)), and
 * their mean ARPU.  A won-back churner restarts with the survival of its
 * segment's recent joiners and its segment's mean ARPU.  A group without
 * recent joiners takes the company's (docs/strategy.md).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strategy/strategy_internal.h"

clm_status cohort_profiles(const clm_book *bk, int by_segment, double *prof, double *arpu)
{
    const int h = bk->horizon;
    const int32_t ng = by_segment ? (bk->n_segments > 0 ? bk->n_segments : 1) : bk->n_branches;
    const size_t len = (size_t)(h + 1);
    double *sum = calloc(((size_t)ng + 1) * len, sizeof *sum);
    double *n_join = calloc((size_t)ng + 1, sizeof *n_join);
    double *arpu_sum = calloc((size_t)ng + 1, sizeof *arpu_sum);
    double *n_arpu = calloc((size_t)ng + 1, sizeof *n_arpu);
    float *a = malloc(len * sizeof *a), *q = malloc(len * sizeof *q);
    if (!sum || !n_join || !arpu_sum || !n_arpu || !a || !q) {
        free(sum);
        free(n_join);
        free(arpu_sum);
        free(n_arpu);
        free(a);
        free(q);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    /* Group ng is the company. */
    for (int32_t b = 0; b < bk->n_branches; b++)
        for (int64_t i = bk->branch_start[b]; i < bk->branch_start[b + 1]; i++) {
            int32_t g = by_segment ? (bk->segment[i] >= 0 && bk->segment[i] < ng ? bk->segment[i] : 0) : b;
            const int joiner = bk->tenure[i] < bk->new_months;
            if (by_segment || joiner) {
                arpu_sum[g] += bk->arpu[i];
                n_arpu[g] += 1.0;
            }
            if (joiner) {
                arpu_sum[ng] += bk->arpu[i];
                n_arpu[ng] += 1.0;
            }
            if (!joiner)
                continue;
            const double *grid = bk->grid + (size_t)bk->stratum[i] * (size_t)bk->grid_len;
            for (int u = 0; u < h; u++)
                a[u] = (float)grid[u + 1];
            bk->kernels->expneg_f32((float)bk->r[i], a, h, q);
            const int32_t gs[2] = {g, ng};
            for (int k = 0; k < 2; k++) {
                double *s = sum + (size_t)gs[k] * len;
                s[0] += 1.0;
                for (int u = 0; u < h; u++)
                    s[u + 1] += q[u];
                n_join[gs[k]] += 1.0;
            }
        }
    for (int32_t g = 0; g < ng; g++) {
        const int own = n_join[g] > 0;
        const int32_t from = own || n_join[ng] == 0 ? g : ng;
        const double *s = sum + (size_t)from * len;
        for (int u = 0; u <= h; u++)
            prof[(size_t)g * len + (size_t)u] = n_join[from] > 0 ? s[u] / n_join[from] : (u == 0);
        const int32_t af = n_arpu[g] > 0 ? g : ng;
        arpu[g] = n_arpu[af] > 0 ? arpu_sum[af] / n_arpu[af] : 0.0;
    }
    free(sum);
    free(n_join);
    free(arpu_sum);
    free(n_arpu);
    free(a);
    free(q);
    return CLM_OK;
}

/*
 * holdout.c — the stratified, seeded train/test split.
 *
 * Each class k gets exactly round(fraction * n_k) test rows, chosen by
 * selection sampling (Knuth's algorithm S) over the rows in order with a
 * uniform number derived from (seed, row) by a counter-based mixer: the
 * split depends only on the targets and the seed, never on threads.
 */
#include <math.h>

#include "tree/tree_internal.h"

void tree_holdout_split(const uint8_t *y, int64_t n_rows, int n_classes,
                        double fraction, uint64_t seed, uint8_t *holdout,
                        int32_t *train, int64_t *n_train, int32_t *test,
                        int64_t *n_test)
{
    int64_t remaining[CLM_TREE_MAX_CLASSES] = {0}, needed[CLM_TREE_MAX_CLASSES];
    for (int64_t i = 0; i < n_rows; i++)
        remaining[y[i]]++;
    for (int k = 0; k < n_classes; k++)
        needed[k] = (int64_t)llround(fraction * (double)remaining[k]);
    uint64_t key = util_splitmix64(seed ^ 0x686f6c646f7574ULL);
    int64_t nt = 0, ns = 0;
    for (int64_t i = 0; i < n_rows; i++) {
        int k = y[i];
        /* Uniform in [0, 1) with 53 bits. */
        double u = (double)(util_splitmix64(key + (uint64_t)i) >> 11) * 0x1.0p-53;
        int pick = needed[k] > 0 && u * (double)remaining[k] < (double)needed[k];
        remaining[k]--;
        if (pick) {
            needed[k]--;
            if (holdout)
                holdout[i] = 1;
            if (test)
                test[ns] = (int32_t)i;
            ns++;
        } else {
            if (holdout)
                holdout[i] = 0;
            if (train)
                train[nt] = (int32_t)i;
            nt++;
        }
    }
    *n_train = nt;
    *n_test = ns;
}

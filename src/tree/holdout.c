/*
 * holdout.c — the stratified, seeded train/test split.
 *
 * Each class k gets exactly round(fraction * n_k) test rows, chosen by
 * selection sampling (Knuth's algorithm S) over the rows in order with a
 * uniform number derived from (seed, row) by a counter-based mixer: the
 * split depends only on the targets and the seed, never on threads.
 * The draw is a walk over the rows whose state (each class's rows left
 * and test rows still needed) is all a later row depends on: on several
 * ranks each walks its own rows from the state the rank before it handed
 * on (tree_holdout_ranks).
 */
#include <math.h>
#include <string.h>

#include "tree/tree_internal.h"

void tree_holdout_start(tree_holdout_state *st, const int64_t *counts, int n_classes, double fraction)
{
    memset(st, 0, sizeof *st);
    for (int k = 0; k < n_classes; k++) {
        st->remaining[k] = counts[k];
        st->needed[k] = (int64_t)llround(fraction * (double)counts[k]);
    }
}

void tree_holdout_rows(tree_holdout_state *st, const uint8_t *y, int64_t n_rows, int64_t first_row,
                       uint64_t seed, uint8_t *holdout, int32_t *train, int32_t *test)
{
    const uint64_t key = util_splitmix64(seed ^ 0x686f6c646f7574ULL);
    int64_t nt = 0, ns = 0;
    for (int64_t i = 0; i < n_rows; i++) {
        int k = y[i];
        /* Uniform in [0, 1) with 53 bits, keyed on the table row. */
        double u = (double)(util_splitmix64(key + (uint64_t)(first_row + i)) >> 11) * 0x1.0p-53;
        int pick = st->needed[k] > 0 && u * (double)st->remaining[k] < (double)st->needed[k];
        st->remaining[k]--;
        if (pick) {
            st->needed[k]--;
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
    st->n_train += nt;
    st->n_test += ns;
}

void tree_holdout_split(const uint8_t *y, int64_t n_rows, int n_classes,
                        double fraction, uint64_t seed, uint8_t *holdout,
                        int32_t *train, int64_t *n_train, int32_t *test,
                        int64_t *n_test)
{
    int64_t counts[CLM_TREE_MAX_CLASSES] = {0};
    for (int64_t i = 0; i < n_rows; i++)
        counts[y[i]]++;
    tree_holdout_state st;
    tree_holdout_start(&st, counts, n_classes, fraction);
    tree_holdout_rows(&st, y, n_rows, 0, seed, holdout, train, test);
    *n_train = st.n_train;
    *n_test = st.n_test;
}

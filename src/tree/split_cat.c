/*
 * split_cat.c — regularised splits of a categorical feature.
 *
 * The target-ordered partition of Breiman et al. (1984, §9.4) is the best
 * binary partition of the categories for two classes, but it is chosen
 * among as many cuts as there are categories and fits the noise of small
 * categories: on 5,000 subscribers a 51-level state column won splits that
 * did not hold on the holdout.  The search here follows the regularisation
 * of LightGBM's categorical splits (Ke et al. 2017; its min_data_per_group,
 * cat_smooth, max_cat_threshold, cat_l2 and max_cat_to_onehot), recast for
 * impurity costs:
 *
 *   1. Pooling: a category with fewer than cat_min_count rows in the node
 *      (or none) joins the missing values in a "pool" that is not ordered;
 *      the pool goes to whichever side of a cut costs less (it is tried on
 *      the right, then the left), and the predictions of its categories,
 *      of missing values and of unseen labels follow it (missing_left).
 *      Both children must hold max(min_leaf, cat_min_count) rows.
 *   2. Ordering (two classes): the categories are sorted by their class-1
 *      rate shrunk toward the node's rate by cat_smooth pseudo-rows,
 *      (w1 + s * p1) / (w + s), so a small category with an extreme rate
 *      does not land at an end of the order by chance.
 *   3. Cap: an ordered cut moves at most cat_max_threshold categories to
 *      its smaller side (cuts near the middle of a long order are the ones
 *      that fit noise); the pool may also stand alone against all
 *      categories.
 *   4. One against the rest when the node has at most cat_max_onehot
 *      categories, and always for more than two classes (no ordering is
 *      optimal there).
 *   5. Shrunk cost: each child is scored by W * impurity of its class
 *      shares shrunk toward the node's by cat_l2 pseudo-rows,
 *      p_k = (w_k + l * pi_k) / (W + l): small children cost more than
 *      their raw impurity, so a categorical split must beat a numeric one
 *      by more than the optimism of picking among many partitions.  This
 *      cost is the split's cost for the choice between features and for
 *      the gain (min_gain, best-first order); the node impurities stored
 *      are the plain ones.
 *
 * Everything is a deterministic function of the integer histogram, so the
 * thread count changes nothing.  Ties keep the first candidate: lowest
 * position in the order, pool right before pool left.
 */
#include <math.h>
#include <string.h>

#include "split_scan.h"
#include "tree/tree_internal.h"

/* Cost W * impurity of class sums w[K] with shares shrunk toward prior[K]
 * (which sums to 1) by l pseudo-rows. */
static double shrunk_cost(const double *w, const double *prior, int K, double l, int criterion)
{
    if (!(l > 0.0))
        return clm_k_node_cost_f64(w, K, criterion);
    double total = 0.0, v[CLM_TREE_MAX_CLASSES];
    for (int k = 0; k < K; k++)
        total += w[k];
    if (!(total > 0.0))
        return 0.0;
    const double scale = total / (total + l);
    for (int k = 0; k < K; k++)
        v[k] = (w[k] + l * prior[k]) * scale;
    return clm_k_node_cost_f64(v, K, criterion);
}

/* Sorts order[0..n) by smoothed class-1 rate, ascending; ties by bin
 * (insertion sort: stable, at most 255 entries). */
static void order_by_rate(int32_t *order, int n, const double *weighted, double smooth,
                          double prior1)
{
    double rate[CLM_TREE_MAX_BINS];
    for (int i = 0; i < n; i++) {
        const double *w = weighted + 2 * order[i];
        rate[order[i]] = (w[1] + smooth * prior1) / (w[0] + w[1] + smooth);
    }
    for (int i = 1; i < n; i++) {
        int32_t b = order[i];
        int j = i - 1;
        while (j >= 0 && rate[order[j]] > rate[b]) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = b;
    }
}

/* The running search state of one feature. */
typedef struct cat_search {
    int K, criterion;
    double l2;
    int64_t min_side, n_total, n_pool;
    const double *total, *pool, *prior;
    double best_cost;
    int best_candidate, best_pool_left;
} cat_search;

/* Scores a candidate left set (class sums left[K], n_left rows) with the
 * pool on the right, then on the left. */
static void try_candidate(cat_search *s, int candidate, const double *left, int64_t n_left)
{
    const int K = s->K;
    for (int pool_left = 0; pool_left < 2; pool_left++) {
        if (pool_left && s->n_pool == 0)
            break;
        int64_t nl = n_left + (pool_left ? s->n_pool : 0), nr = s->n_total - nl;
        if (nl < s->min_side || nr < s->min_side)
            continue;
        double lw[CLM_TREE_MAX_CLASSES], rw[CLM_TREE_MAX_CLASSES];
        for (int k = 0; k < K; k++) {
            lw[k] = pool_left ? left[k] + s->pool[k] : left[k];
            rw[k] = s->total[k] - lw[k];
        }
        double cost = shrunk_cost(lw, s->prior, K, s->l2, s->criterion) +
                      shrunk_cost(rw, s->prior, K, s->l2, s->criterion);
        if (cost < s->best_cost) {
            s->best_cost = cost;
            s->best_candidate = candidate;
            s->best_pool_left = pool_left;
        }
    }
}

static void set_bit(uint64_t *bits, int b)
{
    bits[b >> 6] |= (uint64_t)1 << (b & 63);
}

void tree_find_split_categorical(const tree_data *data, int f, const double *weighted,
                                 const int64_t *counts, int n_bins,
                                 const clm_tree_params *params, tree_split *split)
{
    const int K = data->n_classes;
    const int64_t min_count = params->cat_min_count;
    double total[CLM_TREE_MAX_CLASSES] = {0}, pool[CLM_TREE_MAX_CLASSES] = {0};
    double prior[CLM_TREE_MAX_CLASSES];
    int32_t order[CLM_TREE_MAX_BINS];
    int64_t n_total = 0, n_pool = 0;
    int m = 0;
    for (int b = 0; b < n_bins; b++) {
        const int pooled = b == 0 || counts[b] < min_count;
        for (int k = 0; k < K; k++) {
            total[k] += weighted[b * K + k];
            if (pooled)
                pool[k] += weighted[b * K + k];
        }
        n_total += counts[b];
        if (pooled)
            n_pool += counts[b];
        else
            order[m++] = b;
    }
    if (m == 0 || (m == 1 && n_pool == 0))
        return;
    double w_total = 0.0;
    for (int k = 0; k < K; k++)
        w_total += total[k];
    if (!(w_total > 0.0))
        return;
    for (int k = 0; k < K; k++)
        prior[k] = total[k] / w_total;

    cat_search s = {K, (int)params->criterion, params->cat_l2,
                    params->min_leaf > min_count ? params->min_leaf : min_count,
                    n_total, n_pool, total, pool, prior, split->cost, -1, 0};
    const int onehot = K != 2 || m <= params->cat_max_onehot;
    double left[CLM_TREE_MAX_CLASSES];
    int64_t n_left = 0;
    if (onehot) {
        /* Candidate q: order[q] alone (order is by bin here). */
        for (int q = 0; q < m; q++) {
            for (int k = 0; k < K; k++)
                left[k] = weighted[order[q] * K + k];
            try_candidate(&s, q, left, counts[order[q]]);
        }
    } else {
        /* Candidate p: order[0..p] left; p = m - 1 (every category
         * against the pool) only when the pool holds rows. */
        order_by_rate(order, m, weighted, params->cat_smooth, prior[1]);
        memset(left, 0, sizeof left);
        for (int p = 0; p < m; p++) {
            for (int k = 0; k < K; k++)
                left[k] += weighted[order[p] * K + k];
            n_left += counts[order[p]];
            int moved = p + 1 < m - 1 - p ? p + 1 : m - 1 - p;
            if (moved > params->cat_max_threshold || (p == m - 1 && n_pool == 0))
                continue;
            try_candidate(&s, p, left, n_left);
        }
    }
    if (s.best_candidate < 0)
        return;

    /* The chosen left set, as bins. */
    uint64_t bits[4] = {0};
    n_left = 0;
    const int first = onehot ? s.best_candidate : 0;
    for (int p = first; p <= s.best_candidate; p++) {
        set_bit(bits, order[p]);
        n_left += counts[order[p]];
    }
    int pool_left = s.best_pool_left;
    if (n_pool == 0) /* nothing pooled in training: unknowns follow the majority */
        pool_left = n_left >= n_total - n_left;
    else if (pool_left)
        n_left += n_pool;
    if (pool_left)
        for (int b = 1; b < n_bins; b++)
            if (counts[b] < min_count)
                set_bit(bits, b);
    split->found = 1;
    split->feature = f;
    split->cost = s.best_cost;
    split->n_left = n_left;
    split->n_right = n_total - n_left;
    split->missing_left = pool_left;
    split->threshold = NAN;
    split->split_bin = 0;
    memcpy(split->left_bins, bits, sizeof bits);
}

/*
 * split.c — best split of a node from its class histogram.
 *
 * For each numeric feature the node's non-empty bins are put in increasing
 * order and the split-scan kernel finds the cheapest cut; the threshold is
 * the midpoint between the last value going left and the first going right
 * (the scikit-learn convention) when the feature is binned exactly, else
 * the upper edge of the last left bin.  Categorical features are searched
 * by split_cat.c (regularised partitions of the categories).  Ties keep
 * the lowest feature, then the lowest cut, then "missing right".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_internal.h"

static double midpoint(double lo, double hi)
{
    double m = lo / 2.0 + hi / 2.0;
    if (m == hi || isinf(m))
        m = lo;
    return m;
}

void tree_find_split(const tree_data *data, const int64_t *hist,
                     const double *class_weight, const clm_tree_params *params,
                     tree_split *split)
{
    const int K = data->n_classes;
    const int criterion = (int)params->criterion;
    const int64_t min_leaf = params->min_leaf;
    memset(split, 0, sizeof *split);
    split->cost = INFINITY;
    double *weighted = malloc((size_t)CLM_TREE_MAX_BINS * K * sizeof *weighted);
    int64_t counts[CLM_TREE_MAX_BINS];
    int32_t order[CLM_TREE_MAX_BINS];
    if (!weighted)
        return; /* treated as "no split": the node stays a leaf */

    for (int f = 0; f < data->n_features; f++) {
        const tree_feature *feat = &data->features[f];
        const int64_t *h = hist + (int64_t)f * CLM_TREE_MAX_BINS * K;
        const int n_bins = feat->n_value_bins + 1;
        for (int b = 0; b < n_bins; b++) {
            int64_t c = 0;
            for (int k = 0; k < K; k++) {
                c += h[b * K + k];
                weighted[b * K + k] = (double)h[b * K + k] * class_weight[k];
            }
            counts[b] = c;
        }
        if (feat->categorical) {
            tree_find_split_categorical(data, f, weighted, counts, n_bins, params, split);
            continue;
        }
        int n_order = 0;
        for (int b = 1; b < n_bins; b++)
            if (counts[b] > 0)
                order[n_order++] = b;
        if (n_order < 2)
            continue;
        clm_k_split_best best;
        data->kernels->split_scan_f64(weighted, counts, order, n_order, K, criterion,
                                      min_leaf, &best);
        if (best.position < 0 || !(best.cost < split->cost))
            continue;
        int64_t n_left = 0;
        for (int p = 0; p <= best.position; p++)
            n_left += counts[order[p]];
        int64_t n_total = counts[0];
        for (int p = 0; p < n_order; p++)
            n_total += counts[order[p]];
        if (best.missing_left == 1)
            n_left += counts[0];
        split->found = 1;
        split->feature = f;
        split->cost = best.cost;
        split->n_left = n_left;
        split->n_right = n_total - n_left;
        /* Without missing rows in the node, unknowns follow the
         * majority. */
        split->missing_left = best.missing_left >= 0 ? best.missing_left
                                                     : (split->n_left >= split->n_right);
        memset(split->left_bins, 0, sizeof split->left_bins);
        int bl = order[best.position], br = order[best.position + 1];
        if (feat->exact) {
            split->threshold = midpoint(feat->values[bl], feat->values[br]);
            int sb = bl;
            while (sb + 1 < br && feat->values[sb + 1] <= split->threshold)
                sb++;
            split->split_bin = sb;
        } else {
            split->threshold = feat->edges[bl - 1];
            split->split_bin = bl;
        }
    }
    free(weighted);
}

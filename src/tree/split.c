/*
 * split.c — best split of a node from its class histogram.
 *
 * For each feature the node's non-empty bins are put in scan order and the
 * split-scan kernel finds the cheapest cut:
 *   - numeric: bins in increasing order; the threshold is the midpoint
 *     between the last value going left and the first going right (the
 *     scikit-learn convention) when the feature is binned exactly, else the
 *     upper edge of the last left bin;
 *   - categorical, two classes: categories ordered by their (weighted)
 *     rate of class 1 — the optimal binary partition for Gini and entropy
 *     (Breiman et al. 1984, §9.4) — then cut like a numeric feature;
 *   - categorical, more classes: one category against the rest.
 * Categories with no rows in the node follow the missing side.  Ties keep
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

/* Sorts bins by rate of class 1 (ascending), ties by bin: insertion sort,
 * at most 255 entries, stable. */
static void order_by_rate(int32_t *order, int n, const double *weighted)
{
    for (int i = 1; i < n; i++) {
        int32_t b = order[i];
        double rb = weighted[2 * b + 1] / (weighted[2 * b] + weighted[2 * b + 1]);
        int j = i - 1;
        while (j >= 0) {
            int32_t a = order[j];
            double ra = weighted[2 * a + 1] / (weighted[2 * a] + weighted[2 * a + 1]);
            if (!(ra > rb))
                break;
            order[j + 1] = a;
            j--;
        }
        order[j + 1] = b;
    }
}

static void set_bit(uint64_t *bits, int b)
{
    bits[b >> 6] |= (uint64_t)1 << (b & 63);
}

void tree_find_split(const tree_data *data, const int64_t *hist,
                     const double *class_weight, int criterion,
                     int64_t min_leaf, tree_split *split)
{
    const int K = data->n_classes;
    memset(split, 0, sizeof *split);
    split->cost = INFINITY;
    double *weighted = malloc((size_t)CLM_TREE_MAX_BINS * K * sizeof *weighted);
    double small[3 * CLM_TREE_MAX_CLASSES];
    int64_t counts[CLM_TREE_MAX_BINS], small_counts[3];
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
        int n_order = 0;
        for (int b = 1; b < n_bins; b++)
            if (counts[b] > 0)
                order[n_order++] = b;
        if (n_order < 2)
            continue;

        if (!feat->categorical || K == 2) {
            if (feat->categorical)
                order_by_rate(order, n_order, weighted);
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
            if (!feat->categorical) {
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
            } else {
                split->threshold = NAN;
                split->split_bin = 0;
                for (int p = 0; p <= best.position; p++)
                    set_bit(split->left_bins, order[p]);
                if (split->missing_left)
                    for (int b = 1; b < n_bins; b++)
                        if (counts[b] == 0)
                            set_bit(split->left_bins, b);
            }
            continue;
        }

        /* Multi-class categorical: one category (bin 1 of a 3-bin
         * histogram) against the rest (bin 2); bin 0 stays missing. */
        for (int p = 0; p < n_order; p++) {
            int c = order[p];
            for (int k = 0; k < K; k++) {
                small[k] = weighted[k];
                small[K + k] = weighted[c * K + k];
                small[2 * K + k] = 0.0;
            }
            small_counts[0] = counts[0];
            small_counts[1] = counts[c];
            small_counts[2] = 0;
            for (int q = 0; q < n_order; q++) {
                if (q == p)
                    continue;
                for (int k = 0; k < K; k++)
                    small[2 * K + k] += weighted[order[q] * K + k];
                small_counts[2] += counts[order[q]];
            }
            static const int32_t pair[2] = {1, 2};
            clm_k_split_best best;
            data->kernels->split_scan_f64(small, small_counts, pair, 2, K, criterion, min_leaf,
                                          &best);
            if (best.position < 0 || !(best.cost < split->cost))
                continue;
            int64_t n_total = small_counts[0] + small_counts[1] + small_counts[2];
            int64_t n_left = small_counts[1] + (best.missing_left == 1 ? counts[0] : 0);
            split->found = 1;
            split->feature = f;
            split->cost = best.cost;
            split->n_left = n_left;
            split->n_right = n_total - n_left;
            split->missing_left = best.missing_left >= 0 ? best.missing_left
                                                         : (split->n_left >= split->n_right);
            split->threshold = NAN;
            split->split_bin = 0;
            memset(split->left_bins, 0, sizeof split->left_bins);
            set_bit(split->left_bins, c);
            if (split->missing_left)
                for (int b = 1; b < n_bins; b++)
                    if (counts[b] == 0)
                        set_bit(split->left_bins, b);
        }
    }
    free(weighted);
}

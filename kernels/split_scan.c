/*
 * split_scan.c — reference and x86-64 baseline (`_sse2`) split scans (see
 * split_scan.h).  The `_sse2` variant is plain C: its gain is the
 * two-class path, not vector instructions, but it is tuned for (and only
 * installed on) x86-64, whose doubles run in SSE2 registers.
 *
 * The two-class path keeps the running left sums in registers and
 * evaluates the cost with the exact expression sequence of the reference
 * (sums start from 0.0 and add class 0 then class 1), so the two variants
 * agree to the bit and the tree does not depend on which one ran.  The
 * build uses -std=c11, under which GCC does not contract a*b+c into FMA.
 */
#include <math.h>

#include "split_scan.h"

double clm_k_node_cost_f64(const double *w, int n_classes, int criterion)
{
    double total = 0.0;
    for (int k = 0; k < n_classes; k++)
        total += w[k];
    if (!(total > 0.0))
        return 0.0;
    if (criterion == CLM_K_ENTROPY) {
        double cost = 0.0;
        for (int k = 0; k < n_classes; k++)
            if (w[k] > 0.0)
                cost -= w[k] * log2(w[k] / total);
        return cost;
    }
    double squares = 0.0;
    for (int k = 0; k < n_classes; k++)
        squares += w[k] * w[k];
    return total - squares / total;
}

void clm_k_split_scan_f64_ref(const double *weighted, const int64_t *counts,
                              const int32_t *order, int n_order, int n_classes,
                              int criterion, int64_t min_leaf,
                              clm_k_split_best *best)
{
    double total[CLM_K_SPLIT_MAX_CLASSES], left[CLM_K_SPLIT_MAX_CLASSES];
    double lsum[CLM_K_SPLIT_MAX_CLASSES], rsum[CLM_K_SPLIT_MAX_CLASSES];
    const double *missing = weighted;
    int64_t n_missing = counts[0], n_total = counts[0];
    for (int k = 0; k < n_classes; k++) {
        total[k] = missing[k];
        left[k] = 0.0;
    }
    for (int p = 0; p < n_order; p++) {
        const double *w = weighted + (int64_t)order[p] * n_classes;
        for (int k = 0; k < n_classes; k++)
            total[k] += w[k];
        n_total += counts[order[p]];
    }
    best->cost = INFINITY;
    best->position = -1;
    best->missing_left = n_missing > 0 ? 0 : -1;
    int64_t n_left = 0;
    for (int p = 0; p + 1 < n_order; p++) {
        const double *w = weighted + (int64_t)order[p] * n_classes;
        for (int k = 0; k < n_classes; k++)
            left[k] += w[k];
        n_left += counts[order[p]];
        for (int miss = 0; miss < 2; miss++) {
            if (miss && n_missing == 0)
                break;
            int64_t nl = n_left + (miss ? n_missing : 0);
            int64_t nr = n_total - nl;
            if (nl < min_leaf || nr < min_leaf)
                continue;
            for (int k = 0; k < n_classes; k++) {
                lsum[k] = miss ? left[k] + missing[k] : left[k];
                rsum[k] = total[k] - lsum[k];
            }
            double cost = clm_k_node_cost_f64(lsum, n_classes, criterion) +
                          clm_k_node_cost_f64(rsum, n_classes, criterion);
            if (cost < best->cost) {
                best->cost = cost;
                best->position = p;
                if (n_missing > 0)
                    best->missing_left = miss;
            }
        }
    }
}

/* Cost of a two-class vector, the reference expression spelled out. */
static inline double cost2(double w0, double w1, int criterion)
{
    double total = 0.0 + w0 + w1;
    if (!(total > 0.0))
        return 0.0;
    if (criterion == CLM_K_ENTROPY) {
        double cost = 0.0;
        if (w0 > 0.0)
            cost -= w0 * log2(w0 / total);
        if (w1 > 0.0)
            cost -= w1 * log2(w1 / total);
        return cost;
    }
    double squares = 0.0 + w0 * w0 + w1 * w1;
    return total - squares / total;
}

void clm_k_split_scan_f64_sse2(const double *weighted, const int64_t *counts,
                                const int32_t *order, int n_order, int n_classes,
                                int criterion, int64_t min_leaf,
                                clm_k_split_best *best)
{
    if (n_classes != 2) {
        clm_k_split_scan_f64_ref(weighted, counts, order, n_order, n_classes,
                                 criterion, min_leaf, best);
        return;
    }
    const double m0 = weighted[0], m1 = weighted[1];
    const int64_t n_missing = counts[0];
    double t0 = m0, t1 = m1;
    int64_t n_total = n_missing;
    for (int p = 0; p < n_order; p++) {
        const double *w = weighted + 2 * (int64_t)order[p];
        t0 += w[0];
        t1 += w[1];
        n_total += counts[order[p]];
    }
    double best_cost = INFINITY;
    int best_position = -1, best_missing = n_missing > 0 ? 0 : -1;
    double l0 = 0.0, l1 = 0.0;
    int64_t n_left = 0;
    for (int p = 0; p + 1 < n_order; p++) {
        const double *w = weighted + 2 * (int64_t)order[p];
        l0 += w[0];
        l1 += w[1];
        n_left += counts[order[p]];
        int64_t nr = n_total - n_left;
        if (n_left >= min_leaf && nr >= min_leaf) {
            double cost = cost2(l0, l1, criterion) + cost2(t0 - l0, t1 - l1, criterion);
            if (cost < best_cost) {
                best_cost = cost;
                best_position = p;
                if (n_missing > 0)
                    best_missing = 0;
            }
        }
        if (n_missing > 0) {
            int64_t nl = n_left + n_missing;
            nr = n_total - nl;
            if (nl >= min_leaf && nr >= min_leaf) {
                double a0 = l0 + m0, a1 = l1 + m1;
                double cost = cost2(a0, a1, criterion) + cost2(t0 - a0, t1 - a1, criterion);
                if (cost < best_cost) {
                    best_cost = cost;
                    best_position = p;
                    best_missing = 1;
                }
            }
        }
    }
    best->cost = best_cost;
    best->position = best_position;
    best->missing_left = best_missing;
}

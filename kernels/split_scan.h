/*
 * split_scan.h — best threshold of one feature from its node histogram
 * (the split search of histogram CART).
 *
 * Input: the feature's class histogram weighted[bin * n_classes + k]
 * (class-weighted counts) and its row counts counts[bin], where bin 0 holds
 * the missing values, and an `order` of the node's non-empty value bins:
 * increasing bins for a numeric feature, categories sorted by target rate
 * for a categorical one.  Candidate split p sends order[0..p] left and
 * order[p+1..] right; the missing bin is tried on the right, then on the
 * left.  The kernel returns the candidate with the smallest children cost
 *     cost = W_L * impurity(L) + W_R * impurity(R)
 * where, for class sums w_k and W = sum w_k,
 *     Gini:    W * impurity = W - sum w_k^2 / W
 *     entropy: W * impurity = -sum w_k log2(w_k / W).
 * Ties keep the first candidate in scan order (strict "<"), so the lowest
 * threshold wins and "missing right" beats "missing left".  Both children
 * must hold at least min_leaf rows.
 *
 * Both variants perform the same floating-point operations in the same
 * order and give bit-identical results (tested).  No allocation, no I/O,
 * no threads.
 */
#ifndef CLMSEG_KERNEL_SPLIT_SCAN_H
#define CLMSEG_KERNEL_SPLIT_SCAN_H

#include <stdint.h>

#define CLM_K_SPLIT_MAX_CLASSES 64

enum { CLM_K_GINI = 0, CLM_K_ENTROPY = 1 };

typedef struct clm_k_split_best {
    double cost;       /* children cost; +inf when no valid candidate       */
    int position;      /* left = order[0..position]; -1 when none           */
    int missing_left;  /* 1/0; -1 when the node has no missing rows         */
} clm_k_split_best;

/* Children cost W * impurity of one class-sum vector (exposed so the
 * driver computes node impurities with the same arithmetic). */
double clm_k_node_cost_f64(const double *w, int n_classes, int criterion);

/* n_order may be 0 or 1 (no candidate).  n_classes <= 64. */
void clm_k_split_scan_f64_ref(const double *weighted, const int64_t *counts,
                              const int32_t *order, int n_order, int n_classes,
                              int criterion, int64_t min_leaf,
                              clm_k_split_best *best);

/* Same contract and bit-identical result; the x86-64 baseline variant:
 * two-class fast path with the cost inlined and no per-class loops. */
void clm_k_split_scan_f64_sse2(const double *weighted, const int64_t *counts,
                                const int32_t *order, int n_order, int n_classes,
                                int criterion, int64_t min_leaf,
                                clm_k_split_best *best);

#endif /* CLMSEG_KERNEL_SPLIT_SCAN_H */

/*
 * metrics_internal.h — routing evaluated rows to leaves and the metrics
 * built on the per-leaf class counts (metrics.c), shared with the
 * permutation importance (importance.c).
 */
#ifndef CLMSEG_TREE_METRICS_INTERNAL_H
#define CLMSEG_TREE_METRICS_INTERNAL_H

#include "tree/tree_internal.h"

/* Class counts per leaf of rows[0..n) (rows NULL: 0..n-1) of the training
 * data: counts[leaf * K + class], all nodes, summed over the ranks.  With override_bins, row i
 * uses override_bins[i] for feature override_feature. */
clm_status tree_leaf_counts(const clm_tree *tree, const int32_t *rows, int64_t n,
                            int override_feature, const uint8_t *override_bins,
                            int64_t *counts);

/* Class of largest share at a leaf (ties: lowest class). */
int tree_predicted_class(const clm_tree *tree, int leaf);

/* Rows of leaf counts predicted right, and all of them. */
void tree_right_from_counts(const clm_tree *tree, const int64_t *counts, int64_t *right,
                            int64_t *total);

/* right / total, NaN when total is 0. */
double tree_accuracy_of(int64_t right, int64_t total);

/* Accuracy of leaf counts (NaN when empty). */
double tree_accuracy_from_counts(const clm_tree *tree, const int64_t *counts);

/* AUC from (score, positives, negatives) triples; sorts them.  NaN when a
 * class is absent. */
typedef struct tree_leaf_score {
    double score;       /* predicted probability of class 1 */
    int64_t pos, neg;   /* rows of class 1 / class 0        */
} tree_leaf_score;
double tree_auc_from_scores(tree_leaf_score *scores, int n);

#endif /* CLMSEG_TREE_METRICS_INTERNAL_H */

/*
 * prune.c — minimal cost-complexity pruning (Breiman et al. 1984, ch. 3),
 * as scikit-learn's ccp_alpha.
 *
 * With R(t) = impurity(t) * W_t / W_root the risk of node t as a leaf and
 * R(T_t) the summed risk of the leaves below it, the weakest link is the
 * internal node of smallest g(t) = (R(t) - R(T_t)) / (|leaves(T_t)| - 1);
 * it is collapsed while g(t) <= alpha.  Then the surviving nodes are
 * renumbered in their original order (parents keep lower ids than their
 * children).  O(nodes) per pruning step.
 */
#include <stdlib.h>
#include <string.h>

#include "tree/tree_internal.h"

clm_status tree_prune(clm_tree *tree, double alpha)
{
    const int n = tree->n_nodes, K = tree->data.n_classes;
    if (n <= 1)
        return CLM_OK;
    double *risk = malloc((size_t)n * sizeof *risk);
    double *branch = malloc((size_t)n * sizeof *branch);
    int *leaves = malloc((size_t)n * sizeof *leaves);
    int *new_id = malloc((size_t)n * sizeof *new_id);
    uint8_t *is_leaf = malloc((size_t)n), *reach = malloc((size_t)n);
    if (!risk || !branch || !leaves || !new_id || !is_leaf || !reach) {
        free(risk); free(branch); free(leaves); free(new_id); free(is_leaf); free(reach);
        return clm_error(CLM_E_NOMEM, "tree: out of memory while pruning");
    }
    const double root_weight = tree->nodes[0].weight;
    for (int i = 0; i < n; i++) {
        risk[i] = tree->nodes[i].impurity * tree->nodes[i].weight / root_weight;
        is_leaf[i] = tree->nodes[i].feature < 0;
    }
    for (;;) {
        /* Children always have higher ids than their parent. */
        for (int i = n - 1; i >= 0; i--) {
            if (is_leaf[i]) {
                branch[i] = risk[i];
                leaves[i] = 1;
            } else {
                int l = tree->nodes[i].left, r = tree->nodes[i].right;
                branch[i] = branch[l] + branch[r];
                leaves[i] = leaves[l] + leaves[r];
            }
        }
        memset(reach, 0, (size_t)n);
        reach[0] = 1;
        int weakest = -1;
        double weakest_g = 0.0;
        for (int i = 0; i < n; i++) {
            if (!reach[i] || is_leaf[i])
                continue;
            reach[tree->nodes[i].left] = reach[tree->nodes[i].right] = 1;
            double g = (risk[i] - branch[i]) / (double)(leaves[i] - 1);
            if (weakest < 0 || g < weakest_g) {
                weakest = i;
                weakest_g = g;
            }
        }
        if (weakest < 0 || weakest_g > alpha)
            break;
        is_leaf[weakest] = 1;
    }
    /* Compact the reachable nodes. */
    memset(reach, 0, (size_t)n);
    reach[0] = 1;
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!reach[i]) {
            new_id[i] = -1;
            continue;
        }
        new_id[i] = m++;
        if (!is_leaf[i])
            reach[tree->nodes[i].left] = reach[tree->nodes[i].right] = 1;
    }
    for (int i = 0; i < n; i++) {
        if (new_id[i] < 0)
            continue;
        tree_node node = tree->nodes[i];
        if (is_leaf[i]) {
            node.feature = -1;
            node.left = node.right = -1;
            node.split_bin = 0;
            memset(node.left_bins, 0, sizeof node.left_bins);
            node.missing_left = 0;
        } else {
            node.left = new_id[node.left];
            node.right = new_id[node.right];
        }
        int j = new_id[i]; /* j <= i: moving down never overwrites unread nodes */
        tree->nodes[j] = node;
        memmove(tree->class_weighted + (int64_t)j * K, tree->class_weighted + (int64_t)i * K,
                (size_t)K * sizeof(double));
        memmove(tree->class_counts + (int64_t)j * K, tree->class_counts + (int64_t)i * K,
                (size_t)K * sizeof(int64_t));
    }
    tree->n_nodes = m;
    free(risk); free(branch); free(leaves); free(new_id); free(is_leaf); free(reach);
    return CLM_OK;
}

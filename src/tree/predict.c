/*
 * predict.c — the public view of the nodes, and traversal of binned rows
 * (training and holdout rows, whose bins are kept by the model).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_internal.h"

int tree_leaf_of(const clm_tree *tree, const uint8_t *row, int override_feature,
                 uint8_t override_bin)
{
    return tree_leaf_from(tree, 0, row, override_feature, override_bin);
}

int tree_leaf_from(const clm_tree *tree, int node, const uint8_t *row, int override_feature,
                   uint8_t override_bin)
{
    const tree_node *nodes = tree->nodes;
    int i = node;
    while (nodes[i].feature >= 0) {
        const tree_node *n = &nodes[i];
        int left;
        if (n->feature == override_feature) {
            unsigned b = override_bin;
            if (b == 0)
                left = n->missing_left;
            else if (n->split_bin > 0)
                left = (int)b <= n->split_bin;
            else
                left = (int)((n->left_bins[b >> 6] >> (b & 63)) & 1u);
        } else {
            left = tree_goes_left(n, row);
        }
        i = left ? n->left : n->right;
    }
    return i;
}

clm_status tree_finalize(clm_tree *tree)
{
    const int n = tree->n_nodes, K = tree->data.n_classes;
    free(tree->pub_feature); free(tree->pub_left); free(tree->pub_right);
    free(tree->pub_depth); free(tree->pub_threshold); free(tree->pub_value);
    free(tree->pub_impurity); free(tree->pub_count); free(tree->pub_missing);
    free(tree->pub_categories);
    tree->pub_feature = malloc((size_t)n * sizeof(int32_t));
    tree->pub_left = malloc((size_t)n * sizeof(int32_t));
    tree->pub_right = malloc((size_t)n * sizeof(int32_t));
    tree->pub_depth = malloc((size_t)n * sizeof(int32_t));
    tree->pub_threshold = malloc((size_t)n * sizeof(double));
    tree->pub_value = malloc((size_t)n * K * sizeof(double));
    tree->pub_impurity = malloc((size_t)n * sizeof(double));
    tree->pub_count = malloc((size_t)n * sizeof(int64_t));
    tree->pub_missing = malloc((size_t)n);
    tree->pub_categories = calloc((size_t)n * 4, sizeof(uint64_t));
    if (!tree->pub_feature || !tree->pub_left || !tree->pub_right || !tree->pub_depth ||
        !tree->pub_threshold || !tree->pub_value || !tree->pub_impurity || !tree->pub_count ||
        !tree->pub_missing || !tree->pub_categories)
        return clm_error(CLM_E_NOMEM, "tree: out of memory for %d nodes", n);
    for (int i = 0; i < n; i++) {
        const tree_node *node = &tree->nodes[i];
        tree->pub_feature[i] = node->feature;
        tree->pub_left[i] = node->left;
        tree->pub_right[i] = node->right;
        tree->pub_depth[i] = node->depth;
        tree->pub_threshold[i] = (node->feature >= 0 && node->split_bin > 0) ? node->threshold : NAN;
        tree->pub_impurity[i] = node->impurity;
        tree->pub_count[i] = node->count;
        tree->pub_missing[i] = node->feature >= 0 ? node->missing_left : 0;
        const double *cw = tree->class_weighted + (int64_t)i * K;
        for (int k = 0; k < K; k++)
            tree->pub_value[(int64_t)i * K + k] = node->weight > 0.0 ? cw[k] / node->weight : 0.0;
        if (node->feature >= 0 && node->split_bin == 0) {
            /* Bin b holds category code b - 1. */
            for (int b = 1; b < CLM_TREE_MAX_BINS; b++)
                if ((node->left_bins[b >> 6] >> (b & 63)) & 1u) {
                    int c = b - 1;
                    tree->pub_categories[(int64_t)i * 4 + (c >> 6)] |= (uint64_t)1 << (c & 63);
                }
        }
    }
    return CLM_OK;
}

clm_status clm_tree_predict_training(const clm_tree *tree, int64_t row0, int64_t n_rows,
                                     float *out)
{
    /* After a fit on ranks rank 0 knows every row's leaf (row_leaf), the
     * other ranks their own rows' bins. */
    const int64_t held = tree && tree->row_leaf ? tree->data.n_all_rows : tree ? tree->data.n_rows : 0;
    if (!tree || row0 < 0 || n_rows < 0 || row0 + n_rows > held)
        return clm_error(CLM_E_PARAM, "tree: training rows [%lld, %lld) out of range",
                         (long long)row0, (long long)(row0 + n_rows));
    const int K = tree->data.n_classes, F = tree->data.n_features;
    const int n_threads = util_threads(tree->params.n_threads);
    #pragma omp parallel for schedule(static) num_threads(n_threads)
    for (int64_t i = 0; i < n_rows; i++) {
        int leaf = tree->row_leaf ? tree->row_leaf[row0 + i]
                                  : tree_leaf_of(tree, tree->data.bins + (row0 + i) * F, -1, 0);
        for (int k = 0; k < K; k++)
            out[i * K + k] = (float)tree->pub_value[(int64_t)leaf * K + k];
    }
    return CLM_OK;
}

/*
 * importance.c — impurity-based and permutation feature importance.
 *
 * Impurity importance (Breiman's "mean decrease in impurity", as
 * scikit-learn's feature_importances_): the sum over a feature's splits of
 * W_t * i(t) - W_L * i(L) - W_R * i(R), normalised to sum 1.
 *
 * Permutation importance (Breiman 2001): the mean drop of holdout accuracy
 * when one feature's values are shuffled among the holdout rows, over
 * params.permutation_repeats seeded shuffles.  A feature the tree never
 * splits on cannot change a prediction, so its importance is exactly 0
 * and it is skipped.
 */
#include <stdlib.h>

#include "tree/metrics_internal.h"
#include "tree/tree_internal.h"

clm_status tree_compute_importance(clm_tree *tree, const int32_t *test, int64_t n_test)
{
    const int F = tree->data.n_features, K = tree->data.n_classes;
    tree->impurity_importance = calloc((size_t)F, sizeof(double));
    tree->permutation_importance = calloc((size_t)F, sizeof(double));
    if (!tree->impurity_importance || !tree->permutation_importance)
        return clm_error(CLM_E_NOMEM, "tree: out of memory for importance");
    int *used = calloc((size_t)F, sizeof *used);
    if (!used)
        return clm_error(CLM_E_NOMEM, "tree: out of memory for importance");
    double total = 0.0;
    for (int i = 0; i < tree->n_nodes; i++) {
        const tree_node *n = &tree->nodes[i];
        if (n->feature < 0)
            continue;
        const tree_node *l = &tree->nodes[n->left], *r = &tree->nodes[n->right];
        double dec = n->weight * n->impurity - l->weight * l->impurity - r->weight * r->impurity;
        tree->impurity_importance[n->feature] += dec;
        total += dec;
        used[n->feature] = 1;
    }
    if (total > 0.0)
        for (int f = 0; f < F; f++)
            tree->impurity_importance[f] /= total;

    const int repeats = tree->params.permutation_repeats;
    if (n_test == 0 || repeats == 0) {
        free(used);
        return CLM_OK;
    }
    int64_t *counts = malloc((size_t)tree->n_nodes * K * sizeof *counts);
    int32_t *perm = malloc((size_t)n_test * sizeof *perm);
    uint8_t *shuffled = malloc((size_t)n_test);
    clm_status st = CLM_OK;
    if (!counts || !perm || !shuffled) {
        st = clm_error(CLM_E_NOMEM, "tree: out of memory for permutation importance");
        goto done;
    }
    if ((st = tree_leaf_counts(tree, test, n_test, -1, NULL, counts)))
        goto done;
    double base = tree_accuracy_from_counts(tree, counts);
    for (int f = 0; f < F; f++) {
        if (!used[f])
            continue;
        double drop = 0.0;
        for (int rep = 0; rep < repeats; rep++) {
            uint64_t key = util_splitmix64(tree->params.seed ^ util_splitmix64(((uint64_t)f << 32) | (uint64_t)rep));
            for (int64_t i = 0; i < n_test; i++)
                perm[i] = (int32_t)i;
            /* Fisher-Yates with a counter-based stream: reproducible. */
            for (int64_t i = n_test - 1; i > 0; i--) {
                uint64_t u = util_splitmix64(key + (uint64_t)i);
                int64_t j = (int64_t)(u % (uint64_t)(i + 1));
                int32_t t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            for (int64_t i = 0; i < n_test; i++)
                shuffled[i] = tree->data.bins[(int64_t)test[perm[i]] * F + f];
            if ((st = tree_leaf_counts(tree, test, n_test, f, shuffled, counts)))
                goto done;
            drop += base - tree_accuracy_from_counts(tree, counts);
        }
        tree->permutation_importance[f] = drop / repeats;
    }
done:
    free(used);
    free(counts);
    free(perm);
    free(shuffled);
    return st;
}

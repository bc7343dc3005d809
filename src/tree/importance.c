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
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tree/metrics_internal.h"
#include "tree/tree_internal.h"

/* Leaf of a row, and the features its path tests (bit f; every bit when
 * the tree has more than 64 features). */
static int leaf_and_path(const clm_tree *tree, const uint8_t *row, uint64_t *path)
{
    const tree_node *nodes = tree->nodes;
    uint64_t mask = tree->data.n_features > 64 ? ~(uint64_t)0 : 0;
    int i = 0;
    while (nodes[i].feature >= 0) {
        mask |= (uint64_t)1 << (nodes[i].feature & 63);
        i = tree_goes_left(&nodes[i], row) ? nodes[i].left : nodes[i].right;
    }
    *path = mask;
    return i;
}

/* Permutation importance of the used features, in parallel over the
 * features (each with its own buffers; every figure is one feature's own,
 * so the thread count changes nothing).  Shuffling feature f can only move
 * a row whose path tests f, so the holdout counts of a shuffle are the
 * base counts with just those rows re-routed: the same integer counts as
 * routing every row, for a fraction of the work.
 *
 * On several ranks each shuffle is still one permutation of the whole
 * table's holdout rows: every rank gathers the used features' holdout
 * bins (one byte a holdout row and feature) and draws the same
 * permutation, re-routes its own holdout rows, and the rows predicted
 * right are summed over the ranks before the accuracies are taken. */
static clm_status permutation_importance(clm_tree *tree, const int32_t *test, int64_t n_test,
                                         const int *used)
{
    const int F = tree->data.n_features, K = tree->data.n_classes;
    const int repeats = tree->params.permutation_repeats;
    const int64_t size = (int64_t)tree->n_nodes * K;
    const int64_t n_all = tree->n_test, first = tree->first_test;
    const int n_threads = util_threads(tree->params.n_threads);
    const comm_ctx *comm = tree->data.comm;
    int n_used = 0;
    for (int f = 0; f < F; f++)
        n_used += used[f] != 0;
    const size_t here = (size_t)(n_test > 0 ? n_test : 1);
    int32_t *leaf0 = malloc(here * sizeof *leaf0);
    uint64_t *path = malloc(here * sizeof *path);
    uint8_t *mine = malloc(here);
    int64_t *base_here = calloc((size_t)size, sizeof *base_here);
    int64_t *base_counts = malloc((size_t)size * sizeof *base_counts);
    int *features = malloc((size_t)F * sizeof *features);
    int32_t *perm = malloc((size_t)n_threads * (size_t)n_all * sizeof *perm);
    uint8_t *columns = malloc((size_t)(n_used > 0 ? n_used : 1) * (size_t)n_all);
    int64_t *counts = malloc((size_t)n_threads * (size_t)size * sizeof *counts);
    /* [u][rep]: rows predicted right, and all rows, after the shuffle. */
    int64_t *right = malloc((size_t)(n_used > 0 ? n_used : 1) * (size_t)repeats * 2 * sizeof *right);
    clm_status st = CLM_OK;
    if (!leaf0 || !path || !mine || !base_here || !base_counts || !features || !perm ||
        !columns || !counts || !right)
        st = clm_error(CLM_E_NOMEM, "tree: out of memory for permutation importance");
    if ((st = comm_agree(comm, st)))
        goto done;
    const uint8_t *bins = tree->data.bins;
    #pragma omp parallel for schedule(static) num_threads(n_threads)
    for (int64_t i = 0; i < n_test; i++)
        leaf0[i] = leaf_and_path(tree, bins + (int64_t)test[i] * F, &path[i]);
    for (int64_t i = 0; i < n_test; i++)
        base_here[(int64_t)leaf0[i] * K + tree->data.y[test[i]]]++;
    memcpy(base_counts, base_here, (size_t)size * sizeof *base_counts);
    tree_sum(&tree->data, base_counts, size);
    const double base = tree_accuracy_from_counts(tree, base_counts);
    n_used = 0;
    for (int f = 0; f < F; f++)
        if (used[f])
            features[n_used++] = f;
    /* Each feature's holdout bins, gathered once: the shuffled reads then
     * stay in this small array instead of the whole bin matrix. */
    for (int u = 0; u < n_used && !st; u++) {
        for (int64_t i = 0; i < n_test; i++)
            mine[i] = bins[(int64_t)test[i] * F + features[u]];
        st = tree_gather_column(&tree->data, mine, n_test, columns + (int64_t)u * n_all, n_all);
    }
    if (st)
        goto done;
    #pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
    for (int u = 0; u < n_used; u++) {
        const int f = features[u];
        const uint64_t bit = F > 64 ? ~(uint64_t)0 : (uint64_t)1 << f;
        int32_t *p = perm + (int64_t)omp_get_thread_num() * n_all;
        int64_t *c = counts + (int64_t)omp_get_thread_num() * size;
        const uint8_t *col = columns + (int64_t)u * n_all;
        for (int rep = 0; rep < repeats; rep++) {
            uint64_t key = util_splitmix64(tree->params.seed ^ util_splitmix64(((uint64_t)f << 32) | (uint64_t)rep));
            for (int64_t i = 0; i < n_all; i++)
                p[i] = (int32_t)i;
            /* Fisher-Yates with a counter-based stream: reproducible. */
            for (int64_t i = n_all - 1; i > 0; i--) {
                uint64_t r = util_splitmix64(key + (uint64_t)i);
                int64_t j = (int64_t)(r % (uint64_t)(i + 1));
                int32_t t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            memcpy(c, base_here, (size_t)size * sizeof *c);
            for (int64_t i = 0; i < n_test; i++) {
                if (!(path[i] & bit))
                    continue;
                const int64_t r = test[i];
                const uint8_t shuffled = col[p[first + i]];
                const int leaf = tree_leaf_of(tree, bins + r * F, f, shuffled);
                if (leaf != leaf0[i]) {
                    c[(int64_t)leaf0[i] * K + tree->data.y[r]]--;
                    c[(int64_t)leaf * K + tree->data.y[r]]++;
                }
            }
            int64_t *out = right + 2 * ((int64_t)u * repeats + rep);
            tree_right_from_counts(tree, c, &out[0], &out[1]);
        }
    }
    tree_sum(&tree->data, right, 2 * (int64_t)n_used * repeats);
    for (int u = 0; u < n_used; u++) {
        double drop = 0.0;
        for (int rep = 0; rep < repeats; rep++) {
            const int64_t *out = right + 2 * ((int64_t)u * repeats + rep);
            drop += base - tree_accuracy_of(out[0], out[1]);
        }
        tree->permutation_importance[features[u]] = drop / repeats;
    }
done:
    free(leaf0);
    free(path);
    free(mine);
    free(base_here);
    free(base_counts);
    free(features);
    free(perm);
    free(columns);
    free(counts);
    free(right);
    return st;
}

clm_status tree_compute_importance(clm_tree *tree, const int32_t *test, int64_t n_test)
{
    const int F = tree->data.n_features;
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
    if (tree->n_test == 0 || repeats == 0) {
        free(used);
        return CLM_OK;
    }
    clm_status st = permutation_importance(tree, test, n_test, used);
    free(used);
    return st;
}

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

/* For each node and used feature u, the first node above it on its path
 * that tests features[u] (-1: none), so that a shuffle of u re-routes a
 * row from there: the nodes above it decide as before.  NULL when the
 * table would pass 16M entries (a deep tree over many features): the
 * rows are then re-routed from the root. */
static int32_t *first_tests(const clm_tree *tree, const int *features, int n_used)
{
    const int64_t N = tree->n_nodes;
    if (N * n_used > ((int64_t)1 << 24))
        return NULL;
    int32_t *first = malloc((size_t)(N * n_used > 0 ? N * n_used : 1) * sizeof *first);
    int32_t *stack = malloc((size_t)N * sizeof *stack);
    if (!first || !stack) {
        free(first);
        free(stack);
        return NULL;
    }
    for (int u = 0; u < n_used; u++)
        first[u] = -1;
    int64_t top = 0;
    stack[top++] = 0;
    while (top > 0) {
        const int p = stack[--top];
        const tree_node *n = &tree->nodes[p];
        if (n->feature < 0)
            continue;
        const int children[2] = {n->left, n->right};
        for (int c = 0; c < 2; c++) {
            for (int u = 0; u < n_used; u++) {
                const int32_t above = first[(int64_t)p * n_used + u];
                first[(int64_t)children[c] * n_used + u] = above >= 0 ? above : n->feature == features[u] ? p : -1;
            }
            stack[top++] = children[c];
        }
    }
    free(stack);
    return first;
}

/* Permutation importance of the used features, in parallel over the
 * features (each with its own buffers; every figure is one feature's own,
 * so the thread count changes nothing).  Shuffling feature f can only move
 * a row whose path tests f, so the holdout counts of a shuffle are the
 * base counts with just those rows re-routed: the same integer counts as
 * routing every row, for a fraction of the work.
 *
 * Each shuffle is a keyed permutation of the whole table's holdout rows
 * (util_permutation: holdout row g takes the value of row pi(g), pi
 * keyed on the seed, the feature and the repeat), whose images are
 * computed only for the rows that move: no rank draws the whole
 * permutation.  On several ranks every rank gathers the used features'
 * holdout bins (one byte a holdout row and feature), re-routes its own
 * holdout rows, and the rows predicted right are summed over the ranks
 * before the accuracies are taken. */
static clm_status permutation_importance(clm_tree *tree, const int32_t *test, int64_t n_test,
                                         const int *used)
{
    const int F = tree->data.n_features, K = tree->data.n_classes;
    const int repeats = tree->params.permutation_repeats;
    const int64_t size = (int64_t)tree->n_nodes * K;
    const int64_t n_all = tree->n_test, first_row = tree->first_test;
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
    uint8_t *columns = malloc((size_t)(n_used > 0 ? n_used : 1) * (size_t)n_all);
    int64_t *counts = malloc((size_t)n_threads * (size_t)size * sizeof *counts);
    /* [u][rep]: rows predicted right, and all rows, after the shuffle. */
    int64_t *right = malloc((size_t)(n_used > 0 ? n_used : 1) * (size_t)repeats * 2 * sizeof *right);
    int32_t *first = NULL;
    clm_status st = CLM_OK;
    if (!leaf0 || !path || !mine || !base_here || !base_counts || !features ||
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
    first = first_tests(tree, features, n_used); /* NULL: from the root */
    #pragma omp parallel for schedule(dynamic, 1) num_threads(n_threads)
    for (int u = 0; u < n_used; u++) {
        const int f = features[u];
        const uint64_t bit = F > 64 ? ~(uint64_t)0 : (uint64_t)1 << f;
        int64_t *c = counts + (int64_t)omp_get_thread_num() * size;
        const uint8_t *col = columns + (int64_t)u * n_all;
        for (int rep = 0; rep < repeats; rep++) {
            uint64_t key = util_splitmix64(tree->params.seed ^ util_splitmix64(((uint64_t)f << 32) | (uint64_t)rep));
            util_permutation perm;
            util_permutation_init(&perm, (uint64_t)n_all, key);
            memcpy(c, base_here, (size_t)size * sizeof *c);
            for (int64_t i = 0; i < n_test; i++) {
                const int start = first ? first[(int64_t)leaf0[i] * n_used + u] : 0;
                if (first ? start < 0 : !(path[i] & bit))
                    continue;
                const int64_t r = test[i];
                const uint8_t shuffled = col[util_permutation_at(&perm, (uint64_t)(first_row + i))];
                const int leaf = tree_leaf_from(tree, start, bins + r * F, f, shuffled);
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
    free(columns);
    free(counts);
    free(right);
    free(first);
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

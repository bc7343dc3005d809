/*
 * grow.c — growing the tree from node histograms.
 *
 * Each open node ("candidate") keeps its rows as a contiguous range of the
 * row array and its class histogram.  Splitting a candidate partitions its
 * range in place, builds the histogram of the smaller child only, and turns
 * the parent's histogram into the sibling's by subtraction (LightGBM's
 * trick: at most half of a node's rows are ever re-counted).
 *
 * Order: with max_leaves == 0 candidates are split depth-first (a stack,
 * so at most about max_depth histograms are alive); with max_leaves > 0
 * the candidate of largest impurity decrease is split first (best-first,
 * as scikit-learn's max_leaf_nodes), ties to the lowest node id.  Either
 * way the result depends only on the data and parameters.
 *
 * Stopping rules follow scikit-learn's CART: a node stays a leaf when it
 * is at max_depth, has fewer than 2 * min_leaf rows, is pure, has no valid
 * split, or its best split decreases the weighted impurity by less than
 * min_gain.  A zero-gain split is still made (XOR needs it).
 */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "split_scan.h"
#include "tree/tree_internal.h"

typedef struct candidate {
    int node;
    int64_t begin, end;     /* rows[begin..end) belong to the node */
    int64_t *hist;          /* the node's class histogram          */
    tree_split split;
    double gain;            /* weighted impurity decrease / root weight */
} candidate;

clm_status tree_add_node(clm_tree *tree, int *index)
{
    const int K = tree->data.n_classes;
    if (tree->n_nodes == tree->capacity) {
        int cap = tree->capacity ? 2 * tree->capacity : 64;
        tree_node *nodes = realloc(tree->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes)
            return clm_error(CLM_E_NOMEM, "tree: out of memory for %d nodes", cap);
        tree->nodes = nodes;
        double *cw = realloc(tree->class_weighted, (size_t)cap * K * sizeof *cw);
        if (!cw)
            return clm_error(CLM_E_NOMEM, "tree: out of memory for %d nodes", cap);
        tree->class_weighted = cw;
        int64_t *cc = realloc(tree->class_counts, (size_t)cap * K * sizeof *cc);
        if (!cc)
            return clm_error(CLM_E_NOMEM, "tree: out of memory for %d nodes", cap);
        tree->class_counts = cc;
        tree->capacity = cap;
    }
    int i = tree->n_nodes++;
    tree_node *n = &tree->nodes[i];
    memset(n, 0, sizeof *n);
    n->feature = -1;
    n->left = n->right = -1;
    n->threshold = NAN;
    *index = i;
    return CLM_OK;
}

/* Class counts, weights and impurity of a node from its histogram (every
 * row is counted once in feature 0's bins). */
static void node_stats(clm_tree *tree, int index, const int64_t *hist, int criterion)
{
    const int K = tree->data.n_classes;
    int64_t *cc = tree->class_counts + (int64_t)index * K;
    double *cw = tree->class_weighted + (int64_t)index * K;
    int64_t count = 0;
    double weight = 0.0;
    for (int k = 0; k < K; k++)
        cc[k] = 0;
    for (int b = 0; b < CLM_TREE_MAX_BINS; b++)
        for (int k = 0; k < K; k++)
            cc[k] += hist[b * K + k];
    for (int k = 0; k < K; k++) {
        cw[k] = (double)cc[k] * tree->class_weight[k];
        count += cc[k];
        weight += cw[k];
    }
    tree_node *n = &tree->nodes[index];
    n->count = count;
    n->weight = weight;
    n->impurity = weight > 0.0 ? clm_k_node_cost_f64(cw, K, criterion) / weight : 0.0;
}

typedef struct grower {
    clm_tree *tree;
    int32_t *rows;
    candidate *open;
    int n_open, cap_open;
    int n_threads;
    uint32_t *scratch;
    double root_weight;
} grower;

/* Decides whether node `index` can split; if so keeps it open with its
 * histogram (ownership taken), else frees the histogram. */
static clm_status consider(grower *g, int index, int64_t begin, int64_t end, int64_t *hist)
{
    clm_tree *tree = g->tree;
    const clm_tree_params *p = &tree->params;
    const tree_node *n = &tree->nodes[index];
    int leaf = (p->max_depth > 0 && n->depth >= p->max_depth) ||
               n->count < 2 || n->count < 2 * p->min_leaf || n->impurity <= DBL_EPSILON;
    tree_split split;
    double gain = 0.0;
    if (!leaf) {
        tree_find_split(&tree->data, hist, tree->class_weight, (int)p->criterion,
                        p->min_leaf, &split);
        if (!split.found) {
            leaf = 1;
        } else {
            const int K = tree->data.n_classes;
            double node_cost = clm_k_node_cost_f64(tree->class_weighted + (int64_t)index * K, K,
                                            (int)p->criterion);
            gain = (node_cost - split.cost) / g->root_weight;
            if (gain + DBL_EPSILON < p->min_gain)
                leaf = 1;
        }
    }
    if (leaf) {
        free(hist);
        return CLM_OK;
    }
    if (g->n_open == g->cap_open) {
        int cap = g->cap_open ? 2 * g->cap_open : 16;
        candidate *c = realloc(g->open, (size_t)cap * sizeof *c);
        if (!c) {
            free(hist);
            return clm_error(CLM_E_NOMEM, "tree: out of memory for open nodes");
        }
        g->open = c;
        g->cap_open = cap;
    }
    candidate *c = &g->open[g->n_open++];
    c->node = index;
    c->begin = begin;
    c->end = end;
    c->hist = hist;
    c->split = split;
    c->gain = gain;
    return CLM_OK;
}

/* In-place partition of rows[begin..end) by the node's split; returns the
 * end of the left part. */
static int64_t partition(const tree_data *data, const tree_node *node, int32_t *rows,
                         int64_t begin, int64_t end)
{
    const int F = data->n_features;
    int64_t i = begin, j = end - 1;
    while (i <= j) {
        if (tree_goes_left(node, data->bins + (int64_t)rows[i] * F)) {
            i++;
        } else {
            int32_t t = rows[i];
            rows[i] = rows[j];
            rows[j] = t;
            j--;
        }
    }
    return i;
}

static clm_status split_candidate(grower *g, candidate c)
{
    clm_tree *tree = g->tree;
    const tree_data *data = &tree->data;
    const int64_t hsize = tree_hist_size(data);
    clm_status st;
    int left, right;
    if ((st = tree_add_node(tree, &left)) || (st = tree_add_node(tree, &right))) {
        free(c.hist);
        return st;
    }
    tree_node *n = &tree->nodes[c.node];
    n->feature = c.split.feature;
    n->split_bin = c.split.split_bin;
    n->threshold = c.split.threshold;
    memcpy(n->left_bins, c.split.left_bins, sizeof n->left_bins);
    n->missing_left = (int8_t)c.split.missing_left;
    n->left = left;
    n->right = right;
    tree->nodes[left].depth = tree->nodes[right].depth = n->depth + 1;

    int64_t mid = partition(data, n, g->rows, c.begin, c.end);
    if (mid - c.begin != c.split.n_left) {
        free(c.hist);
        return clm_error(CLM_E_INTERNAL, "tree: node %d partition gave %lld left rows, histogram %lld",
                         c.node, (long long)(mid - c.begin), (long long)c.split.n_left);
    }
    int64_t *small = malloc((size_t)hsize * sizeof *small);
    if (!small) {
        free(c.hist);
        return clm_error(CLM_E_NOMEM, "tree: out of memory for a histogram");
    }
    int small_is_left = (mid - c.begin) <= (c.end - mid);
    if (small_is_left)
        tree_hist_build(data, g->rows + c.begin, mid - c.begin, g->n_threads, g->scratch, small);
    else
        tree_hist_build(data, g->rows + mid, c.end - mid, g->n_threads, g->scratch, small);
    /* The parent's histogram becomes the larger child's. */
    int64_t *large = c.hist;
    for (int64_t i = 0; i < hsize; i++)
        large[i] -= small[i];
    int64_t *lh = small_is_left ? small : large, *rh = small_is_left ? large : small;
    node_stats(tree, left, lh, (int)tree->params.criterion);
    node_stats(tree, right, rh, (int)tree->params.criterion);
    /* Right first so that the stack pops the left child first. */
    if ((st = consider(g, right, mid, c.end, rh))) {
        free(lh);
        return st;
    }
    return consider(g, left, c.begin, mid, lh);
}

clm_status tree_grow(clm_tree *tree, int32_t *rows, int64_t n_rows)
{
    const tree_data *data = &tree->data;
    const int64_t hsize = tree_hist_size(data);
    grower g = {0};
    g.tree = tree;
    g.rows = rows;
    g.n_threads = tree->params.n_threads > 0 ? tree->params.n_threads : omp_get_max_threads();
    g.scratch = malloc((size_t)g.n_threads * hsize * sizeof *g.scratch);
    int64_t *root_hist = malloc((size_t)hsize * sizeof *root_hist);
    clm_status st = CLM_OK;
    if (!g.scratch || !root_hist) {
        st = clm_error(CLM_E_NOMEM, "tree: out of memory for histograms");
        free(root_hist);
        goto done;
    }
    int root;
    if ((st = tree_add_node(tree, &root))) {
        free(root_hist);
        goto done;
    }
    tree_hist_build(data, rows, n_rows, g.n_threads, g.scratch, root_hist);
    node_stats(tree, root, root_hist, (int)tree->params.criterion);
    for (int f = 0; f < data->n_features; f++) {
        int64_t missing = 0;
        for (int k = 0; k < data->n_classes; k++)
            missing += root_hist[(int64_t)f * CLM_TREE_MAX_BINS * data->n_classes + k];
        tree->data.features[f].n_missing = missing;
    }
    g.root_weight = tree->nodes[root].weight;
    if (!(g.root_weight > 0.0)) {
        free(root_hist);
        goto done;
    }
    if ((st = consider(&g, root, 0, n_rows, root_hist)))
        goto done;
    int n_leaves = 1;
    const int max_leaves = tree->params.max_leaves;
    while (g.n_open > 0) {
        if (max_leaves > 0 && n_leaves >= max_leaves)
            break;
        int pick = g.n_open - 1;
        if (max_leaves > 0) {
            for (int i = 0; i < g.n_open; i++) {
                const candidate *a = &g.open[i], *b = &g.open[pick];
                if (a->gain > b->gain || (a->gain == b->gain && a->node < b->node))
                    pick = i;
            }
        }
        candidate c = g.open[pick];
        g.open[pick] = g.open[g.n_open - 1];
        g.n_open--;
        if ((st = split_candidate(&g, c)))
            goto done;
        n_leaves++;
    }
done:
    for (int i = 0; i < g.n_open; i++)
        free(g.open[i].hist);
    free(g.open);
    free(g.scratch);
    return st;
}

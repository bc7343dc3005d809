/*
 * grow.c — growing the tree from node histograms.
 *
 * Each open node ("candidate") keeps its class histogram and a way to find
 * its rows.  Splitting a candidate separates its rows, builds the histogram
 * of the smaller child only, and turns the parent's histogram into the
 * sibling's by subtraction (LightGBM's trick: at most half of a node's rows
 * are ever re-counted).
 *
 * Rows are found in one of two forms, which give the same tree:
 * - row labels (the default when the open nodes fit in a byte: bounded
 *   depth or leaf budget): labels[i] is the "slot" of the open node holding
 *   row i, 0 for rows in no open node (holdout rows, finished leaves).  A
 *   candidate keeps a span of rows that holds all of its rows; a split is
 *   one pass over that span (tree_route_build) that relabels the node's
 *   rows to their child and counts the smaller child.  N bytes instead of
 *   an int32 index per row: 10 MB rather than 40 MB for 10M rows.
 *   The left child inherits the parent's slot, the right child takes a free
 *   one; a node that ends as a leaf after its histogram leaves its rows
 *   labelled and its slot "stale" until a clean-up pass (rare) frees it.
 *   Each pass scans the node's whole span, which for deep nodes is mostly
 *   other nodes' rows: so a node of at most n_rows / TREE_LIST_SHARE rows gets
 *   its rows listed once (one scan) into a small index buffer, and its
 *   subtree is grown in the row-index form within that list.  Depth-first,
 *   one such list is alive at a time (a node's subtree is finished before
 *   the next labelled node is taken), so the buffer holds n_rows /
 *   TREE_LIST_SHARE indices; best-first lists a node only when no listed node
 *   is open.
 * - a row-index array (any depth): a candidate's rows are a contiguous
 *   range of rows[], partitioned in place by the split.
 *
 * Children that are leaves whatever their histogram (max depth, too few
 * rows for min_leaf) need no histogram: their class counts are the
 * parent's histogram summed over the split feature's bins on their side.
 * When both children are such leaves the split costs no pass over rows.
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
 *
 * On several ranks each rank holds its own rows (rows[], labels and
 * lists index them), while every histogram and count is the whole
 * table's (histogram.c sums them over the ranks): all ranks take the same
 * decisions, and so the same number of sums, in the same order.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "split_scan.h"
#include "tree/tree_internal.h"

typedef struct candidate {
    int node;
    int64_t begin, end;     /* row indices: rows[begin..end) are the node's;
                               row labels: span holding the node's rows  */
    uint8_t slot;           /* row labels: the label of the node's rows   */
    int listed;             /* row labels: the rows are list[begin..end) */
    int64_t *hist;          /* the node's class histogram                 */
    tree_split split;
    double gain;            /* weighted impurity decrease / root weight   */
} candidate;

/* Slot states of the row-label form. */
enum { SLOT_FREE = 0, SLOT_USED = 1, SLOT_STALE = 2 };
/* Open nodes the row-label form supports (slots 1..255 with room for the
 * node being split and stale slots between clean-ups). */
#define LABEL_MAX_OPEN 200

int tree_grow_uses_labels(const clm_tree_params *params, const tree_schedule *schedule)
{
    if (schedule->force_rows)
        return 0;
    /* Depth-first: at most max_depth + 1 open nodes; best-first: fewer
     * than max_leaves. */
    if (params->max_leaves > 0)
        return params->max_leaves <= LABEL_MAX_OPEN;
    return params->max_depth > 0 && params->max_depth <= LABEL_MAX_OPEN;
}

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

/* Class counts, weights and impurity of a node from its class row counts. */
static void node_stats_counts(clm_tree *tree, int index, const int64_t *counts, int criterion)
{
    const int K = tree->data.n_classes;
    int64_t *cc = tree->class_counts + (int64_t)index * K;
    double *cw = tree->class_weighted + (int64_t)index * K;
    int64_t count = 0;
    double weight = 0.0;
    for (int k = 0; k < K; k++) {
        cc[k] = counts[k];
        cw[k] = (double)cc[k] * tree->class_weight[k];
        count += cc[k];
        weight += cw[k];
    }
    tree_node *n = &tree->nodes[index];
    n->count = count;
    n->weight = weight;
    n->impurity = weight > 0.0 ? clm_k_node_cost_f64(cw, K, criterion) / weight : 0.0;
}

/* The same from its histogram (every row is counted once in feature 0's
 * bins). */
static void node_stats(clm_tree *tree, int index, const int64_t *hist, int criterion)
{
    const int K = tree->data.n_classes;
    int64_t cc[CLM_TREE_MAX_CLASSES] = {0};
    for (int b = 0; b < CLM_TREE_MAX_BINS; b++)
        for (int k = 0; k < K; k++)
            cc[k] += hist[b * K + k];
    node_stats_counts(tree, index, cc, criterion);
}

/* 1 when a node is a leaf whatever its histogram holds (the checks of
 * consider() that need only its depth and row count). */
static int leaf_by_size(const clm_tree_params *p, int depth, int64_t count)
{
    return (p->max_depth > 0 && depth >= p->max_depth) || count < 2 || count < 2 * p->min_leaf;
}

typedef struct grower {
    clm_tree *tree;
    int32_t *rows;          /* row-index form, or NULL                    */
    uint8_t *labels;        /* row-label form: [data n_rows], or NULL      */
    int32_t *list;          /* row-label form: rows of the listed node     */
    int64_t list_cap;       /* its capacity (rows)                         */
    uint8_t slot_state[256];/* row-label form: SLOT_*                      */
    candidate *open;
    int n_open, cap_open;
    int n_threads;
    uint32_t *scratch;
    double root_weight;
} grower;

/* A free slot for a new open node; frees the stale slots (one pass over the
 * labels) when none is left. */
static clm_status take_slot(grower *g, uint8_t *slot)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int s = 1; s < 256; s++)
            if (g->slot_state[s] == SLOT_FREE) {
                g->slot_state[s] = SLOT_USED;
                *slot = (uint8_t)s;
                return CLM_OK;
            }
        const uint8_t *state = g->slot_state;
        uint8_t *labels = g->labels;
        const int64_t n = g->tree->data.n_rows;
        #pragma omp parallel for schedule(static) num_threads(g->n_threads)
        for (int64_t i = 0; i < n; i++)
            if (state[labels[i]] == SLOT_STALE)
                labels[i] = 0;
        for (int s = 1; s < 256; s++)
            if (g->slot_state[s] == SLOT_STALE)
                g->slot_state[s] = SLOT_FREE;
    }
    return clm_error(CLM_E_INTERNAL, "tree: more than %d open nodes for row labels",
                     LABEL_MAX_OPEN);
}

/* Decides whether node `index` can split; if so keeps it open with its
 * histogram (ownership taken), else frees the histogram (and, in the
 * row-label form, leaves its slot stale). */
static clm_status consider(grower *g, int index, int64_t begin, int64_t end, uint8_t slot,
                           int listed, int64_t *hist)
{
    clm_tree *tree = g->tree;
    const clm_tree_params *p = &tree->params;
    const tree_node *n = &tree->nodes[index];
    int leaf = leaf_by_size(p, n->depth, n->count) || n->impurity <= DBL_EPSILON;
    tree_split split;
    double gain = 0.0;
    if (!leaf) {
        tree_find_split(&tree->data, hist, tree->class_weight, p, &split);
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
        if (g->labels && !listed && slot)
            g->slot_state[slot] = SLOT_STALE;
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
    c->slot = slot;
    c->listed = listed;
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

/* Lists the rows of a labelled candidate when no listed candidate is open
 * (see the top of the file); it is then grown in the row-index form. */
static clm_status list_rows(grower *g, candidate *c)
{
    for (int i = 0; i < g->n_open; i++)
        if (g->open[i].listed)
            return CLM_OK;
    const int64_t count = g->tree->nodes[c->node].count;
    if (!g->list) {
        g->list = malloc((size_t)g->list_cap * sizeof *g->list);
        if (!g->list)
            return clm_error(CLM_E_NOMEM, "tree: out of memory for %lld row indices",
                             (long long)g->list_cap);
    }
    int64_t m = tree_label_rows(&g->tree->data, g->labels, c->begin, c->end, c->slot, g->list);
    if (tree_sum_one(&g->tree->data, m) != count)
        return clm_error(CLM_E_INTERNAL, "tree: node %d lists %lld rows, holds %lld", c->node,
                         (long long)m, (long long)count);
    /* Its rows keep the label until a clean-up pass. */
    g->slot_state[c->slot] = SLOT_STALE;
    c->slot = 0;
    c->listed = 1;
    c->begin = 0;
    c->end = m;    /* this rank's share of the count */
    return CLM_OK;
}

/* goes_left[b] = 1 when bin b of the node's split feature goes left. */
static void left_table(const tree_node *node, uint8_t *goes_left)
{
    for (int b = 0; b < CLM_TREE_MAX_BINS; b++) {
        if (b == 0)
            goes_left[b] = (uint8_t)(node->missing_left != 0);
        else if (node->split_bin > 0)
            goes_left[b] = (uint8_t)(b <= node->split_bin);
        else
            goes_left[b] = (uint8_t)((node->left_bins[b >> 6] >> (b & 63)) & 1u);
    }
}

static clm_status split_candidate(grower *g, candidate c)
{
    clm_tree *tree = g->tree;
    const tree_data *data = &tree->data;
    const clm_tree_params *p = &tree->params;
    const int K = data->n_classes;
    const int criterion = (int)p->criterion;
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
    const int depth = n->depth + 1;
    tree->nodes[left].depth = tree->nodes[right].depth = depth;

    /* The children's class counts from the split feature's bins. */
    uint8_t goes_left[CLM_TREE_MAX_BINS];
    left_table(n, goes_left);
    int64_t left_counts[CLM_TREE_MAX_CLASSES] = {0}, right_counts[CLM_TREE_MAX_CLASSES] = {0};
    const int64_t *fh = c.hist + (int64_t)n->feature * CLM_TREE_MAX_BINS * K;
    for (int b = 0; b < CLM_TREE_MAX_BINS; b++)
        for (int k = 0; k < K; k++) {
            if (goes_left[b])
                left_counts[k] += fh[b * K + k];
            else
                right_counts[k] += fh[b * K + k];
        }
    int64_t n_left = 0, n_right = 0;
    for (int k = 0; k < K; k++) {
        n_left += left_counts[k];
        n_right += right_counts[k];
    }
    if (n_left != c.split.n_left || n_right != c.split.n_right) {
        free(c.hist);
        return clm_error(CLM_E_INTERNAL, "tree: node %d split counts %lld/%lld, search %lld/%lld",
                         c.node, (long long)n_left, (long long)n_right,
                         (long long)c.split.n_left, (long long)c.split.n_right);
    }
    const int left_leaf = leaf_by_size(p, depth, n_left);
    const int right_leaf = leaf_by_size(p, depth, n_right);
    if (left_leaf && right_leaf) {
        node_stats_counts(tree, left, left_counts, criterion);
        node_stats_counts(tree, right, right_counts, criterion);
        free(c.hist);
        if (g->labels && !c.listed)
            g->slot_state[c.slot] = SLOT_STALE;
        return CLM_OK;
    }

    int64_t *small = malloc((size_t)hsize * sizeof *small);
    if (!small) {
        free(c.hist);
        return clm_error(CLM_E_NOMEM, "tree: out of memory for a histogram");
    }
    const int small_is_left = n_left <= n_right;
    int64_t left_begin, left_end, right_begin, right_end;
    uint8_t left_slot = 0, right_slot = 0;
    int32_t *rows = c.listed ? g->list : g->rows;
    if (g->labels && !c.listed) {
        left_slot = left_leaf ? 0 : c.slot;
        if (!right_leaf && (st = take_slot(g, &right_slot))) {
            free(small);
            free(c.hist);
            return st;
        }
        tree_route route = {c.begin, c.end, n_left + n_right, c.slot, n->feature, goes_left,
                            left_slot, right_slot, small_is_left};
        tree_route_result res;
        tree_route_build(data, g->labels, &route, g->n_threads, g->scratch, small, &res);
        if (left_leaf)
            g->slot_state[c.slot] = SLOT_FREE;  /* no row keeps it */
        if (res.n_rows != n_left + n_right || res.n_left != n_left) {
            free(small);
            free(c.hist);
            return clm_error(CLM_E_INTERNAL, "tree: node %d routed %lld rows, %lld left; histogram %lld, %lld",
                             c.node, (long long)res.n_rows, (long long)res.n_left,
                             (long long)(n_left + n_right), (long long)n_left);
        }
        left_begin = res.left_begin;
        left_end = res.left_end;
        right_begin = res.right_begin;
        right_end = res.right_end;
    } else {
        int64_t mid = partition(data, n, rows, c.begin, c.end);
        if (tree_sum_one(data, mid - c.begin) != n_left) {
            free(small);
            free(c.hist);
            return clm_error(CLM_E_INTERNAL, "tree: node %d partition gave %lld left rows, histogram %lld",
                             c.node, (long long)(mid - c.begin), (long long)n_left);
        }
        if (small_is_left)
            tree_hist_build(data, rows + c.begin, mid - c.begin, g->n_threads, g->scratch, small);
        else
            tree_hist_build(data, rows + mid, c.end - mid, g->n_threads, g->scratch, small);
        left_begin = c.begin;
        left_end = right_begin = mid;
        right_end = c.end;
    }
    /* The parent's histogram becomes the larger child's. */
    int64_t *large = c.hist;
    for (int64_t i = 0; i < hsize; i++)
        large[i] -= small[i];
    int64_t *lh = small_is_left ? small : large, *rh = small_is_left ? large : small;
    node_stats(tree, left, lh, criterion);
    node_stats(tree, right, rh, criterion);
    /* Right first so that the stack pops the left child first. */
    if ((st = consider(g, right, right_begin, right_end, right_slot, c.listed, rh))) {
        free(lh);
        return st;
    }
    return consider(g, left, left_begin, left_end, left_slot, c.listed, lh);
}

clm_status tree_grow(clm_tree *tree, int32_t *rows, int64_t n_rows)
{
    const tree_data *data = &tree->data;
    const int64_t hsize = tree_hist_size(data);
    grower g = {0};
    g.tree = tree;
    g.rows = rows;
    g.n_threads = util_threads(tree->params.n_threads);
    g.scratch = malloc((size_t)g.n_threads * hsize * sizeof *g.scratch);
    int64_t *root_hist = malloc((size_t)hsize * sizeof *root_hist);
    clm_status st = CLM_OK;
    if (!rows) {
        g.labels = malloc((size_t)(data->n_rows > 0 ? data->n_rows : 1)); /* a rank may hold none */
        if (!g.labels) {
            free(root_hist);
            st = clm_error(CLM_E_NOMEM, "tree: out of memory for %lld row labels",
                           (long long)data->n_rows);
            goto done;
        }
    }
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
    int64_t root_begin = 0, root_end = n_rows;
    uint8_t root_slot = 0;
    if (g.labels) {
        /* Slot 1: the root's rows (training rows); 0: holdout rows. */
        const uint8_t *holdout = tree->holdout;
        uint8_t *labels = g.labels;
        const int64_t n = data->n_rows;
        #pragma omp parallel for schedule(static) num_threads(g.n_threads)
        for (int64_t i = 0; i < n; i++)
            labels[i] = holdout && holdout[i] ? 0 : 1;
        root_slot = 1;
        g.slot_state[1] = SLOT_USED;
        /* By the whole table's rows, as the nodes' counts it is
         * compared with: a rank's share of a node is never more. */
        g.list_cap = data->schedule.list_share > 0 ? tree->n_train / data->schedule.list_share : 0;
        uint8_t all_left[CLM_TREE_MAX_BINS];
        memset(all_left, 1, sizeof all_left);
        tree_route route = {0, n, n_rows, 1, 0, all_left, 1, 1, 1};
        tree_route_result res;
        tree_route_build(data, labels, &route, g.n_threads, g.scratch, root_hist, &res);
        if (res.n_rows != tree->n_train) {
            free(root_hist);
            st = clm_error(CLM_E_INTERNAL, "tree: %lld training rows labelled, %lld expected",
                           (long long)res.n_rows, (long long)tree->n_train);
            goto done;
        }
        root_begin = res.left_begin;
        root_end = res.left_end;
    } else {
        tree_hist_build(data, rows, n_rows, g.n_threads, g.scratch, root_hist);
    }
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
    if ((st = consider(&g, root, root_begin, root_end, root_slot, 0, root_hist)))
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
        if (g.labels && !c.listed && g.list_cap > 0 && tree->nodes[c.node].count <= g.list_cap &&
            (st = list_rows(&g, &c))) {
            free(c.hist);
            goto done;
        }
        if ((st = split_candidate(&g, c)))
            goto done;
        n_leaves++;
    }
done:
    for (int i = 0; i < g.n_open; i++)
        free(g.open[i].hist);
    free(g.open);
    free(g.scratch);
    free(g.labels);
    free(g.list);
    return st;
}

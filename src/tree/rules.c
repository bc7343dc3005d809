/*
 * rules.c — the tree as readable rules, one line per leaf, left to right:
 *
 *   tenure <= 17.5 AND contract in {Month-to-month} -> Yes 62.0%, No 38.0% (n=1234)
 *
 * Conditions on the same feature along a path are merged (a numeric
 * feature becomes one interval, a categorical one the intersection of its
 * sets).  "or missing" is added only for features that had missing values
 * in training.  Shares are the leaf's (class-weighted) class shares,
 * largest first.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_internal.h"

typedef struct path_state {
    double low, high;       /* numeric: low < x <= high        */
    uint64_t allowed[4];    /* categorical: allowed bins       */
    int missing_ok;         /* missing values reach this leaf  */
    int constrained;
} path_state;

static void print_leaf(const clm_tree *tree, int leaf, const path_state *state, FILE *out)
{
    const int F = tree->data.n_features, K = tree->data.n_classes;
    int first = 1;
    for (int f = 0; f < F; f++) {
        const path_state *s = &state[f];
        const tree_feature *feat = &tree->data.features[f];
        if (!s->constrained)
            continue;
        fprintf(out, "%s", first ? "" : " AND ");
        first = 0;
        int show_missing = feat->n_missing > 0;
        if (feat->categorical) {
            fprintf(out, "%s in {", feat->name);
            int any = 0;
            for (int c = 0; c < feat->n_categories; c++) {
                int b = tree_category_bin(feat, c);
                if ((s->allowed[b >> 6] >> (b & 63)) & 1u) {
                    fprintf(out, "%s%s", any ? ", " : "", feat->categories[c]);
                    any = 1;
                }
            }
            fprintf(out, "}");
        } else if (isinf(s->low) && !isinf(s->high)) {
            fprintf(out, "%s <= %.7g", feat->name, s->high);
        } else if (!isinf(s->low) && isinf(s->high)) {
            fprintf(out, "%s > %.7g", feat->name, s->low);
        } else if (!isinf(s->low) && !isinf(s->high)) {
            fprintf(out, "%.7g < %s <= %.7g", s->low, feat->name, s->high);
        } else {
            fprintf(out, "%s is missing", feat->name);
            show_missing = 0;
        }
        if (show_missing)
            fprintf(out, s->missing_ok ? " (or missing)" : " (not missing)");
    }
    if (first)
        fprintf(out, "(all rows)");
    fprintf(out, " ->");
    /* Classes by share, largest first (ties: lower class first). */
    const double *v = tree->pub_value + (int64_t)leaf * K;
    int order[CLM_TREE_MAX_CLASSES];
    for (int k = 0; k < K; k++) {
        int j = k;
        while (j > 0 && v[order[j - 1]] < v[k]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    for (int j = 0; j < K; j++)
        fprintf(out, "%s %s %.1f%%", j ? "," : "", tree->data.class_labels[order[j]],
                100.0 * v[order[j]]);
    fprintf(out, " (n=%lld)\n", (long long)tree->nodes[leaf].count);
}

static void walk(const clm_tree *tree, int node, path_state *state, FILE *out)
{
    const tree_node *n = &tree->nodes[node];
    if (n->feature < 0) {
        print_leaf(tree, node, state, out);
        return;
    }
    path_state saved = state[n->feature];
    for (int side = 0; side < 2; side++) {
        path_state *s = &state[n->feature];
        *s = saved;
        s->constrained = 1;
        int goes_left = side == 0;
        if (n->split_bin > 0) {
            if (goes_left && n->threshold < s->high)
                s->high = n->threshold;
            if (!goes_left && n->threshold > s->low)
                s->low = n->threshold;
        } else {
            for (int w = 0; w < 4; w++)
                s->allowed[w] &= goes_left ? n->left_bins[w] : ~n->left_bins[w];
        }
        if (n->missing_left != goes_left)
            s->missing_ok = 0;
        walk(tree, goes_left ? n->left : n->right, state, out);
    }
    state[n->feature] = saved;
}

clm_status clm_tree_write_rules(const clm_tree *tree, FILE *out)
{
    const int F = tree->data.n_features;
    path_state *state = malloc((size_t)F * sizeof *state);
    if (!state)
        return clm_error(CLM_E_NOMEM, "tree: out of memory for rules");
    for (int f = 0; f < F; f++) {
        state[f].low = -INFINITY;
        state[f].high = INFINITY;
        memset(state[f].allowed, 0xff, sizeof state[f].allowed);
        state[f].missing_ok = 1;
        state[f].constrained = 0;
    }
    walk(tree, 0, state, out);
    free(state);
    return ferror(out) ? clm_error(CLM_E_IO, "tree: writing the rules failed") : CLM_OK;
}

/*
 * json.c — the tree as one JSON document: target, classes, features (with
 * dictionaries), parameters, metrics, importance, and the nodes nested
 * from the root: {"id", "samples", "impurity", "value", and for a split
 * "feature", "threshold" or "left_categories", "missing": "left"|"right",
 * "left", "right"}.  Numbers print with 17 significant digits so they read
 * back exactly; non-finite numbers print as null.
 */
#include <math.h>

#include "tree/tree_internal.h"

static void put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void put_number(FILE *out, double x)
{
    if (isfinite(x))
        fprintf(out, "%.17g", x);
    else
        fputs("null", out);
}

static void put_node(const clm_tree *tree, int i, int indent, FILE *out)
{
    const tree_node *n = &tree->nodes[i];
    const int K = tree->data.n_classes;
    fprintf(out, "{\"id\": %d, \"samples\": %lld, \"impurity\": ", i, (long long)n->count);
    put_number(out, n->impurity);
    fputs(", \"value\": [", out);
    for (int k = 0; k < K; k++) {
        if (k)
            fputs(", ", out);
        put_number(out, tree->pub_value[(int64_t)i * K + k]);
    }
    fputc(']', out);
    if (n->feature >= 0) {
        const tree_feature *feat = &tree->data.features[n->feature];
        fputs(", \"feature\": ", out);
        put_string(out, feat->name);
        if (n->split_bin > 0) {
            fputs(", \"threshold\": ", out);
            put_number(out, n->threshold);
        } else {
            fputs(", \"left_categories\": [", out);
            int any = 0;
            for (int c = 0; c < feat->n_categories; c++) {
                int b = tree_category_bin(feat, c);
                if ((n->left_bins[b >> 6] >> (b & 63)) & 1u) {
                    if (any)
                        fputs(", ", out);
                    put_string(out, feat->categories[c]);
                    any = 1;
                }
            }
            fputc(']', out);
        }
        fprintf(out, ", \"missing\": \"%s\",\n%*s\"left\": ", n->missing_left ? "left" : "right",
                indent + 2, "");
        put_node(tree, n->left, indent + 2, out);
        fprintf(out, ",\n%*s\"right\": ", indent + 2, "");
        put_node(tree, n->right, indent + 2, out);
    }
    fputc('}', out);
}

clm_status clm_tree_write_json(const clm_tree *tree, FILE *out)
{
    const int F = tree->data.n_features, K = tree->data.n_classes;
    const clm_tree_params *q = &tree->params;
    fputs("{\n  \"target\": ", out);
    put_string(out, tree->target);
    fputs(",\n  \"classes\": [", out);
    for (int k = 0; k < K; k++) {
        if (k)
            fputs(", ", out);
        put_string(out, tree->data.class_labels[k]);
    }
    fputs("],\n  \"features\": [", out);
    for (int f = 0; f < F; f++) {
        const tree_feature *feat = &tree->data.features[f];
        fputs(f ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
        put_string(out, feat->name);
        fprintf(out, ", \"kind\": \"%s\"", feat->categorical ? "categorical" : "numeric");
        if (feat->categorical) {
            fputs(", \"categories\": [", out);
            for (int c = 0; c < feat->n_categories; c++) {
                if (c)
                    fputs(", ", out);
                put_string(out, feat->categories[c]);
            }
            fputc(']', out);
        }
        fputs(", \"impurity_importance\": ", out);
        put_number(out, tree->impurity_importance[f]);
        fputs(", \"permutation_importance\": ", out);
        put_number(out, tree->permutation_importance[f]);
        fputc('}', out);
    }
    fprintf(out, "],\n  \"params\": {\"criterion\": \"%s\", \"max_depth\": %d, \"min_leaf\": %lld, "
                 "\"min_gain\": ", q->criterion == CLM_TREE_ENTROPY ? "entropy" : "gini",
            q->max_depth, (long long)q->min_leaf);
    put_number(out, q->min_gain);
    fprintf(out, ", \"max_leaves\": %d, \"class_weight\": \"%s\", \"ccp_alpha\": ", q->max_leaves,
            q->class_weight_balanced ? "balanced" : "none");
    put_number(out, q->ccp_alpha);
    fputs(", \"test_fraction\": ", out);
    put_number(out, q->test_fraction);
    fprintf(out, ", \"bins\": %d, \"cat_min_count\": %lld, \"cat_smooth\": ", q->n_bins,
            (long long)q->cat_min_count);
    put_number(out, q->cat_smooth);
    fputs(", \"cat_l2\": ", out);
    put_number(out, q->cat_l2);
    fprintf(out, ", \"cat_max_threshold\": %d, \"cat_max_onehot\": %d", q->cat_max_threshold,
            q->cat_max_onehot);
    fprintf(out, ", \"seed\": %llu},\n  \"metrics\": {\"n_train\": %lld, \"n_test\": %lld, "
                 "\"train_accuracy\": ", (unsigned long long)q->seed,
            (long long)tree->n_train, (long long)tree->n_test);
    put_number(out, tree->train_accuracy);
    fputs(", \"accuracy\": ", out);
    put_number(out, tree->accuracy);
    fputs(", \"auc\": ", out);
    put_number(out, tree->auc);
    fputs(", \"log_loss\": ", out);
    put_number(out, tree->log_loss);
    fputs(", \"confusion\": [", out);
    for (int a = 0; a < K; a++) {
        fputs(a ? ", [" : "[", out);
        for (int b = 0; b < K; b++)
            fprintf(out, "%s%lld", b ? ", " : "", (long long)tree->confusion[a * K + b]);
        fputc(']', out);
    }
    fprintf(out, "]},\n  \"n_leaves\": %d, \"depth\": %d,\n  \"tree\": ", clm_tree_n_leaves(tree),
            clm_tree_depth(tree));
    put_node(tree, 0, 2, out);
    fputs("\n}\n", out);
    return ferror(out) ? clm_error(CLM_E_IO, "tree: writing the JSON export failed") : CLM_OK;
}

/*
 * save.c — writing a fitted tree into a results file (docs/design.md §4): node
 * arrays, feature names, kinds and categorical dictionaries, class labels,
 * importance, confusion matrix, and the parameters and holdout metrics as
 * attributes of the group.  clm_tree_load (load.c) reads them back.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tree/tree_internal.h"

static const char *join(char *buf, size_t size, const char *group, const char *name)
{
    snprintf(buf, size, "%s/%s", group, name);
    return buf;
}

/* The code -> group map of a large dictionary: group = bin - 1. */
static clm_status save_groups(clm_writer *w, const char *group, int f, const tree_feature *feat)
{
    char path[600];
    const int64_t dims[1] = {feat->n_categories};
    int32_t *groups = malloc((size_t)(feat->n_categories > 0 ? feat->n_categories : 1) * sizeof *groups);
    if (!groups)
        return clm_error(CLM_E_NOMEM, "tree: out of memory");
    for (int c = 0; c < feat->n_categories; c++)
        groups[c] = feat->category_bin[c] - 1;
    snprintf(path, sizeof path, "%s/category_groups/%d", group, f);
    clm_status st = clm_writer_array(w, path, CLM_DT_INT32, 1, dims, groups);
    free(groups);
    return st;
}

clm_status clm_tree_save(const clm_tree *tree, clm_writer *w, const char *group)
{
    char p[512];
    clm_status st;
    const int64_t n = tree->n_nodes, K = tree->data.n_classes, F = tree->data.n_features;
    const int64_t dn[1] = {n}, dnk[2] = {n, K}, dn4[2] = {n, 4}, df[1] = {F}, dkk[2] = {K, K};
    if ((st = clm_writer_group(w, group)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "feature"), CLM_DT_INT32, 1, dn, tree->pub_feature)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "threshold"), CLM_DT_FLOAT64, 1, dn, tree->pub_threshold)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "left"), CLM_DT_INT32, 1, dn, tree->pub_left)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "right"), CLM_DT_INT32, 1, dn, tree->pub_right)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "value"), CLM_DT_FLOAT64, 2, dnk, tree->pub_value)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "count"), CLM_DT_INT64, 1, dn, tree->pub_count)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "impurity"), CLM_DT_FLOAT64, 1, dn, tree->pub_impurity)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "depth"), CLM_DT_INT32, 1, dn, tree->pub_depth)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "missing_left"), CLM_DT_INT8, 1, dn, tree->pub_missing)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "category_left"), CLM_DT_UINT64, 2, dn4, tree->pub_categories)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "impurity_importance"), CLM_DT_FLOAT64, 1, df, tree->impurity_importance)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "permutation_importance"), CLM_DT_FLOAT64, 1, df, tree->permutation_importance)) ||
        (st = clm_writer_array(w, join(p, sizeof p, group, "confusion"), CLM_DT_INT64, 2, dkk, tree->confusion)) ||
        (st = clm_writer_strings(w, join(p, sizeof p, group, "class_labels"), (const char *const *)tree->data.class_labels, K)))
        return st;

    const char **names = malloc((size_t)F * sizeof *names);
    int8_t *kinds = malloc((size_t)F);
    if (!names || !kinds) {
        free(names);
        free(kinds);
        return clm_error(CLM_E_NOMEM, "tree: out of memory");
    }
    for (int f = 0; f < F; f++) {
        names[f] = tree->data.features[f].name;
        kinds[f] = (int8_t)tree->data.features[f].categorical;
    }
    st = clm_writer_strings(w, join(p, sizeof p, group, "feature_names"), names, F);
    if (!st)
        st = clm_writer_array(w, join(p, sizeof p, group, "feature_categorical"), CLM_DT_INT8, 1, df, kinds);
    free(names);
    free(kinds);
    if (st)
        return st;
    for (int f = 0; f < F; f++) {
        const tree_feature *feat = &tree->data.features[f];
        if (!feat->categorical)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/categories/%d", group, f);
        if ((st = clm_writer_strings(w, path, (const char *const *)feat->categories, feat->n_categories)) ||
            (st = clm_writer_attr_string(w, path, "feature", feat->name)))
            return st;
        if (feat->category_bin && (st = save_groups(w, group, f, feat)))
            return st;
    }

    const clm_tree_params *q = &tree->params;
    if ((st = clm_writer_attr_string(w, group, "target", tree->target)) ||
        (st = clm_writer_attr_string(w, group, "criterion", q->criterion == CLM_TREE_ENTROPY ? "entropy" : "gini")) ||
        (st = clm_writer_attr_i64(w, group, "n_classes", K)) ||
        (st = clm_writer_attr_i64(w, group, "max_depth", q->max_depth)) ||
        (st = clm_writer_attr_i64(w, group, "min_leaf", q->min_leaf)) ||
        (st = clm_writer_attr_f64(w, group, "min_gain", q->min_gain)) ||
        (st = clm_writer_attr_i64(w, group, "max_leaves", q->max_leaves)) ||
        (st = clm_writer_attr_string(w, group, "class_weight", q->class_weight_balanced ? "balanced" : "none")) ||
        (st = clm_writer_attr_f64(w, group, "ccp_alpha", q->ccp_alpha)) ||
        (st = clm_writer_attr_f64(w, group, "test_fraction", q->test_fraction)) ||
        (st = clm_writer_attr_i64(w, group, "bins", q->n_bins)) ||
        (st = clm_writer_attr_i64(w, group, "cat_min_count", q->cat_min_count)) ||
        (st = clm_writer_attr_f64(w, group, "cat_smooth", q->cat_smooth)) ||
        (st = clm_writer_attr_f64(w, group, "cat_l2", q->cat_l2)) ||
        (st = clm_writer_attr_i64(w, group, "cat_max_threshold", q->cat_max_threshold)) ||
        (st = clm_writer_attr_i64(w, group, "cat_max_onehot", q->cat_max_onehot)) ||
        (st = clm_writer_attr_i64(w, group, "seed", (int64_t)q->seed)) ||
        (st = clm_writer_attr_i64(w, group, "n_train", tree->n_train)) ||
        (st = clm_writer_attr_i64(w, group, "n_test", tree->n_test)) ||
        (st = clm_writer_attr_i64(w, group, "n_leaves", clm_tree_n_leaves(tree))) ||
        (st = clm_writer_attr_i64(w, group, "tree_depth", clm_tree_depth(tree))) ||
        (st = clm_writer_attr_f64(w, group, "train_accuracy", tree->train_accuracy)) ||
        (st = clm_writer_attr_f64(w, group, "accuracy", tree->accuracy)) ||
        (st = clm_writer_attr_f64(w, group, "auc", tree->auc)) ||
        (st = clm_writer_attr_f64(w, group, "log_loss", tree->log_loss)))
        return st;
    return CLM_OK;
}

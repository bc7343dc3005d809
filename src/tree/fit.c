/*
 * fit.c — training orchestration shared by the table and matrix entry
 * points: holdout split, class weights, growth, pruning, metrics and
 * importance; plus the in-memory matrix entry point, the getters and free.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util_internal.h"
#include "tree/tree_internal.h"

double tree_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

clm_status tree_fit_data(const clm_tree_params *params, tree_data *data,
                         const char *target, double binning_seconds, clm_tree **out)
{
    *out = NULL;
    clm_tree *tree = calloc(1, sizeof *tree);
    if (!tree) {
        tree_data_free(data);
        return clm_error(CLM_E_NOMEM, "tree: out of memory");
    }
    tree->params = *params;
    tree->data = *data;
    memset(data, 0, sizeof *data);
    tree->data.kernels = kernels_resolve(params->kernels);
    tree->target = util_strdup(target);
    tree->binning_seconds = binning_seconds;
    tree->accuracy = tree->auc = tree->log_loss = tree->train_accuracy = NAN;

    const int64_t n = tree->data.n_rows;
    const int K = tree->data.n_classes;
    clm_status st = CLM_OK;
    int32_t *rows = NULL;
    if (!tree->target) {
        st = clm_error(CLM_E_NOMEM, "tree: out of memory");
        goto fail;
    }
    int64_t class_rows[CLM_TREE_MAX_CLASSES] = {0};
    for (int64_t i = 0; i < n; i++)
        class_rows[tree->data.y[i]]++;
    tree_sum(&tree->data, class_rows, K);
    int present = 0, only = 0;
    for (int k = 0; k < K; k++)
        if (class_rows[k] > 0) {
            present++;
            only = k;
        }
    if (present < 2) {
        st = clm_error(CLM_E_EMPTY, "tree: target '%s' has the single value '%s' in all %lld rows: nothing to learn",
                       target, tree->data.class_labels[only], (long long)tree->data.n_all_rows);
        goto fail;
    }

    /* Row indices are needed during growth only in the row-index form
     * (see grow.c); the row-label form grows on the holdout mask, and the
     * metrics then need index lists only when there is a holdout. */
    const int labels = tree_grow_uses_labels(params, &data->schedule);
    /* This rank's rows (possibly none): n_train + n_test of the whole
     * table, train_here + test_here of them here. */
    int64_t train_here = n, test_here = 0;
    if (!labels) {
        rows = malloc((size_t)(n > 0 ? n : 1) * sizeof *rows);
        if (!rows) {
            st = clm_error(CLM_E_NOMEM, "tree: out of memory for %lld row indices", (long long)n);
            goto fail;
        }
    }
    if (params->test_fraction > 0.0) {
        tree->holdout = malloc((size_t)(n > 0 ? n : 1));
        if (!tree->holdout) {
            st = clm_error(CLM_E_NOMEM, "tree: out of memory for the holdout mask");
            goto fail;
        }
        if ((st = tree_holdout_ranks(&tree->data, params->test_fraction, params->seed,
                                     tree->holdout, &tree->n_train, &tree->n_test,
                                     &tree->first_test)))
            goto fail;
        for (int64_t i = 0; i < n; i++)
            test_here += tree->holdout[i];
        train_here = n - test_here;
    } else {
        tree->n_train = tree->data.n_all_rows;
        tree->n_test = 0;
    }
    if (tree->n_train < 1) {
        st = clm_error(CLM_E_EMPTY, "tree: no training rows left after the holdout (test fraction %g)",
                       params->test_fraction);
        goto fail;
    }
    if (rows) {
        /* Training rows first, then the holdout rows, each ascending. */
        int64_t a = 0, b = train_here;
        for (int64_t i = 0; i < n; i++) {
            if (tree->holdout && tree->holdout[i])
                rows[b++] = (int32_t)i;
            else
                rows[a++] = (int32_t)i;
        }
    }

    /* Class weights: "balanced" = n / (classes present * n_k) over the
     * training rows, as scikit-learn's compute_class_weight. */
    int64_t train_rows[CLM_TREE_MAX_CLASSES] = {0};
    for (int64_t i = 0; i < n; i++)
        if (!(tree->holdout && tree->holdout[i]))
            train_rows[tree->data.y[i]]++;
    tree_sum(&tree->data, train_rows, K);
    int train_present = 0;
    for (int k = 0; k < K; k++)
        train_present += train_rows[k] > 0;
    for (int k = 0; k < K; k++)
        tree->class_weight[k] = (params->class_weight_balanced && train_rows[k] > 0)
            ? (double)tree->n_train / ((double)train_present * (double)train_rows[k])
            : 1.0;

    double t0 = tree_now();
    if ((st = tree_grow(tree, labels ? NULL : rows, train_here)))
        goto fail;
    if (params->ccp_alpha > 0.0 && (st = tree_prune(tree, params->ccp_alpha)))
        goto fail;
    tree->growth_seconds = tree_now() - t0;
    if (params->progress)
        params->progress(params->progress_ctx, "tree growth", tree->n_train, tree->n_train);
    if ((st = tree_finalize(tree)))
        goto fail;
    if (labels && tree->n_test > 0) {
        /* Index lists for the metrics, allocated after growth so that
         * they and the row labels are never alive together. */
        rows = malloc((size_t)(n > 0 ? n : 1) * sizeof *rows);
        if (!rows) {
            st = clm_error(CLM_E_NOMEM, "tree: out of memory for %lld row indices", (long long)n);
            goto fail;
        }
        int64_t a = 0, b = train_here;
        for (int64_t i = 0; i < n; i++) {
            if (tree->holdout[i])
                rows[b++] = (int32_t)i;
            else
                rows[a++] = (int32_t)i;
        }
    }
    /* rows == NULL: every row is a training row, in order. */
    if ((st = tree_compute_metrics(tree, rows, train_here, rows ? rows + train_here : NULL,
                                   test_here)))
        goto fail;
    if ((st = tree_compute_importance(tree, rows ? rows + train_here : NULL, test_here)))
        goto fail;
    free(rows);
    *out = tree;
    return CLM_OK;
fail:
    /* On several ranks a failure here is either agreed already or one
     * of resources, after which the other ranks may wait in a sum. */
    comm_abort_unagreed(tree->data.comm, st);
    free(rows);
    clm_tree_free(tree);
    return st;
}

clm_status clm_tree_fit_matrix(const clm_tree_params *params, const float *x,
                               const int32_t *y, int64_t n_rows, int n_features,
                               int n_classes, const char *const *feature_names,
                               clm_tree **out)
{
    return tree_fit_matrix_scheduled(params, NULL, x, y, n_rows, n_features, n_classes, feature_names, out);
}

clm_status tree_fit_matrix_scheduled(const clm_tree_params *params, const tree_schedule *schedule,
                                     const float *x, const int32_t *y, int64_t n_rows, int n_features,
                                     int n_classes, const char *const *feature_names, clm_tree **out)
{
    clm_status st = clm_tree_params_check(params);
    if (st)
        return st;
    *out = NULL;
    if (n_rows < 1)
        return clm_error(CLM_E_EMPTY, "tree: no rows to train on");
    if (n_rows > INT32_MAX)
        return clm_error(CLM_E_PARAM, "tree: %lld rows exceed the limit of %d",
                         (long long)n_rows, INT32_MAX);
    if (n_features < 1 || n_features > 100000)
        return clm_error(CLM_E_EMPTY, "tree: need at least one feature");
    if (n_classes < 2 || n_classes > CLM_TREE_MAX_CLASSES)
        return clm_error(CLM_E_PARAM, "tree: %d classes; between 2 and %d supported",
                         n_classes, CLM_TREE_MAX_CLASSES);
    for (int64_t i = 0; i < n_rows; i++)
        if (y[i] < 0 || y[i] >= n_classes)
            return clm_error(CLM_E_VALUE, "tree: target row %lld has class %d, outside [0, %d)",
                             (long long)i, y[i], n_classes);
    double t0 = tree_now();
    tree_data data = {0};
    if (schedule)
        data.schedule = *schedule;
    else
        tree_schedule_default(&data.schedule);
    data.n_rows = data.n_all_rows = n_rows;
    data.n_features = n_features;
    data.n_classes = n_classes;
    data.features = calloc((size_t)n_features, sizeof *data.features);
    data.class_labels = calloc((size_t)n_classes, sizeof *data.class_labels);
    data.bins = util_alloc_big((size_t)n_rows * n_features);
    data.y = malloc((size_t)n_rows);
    if (!data.features || !data.class_labels || !data.bins || !data.y) {
        tree_data_free(&data);
        return clm_error(CLM_E_NOMEM, "tree: out of memory for %lld x %d bins",
                         (long long)n_rows, n_features);
    }
    for (int k = 0; k < n_classes; k++) {
        char label[16];
        snprintf(label, sizeof label, "%d", k);
        if (!(data.class_labels[k] = util_strdup(label))) {
            tree_data_free(&data);
            return clm_error(CLM_E_NOMEM, "tree: out of memory");
        }
    }
    for (int64_t i = 0; i < n_rows; i++)
        data.y[i] = (uint8_t)y[i];

    int64_t ranges[128];
    int n_ranges = tree_sample_ranges(n_rows, params->sample_rows, ranges);
    int64_t n_sample = 0;
    for (int r = 0; r < n_ranges; r++)
        n_sample += ranges[2 * r + 1];
    const int full = n_sample == n_rows;
    int failed = 0;
    #pragma omp parallel num_threads(util_threads(params->n_threads))
    {
        float *sample = malloc((size_t)n_sample * sizeof *sample);
        if (!sample) {
            #pragma omp atomic write
            failed = 1;
        }
        #pragma omp for schedule(dynamic, 1)
        for (int f = 0; f < n_features; f++) {
            tree_feature *feat = &data.features[f];
            char name[32];
            if (feature_names && feature_names[f])
                feat->name = util_strdup(feature_names[f]);
            else {
                snprintf(name, sizeof name, "f%d", f);
                feat->name = util_strdup(name);
            }
            if (!feat->name || !sample) {
                #pragma omp atomic write
                failed = 1;
                continue;
            }
            int64_t m = 0;
            for (int r = 0; r < n_ranges; r++)
                for (int64_t i = ranges[2 * r]; i < ranges[2 * r] + ranges[2 * r + 1]; i++)
                    sample[m++] = x[i * n_features + f];
            tree_bins_from_sample(feat, sample, m, params->n_bins - 1, full);
        }
        free(sample);
    }
    if (failed) {
        tree_data_free(&data);
        return clm_error(CLM_E_NOMEM, "tree: out of memory while binning");
    }
    /* Bins are computed in blocks so the progress callback can run. */
    for (int64_t row0 = 0; row0 < n_rows; row0 += CLM_BLOCK_ROWS * 16) {
        int64_t count = n_rows - row0 < CLM_BLOCK_ROWS * 16 ? n_rows - row0 : CLM_BLOCK_ROWS * 16;
        tree_bin_block(data.features, n_features, x + row0 * n_features, count,
                       data.bins + row0 * n_features, params->n_threads, NULL);
        if (params->progress)
            params->progress(params->progress_ctx, "tree binning", row0 + count, n_rows);
    }
    return tree_fit_data(params, &data, "target", tree_now() - t0, out);
}

void clm_tree_free(clm_tree *tree)
{
    if (!tree)
        return;
    tree_data_free(&tree->data);
    free(tree->target);
    free(tree->nodes);
    free(tree->class_weighted);
    free(tree->class_counts);
    free(tree->pub_feature); free(tree->pub_left); free(tree->pub_right);
    free(tree->pub_depth); free(tree->pub_threshold); free(tree->pub_value);
    free(tree->pub_impurity); free(tree->pub_count); free(tree->pub_missing);
    free(tree->pub_categories);
    free(tree->holdout);
    free(tree->row_leaf);
    free(tree->confusion);
    free(tree->impurity_importance);
    free(tree->permutation_importance);
    free(tree);
}

void clm_tree_get_nodes(const clm_tree *tree, clm_tree_nodes *nodes)
{
    nodes->n_nodes = tree->n_nodes;
    nodes->n_classes = tree->data.n_classes;
    nodes->feature = tree->pub_feature;
    nodes->threshold = tree->pub_threshold;
    nodes->left = tree->pub_left;
    nodes->right = tree->pub_right;
    nodes->value = tree->pub_value;
    nodes->count = tree->pub_count;
    nodes->impurity = tree->pub_impurity;
    nodes->depth = tree->pub_depth;
    nodes->missing_left = tree->pub_missing;
    nodes->category_left = tree->pub_categories;
}

int clm_tree_n_leaves(const clm_tree *tree)
{
    int n = 0;
    for (int i = 0; i < tree->n_nodes; i++)
        n += tree->pub_feature[i] < 0;
    return n;
}

int clm_tree_depth(const clm_tree *tree)
{
    /* From the node links, so a loaded tree (no depth array) answers too:
     * children come after their parents. */
    int *depth = calloc((size_t)(tree->n_nodes > 0 ? tree->n_nodes : 1), sizeof *depth);
    int d = 0;
    for (int i = 0; depth && i < tree->n_nodes; i++) {
        if (depth[i] > d)
            d = depth[i];
        if (tree->pub_feature[i] >= 0)
            depth[tree->pub_left[i]] = depth[tree->pub_right[i]] = depth[i] + 1;
    }
    free(depth);
    return d;
}

int clm_tree_n_features(const clm_tree *tree) { return tree->data.n_features; }
const char *clm_tree_feature_name(const clm_tree *tree, int f) { return tree->data.features[f].name; }
int clm_tree_feature_is_categorical(const clm_tree *tree, int f) { return tree->data.features[f].categorical; }
int clm_tree_category_group(const clm_tree *tree, int f, int code)
{
    if (!tree || f < 0 || f >= tree->data.n_features)
        return -1;
    const tree_feature *feat = &tree->data.features[f];
    if (!feat->categorical || code < 0 || code >= feat->n_categories)
        return -1;
    return tree_category_bin(feat, code) - 1;
}
int clm_tree_n_classes(const clm_tree *tree) { return tree->data.n_classes; }
const char *clm_tree_class_label(const clm_tree *tree, int k) { return tree->data.class_labels[k]; }
const double *clm_tree_impurity_importance(const clm_tree *tree) { return tree->impurity_importance; }
const double *clm_tree_permutation_importance(const clm_tree *tree) { return tree->permutation_importance; }
const uint8_t *clm_tree_holdout_mask(const clm_tree *tree) { return tree->holdout; }
int64_t clm_tree_n_rows(const clm_tree *tree) { return tree->data.n_all_rows; }

void clm_tree_get_metrics(const clm_tree *tree, clm_tree_metrics *m)
{
    m->n_train = tree->n_train;
    m->n_test = tree->n_test;
    m->train_accuracy = tree->train_accuracy;
    m->accuracy = tree->accuracy;
    m->auc = tree->auc;
    m->log_loss = tree->log_loss;
    m->confusion = tree->confusion;
    m->binning_seconds = tree->binning_seconds;
    m->growth_seconds = tree->growth_seconds;
}

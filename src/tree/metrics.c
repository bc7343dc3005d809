/*
 * metrics.c — accuracy, ROC AUC, log loss and confusion matrix.
 *
 * A tree predicts the same probabilities for every row of a leaf, so all
 * metrics follow from the class counts of the evaluated rows per leaf:
 * rows are routed in parallel into per-thread integer counts (merged in
 * thread order; integers make the result thread-count independent), then
 * the metrics are summed leaf by leaf in id order.  On several ranks the
 * counts are summed over the ranks first (tree_leaf_counts), so every
 * metric, the log loss included, is computed from the whole table's
 * integers exactly as on one.  The AUC is the
 * Mann-Whitney statistic with ties between leaves of equal score counted
 * as one half, computed over leaves sorted by score.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_internal.h"
#include "tree/metrics_internal.h"

clm_status tree_leaf_counts(const clm_tree *tree, const int32_t *rows, int64_t n,
                            int override_feature, const uint8_t *override_bins,
                            int64_t *counts)
{
    const int K = tree->data.n_classes, F = tree->data.n_features;
    const int64_t size = (int64_t)tree->n_nodes * K;
    const int n_threads = util_threads(tree->params.n_threads);
    int64_t *local = calloc((size_t)n_threads * size, sizeof *local);
    if (!local)
        return clm_error(CLM_E_NOMEM, "tree: out of memory for leaf counts");
    #pragma omp parallel num_threads(n_threads)
    {
        int64_t *mine = local + (int64_t)omp_get_thread_num() * size;
        #pragma omp for schedule(static)
        for (int64_t i = 0; i < n; i++) {
            int64_t r = rows ? rows[i] : i;
            const uint8_t *row = tree->data.bins + r * F;
            int leaf = override_bins ? tree_leaf_of(tree, row, override_feature, override_bins[i])
                                     : tree_leaf_of(tree, row, -1, 0);
            mine[(int64_t)leaf * K + tree->data.y[r]]++;
        }
    }
    memset(counts, 0, (size_t)size * sizeof *counts);
    for (int t = 0; t < n_threads; t++)
        for (int64_t j = 0; j < size; j++)
            counts[j] += local[(int64_t)t * size + j];
    free(local);
    tree_sum(&tree->data, counts, size);
    return CLM_OK;
}

int tree_predicted_class(const clm_tree *tree, int leaf)
{
    const int K = tree->data.n_classes;
    const double *v = tree->pub_value + (int64_t)leaf * K;
    int best = 0;
    for (int k = 1; k < K; k++)
        if (v[k] > v[best])
            best = k;
    return best;
}

void tree_right_from_counts(const clm_tree *tree, const int64_t *counts, int64_t *right_rows,
                            int64_t *total_rows)
{
    const int K = tree->data.n_classes;
    int64_t right = 0, total = 0;
    for (int i = 0; i < tree->n_nodes; i++) {
        if (tree->nodes[i].feature >= 0)
            continue;
        int p = tree_predicted_class(tree, i);
        for (int k = 0; k < K; k++) {
            total += counts[(int64_t)i * K + k];
            if (k == p)
                right += counts[(int64_t)i * K + k];
        }
    }
    *right_rows = right;
    *total_rows = total;
}

double tree_accuracy_of(int64_t right, int64_t total)
{
    return total > 0 ? (double)right / (double)total : NAN;
}

double tree_accuracy_from_counts(const clm_tree *tree, const int64_t *counts)
{
    int64_t right, total;
    tree_right_from_counts(tree, counts, &right, &total);
    return tree_accuracy_of(right, total);
}

static int compare_score(const void *a, const void *b)
{
    double x = ((const tree_leaf_score *)a)->score, y = ((const tree_leaf_score *)b)->score;
    return (x > y) - (x < y);
}

double tree_auc_from_scores(tree_leaf_score *s, int n)
{
    qsort(s, (size_t)n, sizeof *s, compare_score);
    double area = 0.0, neg_below = 0.0;
    int64_t total_pos = 0, total_neg = 0;
    for (int i = 0; i < n;) {
        int j = i;
        int64_t pos = 0, neg = 0;
        while (j < n && s[j].score == s[i].score) {
            pos += s[j].pos;
            neg += s[j].neg;
            j++;
        }
        area += (double)pos * (neg_below + 0.5 * (double)neg);
        neg_below += (double)neg;
        total_pos += pos;
        total_neg += neg;
        i = j;
    }
    if (total_pos == 0 || total_neg == 0)
        return NAN;
    return area / ((double)total_pos * (double)total_neg);
}

clm_status tree_compute_metrics(clm_tree *tree, const int32_t *train, int64_t n_train,
                                const int32_t *test, int64_t n_test)
{
    const int K = tree->data.n_classes;
    const int64_t size = (int64_t)tree->n_nodes * K;
    int64_t *counts = malloc((size_t)size * sizeof *counts);
    clm_status st;
    if (!counts)
        return clm_error(CLM_E_NOMEM, "tree: out of memory for metrics");
    tree->confusion = calloc((size_t)K * K, sizeof *tree->confusion);
    if (!tree->confusion) {
        free(counts);
        return clm_error(CLM_E_NOMEM, "tree: out of memory for metrics");
    }
    if ((st = tree_leaf_counts(tree, train, n_train, -1, NULL, counts))) {
        free(counts);
        return st;
    }
    tree->train_accuracy = tree_accuracy_from_counts(tree, counts);
    tree->accuracy = tree->auc = tree->log_loss = NAN;
    if (tree->n_test > 0) {
        if ((st = tree_leaf_counts(tree, test, n_test, -1, NULL, counts))) {
            free(counts);
            return st;
        }
        tree->accuracy = tree_accuracy_from_counts(tree, counts);
        double loss = 0.0;
        int n_leaves = 0;
        tree_leaf_score *scores = malloc((size_t)tree->n_nodes * sizeof *scores);
        if (!scores) {
            free(counts);
            return clm_error(CLM_E_NOMEM, "tree: out of memory for metrics");
        }
        for (int i = 0; i < tree->n_nodes; i++) {
            if (tree->nodes[i].feature >= 0)
                continue;
            int p = tree_predicted_class(tree, i);
            const double *v = tree->pub_value + (int64_t)i * K;
            for (int k = 0; k < K; k++) {
                int64_t c = counts[(int64_t)i * K + k];
                if (!c)
                    continue;
                tree->confusion[k * K + p] += c;
                /* scikit-learn's log_loss clips probabilities to
                 * [1e-15, 1 - 1e-15]. */
                double q = v[k] < 1e-15 ? 1e-15 : (v[k] > 1.0 - 1e-15 ? 1.0 - 1e-15 : v[k]);
                loss -= (double)c * log(q);
            }
            if (K == 2) {
                scores[n_leaves].score = v[1];
                scores[n_leaves].pos = counts[(int64_t)i * K + 1];
                scores[n_leaves].neg = counts[(int64_t)i * K];
                n_leaves++;
            }
        }
        tree->log_loss = loss / (double)tree->n_test;
        if (K == 2)
            tree->auc = tree_auc_from_scores(scores, n_leaves);
        free(scores);
    }
    free(counts);
    return CLM_OK;
}

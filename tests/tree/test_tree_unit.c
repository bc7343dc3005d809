/*
 * test_tree_unit.c — hand-computable trees on the in-memory API: a pure
 * node stops, XOR needs depth 2, min-leaf is respected, ties go to the
 * lowest feature and threshold, the stratified holdout has exact counts,
 * the tree does not depend on threads or on the kernel variant, and bad
 * parameters / a constant target fail with clear messages.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* cmocka 1.1 has no double assertion. */
#define assert_close(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

#include "clmseg/tree.h"
#include "tree/tree_internal.h"

static clm_tree_params base_params(void)
{
    clm_tree_params p;
    clm_tree_params_default(&p);
    p.test_fraction = 0.0;
    p.n_threads = 1;
    return p;
}

/* A fit with a given growth schedule (NULL: the library's). */
static clm_tree *fit_scheduled(const clm_tree_params *p, const tree_schedule *schedule, const float *x,
                               const int32_t *y, int64_t n, int f, int k)
{
    clm_tree *t = NULL;
    clm_status st = tree_fit_matrix_scheduled(p, schedule, x, y, n, f, k, NULL, &t);
    if (st)
        fail_msg("fit failed: %s", clm_error_detail());
    return t;
}

static clm_tree *fit(const clm_tree_params *p, const float *x, const int32_t *y, int64_t n,
                     int f, int k)
{
    return fit_scheduled(p, NULL, x, y, n, f, k);
}

static void test_pure_node_stops(void **unused)
{
    (void)unused;
    const float x[] = {1, 2, 3, 4};
    const int32_t y[] = {0, 0, 1, 1};
    clm_tree_params p = base_params();
    clm_tree *t = fit(&p, x, y, 4, 1, 2);
    clm_tree_nodes n;
    clm_tree_get_nodes(t, &n);
    assert_int_equal(n.n_nodes, 3);
    assert_int_equal(n.feature[0], 0);
    assert_close(n.threshold[0], 2.5, 0);
    assert_int_equal(n.feature[1], -1);
    assert_int_equal(n.feature[2], -1);
    assert_int_equal(n.count[n.left[0]], 2);
    assert_close(n.value[n.left[0] * 2 + 0], 1.0, 0);
    assert_close(n.value[n.right[0] * 2 + 1], 1.0, 0);
    clm_tree_metrics m;
    clm_tree_get_metrics(t, &m);
    assert_close(m.train_accuracy, 1.0, 0);
    clm_tree_free(t);
}

static void test_xor_needs_depth_two(void **unused)
{
    (void)unused;
    float x[40 * 2];
    int32_t y[40];
    for (int i = 0; i < 40; i++) {
        int a = i & 1, b = (i >> 1) & 1;
        x[2 * i] = (float)a;
        x[2 * i + 1] = (float)b;
        y[i] = a ^ b;
    }
    clm_tree_params p = base_params();
    p.max_depth = 1;
    clm_tree *t = fit(&p, x, y, 40, 2, 2);
    clm_tree_metrics m;
    clm_tree_get_metrics(t, &m);
    /* Every single split leaves each side half and half. */
    assert_close(m.train_accuracy, 0.5, 0);
    assert_int_equal(clm_tree_n_leaves(t), 2);
    clm_tree_free(t);
    p.max_depth = 2;
    t = fit(&p, x, y, 40, 2, 2);
    clm_tree_get_metrics(t, &m);
    assert_close(m.train_accuracy, 1.0, 0);
    assert_int_equal(clm_tree_n_leaves(t), 4);
    clm_tree_nodes n;
    clm_tree_get_nodes(t, &n);
    /* The zero-gain root split ties between the features: feature 0. */
    assert_int_equal(n.feature[0], 0);
    assert_close(n.threshold[0], 0.5, 0);
    clm_tree_free(t);
}

static void test_min_leaf(void **unused)
{
    (void)unused;
    float x[20];
    int32_t y[20];
    for (int i = 0; i < 20; i++) {
        x[i] = (float)(i + 1);
        y[i] = i + 1 >= 3;
    }
    clm_tree_params p = base_params();
    p.min_leaf = 5;
    clm_tree *t = fit(&p, x, y, 20, 1, 2);
    clm_tree_nodes n;
    clm_tree_get_nodes(t, &n);
    /* Cutting after k >= 5 rows costs k - (4 + (k-2)^2)/k on the left
     * (the right is pure), smallest at k = 5: threshold 5.5; the left
     * leaf (5 rows < 2 * 5) and the pure right stop. */
    assert_int_equal(n.n_nodes, 3);
    assert_close(n.threshold[0], 5.5, 0);
    assert_int_equal(n.count[n.left[0]], 5);
    assert_int_equal(n.count[n.right[0]], 15);
    for (int i = 0; i < n.n_nodes; i++)
        assert_true(n.count[i] >= 5);
    clm_tree_free(t);
}

static void test_ties(void **unused)
{
    (void)unused;
    /* Two identical features; cuts after 1 and after 2 cost the same. */
    const float x[] = {1, 1, 2, 2, 3, 3};
    const int32_t y[] = {0, 1, 0};
    clm_tree_params p = base_params();
    p.max_depth = 1;
    for (int rep = 0; rep < 2; rep++) {
        clm_tree *t = fit(&p, x, y, 3, 2, 2);
        clm_tree_nodes n;
        clm_tree_get_nodes(t, &n);
        assert_int_equal(n.feature[0], 0);
        assert_close(n.threshold[0], 1.5, 0);
        clm_tree_free(t);
    }
}

static void test_holdout_stratified(void **unused)
{
    (void)unused;
    enum { N = 1000 };
    uint8_t y[N], mask[N];
    for (int i = 0; i < N; i++)
        y[i] = (i % 10) < 3;
    int64_t n_train, n_test;
    tree_holdout_split(y, N, 2, 0.2, 7, mask, NULL, &n_train, NULL, &n_test);
    assert_int_equal(n_test, 200);
    assert_int_equal(n_train, 800);
    int pos = 0, total = 0;
    for (int i = 0; i < N; i++) {
        total += mask[i];
        pos += mask[i] && y[i];
    }
    assert_int_equal(total, 200);
    assert_int_equal(pos, 60);
    /* Another seed, another split; the same seed, the same split. */
    uint8_t again[N], other[N];
    tree_holdout_split(y, N, 2, 0.2, 7, again, NULL, &n_train, NULL, &n_test);
    tree_holdout_split(y, N, 2, 0.2, 8, other, NULL, &n_train, NULL, &n_test);
    assert_memory_equal(mask, again, N);
    assert_true(memcmp(mask, other, N) != 0);
}

/* Random data with missing values: 3 numeric features drive the class. */
static void make_random(int64_t n, int f, float *x, int32_t *y)
{
    uint64_t s = 99;
    for (int64_t i = 0; i < n; i++) {
        double score = 0;
        for (int j = 0; j < f; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(s >> 11) * 0x1.0p-53;
            x[i * f + j] = (float)(u * 100.0);
            if (j < 3)
                score += (j + 1) * u;
        }
        if (i % 17 == 0)
            x[i * f + 1] = NAN;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        y[i] = score + 0.5 * ((double)(s >> 11) * 0x1.0p-53) > 3.2;
    }
}

static void assert_same_tree(const clm_tree *a, const clm_tree *b)
{
    clm_tree_nodes x, y;
    clm_tree_get_nodes(a, &x);
    clm_tree_get_nodes(b, &y);
    assert_int_equal(x.n_nodes, y.n_nodes);
    size_t n = (size_t)x.n_nodes;
    assert_memory_equal(x.feature, y.feature, n * sizeof *x.feature);
    assert_memory_equal(x.threshold, y.threshold, n * sizeof *x.threshold);
    assert_memory_equal(x.left, y.left, n * sizeof *x.left);
    assert_memory_equal(x.value, y.value, n * 2 * sizeof *x.value);
    assert_memory_equal(x.count, y.count, n * sizeof *x.count);
    assert_memory_equal(x.missing_left, y.missing_left, n);
    clm_tree_metrics ma, mb;
    clm_tree_get_metrics(a, &ma);
    clm_tree_get_metrics(b, &mb);
    assert_memory_equal(&ma.accuracy, &mb.accuracy, sizeof(double));
    assert_memory_equal(&ma.auc, &mb.auc, sizeof(double));
    assert_memory_equal(&ma.log_loss, &mb.log_loss, sizeof(double));
    assert_memory_equal(clm_tree_permutation_importance(a), clm_tree_permutation_importance(b),
                        5 * sizeof(double));
}

static void test_threads_and_kernels_identical(void **unused)
{
    (void)unused;
    enum { N = 120000, F = 5 };
    float *x = malloc(sizeof(float) * N * F);
    int32_t *y = malloc(sizeof(int32_t) * N);
    make_random(N, F, x, y);
    clm_tree_params p = base_params();
    p.max_depth = 7;
    p.test_fraction = 0.25;
    p.n_bins = 64;
    p.sample_rows = 5000; /* quantile bins from a sample */
    clm_tree *one = fit(&p, x, y, N, F, 2);
    p.n_threads = 2;
    clm_tree *two = fit(&p, x, y, N, F, 2);
    assert_same_tree(one, two);
    p.kernels = clm_kernels_reference();
    clm_tree *ref = fit(&p, x, y, N, F, 2);
    p.kernels = NULL;
    assert_same_tree(one, ref);
    /* Every node's passes in parallel (by default small ones are not). */
    p.n_threads = 2;
    tree_schedule all_parallel;
    tree_schedule_default(&all_parallel);
    all_parallel.serial_rows = 0;
    clm_tree *par = fit_scheduled(&p, &all_parallel, x, y, N, F, 2);
    assert_same_tree(one, par);
    clm_tree_free(par);
    clm_tree_metrics m;
    clm_tree_get_metrics(one, &m);
    assert_int_equal(m.n_test, 30000);
    assert_true(m.accuracy > 0.8);
    assert_true(m.auc > 0.85);
    /* Missing values of feature 1 were seen: every split on it learned a
     * side, and the probabilities of training rows are leaf values. */
    float probs[2 * 10];
    assert_int_equal(clm_tree_predict_training(one, 0, 10, probs), CLM_OK);
    for (int i = 0; i < 10; i++)
        assert_float_equal(probs[2 * i] + probs[2 * i + 1], 1.0f, 1e-6);
    /* Best-first with a leaf budget. */
    p.max_leaves = 9;
    p.max_depth = 0;
    clm_tree *bf = fit(&p, x, y, N, F, 2);
    assert_int_equal(clm_tree_n_leaves(bf), 9);
    clm_tree_free(bf);
    clm_tree_free(one);
    clm_tree_free(two);
    clm_tree_free(ref);
    free(x);
    free(y);
}

static void expect_param_error(clm_tree_params p, const char *needle)
{
    clm_status st = clm_tree_params_check(&p);
    assert_int_equal(st, CLM_E_PARAM);
    if (!strstr(clm_error_detail(), needle))
        fail_msg("detail '%s' lacks '%s'", clm_error_detail(), needle);
}

static void test_bad_params(void **unused)
{
    (void)unused;
    clm_tree_params p = base_params();
    assert_int_equal(clm_tree_params_check(&p), CLM_OK);
    clm_tree_params q = p; q.max_depth = -1; expect_param_error(q, "max-depth");
    q = p; q.min_leaf = 0; expect_param_error(q, "min-leaf");
    q = p; q.n_bins = 1; expect_param_error(q, "bins");
    q = p; q.n_bins = 257; expect_param_error(q, "bins");
    q = p; q.test_fraction = 1.0; expect_param_error(q, "test-fraction");
    q = p; q.ccp_alpha = -0.1; expect_param_error(q, "ccp-alpha");
    q = p; q.min_gain = NAN; expect_param_error(q, "min-gain");
    q = p; q.max_leaves = 1; expect_param_error(q, "max-leaves");
    q = p; q.cat_min_count = 0; expect_param_error(q, "cat-min-count");
    q = p; q.cat_smooth = -1.0; expect_param_error(q, "cat-smooth");
    q = p; q.cat_l2 = INFINITY; expect_param_error(q, "cat-l2");
    q = p; q.cat_max_threshold = 0; expect_param_error(q, "cat-max-threshold");
    q = p; q.cat_max_onehot = -1; expect_param_error(q, "cat-max-onehot");
}

static void test_constant_target(void **unused)
{
    (void)unused;
    const float x[] = {1, 2, 3, 4};
    const int32_t y[] = {1, 1, 1, 1};
    clm_tree_params p = base_params();
    clm_tree *t = NULL;
    assert_int_equal(clm_tree_fit_matrix(&p, x, y, 4, 1, 2, NULL, &t), CLM_E_EMPTY);
    assert_null(t);
    assert_non_null(strstr(clm_error_detail(), "single value"));
    const int32_t bad[] = {0, 1, 2, 1};
    assert_int_equal(clm_tree_fit_matrix(&p, x, bad, 4, 1, 2, NULL, &t), CLM_E_VALUE);
    assert_non_null(strstr(clm_error_detail(), "row 2"));
}

static void test_pruning_collapses(void **unused)
{
    (void)unused;
    /* x 1..8, y = 0 0 0 1 0 1 1 1: a full tree has several leaves; a
     * large alpha prunes back to the root, alpha 0 keeps everything. */
    const float x[] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int32_t y[] = {0, 0, 0, 1, 0, 1, 1, 1};
    clm_tree_params p = base_params();
    clm_tree *full = fit(&p, x, y, 8, 1, 2);
    assert_true(clm_tree_n_leaves(full) > 2);
    p.ccp_alpha = 1.0;
    clm_tree *root = fit(&p, x, y, 8, 1, 2);
    assert_int_equal(clm_tree_n_leaves(root), 1);
    clm_tree_free(full);
    clm_tree_free(root);
}

/* Same nodes, including the class values of K classes. */
static void assert_same_nodes(const clm_tree *a, const clm_tree *b)
{
    clm_tree_nodes x, y;
    clm_tree_get_nodes(a, &x);
    clm_tree_get_nodes(b, &y);
    assert_int_equal(x.n_nodes, y.n_nodes);
    assert_int_equal(x.n_classes, y.n_classes);
    size_t n = (size_t)x.n_nodes;
    assert_memory_equal(x.feature, y.feature, n * sizeof *x.feature);
    assert_memory_equal(x.threshold, y.threshold, n * sizeof *x.threshold);
    assert_memory_equal(x.left, y.left, n * sizeof *x.left);
    assert_memory_equal(x.right, y.right, n * sizeof *x.right);
    assert_memory_equal(x.value, y.value, n * (size_t)x.n_classes * sizeof *x.value);
    assert_memory_equal(x.count, y.count, n * sizeof *x.count);
    assert_memory_equal(x.impurity, y.impurity, n * sizeof *x.impurity);
    assert_memory_equal(x.missing_left, y.missing_left, n);
    clm_tree_metrics ma, mb;
    clm_tree_get_metrics(a, &ma);
    clm_tree_get_metrics(b, &mb);
    assert_memory_equal(&ma.train_accuracy, &mb.train_accuracy, sizeof(double));
    if (ma.n_test > 0) {
        assert_memory_equal(&ma.accuracy, &mb.accuracy, sizeof(double));
        assert_memory_equal(&ma.log_loss, &mb.log_loss, sizeof(double));
    }
}

/* Fits with the row-label form (default, then with and without row lists
 * for small nodes, threads 1 and 2, reference kernels) and with the
 * row-index form; all must give the same tree. */
static void check_forms(clm_tree_params p, const float *x, const int32_t *y, int64_t n, int f,
                        int k)
{
    tree_schedule schedule;
    tree_schedule_default(&schedule);
    assert_true(tree_grow_uses_labels(&p, &schedule));
    clm_tree *labels = fit(&p, x, y, n, f, k);
    schedule.force_rows = 1;
    clm_tree *rows = fit_scheduled(&p, &schedule, x, y, n, f, k);
    schedule.force_rows = 0;
    assert_same_nodes(labels, rows);
    assert_true(clm_tree_n_leaves(labels) > 2);
    const int shares[] = {0, 2, 64};
    for (int i = 0; i < 3; i++) {
        schedule.list_share = shares[i];
        for (int threads = 1; threads <= 3; threads++) {
            p.n_threads = threads;
            /* Every pass in parallel, however small the node. */
            tree_schedule each = schedule;
            if (threads > 1)
                each.serial_rows = 0;
            clm_tree *t = fit_scheduled(&p, &each, x, y, n, f, k);
            assert_same_nodes(labels, t);
            clm_tree_free(t);
        }
        p.n_threads = 1;
        p.kernels = clm_kernels_reference();
        clm_tree *t = fit_scheduled(&p, &schedule, x, y, n, f, k);
        p.kernels = NULL;
        assert_same_nodes(labels, t);
        clm_tree_free(t);
    }
    clm_tree_free(labels);
    clm_tree_free(rows);
}

static void test_label_and_index_forms_identical(void **unused)
{
    (void)unused;
    enum { N = 80000, F = 5 };
    float *x = malloc(sizeof(float) * N * F);
    int32_t *y = malloc(sizeof(int32_t) * N);
    make_random(N, F, x, y);
    clm_tree_params p = base_params();
    p.permutation_repeats = 1;
    /* Depth-first, with a holdout (its rows carry no label). */
    p.max_depth = 7;
    p.test_fraction = 0.25;
    p.n_bins = 64;
    check_forms(p, x, y, N, F, 2);
    /* Best-first with a leaf budget, min_leaf and entropy. */
    p.max_depth = 0;
    p.max_leaves = 40;
    p.min_leaf = 50;
    p.criterion = CLM_TREE_ENTROPY;
    check_forms(p, x, y, N, F, 2);
    /* Deep and narrow: hundreds of splits, many nodes that end as leaves
     * only after their histogram (stale slots, clean-up passes). */
    p = base_params();
    p.permutation_repeats = 1;
    p.max_depth = 30;
    p.n_bins = 256;
    check_forms(p, x, y, 20000, F, 2);
    /* Three classes. */
    for (int64_t i = 0; i < N; i++)
        y[i] = (int32_t)((y[i] + (x[i * F + 3] > 60.0f)) % 3);
    p = base_params();
    p.permutation_repeats = 1;
    p.max_depth = 6;
    p.test_fraction = 0.2;
    check_forms(p, x, y, N, F, 3);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pure_node_stops),
        cmocka_unit_test(test_xor_needs_depth_two),
        cmocka_unit_test(test_min_leaf),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_holdout_stratified),
        cmocka_unit_test(test_threads_and_kernels_identical),
        cmocka_unit_test(test_label_and_index_forms_identical),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_constant_target),
        cmocka_unit_test(test_pruning_collapses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

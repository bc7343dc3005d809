/*
 * test_tree_sklearn.c — the same trees as scikit-learn's
 * DecisionTreeClassifier on small data binned exactly (bins >= distinct
 * values): features, midpoint thresholds and node sizes, node by node in
 * preorder.  Goldens: tests/tree/golden/make_golden.py (scikit-learn 1.2.1).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clmseg/tree.h"
#include "testutil.h"

enum { N = 200, F = 5 };
static float x[N * F];
static int32_t y[N], z[N];

static void load_data(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/tree/golden/small.csv", tu_source_dir());
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    for (int i = 0; i < N; i++) {
        assert_non_null(fgets(line, sizeof line, f));
        char *p = line;
        for (int j = 0; j < F; j++) {
            x[i * F + j] = strtof(p, &p);
            assert_true(*p == ',');
            p++;
        }
        y[i] = (int32_t)strtol(p, &p, 10);
        p++;
        z[i] = (int32_t)strtol(p, &p, 10);
    }
    fclose(f);
}

typedef struct walker {
    FILE *golden;
    const clm_tree_nodes *nodes;
    int n_checked;
} walker;

static void walk(walker *w, int i, int depth)
{
    char line[256];
    if (!fgets(line, sizeof line, w->golden))
        fail_msg("golden has fewer nodes than clmseg (node %d)", i);
    char kind[16];
    int gd, gf;
    double gt;
    long long gn;
    const clm_tree_nodes *n = w->nodes;
    if (sscanf(line, "%15s", kind) != 1)
        fail_msg("bad golden line %s", line);
    if (!strcmp(kind, "leaf")) {
        assert_int_equal(sscanf(line, "leaf %d %lld", &gd, &gn), 2);
        if (n->feature[i] >= 0)
            fail_msg("node %d at depth %d: clmseg splits on %d at %.17g, scikit-learn has a leaf of %lld",
                     i, depth, n->feature[i], n->threshold[i], gn);
        assert_int_equal(n->count[i], gn);
        w->n_checked++;
        return;
    }
    assert_int_equal(sscanf(line, "split %d %d %lf %lld", &gd, &gf, &gt, &gn), 4);
    assert_int_equal(depth, gd);
    if (n->feature[i] != gf || fabs(n->threshold[i] - gt) > 1e-12)
        fail_msg("node %d at depth %d: clmseg feature %d threshold %.17g, scikit-learn feature %d threshold %.17g",
                 i, depth, n->feature[i], n->threshold[i], gf, gt);
    assert_int_equal(n->count[i], gn);
    w->n_checked++;
    walk(w, n->left[i], depth + 1);
    walk(w, n->right[i], depth + 1);
}

static void check_case(const char *name, const clm_tree_params *p, const int32_t *target,
                       int n_classes)
{
    clm_tree *t = NULL;
    if (clm_tree_fit_matrix(p, x, target, N, F, n_classes, NULL, &t))
        fail_msg("%s: %s", name, clm_error_detail());
    clm_tree_nodes nodes;
    clm_tree_get_nodes(t, &nodes);
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/tree/golden/tree_%s.txt", tu_source_dir(), name);
    walker w = {fopen(path, "r"), &nodes, 0};
    if (!w.golden)
        fail_msg("cannot open %s", path);
    walk(&w, 0, 0);
    char extra[256];
    if (fgets(extra, sizeof extra, w.golden))
        fail_msg("%s: scikit-learn has more nodes than clmseg (%d)", name, w.n_checked);
    fclose(w.golden);
    assert_int_equal(w.n_checked, nodes.n_nodes);
    clm_tree_free(t);
}

static clm_tree_params params(void)
{
    clm_tree_params p;
    clm_tree_params_default(&p);
    p.test_fraction = 0.0;
    p.n_bins = 256;
    p.max_depth = 0;
    p.permutation_repeats = 0;
    return p;
}

static void test_gini_depth3(void **u) { (void)u; clm_tree_params p = params(); p.max_depth = 3; check_case("gini_d3", &p, y, 2); }
static void test_entropy_depth4(void **u) { (void)u; clm_tree_params p = params(); p.max_depth = 4; p.criterion = CLM_TREE_ENTROPY; check_case("entropy_d4", &p, y, 2); }
static void test_min_leaf7(void **u) { (void)u; clm_tree_params p = params(); p.max_depth = 5; p.min_leaf = 7; check_case("minleaf7_d5", &p, y, 2); }
static void test_max_leaves6(void **u) { (void)u; clm_tree_params p = params(); p.max_leaves = 6; check_case("leaves6", &p, y, 2); }
static void test_ccp(void **u) { (void)u; clm_tree_params p = params(); p.min_leaf = 5; p.ccp_alpha = 0.01; check_case("ccp", &p, y, 2); }
static void test_balanced(void **u) { (void)u; clm_tree_params p = params(); p.max_depth = 3; p.class_weight_balanced = 1; check_case("balanced_d3", &p, y, 2); }
static void test_multiclass(void **u) { (void)u; clm_tree_params p = params(); p.max_depth = 3; check_case("multi_d3", &p, z, 3); }

static int setup(void **state)
{
    (void)state;
    load_data();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gini_depth3),
        cmocka_unit_test(test_entropy_depth4),
        cmocka_unit_test(test_min_leaf7),
        cmocka_unit_test(test_max_leaves6),
        cmocka_unit_test(test_ccp),
        cmocka_unit_test(test_balanced),
        cmocka_unit_test(test_multiclass),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

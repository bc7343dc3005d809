/*
 * test_estimators.c — the estimator shape of docs/design.md §10, end to
 * end through the public API: fit on an open table, the model in memory,
 * save into a results file, load it back, predict the same table, and get
 * back exactly what the fit kept in memory — for k-means, the churn tree
 * and the lifecycle model.  Also: the column cache gives the same values
 * as the file, and clm_table_open_group reads another group of an open
 * file.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

enum { ROWS = 30000 };

/* The test folder, made (emptied) once per run. */
static const char *folder(void)
{
    static char dir[4096];
    if (!dir[0])
        snprintf(dir, sizeof dir, "%s", tu_tmpdir("api_estimators"));
    return dir;
}

static const char *quarter(void)
{
    static char path[4096];
    if (!path[0]) {
        snprintf(path, sizeof path, "%s", tu_path(folder(), "q.h5"));
        clm_synth_params sp;
        clm_synth_params_default(&sp);
        sp.n_rows = ROWS;
        sp.n_branches = 12;
        sp.seed = 5;
        assert_int_equal(tu_synth_file(&sp, path, NULL), CLM_OK);
    }
    return path;
}

static const char *results_path(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", tu_path(folder(), name));
    return path;
}

static void test_kmeans_round_trip(void **state)
{
    (void)state;
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(quarter(), NULL, &t), CLM_OK);
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    p.k = 5;
    clm_kmeans_columns c;
    clm_kmeans_columns_default(&c);
    clm_kmeans *m = NULL;
    assert_int_equal(clm_kmeans_fit_table(&p, &c, t, &m), CLM_OK);
    assert_int_equal(clm_kmeans_n_rows(m), ROWS);
    const int32_t *labels = clm_kmeans_labels(m);
    clm_kmeans_profile prof;
    assert_int_equal(clm_kmeans_get_profile(m, &prof), CLM_OK);
    int64_t total = 0;
    for (int s = 0; s < prof.k; s++)
        total += prof.size[s];
    assert_int_equal(total, ROWS);

    const char *path = results_path("kmeans.h5");
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    assert_int_equal(clm_kmeans_save(m, w, "/segments"), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    assert_true(clm_kmeans_saved_in(path, "/segments"));
    assert_false(clm_kmeans_saved_in(path, "/nothing"));

    clm_kmeans *loaded = NULL;
    assert_int_equal(clm_kmeans_load(path, "/segments", 0, &loaded), CLM_OK);
    int32_t *again = malloc(ROWS * sizeof *again);
    float *dist = malloc(ROWS * sizeof *dist);
    assert_int_equal(clm_kmeans_predict_table(loaded, t, again, dist), CLM_OK);
    assert_memory_equal(again, labels, ROWS * sizeof *again);
    assert_memory_equal(dist, clm_kmeans_distances(m), ROWS * sizeof *dist);
    free(again);
    free(dist);
    clm_kmeans_free(loaded);
    clm_kmeans_free(m);
    clm_table_close(t);
}

static void test_tree_round_trip(void **state)
{
    (void)state;
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(quarter(), NULL, &t), CLM_OK);
    clm_tree_params p;
    clm_tree_params_default(&p);
    p.max_depth = 5;
    p.permutation_repeats = 0;
    clm_tree_columns c;
    clm_tree_columns_default(&c);
    clm_tree *tree = NULL;
    assert_int_equal(clm_tree_fit_table(&p, &c, t, &tree), CLM_OK);
    const int K = clm_tree_n_classes(tree);
    assert_int_equal(K, 2);
    float *fitted = malloc((size_t)ROWS * K * sizeof *fitted);
    float *scored = malloc((size_t)ROWS * K * sizeof *scored);
    assert_int_equal(clm_tree_predict_training(tree, 0, ROWS, fitted), CLM_OK);
    /* The fitted tree scores its own table as it scored the training rows. */
    assert_int_equal(clm_tree_predict_table(tree, t, scored), CLM_OK);
    assert_memory_equal(scored, fitted, (size_t)ROWS * K * sizeof *scored);

    const char *path = results_path("tree.h5");
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    assert_int_equal(clm_tree_save(tree, w, "/churn"), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    clm_tree *loaded = NULL;
    assert_int_equal(clm_tree_load(path, "/churn", 0, &loaded), CLM_OK);
    assert_int_equal(clm_tree_n_leaves(loaded), clm_tree_n_leaves(tree));
    assert_int_equal(clm_tree_depth(loaded), clm_tree_depth(tree));
    assert_int_equal(clm_tree_n_features(loaded), clm_tree_n_features(tree));
    memset(scored, 0, (size_t)ROWS * K * sizeof *scored);
    assert_int_equal(clm_tree_predict_table(loaded, t, scored), CLM_OK);
    assert_memory_equal(scored, fitted, (size_t)ROWS * K * sizeof *scored);
    /* Rows in memory: the features in the tree's order, categorical ones
     * as training codes (the table's codes here: the same dictionary). */
    const int F = clm_tree_n_features(loaded);
    enum { M = 5000 };
    float *rows = malloc((size_t)M * F * sizeof *rows), *col = malloc(M * sizeof *col);
    for (int f = 0; f < F; f++) {
        int c = clm_table_find(t, clm_tree_feature_name(loaded, f));
        assert_true(c >= 0);
        assert_int_equal(clm_table_read_f32(t, c, 0, M, col), CLM_OK);
        for (int i = 0; i < M; i++)
            rows[(int64_t)i * F + f] = col[i];
    }
    assert_int_equal(clm_tree_predict(loaded, rows, M, F, scored), CLM_OK);
    assert_memory_equal(scored, fitted, (size_t)M * K * sizeof *scored);
    assert_int_equal(clm_tree_predict(loaded, rows, M, F - 1, scored), CLM_E_PARAM);
    free(rows);
    free(col);
    clm_tree_metrics metrics;
    clm_tree_get_metrics(loaded, &metrics);
    assert_true(isnan(metrics.auc));
    free(fitted);
    free(scored);
    clm_tree_free(loaded);
    clm_tree_free(tree);
    clm_table_close(t);
}

static void test_lifecycle_round_trip(void **state)
{
    (void)state;
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(quarter(), NULL, &t), CLM_OK);
    clm_stage_rules rules;
    clm_stage_rules_default(&rules);
    clm_lifecycle_columns c = {"churned", "tenure_months", "arpu", "arpu_prev", "suspensions",
                               "plan_downgrades", "contacts_now", "contacts_prev", "complaints", NULL, 0.0};
    clm_lifecycle *m = NULL;
    assert_int_equal(clm_lifecycle_create(&rules, 40.0, 15.0, &c, &m), CLM_OK);
    uint8_t *tier = malloc(ROWS), *stage = malloc(ROWS), *tier2 = malloc(ROWS), *stage2 = malloc(ROWS);
    assert_int_equal(clm_lifecycle_predict_table(m, t, tier, stage), CLM_OK);
    /* Hand check of the tier rule on the ARPU column itself. */
    float *arpu = malloc(ROWS * sizeof *arpu);
    assert_int_equal(clm_table_read_f32(t, clm_table_find(t, "arpu"), 0, ROWS, arpu), CLM_OK);
    for (int i = 0; i < ROWS; i++) {
        int want = isnan(arpu[i]) ? CLM_TIER_MEDIUM : arpu[i] >= 40.0f ? CLM_TIER_HIGH
                   : arpu[i] < 15.0f ? CLM_TIER_LOW : CLM_TIER_MEDIUM;
        assert_int_equal(tier[i], want);
    }
    const char *path = results_path("lifecycle.h5");
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    assert_int_equal(clm_lifecycle_save(m, w, tier, stage, ROWS), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    assert_true(clm_lifecycle_saved_in(path));
    clm_lifecycle *loaded = NULL;
    assert_int_equal(clm_lifecycle_load(path, &loaded), CLM_OK);
    assert_int_equal(clm_lifecycle_predict_table(loaded, t, tier2, stage2), CLM_OK);
    assert_memory_equal(tier2, tier, ROWS);
    assert_memory_equal(stage2, stage, ROWS);
    free(arpu);
    free(tier);
    free(stage);
    free(tier2);
    free(stage2);
    clm_lifecycle_free(loaded);
    clm_lifecycle_free(m);
    clm_table_close(t);
}

/* Every column, read through the cache and from the file, as float, double
 * and (integer columns) int64: the same values. */
static void test_column_cache(void **state)
{
    (void)state;
    clm_table *file = NULL, *cached = NULL;
    assert_int_equal(clm_table_open(quarter(), NULL, &file), CLM_OK);
    assert_int_equal(clm_table_open(quarter(), NULL, &cached), CLM_OK);
    assert_int_equal(clm_table_set_cache(cached, 1), CLM_OK);
    enum { R0 = 1234, N = 7777 };
    float *fa = malloc(N * sizeof *fa), *fb = malloc(N * sizeof *fb);
    double *da = malloc(N * sizeof *da), *db = malloc(N * sizeof *db);
    int64_t *ia = malloc(N * sizeof *ia), *ib = malloc(N * sizeof *ib);
    int checked = 0;
    for (int c = 0; c < clm_table_n_columns(file); c++) {
        const clm_column_info *info = clm_table_column(file, c);
        if (info->kind == CLM_KIND_UNSUPPORTED)
            continue;
        for (int pass = 0; pass < 2; pass++) { /* the second pass is served from memory */
            assert_int_equal(clm_table_read_f32(file, c, R0, N, fa), CLM_OK);
            assert_int_equal(clm_table_read_f32(cached, c, R0, N, fb), CLM_OK);
            assert_memory_equal(fa, fb, N * sizeof *fa);
            assert_int_equal(clm_table_read_f64(file, c, R0, N, da), CLM_OK);
            assert_int_equal(clm_table_read_f64(cached, c, R0, N, db), CLM_OK);
            assert_memory_equal(da, db, N * sizeof *da);
            if (info->dtype <= CLM_DT_UINT64) {
                assert_int_equal(clm_table_read_i64(file, c, R0, N, ia), CLM_OK);
                assert_int_equal(clm_table_read_i64(cached, c, R0, N, ib), CLM_OK);
                assert_memory_equal(ia, ib, N * sizeof *ia);
            }
        }
        checked++;
    }
    assert_true(checked > 10);
    /* Another group of the same open file. */
    clm_table *truth = NULL;
    assert_int_equal(clm_table_open_group(cached, "/truth", &truth), CLM_OK);
    assert_true(clm_table_find(truth, "stage") >= 0);
    assert_int_equal(clm_table_column(truth, clm_table_find(truth, "stage"))->length, ROWS);
    clm_table_close(truth);
    free(fa); free(fb); free(da); free(db); free(ia); free(ib);
    clm_table_close(cached);
    clm_table_close(file);

    /* Edge values: uint64 past INT64_MAX (HDF5 clips to INT64_MAX; the
     * cache must too), int64 beyond 2^53 in double, -0.0 and float64 NaN. */
    const char *edge = results_path("edge.h5");
    clm_writer *w = NULL;
    const uint64_t u[4] = {0, 1, 9223372036854775808ULL, 18446744073709551615ULL};
    const int64_t s64[4] = {-1, INT64_MIN, 9007199254740993LL, INT64_MAX};
    const double f64[4] = {-0.0, NAN, 1e-310, -3.5};
    int64_t dims = 4;
    assert_int_equal(clm_writer_create(edge, NULL, &w), CLM_OK);
    assert_int_equal(clm_writer_array(w, "/subscribers/u", CLM_DT_UINT64, 1, &dims, u), CLM_OK);
    assert_int_equal(clm_writer_array(w, "/subscribers/s", CLM_DT_INT64, 1, &dims, s64), CLM_OK);
    assert_int_equal(clm_writer_array(w, "/subscribers/f", CLM_DT_FLOAT64, 1, &dims, f64), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    assert_int_equal(clm_table_open(edge, NULL, &file), CLM_OK);
    assert_int_equal(clm_table_open(edge, NULL, &cached), CLM_OK);
    assert_int_equal(clm_table_set_cache(cached, 1), CLM_OK);
    for (int col = 0; col < 3; col++) {
        float g1[4], g2[4];
        double e1[4], e2[4];
        int64_t j1[4], j2[4];
        assert_int_equal(clm_table_read_f32(file, col, 0, 4, g1), CLM_OK);
        assert_int_equal(clm_table_read_f32(cached, col, 0, 4, g2), CLM_OK);
        assert_memory_equal(g1, g2, sizeof g1);
        assert_int_equal(clm_table_read_f64(file, col, 0, 4, e1), CLM_OK);
        assert_int_equal(clm_table_read_f64(cached, col, 0, 4, e2), CLM_OK);
        assert_memory_equal(e1, e2, sizeof e1);
        if (clm_table_column(file, col)->dtype != CLM_DT_FLOAT64) {
            assert_int_equal(clm_table_read_i64(file, col, 0, 4, j1), CLM_OK);
            assert_int_equal(clm_table_read_i64(cached, col, 0, 4, j2), CLM_OK);
            assert_memory_equal(j1, j2, sizeof j1);
        }
    }
    clm_table_close(cached);
    clm_table_close(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kmeans_round_trip),
        cmocka_unit_test(test_tree_round_trip),
        cmocka_unit_test(test_lifecycle_round_trip),
        cmocka_unit_test(test_column_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_kmeans_sklearn.c — clmseg's Lloyd against scikit-learn's from the
 * same initial centroids (golden/sklearn_lloyd.h5, made by
 * golden/make_golden.py): the same labels for all but 0.1 % of the rows
 * (near-ties may fall either way in float32), inertia within 1e-4
 * relative, centres within 1e-3 x the data's spread, and the same
 * iteration count within one.  Cases: separated blobs, heavy overlap, an
 * empty cluster in the first iteration, sample weights, max_iter = 3 (no
 * convergence), tol = 0.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/kmeans.h"
#include "testutil.h"

typedef struct golden {
    int64_t n;
    int d, k;
    float *x, *init, *weight, *centers;
    int32_t *labels;
    double inertia, tol;
    int64_t n_iter, max_iter;
} golden;

static void *read_ds(hid_t file, const char *path, hid_t type, size_t size, hsize_t *dims)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0)
        return NULL;
    hid_t sp = H5Dget_space(ds);
    dims[0] = dims[1] = 1;
    H5Sget_simple_extent_dims(sp, dims, NULL);
    void *buf = malloc(size * dims[0] * dims[1]);
    assert_non_null(buf);
    assert_true(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Sclose(sp);
    H5Dclose(ds);
    return buf;
}

static void read_attr(hid_t file, const char *group, const char *name, hid_t type, void *out)
{
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    hid_t a = H5Aopen(g, name, H5P_DEFAULT);
    assert_true(a >= 0);
    assert_true(H5Aread(a, type, out) >= 0);
    H5Aclose(a);
    H5Gclose(g);
}

static golden load(const char *name)
{
    char path[4096], ds[256];
    snprintf(path, sizeof path, "%s/tests/kmeans/golden/sklearn_lloyd.h5", tu_source_dir());
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    golden g;
    memset(&g, 0, sizeof g);
    hsize_t dims[2];
    snprintf(ds, sizeof ds, "/%s/X", name);
    g.x = read_ds(f, ds, H5T_NATIVE_FLOAT, sizeof(float), dims);
    g.n = (int64_t)dims[0];
    g.d = (int)dims[1];
    snprintf(ds, sizeof ds, "/%s/init", name);
    g.init = read_ds(f, ds, H5T_NATIVE_FLOAT, sizeof(float), dims);
    g.k = (int)dims[0];
    snprintf(ds, sizeof ds, "/%s/weight", name);
    g.weight = read_ds(f, ds, H5T_NATIVE_FLOAT, sizeof(float), dims);
    snprintf(ds, sizeof ds, "/%s/centers", name);
    g.centers = read_ds(f, ds, H5T_NATIVE_FLOAT, sizeof(float), dims);
    snprintf(ds, sizeof ds, "/%s/labels", name);
    g.labels = read_ds(f, ds, H5T_NATIVE_INT32, sizeof(int32_t), dims);
    snprintf(ds, sizeof ds, "/%s", name);
    read_attr(f, ds, "inertia", H5T_NATIVE_DOUBLE, &g.inertia);
    read_attr(f, ds, "tol", H5T_NATIVE_DOUBLE, &g.tol);
    read_attr(f, ds, "n_iter", H5T_NATIVE_INT64, &g.n_iter);
    read_attr(f, ds, "max_iter", H5T_NATIVE_INT64, &g.max_iter);
    H5Fclose(f);
    assert_non_null(g.x);
    assert_non_null(g.labels);
    return g;
}

static void check_case(const char *name)
{
    golden g = load(name);
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    p.k = g.k;
    p.initial_centroids = g.init;
    p.max_iter = (int32_t)g.max_iter;
    p.tol = g.tol;
    p.n_threads = 2;
    clm_kmeans *m = NULL;
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)g.n);
    assert_int_equal(clm_kmeans_create(&p, &m), CLM_OK);
    assert_int_equal(clm_kmeans_fit(m, g.x, g.n, g.d, g.weight, labels), CLM_OK);

    int64_t differ = 0;
    for (int64_t i = 0; i < g.n; i++)
        differ += labels[i] != g.labels[i];
    double rel = fabs(clm_kmeans_inertia(m) - g.inertia) / g.inertia;
    /* spread of the data, for the centre tolerance */
    double spread = 0.0;
    for (int64_t i = 0; i < g.n * g.d; i++)
        spread = fmax(spread, fabs(g.x[i]));
    double worst = 0.0;
    for (int j = 0; j < g.k * g.d; j++)
        worst = fmax(worst, fabs(clm_kmeans_centroids(m)[j] - g.centers[j]));
    printf("%-9s rows differ %lld/%lld  inertia clmseg %.6f sklearn %.6f (rel %.2e)  "
           "max centre diff %.2e  iterations %d vs %lld\n",
           name, (long long)differ, (long long)g.n, clm_kmeans_inertia(m), g.inertia, rel, worst,
           clm_kmeans_iterations(m), (long long)g.n_iter);
    assert_true(differ * 1000 <= g.n);
    assert_true(rel <= 1e-4);
    assert_true(worst <= 1e-3 * spread);
    assert_true(llabs((long long)clm_kmeans_iterations(m) - (long long)g.n_iter) <= 1);
    clm_kmeans_free(m);
    free(labels); free(g.x); free(g.init); free(g.weight); free(g.centers); free(g.labels);
}

static void test_blobs(void **s) { (void)s; check_case("blobs"); }
static void test_overlap(void **s) { (void)s; check_case("overlap"); }
static void test_empty(void **s) { (void)s; check_case("empty"); }
static void test_weighted(void **s) { (void)s; check_case("weighted"); }
static void test_maxiter3(void **s) { (void)s; check_case("maxiter3"); }
static void test_tol0(void **s) { (void)s; check_case("tol0"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blobs),     cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_empty),     cmocka_unit_test(test_weighted),
        cmocka_unit_test(test_maxiter3),  cmocka_unit_test(test_tol0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_synth_lever_e2e.c — `clmseg synth --truth-lever` end to end, read
 * back with the HDF5 C API.
 *
 *   - the same quarter: every /subscribers dataset and every /truth dataset
 *     but residual_months is byte for byte the file made without the lever
 *     (same seed), their attributes too (h5dump -A); a file without the
 *     lever has no /truth/lever_target; the lever's file is the same for 1
 *     and 2 threads and any block size;
 *   - the target: /truth/lever_target is exactly the active rows of stage
 *     D, counted in the lever_targets attribute; the other attributes give
 *     the lever as typed and parsed;
 *   - residuals: untouched outside the target, never shorter inside it
 *     under a ratio < 1, and the share of targeted rows with more than 12
 *     months left rises; a 6-month lever lies between none and for ever
 *     (and equals for ever for rows that leave within the 6 months);
 *     ratio 1 keeps every residual bit for bit;
 *
 * The exact counterfactual equation is checked row by row in
 * test_synth_lever.c; bad descriptions on the command line in
 * test_synth_e2e.c with the other bad options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *dir;
enum { N_ROWS = 200000 };
#define LEVER "hazard_ratio=0.7,stage=D"

static void synth_ok(const char *file, const char *options)
{
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "synth -o '%s' --rows %d --seed 5 --branches 60 %s --quiet",
                           tu_path(dir, file), N_ROWS, options);
    if (rc != 0)
        fail_msg("clmseg synth %s -> %d: %s", options, rc, err ? err : "");
    free(err);
}

/* ---- reading the files ---------------------------------------------------- */

typedef struct names {
    int n;
    char name[64][64];
} names;

static herr_t add_name(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    (void)group;
    (void)info;
    names *list = data;
    if (list->n < 64)
        snprintf(list->name[list->n++], sizeof list->name[0], "%s", name);
    return 0;
}

/* The objects of a group, in name order. */
static names list_group(hid_t file, const char *group)
{
    names list = {0};
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    assert_true(g >= 0);
    hsize_t idx = 0;
    assert_true(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, add_name, &list) >= 0);
    H5Gclose(g);
    return list;
}

static int has_name(const names *list, const char *name)
{
    for (int i = 0; i < list->n; i++)
        if (!strcmp(list->name[i], name))
            return 1;
    return 0;
}

/* A dataset's values in their native type; *bytes set. */
static void *read_raw(hid_t file, const char *path, size_t *bytes)
{
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    assert_true(ds >= 0);
    hid_t type = H5Dget_type(ds), native = H5Tget_native_type(type, H5T_DIR_ASCEND);
    hid_t space = H5Dget_space(ds);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    assert_int_equal(n, N_ROWS);
    *bytes = (size_t)n * H5Tget_size(native);
    void *data = malloc(*bytes);
    assert_non_null(data);
    assert_true(H5Dread(ds, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Sclose(space);
    H5Tclose(native);
    H5Tclose(type);
    H5Dclose(ds);
    return data;
}

static int same_dataset(hid_t a, hid_t b, const char *path)
{
    size_t na, nb;
    void *da = read_raw(a, path, &na), *db = read_raw(b, path, &nb);
    int same = na == nb && !memcmp(da, db, na);
    free(da);
    free(db);
    return same;
}

static hid_t open_file(const char *name)
{
    hid_t f = H5Fopen(tu_path(dir, name), H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static float *read_f32(hid_t file, const char *path)
{
    size_t bytes;
    float *v = read_raw(file, path, &bytes);
    assert_int_equal(bytes, N_ROWS * sizeof(float));
    return v;
}

static double attr_f64(hid_t file, const char *name)
{
    hid_t a = H5Aopen_by_name(file, "/truth", name, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    double v = NAN;
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    return v;
}

/* A string attribute of /truth (scalar, or element `index` of an array),
 * copied into out. */
static void attr_string(hid_t file, const char *name, int index, char *out, size_t size)
{
    hid_t a = H5Aopen_by_name(file, "/truth", name, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(a >= 0);
    hid_t space = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    assert_true(index < n);
    char **values = calloc((size_t)n, sizeof *values);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);   /* as the writer stores them */
    assert_true(H5Aread(a, type, values) >= 0);
    snprintf(out, size, "%s", values[index]);
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, values);
    free(values);
    H5Tclose(type);
    H5Sclose(space);
    H5Aclose(a);
}

/* h5dump's attributes and headers of one object (no data), the file name cut. */
static char *dump_header(const char *file, const char *object, const char *flag)
{
    const char *h5dump = tu_h5dump();
    assert_non_null(h5dump);   /* the test command installs hdf5-tools */
    char cmd[8192], *out = NULL;
    snprintf(cmd, sizeof cmd, "%s -A %s '%s' '%s' | tail -n +2", h5dump, flag, object,
             tu_path(dir, file));
    assert_int_equal(tu_run(cmd, &out, NULL), 0);
    return out;
}

static void expect_same_header(const char *a, const char *b, const char *object, const char *flag)
{
    char *da = dump_header(a, object, flag), *db = dump_header(b, object, flag);
    assert_true(strlen(da) > 100);
    assert_string_equal(da, db);
    free(da);
    free(db);
}

/* ---- the tests ------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    synth_ok("base.h5", "--threads 2");
    synth_ok("lever.h5", "--threads 2 --truth-lever '" LEVER "'");
    synth_ok("lever1.h5", "--threads 1 --block-rows 7001 --truth-lever '" LEVER "'");
    synth_ok("months.h5", "--truth-lever 'hazard_ratio=0.7,stage=D,months=6'");
    synth_ok("one.h5", "--truth-lever 'hazard_ratio=1,stage=D'");
    return 0;
}

static void test_same_quarter(void **state)
{
    (void)state;
    hid_t base = open_file("base.h5"), lever = open_file("lever.h5"), lever1 = open_file("lever1.h5");
    names subs = list_group(base, "/subscribers"), truth = list_group(base, "/truth");
    names lever_subs = list_group(lever, "/subscribers"), lever_truth = list_group(lever, "/truth");
    assert_int_equal(subs.n, 25); /* 24 columns and the region */
    assert_int_equal(lever_subs.n, subs.n);
    assert_int_equal(truth.n, 3);
    assert_false(has_name(&truth, "lever_target"));
    assert_int_equal(lever_truth.n, truth.n + 1);
    assert_true(has_name(&lever_truth, "lever_target"));
    char path[256];
    for (int i = 0; i < subs.n; i++) {
        assert_string_equal(subs.name[i], lever_subs.name[i]);
        snprintf(path, sizeof path, "/subscribers/%s", subs.name[i]);
        if (!same_dataset(base, lever, path))
            fail_msg("%s differs with the lever", path);
    }
    for (int i = 0; i < truth.n; i++) {
        snprintf(path, sizeof path, "/truth/%s", truth.name[i]);
        assert_true(has_name(&lever_truth, truth.name[i]));
        int same = same_dataset(base, lever, path);
        if (strcmp(truth.name[i], "residual_months") ? !same : same)
            fail_msg("%s: %s with the lever", path, same ? "unchanged" : "changed");
    }
    /* Threads and blocks change nothing with a lever either. */
    for (int i = 0; i < lever_truth.n; i++) {
        snprintf(path, sizeof path, "/truth/%s", lever_truth.name[i]);
        assert_true(same_dataset(lever, lever1, path));
    }
    assert_true(same_dataset(lever, lever1, "/subscribers/arpu"));
    H5Fclose(base);
    H5Fclose(lever);
    H5Fclose(lever1);
    /* Attributes and types of the quarter, and of the truth it shares. */
    expect_same_header("base.h5", "lever.h5", "/subscribers", "-g");
    expect_same_header("base.h5", "lever.h5", "/truth/stage", "-d");
    expect_same_header("base.h5", "lever.h5", "/truth/segment", "-d");
    expect_same_header("lever.h5", "lever1.h5", "/truth", "-g");
}

static void test_target_and_residuals(void **state)
{
    (void)state;
    hid_t base = open_file("base.h5"), lever = open_file("lever.h5");
    size_t bytes;
    uint8_t *target = read_raw(lever, "/truth/lever_target", &bytes);
    uint8_t *stage = read_raw(base, "/truth/stage", &bytes);
    int8_t *churned = read_raw(base, "/subscribers/churned", &bytes);
    float *r0 = read_f32(base, "/truth/residual_months"), *r1 = read_f32(lever, "/truth/residual_months");

    int64_t targeted = 0, over0 = 0, over1 = 0;
    double sum0 = 0, sum1 = 0;
    for (int64_t i = 0; i < N_ROWS; i++) {
        assert_int_equal(target[i], churned[i] == 0 && stage[i] == 3);
        if (!target[i]) {
            assert_memory_equal(&r0[i], &r1[i], sizeof(float));   /* NaN for churned too */
            continue;
        }
        targeted++;
        assert_true(isfinite(r0[i]) && r1[i] >= r0[i]);
        over0 += r0[i] > 12.0f;
        over1 += r1[i] > 12.0f;
        sum0 += r0[i];
        sum1 += r1[i];
    }
    double p0 = (double)over0 / (double)targeted, p1 = (double)over1 / (double)targeted;
    /* The standard error of the paired rise, sqrt(share of rows crossing
     * 12 months) / sqrt(n): the rows only move up. */
    double se = sqrt((p1 - p0) / (double)targeted);
    printf("  %lld targeted (stage D, active): residual > 12 months %.4f -> %.4f "
           "(+%.4f, %.0f standard errors); mean residual %.1f -> %.1f months\n",
           (long long)targeted, p0, p1, p1 - p0, (p1 - p0) / se, sum0 / (double)targeted,
           sum1 / (double)targeted);
    assert_true(targeted > 10000);
    assert_true(p1 - p0 > 0.01 && p1 - p0 > 10.0 * se);
    assert_true(sum1 > sum0);

    /* The attributes: the text, the parsed lever and the count. */
    char text[256];
    attr_string(lever, "lever", 0, text, sizeof text);
    assert_string_equal(text, LEVER);
    attr_string(lever, "lever_stages", 0, text, sizeof text);
    assert_string_equal(text, "D");
    assert_true(attr_f64(lever, "lever_hazard_ratio") == 0.7);
    assert_true(isinf(attr_f64(lever, "lever_months")));
    assert_true(isinf(attr_f64(lever, "lever_arpu_min")) && attr_f64(lever, "lever_arpu_min") < 0);
    hid_t a = H5Aopen_by_name(lever, "/truth", "lever_targets", H5P_DEFAULT, H5P_DEFAULT);
    int64_t count = -1;
    assert_true(a >= 0 && H5Aread(a, H5T_NATIVE_INT64, &count) >= 0);
    H5Aclose(a);
    assert_int_equal(count, targeted);
    assert_false(H5Aexists(base, "lever"));

    free(target);
    free(stage);
    free(churned);
    free(r0);
    free(r1);
    H5Fclose(base);
    H5Fclose(lever);
}

/* Six months of the lever: at least none, at most for ever; a row that
 * leaves within the six months under the lever leaves as under the lever
 * for ever.  Ratio 1: every residual as it was. */
static void test_months_and_ratio_one(void **state)
{
    (void)state;
    hid_t base = open_file("base.h5"), lever = open_file("lever.h5");
    hid_t months = open_file("months.h5"), one = open_file("one.h5");
    size_t bytes;
    uint8_t *target = read_raw(lever, "/truth/lever_target", &bytes);
    uint8_t *target_m = read_raw(months, "/truth/lever_target", &bytes);
    uint8_t *target_1 = read_raw(one, "/truth/lever_target", &bytes);
    assert_memory_equal(target, target_m, N_ROWS);
    assert_memory_equal(target, target_1, N_ROWS);
    float *r0 = read_f32(base, "/truth/residual_months"), *r1 = read_f32(lever, "/truth/residual_months");
    float *rm = read_f32(months, "/truth/residual_months"), *ro = read_f32(one, "/truth/residual_months");
    assert_memory_equal(r0, ro, N_ROWS * sizeof(float));
    int64_t within = 0, between = 0;
    for (int64_t i = 0; i < N_ROWS; i++) {
        if (!target[i]) {
            assert_memory_equal(&r0[i], &rm[i], sizeof(float));
            continue;
        }
        assert_true(rm[i] >= r0[i] && rm[i] <= r1[i]);
        if (r1[i] < 5.99f) {            /* leaves while the lever acts */
            assert_true(rm[i] == r1[i]);
            within++;
        } else if (rm[i] > r0[i] && rm[i] < r1[i]) {
            between++;
        }
    }
    printf("  6-month lever: %lld targeted rows leave within it (as for ever), %lld strictly "
           "between no lever and for ever\n", (long long)within, (long long)between);
    assert_true(within > 100 && between > 10000);
    assert_true(attr_f64(months, "lever_months") == 6.0);
    free(target);
    free(target_m);
    free(target_1);
    free(r0);
    free(r1);
    free(rm);
    free(ro);
    H5Fclose(base);
    H5Fclose(lever);
    H5Fclose(months);
    H5Fclose(one);
}

int main(void)
{
    dir = strdup(tu_tmpdir("synth_lever_e2e"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_quarter),
        cmocka_unit_test(test_target_and_residuals),
        cmocka_unit_test(test_months_and_ratio_one),
    };
    int failures = cmocka_run_group_tests(tests, setup, NULL);
    free((void *)dir);
    return failures;
}

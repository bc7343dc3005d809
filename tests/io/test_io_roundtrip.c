/*
 * test_io_roundtrip.c — what the writer stores, the reader gives back: every
 * numeric dtype through every read conversion, categorical dictionaries,
 * row-major blocks, and column statistics against hand-computed figures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

static const clm_dtype numeric_types[] = {
    CLM_DT_INT8, CLM_DT_UINT8, CLM_DT_INT16, CLM_DT_UINT16, CLM_DT_INT32,
    CLM_DT_UINT32, CLM_DT_INT64, CLM_DT_UINT64, CLM_DT_FLOAT32, CLM_DT_FLOAT64};
#define N_TYPES (int)(sizeof numeric_types / sizeof numeric_types[0])

/* Value of row i for a dtype: small enough to fit every type, with
 * negative values for the signed ones and fractions for the float ones. */
static double value_for(clm_dtype d, int64_t i)
{
    double v = (double)(i % 100);
    int is_signed = d == CLM_DT_INT8 || d == CLM_DT_INT16 || d == CLM_DT_INT32 || d == CLM_DT_INT64 ||
                    d == CLM_DT_FLOAT32 || d == CLM_DT_FLOAT64;
    if (is_signed && i % 3 == 0)
        v = -v;
    if (d == CLM_DT_FLOAT32 || d == CLM_DT_FLOAT64)
        v += 0.25;
    return v;
}

static void store(void *buf, clm_dtype d, int64_t i, double v)
{
    switch (d) {
    case CLM_DT_INT8: ((int8_t *)buf)[i] = (int8_t)v; break;
    case CLM_DT_UINT8: ((uint8_t *)buf)[i] = (uint8_t)v; break;
    case CLM_DT_INT16: ((int16_t *)buf)[i] = (int16_t)v; break;
    case CLM_DT_UINT16: ((uint16_t *)buf)[i] = (uint16_t)v; break;
    case CLM_DT_INT32: ((int32_t *)buf)[i] = (int32_t)v; break;
    case CLM_DT_UINT32: ((uint32_t *)buf)[i] = (uint32_t)v; break;
    case CLM_DT_INT64: ((int64_t *)buf)[i] = (int64_t)v; break;
    case CLM_DT_UINT64: ((uint64_t *)buf)[i] = (uint64_t)v; break;
    case CLM_DT_FLOAT32: ((float *)buf)[i] = (float)v; break;
    default: ((double *)buf)[i] = v; break;
    }
}

/* Rows: more than one chunk, not a multiple of it. */
#define ROWS (CLM_BLOCK_ROWS + 1237)

static const char *write_all_types(const char *dir)
{
    const char *path = tu_path(dir, "types.h5");
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    void *buf = malloc((size_t)ROWS * 8);
    for (int t = 0; t < N_TYPES; t++) {
        clm_dtype d = numeric_types[t];
        char name[64];
        snprintf(name, sizeof name, "/subscribers/%s", clm_dtype_name(d));
        int col;
        assert_int_equal(clm_writer_column_create(w, name, d, ROWS, &col), CLM_OK);
        for (int64_t i = 0; i < ROWS; i++)
            store(buf, d, i, value_for(d, i));
        /* Two uneven blocks, the second first: order of writes must not matter. */
        int64_t split = 1000;
        int size = clm_dtype_size(d);
        assert_int_equal(clm_writer_column_write(w, col, split, ROWS - split, (char *)buf + split * size), CLM_OK);
        assert_int_equal(clm_writer_column_write(w, col, 0, split, buf), CLM_OK);
    }
    /* A categorical column with a missing code. */
    int32_t *codes = buf;
    for (int64_t i = 0; i < ROWS; i++)
        codes[i] = (int32_t)(i % 4) - 1; /* -1, 0, 1, 2 */
    int col;
    assert_int_equal(clm_writer_column_create(w, "/subscribers/plan", CLM_DT_INT32, ROWS, &col), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, col, 0, ROWS, codes), CLM_OK);
    const char *cats[] = {"prepaid", "postpaid", "contract-12m"};
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/plan", "categories", cats, 3), CLM_OK);
    free(buf);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    return path;
}

static void test_every_dtype_roundtrips(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("roundtrip");
    const char *path = write_all_types(dir);
    assert_int_equal(tu_count_matching(dir, ".tmp."), 0);

    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, NULL, &t), CLM_OK);
    assert_int_equal(clm_table_n_rows(t), ROWS);
    assert_int_equal(clm_table_n_columns(t), N_TYPES + 1);
    float *f = malloc(ROWS * sizeof *f);
    double *g = malloc(ROWS * sizeof *g);
    int64_t *k = malloc(ROWS * sizeof *k);
    int32_t *m = malloc(ROWS * sizeof *m);
    for (int c = 0; c < N_TYPES; c++) {
        clm_dtype d = numeric_types[c];
        const clm_column_info *info = clm_table_column(t, c);
        /* Creation order is kept. */
        assert_string_equal(info->name, clm_dtype_name(d));
        assert_int_equal(info->dtype, d);
        assert_int_equal(info->kind, CLM_KIND_NUMERIC);
        assert_int_equal(info->length, ROWS);
        /* Read an unaligned range crossing the chunk boundary. */
        int64_t row0 = CLM_BLOCK_ROWS - 17, n = 1000;
        assert_int_equal(clm_table_read_f32(t, c, row0, n, f), CLM_OK);
        assert_int_equal(clm_table_read_f64(t, c, row0, n, g), CLM_OK);
        for (int64_t i = 0; i < n; i++) {
            assert_float_equal(f[i], value_for(d, row0 + i), 0.0);
            assert_float_equal(g[i], value_for(d, row0 + i), 0.0);
        }
        if (d != CLM_DT_FLOAT32 && d != CLM_DT_FLOAT64) {
            assert_int_equal(clm_table_read_i64(t, c, 0, ROWS, k), CLM_OK);
            assert_int_equal(clm_table_read_i32(t, c, 0, ROWS, m), CLM_OK);
            for (int64_t i = 0; i < ROWS; i += 101) {
                assert_int_equal(k[i], (int64_t)value_for(d, i));
                assert_int_equal(m[i], (int32_t)value_for(d, i));
            }
        } else {
            assert_int_equal(clm_table_read_i64(t, c, 0, 10, k), CLM_E_SCHEMA);
            assert_int_equal(clm_table_read_i32(t, c, 0, 10, m), CLM_E_SCHEMA);
        }
    }
    free(f);
    free(g);
    free(k);
    free(m);
    clm_table_close(t);
}

static void test_categorical_dictionary(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("categorical");
    const char *path = write_all_types(dir);
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, "/subscribers", &t), CLM_OK);
    int col = -1;
    assert_int_equal(clm_table_require(t, "plan", CLM_KIND_CATEGORICAL, &col), CLM_OK);
    const clm_column_info *info = clm_table_column(t, col);
    assert_int_equal(info->n_categories, 3);
    assert_string_equal(info->categories[0], "prepaid");
    assert_string_equal(info->categories[2], "contract-12m");
    int32_t codes[8];
    float f[8];
    assert_int_equal(clm_table_read_i32(t, col, 4, 8, codes), CLM_OK);
    assert_int_equal(clm_table_read_f32(t, col, 4, 8, f), CLM_OK);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(codes[i], (i % 4) - 1);
        if (codes[i] < 0)
            assert_true(isnan(f[i]));
        else
            assert_float_equal(f[i], codes[i], 0.0);
    }
    int64_t counts[3], missing;
    assert_int_equal(clm_table_category_counts(t, col, counts, &missing), CLM_OK);
    /* ROWS = 66773 rows cycling -1,0,1,2: 16694 each of the first one, 16693 of the rest. */
    int64_t full = ROWS / 4, extra = ROWS % 4;
    assert_int_equal(missing, full + (extra > 0));
    assert_int_equal(counts[0], full + (extra > 1));
    assert_int_equal(counts[1], full + (extra > 2));
    assert_int_equal(counts[2], full);
    /* A numeric column is not categorical. */
    assert_int_equal(clm_table_require(t, "int8", CLM_KIND_CATEGORICAL, &col), CLM_E_SCHEMA);
    assert_non_null(strstr(clm_error_detail(), "'int8' is numeric"));
    clm_table_close(t);
}

static void test_block_is_row_major(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("block");
    const char *path = write_all_types(dir);
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, NULL, &t), CLM_OK);
    int cols[3] = {clm_table_find(t, "float64"), clm_table_find(t, "int8"), clm_table_find(t, "uint16")};
    enum { N = 333 };
    float block[N * 3], scratch[N];
    int64_t row0 = 12345;
    assert_int_equal(clm_table_read_block_f32(t, cols, 3, row0, N, block, scratch), CLM_OK);
    for (int i = 0; i < N; i++) {
        assert_float_equal(block[i * 3 + 0], (float)value_for(CLM_DT_FLOAT64, row0 + i), 0.0);
        assert_float_equal(block[i * 3 + 1], value_for(CLM_DT_INT8, row0 + i), 0.0);
        assert_float_equal(block[i * 3 + 2], value_for(CLM_DT_UINT16, row0 + i), 0.0);
    }
    /* Zero rows is fine; a range past the end is not. */
    assert_int_equal(clm_table_read_block_f32(t, cols, 3, ROWS, 0, block, scratch), CLM_OK);
    assert_int_equal(clm_table_read_block_f32(t, cols, 3, ROWS - 2, 3, block, scratch), CLM_E_PARAM);
    assert_non_null(strstr(clm_error_detail(), "outside its"));
    clm_table_close(t);
}

static const char *write_stats_file(const char *dir, int64_t long_rows)
{
    const char *path = tu_path(dir, "stats.h5");
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    /* Short column with a NaN, and a constant column, padded with NaN to the long length. */
    double *x = malloc((size_t)long_rows * sizeof *x);
    double *c = malloc((size_t)long_rows * sizeof *c);
    int64_t *seq = malloc((size_t)long_rows * sizeof *seq);
    for (int64_t i = 0; i < long_rows; i++) {
        x[i] = i < 4 ? (double)(i + 1) : NAN; /* 1 2 3 4 NaN NaN ... */
        c[i] = 7.0;
        seq[i] = i;
    }
    int a, b, s;
    assert_int_equal(clm_writer_column_create(w, "/subscribers/x", CLM_DT_FLOAT64, long_rows, &a), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, a, 0, long_rows, x), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/constant", CLM_DT_FLOAT64, long_rows, &b), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, b, 0, long_rows, c), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/seq", CLM_DT_INT64, long_rows, &s), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, s, 0, long_rows, seq), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    free(x);
    free(c);
    free(seq);
    return path;
}

static void test_statistics_hand_computed(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("stats");
    const int64_t n = 3 * CLM_BLOCK_ROWS + 5; /* several blocks */
    const char *path = write_stats_file(dir, n);
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, NULL, &t), CLM_OK);
    clm_column_stats s;
    /* 1,2,3,4: mean 2.5, population variance 1.25. */
    assert_int_equal(clm_table_column_stats(t, clm_table_find(t, "x"), &s), CLM_OK);
    assert_int_equal(s.count, 4);
    assert_int_equal(s.missing, n - 4);
    assert_float_equal(s.min, 1.0, 0.0);
    assert_float_equal(s.max, 4.0, 0.0);
    assert_float_equal(s.mean, 2.5, 1e-15);
    assert_float_equal(s.std, sqrt(1.25), 1e-15);
    /* Constant column: std exactly 0. */
    assert_int_equal(clm_table_column_stats(t, clm_table_find(t, "constant"), &s), CLM_OK);
    assert_float_equal(s.mean, 7.0, 0.0);
    assert_float_equal(s.std, 0.0, 0.0);
    /* 0..n-1: mean (n-1)/2, variance (n^2-1)/12, merged over blocks. */
    assert_int_equal(clm_table_column_stats(t, clm_table_find(t, "seq"), &s), CLM_OK);
    double nn = (double)n;
    assert_int_equal(s.count, n);
    assert_float_equal(s.mean, (nn - 1) / 2, 1e-9);
    assert_float_equal(s.std, sqrt((nn * nn - 1) / 12), 1e-6);
    assert_float_equal(s.max, nn - 1, 0.0);
    clm_table_close(t);
}

static void test_copy_between_files(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("copy");
    char src[4096];
    snprintf(src, sizeof src, "%s", tu_path(dir, "src.h5"));
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(src, NULL, &w), CLM_OK);
    const int32_t label[4] = {3, 1, 4, 1};
    int c;
    assert_int_equal(clm_writer_column_create(w, "/segments/label", CLM_DT_INT32, 4, &c), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, c, 0, 4, label), CLM_OK);
    assert_int_equal(clm_writer_attr_i64(w, "/segments", "k", 5), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);

    const char *dst = tu_path(dir, "dst.h5");
    assert_int_equal(clm_writer_create(dst, NULL, &w), CLM_OK);
    assert_int_equal(clm_writer_exists(w, "/segments"), 0);
    assert_int_equal(clm_writer_exists(w, "/a/b/c"), 0);
    assert_int_equal(clm_writer_copy(w, src, "/segments", "/segments"), CLM_OK);
    assert_int_equal(clm_writer_exists(w, "/segments/label"), 1);
    assert_int_equal(clm_writer_copy(w, src, "/nope", "/x"), CLM_E_FORMAT);
    assert_int_equal(clm_writer_commit(w), CLM_OK);

    clm_table *t = NULL;
    assert_int_equal(clm_table_open(dst, "/segments", &t), CLM_OK);
    int32_t back[4];
    assert_int_equal(clm_table_read_i32(t, clm_table_find(t, "label"), 0, 4, back), CLM_OK);
    assert_memory_equal(back, label, sizeof label);
    clm_table_close(t);
}

/* A dictionary of 1M distinct labels (about 12 MB, far past the 64 KiB an
 * attribute may take in an object header) is written and read back whole;
 * h5py and R's hdf5r read the same attribute. */
static void test_million_labels(void **state)
{
    (void)state;
    enum { N = 1000000 };
    const char *dir = tu_tmpdir("million_labels");
    const char *path = tu_path(dir, "labels.h5");
    char *text = malloc((size_t)N * 9);
    const char **labels = malloc((size_t)N * sizeof *labels);
    int32_t *codes = malloc((size_t)N * sizeof *codes);
    assert_true(text && labels && codes);
    for (int i = 0; i < N; i++) {
        snprintf(text + (size_t)i * 9, 9, "L%07d", i);
        labels[i] = text + (size_t)i * 9;
        codes[i] = N - 1 - i;
    }
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    assert_int_equal(clm_writer_column_array(w, "/subscribers/branch", CLM_DT_INT32, N, codes), CLM_OK);
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/branch", "categories", labels, N), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, NULL, &t), CLM_OK);
    const clm_column_info *info = clm_table_column(t, clm_table_find(t, "branch"));
    assert_int_equal(info->kind, CLM_KIND_CATEGORICAL);
    assert_int_equal(info->n_categories, N);
    for (int i = 0; i < N; i += 99991)
        assert_string_equal(info->categories[i], labels[i]);
    assert_string_equal(info->categories[N - 1], "L0999999");
    int32_t got[4];
    assert_int_equal(clm_table_read_i32(t, clm_table_find(t, "branch"), N - 4, 4, got), CLM_OK);
    assert_int_equal(got[3], 0);
    clm_table_close(t);
    if (tu_python()) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "%s -c \"import h5py; c = h5py.File('%s')['/subscribers/branch'].attrs['categories']; "
                 "assert len(c) == %d and c[12345] == 'L0012345', len(c)\"",
                 tu_python(), path, N);
        assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    }
    if (tu_rscript() && tu_run("Rscript -e 'library(hdf5r)' >/dev/null 2>&1", NULL, NULL) == 0) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "%s -e 'library(hdf5r); f <- H5File$new(\"%s\", \"r\"); "
                 "a <- h5attr(f[[\"subscribers/branch\"]], \"categories\"); "
                 "stopifnot(length(a) == %d, a[12346] == \"L0012345\")'",
                 tu_rscript(), path, N);
        assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    }
    free(text);
    free(labels);
    free(codes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_dtype_roundtrips),
        cmocka_unit_test(test_categorical_dictionary),
        cmocka_unit_test(test_block_is_row_major),
        cmocka_unit_test(test_statistics_hand_computed),
        cmocka_unit_test(test_copy_between_files),
        cmocka_unit_test(test_million_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

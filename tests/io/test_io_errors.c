/*
 * test_io_errors.c — bad inputs get the right status and a message naming
 * the file and column; outputs never overwrite an input and never appear
 * half-written under their final name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmseg/clmseg.h"
#include "clmseg/textfile.h"
#include "testutil.h"

static void assert_detail_has(const char *needle)
{
    const char *d = clm_error_detail();
    if (!strstr(d, needle))
        fail_msg("detail '%s' does not contain '%s'", d, needle);
}

/* A small valid file with columns a (3 rows) and whatever `extra` adds. */
typedef void (*extra_fn)(clm_writer *w);

static const char *make_file(const char *dir, const char *name, extra_fn extra)
{
    const char *path = tu_path(dir, name);
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    int c;
    const double a[3] = {1, 2, 3};
    assert_int_equal(clm_writer_column_create(w, "/subscribers/a", CLM_DT_FLOAT64, 3, &c), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, c, 0, 3, a), CLM_OK);
    if (extra)
        extra(w);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    return path;
}

static void add_short_column(clm_writer *w)
{
    int c;
    const double b[2] = {1, 2};
    assert_int_equal(clm_writer_column_create(w, "/subscribers/b", CLM_DT_FLOAT64, 2, &c), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, c, 0, 2, b), CLM_OK);
}

static void add_matrix(clm_writer *w)
{
    const float m[6] = {0};
    const int64_t dims[2] = {3, 2};
    assert_int_equal(clm_writer_array(w, "/subscribers/m", CLM_DT_FLOAT32, 2, dims, m), CLM_OK);
}

static void add_float_categorical(clm_writer *w)
{
    const double v[3] = {0, 1, 0};
    const char *cats[] = {"x", "y"};
    int64_t dims = 3;
    assert_int_equal(clm_writer_array(w, "/subscribers/kind", CLM_DT_FLOAT64, 1, &dims, v), CLM_OK);
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/kind", "categories", cats, 2), CLM_OK);
}

static void add_big_int(clm_writer *w)
{
    const int64_t v[3] = {1, 5000000000LL, 2};
    const int32_t bad[3] = {0, 1, 7};
    const char *cats[] = {"x", "y"};
    int64_t dims = 3;
    assert_int_equal(clm_writer_array(w, "/subscribers/big", CLM_DT_INT64, 1, &dims, v), CLM_OK);
    assert_int_equal(clm_writer_array(w, "/subscribers/badcode", CLM_DT_INT32, 1, &dims, bad), CLM_OK);
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/badcode", "categories", cats, 2), CLM_OK);
}

static void add_negative_code(clm_writer *w)
{
    const int16_t codes[3] = {1, -1, -5};
    const char *cats[] = {"x", "y"};
    int64_t dims = 3;
    assert_int_equal(clm_writer_array(w, "/subscribers/plan", CLM_DT_INT16, 1, &dims, codes), CLM_OK);
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/plan", "categories", cats, 2), CLM_OK);
}

static void add_huge_value(clm_writer *w)
{
    const double v[3] = {1.0, INFINITY, 1e300};
    int64_t dims = 3;
    assert_int_equal(clm_writer_array(w, "/subscribers/arpu", CLM_DT_FLOAT64, 1, &dims, v), CLM_OK);
}

/* A finite float64 beyond float32 is an error naming the row in float
 * reads (file or cache); a stored infinity is read as one; double reads
 * keep the value. */
static void test_beyond_float32(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("beyond_float32");
    const char *path = make_file(dir, "huge.h5", add_huge_value);
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, NULL, &t), CLM_OK);
    const int col = clm_table_find(t, "arpu");
    float f[3];
    double d[3];
    assert_int_equal(clm_table_read_f32(t, col, 0, 2, f), CLM_OK);
    assert_true(f[0] == 1.0f && isinf(f[1]));
    assert_int_equal(clm_table_read_f32(t, col, 0, 3, f), CLM_E_VALUE);
    assert_detail_has("column 'arpu', row 2: 1e+300 is beyond the float32 range");
    assert_int_equal(clm_table_read_f64(t, col, 0, 3, d), CLM_OK);
    assert_true(d[2] == 1e300);
    assert_int_equal(clm_table_set_cache(t, 1), CLM_OK);
    assert_int_equal(clm_table_read_f32(t, col, 1, 2, f), CLM_E_VALUE);
    assert_detail_has("row 2: 1e+300");
    clm_table_close(t);
}

/* Code -1 is missing (NaN in float reads); -5 is an error naming the row
 * in every read, so no consumer takes it for "missing" silently. */
static void test_negative_code(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("negative_code");
    const char *path = make_file(dir, "neg.h5", add_negative_code);
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, NULL, &t), CLM_OK);
    const int col = clm_table_find(t, "plan");
    float f[3];
    double d[3];
    int32_t i32[3];
    int64_t i64[3];
    assert_int_equal(clm_table_read_f32(t, col, 0, 2, f), CLM_OK);
    assert_true(f[0] == 1.0f && isnan(f[1]));
    assert_int_equal(clm_table_read_f32(t, col, 0, 3, f), CLM_E_VALUE);
    assert_detail_has("column 'plan', row 2: code -5 is not a category");
    assert_int_equal(clm_table_read_f64(t, col, 1, 2, d), CLM_E_VALUE);
    assert_detail_has("row 2");
    assert_int_equal(clm_table_read_i32(t, col, 0, 3, i32), CLM_E_VALUE);
    assert_int_equal(clm_table_read_i64(t, col, 2, 1, i64), CLM_E_VALUE);
    /* The same through the column cache. */
    assert_int_equal(clm_table_set_cache(t, 1), CLM_OK);
    assert_int_equal(clm_table_read_f32(t, col, 0, 3, f), CLM_E_VALUE);
    assert_detail_has("row 2: code -5");
    clm_table_close(t);
}

static void add_duplicate_label(clm_writer *w)
{
    const int32_t codes[3] = {0, 1, 2};
    const char *cats[] = {"Paris", "Lyon", "Paris"};
    int64_t dims = 3;
    assert_int_equal(clm_writer_array(w, "/subscribers/branch", CLM_DT_INT32, 1, &dims, codes), CLM_OK);
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/branch", "categories", cats, 3), CLM_OK);
}

static void test_open_errors(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("open_errors");
    clm_table *t = NULL;

    assert_int_equal(clm_table_open(tu_path(dir, "absent.h5"), NULL, &t), CLM_E_OPEN);
    assert_detail_has("absent.h5");
    assert_null(t);

    const char *text = tu_path(dir, "text.h5");
    assert_int_equal(tu_write_file(text, "id,arpu\n1,2\n"), 0);
    assert_int_equal(clm_table_open(text, NULL, &t), CLM_E_FORMAT);
    assert_detail_has("not an HDF5 file");

    const char *good = make_file(dir, "good.h5", NULL);
    assert_int_equal(clm_table_open(good, "/nope", &t), CLM_E_FORMAT);
    assert_detail_has("no group '/nope'");

    const char *ragged = make_file(dir, "ragged.h5", add_short_column);
    assert_int_equal(clm_table_open(ragged, NULL, &t), CLM_E_SCHEMA);
    assert_detail_has("column 'b' has 2 rows but column 'a' has 3");
    /* The lenient open accepts it and reports no common length. */
    assert_int_equal(clm_table_open_any(ragged, NULL, &t), CLM_OK);
    assert_int_equal(clm_table_n_rows(t), -1);
    assert_int_equal(clm_table_column(t, clm_table_find(t, "b"))->length, 2);
    clm_table_close(t);
    t = NULL;

    const char *matrix = make_file(dir, "matrix.h5", add_matrix);
    assert_int_equal(clm_table_open(matrix, NULL, &t), CLM_E_SCHEMA);
    assert_detail_has("column 'm' has 2 dimensions");

    const char *fcat = make_file(dir, "fcat.h5", add_float_categorical);
    assert_int_equal(clm_table_open(fcat, NULL, &t), CLM_E_SCHEMA);
    assert_detail_has("categorical column 'kind' must hold integer codes");

    const char *dup = make_file(dir, "dup.h5", add_duplicate_label);
    assert_int_equal(clm_table_open(dup, NULL, &t), CLM_E_SCHEMA);
    assert_detail_has("column 'branch': the label 'Paris' is both category 0 and 2");

    /* A truncated copy of a valid file is corrupt, not a crash. */
    size_t size;
    char *bytes = tu_read_file(good, &size);
    assert_non_null(bytes);
    const char *cut = tu_path(dir, "truncated.h5");
    FILE *f = fopen(cut, "wb");
    fwrite(bytes, 1, size / 2, f);
    fclose(f);
    free(bytes);
    clm_status s = clm_table_open(cut, NULL, &t);
    assert_true(s == CLM_E_FORMAT);
    assert_detail_has("truncated.h5");
}

static void test_read_errors(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("read_errors");
    const char *path = make_file(dir, "values.h5", add_big_int);
    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, NULL, &t), CLM_OK);
    int32_t v[3];
    assert_int_equal(clm_table_read_i32(t, clm_table_find(t, "big"), 0, 3, v), CLM_E_VALUE);
    assert_detail_has("column 'big', row 1");
    int64_t counts[2], missing;
    assert_int_equal(clm_table_category_counts(t, clm_table_find(t, "badcode"), counts, &missing), CLM_E_VALUE);
    assert_detail_has("column 'badcode', row 2: code 7");
    assert_int_equal(clm_table_require(t, "arpu", CLM_KIND_NUMERIC, NULL), CLM_E_SCHEMA);
    assert_detail_has("column 'arpu' is missing");
    float f[4];
    assert_int_equal(clm_table_read_f32(t, 0, 1, 3, f), CLM_E_PARAM);
    assert_int_equal(clm_table_read_f32(t, 99, 0, 1, f), CLM_E_PARAM);
    clm_table_close(t);
}

static void test_refuses_to_overwrite_input(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("overwrite");
    const char *input = make_file(dir, "in.h5", NULL);
    char *before = tu_read_file(input, NULL);
    const char *inputs[] = {input, NULL};
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(input, inputs, &w), CLM_E_OVERWRITE);
    assert_null(w);
    /* The same file under another name (hard link) is refused too. */
    const char *alias = tu_path(dir, "alias.h5");
    assert_int_equal(link(input, alias), 0);
    assert_int_equal(clm_writer_create(alias, inputs, &w), CLM_E_OVERWRITE);
    assert_detail_has("it is the input file");
    clm_textfile *tf = NULL;
    assert_int_equal(clm_textfile_open(input, inputs, &tf), CLM_E_OVERWRITE);
    assert_null(tf);
    /* Nothing changed, nothing left behind. */
    char *after = tu_read_file(input, NULL);
    assert_non_null(after);
    free(before);
    free(after);
    assert_true(tu_same_bytes(input, alias));
    assert_int_equal(tu_count_matching(dir, ".tmp."), 0);
    /* A missing folder is an open error naming it. */
    assert_int_equal(clm_writer_create(tu_path(dir, "no/such/out.h5"), NULL, &w), CLM_E_OPEN);
    assert_detail_has("does not exist");
}

static void test_abort_leaves_nothing(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("abort");
    const char *out = tu_path(dir, "out.h5");
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(out, NULL, &w), CLM_OK);
    int c;
    const int32_t x[2] = {1, 2};
    assert_int_equal(clm_writer_column_create(w, "/g/x", CLM_DT_INT32, 2, &c), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, c, 0, 2, x), CLM_OK);
    /* While writing, only the temporary name exists. */
    assert_false(tu_exists(out));
    assert_int_equal(tu_count_matching(dir, "out.h5.tmp."), 1);
    clm_writer_abort(w);
    assert_false(tu_exists(out));
    assert_int_equal(tu_count_matching(dir, ".tmp."), 0);

    const char *csv = tu_path(dir, "out.csv");
    clm_textfile *tf = NULL;
    assert_int_equal(clm_textfile_open(csv, NULL, &tf), CLM_OK);
    fprintf(clm_textfile_stream(tf), "a,b\n");
    assert_false(tu_exists(csv));
    clm_textfile_abort(tf);
    assert_false(tu_exists(csv));
    assert_int_equal(clm_textfile_open(csv, NULL, &tf), CLM_OK);
    fprintf(clm_textfile_stream(tf), "a,b\n1,2\n");
    assert_int_equal(clm_textfile_commit(tf), CLM_OK);
    char *text = tu_read_file(csv, NULL);
    assert_string_equal(text, "a,b\n1,2\n");
    free(text);
    assert_int_equal(tu_count_matching(dir, ".tmp."), 0);
    clm_writer_abort(NULL);
    clm_textfile_abort(NULL);
}

static void test_status_model(void **state)
{
    (void)state;
    assert_string_equal(clm_strerror(CLM_OK), "ok");
    assert_string_equal(clm_strerror(CLM_E_SCHEMA), "missing or mistyped column");
    assert_string_equal(clm_strerror((clm_status)-77), "unknown error");
    assert_int_equal(clm_status_exit_code(CLM_OK), 0);
    assert_int_equal(clm_status_exit_code(CLM_E_VALUE), 1);
    assert_int_equal(clm_status_exit_code(CLM_E_NOMEM), 2);
    assert_int_equal(clm_error(CLM_E_VALUE, "col %s row %d", "x", 3), CLM_E_VALUE);
    assert_string_equal(clm_error_detail(), "col x row 3");
    clm_error_clear();
    assert_string_equal(clm_error_detail(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_negative_code),
        cmocka_unit_test(test_beyond_float32),
        cmocka_unit_test(test_refuses_to_overwrite_input),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_status_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

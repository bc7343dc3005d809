/*
 * test_cli_inspect.c — `clmseg inspect` end to end: the table and the JSON
 * carry the figures of the file, and bad inputs exit 1 with a message
 * naming the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

static const char *make_input(const char *dir)
{
    const char *path = tu_path(dir, "q.h5");
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    const double arpu[5] = {10, 20, 30, 40, NAN};
    const int32_t plan[5] = {0, 1, 1, -1, 1};
    int c;
    assert_int_equal(clm_writer_column_create(w, "/subscribers/arpu", CLM_DT_FLOAT64, 5, &c), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, c, 0, 5, arpu), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/plan", CLM_DT_INT32, 5, &c), CLM_OK);
    assert_int_equal(clm_writer_column_write(w, c, 0, 5, plan), CLM_OK);
    const char *cats[] = {"prepaid", "postpaid"};
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/plan", "categories", cats, 2), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    return path;
}

static void test_inspect_table_and_json(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("inspect");
    const char *path = make_input(dir);
    char *out = NULL, *err = NULL;
    assert_int_equal(tu_clmseg_run(&out, &err, "inspect '%s'", path), 0);
    assert_non_null(strstr(out, "5 rows  2 columns"));
    /* arpu: mean of 10..40 is 25, one missing. */
    assert_non_null(strstr(out, "mean 25"));
    assert_non_null(strstr(out, "2 categories: postpaid 3 (60.0%), prepaid 1 (20.0%)"));
    free(out);
    free(err);
    assert_int_equal(tu_clmseg_run(&out, &err, "inspect '%s' --json", path), 0);
    assert_non_null(strstr(out, "\"rows\": 5"));
    assert_non_null(strstr(out, "\"name\": \"arpu\", \"dtype\": \"float64\", \"kind\": \"numeric\", \"length\": 5, "
                                "\"count\": 4, \"missing\": 1, \"min\": 10, \"max\": 40, \"mean\": 25"));
    assert_non_null(strstr(out, "{\"label\": \"postpaid\", \"count\": 3}"));
    free(out);
    free(err);
}

static void test_inspect_bad_input(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("inspect_bad");
    char *err = NULL;
    assert_int_equal(tu_clmseg_run(NULL, &err, "inspect '%s'", tu_path(dir, "none.h5")), 1);
    assert_non_null(strstr(err, "none.h5"));
    free(err);
    const char *text = tu_path(dir, "x.csv");
    assert_int_equal(tu_write_file(text, "a,b\n1,2\n"), 0);
    assert_int_equal(tu_clmseg_run(NULL, &err, "inspect '%s'", text), 1);
    assert_non_null(strstr(err, "not an HDF5 file"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "inspect"), 1);
    assert_non_null(strstr(err, "no input file"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "inspect --bogus x.h5"), 1);
    assert_non_null(strstr(err, "unknown option '--bogus'"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "frobnicate"), 1);
    assert_non_null(strstr(err, "unknown command 'frobnicate'"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inspect_table_and_json),
        cmocka_unit_test(test_inspect_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_import_cli.c — `clmseg import` end to end.
 *
 *   - the real telco sample and an inference edge-case file are imported,
 *     then checked by check_import.py: Python's csv module parses the CSV
 *     independently and h5py reads the HDF5 file; every value must match;
 *   - every bad input exits 1 with a message naming the file and the line,
 *     and leaves neither the output nor a temporary file behind;
 *   - --threads 1 and --threads 2 give the same datasets (h5dump text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *checker(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/tests/import/check_import.py", tu_source_dir());
    return path;
}

/* Runs check_import.py with extra arguments; asserts it printed "ok". */
static void check_with_python(const char *csv, const char *h5, const char *extra)
{
    const char *python = tu_python();
    if (!python)
        fail_msg("Debian python3 with h5py not found (the test command installs it)");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s' %s", python, checker(), csv, h5, extra);
    char *out = NULL, *err = NULL;
    int rc = tu_run(cmd, &out, &err);
    if (rc != 0 || strncmp(out, "ok", 2) != 0)
        fail_msg("check_import.py failed (%d):\n%s\n%s", rc, out, err);
    free(out);
    free(err);
}

static void test_telco_sample(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("import_telco");
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/datasets/telco_churn.csv", tu_source_dir());
    const char *h5 = tu_path(dir, "telco.h5");
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "import '%s' -o '%s' --quiet", csv, h5);
    if (rc != 0)
        fail_msg("import failed (%d): %s", rc, err);
    assert_string_equal(err, ""); /* --quiet */
    free(err);
    check_with_python(csv, h5,
                      "--rows 7043 --expect contract=categorical "
                      "--expect payment_method=categorical --expect churn=categorical "
                      "--expect total_charges=float64 --missing total_charges=11 "
                      "--expect tenure=int64 --expect monthly_charges=float64 "
                      "--expect senior_citizen=int64");
    assert_int_equal(tu_count_matching(dir, ".tmp."), 0);
}

/* Inference edge cases, each column written out with what it must become. */
static void test_inference_edges(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("import_edges");
    const char *csv = tu_path(dir, "edges.csv");
    const char *h5 = tu_path(dir, "edges.h5");
    assert_int_equal(
        tu_write_file(csv,
                      /* int64: signs, blanks, -0, leading zeros, the int64 limits */
                      "ints,int_na,mixed_num,exp,huge,mixed_text,quoted_num,all_missing,txt\r\n"
                      "1,1,1,1e3,9223372036854775807,1,\"5\",,\"a,b\"\r\n"
                      "-0,NA,1.0,2,9223372036854775808,x,\" 6 \",NA,\"say \"\"hi\"\"\"\r\n"
                      " 7,,2,-1.5E-2,-3,2,7,,\"two\nlines\"\r\n"
                      "+8,4,-.5,5.,99999999999999999999,NA,\"\",,NA\r\n"
                      "007, 5 ,3,.25,0,x,8,,a\r\n"
                      "-9223372036854775808,6,4,1e400,1,,9,, a\r\n"),
        0);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "import '%s' -o '%s'", csv, h5);
    if (rc != 0)
        fail_msg("import failed (%d): %s", rc, err);
    free(err);
    check_with_python(csv, h5,
                      "--rows 6 --expect ints=int64 --expect int_na=float64 "
                      "--missing int_na=2 --expect mixed_num=float64 --expect exp=float64 "
                      "--expect huge=float64 --expect mixed_text=categorical "
                      "--missing mixed_text=2 --expect quoted_num=float64 "
                      "--missing quoted_num=1 --expect all_missing=float64 "
                      "--missing all_missing=6 --expect txt=categorical --missing txt=1");
}

typedef struct bad_case {
    const char *name;     /* file name, also in the expected message */
    const char *content;  /* NULL: do not create the file            */
    const char *message;  /* substring expected on stderr            */
} bad_case;

static void test_bad_inputs(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"ragged.csv", "a,b,c\n1,2,3\n4,5\n", "line 3 has 2 fields, the header has 3"},
        {"ragged_long.csv", "a,b\r\n1,2\r\n3,4\r\n5,6,7\r\n", "line 4 has 3 fields, the header has 2"},
        {"unterminated.csv", "a,b\n1,2\n3,\"open\nand never\nclosed\n",
         "line 3: field 2: quote opened here is never closed"},
        {"after_quote.csv", "a,b\n\"x\"y,2\n", "line 2: field 1: unexpected 'y' after a closing quote"},
        {"duplicate.csv", "id,arpu,id\n1,2,3\n", "line 1: duplicate column name 'id' (columns 1 and 3)"},
        {"empty_name.csv", "id,,arpu\n1,2,3\n", "line 1: column 2 has an empty name"},
        {"slash_name.csv", "id,a/b\n1,2\n", "line 1: column 2 name 'a/b'"},
        {"empty.csv", "", "the file is empty"},
        {"blank_lines.csv", "\n\r\n\n", "the file is empty"},
        {"missing.csv", NULL, "cannot open"},
    };
    /* A pipe cannot be read twice: refused up front with exit 1. */
    {
        const char *dir0 = tu_tmpdir("import_pipe");
        char *err = NULL;
        int rc = tu_clmseg_run(NULL, &err, "import /dev/stdin -o '%s' < /dev/null",
                               tu_path(dir0, "out.h5"));
        if (rc != 1 || !strstr(err, "/dev/stdin: not a regular file"))
            fail_msg("pipe: exit %d, stderr:\n%s", rc, err);
        free(err);
        assert_false(tu_exists(tu_path(dir0, "out.h5")));
    }
    const char *dir = tu_tmpdir("import_bad");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *csv = tu_path(dir, cases[c].name);
        const char *h5 = tu_path(dir, "out.h5");
        if (cases[c].content)
            assert_int_equal(tu_write_file(csv, cases[c].content), 0);
        char *err = NULL;
        int rc = tu_clmseg_run(NULL, &err, "import '%s' -o '%s'", csv, h5);
        if (rc != 1 || !strstr(err, csv) || !strstr(err, cases[c].message) ||
            !strstr(err, "clmseg import: error: "))
            fail_msg("%s: exit %d, stderr:\n%s\nexpected exit 1 and '%s' naming the file",
                     cases[c].name, rc, err, cases[c].message);
        free(err);
        if (tu_exists(h5) || tu_count_matching(dir, ".tmp.") != 0)
            fail_msg("%s: output or temporary file left behind", cases[c].name);
    }
}

static void test_never_overwrites_input(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("import_overwrite");
    const char *csv = tu_path(dir, "data.csv");
    const char *text = "a,b\n1,2\n";
    assert_int_equal(tu_write_file(csv, text), 0);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "import '%s' -o '%s'", csv, csv);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "data.csv"));
    free(err);
    /* Through another name of the same file, too. */
    rc = tu_clmseg_run(NULL, &err, "import '%s' -o '%s/../%s/data.csv'", csv, dir,
                       strrchr(dir, '/') + 1);
    assert_int_equal(rc, 1);
    free(err);
    char *back = tu_read_file(csv, NULL);
    assert_non_null(back);
    assert_string_equal(back, text);
    free(back);
    assert_int_equal(tu_count_matching(dir, ".tmp."), 0);
}

static void test_usage_errors(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("import_usage");
    const char *csv = tu_path(dir, "a.csv");
    assert_int_equal(tu_write_file(csv, "a\n1\n"), 0);
    char *err = NULL;
    assert_int_equal(tu_clmseg_run(NULL, &err, "import"), 1);
    assert_non_null(strstr(err, "no input CSV"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "import '%s'", csv), 1);
    assert_non_null(strstr(err, "no output"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "import '%s' -o x.h5 --bogus", csv), 1);
    assert_non_null(strstr(err, "--bogus"));
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "import '%s' -o x.h5 --delimiter ab", csv), 1);
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "import '%s' -o x.h5 --delimiter '\"'", csv), 1);
    assert_non_null(strstr(err, "delimiter"));
    free(err);
    char *out = NULL;
    assert_int_equal(tu_clmseg_run(&out, NULL, "import -h"), 0);
    assert_non_null(strstr(out, "usage: clmseg import"));
    free(out);
}

static void test_group_and_delimiter(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("import_group");
    const char *csv = tu_path(dir, "semi.csv");
    const char *h5 = tu_path(dir, "semi.h5");
    assert_int_equal(tu_write_file(csv, "x;label\n1,5;\"a;b\"\n2;c\n"), 0);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "import '%s' -o '%s' --group /q3/data --delimiter ';'",
                           csv, h5);
    if (rc != 0)
        fail_msg("import failed (%d): %s", rc, err);
    free(err);
    check_with_python(csv, h5,
                      "--group /q3/data --delimiter ';' --rows 2 --expect x=categorical "
                      "--expect label=categorical");

    const char *tsv = tu_path(dir, "t.tsv");
    assert_int_equal(tu_write_file(tsv, "x\ty\n1\t2.5\n"), 0);
    rc = tu_clmseg_run(NULL, &err, "import '%s' -o '%s' --delimiter tab", tsv, h5);
    assert_int_equal(rc, 0);
    free(err);
    check_with_python(tsv, h5, "--delimiter '\t' --expect x=int64 --expect y=float64");
}

/* A file of several blocks (65536 rows each) with every kind of column,
 * written by a small generator here. */
static void write_multi_block_csv(const char *path, int n_rows)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "id,arpu,plan,calls,note\n");
    static const char *plans[] = {"prepaid", "postpaid", "contract-12m", "contract-24m"};
    uint64_t x = 12345;
    for (int i = 0; i < n_rows; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(x >> 33);
        fprintf(f, "%d,%.2f,%s,%s,%s\n", i, (r % 100000) / 100.0,
                r % 97 == 0 ? "" : plans[r % 4],
                r % 89 == 0 ? "NA" : (r % 2 ? "3" : "12"),
                r % 5 == 0 ? "\"quoted, with comma\"" : (r % 7 == 0 ? "x" : "NA"));
    }
    fclose(f);
}

static char *dump_without_header(const char *h5)
{
    const char *h5dump = tu_h5dump();
    if (!h5dump)
        fail_msg("h5dump not found (the test command installs hdf5-tools)");
    char cmd[8192];
    /* The first line names the file; the rest is the content. */
    snprintf(cmd, sizeof cmd, "'%s' '%s' | tail -n +2", h5dump, h5);
    char *out = NULL;
    assert_int_equal(tu_run(cmd, &out, NULL), 0);
    return out;
}

static void test_threads_same_output(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("import_threads");
    const char *csv = tu_path(dir, "multi.csv");
    const char *h5_1 = tu_path(dir, "t1.h5");
    const char *h5_2 = tu_path(dir, "t2.h5");
    write_multi_block_csv(csv, 150000);
    char *err = NULL;
    assert_int_equal(tu_clmseg_run(NULL, &err, "import '%s' -o '%s' --threads 1", csv, h5_1), 0);
    free(err);
    assert_int_equal(tu_clmseg_run(NULL, &err, "import '%s' -o '%s' --threads 2", csv, h5_2), 0);
    free(err);
    char *a = dump_without_header(h5_1);
    char *b = dump_without_header(h5_2);
    assert_true(strlen(a) > 1000);
    if (strcmp(a, b) != 0)
        fail_msg("--threads 1 and --threads 2 give different datasets");
    free(a);
    free(b);
    check_with_python(csv, h5_2,
                      "--rows 150000 --expect id=int64 --expect arpu=float64 "
                      "--expect plan=categorical --expect calls=float64 "
                      "--expect note=categorical");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_telco_sample),
        cmocka_unit_test(test_inference_edges),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_never_overwrites_input),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_group_and_delimiter),
        cmocka_unit_test(test_threads_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

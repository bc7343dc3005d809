/*
 * test_survival_many.c — survival with many strata, and a run with many
 * branches, checked against independent references:
 *   - 25,000 strata on 60,000 rows (most of one or two rows, 40 rows with
 *     no stratum): every curve, median, S at the horizons and LTV against
 *     hand counts (check_many.py, pure Python over the sorted rows); the
 *     log-rank chi-square (Woodbury form here) against numpy's; df; the
 *     strata flagged sparse; the long layout in a few dozen objects;
 *     --threads 1 and 2 write the same /survival bytes;
 *   - 2,500 strata (past the 2,000 where clmseg switches to the Woodbury
 *     form): the chi-square against R's survdiff (golden/many2500_logrank.csv,
 *     command in golden/many_logrank.R) at 1e-6 and numpy's dense solve;
 *   - `clmseg run` on 3,000 branches: branches.csv lists all of them in
 *     health order, report.html the 500 healthiest and 500 least healthy
 *     with a note, results.h5 one curve per branch with subscribers, in
 *     branch order, in the long layout.
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

static char dir[4096];

static void python(const char *args)
{
    char cmd[8192], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s %s/tests/survival/check_many.py %s", tu_python(), tu_source_dir(), args);
    int rc = tu_run(cmd, &out, &err);
    if (rc != 0)
        fail_msg("%s -> %d\n%s%s", cmd, rc, out ? out : "", err ? err : "");
    printf("%s", out ? out : "");
    free(out);
    free(err);
}

static void survival(const char *input, const char *output, int threads)
{
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err,
                           "survival '%s' -o '%s' --time tenure --event churned --by branch --arpu arpu "
                           "--threads %d --quiet",
                           input, output, threads);
    if (rc != 0)
        fail_msg("clmseg survival %s -> %d: %s", input, rc, err ? err : "");
    free(err);
}

static int setup(void **state)
{
    (void)state;
    if (!tu_python())
        fail_msg("Debian python3 with h5py not found (the test command installs it)");
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("survival_many"));
    char args[8192];
    snprintf(args, sizeof args, "make '%s' 25000 60000 7", tu_path(dir, "m25k.h5"));
    python(args);
    snprintf(args, sizeof args, "make '%s' 2500 20000 3", tu_path(dir, "m2500.h5"));
    python(args);
    return 0;
}

static double attr_f64(const char *file, const char *object, const char *name)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t a = H5Aopen_by_name(f, object, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        fail_msg("no attribute %s on %s of %s", name, object, file);
    double v = NAN;
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    return v;
}

static void test_25000_strata(void **state)
{
    (void)state;
    char in[4096], one[4096], two[4096], args[16384];
    snprintf(in, sizeof in, "%s", tu_path(dir, "m25k.h5"));
    snprintf(one, sizeof one, "%s", tu_path(dir, "m25k_t1.h5"));
    snprintf(two, sizeof two, "%s", tu_path(dir, "m25k_t2.h5"));
    survival(in, one, 1);
    survival(in, two, 2);
    snprintf(args, sizeof args, "check '%s' '%s' lowrank", in, one);
    python(args);
    /* Every stratum expects fewer than 5 events here but a few: the
     * statistic is computed and flagged. */
    double df = attr_f64(one, "/survival/branch", "logrank_df");
    double sparse = attr_f64(one, "/survival/branch", "logrank_n_sparse");
    assert_true(df == 24999 && sparse > 24000 && sparse <= df + 1);
    /* Threads 1 and 2: the same bytes under /survival. */
    assert_true(tu_same_h5_group(one, two, "/survival", 100000));
}

static void test_2500_strata_against_r(void **state)
{
    (void)state;
    char in[4096], out[4096], args[16384];
    snprintf(in, sizeof in, "%s", tu_path(dir, "m2500.h5"));
    snprintf(out, sizeof out, "%s", tu_path(dir, "m2500_out.h5"));
    survival(in, out, 2);
    snprintf(args, sizeof args, "check '%s' '%s' dense", in, out);
    python(args);
    char golden[4096];
    snprintf(golden, sizeof golden, "%s/tests/survival/golden/many2500_logrank.csv", tu_source_dir());
    char *text = tu_read_file(golden, NULL);
    assert_non_null(text);
    double chisq = NAN, df = NAN, p = NAN;
    assert_int_equal(sscanf(strchr(text, '\n') + 1, "%lf,%lf,%lf", &chisq, &df, &p), 3);
    free(text);
    double got = attr_f64(out, "/survival/branch", "logrank_chisq");
    if (!(fabs(got - chisq) <= 1e-6 * chisq))
        fail_msg("log-rank chi-square %.15g, R survdiff %.15g", got, chisq);
    assert_true(attr_f64(out, "/survival/branch", "logrank_df") == df);
    double got_p = attr_f64(out, "/survival/branch", "logrank_p");
    if (!(fabs(got_p - p) <= 1e-6 * p))
        fail_msg("log-rank p %.15g, R %.15g", got_p, p);
}

/* Lines of `text` that contain `needle`. */
static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *q = text; (q = strstr(q, needle)) != NULL; q += strlen(needle))
        n++;
    return n;
}

static void test_run_3000_branches(void **state)
{
    (void)state;
    char quarter[4096], out[4096];
    snprintf(quarter, sizeof quarter, "%s", tu_path(dir, "q3000.h5"));
    snprintf(out, sizeof out, "%s", tu_path(dir, "run3000"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 30000 --branches 3000 --seed 5 --quiet", quarter),
                     0);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --quiet", quarter, out);
    if (rc != 0)
        fail_msg("clmseg run -> %d: %s", rc, err ? err : "");
    free(err);
    /* branches.csv: every branch, ranks 1..3000, health not increasing. */
    char path[8192];
    snprintf(path, sizeof path, "%s/branches.csv", out);
    char *csv = tu_read_file(path, NULL);
    assert_non_null(csv);
    assert_int_equal(count(csv, "\n"), 3001);
    /* The health column, by its header (branches of a run with the Cox
     * step carry more columns after the lever). */
    int health_col = -1, col = 0;
    for (const char *q = csv; *q != '\n'; col++) {
        if (!strncmp(q, "health,", 7))
            health_col = col;
        q += strcspn(q, ",\n");
        if (*q == ',')
            q++;
    }
    assert_true(health_col > 0);
    double previous = INFINITY;
    int rank = 0;
    for (char *line = strchr(csv, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        assert_int_equal(atoi(line), ++rank);
        const char *field = line; /* names hold no comma here */
        for (int c = 0; c < health_col; c++)
            field = strchr(field, ',') + 1;
        double health = atof(field);
        assert_true(health <= previous);
        previous = health;
    }
    free(csv);
    /* report.html: 1,000 rows of the ranking and the note (counts with
     * thousands separators), and the data of a page for each of the 3,000
     * branches and 8 segments (one {"n": ...} entry each). */
    snprintf(path, sizeof path, "%s/report.html", out);
    char *html = tu_read_file(path, NULL);
    assert_non_null(html);
    assert_non_null(strstr(html, "3,000 branches: the 500 healthiest and the 500 least healthy are listed"));
    assert_int_equal(count(html, "<tr><td data-v=\""), 1000);
    assert_non_null(strstr(html, "<tr><td data-v=\"2501\">2,501</td>"));
    assert_null(strstr(html, "<tr><td data-v=\"501\">501</td>"));
    assert_int_equal(count(html, "{\"n\":"), 3000 + 8);
    free(html);
    /* results.h5: a curve per branch with subscribers (synth leaves some
     * of 3,000 branches empty on 30,000 rows), in the long layout. */
    snprintf(path, sizeof path, "%s/results.h5", out);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    int64_t *subscribers = malloc(3000 * sizeof *subscribers), *rows = malloc(3000 * sizeof *rows);
    hid_t d = H5Dopen2(f, "/branches/subscribers", H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_npoints(sp), 3000);
    assert_true(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, subscribers) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    int with_rows = 0;
    for (int i = 0; i < 3000; i++)
        with_rows += subscribers[i] > 0;
    d = H5Dopen2(f, "/survival/branch/n_rows", H5P_DEFAULT);
    assert_true(d >= 0);
    sp = H5Dget_space(d);
    assert_int_equal(H5Sget_simple_extent_npoints(sp), with_rows);
    assert_true(with_rows > 2500);
    assert_true(H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) >= 0);
    int64_t total = 0;
    for (int i = 0, b = 0; i < with_rows; i++, b++) {
        while (subscribers[b] == 0)
            b++;
        assert_int_equal(rows[i], subscribers[b]); /* curves in branch order */
        total += rows[i];
    }
    assert_int_equal(total, 30000);
    free(rows);
    free(subscribers);
    H5Sclose(sp);
    H5Dclose(d);
    hid_t g = H5Gopen2(f, "/survival/branch", H5P_DEFAULT);
    H5G_info_t info;
    assert_true(H5Gget_info(g, &info) >= 0);
    assert_true(info.nlinks < 30); /* a dataset per field, not a group per branch */
    H5Gclose(g);
    H5Fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_25000_strata),
        cmocka_unit_test(test_2500_strata_against_r),
        cmocka_unit_test(test_run_3000_branches),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/*
 * test_mpi_run.c — the quarterly run on 1 to 4 ranks (docs/design.md §7).
 *
 * `mpirun -np R clmseg run Q -o OUT --threads T` for R = 1..4 x T = 1..2
 * must write every output of the serial run with the same T byte for
 * byte: results.h5, every CSV, tree_rules.txt and config.used; report.html
 * too but for its "Run" section (the steps' seconds and memory), and
 * run.json differs only in timings, so it is left out.  Quarters: 50,000
 * rows over 40 branches (rows not a multiple of any chunk), and 6,000
 * rows (two k-means chunks: ranks 2 and 3 hold no row), and 50,000 rows
 * whose branch column holds integer ids, one of them in one rank's rows
 * only.  And a 12,000-row quarter run after a previous quarter's run
 * (--previous): rank 0 renumbers the segments to continue last quarter's,
 * and every other rank its own rows' labels, which it writes itself.
 * And the 6,000-row quarter with a plan (strategy.plan): the scenarios'
 * book reads the relative hazard, stratum and tenure of every row, which
 * rank 0 then gathers with the projection.
 *
 * The error case: the tenure column as floats with a NaN in rank 2's rows
 * (and a later one in rank 3's): every one of 4 ranks exits 1 on its own
 * within the timeout, with the serial run's one message naming the global
 * row, and the output folder is left empty.  The same for a NaN that only
 * the Cox fit (on every rank, each on its own rows) meets: a covariate of
 * rank 2's rows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "mpi_util.h"
#include "testutil.h"

static char dir[4096], q50k[4200], q6000[4200], q_nan[4200], q_cox[4200], q_ids[4200], q_next[4200];

/* Replaces /subscribers/COLUMN by a float copy (same values). */
static void column_as_floats(const char *path, const char *column, int rows)
{
    float *v = malloc(sizeof(float) * (size_t)rows);
    assert_non_null(v);
    mpi_read_column(path, column, H5T_NATIVE_FLOAT, v);
    mpi_write_column(path, column, H5T_NATIVE_FLOAT, (hsize_t)rows, v, H5T_IEEE_F32LE);
    free(v);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi-run"));
    snprintf(q50k, sizeof q50k, "%s/q50k.h5", dir);
    snprintf(q6000, sizeof q6000, "%s/q6000.h5", dir);
    snprintf(q_nan, sizeof q_nan, "%s/q_nan.h5", dir);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' synth -o '%s' --rows 50000 --branches 40 --seed 13 --quiet",
             mpi_reference_bin(), q50k);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    mpi_synth(q6000, 6000, 5);
    snprintf(q_next, sizeof q_next, "%s/q_next.h5", dir);
    mpi_synth(q_next, 12000, 21);
    /* 50,000 rows on 4 ranks (k-means chunks of 4,096 rows): rank 2 holds
     * rows 28,672 .. 40,959, rank 3 rows 40,960 .. 49,999. */
    mpi_synth(q_nan, 50000, 3);
    column_as_floats(q_nan, "tenure_months", 50000);
    mpi_put_nan(q_nan, "tenure_months", 30001);
    mpi_put_nan(q_nan, "tenure_months", 45000);
    /* The Cox fit's rows on 4 ranks (chunks of 4,096 rows again): rank 2
     * holds 28,672 .. 40,959.  The device's age is no k-means feature, and
     * the churn tree routes a missing value: only the fit stops on it. */
    snprintf(q_cox, sizeof q_cox, "%s/q_cox.h5", dir);
    mpi_synth(q_cox, 50000, 3);
    column_as_floats(q_cox, "device_age_months", 50000);
    mpi_put_nan(q_cox, "device_age_months", 33333);
    mpi_put_nan(q_cox, "device_age_months", 45000);
    /* The branch as integer ids without a dictionary (100 + 3 x code),
     * and one id, 999, on rows 46,000 .. 46,099 alone: rank 3's of 4, rank
     * 1's of 2.  The tiers+stages step codes the ids densely from every
     * rank's values, so each rank must learn of the others' ids. */
    snprintf(q_ids, sizeof q_ids, "%s/q_ids.h5", dir);
    mpi_synth(q_ids, 50000, 11);
    int32_t *ids = malloc(sizeof(int32_t) * 50000);
    assert_non_null(ids);
    mpi_read_column(q_ids, "branch", H5T_NATIVE_INT32, ids);
    for (int i = 0; i < 50000; i++)
        ids[i] = i >= 46000 && i < 46100 ? 999 : 100 + 3 * ids[i];
    mpi_write_column(q_ids, "branch", H5T_NATIVE_INT32, 50000, ids, H5T_STD_I32LE);
    /* A branch lies in one region: 999's rows take row 46,000's. */
    mpi_read_column(q_ids, "region", H5T_NATIVE_INT32, ids);
    for (int i = 46001; i < 46100; i++)
        ids[i] = ids[46000];
    mpi_write_column(q_ids, "region", H5T_NATIVE_INT32, 50000, ids, 0);
    free(ids);
    return 0;
}

/* report.html without its "Run" section (the steps' seconds and peak
 * memory, which no two runs share): from its heading to the end of its
 * table. */
static char *report_without_timings(const char *path)
{
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    char *run = strstr(text, "<h2>Run");
    assert_non_null(run);
    char *end = strstr(run, "</table>");
    assert_non_null(end);
    memmove(run, end, strlen(end) + 1);
    return text;
}

/* Every file of the reference folder `ref` but run.json equals the one in
 * `out` (report.html but for its Run section). */
static void same_outputs(const char *ref, const char *out, const char *what)
{
    DIR *d = opendir(ref);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "run.json") || !strcmp(e->d_name, "stdout.txt"))
            continue;
        char a[8192], b[8192];
        snprintf(a, sizeof a, "%s/%s", ref, e->d_name);
        snprintf(b, sizeof b, "%s/%s", out, e->d_name);
        if (!strcmp(e->d_name, "report.html")) {
            char *x = report_without_timings(a), *y = report_without_timings(b);
            if (strcmp(x, y) != 0)
                fail_msg("%s: report.html differs from the serial run's (outside its Run section)", what);
            free(x);
            free(y);
        } else if (!tu_same_bytes(a, b)) {
            fail_msg("%s: %s differs from the serial run's", what, e->d_name);
        }
        n++;
    }
    closedir(d);
    /* results.h5, report.html, config.used, tree_rules.txt and the CSVs. */
    assert_true(n >= 12);
}

static void same_run_on_ranks(const char *quarter, const char *name, const char *extra)
{
    for (int threads = 1; threads <= 2; threads++) {
        char ref[4300], args[8192];
        snprintf(ref, sizeof ref, "%s/%s-reference-t%d", dir, name, threads);
        snprintf(args, sizeof args, "run '%s' -o out --quiet --threads %d %s", quarter, threads, extra);
        assert_int_equal(mpi_run_reference(ref, args), 0);
        char ref_out[4400];
        snprintf(ref_out, sizeof ref_out, "%s/out", ref);
        /* A real result: the segments and the branch ranking are there. */
        char *csv = tu_read_file(tu_path(ref_out, "branches.csv"), NULL);
        assert_non_null(csv);
        assert_true(mpi_count(csv, "\n") > 1);
        free(csv);
        for (int ranks = 1; ranks <= 4; ranks++) {
            char out[4300], what[256];
            snprintf(out, sizeof out, "%s/%s-ranks%d-threads%d", dir, name, ranks, threads);
            snprintf(args, sizeof args, "run '%s' -o out --quiet %s", quarter, extra);
            char *err = NULL;
            int rc = mpi_run_ranks(ranks, threads, out, args, &err);
            if (rc != 0)
                fail_msg("%s: %d ranks x %d threads: exit %d\n%s", name, ranks, threads, rc,
                         err ? err : "");
            free(err);
            char out_dir[4400];
            snprintf(out_dir, sizeof out_dir, "%s/out", out);
            snprintf(what, sizeof what, "%s on %d ranks x %d threads", name, ranks, threads);
            same_outputs(ref_out, out_dir, what);
        }
    }
}

static void test_run_on_50000_rows_and_40_branches(void **state)
{
    (void)state;
    same_run_on_ranks(q50k, "q50k", "");
}

static void test_run_with_ranks_without_rows(void **state)
{
    (void)state;
    same_run_on_ranks(q6000, "q6000", "");
}

/* Tenure read in days: no tenure is a whole month, so the lifecycle
 * curves' quartiles are selected on rank 0 from every row's tenure,
 * which the ranks gather to it. */
static void test_run_with_tenure_in_days(void **state)
{
    (void)state;
    same_run_on_ranks(q6000, "days", "--set columns.time_unit=days");
}

static void test_run_with_integer_branch_ids(void **state)
{
    (void)state;
    same_run_on_ranks(q_ids, "ids", "");
    /* The ids are the branches' names: 999 with its 100 rows. */
    char *csv = tu_read_file(tu_path(dir, "ids-reference-t1/out/branches.csv"), NULL);
    assert_non_null(csv);
    assert_non_null(strstr(csv, ",999,100,"));
    free(csv);
}

/* /segments/label of a run's results.h5 (n rows). */
static void read_labels(const char *results, int32_t *labels)
{
    hid_t f = H5Fopen(results, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t d = H5Dopen2(f, "/segments/label", H5P_DEFAULT);
    assert_true(d >= 0);
    assert_true(H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels) >= 0);
    H5Dclose(d);
    H5Fclose(f);
}

static void test_run_after_a_previous_quarter(void **state)
{
    (void)state;
    /* Last quarter: the 6,000-row quarter's serial run; this quarter's
     * own segment numbers, without it, for the check below. */
    char prev[4300], alone[4300], args[8192];
    snprintf(prev, sizeof prev, "%s/previous", dir);
    snprintf(args, sizeof args, "run '%s' -o out --quiet --threads 1", q6000);
    assert_int_equal(mpi_run_reference(prev, args), 0);
    snprintf(alone, sizeof alone, "%s/next-alone", dir);
    snprintf(args, sizeof args, "run '%s' -o out --quiet --threads 1", q_next);
    assert_int_equal(mpi_run_reference(alone, args), 0);
    char extra[4400];
    snprintf(extra, sizeof extra, "--previous '%s/out'", prev);
    same_run_on_ranks(q_next, "next", extra);
    /* The match renumbered the segments in the rows past the first chunk
     * (4,096 rows), which ranks other than 0 hold: else those ranks' own
     * labels, left in the fit's numbering, would pass unnoticed. */
    int32_t *a = malloc(sizeof(int32_t) * 12000), *b = malloc(sizeof(int32_t) * 12000);
    assert_non_null(a);
    assert_non_null(b);
    read_labels(tu_path(alone, "out/results.h5"), a);
    read_labels(tu_path(dir, "next-reference-t1/out/results.h5"), b);
    int changed = 0;
    for (int i = 4096; i < 12000; i++)
        changed += a[i] != b[i];
    assert_true(changed > 1000);
    free(a);
    free(b);
}

static void test_run_with_a_plan(void **state)
{
    (void)state;
    char plan[4300], extra[4400];
    snprintf(plan, sizeof plan, "%s/plan.ini", dir);
    assert_int_equal(tu_write_file(plan,
                                   "[plan]\nhorizon = 24\n\n"
                                   "[scenario save_d]\nlever = retention\nstage = D\nhazard_ratio = 0.7\n"
                                   "take_up = 0.5\ncost_contact = high:20,medium:10,low:5\n\n"
                                   "[budget]\ntotal = 3000\nlever = retention\nhazard_ratio = 0.7\n"
                                   "take_up = 0.3\nmonths = 12\ncost_contact = high:20,medium:10,low:5\n"
                                   "cost_accept = 10\n"),
                     0);
    snprintf(extra, sizeof extra, "--set strategy.plan='%s'", plan);
    same_run_on_ranks(q6000, "plan", extra);
    /* The scenarios were run: their outputs are among those compared. */
    char *csv = tu_read_file(tu_path(dir, "plan-reference-t1/out/scenarios.csv"), NULL);
    assert_non_null(csv);
    assert_non_null(strstr(csv, "save_d"));
    free(csv);
}

static void test_nan_tenure_on_rank_2_stops_every_rank(void **state)
{
    (void)state;
    char sub[4300], args[8192];
    snprintf(sub, sizeof sub, "%s/nan", dir);
    /* -o . : the output folder is the rank folder itself, which must be
     * left empty. */
    snprintf(args, sizeof args, "run '%s' -o . --quiet", q_nan);
    mpi_fails_alike_on_ranks(sub, args, 4, "row 30001");
}

static void test_nan_covariate_on_rank_2_stops_the_fit_on_every_rank(void **state)
{
    (void)state;
    char sub[4300], args[8192];
    snprintf(sub, sizeof sub, "%s/nan-cox", dir);
    snprintf(args, sizeof args, "run '%s' -o . --quiet", q_cox);
    mpi_fails_alike_on_ranks(sub, args, 4, "column 'device_age_months', row 33333: covariate is missing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_on_50000_rows_and_40_branches),
        cmocka_unit_test(test_run_with_ranks_without_rows),
        cmocka_unit_test(test_run_with_integer_branch_ids),
        cmocka_unit_test(test_run_with_tenure_in_days),
        cmocka_unit_test(test_run_after_a_previous_quarter),
        cmocka_unit_test(test_run_with_a_plan),
        cmocka_unit_test(test_nan_tenure_on_rank_2_stops_every_rank),
        cmocka_unit_test(test_nan_covariate_on_rank_2_stops_the_fit_on_every_rank),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

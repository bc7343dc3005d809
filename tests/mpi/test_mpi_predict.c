/*
 * test_mpi_predict.c — clmseg predict and clmseg inspect on 1 to 4 ranks
 * (docs/design.md §7).
 *
 * The models are fitted once by the serial build's program on a quarter
 * of 12,000 rows: `clmseg kmeans`, `clmseg tree` (churn, and the 4-class
 * plan), and `clmseg run`, whose results.h5 holds every model (segments,
 * tree, lifecycle, a Cox model stratified by segment and decline).  For
 * R = 1..4 ranks x T = 1..2 threads, scored.h5 of `mpirun -np R clmseg
 * predict` must be the serial run's bytes.  Predict splits the rows by
 * whole chunks of 4,096 rows (the equity pass's):
 *
 *   50,000 rows  13 chunks, the last of 848 rows; 4 ranks hold 4, 3, 3, 3
 *    6,000 rows  2 chunks, fewer than ranks: ranks 2 and 3 hold no row
 *
 * inspect splits by the summaries' blocks of 65,536 rows, so its quarter
 * has 140,000 rows (3 blocks, the last of 8,928 rows; rank 3 of 4 holds
 * none), with missing values in two blocks; and 6,000 rows (one block,
 * all on rank 0).  Its stdout, the table and --json, must be the serial
 * run's bytes.
 *
 * The error cases: a NaN in rank 2's rows (and a later one in rank 3's)
 * makes every rank of 3 and of 4 exit 1 with the serial run's one message
 * and no scored.h5, and of two bad values of one equity block on two
 * ranks the one reported is the serial run's; inspect of a missing file
 * gives one message.
 *
 * Every identity case also checks that the reference output holds a real
 * result: predict prints nothing on stdout, so its scored.h5 is read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "mpi_util.h"
#include "testutil.h"

static char dir[4096];
static char q50k[4200], q6000[4200], q_nan[4200], q_order[4200], q140k[4200];
static char km[4400], tree[4400], tree_plan[4400], run[4400], run_dir[4200];

/* Writes `value` into row `row` of the column `column` of /subscribers,
 * converted to the column's type (mpi_put_nan writes only NaN). */
static void put_value(const char *path, const char *column, hsize_t row, double value)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    char name[256];
    snprintf(name, sizeof name, "/subscribers/%s", column);
    hid_t dset = H5Dopen2(file, name, H5P_DEFAULT), space = H5Dget_space(dset);
    hsize_t count = 1;
    assert_true(H5Sselect_hyperslab(space, H5S_SELECT_SET, &row, NULL, &count, NULL) >= 0);
    hid_t mem = H5Screate_simple(1, &count, NULL);
    assert_true(H5Dwrite(dset, H5T_NATIVE_DOUBLE, mem, space, H5P_DEFAULT, &value) >= 0);
    H5Sclose(mem);
    H5Sclose(space);
    H5Dclose(dset);
    H5Fclose(file);
}

static int make_quarters(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi-predict"));
    char train[4200];
    const struct {
        char *path;
        const char *name;
        int rows, seed;
    } quarters[] = {
        {train, "train", 12000, 7}, {q50k, "q50k", 50000, 3}, {q6000, "q6000", 6000, 5},
        {q_nan, "q_nan", 50000, 3}, {q_order, "q_order", 50000, 3}, {q140k, "q140k", 140000, 13},
    };
    for (size_t i = 0; i < sizeof quarters / sizeof quarters[0]; i++) {
        snprintf(quarters[i].path, 4200, "%s/%s.h5", dir, quarters[i].name);
        mpi_synth(quarters[i].path, quarters[i].rows, quarters[i].seed);
    }
    /* 50,000 rows: rank 2 holds rows 36,864 .. 49,999 of 3 ranks and
     * 28,672 .. 40,959 of 4; row 45,000 is rank 3's of 4. */
    mpi_put_nan(q_nan, "arpu", 38000);
    mpi_put_nan(q_nan, "arpu", 45000);
    /* Two bad values in the equity pass's first block of 262,144 rows: a
     * missing covariate on rank 0 and, later, a negative tenure on rank
     * 1 of 2; one process reports the block's bad times first. */
    mpi_put_nan(q_order, "arpu", 101); /* an active row: churned ones are not scored */
    put_value(q_order, "tenure_months", 40000, -1.0);
    /* Missing values in the second and third blocks of 65,536 rows. */
    mpi_put_nan(q140k, "arpu", 70000);
    mpi_put_nan(q140k, "arpu", 139999);
    /* The models, fitted by the serial program in <dir>/NAME. */
    const struct {
        char *model;
        const char *name, *command, *output, *results;
    } fits[] = {
        {km, "km", "kmeans", "results.h5 --k 5", "results.h5"},
        {tree, "tree", "tree", "results.h5", "results.h5"},
        {tree_plan, "tree-plan", "tree", "results.h5 --target plan", "results.h5"},
        {run, "run", "run", "out", "out/results.h5"},
    };
    for (size_t i = 0; i < sizeof fits / sizeof fits[0]; i++) {
        char sub[4300], args[9000];
        snprintf(sub, sizeof sub, "%s/%s", dir, fits[i].name);
        snprintf(args, sizeof args, "%s '%s' -o %s --quiet", fits[i].command, train, fits[i].output);
        if (mpi_run_reference(sub, args) != 0)
            fail_msg("fitting %s failed: %s", fits[i].name, args);
        snprintf(fits[i].model, 4400, "%s/%s", sub, fits[i].results);
    }
    snprintf(run_dir, sizeof run_dir, "%s/run/out", dir);
    return 0;
}

/* The first dimension of dataset `name` of the HDF5 file `path` (-1: no
 * such dataset). */
static long long rows_of(const char *path, const char *name)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    long long rows = -1;
    if (H5Lexists(file, name, H5P_DEFAULT) > 0) {
        hid_t ds = H5Dopen2(file, name, H5P_DEFAULT), space = H5Dget_space(ds);
        hsize_t dims[2] = {0, 0};
        H5Sget_simple_extent_dims(space, dims, NULL);
        rows = (long long)dims[0];
        H5Sclose(space);
        H5Dclose(ds);
    }
    H5Fclose(file);
    return rows;
}

/* The k-means segment sizes of scored.h5: they cover every row, in at
 * least two segments. */
static void expect_segment_sizes(const char *path, long long rows)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t ds = H5Dopen2(file, "/segments/size", H5P_DEFAULT);
    assert_true(ds >= 0);
    int64_t size[64] = {0};
    hid_t space = H5Dget_space(ds);
    assert_true(H5Sget_simple_extent_npoints(space) <= 64);
    assert_true(H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, size) >= 0);
    long long total = 0;
    int used = 0;
    for (int j = 0; j < 64; j++) {
        total += size[j];
        used += size[j] > 0;
    }
    assert_int_equal(total, rows);
    assert_true(used >= 2);
    H5Sclose(space);
    H5Dclose(ds);
    H5Fclose(file);
}

/* Every R x T run of `clmseg predict MODEL QUARTER -o scored.h5 ARGS`
 * equals the serial run's scored.h5 and stdout; `datasets` (NULL-ended)
 * are the per-row results the reference's scored.h5 must hold, one per
 * row of the quarter.  Returns the reference's scored.h5. */
static const char *same_scores_on_ranks(const char *model, const char *quarter, long long rows,
                                        const char *args, const char *const *datasets)
{
    static int n_case = 0;
    static char scored[4400];
    char sub[4300], cmd[9000];
    snprintf(sub, sizeof sub, "%s/predict-%d", dir, ++n_case);
    snprintf(cmd, sizeof cmd, "predict '%s' '%s' -o scored.h5 --quiet %s", model, quarter, args);
    const char *files[] = {"scored.h5", "stdout.txt"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 2, NULL);
    snprintf(scored, sizeof scored, "%s/reference/scored.h5", sub);
    for (int i = 0; datasets[i]; i++)
        if (rows_of(scored, datasets[i]) != rows)
            fail_msg("the reference's %s lacks %s of %lld rows", scored, datasets[i], rows);
    return scored;
}

static void test_kmeans_rows_not_a_multiple_of_the_chunk(void **state)
{
    (void)state;
    const char *const sets[] = {"/segments/label", "/segments/distance", NULL};
    expect_segment_sizes(same_scores_on_ranks(km, q50k, 50000, "", sets), 50000);
}

static void test_tree_fewer_chunks_than_ranks(void **state)
{
    (void)state;
    const char *const sets[] = {"/churn/probability", NULL};
    same_scores_on_ranks(tree, q6000, 6000, "", sets);
}

static void test_multiclass_tree(void **state)
{
    (void)state;
    const char *const sets[] = {"/churn/class_probability", NULL};
    same_scores_on_ranks(tree_plan, q50k, 50000, "", sets);
}

/* The run's results: k-means, tree, lifecycle and the Cox equity, whose
 * expected number still active is summed per chunk across the ranks. */
static void test_every_model_of_a_run(void **state)
{
    (void)state;
    const char *const sets[] = {"/segments/label", "/churn/probability", "/lifecycle/stage",
                                "/value/tier", "/equity/value", "/equity/leave_12", NULL};
    expect_segment_sizes(same_scores_on_ranks(run, q50k, 50000, "", sets), 50000);
    same_scores_on_ranks(run, q6000, 6000, "", sets);
}

static void test_previous_quarter(void **state)
{
    (void)state;
    char args[4400];
    snprintf(args, sizeof args, "--previous '%s'", run_dir);
    const char *const sets[] = {"/segments/label", "/equity/value", NULL};
    const char *scored = same_scores_on_ranks(run, q50k, 50000, args, sets);
    /* One continued segment number per segment of the model. */
    const long long k = rows_of(run, "/segments/size");
    assert_true(k >= 2);
    assert_int_equal(rows_of(scored, "/segments/continues"), k);
}

/* mpi_fails_alike_on_ranks in a fresh folder of its own. */
static void fails_alike(const char *args, int ranks, const char *message)
{
    static int n_case = 0;
    char sub[4300];
    snprintf(sub, sizeof sub, "%s/fail-%d", dir, ++n_case);
    mpi_fails_alike_on_ranks(sub, args, ranks, message);
}

/* The NaN meets the k-means model's features, or (the run's segments
 * impute) the Cox model's covariates. */
static void test_nan_on_rank_2_stops_every_rank(void **state)
{
    (void)state;
    char args[9000];
    snprintf(args, sizeof args, "predict '%s' '%s' -o scored.h5 --quiet", km, q_nan);
    for (int ranks = 3; ranks <= 4; ranks++)
        fails_alike(args, ranks, "column 'arpu' has a missing value (NaN) at row 38000");
    snprintf(args, sizeof args, "predict '%s' '%s' -o scored.h5 --quiet", run, q_nan);
    for (int ranks = 3; ranks <= 4; ranks++)
        fails_alike(args, ranks, "row 38000: a covariate or the event is missing");
    snprintf(args, sizeof args, "predict '%s' '%s' -o scored.h5 --quiet", run, q_order);
    fails_alike(args, 2, "row 40000: time -1 is not a number >= 0");
}

/* Every R x T run of `clmseg inspect QUARTER ARGS` prints the serial
 * run's bytes, which hold `expect`. */
static void same_summary_on_ranks(const char *quarter, const char *args, const char *expect)
{
    static int n_case = 0;
    char sub[4300], cmd[9000];
    snprintf(sub, sizeof sub, "%s/inspect-%d", dir, ++n_case);
    snprintf(cmd, sizeof cmd, "inspect '%s' %s", quarter, args);
    const char *files[] = {"stdout.txt"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 1, expect);
}

static void test_inspect_three_blocks(void **state)
{
    (void)state;
    same_summary_on_ranks(q140k, "", "140000 rows");
    same_summary_on_ranks(q140k, "--json --top 5", "\"name\": \"arpu\", \"dtype\": \"float32\", "
                                                   "\"kind\": \"numeric\", \"length\": 140000, "
                                                   "\"count\": 139998, \"missing\": 2");
}

static void test_inspect_one_block(void **state)
{
    (void)state;
    same_summary_on_ranks(q6000, "--top 5", "6000 rows");
}

static void test_inspect_missing_file_gives_one_message(void **state)
{
    (void)state;
    char args[4400];
    snprintf(args, sizeof args, "inspect '%s/no-such-quarter.h5'", dir);
    fails_alike(args, 3, "no-such-quarter.h5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kmeans_rows_not_a_multiple_of_the_chunk),
        cmocka_unit_test(test_tree_fewer_chunks_than_ranks),
        cmocka_unit_test(test_multiclass_tree),
        cmocka_unit_test(test_every_model_of_a_run),
        cmocka_unit_test(test_previous_quarter),
        cmocka_unit_test(test_nan_on_rank_2_stops_every_rank),
        cmocka_unit_test(test_inspect_three_blocks),
        cmocka_unit_test(test_inspect_one_block),
        cmocka_unit_test(test_inspect_missing_file_gives_one_message),
    };
    return cmocka_run_group_tests(tests, make_quarters, NULL);
}

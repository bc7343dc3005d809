/*
 * test_mpi_rank_rows.c — io_write_rank_rows (src/io/rank_rows.c), the
 * second phase of every per-row output written on ranks, on 1, 3 and 4
 * ranks.
 *
 * The test runs itself under mpirun with --rank DIR (one process a rank):
 *
 *   - rank 0 lays out a 10,001-row float column and a 10,001 x 3 float
 *     array zero-filled (io_writer_column_zeros, io_writer_array_zeros)
 *     and commits the file; every rank then writes its own rows
 *     (comm_rows_of, chunks of 4,096 rows: on 4 ranks the last holds
 *     none), the column as the row number and the array's row r as
 *     (r, r + 0.25, r + 0.5); rank 0 checks that the file is byte for
 *     byte the one the serial writer makes from every row at once;
 *   - the last rank writes rows past the column's end: every rank returns
 *     CLM_E_IO (the failure is agreed before the collective write, which a
 *     rank that left it out would hang in: the timeout bounds it), and
 *     the file's rows are those of the first write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmseg/writer.h"
#include "core/comm_internal.h"
#include "io/io_internal.h"
#include "mpi_util.h"
#include "testutil.h"

#define ROWS 10001
#define WIDTH 3

static void fill(float *column, float *array, int64_t first, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        column[i] = (float)(first + i);
        for (int j = 0; j < WIDTH; j++)
            array[i * WIDTH + j] = (float)(first + i) + 0.25f * (float)j;
    }
}

/* The serial writer's file of every row (or, with zeros, the layout). */
static clm_status write_whole(const char *path, int zeros)
{
    static float column[ROWS], array[ROWS * WIDTH];
    fill(column, array, 0, ROWS);
    clm_writer *w = NULL;
    clm_status st = clm_writer_create(path, (const char *const[]){NULL}, &w);
    if (st)
        return st;
    const int64_t dims[2] = {ROWS, WIDTH};
    st = zeros ? io_writer_column_zeros(w, "/rows/column", CLM_DT_FLOAT32, ROWS)
               : clm_writer_column_array(w, "/rows/column", CLM_DT_FLOAT32, ROWS, column);
    if (!st)
        st = zeros ? io_writer_array_zeros(w, "/rows/array", CLM_DT_FLOAT32, ROWS, WIDTH)
                   : clm_writer_array(w, "/rows/array", CLM_DT_FLOAT32, 2, dims, array);
    if (st) {
        clm_writer_abort(w);
        return st;
    }
    return clm_writer_commit(w);
}

/* This rank's rows [first + shift, ...) of both datasets. */
static clm_status write_mine(const comm_ctx *c, const char *path, int64_t shift)
{
    int64_t first, n;
    comm_rows_of(c, ROWS, 4096, &first, &n);
    float *column = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    float *array = malloc(sizeof(float) * WIDTH * (size_t)(n > 0 ? n : 1));
    if (!column || !array)
        return CLM_E_NOMEM;
    fill(column, array, first, n);
    const io_rank_column cols[2] = {{"/rows/column", CLM_DT_FLOAT32, column, 0},
                                    {"/rows/array", CLM_DT_FLOAT32, array, WIDTH}};
    clm_status st = io_write_rank_rows(c, path, first + shift, n, cols, 2);
    free(column);
    free(array);
    return st;
}

static int rank_main(int argc, char **argv)
{
    if (argc < 3 || comm_init(&argc, &argv) != 0)
        return 1;
    const comm_ctx c = comm_world();
    char ranks_file[4200], whole_file[4200];
    snprintf(ranks_file, sizeof ranks_file, "%s/ranks.h5", argv[2]);
    snprintf(whole_file, sizeof whole_file, "%s/whole.h5", argv[2]);
    int bad = 0;
    clm_status st = c.rank == 0 ? write_whole(ranks_file, 1) : CLM_OK;
    if (c.rank == 0 && !st)
        st = write_whole(whole_file, 0);
    st = comm_agree(&c, st);
    if (!st)
        st = write_mine(&c, ranks_file, 0);
    if (st) {
        fprintf(stderr, "rank %d: %s\n", c.rank, clm_error_detail());
        bad++;
    }
    if (!bad && c.rank == 0 && !tu_same_bytes(ranks_file, whole_file)) {
        fprintf(stderr, "the ranks' file differs from the serial writer's\n");
        bad++;
    }
    /* Past the end on the last rank with rows (a whole chunk further
     * on): every rank fails alike, and no row of the file changes. */
    if (!bad && comm_is_parallel(&c)) {
        int failing = c.size - 1;
        for (;; failing--) {
            comm_ctx other = c;
            other.rank = failing;
            int64_t f, m;
            comm_rows_of(&other, ROWS, 4096, &f, &m);
            if (m > 0 || failing == 0)
                break;
        }
        clm_error_clear();
        st = write_mine(&c, ranks_file, c.rank == failing ? 4096 : 0);
        if (st != CLM_E_IO) {
            fprintf(stderr, "rank %d: past the end gave status %d, not CLM_E_IO\n", c.rank, (int)st);
            bad++;
        }
        if (!bad && c.rank == 0 && !tu_same_bytes(ranks_file, whole_file)) {
            fprintf(stderr, "the failed write changed the file\n");
            bad++;
        }
    }
    comm_finalize();
    return bad ? 1 : 0;
}

static void rank_rows_on(int ranks)
{
    char self[64];
    snprintf(self, sizeof self, "/proc/%ld/exe", (long)getpid());
    char path[4096];
    ssize_t n = readlink(self, path, sizeof path - 1);
    assert_true(n > 0);
    path[n] = '\0';
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/r%d", tu_tmpdir("mpi-rank-rows"), ranks);
    char cmd[16000];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && timeout %d '%s' %s -np %d '%s' --rank '%s'", dir,
             MPI_RUN_TIMEOUT, mpi_mpirun(), mpi_mpirun_flags(), ranks, path, dir);
    char *err = NULL;
    int rc = tu_run(cmd, NULL, &err);
    if (rc != 0)
        fail_msg("%d ranks: exit %d\n%s", ranks, rc, err ? err : "");
    free(err);
}

static void test_one_rank(void **state)
{
    (void)state;
    rank_rows_on(1);
}

static void test_three_ranks(void **state)
{
    (void)state;
    rank_rows_on(3);
}

static void test_four_ranks(void **state)
{
    (void)state;
    rank_rows_on(4);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--rank"))
        return rank_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_rank),
        cmocka_unit_test(test_three_ranks),
        cmocka_unit_test(test_four_ranks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_mpi_exchange.c — comm_exchange_rows (src/core/comm.c), the
 * all-to-all the Cox concordance sends its (key, cell) pairs with, on 1,
 * 3 and 4 ranks.
 *
 * The test runs itself under mpirun with --rank (one process a rank);
 * each rank checks what it received and its traffic, and exits 1 on a
 * mismatch, which mpirun passes on:
 *
 *   - rank r sends rank d (r + 2 d) % 3 rows of 12 bytes (an element size
 *     MPI has no type for), so some pairs send none, and the last rank
 *     sends nothing to anyone: every rank receives each sender's rows, in
 *     the senders' rank order, as they were sent;
 *   - the traffic counts one exchange_rows call of the bytes sent plus
 *     received;
 *   - a count past MPI's int counts on rank 0 only gives CLM_E_INTERNAL
 *     with one message on every rank, before any row moves.
 *
 * On one rank the rows addressed to rank 0 come back as a copy.
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

#include "core/comm_internal.h"
#include "mpi_util.h"
#include "testutil.h"

typedef struct row12 {
    int32_t from, to, index;
} row12;

/* Rows rank r sends rank d: none from the last rank. */
static int64_t rows_for(const comm_ctx *c, int r, int d)
{
    return r == c->size - 1 && c->size > 1 ? 0 : (r + 2 * d) % 3;
}

/* One rank's checks; the number of failures. */
static int check_rows(const comm_ctx *c)
{
    int64_t *send_n = calloc((size_t)c->size, sizeof *send_n), total = 0;
    for (int d = 0; d < c->size; d++)
        total += send_n[d] = rows_for(c, c->rank, d);
    row12 *send = malloc((size_t)(total > 0 ? total : 1) * sizeof *send), *at = send;
    for (int d = 0; d < c->size; d++)
        for (int j = 0; j < send_n[d]; j++)
            *at++ = (row12){c->rank, d, j};
    comm_traffic before, after;
    comm_traffic_get(&before);
    void *got = NULL;
    int64_t n_got = -1;
    int bad = 0;
    clm_status st = comm_exchange_rows(c, send, send_n, sizeof *send, &got, &n_got);
    comm_traffic_get(&after);
    if (st || !got) {
        fprintf(stderr, "rank %d: status %d: %s\n", c->rank, (int)st, clm_error_detail());
        bad++;
    }
    const row12 *r = got;
    int64_t expect = 0;
    for (int from = 0; !bad && from < (c->size > 1 ? c->size : 1); from++)
        for (int j = 0; j < rows_for(c, from, c->rank); j++, expect++)
            if (expect >= n_got || r[expect].from != from || r[expect].to != c->rank ||
                r[expect].index != j) {
                fprintf(stderr, "rank %d: row %lld is not row %d of rank %d\n", c->rank,
                        (long long)expect, j, from);
                bad++;
                break;
            }
    if (!bad && n_got != expect) {
        fprintf(stderr, "rank %d: %lld rows, not %lld\n", c->rank, (long long)n_got,
                (long long)expect);
        bad++;
    }
    /* The serial case counts no traffic (comm_internal.h). */
    const int64_t calls = after.calls[COMM_OP_EXCHANGE_ROWS] - before.calls[COMM_OP_EXCHANGE_ROWS];
    const int64_t bytes = after.bytes[COMM_OP_EXCHANGE_ROWS] - before.bytes[COMM_OP_EXCHANGE_ROWS];
    const int parallel = comm_is_parallel(c);
    if (calls != parallel || bytes != (parallel ? (total + expect) * (int64_t)sizeof *send : 0)) {
        fprintf(stderr, "rank %d: traffic %lld calls, %lld bytes\n", c->rank, (long long)calls,
                (long long)bytes);
        bad++;
    }
    free(got);
    free(send);
    free(send_n);
    return bad;
}

/* Rank 0 claims 2^31 rows for rank 1: every rank refuses alike. */
static int check_too_many(const comm_ctx *c)
{
    if (!comm_is_parallel(c))
        return 0;
    int64_t *send_n = calloc((size_t)c->size, sizeof *send_n);
    if (c->rank == 0)
        send_n[1] = INT64_C(1) << 31;
    row12 one = {0, 0, 0};
    void *got = NULL;
    int64_t n_got = 0;
    clm_status st = comm_exchange_rows(c, &one, send_n, sizeof one, &got, &n_got);
    free(send_n);
    const char *want = "MPI: 2147483648 rows are too many to exchange";
    if (st != CLM_E_INTERNAL || got || strcmp(clm_error_detail(), want) != 0) {
        fprintf(stderr, "rank %d: status %d, '%s'\n", c->rank, (int)st, clm_error_detail());
        free(got);
        return 1;
    }
    return 0;
}

/* One rank of the mpirun below. */
static int rank_main(int argc, char **argv)
{
    if (comm_init(&argc, &argv) != 0)
        return 1;
    const comm_ctx c = comm_world();
    const int bad = check_rows(&c) + check_too_many(&c);
    comm_finalize();
    return bad ? 1 : 0;
}

static void exchange_on(int ranks)
{
    /* The test program itself, run as the ranks. */
    char self[64];
    snprintf(self, sizeof self, "/proc/%ld/exe", (long)getpid());
    char path[4096];
    ssize_t n = readlink(self, path, sizeof path - 1);
    assert_true(n > 0);
    path[n] = '\0';
    char cmd[12000];
    char *err = NULL;
    snprintf(cmd, sizeof cmd, "timeout %d '%s' %s -np %d '%s' --rank", MPI_RUN_TIMEOUT,
             mpi_mpirun(), mpi_mpirun_flags(), ranks, path);
    int rc = tu_run(cmd, NULL, &err);
    if (rc != 0)
        fail_msg("%d ranks: exit %d\n%s", ranks, rc, err ? err : "");
    free(err);
}

static void test_one_rank(void **state)
{
    (void)state;
    exchange_on(1);
}

static void test_three_ranks(void **state)
{
    (void)state;
    exchange_on(3);
}

static void test_four_ranks(void **state)
{
    (void)state;
    exchange_on(4);
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

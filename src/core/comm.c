/*
 * comm.c — the communication layer (comm_internal.h): MPI_COMM_WORLD
 * collectives in the MPI build, the one-rank case in the serial build.
 *
 * Floating-point values only ever travel as gathered per-chunk partials
 * (MPI_Allgatherv of bytes), never through MPI_Allreduce, whose summation
 * order depends on the rank count and the MPI library: with it, sums
 * differed in the last bit between 1 and 2 ranks on this platform
 * (/work/shared/PLATFORM.md).  Integer sums use MPI_SUM, exact in any order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/comm_internal.h"

#ifdef CLMSEG_MPI
#include <unistd.h>
#include <mpi.h>
#include <hdf5.h>
/* A parallel HDF5 is a build requirement (CMakeLists.txt checks it too);
 * this catches a build that mixes headers. */
#ifndef H5_HAVE_PARALLEL
#error "CLMSEG_MPI needs a parallel HDF5 (libhdf5-openmpi-dev)"
#endif
#endif

void comm_chunks_of(const comm_ctx *c, int rank, int64_t n_chunks, int64_t *first,
                    int64_t *count)
{
    const int64_t size = c ? c->size : 1;
    const int64_t base = n_chunks / size, extra = n_chunks % size;
    *first = rank * base + (rank < extra ? rank : extra);
    *count = base + (rank < extra ? 1 : 0);
}

void comm_rows_of(const comm_ctx *c, int64_t n_rows, int64_t chunk_rows, int64_t *first,
                  int64_t *count)
{
    const int64_t n_chunks = n_rows > 0 ? (n_rows + chunk_rows - 1) / chunk_rows : 0;
    int64_t chunk0, n_mine;
    comm_chunks_of(c, c ? c->rank : 0, n_chunks, &chunk0, &n_mine);
    if (n_mine == 0) { /* no chunk: the empty range at the end */
        *first = n_rows;
        *count = 0;
        return;
    }
    const int64_t end = (chunk0 + n_mine) * chunk_rows;
    *first = chunk0 * chunk_rows;
    *count = (end < n_rows ? end : n_rows) - *first;
}

int comm_chunk_owner(const comm_ctx *c, int64_t chunk, int64_t n_chunks)
{
    const int64_t size = c ? c->size : 1;
    const int64_t base = n_chunks / size, extra = n_chunks % size;
    /* The first `extra` ranks own base + 1 chunks each. */
    if (chunk < extra * (base + 1))
        return (int)(chunk / (base + 1));
    return (int)(extra + (chunk - extra * (base + 1)) / base);
}

#ifndef CLMSEG_MPI

int comm_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

void comm_finalize(void) {}

comm_ctx comm_world(void)
{
    return (comm_ctx){0, 1};
}

void comm_quiet_other_ranks(void) {}

void comm_abort_unagreed(const comm_ctx *c, clm_status status)
{
    (void)c;
    (void)status;
}

clm_status comm_share_chunks(const comm_ctx *c, void *parts, size_t chunk_bytes,
                             int64_t n_chunks)
{
    (void)c; (void)parts; (void)chunk_bytes; (void)n_chunks;
    return CLM_OK;
}

clm_status comm_sum_i64(const comm_ctx *c, int64_t *values, int n)
{
    (void)c; (void)values; (void)n;
    return CLM_OK;
}

clm_status comm_bcast(const comm_ctx *c, void *buf, size_t bytes, int root)
{
    (void)c; (void)buf; (void)bytes; (void)root;
    return CLM_OK;
}

clm_status comm_gather_rows(const comm_ctx *c, const void *local, int64_t n_local,
                            size_t elem_bytes, void *all, int64_t n_all)
{
    (void)c;
    (void)n_all;
    if (all && all != local && n_local > 0)
        memcpy(all, local, (size_t)n_local * elem_bytes);
    return CLM_OK;
}

clm_status comm_agree(const comm_ctx *c, clm_status status)
{
    (void)c;
    return status;
}

#else /* CLMSEG_MPI */

static int started_here = 0;

/* Whether a launcher (mpirun, mpiexec, srun) started this process: each
 * sets its own variables.  Started by hand, the program is one rank and
 * does not start MPI at all: a singleton MPI_Init would spawn a helper
 * daemon and shared-memory files, which costs 0.3 s and fails under a
 * file-size limit (tests/cli/test_full_disk), for nothing to talk to.
 * CLMSEG_MPI_INIT=1 starts MPI regardless. */
static int launched_by_mpi(void)
{
    static const char *const vars[] = {
        "OMPI_COMM_WORLD_SIZE", /* Open MPI's mpirun        */
        "PMIX_RANK",            /* PMIx launchers           */
        "PMI_RANK", "PMI_SIZE", /* MPICH (Hydra), Intel MPI */
        "PMI_FD",               /* PMI-1/2 over a socket (srun --mpi=pmi2) */
        "CLMSEG_MPI_INIT",
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && v[0])
            return 1;
    }
    return 0;
}

int comm_init(int *argc, char ***argv)
{
    int ready = 0;
    MPI_Initialized(&ready);
    if (ready || !launched_by_mpi())
        return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "clmseg: error: MPI_Init_thread failed\n");
        return -1;
    }
    started_here = 1;
    /* Errors come back as codes (turned into clm_status below) rather
     * than aborting every rank from inside MPI. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return 0;
}

void comm_finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (started_here && !done)
        MPI_Finalize();
}

comm_ctx comm_world(void)
{
    int ready = 0, done = 0;
    MPI_Initialized(&ready);
    MPI_Finalized(&done);
    if (!ready || done)
        return (comm_ctx){0, 1};
    comm_ctx c;
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    return c;
}

/* This rank's stderr before comm_quiet_other_ranks, for comm_abort_unagreed
 * (-1: still the stderr it started with). */
static int own_stderr = -1;

void comm_quiet_other_ranks(void)
{
    comm_ctx c = comm_world();
    if (c.rank == 0)
        return;
    fflush(stdout);
    fflush(stderr);
    own_stderr = dup(STDERR_FILENO);
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
        return; /* still correct, only noisier */
}

void comm_abort_unagreed(const comm_ctx *c, clm_status status)
{
    if (status > CLM_E_NOMEM || !comm_is_parallel(c))
        return;
    const char *detail = clm_error_detail();
    char line[1200];
    int n = snprintf(line, sizeof line, "clmseg: error on rank %d of %d: %s\n", c->rank, c->size,
                     detail[0] ? detail : clm_strerror(status));
    const int fd = own_stderr >= 0 ? own_stderr : STDERR_FILENO;
    if (n > 0 && write(fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1)) < 0)
        n = 0; /* nowhere left to say it: abort all the same */
    MPI_Abort(MPI_COMM_WORLD, clm_status_exit_code(status));
}

static clm_status mpi_failed(const char *what, int code)
{
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
        snprintf(text, sizeof text, "code %d", code);
    return clm_error(CLM_E_INTERNAL, "MPI: %s failed: %s", what, text);
}

clm_status comm_share_chunks(const comm_ctx *c, void *parts, size_t chunk_bytes,
                             int64_t n_chunks)
{
    if (!comm_is_parallel(c) || n_chunks == 0 || chunk_bytes == 0)
        return CLM_OK;
    /* One contiguous datatype per chunk keeps the counts in chunks, far
     * below INT_MAX, however large the partials are. */
    if (n_chunks > 0x7fffffff || chunk_bytes > 0x7fffffff)
        return clm_error(CLM_E_INTERNAL, "MPI: %lld partials of %zu bytes are too many to gather",
                         (long long)n_chunks, chunk_bytes);
    int *counts = malloc(sizeof(int) * (size_t)c->size);
    int *displs = malloc(sizeof(int) * (size_t)c->size);
    if (!counts || !displs) {
        free(counts);
        free(displs);
        return clm_error(CLM_E_NOMEM, "MPI: out of memory gathering partials");
    }
    for (int r = 0; r < c->size; r++) {
        int64_t first, count;
        comm_chunks_of(c, r, n_chunks, &first, &count);
        counts[r] = (int)count;
        displs[r] = (int)first;
    }
    MPI_Datatype chunk;
    int rc = MPI_Type_contiguous((int)chunk_bytes, MPI_BYTE, &chunk);
    if (rc == MPI_SUCCESS)
        rc = MPI_Type_commit(&chunk);
    if (rc == MPI_SUCCESS) {
        rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, parts, counts, displs, chunk,
                            MPI_COMM_WORLD);
        MPI_Type_free(&chunk);
    }
    free(counts);
    free(displs);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("gathering the chunk partials", rc);
}

clm_status comm_sum_i64(const comm_ctx *c, int64_t *values, int n)
{
    if (!comm_is_parallel(c) || n == 0)
        return CLM_OK;
    int rc = MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("summing counts", rc);
}

clm_status comm_bcast(const comm_ctx *c, void *buf, size_t bytes, int root)
{
    if (!comm_is_parallel(c) || bytes == 0)
        return CLM_OK;
    if (bytes > 0x7fffffff)
        return clm_error(CLM_E_INTERNAL, "MPI: %zu bytes are too many to broadcast", bytes);
    int rc = MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("broadcasting", rc);
}

clm_status comm_gather_rows(const comm_ctx *c, const void *local, int64_t n_local,
                            size_t elem_bytes, void *all, int64_t n_all)
{
    if (!comm_is_parallel(c)) {
        if (all && all != local && n_local > 0)
            memcpy(all, local, (size_t)n_local * elem_bytes);
        return CLM_OK;
    }
    if (n_all > 0x7fffffff || elem_bytes > 0x7fffffff)
        return clm_error(CLM_E_INTERNAL, "MPI: %lld rows are too many to gather", (long long)n_all);
    int mine = (int)n_local;
    int *counts = c->rank == 0 ? malloc(sizeof(int) * (size_t)c->size) : NULL;
    int *displs = c->rank == 0 ? malloc(sizeof(int) * (size_t)c->size) : NULL;
    int ok = c->rank != 0 || (counts && displs);
    /* Every rank learns whether rank 0 could allocate, so none waits in
     * the gather below for a root that has given up. */
    int rc = MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS || !ok) {
        free(counts);
        free(displs);
        return rc != MPI_SUCCESS ? mpi_failed("gathering rows", rc)
                                 : clm_error(CLM_E_NOMEM, "MPI: out of memory gathering rows");
    }
    rc = MPI_Gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS && c->rank == 0) {
        int64_t at = 0;
        for (int r = 0; r < c->size; r++) {
            displs[r] = (int)at;
            at += counts[r];
        }
        if (at != n_all)
            rc = MPI_ERR_COUNT;
    }
    MPI_Datatype elem;
    if (rc == MPI_SUCCESS)
        rc = MPI_Type_contiguous((int)elem_bytes, MPI_BYTE, &elem);
    if (rc == MPI_SUCCESS)
        rc = MPI_Type_commit(&elem);
    if (rc == MPI_SUCCESS) {
        /* Rank 0's rows may already sit in place (local == all): MPI
         * forbids the aliased buffers, MPI_IN_PLACE says the same. */
        const void *send = c->rank == 0 && local == all ? MPI_IN_PLACE : local;
        rc = MPI_Gatherv(send, mine, elem, all, counts, displs, elem, 0, MPI_COMM_WORLD);
        MPI_Type_free(&elem);
    }
    free(counts);
    free(displs);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("gathering rows", rc);
}

/* Longest detail message carried from a failing rank to the others. */
#define COMM_MESSAGE_BYTES 1024

clm_status comm_agree(const comm_ctx *c, clm_status status)
{
    if (!comm_is_parallel(c))
        return status;
    /* The lowest failing rank: each rank offers its own number if it
     * failed, the rank count otherwise. */
    int mine = status ? c->rank : c->size, lowest = c->size;
    int rc = MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return mpi_failed("agreeing on errors", rc);
    if (lowest == c->size)
        return CLM_OK;
    struct {
        int status;
        char message[COMM_MESSAGE_BYTES];
    } news;
    memset(&news, 0, sizeof news);
    if (c->rank == lowest) {
        news.status = (int)status;
        snprintf(news.message, sizeof news.message, "%s", clm_error_detail());
    }
    rc = MPI_Bcast(&news, (int)sizeof news, MPI_BYTE, lowest, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return mpi_failed("agreeing on errors", rc);
    if (c->rank == lowest)
        return status;
    if (news.message[0])
        return clm_error((clm_status)news.status, "%s", news.message);
    clm_error_clear();
    return (clm_status)news.status;
}

#endif /* CLMSEG_MPI */

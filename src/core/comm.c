/*
 * comm.c — the communication layer (comm_internal.h): MPI_COMM_WORLD
 * collectives in the MPI build, the one-rank case in the serial build.
 *
 * Floating-point values only ever travel as gathered per-chunk partials
 * (MPI_Allgatherv of bytes) or as running sums relayed from rank to rank
 * in row order (comm_relay_*), never through MPI_Allreduce, whose summation
 * order depends on the rank count and the MPI library: with it, sums
 * differed in the last bit between 1 and 2 ranks on this platform
 * (measured on Open MPI 4.1, docs/building.md).  Integer sums use MPI_SUM,
 * exact in any order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/comm_internal.h"
#include "core/util_internal.h"

#ifdef CLMSEG_MPI
#include <time.h>
#include <unistd.h>
#include <mpi.h>
#include <hdf5.h>
#ifdef _OPENMP
#include <omp.h>
#endif
/* A parallel HDF5 is a build requirement (CMakeLists.txt checks it too);
 * this catches a build that mixes headers. */
#ifndef H5_HAVE_PARALLEL
#error "CLMSEG_MPI needs a parallel HDF5 (libhdf5-openmpi-dev)"
#endif
#endif

/* Whether rank 0 takes c->root_share of a rank's chunks: set, not an
 * equal share, and leaving it at least one chunk of n_chunks. */
static int root_weighted(const comm_ctx *c, int64_t n_chunks)
{
    if (!c || c->size < 2 || c->root_share <= 0 || c->root_share == 1000)
        return 0;
    const int64_t total = c->root_share + 1000 * (int64_t)(c->size - 1);
    return n_chunks * c->root_share >= total;
}

/* The first chunk of `rank` when rank 0 weighs root_share and the others
 * 1000 each: the cut at the rank's share of the weight, rounded down. */
static int64_t weighted_first(const comm_ctx *c, int rank, int64_t n_chunks)
{
    if (rank <= 0)
        return 0;
    const int64_t total = c->root_share + 1000 * (int64_t)(c->size - 1);
    const int64_t before = c->root_share + 1000 * (int64_t)(rank - 1);
    return n_chunks / total * before + n_chunks % total * before / total;
}

void comm_chunks_of(const comm_ctx *c, int rank, int64_t n_chunks, int64_t *first,
                    int64_t *count)
{
    if (root_weighted(c, n_chunks)) {
        *first = weighted_first(c, rank, n_chunks);
        *count = (rank + 1 < c->size ? weighted_first(c, rank + 1, n_chunks) : n_chunks) - *first;
        return;
    }
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

void comm_rows_aligned(const comm_ctx *c, int64_t n_rows, int64_t unit, int64_t align,
                       int64_t *first, int64_t *count)
{
    const int64_t size = c ? c->size : 1;
    const int aligned = align > 0 && align % unit == 0 && (n_rows + align - 1) / align >= size;
    comm_rows_of(c, n_rows, aligned ? align : unit, first, count);
}

int comm_chunk_owner(const comm_ctx *c, int64_t chunk, int64_t n_chunks)
{
    if (root_weighted(c, n_chunks)) {
        int r = c->size - 1; /* the last rank whose run starts at or before it */
        while (r > 0 && weighted_first(c, r, n_chunks) > chunk)
            r--;
        return r;
    }
    const int64_t size = c ? c->size : 1;
    const int64_t base = n_chunks / size, extra = n_chunks % size;
    /* The first `extra` ranks own base + 1 chunks each. */
    if (chunk < extra * (base + 1))
        return (int)(chunk / (base + 1));
    return (int)(extra + (chunk - extra * (base + 1)) / base);
}

const char *const comm_op_names[COMM_N_OPS] = {
    "share_chunks", "sum_i64", "max_i64", "bcast", "gather_rows", "allgather_bytes",
    "share_rows", "recut_rows", "exchange_rows", "relay", "agree", "wait_root"};

static comm_traffic traffic;
static int64_t reads[3]; /* collective, made independent, unaligned */

static int64_t writes[2]; /* collective writes of per-row columns, their rows */

void comm_count_read(int collective, int aligned)
{
    reads[collective ? 0 : 1]++;
    reads[2] += !aligned;
}

static int64_t rows_held; /* the most rows of the table a step held here */

void comm_note_rows(int64_t rows)
{
    rows_held = rows > rows_held ? rows : rows_held;
}

void comm_count_write(int64_t rows)
{
    writes[0]++;
    writes[1] += rows;
}
static double started_at = -1.0; /* util_now() at comm_init */
static double started_cpu = 0.0; /* this process's CPU seconds when comm_init returned */

static double cpu_seconds(const struct rusage *use)
{
    return (double)use->ru_utime.tv_sec + 1e-6 * (double)use->ru_utime.tv_usec +
           (double)use->ru_stime.tv_sec + 1e-6 * (double)use->ru_stime.tv_usec;
}

/* The CPU the process took to start: loading, the libraries' set-up and
 * MPI's start (MPI_Init_thread), which no command's work can lower. */
static void note_start_cpu(void)
{
    struct rusage use;
    memset(&use, 0, sizeof use);
    getrusage(RUSAGE_SELF, &use);
    started_cpu = cpu_seconds(&use);
}

void comm_traffic_get(comm_traffic *out)
{
    *out = traffic;
}

/* One rank's figures, all doubles so that one gather carries them. */
enum { FIG_CPU, FIG_START_CPU, FIG_WALL, FIG_PEAK, FIG_THREADS, FIG_ROWS, FIG_READS,
       FIG_WRITES = FIG_READS + 3, FIG_OPS = FIG_WRITES + 2 };
#define N_FIGURES (FIG_OPS + 3 * COMM_N_OPS)

static void own_figures(double *fig)
{
    struct rusage use;
    memset(&use, 0, sizeof use);
    getrusage(RUSAGE_SELF, &use);
    fig[FIG_CPU] = cpu_seconds(&use);
    fig[FIG_START_CPU] = started_cpu;
    fig[FIG_WALL] = started_at >= 0.0 ? util_now() - started_at : 0.0;
    fig[FIG_PEAK] = 1024.0 * (double)use.ru_maxrss; /* Linux: kilobytes */
    fig[FIG_THREADS] = util_threads(0); /* what a command without --threads uses */
    for (int i = 0; i < 3; i++)
        fig[FIG_READS + i] = (double)reads[i];
    fig[FIG_ROWS] = (double)rows_held;
    fig[FIG_WRITES] = (double)writes[0];
    fig[FIG_WRITES + 1] = (double)writes[1];
    for (int op = 0; op < COMM_N_OPS; op++) {
        fig[FIG_OPS + 3 * op] = (double)traffic.calls[op];
        fig[FIG_OPS + 3 * op + 1] = (double)traffic.bytes[op];
        fig[FIG_OPS + 3 * op + 2] = traffic.seconds[op];
    }
}

static clm_status gather_figures(const comm_ctx *c, const double *mine, double *all);

clm_status comm_write_rank_stats(const comm_ctx *c, const char *path, const char *command)
{
    const int size = c ? c->size : 1, rank = c ? c->rank : 0;
    double mine[N_FIGURES];
    own_figures(mine);
    double *all = rank == 0 ? malloc(sizeof(double) * N_FIGURES * (size_t)size) : NULL;
    clm_status st = gather_figures(c, mine, all);
    if (st || rank != 0) {
        free(all);
        return st;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(all);
        return clm_error(CLM_E_IO, "%s: cannot write the rank statistics", tmp);
    }
    for (int r = 0; r < size; r++) {
        const double *fig = all + (size_t)r * N_FIGURES;
        fprintf(f, "{\"command\":\"%s\",\"rank\":%d,\"ranks\":%d,\"cpu_s\":%.4f,\"start_cpu_s\":%.4f,"
                   "\"wall_s\":%.4f,\"peak_rss_bytes\":%.0f,\"held_rows\":%.0f,\"collectives\":{",
                command, r, size, fig[FIG_CPU], fig[FIG_START_CPU], fig[FIG_WALL], fig[FIG_PEAK],
                fig[FIG_ROWS]);
        for (int op = 0; op < COMM_N_OPS; op++)
            fprintf(f, "%s\"%s\":{\"calls\":%.0f,\"bytes\":%.0f,\"seconds\":%.6f}",
                    op ? "," : "", comm_op_names[op], fig[FIG_OPS + 3 * op],
                    fig[FIG_OPS + 3 * op + 1], fig[FIG_OPS + 3 * op + 2]);
        fprintf(f, "},\"reads\":{\"collective\":%.0f,\"independent\":%.0f,\"unaligned\":%.0f},"
                   "\"writes\":{\"columns\":%.0f,\"rows\":%.0f},\"default_threads\":%.0f}\n",
                fig[FIG_READS], fig[FIG_READS + 1], fig[FIG_READS + 2], fig[FIG_WRITES], fig[FIG_WRITES + 1],
                fig[FIG_THREADS]);
    }
    free(all);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return clm_error(CLM_E_IO, "%s: cannot write the rank statistics", path);
    }
    return CLM_OK;
}

/* comm_allgather_bytes on one rank: a copy. */
static clm_status copy_bytes(const void *mine, size_t bytes, void **all, size_t *all_bytes)
{
    *all = malloc(bytes ? bytes : 1);
    if (!*all)
        return clm_error(CLM_E_NOMEM, "out of memory gathering %zu bytes", bytes);
    if (bytes)
        memcpy(*all, mine, bytes);
    *all_bytes = bytes;
    return CLM_OK;
}

/* comm_recut_rows on one rank: the rows stay, copied to `out`. */
static clm_status recut_one_rank(const void *local, int64_t n_local, size_t elem_bytes,
                                 void *out, int64_t n_out)
{
    if (n_out != n_local)
        return clm_error(CLM_E_INTERNAL, "re-cutting %lld rows into %lld", (long long)n_local,
                         (long long)n_out);
    if (out != local && n_local > 0)
        memcpy(out, local, (size_t)n_local * elem_bytes);
    return CLM_OK;
}

/* comm_exchange_rows on one rank: the rows stay, copied. */
static clm_status exchange_one_rank(const void *send, int64_t n, size_t elem_bytes, void **recv,
                                    int64_t *n_recv)
{
    size_t bytes = 0;
    clm_status st = copy_bytes(send, (size_t)n * elem_bytes, recv, &bytes);
    *n_recv = st ? 0 : n;
    return st;
}

#ifndef CLMSEG_MPI

int comm_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    started_at = util_now();
    note_start_cpu();
    return 0;
}

static clm_status gather_figures(const comm_ctx *c, const double *mine, double *all)
{
    (void)c;
    if (!all)
        return clm_error(CLM_E_NOMEM, "out of memory for the rank statistics");
    memcpy(all, mine, sizeof(double) * N_FIGURES);
    return CLM_OK;
}

void comm_finalize(void) {}

comm_ctx comm_world(void)
{
    return (comm_ctx){0, 1, 0};
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

clm_status comm_share_rows(const comm_ctx *c, void *all, int64_t n_local, size_t elem_bytes,
                           int64_t n_all)
{
    (void)c; (void)all; (void)n_local; (void)elem_bytes; (void)n_all;
    return CLM_OK;
}

clm_status comm_recut_rows(const comm_ctx *c, const void *local, int64_t n_local,
                           size_t elem_bytes, void *out, int64_t n_out)
{
    (void)c;
    return recut_one_rank(local, n_local, elem_bytes, out, n_out);
}

clm_status comm_exchange_rows(const comm_ctx *c, const void *send, const int64_t *send_n,
                              size_t elem_bytes, void **recv, int64_t *n_recv)
{
    (void)c;
    return exchange_one_rank(send, send_n[0], elem_bytes, recv, n_recv);
}

clm_status comm_agree(const comm_ctx *c, clm_status status)
{
    (void)c;
    return status;
}

clm_status comm_wait_root(const comm_ctx *c, clm_status status)
{
    (void)c;
    return status;
}

int comm_wait_root_code(const comm_ctx *c, int code)
{
    (void)c;
    return code;
}

clm_status comm_max_i64(const comm_ctx *c, int64_t *values, int n)
{
    (void)c; (void)values; (void)n;
    return CLM_OK;
}

clm_status comm_allgather_bytes(const comm_ctx *c, const void *mine, size_t bytes, void **all,
                                size_t *all_bytes)
{
    (void)c;
    return copy_bytes(mine, bytes, all, all_bytes);
}

clm_status comm_relay_receive(const comm_ctx *c, void *buf, size_t bytes)
{
    (void)c; (void)buf; (void)bytes;
    return CLM_OK;
}

clm_status comm_relay_send(const comm_ctx *c, void *buf, size_t bytes)
{
    (void)c; (void)buf; (void)bytes;
    return CLM_OK;
}

clm_status comm_relay_pass(const comm_ctx *c, const void *buf, size_t bytes)
{
    (void)c; (void)buf; (void)bytes;
    return CLM_OK;
}

#else /* CLMSEG_MPI */

static int started_here = 0;
/* How finish() waits: 1 naps from the start, 0 spins SPIN_SECONDS and
 * then naps, -1 spins (MPI_Wait). */
static int napping = 0;

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

/* The default thread count of a rank: OpenMP's default is every core the
 * rank may run on, so R unbound ranks of a node would each start a thread
 * per core, R times the cores, spinning against one another (a 10,000-row
 * k-means on 4 ranks of 2 cores: 0.58 CPU-s a rank, 0.13 with one thread
 * each).  Without OMP_NUM_THREADS or --threads a rank takes its share of
 * the node's cores, at least one; bound ranks already see fewer. */
static void share_cores(long cores, int node_ranks)
{
#ifdef _OPENMP
    if (getenv("OMP_NUM_THREADS") || node_ranks <= 1 || cores <= 0)
        return;
    const int share = (int)(cores / node_ranks) > 0 ? (int)(cores / node_ranks) : 1;
    if (omp_get_max_threads() > share)
        omp_set_num_threads(share);
#else
    (void)cores;
    (void)node_ranks;
#endif
}

int comm_init(int *argc, char ***argv)
{
    int ready = 0;
    started_at = util_now();
    MPI_Initialized(&ready);
    if (ready || !launched_by_mpi()) {
        note_start_cpu();
        return 0;
    }
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "clmseg: error: MPI_Init_thread failed\n");
        return -1;
    }
    note_start_cpu();
    started_here = 1;
    /* Errors come back as codes (turned into clm_status below) rather
     * than aborting every rank from inside MPI. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    /* Nap in collectives when this node has more ranks than cores. */
    MPI_Comm node;
    int node_ranks = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &node_ranks);
        MPI_Comm_free(&node);
    }
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    share_cores(cores, node_ranks);
    const char *wait = getenv("CLMSEG_MPI_WAIT");
    napping = wait && !strcmp(wait, "sleep") ? 1
              : wait && !strcmp(wait, "spin") ? -1
                                              : cores > 0 && node_ranks > cores;
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
        return (comm_ctx){0, 1, 0};
    comm_ctx c = {0, 1, 0};
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

/* How a rank waits inside a collective.  MPI's blocking calls spin the
 * core until the others arrive; when the node has more ranks than cores
 * (oversubscribed, as in the tests and bench_mpi), the spinning rank takes
 * the core from the rank it waits for and counts as CPU time.  Then every
 * collective is started non-blocking and polled with 50 µs naps.  With a
 * core each, a rank spins for SPIN_SECONDS (ranks that arrive together
 * finish in microseconds) and then naps: a long wait, for a rank that
 * computes alone (rank 0's steps of the run), burns no core.
 * CLMSEG_MPI_WAIT=spin|sleep overrides the choice made in comm_init
 * (`napping`): spin for MPI_Wait, sleep for naps from the start. */

/* How long a rank with a core of its own spins before it naps: ranks
 * that arrive together finish within it, and a rank that waits longer
 * burns no more than this per wait.  A millisecond cost the run on 2
 * ranks of 2 cores about 0.3 CPU-s (its relays and agreements wait
 * hundreds of times while another rank computes), 20 µs none of it, with
 * the same wall time (docs/scaling.md). */
#define SPIN_SECONDS 20e-6

/* Polls `request` to its end, sleeping `nap_ns` between polls. */
static int finish_napping(MPI_Request *request, long nap_ns)
{
    const struct timespec nap = {0, nap_ns};
    for (;;) {
        int done = 0, rc = MPI_Test(request, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || done)
            return rc;
        nanosleep(&nap, NULL);
    }
}

static int finish(MPI_Request *request)
{
    if (napping > 0)
        return finish_napping(request, 50000);
    if (napping < 0)
        return MPI_Wait(request, MPI_STATUS_IGNORE);
    const double until = util_now() + SPIN_SECONDS;
    for (;;) {
        int done = 0, rc = MPI_Test(request, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || done)
            return rc;
        if (util_now() > until)
            return finish_napping(request, 50000);
    }
}

/* The blocking collectives this file uses, as their non-blocking forms
 * finished by finish(): the same arguments, the same results. */
static int allreduce(const void *send, void *recv, int n, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Iallreduce(send, recv, n, type, op, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int bcast(void *buf, int n, MPI_Datatype type, int root, MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Ibcast(buf, n, type, root, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int gather(const void *send, int ns, MPI_Datatype st, void *recv, int nr, MPI_Datatype rt,
                  int root, MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Igather(send, ns, st, recv, nr, rt, root, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int gatherv(const void *send, int ns, MPI_Datatype st, void *recv, const int *counts,
                   const int *displs, MPI_Datatype rt, int root, MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Igatherv(send, ns, st, recv, counts, displs, rt, root, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int allgather(const void *send, int ns, MPI_Datatype st, void *recv, int nr, MPI_Datatype rt,
                     MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Iallgather(send, ns, st, recv, nr, rt, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int allgatherv(const void *send, int ns, MPI_Datatype st, void *recv, const int *counts,
                      const int *displs, MPI_Datatype rt, MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Iallgatherv(send, ns, st, recv, counts, displs, rt, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int alltoallv(const void *send, const int *sn, const int *sd, MPI_Datatype st, void *recv,
                     const int *rn, const int *rd, MPI_Datatype rt, MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Ialltoallv(send, sn, sd, st, recv, rn, rd, rt, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int alltoall(const void *send, int ns, MPI_Datatype st, void *recv, int nr, MPI_Datatype rt,
                    MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Ialltoall(send, ns, st, recv, nr, rt, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int send_to(const void *buf, int n, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
    MPI_Request q;
    int rc = MPI_Isend(buf, n, type, dest, tag, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

static int receive_from(void *buf, int n, MPI_Datatype type, int source, int tag, MPI_Comm comm,
                        MPI_Status *status)
{
    (void)status;
    MPI_Request q;
    int rc = MPI_Irecv(buf, n, type, source, tag, comm, &q);
    return rc == MPI_SUCCESS ? finish(&q) : rc;
}

/* Books one collective call of `bytes` payload begun at util_now() t0. */
static void account(comm_op op, double bytes, double t0)
{
    traffic.calls[op]++;
    traffic.bytes[op] += (int64_t)bytes;
    traffic.seconds[op] += util_now() - t0;
}

static clm_status gather_figures(const comm_ctx *c, const double *mine, double *all)
{
    if (!comm_is_parallel(c)) {
        if (!all)
            return clm_error(CLM_E_NOMEM, "out of memory for the rank statistics");
        memcpy(all, mine, sizeof(double) * N_FIGURES);
        return CLM_OK;
    }
    int ok = c->rank != 0 || all;
    int rc = bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS && !ok)
        return clm_error(CLM_E_NOMEM, "out of memory for the rank statistics");
    if (rc == MPI_SUCCESS)
        rc = gather(mine, N_FIGURES, MPI_DOUBLE, all, N_FIGURES, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("gathering the rank statistics", rc);
}

/* One element of elem_bytes as an MPI type, so that counts are in
 * elements (far below INT_MAX) however large the elements are. */
static int element_type(size_t elem_bytes, MPI_Datatype *type)
{
    int rc = MPI_Type_contiguous((int)elem_bytes, MPI_BYTE, type);
    return rc == MPI_SUCCESS ? MPI_Type_commit(type) : rc;
}

/* MPI_Allgatherv in place of elements of elem_bytes: rank r's counts[r]
 * elements at element displs[r] of buf, onto every rank. */
static int allgather_in_place(void *buf, int *counts, int *displs, size_t elem_bytes)
{
    MPI_Datatype elem;
    int rc = element_type(elem_bytes, &elem);
    if (rc == MPI_SUCCESS) {
        rc = allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, elem,
                            MPI_COMM_WORLD);
        MPI_Type_free(&elem);
    }
    return rc;
}

clm_status comm_share_chunks(const comm_ctx *c, void *parts, size_t chunk_bytes,
                             int64_t n_chunks)
{
    if (!comm_is_parallel(c) || n_chunks == 0 || chunk_bytes == 0)
        return CLM_OK;
    const double t0 = util_now();
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
    int rc = allgather_in_place(parts, counts, displs, chunk_bytes);
    account(COMM_OP_SHARE_CHUNKS, (double)n_chunks * (double)chunk_bytes, t0);
    free(counts);
    free(displs);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("gathering the chunk partials", rc);
}

clm_status comm_sum_i64(const comm_ctx *c, int64_t *values, int n)
{
    if (!comm_is_parallel(c) || n == 0)
        return CLM_OK;
    const double t0 = util_now();
    int rc = allreduce(MPI_IN_PLACE, values, n, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    account(COMM_OP_SUM_I64, 8.0 * n, t0);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("summing counts", rc);
}

clm_status comm_bcast(const comm_ctx *c, void *buf, size_t bytes, int root)
{
    if (!comm_is_parallel(c) || bytes == 0)
        return CLM_OK;
    if (bytes > 0x7fffffff)
        return clm_error(CLM_E_INTERNAL, "MPI: %zu bytes are too many to broadcast", bytes);
    const double t0 = util_now();
    int rc = bcast(buf, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD);
    account(COMM_OP_BCAST, (double)bytes, t0);
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
    const double t0 = util_now();
    int mine = (int)n_local;
    int *counts = c->rank == 0 ? malloc(sizeof(int) * (size_t)c->size) : NULL;
    int *displs = c->rank == 0 ? malloc(sizeof(int) * (size_t)c->size) : NULL;
    int ok = c->rank != 0 || (counts && displs);
    /* Every rank learns whether rank 0 could allocate, so none waits in
     * the gather below for a root that has given up. */
    int rc = bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS || !ok) {
        free(counts);
        free(displs);
        return rc != MPI_SUCCESS ? mpi_failed("gathering rows", rc)
                                 : clm_error(CLM_E_NOMEM, "MPI: out of memory gathering rows");
    }
    rc = gather(&mine, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
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
        rc = element_type(elem_bytes, &elem);
    if (rc == MPI_SUCCESS) {
        /* Rank 0's rows may already sit in place (local == all): MPI
         * forbids the aliased buffers, MPI_IN_PLACE says the same. */
        const void *send = c->rank == 0 && local == all ? MPI_IN_PLACE : local;
        rc = gatherv(send, mine, elem, all, counts, displs, elem, 0, MPI_COMM_WORLD);
        MPI_Type_free(&elem);
    }
    account(COMM_OP_GATHER_ROWS, (double)(c->rank == 0 ? n_all : n_local) * (double)elem_bytes, t0);
    free(counts);
    free(displs);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("gathering rows", rc);
}

clm_status comm_max_i64(const comm_ctx *c, int64_t *values, int n)
{
    if (!comm_is_parallel(c) || n == 0)
        return CLM_OK;
    const double t0 = util_now();
    int rc = allreduce(MPI_IN_PLACE, values, n, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    account(COMM_OP_MAX_I64, 8.0 * n, t0);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("taking maxima", rc);
}

clm_status comm_allgather_bytes(const comm_ctx *c, const void *mine, size_t bytes, void **all,
                                size_t *all_bytes)
{
    *all = NULL;
    *all_bytes = 0;
    if (!comm_is_parallel(c))
        return copy_bytes(mine, bytes, all, all_bytes);
    const double t0 = util_now();
    int64_t *sizes = calloc((size_t)c->size, sizeof *sizes);
    int *counts = malloc(sizeof(int) * (size_t)c->size);
    int *displs = malloc(sizeof(int) * (size_t)c->size);
    int ok = sizes && counts && displs;
    /* Every rank learns the sizes and whether all could allocate, so none
     * waits below for a rank that gave up. */
    if (ok)
        sizes[c->rank] = (int64_t)bytes;
    int rc = allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS && ok)
        rc = allreduce(MPI_IN_PLACE, sizes, c->size, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    clm_status st = rc != MPI_SUCCESS ? mpi_failed("gathering sizes", rc)
                    : ok             ? CLM_OK
                                     : clm_error(CLM_E_NOMEM, "MPI: out of memory gathering");
    int64_t total = 0;
    for (int r = 0; !st && r < c->size; r++) {
        displs[r] = (int)total;
        counts[r] = (int)sizes[r];
        total += sizes[r];
        if (total > 0x7fffffff)
            st = clm_error(CLM_E_INTERNAL, "MPI: %lld bytes are too many to gather",
                           (long long)total);
    }
    /* The same total on every rank: all fail or none does. */
    void *out = st ? NULL : malloc((size_t)(total ? total : 1));
    if (!st) {
        ok = out != NULL;
        rc = allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        st = rc != MPI_SUCCESS ? mpi_failed("gathering", rc)
             : ok             ? CLM_OK
                              : clm_error(CLM_E_NOMEM, "MPI: out of memory gathering %lld bytes",
                                          (long long)total);
    }
    if (!st) {
        rc = allgatherv(mine, (int)bytes, MPI_BYTE, out, counts, displs, MPI_BYTE,
                            MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            st = mpi_failed("gathering", rc);
    }
    free(sizes);
    free(counts);
    free(displs);
    account(COMM_OP_ALLGATHER_BYTES, (double)total, t0);
    if (st) {
        free(out);
        return st;
    }
    *all = out;
    *all_bytes = (size_t)total;
    return CLM_OK;
}

clm_status comm_relay_receive(const comm_ctx *c, void *buf, size_t bytes)
{
    if (!comm_is_parallel(c) || c->rank == 0 || bytes == 0)
        return CLM_OK;
    if (bytes > 0x7fffffff)
        return clm_error(CLM_E_INTERNAL, "MPI: %zu bytes are too many to relay", bytes);
    const double t0 = util_now();
    int rc = receive_from(buf, (int)bytes, MPI_BYTE, c->rank - 1, 0, MPI_COMM_WORLD,
                      MPI_STATUS_IGNORE);
    account(COMM_OP_RELAY, (double)bytes, t0);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("relaying", rc);
}

clm_status comm_relay_pass(const comm_ctx *c, const void *buf, size_t bytes)
{
    if (!comm_is_parallel(c) || bytes == 0)
        return CLM_OK;
    if (bytes > 0x7fffffff)
        return clm_error(CLM_E_INTERNAL, "MPI: %zu bytes are too many to relay", bytes);
    const double t0 = util_now();
    int rc = MPI_SUCCESS;
    if (c->rank < c->size - 1)
        rc = send_to(buf, (int)bytes, MPI_BYTE, c->rank + 1, 0, MPI_COMM_WORLD);
    account(COMM_OP_RELAY, (double)bytes, t0);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("relaying", rc);
}

clm_status comm_relay_send(const comm_ctx *c, void *buf, size_t bytes)
{
    clm_status st = comm_relay_pass(c, buf, bytes);
    /* The last rank's sums are the total. */
    return st || !comm_is_parallel(c) || bytes == 0 ? st : comm_bcast(c, buf, bytes, c->size - 1);
}

clm_status comm_share_rows(const comm_ctx *c, void *all, int64_t n_local, size_t elem_bytes,
                           int64_t n_all)
{
    if (!comm_is_parallel(c) || elem_bytes == 0)
        return CLM_OK;
    if (n_all > 0x7fffffff || elem_bytes > 0x7fffffff)
        return clm_error(CLM_E_INTERNAL, "MPI: %lld rows are too many to share", (long long)n_all);
    const double t0 = util_now();
    int *counts = malloc(sizeof(int) * (size_t)c->size);
    int *displs = malloc(sizeof(int) * (size_t)c->size);
    if (!counts || !displs) {
        free(counts);
        free(displs);
        return clm_error(CLM_E_NOMEM, "MPI: out of memory sharing rows");
    }
    int mine = (int)n_local;
    int rc = allgather(&mine, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    int64_t at = 0;
    for (int r = 0; rc == MPI_SUCCESS && r < c->size; r++) {
        displs[r] = (int)at;
        at += counts[r];
    }
    if (rc == MPI_SUCCESS && at != n_all)
        rc = MPI_ERR_COUNT;
    if (rc == MPI_SUCCESS)
        rc = allgather_in_place(all, counts, displs, elem_bytes);
    free(counts);
    free(displs);
    account(COMM_OP_SHARE_ROWS, (double)n_all * (double)elem_bytes, t0);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("sharing rows", rc);
}

/* The overlap of [a0, a1) and [b0, b1): its start, and its length (>= 0). */
static int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1, int64_t *start)
{
    *start = a0 > b0 ? a0 : b0;
    const int64_t end = a1 < b1 ? a1 : b1;
    return end > *start ? end - *start : 0;
}

clm_status comm_recut_rows(const comm_ctx *c, const void *local, int64_t n_local,
                           size_t elem_bytes, void *out, int64_t n_out)
{
    if (!comm_is_parallel(c))
        return recut_one_rank(local, n_local, elem_bytes, out, n_out);
    if (n_local > 0x7fffffff || n_out > 0x7fffffff || elem_bytes > 0x7fffffff)
        return clm_error(CLM_E_INTERNAL, "MPI: %lld rows are too many to re-cut",
                         (long long)(n_local > n_out ? n_local : n_out));
    const int size = c->size;
    const double t0 = util_now();
    int64_t *shares = malloc(sizeof(int64_t) * 2 * (size_t)size);
    int *counts = malloc(sizeof(int) * 4 * (size_t)size);
    if (!shares || !counts) {
        free(shares);
        free(counts);
        return clm_error(CLM_E_NOMEM, "MPI: out of memory re-cutting rows");
    }
    int *send_n = counts, *send_at = counts + size, *recv_n = counts + 2 * size,
        *recv_at = counts + 3 * size;
    const int64_t mine[2] = {n_local, n_out};
    int rc = allgather(mine, 2, MPI_INT64_T, shares, 2, MPI_INT64_T, MPI_COMM_WORLD);
    /* Where this rank's rows sit in the old cut and in the new one. */
    int64_t old0 = 0, new0 = 0, old_total = 0, new_total = 0;
    for (int r = 0; r < size; r++) {
        if (r == c->rank) {
            old0 = old_total;
            new0 = new_total;
        }
        old_total += shares[2 * r];
        new_total += shares[2 * r + 1];
    }
    if (rc == MPI_SUCCESS && old_total != new_total)
        rc = MPI_ERR_COUNT; /* the same on every rank: all return it */
    int64_t o = 0, q = 0;
    for (int r = 0; rc == MPI_SUCCESS && r < size; r++) {
        int64_t start;
        /* What goes to rank r: my old rows inside its new share; what
         * comes from it: its old rows inside my new share. */
        send_n[r] = (int)overlap(old0, old0 + n_local, q, q + shares[2 * r + 1], &start);
        send_at[r] = (int)(start - old0);
        recv_n[r] = (int)overlap(new0, new0 + n_out, o, o + shares[2 * r], &start);
        recv_at[r] = (int)(start - new0);
        o += shares[2 * r];
        q += shares[2 * r + 1];
    }
    MPI_Datatype elem;
    if (rc == MPI_SUCCESS)
        rc = element_type(elem_bytes, &elem);
    if (rc == MPI_SUCCESS) {
        rc = alltoallv(local, send_n, send_at, elem, out, recv_n, recv_at, elem,
                           MPI_COMM_WORLD);
        MPI_Type_free(&elem);
    }
    free(shares);
    free(counts);
    account(COMM_OP_RECUT_ROWS, (double)(n_local + n_out) * (double)elem_bytes, t0);
    return rc == MPI_SUCCESS ? CLM_OK : mpi_failed("re-cutting rows", rc);
}

/* The int counts and displacements of comm_exchange_rows (elements):
 * `n` (size entries) and their running sums at `at`.  0 when some count
 * or the total passes MPI's int counts. */
static int exchange_counts(const int64_t *n, int size, int *counts, int *at, int64_t *total)
{
    *total = 0;
    for (int r = 0; r < size; r++) {
        counts[r] = (int)n[r];
        at[r] = (int)*total;
        *total += n[r];
        if (*total > 0x7fffffff)
            return 0;
    }
    return 1;
}

clm_status comm_exchange_rows(const comm_ctx *c, const void *send, const int64_t *send_n,
                              size_t elem_bytes, void **recv, int64_t *n_recv)
{
    *recv = NULL;
    *n_recv = 0;
    if (!comm_is_parallel(c))
        return exchange_one_rank(send, send_n[0], elem_bytes, recv, n_recv);
    const int size = c->size;
    const double t0 = util_now();
    int64_t *recv_n = malloc(sizeof(int64_t) * (size_t)size);
    int *counts = malloc(sizeof(int) * 4 * (size_t)size);
    /* Every rank learns whether all could allocate, so none waits below
     * for a rank that gave up. */
    int ok = recv_n && counts;
    int rc = allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    clm_status st = rc != MPI_SUCCESS ? mpi_failed("exchanging rows", rc)
                    : ok             ? CLM_OK
                                     : clm_error(CLM_E_NOMEM, "MPI: out of memory exchanging rows");
    if (!st) {
        rc = alltoall(send_n, 1, MPI_INT64_T, recv_n, 1, MPI_INT64_T, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            st = mpi_failed("exchanging row counts", rc);
    }
    int *sn = NULL, *s_at = NULL, *rn = NULL, *r_at = NULL;
    int64_t n_sent = 0, n_got = 0;
    void *out = NULL;
    if (!st) {
        sn = counts;
        s_at = sn + size;
        rn = s_at + size;
        r_at = rn + size;
        const int fits = elem_bytes <= 0x7fffffff &&
                         exchange_counts(send_n, size, sn, s_at, &n_sent) &&
                         exchange_counts(recv_n, size, rn, r_at, &n_got);
        out = fits ? malloc((size_t)(n_got ? n_got : 1) * elem_bytes) : NULL;
        /* The largest count of a rank that does not fit, and whether some
         * rank could not allocate: the same status and message on all. */
        const int64_t most = n_sent > n_got ? n_sent : n_got;
        int64_t worst[2] = {fits ? 0 : (most > 0 ? most : 1), fits && !out};
        rc = allreduce(MPI_IN_PLACE, worst, 2, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
        st = rc != MPI_SUCCESS ? mpi_failed("exchanging rows", rc)
             : worst[0]       ? clm_error(CLM_E_INTERNAL, "MPI: %lld rows are too many to exchange",
                                          (long long)worst[0])
             : worst[1]       ? clm_error(CLM_E_NOMEM, "MPI: out of memory exchanging rows")
                              : CLM_OK;
    }
    MPI_Datatype elem;
    if (!st && (rc = element_type(elem_bytes, &elem)) != MPI_SUCCESS)
        st = mpi_failed("exchanging rows", rc);
    if (!st) {
        rc = alltoallv(send, sn, s_at, elem, out, rn, r_at, elem, MPI_COMM_WORLD);
        MPI_Type_free(&elem);
        if (rc != MPI_SUCCESS)
            st = mpi_failed("exchanging rows", rc);
    }
    free(recv_n);
    free(counts);
    account(COMM_OP_EXCHANGE_ROWS, (double)(n_sent + n_got) * (double)elem_bytes, t0);
    if (st) {
        free(out);
        return st;
    }
    *recv = out;
    *n_recv = n_got;
    return CLM_OK;
}

/* Rank 0's *value to every rank; the others poll a non-blocking broadcast
 * and sleep between polls (comm_wait_root). */
static int lazy_bcast_int(int *value, int is_root)
{
    const double t0 = util_now();
    MPI_Request request;
    int rc = MPI_Ibcast(value, 1, MPI_INT, 0, MPI_COMM_WORLD, &request);
    /* Rank 0 is the one working; the others nap 0.2 ms between polls: far
     * below any step's length, far above the cost of a poll. */
    if (rc == MPI_SUCCESS)
        rc = is_root ? MPI_Wait(&request, MPI_STATUS_IGNORE) : finish_napping(&request, 200000);
    account(COMM_OP_WAIT_ROOT, sizeof *value, t0);
    return rc;
}

clm_status comm_wait_root(const comm_ctx *c, clm_status status)
{
    if (!comm_is_parallel(c))
        return status;
    int code = c->rank == 0 ? (int)status : 0;
    int rc = lazy_bcast_int(&code, c->rank == 0);
    if (rc != MPI_SUCCESS)
        return mpi_failed("waiting for rank 0", rc);
    if (code == CLM_OK)
        return CLM_OK;
    /* A failure: rank 0's message goes to every rank. */
    return comm_agree(c, c->rank == 0 ? status : CLM_OK);
}

int comm_wait_root_code(const comm_ctx *c, int code)
{
    if (!comm_is_parallel(c))
        return code;
    return lazy_bcast_int(&code, c->rank == 0) == MPI_SUCCESS ? code : 2;
}

/* Longest detail message carried from a failing rank to the others. */
#define COMM_MESSAGE_BYTES 1024

clm_status comm_agree(const comm_ctx *c, clm_status status)
{
    if (!comm_is_parallel(c))
        return status;
    /* The lowest failing rank: each rank offers its own number if it
     * failed, the rank count otherwise. */
    const double t0 = util_now();
    int mine = status ? c->rank : c->size, lowest = c->size;
    int rc = allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    account(COMM_OP_AGREE, sizeof(int), t0);
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
    rc = bcast(&news, (int)sizeof news, MPI_BYTE, lowest, MPI_COMM_WORLD);
    traffic.bytes[COMM_OP_AGREE] += (int64_t)sizeof news;
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

clm_status comm_agree_first(const comm_ctx *c, clm_status status, int64_t key)
{
    /* The lowest key among the failing ranks (INT64_MAX: no failure), as
     * the maximum of the negated keys; the other failing ranks stand
     * down, and comm_agree picks the lowest rank among those left. */
    int64_t lowest = status ? -key : -INT64_MAX;
    clm_status st = comm_max_i64(c, &lowest, 1);
    if (st)
        return st;
    return comm_agree(c, status && -lowest == key ? status : CLM_OK);
}

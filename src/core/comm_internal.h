/*
 * comm_internal.h — the one communication layer of the multi-node build
 * (docs/design.md §7): who this process is among the ranks, which rows it
 * owns, and the few collectives the estimators combine their partials
 * with.  Every collective here gives the same bits for any rank count:
 * integer sums are exact in any order, and floating-point partials are
 * never summed by MPI — they are *gathered* per reduction chunk, in global
 * chunk order, and the caller adds them in that order exactly as the
 * serial code does (docs/design.md §13 rule 2).
 *
 * Built without CLMSEG_MPI (the serial build) every function is the
 * one-rank case: rank 0 of 1, owns every row, and the collectives do
 * nothing, so the serial build's behaviour and outputs are unchanged.
 *
 * Ranks split the rows by whole reduction chunks (the k-means chunk of
 * kmeans_internal.h), so each rank's chunks are the global chunks with the
 * same rows as in the serial run.  A rank may own no chunk at all (fewer
 * chunks than ranks); every collective still works with an empty share.
 *
 * Contract for callers: a collective must be reached by every rank.  A
 * step that can fail on one rank only (a read, a bad value) calls
 * comm_agree() before the next collective, so that all ranks leave
 * together with the same status and the same message.  A resource error
 * inside a pass, where the other ranks may already wait in a collective,
 * ends the job instead (comm_abort_unagreed).
 */
#ifndef CLMSEG_CORE_COMM_INTERNAL_H
#define CLMSEG_CORE_COMM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "clmseg/status.h"

/* This process among the ranks of MPI_COMM_WORLD (a value, no handle:
 * the communicator is always the world one in this increment). */
typedef struct comm_ctx {
    int rank;   /* 0 .. size-1; 0 also speaks for all (messages, files) */
    int size;   /* number of ranks, 1 in the serial build or without mpirun */
    int root_share; /* rank 0's share of the chunks, in thousandths of
                       another rank's (comm_chunks_of); 0: an equal one */
} comm_ctx;

/* Starts MPI (thread level FUNNELED: only the main thread communicates,
 * OpenMP threads compute between calls) when a launcher started the
 * process (mpirun, mpiexec, srun: their environment variables, or
 * CLMSEG_MPI_INIT=1); started by hand the program is one rank without
 * MPI.  Serial build: nothing.  Returns 0, or -1 when MPI cannot start
 * (a message is printed). */
int comm_init(int *argc, char ***argv);

/* Ends MPI when comm_init started it.  Serial build: nothing. */
void comm_finalize(void);

/* The calling process's rank and the rank count (0 of 1 when MPI is not
 * running). */
comm_ctx comm_world(void);

/* Sends the standard output and error of every rank but 0 to /dev/null:
 * every agreed failure is printed by rank 0 alone, which also writes the
 * outputs.  The rank's own stderr is kept for comm_abort.  Serial build
 * (or one rank): nothing. */
void comm_quiet_other_ranks(void);

/* For a failure the other ranks cannot learn of because they may already
 * wait in a collective: a resource or internal error (`status` <=
 * CLM_E_NOMEM: out of memory, an MPI failure) inside a pass.  On several
 * ranks it prints this rank's detail message on its own stderr and ends
 * every rank (MPI_Abort) with exit code 2.  It returns for every other
 * status: input errors inside the passes are the same on every rank
 * (they are computed from shared figures) or already agreed.  On one
 * rank it always returns. */
void comm_abort_unagreed(const comm_ctx *c, clm_status status);

/* 1 when this is a run on more than one rank. */
static inline int comm_is_parallel(const comm_ctx *c)
{
    return c && c->size > 1;
}

/* Chunks [*first, *first + *count) of rank `rank` among n_chunks: the
 * chunks are cut into `size` contiguous runs whose lengths differ by at
 * most one, the longer runs first.  With c->root_share set (a caller
 * whose rank 0 has work of its own besides its rows: the quarterly run),
 * rank 0's run is that many thousandths of another's, rounded down, when
 * that still leaves it a chunk.  Pure arithmetic, the same on every
 * rank. */
void comm_chunks_of(const comm_ctx *c, int rank, int64_t n_chunks, int64_t *first,
                    int64_t *count);

/* The rows [*first, *first + *count) of this rank when n_rows rows are cut
 * into chunks of chunk_rows rows (the last one shorter) and the chunks
 * split as comm_chunks_of does.  A rank without a chunk gets the empty
 * range at the end (*first = n_rows).  NULL `c`: every row. */
void comm_rows_of(const comm_ctx *c, int64_t n_rows, int64_t chunk_rows, int64_t *first,
                  int64_t *count);

/* The rank that owns chunk `chunk` of n_chunks (the inverse of the above). */
/* comm_rows_of in whole units of `unit` rows, or in whole groups of
 * `align` rows (a multiple of `unit`: a file's chunks) when there are at
 * least as many groups as ranks, so that no two ranks read one chunk of
 * the file.  For an estimator whose results do not depend on where the
 * ranks' rows start, only on the units being whole. */
void comm_rows_aligned(const comm_ctx *c, int64_t n_rows, int64_t unit, int64_t align,
                       int64_t *first, int64_t *count);

int comm_chunk_owner(const comm_ctx *c, int64_t chunk, int64_t n_chunks);

/* Fills in every rank's share of `parts` (n_chunks partials of
 * `chunk_bytes` bytes, in global chunk order): on entry this rank's own
 * chunks hold its partials, on return all n_chunks do, on every rank.
 * CLM_E_INTERNAL when the sizes do not fit MPI's int counts. */
clm_status comm_share_chunks(const comm_ctx *c, void *parts, size_t chunk_bytes,
                             int64_t n_chunks);

/* values[0..n) summed over the ranks, in place, exactly (integers). */
clm_status comm_sum_i64(const comm_ctx *c, int64_t *values, int n);

/* The `bytes` at buf of rank `root` copied to every rank. */
clm_status comm_bcast(const comm_ctx *c, void *buf, size_t bytes, int root);

/* Rank 0 gets every rank's rows: `local` (n_local elements of elem_bytes)
 * of rank r lands at element offset first_r of `all` (n_all elements,
 * only used on rank 0, may be NULL elsewhere), where the ranks' rows are
 * contiguous and in rank order.  Rank 0's `local` may be `all` itself
 * (its rows are the first ones, already in place).  In the serial build
 * `all` receives a copy unless it is `local` itself. */
clm_status comm_gather_rows(const comm_ctx *c, const void *local, int64_t n_local,
                            size_t elem_bytes, void *all, int64_t n_all);

/* values[0..n) replaced by their maxima over the ranks, in place (exact:
 * integers; a minimum is the maximum of the negated values). */
clm_status comm_max_i64(const comm_ctx *c, int64_t *values, int n);

/* Every rank's `bytes` bytes at `mine`, concatenated in rank order, into a
 * new buffer *all (free it; at least one byte) of *all_bytes bytes, on
 * every rank: an allgatherv of variable-size buffers, for aggregates whose
 * size depends on the rank's rows (distinct keys, sparse counts).
 * CLM_E_NOMEM, or CLM_E_INTERNAL when the total does not fit MPI's int
 * counts.  Serial build: a copy of `mine`. */
clm_status comm_allgather_bytes(const comm_ctx *c, const void *mine, size_t bytes, void **all,
                                size_t *all_bytes);

/* The relay, for a running floating-point sum that must see the rows in
 * table order (a sum that cannot be cut into partials without changing
 * the serial run's bits): comm_relay_receive waits for the `bytes` at buf
 * that rank - 1 passes on (rank 0 returns at once, buf as it is), the rank
 * continues the sum over its own rows, and comm_relay_send passes buf on
 * to rank + 1, then gives every rank the last rank's buf: the sum over
 * all rows.  Ranks work one after the other: only for sums cheap next to
 * the rest of the pass.  Serial build: nothing. */
clm_status comm_relay_receive(const comm_ctx *c, void *buf, size_t bytes);
clm_status comm_relay_send(const comm_ctx *c, void *buf, size_t bytes);

/* comm_relay_send without the broadcast: buf goes on to rank + 1 (the
 * last rank keeps it).  For a relay cut into batches that pipeline over
 * the ranks (the Cox cell sums, cox_eval.c): rank r works on batch b
 * while rank r + 1 works on batch b - 1, and only the last rank needs the
 * totals.  Serial build: nothing. */
clm_status comm_relay_pass(const comm_ctx *c, const void *buf, size_t bytes);

/* Every rank gets every rank's rows, in place: the ranks' rows follow one
 * another in rank order in `all` (n_all elements of elem_bytes over the
 * ranks); on entry this rank's n_local sit at their place (after the rows
 * of the ranks before it), on return all n_all do, on every rank.  For
 * small sets that every rank needs whole (k-means|| candidates, the
 * silhouette sample).  Serial build: nothing. */
clm_status comm_share_rows(const comm_ctx *c, void *all, int64_t n_local, size_t elem_bytes,
                           int64_t n_all);

/* Re-cuts rows held contiguously in rank order: this rank holds n_local
 * of them at `local` and is to hold n_out of them at `out` (the ranks'
 * new shares again contiguous in rank order, over the same rows), so
 * that rank r gets the rows after those of ranks 0..r-1 in the new cut.
 * For rows whose count is known only after reading them (the kept rows
 * of --missing drop), to put them on the chunk grid of their own count.
 * CLM_E_INTERNAL when the shares do not add up.  Serial build: a copy. */
clm_status comm_recut_rows(const comm_ctx *c, const void *local, int64_t n_local,
                           size_t elem_bytes, void *out, int64_t n_out);

/* Moves rows to the ranks chosen for them: this rank's rows at `send`
 * (elements of elem_bytes) are grouped by destination in rank order,
 * send_n[r] of them for rank r (c->size entries); rank r receives, into
 * a new buffer *recv (free it; at least one element) of *n_recv
 * elements, the rows every rank sent it, in the senders' rank order.
 * For rows redistributed by value (the Cox concordance sends each row to
 * the rank owning its range of the linear predictor): an MPI_Alltoallv.
 * Every rank returns the same status: CLM_E_NOMEM, or CLM_E_INTERNAL
 * when some rank's rows do not fit MPI's int counts.  Serial build (or
 * one rank): a copy of the send_n[0] rows. */
clm_status comm_exchange_rows(const comm_ctx *c, const void *send, const int64_t *send_n,
                              size_t elem_bytes, void **recv, int64_t *n_recv);

/* A step only rank 0 runs (the other ranks have nothing to add to it):
 * every rank calls this after it, rank 0 with the step's status, and all
 * return that status (with rank 0's message).  The other ranks wait
 * without spinning: they poll a non-blocking broadcast and sleep between
 * polls (a blocking MPI wait spins a core at 100%, which on a node shared
 * with rank 0's threads would slow rank 0 and count as CPU time).
 * Serial build: returns `status`. */
clm_status comm_wait_root(const comm_ctx *c, clm_status status);

/* The same for an exit code: rank 0's `code` to every rank, the others
 * waiting asleep.  On a failure of the collective itself: 2. */
int comm_wait_root_code(const comm_ctx *c, int code);

/* The error agreement: every rank passes its own status; all return the
 * same one.  When some rank failed, the lowest failing rank's status and
 * detail message (clm_error_detail) become every rank's, so rank 0 can
 * print the one message.  The lowest failing rank owns the lowest rows,
 * so a bad value is reported at the first bad global row, as in a serial
 * run.  Serial build: returns `status` as it is. */
clm_status comm_agree(const comm_ctx *c, clm_status status);

/* What the collectives have cost this rank so far: per kind of collective,
 * the calls, the payload bytes this rank sent or received, and the wall
 * seconds spent inside them (waiting for slower ranks included).  The
 * serial build counts nothing. */
typedef enum comm_op {
    COMM_OP_SHARE_CHUNKS, COMM_OP_SUM_I64, COMM_OP_MAX_I64, COMM_OP_BCAST, COMM_OP_GATHER_ROWS,
    COMM_OP_ALLGATHER_BYTES, COMM_OP_SHARE_ROWS, COMM_OP_RECUT_ROWS, COMM_OP_EXCHANGE_ROWS, COMM_OP_RELAY,
    COMM_OP_AGREE, COMM_OP_WAIT_ROOT, COMM_N_OPS
} comm_op;
extern const char *const comm_op_names[COMM_N_OPS]; /* "share_chunks", ... */

typedef struct comm_traffic {
    int64_t calls[COMM_N_OPS];
    int64_t bytes[COMM_N_OPS];
    double seconds[COMM_N_OPS];
} comm_traffic;

void comm_traffic_get(comm_traffic *out);

/* Reads a rank took part in collectively (io/table_ranks.c books each
 * one): how many HDF5 made collective (H5Pget_mpio_actual_io_mode), how
 * many it turned into independent reads, and how many did not start and
 * end on the file's chunk boundaries (the end of the table counts as
 * one).  Reported by comm_write_rank_stats as "reads". */
void comm_count_read(int collective, int aligned);
/* One per-row column this rank wrote its `rows` of (io/rank_rows.c):
 * reported by comm_write_rank_stats as "writes" (columns, rows). */
void comm_count_write(int64_t rows);
/* A step held `rows` of the table's rows on this rank (the run's steps of
 * every rank, run_keep_rows): the most of them is reported by
 * comm_write_rank_stats as "held_rows" (0: not noted), which bench_mpi
 * sets each rank's peak memory beside. */
void comm_note_rows(int64_t rows);

/* Rank accounting for benchmarks (bench/bench_mpi, docs/scaling.md): every
 * rank's CPU seconds (user + system, all its threads) and those it had
 * taken when comm_init returned (its start: loading and MPI_Init), wall
 * seconds since comm_init, peak resident memory and collective traffic, gathered to rank
 * 0, which writes one JSON line per rank to `path` (through a temporary
 * file and a rename).  A collective: every rank calls it.  main() calls it
 * at the end of a command when CLMSEG_RANK_STATS names a file.  The serial
 * build writes the one line of its one rank. */
clm_status comm_write_rank_stats(const comm_ctx *c, const char *path, const char *command);

/* comm_agree for failures ranked by a key rather than by rank: the failing
 * rank with the lowest `key` (ties: the lowest rank) gives every rank its
 * status and message.  For a scan whose serial order is not row order
 * alone (one kind of error checked over a whole block before another). */
clm_status comm_agree_first(const comm_ctx *c, clm_status status, int64_t key);

/* The k[j]-th smallest (0-based, j < n_k <= COMM_SELECT_MAX) of the
 * non-NaN values among every rank's x[0..n), into out[j] on every rank,
 * exactly: the order is the values' bit order, so -0 comes just before
 * +0 and the result does not depend on the rank count or the rows' order
 * (src/core/rank_select.c).  Every k[j] must be below the number of
 * non-NaN values over the ranks (CLM_E_INTERNAL otherwise).  A
 * collective; every rank returns the same status.  Serial build or one
 * rank: the same selection on x alone. */
#define COMM_SELECT_MAX 4
clm_status comm_select_f32(const comm_ctx *c, const float *x, int64_t n, const int64_t *k, int n_k,
                           float *out);

#endif /* CLMSEG_CORE_COMM_INTERNAL_H */

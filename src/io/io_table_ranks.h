/*
 * io_table_ranks.h — an input table read by several MPI ranks at once,
 * each its own rows, in collective transfers (table_ranks.c,
 * docs/design.md §7).
 *
 * The rule for callers: a rank read is collective, so every rank makes the
 * same rank reads of the same columns in the same order, the same number
 * of times.  A loop over a rank's blocks runs io_rank_calls() times on
 * every rank; past its own rows, or once it has failed, a rank keeps
 * taking part with no rows (n_rows = 0) and ignores what it reads.
 *
 * So a table opened with io_table_open_ranks on several ranks is read by
 * rank reads only in code that runs on all of them: a step one rank runs
 * alone (rank 0's serial timing in clmseg bench) opens its own handle
 * with clm_table_open.
 *
 * In the serial build, on one rank, or for a table opened with
 * clm_table_open, each is the clm_table_read_* it names: the serial path
 * is unchanged.
 */
#ifndef CLMSEG_IO_TABLE_RANKS_H
#define CLMSEG_IO_TABLE_RANKS_H

#include <hdf5.h>

#include "clmseg/table.h"

struct comm_ctx;

/* A file access list for a file every rank opens: MPI-IO on several ranks,
 * the default driver otherwise (close it); H5I_INVALID_HID on failure. */
hid_t io_rank_fapl(const struct comm_ctx *c);

/* clm_table_open on every rank of `c`, collectively (the MPI-IO driver)
 * on several ranks, so that rank reads can be collective.  Every rank
 * opens the same file, and later closes it (H5Fclose is collective too)
 * at the same step.  The status is agreed. */
clm_status io_table_open_ranks(const struct comm_ctx *c, const char *path, const char *group,
                               clm_table **out);

/* Rows [row0, row0 + n_rows) of a column: clm_table_read_f32/_f64/_i32 and
 * clm_table_read_block_f32, the file read collective (see above). */
clm_status io_table_read_rank_f32(const clm_table *t, int column, int64_t row0, int64_t n_rows,
                                  float *out);
clm_status io_table_read_rank_f64(const clm_table *t, int column, int64_t row0, int64_t n_rows,
                                  double *out);
clm_status io_table_read_rank_i32(const clm_table *t, int column, int64_t row0, int64_t n_rows,
                                  int32_t *out);
clm_status io_table_read_rank_block_f32(const clm_table *t, const int *columns, int n_columns,
                                        int64_t row0, int64_t n_rows, float *out, float *scratch);

/* The largest of every rank's `mine` (a collective: an integer maximum):
 * how many rank reads a loop makes on every rank, when `mine` is this
 * rank's count of them; on one rank, `mine`. */
int64_t io_rank_calls(const struct comm_ctx *c, int64_t mine);

/* Call `call` of a loop of rank reads over rows [first, first + n) in
 * blocks of `block` rows: how many rows it reads (0 past them, or once
 * this rank has failed, when it takes part with none), and at *row0 the
 * row it starts at (first when it reads none). */
static inline int64_t io_rank_block(int64_t first, int64_t n, int64_t block, int64_t call, int failed,
                                    int64_t *row0)
{
    const int64_t at = call * block;
    const int64_t len = failed || at >= n ? 0 : n - at < block ? n - at : block;
    *row0 = len ? first + at : first;
    return len;
}

/* io_rank_calls for a loop over n_rows of a table in blocks of `block`
 * rows, over the ranks that opened the table: on a table opened with
 * io_table_open_ranks on several ranks a collective (so a model applied
 * to a rank's rows reads collectively without being told the ranks); on
 * any other table the loop's own count, with no communication. */
int64_t io_table_rank_calls(const clm_table *t, int64_t n_rows, int64_t block);

/* The rows of one HDF5 chunk of the listed columns, when they share one
 * chunk length; 0 when one is not chunked or they differ. */
int64_t io_table_chunk_rows(const clm_table *t, const int *columns, int n_columns);

#endif /* CLMSEG_IO_TABLE_RANKS_H */

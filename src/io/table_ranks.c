/*
 * table_ranks.c — a table read by several MPI ranks at once through
 * parallel HDF5 (docs/design.md §7): every rank opens the file with the
 * MPI-IO driver, and each reads its own rows of a column in one collective
 * transfer per call (io_table_ranks.h), so that MPI-IO can merge the
 * ranks' requests, and a rank reads whole chunks of the file when the
 * estimator's rank ranges are aligned to them (comm_rows_aligned).
 *
 * The hang to avoid is a collective call that one rank skips.  A rank
 * read is therefore exactly one collective H5Dread on every rank, whatever
 * happens on this one: it goes through the serial typed reads (the same
 * conversions and messages), whose one file read is made collective
 * (t->rank_read, table_read.c); when they fail before reaching it (a
 * conversion buffer not allocated) or need none (the column cache), the
 * rank takes part with an empty selection here.  What stays independent:
 * the table's metadata reads and every read through clm_table_read_*
 * (the bin-edge samples, the float32 range check, rank 0's profile).
 */
#include "core/comm_internal.h"
#include "io/io_internal.h"
#include "io/io_table_ranks.h"
#include "io/table_internal.h"

#ifdef CLMSEG_MPI
#include <mpi.h>
#endif

hid_t io_rank_fapl(const comm_ctx *c)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#ifdef CLMSEG_MPI
    if (fapl >= 0 && comm_is_parallel(c) && H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
#else
    (void)c;
#endif
    return fapl;
}

clm_status io_table_open_ranks(const comm_ctx *c, const char *path, const char *group,
                               clm_table **out)
{
    *out = NULL;
    if (!comm_is_parallel(c))
        return clm_table_open(path, group, out);
    /* H5Fopen is collective: a rank that cannot see the file must not
     * leave the others waiting in it. */
    clm_status st = comm_agree(c, io_table_check_path(path));
    if (st)
        return st;
    hid_t fapl = io_rank_fapl(c), dxpl = H5Pcreate(H5P_DATASET_XFER);
#ifdef CLMSEG_MPI
    if (dxpl >= 0 && H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0) {
        H5Pclose(dxpl);
        dxpl = H5I_INVALID_HID;
    }
#endif
    if (fapl < 0 || dxpl < 0)
        st = clm_error(CLM_E_HDF5, "%s: cannot set up parallel reads", path);
    else
        st = io_table_open_fapl(path, group, fapl, out);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (!st) {
        (*out)->rank_dxpl = dxpl;
        (*out)->rank_index = c->rank;
        (*out)->rank_count = c->size;
    }
    else if (dxpl >= 0)
        H5Pclose(dxpl);
    return comm_agree(c, st);
}

/* The rows of one chunk of the column's dataset; 0 when not chunked. */
static int64_t chunk_rows(hid_t dataset)
{
    hid_t dcpl = H5Dget_create_plist(dataset);
    hsize_t chunk[H5S_MAX_RANK] = {0};
    int64_t rows = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
                           H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk) >= 1
                       ? (int64_t)chunk[0]
                       : 0;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return rows;
}

int64_t io_table_chunk_rows(const clm_table *t, const int *columns, int n_columns)
{
    int64_t rows = 0;
    for (int j = 0; j < n_columns; j++) {
        if (columns[j] < 0 || columns[j] >= t->n_columns)
            continue;
        int64_t r = chunk_rows(t->columns[columns[j]].dataset);
        if (r == 0 || (rows && r != rows))
            return 0;
        rows = r;
    }
    return rows;
}

/* Where the collective read of a rank read starts and ends (set by
 * begin(), checked by io_note_rank_read). */
static int64_t read_row0, read_rows;

void io_note_rank_read(const clm_table *t, const table_column *c)
{
#ifdef CLMSEG_MPI
    H5D_mpio_actual_io_mode_t mode = H5D_MPIO_NO_COLLECTIVE;
    H5Pget_mpio_actual_io_mode(t->rank_dxpl, &mode);
    const int collective = mode != H5D_MPIO_NO_COLLECTIVE;
#else
    const int collective = 0;
#endif
    /* The rows start and end on the column's chunk boundaries, or at the
     * table's end. */
    const int64_t chunk = chunk_rows(c->dataset);
    const int64_t end = read_row0 + read_rows;
    const int aligned = read_rows == 0 || chunk == 0 ||
                        (read_row0 % chunk == 0 && (end % chunk == 0 || end == t->n_rows));
    comm_count_read(collective, aligned);
}

static void begin(const clm_table *t, int64_t row0, int64_t n_rows)
{
    read_row0 = row0;
    read_rows = n_rows;
    ((clm_table *)t)->rank_read = 1;
}

/* After the serial read: if it never reached its file read, this rank
 * takes part in the collective one with nothing.  A column index that
 * does not exist, or an unreadable column, is the same on every rank
 * (the same file): then no rank reads. */
static clm_status finish(const clm_table *t, int column, clm_status st)
{
    if (t->rank_read && column >= 0 && column < t->n_columns &&
        t->columns[column].info.kind != CLM_KIND_UNSUPPORTED) {
        read_rows = 0;
        double nothing;
        clm_status empty = io_read_rows(t, &t->columns[column], 0, 0, H5T_NATIVE_DOUBLE, &nothing);
        st = st ? st : empty;
    }
    ((clm_table *)t)->rank_read = 0;
    return st;
}

#define RANK_READ(name, serial, type)                                                      \
    clm_status name(const clm_table *t, int column, int64_t row0, int64_t n_rows, type *out) \
    {                                                                                     \
        if (t->rank_dxpl < 0)                                                             \
            return serial(t, column, row0, n_rows, out);                                  \
        begin(t, row0, n_rows);                                                           \
        return finish(t, column, serial(t, column, row0, n_rows, out));                   \
    }

RANK_READ(io_table_read_rank_f32, clm_table_read_f32, float)
RANK_READ(io_table_read_rank_f64, clm_table_read_f64, double)
RANK_READ(io_table_read_rank_i32, clm_table_read_i32, int32_t)

clm_status io_table_read_rank_block_f32(const clm_table *t, const int *columns, int n_columns,
                                        int64_t row0, int64_t n_rows, float *out, float *scratch)
{
    return io_read_block_f32(t, columns, n_columns, row0, n_rows, out, scratch,
                             t->rank_dxpl < 0 ? clm_table_read_f32 : io_table_read_rank_f32);
}

int64_t io_rank_calls(const comm_ctx *c, int64_t mine)
{
    /* MPI errors end the job (MPI_ERRORS_ARE_FATAL): the maximum is
     * every rank's. */
    comm_max_i64(c, &mine, 1);
    return mine;
}

int64_t io_table_rank_calls(const clm_table *t, int64_t n_rows, int64_t block)
{
    const int64_t mine = (n_rows + block - 1) / block;
    if (t->rank_dxpl < 0)
        return mine;
    const comm_ctx c = {t->rank_index, t->rank_count, 0};
    return io_rank_calls(&c, mine);
}

/*
 * rank_rows.c — the second phase of a results file whose per-row columns
 * are spread over the ranks (io_internal.h): every rank writes its own rows
 * into the file rank 0 has written and closed, through parallel HDF5 with
 * collective transfers, so that no rank ever holds another rank's rows.
 *
 * Why two phases rather than a file created in parallel: the serial writer
 * makes variable-length string datasets, which HDF5 1.10 cannot write in
 * parallel, and its own file driver, which records a failed write instead
 * of failing inside HDF5 (h5_driver.c); and a file created in parallel
 * equals the serial library's bytes only with early allocation, which the
 * serial writer does not use.  Overwriting raw data in chunks allocated
 * by the first phase changes no metadata (tested for 1-4 ranks).
 */
#include <string.h>

#include <hdf5.h>

#include "core/comm_internal.h"
#include "core/util_internal.h"
#include "io/io_internal.h"
#include "io/io_table_ranks.h"

/* The file opened for the rows: parallel (MPI-IO) on several ranks. */
static hid_t open_file(const comm_ctx *c, const char *path)
{
    hid_t fapl = io_rank_fapl(c);
    if (fapl < 0)
        return -1;
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    return file;
}

/* Rows [first, first + n) of one column; n may be 0 (an empty selection
 * still takes part in the collective write).  Whatever fails on this rank
 * before the write (the dataset, its extent, the selection) is agreed
 * first: a rank that left the collective write out would hang the others
 * inside it. */
static int write_column(const comm_ctx *c, hid_t file, hid_t dxpl, const io_rank_column *col,
                        int64_t first, int64_t n)
{
    hid_t dataset = H5Dopen2(file, col->dataset, H5P_DEFAULT);
    hid_t fspace = dataset >= 0 ? H5Dget_space(dataset) : -1;
    const int rank = col->width > 0 ? 2 : 1;
    hsize_t start[2] = {(hsize_t)first, 0}, count[2] = {(hsize_t)n, (hsize_t)col->width};
    hsize_t one[2] = {n > 0 ? (hsize_t)n : 1, (hsize_t)col->width}, extent[2] = {0, 0};
    hid_t mspace = H5Screate_simple(rank, one, NULL);
    int ok = dxpl >= 0 && fspace >= 0 && mspace >= 0 && H5Sget_simple_extent_ndims(fspace) == rank &&
             H5Sget_simple_extent_dims(fspace, extent, NULL) == rank && first >= 0 &&
             (hsize_t)(first + n) <= extent[0] && (rank == 1 || extent[1] == (hsize_t)col->width);
    if (ok && n > 0)
        ok = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) >= 0;
    else if (ok)
        ok = H5Sselect_none(fspace) >= 0 && H5Sselect_none(mspace) >= 0;
    ok = comm_agree(c, ok ? CLM_OK : CLM_E_IO) == CLM_OK;
    clm_error_clear();
    static const char empty[8] = {0};
    if (ok)
        ok = H5Dwrite(dataset, io_native_type(col->dtype), mspace, fspace, dxpl,
                      n > 0 ? col->data : empty) >= 0;
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    if (dataset >= 0)
        ok &= H5Dclose(dataset) >= 0;
    return ok ? 0 : -1;
}

clm_status io_write_rank_rows(const comm_ctx *c, const char *path, int64_t first_row,
                              int64_t n_rows, const io_rank_column *columns, int n_columns)
{
    char name[4096] = {0};
    if (c == NULL || c->rank == 0)
        snprintf(name, sizeof name, "%s", path ? path : "");
    clm_status st = comm_bcast(c, name, sizeof name, 0);
    if (st)
        return comm_agree(c, st);
    io_silence_hdf5();
    hid_t file = open_file(c, name);
    st = comm_agree(c, file < 0 ? clm_error(CLM_E_IO, "%s: cannot reopen the file to write the rows of every rank", name)
                                : CLM_OK);
    if (st) {
        if (file >= 0)
            H5Fclose(file);
        return st;
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
#ifdef CLMSEG_MPI
    if (dxpl >= 0 && comm_is_parallel(c))
        H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
#endif
    int failed = dxpl < 0;
    /* Every column on every rank, failed or not: each write is collective. */
    for (int i = 0; i < n_columns; i++) {
        if (write_column(c, file, dxpl, &columns[i], first_row, n_rows) < 0 && !failed) {
            failed = 1;
            st = clm_error(CLM_E_IO, "%s: cannot write rows %lld..%lld of '%s'", name,
                           (long long)first_row, (long long)(first_row + n_rows - 1),
                           columns[i].dataset);
        }
        comm_count_write(n_rows);
    }
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (H5Fclose(file) < 0 && !st)
        st = clm_error(CLM_E_IO, "%s: cannot finish writing the rows", name);
    if (!st && failed)
        st = clm_error(CLM_E_IO, "%s: cannot write the rows", name);
    return comm_agree(c, st);
}

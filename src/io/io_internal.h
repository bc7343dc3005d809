/*
 * io_internal.h — private pieces shared by the HDF5 reader and writers:
 * dtype <-> HDF5 type mapping, error-stack silencing, and the registry of
 * temporary output files.
 */
#ifndef CLMSEG_IO_INTERNAL_H
#define CLMSEG_IO_INTERNAL_H

#include <hdf5.h>

#include "clmseg/table.h"

/* Turns off HDF5's automatic error printing: clmseg reports its own
 * messages naming file, column and row.  Idempotent. */
void clm_io_silence_hdf5(void);

/* Native HDF5 memory type of a numeric dtype (not a copy: do not close);
 * H5I_INVALID_HID for string/other. */
hid_t clm_io_native_type(clm_dtype dtype);

/* The file descriptor under an open table (sec2 driver), or -1: lets a
 * caller read the file's bytes without opening it again. */
int io_table_fd(const clm_table *table);

/* dtype of an HDF5 datatype as stored.  Enumerations with an integer base
 * (h5py stores numpy bool this way) map to their base type, and *is_enum is
 * set so readers know HDF5 will not convert them for us. */
clm_dtype clm_io_dtype_of(hid_t type, int *is_enum);

/* Output path handling shared by clm_writer and clm_textfile.
 *
 * clm_io_check_inputs: CLM_E_OVERWRITE if `path` is the same file as one of
 * the NULL-terminated `inputs` (same device and inode when both exist, or
 * the same resolved path), CLM_E_OPEN if the folder of `path` is missing.
 *
 * clm_io_temp_name: fills `out` (size `cap`) with a fresh temporary name
 * beside `path` and registers it for removal on SIGINT/SIGTERM/SIGHUP.
 * clm_io_temp_release: unregisters it (after rename or unlink). */
clm_status clm_io_check_inputs(const char *path, const char *const *inputs);
clm_status clm_io_temp_name(const char *path, char *out, size_t cap);
void clm_io_temp_release(const char *temp_path);

/* Renames the finished temporary file over `path`; on failure removes it
 * and returns CLM_E_IO naming both paths. */
clm_status clm_io_temp_commit(const char *temp_path, const char *path);

#endif /* CLMSEG_IO_INTERNAL_H */

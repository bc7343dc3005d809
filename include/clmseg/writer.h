/*
 * clmseg/writer.h — writing HDF5 outputs safely.
 *
 * Every output is written under a temporary name in the same folder
 * ("<name>.tmp.<pid>.<n>") and renamed over the final name only by the
 * commit call, so a failed or interrupted run never leaves a half-written
 * file under the final name (docs/design.md §4).  An output whose path names the
 * same file as one of the inputs (same device and inode, or the same
 * path) is refused with CLM_E_OVERWRITE before anything is written.
 *
 * Temporary files are registered in a process-wide list;
 * clm_writer_install_signal_cleanup() makes SIGINT / SIGTERM / SIGHUP
 * remove them before the process exits.  The writers are not thread-safe:
 * use one from one thread.  A full disk is reported as CLM_E_IO naming the
 * file and the system error, never as a crash (docs/design.md §14).  Text
 * outputs (CSV, JSON) with the same guarantees are in clmseg/textfile.h.
 */
#ifndef CLMSEG_WRITER_H
#define CLMSEG_WRITER_H

#include <stdint.h>

#include "clmseg/export.h"
#include "clmseg/status.h"
#include "clmseg/table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Installs handlers for SIGINT, SIGTERM and SIGHUP that unlink every
 * registered temporary file (of clm_writer and clm_textfile outputs alike)
 * and exit with status 130 (SIGINT) or 143.  Called once by the command
 * line; programs embedding clmseg may skip it (it replaces their handlers
 * of those signals). */
CLM_API void clm_writer_install_signal_cleanup(void);

typedef struct clm_writer clm_writer;

/* Creates a new HDF5 file under a temporary name beside `path`.  `inputs` is
 * a NULL-terminated list of input paths the output must not overwrite (may
 * be NULL).  Errors: CLM_E_OVERWRITE, CLM_E_OPEN (folder missing / not
 * writable), CLM_E_IO (disk full), CLM_E_HDF5, CLM_E_NOMEM.
 *
 * Every call below that writes returns CLM_E_IO "<path>: <what>: <system
 * error>" once a write to the file has failed (disk full, quota, file too
 * large), whether the failing write was its own or one HDF5 deferred from
 * an earlier call; the writer then takes no more writes and is to be
 * aborted.  CLM_E_HDF5 when the library refuses a call for another
 * reason. */
CLM_API clm_status clm_writer_create(const char *path, const char *const *inputs,
                                     clm_writer **out);

/* Creates the group at `group_path` ("/segments", "/survival/branch"),
 * with any missing parents.  Creating an existing group is fine. */
CLM_API clm_status clm_writer_group(clm_writer *writer, const char *group_path);

/* Creates a chunked 1-D dataset of `length` elements of `dtype` at
 * `path` (parents created), to be filled with clm_writer_column_write.
 * Chunks are min(length, CLM_BLOCK_ROWS) elements.  Returns a dataset
 * index used by the calls below in *column. */
CLM_API clm_status clm_writer_column_create(clm_writer *writer, const char *path,
                                            clm_dtype dtype, int64_t length,
                                            int *column);

/* Writes elements [row0, row0 + n_rows) of dataset `column` from `data`,
 * which holds n_rows values of the dataset's dtype. */
CLM_API clm_status clm_writer_column_write(clm_writer *writer, int column,
                                           int64_t row0, int64_t n_rows,
                                           const void *data);

/* Creates a chunked 1-D dataset of `length` elements of `dtype` at `path`
 * and writes all of `data` (length values of that dtype, in memory) into
 * it, chunk by chunk: a per-row array kept in memory (labels, tiers,
 * probabilities). */
CLM_API clm_status clm_writer_column_array(clm_writer *writer, const char *path, clm_dtype dtype,
                                           int64_t length, const void *data);

/* Writes a whole small dataset of `rank` (1 or 2) dimensions `dims` at
 * `path` (parents created), contiguous, from `data` of `dtype`. */
CLM_API clm_status clm_writer_array(clm_writer *writer, const char *path,
                                    clm_dtype dtype, int rank, const int64_t *dims,
                                    const void *data);

/* Writes a 1-D dataset of variable-length strings. */
CLM_API clm_status clm_writer_strings(clm_writer *writer, const char *path,
                                      const char *const *strings, int64_t count);

/* Attributes on the object (group or dataset) at `object_path`. */
CLM_API clm_status clm_writer_attr_f64(clm_writer *writer, const char *object_path,
                                       const char *name, double value);
CLM_API clm_status clm_writer_attr_i64(clm_writer *writer, const char *object_path,
                                       const char *name, int64_t value);
CLM_API clm_status clm_writer_attr_f64_array(clm_writer *writer,
                                             const char *object_path, const char *name,
                                             const double *values, int64_t count);
CLM_API clm_status clm_writer_attr_string(clm_writer *writer, const char *object_path,
                                          const char *name, const char *value);
/* A string-array attribute; the "categories" of a categorical column. */
CLM_API clm_status clm_writer_attr_strings(clm_writer *writer, const char *object_path,
                                           const char *name,
                                           const char *const *values, int64_t count);

/* 1 if an object (group or dataset) exists at `object_path`, else 0. */
CLM_API int clm_writer_exists(clm_writer *writer, const char *object_path);

/* Copies the object (group with everything under it, or dataset) at
 * `src_object` of the HDF5 file `src_path` to `dst_object` of the output
 * (parents created): to carry a saved model or group of another results
 * file into this one.  CLM_E_OPEN / CLM_E_FORMAT for the source, CLM_E_IO
 * when the copy fails. */
CLM_API clm_status clm_writer_copy(clm_writer *writer, const char *src_path,
                                   const char *src_object, const char *dst_object);

/* Flushes everything, closes every dataset and the file, and syncs it to
 * disk, under its temporary name: the step of a commit that can fail on a
 * full disk.  A command writing several outputs closes them all before it
 * commits any, so a failure leaves every final name as it was.  The writer
 * takes no more writes; clm_writer_commit renames it, clm_writer_abort
 * removes it (call one of them in any case).  Returns CLM_OK or CLM_E_IO
 * naming the file and the system error; later calls return the same. */
CLM_API clm_status clm_writer_close(clm_writer *writer);

/* Closes the file (clm_writer_close, unless done) and renames it over the
 * final path; frees the writer (also on failure, when the temporary file is
 * removed).  CLM_E_IO when closing or the rename fails. */
CLM_API clm_status clm_writer_commit(clm_writer *writer);

/* Closes and removes the temporary file, discarding whatever was not yet
 * written (so it cannot fail, however full the disk); frees the writer.
 * NULL is fine. */
CLM_API void clm_writer_abort(clm_writer *writer);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_WRITER_H */

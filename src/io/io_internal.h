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
void io_silence_hdf5(void);

/* Makes the file access list `fapl` use clmseg's output file driver
 * (h5_driver.c): POSIX I/O that records the errno of the first failed
 * write, truncation or sync in *error instead of failing, and drops every
 * write once *error is nonzero (set it to discard the file).  `error`
 * must outlive the file.  0, or -1 when HDF5 refuses. */
int io_h5_driver_use(hid_t fapl, int *error);

/* Native HDF5 memory type of a numeric dtype (not a copy: do not close);
 * H5I_INVALID_HID for string/other. */
hid_t io_native_type(clm_dtype dtype);

/* The file descriptor under an open table (sec2 driver), or -1: lets a
 * caller read the file's bytes without opening it again. */
int io_table_fd(const clm_table *table);

/* While `hold` is set, a table with the column cache on serves reads from
 * the columns it has cached and reads the others from the file without
 * caching them.  The run sets it on rank 0 around the steps every rank
 * runs on its own rows: a read of rank 0's rows alone must not load every
 * row of a column that no later step of rank 0 reads (table_cache.c). */
void io_table_hold_cache(clm_table *table, int hold);

/* What the event of an event column is (table_event.c): a categorical
 * column's code of `level` (required), or for a numeric column 0/1, or the
 * number `level` names.  CLM_E_PARAM naming the file and column. */
typedef struct io_event_rule {
    int categorical;
    int has_level;
    double value;              /* the code or value that means the event */
} io_event_rule;
clm_status io_event_rule_of(const clm_table *table, int col, const char *name, const char *level,
                            io_event_rule *rule);

/* 1 when the HDF5 file at `path` holds both objects `a` and `b` (absolute
 * paths; a parent must be listed before its child), 0 otherwise or when
 * the file cannot be read: "is a model of this kind saved here". */
int io_h5_file_has(const char *path, const char *a, const char *b);

/* dtype of an HDF5 datatype as stored.  Enumerations with an integer base
 * (h5py stores numpy bool this way) map to their base type, and *is_enum is
 * set so readers know HDF5 will not convert them for us. */
clm_dtype io_dtype_of(hid_t type, int *is_enum);

/* Output path handling shared by clm_writer and clm_textfile.
 *
 * io_check_inputs: CLM_E_OVERWRITE if `path` is the same file as one of
 * the NULL-terminated `inputs` (same device and inode when both exist, or
 * the same resolved path), CLM_E_OPEN if the folder of `path` is missing.
 *
 * io_temp_name: fills `out` (size `cap`) with a fresh temporary name
 * beside `path` and registers it for removal on SIGINT/SIGTERM/SIGHUP.
 * io_temp_release: unregisters it (after rename or unlink). */
clm_status io_check_inputs(const char *path, const char *const *inputs);
clm_status io_temp_name(const char *path, char *out, size_t cap);
void io_temp_release(const char *temp_path);

/* Removes a temporary file and unregisters it. */
void io_temp_discard(const char *temp_path);

/* Renames the finished temporary file over `path`; on failure removes it
 * and returns CLM_E_IO naming both paths. */
clm_status io_temp_commit(const char *temp_path, const char *path);

/* clm_writer_commit / clm_textfile_commit, renaming to `path` (NULL: the
 * path the output was opened with): how a run publishes its outputs into
 * a staging folder (src/run/run_publish.c). */
struct clm_writer;
struct clm_textfile;
clm_status io_writer_commit_as(struct clm_writer *writer, const char *path);
clm_status io_textfile_commit_as(struct clm_textfile *file, const char *path);
/* Per-row columns whose rows are spread over MPI ranks (docs/design.md
 * §7), in two phases that give the serial writer's bytes.  Rank 0 writes
 * the file with the serial writer, creating each such column with
 * io_writer_column_zeros: every chunk allocated in the serial order and
 * filled with zeros.  After clm_writer_close, every rank writes its own
 * rows into the closed file with io_write_rank_rows (parallel HDF5,
 * collective transfers), which overwrites raw data only: no chunk is
 * allocated and no metadata changes, so the file is byte for byte the
 * one the serial writer makes in one pass (checked for 1-4 ranks in
 * tests/mpi).  Then rank 0 commits (renames) the file. */
clm_status io_writer_column_zeros(struct clm_writer *writer, const char *path, clm_dtype dtype,
                                  int64_t length);
/* The same for a rows x width array (clm_writer_array of rank 2, its
 * bytes but for the data): a multi-class tree's class probabilities. */
clm_status io_writer_array_zeros(struct clm_writer *writer, const char *path, clm_dtype dtype, int64_t rows,
                                 int64_t width);
/* From now on (on != 0) clm_writer_column_array lays its column out
 * zero-filled (io_writer_column_zeros) and ignores the data: for a saver
 * whose per-row columns the ranks then write (clmseg predict on ranks),
 * called with any rows' pointers, which it does not read. */
void io_writer_defer_rows(struct clm_writer *writer, int on);
/* The temporary name the file is written under, until commit. */
const char *io_writer_temp_path(const struct clm_writer *writer);

typedef struct io_rank_column {
    const char *dataset;   /* absolute path in the file                     */
    clm_dtype dtype;       /* of `data` and of the dataset                 */
    const void *data;      /* this rank's rows [first_row, first_row + n)   */
    int64_t width;         /* 0: a column; else the row length of a 2-D
                              dataset (io_writer_array_zeros), data n x width */
} io_rank_column;

struct comm_ctx;
/* Collective over the ranks of `c`: `path` is rank 0's (the others may pass
 * NULL; it is broadcast); each rank writes rows [first_row, first_row +
 * n_rows) of every column.  The status is agreed.  Serial build: a plain
 * open-write-close of the one rank's rows. */
clm_status io_write_rank_rows(const struct comm_ctx *c, const char *path, int64_t first_row,
                              int64_t n_rows, const io_rank_column *columns, int n_columns);

/* The final path an output was opened with. */
const char *io_writer_path(const struct clm_writer *writer);
const char *io_textfile_path(const struct clm_textfile *file);

/* Small whole-object reads (h5read.c) for model loaders and dictionaries.
 * They return failure codes only and set no error detail: the caller names
 * the file and the object in its own clm_error.
 *
 * io_h5_attr_strings: the 1-D string attribute `name` of `object` (group or
 * dataset; variable or fixed length, ASCII or UTF-8) as a malloc'd,
 * NULL-terminated array of malloc'd strings in *out (free with
 * io_h5_strings_free; *out is NULL on failure).  Returns the count (>= 0),
 * or CLM_E_SCHEMA (absent, or not strings), CLM_E_FORMAT (unreadable, more
 * than 2^24 strings), CLM_E_NOMEM.
 *
 * io_h5_dataset_strings: the same for the string dataset at `path` below
 * `location` (file or group). */
int64_t io_h5_attr_strings(hid_t object, const char *name, char ***out);
int64_t io_h5_dataset_strings(hid_t location, const char *path, char ***out);

/* Frees a NULL-terminated array of strings and the array; NULL is fine. */
void io_h5_strings_free(char **strings);

/* Reads the numeric attribute `name` of `object`, which must hold exactly
 * `count` values, as doubles into out[0..count).  0, or -1 when it is
 * absent, of another size or unreadable. */
int io_h5_attr_f64(hid_t object, const char *name, int64_t count, double *out);

/* Reads the whole dataset at `path` below `location`, which must hold
 * exactly `count` elements (any shape), converted to `memory_type`
 * (H5T_NATIVE_DOUBLE, ...), into a malloc'd buffer in *out (the caller
 * frees it).  0, or -1 when absent, of another size, unreadable or out of
 * memory (*out untouched). */
int io_h5_dataset_read(hid_t location, const char *path, hid_t memory_type, int64_t count,
                       void **out);

/* Shape of the dataset at `path`: returns its rank (-1 when absent) and
 * sets dims[0], dims[1] for rank 1 (dims[1] = 1) or 2; zeros otherwise. */
int io_h5_dataset_dims(hid_t location, const char *path, int64_t dims[2]);

/* The index i in choices[0..n_choices) equal to the one-string attribute
 * `name` of `object`, or `fallback` when the attribute is absent, not one
 * string, or names nothing known (files older than the attribute). */
int io_h5_attr_choice(hid_t object, const char *name, const char *const *choices,
                      int n_choices, int fallback);

#endif /* CLMSEG_IO_INTERNAL_H */

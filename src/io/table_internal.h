/*
 * table_internal.h — the clm_table handle, shared by the files that open,
 * read and summarise a table.
 */
#ifndef CLMSEG_TABLE_INTERNAL_H
#define CLMSEG_TABLE_INTERNAL_H

#include <hdf5.h>

#include "clmseg/table.h"

typedef struct table_column {
    clm_column_info info;   /* what callers see; strings point below  */
    char *name;             /* owned                                  */
    char **categories;      /* owned, n_categories strings, or NULL   */
    hid_t dataset;          /* kept open for the table's lifetime     */
    int is_enum;            /* HDF5 enum: read raw, convert ourselves */
    int rank;               /* 1 for usable columns                   */
    void *cache;            /* whole column in its stored type, or NULL */
    int caching;            /* set while the cache is being filled    */
} table_column;

struct clm_table {
    char *path;             /* as given to open                       */
    char *group;            /* group path                             */
    hid_t file;
    hid_t group_id;
    int n_columns;
    table_column *columns;
    int64_t n_rows;         /* common length, or -1 (open_any)        */
    float *column_block;    /* column-major staging of block reads    */
    size_t column_block_cap;/* floats allocated in column_block       */
    int cache_on;           /* clm_table_set_cache                    */
    int cache_held;         /* io_table_hold_cache: no column loaded  */
    int shares_file;        /* opened with clm_table_open_group: the
                               file id belongs to the parent            */
    hid_t rank_dxpl;        /* collective transfers (io_table_open_ranks
                               on several ranks), or H5I_INVALID_HID    */
    int rank_index, rank_count; /* the ranks that opened it (with
                               rank_dxpl): whose loops of rank reads
                               must make as many calls                 */
    int rank_read;          /* set by a rank read (table_ranks.c): the
                               next H5Dread is its collective one       */
};

/* One hyperslab read of rows [row0, row0 + n) of a column as `mem_type`
 * (served from the cache when it is on).  While t->rank_read is set it is
 * instead the collective read of a rank read: never from the cache, with
 * an empty selection when n is 0, and it clears t->rank_read. */
clm_status io_read_rows(const clm_table *t, const table_column *c, int64_t row0, int64_t n_rows,
                        hid_t mem_type, void *out);

/* Serves a read from the column cache: returns 1 when it did (the result
 * in *status), 0 when the read must go to the file. */
int io_cache_read(const clm_table *t, const table_column *c, int64_t row0, int64_t n_rows,
                  hid_t mem_type, void *out, clm_status *status);

/* out[i] = stored[i], n_rows values of the column in its stored type,
 * converted to `mem_type` (float, double, int64 or int32) with the casts
 * HDF5's own conversions make: 1, or 0 (nothing done) for another memory
 * type or a column HDF5 must convert itself (enums).  n_rows 0 asks only
 * whether it would convert. */
int io_convert(const table_column *c, const void *stored, int64_t n_rows, hid_t mem_type, void *out);

/* Reads `categories` of a categorical column into a NUL-terminated array
 * of owned strings.  Returns the count, 0 if the attribute is absent, or a
 * negative status. */
int io_read_categories(hid_t dataset, char ***out, const char *path,
                           const char *column);

/* The table's file opened with the file access list `fapl` (H5P_DEFAULT:
 * the serial driver); clm_table_open with it (table.c). */
clm_status io_table_open_fapl(const char *path, const char *group, hid_t fapl, clm_table **out);

/* clm_table_read_block_f32, its column reads made by `read` (the serial
 * clm_table_read_f32 or a rank read).  With a rank read, every column is
 * read even after one failed (with no rows), so that every rank makes the
 * same number of collective calls. */
typedef clm_status (*io_read_f32_fn)(const clm_table *t, int column, int64_t row0, int64_t n_rows,
                                     float *out);
clm_status io_read_block_f32(const clm_table *t, const int *columns, int n_columns, int64_t row0,
                             int64_t n_rows, float *out, float *scratch, io_read_f32_fn read);

/* Books the collective read of column `c` just made (table_ranks.c). */
void io_note_rank_read(const clm_table *t, const table_column *c);

/* The checks before a table's file is opened: it exists, is no folder,
 * is HDF5; the status names the file. */
clm_status io_table_check_path(const char *path);

#endif /* CLMSEG_TABLE_INTERNAL_H */

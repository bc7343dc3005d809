/*
 * clmseg/table.h — reading a quarter's columnar subscriber table.
 *
 * An input is one HDF5 file with one group (default "/subscribers") holding
 * one 1-D dataset per column, all of the same length (docs/design.md §3).  A column
 * is *numeric* (any HDF5 integer or float type) or *categorical* (an integer
 * code dataset with a string-array attribute "categories"; code -1 means
 * missing).  Missing numeric values are NaN.
 *
 * A clm_table is an open handle on such a group.  Reads are hyperslabs of a
 * row range, so memory is bounded by the block the caller asks for, never
 * by the number of rows.  HDF5 (the Debian serial build) is not
 * thread-safe: one clm_table must be used from one thread at a time, and
 * all clm_table calls of a process should come from the same thread (the
 * drivers read a block, then compute on it in parallel).
 */
#ifndef CLMSEG_TABLE_H
#define CLMSEG_TABLE_H

#include <stdint.h>

#include "clmseg/export.h"
#include "clmseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rows per block used by the drivers when streaming (64 Ki rows: a 16-column
 * float32 block is 4 MiB, which stays in L2/L3 on common hardware). */
#define CLM_BLOCK_ROWS 65536

/* Default group of the subscriber table. */
#define CLM_DEFAULT_GROUP "/subscribers"

/* Element type of a column as stored in the file. */
typedef enum clm_dtype {
    CLM_DT_INT8, CLM_DT_UINT8, CLM_DT_INT16, CLM_DT_UINT16,
    CLM_DT_INT32, CLM_DT_UINT32, CLM_DT_INT64, CLM_DT_UINT64,
    CLM_DT_FLOAT32, CLM_DT_FLOAT64,
    CLM_DT_STRING,   /* fixed or variable-length strings: listed, not read */
    CLM_DT_OTHER     /* compound, enum, ...: listed, not read             */
} clm_dtype;

/* Short name of a dtype: "int8", ..., "float64", "string", "other". */
CLM_API const char *clm_dtype_name(clm_dtype dtype);

/* Size in bytes of one element of a numeric dtype, 0 for string/other. */
CLM_API int clm_dtype_size(clm_dtype dtype);

typedef enum clm_column_kind {
    CLM_KIND_NUMERIC,      /* integer or float values                  */
    CLM_KIND_CATEGORICAL,  /* integer codes into a `categories` list   */
    CLM_KIND_UNSUPPORTED   /* strings, compounds: cannot be used       */
} clm_column_kind;

/* Description of one column.  Strings are owned by the table and valid
 * until clm_table_close(). */
typedef struct clm_column_info {
    const char *name;                /* dataset name inside the group    */
    clm_dtype dtype;                 /* stored element type              */
    clm_column_kind kind;
    int64_t length;                  /* number of rows                   */
    int32_t n_categories;            /* categorical only, else 0         */
    const char *const *categories;   /* categorical only, else NULL      */
} clm_column_info;

typedef struct clm_table clm_table;

/* Opens `group` (NULL: "/subscribers") of the HDF5 file at `path`.
 * Fails with CLM_E_OPEN (no such file), CLM_E_FORMAT (not HDF5, no such
 * group, corrupt), CLM_E_SCHEMA (a dataset that is not 1-D, columns of
 * different lengths, a categorical code column that is not an integer
 * type), CLM_E_NOMEM.  On success *out owns the open file. */
CLM_API clm_status clm_table_open(const char *path, const char *group, clm_table **out);

/* Opens a group that mixes per-row datasets with model arrays, such as
 * /segments of a results file: 1-D datasets of any length are columns
 * (each with its own length; clm_table_n_rows() returns -1 when lengths
 * differ), datasets of other ranks are listed as CLM_KIND_UNSUPPORTED.
 * Callers check the length of the columns they use. */
CLM_API clm_status clm_table_open_any(const char *path, const char *group, clm_table **out);

/* Opens another group (e.g. "/truth") of the file `table` has open,
 * without opening the file again, with the rules of clm_table_open_any.
 * The new handle borrows the file: close it before `table`. */
CLM_API clm_status clm_table_open_group(const clm_table *table, const char *group, clm_table **out);

/* Turns the column cache on (1) or off (0, freeing it).  With the cache
 * on, the first read of a column loads the whole column once, in its
 * stored type, and every later read of it is served from memory with the
 * same values a file read gives.  For callers that read the same columns
 * several times (the quarterly run); costs the stored size of each column
 * read.  CLM_E_PARAM for a NULL table. */
CLM_API clm_status clm_table_set_cache(clm_table *table, int on);

/* Closes the file and frees the handle.  NULL is fine. */
CLM_API void clm_table_close(clm_table *table);

/* Path and group the table was opened with. */
CLM_API const char *clm_table_path(const clm_table *table);
CLM_API const char *clm_table_group(const clm_table *table);

/* Number of rows N (0 for a group without columns). */
CLM_API int64_t clm_table_n_rows(const clm_table *table);

/* Number of columns, and the info of column `index` (0 <= index < n). */
CLM_API int clm_table_n_columns(const clm_table *table);
CLM_API const clm_column_info *clm_table_column(const clm_table *table, int index);

/* Index of the column called `name`, or -1. */
CLM_API int clm_table_find(const clm_table *table, const char *name);

/* Like clm_table_find, but a missing column, or one of the wrong kind, is
 * an error naming the file and the column: CLM_E_SCHEMA.  `kind` may be
 * CLM_KIND_UNSUPPORTED to accept numeric and categorical alike. */
CLM_API clm_status clm_table_require(const clm_table *table, const char *name,
                                     clm_column_kind kind, int *index);

/* Reads rows [row0, row0 + n_rows) of one column, converted by HDF5 to the
 * destination type.  Numeric columns of any integer or float type can be
 * read as float or double; a categorical column reads its codes (missing
 * code -1 becomes NaN in the float reads).  Fails with CLM_E_PARAM for a
 * row range outside the column, CLM_E_SCHEMA for an unsupported column,
 * CLM_E_HDF5 / CLM_E_FORMAT when the file is corrupt (detail names file,
 * column and row range). */
CLM_API clm_status clm_table_read_f32(const clm_table *table, int column,
                                      int64_t row0, int64_t n_rows, float *out);
CLM_API clm_status clm_table_read_f64(const clm_table *table, int column,
                                      int64_t row0, int64_t n_rows, double *out);

/* Reads integer values: codes of a categorical column, or the values of an
 * integer column.  A float column is refused (CLM_E_SCHEMA); values out of
 * the int32 range are CLM_E_VALUE (naming the row). */
CLM_API clm_status clm_table_read_i32(const clm_table *table, int column,
                                      int64_t row0, int64_t n_rows, int32_t *out);
CLM_API clm_status clm_table_read_i64(const clm_table *table, int column,
                                      int64_t row0, int64_t n_rows, int64_t *out);

/* Reads rows [row0, row0 + n_rows) of the `n_columns` columns listed in
 * `columns` into a row-major float32 block: out[i * n_columns + j] is row
 * row0 + i of column columns[j].  `scratch` must hold n_rows floats (the
 * column is read there, then scattered into the block).  This is the
 * feature-matrix read of k-means and trees. */
CLM_API clm_status clm_table_read_block_f32(const clm_table *table,
                                            const int *columns, int n_columns,
                                            int64_t row0, int64_t n_rows,
                                            float *out, float *scratch);

/* One-pass statistics of a column.  For a numeric column: non-missing count,
 * missing count (NaN), min, max, mean and standard deviation (population,
 * ddof = 0; computed blockwise in double and merged in block order, so the
 * figures do not depend on threads).  For a categorical column the moments
 * are those of the codes and `missing` counts code -1. */
typedef struct clm_column_stats {
    int64_t count;    /* non-missing values */
    int64_t missing;  /* NaN or code -1     */
    double min, max;  /* NaN if count == 0  */
    double mean, std; /* NaN if count == 0  */
} clm_column_stats;

CLM_API clm_status clm_table_column_stats(const clm_table *table, int column,
                                          clm_column_stats *out);

/* Counts of each category of a categorical column: counts[c] for code c in
 * [0, n_categories), *missing for code -1.  Codes outside that range are
 * CLM_E_VALUE naming the column and the first bad row. */
CLM_API clm_status clm_table_category_counts(const clm_table *table, int column,
                                             int64_t *counts, int64_t *missing);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_TABLE_H */

/*
 * clmseg/import.h — CSV to columnar HDF5.
 *
 * clm_import_csv() converts a CSV file with a header row into an HDF5 writer
 * in the input schema of docs/design.md §3 (one 1-D dataset per column in one
 * group).  Quoting follows RFC 4180 (fields in double quotes may hold
 * commas, doubled quotes and newlines).  Column types are inferred over the
 * whole file: integer (int64), float (float64) or text; a text column
 * becomes categorical (int32 codes, attribute `categories` in order of first
 * appearance).  Empty fields and `NA` are missing: NaN in float columns, -1
 * in categorical ones; an integer column with missing values becomes float.
 *
 * Two streaming passes (infer, then convert) keep memory bounded by the
 * block size plus the category dictionaries, never by the number of rows.
 */
#ifndef CLMSEG_IMPORT_H
#define CLMSEG_IMPORT_H

#include <stdint.h>

#include "clmseg/export.h"
#include "clmseg/status.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clm_import_params {
    const char *group;        /* output group (default "/subscribers")    */
    char delimiter;           /* field separator (default ',')            */
    int64_t block_rows;       /* rows per written block (CLM_BLOCK_ROWS)  */
    int32_t n_threads;        /* threads of the tokenize / infer / convert
                                 pipeline; 0 = all cores (default).  The
                                 output does not depend on it.            */
    clm_progress_fn progress; /* may be NULL                              */
    void *progress_ctx;
} clm_import_params;

CLM_API void clm_import_params_default(clm_import_params *params);
CLM_API clm_status clm_import_params_check(const clm_import_params *params);

/* Imports `csv_path` into an open writer (group params->group).  The
 * caller creates the writer with the CSV among its inputs (so an output
 * that would overwrite the CSV is refused before the first pass) and
 * commits or aborts it.  Errors name the file and line: CLM_E_OPEN,
 * CLM_E_EMPTY (empty file or header only is fine: zero rows; an empty file
 * is an error), CLM_E_FORMAT (ragged row, unterminated quote, duplicate or
 * empty column name, bad delimiter), CLM_E_IO, CLM_E_NOMEM. */
CLM_API clm_status clm_import_csv(const clm_import_params *params, const char *csv_path,
                                  clm_writer *writer);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_IMPORT_H */

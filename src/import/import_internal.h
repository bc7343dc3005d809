/*
 * import_internal.h — the pieces of `clmseg import` (CSV -> columnar HDF5).
 *
 *   csv_reader.c  streaming RFC 4180 tokenizer: file -> records of fields,
 *                 appended to a csv_batch (unescaped text + field spans)
 *   csv_batch.c   the batch: a bounded block of rows held as one text arena
 *   csv_value.c   what a field is: missing, int64, float64 or text
 *   csv_dict.c    category dictionary (string -> int32 code, first seen order)
 *   csv_import.c  the driver: header checks, pass 1 (infer), pass 2
 *                 (convert in parallel over columns, write through writer.h)
 *
 * Memory is bounded by one batch (at most `block_rows` rows, fewer when the
 * table is wide) plus the category dictionaries; nothing grows with the
 * number of rows.
 */
#ifndef CLMSEG_IMPORT_INTERNAL_H
#define CLMSEG_IMPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clmseg/status.h"

/* Longest field accepted (bytes after unescaping).  A longer one is almost
 * surely a stray quote swallowing the rest of the file; failing early keeps
 * memory bounded and names the line where the field started. */
#define CSV_MAX_FIELD_BYTES (1 << 20)

/* Most columns accepted in the header. */
#define CSV_MAX_COLUMNS 100000

/* Fields held by one batch at most: batch rows = min(block_rows,
 * CSV_BATCH_FIELDS / n_columns), so a wide table keeps the same memory. */
#define CSV_BATCH_FIELDS (1 << 22)

/* ---- batch ---------------------------------------------------------------- */

/* A block of parsed records.  Field j of row i starts at
 * text + start[i * n_columns + j], is length[...] bytes long and is
 * followed by a NUL (so number parsers may read it as a C string; a field
 * never holds a NUL byte itself, the reader refuses them). */
typedef struct csv_batch {
    int n_columns;        /* fields per row; 0 = any (the header)          */
    int64_t n_rows;       /* rows held                                     */
    int64_t max_rows;     /* capacity in rows                              */
    int64_t *line;        /* line where each row starts (1-based)          */
    size_t *start;        /* field start offsets into text                 */
    uint32_t *length;     /* field lengths                                 */
    size_t n_fields;      /* fields held (header: any count)               */
    size_t max_fields;    /* capacity of start/length                      */
    char *text;           /* unescaped field bytes, each followed by NUL   */
    size_t text_used;
    size_t text_capacity;
} csv_batch;

/* Allocates a batch for `max_rows` rows of `n_columns` fields (n_columns 0:
 * one record of any width).  CLM_E_NOMEM on failure (batch left freeable). */
clm_status csv_batch_init(csv_batch *batch, int n_columns, int64_t max_rows);
void csv_batch_clear(csv_batch *batch);
void csv_batch_free(csv_batch *batch);

/* Field `column` of row `row`, and its length. */
static inline const char *csv_batch_field(const csv_batch *batch, int64_t row,
                                          int column, size_t *length)
{
    size_t k = (size_t)row * (size_t)batch->n_columns + (size_t)column;
    *length = batch->length[k];
    return batch->text + batch->start[k];
}

/* ---- reader --------------------------------------------------------------- */

typedef struct csv_reader {
    const char *path;        /* for messages; not owned                    */
    FILE *file;
    unsigned char delimiter;
    unsigned char *buffer;   /* read buffer, plus one byte for a sentinel  */
    size_t buffer_size;
    size_t read_size;        /* bytes per fread, in [3, buffer_size]; tests
                                make it tiny (then rewind) so records
                                straddle refills; >= 3 keeps a BOM whole */
    size_t pos, len;         /* unread bytes are buffer[pos, len)          */
    int eof;                 /* fread reported end of file                 */
    int64_t line;            /* physical line of the next unread byte      */
    int64_t bytes_before;    /* file offset of buffer[0]                   */
    int64_t file_size;       /* bytes, for progress (-1 if unknown)        */
    unsigned char stop_unquoted[256]; /* bytes ending an unquoted field    */
    unsigned char stop_simple[256];   /* ... and the quote (fast path)     */
    unsigned char stop_quoted[256];   /* quote, LF, NUL (fast path)        */
    int general_only;        /* 1: skip the fast path (tests compare both) */
} csv_reader;

/* Opens `path` for reading (CLM_E_OPEN naming the file when it cannot).
 * A UTF-8 byte order mark at the start is skipped. */
clm_status csv_reader_open(csv_reader *reader, const char *path, char delimiter);

/* Same, on an already open stream (taken over: closed by csv_reader_close). */
clm_status csv_reader_open_stream(csv_reader *reader, FILE *file,
                                  const char *name, char delimiter);

/* Goes back to the first byte (after the byte order mark). */
clm_status csv_reader_rewind(csv_reader *reader);

void csv_reader_close(csv_reader *reader);

/* Bytes consumed so far (for progress). */
static inline int64_t csv_reader_offset(const csv_reader *reader)
{
    return reader->bytes_before + (int64_t)reader->pos;
}

/* Reads the next record and appends it as one row of `batch`.  Lines that
 * are completely empty are skipped.  Sets *got to 1, or 0 at end of file
 * (batch unchanged).  When batch->n_columns > 0, a record with a different
 * number of fields is CLM_E_FORMAT ("<path>: line L has F fields, the
 * header has N").  Other errors: CLM_E_FORMAT for an unterminated quote,
 * a character after a closing quote, a NUL byte, a field longer than
 * CSV_MAX_FIELD_BYTES or more than CSV_MAX_COLUMNS fields; CLM_E_IO for a
 * read error; CLM_E_NOMEM.  The batch must have room for one more row. */
clm_status csv_reader_next(csv_reader *reader, csv_batch *batch, int *got);

/* ---- values ----------------------------------------------------------------- */

/* Kind of one field, and of a column (the widest kind of its fields, in
 * the order NONE < INT < FLOAT < TEXT). */
typedef enum csv_kind {
    CSV_NONE = 0,   /* missing (column: only missing values)        */
    CSV_INT = 1,    /* decimal integer in the int64 range           */
    CSV_FLOAT = 2,  /* decimal number, or an integer beyond int64   */
    CSV_TEXT = 3    /* anything else                                */
} csv_kind;

/* 1 if the field is missing: empty, only blanks, or "NA" (blanks around
 * it allowed). */
int csv_is_missing(const char *text, size_t length);

/* Kind of a non-missing or missing field.  Blanks (space, tab) around a
 * number are allowed; text is taken as written. */
csv_kind csv_classify(const char *text, size_t length);

/* Parses a field classified CSV_INT.  Returns 0, or -1 if it is not one. */
int csv_parse_int64(const char *text, size_t length, int64_t *out);

/* Parses a field classified CSV_INT or CSV_FLOAT, correctly rounded.
 * `text` must be followed by a NUL (batch fields are).  Returns 0 or -1. */
int csv_parse_float64(const char *text, size_t length, double *out);

/* ---- category dictionary ------------------------------------------------- */

/* Maps the distinct strings of one column to codes 0, 1, ... in order of
 * first appearance. */
typedef struct csv_dict {
    char **strings;          /* code -> NUL-terminated string (owned)   */
    int32_t count;
    int32_t capacity;        /* of strings                              */
    int32_t *slots;          /* open-addressing table of codes, -1 free */
    uint32_t *hashes;        /* hash of each code's string              */
    size_t n_slots;          /* power of two                            */
} csv_dict;

void csv_dict_init(csv_dict *dict);
void csv_dict_free(csv_dict *dict);

/* Code of `text` (length bytes), adding it if new.  CLM_E_NOMEM, or
 * CLM_E_VALUE when the column has more than INT32_MAX categories. */
clm_status csv_dict_code(csv_dict *dict, const char *text, size_t length,
                         int32_t *code);

#endif /* CLMSEG_IMPORT_INTERNAL_H */

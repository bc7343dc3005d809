/*
 * fuzz_csv.c — libFuzzer harness for the CSV importer: tokenizer, type
 * inference and conversion, through clm_import_csv() to a real HDF5 file.
 *
 * Beyond "no crash, no sanitizer report", each input must satisfy:
 *   - the tokenizer's fast path and its general state machine agree: the
 *     same records, fields, line numbers and error (differential check);
 *   - the status is OK or a bad-input code (exit 1) carrying a detail
 *     message; an internal, HDF5 or I/O failure is a bug;
 *   - a failed import leaves nothing behind (no output, no temporary);
 *   - a successful import opens with clm_table_open: one length for every
 *     column, categorical codes within [-1, n_categories), values readable.
 * Small blocks (3 rows) make batch boundaries fall everywhere.
 *
 * Built by tests/fuzz/CMakeLists.txt with clang -fsanitize=fuzzer; the
 * same file is linked with replay_main.c into a normal test that replays
 * the seed corpus and the regression inputs (docs/fuzzing.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmseg/import.h"
#include "clmseg/table.h"
#include "fuzz_util.h"
#include "import/import_internal.h"

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz_csv: invariant failed: %s (%s:%d)\n", #cond,   \
                    __FILE__, __LINE__);                                         \
            abort();                                                             \
        }                                                                        \
    } while (0)

static void check_output(const char *h5)
{
    clm_table *table = NULL;
    clm_status status = clm_table_open(h5, NULL, &table);
    if (status)
        fprintf(stderr, "fuzz_csv: cannot reopen: %s\n", clm_error_detail());
    CHECK(status == CLM_OK);
    int64_t n_rows = clm_table_n_rows(table);
    CHECK(n_rows >= 0);
    int n_columns = clm_table_n_columns(table);
    CHECK(n_columns >= 1);
    double *values = malloc(((size_t)n_rows + 1) * sizeof *values);
    CHECK(values != NULL);
    for (int j = 0; j < n_columns; j++) {
        const clm_column_info *info = clm_table_column(table, j);
        CHECK(info->length == n_rows);
        CHECK(clm_table_read_f64(table, j, 0, n_rows, values) == CLM_OK);
        if (info->kind == CLM_KIND_CATEGORICAL) {
            CHECK(info->dtype == CLM_DT_INT32);
            CHECK(info->n_categories >= 1);
            int64_t *counts = calloc((size_t)info->n_categories, sizeof *counts);
            int64_t missing = 0;
            CHECK(counts != NULL);
            CHECK(clm_table_category_counts(table, j, counts, &missing) == CLM_OK);
            int64_t total = missing;
            for (int32_t c = 0; c < info->n_categories; c++) {
                CHECK(counts[c] >= 1); /* every category occurs */
                total += counts[c];
            }
            CHECK(total == n_rows);
            free(counts);
        } else {
            CHECK(info->kind == CLM_KIND_NUMERIC);
            CHECK(info->dtype == CLM_DT_INT64 || info->dtype == CLM_DT_FLOAT64);
            clm_column_stats stats;
            CHECK(clm_table_column_stats(table, j, &stats) == CLM_OK);
            CHECK(stats.count + stats.missing == n_rows);
            if (info->dtype == CLM_DT_INT64)
                CHECK(stats.missing == 0);
        }
    }
    free(values);
    clm_table_close(table);
}

/* Tokenizes the file with or without the fast path: header, then every
 * record in batches of 3.  Returns the final status; fills *out. */
typedef struct tokens {
    csv_reader reader;
    csv_batch header, rows;
    clm_status status;
    char message[1024];
} tokens;

static void tokenize(const char *path, size_t size, int general_only, size_t read_size,
                     tokens *t)
{
    memset(t, 0, sizeof *t);
    CHECK(csv_reader_open(&t->reader, path, ',') == CLM_OK);
    t->reader.general_only = general_only;
    t->reader.read_size = read_size;
    CHECK(csv_reader_rewind(&t->reader) == CLM_OK); /* refill with that size */
    CHECK(csv_batch_init(&t->header, 0, 1) == CLM_OK);
    int got;
    t->status = csv_reader_next(&t->reader, &t->header, &got);
    if (!t->status && got) {
        /* A record of F fields takes at least F - 1 delimiters and a line
         * end, so this many rows hold the whole file (memory ~ 2 x size). */
        int64_t n_columns = (int64_t)t->header.n_fields;
        int64_t max_rows = size / (n_columns > 1 ? n_columns - 1 : 1) + 2;
        CHECK(csv_batch_init(&t->rows, (int)n_columns, max_rows) == CLM_OK);
        do
            t->status = csv_reader_next(&t->reader, &t->rows, &got);
        while (!t->status && got && t->rows.n_rows < t->rows.max_rows);
    }
    snprintf(t->message, sizeof t->message, "%s", t->status ? clm_error_detail() : "");
}

static void tokens_free(tokens *t)
{
    csv_batch_free(&t->header);
    csv_batch_free(&t->rows);
    csv_reader_close(&t->reader);
}

static void same_batch(const csv_batch *a, const csv_batch *b)
{
    CHECK(a->n_rows == b->n_rows && a->n_fields == b->n_fields);
    for (int64_t i = 0; i < a->n_rows; i++)
        CHECK(a->line[i] == b->line[i]);
    for (size_t k = 0; k < a->n_fields; k++) {
        CHECK(a->length[k] == b->length[k]);
        CHECK(memcmp(a->text + a->start[k], b->text + b->start[k], a->length[k] + 1) == 0);
    }
}

/* Fast path with tiny reads (records straddle refills) against the general
 * state machine with whole-buffer reads. */
static void check_fast_path_agrees(const char *path, const uint8_t *data, size_t size)
{
    tokens fast, general;
    size_t read_size = 3 + (size ? data[size - 1] % 16 : 0);
    tokenize(path, size, 0, read_size, &fast);
    tokenize(path, size, 1, 1u << 20, &general);
    CHECK(fast.status == general.status);
    CHECK(strcmp(fast.message, general.message) == 0);
    same_batch(&fast.header, &general.header);
    same_batch(&fast.rows, &general.rows);
    tokens_free(&fast);
    tokens_free(&general);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *csv = fuzz_path("in.csv");
    const char *h5 = fuzz_path("out.h5");
    fuzz_write_file(csv, data, size);
    check_fast_path_agrees(csv, data, size);

    clm_import_params params;
    clm_import_params_default(&params);
    params.block_rows = 3;
    clm_writer *w = NULL;
    clm_status status = clm_writer_create(h5, (const char *const[]){csv, NULL}, &w);
    if (!status)
        status = clm_import_csv(&params, csv, w);
    status = status ? (clm_writer_abort(w), status) : clm_writer_commit(w);
    if (status == CLM_OK) {
        check_output(h5);
        CHECK(fuzz_count_entries() == 2);
        unlink(h5);
    } else {
        if (status != CLM_E_FORMAT && status != CLM_E_EMPTY)
            fprintf(stderr, "fuzz_csv: unexpected failure %d: %s\n", (int)status,
                    clm_error_detail());
        CHECK(status == CLM_E_FORMAT || status == CLM_E_EMPTY);
        CHECK(clm_error_detail()[0] != '\0');
        CHECK(strstr(clm_error_detail(), csv) != NULL); /* names the file */
        CHECK(fuzz_count_entries() == 1);               /* nothing left  */
    }
    return 0;
}

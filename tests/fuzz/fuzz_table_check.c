/*
 * fuzz_table_check.c — what the HDF5 harnesses do with a file once it is
 * written: open it with clm_table_open (and, failing that, with
 * clm_table_open_any), then list, read and summarise every column, checking
 * that every refusal is a clean one (see fuzz_table_check.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/table.h"
#include "fuzz_table_check.h"

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz_h5: invariant failed: %s (%s:%d)\n", #cond,    \
                    __FILE__, __LINE__);                                         \
            abort();                                                             \
        }                                                                        \
    } while (0)

#define MAX_READ_ROWS 65536

static void check_refusal(clm_status status, const char *path)
{
    CHECK(status < 0);
    CHECK(status != CLM_E_INTERNAL && status != CLM_E_NOMEM);
    CHECK(clm_error_detail()[0] != '\0');
    if (status != CLM_E_HDF5)
        CHECK(strstr(clm_error_detail(), path) != NULL);
}

static void exercise(clm_table *table)
{
    int n_columns = clm_table_n_columns(table);
    CHECK(n_columns >= 0);
    for (int j = 0; j < n_columns; j++) {
        const clm_column_info *info = clm_table_column(table, j);
        CHECK(info != NULL && info->name != NULL);
        CHECK(clm_table_find(table, info->name) >= 0);
        CHECK(info->length >= 0);
        CHECK(clm_dtype_name(info->dtype) != NULL);
        if (info->kind == CLM_KIND_CATEGORICAL) {
            CHECK(info->n_categories >= 0);
            for (int32_t c = 0; c < info->n_categories; c++)
                CHECK(info->categories[c] != NULL);
        }
        if (info->kind == CLM_KIND_UNSUPPORTED)
            continue;
        int64_t n = info->length < MAX_READ_ROWS ? info->length : MAX_READ_ROWS;
        double *f64 = malloc(((size_t)n + 1) * sizeof *f64);
        float *f32 = malloc(((size_t)n + 1) * sizeof *f32);
        int64_t *i64 = malloc(((size_t)n + 1) * sizeof *i64);
        CHECK(f64 && f32 && i64);
        clm_status s;
        if ((s = clm_table_read_f64(table, j, 0, n, f64)))
            check_refusal(s, clm_table_path(table));
        if ((s = clm_table_read_f32(table, j, 0, n, f32)))
            check_refusal(s, clm_table_path(table));
        if ((s = clm_table_read_i64(table, j, 0, n, i64)))
            check_refusal(s, clm_table_path(table));
        /* Out-of-range requests must be refused, not read. */
        CHECK(clm_table_read_f64(table, j, info->length, 1, f64) != CLM_OK);
        if (info->length <= MAX_READ_ROWS) {
            clm_column_stats stats;
            if ((s = clm_table_column_stats(table, j, &stats)) == CLM_OK)
                CHECK(stats.count + stats.missing == info->length);
            else
                check_refusal(s, clm_table_path(table));
            if (info->kind == CLM_KIND_CATEGORICAL && info->n_categories > 0) {
                int64_t *counts = calloc((size_t)info->n_categories, sizeof *counts);
                int64_t missing = 0;
                CHECK(counts != NULL);
                if ((s = clm_table_category_counts(table, j, counts, &missing)))
                    check_refusal(s, clm_table_path(table));
                free(counts);
            }
        }
        free(f64);
        free(f32);
        free(i64);
    }
}

void fuzz_check_table_file(const char *path)
{
    clm_table *table = NULL;
    clm_status status = clm_table_open(path, NULL, &table);
    if (status == CLM_OK) {
        CHECK(clm_table_n_rows(table) >= 0);
        exercise(table);
        clm_table_close(table);
        return;
    }
    check_refusal(status, path);
    CHECK(table == NULL);
    status = clm_table_open_any(path, NULL, &table);
    if (status == CLM_OK) {
        exercise(table);
        clm_table_close(table);
    } else {
        check_refusal(status, path);
    }
}

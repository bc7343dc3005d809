/*
 * csv_batch.c — a bounded block of parsed CSV rows.
 *
 * The reader appends unescaped field bytes to one text arena and records
 * where each field starts; the converters then read fields by (row, column)
 * without any per-field allocation.  The arena grows by doubling and is
 * reused from batch to batch, so after the first few blocks the import
 * allocates nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "import/import_internal.h"

clm_status csv_batch_init(csv_batch *batch, int n_columns, int64_t max_rows)
{
    memset(batch, 0, sizeof *batch);
    batch->n_columns = n_columns;
    batch->max_rows = max_rows < 1 ? 1 : max_rows;
    batch->max_fields = n_columns > 0 ? (size_t)batch->max_rows * (size_t)n_columns : 64;
    batch->text_capacity = 1 << 16;
    batch->line = malloc((size_t)batch->max_rows * sizeof *batch->line);
    batch->start = malloc(batch->max_fields * sizeof *batch->start);
    batch->length = malloc(batch->max_fields * sizeof *batch->length);
    batch->text = malloc(batch->text_capacity);
    if (!batch->line || !batch->start || !batch->length || !batch->text)
        return clm_error(CLM_E_NOMEM, "import: out of memory for a block of %lld rows",
                         (long long)batch->max_rows);
    return CLM_OK;
}

void csv_batch_clear(csv_batch *batch)
{
    batch->n_rows = 0;
    batch->n_fields = 0;
    batch->text_used = 0;
}

void csv_batch_free(csv_batch *batch)
{
    free(batch->line);
    free(batch->start);
    free(batch->length);
    free(batch->text);
    memset(batch, 0, sizeof *batch);
}

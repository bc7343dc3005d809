/*
 * synth_block.c — block buffers and the parallel generation of one block.
 *
 * A block holds one typed array per column (the layout the writer takes),
 * so memory is capacity x (bytes of one row, about 90), whatever the
 * number of rows in the file.  Rows of a block are independent (each has
 * its own counter-based stream), so the loop is a plain static OpenMP
 * `for` with no reduction: any thread count fills the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "synth/synth_internal.h"

clm_status synth_block_alloc(synth_block *block, int64_t capacity)
{
    if (synth_n_columns > SYNTH_MAX_COLUMNS)
        return clm_error(CLM_E_INTERNAL, "synth: %d columns exceed SYNTH_MAX_COLUMNS",
                         synth_n_columns);
    block->capacity = capacity;
    block->data = calloc((size_t)synth_n_columns, sizeof *block->data);
    if (!block->data)
        return clm_error(CLM_E_NOMEM, "synth: out of memory for a block of %lld rows",
                         (long long)capacity);
    for (int c = 0; c < synth_n_columns; c++) {
        size_t size = (size_t)clm_dtype_size(synth_columns[c].dtype);
        block->width[c] = (int)size;
        block->data[c] = malloc((size_t)capacity * size);
        if (!block->data[c]) {
            synth_block_free(block);
            return clm_error(CLM_E_NOMEM, "synth: out of memory for a block of %lld rows",
                             (long long)capacity);
        }
    }
    return CLM_OK;
}

void synth_block_free(synth_block *block)
{
    if (block->data)
        for (int c = 0; c < synth_n_columns; c++)
            free(block->data[c]);
    free(block->data);
    block->data = NULL;
    block->capacity = 0;
}

/* Copies each field of `row` into slot i of its column array.  The switch
 * on the width lets the compiler emit plain stores. */
static void scatter(synth_block *block, int64_t i, const synth_row *row)
{
    const char *base = (const char *)row;
    for (int c = 0; c < synth_n_columns; c++) {
        const char *src = base + synth_columns[c].offset;
        char *dst = block->data[c];
        switch (block->width[c]) {
        case 1: memcpy(dst + i, src, 1); break;
        case 2: memcpy(dst + 2 * i, src, 2); break;
        case 4: memcpy(dst + 4 * i, src, 4); break;
        default: memcpy(dst + 8 * i, src, 8); break;
        }
    }
}

void synth_block_generate(const synth_model *model, synth_block *block,
                          int64_t row0, int64_t n_rows, int n_threads)
{
    int team = util_threads(n_threads);
    #pragma omp parallel for schedule(static) num_threads(team) if (n_rows > 1024)
    for (int64_t i = 0; i < n_rows; i++) {
        synth_row row;
        synth_row_draw(model, row0 + i, &row);
        scatter(block, i, &row);
    }
}

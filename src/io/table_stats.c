/*
 * table_stats.c — one-pass column summaries.
 *
 * Moments are computed per block with a two-pass mean/M2 (exact within the
 * block) and merged across blocks with Chan et al.'s pairwise update, in
 * block order, so the figures are stable for long columns and independent
 * of how the work is split.  Memory: one block, and one partial per block.
 *
 * On several ranks (table_ranks.h) each rank reads its own whole blocks;
 * the blocks' partials are shared and merged on every rank in block
 * order, so the figures are the serial ones bit for bit, and the counts
 * of categories are integer sums.
 */
#include <math.h>
#include <stdlib.h>

#include "core/util_internal.h"
#include "io/io_internal.h"
#include "io/table_internal.h"
#include "io/io_table_ranks.h"
#include "io/table_ranks.h"

typedef struct moments {
    int64_t count;
    double mean, m2, min, max;
} moments;

static void merge(moments *acc, const moments *b)
{
    if (b->count == 0)
        return;
    if (acc->count == 0) {
        *acc = *b;
        return;
    }
    double n_a = (double)acc->count, n_b = (double)b->count, n = n_a + n_b;
    double delta = b->mean - acc->mean;
    acc->mean += delta * n_b / n;
    acc->m2 += b->m2 + delta * delta * n_a * n_b / n;
    acc->count += b->count;
    if (b->min < acc->min) acc->min = b->min;
    if (b->max > acc->max) acc->max = b->max;
}

/* What the ranks share of a block: its moments and missing values. */
typedef struct block_part {
    moments m;
    int64_t missing;
} block_part;

static moments block_moments(const double *x, int64_t n, int64_t *missing)
{
    moments m = {0, 0.0, 0.0, INFINITY, -INFINITY};
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            (*missing)++;
            continue;
        }
        m.count++;
        sum += x[i];
        if (x[i] < m.min) m.min = x[i];
        if (x[i] > m.max) m.max = x[i];
    }
    if (m.count == 0)
        return m;
    m.mean = sum / (double)m.count;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            double d = x[i] - m.mean;
            m.m2 += d * d;
        }
    return m;
}

/* Rows per block of a column of `length` rows: the unit of the moments'
 * merge, and of the ranks' split. */
static int64_t stats_block(int64_t length)
{
    return length < CLM_BLOCK_ROWS ? (length ? length : 1) : CLM_BLOCK_ROWS;
}

clm_status clm_table_column_stats(const clm_table *t, int column, clm_column_stats *out)
{
    return io_column_stats_ranks(t, column, NULL, out);
}

clm_status io_column_stats_ranks(const clm_table *t, int column, const comm_ctx *comm,
                                 clm_column_stats *out)
{
    const clm_column_info *info = clm_table_column(t, column);
    if (!info)
        return clm_error(CLM_E_PARAM, "%s: no column with index %d", t->path, column);
    int64_t length = info->length;
    const int64_t block = stats_block(length);
    const int64_t n_blocks = (length + block - 1) / block;
    int64_t first, n_mine;
    comm_rows_of(comm, length, block, &first, &n_mine);
    double *buf = malloc((size_t)block * sizeof *buf);
    block_part *parts = calloc((size_t)(n_blocks > 0 ? n_blocks : 1), sizeof *parts);
    clm_status status = CLM_OK;
    if (!buf || !parts)
        status = clm_error(CLM_E_NOMEM, "out of memory summarising column '%s'", info->name);
    /* Rank reads: as many on every rank (io_table_ranks.h), a rank past
     * its rows or after an error taking part with none. */
    const int64_t n_calls = io_rank_calls(comm, (n_mine + block - 1) / block);
    for (int64_t call = 0; call < n_calls; call++) {
        int64_t row0;
        const int64_t n = io_rank_block(first, n_mine, block, call, status != CLM_OK, &row0);
        clm_status read = io_table_read_rank_f64(t, column, row0, n, buf);
        if (n == 0 || (status = read))
            continue;
        block_part *part = &parts[row0 / block];
        part->m = block_moments(buf, n, &part->missing);
    }
    free(buf);
    status = comm_agree(comm, status);
    if (status == CLM_OK)
        status = comm_share_chunks(comm, parts, sizeof *parts, n_blocks);
    moments acc = {0, 0.0, 0.0, INFINITY, -INFINITY};
    int64_t missing = 0;
    for (int64_t b = 0; status == CLM_OK && b < n_blocks; b++) {
        merge(&acc, &parts[b].m);
        missing += parts[b].missing;
    }
    free(parts);
    if (status != CLM_OK)
        return status;
    out->count = acc.count;
    out->missing = missing;
    if (acc.count == 0) {
        out->min = out->max = out->mean = out->std = NAN;
    } else {
        out->min = acc.min;
        out->max = acc.max;
        out->mean = acc.mean;
        out->std = sqrt(acc.m2 / (double)acc.count);
    }
    return CLM_OK;
}

clm_status clm_table_category_counts(const clm_table *t, int column, int64_t *counts, int64_t *missing)
{
    return io_category_counts_ranks(t, column, NULL, counts, missing);
}

clm_status io_category_counts_ranks(const clm_table *t, int column, const comm_ctx *comm,
                                    int64_t *counts, int64_t *missing)
{
    const clm_column_info *info = clm_table_column(t, column);
    if (!info)
        return clm_error(CLM_E_PARAM, "%s: no column with index %d", t->path, column);
    if (info->kind != CLM_KIND_CATEGORICAL)
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' is not categorical", t->path, info->name);
    int64_t length = info->length;
    const int64_t block = stats_block(length);
    int64_t first, n_mine;
    comm_rows_of(comm, length, block, &first, &n_mine);
    for (int32_t c = 0; c < info->n_categories; c++)
        counts[c] = 0;
    *missing = 0;
    int32_t *codes = malloc((size_t)block * sizeof *codes);
    clm_status status = CLM_OK;
    if (!codes)
        status = clm_error(CLM_E_NOMEM, "out of memory counting column '%s'", info->name);
    const int64_t n_calls = io_rank_calls(comm, (n_mine + block - 1) / block);
    for (int64_t call = 0; call < n_calls; call++) {
        int64_t row0;
        const int64_t n = io_rank_block(first, n_mine, block, call, status != CLM_OK, &row0);
        clm_status read = io_table_read_rank_i32(t, column, row0, n, codes);
        if (n == 0 || (status = read))
            continue;
        for (int64_t i = 0; status == CLM_OK && i < n; i++) {
            int32_t code = codes[i];
            if (code == -1)
                (*missing)++;
            else if (code >= 0 && code < info->n_categories)
                counts[code]++;
            else
                status = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: code %d is outside its %d categories",
                                   t->path, info->name, (long long)(row0 + i), code, info->n_categories);
        }
    }
    free(codes);
    status = comm_agree(comm, status);
    if (status == CLM_OK)
        status = comm_sum_i64(comm, counts, info->n_categories);
    if (status == CLM_OK)
        status = comm_sum_i64(comm, missing, 1);
    return status;
}

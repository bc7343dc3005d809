/*
 * table_stats.c — one-pass column summaries.
 *
 * Moments are computed per block with a two-pass mean/M2 (exact within the
 * block) and merged across blocks with Chan et al.'s pairwise update, in
 * block order, so the figures are stable for long columns and independent
 * of how the work is split.  Memory: one block.
 */
#include <math.h>
#include <stdlib.h>

#include "core/util_internal.h"
#include "io/io_internal.h"
#include "io/table_internal.h"

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

clm_status clm_table_column_stats(const clm_table *t, int column, clm_column_stats *out)
{
    const clm_column_info *info = clm_table_column(t, column);
    if (!info)
        return clm_error(CLM_E_PARAM, "%s: no column with index %d", t->path, column);
    int64_t length = info->length;
    int64_t block = length < CLM_BLOCK_ROWS ? (length ? length : 1) : CLM_BLOCK_ROWS;
    double *buf = malloc((size_t)block * sizeof *buf);
    if (!buf)
        return clm_error(CLM_E_NOMEM, "out of memory summarising column '%s'", info->name);
    moments acc = {0, 0.0, 0.0, INFINITY, -INFINITY};
    int64_t missing = 0;
    clm_status status = CLM_OK;
    for (int64_t row0 = 0; row0 < length && status == CLM_OK; row0 += block) {
        int64_t n = util_block_len(length, row0, block);
        status = clm_table_read_f64(t, column, row0, n, buf);
        if (status == CLM_OK) {
            moments m = block_moments(buf, n, &missing);
            merge(&acc, &m);
        }
    }
    free(buf);
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
    const clm_column_info *info = clm_table_column(t, column);
    if (!info)
        return clm_error(CLM_E_PARAM, "%s: no column with index %d", t->path, column);
    if (info->kind != CLM_KIND_CATEGORICAL)
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' is not categorical", t->path, info->name);
    int64_t length = info->length;
    int64_t block = length < CLM_BLOCK_ROWS ? (length ? length : 1) : CLM_BLOCK_ROWS;
    int32_t *codes = malloc((size_t)block * sizeof *codes);
    if (!codes)
        return clm_error(CLM_E_NOMEM, "out of memory counting column '%s'", info->name);
    for (int32_t c = 0; c < info->n_categories; c++)
        counts[c] = 0;
    *missing = 0;
    clm_status status = CLM_OK;
    for (int64_t row0 = 0; row0 < length && status == CLM_OK; row0 += block) {
        int64_t n = util_block_len(length, row0, block);
        status = clm_table_read_i32(t, column, row0, n, codes);
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
    return status;
}

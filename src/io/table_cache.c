/*
 * table_cache.c — the in-memory column cache of a clm_table.
 *
 * A quarterly run reads most columns several times (k-means features, the
 * tree's features, survival, stages, the warning list).  With the cache on
 * (clm_table_set_cache), the first read of a column loads the whole column
 * once from the file in its stored type; every later read of any row range
 * is served from memory, converted by a C cast.  The casts are the ones
 * HDF5's hard conversions make between native types (one rounding, NaN
 * kept), so a read gives the same values with the cache on or off — the
 * run's outputs do not depend on it (tested in tests/io).  Enum columns
 * (numpy bool) are not cached: they need HDF5's own raw read.
 *
 * Memory: the stored size of every column read (a 10M-row quarter of 25
 * four-byte columns is about 1 GB), freed with the table.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "io/io_internal.h"
#include "io/table_internal.h"

clm_status clm_table_set_cache(clm_table *t, int on)
{
    if (!t)
        return clm_error(CLM_E_PARAM, "no table");
    t->cache_on = on != 0;
    if (!t->cache_on)
        for (int i = 0; i < t->n_columns; i++) {
            free(t->columns[i].cache);
            t->columns[i].cache = NULL;
        }
    return CLM_OK;
}

void io_table_hold_cache(clm_table *t, int hold)
{
    if (t)
        t->cache_held = hold != 0;
}

/* Loads the whole column in its stored (native) type. */
static clm_status load(const clm_table *t, table_column *c)
{
    int64_t n = c->info.length;
    size_t size = (size_t)clm_dtype_size(c->info.dtype);
    void *data = malloc((size_t)(n > 0 ? n : 1) * size);
    if (!data)
        return clm_error(CLM_E_NOMEM, "%s: out of memory caching column '%s' (%lld rows)", t->path,
                         c->name, (long long)n);
    c->cache = data; /* read_rows must see the cache off for this read */
    c->caching = 1;
    clm_status st = io_read_rows(t, c, 0, n, io_native_type(c->info.dtype), data);
    c->caching = 0;
    if (st) {
        free(data);
        c->cache = NULL;
    }
    return st;
}

/* dst[i] = (TO)stored[i] for the stored type of the column. */
#define CONVERT(TO)                                                                   \
    do {                                                                              \
        TO *dst = out;                                                                \
        switch (c->info.dtype) {                                                      \
        case CLM_DT_INT8: { const int8_t *s = (const int8_t *)stored;          \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_UINT8: { const uint8_t *s = (const uint8_t *)stored;       \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_INT16: { const int16_t *s = (const int16_t *)stored;       \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_UINT16: { const uint16_t *s = (const uint16_t *)stored;    \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_INT32: { const int32_t *s = (const int32_t *)stored;       \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_UINT32: { const uint32_t *s = (const uint32_t *)stored;    \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_INT64: { const int64_t *s = (const int64_t *)stored;       \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_UINT64: { const uint64_t *s = (const uint64_t *)stored;    \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_FLOAT32: { const float *s = (const float *)stored;         \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        case CLM_DT_FLOAT64: { const double *s = (const double *)stored;       \
            for (int64_t i = 0; i < n_rows; i++) { dst[i] = (TO)s[i]; } break; }          \
        default: return 0;                                                            \
        }                                                                             \
    } while (0)

int io_convert(const table_column *c, const void *stored, int64_t n_rows, hid_t mem_type, void *out)
{
    int kind = H5Tequal(mem_type, H5T_NATIVE_FLOAT) > 0    ? 0
               : H5Tequal(mem_type, H5T_NATIVE_DOUBLE) > 0 ? 1
               : H5Tequal(mem_type, H5T_NATIVE_INT64) > 0  ? 2
               : H5Tequal(mem_type, H5T_NATIVE_INT32) > 0  ? 3
                                                           : -1;
    if (kind < 0 || c->is_enum || c->info.kind == CLM_KIND_UNSUPPORTED)
        return 0;
    switch (kind) {
    case 0: CONVERT(float); break;
    case 1: CONVERT(double); break;
    case 2:
        if (c->info.dtype == CLM_DT_UINT64) {
            /* HDF5 clips what does not fit (a C cast would wrap) */
            const uint64_t *src = stored;
            int64_t *dst = out;
            for (int64_t i = 0; i < n_rows; i++)
                dst[i] = src[i] > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)src[i];
            break;
        }
        CONVERT(int64_t);
        break;
    default: CONVERT(int32_t); break; /* narrow integer types only (table_read.c) */
    }
    return 1;
}

int io_cache_read(const clm_table *t, const table_column *col, int64_t row0, int64_t n_rows,
                  hid_t mem_type, void *out, clm_status *status)
{
    table_column *c = (table_column *)col; /* the handle is single-threaded */
    if (!t->cache_on || c->caching || c->is_enum || c->info.kind == CLM_KIND_UNSUPPORTED)
        return 0;
    if (io_convert(c, NULL, 0, mem_type, NULL) == 0)
        return 0;
    if (!c->cache && t->cache_held)
        return 0;
    if (!c->cache && (*status = load(t, c)) != CLM_OK)
        return 1;
    *status = CLM_OK;
    const size_t size = (size_t)clm_dtype_size(c->info.dtype);
    io_convert(c, (const char *)c->cache + (size_t)row0 * size, n_rows, mem_type, out);
    return 1;
}

/*
 * table_read.c — hyperslab reads of a row range of one column, converted to
 * the caller's type.
 *
 * HDF5 converts every integer and float type to float/double/int64 on the
 * way in, so no byte is copied twice.  Two cases need our own conversion:
 * HDF5 enums (numpy bool as written by h5py), which HDF5 will not convert to
 * numbers, and the missing code -1 of categorical columns, which becomes NaN
 * in float reads.  Reads into int32 go through int64 so that a value out of
 * range is reported with its row instead of being clipped silently.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "io/table_internal.h"

/* Validates column and row range; returns the column or NULL with the
 * error recorded in *status. */
static const table_column *check_range(const clm_table *t, int column, int64_t row0, int64_t n_rows,
                                       clm_status *status)
{
    if (column < 0 || column >= t->n_columns) {
        *status = clm_error(CLM_E_PARAM, "%s: no column with index %d", t->path, column);
        return NULL;
    }
    const table_column *c = &t->columns[column];
    if (c->info.kind == CLM_KIND_UNSUPPORTED) {
        *status = clm_error(CLM_E_SCHEMA, "%s: column '%s' has type %s and cannot be read as numbers",
                            t->path, c->name, clm_dtype_name(c->info.dtype));
        return NULL;
    }
    if (row0 < 0 || n_rows < 0 || row0 > c->info.length || n_rows > c->info.length - row0) {
        *status = clm_error(CLM_E_PARAM, "%s: column '%s': rows %lld..%lld are outside its %lld rows",
                            t->path, c->name, (long long)row0, (long long)(row0 + n_rows),
                            (long long)c->info.length);
        return NULL;
    }
    *status = CLM_OK;
    return c;
}

/* One hyperslab read of rows [row0, row0+n) into `out` as `mem_type`. */
clm_status io_read_rows(const clm_table *t, const table_column *c, int64_t row0, int64_t n_rows,
                        hid_t mem_type, void *out)
{
    const int collective = t->rank_read;
    if (n_rows == 0 && !collective)
        return CLM_OK;
    clm_status cached;
    if (!collective && io_cache_read(t, c, row0, n_rows, mem_type, out, &cached))
        return cached;
    ((clm_table *)t)->rank_read = 0; /* later reads (the float32 range check) are the rank's own */
    /* HDF5 1.10 makes a collective read that converts types into
     * independent ones: the rows are read in their stored type, then
     * converted by the cache's casts (HDF5's own). */
    void *stored = NULL;
    int no_room = 0;
    const int convert = collective && H5Tequal(mem_type, io_native_type(c->info.dtype)) <= 0 &&
                        io_convert(c, NULL, 0, mem_type, NULL);
    if (convert && n_rows > 0) {
        stored = malloc((size_t)n_rows * (size_t)clm_dtype_size(c->info.dtype));
        no_room = !stored; /* still takes part, with nothing */
    }
    hsize_t start = (hsize_t)row0, count = (hsize_t)n_rows, one = n_rows > 0 ? count : 1;
    hid_t fspace = H5Dget_space(c->dataset);
    hid_t mspace = H5Screate_simple(1, &one, NULL);
    const int spaces = fspace >= 0 && mspace >= 0;
    const int selected = spaces && n_rows > 0 && !no_room &&
                         H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL) >= 0;
    /* A rank without rows takes part in the collective read with nothing. */
    const int empty = spaces && !selected && H5Sselect_none(fspace) >= 0 && H5Sselect_none(mspace) >= 0;
    static double nothing;
    herr_t rc = -1;
    if (selected || (collective && empty))
        rc = H5Dread(c->dataset, convert ? io_native_type(c->info.dtype) : mem_type, mspace, fspace,
                     collective ? t->rank_dxpl : H5P_DEFAULT,
                     !selected ? (void *)&nothing : stored ? stored : out);
    if (collective)
        io_note_rank_read(t, c);
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    if (stored && rc >= 0)
        io_convert(c, stored, n_rows, mem_type, out);
    free(stored);
    if (no_room)
        return clm_error(CLM_E_NOMEM, "%s: column '%s': out of memory reading rows %lld..%lld", t->path,
                         c->name, (long long)row0, (long long)(row0 + n_rows - 1));
    if (rc < 0 || (n_rows > 0 && !selected))
        return clm_error(CLM_E_FORMAT, "%s: column '%s': cannot read rows %lld..%lld (corrupt or truncated file?)",
                         t->path, c->name, (long long)row0, (long long)(row0 + n_rows - 1));
    return CLM_OK;
}

/* Enum columns: read the raw base integers, convert them here. */
static clm_status read_enum_as_i64(const clm_table *t, const table_column *c, int64_t row0, int64_t n_rows,
                                   int64_t *out)
{
    hid_t ftype = H5Dget_type(c->dataset);
    hid_t mtype = ftype >= 0 ? H5Tget_native_type(ftype, H5T_DIR_ASCEND) : -1;
    int size = clm_dtype_size(c->info.dtype);
    unsigned char *raw = malloc((size_t)(n_rows ? n_rows : 1) * (size_t)size);
    clm_status status = CLM_OK;
    if (ftype < 0 || mtype < 0 || !raw)
        status = clm_error(raw ? CLM_E_HDF5 : CLM_E_NOMEM, "%s: column '%s': cannot read enum values", t->path, c->name);
    else
        status = io_read_rows(t, c, row0, n_rows, mtype, raw);
    for (int64_t i = 0; status == CLM_OK && i < n_rows; i++) {
        const unsigned char *p = raw + i * size;
        switch (c->info.dtype) {
        case CLM_DT_INT8: out[i] = *(const int8_t *)p; break;
        case CLM_DT_UINT8: out[i] = *(const uint8_t *)p; break;
        case CLM_DT_INT16: { int16_t v; memcpy(&v, p, 2); out[i] = v; break; }
        case CLM_DT_UINT16: { uint16_t v; memcpy(&v, p, 2); out[i] = v; break; }
        case CLM_DT_INT32: { int32_t v; memcpy(&v, p, 4); out[i] = v; break; }
        case CLM_DT_UINT32: { uint32_t v; memcpy(&v, p, 4); out[i] = v; break; }
        default: { int64_t v; memcpy(&v, p, 8); out[i] = v; break; }
        }
    }
    free(raw);
    if (mtype >= 0) H5Tclose(mtype);
    if (ftype >= 0) H5Tclose(ftype);
    return status;
}

/* A categorical code is -1 (missing) or one of the column's categories;
 * anything else (-5, a code past the dictionary) is an error naming the
 * row, not a silent "missing". */
static clm_status bad_code(const clm_table *t, const table_column *c, int64_t row, double code)
{
    if (code < -1)
        return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: code %g is not a category (-1 means missing)",
                         t->path, c->name, (long long)row, code);
    return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: code %g is outside its %d categories", t->path,
                     c->name, (long long)row, code, (int)c->info.n_categories);
}

#define CHECK_CODES(values)                                                              \
    do {                                                                                 \
        if (status == CLM_OK && c->info.kind == CLM_KIND_CATEGORICAL)                    \
            for (int64_t i = 0; i < n_rows; i++)                                         \
                if ((values)[i] < -1 || (values)[i] >= c->info.n_categories) {           \
                    status = bad_code(t, c, row0 + i, (double)(values)[i]);              \
                    break;                                                               \
                }                                                                        \
    } while (0)

static int is_float(clm_dtype d)
{
    return d == CLM_DT_FLOAT32 || d == CLM_DT_FLOAT64;
}

clm_status clm_table_read_i64(const clm_table *t, int column, int64_t row0, int64_t n_rows, int64_t *out)
{
    clm_status status;
    const table_column *c = check_range(t, column, row0, n_rows, &status);
    if (!c)
        return status;
    if (is_float(c->info.dtype))
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' holds %s values, expected integers",
                         t->path, c->name, clm_dtype_name(c->info.dtype));
    status = c->is_enum ? read_enum_as_i64(t, c, row0, n_rows, out)
                        : io_read_rows(t, c, row0, n_rows, H5T_NATIVE_INT64, out);
    CHECK_CODES(out);
    return status;
}

clm_status clm_table_read_i32(const clm_table *t, int column, int64_t row0, int64_t n_rows, int32_t *out)
{
    clm_status status;
    const table_column *c = check_range(t, column, row0, n_rows, &status);
    if (!c)
        return status;
    clm_dtype d = c->info.dtype;
    if (!c->is_enum && (d == CLM_DT_INT8 || d == CLM_DT_UINT8 || d == CLM_DT_INT16 ||
                        d == CLM_DT_UINT16 || d == CLM_DT_INT32)) {
        status = io_read_rows(t, c, row0, n_rows, H5T_NATIVE_INT32, out);
        CHECK_CODES(out);
        return status;
    }
    /* Wider types: through int64, checking the range. */
    int64_t *wide = malloc((size_t)(n_rows ? n_rows : 1) * sizeof *wide);
    if (!wide)
        return clm_error(CLM_E_NOMEM, "out of memory reading column '%s'", c->name);
    status = clm_table_read_i64(t, column, row0, n_rows, wide);
    for (int64_t i = 0; status == CLM_OK && i < n_rows; i++) {
        if (wide[i] < INT32_MIN || wide[i] > INT32_MAX)
            status = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: value %lld does not fit in 32 bits",
                               t->path, c->name, (long long)(row0 + i), (long long)wide[i]);
        else
            out[i] = (int32_t)wide[i];
    }
    free(wide);
    return status;
}

clm_status clm_table_read_f64(const clm_table *t, int column, int64_t row0, int64_t n_rows, double *out)
{
    clm_status status;
    const table_column *c = check_range(t, column, row0, n_rows, &status);
    if (!c)
        return status;
    if (c->is_enum) {
        /* int64 and double have the same size: convert in place. */
        status = read_enum_as_i64(t, c, row0, n_rows, (int64_t *)(void *)out);
        for (int64_t i = 0; status == CLM_OK && i < n_rows; i++) {
            int64_t v;
            memcpy(&v, &out[i], sizeof v);
            out[i] = (double)v;
        }
    } else {
        status = io_read_rows(t, c, row0, n_rows, H5T_NATIVE_DOUBLE, out);
    }
    CHECK_CODES(out);
    if (status == CLM_OK && c->info.kind == CLM_KIND_CATEGORICAL)
        for (int64_t i = 0; i < n_rows; i++)
            if (out[i] == -1)
                out[i] = NAN;
    return status;
}

clm_status clm_table_read_f32(const clm_table *t, int column, int64_t row0, int64_t n_rows, float *out)
{
    clm_status status;
    const table_column *c = check_range(t, column, row0, n_rows, &status);
    if (!c)
        return status;
    if (c->is_enum) {
        int64_t *wide = malloc((size_t)(n_rows ? n_rows : 1) * sizeof *wide);
        if (!wide)
            return clm_error(CLM_E_NOMEM, "out of memory reading column '%s'", c->name);
        status = read_enum_as_i64(t, c, row0, n_rows, wide);
        for (int64_t i = 0; status == CLM_OK && i < n_rows; i++)
            out[i] = (float)wide[i];
        free(wide);
    } else {
        status = io_read_rows(t, c, row0, n_rows, H5T_NATIVE_FLOAT, out);
    }
    CHECK_CODES(out);
    if (status == CLM_OK && c->info.kind == CLM_KIND_CATEGORICAL)
        for (int64_t i = 0; i < n_rows; i++)
            if (out[i] == -1)
                out[i] = NAN;
    /* A finite float64 beyond the float32 range would become +-inf here
     * (an ARPU of 1e300 turned into "inf" in the reports): an error naming
     * the row instead.  A stored infinity stays one. */
    if (status == CLM_OK && c->info.dtype == CLM_DT_FLOAT64)
        for (int64_t i = 0; i < n_rows; i++)
            if (isinf(out[i])) {
                double v = 0.0;
                status = io_read_rows(t, c, row0 + i, 1, H5T_NATIVE_DOUBLE, &v);
                if (status == CLM_OK && isfinite(v))
                    status = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: %g is beyond the float32 range "
                                       "(|x| < 3.4e38) in which clmseg computes",
                                       t->path, c->name, (long long)(row0 + i), v);
                if (status)
                    break;
            }
    return status;
}

/* Rows per tile of the transpose: a tile of the row-major output
 * (64 rows x up to a few hundred features) stays in L1/L2 while the
 * column-major source streams through. */
#define TRANSPOSE_TILE 64

clm_status clm_table_read_block_f32(const clm_table *t, const int *columns, int n_columns,
                                    int64_t row0, int64_t n_rows, float *out, float *scratch)
{
    return io_read_block_f32(t, columns, n_columns, row0, n_rows, out, scratch, clm_table_read_f32);
}

clm_status io_read_block_f32(const clm_table *t, const int *columns, int n_columns, int64_t row0,
                             int64_t n_rows, float *out, float *scratch, io_read_f32_fn read)
{
    if (n_columns < 0 || (n_columns > 0 && !columns))
        return clm_error(CLM_E_PARAM, "%s: bad column list", t->path);
    /* A rank read takes part with no rows: the other ranks may have some. */
    const int every_call = read != clm_table_read_f32;
    if (n_columns == 0 || (n_rows == 0 && !every_call))
        return CLM_OK;
    /* Stage the columns contiguously, then transpose tile by tile: scattering
     * each column straight into the row-major block touches a new cache line
     * per value and costs about three times the read itself.  The staging
     * buffer belongs to the table (the handle is single-threaded), so it is
     * allocated once per table, bounded by the largest block asked for. */
    clm_table *mut = (clm_table *)t;
    size_t need = (size_t)n_rows * (size_t)n_columns;
    if (need > mut->column_block_cap) {
        float *grown = realloc(mut->column_block, need * sizeof *grown);
        if (!grown) {
            /* Fall back to the caller's one-column scratch. */
            clm_status status = CLM_OK;
            for (int j = 0; j < n_columns && (!status || every_call); j++) {
                clm_status s = read(t, columns[j], row0, status ? 0 : n_rows, scratch);
                for (int64_t i = 0; !status && !s && i < n_rows; i++)
                    out[i * n_columns + j] = scratch[i];
                status = status ? status : s;
            }
            return status;
        }
        mut->column_block = grown;
        mut->column_block_cap = need;
    }
    float *staged = mut->column_block;
    clm_status status = CLM_OK;
    for (int j = 0; j < n_columns && (!status || every_call); j++) {
        clm_status s = read(t, columns[j], row0, status ? 0 : n_rows, staged + (size_t)j * n_rows);
        status = status ? status : s;
    }
    if (status)
        return status;
    for (int64_t i0 = 0; i0 < n_rows; i0 += TRANSPOSE_TILE) {
        int64_t i1 = i0 + TRANSPOSE_TILE < n_rows ? i0 + TRANSPOSE_TILE : n_rows;
        for (int j = 0; j < n_columns; j++) {
            const float *src = staged + (size_t)j * n_rows;
            for (int64_t i = i0; i < i1; i++)
                out[i * n_columns + j] = src[i];
        }
    }
    return CLM_OK;
}

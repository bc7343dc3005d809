/*
 * writer.c — HDF5 outputs: per-row datasets written in blocks, small model
 * arrays, attributes; the file lives under a temporary name until commit.
 *
 * Groups are created with link creation order tracked and indexed, so
 * readers (clmseg inspect, h5py with track_order) list columns in the order
 * they were written.  Per-row datasets are chunked by CLM_BLOCK_ROWS rows,
 * the unit every driver streams, and uncompressed: the engine is bound by
 * memory bandwidth and compression would cost more than it saves here.
 *
 * A full disk.  The file is written through clmseg's own file driver
 * (h5_driver.c), which records a failed write in `io_error` instead of
 * letting HDF5 see it (HDF5 1.10 crashes at exit after a failed close).
 * Every call checks `io_error` when it is done and reports the failure
 * naming the output and the system error; the file then closes cleanly,
 * in one place (close_file), and is removed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "clmseg/writer.h"
#include "io/io_internal.h"

typedef struct out_column {
    hid_t dataset;
    clm_dtype dtype;
    int64_t length;
    char *path;
} out_column;

struct clm_writer {
    hid_t file;                /* H5I_INVALID_HID once closed               */
    char *path;                /* the final name, for messages              */
    char temp[4096];           /* the name it is written under              */
    out_column *columns;
    int n_columns, cap_columns;
    int io_error;              /* errno of the first failed write, or 0:
                                  set by the file driver (h5_driver.c)      */
    clm_status closed;         /* the result of close_file, once closed     */
    int defer_rows;            /* io_writer_defer_rows: column arrays as zeros */
};

/* A call failed: CLM_E_IO "<path>: <what>: <system error>" when a write
 * to the file failed, else CLM_E_HDF5 (the library refused the call). */
static clm_status write_error(const clm_writer *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static clm_status write_error(const clm_writer *w, const char *fmt, ...)
{
    char what[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    if (w->io_error)
        return clm_error(CLM_E_IO, "%s: %s: %s", w->path, what, strerror(w->io_error));
    return clm_error(CLM_E_HDF5, "%s: %s", w->path, what);
}

static hid_t link_plist(void)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    H5Pset_char_encoding(lcpl, H5T_CSET_UTF8);
    return lcpl;
}

static hid_t group_plist(void)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    /* No modification times: the same run gives the same file bytes. */
    H5Pset_obj_track_times(gcpl, 0);
    return gcpl;
}

/* Dataset creation properties: untimed, so outputs are byte-reproducible. */
static hid_t dataset_plist(void)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    return dcpl;
}

clm_status clm_writer_create(const char *path, const char *const *inputs, clm_writer **out)
{
    *out = NULL;
    io_silence_hdf5();
    clm_status status = io_check_inputs(path, inputs);
    if (status != CLM_OK)
        return status;
    clm_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = malloc(strlen(path) + 1))) {
        free(w);
        return clm_error(CLM_E_NOMEM, "out of memory creating '%s'", path);
    }
    strcpy(w->path, path);
    w->file = H5I_INVALID_HID;
    status = io_temp_name(path, w->temp, sizeof w->temp);
    if (status != CLM_OK) {
        free(w->path);
        free(w);
        return status;
    }
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_obj_track_times(fcpl, 0);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    /* The 1.8 format keeps an attribute too large for the 64 KiB object
     * header in dense storage: a categorical column may have any number of
     * labels (docs/formats.md). */
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
    if (io_h5_driver_use(fapl, &w->io_error) == 0)
        w->file = H5Fcreate(w->temp, H5F_ACC_EXCL, fcpl, fapl);
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if (w->file < 0 || w->io_error) {
        /* A folder we may not write to is bad input; a full disk is not. */
        int error = w->io_error;
        int denied = error == EACCES || error == EPERM || error == EROFS || error == ENOENT || error == EEXIST;
        status = clm_error(denied ? CLM_E_OPEN : error ? CLM_E_IO : CLM_E_HDF5, "cannot create '%s' (as '%s'): %s",
                           w->path, w->temp, error ? strerror(error) : "the HDF5 library refused");
        if (w->file >= 0) {
            w->io_error = ECANCELED;
            H5Fclose(w->file);
        }
        if (error == EEXIST) /* someone else's file: leave it */
            io_temp_release(w->temp);
        else
            io_temp_discard(w->temp);
        free(w->path);
        free(w);
        return status;
    }
    *out = w;
    return CLM_OK;
}

clm_status clm_writer_group(clm_writer *w, const char *group_path)
{
    if (H5Lexists(w->file, group_path, H5P_DEFAULT) > 0)
        return CLM_OK;
    /* Create parents one by one so each gets the creation-order property. */
    char buf[1024];
    size_t len = strlen(group_path);
    if (len >= sizeof buf)
        return clm_error(CLM_E_PARAM, "group path too long: '%.64s...'", group_path);
    memcpy(buf, group_path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (H5Lexists(w->file, buf, H5P_DEFAULT) <= 0) {
            hid_t gcpl = group_plist();
            hid_t g = H5Gcreate2(w->file, buf, H5P_DEFAULT, gcpl, H5P_DEFAULT);
            H5Pclose(gcpl);
            if (g < 0)
                return write_error(w, "cannot create group '%s'", buf);
            H5Gclose(g);
            if (w->io_error)
                return write_error(w, "cannot create group '%s'", buf);
        }
        buf[i] = saved;
    }
    return CLM_OK;
}

/* Creates the parent group of a dataset path. */
static clm_status make_parent(clm_writer *w, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return CLM_OK;
    char parent[1024];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof parent)
        return clm_error(CLM_E_PARAM, "dataset path too long: '%.64s...'", path);
    memcpy(parent, path, n);
    parent[n] = '\0';
    return clm_writer_group(w, parent);
}

clm_status clm_writer_column_create(clm_writer *w, const char *path, clm_dtype dtype, int64_t length,
                                    int *column)
{
    hid_t mtype = io_native_type(dtype);
    if (mtype < 0 || length < 0)
        return clm_error(CLM_E_PARAM, "%s: dataset '%s': unsupported type or length", w->path, path);
    clm_status status = make_parent(w, path);
    if (status != CLM_OK)
        return status;
    if (w->n_columns == w->cap_columns) {
        int cap = w->cap_columns ? 2 * w->cap_columns : 16;
        out_column *c = realloc(w->columns, (size_t)cap * sizeof *c);
        if (!c)
            return clm_error(CLM_E_NOMEM, "out of memory");
        w->columns = c;
        w->cap_columns = cap;
    }
    hsize_t dims = (hsize_t)length;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t dcpl = dataset_plist();
    if (length > 0) {
        hsize_t chunk = length < CLM_BLOCK_ROWS ? (hsize_t)length : CLM_BLOCK_ROWS;
        H5Pset_chunk(dcpl, 1, &chunk);
    }
    hid_t lcpl = link_plist();
    hid_t ds = H5Dcreate2(w->file, path, mtype, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (ds >= 0 && w->io_error)
        H5Dclose(ds);
    if (ds < 0 || w->io_error)
        return w->io_error || H5Lexists(w->file, path, H5P_DEFAULT) <= 0
                   ? write_error(w, "cannot create dataset '%s'", path)
                   : clm_error(CLM_E_HDF5, "%s: cannot create dataset '%s': it exists already", w->path, path);
    out_column *c = &w->columns[w->n_columns];
    c->dataset = ds;
    c->dtype = dtype;
    c->length = length;
    c->path = malloc(strlen(path) + 1);
    if (!c->path) {
        H5Dclose(ds);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    strcpy(c->path, path);
    *column = w->n_columns++;
    return CLM_OK;
}

clm_status clm_writer_column_array(clm_writer *w, const char *path, clm_dtype dtype, int64_t length,
                                   const void *data)
{
    if (w->defer_rows)
        return io_writer_column_zeros(w, path, dtype, length);
    int column = -1;
    clm_status st = clm_writer_column_create(w, path, dtype, length, &column);
    const size_t size = (size_t)clm_dtype_size(dtype);
    /* Chunk by chunk, so each H5Dwrite covers whole chunks of the dataset. */
    for (int64_t row0 = 0; !st && row0 < length; row0 += CLM_BLOCK_ROWS)
        st = clm_writer_column_write(w, column, row0, util_block_len(length, row0, CLM_BLOCK_ROWS),
                                     (const char *)data + (size_t)row0 * size);
    return st;
}

clm_status io_writer_array_zeros(clm_writer *w, const char *path, clm_dtype dtype, int64_t rows, int64_t width)
{
    hid_t mtype = io_native_type(dtype);
    if (mtype < 0 || rows < 0 || width < 1)
        return clm_error(CLM_E_PARAM, "%s: dataset '%s': unsupported type or shape", w->path, path);
    clm_status status = make_parent(w, path);
    if (status != CLM_OK)
        return status;
    /* clm_writer_array's dataset, its rows written in blocks of zeros: the
     * contiguous storage is allocated whole by the first write either way. */
    hsize_t hdims[2] = {(hsize_t)rows, (hsize_t)width};
    hid_t space = H5Screate_simple(2, hdims, NULL);
    hid_t lcpl = link_plist();
    hid_t dcpl = dataset_plist();
    hid_t ds = H5Dcreate2(w->file, path, mtype, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
    void *zeros = calloc((size_t)CLM_BLOCK_ROWS * (size_t)width, (size_t)clm_dtype_size(dtype));
    herr_t rc = ds >= 0 && zeros ? 0 : -1;
    for (int64_t row0 = 0; rc >= 0 && row0 < rows; row0 += CLM_BLOCK_ROWS) {
        hsize_t start[2] = {(hsize_t)row0, 0}, count[2] = {(hsize_t)util_block_len(rows, row0, CLM_BLOCK_ROWS),
                                                            (hsize_t)width};
        hid_t mspace = H5Screate_simple(2, count, NULL);
        rc = mspace >= 0 ? H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL) : -1;
        if (rc >= 0)
            rc = H5Dwrite(ds, mtype, mspace, space, H5P_DEFAULT, zeros);
        if (mspace >= 0)
            H5Sclose(mspace);
    }
    free(zeros);
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    if (rc < 0 || w->io_error)
        return write_error(w, "cannot write dataset '%s'", path);
    return CLM_OK;
}

clm_status io_writer_column_zeros(clm_writer *w, const char *path, clm_dtype dtype, int64_t length)
{
    int column = -1;
    clm_status st = clm_writer_column_create(w, path, dtype, length, &column);
    void *zeros = st ? NULL : calloc(CLM_BLOCK_ROWS, (size_t)clm_dtype_size(dtype));
    if (!st && !zeros)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    /* The chunks of clm_writer_column_array, allocated in the same order. */
    for (int64_t row0 = 0; !st && row0 < length; row0 += CLM_BLOCK_ROWS)
        st = clm_writer_column_write(w, column, row0, util_block_len(length, row0, CLM_BLOCK_ROWS), zeros);
    free(zeros);
    return st;
}

void io_writer_defer_rows(clm_writer *w, int on)
{
    w->defer_rows = on;
}

const char *io_writer_temp_path(const clm_writer *w)
{
    return w->temp;
}

clm_status clm_writer_column_write(clm_writer *w, int column, int64_t row0, int64_t n_rows, const void *data)
{
    if (column < 0 || column >= w->n_columns)
        return clm_error(CLM_E_PARAM, "%s: no output dataset %d", w->path, column);
    out_column *c = &w->columns[column];
    if (row0 < 0 || n_rows < 0 || row0 > c->length || n_rows > c->length - row0)
        return clm_error(CLM_E_PARAM, "%s: dataset '%s': rows %lld..%lld are outside its %lld rows", w->path,
                         c->path, (long long)row0, (long long)(row0 + n_rows), (long long)c->length);
    if (n_rows == 0)
        return CLM_OK;
    hsize_t start = (hsize_t)row0, count = (hsize_t)n_rows;
    hid_t fspace = H5Dget_space(c->dataset);
    hid_t mspace = H5Screate_simple(1, &count, NULL);
    herr_t rc = -1;
    if (fspace >= 0 && mspace >= 0 && H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL) >= 0)
        rc = H5Dwrite(c->dataset, io_native_type(c->dtype), mspace, fspace, H5P_DEFAULT, data);
    if (mspace >= 0) H5Sclose(mspace);
    if (fspace >= 0) H5Sclose(fspace);
    if (rc < 0 || w->io_error)
        return write_error(w, "cannot write rows %lld..%lld of '%s'", (long long)row0,
                           (long long)(row0 + n_rows - 1), c->path);
    return CLM_OK;
}

clm_status clm_writer_array(clm_writer *w, const char *path, clm_dtype dtype, int rank, const int64_t *dims,
                            const void *data)
{
    hid_t mtype = io_native_type(dtype);
    if (mtype < 0 || rank < 1 || rank > 2)
        return clm_error(CLM_E_PARAM, "%s: dataset '%s': unsupported type or rank", w->path, path);
    clm_status status = make_parent(w, path);
    if (status != CLM_OK)
        return status;
    hsize_t hdims[2];
    for (int i = 0; i < rank; i++)
        hdims[i] = (hsize_t)dims[i];
    hid_t space = H5Screate_simple(rank, hdims, NULL);
    hid_t lcpl = link_plist();
    hid_t dcpl = dataset_plist();
    hid_t ds = H5Dcreate2(w->file, path, mtype, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
    herr_t rc = ds >= 0 ? H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    if (rc < 0 || w->io_error)
        return write_error(w, "cannot write dataset '%s'", path);
    return CLM_OK;
}

static hid_t vlen_string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

clm_status clm_writer_strings(clm_writer *w, const char *path, const char *const *strings, int64_t count)
{
    clm_status status = make_parent(w, path);
    if (status != CLM_OK)
        return status;
    hsize_t dims = (hsize_t)count;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t type = vlen_string_type();
    hid_t lcpl = link_plist();
    hid_t dcpl = dataset_plist();
    hid_t ds = H5Dcreate2(w->file, path, type, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Pclose(lcpl);
    herr_t rc = ds >= 0 ? (count ? H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings) : 0) : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Tclose(type);
    H5Sclose(space);
    if (rc < 0 || w->io_error)
        return write_error(w, "cannot write dataset '%s'", path);
    return CLM_OK;
}

/* Writes an attribute, replacing one of the same name. */
static clm_status write_attr(clm_writer *w, const char *object_path, const char *name, hid_t type, hid_t space,
                             const void *data)
{
    hid_t obj = H5Oopen(w->file, object_path, H5P_DEFAULT);
    if (obj < 0)
        return clm_writer_exists(w, object_path)
                   ? write_error(w, "cannot open '%s' to write its attribute '%s'", object_path, name)
                   : clm_error(CLM_E_PARAM, "%s: no object '%s' to attach attribute '%s' to", w->path,
                               object_path, name);
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = attr >= 0 ? H5Awrite(attr, type, data) : -1;
    if (attr >= 0) H5Aclose(attr);
    H5Oclose(obj);
    if (rc < 0 || w->io_error)
        return write_error(w, "cannot write attribute '%s' of '%s'", name, object_path);
    return CLM_OK;
}

clm_status clm_writer_attr_f64(clm_writer *w, const char *object_path, const char *name, double value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    clm_status s = write_attr(w, object_path, name, H5T_NATIVE_DOUBLE, space, &value);
    H5Sclose(space);
    return s;
}

clm_status clm_writer_attr_i64(clm_writer *w, const char *object_path, const char *name, int64_t value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    clm_status s = write_attr(w, object_path, name, H5T_NATIVE_INT64, space, &value);
    H5Sclose(space);
    return s;
}

clm_status clm_writer_attr_f64_array(clm_writer *w, const char *object_path, const char *name,
                                     const double *values, int64_t count)
{
    hsize_t dims = (hsize_t)count;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    clm_status s = write_attr(w, object_path, name, H5T_NATIVE_DOUBLE, space, values);
    H5Sclose(space);
    return s;
}

clm_status clm_writer_attr_string(clm_writer *w, const char *object_path, const char *name, const char *value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t type = vlen_string_type();
    clm_status s = write_attr(w, object_path, name, type, space, &value);
    H5Tclose(type);
    H5Sclose(space);
    return s;
}

clm_status clm_writer_attr_strings(clm_writer *w, const char *object_path, const char *name,
                                   const char *const *values, int64_t count)
{
    hsize_t dims = (hsize_t)count;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t type = vlen_string_type();
    clm_status s = write_attr(w, object_path, name, type, space, values);
    H5Tclose(type);
    H5Sclose(space);
    return s;
}

int clm_writer_exists(clm_writer *w, const char *object_path)
{
    /* H5Lexists needs every parent to exist: check them from the top. */
    char buf[1024];
    size_t len = strlen(object_path);
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, object_path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (H5Lexists(w->file, buf, H5P_DEFAULT) <= 0)
            return 0;
        buf[i] = saved;
    }
    return 1;
}

clm_status clm_writer_copy(clm_writer *w, const char *src_path, const char *src_object, const char *dst_object)
{
    clm_status status = make_parent(w, dst_object);
    if (status != CLM_OK)
        return status;
    if (H5Fis_hdf5(src_path) <= 0)
        return clm_error(CLM_E_OPEN, "cannot copy from '%s': not a readable HDF5 file", src_path);
    hid_t src = H5Fopen(src_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (src < 0)
        return clm_error(CLM_E_FORMAT, "cannot open '%s' to copy from", src_path);
    if (H5Lexists(src, src_object, H5P_DEFAULT) <= 0) {
        H5Fclose(src);
        return clm_error(CLM_E_FORMAT, "%s: no object '%s' to copy", src_path, src_object);
    }
    hid_t lcpl = link_plist();
    herr_t rc = H5Ocopy(src, src_object, w->file, dst_object, H5P_DEFAULT, lcpl);
    H5Pclose(lcpl);
    H5Fclose(src);
    if (rc < 0 || w->io_error)
        return write_error(w, "cannot copy '%s' from '%s'", src_object, src_path);
    return CLM_OK;
}

/* The one close path: every dataset, then the file.  With `keep`, what is
 * still cached is written and the file synced (by the driver); without, it
 * is discarded (io_error set), so the close writes nothing.  Whatever
 * fails, the library is left sound: the driver never reports a failed
 * write to it.  Idempotent: later calls return the first result. */
static clm_status close_file(clm_writer *w, int keep)
{
    if (w->file < 0)
        return w->closed;
    if (!keep && !w->io_error)
        w->io_error = ECANCELED;
    int failed = 0;
    for (int i = 0; i < w->n_columns; i++) {
        failed |= H5Dclose(w->columns[i].dataset) < 0;
        free(w->columns[i].path);
    }
    free(w->columns);
    w->columns = NULL;
    w->n_columns = w->cap_columns = 0;
    failed |= H5Fclose(w->file) < 0;
    w->file = H5I_INVALID_HID;
    clm_status status = CLM_OK;
    if (!keep)
        status = CLM_E_IO; /* no detail: an abort keeps the error that caused it */
    else if (failed || w->io_error)
        status = write_error(w, "cannot finish writing the file");
    w->closed = status;
    return status;
}

clm_status clm_writer_close(clm_writer *w)
{
    return close_file(w, 1);
}

clm_status io_writer_commit_as(clm_writer *w, const char *path)
{
    clm_status status = close_file(w, 1);
    status = status ? (io_temp_discard(w->temp), status) : io_temp_commit(w->temp, path ? path : w->path);
    free(w->path);
    free(w);
    return status;
}

clm_status clm_writer_commit(clm_writer *w)
{
    return io_writer_commit_as(w, NULL);
}

const char *io_writer_path(const clm_writer *w)
{
    return w->path;
}

void clm_writer_abort(clm_writer *w)
{
    if (!w)
        return;
    close_file(w, 0);
    io_temp_discard(w->temp);
    free(w->path);
    free(w);
}

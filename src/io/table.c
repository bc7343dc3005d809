/*
 * table.c — opening a columnar subscriber table and describing its columns.
 *
 * Opening checks the whole schema up front (1-D datasets, one common length,
 * integer codes with a string dictionary for categorical columns), so that
 * later reads can only fail on I/O, and every schema error can name the file
 * and the column.  Columns are listed in creation order when the group
 * tracks it (files written by clmseg, or h5py with track_order), otherwise
 * in name order.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>

#include "core/util_internal.h"
#include "io/io_internal.h"
#include "io/table_internal.h"

/* ---- categories attribute ------------------------------------------------ */

int io_read_categories(hid_t dataset, char ***out, const char *path,
                           const char *column)
{
    *out = NULL;
    htri_t has = H5Aexists(dataset, "categories");
    if (has <= 0)
        return has < 0 ? clm_error(CLM_E_FORMAT, "%s: column '%s': unreadable attributes", path, column) : 0;
    int64_t count = io_h5_attr_strings(dataset, "categories", out);
    if (count == CLM_E_SCHEMA)
        return clm_error(CLM_E_SCHEMA,
                         "%s: column '%s': attribute 'categories' must be an array of strings",
                         path, column);
    if (count == CLM_E_NOMEM)
        return clm_error(CLM_E_NOMEM, "out of memory reading categories of '%s'", column);
    if (count < 0)
        return clm_error(CLM_E_FORMAT, "%s: column '%s': cannot read 'categories'", path, column);
    return (int)count;
}

/* ---- listing ----------------------------------------------------------- */

typedef struct name_list {
    char **names;
    int count, cap;
    int failed;
} name_list;

static herr_t collect_dataset(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
    name_list *list = data;
    H5O_info_t oinfo;
    (void)info;
    if (H5Oget_info_by_name(group, name, &oinfo, H5P_DEFAULT) < 0 || oinfo.type != H5O_TYPE_DATASET)
        return 0;
    if (list->count == list->cap) {
        int cap = list->cap ? 2 * list->cap : 32;
        char **n = realloc(list->names, (size_t)cap * sizeof *n);
        if (!n) {
            list->failed = 1;
            return -1;
        }
        list->names = n;
        list->cap = cap;
    }
    list->names[list->count] = util_strdup(name);
    if (!list->names[list->count]) {
        list->failed = 1;
        return -1;
    }
    list->count++;
    return 0;
}

static void free_names(name_list *list)
{
    for (int i = 0; i < list->count; i++)
        free(list->names[i]);
    free(list->names);
}

/* Fills one column's description; returns a status naming the column. */
/* Two codes with one label would make a label-matched model (predict, the
 * branch reports) pick one of them silently: an error naming both. */
static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static clm_status check_unique(const clm_table *t, const table_column *c)
{
    const int n = c->info.n_categories;
    if (n < 2)
        return CLM_OK;
    const char **sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted)
        return clm_error(CLM_E_NOMEM, "out of memory opening '%s'", t->path);
    memcpy(sorted, c->info.categories, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, by_string);
    const char *twice = NULL;
    for (int i = 1; i < n && !twice; i++)
        if (!strcmp(sorted[i - 1], sorted[i]))
            twice = sorted[i];
    clm_status st = CLM_OK;
    if (twice) {
        int first = -1, second = -1; /* the codes, found only on error */
        for (int i = 0; i < n && second < 0; i++)
            if (!strcmp(c->info.categories[i], twice)) {
                if (first < 0)
                    first = i;
                else
                    second = i;
            }
        st = clm_error(CLM_E_SCHEMA, "%s: categorical column '%s': the label '%s' is both category %d and %d",
                       t->path, c->name, twice, first, second);
    }
    free(sorted);
    return st;
}

/* Opens a column with a chunk cache of exactly one of its chunks.  Reads
 * go through a column in row order, a block at a time, so one chunk is all
 * that is ever reused; HDF5's default (1 MB per dataset) holds four of a
 * 65,536-row float column's chunks, 19 MB for the 19 columns of a k-means
 * fit and R times that on R ranks, yet none of a chunk over 1 MB, which is
 * then read again for every block. */
static hid_t open_column(hid_t group, const char *name)
{
    hid_t dataset = H5Dopen2(group, name, H5P_DEFAULT);
    if (dataset < 0)
        return dataset;
    hid_t dcpl = H5Dget_create_plist(dataset), type = H5Dget_type(dataset);
    hsize_t chunk[2] = {0, 0};
    int chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED &&
                  H5Pget_chunk(dcpl, 2, chunk) >= 1 && type >= 0;
    size_t bytes = chunked ? (size_t)chunk[0] * (chunk[1] ? (size_t)chunk[1] : 1) * H5Tget_size(type) : 0;
    if (dcpl >= 0) H5Pclose(dcpl);
    if (type >= 0) H5Tclose(type);
    hid_t dapl = bytes > 0 ? H5Pcreate(H5P_DATASET_ACCESS) : -1;
    if (dapl < 0 || H5Pset_chunk_cache(dapl, 521, bytes, 1.0) < 0) {
        if (dapl >= 0) H5Pclose(dapl);
        return dataset; /* the default cache: slower, still right */
    }
    H5Dclose(dataset);
    dataset = H5Dopen2(group, name, dapl);
    H5Pclose(dapl);
    return dataset;
}

static clm_status describe_column(clm_table *t, table_column *c, int strict)
{
    c->dataset = open_column(t->group_id, c->name);
    if (c->dataset < 0)
        return clm_error(CLM_E_FORMAT, "%s: column '%s' cannot be opened (corrupt file?)", t->path, c->name);
    hid_t type = H5Dget_type(c->dataset);
    hid_t space = H5Dget_space(c->dataset);
    if (type < 0 || space < 0) {
        if (type >= 0) H5Tclose(type);
        if (space >= 0) H5Sclose(space);
        return clm_error(CLM_E_FORMAT, "%s: column '%s' has an unreadable type or shape", t->path, c->name);
    }
    c->info.name = c->name;
    c->info.dtype = io_dtype_of(type, &c->is_enum);
    c->rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(space, dims, NULL);
    c->info.length = c->rank >= 1 ? (int64_t)dims[0] : 1;
    H5Tclose(type);
    H5Sclose(space);

    if (c->rank != 1) {
        if (strict)
            return clm_error(CLM_E_SCHEMA, "%s: column '%s' has %d dimensions; columns must be 1-D datasets",
                             t->path, c->name, c->rank);
        c->info.kind = CLM_KIND_UNSUPPORTED;
        return CLM_OK;
    }
    if (c->info.dtype == CLM_DT_STRING || c->info.dtype == CLM_DT_OTHER) {
        c->info.kind = CLM_KIND_UNSUPPORTED;
        return CLM_OK;
    }
    int n = io_read_categories(c->dataset, &c->categories, t->path, c->name);
    if (n < 0)
        return (clm_status)n;
    if (c->categories) {
        if (c->info.dtype == CLM_DT_FLOAT32 || c->info.dtype == CLM_DT_FLOAT64)
            return clm_error(CLM_E_SCHEMA, "%s: categorical column '%s' must hold integer codes, not %s",
                             t->path, c->name, clm_dtype_name(c->info.dtype));
        c->info.kind = CLM_KIND_CATEGORICAL;
        c->info.n_categories = n;
        c->info.categories = (const char *const *)c->categories;
        clm_status dup = check_unique(t, c);
        if (dup)
            return dup;
    } else {
        c->info.kind = CLM_KIND_NUMERIC;
    }
    return CLM_OK;
}

clm_status io_table_check_path(const char *path)
{
    if (!path)
        return clm_error(CLM_E_PARAM, "no input file given");
    io_silence_hdf5();
    struct stat st;
    if (stat(path, &st) != 0)
        return clm_error(CLM_E_OPEN, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return clm_error(CLM_E_OPEN, "cannot open '%s': it is a folder", path);
    if (H5Fis_hdf5(path) <= 0)
        return clm_error(CLM_E_FORMAT, "%s: not an HDF5 file (CSV? use clmseg import)", path);
    return CLM_OK;
}

static clm_status open_table(const char *path, const char *group, int strict, hid_t shared_file,
                             hid_t fapl, clm_table **out)
{
    *out = NULL;
    if (!path)
        return clm_error(CLM_E_PARAM, "no input file given");
    if (!group)
        group = CLM_DEFAULT_GROUP;
    io_silence_hdf5();

    /* another group of an open file: no new open of the file */
    clm_status checked = shared_file >= 0 ? CLM_OK : io_table_check_path(path);
    if (checked)
        return checked;

    clm_table *t = calloc(1, sizeof *t);
    if (!t)
        return clm_error(CLM_E_NOMEM, "out of memory opening '%s'", path);
    t->file = t->group_id = t->rank_dxpl = H5I_INVALID_HID;
    t->path = util_strdup(path);
    t->group = util_strdup(group);
    clm_status status = CLM_OK;
    name_list list = {0};
    if (!t->path || !t->group) {
        status = clm_error(CLM_E_NOMEM, "out of memory opening '%s'", path);
        goto fail;
    }
    t->shares_file = shared_file >= 0;
    t->file = t->shares_file ? shared_file : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (t->file < 0) {
        status = clm_error(CLM_E_FORMAT, "%s: cannot open as HDF5 (corrupt or truncated file?)", path);
        goto fail;
    }
    if (H5Lexists(t->file, group, H5P_DEFAULT) <= 0 ||
        (t->group_id = H5Gopen2(t->file, group, H5P_DEFAULT)) < 0) {
        status = clm_error(CLM_E_FORMAT, "%s: no group '%s' (use --group to name another)", path, group);
        goto fail;
    }

    /* Creation order when the group tracks it, else name order. */
    H5_index_t index = H5_INDEX_NAME;
    hid_t gcpl = H5Gget_create_plist(t->group_id);
    unsigned order_flags = 0;
    if (gcpl >= 0) {
        if (H5Pget_link_creation_order(gcpl, &order_flags) >= 0 && (order_flags & H5P_CRT_ORDER_INDEXED))
            index = H5_INDEX_CRT_ORDER;
        H5Pclose(gcpl);
    }
    if (H5Literate(t->group_id, index, H5_ITER_INC, NULL, collect_dataset, &list) < 0) {
        status = list.failed ? clm_error(CLM_E_NOMEM, "out of memory listing '%s'", path)
                             : clm_error(CLM_E_FORMAT, "%s: cannot list group '%s' (corrupt file?)", path, group);
        goto fail;
    }
    t->columns = calloc(list.count ? (size_t)list.count : 1, sizeof *t->columns);
    if (!t->columns) {
        status = clm_error(CLM_E_NOMEM, "out of memory opening '%s'", path);
        goto fail;
    }
    for (int i = 0; i < list.count; i++) {
        t->columns[i].name = list.names[i];
        t->columns[i].dataset = H5I_INVALID_HID;
        list.names[i] = NULL;
        t->n_columns = i + 1;
        status = describe_column(t, &t->columns[i], strict);
        if (status != CLM_OK)
            goto fail;
    }

    /* One common length among the 1-D columns. */
    t->n_rows = 0;
    int first = -1;
    for (int i = 0; i < t->n_columns; i++) {
        const table_column *c = &t->columns[i];
        if (c->rank != 1)
            continue;
        if (first < 0) {
            first = i;
            t->n_rows = c->info.length;
        } else if (c->info.length != t->n_rows) {
            if (strict) {
                status = clm_error(CLM_E_SCHEMA, "%s: column '%s' has %lld rows but column '%s' has %lld",
                                   path, c->name, (long long)c->info.length, t->columns[first].name,
                                   (long long)t->n_rows);
                goto fail;
            }
            t->n_rows = -1;
        }
    }
    free_names(&list);
    *out = t;
    return CLM_OK;

fail:
    free_names(&list);
    clm_table_close(t);
    return status;
}

clm_status clm_table_open(const char *path, const char *group, clm_table **out)
{
    return open_table(path, group, 1, H5I_INVALID_HID, H5P_DEFAULT, out);
}

clm_status io_table_open_fapl(const char *path, const char *group, hid_t fapl, clm_table **out)
{
    return open_table(path, group, 1, H5I_INVALID_HID, fapl, out);
}

clm_status clm_table_open_any(const char *path, const char *group, clm_table **out)
{
    return open_table(path, group, 0, H5I_INVALID_HID, H5P_DEFAULT, out);
}

clm_status clm_table_open_group(const clm_table *table, const char *group, clm_table **out)
{
    *out = NULL;
    if (!table || !group)
        return clm_error(CLM_E_PARAM, "open_group: no table or group");
    return open_table(table->path, group, 0, table->file, H5P_DEFAULT, out);
}

int io_table_fd(const clm_table *t)
{
    void *handle = NULL;
    if (!t || H5Fget_vfd_handle(t->file, H5P_DEFAULT, &handle) < 0 || !handle)
        return -1;
    return *(int *)handle; /* the sec2 driver's handle is its descriptor */
}

void clm_table_close(clm_table *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n_columns; i++) {
        table_column *c = &t->columns[i];
        if (c->dataset >= 0)
            H5Dclose(c->dataset);
        if (c->categories) {
            for (int j = 0; c->categories[j]; j++)
                free(c->categories[j]);
            free(c->categories);
        }
        free(c->name);
        free(c->cache);
    }
    free(t->columns);
    free(t->column_block);
    if (t->rank_dxpl >= 0)
        H5Pclose(t->rank_dxpl);
    if (t->group_id >= 0)
        H5Gclose(t->group_id);
    if (t->file >= 0 && !t->shares_file)
        H5Fclose(t->file);
    free(t->path);
    free(t->group);
    free(t);
}

const char *clm_table_path(const clm_table *t) { return t->path; }
const char *clm_table_group(const clm_table *t) { return t->group; }
int64_t clm_table_n_rows(const clm_table *t) { return t->n_rows; }
int clm_table_n_columns(const clm_table *t) { return t->n_columns; }

const clm_column_info *clm_table_column(const clm_table *t, int index)
{
    if (index < 0 || index >= t->n_columns)
        return NULL;
    return &t->columns[index].info;
}

int clm_table_find(const clm_table *t, const char *name)
{
    for (int i = 0; i < t->n_columns; i++)
        if (!strcmp(t->columns[i].name, name))
            return i;
    return -1;
}

static const char *kind_name(clm_column_kind kind)
{
    return kind == CLM_KIND_NUMERIC ? "numeric" : kind == CLM_KIND_CATEGORICAL ? "categorical" : "unsupported";
}

clm_status clm_table_require(const clm_table *t, const char *name, clm_column_kind kind, int *index)
{
    int i = clm_table_find(t, name);
    if (i < 0)
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' is missing from group '%s'", t->path, name, t->group);
    const clm_column_info *info = &t->columns[i].info;
    if (info->kind == CLM_KIND_UNSUPPORTED)
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' has type %s, which clmseg cannot read as a column",
                         t->path, name, clm_dtype_name(info->dtype));
    if (kind != CLM_KIND_UNSUPPORTED && info->kind != kind)
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' is %s, expected %s", t->path, name,
                         kind_name(info->kind), kind_name(kind));
    if (index)
        *index = i;
    return CLM_OK;
}

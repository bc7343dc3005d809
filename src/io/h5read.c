/*
 * h5read.c — the small HDF5 reads every model loader needs: a string
 * array (attribute or dataset, variable or fixed length), a numeric
 * attribute or dataset of a known size, a dataset's shape, and a one-word
 * choice attribute.  Whole objects are read at once: they are model
 * parameters and dictionaries, never columns of rows.
 *
 * These helpers report failure by their return value only and leave the
 * error detail alone: the caller knows the file and what the object means,
 * and names both in its own clm_error.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "io/io_internal.h"

void io_h5_strings_free(char **strings)
{
    if (!strings)
        return;
    for (char **s = strings; *s; s++)
        free(*s);
    free(strings);
}

/* Reads all of an attribute or dataset into `buffer` (NULL: failed to
 * allocate, reported as a failed read). */
static herr_t read_all(hid_t object, int is_attribute, hid_t memory_type, void *buffer)
{
    if (!buffer)
        return -1;
    return is_attribute ? H5Aread(object, memory_type, buffer)
                        : H5Dread(object, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
}

/* Reads the strings of `object` (an attribute when is_attribute, else a
 * dataset) whose type is `file_type` and dataspace `space`.  HDF5 does not
 * convert between ASCII and UTF-8, so the memory type takes the stored
 * character set; fixed-length strings are read one byte wider so every
 * slot comes back NUL-terminated whatever the stored padding. */
static int64_t read_strings(hid_t object, int is_attribute, hid_t file_type, hid_t space,
                            char ***out)
{
    if (H5Tget_class(file_type) != H5T_STRING)
        return CLM_E_SCHEMA;
    hssize_t count = H5Sget_simple_extent_npoints(space);
    if (count < 0 || count > (INT64_C(1) << 24))
        return CLM_E_FORMAT;
    char **strings = calloc((size_t)count + 1, sizeof *strings);
    if (!strings)
        return CLM_E_NOMEM;
    int64_t result = CLM_E_FORMAT;
    hid_t memory_type = H5Tcopy(H5T_C_S1);
    H5Tset_cset(memory_type, H5Tget_cset(file_type));
    if (H5Tis_variable_str(file_type) > 0) {
        H5Tset_size(memory_type, H5T_VARIABLE);
        char **raw = calloc((size_t)count + 1, sizeof *raw);
        if (!raw)
            result = CLM_E_NOMEM;
        if (read_all(object, is_attribute, memory_type, raw) >= 0) {
            result = count;
            for (hssize_t i = 0; i < count && result >= 0; i++)
                if (!(strings[i] = util_strdup(raw[i] ? raw[i] : "")))
                    result = CLM_E_NOMEM;
            H5Dvlen_reclaim(memory_type, space, H5P_DEFAULT, raw);
        }
        free(raw);
    } else {
        size_t width = H5Tget_size(file_type) + 1;
        H5Tset_size(memory_type, width);
        char *raw = malloc((size_t)(count > 0 ? count : 1) * width);
        if (!raw)
            result = CLM_E_NOMEM;
        if (read_all(object, is_attribute, memory_type, raw) >= 0) {
            result = count;
            for (hssize_t i = 0; i < count && result >= 0; i++) {
                raw[(size_t)i * width + width - 1] = '\0';
                if (!(strings[i] = util_strdup(raw + (size_t)i * width)))
                    result = CLM_E_NOMEM;
            }
        }
        free(raw);
    }
    H5Tclose(memory_type);
    if (result < 0)
        io_h5_strings_free(strings);
    else
        *out = strings;
    return result;
}

/* read_strings on an open attribute or dataset, with its type and space. */
static int64_t strings_of(hid_t object, int is_attribute, char ***out)
{
    hid_t type = is_attribute ? H5Aget_type(object) : H5Dget_type(object);
    hid_t space = is_attribute ? H5Aget_space(object) : H5Dget_space(object);
    int64_t result = type >= 0 && space >= 0 ? read_strings(object, is_attribute, type, space, out)
                                             : CLM_E_FORMAT;
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    return result;
}

int64_t io_h5_attr_strings(hid_t object, const char *name, char ***out)
{
    *out = NULL;
    htri_t exists = H5Aexists(object, name);
    if (exists <= 0)
        return exists < 0 ? CLM_E_FORMAT : CLM_E_SCHEMA;
    hid_t attr = H5Aopen(object, name, H5P_DEFAULT);
    if (attr < 0)
        return CLM_E_FORMAT;
    int64_t result = strings_of(attr, 1, out);
    H5Aclose(attr);
    return result;
}

int64_t io_h5_dataset_strings(hid_t location, const char *path, char ***out)
{
    *out = NULL;
    hid_t dataset = H5Dopen2(location, path, H5P_DEFAULT);
    if (dataset < 0)
        return CLM_E_SCHEMA;
    int64_t result = strings_of(dataset, 0, out);
    H5Dclose(dataset);
    return result;
}

int io_h5_attr_f64(hid_t object, const char *name, int64_t count, double *out)
{
    if (H5Aexists(object, name) <= 0)
        return -1;
    hid_t attr = H5Aopen(object, name, H5P_DEFAULT);
    if (attr < 0)
        return -1;
    hid_t space = H5Aget_space(attr);
    int ok = space >= 0 && H5Sget_simple_extent_npoints(space) == count &&
             H5Aread(attr, H5T_NATIVE_DOUBLE, out) >= 0;
    if (space >= 0)
        H5Sclose(space);
    H5Aclose(attr);
    return ok ? 0 : -1;
}

int io_h5_dataset_read(hid_t location, const char *path, hid_t memory_type, int64_t count,
                       void **out)
{
    hid_t dataset = H5Dopen2(location, path, H5P_DEFAULT);
    if (dataset < 0)
        return -1;
    hid_t space = H5Dget_space(dataset);
    hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0)
        H5Sclose(space);
    int rc = -1;
    if (n == count) {
        void *buffer = malloc((size_t)(n > 0 ? n : 1) * H5Tget_size(memory_type));
        if (buffer && H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) >= 0) {
            *out = buffer;
            rc = 0;
        } else {
            free(buffer);
        }
    }
    H5Dclose(dataset);
    return rc;
}

int io_h5_dataset_dims(hid_t location, const char *path, int64_t dims[2])
{
    dims[0] = dims[1] = 0;
    hid_t dataset = H5Dopen2(location, path, H5P_DEFAULT);
    if (dataset < 0)
        return -1;
    hid_t space = H5Dget_space(dataset);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t h[2] = {0, 0};
    if (rank >= 1 && rank <= 2)
        H5Sget_simple_extent_dims(space, h, NULL);
    if (space >= 0)
        H5Sclose(space);
    H5Dclose(dataset);
    dims[0] = (int64_t)h[0];
    dims[1] = rank == 2 ? (int64_t)h[1] : 1;
    return rank;
}

int io_h5_attr_choice(hid_t object, const char *name, const char *const *choices,
                      int n_choices, int fallback)
{
    char **value = NULL;
    int choice = fallback;
    if (io_h5_attr_strings(object, name, &value) == 1)
        for (int i = 0; i < n_choices; i++)
            if (!strcmp(value[0], choices[i]))
                choice = i;
    io_h5_strings_free(value);
    return choice;
}

int io_h5_file_has(const char *path, const char *a, const char *b)
{
    io_silence_hdf5();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return 0;
    int found = H5Lexists(file, a, H5P_DEFAULT) > 0 && H5Lexists(file, b, H5P_DEFAULT) > 0;
    H5Fclose(file);
    return found;
}

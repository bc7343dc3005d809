/*
 * fuzz_h5.c — structure-aware libFuzzer harness for the HDF5 table reader.
 *
 * The fuzz input is not a file but a recipe: its bytes choose the group,
 * the datasets (names, element types of either byte order, fixed and
 * variable strings, enums, compounds, ranks 0-2, lengths equal or not,
 * chunked or contiguous, huge declared lengths left unwritten), their raw
 * values (NaN and infinity included) and `categories` attributes of the
 * right and wrong types.  The file is written through the HDF5 API, so it
 * is always well-formed HDF5 with a possibly wrong *schema*, and then read
 * with fuzz_check_table_file() (open, list, read, statistics).
 *
 * Well-formed files keep the fuzzer on clmseg's own decisions (schema
 * checks, type conversions, category handling, bounds); raw corrupt bytes
 * mostly exercise libhdf5's parser, whose 1.10.8 bugs we cannot fix (see
 * fuzz_h5_raw.c and known-hdf5-crashes/README.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "fuzz_table_check.h"
#include "fuzz_util.h"

/* The recipe: bytes consumed in order; zeros once exhausted. */
typedef struct recipe {
    const uint8_t *data;
    size_t size, pos;
} recipe;

static unsigned take(recipe *r, unsigned modulus)
{
    unsigned b = r->pos < r->size ? r->data[r->pos++] : 0;
    return modulus ? b % modulus : b;
}

static void take_bytes(recipe *r, void *out, size_t n)
{
    size_t have = r->pos < r->size ? r->size - r->pos : 0;
    size_t k = have < n ? have : n;
    if (k)
        memcpy(out, r->data + r->pos, k);
    memset((char *)out + k, 0, n - k);
    r->pos += k;
}

/* A short name: one of the usual columns, or bytes (never '/', never "."). */
static void take_name(recipe *r, char *name, size_t size)
{
    static const char *const usual[] = {"subscriber_id", "branch", "tenure_months", "churned",
                                        "arpu", "plan", "a", "b"};
    unsigned choice = take(r, 12);
    if (choice < 8) {
        snprintf(name, size, "%s", usual[choice]);
        return;
    }
    size_t n = 1 + take(r, 8);
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++) {
        char c = (char)(33 + take(r, 94));
        name[i] = (c == '/' || c == '.') ? '_' : c;
    }
    name[n] = '\0';
}

/* A file type for a dataset; *is_vlen tells the writer how to fill it. */
static hid_t take_type(recipe *r, int *is_vlen)
{
    static const hid_t *const natives[] = {
        &H5T_NATIVE_INT8_g,  &H5T_NATIVE_UINT8_g,  &H5T_NATIVE_INT16_g, &H5T_NATIVE_UINT16_g,
        &H5T_NATIVE_INT32_g, &H5T_NATIVE_UINT32_g, &H5T_NATIVE_INT64_g, &H5T_NATIVE_UINT64_g,
        &H5T_NATIVE_FLOAT_g, &H5T_NATIVE_DOUBLE_g};
    *is_vlen = 0;
    unsigned kind = take(r, 16);
    if (kind < 12) {
        hid_t t = H5Tcopy(*natives[kind % 10]);
        if (take(r, 4) == 0)
            H5Tset_order(t, H5T_ORDER_BE);
        return t;
    }
    if (kind == 12) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 1 + take(r, 8));
        return t;
    }
    if (kind == 13) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        *is_vlen = 1;
        return t;
    }
    if (kind == 14) {
        hid_t t = H5Tenum_create(H5T_NATIVE_INT32);
        int32_t v0 = 0, v1 = 1;
        H5Tenum_insert(t, "no", &v0);
        H5Tenum_insert(t, "yes", &v1);
        return t;
    }
    hid_t t = H5Tcreate(H5T_COMPOUND, 16);
    H5Tinsert(t, "i", 0, H5T_NATIVE_INT32);
    H5Tinsert(t, "d", 8, H5T_NATIVE_DOUBLE);
    return t;
}

/* Variable-length strings from the recipe, for datasets and attributes. */
static char **take_strings(recipe *r, size_t count, char *storage, size_t storage_size)
{
    char **strings = calloc(count ? count : 1, sizeof *strings);
    if (!strings)
        abort();
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        size_t n = take(r, 6);
        if (used + n + 1 > storage_size)
            n = 0;
        if (used + 1 > storage_size)
            abort();
        for (size_t k = 0; k < n; k++) {
            char c = (char)take(r, 0);
            storage[used + k] = c ? c : 'z';
        }
        storage[used + n] = '\0';
        strings[i] = storage + used;
        used += n + 1;
    }
    return strings;
}

/* The `categories` attribute, of a right or a wrong type. */
static void add_categories(recipe *r, hid_t dataset)
{
    unsigned kind = take(r, 5);
    hsize_t count = take(r, 12);
    static char storage[4096];
    if (kind == 2) { /* integers, not strings */
        int32_t values[12];
        take_bytes(r, values, sizeof values);
        hid_t space = H5Screate_simple(1, &count, NULL);
        hid_t attr = H5Acreate2(dataset, "categories", H5T_NATIVE_INT32, space, H5P_DEFAULT,
                                H5P_DEFAULT);
        if (attr >= 0) {
            H5Awrite(attr, H5T_NATIVE_INT32, values);
            H5Aclose(attr);
        }
        H5Sclose(space);
        return;
    }
    hsize_t dims[2] = {count, 2};
    int rank = kind == 4 ? 2 : 1;
    size_t n = kind == 4 ? (size_t)count * 2 : (size_t)count;
    char **strings = take_strings(r, n, storage, sizeof storage);
    hid_t type = H5Tcopy(H5T_C_S1);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (kind == 1) { /* fixed-length strings */
        size_t width = 1 + take(r, 6);
        H5Tset_size(type, width);
        char *fixed = calloc(n ? n : 1, width);
        if (!fixed)
            abort();
        for (size_t i = 0; i < n; i++)
            strncpy(fixed + i * width, strings[i], width);
        hid_t attr = H5Acreate2(dataset, "categories", type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attr >= 0) {
            H5Awrite(attr, type, fixed);
            H5Aclose(attr);
        }
        free(fixed);
    } else {
        H5Tset_size(type, H5T_VARIABLE);
        hid_t attr = H5Acreate2(dataset, "categories", type, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attr >= 0) {
            H5Awrite(attr, type, strings);
            H5Aclose(attr);
        }
    }
    H5Sclose(space);
    H5Tclose(type);
    free(strings);
}

static void add_dataset(recipe *r, hid_t group, hsize_t common_length)
{
    char name[16];
    take_name(r, name, sizeof name);
    int is_vlen;
    hid_t type = take_type(r, &is_vlen);
    unsigned shape = take(r, 10);
    hsize_t length = take(r, 4) == 0 ? take(r, 40) : common_length;
    int huge = take(r, 24) == 0;
    if (huge) /* declared, never written: reads see fill values */
        length = (hsize_t)1 << (16 + take(r, 24));
    hsize_t dims[2] = {length, 1 + take(r, 3)};
    int rank = shape == 0 ? 0 : shape == 1 ? 2 : 1;
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (rank > 0 && (huge || take(r, 2))) {
        hsize_t chunk[2] = {1 + take(r, 16), 1};
        H5Pset_chunk(dcpl, rank, chunk);
    }
    hid_t dataset = H5Dcreate2(group, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dataset >= 0) {
        hsize_t n = rank == 0 ? 1 : rank == 1 ? dims[0] : dims[0] * dims[1];
        if (!huge && n > 0) {
            static char storage[1 << 16];
            if (is_vlen) {
                char **strings = take_strings(r, (size_t)n, storage, sizeof storage);
                H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings);
                free(strings);
            } else {
                size_t bytes = (size_t)n * H5Tget_size(type);
                char *values = malloc(bytes);
                if (!values)
                    abort();
                /* Raw bytes: any bit pattern, NaN and infinities included;
                 * short recipes give runs of zeros. */
                take_bytes(r, values, bytes < 64 ? bytes : 64);
                for (size_t i = 64; i < bytes; i++)
                    values[i] = values[i % 64];
                H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
                free(values);
            }
        }
        if (take(r, 3) == 0)
            add_categories(r, dataset);
        H5Dclose(dataset);
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    recipe r = {data, size, 0};
    const char *path = fuzz_path("recipe.h5");
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        abort(); /* the scratch folder is ours: this is a harness bug */
    unsigned where = take(&r, 8);
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (take(&r, 2))
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    /* Mostly the default group; sometimes another one, or a dataset under
     * the default name (so opening the group must fail cleanly). */
    hid_t group = -1;
    if (where < 6)
        group = H5Gcreate2(file, "/subscribers", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    else if (where == 6)
        group = H5Gcreate2(file, "/elsewhere", H5P_DEFAULT, gcpl, H5P_DEFAULT);
    else
        group = file;
    hsize_t common_length = take(&r, 50);
    unsigned n_datasets = take(&r, 10);
    for (unsigned d = 0; d < n_datasets; d++)
        add_dataset(&r, group, common_length);
    if (group != file)
        H5Gclose(group);
    H5Pclose(gcpl);
    H5Fclose(file);

    fuzz_check_table_file(path);
    unlink(path);
    return 0;
}

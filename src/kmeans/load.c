/*
 * load.c — a saved segmentation back in memory (`clmseg predict`).  Reads
 * the model of a /segments group with the HDF5 C API (small arrays and
 * attributes only): the clustering-space centroids (centroids_scaled),
 * the feature names, the standardisation (x - scale_center) / scale_scale,
 * the missing-value policy and the product the fit used, so the rows of
 * the training quarter get back their own labels.  clm_kmeans_predict_table
 * matches the feature columns by name in a new table and assigns it in
 * blocks.
 */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>

#include "core/util_internal.h"
#include "io/io_internal.h"
#include "io/io_table_ranks.h"
#include "kmeans/kmeans_internal.h"

/* The names of the string-array attribute `attr` of obj, exactly
 * `expected` of them, into names[0..expected) (owned copies); 0 / -1. */
static int read_names(hid_t obj, const char *attr, int expected, char **names)
{
    char **read = NULL;
    int64_t n = io_h5_attr_strings(obj, attr, &read);
    if (n != expected) {
        io_h5_strings_free(n > 0 ? read : NULL);
        return -1;
    }
    for (int j = 0; j < expected; j++)
        names[j] = read[j];
    free(read); /* the strings now belong to names */
    return 0;
}

int clm_kmeans_saved_in(const char *path, const char *group)
{
    char name[512];
    snprintf(name, sizeof name, "%s/centroids_scaled", group);
    return io_h5_file_has(path, group, name);
}

/* Allocates the feature arrays of a loaded model of d features. */
static clm_status alloc_features(km_features *f, int d)
{
    f->n_features = d;
    f->names = calloc((size_t)d, sizeof(char *));
    f->center = malloc(sizeof(double) * (size_t)d);
    f->scale = malloc(sizeof(double) * (size_t)d);
    f->mean = malloc(sizeof(double) * (size_t)d);
    f->std = calloc((size_t)d, sizeof(double));
    if (!f->names || !f->center || !f->scale || !f->mean || !f->std)
        return clm_error(CLM_E_NOMEM, "predict: out of memory");
    return CLM_OK;
}

clm_status clm_kmeans_load(const char *path, const char *group, int32_t n_threads, clm_kmeans **out)
{
    *out = NULL;
    clm_kmeans_params params;
    clm_kmeans_params_default(&params);
    params.n_threads = n_threads;
    clm_kmeans *m = NULL;
    clm_status st = clm_kmeans_create(&params, &m);
    if (st)
        return st;
    io_silence_hdf5();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        clm_kmeans_free(m);
        return clm_error(CLM_E_OPEN, "%s: cannot open the results file (missing or not HDF5)", path);
    }
    char name[512];
    snprintf(name, sizeof name, "%s/centroids_scaled", group);
    hid_t grp = H5Lexists(file, group, H5P_DEFAULT) > 0 ? H5Gopen2(file, group, H5P_DEFAULT) : -1;
    hid_t ds = grp >= 0 && H5Lexists(file, name, H5P_DEFAULT) > 0 ? H5Dopen2(file, name, H5P_DEFAULT) : -1;
    hid_t space = ds >= 0 ? H5Dget_space(ds) : -1;
    hsize_t dims[2] = {0, 0};
    km_features *f = &m->features;
    if (grp < 0 || ds < 0) {
        st = clm_error(CLM_E_FORMAT, "%s: no saved k-means model in %s (expected %s)", path, group, name);
    } else if (space < 0 || H5Sget_simple_extent_ndims(space) != 2 ||
               H5Sget_simple_extent_dims(space, dims, NULL) != 2 || dims[0] < 1 || dims[1] < 1 ||
               dims[0] > 100000 || dims[1] > 100000) {
        st = clm_error(CLM_E_FORMAT, "%s: %s is not a k x d array", path, name);
    } else {
        m->k = (int)dims[0];
        m->n_features = (int)dims[1];
        m->centroids = malloc(sizeof(float) * (size_t)m->k * (size_t)m->n_features);
        st = alloc_features(f, m->n_features);
        if (!st && !m->centroids)
            st = clm_error(CLM_E_NOMEM, "predict: out of memory");
        else if (!st && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, m->centroids) < 0)
            st = clm_error(CLM_E_FORMAT, "%s: cannot read %s", path, name);
        else if (!st && read_names(ds, "features", m->n_features, f->names) != 0)
            st = clm_error(CLM_E_FORMAT, "%s: %s lacks its 'features' attribute", path, name);
        else if (!st && (io_h5_attr_f64(grp, "scale_center", m->n_features, f->center) ||
                         io_h5_attr_f64(grp, "scale_scale", m->n_features, f->scale) ||
                         io_h5_attr_f64(grp, "feature_mean", m->n_features, f->mean)))
            st = clm_error(CLM_E_FORMAT, "%s: %s lacks the standardisation attributes (scale_center, scale_scale, feature_mean)",
                           path, group);
        else if (!st) {
            m->params.missing = (clm_missing_policy)io_h5_attr_choice(grp, "missing", km_missing_names, 3,
                                                                CLM_MISSING_FAIL);
            /* the product the fit used; AUTO for files older than the
             * attribute, which is what those fits used */
            m->product = io_h5_attr_choice(grp, "product", km_product_names, 3, KM_PRODUCT_AUTO);
        }
        for (int j = 0; !st && j < m->n_features; j++)
            if (!(f->scale[j] > 0.0) || !isfinite(f->center[j]))
                st = clm_error(CLM_E_FORMAT, "%s: saved standardisation of '%s' is invalid", path, f->names[j]);
    }
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    if (grp >= 0) H5Gclose(grp);
    H5Fclose(file);
    if (st) {
        clm_kmeans_free(m);
        return st;
    }
    *out = m;
    return CLM_OK;
}

clm_status clm_kmeans_predict_table(const clm_kmeans *m, const clm_table *input,
                                    int32_t *labels, float *distances)
{
    return km_predict_table_rows(m, input, 0, clm_table_n_rows(input), labels, distances);
}

clm_status km_predict_table_rows(const clm_kmeans *m, const clm_table *input, int64_t first,
                                 int64_t n, int32_t *labels, float *distances)
{
    if (!m || m->k == 0 || !m->features.names)
        return clm_error(CLM_E_PARAM, "k-means: predict_table needs a model fitted on a table or loaded");
    const int d = m->n_features;
    const char *path = clm_table_path(input);
    int *columns = malloc(sizeof(int) * (size_t)d);
    float *block = malloc(sizeof(float) * CLM_BLOCK_ROWS * (size_t)d);
    float *scratch = malloc(sizeof(float) * CLM_BLOCK_ROWS);
    clm_status st = CLM_OK;
    if (!columns || !block || !scratch)
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    for (int j = 0; !st && j < d; j++) {
        const char *name = m->features.names[j];
        columns[j] = clm_table_find(input, name);
        if (columns[j] < 0)
            st = clm_error(CLM_E_SCHEMA, "%s: column '%s' (a feature of the saved segments) is missing", path, name);
        else if (clm_table_column(input, columns[j])->kind != CLM_KIND_NUMERIC)
            st = clm_error(CLM_E_SCHEMA, "%s: column '%s' must be numeric (a k-means feature)", path, name);
    }
    /* Rank reads (io_table_ranks.h): on a table the ranks opened together,
     * as many on every rank, this one taking part with no rows once past
     * its own or after a bad value.  A missing column is missing on every
     * rank: then none reads. */
    const int columns_ok = !st;
    const int64_t calls = io_table_rank_calls(input, st ? 0 : n, CLM_BLOCK_ROWS);
    for (int64_t c = 0; columns_ok && c < calls; c++) {
        int64_t row0;
        const int64_t nb = io_rank_block(first, n, CLM_BLOCK_ROWS, c, st != CLM_OK, &row0);
        clm_status read = io_table_read_rank_block_f32(input, columns, d, row0, nb, block, scratch);
        if (nb == 0 || (st = read))
            continue;
        const int64_t at = row0 - first;
        st = km_predict_rows(m, block, nb, path, row0, labels + at, distances ? distances + at : NULL);
    }
    free(columns);
    free(block);
    free(scratch);
    return st;
}

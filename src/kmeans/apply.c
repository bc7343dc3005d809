/*
 * apply.c — reapplying a saved segmentation to a new quarter (`clmseg
 * predict`).  Reads the model of /segments in a results file with the
 * HDF5 C API (small arrays and attributes only), matches the feature
 * columns by name in the new table, applies the saved standardisation
 * (x - scale_center) / scale_scale and the saved missing-value policy,
 * and assigns every row to the nearest saved centroid in blocks, writing
 * /segments/label and /segments/distance through the output writer.
 * Uses the saved clustering-space centroids (centroids_scaled), so the
 * rows of the training quarter get back their own labels.
 */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"

typedef struct saved_model {
    int k, d;
    char **names;
    float *centroids;   /* k x d, clustering space */
    double *center, *scale, *mean;
    clm_missing_policy missing;
    int product;        /* KM_PRODUCT_*: the one the fit used     */
} saved_model;

static void saved_free(saved_model *m)
{
    if (m->names)
        for (int j = 0; j < m->d; j++)
            free(m->names[j]);
    free(m->names);
    free(m->centroids);
    free(m->center);
    free(m->scale);
    free(m->mean);
}

/* Reads a 1-D string attribute (variable or fixed length) into names. */
static int read_names(hid_t obj, const char *attr_name, int expected, char **names)
{
    hid_t attr = H5Aopen(obj, attr_name, H5P_DEFAULT);
    if (attr < 0)
        return -1;
    hid_t ftype = H5Aget_type(attr), space = H5Aget_space(attr);
    hssize_t count = H5Sget_simple_extent_npoints(space);
    int ok = count == expected && H5Tget_class(ftype) == H5T_STRING;
    if (ok && H5Tis_variable_str(ftype) > 0) {
        char **tmp = calloc((size_t)count, sizeof(char *));
        hid_t mtype = H5Tcopy(H5T_C_S1);
        H5Tset_size(mtype, H5T_VARIABLE);
        H5Tset_cset(mtype, H5Tget_cset(ftype)); /* HDF5 does not convert ASCII <-> UTF-8 */
        ok = tmp && H5Aread(attr, mtype, tmp) >= 0;
        for (int j = 0; ok && j < expected; j++) {
            size_t n = strlen(tmp[j]) + 1;
            names[j] = malloc(n);
            if (names[j])
                memcpy(names[j], tmp[j], n);
            ok = names[j] != NULL;
        }
        if (tmp && ok)
            H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, tmp);
        free(tmp);
        H5Tclose(mtype);
    } else if (ok) {
        size_t size = H5Tget_size(ftype);
        char *buf = calloc((size_t)count, size + 1);
        hid_t mtype = H5Tcopy(H5T_C_S1);
        H5Tset_size(mtype, size + 1);
        H5Tset_cset(mtype, H5Tget_cset(ftype));
        ok = buf && H5Aread(attr, mtype, buf) >= 0;
        for (int j = 0; ok && j < expected; j++) {
            names[j] = malloc(size + 1);
            if (names[j]) {
                memcpy(names[j], buf + (size + 1) * (size_t)j, size + 1);
                names[j][size] = '\0';
            }
            ok = names[j] != NULL;
        }
        free(buf);
        H5Tclose(mtype);
    }
    H5Sclose(space);
    H5Tclose(ftype);
    H5Aclose(attr);
    return ok ? 0 : -1;
}

static int read_f64_attr(hid_t obj, const char *name, int expected, double *out)
{
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return -1;
    hid_t space = H5Aget_space(attr);
    int ok = H5Sget_simple_extent_npoints(space) == expected &&
             H5Aread(attr, H5T_NATIVE_DOUBLE, out) >= 0;
    H5Sclose(space);
    H5Aclose(attr);
    return ok ? 0 : -1;
}

/* The index in names[0..n) of the one-string attribute `attr` of obj, or
 * `fallback` when it is absent or names nothing known (files written
 * before the attribute existed). */
static int read_choice(hid_t obj, const char *attr, const char *const *names, int n, int fallback)
{
    char *value[1] = {NULL};
    int choice = fallback;
    if (read_names(obj, attr, 1, value) == 0)
        for (int i = 0; i < n; i++)
            if (!strcmp(value[0], names[i]))
                choice = i;
    free(value[0]);
    return choice;
}

/* Loads the model; *found = 0 when the file has no /segments model. */
static clm_status load_model(const char *path, saved_model *m, int *found)
{
    memset(m, 0, sizeof *m);
    *found = 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return clm_error(CLM_E_OPEN, "%s: cannot open the results file (missing or not HDF5)", path);
    clm_status st = CLM_OK;
    if (H5Lexists(file, "/segments", H5P_DEFAULT) <= 0 ||
        H5Lexists(file, "/segments/centroids_scaled", H5P_DEFAULT) <= 0) {
        H5Fclose(file);
        return CLM_OK;
    }
    *found = 1;
    hid_t group = H5Gopen2(file, "/segments", H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, "/segments/centroids_scaled", H5P_DEFAULT);
    hid_t space = ds >= 0 ? H5Dget_space(ds) : -1;
    hsize_t dims[2] = {0, 0};
    if (group < 0 || ds < 0 || space < 0 || H5Sget_simple_extent_ndims(space) != 2 ||
        H5Sget_simple_extent_dims(space, dims, NULL) != 2 || dims[0] < 1 || dims[1] < 1 ||
        dims[0] > 100000 || dims[1] > 100000) {
        st = clm_error(CLM_E_FORMAT, "%s: /segments/centroids_scaled is not a k x d array", path);
    } else {
        m->k = (int)dims[0];
        m->d = (int)dims[1];
        m->names = calloc((size_t)m->d, sizeof(char *));
        m->centroids = malloc(sizeof(float) * (size_t)m->k * (size_t)m->d);
        m->center = malloc(sizeof(double) * (size_t)m->d);
        m->scale = malloc(sizeof(double) * (size_t)m->d);
        m->mean = malloc(sizeof(double) * (size_t)m->d);
        if (!m->names || !m->centroids || !m->center || !m->scale || !m->mean)
            st = clm_error(CLM_E_NOMEM, "predict: out of memory");
        else if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, m->centroids) < 0)
            st = clm_error(CLM_E_FORMAT, "%s: cannot read /segments/centroids_scaled", path);
        else if (read_names(ds, "features", m->d, m->names) != 0)
            st = clm_error(CLM_E_FORMAT, "%s: /segments/centroids_scaled lacks its 'features' attribute", path);
        else if (read_f64_attr(group, "scale_center", m->d, m->center) ||
                 read_f64_attr(group, "scale_scale", m->d, m->scale) ||
                 read_f64_attr(group, "feature_mean", m->d, m->mean))
            st = clm_error(CLM_E_FORMAT, "%s: /segments lacks the standardisation attributes (scale_center, scale_scale, feature_mean)", path);
        else {
            m->missing = (clm_missing_policy)read_choice(group, "missing", km_missing_names, 3,
                                                         CLM_MISSING_FAIL);
            /* the product the fit used; AUTO for files older than the
             * attribute, which is what those fits used */
            m->product = read_choice(group, "product", km_product_names, 3, KM_PRODUCT_AUTO);
        }
        for (int j = 0; !st && j < m->d; j++)
            if (!(m->scale[j] > 0.0) || !isfinite(m->center[j]))
                st = clm_error(CLM_E_FORMAT, "%s: saved standardisation of '%s' is invalid", path, m->names[j]);
    }
    if (space >= 0) H5Sclose(space);
    if (ds >= 0) H5Dclose(ds);
    if (group >= 0) H5Gclose(group);
    H5Fclose(file);
    return st;
}

clm_status clm_kmeans_apply_saved(const char *results_path, const clm_table *input,
                                  clm_writer *output, int n_threads, int *applied)
{
    *applied = 0;
    saved_model m;
    int found = 0;
    clm_status st = load_model(results_path, &m, &found);
    if (st || !found) {
        saved_free(&m);
        return st;
    }
    const int d = m.d, k = m.k;
    const int64_t n = clm_table_n_rows(input);
    const char *path = clm_table_path(input);
    int *columns = malloc(sizeof(int) * (size_t)d);
    float *block = malloc(sizeof(float) * CLM_BLOCK_ROWS * (size_t)d);
    float *scratch = malloc(sizeof(float) * CLM_BLOCK_ROWS);
    int32_t *labels = malloc(sizeof(int32_t) * CLM_BLOCK_ROWS);
    int32_t *out_labels = malloc(sizeof(int32_t) * CLM_BLOCK_ROWS);
    float *dist = malloc(sizeof(float) * CLM_BLOCK_ROWS);
    float *out_dist = malloc(sizeof(float) * CLM_BLOCK_ROWS);
    uint8_t *dropped = malloc(CLM_BLOCK_ROWS);
    int64_t *size = calloc((size_t)k, sizeof(int64_t));
    if (!columns || !block || !scratch || !labels || !out_labels || !dist || !out_dist ||
        !dropped || !size)
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    for (int j = 0; !st && j < d; j++) {
        columns[j] = clm_table_find(input, m.names[j]);
        if (columns[j] < 0)
            st = clm_error(CLM_E_SCHEMA, "%s: column '%s' (a feature of the segments saved in %s) is missing",
                           path, m.names[j], results_path);
        else if (clm_table_column(input, columns[j])->kind != CLM_KIND_NUMERIC)
            st = clm_error(CLM_E_SCHEMA, "%s: column '%s' must be numeric (a k-means feature)", path, m.names[j]);
    }
    int label_ds = -1, dist_ds = -1;
    if (!st) st = clm_writer_column_create(output, "/segments/label", CLM_DT_INT32, n, &label_ds);
    if (!st) st = clm_writer_column_create(output, "/segments/distance", CLM_DT_FLOAT32, n, &dist_ds);
    for (int64_t row0 = 0; !st && row0 < n; row0 += CLM_BLOCK_ROWS) {
        int64_t nb = n - row0 < CLM_BLOCK_ROWS ? n - row0 : CLM_BLOCK_ROWS;
        st = clm_table_read_block_f32(input, columns, d, row0, nb, block, scratch);
        int64_t kept = 0;
        for (int64_t i = 0; !st && i < nb; i++) {
            float *x = block + i * d;
            dropped[i] = 0;
            for (int j = 0; j < d && !st; j++) {
                if (isfinite(x[j]))
                    continue;
                if (m.missing == CLM_MISSING_IMPUTE)
                    x[j] = (float)m.mean[j];
                else if (m.missing == CLM_MISSING_DROP)
                    dropped[i] = 1;
                else
                    st = clm_error(CLM_E_VALUE, "%s: column '%s' has %s at row %lld (the model was fitted with --missing fail)",
                                   path, m.names[j], isnan(x[j]) ? "a missing value (NaN)" : "an infinite value",
                                   (long long)(row0 + i));
            }
            if (st || dropped[i])
                continue;
            float *dst = block + kept * d;
            for (int j = 0; j < d; j++)
                dst[j] = (float)(((double)x[j] - m.center[j]) / m.scale[j]);
            kept++;
        }
        if (!st && kept > 0) {
            km_data data;
            km_data_init(&data, block, NULL, kept, d, n_threads);
            data.product = m.product;
            st = km_assign(&data, m.centroids, k, labels, NULL, NULL, NULL);
            if (!st)
                st = km_distances(&data, m.centroids, labels, dist);
        }
        for (int64_t i = 0, q = 0; !st && i < nb; i++) {
            if (dropped[i]) {
                out_labels[i] = -1;
                out_dist[i] = NAN;
            } else {
                out_labels[i] = labels[q];
                out_dist[i] = dist[q++];
                size[out_labels[i]]++;
            }
        }
        if (!st) st = clm_writer_column_write(output, label_ds, row0, nb, out_labels);
        if (!st) st = clm_writer_column_write(output, dist_ds, row0, nb, out_dist);
    }
    const int64_t kdim[1] = {k};
    if (!st) st = clm_writer_array(output, "/segments/size", CLM_DT_INT64, 1, kdim, size);
    if (!st) st = clm_writer_attr_i64(output, "/segments", "k", k);
    if (!st) st = clm_writer_attr_string(output, "/segments", "model", results_path);
    if (!st) st = clm_writer_attr_strings(output, "/segments", "features",
                                          (const char *const *)m.names, d);
    if (!st)
        *applied = 1;
    free(columns); free(block); free(scratch); free(labels); free(out_labels);
    free(dist); free(out_dist); free(dropped); free(size);
    saved_free(&m);
    return st;
}

/*
 * load.c — a tree saved by clm_tree_save back in memory, and scoring the
 * rows of a table with any tree (fitted or loaded).
 *
 * The node arrays, feature names and categorical dictionaries are read
 * back with the HDF5 C API (small arrays) into the public node arrays of a
 * clm_tree; a loaded tree has no training rows, so it has no holdout,
 * metrics or importances.  Columns of the new table are matched by name;
 * a categorical value is matched by its label through a code ->
 * training-code map, so a reordered dictionary scores the same, and a
 * label unseen in training (like a missing value) follows the node's
 * missing side.  Rows stream in blocks: read on this thread, routed in
 * parallel.
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "io/io_table_ranks.h"
#include "tree/tree_internal.h"
#include "tree/tree_ranks.h"

/* "<group>/<name>" */
static const char *at(char *buf, size_t cap, const char *group, const char *name)
{
    snprintf(buf, cap, "%s/%s", group, name);
    return buf;
}

int clm_tree_saved_in(const char *path, const char *group)
{
    char name[512];
    return io_h5_file_has(path, group, at(name, sizeof name, group, "feature"));
}

static clm_status load(hid_t file, const char *path, const char *g, clm_tree *t)
{
    char b[512];
    int64_t dims[2];
    if (io_h5_dataset_dims(file, at(b, sizeof b, g, "value"), dims) != 2 || dims[1] < 2 ||
        dims[1] > CLM_TREE_MAX_CLASSES || dims[0] < 1)
        return clm_error(CLM_E_FORMAT, "%s: %s/value is not a [nodes][classes] array", path, g);
    t->n_nodes = (int)dims[0];
    t->data.n_classes = (int)dims[1];
    const int64_t n = t->n_nodes;
    char **names = NULL, **labels = NULL;
    int64_t nf = io_h5_dataset_strings(file, at(b, sizeof b, g, "feature_names"), &names);
    if (nf < 1)
        return clm_error(CLM_E_FORMAT, "%s: %s/feature_names is missing or unreadable", path, g);
    t->data.features = calloc((size_t)nf, sizeof *t->data.features);
    if (!t->data.features) {
        io_h5_strings_free(names);
        return clm_error(CLM_E_NOMEM, "tree: out of memory");
    }
    t->data.n_features = (int)nf;
    for (int f = 0; f < nf; f++)
        t->data.features[f].name = names[f];
    free(names); /* the strings now belong to the features */
    int8_t *categorical = NULL;
    if (io_h5_dataset_read(file, at(b, sizeof b, g, "feature"), H5T_NATIVE_INT32, n, (void **)&t->pub_feature) ||
        io_h5_dataset_read(file, at(b, sizeof b, g, "left"), H5T_NATIVE_INT32, n, (void **)&t->pub_left) ||
        io_h5_dataset_read(file, at(b, sizeof b, g, "right"), H5T_NATIVE_INT32, n, (void **)&t->pub_right) ||
        io_h5_dataset_read(file, at(b, sizeof b, g, "threshold"), H5T_NATIVE_DOUBLE, n, (void **)&t->pub_threshold) ||
        io_h5_dataset_read(file, at(b, sizeof b, g, "value"), H5T_NATIVE_DOUBLE, n * t->data.n_classes,
                           (void **)&t->pub_value) ||
        io_h5_dataset_read(file, at(b, sizeof b, g, "missing_left"), H5T_NATIVE_INT8, n, (void **)&t->pub_missing) ||
        io_h5_dataset_read(file, at(b, sizeof b, g, "category_left"), H5T_NATIVE_UINT64, n * 4,
                           (void **)&t->pub_categories) ||
        io_h5_dataset_read(file, at(b, sizeof b, g, "feature_categorical"), H5T_NATIVE_INT8, nf, (void **)&categorical)) {
        free(categorical);
        return clm_error(CLM_E_FORMAT, "%s: the tree arrays in %s are missing or of the wrong size", path, g);
    }
    for (int f = 0; f < nf; f++)
        t->data.features[f].categorical = categorical[f] != 0;
    free(categorical);
    /* Children after parents, in range: traversal always ends. */
    for (int i = 0; i < t->n_nodes; i++) {
        int f = t->pub_feature[i];
        if (f >= nf || (f >= 0 && (t->pub_left[i] <= i || t->pub_right[i] <= i || t->pub_left[i] >= t->n_nodes ||
                                   t->pub_right[i] >= t->n_nodes)))
            return clm_error(CLM_E_FORMAT, "%s: %s node %d is malformed", path, g, i);
    }
    for (int f = 0; f < nf; f++) {
        tree_feature *feat = &t->data.features[f];
        if (!feat->categorical)
            continue;
        char name[600];
        snprintf(name, sizeof name, "%s/categories/%d", g, f);
        int64_t nc = io_h5_dataset_strings(file, name, &feat->categories);
        if (nc < 0 || nc > INT32_MAX)
            return clm_error(CLM_E_FORMAT, "%s: dictionary %s of feature '%s' is missing", path, name, feat->name);
        feat->n_categories = (int)nc;
        /* A large dictionary has its code -> group map beside it. */
        snprintf(name, sizeof name, "%s/category_groups/%d", g, f);
        int64_t gdims[2];
        if (nc > TREE_MAX_VALUE_BINS || io_h5_dataset_dims(file, name, gdims) >= 0) {
            if (io_h5_dataset_read(file, name, H5T_NATIVE_INT32, nc, (void **)&feat->category_bin))
                return clm_error(CLM_E_FORMAT, "%s: feature '%s' has %lld categories but no %s of that size",
                                 path, feat->name, (long long)nc, name);
            for (int64_t c = 0; c < nc; c++) {
                if (feat->category_bin[c] < 0 || feat->category_bin[c] >= TREE_MAX_VALUE_BINS)
                    return clm_error(CLM_E_FORMAT, "%s: %s holds the group %d, outside [0, %d)", path,
                                     name, feat->category_bin[c], TREE_MAX_VALUE_BINS);
                feat->category_bin[c] += 1; /* group g is bin g + 1 */
            }
        }
    }
    int64_t nk = io_h5_dataset_strings(file, at(b, sizeof b, g, "class_labels"), &labels);
    if (nk == t->data.n_classes) {
        t->data.class_labels = labels;
    } else {
        io_h5_strings_free(nk > 0 ? labels : NULL);
        t->data.class_labels = calloc((size_t)t->data.n_classes + 1, sizeof(char *));
        if (!t->data.class_labels)
            return clm_error(CLM_E_NOMEM, "tree: out of memory");
        for (int k = 0; k < t->data.n_classes; k++) {
            char label[16];
            snprintf(label, sizeof label, "%d", k);
            if (!(t->data.class_labels[k] = util_strdup(label)))
                return clm_error(CLM_E_NOMEM, "tree: out of memory");
        }
    }
    return CLM_OK;
}

clm_status clm_tree_load(const char *path, const char *group, int n_threads, clm_tree **out)
{
    *out = NULL;
    io_silence_hdf5();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return clm_error(CLM_E_OPEN, "%s: cannot open the results file (missing or not HDF5)", path);
    clm_tree *t = calloc(1, sizeof *t);
    clm_status st = t ? CLM_OK : clm_error(CLM_E_NOMEM, "tree: out of memory");
    if (!st) {
        clm_tree_params_default(&t->params);
        t->params.n_threads = n_threads;
        t->accuracy = t->auc = t->log_loss = t->train_accuracy = NAN;
        char name[512];
        if (H5Lexists(file, group, H5P_DEFAULT) <= 0 ||
            H5Lexists(file, at(name, sizeof name, group, "feature"), H5P_DEFAULT) <= 0)
            st = clm_error(CLM_E_FORMAT, "%s: no saved tree in %s", path, group);
        else
            st = load(file, path, group, t);
    }
    H5Fclose(file);
    if (st) {
        clm_tree_free(t);
        return st;
    }
    *out = t;
    return CLM_OK;
}

/* Routes one row: x[f] is the feature value (numeric) or the training
 * code as a float (categorical; NaN or < 0 = missing / unseen). */
static int route(const clm_tree *t, const float *x)
{
    int i = 0;
    while (t->pub_feature[i] >= 0) {
        int f = t->pub_feature[i];
        float v = x[f];
        const int categorical = t->data.features[f].categorical;
        int left;
        if (isnan(v) || (categorical && v < 0))
            left = t->pub_missing[i];
        else if (categorical) {
            int g = tree_category_bin(&t->data.features[f], (int)v) - 1;
            left = (int)((t->pub_categories[(int64_t)i * 4 + (g >> 6)] >> (g & 63)) & 1u);
        } else
            left = (double)v <= t->pub_threshold[i];
        i = left ? t->pub_left[i] : t->pub_right[i];
    }
    return i;
}

clm_status clm_tree_predict(const clm_tree *t, const float *rows, int64_t n_rows, int n_features, float *out)
{
    if (!t || t->n_nodes < 1 || !t->pub_feature)
        return clm_error(CLM_E_PARAM, "tree: predict needs a fitted or loaded tree");
    const int F = t->data.n_features, K = t->data.n_classes;
    if (n_features != F)
        return clm_error(CLM_E_PARAM, "tree: %d features given, the tree has %d", n_features, F);
    if (n_rows < 0 || (n_rows > 0 && (!rows || !out)))
        return clm_error(CLM_E_PARAM, "tree: NULL rows or output");
    for (int64_t i = 0; i < n_rows; i++)
        for (int f = 0; f < F; f++) {
            float v = rows[i * F + f];
            const tree_feature *feat = &t->data.features[f];
            if (feat->categorical && v >= 0 && (v != (float)(int)v || (int)v >= feat->n_categories))
                return clm_error(CLM_E_VALUE, "tree: row %lld, feature '%s': %g is not a code of its %d categories",
                                 (long long)i, feat->name, (double)v, feat->n_categories);
        }
    const int threads = util_threads(t->params.n_threads);
    #pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n_rows; i++) {
        int leaf = route(t, rows + i * F);
        for (int k = 0; k < K; k++)
            out[i * K + k] = (float)t->pub_value[(int64_t)leaf * K + k];
    }
    return CLM_OK;
}

clm_status clm_tree_predict_table(const clm_tree *t, const clm_table *input, float *out)
{
    return tree_predict_table_rows(t, input, 0, clm_table_n_rows(input), out);
}

clm_status tree_predict_table_rows(const clm_tree *t, const clm_table *input, int64_t first, int64_t n,
                                   float *out)
{
    if (!t || t->n_nodes < 1 || !t->pub_feature)
        return clm_error(CLM_E_PARAM, "tree: predict_table needs a fitted or loaded tree");
    const char *in_path = clm_table_path(input);
    const int F = t->data.n_features, K = t->data.n_classes;
    clm_status st = CLM_OK;
    int *columns = malloc((size_t)F * sizeof *columns), **code_map = calloc((size_t)F, sizeof *code_map);
    float *block = malloc((size_t)CLM_BLOCK_ROWS * F * sizeof *block);
    float *scratch = malloc((size_t)CLM_BLOCK_ROWS * sizeof *scratch);
    if (!columns || !code_map || !block || !scratch) {
        st = clm_error(CLM_E_NOMEM, "tree: out of memory for scoring");
        goto done;
    }
    for (int f = 0; f < F; f++) {
        const tree_feature *feat = &t->data.features[f];
        clm_column_kind kind = feat->categorical ? CLM_KIND_CATEGORICAL : CLM_KIND_NUMERIC;
        int c = clm_table_find(input, feat->name);
        if (c < 0) {
            st = clm_error(CLM_E_SCHEMA, "%s: column '%s' used by the tree is missing", in_path, feat->name);
            goto done;
        }
        const clm_column_info *info = clm_table_column(input, c);
        if (info->kind != kind) {
            st = clm_error(CLM_E_SCHEMA, "%s: column '%s' is %s but the tree was trained on a %s column",
                           in_path, feat->name, info->kind == CLM_KIND_CATEGORICAL ? "categorical" : "not categorical",
                           kind == CLM_KIND_CATEGORICAL ? "categorical" : "numeric");
            goto done;
        }
        columns[f] = c;
        if (kind == CLM_KIND_CATEGORICAL) {
            code_map[f] = malloc((size_t)(info->n_categories + 1) * sizeof **code_map);
            if (!code_map[f]) {
                st = clm_error(CLM_E_NOMEM, "tree: out of memory");
                goto done;
            }
            for (int a = 0; a < info->n_categories; a++) {
                code_map[f][a] = -1;
                for (int b = 0; b < feat->n_categories; b++)
                    if (!strcmp(info->categories[a], feat->categories[b])) {
                        code_map[f][a] = b;
                        break;
                    }
            }
        }
    }
    const int threads = util_threads(t->params.n_threads);
    /* Rank reads (io_table_ranks.h): as many on every rank of a table the
     * ranks opened together, with no rows past this rank's or after a bad
     * value (the schema errors above are every rank's: then none reads). */
    const int64_t calls = io_table_rank_calls(input, n, CLM_BLOCK_ROWS);
    for (int64_t call = 0; call < calls; call++) {
        int64_t row0; /* the table's row, for reads and messages */
        const int64_t count = io_rank_block(first, n, CLM_BLOCK_ROWS, call, st != CLM_OK, &row0);
        clm_status read = io_table_read_rank_block_f32(input, columns, F, row0, count, block, scratch);
        if (count == 0 || (st = read))
            continue;
        const int64_t at = row0 - first;
        /* Map categorical codes to training codes (-1: unseen or missing). */
        for (int f = 0; f < F && !st; f++) {
            if (!code_map[f])
                continue;
            int n_cat = clm_table_column(input, columns[f])->n_categories;
            for (int64_t i = 0; i < count; i++) {
                float v = block[i * F + f];
                if (isnan(v) || v < 0)
                    continue;
                int c = (int)v;
                if (c >= n_cat || (float)c != v) {
                    st = clm_error(CLM_E_VALUE, "%s: categorical column '%s' has the code %g at row %lld, outside its %d categories",
                                   in_path, t->data.features[f].name, (double)v, (long long)(row0 + i), n_cat);
                    break;
                }
                block[i * F + f] = (float)code_map[f][c];
            }
        }
        if (st)
            continue;
        float *dest = out + at * K;
        #pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t i = 0; i < count; i++) {
            int leaf = route(t, block + i * F);
            for (int k = 0; k < K; k++)
                dest[i * K + k] = (float)t->pub_value[(int64_t)leaf * K + k];
        }
    }
done:
    if (code_map)
        for (int f = 0; f < F; f++)
            free(code_map[f]);
    free(code_map);
    free(columns);
    free(block);
    free(scratch);
    return st;
}

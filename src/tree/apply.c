/*
 * apply.c — scoring a new quarter with a tree saved by clm_tree_save.
 *
 * The node arrays, feature names and categorical dictionaries are read
 * back with the HDF5 C API (small arrays).  Columns of the new table are
 * matched by name; a categorical value is matched by its label through a
 * code -> training-code map, so a reordered dictionary scores the same,
 * and a label unseen in training (like a missing value) follows the node's
 * missing side.  Rows stream in blocks: read on this thread, routed in
 * parallel, written through the writer.
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"
#include "tree/tree_internal.h"

typedef struct saved_tree {
    int n_nodes, n_classes, n_features;
    int32_t *feature, *left, *right;
    double *threshold, *value;
    int8_t *missing_left, *categorical;
    uint64_t *category_left;
    char **names;          /* NULL-terminated (io_h5_dataset_strings)   */
    int *n_categories;
    char ***categories;    /* per feature, NULL-terminated, or NULL     */
} saved_tree;

static void saved_free(saved_tree *t)
{
    free(t->feature); free(t->left); free(t->right); free(t->threshold); free(t->value);
    free(t->missing_left); free(t->categorical); free(t->category_left);
    io_h5_strings_free(t->names);
    for (int f = 0; t->categories && f < t->n_features; f++)
        io_h5_strings_free(t->categories[f]);
    free(t->n_categories); free(t->categories);
}

static clm_status load(hid_t file, const char *path, saved_tree *t)
{
    int64_t dims[2];
    if (io_h5_dataset_dims(file, "/churn/value", dims) != 2 || dims[1] < 2 ||
        dims[1] > CLM_TREE_MAX_CLASSES || dims[0] < 1)
        return clm_error(CLM_E_FORMAT, "%s: /churn/value is not a [nodes][classes] array", path);
    t->n_nodes = (int)dims[0];
    t->n_classes = (int)dims[1];
    const int64_t n = t->n_nodes;
    char **names = NULL;
    int64_t nf = io_h5_dataset_strings(file, "/churn/feature_names", &names);
    if (nf < 1)
        return clm_error(CLM_E_FORMAT, "%s: /churn/feature_names is missing or unreadable", path);
    t->names = names;
    t->n_features = (int)nf;
    if (io_h5_dataset_read(file, "/churn/feature", H5T_NATIVE_INT32, n, (void **)&t->feature) ||
        io_h5_dataset_read(file, "/churn/left", H5T_NATIVE_INT32, n, (void **)&t->left) ||
        io_h5_dataset_read(file, "/churn/right", H5T_NATIVE_INT32, n, (void **)&t->right) ||
        io_h5_dataset_read(file, "/churn/threshold", H5T_NATIVE_DOUBLE, n, (void **)&t->threshold) ||
        io_h5_dataset_read(file, "/churn/value", H5T_NATIVE_DOUBLE, n * t->n_classes, (void **)&t->value) ||
        io_h5_dataset_read(file, "/churn/missing_left", H5T_NATIVE_INT8, n, (void **)&t->missing_left) ||
        io_h5_dataset_read(file, "/churn/category_left", H5T_NATIVE_UINT64, n * 4, (void **)&t->category_left) ||
        io_h5_dataset_read(file, "/churn/feature_categorical", H5T_NATIVE_INT8, nf, (void **)&t->categorical))
        return clm_error(CLM_E_FORMAT, "%s: the tree arrays in /churn are missing or of the wrong size", path);
    /* Children after parents, in range: traversal always ends. */
    for (int i = 0; i < t->n_nodes; i++) {
        int f = t->feature[i];
        if (f >= t->n_features || (f >= 0 && (t->left[i] <= i || t->right[i] <= i ||
                                              t->left[i] >= t->n_nodes || t->right[i] >= t->n_nodes)))
            return clm_error(CLM_E_FORMAT, "%s: /churn node %d is malformed", path, i);
    }
    t->n_categories = calloc((size_t)nf, sizeof *t->n_categories);
    t->categories = calloc((size_t)nf, sizeof *t->categories);
    if (!t->n_categories || !t->categories)
        return clm_error(CLM_E_NOMEM, "tree: out of memory");
    for (int f = 0; f < nf; f++) {
        if (!t->categorical[f])
            continue;
        char name[64];
        snprintf(name, sizeof name, "/churn/categories/%d", f);
        int64_t nc = io_h5_dataset_strings(file, name, &t->categories[f]);
        if (nc < 0 || nc > TREE_MAX_VALUE_BINS)
            return clm_error(CLM_E_FORMAT, "%s: dictionary %s of feature '%s' is missing", path,
                             name, t->names[f]);
        t->n_categories[f] = (int)nc;
    }
    return CLM_OK;
}

/* Routes one row: x[f] is the feature value (numeric) or the training
 * code as a float (categorical; NaN or < 0 = missing / unseen). */
static int route(const saved_tree *t, const float *x)
{
    int i = 0;
    while (t->feature[i] >= 0) {
        int f = t->feature[i];
        float v = x[f];
        int left;
        if (isnan(v) || (t->categorical[f] && v < 0))
            left = t->missing_left[i];
        else if (t->categorical[f]) {
            int c = (int)v;
            left = (int)((t->category_left[(int64_t)i * 4 + (c >> 6)] >> (c & 63)) & 1u);
        } else
            left = (double)v <= t->threshold[i];
        i = left ? t->left[i] : t->right[i];
    }
    return i;
}

clm_status clm_tree_apply_saved(const char *results_path, const clm_table *input,
                                clm_writer *output, int n_threads, int *applied)
{
    *applied = 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fopen(results_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return clm_error(CLM_E_OPEN, "%s: cannot open the results file", results_path);
    if (H5Lexists(file, "/churn", H5P_DEFAULT) <= 0 ||
        H5Lexists(file, "/churn/feature", H5P_DEFAULT) <= 0) {
        H5Fclose(file);
        return CLM_OK;
    }
    saved_tree t = {0};
    clm_status st = load(file, results_path, &t);
    H5Fclose(file);
    const char *in_path = clm_table_path(input);
    const int64_t n = clm_table_n_rows(input);
    const int F = t.n_features, K = t.n_classes;
    int *columns = NULL, **code_map = NULL;
    float *block = NULL, *scratch = NULL, *probs = NULL;
    if (st)
        goto done;
    columns = malloc((size_t)F * sizeof *columns);
    code_map = calloc((size_t)F, sizeof *code_map);
    block = malloc((size_t)CLM_BLOCK_ROWS * F * sizeof *block);
    scratch = malloc((size_t)CLM_BLOCK_ROWS * sizeof *scratch);
    probs = malloc((size_t)(K == 2 ? CLM_BLOCK_ROWS : (n > 0 ? n : 1) * K) * sizeof *probs);
    if (!columns || !code_map || !block || !scratch || !probs) {
        st = clm_error(CLM_E_NOMEM, "tree: out of memory for scoring");
        goto done;
    }
    for (int f = 0; f < F; f++) {
        clm_column_kind kind = t.categorical[f] ? CLM_KIND_CATEGORICAL : CLM_KIND_NUMERIC;
        int c = clm_table_find(input, t.names[f]);
        if (c < 0) {
            st = clm_error(CLM_E_SCHEMA, "%s: column '%s' used by the tree in %s is missing",
                           in_path, t.names[f], results_path);
            goto done;
        }
        const clm_column_info *info = clm_table_column(input, c);
        if (info->kind != kind) {
            st = clm_error(CLM_E_SCHEMA, "%s: column '%s' is %s but the tree in %s was trained on a %s column",
                           in_path, t.names[f],
                           info->kind == CLM_KIND_CATEGORICAL ? "categorical" : "not categorical",
                           results_path, kind == CLM_KIND_CATEGORICAL ? "categorical" : "numeric");
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
                for (int b = 0; b < t.n_categories[f]; b++)
                    if (!strcmp(info->categories[a], t.categories[f][b])) {
                        code_map[f][a] = b;
                        break;
                    }
            }
        }
    }
    int column = -1;
    if (K == 2 && (st = clm_writer_column_create(output, "/churn/probability", CLM_DT_FLOAT32, n, &column)))
        goto done;
    const int threads = util_threads(n_threads);
    for (int64_t row0 = 0; row0 < n; row0 += CLM_BLOCK_ROWS) {
        int64_t count = util_block_len(n, row0, CLM_BLOCK_ROWS);
        if ((st = clm_table_read_block_f32(input, columns, F, row0, count, block, scratch)))
            goto done;
        /* Map categorical codes to training codes (-1: unseen or missing). */
        for (int f = 0; f < F; f++) {
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
                                   in_path, t.names[f], (double)v, (long long)(row0 + i), n_cat);
                    goto done;
                }
                block[i * F + f] = (float)code_map[f][c];
            }
        }
        float *dest = K == 2 ? probs : probs + row0 * K;
        #pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t i = 0; i < count; i++) {
            int leaf = route(&t, block + i * F);
            if (K == 2)
                dest[i] = (float)t.value[(int64_t)leaf * K + 1];
            else
                for (int k = 0; k < K; k++)
                    dest[i * K + k] = (float)t.value[(int64_t)leaf * K + k];
        }
        if (K == 2 && (st = clm_writer_column_write(output, column, row0, count, probs)))
            goto done;
    }
    if (K != 2) {
        const int64_t dims[2] = {n, K};
        if ((st = clm_writer_array(output, "/churn/class_probability", CLM_DT_FLOAT32, 2, dims, probs)))
            goto done;
    }
    *applied = 1;
done:
    if (code_map)
        for (int f = 0; f < F; f++)
            free(code_map[f]);
    free(code_map);
    free(columns);
    free(block);
    free(scratch);
    free(probs);
    saved_free(&t);
    return st;
}

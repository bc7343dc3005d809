/*
 * fit_table.c — training from an HDF5 subscriber table: resolves the
 * target and the features, reads bin edges from a sample of rows, then
 * streams the rows in blocks (read on this thread, binned in parallel)
 * into the uint8 matrix.  Memory: N x features bytes plus one block.
 *
 * On several ranks (tree_fit_table_ranks) each rank reads and bins its
 * own rows (tree_rank_rows), every rank derives the same edges from the
 * same sample rows, and each step that may fail on one rank is agreed
 * (comm_agree) before the next, so that the message is the serial run's.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "tree/tree_internal.h"
#include "tree/tree_ranks.h"
#include "io/io_table_ranks.h"

/* Reads the target into data->y and fills the classes. */
static clm_status read_target(const clm_tree_columns *params, const clm_table *table,
                              int column, tree_data *data)
{
    const clm_column_info *info = clm_table_column(table, column);
    const char *path = clm_table_path(table);
    const int64_t n = data->n_rows;
    int positive = -1;          /* binary by level: code / value of class 1 */
    int n_classes = 0;
    if (info->kind == CLM_KIND_UNSUPPORTED ||
        (info->kind == CLM_KIND_NUMERIC &&
         (info->dtype == CLM_DT_FLOAT32 || info->dtype == CLM_DT_FLOAT64)))
        return clm_error(CLM_E_SCHEMA, "%s: target column '%s' is %s; it must be an integer (0/1 or class numbers) or categorical column",
                         path, info->name, clm_dtype_name(info->dtype));
    if (info->kind == CLM_KIND_CATEGORICAL) {
        if (params->target_level) {
            for (int c = 0; c < info->n_categories; c++)
                if (!strcmp(info->categories[c], params->target_level))
                    positive = c;
            if (positive < 0)
                return clm_error(CLM_E_VALUE, "%s: target column '%s' has no level '%s'",
                                 path, info->name, params->target_level);
            n_classes = 2;
        } else {
            n_classes = info->n_categories;
            if (n_classes > CLM_TREE_MAX_CLASSES)
                return clm_error(CLM_E_SCHEMA, "%s: target column '%s' has %d categories; at most %d classes are supported",
                                 path, info->name, n_classes, CLM_TREE_MAX_CLASSES);
        }
    } else if (params->target_level) {
        char *end = NULL;
        long v = strtol(params->target_level, &end, 10);
        if (!end || *end || end == params->target_level)
            return clm_error(CLM_E_PARAM, "%s: target column '%s' is numeric; --target-level '%s' must be an integer value",
                             path, info->name, params->target_level);
        positive = (int)v;
        n_classes = 2;
    }
    /* This rank's rows; messages name the table's row. */
    const int64_t first = data->first_row;
    int32_t *block = malloc((size_t)CLM_BLOCK_ROWS * sizeof *block);
    /* Rows of each class number (no --target-level), for the class count. */
    int64_t seen[CLM_TREE_MAX_CLASSES] = {0};
    clm_status st = block ? CLM_OK : clm_error(CLM_E_NOMEM, "tree: out of memory");
    /* Collective reads: the largest rank's count of them on every rank;
     * past its rows or its first error a rank reads nothing. */
    const int64_t n_blocks = io_rank_calls(data->comm, (n + CLM_BLOCK_ROWS - 1) / CLM_BLOCK_ROWS);
    for (int64_t b = 0, row0 = 0; b < n_blocks; b++, row0 += CLM_BLOCK_ROWS) {
        int64_t count = st || row0 >= n ? 0 : util_block_len(n, row0, CLM_BLOCK_ROWS);
        clm_status read = io_table_read_rank_i32(table, column, first + row0, count, block);
        if (count == 0 || (st = read))
            continue;
        for (int64_t i = 0; i < count; i++) {
            int32_t v = block[i];
            const long long row = (long long)(first + row0 + i);
            if (v < 0) {
                st = info->kind == CLM_KIND_CATEGORICAL
                    ? clm_error(CLM_E_VALUE, "%s: target column '%s' is missing at row %lld",
                                path, info->name, row)
                    : clm_error(CLM_E_VALUE, "%s: target column '%s' has the negative value %d at row %lld",
                                path, info->name, v, row);
                break;
            }
            if (positive >= 0) {
                data->y[row0 + i] = v == positive;
                continue;
            }
            if (v >= CLM_TREE_MAX_CLASSES) {
                st = clm_error(CLM_E_VALUE, "%s: target column '%s' has the value %d at row %lld; class numbers must be below %d (use --target-level for a binary target)",
                               path, info->name, v, row, CLM_TREE_MAX_CLASSES);
                break;
            }
            if (info->kind == CLM_KIND_CATEGORICAL && v >= info->n_categories) {
                st = clm_error(CLM_E_VALUE, "%s: target column '%s' has the code %d at row %lld, outside its %d categories",
                               path, info->name, v, row, info->n_categories);
                break;
            }
            data->y[row0 + i] = (uint8_t)v;
            seen[v]++;
        }
    }
    free(block);
    /* The first bad row of the lowest failing rank: the table's first. */
    if ((st = comm_agree(data->comm, st)))
        return st;
    tree_sum(data, seen, CLM_TREE_MAX_CLASSES);
    int max_value = 0;
    for (int v = 0; v < CLM_TREE_MAX_CLASSES; v++)
        if (seen[v] > 0)
            max_value = v;
    if (n_classes == 0)
        n_classes = max_value + 1 < 2 ? 2 : max_value + 1;
    data->n_classes = n_classes;
    data->class_labels = calloc((size_t)n_classes, sizeof *data->class_labels);
    if (!data->class_labels)
        return clm_error(CLM_E_NOMEM, "tree: out of memory");
    for (int k = 0; k < n_classes; k++) {
        char label[256];
        if (positive >= 0 && info->kind == CLM_KIND_CATEGORICAL) {
            if (k == 1)
                snprintf(label, sizeof label, "%s", info->categories[positive]);
            else if (info->n_categories == 2)
                snprintf(label, sizeof label, "%s", info->categories[1 - positive]);
            else
                snprintf(label, sizeof label, "not %s", info->categories[positive]);
        } else if (positive >= 0) {
            if (k == 1)
                snprintf(label, sizeof label, "%d", positive);
            else
                snprintf(label, sizeof label, "not %d", positive);
        } else if (info->kind == CLM_KIND_CATEGORICAL) {
            snprintf(label, sizeof label, "%s", info->categories[k]);
        } else {
            snprintf(label, sizeof label, "%d", k);
        }
        if (!(data->class_labels[k] = util_strdup(label)))
            return clm_error(CLM_E_NOMEM, "tree: out of memory");
    }
    return CLM_OK;
}

/* Feature columns: the given list, or every usable column but the target
 * and the subscriber id. */
static clm_status pick_features(const clm_tree_columns *params, const clm_table *table,
                                int target, int **columns, int *n_columns)
{
    const char *path = clm_table_path(table);
    int n_table = clm_table_n_columns(table);
    int *cols = malloc((size_t)(n_table + 1) * sizeof *cols);
    int n = 0;
    if (!cols)
        return clm_error(CLM_E_NOMEM, "tree: out of memory");
    if (params->n_features > 0) {
        for (int i = 0; i < params->n_features; i++) {
            int c = clm_table_find(table, params->features[i]);
            if (c < 0) {
                free(cols);
                return clm_error(CLM_E_SCHEMA, "%s: feature column '%s' not found", path,
                                 params->features[i]);
            }
            const clm_column_info *info = clm_table_column(table, c);
            if (info->kind == CLM_KIND_UNSUPPORTED) {
                free(cols);
                return clm_error(CLM_E_SCHEMA, "%s: feature column '%s' is %s, not numeric or categorical",
                                 path, info->name, clm_dtype_name(info->dtype));
            }
            if (c == target) {
                free(cols);
                return clm_error(CLM_E_PARAM, "tree: the target '%s' cannot also be a feature",
                                 info->name);
            }
            for (int j = 0; j < n; j++)
                if (cols[j] == c) {
                    free(cols);
                    return clm_error(CLM_E_PARAM, "tree: feature '%s' is listed twice", info->name);
                }
            if (n >= n_table) {
                free(cols);
                return clm_error(CLM_E_PARAM, "tree: too many features");
            }
            cols[n++] = c;
        }
    } else {
        for (int c = 0; c < n_table; c++) {
            const clm_column_info *info = clm_table_column(table, c);
            if (c == target || info->kind == CLM_KIND_UNSUPPORTED ||
                !strcmp(info->name, "subscriber_id"))
                continue;
            cols[n++] = c;
        }
    }
    if (n == 0) {
        free(cols);
        return clm_error(CLM_E_EMPTY, "%s: no feature columns to train on", path);
    }
    *columns = cols;
    *n_columns = n;
    return CLM_OK;
}

/* The feature's name and kind, and its bins: a numeric feature's edges
 * and a large dictionary's pooling from the sample rows, which every rank
 * reads alike from the table (the same rows in the same order on every
 * rank, so the same edges: no gather needed). */
static clm_status bin_feature(const clm_tree_params *params, const clm_table *table, int column,
                              const int64_t *ranges, int n_ranges, int full, float *sample,
                              int from_sample, tree_feature *feat)
{
    const clm_column_info *info = clm_table_column(table, column);
    if (!(feat->name = util_strdup(info->name)))
        return clm_error(CLM_E_NOMEM, "tree: out of memory");
    if (info->kind == CLM_KIND_CATEGORICAL) {
        feat->categorical = 1;
        feat->n_categories = info->n_categories;
        feat->n_value_bins = info->n_categories > 0 ? info->n_categories : 1;
        feat->categories = calloc((size_t)info->n_categories + 1, sizeof *feat->categories);
        if (!feat->categories)
            return clm_error(CLM_E_NOMEM, "tree: out of memory");
        for (int c = 0; c < info->n_categories; c++)
            if (!(feat->categories[c] = util_strdup(info->categories[c])))
                return clm_error(CLM_E_NOMEM, "tree: out of memory");
        for (int b = 0; b < CLM_TREE_MAX_BINS; b++)
            feat->values[b] = NAN;
        if (info->n_categories <= TREE_MAX_VALUE_BINS)
            return CLM_OK; /* code c is bin c + 1 */
    }
    if (!from_sample)
        return CLM_OK; /* another rank derives them (share_bins) */
    int64_t m = 0;
    clm_status st;
    for (int r = 0; r < n_ranges; r++) {
        if ((st = clm_table_read_f32(table, column, ranges[2 * r], ranges[2 * r + 1], sample + m)))
            return st;
        m += ranges[2 * r + 1];
    }
    /* A large dictionary: the most frequent codes of the sample keep a
     * bin each, the others share the last. */
    if (feat->categorical)
        return tree_pool_categories(feat, sample, m, TREE_MAX_VALUE_BINS);
    tree_bins_from_sample(feat, sample, m, params->n_bins - 1, full);
    return CLM_OK;
}

/* Whether a feature's bins come from the sample: numeric features and
 * dictionaries too large for a bin a category. */
static int binned_from_sample(const tree_feature *feat)
{
    return !feat->categorical || feat->n_categories > TREE_MAX_VALUE_BINS;
}

/* On several ranks each feature's bins are derived by one rank (f mod R)
 * from the sample, with the serial code, and broadcast from it: reading
 * and sorting the sample of every feature on every rank was 6% of a rank's
 * time in the quarterly run on 4 ranks. */
static clm_status share_bins(const comm_ctx *comm, tree_data *data)
{
    clm_status st = CLM_OK;
    for (int f = 0; f < data->n_features && !st; f++) {
        tree_feature *feat = &data->features[f];
        if (!binned_from_sample(feat))
            continue;
        const int owner = f % comm->size;
        struct {
            int n_value_bins, exact, search_step;
            double edges[TREE_MAX_VALUE_BINS], values[CLM_TREE_MAX_BINS];
        } bins;
        memset(&bins, 0, sizeof bins);
        if (comm->rank == owner) {
            bins.n_value_bins = feat->n_value_bins;
            bins.exact = feat->exact;
            bins.search_step = feat->search_step;
            memcpy(bins.edges, feat->edges, sizeof bins.edges);
            memcpy(bins.values, feat->values, sizeof bins.values);
        }
        st = comm_bcast(comm, &bins, sizeof bins, owner);
        if (!st && comm->rank != owner) {
            feat->n_value_bins = bins.n_value_bins;
            feat->exact = bins.exact;
            feat->search_step = bins.search_step;
            memcpy(feat->edges, bins.edges, sizeof bins.edges);
            memcpy(feat->values, bins.values, sizeof bins.values);
        }
        if (st || !feat->categorical)
            continue;
        /* A pooled dictionary: the bin of every code. */
        if (comm->rank != owner && !feat->category_bin)
            feat->category_bin = malloc(sizeof(int32_t) * (size_t)(feat->n_categories + 1));
        st = comm_agree(comm, feat->category_bin ? CLM_OK : clm_error(CLM_E_NOMEM, "tree: out of memory"));
        if (!st)
            st = comm_bcast(comm, feat->category_bin, sizeof(int32_t) * (size_t)feat->n_categories, owner);
    }
    return st;
}

/* Bin edges of every feature from the sample rows. */
static clm_status bin_features(const clm_tree_params *params, const clm_table *table,
                               const int *columns, tree_data *data)
{
    const comm_ctx *comm = data->comm;
    const int parallel = comm_is_parallel(comm);
    const int64_t n = data->n_all_rows;
    int64_t ranges[128];
    int n_ranges = tree_sample_ranges(n, params->sample_rows, ranges);
    int64_t n_sample = 0;
    for (int r = 0; r < n_ranges; r++)
        n_sample += ranges[2 * r + 1];
    float *sample = malloc((size_t)n_sample * sizeof *sample);
    if (!sample)
        return clm_error(CLM_E_NOMEM, "tree: out of memory for the binning sample");
    clm_status st = CLM_OK;
    for (int f = 0; f < data->n_features && !st; f++)
        st = bin_feature(params, table, columns[f], ranges, n_ranges, n_sample == n, sample,
                         !parallel || f % comm->size == comm->rank, &data->features[f]);
    free(sample);
    if (parallel && !(st = comm_agree(comm, st)))
        st = share_bins(comm, data);
    return st;
}

/* Streams this rank's rows into bins; a bad code is named by its table
 * row. */
static clm_status bin_rows(const clm_tree_params *params, const clm_table *table,
                           const int *columns, tree_data *data)
{
    const int F = data->n_features;
    const int64_t n = data->n_rows, first = data->first_row;
    float *block = malloc((size_t)CLM_BLOCK_ROWS * F * sizeof *block);
    float *scratch = malloc((size_t)CLM_BLOCK_ROWS * sizeof *scratch);
    clm_status st = block && scratch ? CLM_OK
                  : clm_error(CLM_E_NOMEM, "tree: out of memory for a block");
    int n_threads = util_threads(params->n_threads);
    const int64_t n_blocks = io_rank_calls(data->comm, (n + CLM_BLOCK_ROWS - 1) / CLM_BLOCK_ROWS);
    for (int64_t b = 0, row0 = 0; b < n_blocks; b++, row0 += CLM_BLOCK_ROWS) {
        int64_t count = st || row0 >= n ? 0 : util_block_len(n, row0, CLM_BLOCK_ROWS);
        clm_status read = io_table_read_rank_block_f32(table, columns, F, first + row0, count, block, scratch);
        if (count == 0 || (st = read))
            continue;
        int bad_f = -1;
        int64_t bad = tree_bin_block(data->features, F, block, count,
                                     data->bins + row0 * F, n_threads, &bad_f);
        if (bad >= 0) {
            st = clm_error(CLM_E_VALUE, "%s: categorical column '%s' has the code %g at row %lld, outside its %d categories",
                           clm_table_path(table), data->features[bad_f].name,
                           (double)block[bad * F + bad_f], (long long)(first + row0 + bad),
                           data->features[bad_f].n_categories);
            continue;
        }
        if (params->progress)
            params->progress(params->progress_ctx, "tree binning", row0 + count, n);
    }
    free(block);
    free(scratch);
    return st;
}

clm_status clm_tree_fit_table(const clm_tree_params *params, const clm_tree_columns *given,
                              const clm_table *table, clm_tree **out)
{
    return tree_fit_table_ranks(params, given, table, NULL, out);
}

clm_status tree_fit_table_ranks(const clm_tree_params *params, const clm_tree_columns *given,
                                const clm_table *table, const comm_ctx *comm, clm_tree **out)
{
    /* Until the rows are read every check depends on the parameters and
     * the schema only: the same outcome on every rank. */
    clm_status st = clm_tree_params_check(params);
    if (st)
        return st;
    clm_tree_columns defaults;
    clm_tree_columns_default(&defaults);
    const clm_tree_columns *tc = given ? given : &defaults;
    if (!tc->target || !tc->target[0])
        return clm_error(CLM_E_PARAM, "tree: no target column given");
    if (tc->n_features < 0 || (tc->n_features > 0 && !tc->features))
        return clm_error(CLM_E_PARAM, "tree: bad feature list");
    *out = NULL;
    const char *path = clm_table_path(table);
    const int64_t n = clm_table_n_rows(table);
    if (n < 1)
        return clm_error(CLM_E_EMPTY, "%s: the table has no rows", path);
    if (n > INT32_MAX)
        return clm_error(CLM_E_PARAM, "%s: %lld rows exceed the tree limit of %d", path,
                         (long long)n, INT32_MAX);
    double t0 = tree_now();
    int target = clm_table_find(table, tc->target);
    if (target < 0)
        return clm_error(CLM_E_SCHEMA, "%s: target column '%s' not found", path, tc->target);

    tree_data data = {0};
    tree_schedule_default(&data.schedule);
    data.comm = comm;
    data.n_all_rows = n;
    tree_rank_rows(comm, n, io_table_chunk_rows(table, &target, 1), &data.first_row, &data.n_rows);
    int *columns = NULL;
    data.y = malloc((size_t)(data.n_rows > 0 ? data.n_rows : 1));
    st = comm_agree(comm, data.y ? CLM_OK : clm_error(CLM_E_NOMEM, "tree: out of memory"));
    if (st || (st = read_target(tc, table, target, &data)))
        goto fail;
    int F = 0;
    if ((st = pick_features(tc, table, target, &columns, &F)))
        goto fail;
    data.n_features = F;
    data.features = calloc((size_t)F, sizeof *data.features);
    data.bins = util_alloc_big((size_t)(data.n_rows > 0 ? data.n_rows : 1) * F);
    if (!data.features || !data.bins)
        st = clm_error(CLM_E_NOMEM, "tree: out of memory for %lld x %d bins",
                       (long long)data.n_rows, F);
    if ((st = comm_agree(comm, st)) ||
        (st = comm_agree(comm, bin_features(params, table, columns, &data))) ||
        (st = comm_agree(comm, bin_rows(params, table, columns, &data))))
        goto fail;
    free(columns);
    return tree_fit_data(params, &data, tc->target, tree_now() - t0, out);
fail:
    free(columns);
    tree_data_free(&data);
    return st;
}

/*
 * tree_internal.h — shared structures of the histogram CART module.
 *
 * The pieces: binning (features -> uint8 codes), the training data
 * (binned matrix + class of each row), the holdout split, histogram
 * building, split search, growth, pruning, metrics, importance, and the
 * exports.  Each lives in its own file; this header is their contract.
 *
 * Bin codes: 0 is the missing bin (NaN, categorical code -1); a numeric
 * feature's values fall in bins 1..n_value_bins by its edges; a
 * categorical feature's code c is bin c + 1 when its dictionary fits in
 * the 255 value bins, else bin category_bin[c] (the most frequent codes a
 * bin each, the rest pooled in the last; tree_pool_categories).  The
 * public "group" of a code is its bin - 1.
 */
#ifndef CLMSEG_TREE_INTERNAL_H
#define CLMSEG_TREE_INTERNAL_H

#include <stdint.h>

#include "clmseg/tree.h"
#include "core/comm_internal.h"
#include "core/util_internal.h"
#include "kernels.h"

#define TREE_MAX_VALUE_BINS (CLM_TREE_MAX_BINS - 1)

/* How one feature is binned. */
typedef struct tree_feature {
    char *name;
    int categorical;
    int n_value_bins;                 /* value bins 1..n_value_bins          */
    int exact;                        /* numeric: one bin per distinct value */
    int search_step;                  /* numeric: first halving step of the
                                         bin search (tree_bin_value)         */
    double edges[TREE_MAX_VALUE_BINS];/* numeric: bin b holds
                                         edges[b-2] < x <= edges[b-1]        */
    double values[CLM_TREE_MAX_BINS]; /* exact numeric: the value of bin b   */
    int n_categories;                 /* categorical only                    */
    char **categories;                /* categorical: training dictionary    */
    int32_t *category_bin;            /* categorical with more categories
                                         than value bins: bin of code c, in
                                         1..n_value_bins; NULL: c + 1       */
    int64_t n_missing;                /* missing values among training rows  */
} tree_feature;

/* How growth is scheduled.  Every schedule grows the same tree (the
 * tests fit with several to check it); only the speed differs. */
typedef struct tree_schedule {
    int64_t serial_rows;   /* histogram and route passes of fewer rows run
                              on the calling thread (0: always parallel)   */
    int force_rows;        /* 1: the row-index form of growth even where
                              uint8 row labels fit                         */
    int list_share;        /* row-label form: nodes of at most 1/share of
                              the training rows grow from a row list (0:
                              never)                                       */
} tree_schedule;

/* Nodes of at most (training rows / TREE_LIST_SHARE) rows are listed
 * (grow.c): the buffer is 4 / TREE_LIST_SHARE bytes per row. */
#define TREE_LIST_SHARE 8

/* The schedule the library uses. */
void tree_schedule_default(tree_schedule *schedule);

/* The binned training set.  On several ranks (tree_fit_table_ranks) it
 * holds this rank's rows only, rows first_row .. first_row + n_rows - 1 of
 * the table's n_all_rows; every histogram and count built from them is
 * summed over the ranks (tree_sum) before it is used, so that each rank
 * makes the same decisions from the same whole-table figures. */
typedef struct tree_data {
    int64_t n_rows;         /* rows held here                             */
    int64_t first_row;      /* global row of row 0 (0 on one rank)        */
    int64_t n_all_rows;     /* rows of the whole training set             */
    const comm_ctx *comm;   /* the ranks, or NULL: one process            */
    int n_features;
    int n_classes;
    uint8_t *bins;          /* [n_rows][n_features], row-major            */
    uint8_t *y;             /* class of each row                          */
    tree_feature *features; /* [n_features]                               */
    char **class_labels;    /* [n_classes]                                */
    tree_schedule schedule; /* set by the fit (tree_schedule_default)   */
    const clm_kernels *kernels; /* params.kernels resolved (tree_fit_data);
                               every kernel call of growth goes through it */
} tree_data;

/* One node as grown (internal representation, bins rather than values). */
typedef struct tree_node {
    int32_t feature;        /* -1: leaf                                    */
    int32_t left, right;    /* children, -1 for a leaf                     */
    int32_t depth;
    int32_t split_bin;      /* numeric: bins 1..split_bin go left          */
    double threshold;       /* numeric: x <= threshold goes left           */
    uint64_t left_bins[4];  /* categorical: bins going left (bit b)        */
    int8_t missing_left;    /* bin 0 (and unseen categories) go left       */
    int64_t count;          /* training rows                               */
    double weight;          /* class-weighted training rows                */
    double impurity;        /* node impurity                               */
} tree_node;

struct clm_tree {
    clm_tree_params params;     /* copy; string pointers cleared           */
    char *target;               /* target column name                      */
    tree_data data;
    double class_weight[CLM_TREE_MAX_CLASSES];

    int n_nodes, capacity;
    tree_node *nodes;
    double *class_weighted;     /* [n_nodes][K] weighted class sums        */
    int64_t *class_counts;      /* [n_nodes][K] class rows                 */

    /* Public struct-of-arrays view, built by tree_finalize(). */
    int32_t *pub_feature, *pub_left, *pub_right, *pub_depth;
    double *pub_threshold, *pub_value, *pub_impurity;
    int64_t *pub_count;
    int8_t *pub_missing;
    uint64_t *pub_categories;

    /* Holdout and metrics. */
    uint8_t *holdout;           /* [n_rows] 1 = test row, or NULL          */
    int64_t n_train, n_test;    /* the whole table's                       */
    int64_t first_test;         /* test rows on lower ranks                */
    int32_t *row_leaf;          /* ranks, rank 0: leaf of every table row
                                   (tree_gather_outputs), else NULL        */
    double train_accuracy, accuracy, auc, log_loss;
    int64_t *confusion;         /* [K][K]                                  */
    double *impurity_importance, *permutation_importance;
    double binning_seconds, growth_seconds;
};

/* ---- ranks.c ---- */

/* Rows per chunk of the ranks' row split (comm_chunks_of): a rank holds
 * whole chunks.  The tree sums only integers, so the chunk sets nothing
 * but the balance (ranks differ by at most one chunk). */
#define TREE_CHUNK_ROWS 4096

/* This rank's rows of a table of n_all_rows rows: [*first_row,
 * *first_row + *n_rows), possibly empty; whole groups of `file_chunk`
 * rows (the file's chunks, when a multiple of TREE_CHUNK_ROWS) when the
 * table has at least one for each rank (comm_rows_aligned). */
void tree_rank_rows(const comm_ctx *comm, int64_t n_all_rows, int64_t file_chunk, int64_t *first_row,
                    int64_t *n_rows);

/* values[0..n) summed over the ranks of data->comm (nothing on one rank).
 * Every rank reaches it alike (the sums follow decisions made from
 * earlier sums); a failure of MPI itself ends the job. */
void tree_sum(const tree_data *data, int64_t *values, int64_t n);

/* A count of this rank's rows summed over the ranks. */
int64_t tree_sum_one(const tree_data *data, int64_t local);

/* A one-byte column of this rank's n_here rows, every rank's in rank
 * (that is, table) order, into all[0..n_all) on every rank
 * (comm_allgather_bytes; a copy on one rank).  Agreed. */
clm_status tree_gather_column(const tree_data *data, const uint8_t *mine, int64_t n_here,
                              uint8_t *all, int64_t n_all);

/* tree_holdout_split of the whole table's rows; this rank's part of the
 * mask into holdout[0..data->n_rows), the whole table's train and test
 * counts, and *first_test, the test rows before this rank's first row.
 * The same status on every rank; an MPI failure inside the relay ends
 * the job (comm_abort_unagreed). */
clm_status tree_holdout_ranks(const tree_data *data, double fraction, uint64_t seed,
                              uint8_t *holdout, int64_t *n_train, int64_t *n_test,
                              int64_t *first_test);

/* tree_gather_outputs (tree_ranks.h) fills tree->row_leaf and the whole
 * holdout mask on rank 0 (n_all_rows entries there). */

/* ---- binning.c ---- */

/* Computes a numeric feature's bins from `n` sample values (NaN allowed,
 * sorted in place): one bin per distinct value when they fit in
 * max_value_bins (then `exact` = full: the sample holds every row), else
 * equal-count bins. */
void tree_bins_from_sample(tree_feature *feature, float *sample, int64_t n,
                           int max_value_bins, int full);

/* Bin of training code `code` (0 <= code < n_categories) of a categorical
 * feature. */
static inline int tree_category_bin(const tree_feature *feature, int code)
{
    return feature->category_bin ? feature->category_bin[code] : code + 1;
}

/* Bins a categorical feature of more than max_value_bins categories by
 * frequency: counts the valid codes among sample[0..n) (floats; others
 * ignored), gives the max_value_bins - 1 most frequent codes (ties: lower
 * code) a bin each, in code order, and pools every other code in bin
 * max_value_bins.  Sets category_bin and n_value_bins.  CLM_E_NOMEM. */
clm_status tree_pool_categories(tree_feature *feature, const float *sample, int64_t n,
                                int max_value_bins);

/* Bin code of a value of `feature` (numeric: by edges; categorical: the
 * code as float, NaN/negative missing).  Returns -1 for a categorical code
 * outside the dictionary. */
int tree_bin_value(const tree_feature *feature, float x);

/* Bins a row-major float block x[n][n_features] into bins (same layout) in
 * parallel.  Returns the first bad row (categorical code out of range) and
 * its feature in *bad_feature, or -1. */
int64_t tree_bin_block(const tree_feature *features, int n_features,
                       const float *x, int64_t n, uint8_t *bins,
                       int n_threads, int *bad_feature);

/* Sample rows used for edges: all rows when n_rows <= sample_rows, else 64
 * evenly spread contiguous ranges.  Fills ranges (pairs row0, count) and
 * returns the number of ranges (<= 64). */
int tree_sample_ranges(int64_t n_rows, int64_t sample_rows, int64_t *ranges);

void tree_feature_free(tree_feature *feature);
void tree_data_free(tree_data *data);

/* ---- holdout.c ---- */

/* The walk of the split (algorithm S): each class's rows left to walk
 * and test rows still to pick, and the train and test rows walked. */
typedef struct tree_holdout_state {
    int64_t remaining[CLM_TREE_MAX_CLASSES], needed[CLM_TREE_MAX_CLASSES];
    int64_t n_train, n_test;
} tree_holdout_state;

/* The state before the first row of a table with counts[k] rows of class
 * k: round(fraction * counts[k]) test rows to pick of each. */
void tree_holdout_start(tree_holdout_state *st, const int64_t *counts, int n_classes, double fraction);

/* Walks rows first_row .. first_row + n_rows - 1 of the table (targets
 * y[0..n_rows)), deciding each from the state and its keyed draw; the
 * mask, train and test indices (any may be NULL) are local to y. */
void tree_holdout_rows(tree_holdout_state *st, const uint8_t *y, int64_t n_rows, int64_t first_row,
                       uint64_t seed, uint8_t *holdout, int32_t *train, int32_t *test);

/* Stratified, seeded split: sets holdout[i] = 1 for round(fraction * n_k)
 * rows of each class k (selection sampling, exact counts).  Writes the row
 * indices of the train rows into train (ascending) and test rows into test;
 * returns via *n_train, *n_test. */
void tree_holdout_split(const uint8_t *y, int64_t n_rows, int n_classes,
                        double fraction, uint64_t seed, uint8_t *holdout,
                        int32_t *train, int64_t *n_train, int32_t *test,
                        int64_t *n_test);


/* ---- histogram.c ---- */

/* Size in counters of one node histogram. */
int64_t tree_hist_size(const tree_data *data);

/* Builds the class histogram of rows[0..n) into hist (int64, cleared
 * here), in parallel over row blocks with per-thread buffers merged in
 * thread order.  `scratch` holds n_threads * tree_hist_size() uint32.
 * rows == NULL means rows 0..n-1. */
void tree_hist_build(const tree_data *data, const int32_t *rows, int64_t n,
                     int n_threads, uint32_t *scratch, int64_t *hist);

/* One route pass of the row-label form of growth (see grow.c). */
typedef struct tree_route {
    int64_t begin, end;       /* span of rows scanned                       */
    int64_t n_rows;           /* rows labelled `slot` (to pick serial runs) */
    uint8_t slot;             /* label of the node's rows                   */
    int feature;              /* split feature                              */
    const uint8_t *goes_left; /* [256]: 1 when a bin of `feature` goes left */
    uint8_t left_label, right_label;
    int count_side;           /* 1: count the left rows, 0: the right rows  */
} tree_route;

typedef struct tree_route_result {
    int64_t n_rows, n_left;   /* rows labelled slot, of which went left     */
    int64_t left_begin, left_end;   /* spans holding each side's rows      */
    int64_t right_begin, right_end; /* (empty: begin >= end)               */
} tree_route_result;

/* Relabels the node's rows in labels[begin..end) by the split and builds
 * the histogram of side count_side into hist (int64, cleared here; NULL:
 * route only), in parallel over fixed blocks with per-thread buffers
 * merged in thread order, as tree_hist_build.  `scratch` holds
 * n_threads * tree_hist_size() uint32. */
void tree_route_build(const tree_data *data, uint8_t *labels, const tree_route *route,
                      int n_threads, uint32_t *scratch, int64_t *hist,
                      tree_route_result *out);

/* Lists the rows of labels[begin..end) labelled `slot`, ascending, into
 * rows (room for all of them); returns their number.  On this thread. */
int64_t tree_label_rows(const tree_data *data, const uint8_t *labels, int64_t begin,
                        int64_t end, uint8_t slot, int32_t *rows);


/* ---- split.c ---- */

typedef struct tree_split {
    int found;
    int feature;
    double cost;             /* children cost (weighted impurity sum)      */
    int32_t split_bin;       /* numeric                                    */
    double threshold;        /* numeric                                    */
    uint64_t left_bins[4];   /* categorical                                */
    int missing_left;        /* 1/0 (decided even without missing rows)    */
    int64_t n_left, n_right; /* rows                                       */
} tree_split;

/* Best split of a node from its histogram; class_weight[K]; criterion,
 * min_leaf and the cat_* settings from params. */
void tree_find_split(const tree_data *data, const int64_t *hist,
                     const double *class_weight, const clm_tree_params *params,
                     tree_split *split);

/* ---- split_cat.c ---- */

/* Best split of categorical feature f (split.c gives it the node's
 * class-weighted histogram weighted[bin * K + k] and row counts[bin] over
 * n_bins bins, bin 0 missing); replaces *split when cheaper than
 * split->cost (strictly).  See the top of split_cat.c. */
void tree_find_split_categorical(const tree_data *data, int f, const double *weighted,
                                 const int64_t *counts, int n_bins,
                                 const clm_tree_params *params, tree_split *split);

/* 1 when a row with these bins goes left at `node`. */
static inline int tree_goes_left(const tree_node *node, const uint8_t *row)
{
    unsigned b = row[node->feature];
    if (b == 0)
        return node->missing_left;
    if (node->split_bin > 0)
        return (int)b <= node->split_bin;
    return (int)((node->left_bins[b >> 6] >> (b & 63)) & 1u);
}

/* ---- grow.c ---- */

/* Grows the tree on the training rows (tree->n_train of the whole
 * table).  With rows != NULL, rows[0..n_rows) are this rank's training row
 * indices (reordered in place); with rows == NULL the training rows are
 * those with tree->holdout[i] == 0 (all rows when holdout is NULL),
 * tracked by a uint8 label per row instead of an index array: possible
 * when tree_grow_uses_labels(). */
clm_status tree_grow(clm_tree *tree, int32_t *rows, int64_t n_rows);

/* 1 when the open nodes of a tree grown with these parameters fit in
 * uint8 row labels (bounded depth or leaf budget), else 0. */
int tree_grow_uses_labels(const clm_tree_params *params, const tree_schedule *schedule);

/* clm_tree_fit_matrix with a given schedule (NULL: the default); the
 * tests grow the same tree under several. */
clm_status tree_fit_matrix_scheduled(const clm_tree_params *params, const tree_schedule *schedule,
                                     const float *x, const int32_t *y, int64_t n_rows, int n_features,
                                     int n_classes, const char *const *feature_names, clm_tree **out);

/* Node storage. */
clm_status tree_add_node(clm_tree *tree, int *index);

/* ---- prune.c ---- */

/* Minimal cost-complexity pruning with alpha (> 0), then compaction. */
clm_status tree_prune(clm_tree *tree, double alpha);

/* ---- finalize / predict / metrics / importance ---- */

/* Builds the public arrays (values as shares, category bitsets). */
clm_status tree_finalize(clm_tree *tree);

/* Leaf reached by a binned row; override_feature >= 0 replaces that
 * feature's bin with override_bin. */
int tree_leaf_of(const clm_tree *tree, const uint8_t *row,
                 int override_feature, uint8_t override_bin);
/* The same from `node` down (a node on the row's path). */
int tree_leaf_from(const clm_tree *tree, int node, const uint8_t *row,
                   int override_feature, uint8_t override_bin);

clm_status tree_compute_metrics(clm_tree *tree, const int32_t *train,
                                int64_t n_train, const int32_t *test,
                                int64_t n_test);
clm_status tree_compute_importance(clm_tree *tree, const int32_t *test,
                                   int64_t n_test);

/* ---- fit.c ---- */

/* Trains on prepared data (owned by the tree from now on). */
clm_status tree_fit_data(const clm_tree_params *params, tree_data *data,
                         const char *target, double binning_seconds,
                         clm_tree **out);

double tree_now(void);
/* The old name of util_strdup, kept for fit_table.c (owned elsewhere);
 * new code calls util_strdup. */

#endif /* CLMSEG_TREE_INTERNAL_H */

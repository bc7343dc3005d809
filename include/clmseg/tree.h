/*
 * clmseg/tree.h — histogram CART decision trees (churn and lifecycle models).
 *
 * A tree is trained on pre-binned features: every feature is quantile-binned
 * once into uint8 codes (bin 0 is reserved for missing values), then each
 * node's class histogram is built over its rows in parallel, the smaller
 * child is built and its sibling obtained as parent minus child, and split
 * search scans the bins.  Histograms hold integer class counts, so the tree
 * is bit-identical for any thread count.  docs/tree.md gives the formulas.
 *
 * Usage: clm_tree_params_default(&p), clm_tree_columns_default(&c); set
 * c.target ...; clm_tree_fit_table()
 * (or clm_tree_fit_matrix() for an in-memory float matrix); read the model
 * with the getters; clm_tree_save() / clm_tree_write_rules() /
 * clm_tree_write_json(); clm_tree_free().
 *
 * Thread-safety: a clm_tree is used from one thread at a time; the fit and
 * predict calls run their own OpenMP regions (params.n_threads).  All HDF5
 * access happens on the calling thread.
 */
#ifndef CLMSEG_TREE_H
#define CLMSEG_TREE_H

#include <stdint.h>
#include <stdio.h>

#include "clmseg/kernels.h"
#include "clmseg/export.h"
#include "clmseg/status.h"
#include "clmseg/table.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest number of bins per feature, missing bin included (uint8 codes). */
#define CLM_TREE_MAX_BINS 256
/* Largest number of target classes. */
#define CLM_TREE_MAX_CLASSES 64

typedef enum clm_tree_criterion {
    CLM_TREE_GINI = 0,     /* 1 - sum p_k^2 (default)            */
    CLM_TREE_ENTROPY = 1   /* -sum p_k log2 p_k                   */
} clm_tree_criterion;

typedef struct clm_tree_params {
    clm_tree_criterion criterion;
    int max_depth;             /* default 8; 0 = unlimited                    */
    int64_t min_leaf;          /* rows per leaf at least (default 1)          */
    double min_gain;           /* weighted impurity decrease to split (0)     */
    int max_leaves;            /* 0 = unlimited (depth-first growth); > 0
                                  grows best-first until this many leaves   */
    int class_weight_balanced; /* weight class k by N / (K * N_k)             */
    double ccp_alpha;          /* minimal cost-complexity pruning (0 = off)   */
    double test_fraction;      /* stratified holdout share in [0, 1) (0.2)    */
    int n_bins;                /* bins per feature incl. missing, 2..256      */
    int permutation_repeats;   /* permutation-importance repeats (default 3)  */
    int64_t sample_rows;       /* rows sampled for bin edges (default 1<<18)  */
    /* Categorical splits (docs/tree.md, "Categorical features"; LightGBM's
     * min_data_per_group, cat_smooth, cat_l2, max_cat_threshold and
     * max_cat_to_onehot). */
    int64_t cat_min_count;     /* a category with fewer rows in a node is
                                  pooled with the missing and rare ones, and
                                  each side of a categorical split holds at
                                  least this many rows (default 100)        */
    double cat_smooth;         /* categories are ordered by their class-1
                                  rate shrunk toward the node's by this many
                                  pseudo-rows (default 10)                  */
    double cat_l2;             /* the children of a categorical split are
                                  scored with their class shares shrunk
                                  toward the node's by this many pseudo-rows
                                  (default 10; 0 = plain impurity)          */
    int cat_max_threshold;     /* categories on the smaller side of an
                                  ordered split at most (default 32)        */
    int cat_max_onehot;        /* nodes with at most this many categories
                                  split one against the rest (default 3)    */
    uint64_t seed;             /* holdout and permutation seed (default 42)   */
    int n_threads;             /* 0: all cores                                */
    clm_progress_fn progress;  /* may be NULL                                 */
    void *progress_ctx;
    const clm_kernels *kernels; /* NULL: clm_kernels_default() */
} clm_tree_params;

/* Fills the defaults listed above. */
CLM_API void clm_tree_params_default(clm_tree_params *params);

/* Checks the parameters alone; CLM_E_PARAM with a detail naming the wrong
 * one (max_depth < 0, min_leaf < 1, min_gain < 0, max_leaves == 1 or < 0,
 * ccp_alpha < 0, test_fraction outside [0, 1), n_bins outside [2, 256],
 * cat_min_count < 1, cat_smooth or cat_l2 negative or not finite,
 * cat_max_threshold < 1, cat_max_onehot < 0, n_threads < 0). */
CLM_API clm_status clm_tree_params_check(const clm_tree_params *params);

/* Which columns of a table the tree uses. */
typedef struct clm_tree_columns {
    const char *target;         /* target column (default "churned")          */
    const char *target_level;   /* categorical target: the positive label, or
                                   NULL (multi-class over all categories, or
                                   binary when the column has two levels)    */
    const char *const *features;/* feature columns, or NULL: every numeric or
                                   categorical column except the target and
                                   "subscriber_id"                           */
    int n_features;             /* length of `features` (0 when NULL)         */
} clm_tree_columns;

/* Fills the defaults above. */
CLM_API void clm_tree_columns_default(clm_tree_columns *columns);

typedef struct clm_tree clm_tree;

/* Trains a tree on the rows of `table` (read in blocks on this thread,
 * binned in parallel).  The target must be an integer column (values 0/1,
 * or small non-negative integers for multi-class) or a categorical column.
 * A categorical feature may have any number of categories: beyond 255 the
 * 254 most frequent (in the binning sample) keep a bin each and the rest
 * share one (see clm_tree_category_group).
 * Errors: CLM_E_PARAM, CLM_E_SCHEMA (missing column, unsupported type),
 * CLM_E_VALUE (missing or negative
 * target, naming the row), CLM_E_EMPTY (no rows, constant target: nothing
 * to learn), CLM_E_NOMEM.  On success *out owns the model and a copy of
 * the binned training matrix (used by clm_tree_predict_training). */
CLM_API clm_status clm_tree_fit_table(const clm_tree_params *params,
                              const clm_tree_columns *columns,
                              const clm_table *table, clm_tree **out);

/* Trains on an in-memory row-major float matrix x[n_rows][n_features]
 * (NaN = missing; all features numeric) with class labels y[i] in
 * [0, n_classes).  `feature_names` may be NULL ("f0", "f1", ...).  The
 * caller keeps ownership of x and y.  Same errors as clm_tree_fit_table. */
CLM_API clm_status clm_tree_fit_matrix(const clm_tree_params *params,
                               const float *x, const int32_t *y,
                               int64_t n_rows, int n_features, int n_classes,
                               const char *const *feature_names,
                               clm_tree **out);

/* Frees the model; NULL is fine. */
CLM_API void clm_tree_free(clm_tree *tree);

/* ---- the fitted model --------------------------------------------------- */

/* Node arrays, one entry per node in creation order (node 0 is the root).
 * Valid until clm_tree_free.  feature[i] is -1 for a leaf; a numeric split
 * sends x <= threshold[i] left; a categorical split sends the category
 * groups whose bit is set in category_left[i] left (bit g of 256 bits =
 * group g; training code c is in group clm_tree_category_group(tree, f, c),
 * which is c itself when the feature has at most 255 categories); missing
 * values, and categories pooled in the node at training time (absent or
 * rarer than cat_min_count), go left when missing_left[i] is 1.  value[i * n_classes + k] is the
 * (class-weighted) share of class k among the node's training rows. */
typedef struct clm_tree_nodes {
    int n_nodes;
    int n_classes;
    const int32_t *feature;
    const double *threshold;         /* NaN for leaves and categorical splits */
    const int32_t *left, *right;     /* -1 for leaves                         */
    const double *value;             /* [n_nodes][n_classes]                  */
    const int64_t *count;            /* training rows in the node             */
    const double *impurity;
    const int32_t *depth;
    const int8_t *missing_left;
    const uint64_t *category_left;   /* [n_nodes][4] bitsets                  */
} clm_tree_nodes;

CLM_API void clm_tree_get_nodes(const clm_tree *tree, clm_tree_nodes *nodes);

/* Number of leaves and depth of the fitted (pruned) tree. */
CLM_API int clm_tree_n_leaves(const clm_tree *tree);
CLM_API int clm_tree_depth(const clm_tree *tree);

/* Features used for training: names, whether categorical, and for a
 * categorical feature its training dictionary. */
CLM_API int clm_tree_n_features(const clm_tree *tree);
CLM_API const char *clm_tree_feature_name(const clm_tree *tree, int feature);
CLM_API int clm_tree_feature_is_categorical(const clm_tree *tree, int feature);

/* Group (bit of category_left) of training code `code` of categorical
 * feature `feature`: `code` itself for a dictionary of at most 255
 * categories; for a larger one the 254 most frequent codes have a group
 * each and the others share the last, 254.  -1 for a numeric feature or a
 * code outside the dictionary. */
CLM_API int clm_tree_category_group(const clm_tree *tree, int feature, int code);

/* Class labels ("0", "1", or category labels); class 1 is the positive one
 * of a binary target. */
CLM_API int clm_tree_n_classes(const clm_tree *tree);
CLM_API const char *clm_tree_class_label(const clm_tree *tree, int k);

/* Holdout metrics (NaN when there is no holdout; auc is NaN for
 * multi-class).  confusion[true * n_classes + predicted]. */
typedef struct clm_tree_metrics {
    int64_t n_train, n_test;
    double train_accuracy;
    double accuracy, auc, log_loss;
    const int64_t *confusion;
    double binning_seconds, growth_seconds;
} clm_tree_metrics;

CLM_API void clm_tree_get_metrics(const clm_tree *tree, clm_tree_metrics *metrics);

/* Importance per feature: impurity-based (normalised to sum 1, or all 0
 * for a single-leaf tree) and permutation importance (mean holdout
 * accuracy drop; all 0 without a holdout).  Arrays of n_features. */
CLM_API const double *clm_tree_impurity_importance(const clm_tree *tree);
CLM_API const double *clm_tree_permutation_importance(const clm_tree *tree);

/* 1 for rows of the training table in the holdout, 0 otherwise; NULL
 * after clm_tree_fit_matrix with test_fraction 0. Length n_rows. */
CLM_API const uint8_t *clm_tree_holdout_mask(const clm_tree *tree);
CLM_API int64_t clm_tree_n_rows(const clm_tree *tree);

/* Class probabilities of training rows [row0, row0 + n_rows):
 * out[i * n_classes + k].  Runs in parallel.  CLM_E_PARAM for a bad
 * range. */
CLM_API clm_status clm_tree_predict_training(const clm_tree *tree, int64_t row0,
                                     int64_t n_rows, float *out);

/* ---- outputs ------------------------------------------------------------ */

/* Writes the model into `group` (e.g. "/churn") of `writer`: node arrays,
 * feature names and dictionaries, parameters and metrics as attributes,
 * importance; not the per-row probabilities. */
CLM_API clm_status clm_tree_save(const clm_tree *tree, clm_writer *writer,
                         const char *group);

/* One line per leaf: "if a <= 3.5 and plan in {X, Y} then churned=1 62.0%
 * (0: 38.0%) n=1234".  Returns CLM_E_IO if writing fails. */
CLM_API clm_status clm_tree_write_rules(const clm_tree *tree, FILE *out);

/* The tree as nested JSON objects (see docs/tree.md). */
CLM_API clm_status clm_tree_write_json(const clm_tree *tree, FILE *out);

/* ---- reapplying a saved tree -------------------------------------------- */

/* 1 when `group` of the results file `path` holds a saved tree, else 0. */
CLM_API int clm_tree_saved_in(const char *path, const char *group);

/* Reads the tree saved by clm_tree_save in `group` ("/churn") of the
 * results file `path`: node arrays, feature names and kinds, categorical
 * dictionaries, class labels.  A loaded tree scores rows
 * (clm_tree_predict_table) and gives its nodes; it has no training rows,
 * so no metrics (NaN), importances or holdout, and its node count, depth
 * and impurity arrays are NULL.  `n_threads` as in the params.  Errors:
 * CLM_E_OPEN, CLM_E_FORMAT (no tree, malformed arrays), CLM_E_NOMEM. */
CLM_API clm_status clm_tree_load(const char *path, const char *group, int n_threads, clm_tree **out);

/* Class probabilities of rows in memory with a fitted or loaded tree:
 * rows[i * n_features + f] is feature f of row i in the tree's feature
 * order (clm_tree_feature_name): a numeric value (NaN = missing), or for a
 * categorical feature its training code as a float (negative or NaN =
 * missing); out[i * n_classes + k].  Errors: CLM_E_PARAM (no tree, wrong
 * n_features), CLM_E_VALUE (a categorical code outside its dictionary,
 * naming the row and feature). */
CLM_API clm_status clm_tree_predict(const clm_tree *tree, const float *rows, int64_t n_rows,
                                    int n_features, float *out);

/* Class probabilities of every row of an open table with a fitted or
 * loaded tree: out[i * n_classes + k], clm_table_n_rows(table) rows.
 * Columns are matched by name; categorical values by label (an unseen
 * label, or a missing value, follows the node's missing side).  Rows are
 * read in blocks on the calling thread and routed in parallel.  Errors:
 * CLM_E_SCHEMA (a feature column missing or of another kind), CLM_E_VALUE
 * (a categorical code outside its dictionary, naming the row),
 * CLM_E_NOMEM. */
CLM_API clm_status clm_tree_predict_table(const clm_tree *tree, const clm_table *table, float *out);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_TREE_H */

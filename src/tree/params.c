/*
 * params.c — defaults and validation of clm_tree_params (callable alone,
 * so the command line can reject a bad flag before reading any data).
 */
#include <string.h>
#include <math.h>

#include "tree/tree_internal.h"

void clm_tree_params_default(clm_tree_params *params)
{
    memset(params, 0, sizeof *params);
    params->criterion = CLM_TREE_GINI;
    params->max_depth = 8;
    params->min_leaf = 1;
    params->min_gain = 0.0;
    params->max_leaves = 0;
    params->class_weight_balanced = 0;
    params->ccp_alpha = 0.0;
    params->test_fraction = 0.2;
    params->n_bins = CLM_TREE_MAX_BINS;
    params->permutation_repeats = 3;
    params->sample_rows = (int64_t)1 << 18;
    params->cat_min_count = 100;
    params->cat_smooth = 10.0;
    params->cat_l2 = 10.0;
    params->cat_max_threshold = 32;
    params->cat_max_onehot = 3;
    params->seed = 42;
    params->n_threads = 0;
    params->progress = NULL;
    params->progress_ctx = NULL;
    params->kernels = NULL;
}

clm_status clm_tree_params_check(const clm_tree_params *params)
{
    if (!params)
        return clm_error(CLM_E_PARAM, "tree: no parameters");
    if (params->criterion != CLM_TREE_GINI && params->criterion != CLM_TREE_ENTROPY)
        return clm_error(CLM_E_PARAM, "tree: criterion must be gini or entropy");
    if (params->max_depth < 0 || params->max_depth > 64)
        return clm_error(CLM_E_PARAM, "tree: max-depth %d must be in [0, 64] (0 = unlimited)",
                         params->max_depth);
    if (params->min_leaf < 1)
        return clm_error(CLM_E_PARAM, "tree: min-leaf %lld must be at least 1",
                         (long long)params->min_leaf);
    if (!(params->min_gain >= 0.0) || isinf(params->min_gain))
        return clm_error(CLM_E_PARAM, "tree: min-gain %g must be a finite number >= 0",
                         params->min_gain);
    if (params->max_leaves < 0 || params->max_leaves == 1)
        return clm_error(CLM_E_PARAM, "tree: max-leaves %d must be 0 (unlimited) or at least 2",
                         params->max_leaves);
    if (!(params->ccp_alpha >= 0.0) || isinf(params->ccp_alpha))
        return clm_error(CLM_E_PARAM, "tree: ccp-alpha %g must be a finite number >= 0",
                         params->ccp_alpha);
    if (!(params->test_fraction >= 0.0 && params->test_fraction < 1.0))
        return clm_error(CLM_E_PARAM, "tree: test-fraction %g must be in [0, 1)",
                         params->test_fraction);
    if (params->n_bins < 2 || params->n_bins > CLM_TREE_MAX_BINS)
        return clm_error(CLM_E_PARAM, "tree: bins %d must be in [2, %d] (one bin is kept for missing values)",
                         params->n_bins, CLM_TREE_MAX_BINS);
    if (params->permutation_repeats < 0 || params->permutation_repeats > 100)
        return clm_error(CLM_E_PARAM, "tree: permutation repeats %d must be in [0, 100]",
                         params->permutation_repeats);
    if (params->sample_rows < 1)
        return clm_error(CLM_E_PARAM, "tree: sample rows %lld must be at least 1",
                         (long long)params->sample_rows);
    if (params->cat_min_count < 1)
        return clm_error(CLM_E_PARAM, "tree: cat-min-count %lld must be at least 1",
                         (long long)params->cat_min_count);
    if (!(params->cat_smooth >= 0.0) || isinf(params->cat_smooth))
        return clm_error(CLM_E_PARAM, "tree: cat-smooth %g must be a finite number >= 0",
                         params->cat_smooth);
    if (!(params->cat_l2 >= 0.0) || isinf(params->cat_l2))
        return clm_error(CLM_E_PARAM, "tree: cat-l2 %g must be a finite number >= 0",
                         params->cat_l2);
    if (params->cat_max_threshold < 1)
        return clm_error(CLM_E_PARAM, "tree: cat-max-threshold %d must be at least 1",
                         params->cat_max_threshold);
    if (params->cat_max_onehot < 0)
        return clm_error(CLM_E_PARAM, "tree: cat-max-onehot %d must be >= 0",
                         params->cat_max_onehot);
    if (params->n_threads < 0)
        return clm_error(CLM_E_PARAM, "tree: threads %d must be >= 0", params->n_threads);
    return CLM_OK;
}

void clm_tree_columns_default(clm_tree_columns *columns)
{
    memset(columns, 0, sizeof *columns);
    columns->target = "churned";
}

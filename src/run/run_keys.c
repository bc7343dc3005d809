/*
 * run_keys.c — every setting of the quarterly run, its default and its
 * meaning.  This table is the schema of the config file: an unknown key is
 * an error, and config.used lists them all with where each value came from.
 */
#include <stddef.h>

#include "run/run_ctx.h"

const cfg_key run_config_keys[] = {
    {"run.group", "/subscribers", "group of the subscriber table"},
    {"run.seed", "42", "seed of every random choice"},
    {"run.threads", "0", "worker threads (0: all cores)"},
    {"run.column_cache", "yes", "keep each input column in memory once read, so it is read from the file once (no: less memory, columns re-read by each step)"},

    {"run.previous", "", "last quarter's output folder (its results.h5): segments renumbered to continue its segments, changes.csv and the report's comparison (empty: none)"},

    {"columns.id", "subscriber_id", "subscriber id column (empty or absent: the row number)"},
    {"columns.branch", "branch", "branch column (categorical or integer); empty or absent: one branch"},
    {"columns.region", "region", "region column above the branches (categorical or integer; each branch in one region); empty or absent: no regions"},
    {"columns.time", "tenure_months", "survival time column (months)"},
    {"columns.time_unit", "months", "unit of the time column: months, weeks or days (converted to months of 30.4375 days)"},
    {"columns.event", "churned", "churn flag column (0/1, or categorical with event_level)"},
    {"columns.event_level", "", "category of a categorical event column that means churned (e.g. Yes)"},
    {"columns.arpu", "arpu", "monthly revenue column"},
    {"columns.arpu_prev", "arpu_prev", "last quarter's ARPU column (empty: none)"},
    {"columns.suspensions", "suspensions", "suspension count column (empty: none)"},
    {"columns.plan_downgrades", "plan_downgrades", "plan downgrade column (empty: none)"},
    {"columns.contacts_now", "contacts_now", "distinct contacts this quarter (empty: none)"},
    {"columns.contacts_prev", "contacts_prev", "distinct contacts last quarter (empty: none)"},
    {"columns.complaints", "complaints", "complaints column (empty: none)"},

    {"kmeans.k", "8", "segments (k-means clusters)"},
    {"kmeans.features", "", "comma-separated feature columns (empty: every numeric column but id, time, event)"},
    {"kmeans.n_init", "1", "k-means restarts; the lowest inertia is kept"},
    {"kmeans.max_iter", "100", "Lloyd iterations at most"},
    {"kmeans.tol", "1e-4", "stop when the centroid shift is at most tol x mean feature variance"},
    {"kmeans.missing", "impute", "missing feature values: fail, drop or impute"},

    {"segments.names", "", "segment names replacing the ones made from their features, by number after the renumbering: 0:Heavy data,3:Value seekers"},

    {"tiers.high_share", "0.20", "top ARPU share that is high value"},
    {"tiers.low_share", "0.30", "bottom ARPU share that is low value"},
    {"tiers.high_min", "", "fixed threshold: ARPU >= high_min is high (with low_max; overrides shares)"},
    {"tiers.low_max", "", "fixed threshold: ARPU < low_max is low"},

    {"stages.model", "rules", "rules (the thresholds below) or tree (a tree trained on stages.label_column)"},
    {"stages.label_column", "", "labelled stages for stages.model = tree: a column of the table, or /group/dataset"},
    {"stages.new_months", "4", "stage A: tenure below this many months"},
    {"stages.arpu_drop", "0.15", "stage D: ARPU below (1 - drop) x last quarter"},
    {"stages.suspensions_min", "1", "stage D: at least this many suspensions"},
    {"stages.downgrades_min", "1", "stage D: at least this many plan downgrades"},
    {"stages.contact_drop", "0.30", "stage D: distinct contacts below (1 - drop) x last quarter"},
    {"stages.complaints_min", "2", "stage D: at least this many complaints"},
    {"stages.arpu_gain", "0.05", "stage B: ARPU above (1 + gain) x last quarter"},

    {"tree.features", "", "comma-separated churn-tree features (empty: every column but id, event, time, branch, region)"},
    {"tree.max_depth", "6", "churn tree depth at most"},
    {"tree.min_leaf", "200", "subscribers per leaf at least"},
    {"tree.bins", "64", "histogram bins per feature (2..256)"},
    {"tree.test_fraction", "0.2", "stratified holdout share for the tree's metrics"},
    {"tree.ccp_alpha", "0", "minimal cost-complexity pruning"},
    {"tree.cat_min_count", "100", "categorical splits: a category with fewer subscribers in a node is pooled with the missing ones; each side holds this many at least"},
    {"tree.cat_smooth", "10", "categorical splits: categories ordered by churn rate shrunk toward the node's by this many pseudo-subscribers"},
    {"tree.cat_l2", "10", "categorical splits: children scored with shares shrunk by this many pseudo-subscribers (0: plain impurity)"},
    {"tree.cat_max_threshold", "32", "categorical splits: categories on the smaller side at most"},
    {"tree.cat_max_onehot", "3", "categorical splits: nodes with at most this many categories split one against the rest"},
    {"tree.permutation_repeats", "1", "repeats of the holdout permutation importance (0: skip)"},

    {"survival.horizon", "36", "LTV horizon in months"},
    {"survival.margin", "1", "share of ARPU that is margin"},
    {"survival.discount", "0.10", "annual discount rate of LTV"},
    {"survival.conf_level", "0.95", "confidence level of the survival bands"},

    {"cox.features", "auto", "covariates of the Cox model, comma-separated; auto: the early-warning signals, usage, value and plan columns the table has; none: no Cox model and no equity"},
    {"cox.strata", "segment+decline", "baseline hazard strata: segment+decline (each k-means segment split by the stage-D decline signals), segment, none, or a column"},
    {"cox.ties", "efron", "ties of the partial likelihood: efron or breslow"},
    {"cox.l2", "0", "ridge penalty on the standardised coefficients"},
    {"equity.horizon", "36", "months of remaining value projected per active subscriber, at least 12 (margin and discount: survival.*)"},

    {"columns.plan", "plan", "plan column (categorical) for scenario targets and the renewal lever (empty: none)"},
    {"columns.payment_delay", "payment_delay_days", "payment delay column: > 0 is a bad-debt signal, as a suspension is (empty: none)"},
    {"strategy.plan", "", "a plan file of scenarios and a budget (docs/strategy.md); empty: the [scenario ...] and [budget] sections of this config file, if any"},

    {"health.w_retention", "0.30", "weight of the retention sub-score"},
    {"health.w_value", "0.25", "weight of the value sub-score"},
    {"health.w_growth", "0.20", "weight of the growth sub-score"},
    {"health.w_risk", "0.25", "weight of the risk sub-score"},

    {"warning.per_branch", "10", "highest-risk active high/medium-value subscribers listed per branch"},

    {"report.lang", "en", "language of report.html: en (English) or zh (Simplified Chinese); names from the data pass through"},
    {"report.csv_bom", "no", "start every CSV output with a UTF-8 byte-order mark (yes: spreadsheets read UTF-8 names right)"},
    {NULL, NULL, NULL},
};

/*
 * run_settings.c — the run's settings: every configuration key resolved
 * and checked, the parameters of each estimator included, before the
 * input is opened, so a bad setting fails at once instead of after
 * k-means (docs/run.md lists the keys).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "report/strings_internal.h"
#include "run/run_ctx.h"

/* A feature list setting: NULL (the estimator's default) when empty. */
static char **optional_list(const char *text, int *count)
{
    char **list = util_split_list(text, count);
    if (list && *count == 0) {
        free(list);
        list = NULL;
    }
    return list;
}

static clm_status kmeans_settings(run_ctx *ctx)
{
    clm_kmeans_params *kp = &ctx->kmeans_params;
    clm_kmeans_params_default(kp);
    long long k, n_init, max_iter;
    clm_status s = cfg_int(ctx->config, "kmeans.k", 1, 1000, &k);
    if (!s) s = cfg_int(ctx->config, "kmeans.n_init", 1, 1000, &n_init);
    if (!s) s = cfg_int(ctx->config, "kmeans.max_iter", 1, 100000, &max_iter);
    if (!s) s = cfg_double(ctx->config, "kmeans.tol", 0, 1e6, &kp->tol);
    if (s)
        return s;
    const char *missing = cfg_string(ctx->config, "kmeans.missing");
    if (!strcmp(missing, "fail"))
        kp->missing = CLM_MISSING_FAIL;
    else if (!strcmp(missing, "drop"))
        kp->missing = CLM_MISSING_DROP;
    else if (!strcmp(missing, "impute"))
        kp->missing = CLM_MISSING_IMPUTE;
    else
        return clm_error(CLM_E_PARAM, "kmeans.missing: '%s' is not fail, drop or impute", missing);
    kp->k = (int32_t)k;
    kp->n_init = (int32_t)n_init;
    kp->max_iter = (int32_t)max_iter;
    kp->seed = ctx->seed;
    kp->n_threads = ctx->n_threads;
    int n_features;
    ctx->kmeans_features = optional_list(cfg_string(ctx->config, "kmeans.features"), &n_features);
    return clm_kmeans_params_check(kp);
}

static clm_status tree_settings(run_ctx *ctx)
{
    clm_tree_params *tp = &ctx->tree_params;
    clm_tree_params_default(tp);
    long long depth, min_leaf, bins, repeats, cat_min, cat_threshold, cat_onehot;
    clm_status s = cfg_int(ctx->config, "tree.max_depth", 1, 64, &depth);
    if (!s) s = cfg_int(ctx->config, "tree.permutation_repeats", 0, 100, &repeats);
    if (!s) s = cfg_int(ctx->config, "tree.min_leaf", 1, INT64_MAX, &min_leaf);
    if (!s) s = cfg_int(ctx->config, "tree.bins", 2, 256, &bins);
    if (!s) s = cfg_double(ctx->config, "tree.test_fraction", 0, 0.99, &tp->test_fraction);
    if (!s) s = cfg_double(ctx->config, "tree.ccp_alpha", 0, 1e9, &tp->ccp_alpha);
    if (!s) s = cfg_int(ctx->config, "tree.cat_min_count", 1, INT64_MAX, &cat_min);
    if (!s) s = cfg_double(ctx->config, "tree.cat_smooth", 0, 1e9, &tp->cat_smooth);
    if (!s) s = cfg_double(ctx->config, "tree.cat_l2", 0, 1e9, &tp->cat_l2);
    if (!s) s = cfg_int(ctx->config, "tree.cat_max_threshold", 1, 1 << 30, &cat_threshold);
    if (!s) s = cfg_int(ctx->config, "tree.cat_max_onehot", 0, 1 << 30, &cat_onehot);
    if (s)
        return s;
    tp->cat_min_count = cat_min;
    tp->cat_max_threshold = (int)cat_threshold;
    tp->cat_max_onehot = (int)cat_onehot;
    tp->max_depth = (int)depth;
    tp->min_leaf = min_leaf;
    tp->n_bins = (int)bins;
    tp->permutation_repeats = (int)repeats;
    tp->seed = ctx->seed;
    tp->n_threads = ctx->n_threads;
    ctx->tree_features = optional_list(cfg_string(ctx->config, "tree.features"), &ctx->n_tree_features);
    return clm_tree_params_check(tp);
}

static clm_status survival_settings(run_ctx *ctx)
{
    clm_survival_params *p = &ctx->survival_params;
    clm_survival_params_default(p);
    double margin, discount, level;
    clm_status s = cfg_double(ctx->config, "survival.margin", 0, 1e6, &margin);
    if (!s) s = cfg_double(ctx->config, "survival.discount", 0, 100, &discount);
    if (!s) s = cfg_double(ctx->config, "survival.conf_level", 1e-6, 1 - 1e-9, &level);
    if (s)
        return s;
    p->margin = margin;
    p->discount = discount;
    p->conf_level = level;
    p->horizon = (int32_t)ctx->horizon;
    p->n_threads = ctx->n_threads;
    return clm_survival_params_check(p);
}

static clm_status cox_settings(run_ctx *ctx)
{
    clm_cox_params_default(&ctx->cox_params);
    clm_equity_params_default(&ctx->equity_params);
    long long horizon;
    clm_status s = cfg_double(ctx->config, "cox.l2", 0, 1e12, &ctx->cox_params.l2);
    if (!s) s = clm_cox_ties_parse(cfg_string(ctx->config, "cox.ties"), &ctx->cox_params.ties);
    if (!s) s = cfg_int(ctx->config, "equity.horizon", 12, 1200, &horizon);
    if (s)
        return s;
    ctx->cox_params.n_threads = ctx->n_threads;
    ctx->equity_params.horizon = (int32_t)horizon;
    ctx->equity_params.margin = ctx->survival_params.margin;
    ctx->equity_params.discount = ctx->survival_params.discount;
    ctx->equity_params.n_threads = ctx->n_threads;
    const char *features = cfg_string(ctx->config, "cox.features");
    ctx->cox_enabled = strcmp(features, "none") != 0;
    if (ctx->cox_enabled && strcmp(features, "auto") != 0) {
        ctx->cox_features = optional_list(features, &ctx->n_cox_features);
        if (!ctx->cox_features)
            return clm_error(CLM_E_PARAM, "cox.features: no column listed (auto, none or a list)");
    }
    const char *strata = cfg_string(ctx->config, "cox.strata");
    ctx->cox_strata = strcmp(strata, "none") && strata[0] ? strata : NULL;
    return clm_cox_params_check(&ctx->cox_params);
}

const char *run_setting_or_null(const run_ctx *ctx, const char *key)
{
    const char *v = cfg_string(ctx->config, key);
    return v && v[0] ? v : NULL;
}

/* The plan: strategy.plan, else the config file's own [scenario ...] and
 * [budget] sections; none of either is no scenario step. */
static clm_status strategy_settings(run_ctx *ctx)
{
    const char *path = run_setting_or_null(ctx, "strategy.plan");
    const char *from = path ? path : ctx->options->config_path;
    ctx->col_plan = run_setting_or_null(ctx, "columns.plan");
    ctx->col_delay = run_setting_or_null(ctx, "columns.payment_delay");
    if (!from)
        return CLM_OK;
    clm_status s = clm_plan_read(from, &ctx->plan);
    if (s)
        return s;
    if (!clm_plan_n_scenarios(ctx->plan) && !clm_plan_has_budget(ctx->plan)) {
        clm_plan_free(ctx->plan);
        ctx->plan = NULL;
        if (path)
            return clm_error(CLM_E_PARAM, "strategy.plan: '%s' has no [scenario NAME] and no [budget]", path);
        return CLM_OK;
    }
    if (!ctx->cox_enabled)
        return clm_error(CLM_E_PARAM, "%s: scenarios project each subscriber's survival from the Cox model: "
                         "cox.features must not be none", from);
    return CLM_OK;
}

clm_status run_resolve_config(run_ctx *ctx)
{
    cfg_config *c = ctx->config;
    long long seed, threads, per_branch;
    clm_status s = cfg_int(c, "run.seed", 0, INT64_MAX, &seed);
    if (!s) s = cfg_int(c, "run.threads", 0, 4096, &threads);
    if (!s) s = cfg_int(c, "warning.per_branch", 0, 1000000, &per_branch);
    if (!s) s = cfg_double(c, "survival.horizon", 1, 1200, &ctx->horizon);
    if (s)
        return s;
    ctx->seed = (uint64_t)seed;
    ctx->n_threads = (int)threads;
    ctx->warning_per_branch = (int)per_branch;
    ctx->group = cfg_string(c, "run.group");
    ctx->col_id = run_setting_or_null(ctx, "columns.id");
    ctx->event_level = run_setting_or_null(ctx, "columns.event_level");
    ctx->event_code = -1;
    ctx->col_branch = run_setting_or_null(ctx, "columns.branch");
    ctx->col_region = run_setting_or_null(ctx, "columns.region");
    ctx->col_time = cfg_string(c, "columns.time");
    ctx->col_event = cfg_string(c, "columns.event");
    ctx->col_arpu = cfg_string(c, "columns.arpu");
    ctx->col_arpu_prev = run_setting_or_null(ctx, "columns.arpu_prev");
    ctx->col_susp = run_setting_or_null(ctx, "columns.suspensions");
    ctx->col_down = run_setting_or_null(ctx, "columns.plan_downgrades");
    ctx->col_cnow = run_setting_or_null(ctx, "columns.contacts_now");
    ctx->col_cprev = run_setting_or_null(ctx, "columns.contacts_prev");
    ctx->col_compl = run_setting_or_null(ctx, "columns.complaints");

    clm_tier_params_default(&ctx->tiers);
    s = cfg_double(c, "tiers.high_share", 0, 1, &ctx->tiers.high_share);
    if (!s) s = cfg_double(c, "tiers.low_share", 0, 1, &ctx->tiers.low_share);
    if (s)
        return s;
    if (run_setting_or_null(ctx, "tiers.high_min") || run_setting_or_null(ctx, "tiers.low_max")) {
        ctx->tiers.fixed = 1;
        s = cfg_double(c, "tiers.high_min", -1e300, 1e300, &ctx->tiers.high_min);
        if (!s) s = cfg_double(c, "tiers.low_max", -1e300, 1e300, &ctx->tiers.low_max);
        if (s)
            return s;
    }
    s = clm_tier_params_check(&ctx->tiers);
    if (s)
        return s;

    const char *model = cfg_string(c, "stages.model");
    if (!strcmp(model, "tree")) {
        ctx->stage_model_tree = 1;
        if (!run_setting_or_null(ctx, "stages.label_column"))
            return clm_error(CLM_E_PARAM, "stages.model = tree needs stages.label_column (the labelled stages)");
    } else if (strcmp(model, "rules") != 0) {
        return clm_error(CLM_E_PARAM, "stages.model: '%s' is not rules or tree", model);
    }
    ctx->stage_tree_accuracy = NAN;
    clm_stage_rules *r = &ctx->stages;
    s = cfg_double(c, "stages.new_months", 0, 1e6, &r->new_months);
    if (!s) s = cfg_double(c, "stages.arpu_drop", 0, 1, &r->arpu_drop);
    if (!s) s = cfg_double(c, "stages.suspensions_min", 0, 1e9, &r->suspensions_min);
    if (!s) s = cfg_double(c, "stages.downgrades_min", 0, 1e9, &r->downgrades_min);
    if (!s) s = cfg_double(c, "stages.contact_drop", 0, 1, &r->contact_drop);
    if (!s) s = cfg_double(c, "stages.complaints_min", 0, 1e9, &r->complaints_min);
    if (!s) s = cfg_double(c, "stages.arpu_gain", 0, 1e6, &r->arpu_gain);
    if (!s) s = clm_stage_rules_check(r);
    if (s)
        return s;

    static const char *const wkeys[CLM_N_SCORES] = {"health.w_retention", "health.w_value", "health.w_growth",
                                                    "health.w_risk"};
    for (int k = 0; k < CLM_N_SCORES && !s; k++)
        s = cfg_double(c, wkeys[k], 0, 1e6, &ctx->weights.weight[k]);
    if (!s) s = clm_health_weights_check(&ctx->weights);
    if (!s) s = cfg_bool(c, "run.column_cache", &ctx->column_cache);
    if (!s) s = cfg_bool(c, "report.csv_bom", &ctx->csv_bom);
    if (!s && (ctx->report_lang = report_lang_parse(cfg_string(c, "report.lang"))) < 0)
        s = clm_error(CLM_E_PARAM, "report.lang: '%s' is not en or zh", cfg_string(c, "report.lang"));
    if (!s) s = clm_survival_time_unit(cfg_string(c, "columns.time_unit"), &ctx->time_unit_days);
    if (!s) s = kmeans_settings(ctx);
    if (!s) s = tree_settings(ctx);
    if (!s) s = survival_settings(ctx);
    if (!s) s = cox_settings(ctx);
    if (!s) s = strategy_settings(ctx);
    if (!s) s = run_previous_settings(ctx);
    return s;
}


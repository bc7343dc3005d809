/*
 * strings_internal.h — every word report.html shows, in English and
 * Simplified Chinese, from one table (strings.c): headings, labels, axis
 * titles, sentences (printf formats whose %s take figures already
 * formatted by format_internal.h, in the same order in both languages),
 * and the names of stages, tiers, sub-scores and levers.  Names from the
 * data (branches, columns) are never translated: they pass through as the
 * UTF-8 they are.
 */
#ifndef CLMSEG_STRINGS_INTERNAL_H
#define CLMSEG_STRINGS_INTERNAL_H

enum { REPORT_LANG_EN = 0, REPORT_LANG_ZH, REPORT_N_LANGS };

/* "en" or "zh" -> REPORT_LANG_*; -1 for anything else. */
int report_lang_parse(const char *name);
/* "en" / "zh-Hans": the page's lang attribute. */
const char *report_lang_tag(int lang);

typedef enum report_text {
    RT_DOC_TITLE, RT_TITLE,
    /* headline figures */
    RT_K_SUBSCRIBERS, RT_K_CHURNED, RT_K_S12, RT_K_ARPU, RT_K_LTV, RT_K_SEGMENTS, RT_K_BRANCHES, RT_K_AUC,
    RT_K_CHURN_RATE, RT_K_ARPU_CHANGE, RT_K_REVENUE_RISK, RT_K_HEALTH, RT_K_RANK,
    RT_STAGES_BY_RULES, RT_STAGES_BY_TREE, RT_TRUTH_AGREE,
    /* main page sections */
    RT_H_SURVIVAL, RT_H_LTV, RT_LTV_NOTE, RT_H_PROFILES, RT_H_RANKING, RT_RANKING_NOTE, RT_RANKING_CAPPED,
    RT_H_MIX, RT_H_EQUITY, RT_EQUITY_NOTE, RT_EQUITY_TRUTH, RT_EQUITY_TOP, RT_AT_RISK_LABEL, RT_H_TREE,
    RT_TREE_NOTE, RT_H_RUN, RT_STEP, RT_SECONDS, RT_PEAK_MB, RT_SETTINGS, RT_H_PAGES, RT_PAGES_NOTE,
    /* table columns */
    RT_C_BRANCH, RT_C_SEGMENT, RT_C_GROUP, RT_C_ACTIVE, RT_C_EQUITY, RT_C_PER_SUBSCRIBER, RT_C_AT_RISK_12,
    RT_C_EXPECTED_MONTHS, RT_C_LEVER, RT_C_STAGE, RT_C_TIER, RT_C_SHARE, RT_C_REVENUE, RT_C_Q1, RT_C_MEDIAN,
    RT_C_Q3, RT_C_SCORE, RT_C_THIS, RT_C_MEDIAN_ALL, RT_C_DIFFERENCE, RT_C_ID, RT_C_PROBABILITY,
    RT_C_SIGNALS, RT_C_LEAVE_3, RT_C_LEAVE_12, RT_C_VALUE_AT_RISK,
    /* axes and legends */
    RT_AX_MONTHS, RT_AX_SURVIVAL, RT_AX_ARPU, RT_AX_LTV, RT_AX_EQUITY, RT_AX_SHARE, RT_AX_Z, RT_AT_RISK,
    RT_SEGMENT_N, RT_COMPANY, RT_MEAN_ARPU, RT_ARPU_X_S,
    /* branch and segment pages */
    RT_P_BACK, RT_P_BRANCH, RT_P_SEGMENT, RT_P_H_SURVIVAL, RT_P_H_VALUE, RT_P_VALUE_NOTE, RT_P_H_STAGES,
    RT_P_H_TIERS, RT_P_H_SCORES, RT_P_H_LEVER, RT_P_LEVER, RT_P_LEVER_FIGURES, RT_P_H_WARNING, RT_P_H_EQUITY,
    RT_P_NO_SCORES, RT_P_NO_EQUITY, RT_P_NO_WARNING, RT_P_NOT_FOUND,
    /* regions (run/report_regions.c) */
    RT_H_REGIONS, RT_REGIONS_NOTE, RT_REGIONS_CAPPED, RT_REGION_HEALTH, RT_REGION_SUBSCRIBERS, RT_REGION_CHURN,
    RT_REGION_LEVER, RT_REGION_BRANCHES, RT_C_REGION_BRANCH, RT_REGION_BRANCHES_CAPPED,
    /* quarter over quarter (run/report_previous.c) */
    RT_H_PREVIOUS, RT_PREV_AGAINST, RT_PREV_COUNTS, RT_PREV_UP, RT_PREV_DOWN, RT_PREV_NO_CHANGE,
    RT_PREV_SEGMENTS_NOTE, RT_PREV_NEW_SEGMENT, RT_PREV_NO_CONTINUATION, RT_C_RANK_PREV, RT_C_HEALTH_PREV,
    RT_C_CHURN_PREV, RT_C_CONTINUES, RT_C_SHARE_PREV, RT_C_ARPU_PREV, RT_C_SHIFT, RT_C_Z_CHANGES,
    /* strategy scenarios (run/step_scenarios.c, scenario_html.c) */
    RT_H_SCENARIOS, RT_SCEN_NOTE, RT_SCEN_BUDGET, RT_C_SCENARIO, RT_C_TARGETED, RT_C_ACCEPTING, RT_C_EXTRA_12,
    RT_C_ACTIVE_12_BASE, RT_C_ACTIVE_12, RT_C_EQUITY_CHANGE, RT_C_COST, RT_C_NET_GAIN, RT_C_ROI, RT_C_PAYBACK,
    RT_S_DOC_TITLE, RT_S_INTRO, RT_S_H_SCENARIOS, RT_S_SCENARIO, RT_S_H_ACTIVE, RT_S_H_REVENUE, RT_S_H_WATERFALL,
    RT_S_H_BY_BRANCH, RT_S_LEFT_OUT, RT_AX_FROM_NOW, RT_AX_ACTIVE, RT_AX_REVENUE, RT_AX_NET_GAIN, RT_S_BASELINE,
    RT_S_SCENARIO_CURVE, RT_S_INTERACTION, RT_S_H_BUDGET, RT_S_BUDGET, RT_C_POLICY, RT_C_SPEND, RT_C_CONTACTED,
    RT_C_SAVES, RT_C_GAINS_MORE, RT_S_ALLOCATION,
    RT_COUNT
} report_text;

/* The text of `id` in `lang`; never NULL. */
const char *report_text_of(int lang, report_text id);

/* Names of the model's categories in `lang`: stage k ("A acquisition",
 * "阶段 A 获取"), tier, sub-score and lever (CLM_* indices). */
const char *report_stage_name(int lang, int stage);
const char *report_tier_name(int lang, int tier);
const char *report_score_name(int lang, int score);
const char *report_lever_name(int lang, int lever);

/* A lever of a strategy plan by its kind's name ("retention", "upsell",
 * ... clm_lever_kind_names) in `lang`; any other name passes through. */
const char *report_plan_lever_name(int lang, const char *name);
/* A budget policy (CLM_POLICY_*) in `lang`. */
const char *report_policy_name(int lang, int policy);

#endif /* CLMSEG_STRINGS_INTERNAL_H */

/*
 * strings.c — the one table of the report's words (strings_internal.h).
 * Each row holds the English and the Simplified Chinese text; a sentence
 * takes its figures as %s in the same order in both.  tests/report checks
 * that every row is filled in both languages with the same %s count.
 */
#include <string.h>

#include "clmseg/health.h"
#include "clmseg/stages.h"
#include "clmseg/tiers.h"
#include "report/strings_internal.h"

static const char *const texts[RT_COUNT][REPORT_N_LANGS] = {
    [RT_DOC_TITLE] = {"clmseg quarterly report", "clmseg 季度报告"},
    [RT_TITLE] = {"Quarterly customer-lifecycle report", "季度客户生命周期报告"},
    [RT_K_SUBSCRIBERS] = {"subscribers", "用户数"},
    [RT_K_CHURNED] = {"churned", "已离网"},
    [RT_K_S12] = {"S(12): still active after 12 months", "S(12)：12 个月后仍在网"},
    [RT_K_ARPU] = {"mean ARPU", "平均 ARPU"},
    [RT_K_LTV] = {"LTV (horizon)", "LTV（测算期）"},
    [RT_K_SEGMENTS] = {"segments", "细分群"},
    [RT_K_BRANCHES] = {"branches", "分支"},
    [RT_K_AUC] = {"churn tree AUC", "流失树 AUC"},
    [RT_K_CHURN_RATE] = {"churn rate", "流失率"},
    [RT_K_ARPU_CHANGE] = {"ARPU change", "ARPU 变化"},
    [RT_K_REVENUE_RISK] = {"revenue at risk", "风险收入占比"},
    [RT_K_HEALTH] = {"health score", "健康分"},
    [RT_K_RANK] = {"rank", "排名"},
    [RT_STAGES_BY_RULES] = {"Lifecycle stages by rules", "生命周期阶段按规则划分"},
    [RT_STAGES_BY_TREE] = {"Lifecycle stages by a tree trained on labelled stages (holdout accuracy %s)",
                           "生命周期阶段由带标签阶段训练的决策树划分（留出集准确率 %s）"},
    [RT_TRUTH_AGREE] = {"; they agree with the generator's ground truth on %s of subscribers",
                        "；与生成器真值一致的用户占 %s"},
    [RT_H_SURVIVAL] = {"Survival by segment (Kaplan-Meier, 95% band)", "各细分群的留存（Kaplan-Meier，95% 置信带）"},
    [RT_H_LTV] = {"Lifetime value by segment", "各细分群的生命周期价值"},
    [RT_LTV_NOTE] = {"LTV over %s months: S(t) · mean ARPU · margin, discounted.",
                     "%s 个月内的 LTV：S(t) · 平均 ARPU · 毛利率，折现。"},
    [RT_H_PROFILES] = {"Segment profiles (standardised centroids)", "细分群画像（标准化质心）"},
    [RT_H_RANKING] = {"Branch ranking by health score", "分支健康分排名"},
    [RT_RANKING_NOTE] = {"Click a column header to sort, a branch for its page. Sub-scores are ranks among "
                         "branches (0 worst, 100 best); the lever names the weakest sub-score (docs/lifecycle.md).",
                         "点击列标题排序，点击分支名查看其页面。子分数为分支间的排名分（0 最差，100 最好）；"
                         "抓手对应最弱的子分数（docs/lifecycle.md）。"},
    [RT_RANKING_CAPPED] = {"%s branches: the %s healthiest and the %s least healthy are listed; every branch is in "
                           "branches.csv, in the same order, and has its page (see the index below).",
                           "共 %s 个分支：列出最健康的 %s 个和最不健康的 %s 个；所有分支按同一顺序见 branches.csv，"
                           "且各有页面（见下方索引）。"},
    [RT_H_MIX] = {"Stage mix of the best and worst branches", "最佳与最差分支的阶段构成"},
    [RT_H_EQUITY] = {"Customer equity: the remaining value of the active subscribers", "客户资产：在网用户的剩余价值"},
    [RT_EQUITY_NOTE] = {"Expected discounted value over the next %s months of each of the %s active subscribers, "
                        "from the Cox model (concordance %s; docs/cox.md): %s in all, %s of it held by subscribers "
                        "expected to leave within 12 months; %s expected to leave within 3 months and %s within 12.",
                        "未来 %s 个月内 %s 个在网用户各自的期望折现价值，按 Cox 模型（一致性指数 %s；docs/cox.md）测算："
                        "合计 %s，其中 %s 属于预计 12 个月内离网的用户；预计 3 个月内离网 %s 人，12 个月内 %s 人。"},
    [RT_EQUITY_TRUTH] = {"Against the generator's truth: still active after 12 months %s predicted, %s true (%s); "
                         "the largest gap of a value tier %s, of a branch with 2,000 active subscribers or more %s.",
                         "与生成器真值对比：12 个月后仍在网预测 %s，真值 %s（%s）；价值层级的最大偏差 %s，"
                         "在网用户不少于 2,000 的分支的最大偏差 %s。"},
    [RT_EQUITY_TOP] = {"The %s branches with the most customer equity (all in equity.csv and branches.csv):",
                       "客户资产最多的 %s 个分支（全部见 equity.csv 与 branches.csv）："},
    [RT_AT_RISK_LABEL] = {"%s at risk", "风险 %s"},
    [RT_H_TREE] = {"Churn tree: the riskiest leaves", "流失树：风险最高的叶节点"},
    [RT_TREE_NOTE] = {"Holdout accuracy %s, AUC %s, %s leaves. All rules: tree_rules.txt.",
                      "留出集准确率 %s，AUC %s，%s 个叶节点。全部规则见 tree_rules.txt。"},
    [RT_H_RUN] = {"Run", "运行"},
    [RT_STEP] = {"step", "步骤"},
    [RT_SECONDS] = {"seconds", "秒"},
    [RT_PEAK_MB] = {"peak memory (MB)", "内存峰值（MB）"},
    [RT_SETTINGS] = {"Settings (config.used):", "设置（config.used）："},
    [RT_H_PAGES] = {"Branch and segment pages", "分支与细分群页面"},
    [RT_PAGES_NOTE] = {"Every branch and segment has its own page:", "每个分支和细分群都有自己的页面："},
    [RT_C_BRANCH] = {"branch", "分支"},
    [RT_C_SEGMENT] = {"segment", "细分群"},
    [RT_C_GROUP] = {"group", "分组"},
    [RT_C_ACTIVE] = {"active subscribers", "在网用户"},
    [RT_C_EQUITY] = {"customer equity", "客户资产"},
    [RT_C_PER_SUBSCRIBER] = {"per subscriber", "每用户"},
    [RT_C_AT_RISK_12] = {"share at risk within 12 months", "12 个月内风险占比"},
    [RT_C_EXPECTED_MONTHS] = {"mean expected months", "平均预期在网月数"},
    [RT_C_LEVER] = {"lever", "抓手"},
    [RT_C_STAGE] = {"stage", "阶段"},
    [RT_C_TIER] = {"value tier", "价值层级"},
    [RT_C_SHARE] = {"share", "占比"},
    [RT_C_REVENUE] = {"monthly revenue", "月收入"},
    [RT_C_Q1] = {"tenure Q1 (months)", "在网时长 Q1（月）"},
    [RT_C_MEDIAN] = {"tenure median (months)", "在网时长中位数（月）"},
    [RT_C_Q3] = {"tenure Q3 (months)", "在网时长 Q3（月）"},
    [RT_C_SCORE] = {"sub-score", "子分数"},
    [RT_C_THIS] = {"this branch", "本分支"},
    [RT_C_MEDIAN_ALL] = {"company median", "全公司中位数"},
    [RT_C_DIFFERENCE] = {"difference", "差值"},
    [RT_C_ID] = {"subscriber id", "用户 ID"},
    [RT_C_PROBABILITY] = {"churn probability", "流失概率"},
    [RT_C_SIGNALS] = {"signals (as in warning.csv)", "信号（同 warning.csv）"},
    [RT_C_LEAVE_3] = {"expected leavers within 3 months", "3 个月内预计离网"},
    [RT_C_LEAVE_12] = {"expected leavers within 12 months", "12 个月内预计离网"},
    [RT_C_VALUE_AT_RISK] = {"value at risk within 12 months", "12 个月内风险价值"},
    [RT_AX_MONTHS] = {"tenure (months)", "在网时长（月）"},
    [RT_AX_SURVIVAL] = {"survival (%)", "留存率（%）"},
    [RT_AX_ARPU] = {"ARPU per month (currency units)", "每月 ARPU（货币单位）"},
    [RT_AX_LTV] = {"LTV (currency units)", "LTV（货币单位）"},
    [RT_AX_EQUITY] = {"customer equity (currency units)", "客户资产（货币单位）"},
    [RT_AX_SHARE] = {"share of subscribers (%)", "用户占比（%）"},
    [RT_AX_Z] = {"standardised centroid (standard deviations from the mean)", "标准化质心（相对均值的标准差数）"},
    [RT_AT_RISK] = {"at risk", "风险集人数"},
    [RT_SEGMENT_N] = {"segment %s", "细分群 %s"},
    [RT_COMPANY] = {"company", "全公司"},
    [RT_MEAN_ARPU] = {"mean ARPU", "平均 ARPU"},
    [RT_ARPU_X_S] = {"ARPU × survival", "ARPU × 留存率"},
    [RT_P_BACK] = {"← back to the report", "← 返回报告"},
    [RT_P_BRANCH] = {"Branch", "分支"},
    [RT_P_SEGMENT] = {"Segment", "细分群"},
    [RT_P_H_SURVIVAL] = {"Survival against the company (Kaplan-Meier, 95% band)",
                         "与全公司对比的留存（Kaplan-Meier，95% 置信带）"},
    [RT_P_H_VALUE] = {"Lifecycle value curve", "生命周期价值曲线"},
    [RT_P_VALUE_NOTE] = {"Mean ARPU by tenure month and ARPU × survival, against the company's; shaded: the tenure "
                         "span (first to third quartile) of each stage.",
                         "按在网月份的平均 ARPU 及 ARPU × 留存率，与全公司对比；阴影为各阶段在网时长的四分位区间"
                         "（第一至第三四分位）。"},
    [RT_P_H_STAGES] = {"Value and subscribers by stage", "各阶段的价值与用户"},
    [RT_P_H_TIERS] = {"Value and subscribers by value tier", "各价值层级的价值与用户"},
    [RT_P_H_SCORES] = {"Sub-scores against the company median", "子分数与全公司中位数对比"},
    [RT_P_H_LEVER] = {"Lever", "抓手"},
    [RT_P_LEVER] = {"%s: the weakest sub-score is %s (%s; company median %s).",
                    "%s：最弱的子分数为%s（%s；全公司中位数 %s）。"},
    [RT_P_LEVER_FIGURES] = {"The figures behind the sub-scores: S(12) %s, churn rate %s (retention); ARPU %s, LTV %s "
                            "(value); share in stages A and B %s, ARPU change %s (growth); share in stage D %s, "
                            "revenue at risk %s (risk); stage D subscribers with suspensions %s (bad debt when at "
                            "least 50%%).",
                            "子分数依据：S(12) %s，流失率 %s（留存）；ARPU %s，LTV %s（价值）；阶段 A 与 B 占比 %s，"
                            "ARPU 变化 %s（增长）；阶段 D 占比 %s，风险收入占比 %s（风险）；阶段 D 中有停机记录的用户 "
                            "%s（不低于 50%% 视为坏账）。"},
    [RT_P_H_WARNING] = {"Top early-warning subscribers", "重点预警用户"},
    [RT_P_H_EQUITY] = {"Customer equity", "客户资产"},
    [RT_P_NO_SCORES] = {"Sub-scores and levers rank the branches against each other; a segment's page shows its "
                        "figures beside the company's.",
                        "子分数与抓手是分支之间的排名；细分群页面展示其指标与全公司的对比。"},
    [RT_P_NO_EQUITY] = {"No Cox model in this run (cox.features = none).", "本次运行未拟合 Cox 模型（cox.features = none）。"},
    [RT_P_NO_WARNING] = {"No early-warning subscriber.", "无预警用户。"},
    [RT_P_NOT_FOUND] = {"No such page.", "页面不存在。"},
    [RT_H_REGIONS] = {"Regions ranked by health score", "区域健康分排名"},
    [RT_REGIONS_NOTE] = {"%s regions over %s branches (column %s). A region's figures come from its own subscribers "
                         "the way a branch's do, and its sub-scores rank it among the regions (0 worst, 100 best; "
                         "docs/run.md). Open a region: its first row (bold) is the region with its rank among the "
                         "regions, then its branches, each with its rank among all branches (regions.csv, "
                         "branches.csv).",
                         "共 %s 个区域、%s 个分支（列 %s）。区域的指标与分支一样由其自身用户计算，子分数为区域之间的排名分"
                         "（0 最差，100 最好；docs/run.md）。展开一个区域：首行（粗体）为该区域及其在区域间的排名，"
                         "其后为其各分支及其在全部分支中的排名（regions.csv、branches.csv）。"},
    [RT_REGIONS_CAPPED] = {"The %s healthiest regions are listed; all %s are in regions.csv.",
                           "列出最健康的 %s 个区域；全部 %s 个见 regions.csv。"},
    [RT_REGION_HEALTH] = {"health score %s", "健康分 %s"},
    [RT_REGION_SUBSCRIBERS] = {"%s subscribers", "用户 %s"},
    [RT_REGION_CHURN] = {"churn rate %s", "流失率 %s"},
    [RT_REGION_LEVER] = {"lever: %s", "抓手：%s"},
    [RT_REGION_BRANCHES] = {"branches: %s", "分支 %s 个"},
    [RT_C_REGION_BRANCH] = {"region / branch", "区域 / 分支"},
    [RT_REGION_BRANCHES_CAPPED] = {"The %s healthiest of its %s branches; all are in branches.csv.",
                                   "列出最健康的 %s 个（共 %s 个分支）；全部见 branches.csv。"},
    [RT_H_PREVIOUS] = {"Quarter over quarter", "季度环比"},
    [RT_PREV_AGAINST] = {"Against last quarter's run %s.", "对比上季度的运行结果 %s。"},
    [RT_PREV_COUNTS] = {"%s branches in both quarters, %s new this quarter, %s gone since last quarter; every branch, "
                        "with its figures of both quarters, is in changes.csv.",
                        "两个季度都有的分支 %s 个，本季度新增 %s 个，上季度后消失 %s 个；所有分支及其两个季度的指标见 "
                        "changes.csv。"},
    [RT_PREV_UP] = {"Moved most up:", "排名上升最多："},
    [RT_PREV_DOWN] = {"Moved most down:", "排名下降最多："},
    [RT_PREV_NO_CHANGE] = {"No branch changed rank.", "没有分支的排名发生变化。"},
    [RT_PREV_SEGMENTS_NOTE] = {"Each segment against the one of last quarter it continues (matched by the least total "
                               "squared distance between centroids; docs/kmeans.md). The centroid shift is in this "
                               "quarter's standard deviations; the z-score change is of the segment's centroid against "
                               "the whole base.",
                               "每个细分群与其延续的上季度细分群对比（按质心间总平方距离最小匹配；docs/kmeans.md）。"
                               "质心位移以本季度的标准差计；z 分数变化指细分群质心相对全体用户的变化。"},
    [RT_PREV_NEW_SEGMENT] = {"new this quarter", "本季度新增"},
    [RT_PREV_NO_CONTINUATION] = {"Last quarter's segment %s (%s, %s of subscribers) has no continuation this quarter.",
                                 "上季度的细分群 %s（%s，占用户 %s）在本季度没有延续。"},
    [RT_C_RANK_PREV] = {"rank last quarter", "上季度排名"},
    [RT_C_HEALTH_PREV] = {"health score last quarter", "上季度健康分"},
    [RT_C_CHURN_PREV] = {"churn rate last quarter", "上季度流失率"},
    [RT_C_CONTINUES] = {"continues", "延续自"},
    [RT_C_SHARE_PREV] = {"share last quarter", "上季度占比"},
    [RT_C_ARPU_PREV] = {"mean ARPU last quarter", "上季度平均 ARPU"},
    [RT_C_SHIFT] = {"centroid shift (standard deviations)", "质心位移（标准差数）"},
    [RT_C_Z_CHANGES] = {"largest z-score changes", "z 分数变化最大的特征"},
    [RT_H_SCENARIOS] = {"Strategy scenarios", "策略情景"},
    [RT_SCEN_NOTE] = {"The plan's scenarios over the active base, projected from the Cox model for %s months; the "
                      "curves, waterfalls and branch tables are in",
                      "计划中的各情景基于 Cox 模型对在网用户测算 %s 个月；曲线、瀑布图和分支表见"},
    [RT_SCEN_BUDGET] = {"Retention budget %s: the optimised split gains %s, %s more than spreading it in proportion to "
                        "subscribers and %s more than spending it on the high tier only (allocation.csv).",
                        "保留预算 %s：优化分配的净收益为 %s，比按用户数比例分配多 %s，比只投向高价值层级多 %s"
                        "（allocation.csv）。"},
    [RT_C_SCENARIO] = {"scenario", "情景"},
    [RT_C_TARGETED] = {"targeted", "触达用户"},
    [RT_C_ACCEPTING] = {"accepting", "预计接受"},
    [RT_C_EXTRA_12] = {"extra active after 12 months", "12 个月后在网增量"},
    [RT_C_ACTIVE_12_BASE] = {"active after 12 months, baseline", "12 个月后在网（基线）"},
    [RT_C_ACTIVE_12] = {"active after 12 months", "12 个月后在网"},
    [RT_C_EQUITY_CHANGE] = {"equity change", "客户资产变化"},
    [RT_C_COST] = {"cost", "成本"},
    [RT_C_NET_GAIN] = {"net gain", "净收益"},
    [RT_C_ROI] = {"ROI", "投资回报率"},
    [RT_C_PAYBACK] = {"payback month", "回本月份"},
    [RT_S_DOC_TITLE] = {"clmseg scenarios", "clmseg 策略情景"},
    [RT_S_INTRO] = {"Each active subscriber projected month by month over %s months from the Cox model's conditional "
                    "survival, ARPU and margin %s, discounted at %s a year; the baseline, then each scenario of the "
                    "plan (docs/strategy.md).",
                    "每个在网用户逐月测算 %s 个月：依据 Cox 模型的条件留存、ARPU 与毛利率 %s，按年折现率 %s 折现；"
                    "先是基线，再是计划中的各情景（docs/strategy.md）。"},
    [RT_S_H_SCENARIOS] = {"Scenarios", "各情景"},
    [RT_S_SCENARIO] = {"Scenario %s", "情景 %s"},
    [RT_S_H_ACTIVE] = {"Active subscribers", "在网用户"},
    [RT_S_H_REVENUE] = {"Monthly revenue", "月收入"},
    [RT_S_H_WATERFALL] = {"Net gain by lever", "各抓手的净收益"},
    [RT_S_H_BY_BRANCH] = {"By branch", "各分支"},
    [RT_S_LEFT_OUT] = {"Branches the scenario does not reach are left out; every branch is in scenarios.csv.",
                       "未覆盖的分支不列出；所有分支见 scenarios.csv。"},
    [RT_AX_FROM_NOW] = {"time from now (months)", "距今时间（月）"},
    [RT_AX_ACTIVE] = {"expected active subscribers (subscribers)", "预期在网用户（人）"},
    [RT_AX_REVENUE] = {"revenue per month (currency units)", "每月收入（货币单位）"},
    [RT_AX_NET_GAIN] = {"net gain: equity change − cost (currency units)", "净收益：客户资产变化 − 成本（货币单位）"},
    [RT_S_BASELINE] = {"baseline", "基线"},
    [RT_S_SCENARIO_CURVE] = {"scenario", "情景"},
    [RT_S_INTERACTION] = {"interaction", "交互作用"},
    [RT_S_H_BUDGET] = {"Retention budget", "保留预算"},
    [RT_S_BUDGET] = {"Budget %s: the optimised split spends %s on %s contacts for %s expected saves and a net gain of",
                     "预算 %s：优化分配支出 %s，触达 %s 人，预计挽留 %s 人，净收益"},
    [RT_C_POLICY] = {"policy", "分配方案"},
    [RT_C_SPEND] = {"spend", "支出"},
    [RT_C_CONTACTED] = {"contacted", "触达"},
    [RT_C_SAVES] = {"expected saves", "预计挽留"},
    [RT_C_GAINS_MORE] = {"optimised gains more by", "优化分配多得"},
    [RT_S_ALLOCATION] = {"Every cell's spend, contacts and saves are in allocation.csv.",
                         "每个单元的支出、触达与挽留见 allocation.csv。"},
};

static const char *const stages[CLM_N_STAGES][REPORT_N_LANGS] = {
    {"A acquisition", "阶段 A 获取"}, {"B build-up", "阶段 B 提升"}, {"C climax", "阶段 C 成熟"},
    {"D decline", "阶段 D 衰退"},     {"E exit", "阶段 E 离网"},
};
static const char *const tiers[CLM_N_TIERS][REPORT_N_LANGS] = {
    {"high", "高价值"}, {"medium", "中价值"}, {"low", "低价值"}};
static const char *const scores[CLM_N_SCORES][REPORT_N_LANGS] = {
    {"retention", "留存"}, {"value", "价值"}, {"growth", "增长"}, {"risk", "风险"}};
static const char *const levers[CLM_N_LEVERS][REPORT_N_LANGS] = {
    {"acquisition", "获客"},         {"retention", "客户保留"}, {"up-sell/cross-sell", "追加销售/交叉销售"},
    {"win-back", "客户赢回"},        {"bad-debt control", "坏账控制"}};

/* The kinds of a plan's levers (clm_lever_kind_names order) and the
 * budget's policies (clm_budget_policy_names order). */
static const char *const plan_levers[][REPORT_N_LANGS] = {
    {"retention", "客户保留"}, {"upsell", "追加销售"},  {"renewal", "续约"},
    {"bad_debt", "坏账回收"},  {"acquisition", "获客"}, {"winback", "客户赢回"}};
static const char *const policies[][REPORT_N_LANGS] = {
    {"optimised", "优化分配"}, {"proportional", "按用户数比例"}, {"high_tier", "仅高价值层级"}};

int report_lang_parse(const char *name)
{
    if (name && !strcmp(name, "en"))
        return REPORT_LANG_EN;
    if (name && !strcmp(name, "zh"))
        return REPORT_LANG_ZH;
    return -1;
}

const char *report_lang_tag(int lang)
{
    return lang == REPORT_LANG_ZH ? "zh-Hans" : "en";
}

static int valid(int lang)
{
    return lang >= 0 && lang < REPORT_N_LANGS ? lang : REPORT_LANG_EN;
}

const char *report_text_of(int lang, report_text id)
{
    const char *t = id >= 0 && id < RT_COUNT ? texts[id][valid(lang)] : NULL;
    return t ? t : "";
}

const char *report_stage_name(int lang, int k)
{
    return k >= 0 && k < CLM_N_STAGES ? stages[k][valid(lang)] : "";
}

const char *report_tier_name(int lang, int k)
{
    return k >= 0 && k < CLM_N_TIERS ? tiers[k][valid(lang)] : "";
}

const char *report_score_name(int lang, int k)
{
    return k >= 0 && k < CLM_N_SCORES ? scores[k][valid(lang)] : "";
}

const char *report_lever_name(int lang, int k)
{
    return k >= 0 && k < CLM_N_LEVERS ? levers[k][valid(lang)] : "";
}

const char *report_plan_lever_name(int lang, const char *name)
{
    for (size_t k = 0; name && k < sizeof plan_levers / sizeof plan_levers[0]; k++)
        if (!strcmp(name, plan_levers[k][0]))
            return plan_levers[k][valid(lang)];
    return name ? name : "";
}

const char *report_policy_name(int lang, int k)
{
    return k >= 0 && k < (int)(sizeof policies / sizeof policies[0]) ? policies[k][valid(lang)] : "";
}

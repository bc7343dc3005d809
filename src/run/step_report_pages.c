/*
 * step_report_pages.c — the data of report.html's branch and segment
 * pages (report/pages_internal.h draws them): for each branch and segment
 * its headline figures, its Kaplan-Meier curve and band and its mean ARPU
 * on the company's month grid, its stage bands, its stages and tiers, its
 * sub-scores against the company median and the lever (branches), its top
 * early-warning subscribers and its customer equity.
 *
 * Figures that branches.csv also holds are formatted from the CSV's value
 * (fmt_as_csv), so the page shows the CSV figure rounded once more.  One
 * JSON object, written once; nothing per branch is repeated that could be
 * written once (labels, headers, the company's curve).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_internal.h"
#include "report/format_internal.h"
#include "report/pages_internal.h"
#include "report/strings_internal.h"
#include "run/run_ctx.h"

/* Early-warning subscribers a segment page lists at most. */
#define PAGE_SEGMENT_WARNINGS 10

typedef struct page_ctx {
    FILE *f;
    const run_ctx *ctx;
    int lang;
    int n_months;                 /* the company's months: 0..n_months-1  */
    int64_t *curve_start;         /* first curve row of each group, + end */
    double *company_arpu;         /* mean ARPU by month, NaN: none        */
    double median[CLM_N_SCORES];  /* of each sub-score over the branches  */
} page_ctx;

static const char *tx(const page_ctx *p, report_text id)
{
    return report_text_of(p->lang, id);
}

static void put_str(const page_ctx *p, const char *s)
{
    json_put_string(p->f, s);
}

/* ["a","b",...] of texts. */
static void put_texts(const page_ctx *p, const char *const *texts, int n)
{
    fputc('[', p->f);
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', p->f);
        put_str(p, texts[i]);
    }
    fputc(']', p->f);
}

static void put_labels(const page_ctx *p, const report_text *ids, int n)
{
    fputc('[', p->f);
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', p->f);
        put_str(p, tx(p, ids[i]));
    }
    fputc(']', p->f);
}

/* S on the month grid, as S x 10,000 rounded (null without a curve); or,
 * with `band`, a band's distance from S in the same units, |band - S|
 * (short numbers: the file stays small).  Step functions: the value of
 * the last time <= m, 1 before the first time, carried flat past the
 * last; one pass over the curve's times, as the months increase. */
static void put_grid(const page_ctx *p, const clm_survival_curve *c, const double *band)
{
    fputc('[', p->f);
    double s = 1.0, b = 1.0;
    int64_t j = 0;
    for (int m = 0; m < p->n_months; m++) {
        if (m) fputc(',', p->f);
        for (; c && j < c->n_times && c->time[j] <= (double)m; j++) {
            s = c->survival[j];
            b = band ? band[j] : s;
        }
        double v = band ? fabs(rint(1e4 * b) - rint(1e4 * s)) : rint(1e4 * s);
        if (c && isfinite(v))
            fprintf(p->f, "%.0f", v);
        else
            fputs("null", p->f);
    }
    fputc(']', p->f);
}

/* Mean ARPU of group g by month on the grid (2 decimals; null: no
 * subscriber at that month), into `out` when not NULL; returns the max. */
static double put_arpu(const page_ctx *p, int g, double *out)
{
    const run_lifecycle *life = &p->ctx->life;
    double max = 0;
    int64_t r = p->curve_start[g], end = p->curve_start[g + 1];
    fputc('[', p->f);
    for (int m = 0; m < p->n_months; m++) {
        while (r < end && life->month[r] < m)
            r++;
        double v = r < end && life->month[r] == m ? life->mean_arpu[r] : NAN;
        if (out)
            out[m] = v;
        if (m) fputc(',', p->f);
        if (isfinite(v)) {
            fprintf(p->f, "%.2f", v);
            max = v > max ? v : max;
        } else
            fputs("null", p->f);
    }
    fputc(']', p->f);
    return max;
}

/* The value axis: its nice maximum and five tick labels. */
static void put_value_axis(const page_ctx *p, double max)
{
    char t[FMT_CAP];
    double top = fmt_axis_max(max);
    fprintf(p->f, "[%.17g", top);
    for (int i = 0; i <= 4; i++) {
        fputc(',', p->f);
        put_str(p, fmt_money(t, sizeof t, top * i / 4));
    }
    fputc(']', p->f);
}

/* Stage rows of group g: [subscribers, share, mean ARPU, monthly revenue,
 * tenure Q1, median, Q3], and the bands [Q1, Q3] of the value chart. */
static void put_stages(const page_ctx *p, int g)
{
    const run_stage_row *rows = &p->ctx->life.stages[(size_t)g * CLM_N_STAGES];
    int64_t total = 0;
    for (int k = 0; k < CLM_N_STAGES; k++)
        total += rows[k].subscribers;
    char v[7][FMT_CAP];
    fputs(",\"st\":[", p->f);
    for (int k = 0; k < CLM_N_STAGES; k++) {
        const run_stage_row *r = &rows[k];
        fmt_count(v[0], FMT_CAP, r->subscribers);
        fmt_percent(v[1], FMT_CAP, fmt_as_csv(total > 0 ? (double)r->subscribers / (double)total : NAN, 6), 2);
        fmt_money(v[2], FMT_CAP, fmt_as_csv(r->mean_arpu, 4));
        fmt_money(v[3], FMT_CAP, r->arpu_sum);
        fmt_fixed(v[4], FMT_CAP, fmt_as_csv(r->tenure_q1, 4), 1);
        fmt_fixed(v[5], FMT_CAP, fmt_as_csv(r->tenure_median, 4), 1);
        fmt_fixed(v[6], FMT_CAP, fmt_as_csv(r->tenure_q3, 4), 1);
        const char *pv[7] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
        if (k) fputc(',', p->f);
        put_texts(p, pv, 7);
    }
    fputs("],\"sb\":[", p->f);
    for (int k = 0; k < CLM_N_STAGES; k++) {
        if (k) fputc(',', p->f);
        if (rows[k].subscribers > 0)
            fprintf(p->f, "[%.1f,%.1f]", rows[k].tenure_q1, rows[k].tenure_q3);
        else
            fputs("null", p->f);
    }
    fputc(']', p->f);
    const run_tier_row *tiers = &p->ctx->life.tiers[(size_t)g * CLM_N_TIERS];
    fputs(",\"ti\":[", p->f);
    for (int k = 0; k < CLM_N_TIERS; k++) {
        const run_tier_row *r = &tiers[k];
        fmt_count(v[0], FMT_CAP, r->subscribers);
        fmt_percent(v[1], FMT_CAP, fmt_as_csv(total > 0 ? (double)r->subscribers / (double)total : NAN, 6), 2);
        fmt_money(v[2], FMT_CAP, r->priced > 0 ? r->arpu_sum / (double)r->priced : NAN);
        fmt_money(v[3], FMT_CAP, r->arpu_sum);
        const char *pv[4] = {v[0], v[1], v[2], v[3]};
        if (k) fputc(',', p->f);
        put_texts(p, pv, 4);
    }
    fputc(']', p->f);
}

/* One warning row: rank, id, probability, tier, stage, segment, ARPU,
 * signals. */
static void put_warning(const page_ctx *p, const run_warning *w, int shown_rank)
{
    const run_ctx *ctx = p->ctx;
    char v[4][FMT_CAP];
    fmt_count(v[0], FMT_CAP, shown_rank);
    fmt_percent(v[1], FMT_CAP, fmt_as_csv(ctx->probability[w->row], 6), 2);
    snprintf(v[2], FMT_CAP, "%d", ctx->segment[w->row]);
    fmt_money(v[3], FMT_CAP, fmt_as_csv(ctx->arpu[w->row], 2));
    const char *pv[8] = {v[0], w->id, v[1], report_tier_name(p->lang, ctx->tier[w->row]),
                         report_stage_name(p->lang, ctx->stage[w->row]), v[2], v[3], w->signals};
    put_texts(p, pv, 8);
}

static void put_equity(const page_ctx *p, const run_equity_sum *e)
{
    if (!p->ctx->cox)
        return;
    char v[7][FMT_CAP];
    fmt_count(v[0], FMT_CAP, e->active);
    fmt_money(v[1], FMT_CAP, fmt_as_csv(e->equity, 4));
    fmt_money(v[2], FMT_CAP, fmt_as_csv(e->at_risk_12, 4));
    fmt_percent(v[3], FMT_CAP, e->equity > 0 ? e->at_risk_12 / e->equity : NAN, 2);
    fmt_fixed(v[4], FMT_CAP, e->leave_3, 1);
    fmt_fixed(v[5], FMT_CAP, fmt_as_csv(e->leave_12, 4), 1);
    fmt_fixed(v[6], FMT_CAP, e->active > 0 ? e->months / (double)e->active : NAN, 1);
    const char *pv[7] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
    fputs(",\"eq\":", p->f);
    put_texts(p, pv, 7);
}

/* The curve fields shared by branches and segments: "s", "lo", "hi",
 * "a", "y". */
static void put_curves(const page_ctx *p, int g)
{
    const clm_survival_curve *c = run_group_curve(p->ctx, g);
    fputs(",\"s\":", p->f);
    put_grid(p, c, NULL);
    fputs(",\"lo\":", p->f);
    put_grid(p, c && c->lower ? c : NULL, c ? c->lower : NULL);
    fputs(",\"hi\":", p->f);
    put_grid(p, c && c->upper ? c : NULL, c ? c->upper : NULL);
    fputs(",\"a\":", p->f);
    double max = put_arpu(p, g, NULL);
    for (int m = 0; m < p->n_months; m++)
        if (isfinite(p->company_arpu[m]) && p->company_arpu[m] > max)
            max = p->company_arpu[m];
    fputs(",\"y\":", p->f);
    put_value_axis(p, max);
}

static void put_branch(const page_ctx *p, int b, int rank, const run_warning *warnings, int64_t n_warnings)
{
    const run_ctx *ctx = p->ctx;
    const run_branch *br = &ctx->branches[b];
    const clm_health_metrics *m = &br->metrics;
    char v[9][FMT_CAP];
    fmt_count(v[0], FMT_CAP, m->subscribers);
    fmt_percent(v[1], FMT_CAP, fmt_as_csv(m->churn_rate, 6), 2);
    fmt_percent(v[2], FMT_CAP, fmt_as_csv(m->s12, 6), 2);
    fmt_money(v[3], FMT_CAP, fmt_as_csv(m->arpu, 4));
    fmt_percent(v[4], FMT_CAP, fmt_as_csv(m->arpu_change, 6), 2);
    fmt_money(v[5], FMT_CAP, fmt_as_csv(m->ltv, 4));
    fmt_percent(v[6], FMT_CAP, fmt_as_csv(m->revenue_at_risk, 6), 2);
    fmt_fixed(v[7], FMT_CAP, fmt_as_csv(br->health.total, 2), 2);
    fmt_count(v[8], FMT_CAP, rank);
    fputs("{\"n\":", p->f);
    put_str(p, br->name);
    fputs(",\"k\":", p->f);
    const char *pv[9] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
    put_texts(p, pv, 9);
    put_curves(p, 1 + b);
    put_stages(p, 1 + b);
    /* Sub-scores against the company median, the lever and its figures. */
    fputs(",\"sc\":[", p->f);
    for (int k = 0; k < CLM_N_SCORES; k++) {
        double score = fmt_as_csv(br->health.score[k], 2);
        fmt_fixed(v[0], FMT_CAP, score, 2);
        fmt_fixed(v[1], FMT_CAP, p->median[k], 2);
        fmt_fixed(v[2], FMT_CAP, score - p->median[k], 2);
        const char *sv[3] = {v[0], v[1], v[2]};
        if (k) fputc(',', p->f);
        put_texts(p, sv, 3);
    }
    /* The sentences' figures; their texts (D.lvT, D.lfT) are written once. */
    fputs("],\"lv\":", p->f);
    const int weak = br->health.weakest;
    fmt_fixed(v[0], FMT_CAP, fmt_as_csv(br->health.score[weak], 2), 2);
    fmt_fixed(v[1], FMT_CAP, p->median[weak], 2);
    const char *lv[4] = {report_lever_name(p->lang, br->health.lever), report_score_name(p->lang, weak), v[0],
                         v[1]};
    put_texts(p, lv, 4);
    fmt_percent(v[0], FMT_CAP, fmt_as_csv(m->s12, 6), 2);
    fmt_percent(v[1], FMT_CAP, fmt_as_csv(m->churn_rate, 6), 2);
    fmt_money(v[2], FMT_CAP, fmt_as_csv(m->arpu, 4));
    fmt_money(v[3], FMT_CAP, fmt_as_csv(m->ltv, 4));
    fmt_percent(v[4], FMT_CAP, m->share_ab, 2);
    fmt_percent(v[5], FMT_CAP, fmt_as_csv(m->arpu_change, 6), 2);
    fmt_percent(v[6], FMT_CAP, m->share_d, 2);
    fmt_percent(v[7], FMT_CAP, fmt_as_csv(m->revenue_at_risk, 6), 2);
    fmt_percent(v[8], FMT_CAP, m->debt_share, 2);
    fputs(",\"lf\":", p->f);
    put_texts(p, pv, 9); /* pv points at v[] */
    fputs(",\"w\":[", p->f);
    for (int64_t i = 0; i < n_warnings; i++) {
        if (i) fputc(',', p->f);
        put_warning(p, &warnings[i], warnings[i].rank);
    }
    fputc(']', p->f);
    if (ctx->eq_branch)
        put_equity(p, &ctx->eq_branch[b]);
    fputc('}', p->f);
}

/* The warning rows of segment s, highest probability first (ties: the
 * lower row), at most PAGE_SEGMENT_WARNINGS. */
static void put_segment_warnings(const page_ctx *p, int s)
{
    const run_ctx *ctx = p->ctx;
    int64_t chosen[PAGE_SEGMENT_WARNINGS];
    int n = 0;
    for (int64_t i = 0; i < ctx->n_warnings; i++) {
        const run_warning *w = &ctx->warnings[i];
        if (ctx->segment[w->row] != s)
            continue;
        float pr = ctx->probability[w->row];
        int j = n < PAGE_SEGMENT_WARNINGS ? n : PAGE_SEGMENT_WARNINGS - 1;
        const run_warning *last = n == PAGE_SEGMENT_WARNINGS ? &ctx->warnings[chosen[j]] : NULL;
        if (last && !(pr > ctx->probability[last->row] ||
                      (pr == ctx->probability[last->row] && w->row < last->row)))
            continue;
        while (j > 0) {
            const run_warning *q = &ctx->warnings[chosen[j - 1]];
            if (!(pr > ctx->probability[q->row] || (pr == ctx->probability[q->row] && w->row < q->row)))
                break;
            chosen[j] = chosen[j - 1];
            j--;
        }
        chosen[j] = i;
        if (n < PAGE_SEGMENT_WARNINGS)
            n++;
    }
    fputs(",\"w\":[", p->f);
    for (int i = 0; i < n; i++) {
        if (i) fputc(',', p->f);
        put_warning(p, &ctx->warnings[chosen[i]], i + 1);
    }
    fputc(']', p->f);
}

static void put_segment(const page_ctx *p, int s)
{
    const run_ctx *ctx = p->ctx;
    const int g = 1 + ctx->n_branches + s;
    const clm_survival_curve *c = run_group_curve(ctx, g);
    const run_stage_row *rows = &ctx->life.stages[(size_t)g * CLM_N_STAGES];
    int64_t subs = 0, priced = 0;
    double arpu = 0;
    for (int k = 0; k < CLM_N_STAGES; k++) {
        subs += rows[k].subscribers;
        priced += rows[k].priced;
        arpu += rows[k].arpu_sum;
    }
    char v[5][FMT_CAP], name[16];
    fmt_count(v[0], FMT_CAP, subs);
    /* The event's rate, whatever model staged the rows (the curve counts it). */
    fmt_percent(v[1], FMT_CAP, c && c->n_rows > 0 ? (double)c->n_events / (double)c->n_rows : NAN, 2);
    fmt_percent(v[2], FMT_CAP, c ? run_survival_at(c, 12.0) : NAN, 2);
    fmt_money(v[3], FMT_CAP, priced > 0 ? arpu / (double)priced : NAN);
    fmt_money(v[4], FMT_CAP, c && c->ltv ? c->ltv[c->horizon] : NAN);
    snprintf(name, sizeof name, "%d", s);
    fputs("{\"n\":", p->f);
    put_str(p, name);
    fputs(",\"k\":", p->f);
    const char *pv[5] = {v[0], v[1], v[2], v[3], v[4]};
    put_texts(p, pv, 5);
    put_curves(p, g);
    put_stages(p, g);
    put_segment_warnings(p, s);
    if (ctx->eq_segment)
        put_equity(p, &ctx->eq_segment[s]);
    fputc('}', p->f);
}

/* The words of the pages, in the report's language. */
static void put_words(const page_ctx *p)
{
    static const struct {
        const char *key;
        report_text id;
    } words[] = {
        {"back", RT_P_BACK},           {"branch", RT_P_BRANCH},         {"segment", RT_P_SEGMENT},
        {"hSurvival", RT_P_H_SURVIVAL}, {"hValue", RT_P_H_VALUE},        {"valueNote", RT_P_VALUE_NOTE},
        {"hStages", RT_P_H_STAGES},    {"hTiers", RT_P_H_TIERS},        {"hScores", RT_P_H_SCORES},
        {"hLever", RT_P_H_LEVER},      {"hWarning", RT_P_H_WARNING},    {"hEquity", RT_P_H_EQUITY},
        {"noScores", RT_P_NO_SCORES},  {"noEquity", RT_P_NO_EQUITY},    {"noWarning", RT_P_NO_WARNING},
        {"notFound", RT_P_NOT_FOUND},  {"axMonths", RT_AX_MONTHS},      {"axSurvival", RT_AX_SURVIVAL},
        {"axArpu", RT_AX_ARPU},        {"company", RT_COMPANY},         {"meanArpu", RT_MEAN_ARPU},
        {"arpuS", RT_ARPU_X_S},
    };
    fputs("\"lvT\":", p->f);
    put_str(p, tx(p, RT_P_LEVER));
    fputs(",\"lfT\":", p->f);
    put_str(p, tx(p, RT_P_LEVER_FIGURES));
    fputs(",\"L\":{", p->f);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        fprintf(p->f, "%s\"%s\":", i ? "," : "", words[i].key);
        put_str(p, tx(p, words[i].id));
    }
    fputc('}', p->f);
    const char *names[CLM_N_STAGES];
    for (int k = 0; k < CLM_N_STAGES; k++)
        names[k] = report_stage_name(p->lang, k);
    fputs(",\"stages\":", p->f);
    put_texts(p, names, CLM_N_STAGES);
    for (int k = 0; k < CLM_N_TIERS; k++)
        names[k] = report_tier_name(p->lang, k);
    fputs(",\"tiers\":", p->f);
    put_texts(p, names, CLM_N_TIERS);
    for (int k = 0; k < CLM_N_SCORES; k++)
        names[k] = report_score_name(p->lang, k);
    fputs(",\"scores\":", p->f);
    put_texts(p, names, CLM_N_SCORES);
    /* Headline figures (keys name the branches.csv column they show). */
    static const char *const kb_keys[9] = {"subscribers", "churn_rate", "s12", "arpu", "arpu_change", "ltv",
                                           "revenue_at_risk", "health", "rank"};
    static const report_text kb[9] = {RT_K_SUBSCRIBERS, RT_K_CHURN_RATE, RT_K_S12, RT_K_ARPU, RT_K_ARPU_CHANGE,
                                      RT_K_LTV, RT_K_REVENUE_RISK, RT_K_HEALTH, RT_K_RANK};
    fputs(",\"KBk\":", p->f);
    put_texts(p, kb_keys, 9);
    fputs(",\"KB\":", p->f);
    put_labels(p, kb, 9);
    static const char *const ks_keys[5] = {"subscribers", "churn_rate", "s12", "arpu", "ltv"};
    static const report_text ks[5] = {RT_K_SUBSCRIBERS, RT_K_CHURN_RATE, RT_K_S12, RT_K_ARPU, RT_K_LTV};
    fputs(",\"KSk\":", p->f);
    put_texts(p, ks_keys, 5);
    fputs(",\"KS\":", p->f);
    put_labels(p, ks, 5);
    static const report_text st[8] = {RT_C_STAGE, RT_K_SUBSCRIBERS, RT_C_SHARE, RT_MEAN_ARPU, RT_C_REVENUE,
                                      RT_C_Q1, RT_C_MEDIAN, RT_C_Q3};
    fputs(",\"stH\":", p->f);
    put_labels(p, st, 8);
    fputs(",\"stK\":", p->f);
    put_texts(p, clm_stage_letters, CLM_N_STAGES);
    static const report_text ti[5] = {RT_C_TIER, RT_K_SUBSCRIBERS, RT_C_SHARE, RT_MEAN_ARPU, RT_C_REVENUE};
    fputs(",\"tiH\":", p->f);
    put_labels(p, ti, 5);
    fputs(",\"tiK\":", p->f);
    put_texts(p, clm_tier_names, CLM_N_TIERS);
    static const report_text sc[4] = {RT_C_SCORE, RT_C_THIS, RT_C_MEDIAN_ALL, RT_C_DIFFERENCE};
    fputs(",\"scH\":", p->f);
    put_labels(p, sc, 4);
    fputs(",\"scK\":", p->f);
    put_texts(p, clm_health_score_names, CLM_N_SCORES);
    static const report_text wh[8] = {RT_K_RANK,   RT_C_ID,      RT_C_PROBABILITY, RT_C_TIER,
                                      RT_C_STAGE, RT_C_SEGMENT, RT_K_ARPU,         RT_C_SIGNALS};
    fputs(",\"wH\":", p->f);
    put_labels(p, wh, 8);
    static const char *const eq_keys[7] = {"active", "equity", "equity_at_risk_12", "share_at_risk",
                                           "expected_leavers_3", "expected_leavers_12", "expected_months"};
    static const report_text eq[7] = {RT_C_ACTIVE,  RT_C_EQUITY,  RT_C_VALUE_AT_RISK, RT_C_AT_RISK_12,
                                      RT_C_LEAVE_3, RT_C_LEAVE_12, RT_C_EXPECTED_MONTHS};
    fputs(",\"eqK\":", p->f);
    put_texts(p, eq_keys, 7);
    fputs(",\"eqH\":", p->f);
    put_labels(p, eq, 7);
}

/* The axes shared by every page: survival ticks and month ticks. */
static void put_axes(const page_ctx *p)
{
    char t[FMT_CAP];
    fputs(",\"yS\":[", p->f);
    for (int i = 0; i <= 4; i++)
        fprintf(p->f, "%s[%.2f,\"%s\"]", i ? "," : "", i / 4.0, fmt_percent(t, sizeof t, i / 4.0, 0));
    const int max_month = p->n_months - 1;
    int step = (int)fmt_axis_max(max_month / 6.0);
    step = step < 1 ? 1 : step;
    fprintf(p->f, "],\"M\":%d,\"xt\":[", max_month > 0 ? max_month : 1);
    for (int m = 0; m <= max_month; m += step)
        fprintf(p->f, "%s[%d,\"%s\"]", m ? "," : "", m, fmt_fixed(t, sizeof t, m, 0));
    fputc(']', p->f);
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

clm_status run_report_pages(FILE *f, const run_ctx *ctx, const int *order)
{
    clm_status s = CLM_OK;
    const int nb = ctx->n_branches, groups = ctx->life.n_groups;
    page_ctx p = {f, ctx, ctx->report_lang, 1, NULL, NULL, {0}};
    p.curve_start = calloc((size_t)groups + 1, sizeof *p.curve_start);
    int *rank = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *rank);
    int64_t *first_warning = calloc((size_t)nb + 1, sizeof *first_warning);
    double *scores = malloc((size_t)(nb > 0 ? nb : 1) * sizeof *scores);
    if (groups < 1) {
        s = clm_error(CLM_E_INTERNAL, "report: the lifecycle tables were not computed");
        goto done;
    }
    if (!p.curve_start || !rank || !first_warning || !scores) {
        s = clm_error(CLM_E_NOMEM, "out of memory for the report's %d branch pages", nb);
        goto done;
    }
    /* Curve rows are grouped in group order. */
    for (int64_t r = 0; r < ctx->life.n_curves; r++)
        p.curve_start[ctx->life.group[r] + 1]++;
    for (int g = 0; g < groups; g++)
        p.curve_start[g + 1] += p.curve_start[g];
    p.n_months = (int)(p.curve_start[1] > 0 ? p.curve_start[1] : 1);
    p.company_arpu = malloc((size_t)p.n_months * sizeof *p.company_arpu);
    if (!p.company_arpu) {
        s = clm_error(CLM_E_NOMEM, "out of memory for the report's pages");
        goto done;
    }
    for (int r = 0; r < nb; r++)
        rank[order[r]] = r + 1;
    /* warning.csv lists branch by branch. */
    for (int64_t i = 0; i < ctx->n_warnings; i++)
        first_warning[ctx->warnings[i].branch + 1]++;
    for (int b = 0; b < nb; b++)
        first_warning[b + 1] += first_warning[b];
    for (int k = 0; k < CLM_N_SCORES; k++) {
        for (int b = 0; b < nb; b++)
            scores[b] = fmt_as_csv(ctx->branches[b].health.score[k], 2);
        qsort(scores, (size_t)nb, sizeof *scores, by_double);
        p.median[k] = run_quantile_sorted(scores, nb, 0.5);
    }
    pages_begin(f);
    fputc('{', f);
    put_words(&p);
    put_axes(&p);
    fputs(",\"C\":{\"s\":", f);
    const clm_survival_curve *all = run_group_curve(ctx, 0);
    put_grid(&p, all, NULL);
    fputs(",\"a\":", f);
    put_arpu(&p, 0, p.company_arpu);
    fputs("},\"B\":[", f);
    for (int b = 0; b < nb; b++) {
        if (b) fputs(",\n", f);
        put_branch(&p, b, rank[b], ctx->warnings ? ctx->warnings + first_warning[b] : NULL,
                   first_warning[b + 1] - first_warning[b]);
    }
    fputs("],\"S\":[", f);
    for (int s = 0; s < ctx->k; s++) {
        if (s) fputs(",\n", f);
        put_segment(&p, s);
    }
    fputs("]}", f);
    pages_end(f);
done:
    free(p.curve_start);
    free(p.company_arpu);
    free(rank);
    free(first_warning);
    free(scores);
    return s;
}

/*
 * step_curves.c — the lifecycle tables of the run, computed once in the
 * "lifecycle curves" step and written three ways: results.h5
 * (/lifecycle/curves, /lifecycle/stages), lifecycle_curves.csv and
 * lifecycle_stages.csv; the report draws its branch and segment pages
 * from the same rows.
 *
 * Curves: per company, branch and segment, by tenure month, the
 * subscribers at that tenure, their mean ARPU, the group's Kaplan–Meier
 * survival and the cumulative value sum_{u <= month} S(u) x mean ARPU(u)
 * (what a subscriber who joins today is expected to bring by that month,
 * read off this quarter's cross-section; docs/run.md).  One pass over the
 * rows in row order counts subscribers and sums ARPU per (group, whole
 * month) in dense tables, then only the cells a group has subscribers at
 * are kept (company rows: every month up to the longest tenure).  The
 * survival comes from the run's curves in memory (the branch curves
 * through run_branch.curve), so it is the same S as survival_branch.csv
 * and survival_segment.csv.
 *
 * Stages: per group and stage, the subscribers, their mean ARPU and the
 * exact quartiles of their tenure (months): q(p) = x[j] + (h - j)(x[j+1] -
 * x[j]) with h = (n - 1) p, j = floor h over the group's sorted tenures
 * (linear interpolation between order statistics: R's type 7, numpy's
 * default), the order statistics read off the count per month when every
 * tenure is a whole month, else selected.  Tiers: subscribers and ARPU per
 * group and tier, for the report.
 *
 * The step runs on every rank (run.c), each on the rows of the
 * tiers+stages step (run_stage_rows), whose keys rank 0 hands it: the
 * counts are integers, summed over the ranks; the ARPU sums run on
 * through the ranks in row order (comm_relay_*), the serial run's bits;
 * the counts per month too.  Selection needs every row's tenure: then the
 * ranks gather it to rank 0, which alone builds and keeps the tables.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/writer.h"
#include "core/util_internal.h"
#include "run/run_ctx.h"

/* Months beyond this are refused (a tenure column in days read as months). */
#define CURVES_MAX_MONTH 10000

const char *const run_level_names[RUN_N_LEVELS] = {"company", "branch", "segment"};

/* A group's curve of segment s: the stratum labelled "s" (labels are the
 * segment numbers), or NULL. */
static const clm_survival_curve *segment_curve(const run_ctx *ctx, int s)
{
    char label[16];
    snprintf(label, sizeof label, "%d", s);
    int n = clm_survival_n_curves(ctx->surv_segment);
    for (int c = 0; c + 1 < n; c++) {
        const clm_survival_curve *cv = clm_survival_curve_at(ctx->surv_segment, c);
        if (!strcmp(cv->label, label))
            return cv;
    }
    return NULL;
}

const clm_survival_curve *run_group_curve(const run_ctx *ctx, int group)
{
    const int nb = ctx->n_branches;
    if (group == 0)
        return clm_survival_curve_at(ctx->surv_branch, clm_survival_n_curves(ctx->surv_branch) - 1);
    if (group <= nb)
        return ctx->branches[group - 1].curve;
    return segment_curve(ctx, group - 1 - nb);
}

int run_group_level(const run_ctx *ctx, int group)
{
    return group == 0 ? RUN_LEVEL_COMPANY : group <= ctx->n_branches ? RUN_LEVEL_BRANCH : RUN_LEVEL_SEGMENT;
}

void run_group_name(const run_ctx *ctx, int group, char *buf, size_t cap)
{
    if (group == 0)
        snprintf(buf, cap, "all");
    else if (group <= ctx->n_branches)
        snprintf(buf, cap, "%s", ctx->branch_names[group - 1]);
    else
        snprintf(buf, cap, "%d", group - 1 - ctx->n_branches);
}

double run_quantile_sorted(const double *x, int64_t n, double p)
{
    if (n <= 0)
        return NAN;
    double h = (double)(n - 1) * p;
    int64_t j = (int64_t)floor(h);
    if (j >= n - 1)
        return x[n - 1];
    return x[j] + (h - (double)j) * (x[j + 1] - x[j]);
}

/* The value of order j (0-based) among a bucket's whole months, from its
 * count per month. */
static double month_of_order(const int64_t *count, int n_months, int64_t j)
{
    int64_t below = 0;
    for (int m = 0; m < n_months; m++) {
        below += count[m];
        if (below > j)
            return (double)m;
    }
    return NAN; /* j beyond the bucket: not reached */
}

/* run_quantile_sorted on the bucket's sorted months, read off its counts
 * per month: the same two order statistics, the same arithmetic. */
static double quantile_of_counts(const int64_t *count, int n_months, int64_t n, double p)
{
    if (n <= 0)
        return NAN;
    const double h = (double)(n - 1) * p;
    const int64_t j = (int64_t)floor(h);
    if (j >= n - 1)
        return month_of_order(count, n_months, n - 1);
    const double lo = month_of_order(count, n_months, j), hi = month_of_order(count, n_months, j + 1);
    return lo + (h - (double)j) * (hi - lo);
}

/* The rows' keys of one level, group x stage (-1: no group). */
static int level_key(int level, int32_t branch, int32_t segment, uint8_t stage)
{
    const int g = level == RUN_LEVEL_COMPANY ? 0 : level == RUN_LEVEL_BRANCH ? branch : segment;
    return g >= 0 ? g * CLM_N_STAGES + stage : -1;
}

static int level_keys(const run_ctx *ctx, int level)
{
    return (level == RUN_LEVEL_COMPANY ? 1 : level == RUN_LEVEL_BRANCH ? ctx->n_branches : ctx->k) *
           CLM_N_STAGES;
}

/* The first group of a level in ctx->life. */
static int level_first(const run_ctx *ctx, int level)
{
    return level == RUN_LEVEL_COMPANY ? 0 : level == RUN_LEVEL_BRANCH ? 1 : 1 + ctx->n_branches;
}

/* Whole months (the usual tenure column): the count per month of each
 * (group, stage) of one level over n rows, no copy of them (0.14 s of
 * selection on 2M rows before); integers, so the ranks' counts add up.
 * Used while the counts stay within 4M cells (counts_fit); NULL: out of
 * memory. */
#define MONTH_COUNT_CELLS ((int64_t)1 << 22)

static int counts_fit(const run_ctx *ctx, int level, int n_months)
{
    return (int64_t)level_keys(ctx, level) * n_months <= MONTH_COUNT_CELLS;
}

static int64_t *month_counts(const int32_t *branch, const int32_t *segment, const uint8_t *stage,
                             const double *months, int64_t n, int level, int n_keys, int n_months)
{
    int64_t *count = calloc((size_t)n_keys * (size_t)n_months, sizeof *count);
    for (int64_t i = 0; count && i < n; i++) {
        const int key = level_key(level, branch[i], segment[i], stage[i]);
        if (key >= 0)
            count[(size_t)key * (size_t)n_months + (size_t)months[i]]++;
    }
    return count;
}

/* The quartiles of tenure of each (group, stage) of one level from its
 * count per month (month_counts, over every row). */
static void quartiles_of_counts(run_ctx *ctx, const int64_t *by_month, int level, int n_months)
{
    const int n_keys = level_keys(ctx, level), first = level_first(ctx, level);
    for (int c = 0; c < n_keys; c++) {
        const int64_t *count = by_month + (size_t)c * (size_t)n_months;
        int64_t m = 0;
        for (int t = 0; t < n_months; t++)
            m += count[t];
        run_stage_row *r = &ctx->life.stages[(size_t)(first + c / CLM_N_STAGES) * CLM_N_STAGES + c % CLM_N_STAGES];
        r->tenure_q1 = quantile_of_counts(count, n_months, m, 0.25);
        r->tenure_median = quantile_of_counts(count, n_months, m, 0.5);
        r->tenure_q3 = quantile_of_counts(count, n_months, m, 0.75);
    }
}

/* The quartiles of tenure per (group, stage) of one level when a tenure
 * is not a whole month or the counts would not fit: every row's tenure
 * (`months`, rank 0) bucketed by key = group x stage (a counting sort),
 * each bucket's quartiles selected (util_quantile_select: the sorted
 * bucket's values, in O(n)). */
static clm_status stage_quartiles(run_ctx *ctx, const double *months, int level)
{
    const int64_t n = ctx->n_rows;
    const int n_keys = level_keys(ctx, level), first = level_first(ctx, level);
    int64_t *start = calloc((size_t)n_keys + 1, sizeof *start);
    int64_t *fill = malloc((size_t)(n_keys > 0 ? n_keys : 1) * sizeof *fill);
    double *sorted = malloc((size_t)(n > 0 ? n : 1) * sizeof *sorted);
    if (!start || !fill || !sorted) {
        free(start);
        free(fill);
        free(sorted);
        return clm_error(CLM_E_NOMEM, "out of memory for the tenure quartiles");
    }
    for (int64_t i = 0; i < n; i++) {
        const int key = level_key(level, ctx->branch[i], ctx->segment[i], ctx->stage[i]);
        if (key >= 0)
            start[key + 1]++;
    }
    for (int c = 0; c < n_keys; c++)
        start[c + 1] += start[c];
    memcpy(fill, start, (size_t)n_keys * sizeof *fill);
    for (int64_t i = 0; i < n; i++) {
        const int key = level_key(level, ctx->branch[i], ctx->segment[i], ctx->stage[i]);
        if (key >= 0)
            sorted[fill[key]++] = months[i];
    }
    for (int c = 0; c < n_keys; c++) {
        int64_t m = start[c + 1] - start[c];
        double *x = sorted + start[c];
        run_stage_row *r = &ctx->life.stages[(size_t)(first + c / CLM_N_STAGES) * CLM_N_STAGES + c % CLM_N_STAGES];
        r->tenure_q1 = util_quantile_select(x, m, 0.25);
        r->tenure_median = util_quantile_select(x, m, 0.5);
        r->tenure_q3 = util_quantile_select(x, m, 0.75);
    }
    free(fill);
    free(start);
    free(sorted);
    return CLM_OK;
}

/* Keeps the cells of group g (all months for the company, else the months
 * it has subscribers at) as curve rows. */
static void keep_group(run_lifecycle *life, int level, int g, const int64_t *count, const int64_t *priced,
                       const double *arpu, int n_months, const clm_survival_curve *curve)
{
    double value = 0.0;
    for (int m = 0; m < n_months; m++) {
        if (level != RUN_LEVEL_COMPANY && count[m] == 0)
            continue;
        double mean = priced[m] > 0 ? arpu[m] / (double)priced[m] : NAN;
        double s = curve ? run_survival_at(curve, (double)m) : NAN;
        if (!isnan(mean))
            value += s * mean;
        int64_t r = life->n_curves++;
        life->level[r] = (uint8_t)level;
        life->group[r] = g;
        life->month[r] = m;
        life->subscribers[r] = count[m];
        life->mean_arpu[r] = mean;
        life->survival[r] = s;
        life->cumulative_value[r] = isnan(s) ? NAN : value;
    }
}

/* The curve rows from the counts and sums of every (group, month) cell:
 * the cells a group has subscribers at, the company's every month. */
static clm_status build_tables(run_ctx *ctx, const int64_t *count, const int64_t *priced, const double *arpu,
                               int n_months)
{
    run_lifecycle *life = &ctx->life;
    const int groups = 1 + ctx->n_branches + ctx->k;
    const size_t cells = (size_t)groups * (size_t)n_months;
    int64_t n_rows = 0;
    for (size_t cell = 0; cell < cells; cell++)
        n_rows += cell < (size_t)n_months || count[cell] > 0;
    size_t r = (size_t)(n_rows > 0 ? n_rows : 1);
    life->level = malloc(r * sizeof *life->level);
    life->group = malloc(r * sizeof *life->group);
    life->month = malloc(r * sizeof *life->month);
    life->subscribers = malloc(r * sizeof *life->subscribers);
    life->mean_arpu = malloc(r * sizeof *life->mean_arpu);
    life->survival = malloc(r * sizeof *life->survival);
    life->cumulative_value = malloc(r * sizeof *life->cumulative_value);
    if (!life->level || !life->group || !life->month || !life->subscribers || !life->mean_arpu ||
        !life->survival || !life->cumulative_value)
        return clm_error(CLM_E_NOMEM, "out of memory for %lld lifecycle curve rows", (long long)n_rows);
    for (int g = 0; g < groups; g++) {
        size_t at = (size_t)g * (size_t)n_months;
        keep_group(life, run_group_level(ctx, g), g, count + at, priced + at, arpu + at, n_months,
                   run_group_curve(ctx, g));
    }
    return CLM_OK;
}

void run_lifecycle_free(run_lifecycle *life)
{
    free(life->level);
    free(life->group);
    free(life->month);
    free(life->subscribers);
    free(life->mean_arpu);
    free(life->survival);
    free(life->cumulative_value);
    free(life->stages);
    free(life->tiers);
    memset(life, 0, sizeof *life);
}

/* This rank's rows of the per-row arrays the tables count (rank 0 holds
 * every row's and hands the others theirs: comm_recut_rows), with the
 * tenure in months read from the table; on one process the run's arrays
 * themselves.  The ranks' rows are the tiers+stages step's. */
typedef struct curve_rows {
    int64_t first, n;
    int32_t *branch, *segment;
    uint8_t *stage, *tier;
    float *arpu;
    double *months;
    int owned;                    /* the first five are copies of this rank's */
} curve_rows;

static void curve_rows_free(curve_rows *r)
{
    if (r->owned) {
        free(r->branch);
        free(r->segment);
        free(r->stage);
        free(r->tier);
        free(r->arpu);
    }
    free(r->months);
}

static clm_status rows_here(run_ctx *ctx, curve_rows *r)
{
    const comm_ctx *c = &ctx->comm;
    run_stage_rows(ctx, &r->first, &r->n);
    const size_t room = (size_t)(r->n > 0 ? r->n : 1);
    r->months = malloc(room * sizeof *r->months);
    r->owned = comm_is_parallel(c);
    if (!r->owned) {
        r->branch = ctx->branch;
        r->segment = (int32_t *)ctx->segment;
        r->stage = ctx->stage;
        r->tier = ctx->tier;
        r->arpu = ctx->arpu;
    } else {
        r->branch = malloc(room * sizeof *r->branch);
        r->segment = malloc(room * sizeof *r->segment);
        r->stage = malloc(room);
        r->tier = malloc(room);
        r->arpu = malloc(room * sizeof *r->arpu);
    }
    clm_status s = !r->months || !r->branch || !r->segment || !r->stage || !r->tier || !r->arpu
                       ? clm_error(CLM_E_NOMEM, "out of memory")
                       : CLM_OK;
    if ((s = comm_agree(c, s)) || !r->owned)
        return s;
    const int64_t all = ctx->root ? ctx->n_rows : 0;
    s = comm_recut_rows(c, ctx->branch, all, sizeof *r->branch, r->branch, r->n);
    if (!s) s = comm_recut_rows(c, ctx->segment, all, sizeof *r->segment, r->segment, r->n);
    if (!s) s = comm_recut_rows(c, ctx->stage, all, 1, r->stage, r->n);
    if (!s) s = comm_recut_rows(c, ctx->tier, all, 1, r->tier, r->n);
    if (!s) s = comm_recut_rows(c, ctx->arpu, all, sizeof *r->arpu, r->arpu, r->n);
    return s;
}

/* The group of row i at each level (company, branch, segment; -1: none). */
static inline void groups_of(const curve_rows *r, int nb, int64_t i, int g[3])
{
    g[0] = 0;
    g[1] = r->branch[i] >= 0 ? 1 + r->branch[i] : -1;
    g[2] = r->segment[i] >= 0 ? 1 + nb + r->segment[i] : -1;
}

/* comm_sum_i64 over an array of any length. */
static clm_status sum_counts(const comm_ctx *c, int64_t *v, size_t n)
{
    clm_status s = CLM_OK;
    for (size_t at = 0; !s && at < n; at += (size_t)1 << 28)
        s = comm_sum_i64(c, v + at, (int)(n - at < ((size_t)1 << 28) ? n - at : ((size_t)1 << 28)));
    return s;
}

clm_status run_lifecycle_tables(run_ctx *ctx)
{
    const comm_ctx *c = &ctx->comm;
    const int nb = ctx->n_branches, k = ctx->k, groups = 1 + nb + k;
    run_lifecycle *life = &ctx->life;
    curve_rows rows = {0};
    clm_status s = rows_here(ctx, &rows);
    const int64_t n = rows.n;
    double *t = rows.months;
    if (!s) s = clm_table_read_f64(ctx->table, clm_table_find(ctx->table, ctx->col_time), rows.first, n, t);
    const double unit = ctx->time_unit_days > 0 ? ctx->time_unit_days / CLM_DAYS_PER_MONTH : 1.0;
    int64_t shape[2] = {1, 0}; /* months, some tenure not a whole month */
    for (int64_t i = 0; !s && i < n; i++) {
        t[i] *= unit; /* tenure in months from here on */
        double m = floor(t[i]);
        shape[1] |= m != t[i];
        if (m > CURVES_MAX_MONTH) {
            s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: tenure %g months is beyond the "
                          "%d months lifecycle_curves.csv lists (is columns.time_unit right?)",
                          ctx->input, ctx->col_time, (long long)(rows.first + i), m, CURVES_MAX_MONTH);
            break;
        }
        shape[0] = (int64_t)m + 1 > shape[0] ? (int64_t)m + 1 : shape[0];
    }
    s = comm_agree(c, s);
    if (!s) s = comm_max_i64(c, shape, 2);
    const int n_months = (int)shape[0], whole = !shape[1];
    /* Counts (integers: summed over the ranks) and ARPU sums (floats: run
     * on through the ranks in row order, comm_relay_*), in one buffer each. */
    const size_t cells = (size_t)groups * (size_t)n_months;
    const size_t n_st = (size_t)groups * CLM_N_STAGES, n_ti = (size_t)groups * CLM_N_TIERS;
    const size_t n_counts = 2 * cells + 2 * n_st + 2 * n_ti, n_sums = cells + n_st + n_ti;
    int64_t *counts = s ? NULL : calloc(n_counts, sizeof *counts);
    double *sums = s ? NULL : calloc(n_sums, sizeof *sums);
    if (!s && (!counts || !sums))
        s = clm_error(CLM_E_NOMEM, "out of memory for %d groups x %d months", groups, n_months);
    s = comm_agree(c, s);
    int64_t *count = counts, *priced = counts + cells; /* priced: rows with an ARPU */
    int64_t *st_n = priced + cells, *st_priced = st_n + n_st, *ti_n = st_priced + n_st, *ti_priced = ti_n + n_ti;
    double *arpu = sums, *st_arpu = sums + cells, *ti_arpu = st_arpu + n_st;
    /* Two passes: the counts first, then, once the rank before has passed
     * the sums on, the float additions alone, so that the relay makes the
     * ranks wait only for those. */
    for (int64_t i = 0; !s && i < n; i++) {
        const int m = (int)floor(t[i]);
        const int isnum = !isnan(rows.arpu[i]);
        int g[3];
        groups_of(&rows, nb, i, g);
        for (int j = 0; j < 3; j++) {
            if (g[j] < 0)
                continue;
            const size_t cell = (size_t)g[j] * (size_t)n_months + (size_t)m;
            const size_t st = (size_t)g[j] * CLM_N_STAGES + rows.stage[i], ti = (size_t)g[j] * CLM_N_TIERS + rows.tier[i];
            count[cell]++;
            st_n[st]++;
            ti_n[ti]++;
            priced[cell] += isnum;
            st_priced[st] += isnum;
            ti_priced[ti] += isnum;
        }
    }
    if (!s) s = sum_counts(c, counts, n_counts);
    if (!s) s = comm_relay_receive(c, sums, n_sums * sizeof *sums);
    for (int64_t i = 0; !s && i < n; i++) {
        const float a = rows.arpu[i];
        if (isnan(a))
            continue;
        const int m = (int)floor(t[i]);
        int g[3];
        groups_of(&rows, nb, i, g);
        for (int j = 0; j < 3; j++) {
            if (g[j] < 0)
                continue;
            arpu[(size_t)g[j] * (size_t)n_months + (size_t)m] += a;
            st_arpu[(size_t)g[j] * CLM_N_STAGES + rows.stage[i]] += a;
            ti_arpu[(size_t)g[j] * CLM_N_TIERS + rows.tier[i]] += a;
        }
    }
    if (!s) s = comm_relay_send(c, sums, n_sums * sizeof *sums);
    /* A level's quartiles come from its counts per month, summed over the
     * ranks, when every tenure is a whole month and the counts fit; else
     * by selection, which needs every row's tenure on rank 0. */
    int by_counts[RUN_N_LEVELS], need_all = 0;
    for (int level = 0; level < RUN_N_LEVELS; level++) {
        by_counts[level] = whole && counts_fit(ctx, level, n_months);
        need_all |= !by_counts[level];
    }
    double *all_months = NULL;
    if (!s && need_all && comm_is_parallel(c)) {
        all_months = ctx->root ? malloc((size_t)ctx->n_rows * sizeof *all_months) : NULL;
        s = comm_agree(c, ctx->root && !all_months ? clm_error(CLM_E_NOMEM, "out of memory") : CLM_OK);
        if (!s) s = comm_gather_rows(c, t, n, sizeof *t, all_months, ctx->n_rows);
    }
    int64_t *by_month[RUN_N_LEVELS] = {0};
    for (int level = 0; !s && level < RUN_N_LEVELS; level++) {
        if (!by_counts[level])
            continue;
        const int n_keys = level_keys(ctx, level);
        by_month[level] = month_counts(rows.branch, rows.segment, rows.stage, t, n, level, n_keys, n_months);
        s = comm_agree(c, by_month[level] ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory"));
        if (!s) s = sum_counts(c, by_month[level], (size_t)n_keys * (size_t)n_months);
    }
    life->stages = s || !ctx->root ? NULL : calloc(n_st, sizeof *life->stages);
    life->tiers = s || !ctx->root ? NULL : calloc(n_ti, sizeof *life->tiers);
    if (!s && ctx->root && (!life->stages || !life->tiers))
        s = clm_error(CLM_E_NOMEM, "out of memory for %d groups", groups);
    if (!s && ctx->root)
        s = build_tables(ctx, count, priced, arpu, n_months);
    for (size_t g = 0; !s && ctx->root && g < n_st; g++) {
        run_stage_row *st = &life->stages[g];
        st->subscribers = st_n[g];
        st->priced = st_priced[g];
        st->arpu_sum = st_arpu[g];
        st->mean_arpu = st->priced > 0 ? st->arpu_sum / (double)st->priced : NAN;
    }
    for (size_t g = 0; !s && ctx->root && g < n_ti; g++)
        life->tiers[g] = (run_tier_row){ti_n[g], ti_priced[g], ti_arpu[g]};
    for (int level = 0; !s && ctx->root && level < RUN_N_LEVELS; level++) {
        if (by_counts[level])
            quartiles_of_counts(ctx, by_month[level], level, n_months);
        else
            s = stage_quartiles(ctx, all_months ? all_months : t, level);
    }
    if (ctx->root)
        life->n_groups = s ? 0 : groups;
    for (int level = 0; level < RUN_N_LEVELS; level++)
        free(by_month[level]);
    free(all_months);
    free(counts);
    free(sums);
    curve_rows_free(&rows);
    return s;
}

static void csv_group(FILE *f, const run_ctx *ctx, int group)
{
    char name[64];
    fprintf(f, "%s,", run_level_names[run_group_level(ctx, group)]);
    if (group >= 1 && group <= ctx->n_branches)
        run_csv_field(f, ctx->branch_names[group - 1]);
    else {
        run_group_name(ctx, group, name, sizeof name);
        fputs(name, f);
    }
}

/* Opens OUTDIR/<name> and writes its header line; the stream, or NULL
 * with *status set. */
static FILE *open_table(run_ctx *ctx, const char *name, const char *header, clm_textfile **tf, clm_status *status)
{
    *status = run_csv_open(ctx->outdir, name, ctx->input, ctx->csv_bom, tf);
    if (*status)
        return NULL;
    FILE *f = clm_textfile_stream(*tf);
    fputs(header, f);
    return f;
}

clm_status run_write_curves_csv(run_ctx *ctx)
{
    const run_lifecycle *life = &ctx->life;
    clm_textfile *tf = NULL;
    clm_status s;
    FILE *f = open_table(ctx, "lifecycle_curves.csv",
                         "level,name,month,subscribers,mean_arpu,survival,cumulative_value\n", &tf, &s);
    if (!f)
        return s;
    for (int64_t r = 0; r < life->n_curves; r++) {
        csv_group(f, ctx, life->group[r]);
        fprintf(f, ",%d,%lld", life->month[r], (long long)life->subscribers[r]);
        run_csv_number(f, "%.4f", life->mean_arpu[r]);
        run_csv_number(f, "%.6f", life->survival[r]);
        run_csv_number(f, "%.4f", life->cumulative_value[r]);
        fputc('\n', f);
    }
    return run_text_finish(&ctx->outputs, tf, CLM_OK);
}

clm_status run_write_stages_csv(run_ctx *ctx)
{
    const run_lifecycle *life = &ctx->life;
    clm_textfile *tf = NULL;
    clm_status s;
    FILE *f = open_table(ctx, "lifecycle_stages.csv",
                         "level,name,stage,subscribers,mean_arpu,tenure_q1,tenure_median,tenure_q3\n", &tf, &s);
    if (!f)
        return s;
    for (int g = 0; g < life->n_groups; g++)
        for (int k = 0; k < CLM_N_STAGES; k++) {
            const run_stage_row *r = &life->stages[(size_t)g * CLM_N_STAGES + k];
            csv_group(f, ctx, g);
            fprintf(f, ",%s,%lld", clm_stage_letters[k], (long long)r->subscribers);
            run_csv_number(f, "%.4f", r->mean_arpu);
            run_csv_number(f, "%.4f", r->tenure_q1);
            run_csv_number(f, "%.4f", r->tenure_median);
            run_csv_number(f, "%.4f", r->tenure_q3);
            fputc('\n', f);
        }
    return run_text_finish(&ctx->outputs, tf, CLM_OK);
}

/* /lifecycle/names: the group names, row g for group g (0 the company,
 * then the branches, then the segments); the name columns index it. */
static clm_status write_names(const run_ctx *ctx, clm_writer *w)
{
    const int groups = ctx->life.n_groups;
    char (*seg)[16] = calloc((size_t)ctx->k + 1, sizeof *seg);
    const char **names = malloc((size_t)groups * sizeof *names);
    clm_status s = CLM_OK;
    if (!seg || !names)
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int g = 0; !s && g < groups; g++) {
        if (g == 0)
            names[g] = "all";
        else if (g <= ctx->n_branches)
            names[g] = ctx->branch_names[g - 1];
        else {
            snprintf(seg[g - 1 - ctx->n_branches], 16, "%d", g - 1 - ctx->n_branches);
            names[g] = seg[g - 1 - ctx->n_branches];
        }
    }
    if (!s)
        s = clm_writer_strings(w, "/lifecycle/names", names, groups);
    free(seg);
    free(names);
    return s;
}

clm_status run_write_lifecycle_h5(run_ctx *ctx, clm_writer *w)
{
    const run_lifecycle *life = &ctx->life;
    const int64_t nc = life->n_curves, ns = (int64_t)life->n_groups * CLM_N_STAGES;
    clm_status s = write_names(ctx, w);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/curves/level", CLM_DT_UINT8, nc, life->level);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/curves/name", CLM_DT_INT32, nc, life->group);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/curves/month", CLM_DT_INT32, nc, life->month);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/curves/subscribers", CLM_DT_INT64, nc, life->subscribers);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/curves/mean_arpu", CLM_DT_FLOAT64, nc, life->mean_arpu);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/curves/survival", CLM_DT_FLOAT64, nc, life->survival);
    if (!s)
        s = clm_writer_column_array(w, "/lifecycle/curves/cumulative_value", CLM_DT_FLOAT64, nc,
                                    life->cumulative_value);
    /* Stage rows: group g, stage k at row g x 5 + k. */
    uint8_t *level = malloc((size_t)(ns > 0 ? ns : 1));
    int32_t *group = malloc((size_t)(ns > 0 ? ns : 1) * sizeof *group);
    uint8_t *stage = malloc((size_t)(ns > 0 ? ns : 1));
    int64_t *subs = malloc((size_t)(ns > 0 ? ns : 1) * sizeof *subs);
    double *v = malloc((size_t)(ns > 0 ? ns : 1) * sizeof *v);
    if (!s && (!level || !group || !stage || !subs || !v))
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t r = 0; !s && r < ns; r++) {
        level[r] = (uint8_t)run_group_level(ctx, (int)(r / CLM_N_STAGES));
        group[r] = (int32_t)(r / CLM_N_STAGES);
        stage[r] = (uint8_t)(r % CLM_N_STAGES);
        subs[r] = life->stages[r].subscribers;
    }
    if (!s) s = clm_writer_column_array(w, "/lifecycle/stages/level", CLM_DT_UINT8, ns, level);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/stages/name", CLM_DT_INT32, ns, group);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/stages/stage", CLM_DT_UINT8, ns, stage);
    if (!s) s = clm_writer_column_array(w, "/lifecycle/stages/subscribers", CLM_DT_INT64, ns, subs);
    static const char *const fields[] = {"mean_arpu", "tenure_q1", "tenure_median", "tenure_q3"};
    for (int f = 0; f < 4 && !s; f++) {
        for (int64_t r = 0; r < ns; r++) {
            const run_stage_row *st = &life->stages[r];
            v[r] = f == 0 ? st->mean_arpu : f == 1 ? st->tenure_q1 : f == 2 ? st->tenure_median : st->tenure_q3;
        }
        char path[64];
        snprintf(path, sizeof path, "/lifecycle/stages/%s", fields[f]);
        s = clm_writer_column_array(w, path, CLM_DT_FLOAT64, ns, v);
    }
    const char *const *letters = clm_stage_letters;
    if (!s) s = clm_writer_attr_strings(w, "/lifecycle/curves", "levels", run_level_names, RUN_N_LEVELS);
    if (!s) s = clm_writer_attr_strings(w, "/lifecycle/stages", "levels", run_level_names, RUN_N_LEVELS);
    if (!s) s = clm_writer_attr_strings(w, "/lifecycle/stages", "stages", letters, CLM_N_STAGES);
    free(level);
    free(group);
    free(stage);
    free(subs);
    free(v);
    return s;
}

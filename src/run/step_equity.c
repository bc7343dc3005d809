/*
 * step_equity.c — survival regression and customer equity: a Cox model
 * on the subscribers' own signals (stratified by segment by default), each
 * active subscriber's remaining lifetime and value from it, the sums by
 * branch, segment, tier and stage, and — on a generated quarter — the
 * projection against the generator's truth (/truth/residual_months).
 * The fit runs on every rank (run.c), the rest on rank 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "cox/cox_ranks.h"
#include "run/run_ctx.h"

/* cox.features = auto: these, where the table has them. */
static const char *const auto_features[] = {
    "suspension_days", "service_calls", "payment_delay_days", "offnet_forward_minutes",
    "dropped_calls", "voice_minutes", "data_mb", "sms_count", "topups", "device_age_months",
    "plan",
};

/* Rows of the histogram that cuts the deciles of leave_12. */
#define DECILE_BINS 65536

static void add_sum(run_equity_sum *g, const clm_equity *eq, int64_t i)
{
    const double v = eq->value[i], l12 = eq->leave_12[i];
    g->active++;
    g->equity += v;
    g->at_risk_12 += v * l12;
    g->leave_3 += eq->leave_3[i];
    g->leave_12 += l12;
    g->months += eq->expected_months[i];
}

/* One sequential pass in row order: the sums do not depend on threads. */
static clm_status sum_groups(run_ctx *ctx)
{
    const clm_equity *eq = ctx->equity;
    ctx->eq_branch = calloc((size_t)ctx->n_branches, sizeof *ctx->eq_branch);
    ctx->eq_segment = calloc((size_t)ctx->k, sizeof *ctx->eq_segment);
    if (!ctx->eq_branch || !ctx->eq_segment)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t i = 0; i < ctx->n_rows; i++) {
        if (isnan(eq->expected_months[i]))
            continue;
        add_sum(&ctx->eq_company, eq, i);
        if (ctx->branch[i] >= 0)
            add_sum(&ctx->eq_branch[ctx->branch[i]], eq, i);
        if (ctx->segment[i] >= 0)
            add_sum(&ctx->eq_segment[ctx->segment[i]], eq, i);
        add_sum(&ctx->eq_tier[ctx->tier[i]], eq, i);
        add_sum(&ctx->eq_stage[ctx->stage[i]], eq, i);
    }
    return CLM_OK;
}

/* Predicted and true counts still active after 3 and 12 months. */
typedef struct truth_count {
    double pred[2];
    int64_t truth[2], active;
} truth_count;

static double worst_gap(const truth_count *c)
{
    double w = 0.0;
    for (int k = 0; k < 2; k++) {
        double gap = c->truth[k] > 0 ? fabs(c->pred[k] / (double)c->truth[k] - 1.0) : 0.0;
        w = gap > w ? gap : w;
    }
    return w;
}

static void count_row(truth_count *c, const clm_equity *eq, int64_t i, double residual)
{
    c->active++;
    c->pred[0] += 1.0 - eq->leave_3[i];
    c->pred[1] += 1.0 - eq->leave_12[i];
    c->truth[0] += residual > 3.0;
    c->truth[1] += residual > 12.0;
}

/* The calibration against /truth/residual_months, when the input has it. */
static void compare_with_truth(run_ctx *ctx)
{
    run_calibration *cal = &ctx->calib;
    const clm_equity *eq = ctx->equity;
    clm_table *truth = NULL;
    if (clm_table_open_group(ctx->table, "/truth", &truth) != CLM_OK) {
        clm_error_clear();
        return;
    }
    int col = clm_table_find(truth, "residual_months");
    const int64_t n = ctx->n_rows;
    float *res = col >= 0 && clm_table_column(truth, col)->length == n
                     ? malloc((size_t)n * sizeof *res) : NULL;
    truth_count *by_branch = calloc((size_t)ctx->n_branches, sizeof *by_branch);
    uint32_t *hist = calloc(DECILE_BINS, sizeof *hist);
    if (!res || !by_branch || !hist || clm_table_read_f32(truth, col, 0, n, res) != CLM_OK) {
        clm_error_clear();
        goto done;
    }
    truth_count company = {{0, 0}, {0, 0}, 0}, tier[CLM_N_TIERS];
    memset(tier, 0, sizeof tier);
    for (int64_t i = 0; i < n; i++) {
        if (isnan(eq->expected_months[i]) || isnan(res[i]))
            continue;
        count_row(&company, eq, i, res[i]);
        count_row(&tier[ctx->tier[i]], eq, i, res[i]);
        if (ctx->branch[i] >= 0)
            count_row(&by_branch[ctx->branch[i]], eq, i, res[i]);
        hist[(uint32_t)(eq->leave_12[i] * (DECILE_BINS - 1) + 0.5)]++;
    }
    if (company.active == 0)
        goto done;
    cal->has_truth = 1;
    cal->pred_3 = company.pred[0];
    cal->pred_12 = company.pred[1];
    cal->true_3 = (double)company.truth[0];
    cal->true_12 = (double)company.truth[1];
    for (int t = 0; t < CLM_N_TIERS; t++) {
        double w = worst_gap(&tier[t]);
        cal->worst_tier = w > cal->worst_tier ? w : cal->worst_tier;
    }
    for (int b = 0; b < ctx->n_branches; b++) {
        if (by_branch[b].active < 2000)
            continue;
        cal->n_branches_checked++;
        double w = worst_gap(&by_branch[b]);
        if (w >= cal->worst_branch) {
            cal->worst_branch = w;
            cal->worst_branch_name = ctx->branch_names[b];
        }
    }
    /* Deciles of leave_12 cut on the histogram: bin -> decile. */
    uint8_t *decile = (uint8_t *)malloc(DECILE_BINS);
    if (!decile)
        goto done;
    int64_t seen = 0;
    for (int bin = 0; bin < DECILE_BINS; bin++) {
        int d = (int)((seen * 10) / company.active);
        decile[bin] = (uint8_t)(d > 9 ? 9 : d);
        seen += hist[bin];
    }
    for (int64_t i = 0; i < n; i++) {
        if (isnan(eq->expected_months[i]) || isnan(res[i]))
            continue;
        int d = decile[(uint32_t)(eq->leave_12[i] * (DECILE_BINS - 1) + 0.5)];
        cal->decile_n[d]++;
        cal->decile_pred[d] += eq->leave_12[i];
        cal->decile_true[d] += res[i] <= 12.0;
    }
    for (int d = 0; d < 10; d++)
        if (cal->decile_n[d] > 0) {
            cal->decile_pred[d] /= (double)cal->decile_n[d];
            cal->decile_true[d] /= (double)cal->decile_n[d];
        }
    free(decile);
done:
    free(res);
    free(by_branch);
    free(hist);
    clm_table_close(truth);
}

static void print_equity(const run_ctx *ctx, FILE *log)
{
    const run_equity_sum *c = &ctx->eq_company;
    fprintf(log, "customer equity: %lld active subscribers, %.2f over %d months (%.1f%% at risk "
                 "within 12 months); expected leavers %.0f in 3 months, %.0f in 12\n",
            (long long)c->active, c->equity, (int)ctx->equity_params.horizon,
            c->equity > 0 ? 100.0 * c->at_risk_12 / c->equity : 0.0, c->leave_3, c->leave_12);
    const run_calibration *cal = &ctx->calib;
    if (!cal->has_truth)
        return;
    fprintf(log, "against /truth/residual_months: still active after 3 months %.0f predicted, "
                 "%.0f true (%+.2f%%); after 12 months %.0f, %.0f (%+.2f%%); worst tier %.2f%%, "
                 "worst of %d branches with >= 2,000 active %.2f%% (%s)\n",
            cal->pred_3, cal->true_3, 100 * (cal->pred_3 / cal->true_3 - 1), cal->pred_12,
            cal->true_12, 100 * (cal->pred_12 / cal->true_12 - 1), 100 * cal->worst_tier,
            cal->n_branches_checked, 100 * cal->worst_branch,
            cal->worst_branch_name ? cal->worst_branch_name : "-");
    fprintf(log, "calibration by decile of 12-month risk (predicted / true share leaving):");
    for (int d = 0; d < 10; d++)
        fprintf(log, " %.3f/%.3f", cal->decile_pred[d], cal->decile_true[d]);
    fprintf(log, "\n");
}

clm_status run_equity(run_ctx *ctx)
{
    const char *auto_list[sizeof auto_features / sizeof auto_features[0] + 7];
    clm_cox_columns cols;
    clm_cox_columns_default(&cols);
    cols.time = ctx->col_time;
    cols.event = ctx->col_event;
    cols.event_level = ctx->event_level;
    cols.time_unit_days = ctx->time_unit_days;
    if (ctx->cox_features) {
        cols.features = (const char *const *)ctx->cox_features;
        cols.n_features = ctx->n_cox_features;
    } else {
        /* The run's own signal and value columns first (columns.*), then
         * the usage and plan columns of a generated quarter's schema. */
        const char *mine[7] = {ctx->col_susp, ctx->col_down, ctx->col_compl, ctx->col_cnow,
                               ctx->col_cprev, ctx->col_arpu, ctx->col_arpu_prev};
        const char *candidates[sizeof auto_list / sizeof auto_list[0]];
        int n_cand = 0, n = 0;
        for (int f = 0; f < 7; f++)
            if (mine[f])
                candidates[n_cand++] = mine[f];
        for (size_t f = 0; f < sizeof auto_features / sizeof auto_features[0]; f++)
            candidates[n_cand++] = auto_features[f];
        for (int f = 0; f < n_cand; f++) {
            const char *c = candidates[f];
            int dup = 0;
            for (int g = 0; g < n; g++)
                dup |= !strcmp(auto_list[g], c);
            if (!dup && clm_table_find(ctx->table, c) >= 0 && strcmp(c, ctx->col_time) &&
                strcmp(c, ctx->col_event) && (!ctx->col_branch || strcmp(c, ctx->col_branch)))
                auto_list[n++] = c;
        }
        if (n == 0) {
            if (ctx->log)
                fprintf(ctx->log, "cox: no covariate column found (cox.features = auto): no "
                                  "Cox model and no equity\n");
            return CLM_OK;
        }
        cols.features = auto_list;
        cols.n_features = n;
    }
    /* In-memory strata: the segments, or each segment split by the decline
     * signals (docs/cox.md: a decline multiplies the hazard unevenly over
     * tenure, and scenarios aimed at stage D need its own baseline).  Rank
     * 0 holds every row's segment and signals; on several ranks it hands
     * each rank the strata of the rows it fits (cox_rank_rows). */
    int32_t *strata_rows = NULL, *strata_mine = NULL;
    char **labels = NULL;
    const int by_segment = ctx->cox_strata && !strcmp(ctx->cox_strata, "segment");
    const int by_decline = ctx->cox_strata && !strcmp(ctx->cox_strata, CLM_COX_SEGMENT_DECLINE);
    const int64_t n_rows = clm_table_n_rows(ctx->table);
    const int ranks = comm_is_parallel(&ctx->comm);
    clm_status s = CLM_OK;
    if (by_segment || by_decline) {
        const int32_t k = ctx->k;
        const int ns = by_decline ? 2 * k : k;
        int64_t first, n_mine;
        cox_rank_rows(&ctx->comm, n_rows, &first, &n_mine);
        labels = malloc((size_t)ns * sizeof *labels);
        char *text = malloc((size_t)ns * 24);
        const int full = by_decline && ctx->root;
        strata_rows = full ? malloc((size_t)n_rows * sizeof *strata_rows) : NULL;
        strata_mine = ranks ? malloc((size_t)(n_mine > 0 ? n_mine : 1) * sizeof *strata_mine) : NULL;
        if (!labels || !text || (full && !strata_rows) || (ranks && !strata_mine))
            s = clm_error(CLM_E_NOMEM, "out of memory");
        if ((s = comm_agree(&ctx->comm, s))) {
            free(labels);
            free(text);
            free(strata_rows);
            free(strata_mine);
            return s;
        }
        for (int st = 0; st < ns; st++) {
            labels[st] = text + 24 * st;
            if (by_decline)
                snprintf(labels[st], 24, "%d%s", st / 2, st % 2 ? "+decline" : "");
            else
                snprintf(labels[st], 24, "%d", st);
        }
        if (full)
            clm_cox_segment_decline(ctx->segment, ctx->decline, n_rows, strata_rows);
        const int32_t *all = by_decline ? strata_rows : ctx->segment;
        if (ranks)
            s = comm_recut_rows(&ctx->comm, all, ctx->root ? n_rows : 0, sizeof *all, strata_mine,
                                n_mine);
        cols.strata_rows = ranks ? strata_mine : all;
        cols.n_strata = ns;
        cols.stratum_labels = (const char *const *)labels;
        cols.strata_name = by_decline ? CLM_COX_SEGMENT_DECLINE : "segment";
    } else if (ctx->cox_strata) {
        cols.strata = ctx->cox_strata;
    }
    /* The fit and the projection on every rank, each on its own rows; rank
     * 0 gathers the projected rows, which the later steps read. */
    if (!s)
        s = cox_fit_table_ranks(&ctx->cox_params, &cols, ctx->table, &ctx->comm, &ctx->cox);
    clm_equity *mine = NULL;
    /* The scenarios' book reads each row's relative hazard, stratum and
     * tenure: projected (and gathered) only for a plan. */
    const int with_book = ctx->plan != NULL;
    if (!s)
        s = cox_equity_table_ranks(ctx->cox, &ctx->equity_params, ctx->col_arpu, cols.strata_rows,
                                   ctx->table, &ctx->comm, with_book, &mine);
    if (!s)
        s = cox_equity_gather(&ctx->comm, n_rows, mine, with_book, &ctx->equity);
    else {
        clm_equity_free(mine);
        mine = NULL;
    }
    /* This rank's rows of the projection, for results.h5: another rank
     * keeps its own (ctx->equity_here, which the run frees). */
    if (!ctx->root && s)
        clm_equity_free(mine);
    else if (!ctx->root)
        ctx->equity_here = mine;
    if (!s && ranks) {
        const clm_equity *here = ctx->root ? ctx->equity : mine;
        int64_t first, n_here;
        cox_rank_rows(&ctx->comm, n_rows, &first, &n_here);
        static const char *const names[4] = {"/equity/leave_3", "/equity/leave_12", "/equity/expected_months",
                                             "/equity/value"};
        static const clm_dtype types[4] = {CLM_DT_FLOAT32, CLM_DT_FLOAT32, CLM_DT_FLOAT32, CLM_DT_FLOAT32};
        const void *data[4] = {here->leave_3, here->leave_12, here->expected_months, here->value};
        s = comm_agree(&ctx->comm, run_keep_rows(ctx, first, n_here, 4, names, types, data, NULL));
    }
    const int shared_ok = !s; /* the same on every rank */
    free(strata_mine);
    if (labels)
        free(labels[0]);
    free(labels);
    free(strata_rows);
    if (!ctx->root) {
        clm_cox_free(ctx->cox);
        ctx->cox = NULL;
        /* Asleep while rank 0 sums (comm_wait_root). */
        return s ? s : comm_wait_root(&ctx->comm, CLM_OK);
    }
    if (!s)
        s = sum_groups(ctx);
    if (!s) {
        compare_with_truth(ctx);
        if (ctx->log) {
            clm_cox_print(ctx->cox, ctx->log);
            print_equity(ctx, ctx->log);
        }
    }
    /* The other ranks wait for this once the projection has succeeded
     * everywhere. */
    return ranks && shared_ok ? comm_wait_root(&ctx->comm, s) : s;
}

/* ---- equity.csv ------------------------------------------------------------ */

static void equity_row(FILE *f, const char *level, const char *name, const run_equity_sum *g)
{
    fprintf(f, "%s,", level);
    util_csv_field_quoted(f, name); /* every name quoted, as equity.csv always had them */
    fprintf(f, ",%lld,%.4f,%.4f,%.4f,%.4f,%.4f,%.6f\n", (long long)g->active, g->equity,
            g->at_risk_12, g->leave_3, g->leave_12,
            g->active > 0 ? g->months / (double)g->active : NAN,
            g->equity > 0 ? g->at_risk_12 / g->equity : NAN);
}

clm_status run_write_equity_csv(run_ctx *ctx)
{
    if (!ctx->cox)
        return CLM_OK;
    clm_textfile *tf = NULL;
    clm_status s = run_csv_open(ctx->outdir, "equity.csv", ctx->input, ctx->csv_bom, &tf);
    if (s)
        return s;
    FILE *f = clm_textfile_stream(tf);
    fprintf(f, "level,name,active,equity,equity_at_risk_12,expected_leavers_3,"
               "expected_leavers_12,expected_months,share_at_risk_12\n");
    equity_row(f, "company", "all", &ctx->eq_company);
    for (int b = 0; b < ctx->n_branches; b++)
        equity_row(f, "branch", ctx->branch_names[b], &ctx->eq_branch[b]);
    for (int k = 0; k < ctx->k; k++) {
        char name[16];
        snprintf(name, sizeof name, "%d", k);
        equity_row(f, "segment", name, &ctx->eq_segment[k]);
    }
    for (int t = 0; t < CLM_N_TIERS; t++)
        equity_row(f, "tier", clm_tier_names[t], &ctx->eq_tier[t]);
    for (int k = 0; k < CLM_N_STAGES; k++)
        equity_row(f, "stage", clm_stage_letters[k], &ctx->eq_stage[k]);
    return run_text_finish(&ctx->outputs, tf, CLM_OK);
}

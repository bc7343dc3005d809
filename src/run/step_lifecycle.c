/*
 * step_lifecycle.c — the tiers+stages step: branch codes, value tiers
 * (ARPU quantiles), lifecycle stages A–E by the rules, the per-branch
 * figures the signal columns give, and the agreement with /truth/stage
 * when the input carries the generator's truth.  It runs on every rank
 * (run.c), each on its own rows: the thresholds are exact order
 * statistics over every rank (comm_select_f32), the sums by branch relay
 * in row order, the counts are summed, and rank 0 gathers the per-row
 * arrays the steps it runs alone read (docs/design.md §7).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "io/io_table_ranks.h"
#include "lifecycle/lifecycle_internal.h"
#include "run/run_ctx.h"

/* The rows [*first, *first + *n) this rank stages: whole groups of the
 * file's chunks of the ARPU column when there is one a rank, else whole
 * units of STAGE_UNIT_ROWS (comm_rows_aligned), cut as the other steps of
 * every rank cut theirs, rank 0 first (its rows are the first ones of the
 * arrays it gathers).  No output depends on where a rank starts. */
#define STAGE_UNIT_ROWS 4096

void run_stage_rows(const run_ctx *ctx, int64_t *first, int64_t *n)
{
    const int col = clm_table_find(ctx->table, ctx->col_arpu);
    comm_rows_aligned(&ctx->comm, ctx->n_rows, STAGE_UNIT_ROWS, io_table_chunk_rows(ctx->table, &col, 1),
                      first, n);
}

/* A new array of copies of the n strings `text` at *names (set as soon
 * as allocated, so the caller frees it and the copies made on error too). */
static clm_status name_labels(char ***names, int n, const char *const *text)
{
    *names = calloc((size_t)(n > 0 ? n : 1), sizeof **names);
    if (!*names)
        return clm_error(CLM_E_NOMEM, "out of memory");
    for (int b = 0; b < n; b++) {
        size_t len = strlen(text[b]) + 1;
        if (!((*names)[b] = malloc(len)))
            return clm_error(CLM_E_NOMEM, "out of memory");
        memcpy((*names)[b], text[b], len);
    }
    return CLM_OK;
}

/* The label codes of rows [first, first + n) of `column` into
 * code[0..n), over the ranks of `comm` (NULL: one process): categorical
 * codes as they are, with the categories as names, or an integer
 * column's distinct values over every rank as dense codes in order of
 * value.  Every rank gets *n_labels and *names (set as soon as allocated,
 * so the caller frees them on error too) and the same status: the first
 * bad row's message.  A collective. */
static clm_status read_label_rows(const run_ctx *ctx, const comm_ctx *comm, const char *column,
                                  int64_t first, int64_t n, int32_t *code, int *n_labels, char ***names)
{
    const int col = clm_table_find(ctx->table, column);
    const clm_column_info *info = clm_table_column(ctx->table, col);
    clm_status s = clm_table_read_i32(ctx->table, col, first, n, code);
    if (!s && info->kind == CLM_KIND_CATEGORICAL)
        for (int64_t i = 0; i < n && !s; i++)
            if (code[i] < -1 || code[i] >= info->n_categories)
                s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: code %d is outside its %d categories",
                              ctx->input, column, (long long)(first + i), code[i], info->n_categories);
    if ((s = comm_agree(comm, s)))
        return s;
    if (info->kind == CLM_KIND_CATEGORICAL) {
        *n_labels = info->n_categories;
        return name_labels(names, info->n_categories, (const char *const *)info->categories);
    }
    /* Integer ids: the span of every rank's values, then which of them
     * occur anywhere (exact integer reductions). */
    int64_t range[2] = {-(int64_t)INT32_MAX, INT32_MIN}; /* -lo, hi */
    for (int64_t i = 0; i < n; i++) {
        if (-(int64_t)code[i] > range[0]) range[0] = -(int64_t)code[i];
        if (code[i] > range[1]) range[1] = code[i];
    }
    if ((s = comm_max_i64(comm, range, 2)))
        return s;
    const int64_t lo = -range[0], hi = range[1];
    if (hi - lo >= 1000000)
        return clm_error(CLM_E_VALUE, "%s: column '%s' spans %lld values; use a categorical column",
                         ctx->input, column, (long long)(hi - lo + 1));
    const int64_t span = hi - lo + 1;
    int64_t *dense = calloc((size_t)span, sizeof *dense);
    if ((s = comm_agree(comm, dense ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory")))) {
        free(dense);
        return s;
    }
    for (int64_t i = 0; i < n; i++)
        dense[code[i] - lo] = 1;
    s = comm_sum_i64(comm, dense, (int)span);
    int nb = 0;
    for (int64_t v = 0; !s && v < span; v++)
        dense[v] = dense[v] ? nb++ : -1;
    *n_labels = nb;
    if (!s && !(*names = calloc((size_t)(nb > 0 ? nb : 1), sizeof **names)))
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t v = 0; !s && v < span; v++)
        if (dense[v] >= 0) {
            char buf[24];
            snprintf(buf, sizeof buf, "%lld", (long long)(v + lo));
            if (!((*names)[dense[v]] = malloc(strlen(buf) + 1)))
                s = clm_error(CLM_E_NOMEM, "out of memory");
            else
                strcpy((*names)[dense[v]], buf);
        }
    for (int64_t i = 0; !s && i < n; i++)
        code[i] = (int32_t)dense[code[i] - lo];
    free(dense);
    return comm_agree(comm, s);
}

clm_status run_read_labels(const run_ctx *ctx, const char *column, int32_t **codes, int *n_labels,
                           char ***names)
{
    if (!(*codes = malloc((size_t)ctx->n_rows * sizeof **codes)))
        return clm_error(CLM_E_NOMEM, "out of memory for the codes of column '%s'", column);
    return read_label_rows(ctx, NULL, column, 0, ctx->n_rows, *codes, n_labels, names);
}

/* The branch code of this rank's rows [first, first + n) into code[0..n),
 * with ctx->n_branches and ctx->branch_names (read_label_rows); without a
 * branch column the whole company is one branch, "all". */
static clm_status read_branch_rows(run_ctx *ctx, int64_t first, int64_t n, int32_t *code)
{
    if (ctx->has_branch)
        return read_label_rows(ctx, &ctx->comm, ctx->col_branch, first, n, code, &ctx->n_branches,
                               &ctx->branch_names);
    for (int64_t i = 0; i < n; i++)
        code[i] = 0;
    ctx->n_branches = 1;
    const char *all = "all";
    return name_labels(&ctx->branch_names, 1, &all);
}

/* Column index of an optional column, or -1 (absent or not configured). */
static int optional_column(const run_ctx *ctx, const char *name)
{
    return name ? clm_table_find(ctx->table, name) : -1;
}

void run_compare_with_truth(run_ctx *ctx, const comm_ctx *comm, int64_t first, int64_t n_rows,
                            const uint8_t *stage)
{
    clm_table *truth = NULL;
    if (clm_table_open_group(ctx->table, "/truth", &truth) != CLM_OK) {
        clm_error_clear();
        return;
    }
    int col = clm_table_find(truth, "stage");
    int32_t *buf = malloc(CLM_BLOCK_ROWS * sizeof *buf);
    /* same rows, and ranks that could not read (the agreement is left out
     * unless every rank could) */
    int64_t count[2] = {0, 0};
    if (col >= 0 && clm_table_column(truth, col)->length == ctx->n_rows) {
        clm_status s = buf ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
        for (int64_t r0 = 0; r0 < n_rows && !s; r0 += CLM_BLOCK_ROWS) {
            int64_t n = util_block_len(n_rows, r0, CLM_BLOCK_ROWS);
            s = clm_table_read_i32(truth, col, first + r0, n, buf);
            for (int64_t i = 0; i < n && !s; i++)
                count[0] += buf[i] == stage[r0 + i];
        }
        count[1] = s != CLM_OK;
        clm_error_clear();
    } else {
        count[1] = 1;
    }
    if (comm_sum_i64(comm, count, 2) == CLM_OK && count[1] == 0) {
        ctx->truth_agreement = (double)count[0] / (double)ctx->n_rows;
        ctx->truth_rows = ctx->n_rows;
    }
    free(buf);
    clm_table_close(truth);
}

/* This rank's rows of the run's per-row arrays (rank 0: the first rows of
 * the arrays for every row, which the gather fills; another rank: arrays
 * of its own rows, freed once gathered). */
typedef struct stage_arrays {
    float *arpu, *arpu_prev;      /* arpu_prev: NaN where absent; freed at the end */
    int32_t *branch;
    uint8_t *tier, *stage, *churned, *decline;
} stage_arrays;

static void free_arrays(stage_arrays *a)
{
    free(a->arpu);
    free(a->arpu_prev);
    free(a->branch);
    free(a->tier);
    free(a->stage);
    free(a->churned);
    free(a->decline);
    memset(a, 0, sizeof *a);
}

/* The stage inputs of rows [first, first + n), streamed in blocks:
 * churned, tenure, then the optional signal columns (absent ones stay
 * NULL and never fire); stages, decline and the per-branch counts. */
static clm_status assign_stages(run_ctx *ctx, int64_t first, int64_t n, stage_arrays *a)
{
    const char *names[9] = {ctx->col_event, ctx->col_time, ctx->col_arpu, ctx->col_arpu_prev, ctx->col_susp,
                            ctx->col_down, ctx->col_cnow, ctx->col_cprev, ctx->col_compl};
    int cols[9];
    float *buf[9] = {0};
    clm_status s = CLM_OK;
    for (int j = 0; j < 9; j++) {
        cols[j] = optional_column(ctx, names[j]);
        if (j > 0 && cols[j] >= 0 && clm_table_column(ctx->table, cols[j])->kind != CLM_KIND_NUMERIC)
            cols[j] = -1;
        if (cols[j] >= 0 && !(buf[j] = malloc(CLM_BLOCK_ROWS * sizeof(float))))
            s = clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int64_t r0 = 0; r0 < n && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t m = util_block_len(n, r0, CLM_BLOCK_ROWS);
        for (int j = 0; j < 9 && !s; j++)
            if (cols[j] >= 0)
                s = clm_table_read_f32(ctx->table, cols[j], first + r0, m, buf[j]);
        if (s)
            break;
        if (ctx->event_code >= 0) /* categorical event: its level means churned */
            for (int64_t i = 0; i < m; i++)
                buf[0][i] = buf[0][i] == (float)ctx->event_code ? 1.0f : 0.0f;
        lifecycle_tenure_to_months(buf[1], m, ctx->time_unit_days);
        clm_stage_inputs in = {buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7], buf[8]};
        clm_stage_assign(&ctx->stages, &in, m, a->stage + r0);
        for (int64_t i = 0; i < m; i++)
            a->churned[r0 + i] = buf[0][i] >= 0.5f;
        clm_stage_decline(&ctx->stages, &in, m, a->decline + r0);
        for (int64_t i = 0; i < m; i++) {
            const int32_t b = a->branch[r0 + i];
            a->arpu_prev[r0 + i] = buf[3] ? buf[3][i] : NAN;
            if (b < 0)
                continue;
            if (buf[3] && !isnan(buf[3][i]))
                ctx->arpu_prev_n[b]++;
            if (a->stage[r0 + i] == CLM_STAGE_D && buf[4] && buf[4][i] >= ctx->stages.suspensions_min)
                ctx->debt_count[b]++;
        }
    }
    for (int j = 0; j < 9; j++)
        free(buf[j]);
    return s;
}

/* The per-branch sums of the previous ARPU, in row order over the ranks
 * (the relay: a running sum of floats that partials would change in the
 * last bit), and the integer counts summed. */
static clm_status branch_sums(run_ctx *ctx, int64_t n, const stage_arrays *a)
{
    const size_t nb = (size_t)ctx->n_branches;
    clm_status s = comm_relay_receive(&ctx->comm, ctx->arpu_prev_sum, nb * sizeof *ctx->arpu_prev_sum);
    for (int64_t i = 0; !s && i < n; i++)
        if (a->branch[i] >= 0 && !isnan(a->arpu_prev[i]))
            ctx->arpu_prev_sum[a->branch[i]] += a->arpu_prev[i];
    if (!s) s = comm_relay_send(&ctx->comm, ctx->arpu_prev_sum, nb * sizeof *ctx->arpu_prev_sum);
    if (!s) s = comm_sum_i64(&ctx->comm, ctx->arpu_prev_n, (int)nb);
    if (!s) s = comm_sum_i64(&ctx->comm, ctx->debt_count, (int)nb);
    for (int64_t i = 0; i < n; i++)
        ctx->stage_count[a->stage[i]]++;
    if (!s) s = comm_sum_i64(&ctx->comm, ctx->stage_count, CLM_N_STAGES);
    return s;
}

/* Every rank's rows of the arrays the later steps read to rank 0, which
 * holds them for every row (its own rows are already in place). */
static clm_status gather_arrays(run_ctx *ctx, int64_t n, stage_arrays *a)
{
    const comm_ctx *c = &ctx->comm;
    const int64_t all = ctx->n_rows;
    clm_status s = comm_gather_rows(c, a->arpu, n, sizeof *a->arpu, ctx->root ? a->arpu : NULL, all);
    if (!s) s = comm_gather_rows(c, a->branch, n, sizeof *a->branch, ctx->root ? a->branch : NULL, all);
    uint8_t *bytes[4] = {a->tier, a->stage, a->churned, a->decline};
    for (int j = 0; j < 4 && !s; j++)
        s = comm_gather_rows(c, bytes[j], n, 1, ctx->root ? bytes[j] : NULL, all);
    return s;
}

clm_status run_tiers_and_stages(run_ctx *ctx)
{
    clm_status s = CLM_OK;
    int64_t first, n;
    run_stage_rows(ctx, &first, &n);
    /* rank 0: arrays of every row; another rank: of its own rows */
    const int64_t len = ctx->root ? ctx->n_rows : (n > 0 ? n : 1);
    stage_arrays a = {0};
    a.arpu = malloc((size_t)len * sizeof *a.arpu);
    a.arpu_prev = malloc((size_t)(n > 0 ? n : 1) * sizeof *a.arpu_prev);
    a.branch = malloc((size_t)len * sizeof *a.branch);
    a.tier = malloc((size_t)len);
    a.stage = malloc((size_t)len);
    a.churned = malloc((size_t)len);
    a.decline = malloc((size_t)len);
    if (!a.arpu || !a.arpu_prev || !a.branch || !a.tier || !a.stage || !a.churned || !a.decline)
        s = clm_error(CLM_E_NOMEM, "out of memory for tiers and stages");
    s = comm_agree(&ctx->comm, s);
    if (!s) s = read_branch_rows(ctx, first, n, a.branch);
    if (!s) {
        size_t nb = (size_t)ctx->n_branches;
        ctx->debt_count = calloc(nb, sizeof *ctx->debt_count);
        ctx->arpu_prev_sum = calloc(nb, sizeof *ctx->arpu_prev_sum);
        ctx->arpu_prev_n = calloc(nb, sizeof *ctx->arpu_prev_n);
        if (!ctx->debt_count || !ctx->arpu_prev_sum || !ctx->arpu_prev_n)
            s = clm_error(CLM_E_NOMEM, "out of memory for tiers and stages");
        if (!s) s = clm_table_read_f32(ctx->table, clm_table_find(ctx->table, ctx->col_arpu), first, n, a.arpu);
        s = comm_agree(&ctx->comm, s);
    }
    if (!s) s = lifecycle_tier_thresholds_ranks(&ctx->tiers, a.arpu, n, &ctx->comm, &ctx->high_min, &ctx->low_max);
    if (!s) clm_tier_assign(ctx->high_min, ctx->low_max, a.arpu, n, a.tier);
    if (!s && ctx->root) {
        clm_lifecycle_columns lc = {ctx->col_event, ctx->col_time, ctx->col_arpu, ctx->col_arpu_prev,
                                    ctx->col_susp, ctx->col_down, ctx->col_cnow, ctx->col_cprev,
                                    ctx->col_compl, ctx->event_level, ctx->time_unit_days};
        s = clm_lifecycle_create(&ctx->stages, ctx->high_min, ctx->low_max, &lc, &ctx->lifecycle);
    }
    if (!s) s = assign_stages(ctx, first, n, &a);
    s = comm_agree(&ctx->comm, s);
    if (!s) s = branch_sums(ctx, n, &a);
    if (!s) run_compare_with_truth(ctx, &ctx->comm, first, n, a.stage);
    if (!s) s = gather_arrays(ctx, n, &a);
    free(a.arpu_prev);
    a.arpu_prev = NULL;
    /* This rank's rows of the tiers and stages, for results.h5: another
     * rank hands its arrays of them over to the run. */
    if (!s) {
        static const char *const names[2] = {"/value/tier", "/lifecycle/stage"};
        static const clm_dtype types[2] = {CLM_DT_UINT8, CLM_DT_UINT8};
        const void *data[2] = {a.tier, a.stage};
        void *owned[2] = {NULL, NULL};
        if (!ctx->root) {
            owned[0] = a.tier;
            owned[1] = a.stage;
            a.tier = a.stage = NULL;
        }
        s = run_keep_rows(ctx, first, n, 2, names, types, data, owned);
    }
    if (s || !ctx->root) {
        free_arrays(&a);
        return s;
    }
    ctx->arpu = a.arpu;
    ctx->branch = a.branch;
    ctx->tier = a.tier;
    ctx->stage = a.stage;
    ctx->churned = a.churned;
    ctx->decline = a.decline;
    if (ctx->log) {
        fprintf(ctx->log, "value tiers: high ARPU >= %.2f, low ARPU < %.2f\nstages:", ctx->high_min, ctx->low_max);
        for (int k = 0; k < CLM_N_STAGES; k++)
            fprintf(ctx->log, " %s %.1f%%", clm_stage_letters[k], 100.0 * ctx->stage_count[k] / (double)ctx->n_rows);
        if (!isnan(ctx->truth_agreement))
            fprintf(ctx->log, "  (agreement with /truth/stage: %.2f%%)", 100 * ctx->truth_agreement);
        fprintf(ctx->log, "\n");
    }
    return CLM_OK;
}

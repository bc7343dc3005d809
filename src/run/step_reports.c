/*
 * step_reports.c — the CSV and text outputs of the run, each written once
 * from memory: branches.csv (health order; a step of its own, so run.json
 * times it beside report.html),
 * warning.csv (the early-warning list), segments.csv (the k-means
 * profile), tree_rules.txt, survival_segment.csv, survival_branch.csv; and
 * config.used, the settings of the run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "clmseg/textfile.h"
#include "clmseg/writer.h"
#include "run/run_ctx.h"
#include "run/run_regions.h"


void run_csv_health_fields(FILE *f, const run_branch *br)
{
    const clm_health_metrics *m = &br->metrics;
    fprintf(f, ",%lld", (long long)m->subscribers);
    run_csv_number(f, "%.6f", m->churn_rate);
    run_csv_number(f, "%.6f", m->s12);
    run_csv_number(f, "%.4f", m->arpu);
    run_csv_number(f, "%.6f", m->arpu_change);
    run_csv_number(f, "%.4f", m->ltv);
    for (int k = 0; k < CLM_N_STAGES; k++)
        run_csv_number(f, "%.6f", br->stage_share[k]);
    run_csv_number(f, "%.6f", m->revenue_at_risk);
    for (int k = 0; k < CLM_N_SCORES; k++)
        run_csv_number(f, "%.2f", br->health.score[k]);
    run_csv_number(f, "%.2f", br->health.total);
    fprintf(f, ",%s", clm_health_lever_names[br->health.lever]);
}

clm_status run_write_branches_csv(run_ctx *ctx)
{
    clm_textfile *tf = NULL;
    clm_status s = run_csv_open(ctx->outdir, "branches.csv", ctx->input, ctx->csv_bom, &tf);
    if (s)
        return s;
    int *order = run_health_order(ctx);
    if (!order) {
        clm_textfile_abort(tf);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    FILE *f = clm_textfile_stream(tf);
    fprintf(f, "rank,branch,%s%s%s\n", RUN_CSV_HEALTH_HEADER,
            ctx->cox ? ",active,equity,equity_at_risk_12,expected_leavers_12" : "", ctx->regions ? ",region" : "");
    for (int r = 0; r < ctx->n_branches; r++) {
        const run_branch *br = &ctx->branches[order[r]];
        fprintf(f, "%d,", r + 1);
        run_csv_field(f, br->name);
        run_csv_health_fields(f, br);
        if (ctx->cox) {
            const run_equity_sum *e = &ctx->eq_branch[order[r]];
            fprintf(f, ",%lld", (long long)e->active);
            run_csv_number(f, "%.4f", e->equity);
            run_csv_number(f, "%.4f", e->at_risk_12);
            run_csv_number(f, "%.4f", e->leave_12);
        }
        if (ctx->regions)
            run_csv_region_of(f, ctx, order[r]);
        fputc('\n', f);
    }
    free(order);
    return run_text_finish(&ctx->outputs, tf, CLM_OK);
}

/* ---- warning.csv --------------------------------------------------------- */

typedef struct candidate {
    float probability;
    int64_t row;
} candidate;

/* Higher probability first, then lower row. */
static int before(candidate a, candidate b)
{
    return a.probability > b.probability || (a.probability == b.probability && a.row < b.row);
}

/* Values of the listed rows of the signal columns, gathered by streaming
 * each column once in blocks (a few thousand single-cell HDF5 reads cost
 * more than one pass).  Columns: id, arpu_prev, suspensions, downgrades,
 * contacts now, contacts before, complaints. */
enum { G_ID, G_PREV, G_SUSP, G_DOWN, G_CNOW, G_CPREV, G_COMPL, N_GATHER };

static int by_row(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* sorted[k] = (row << 20 | listing index): rows sorted, with their slot.
 * An integer id column is read as int64 into ids[slot] (*have_ids = 1): a
 * double holds ids exactly only up to 2^53.  Every other column, and a
 * float id column, goes to values[slot][g]. */
static clm_status gather(const run_ctx *ctx, const int64_t *sorted, int64_t n_listed,
                         double (*values)[N_GATHER], int64_t *ids, int *have_ids)
{
    const char *names[N_GATHER] = {ctx->has_id ? ctx->col_id : NULL, ctx->col_arpu_prev, ctx->col_susp,
                                   ctx->col_down, ctx->col_cnow, ctx->col_cprev, ctx->col_compl};
    /* one buffer for either type: both are 8 bytes */
    union { double f; int64_t i; } *block = malloc(CLM_BLOCK_ROWS * sizeof *block);
    if (!block)
        return clm_error(CLM_E_NOMEM, "out of memory");
    *have_ids = 0;
    clm_status s = CLM_OK;
    for (int g = 0; g < N_GATHER && !s; g++) {
        int c = names[g] ? clm_table_find(ctx->table, names[g]) : -1;
        if (c >= 0 && clm_table_column(ctx->table, c)->kind != CLM_KIND_NUMERIC)
            c = -1;
        const int as_int = g == G_ID && c >= 0 && clm_table_column(ctx->table, c)->dtype <= CLM_DT_INT64;
        for (int64_t k = 0; k < n_listed; k++)
            values[sorted[k] & 0xFFFFF][g] = NAN;
        int64_t k = 0;
        while (c >= 0 && k < n_listed && !s) {
            int64_t row = sorted[k] >> 20, r0 = row / CLM_BLOCK_ROWS * CLM_BLOCK_ROWS;
            int64_t m = util_block_len(ctx->n_rows, r0, CLM_BLOCK_ROWS);
            s = as_int ? clm_table_read_i64(ctx->table, c, r0, m, &block[0].i)
                       : clm_table_read_f64(ctx->table, c, r0, m, &block[0].f);
            for (; !s && k < n_listed && (sorted[k] >> 20) < r0 + m; k++) {
                int64_t slot = sorted[k] & 0xFFFFF, at = (sorted[k] >> 20) - r0;
                if (as_int)
                    ids[slot] = block[at].i;
                else
                    values[slot][g] = block[at].f;
            }
        }
        if (as_int && !s)
            *have_ids = 1;
    }
    free(block);
    return s;
}

/* The early-warning signals of a row, in words. */
static void describe_signals(const run_ctx *ctx, float arpu, const double *v, char *out, size_t cap)
{
    const clm_stage_rules *r = &ctx->stages;
    size_t used = 0;
    out[0] = '\0';
#define ADD(...) (used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, __VA_ARGS__))
    if (v[G_PREV] > 0 && arpu < (1.0 - r->arpu_drop) * v[G_PREV])
        ADD("%sARPU %+.0f%%", used ? "; " : "", 100.0 * (arpu / v[G_PREV] - 1.0));
    if (v[G_SUSP] >= r->suspensions_min)
        ADD("%s%.0f suspension%s", used ? "; " : "", v[G_SUSP], v[G_SUSP] == 1 ? "" : "s");
    if (v[G_DOWN] >= r->downgrades_min)
        ADD("%s%.0f plan downgrade%s", used ? "; " : "", v[G_DOWN], v[G_DOWN] == 1 ? "" : "s");
    if (v[G_CPREV] > 0 && v[G_CNOW] < (1.0 - r->contact_drop) * v[G_CPREV])
        ADD("%scontacts %+.0f%%", used ? "; " : "", 100.0 * (v[G_CNOW] / v[G_CPREV] - 1.0));
    if (v[G_COMPL] >= r->complaints_min)
        ADD("%s%.0f complaints", used ? "; " : "", v[G_COMPL]);
    if (!used)
        ADD("no rule signal; risk from the churn tree");
#undef ADD
}

clm_status run_write_warning_csv(run_ctx *ctx)
{
    int nb = ctx->n_branches, per = ctx->warning_per_branch;
    candidate *top = malloc((size_t)nb * (size_t)(per > 0 ? per : 1) * sizeof *top);
    int *count = calloc((size_t)nb, sizeof *count);
    if (!top || !count) {
        free(top);
        free(count);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    /* Keep the `per` best candidates of each branch, sorted, by insertion. */
    for (int64_t i = 0; i < ctx->n_rows && per > 0; i++) {
        int32_t b = ctx->branch[i];
        if (b < 0 || ctx->churned[i] || ctx->tier[i] == CLM_TIER_LOW)
            continue;
        candidate c = {ctx->probability[i], i}, *t = top + (size_t)b * per;
        int m = count[b];
        if (m == per && !before(c, t[m - 1]))
            continue;
        int j = m < per ? m : per - 1;
        while (j > 0 && before(c, t[j - 1])) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = c;
        if (m < per)
            count[b]++;
    }
    /* Listed rows in listing order, and sorted by row for the gather. */
    int64_t n_listed = 0;
    for (int b = 0; b < nb; b++)
        n_listed += count[b];
    int64_t *sorted = malloc((size_t)(n_listed ? n_listed : 1) * sizeof *sorted);
    double (*values)[N_GATHER] = malloc((size_t)(n_listed ? n_listed : 1) * sizeof *values);
    int64_t *ids = malloc((size_t)(n_listed ? n_listed : 1) * sizeof *ids);
    int have_ids = 0;
    clm_status s = CLM_OK;
    if (!sorted || !values || !ids || n_listed >= (1 << 20))
        s = clm_error(CLM_E_NOMEM, "warning list too long (%lld rows)", (long long)n_listed);
    for (int b = 0, slot = 0; b < nb && !s; b++)
        for (int k = 0; k < count[b]; k++, slot++)
            sorted[slot] = (top[(size_t)b * per + k].row << 20) | slot;
    if (!s) {
        qsort(sorted, (size_t)n_listed, sizeof *sorted, by_row);
        s = gather(ctx, sorted, n_listed, values, ids, &have_ids);
    }
    /* The rows are kept for the report's branch and segment pages. */
    ctx->warnings = s ? NULL : calloc((size_t)(n_listed ? n_listed : 1), sizeof *ctx->warnings);
    if (!s && !ctx->warnings)
        s = clm_error(CLM_E_NOMEM, "out of memory for %lld warning rows", (long long)n_listed);
    clm_textfile *tf = NULL;
    if (!s) s = run_csv_open(ctx->outdir, "warning.csv", ctx->input, ctx->csv_bom, &tf);
    if (!s) {
        FILE *f = clm_textfile_stream(tf);
        fprintf(f, "branch,rank,subscriber_id,churn_probability,tier,stage,segment,arpu,signals\n");
        for (int b = 0, slot = 0; b < nb; b++)
            for (int k = 0; k < count[b]; k++, slot++) {
                int64_t row = top[(size_t)b * per + k].row;
                char signals[512];
                describe_signals(ctx, ctx->arpu[row], values[slot], signals, sizeof signals);
                run_warning *kept = &ctx->warnings[ctx->n_warnings++];
                kept->branch = b;
                kept->rank = k + 1;
                kept->row = row;
                if (have_ids)
                    snprintf(kept->id, sizeof kept->id, "%lld", (long long)ids[slot]);
                else if (isnan(values[slot][G_ID]))
                    snprintf(kept->id, sizeof kept->id, "%lld", (long long)row); /* no id column: the row */
                else
                    snprintf(kept->id, sizeof kept->id, "%.0f", values[slot][G_ID]);
                kept->signals = strdup(signals);
                if (!kept->signals)
                    s = clm_error(CLM_E_NOMEM, "out of memory");
                run_csv_field(f, ctx->branch_names[b]);
                fprintf(f, ",%d,%s", k + 1, kept->id);
                fprintf(f, ",%.6f,%s,%s,%d,%.2f,", ctx->probability[row],
                        clm_tier_names[ctx->tier[row]], clm_stage_letters[ctx->stage[row]], ctx->segment[row],
                        ctx->arpu[row]);
                run_csv_field(f, signals);
                fputc('\n', f);
            }
        s = run_text_finish(&ctx->outputs, tf, s);
    }
    free(sorted);
    free(values);
    free(ids);
    free(top);
    free(count);
    return s;
}

clm_status run_write_text_outputs(run_ctx *ctx)
{
    clm_textfile *tf = NULL;
    clm_status s = run_text_open(ctx->outdir, "tree_rules.txt", ctx->input, &tf);
    if (!s)
        s = run_text_finish(&ctx->outputs, tf, clm_tree_write_rules(ctx->tree, clm_textfile_stream(tf)));
    const char *names[2] = {"survival_segment.csv", "survival_branch.csv"};
    clm_survival *surv[2] = {ctx->surv_segment, ctx->surv_branch};
    for (int i = 0; i < 2 && !s; i++) {
        s = run_csv_open(ctx->outdir, names[i], ctx->input, ctx->csv_bom, &tf);
        if (!s)
            s = run_text_finish(&ctx->outputs, tf, clm_survival_write_csv(surv[i], clm_textfile_stream(tf)));
    }
    return s;
}

clm_status run_write_segments_csv(run_ctx *ctx)
{
    clm_textfile *tf = NULL;
    clm_status s = run_csv_open(ctx->outdir, "segments.csv", ctx->input, ctx->csv_bom, &tf);
    if (!s)
        s = run_text_finish(&ctx->outputs, tf, clm_kmeans_write_csv(ctx->kmeans, clm_textfile_stream(tf)));
    return s;
}

clm_status run_write_reports(run_ctx *ctx)
{
    clm_status s = run_write_segments_csv(ctx);
    if (!s) s = run_write_warning_csv(ctx);
    if (!s) s = run_write_equity_csv(ctx);
    if (!s && ctx->regions) s = run_write_regions_csv(ctx);
    if (!s) s = run_write_curves_csv(ctx);
    if (!s && ctx->scenarios) s = run_write_scenario_outputs(ctx);
    if (!s && ctx->previous) s = run_write_changes_csv(ctx);
    if (!s) s = run_write_stages_csv(ctx);
    if (!s) s = run_write_text_outputs(ctx);
    return s;
}

clm_status run_write_config_used(run_ctx *ctx)
{
    clm_textfile *f = NULL;
    clm_status s = run_text_open(ctx->outdir, "config.used", ctx->input, &f);
    if (!s) {
        fprintf(clm_textfile_stream(f), "# clmseg %s: settings of the run of %s\n\n", CLMSEG_VERSION, ctx->input);
        cfg_write(ctx->config, clm_textfile_stream(f));
        s = run_text_finish(&ctx->outputs, f, CLM_OK);
    }
    return s;
}

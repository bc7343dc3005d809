/*
 * step_json.c — run.json: what ran, on what, with which versions, and how
 * long each step took with how much memory.
 *
 * The input fingerprint is the file's size and a 64-bit FNV-1a hash of its
 * first and last MiB plus the table's row count and column names: cheap on
 * a 10 GB quarter, and it changes when the data or the schema does.
 */
#include <cblas.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include "clmseg/textfile.h"
#include "clmseg/version.h"
#include "clmseg/writer.h"
#include "core/json_internal.h"
#include "io/io_internal.h"
#include "run/run_ctx.h"

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t fingerprint(const run_ctx *ctx, long long *size)
{
    uint64_t h = 1469598103934665603ULL;
    struct stat st;
    *size = stat(ctx->input, &st) == 0 ? (long long)st.st_size : -1;
    /* The first and last MiB, read through the descriptor the table
     * already holds: the run opens its input once. */
    int fd = io_table_fd(ctx->table);
    if (fd >= 0) {
        enum { MIB = 1 << 20 };
        unsigned char *buf = malloc(MIB);
        if (buf) {
            ssize_t got = pread(fd, buf, MIB, 0);
            if (got > 0)
                h = fnv1a(h, buf, (size_t)got);
            if (*size > 2 * MIB && (got = pread(fd, buf, MIB, (off_t)(*size - MIB))) > 0)
                h = fnv1a(h, buf, (size_t)got);
            free(buf);
        }
    }
    h = fnv1a(h, &ctx->n_rows, sizeof ctx->n_rows);
    for (int c = 0; c < clm_table_n_columns(ctx->table); c++) {
        const char *name = clm_table_column(ctx->table, c)->name;
        h = fnv1a(h, name, strlen(name) + 1);
    }
    return h;
}

/* "cox": the fit's figures; "equity": the company's sums and, with the
 * generator's truth, the calibration (docs/cox.md). */
static void write_equity(const run_ctx *ctx, FILE *f)
{
    if (!ctx->cox)
        return;
    clm_cox_summary sm;
    clm_cox_get_summary(ctx->cox, &sm);
    fputs("  \"cox\": {\"terms\": [", f);
    for (int j = 0; j < sm.n_terms; j++) {
        fputs(j ? ", " : "", f);
        json_put_string(f, sm.terms[j]);
    }
    fputs("], \"coef\": ", f);
    json_put_numbers(f, sm.coef, sm.n_terms);
    fputs(", \"se\": ", f);
    json_put_numbers(f, sm.se, sm.n_terms);
    fputs(", \"loglik\": ", f);
    json_put_numbers(f, (const double[]){sm.loglik_null, sm.loglik}, 2);
    json_put_member(f, "concordance", sm.concordance);
    fprintf(f, ", \"ties\": \"%s\", \"strata\": %d, \"iterations\": %d},\n",
            clm_cox_ties_name(sm.ties), (int)sm.n_strata, (int)sm.iterations);
    const run_equity_sum *c = &ctx->eq_company;
    fprintf(f, "  \"equity\": {\"active\": %lld, \"horizon\": %d", (long long)c->active,
            (int)ctx->equity_params.horizon);
    json_put_member(f, "equity", c->equity);
    json_put_member(f, "at_risk_12", c->at_risk_12);
    json_put_member(f, "expected_leavers_3", c->leave_3);
    json_put_member(f, "expected_leavers_12", c->leave_12);
    const run_calibration *cal = &ctx->calib;
    if (cal->has_truth) {
        fputs(", \"truth\": {\"active_after_3\": ", f);
        json_put_numbers(f, (const double[]){cal->pred_3, cal->true_3}, 2);
        fputs(", \"active_after_12\": ", f);
        json_put_numbers(f, (const double[]){cal->pred_12, cal->true_12}, 2);
        json_put_member(f, "worst_tier_gap", cal->worst_tier);
        json_put_member(f, "worst_branch_gap", cal->worst_branch);
        fprintf(f, ", \"branches_checked\": %d, \"deciles\": [", cal->n_branches_checked);
        for (int d = 0; d < 10; d++) {
            fprintf(f, "%s{\"rows\": %lld", d ? ", " : "", (long long)cal->decile_n[d]);
            json_put_member(f, "predicted_leave_12", cal->decile_pred[d]);
            json_put_member(f, "true_leave_12", cal->decile_true[d]);
            fputs("}", f);
        }
        fputs("]}", f);
    }
    fputs("},\n", f);
}

/* On several ranks, what step i cost each rank: the slowest and the mean
 * rank's seconds (on the steps rank 0 runs alone the others' seconds are
 * their wait), each rank's peak memory and CPU seconds, and the collectives' calls and
 * bytes summed over the ranks. */
static void write_rank_step(const run_ctx *ctx, int i, FILE *f)
{
    const int n = ctx->clock.n_steps, R = ctx->comm.size;
    double slowest = 0, sum = 0, calls = 0, bytes = 0;
    for (int r = 0; r < R; r++) {
        const run_rank_step *x = &ctx->rank_steps[(size_t)r * (size_t)n + (size_t)i];
        slowest = x->seconds > slowest ? x->seconds : slowest;
        sum += x->seconds;
        calls += x->calls;
        bytes += x->bytes;
    }
    fprintf(f, ", \"ranks\": {\"slowest_s\": %.4f, \"mean_s\": %.4f, \"peak_mb\": [", slowest, sum / R);
    for (int r = 0; r < R; r++)
        fprintf(f, "%s%.1f", r ? ", " : "", ctx->rank_steps[(size_t)r * (size_t)n + (size_t)i].peak_mb);
    fputs("], \"cpu_s\": [", f);
    for (int r = 0; r < R; r++)
        fprintf(f, "%s%.3f", r ? ", " : "", ctx->rank_steps[(size_t)r * (size_t)n + (size_t)i].cpu_s);
    fprintf(f, "], \"collective_calls\": %.0f, \"collective_bytes\": %.0f}", calls, bytes);
}

clm_status run_write_json(run_ctx *ctx)
{
    char path[4096];
    run_out_path(ctx->outdir, "run.json", path, sizeof path);
    clm_textfile *tf = NULL;
    clm_status s = clm_textfile_open(path, (const char *const[]){ctx->input, NULL}, &tf);
    if (s)
        return s;
    FILE *f = clm_textfile_stream(tf);
    long long size;
    uint64_t hash = fingerprint(ctx, &size);
    unsigned major, minor, release;
    H5get_libversion(&major, &minor, &release);
    fputs("{\n  \"input\": {\"path\": ", f);
    json_put_string(f, ctx->input);
    fprintf(f, ", \"bytes\": %lld, \"rows\": %lld, \"fingerprint\": \"%016llx\"},\n", size, (long long)ctx->n_rows,
            (unsigned long long)hash);
    fputs("  \"versions\": {\"clmseg\": \"" CLMSEG_VERSION "\", ", f);
    fprintf(f, "\"hdf5\": \"%u.%u.%u\", \"openblas\": ", major, minor, release);
    json_put_string(f, openblas_get_config());
    fputs("},\n  \"parameters\": {", f);
    for (int i = 0; run_config_keys[i].name; i++) {
        fputs(i ? ", " : "", f);
        json_put_string(f, run_config_keys[i].name);
        fputs(": ", f);
        json_put_string(f, cfg_string(ctx->config, run_config_keys[i].name));
    }
    fprintf(f, "},\n  \"results\": {\"segments\": %d, \"branches\": %d, \"stage_shares\": [", ctx->k, ctx->n_branches);
    for (int k = 0; k < CLM_N_STAGES; k++) {
        fputs(k ? ", " : "", f);
        json_put_number(f, (double)ctx->stage_count[k] / (double)ctx->n_rows);
    }
    fputs("], \"truth_stage_agreement\": ", f);
    json_put_number(f, ctx->truth_agreement);
    fprintf(f, ", \"stage_model\": \"%s\", \"stage_tree_accuracy\": ", ctx->stage_model_tree ? "tree" : "rules");
    json_put_number(f, ctx->stage_tree_accuracy);
    fputs("},\n", f);
    write_equity(ctx, f);
    fputs("  \"steps\": [", f);
    double total = 0, peak = 0;
    for (int i = 0; i < ctx->clock.n_steps; i++) {
        fprintf(f, "%s\n    {\"step\": ", i ? "," : "");
        json_put_string(f, ctx->clock.steps[i].name);
        fprintf(f, ", \"seconds\": %.4f, \"cpu_s\": %.3f, \"peak_mb\": %.1f", ctx->clock.steps[i].seconds,
                ctx->clock.steps[i].cpu_s, ctx->clock.steps[i].peak_mb);
        if (ctx->rank_steps)
            write_rank_step(ctx, i, f);
        fputc('}', f);
        total += ctx->clock.steps[i].seconds;
        if (ctx->clock.steps[i].peak_mb > peak)
            peak = ctx->clock.steps[i].peak_mb;
    }
    fprintf(f, "\n  ],\n  \"total_seconds\": %.4f,\n  \"peak_mb\": %.1f", total, peak);
    if (ctx->rank_steps)
        fprintf(f, ",\n  \"ranks\": %d", ctx->comm.size);
    fputs("\n}\n", f);
    return run_text_finish(&ctx->outputs, tf, CLM_OK);
}

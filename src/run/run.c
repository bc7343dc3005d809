/*
 * run.c — the quarterly run: step order, configuration, validation and the
 * bookkeeping of time and memory per step.  Each step lives in its own
 * file; this one only sequences them and cleans up.
 */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clmseg/run.h"
#include "clmseg/textfile.h"
#include "clmseg/version.h"
#include "clmseg/writer.h"
#include "io/io_internal.h"
#include "run/run_internal.h"

double run_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double run_peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

void run_step_begin(run_ctx *ctx, const char *name)
{
    if (ctx->n_steps < RUN_MAX_STEPS)
        ctx->steps[ctx->n_steps].name = name;
    ctx->step_started = run_now();
    if (ctx->options->progress)
        ctx->options->progress(ctx->options->progress_ctx, name, 0, 1);
}

void run_step_end(run_ctx *ctx)
{
    if (ctx->n_steps >= RUN_MAX_STEPS)
        return;
    run_step *s = &ctx->steps[ctx->n_steps++];
    s->seconds = run_now() - ctx->step_started;
    s->peak_mb = run_peak_mb();
    if (ctx->options->progress)
        ctx->options->progress(ctx->options->progress_ctx, s->name, 1, 1);
}

void run_out_path(const run_ctx *ctx, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", ctx->outdir, name);
}

const char *run_setting_or_null(const run_ctx *ctx, const char *key)
{
    const char *v = clm_config_string(ctx->config, key);
    return v && v[0] ? v : NULL;
}

clm_status run_resolve_config(run_ctx *ctx)
{
    clm_config *c = ctx->config;
    long long seed, threads, per_branch;
    clm_status s = clm_config_int(c, "run.seed", 0, INT64_MAX, &seed);
    if (!s) s = clm_config_int(c, "run.threads", 0, 4096, &threads);
    if (!s) s = clm_config_int(c, "warning.per_branch", 0, 1000000, &per_branch);
    if (!s) s = clm_config_double(c, "survival.horizon", 1, 1200, &ctx->horizon);
    if (s)
        return s;
    ctx->seed = (uint64_t)seed;
    ctx->n_threads = (int)threads;
    ctx->warning_per_branch = (int)per_branch;
    ctx->group = clm_config_string(c, "run.group");
    ctx->col_id = run_setting_or_null(ctx, "columns.id");
    ctx->event_level = run_setting_or_null(ctx, "columns.event_level");
    ctx->event_code = -1;
    ctx->col_branch = run_setting_or_null(ctx, "columns.branch");
    ctx->col_time = clm_config_string(c, "columns.time");
    ctx->col_event = clm_config_string(c, "columns.event");
    ctx->col_arpu = clm_config_string(c, "columns.arpu");
    ctx->col_arpu_prev = run_setting_or_null(ctx, "columns.arpu_prev");
    ctx->col_susp = run_setting_or_null(ctx, "columns.suspensions");
    ctx->col_down = run_setting_or_null(ctx, "columns.plan_downgrades");
    ctx->col_cnow = run_setting_or_null(ctx, "columns.contacts_now");
    ctx->col_cprev = run_setting_or_null(ctx, "columns.contacts_prev");
    ctx->col_compl = run_setting_or_null(ctx, "columns.complaints");

    clm_tier_params_default(&ctx->tiers);
    s = clm_config_double(c, "tiers.high_share", 0, 1, &ctx->tiers.high_share);
    if (!s) s = clm_config_double(c, "tiers.low_share", 0, 1, &ctx->tiers.low_share);
    if (s)
        return s;
    if (run_setting_or_null(ctx, "tiers.high_min") || run_setting_or_null(ctx, "tiers.low_max")) {
        ctx->tiers.fixed = 1;
        s = clm_config_double(c, "tiers.high_min", -1e300, 1e300, &ctx->tiers.high_min);
        if (!s) s = clm_config_double(c, "tiers.low_max", -1e300, 1e300, &ctx->tiers.low_max);
        if (s)
            return s;
    }
    s = clm_tier_params_check(&ctx->tiers);
    if (s)
        return s;

    const char *model = clm_config_string(c, "stages.model");
    if (!strcmp(model, "tree")) {
        ctx->stage_model_tree = 1;
        if (!run_setting_or_null(ctx, "stages.label_column"))
            return clm_error(CLM_E_PARAM, "stages.model = tree needs stages.label_column (the labelled stages)");
    } else if (strcmp(model, "rules") != 0) {
        return clm_error(CLM_E_PARAM, "stages.model: '%s' is not rules or tree", model);
    }
    ctx->stage_tree_accuracy = NAN;
    clm_stage_rules *r = &ctx->stages;
    s = clm_config_double(c, "stages.new_months", 0, 1e6, &r->new_months);
    if (!s) s = clm_config_double(c, "stages.arpu_drop", 0, 1, &r->arpu_drop);
    if (!s) s = clm_config_double(c, "stages.suspensions_min", 0, 1e9, &r->suspensions_min);
    if (!s) s = clm_config_double(c, "stages.downgrades_min", 0, 1e9, &r->downgrades_min);
    if (!s) s = clm_config_double(c, "stages.contact_drop", 0, 1, &r->contact_drop);
    if (!s) s = clm_config_double(c, "stages.complaints_min", 0, 1e9, &r->complaints_min);
    if (!s) s = clm_config_double(c, "stages.arpu_gain", 0, 1e6, &r->arpu_gain);
    if (!s) s = clm_stage_rules_check(r);
    if (s)
        return s;

    static const char *const wkeys[CLM_N_SCORES] = {"health.w_retention", "health.w_value", "health.w_growth",
                                                    "health.w_risk"};
    for (int k = 0; k < CLM_N_SCORES && !s; k++)
        s = clm_config_double(c, wkeys[k], 0, 1e6, &ctx->weights.weight[k]);
    if (!s) s = clm_health_weights_check(&ctx->weights);
    return s;
}

/* Checks the columns every step needs and the values of time and event
 * before any long step runs, so a bad quarter fails in seconds with the
 * first bad row named. */
clm_status run_validate(run_ctx *ctx)
{
    clm_status s = clm_table_open(ctx->input, ctx->group, &ctx->table);
    if (s)
        return s;
    ctx->n_rows = clm_table_n_rows(ctx->table);
    if (ctx->n_rows < 2)
        return clm_error(CLM_E_EMPTY, "%s: the table has %lld rows; a run needs at least 2", ctx->input,
                         (long long)ctx->n_rows);
    const char *required[] = {ctx->col_time, ctx->col_event, ctx->col_arpu};
    for (int i = 0; i < 3; i++) {
        s = clm_table_require(ctx->table, required[i], CLM_KIND_UNSUPPORTED, NULL);
        if (s)
            return s;
    }
    s = clm_table_require(ctx->table, ctx->col_time, CLM_KIND_NUMERIC, NULL);
    if (!s) s = clm_table_require(ctx->table, ctx->col_arpu, CLM_KIND_NUMERIC, NULL);
    if (s)
        return s;
    ctx->has_id = ctx->col_id && clm_table_find(ctx->table, ctx->col_id) >= 0;
    if (ctx->col_id && !ctx->has_id && strcmp(ctx->col_id, "subscriber_id") != 0)
        return clm_error(CLM_E_SCHEMA, "%s: id column '%s' is missing", ctx->input, ctx->col_id);
    int tcol = clm_table_find(ctx->table, ctx->col_time), ecol = clm_table_find(ctx->table, ctx->col_event);
    const clm_column_info *einfo = clm_table_column(ctx->table, ecol);
    if (einfo->kind == CLM_KIND_CATEGORICAL) {
        if (!ctx->event_level)
            return clm_error(CLM_E_SCHEMA, "%s: event column '%s' is categorical; name the level that means "
                             "churned with --set columns.event_level=LEVEL", ctx->input, ctx->col_event);
        for (int c = 0; c < einfo->n_categories; c++)
            if (!strcmp(einfo->categories[c], ctx->event_level))
                ctx->event_code = c;
        if (ctx->event_code < 0)
            return clm_error(CLM_E_VALUE, "%s: column '%s' has no level '%s'", ctx->input, ctx->col_event,
                             ctx->event_level);
    } else if (ctx->event_level) {
        return clm_error(CLM_E_PARAM, "columns.event_level is set but column '%s' is not categorical",
                         ctx->col_event);
    }
    /* Optional columns named in the config but absent are an error only
     * when the user named them explicitly; the defaults may be absent. */
    ctx->has_branch = ctx->col_branch && clm_table_find(ctx->table, ctx->col_branch) >= 0;
    if (ctx->col_branch && !ctx->has_branch && strcmp(ctx->col_branch, "branch") != 0)
        return clm_error(CLM_E_SCHEMA, "%s: branch column '%s' is missing", ctx->input, ctx->col_branch);

    double *t = malloc(CLM_BLOCK_ROWS * sizeof *t), *e = malloc(CLM_BLOCK_ROWS * sizeof *e);
    if (!t || !e) {
        free(t);
        free(e);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int64_t r0 = 0; r0 < ctx->n_rows && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t n = ctx->n_rows - r0 < CLM_BLOCK_ROWS ? ctx->n_rows - r0 : CLM_BLOCK_ROWS;
        s = clm_table_read_f64(ctx->table, tcol, r0, n, t);
        if (!s) s = clm_table_read_f64(ctx->table, ecol, r0, n, e);
        for (int64_t i = 0; i < n && !s; i++) {
            if (!(t[i] >= 0) || isinf(t[i]))
                s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: time %g is not a number >= 0", ctx->input,
                              ctx->col_time, (long long)(r0 + i), t[i]);
            else if (ctx->event_code >= 0 ? isnan(e[i]) : (e[i] != 0 && e[i] != 1))
                s = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: event %s", ctx->input, ctx->col_event,
                              (long long)(r0 + i), ctx->event_code >= 0 ? "is missing" : "is not 0 or 1");
        }
    }
    free(t);
    free(e);
    return s;
}

static void free_ctx(run_ctx *ctx)
{
    clm_table_close(ctx->table);
    clm_tree_free(ctx->tree);
    clm_survival_free(ctx->surv_segment);
    clm_survival_free(ctx->surv_branch);
    for (int b = 0; ctx->branch_names && b < ctx->n_branches; b++)
        free(ctx->branch_names[b]);
    free(ctx->branch_names);
    free(ctx->branch);
    free(ctx->segment);
    free(ctx->tier);
    free(ctx->stage);
    free(ctx->churned);
    free(ctx->probability);
    free(ctx->arpu);
    free(ctx->debt_count);
    free(ctx->arpu_prev_sum);
    free(ctx->arpu_prev_n);
    free(ctx->branches);
    clm_config_free(ctx->config);
}

void clm_run_write_default_config(FILE *out)
{
    clm_config *c = NULL;
    if (clm_config_create(clm_run_keys, &c) == CLM_OK)
        clm_config_write(c, out);
    clm_config_free(c);
}

clm_status clm_run(const char *input_path, const char *outdir, const clm_run_options *options)
{
    run_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.input = input_path;
    ctx.outdir = outdir;
    ctx.options = options;
    ctx.log = options->log;
    ctx.truth_agreement = NAN;
    ctx.run_started = run_now();

    clm_status s = clm_config_create(clm_run_keys, &ctx.config);
    if (!s && options->config_path)
        s = clm_config_read(ctx.config, options->config_path);
    for (int i = 0; !s && options->overrides && options->overrides[i]; i++)
        s = clm_config_set(ctx.config, options->overrides[i],
                           options->override_origins && options->override_origins[i] ? options->override_origins[i]
                                                                                     : "--set");
    if (!s) s = run_resolve_config(&ctx);
    if (!s && ctx.n_threads > 0)
        omp_set_num_threads(ctx.n_threads);
    if (!s && mkdir(outdir, 0777) != 0 && errno != EEXIST)
        s = clm_error(CLM_E_OPEN, "cannot create output folder '%s': %s", outdir, strerror(errno));
    if (!s) {
        struct stat st;
        if (stat(outdir, &st) != 0 || !S_ISDIR(st.st_mode))
            s = clm_error(CLM_E_OPEN, "output '%s' is not a folder", outdir);
    }
    if (!s) {
        run_out_path(&ctx, "results.h5", ctx.path_results, sizeof ctx.path_results);
        s = clm_io_check_inputs(ctx.path_results, (const char *const[]){input_path, NULL});
    }
    if (!s) s = clm_io_temp_name(ctx.path_results, ctx.path_segments_work, sizeof ctx.path_segments_work);

    if (!s) { run_step_begin(&ctx, "validate"); s = run_validate(&ctx); if (!s) run_step_end(&ctx); }
    if (!s) { run_step_begin(&ctx, "segments"); s = run_segments(&ctx); if (!s) run_step_end(&ctx); }
    if (!s) { run_step_begin(&ctx, "tiers+stages"); s = run_tiers_and_stages(&ctx); if (!s) run_step_end(&ctx); }
    if (!s && ctx.stage_model_tree) {
        run_step_begin(&ctx, "stage tree");
        s = run_stage_tree(&ctx);
        if (!s) run_step_end(&ctx);
    }
    if (!s) { run_step_begin(&ctx, "churn tree"); s = run_churn_tree(&ctx); if (!s) run_step_end(&ctx); }
    if (!s) { run_step_begin(&ctx, "survival"); s = run_survival(&ctx); if (!s) run_step_end(&ctx); }
    if (!s) { run_step_begin(&ctx, "branch health"); s = run_branches(&ctx); if (!s) run_step_end(&ctx); }
    if (!s) { run_step_begin(&ctx, "results.h5"); s = run_write_results(&ctx); if (!s) run_step_end(&ctx); }
    if (!s) {
        run_step_begin(&ctx, "reports");
        s = run_write_branches_csv(&ctx);
        if (!s) s = run_write_warning_csv(&ctx);
        if (!s) run_step_end(&ctx);
        /* The report and run.json show the reports step too. */
        if (!s) s = run_write_report(&ctx);
        if (!s) s = run_write_json(&ctx);
    }
    if (!s) {
        char path[4096];
        run_out_path(&ctx, "config.used", path, sizeof path);
        clm_textfile *f = NULL;
        s = clm_textfile_open(path, (const char *const[]){input_path, NULL}, &f);
        if (!s) {
            fprintf(clm_textfile_stream(f), "# clmseg %s: settings of the run of %s\n\n", CLMSEG_VERSION, input_path);
            clm_config_write(ctx.config, clm_textfile_stream(f));
            s = clm_textfile_commit(f);
        }
    }
    if (ctx.path_segments_work[0]) {
        unlink(ctx.path_segments_work);
        clm_io_temp_release(ctx.path_segments_work);
    }
    free_ctx(&ctx);
    return s;
}

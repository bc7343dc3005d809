/*
 * run.c — the quarterly run: a table of steps, run in order on one
 * context (docs/design.md §11).  Each step lives in its own file
 * (step_*.c); the settings in run_settings.c, the timing and paths in
 * run_base.c.  This file only prepares, sequences and cleans up.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clmseg/run.h"
#include "clmseg/textfile.h"
#include "clmseg/version.h"
#include "clmseg/writer.h"
#include "core/comm_internal.h"
#include "io/io_internal.h"
#include "run/run_ctx.h"
#include "run/run_regions.h"

static void free_ctx(run_ctx *ctx)
{
    run_outputs_discard(&ctx->outputs); /* what a failed run had written */
    if (ctx->outdir_fd >= 0)
        close(ctx->outdir_fd); /* releases the folder's lock */
    clm_table_close(ctx->table);
    clm_tree_free(ctx->tree);
    clm_survival_free(ctx->surv_segment);
    clm_survival_free(ctx->surv_branch);
    for (int b = 0; ctx->branch_names && b < ctx->n_branches; b++)
        free(ctx->branch_names[b]);
    free(ctx->branch_names);
    free(ctx->branch);
    clm_kmeans_free(ctx->kmeans);
    clm_lifecycle_free(ctx->lifecycle);
    free(ctx->rank_steps);
    free(ctx->kmeans_features);
    free(ctx->tree_features);
    free(ctx->tier);
    free(ctx->stage);
    free(ctx->churned);
    free(ctx->decline);
    free(ctx->probability);
    free(ctx->arpu);
    free(ctx->debt_count);
    free(ctx->arpu_prev_sum);
    free(ctx->arpu_prev_n);
    free(ctx->branches);
    run_regions_free(ctx->regions);
    clm_cox_free(ctx->cox);
    clm_equity_free(ctx->equity);
    clm_equity_free(ctx->equity_here);
    free(ctx->segment_match);
    for (int i = 0; i < ctx->n_rank_rows; i++)
        for (int j = 0; j < ctx->rank_rows[i].n_columns; j++)
            free(ctx->rank_rows[i].owned[j]);
    free(ctx->eq_branch);
    free(ctx->eq_segment);
    free(ctx->cox_features);
    clm_plan_free(ctx->plan);
    clm_scenario_result_free(ctx->scenarios);
    run_previous_release(ctx);
    run_lifecycle_free(&ctx->life);
    for (int64_t i = 0; i < ctx->n_warnings; i++)
        free(ctx->warnings[i].signals);
    free(ctx->warnings);
    cfg_free(ctx->config);
}

void clm_run_write_default_config(FILE *out)
{
    cfg_config *c = NULL;
    if (cfg_create(run_config_keys, &c) == CLM_OK)
        cfg_write(c, out);
    cfg_free(c);
}

/* The steps in order.  `when` (may be NULL) says whether the step runs;
 * `timed` steps get a line in run.json (and in the report, those before it).
 * Under mpirun (docs/design.md §7) the steps marked `ranks` run on every
 * rank, each on its own rows, and rank 0 gathers what the later steps
 * need (each rank keeps its rows of results.h5's per-row columns, which
 * it writes itself in the results.h5 step); every other step runs on
 * rank 0 alone, on every row, with the serial code, while the other ranks
 * wait without spinning (comm_wait_root).  Only rank 0 evaluates `when`
 * of those. */
typedef struct run_step_def {
    const char *name;
    clm_status (*run)(run_ctx *ctx);
    int (*when)(const run_ctx *ctx);
    int timed;
    int ranks;
} run_step_def;

/* Every rank's figures of every timed step, to rank 0 for run.json (on
 * several ranks only: one process has its own in ctx->clock). */
static clm_status run_gather_rank_steps(run_ctx *ctx)
{
    if (!comm_is_parallel(&ctx->comm))
        return CLM_OK;
    const int n = ctx->clock.n_steps;
    run_rank_step mine[RUN_MAX_STEPS];
    for (int i = 0; i < n; i++)
        mine[i] = (run_rank_step){ctx->clock.steps[i].seconds, ctx->clock.steps[i].cpu_s, ctx->clock.steps[i].peak_mb,
                                  ctx->clock.steps[i].calls, ctx->clock.steps[i].bytes};
    const int64_t n_all = (int64_t)n * ctx->comm.size;
    if (ctx->root && !(ctx->rank_steps = malloc(sizeof(run_rank_step) * (size_t)(n_all + 1))))
        return comm_agree(&ctx->comm, clm_error(CLM_E_NOMEM, "out of memory"));
    clm_status s = comm_agree(&ctx->comm, CLM_OK);
    if (!s)
        s = comm_gather_rows(&ctx->comm, mine, n, sizeof(run_rank_step), ctx->rank_steps, n_all);
    return s;
}

static int stage_tree_wanted(const run_ctx *ctx) { return ctx->stage_model_tree; }
static int cox_wanted(const run_ctx *ctx) { return ctx->cox_enabled; }
static int plan_wanted(const run_ctx *ctx) { return ctx->plan != NULL; }
static int regions_wanted(const run_ctx *ctx) { return ctx->regions != NULL; }
static int previous_wanted(const run_ctx *ctx) { return ctx->previous_dir != NULL; }

static const run_step_def run_steps[] = {
    {"previous run", run_read_previous, previous_wanted, 1, 0},
    {"validate", run_validate, NULL, 1, 1},
    {"segments", run_segments, NULL, 1, 1},
    /* before any other step reads a segment number */
    {"segment names", run_label_segments, NULL, 1, 0},
    {"tiers+stages", run_tiers_and_stages, NULL, 1, 1},
    {"stage tree", run_stage_tree, stage_tree_wanted, 1, 0},
    {"churn tree", run_churn_tree, NULL, 1, 1},
    {"survival", run_survival, NULL, 1, 1},
    {"cox+equity", run_equity, cox_wanted, 1, 1},
    {"branch health", run_branches, NULL, 1, 0},
    {"scenarios", run_scenarios, plan_wanted, 1, 0},
    {"region health", run_region_health, regions_wanted, 1, 0},
    {"lifecycle curves", run_lifecycle_tables, NULL, 1, 1},
    {"results.h5", run_write_results, NULL, 1, 1},
    {"branches.csv", run_write_branches_csv, NULL, 1, 0},
    {"reports", run_write_reports, NULL, 1, 0},
    /* The report shows every step above; run.json those and the report's
     * own (bench/bench_report.c reads it). */
    {"report.html", run_write_report, NULL, 1, 0},
    {"rank figures", run_gather_rank_steps, NULL, 0, 1},
    {"run.json", run_write_json, NULL, 0, 0},
    {"config.used", run_write_config_used, NULL, 0, 0},
};

/* Rank 0's share of the rows of the steps every rank runs, on R ranks.
 * Rank 0 also runs every other step alone, on every row (run_steps), and
 * within the steps of every rank it gathers the others' rows, hands them
 * their keys and sums the equity by group; on 2,000,000 rows its steps
 * alone cost 0.05-0.06 of what the steps of every rank cost one rank
 * (run.json's cpu_s: 0.27-0.35 s against 5.0-6.1 s), and with its work
 * inside those steps the ranks were busy alike at s = 0.06 on 2 ranks
 * and 0.09 on 4 (bench runs: on 4 ranks rank 0 the busiest at 0.06, the
 * least busy at 0.12): s = 0.08.  With that serial part s, rank 0
 * finishes with the others when its share w of a rank's rows solves
 * s + w/(w + R - 1) = 1/(w + R - 1): w = (1 - s (R - 1)) / (1 + s), 0.85
 * of another rank's on 2 ranks, 0.70 on 4; at least a quarter (the
 * formula falls below that from 11 ranks, and to nothing from 14, where
 * rank 0's own steps alone outlast another rank's rows: the serial steps
 * must move to the ranks).  The results do not depend on it: every
 * estimator combines whole chunks in table order (docs/design.md §7). */
#define RUN_ROOT_SERIAL 0.08

static int root_share(int ranks)
{
    const double w = (1.0 - RUN_ROOT_SERIAL * (ranks - 1)) / (1.0 + RUN_ROOT_SERIAL);
    return w < 0.25 ? 250 : w > 1.0 ? 1000 : (int)(1000.0 * w);
}

/* One run at a time in an output folder: an exclusive lock on the folder
 * itself (no lock file to leave behind), held until the run ends and
 * released by the kernel however the process dies, so a killed run never
 * blocks the next one.  A second run fails at once instead of mixing its
 * outputs with the first one's. */
static clm_status lock_outdir(run_ctx *ctx)
{
    ctx->outdir_fd = open(ctx->outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ctx->outdir_fd < 0)
        return clm_error(CLM_E_OPEN, "cannot open output folder '%s': %s", ctx->outdir, strerror(errno));
    if (flock(ctx->outdir_fd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        return clm_error(CLM_E_OPEN, "output folder '%s' %s", ctx->outdir,
                         busy ? "is in use by another clmseg run; wait for it or choose another folder"
                              : "cannot be locked");
    }
    return CLM_OK;
}

/* The input as it was when the run started, to see at the end whether it
 * changed under the run (rewritten, truncated, replaced). */
static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static clm_status check_input_unchanged(const run_ctx *ctx, const struct stat *before)
{
    struct stat now, held;
    int fd = ctx->table ? io_table_fd(ctx->table) : -1;
    if (stat(ctx->input, &now) != 0 || !same_file(before, &now) ||
        (fd >= 0 && (fstat(fd, &held) != 0 || !same_file(before, &held))))
        return clm_error(CLM_E_IO, "input '%s' changed while the run read it (rewritten, "
                         "truncated or replaced): the results would mix two files, so nothing "
                         "was written; run again on a file that stays put", ctx->input);
    return CLM_OK;
}

/* The settings: every key resolved and checked (every rank makes them). */
static clm_status prepare_settings(run_ctx *ctx, const clm_run_options *options)
{
    clm_status s = cfg_create(run_config_keys, &ctx->config);
    if (!s && options->config_path)
        s = cfg_read(ctx->config, options->config_path);
    for (int i = 0; !s && options->overrides && options->overrides[i]; i++)
        s = cfg_set(ctx->config, options->overrides[i],
                           options->override_origins && options->override_origins[i] ? options->override_origins[i]
                                                                                     : "--set");
    if (!s) s = run_resolve_config(ctx);
    return s;
}

/* The input, opened on every rank for the first step (validate), the
 * run's one open of it.  Without the column cache but on rank 0, which the
 * validate step turns on: the other ranks read each column of their own
 * rows once, where the cache would load every row of it. */
static clm_status open_table_here(run_ctx *ctx)
{
    return clm_table_open(ctx->input, ctx->group, &ctx->table);
}

/* The settings, then (rank 0) the output folder and the check that no
 * output would overwrite the input: everything that can fail before the
 * first step. */
static clm_status prepare(run_ctx *ctx, const clm_run_options *options)
{
    clm_status s = prepare_settings(ctx, options);
    if (!s && mkdir(ctx->outdir, 0777) != 0 && errno != EEXIST)
        s = clm_error(CLM_E_OPEN, "cannot create output folder '%s': %s", ctx->outdir, strerror(errno));
    if (!s) {
        struct stat st;
        if (stat(ctx->outdir, &st) != 0 || !S_ISDIR(st.st_mode))
            s = clm_error(CLM_E_OPEN, "output '%s' is not a folder", ctx->outdir);
    }
    if (!s)
        s = lock_outdir(ctx);
    run_out_path(ctx->outdir, "results.h5", ctx->path_results, sizeof ctx->path_results);
    for (int k = 0; !s && run_output_names[k]; k++) {
        char path[4096];
        run_out_path(ctx->outdir, run_output_names[k], path, sizeof path);
        s = io_check_inputs(path, (const char *const[]){ctx->input, NULL});
    }
    if (!s)
        run_remove_leftovers(ctx->outdir, ctx->log);
    return s;
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
    ctx.outdir_fd = -1;
    run_clock_start(&ctx.clock);

    ctx.comm = comm_world();
    if (comm_is_parallel(&ctx.comm))
        ctx.comm.root_share = root_share(ctx.comm.size);
    ctx.root = ctx.comm.rank == 0;
    clm_status s = ctx.root ? prepare(&ctx, options) : prepare_settings(&ctx, options);
    s = comm_agree(&ctx.comm, s);
    struct stat input_before;
    if (!s && ctx.root && stat(input_path, &input_before) != 0)
        s = clm_error(CLM_E_OPEN, "cannot open '%s': %s", input_path, strerror(errno));
    s = comm_agree(&ctx.comm, s);
    const size_t n_steps = sizeof run_steps / sizeof run_steps[0];
    for (size_t i = 0; i < n_steps && !s; i++) {
        const run_step_def *step = &run_steps[i];
        const int here = step->ranks || ctx.root;
        /* Whether the step runs: rank 0 says for the steps it alone runs,
         * so that every rank keeps the same list of timed steps. */
        int wanted = !step->when || !here || step->when(&ctx);
        if (!step->ranks)
            s = comm_bcast(&ctx.comm, &wanted, sizeof wanted, 0);
        if (s || !wanted)
            continue;
        /* Every rank opens the input for the first step it runs, the
         * validate step (every rank agrees either way). */
        if (step->ranks)
            s = comm_agree(&ctx.comm, ctx.table ? CLM_OK : open_table_here(&ctx));
        if (s)
            break;
        if (step->timed)
            run_clock_begin(&ctx.clock, step->name);
        if (options->progress && ctx.root)
            options->progress(options->progress_ctx, step->name, 0, 1);
        /* Rank 0's cache keeps the columns its own steps read on every
         * row; a step of every rank reads rank 0's rows alone. */
        const int hold = step->ranks && ctx.root && comm_is_parallel(&ctx.comm);
        if (hold)
            io_table_hold_cache(ctx.table, 1);
        if (here)
            s = step->run(&ctx);
        if (hold)
            io_table_hold_cache(ctx.table, 0);
        s = step->ranks ? comm_agree(&ctx.comm, s) : comm_wait_root(&ctx.comm, s);
        if (!s && step->timed)
            run_clock_end(&ctx.clock);
        if (!s && options->progress && ctx.root)
            options->progress(options->progress_ctx, step->name, 1, 1);
    }
    /* Every output is complete on disk: only the renames are left, once
     * the input is known to be the file the run started with.  The
     * interrupting signals wait until the renames are done (their handler
     * would remove the outputs not yet renamed, leaving a mix of two runs
     * in OUTDIR); only SIGKILL can still cut the sequence short. */
    if (!s && ctx.root)
        s = check_input_unchanged(&ctx, &input_before);
    if (!s && ctx.root) {
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigprocmask(SIG_BLOCK, &block, &old);
        s = run_outputs_publish(&ctx.outputs, ctx.outdir);
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    s = comm_wait_root(&ctx.comm, s);
    free_ctx(&ctx);
    return s;
}

/*
 * cmd_kmeans.c — `clmseg kmeans data.h5 -o results.h5 [options]`: the
 * command-line front of the k-means estimator (include/clmseg/kmeans.h):
 * open, clm_kmeans_fit_table, clm_kmeans_save, clm_kmeans_write_csv.
 *
 * Under mpirun (the MPI build, docs/design.md §7) every rank opens the
 * input and clusters its own rows (km_fit_table_ranks); rank 0, which then
 * holds every row's label, writes the outputs and prints, and the ranks
 * agree on the outcome so that all exit with the same code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "core/comm_internal.h"
#include "io/io_internal.h"
#include "core/util_internal.h"
#include "kmeans/kmeans_ranks.h"
#include "io/io_table_ranks.h"

static const char *const kmeans_usage =
    "usage: clmseg kmeans data.h5 -o results.h5 [options]\n"
    "\n"
    "Segments subscribers with k-means; writes /segments to results.h5 and\n"
    "segments.csv beside it, and prints the segment profile.\n"
    "\n"
    "  --k K | auto | auto:LO-HI   clusters (default 8; auto = auto:2-10,\n"
    "                              chosen by the mean silhouette of a sample)\n"
    "  --features a,b,c            feature columns (default: every numeric\n"
    "                              column but id, time, event and weight)\n"
    "  --no-scale                  do not z-score the features\n"
    "  --missing fail|drop|impute  rows with NaN/Inf features (default fail)\n"
    "  --init auto|k-means++|k-means|||random   seeding (default auto = k-means++)\n"
    "  --n-init R                  restarts, lowest inertia kept (default 1)\n"
    "  --max-iter I                (default 300)\n"
    "  --tol T                     shift tolerance x mean variance (default 1e-4)\n"
    "  --product auto|sgemm|fused  how the distances are computed (default auto:\n"
    "                              fused kernel for k <= 8, else cblas_sgemm)\n"
    "  --sample-weight COLUMN      weight of each row\n"
    "  --sample N                  rows of the k-selection sample (default 4000)\n"
    "  --group G                   table group (default /subscribers)\n"
    "  --id C --time C --event C --arpu C   column names (defaults subscriber_id,\n"
    "                              tenure_months, churned, arpu)\n"
    "  --csv PATH                  profile CSV (default: segments.csv beside -o)\n"
    "  --threads T  --quiet  --seed X  -h\n";

static int parse_k(const char *text, clm_kmeans_params *p)
{
    if (!strcmp(text, "auto")) {
        p->k = 0;
        return 0;
    }
    if (!strncmp(text, "auto:", 5)) {
        int lo = 0, hi = 0, used = 0;
        if (sscanf(text + 5, "%d-%d%n", &lo, &hi, &used) != 2 || text[5 + used] != '\0' ||
            lo < 1 || hi < lo || hi > 1000)
            return cli_usage_error("kmeans", "--k: '%s' is not auto:LO-HI with 1 <= LO <= HI <= 1000", text);
        p->k = 0;
        p->k_min = lo;
        p->k_max = hi;
        return 0;
    }
    int64_t k;
    if (cli_parse_i64("kmeans", "--k", text, 1, 100000, &k))
        return 1;
    p->k = (int32_t)k;
    return 0;
}

enum {
    OPT_K = CLI_OPT_FIRST, OPT_FEATURES, OPT_NO_SCALE, OPT_MISSING, OPT_INIT, OPT_PRODUCT,
    OPT_N_INIT, OPT_MAX_ITER, OPT_SAMPLE, OPT_TOL, OPT_SAMPLE_WEIGHT, OPT_GROUP, OPT_ID,
    OPT_TIME, OPT_EVENT, OPT_ARPU, OPT_CSV
};

static const struct option kmeans_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"k", required_argument, NULL, OPT_K},
    {"features", required_argument, NULL, OPT_FEATURES},
    {"no-scale", no_argument, NULL, OPT_NO_SCALE},
    {"missing", required_argument, NULL, OPT_MISSING},
    {"init", required_argument, NULL, OPT_INIT},
    {"product", required_argument, NULL, OPT_PRODUCT},
    {"n-init", required_argument, NULL, OPT_N_INIT},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"tol", required_argument, NULL, OPT_TOL},
    {"sample-weight", required_argument, NULL, OPT_SAMPLE_WEIGHT},
    {"group", required_argument, NULL, OPT_GROUP},
    {"id", required_argument, NULL, OPT_ID},
    {"time", required_argument, NULL, OPT_TIME},
    {"event", required_argument, NULL, OPT_EVENT},
    {"arpu", required_argument, NULL, OPT_ARPU},
    {"csv", required_argument, NULL, OPT_CSV},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

/* One option of the command line into the params; 0, or 1 after a usage
 * error. */
typedef struct kmeans_where {
    clm_kmeans_columns columns;
    const char *group, *csv, *output, *features_text;
} kmeans_where;

static int kmeans_option(int c, const char *v, clm_kmeans_params *p, kmeans_where *w)
{
    switch (c) {
    case 'o': w->output = v; return 0;
    case OPT_K: return parse_k(v, p);
    case OPT_FEATURES: w->features_text = v; return 0;
    case OPT_NO_SCALE: p->scale = 0; return 0;
    case OPT_MISSING:
        if (!strcmp(v, "fail"))
            p->missing = CLM_MISSING_FAIL;
        else if (!strcmp(v, "drop"))
            p->missing = CLM_MISSING_DROP;
        else if (!strcmp(v, "impute"))
            p->missing = CLM_MISSING_IMPUTE;
        else
            return cli_usage_error("kmeans", "--missing: '%s' is not fail, drop or impute", v);
        return 0;
    case OPT_INIT:
        if (!strcmp(v, "auto"))
            p->init = CLM_KMEANS_INIT_AUTO;
        else if (!strcmp(v, "k-means++") || !strcmp(v, "kmeans++") || !strcmp(v, "plusplus"))
            p->init = CLM_KMEANS_INIT_PLUSPLUS;
        else if (!strcmp(v, "k-means||") || !strcmp(v, "parallel"))
            p->init = CLM_KMEANS_INIT_PARALLEL;
        else if (!strcmp(v, "random"))
            p->init = CLM_KMEANS_INIT_RANDOM;
        else
            return cli_usage_error("kmeans", "--init: '%s' is not auto, k-means++, k-means|| (or parallel) or random", v);
        return 0;
    case OPT_PRODUCT:
        if (!strcmp(v, "auto"))
            p->product = CLM_KMEANS_PRODUCT_AUTO;
        else if (!strcmp(v, "sgemm") || !strcmp(v, "blas"))
            p->product = CLM_KMEANS_PRODUCT_SGEMM;
        else if (!strcmp(v, "fused"))
            p->product = CLM_KMEANS_PRODUCT_FUSED;
        else
            return cli_usage_error("kmeans", "--product: '%s' is not auto, sgemm or fused", v);
        return 0;
    case OPT_N_INIT: return cli_parse_int("kmeans", "--n-init", v, 1, 1000, &p->n_init) != 0;
    case OPT_MAX_ITER: return cli_parse_int("kmeans", "--max-iter", v, 1, 1000000, &p->max_iter) != 0;
    case OPT_SAMPLE: return cli_parse_i64("kmeans", "--sample", v, 2, 1000000, &p->select_sample) != 0;
    case OPT_TOL: return cli_parse_f64("kmeans", "--tol", v, 0.0, 1e300, &p->tol) != 0;
    case OPT_SAMPLE_WEIGHT: w->columns.weight = v; return 0;
    case OPT_GROUP: w->group = v; return 0;
    case OPT_ID: w->columns.id = v; return 0;
    case OPT_TIME: w->columns.time = v; return 0;
    case OPT_EVENT: w->columns.event = v; return 0;
    case OPT_ARPU: w->columns.arpu = v; return 0;
    case OPT_CSV: w->csv = v; return 0;
    default: return 1; /* CLI_OPT_ERROR: already reported */
    }
}

/* The command as a composition of the estimator: open, fit, save the
 * model and the profile CSV (both atomic, and renamed only when both are
 * complete on disk), print. */
static clm_status run_kmeans(const clm_kmeans_params *p, const clm_kmeans_columns *cols,
                             const char *group, const char *input, const char *output,
                             const char *csv_path, FILE *report)
{
    const char *inputs[] = {input, NULL};
    char *beside = csv_path ? NULL : util_path_beside(output, "segments.csv");
    if (!csv_path && !beside)
        return clm_error(CLM_E_NOMEM, "k-means: out of memory");
    const comm_ctx world = comm_world();
    const int root = world.rank == 0;
    clm_table *table = NULL;
    clm_kmeans *model = NULL;
    clm_writer *writer = NULL;
    clm_textfile *csv = NULL;
    clm_status st = io_table_open_ranks(&world, input, group, &table);
    if (!st) st = km_fit_table_ranks(p, cols, table, &world, &model);
    clm_table_close(table);
    const int fitted = st == CLM_OK; /* every rank alike: the fit agrees */
    /* Rank 0 writes the files; then every rank its own rows of the
     * per-row columns, into the closed results file; then rank 0 renames. */
    if (!st && root) {
        st = clm_writer_create(output, inputs, &writer);
        if (!st) st = clm_kmeans_save(model, writer, "/segments");
        if (!st) st = clm_textfile_open(csv_path ? csv_path : beside, inputs, &csv);
        if (!st) st = clm_textfile_close(csv, clm_kmeans_write_csv(model, clm_textfile_stream(csv)));
        if (!st) st = clm_writer_close(writer);
    }
    if (fitted)
        st = comm_agree(&world, st);
    if (fitted && !st)
        st = km_save_rank_rows(model, &world, root ? io_writer_temp_path(writer) : NULL, "/segments");
    /* Both are complete on disk: only the renames are left. */
    if (!st && root) {
        st = clm_writer_commit(writer);
        writer = NULL;
    }
    if (!st && root) {
        st = clm_textfile_commit(csv);
        csv = NULL;
    }
    if (!st && report && root)
        clm_kmeans_print(model, report);
    clm_writer_abort(writer);
    clm_textfile_abort(csv);
    clm_kmeans_free(model);
    free(beside);
    /* A failed fit is already agreed (the same st on every rank); after
     * it, rank 0's outcome is everyone's. */
    return fitted ? comm_agree(&world, st) : st;
}

int cmd_kmeans(int argc, char **argv)
{
    cli_common common;
    cli_common_default(&common);
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    const char *input = NULL;
    kmeans_where w = {0};
    clm_kmeans_columns_default(&w.columns);
    cli_parser parser;
    cli_parser_init(&parser, "kmeans", argc, argv, "o:", kmeans_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        if (c == 'h') {
            fputs(kmeans_usage, stdout);
            return 0;
        }
        if (kmeans_option(c, optarg, &p, &w))
            return 1;
    }
    if (cli_positionals("kmeans", argc, argv, &input, 1))
        return 1;
    if (!input)
        return cli_usage_error("kmeans", "missing the input file");
    if (!w.output)
        return cli_usage_error("kmeans", "missing -o results.h5");
    char **features = NULL;
    if (w.features_text) {
        int n_features = 0;
        features = util_split_list(w.features_text, &n_features);
        if (!features)
            return cli_fail("kmeans", clm_error(CLM_E_NOMEM, "out of memory"));
        if (n_features == 0) {
            free(features);
            return cli_usage_error("kmeans", "--features: no column names given");
        }
        w.columns.features = (const char *const *)features;
    }
    p.seed = common.seed;
    p.n_threads = common.n_threads;
    cli_progress_state progress;
    cli_progress_init(&progress, common.quiet);
    /* One progress line for all ranks: rank 0's. */
    p.progress = comm_world().rank == 0 ? cli_progress : NULL;
    p.progress_ctx = &progress;
    clm_status st = run_kmeans(&p, &w.columns, w.group, input, w.output, w.csv, common.quiet ? NULL : stdout);
    free(features);
    return st ? cli_fail("kmeans", st) : 0;
}

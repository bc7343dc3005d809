/*
 * cmd_kmeans.c — `clmseg kmeans data.h5 -o results.h5 [options]`: the
 * command-line front of clm_kmeans_run (include/clmseg/kmeans.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "core/util_internal.h"

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
static int kmeans_option(int c, const char *v, clm_kmeans_params *p, const char **output,
                         const char **features_text)
{
    switch (c) {
    case 'o': *output = v; return 0;
    case OPT_K: return parse_k(v, p);
    case OPT_FEATURES: *features_text = v; return 0;
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
    case OPT_SAMPLE_WEIGHT: p->weight_column = v; return 0;
    case OPT_GROUP: p->group = v; return 0;
    case OPT_ID: p->id_column = v; return 0;
    case OPT_TIME: p->time_column = v; return 0;
    case OPT_EVENT: p->event_column = v; return 0;
    case OPT_ARPU: p->arpu_column = v; return 0;
    case OPT_CSV: p->segments_csv = v; return 0;
    default: return 1; /* CLI_OPT_ERROR: already reported */
    }
}

int cmd_kmeans(int argc, char **argv)
{
    cli_common common;
    cli_common_default(&common);
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    const char *input = NULL, *output = NULL, *features_text = NULL;
    cli_parser parser;
    cli_parser_init(&parser, "kmeans", argc, argv, "o:", kmeans_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        if (c == 'h') {
            fputs(kmeans_usage, stdout);
            return 0;
        }
        if (kmeans_option(c, optarg, &p, &output, &features_text))
            return 1;
    }
    if (cli_positionals("kmeans", argc, argv, &input, 1))
        return 1;
    if (!input)
        return cli_usage_error("kmeans", "missing the input file");
    if (!output)
        return cli_usage_error("kmeans", "missing -o results.h5");
    char **features = NULL;
    if (features_text) {
        int n_features = 0;
        features = util_split_list(features_text, &n_features);
        if (!features)
            return cli_fail("kmeans", clm_error(CLM_E_NOMEM, "out of memory"));
        if (n_features == 0) {
            free(features);
            return cli_usage_error("kmeans", "--features: no column names given");
        }
        p.features = (const char **)features;
    }
    p.seed = common.seed;
    p.n_threads = common.n_threads;
    cli_progress_state progress;
    cli_progress_init(&progress, common.quiet);
    p.progress = cli_progress;
    p.progress_ctx = &progress;
    clm_status st = clm_kmeans_run(&p, input, output, common.quiet ? NULL : stdout);
    free(features);
    return st ? cli_fail("kmeans", st) : 0;
}

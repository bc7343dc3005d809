/*
 * cmd_run.c — `clmseg run data.h5 -o OUTDIR [--config FILE] [flags]`: the
 * whole quarter.  Flags become configuration overrides, applied after the
 * file, and are named in messages and in config.used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/run.h"
#include "cli/cli_internal.h"
#include "core/util_internal.h"

static const char *const usage =
    "usage: clmseg run data.h5 -o OUTDIR [--config FILE] [--set section.key=value]...\n"
    "                  [--k K] [--branch COLUMN] [--horizon H] [--max-depth D]\n"
    "                  [--previous LAST_RUNDIR] [--lang en|zh] [--csv-bom] [--seed X]\n"
    "                  [--threads T] [--quiet]\n"
    "       clmseg run --print-config      (the default configuration, documented)\n"
    "  Runs the quarter: validation, k-means segments, value tiers, lifecycle\n"
    "  stages, the churn tree, survival and LTV by segment and branch, branch\n"
    "  health scores; writes results.h5, segments.csv, branches.csv,\n"
    "  warning.csv, survival_*.csv, lifecycle_*.csv, tree_rules.txt,\n"
    "  report.html, run.json and config.used into OUTDIR.  --previous\n"
    "  LAST_RUNDIR (run.previous): last quarter's output folder; segments are\n"
    "  renumbered to continue its segments, and changes.csv compares every\n"
    "  branch.  --lang zh writes the report in Simplified Chinese; --csv-bom\n"
    "  starts every CSV with a UTF-8 byte-order mark.  A config file with\n"
    "  [scenario NAME] or [budget] sections (or strategy.plan) adds the\n"
    "  strategy scenarios (docs/strategy.md).  See docs/run.md.\n";

/* Command-line flags and the configuration key each one sets; option id
 * OPT_FLAG + i is flag_keys[i]. */
static const struct {
    const char *flag, *key;
} flag_keys[] = {
    {"--k", "kmeans.k"},
    {"--branch", "columns.branch"},
    {"--horizon", "survival.horizon"},
    {"--max-depth", "tree.max_depth"},
    {"--group", "run.group"},
    {"--previous", "run.previous"},
    {"--lang", "report.lang"},
};

enum { OPT_PRINT_CONFIG = CLI_OPT_FIRST, OPT_CONFIG, OPT_SET, OPT_CSV_BOM, OPT_FLAG };

static const struct option run_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"set", required_argument, NULL, OPT_SET},
    {"k", required_argument, NULL, OPT_FLAG + 0},
    {"branch", required_argument, NULL, OPT_FLAG + 1},
    {"horizon", required_argument, NULL, OPT_FLAG + 2},
    {"max-depth", required_argument, NULL, OPT_FLAG + 3},
    {"group", required_argument, NULL, OPT_FLAG + 4},
    {"previous", required_argument, NULL, OPT_FLAG + 5},
    {"lang", required_argument, NULL, OPT_FLAG + 6},
    {"csv-bom", no_argument, NULL, OPT_CSV_BOM},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_run(int argc, char **argv)
{
    const char *input = NULL, *outdir = NULL, *config = NULL;
    cli_common common;
    cli_common_default(&common);
    /* At most one override per argument, plus --seed and --threads. */
    char **overrides = calloc((size_t)argc + 4, sizeof *overrides);
    const char **origins = calloc((size_t)argc + 4, sizeof *origins);
    int n_over = 0, rc = 0;
    if (!overrides || !origins) {
        free(overrides);
        free(origins);
        return cli_fail("run", clm_error(CLM_E_NOMEM, "out of memory"));
    }
    cli_parser parser;
    cli_parser_init(&parser, "run", argc, argv, "o:", run_options, &common);
    for (int c; !rc && (c = cli_parser_next(&parser)) != -1;) {
        const int n_flags = (int)(sizeof flag_keys / sizeof flag_keys[0]);
        if (c >= OPT_FLAG && c < OPT_FLAG + n_flags) {
            const char *key = flag_keys[c - OPT_FLAG].key;
            size_t len = strlen(key) + strlen(optarg) + 2;
            if (!(overrides[n_over] = malloc(len))) {
                rc = cli_fail("run", clm_error(CLM_E_NOMEM, "out of memory"));
                break;
            }
            snprintf(overrides[n_over], len, "%s=%s", key, optarg);
            origins[n_over++] = flag_keys[c - OPT_FLAG].flag;
            continue;
        }
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            rc = -1;
            break;
        case OPT_PRINT_CONFIG:
            clm_run_write_default_config(stdout);
            rc = -1;
            break;
        case 'o':
            outdir = optarg;
            break;
        case OPT_CONFIG:
            config = optarg;
            break;
        case OPT_CSV_BOM:
            overrides[n_over] = util_strdup("report.csv_bom=yes");
            if (!overrides[n_over])
                rc = cli_fail("run", clm_error(CLM_E_NOMEM, "out of memory"));
            else
                origins[n_over++] = "--csv-bom";
            break;
        case OPT_SET:
            if (!(overrides[n_over] = util_strdup(optarg)))
                rc = cli_fail("run", clm_error(CLM_E_NOMEM, "out of memory"));
            else
                origins[n_over++] = "--set";
            break;
        default:
            rc = 1;
            break;
        }
    }
    if (!rc)
        rc = cli_positionals("run", argc, argv, &input, 1);
    if (!rc && !input)
        rc = cli_usage_error("run", "no input file");
    if (!rc && !outdir)
        rc = cli_usage_error("run", "no output folder (-o OUTDIR)");
    /* --seed and --threads are run settings too. */
    char seed_set[64], threads_set[64];
    if (!rc && common.seed_given) {
        snprintf(seed_set, sizeof seed_set, "run.seed=%llu", (unsigned long long)common.seed);
        overrides[n_over] = seed_set;
        origins[n_over++] = "--seed";
    }
    if (!rc && common.n_threads > 0) {
        snprintf(threads_set, sizeof threads_set, "run.threads=%d", common.n_threads);
        overrides[n_over] = threads_set;
        origins[n_over++] = "--threads";
    }
    if (!rc) {
        cli_progress_state progress;
        cli_progress_init(&progress, common.quiet);
        clm_run_options options = {config, (const char *const *)overrides, origins,
                                   common.quiet ? NULL : stdout, cli_progress, &progress};
        double started = cli_now();
        clm_status s = clm_run(input, outdir, &options);
        if (s)
            rc = cli_fail("run", s);
        else if (!common.quiet)
            printf("\nrun finished in %.1f s\nreport: %s/report.html\n", cli_now() - started, outdir);
    }
    for (int i = 0; i < n_over; i++)
        if (overrides[i] != seed_set && overrides[i] != threads_set)
            free(overrides[i]);
    free(overrides);
    free(origins);
    return rc < 0 ? 0 : rc;
}

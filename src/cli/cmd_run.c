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

static const char *const usage =
    "usage: clmseg run data.h5 -o OUTDIR [--config FILE] [--set section.key=value]...\n"
    "                  [--k K] [--branch COLUMN] [--horizon H] [--max-depth D]\n"
    "                  [--seed X] [--threads T] [--quiet]\n"
    "       clmseg run --print-config      (the default configuration, documented)\n"
    "  Runs the quarter: validation, k-means segments, value tiers, lifecycle\n"
    "  stages, the churn tree, survival and LTV by segment and branch, branch\n"
    "  health scores; writes results.h5, segments.csv, branches.csv,\n"
    "  warning.csv, survival_*.csv, tree_rules.txt, report.html, run.json and\n"
    "  config.used into OUTDIR.  See docs/run.md.\n";

/* Command-line flags and the configuration key each one sets. */
static const struct {
    const char *flag, *key;
} flag_keys[] = {
    {"--k", "kmeans.k"},
    {"--branch", "columns.branch"},
    {"--horizon", "survival.horizon"},
    {"--max-depth", "tree.max_depth"},
    {"--group", "run.group"},
};

int cmd_run(int argc, char **argv)
{
    const char *input = NULL, *outdir = NULL, *config = NULL;
    cli_common common;
    cli_common_default(&common);
    /* At most one override per argument pair. */
    char **overrides = calloc((size_t)argc + 4, sizeof *overrides);
    const char **origins = calloc((size_t)argc + 4, sizeof *origins);
    int n_over = 0, rc = 0;
    if (!overrides || !origins) {
        free(overrides);
        free(origins);
        return cli_fail("run", clm_error(CLM_E_NOMEM, "out of memory"));
    }
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        int r = cli_common_parse(&common, argc, argv, &i);
        if (r < 0) {
            rc = 1;
            break;
        }
        if (r > 0)
            continue;
        int matched = 0;
        for (size_t f = 0; f < sizeof flag_keys / sizeof flag_keys[0]; f++)
            if (!strcmp(a, flag_keys[f].flag)) {
                const char *v = cli_value("run", argc, argv, &i);
                if (!v) {
                    rc = 1;
                    break;
                }
                size_t len = strlen(flag_keys[f].key) + strlen(v) + 2;
                if (!(overrides[n_over] = malloc(len))) {
                    rc = cli_fail("run", clm_error(CLM_E_NOMEM, "out of memory"));
                    break;
                }
                snprintf(overrides[n_over], len, "%s=%s", flag_keys[f].key, v);
                origins[n_over++] = flag_keys[f].flag;
                matched = 1;
            }
        if (matched || rc)
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            rc = -1;
        } else if (!strcmp(a, "--print-config")) {
            clm_run_write_default_config(stdout);
            rc = -1;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!(outdir = cli_value("run", argc, argv, &i)))
                rc = 1;
        } else if (!strcmp(a, "--config")) {
            if (!(config = cli_value("run", argc, argv, &i)))
                rc = 1;
        } else if (!strcmp(a, "--set")) {
            const char *v = cli_value("run", argc, argv, &i);
            if (!v)
                rc = 1;
            else {
                overrides[n_over] = malloc(strlen(v) + 1);
                if (overrides[n_over]) {
                    strcpy(overrides[n_over], v);
                    origins[n_over++] = "--set";
                }
            }
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error("run", "unknown option '%s'", a);
        } else if (!input) {
            input = a;
        } else {
            rc = cli_usage_error("run", "more than one input file ('%s', '%s')", input, a);
        }
    }
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

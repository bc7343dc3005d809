/*
 * cmd_predict.c — `clmseg predict results.h5 newquarter.h5 -o scored.h5`:
 * reapplies every model saved in a results file to a new quarter.
 *
 * Models plug in through appliers with one signature,
 *     clm_status clm_<model>_apply_saved(const char *results_path,
 *         const clm_table *input, clm_writer *output, int n_threads,
 *         int *applied);
 * each writes its own groups to the shared output and sets *applied to 0
 * when results.h5 holds no model of its kind.  To add a model, add one
 * line to `appliers` below.  No applied model at all is an error.
 */
#include <stdio.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"

typedef clm_status (*predict_applier)(const char *results_path, const clm_table *input,
                                      clm_writer *output, int n_threads, int *applied);

static const struct {
    const char *group;      /* what the model writes, for messages */
    predict_applier apply;
} appliers[] = {
    {"/segments", clm_kmeans_apply_saved},
    {"/churn", clm_tree_apply_saved},
    {"/lifecycle", clm_lifecycle_apply_saved},
};

static const char *const predict_usage =
    "usage: clmseg predict results.h5 newquarter.h5 -o scored.h5 [options]\n"
    "\n"
    "Applies the models saved in results.h5 (k-means segments, ...) to the\n"
    "rows of a new quarter, matching feature columns by name and reusing the\n"
    "saved standardisation.\n"
    "\n"
    "  --group G      table group of the new quarter (default /subscribers)\n"
    "  --threads T  --quiet  -h\n";

enum { OPT_GROUP = CLI_OPT_FIRST };

static const struct option predict_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"group", required_argument, NULL, OPT_GROUP},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_predict(int argc, char **argv)
{
    cli_common common;
    cli_common_default(&common);
    const char *results = NULL, *input = NULL, *output = NULL, *group = NULL;
    cli_parser parser;
    cli_parser_init(&parser, "predict", argc, argv, "o:", predict_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        switch (c) {
        case 'h':
            fputs(predict_usage, stdout);
            return 0;
        case 'o':
            output = optarg;
            break;
        case OPT_GROUP:
            group = optarg;
            break;
        default:
            return 1;
        }
    }
    const char *files[2];
    if (cli_positionals("predict", argc, argv, files, 2))
        return 1;
    results = files[0];
    input = files[1];
    if (!results || !input)
        return cli_usage_error("predict", "need results.h5 and newquarter.h5");
    if (!output)
        return cli_usage_error("predict", "missing -o scored.h5");

    clm_table *table = NULL;
    clm_writer *writer = NULL;
    const char *inputs[] = {results, input, NULL};
    clm_status st = clm_table_open(input, group, &table);
    if (!st)
        st = clm_writer_create(output, inputs, &writer);
    int n_applied = 0;
    for (size_t m = 0; !st && m < sizeof appliers / sizeof appliers[0]; m++) {
        int applied = 0;
        st = appliers[m].apply(results, table, writer, common.n_threads, &applied);
        if (!st && applied && !common.quiet)
            fprintf(stderr, "predict: applied %s to %lld rows\n", appliers[m].group,
                    (long long)clm_table_n_rows(table));
        n_applied += applied;
    }
    if (!st && n_applied == 0)
        st = clm_error(CLM_E_SCHEMA, "%s: no saved model found (expected /segments from clmseg kmeans)",
                       results);
    if (!st) {
        st = clm_writer_commit(writer);
        writer = NULL;
    }
    clm_writer_abort(writer);
    clm_table_close(table);
    return st ? cli_fail("predict", st) : 0;
}

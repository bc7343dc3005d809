/*
 * cmd_predict.c — `clmseg predict results.h5 newquarter.h5 -o scored.h5`:
 * reapplies every model saved in a results file to a new quarter.
 *
 * Each model plugs in through an applier of one signature, a composition
 * of its estimator's load and predict (clm_kmeans_load +
 * clm_kmeans_predict_table, clm_tree_load + clm_tree_predict_table,
 * clm_lifecycle_load + clm_lifecycle_predict_table): it writes its own
 * groups to the shared output and sets *applied to 0 when results.h5 holds
 * no model of its kind.  To add a model, add one applier and one line to
 * `appliers` below.  No applied model at all is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"

/* What the appliers are given besides the files: the thread count, and
 * the equity settings of the Cox applier (its options). */
typedef struct predict_settings {
    int n_threads;
    clm_equity_params equity;
    const char *arpu;
    const char *previous;   /* --previous LAST_RUNDIR, or NULL */
} predict_settings;

typedef clm_status (*predict_applier)(const char *results_path, const clm_table *input,
                                      clm_writer *output, const predict_settings *settings,
                                      int *applied);

/* With --previous: the model renumbered to continue the segments of
 * LAST_RUNDIR/results.h5, as `clmseg run --previous` does (clm_kmeans_match
 * + clm_kmeans_relabel); `path` gets LAST_RUNDIR/results.h5. */
static clm_status relabel_to_previous(clm_kmeans *model, const char *dir, char *path, size_t cap)
{
    snprintf(path, cap, "%s/results.h5", dir);
    if (!clm_kmeans_saved_in(path, "/segments"))
        return clm_error(CLM_E_FORMAT, "%s: missing, or not the results of a clmseg run (no k-means model in "
                         "/segments); --previous names last quarter's output folder", path);
    clm_kmeans *previous = NULL;
    clm_status st = clm_kmeans_load(path, "/segments", 1, &previous);
    int32_t *match = st ? NULL : malloc(sizeof(int32_t) * (size_t)clm_kmeans_k(model));
    if (!st && !match)
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    if (!st) st = clm_kmeans_match(model, previous, match, NULL);
    if (!st) st = clm_kmeans_relabel(model, match, clm_kmeans_k(previous));
    free(match);
    clm_kmeans_free(previous);
    return st;
}

/* The k-means applier: the saved model loaded (renumbered with
 * --previous), every row assigned, the labels, distances and sizes
 * written. */
static clm_status apply_kmeans(const char *results_path, const clm_table *input, clm_writer *output,
                               const predict_settings *settings, int *applied)
{
    *applied = 0;
    if (!clm_kmeans_saved_in(results_path, "/segments"))
        return CLM_OK;
    clm_kmeans *model = NULL;
    clm_status st = clm_kmeans_load(results_path, "/segments", settings->n_threads, &model);
    char previous_path[4096];
    if (!st && settings->previous)
        st = relabel_to_previous(model, settings->previous, previous_path, sizeof previous_path);
    if (st) {
        clm_kmeans_free(model);
        return st;
    }
    const int64_t n = clm_table_n_rows(input);
    const int k = clm_kmeans_k(model), d = clm_kmeans_n_features(model);
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    float *dist = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    int64_t *size = calloc((size_t)k, sizeof(int64_t));
    const char **names = malloc(sizeof(char *) * (size_t)d);
    if (!labels || !dist || !size || !names)
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    if (!st) st = clm_kmeans_predict_table(model, input, labels, dist);
    for (int64_t i = 0; !st && i < n; i++)
        if (labels[i] >= 0)
            size[labels[i]]++;
    if (!st) st = clm_writer_column_array(output, "/segments/label", CLM_DT_INT32, n, labels);
    if (!st) st = clm_writer_column_array(output, "/segments/distance", CLM_DT_FLOAT32, n, dist);
    const int64_t kdim[1] = {k};
    for (int j = 0; names && j < d; j++)
        names[j] = clm_kmeans_feature_name(model, j);
    if (!st) st = clm_writer_array(output, "/segments/size", CLM_DT_INT64, 1, kdim, size);
    if (!st) st = clm_writer_attr_i64(output, "/segments", "k", k);
    if (!st) st = clm_writer_attr_string(output, "/segments", "model", results_path);
    if (!st) st = clm_writer_attr_strings(output, "/segments", "features", names, d);
    if (!st && settings->previous) {
        st = clm_writer_array(output, "/segments/continues", CLM_DT_INT32, 1, kdim, clm_kmeans_continues(model));
        if (!st) st = clm_writer_attr_string(output, "/segments", "previous", previous_path);
    }
    if (!st)
        *applied = 1;
    free(labels);
    free(dist);
    free(size);
    free(names);
    clm_kmeans_free(model);
    return st;
}

/* The tree applier: the saved tree loaded, every row scored; a binary
 * target writes /churn/probability (class 1), a multi-class one
 * /churn/class_probability [N][K]. */
static clm_status apply_tree(const char *results_path, const clm_table *input, clm_writer *output,
                             const predict_settings *settings, int *applied)
{
    *applied = 0;
    if (!clm_tree_saved_in(results_path, "/churn"))
        return CLM_OK;
    clm_tree *tree = NULL;
    clm_status st = clm_tree_load(results_path, "/churn", settings->n_threads, &tree);
    const int64_t n = clm_table_n_rows(input);
    const int K = st ? 0 : clm_tree_n_classes(tree);
    float *probs = st ? NULL : malloc((size_t)(n > 0 ? n : 1) * (size_t)K * sizeof *probs);
    if (!st && !probs)
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    if (!st) st = clm_tree_predict_table(tree, input, probs);
    if (!st && K == 2) {
        /* the positive class, packed in place: entry i <- entry 2i + 1 */
        for (int64_t i = 0; i < n; i++)
            probs[i] = probs[2 * i + 1];
        st = clm_writer_column_array(output, "/churn/probability", CLM_DT_FLOAT32, n, probs);
    } else if (!st) {
        const int64_t dims[2] = {n, K};
        st = clm_writer_array(output, "/churn/class_probability", CLM_DT_FLOAT32, 2, dims, probs);
    }
    if (!st)
        *applied = 1;
    free(probs);
    clm_tree_free(tree);
    return st;
}

/* The lifecycle applier: the saved thresholds and rules loaded, every row
 * tiered and staged, both columns written. */
static clm_status apply_lifecycle(const char *results_path, const clm_table *input, clm_writer *output,
                                  const predict_settings *settings, int *applied)
{
    (void)settings;
    *applied = 0;
    if (!clm_lifecycle_saved_in(results_path))
        return CLM_OK;
    clm_lifecycle *model = NULL;
    clm_status st = clm_lifecycle_load(results_path, &model);
    const int64_t n = clm_table_n_rows(input);
    uint8_t *tier = malloc((size_t)(n > 0 ? n : 1)), *stage = malloc((size_t)(n > 0 ? n : 1));
    if (!st && (!tier || !stage))
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    if (!st) st = clm_lifecycle_predict_table(model, input, tier, stage);
    if (!st) st = clm_lifecycle_save(model, output, tier, stage, n);
    if (!st)
        *applied = 1;
    free(tier);
    free(stage);
    clm_lifecycle_free(model);
    return st;
}

/* The Cox applier: the saved model loaded and each active row's remaining
 * lifetime and value written (/equity).  A model stratified by segment
 * takes the segments of the saved k-means model, predicted again here. */
static clm_status apply_cox(const char *results_path, const clm_table *input, clm_writer *output,
                            const predict_settings *settings, int *applied)
{
    *applied = 0;
    if (!clm_cox_saved_in(results_path, NULL))
        return CLM_OK;
    clm_cox *model = NULL;
    clm_status st = clm_cox_load(results_path, NULL, settings->n_threads, &model);
    if (st)
        return st;
    int32_t *segments = NULL;
    const char *strata = clm_cox_strata_name(model);
    const int by_decline = strata && !strcmp(strata, CLM_COX_SEGMENT_DECLINE);
    if (strata && (by_decline || !strcmp(strata, "segment"))) {
        clm_kmeans *km = NULL;
        const int64_t n = clm_table_n_rows(input);
        st = clm_kmeans_load(results_path, "/segments", settings->n_threads, &km);
        segments = st ? NULL : malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
        float *dist = st ? NULL : malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
        if (!st && (!segments || !dist))
            st = clm_error(CLM_E_NOMEM, "predict: out of memory");
        if (!st) st = clm_kmeans_predict_table(km, input, segments, dist);
        free(dist);
        clm_kmeans_free(km);
        if (!st && by_decline)
            st = clm_lifecycle_decline_strata(results_path, input, segments);
    }
    clm_equity_params params = settings->equity;
    params.n_threads = settings->n_threads;
    clm_equity *eq = NULL;
    if (!st) st = clm_cox_equity_table(model, &params, settings->arpu, segments, input, &eq);
    if (!st) st = clm_equity_save(eq, output, NULL);
    if (!st)
        *applied = 1;
    clm_equity_free(eq);
    free(segments);
    clm_cox_free(model);
    return st;
}

static const struct {
    const char *group;      /* what the model writes, for messages */
    predict_applier apply;
} appliers[] = {
    {"/segments", apply_kmeans},
    {"/churn", apply_tree},
    {"/lifecycle", apply_lifecycle},
    {"/equity", apply_cox},
};

static const char *const predict_usage =
    "usage: clmseg predict results.h5 newquarter.h5 -o scored.h5 [options]\n"
    "\n"
    "Applies the models saved in results.h5 (k-means segments, ...) to the\n"
    "rows of a new quarter, matching feature columns by name and reusing the\n"
    "saved standardisation.\n"
    "\n"
    "  --group G      table group of the new quarter (default /subscribers)\n"
    "  --arpu COL     ARPU column for the equity of a Cox model (default arpu)\n"
    "  --horizon H    months of remaining value (default 36)\n"
    "  --margin M     margin share of ARPU (default 1)\n"
    "  --discount D   annual discount rate (default 0.10)\n"
    "  --previous DIR last quarter's output folder: the segments are renumbered\n"
    "                 to continue its segments, as clmseg run --previous does\n"
    "  --threads T  --quiet  -h\n";

enum { OPT_GROUP = CLI_OPT_FIRST, OPT_ARPU, OPT_HORIZON, OPT_MARGIN, OPT_DISCOUNT, OPT_PREVIOUS };

static const struct option predict_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"group", required_argument, NULL, OPT_GROUP},
    {"arpu", required_argument, NULL, OPT_ARPU},
    {"horizon", required_argument, NULL, OPT_HORIZON},
    {"margin", required_argument, NULL, OPT_MARGIN},
    {"discount", required_argument, NULL, OPT_DISCOUNT},
    {"previous", required_argument, NULL, OPT_PREVIOUS},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_predict(int argc, char **argv)
{
    cli_common common;
    cli_common_default(&common);
    const char *results = NULL, *input = NULL, *output = NULL, *group = NULL;
    predict_settings settings = {0, {0, 0, 0, 0}, "arpu", NULL};
    clm_equity_params_default(&settings.equity);
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
        case OPT_ARPU:
            settings.arpu = optarg;
            break;
        case OPT_PREVIOUS:
            settings.previous = optarg;
            break;
        case OPT_HORIZON:
        case OPT_MARGIN:
        case OPT_DISCOUNT:
            if (cli_equity_option("predict", c == OPT_HORIZON ? "--horizon" : c == OPT_MARGIN ? "--margin" : "--discount",
                                  optarg, 12, &settings.equity))
                return 1;
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
    settings.n_threads = common.n_threads;
    for (size_t m = 0; !st && m < sizeof appliers / sizeof appliers[0]; m++) {
        int applied = 0;
        st = appliers[m].apply(results, table, writer, &settings, &applied);
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

/*
 * cmd_predict.c — `clmseg predict results.h5 newquarter.h5 -o scored.h5`:
 * reapplies every model saved in a results file to a new quarter.
 *
 * Each model plugs in through an applier of one signature, a composition
 * of its estimator's load and its predict on a range of rows, the form of
 * the public predict_table functions that runs on ranks (clm_kmeans_load
 * + km_predict_table_rows, clm_tree_load + tree_predict_table_rows,
 * clm_lifecycle_load + lifecycle_predict_rows, clm_cox_load +
 * cox_equity_table_ranks): it writes its own groups to the shared output
 * and sets *applied to 0 when results.h5 holds no model of its kind.  To
 * add a model, add one applier and one line to `appliers` below.  No
 * applied model at all is an error.
 *
 * Under mpirun (docs/design.md §7) every rank predicts its own rows
 * (predict_rows below); the ranks agree after every model; rank 0 writes
 * scored.h5 with the serial writer and every rank its own rows into it,
 * so its bytes are the serial build's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/comm_internal.h"
#include "core/util_internal.h"
#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "cox/cox_ranks.h"
#include "io/io_internal.h"
#include "io/io_table_ranks.h"
#include "kmeans/kmeans_ranks.h"
#include "lifecycle/lifecycle_internal.h"
#include "tree/tree_ranks.h"

/* This process's share of the new quarter (docs/design.md §7): every
 * rank predicts the table's rows [first, first + n), whole chunks of the
 * equity pass (COX_EQUITY_CHUNK, whose per-chunk sums are the only
 * floating-point reduction of predict; the other models are per row).
 * Rank 0 writes scored.h5 with the serial writer, the per-row columns laid
 * out zero-filled (io_writer_defer_rows), and closes it; every rank then
 * writes its own rows of them (io_write_rank_rows), and rank 0 renames.
 * A multi-class tree's n x K probabilities too (rows of a 2-D dataset).
 * One process: every row, written at once. */
typedef struct predict_rows {
    comm_ctx world;
    int64_t first, n, n_all;
} predict_rows;

/* The per-row columns this rank writes once the file is closed: the
 * appliers hand over their rows' arrays (owned here from then on). */
#define PREDICT_MAX_COLUMNS 16
typedef struct predict_pending {
    io_rank_column column[PREDICT_MAX_COLUMNS];
    void *own[PREDICT_MAX_COLUMNS];
    int n;
} predict_pending;

/* What the appliers are given besides the files: the rows, the thread
 * count, and the equity settings of the Cox applier (its options). */
typedef struct predict_settings {
    predict_rows rows;
    int n_threads;
    clm_equity_params equity;
    const char *arpu;
    const char *previous;   /* --previous LAST_RUNDIR, or NULL */
    predict_pending *pending; /* several ranks: the rows each writes */
} predict_settings;

/* An applier writes to `output` (NULL on the ranks but 0) and returns the
 * same status on every rank, except after a failed write of rank 0's,
 * which cmd_predict agrees. */
typedef clm_status (*predict_applier)(const char *results_path, const clm_table *input,
                                      clm_writer *output, const predict_settings *settings,
                                      int *applied);

/* Room for this rank's rows of `elem_bytes` each: at least one element,
 * since a rank may hold none. */
static void *rows_alloc(const predict_rows *rows, size_t elem_bytes)
{
    return malloc(elem_bytes * (size_t)(rows->n > 0 ? rows->n : 1));
}

/* After the applier's saver has laid `dataset` (a literal) out: on several
 * ranks, this rank's rows *data of it go to the pending list, which owns
 * them from here (*data becomes NULL) and writes them once the file is
 * closed; one process has written them already and keeps them.  Every
 * rank hands over the same columns in the same order. */
static clm_status hand_over_rows(const predict_settings *settings, const char *dataset,
                                 clm_dtype dtype, int64_t width, void **data)
{
    if (!comm_is_parallel(&settings->rows.world))
        return CLM_OK;
    predict_pending *p = settings->pending;
    void *rows = *data;
    *data = NULL;
    if (p->n == PREDICT_MAX_COLUMNS) {
        free(rows);
        return clm_error(CLM_E_INTERNAL, "predict: more than %d per-row columns",
                         PREDICT_MAX_COLUMNS);
    }
    p->column[p->n] = (io_rank_column){dataset, dtype, rows, width};
    p->own[p->n++] = rows;
    return CLM_OK;
}

/* A column's rows (hand_over_rows of width 0). */
static clm_status hand_over(const predict_settings *settings, const char *dataset,
                            clm_dtype dtype, void **data)
{
    return hand_over_rows(settings, dataset, dtype, 0, data);
}

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
 * (counts summed over the ranks) written. */
static clm_status apply_kmeans(const char *results_path, const clm_table *input, clm_writer *output,
                               const predict_settings *settings, int *applied)
{
    *applied = 0;
    if (!clm_kmeans_saved_in(results_path, "/segments"))
        return CLM_OK;
    const predict_rows *rows = &settings->rows;
    clm_kmeans *model = NULL;
    clm_status st = clm_kmeans_load(results_path, "/segments", settings->n_threads, &model);
    char previous_path[4096];
    if (!st && settings->previous)
        st = relabel_to_previous(model, settings->previous, previous_path, sizeof previous_path);
    const int k = st ? 0 : clm_kmeans_k(model), d = st ? 0 : clm_kmeans_n_features(model);
    int32_t *labels = rows_alloc(rows, sizeof(int32_t));
    float *dist = rows_alloc(rows, sizeof(float));
    int64_t *size = calloc((size_t)(k > 0 ? k : 1), sizeof(int64_t));
    const char **names = malloc(sizeof(char *) * (size_t)(d > 0 ? d : 1));
    if (!st && (!labels || !dist || !size || !names))
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    if (!st) st = km_predict_table_rows(model, input, rows->first, rows->n, labels, dist);
    for (int64_t i = 0; !st && i < rows->n; i++)
        if (labels[i] >= 0)
            size[labels[i]]++;
    st = comm_agree(&rows->world, st);
    if (!st) st = comm_sum_i64(&rows->world, size, k);
    const int64_t n = rows->n_all, kdim[1] = {k};
    if (!st && output) {
        for (int j = 0; j < d; j++)
            names[j] = clm_kmeans_feature_name(model, j);
        st = clm_writer_column_array(output, "/segments/label", CLM_DT_INT32, n, labels);
        if (!st) st = clm_writer_column_array(output, "/segments/distance", CLM_DT_FLOAT32, n, dist);
        if (!st) st = clm_writer_array(output, "/segments/size", CLM_DT_INT64, 1, kdim, size);
        if (!st) st = clm_writer_attr_i64(output, "/segments", "k", k);
        if (!st) st = clm_writer_attr_string(output, "/segments", "model", results_path);
        if (!st) st = clm_writer_attr_strings(output, "/segments", "features", names, d);
        if (!st && settings->previous) {
            st = clm_writer_array(output, "/segments/continues", CLM_DT_INT32, 1, kdim, clm_kmeans_continues(model));
            if (!st) st = clm_writer_attr_string(output, "/segments", "previous", previous_path);
        }
    }
    if (!st) st = hand_over(settings, "/segments/label", CLM_DT_INT32, (void **)&labels);
    if (!st) st = hand_over(settings, "/segments/distance", CLM_DT_FLOAT32, (void **)&dist);
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
    const predict_rows *rows = &settings->rows;
    clm_tree *tree = NULL;
    clm_status st = clm_tree_load(results_path, "/churn", settings->n_threads, &tree);
    const int K = st ? 1 : clm_tree_n_classes(tree);
    float *probs = rows_alloc(rows, (size_t)K * sizeof(float));
    if (!st && !probs)
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    if (!st) st = tree_predict_table_rows(tree, input, rows->first, rows->n, probs);
    /* binary: the positive class, packed in place: entry i <- entry 2i + 1 */
    for (int64_t i = 0; !st && K == 2 && i < rows->n; i++)
        probs[i] = probs[2 * i + 1];
    st = comm_agree(&rows->world, st);
    /* Both the binary tree's column and the n x K probabilities of several
     * classes are written by the ranks (hand_over): laid out here. */
    const int ranks = comm_is_parallel(&rows->world);
    if (!st && output && K == 2) {
        st = clm_writer_column_array(output, "/churn/probability", CLM_DT_FLOAT32, rows->n_all, probs);
    } else if (!st && output && ranks) {
        st = io_writer_array_zeros(output, "/churn/class_probability", CLM_DT_FLOAT32, rows->n_all, K);
    } else if (!st && output) {
        const int64_t dims[2] = {rows->n_all, K};
        st = clm_writer_array(output, "/churn/class_probability", CLM_DT_FLOAT32, 2, dims, probs);
    }
    if (!st)
        st = K == 2 ? hand_over(settings, "/churn/probability", CLM_DT_FLOAT32, (void **)&probs)
                    : hand_over_rows(settings, "/churn/class_probability", CLM_DT_FLOAT32, K, (void **)&probs);
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
    *applied = 0;
    if (!clm_lifecycle_saved_in(results_path))
        return CLM_OK;
    const predict_rows *rows = &settings->rows;
    clm_lifecycle *model = NULL;
    clm_status st = clm_lifecycle_load(results_path, &model);
    uint8_t *tier = rows_alloc(rows, 1), *stage = rows_alloc(rows, 1);
    if (!st && (!tier || !stage))
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    if (!st) st = lifecycle_predict_rows(model, input, rows->first, rows->n, tier, stage, NULL);
    st = comm_agree(&rows->world, st);
    if (!st && output)
        st = clm_lifecycle_save(model, output, tier, stage, rows->n_all);
    if (!st) st = hand_over(settings, "/value/tier", CLM_DT_UINT8, (void **)&tier);
    if (!st) st = hand_over(settings, "/lifecycle/stage", CLM_DT_UINT8, (void **)&stage);
    if (!st)
        *applied = 1;
    free(tier);
    free(stage);
    clm_lifecycle_free(model);
    return st;
}

/* A model stratified by segment takes the segments of the saved k-means
 * model, predicted again here (this rank's rows), with the decline flag
 * of the saved stage rules when stratified by both. */
static clm_status cox_segments(const char *results_path, const clm_table *input, const predict_settings *settings,
                               int by_decline, int32_t **segments)
{
    const predict_rows *rows = &settings->rows;
    clm_kmeans *km = NULL;
    clm_status st = clm_kmeans_load(results_path, "/segments", settings->n_threads, &km);
    *segments = st ? NULL : rows_alloc(rows, sizeof(int32_t));
    float *dist = st ? NULL : rows_alloc(rows, sizeof(float));
    if (!st && (!*segments || !dist))
        st = clm_error(CLM_E_NOMEM, "predict: out of memory");
    if (!st) st = km_predict_table_rows(km, input, rows->first, rows->n, *segments, dist);
    free(dist);
    clm_kmeans_free(km);
    if (!st && by_decline)
        st = lifecycle_decline_strata_rows(results_path, input, rows->first, rows->n, *segments);
    return st;
}

/* The Cox applier: the saved model loaded and each active row's remaining
 * lifetime and value written (/equity); the expected number still active
 * is the whole table's on every rank (cox_equity_table_ranks). */
static clm_status apply_cox(const char *results_path, const clm_table *input, clm_writer *output,
                            const predict_settings *settings, int *applied)
{
    *applied = 0;
    if (!clm_cox_saved_in(results_path, NULL))
        return CLM_OK;
    const predict_rows *rows = &settings->rows;
    clm_cox *model = NULL;
    clm_status st = clm_cox_load(results_path, NULL, settings->n_threads, &model);
    int32_t *segments = NULL;
    const char *strata = st ? NULL : clm_cox_strata_name(model);
    const int by_decline = strata && !strcmp(strata, CLM_COX_SEGMENT_DECLINE);
    if (strata && (by_decline || !strcmp(strata, "segment")))
        st = cox_segments(results_path, input, settings, by_decline, &segments);
    clm_equity_params params = settings->equity;
    params.n_threads = settings->n_threads;
    clm_equity *eq = NULL;
    st = comm_agree(&rows->world, st);
    if (!st) st = cox_equity_table_ranks(model, &params, settings->arpu, segments, input, &rows->world, 0, &eq);
    if (!st && output) {
        /* The table's row count; on ranks the writer lays the rows out
         * and does not read them (hand_over). */
        clm_equity whole = *eq;
        whole.n_rows = rows->n_all;
        st = clm_equity_save(&whole, output, NULL);
    }
    if (!st) st = hand_over(settings, "/equity/leave_3", CLM_DT_FLOAT32, (void **)&eq->leave_3);
    if (!st) st = hand_over(settings, "/equity/leave_12", CLM_DT_FLOAT32, (void **)&eq->leave_12);
    if (!st)
        st = hand_over(settings, "/equity/expected_months", CLM_DT_FLOAT32, (void **)&eq->expected_months);
    if (!st) st = hand_over(settings, "/equity/value", CLM_DT_FLOAT32, (void **)&eq->value);
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
    predict_settings settings = {{{0, 1, 0}, 0, 0, 0}, 0, {0, 0, 0, 0}, "arpu", NULL, NULL};
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

    const comm_ctx world = comm_world();
    clm_table *table = NULL;
    clm_writer *writer = NULL;
    const char *inputs[] = {results, input, NULL};
    /* Opened by every rank together, so that each applier's rank reads
     * of its rows are collective (io_table_ranks.h). */
    clm_status st = io_table_open_ranks(&world, input, group, &table);
    if (!st) {
        predict_rows *rows = &settings.rows;
        rows->world = world;
        rows->n_all = clm_table_n_rows(table);
        comm_rows_of(&world, rows->n_all, COX_EQUITY_CHUNK, &rows->first, &rows->n);
    }
    /* Rank 0 alone writes: the other ranks' appliers get no writer. */
    const int ranks = comm_is_parallel(&world);
    predict_pending pending;
    memset(&pending, 0, sizeof pending);
    settings.pending = &pending;
    if (!st && world.rank == 0)
        st = clm_writer_create(output, inputs, &writer);
    if (!st && writer && ranks)
        io_writer_defer_rows(writer, 1);
    st = comm_agree(&world, st);
    int n_applied = 0;
    settings.n_threads = common.n_threads;
    for (size_t m = 0; !st && m < sizeof appliers / sizeof appliers[0]; m++) {
        int applied = 0;
        st = comm_agree(&world, appliers[m].apply(results, table, writer, &settings, &applied));
        if (!st && applied && !common.quiet)
            fprintf(stderr, "predict: applied %s to %lld rows\n", appliers[m].group,
                    (long long)clm_table_n_rows(table));
        n_applied += applied;
    }
    if (!st && n_applied == 0)
        st = clm_error(CLM_E_SCHEMA, "%s: no saved model found (expected /segments from clmseg kmeans)",
                       results);
    /* On ranks: the file closed, every rank's rows into it, then renamed. */
    if (!st && writer && ranks)
        st = clm_writer_close(writer);
    if (ranks)
        st = comm_agree(&world, st);
    if (!st && ranks && pending.n > 0)
        st = io_write_rank_rows(&world, writer ? io_writer_temp_path(writer) : NULL,
                                settings.rows.first, settings.rows.n, pending.column, pending.n);
    for (int j = 0; j < pending.n; j++)
        free(pending.own[j]);
    if (!st && writer) {
        st = clm_writer_commit(writer);
        writer = NULL;
    }
    /* After a failure everywhere, this agrees nothing new; after rank 0's
     * commit, its outcome becomes every rank's exit code. */
    st = comm_agree(&world, st);
    clm_writer_abort(writer);
    clm_table_close(table);
    return st ? cli_fail("predict", st) : 0;
}

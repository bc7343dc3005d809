/*
 * cmd_tree.c — `clmseg tree data.h5 -o results.h5 --target churned ...`:
 * the command-line front of clm_tree_fit_table() (see docs/tree.md).
 *
 * Writes the model and the per-row probabilities into the results file
 * (group /churn), and tree_rules.txt and tree.json beside it.  All three
 * are written under temporary names and committed only when all are
 * complete; the metrics, importance and rules are printed on stdout.
 *
 * Under mpirun (the MPI build, docs/design.md §7) every rank fits on its
 * own rows (tree_fit_table_ranks) and writes its own rows' probabilities
 * into the results file; rank 0 writes the rest and prints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "core/comm_internal.h"
#include "core/util_internal.h"
#include "tree/tree_ranks.h"
#include "io/io_internal.h"
#include "io/io_table_ranks.h"

static const char *const usage_text =
    "usage: clmseg tree data.h5 -o results.h5 [options]\n"
    "\n"
    "Trains a histogram CART decision tree (churn or a multi-class target) and\n"
    "writes it to group /churn of results.h5 with /churn/probability for every\n"
    "row, plus tree_rules.txt and tree.json beside results.h5.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE      results file (required)\n"
    "  --group G              input group (default /subscribers)\n"
    "  --target COL           target column (default churned): 0/1 integer,\n"
    "                         small class numbers, or categorical\n"
    "  --target-level LABEL   positive level of a categorical target (binary)\n"
    "  --criterion C          gini (default) or entropy\n"
    "  --max-depth D          maximum depth (default 8; 0 = unlimited)\n"
    "  --min-leaf M           rows per leaf at least (default 1)\n"
    "  --min-gain G           weighted impurity decrease to split (default 0)\n"
    "  --max-leaves L         grow best-first up to L leaves (default: unlimited)\n"
    "  --class-weight W       none (default) or balanced\n"
    "  --ccp-alpha A          cost-complexity pruning strength (default 0)\n"
    "  --test-fraction F      stratified holdout share in [0, 1) (default 0.2)\n"
    "  --bins B               bins per feature incl. missing, 2..256 (default 256)\n"
    "  --features a,b,...     feature columns (default: all but target and id)\n"
    "  --cat-min-count N      categorical: a category with fewer rows in a node is\n"
    "                         pooled with the missing ones; each side of a\n"
    "                         categorical split has N rows at least (default 100)\n"
    "  --cat-smooth S         categorical: order categories by their rate shrunk\n"
    "                         toward the node's by S pseudo-rows (default 10)\n"
    "  --cat-l2 L             categorical: score the children with shares shrunk\n"
    "                         by L pseudo-rows (default 10; 0 = plain impurity)\n"
    "  --cat-max-threshold T  categorical: at most T categories on the smaller\n"
    "                         side of an ordered split (default 32)\n"
    "  --cat-max-onehot H     categorical: nodes with at most H categories split\n"
    "                         one against the rest (default 3)\n"
    "  --permutation-repeats R  holdout permutation-importance repeats (default 3; 0: skip)\n"
    "  --show-rules N         rules printed: the N leaves with the most rows and,\n"
    "                         for a binary target, the N with the highest rate\n"
    "                         (default 10; all rules are in tree_rules.txt)\n"
    "  --seed X               holdout / permutation seed (default 42)\n"
    "  --threads T            threads (default: all cores)\n"
    "  --quiet                no progress on stderr\n"
    "  -h, --help             this help\n";

/* Features listed on the terminal at most (all are in tree.json). */
#define TREE_FEATURES_SHOWN 20

static void print_summary(const clm_tree *tree, const char *rules_path, int rules_shown, FILE *out)
{
    clm_tree_metrics m;
    clm_tree_get_metrics(tree, &m);
    const int K = clm_tree_n_classes(tree), F = clm_tree_n_features(tree);
    fprintf(out, "tree: %d leaves, depth %d, %lld training rows, %lld holdout rows\n",
            clm_tree_n_leaves(tree), clm_tree_depth(tree), (long long)m.n_train,
            (long long)m.n_test);
    fprintf(out, "timing: binning %.3f s, growth %.3f s\n", m.binning_seconds, m.growth_seconds);
    fprintf(out, "train accuracy: %.4f\n", m.train_accuracy);
    if (m.n_test > 0) {
        fprintf(out, "holdout accuracy: %.4f\n", m.accuracy);
        if (!isnan(m.auc))
            fprintf(out, "holdout ROC AUC: %.4f\n", m.auc);
        fprintf(out, "holdout log loss: %.4f\n", m.log_loss);
        fprintf(out, "confusion matrix (rows: true, columns: predicted):\n%12s", "");
        for (int b = 0; b < K; b++)
            fprintf(out, " %12.12s", clm_tree_class_label(tree, b));
        fputc('\n', out);
        for (int a = 0; a < K; a++) {
            fprintf(out, "%12.12s", clm_tree_class_label(tree, a));
            for (int b = 0; b < K; b++)
                fprintf(out, " %12lld", (long long)m.confusion[a * K + b]);
            fputc('\n', out);
        }
    }
    const double *imp = clm_tree_impurity_importance(tree);
    const double *perm = clm_tree_permutation_importance(tree);
    fprintf(out, "feature importance (impurity, permutation accuracy drop):\n");
    /* Largest impurity importance first. */
    int *order = malloc((size_t)F * sizeof *order);
    if (order) {
        for (int f = 0; f < F; f++) {
            int j = f;
            while (j > 0 && imp[order[j - 1]] < imp[f]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = f;
        }
        for (int j = 0; j < F && j < TREE_FEATURES_SHOWN; j++)
            fprintf(out, "  %-24s %.4f  %+.4f\n", clm_tree_feature_name(tree, order[j]),
                    imp[order[j]], perm[order[j]]);
        if (F > TREE_FEATURES_SHOWN)
            fprintf(out, "  (%d more, all in tree.json)\n", F - TREE_FEATURES_SHOWN);
        free(order);
    }
    cli_tree_print_rules(tree, rules_path, rules_shown, out);
}

/* The three outputs, written and closed under their temporary names
 * until outputs_commit renames them. */
typedef struct tree_outputs {
    clm_writer *w;
    clm_textfile *rules, *json;
} tree_outputs;

static void outputs_abort(tree_outputs *o)
{
    clm_textfile_abort(o->rules);
    clm_textfile_abort(o->json);
    clm_writer_abort(o->w);
    memset(o, 0, sizeof *o);
}

/* All three are complete on disk: only the renames are left. */
static clm_status outputs_commit(tree_outputs *o)
{
    clm_status st = clm_textfile_commit(o->rules);
    o->rules = NULL;
    if (!st)
        st = clm_textfile_commit(o->json);
    o->json = NULL;
    if (!st)
        st = clm_writer_commit(o->w);
    o->w = NULL;
    outputs_abort(o);
    return st;
}

/* The binary probability of every row into `column` of w, block by block. */
static clm_status write_probability(const clm_tree *tree, clm_writer *w, int column, float *probs)
{
    const int64_t n = clm_tree_n_rows(tree);
    clm_status st = CLM_OK;
    for (int64_t row0 = 0; !st && row0 < n; row0 += CLM_BLOCK_ROWS) {
        int64_t count = util_block_len(n, row0, CLM_BLOCK_ROWS);
        if ((st = clm_tree_predict_training(tree, row0, count, probs)))
            break;
        for (int64_t i = 0; i < count; i++)
            probs[i] = probs[2 * i + 1];
        st = clm_writer_column_write(w, column, row0, count, probs);
    }
    return st;
}

/* Rank 0 (or the one process): the three outputs, closed.  With
 * `rows_on_ranks` (a tree fitted on several ranks) the per-row datasets
 * are laid out zero-filled, for every rank to write its own rows into
 * (write_rank_rows); otherwise the one process writes every row. */
static clm_status write_outputs(const clm_tree *tree, int64_t n, int rows_on_ranks,
                                const char *input, const char *output, const char *rules_path,
                                const char *json_path, tree_outputs *o)
{
    const char *inputs[2] = {input, NULL};
    float *probs = NULL;
    clm_status st;
    memset(o, 0, sizeof *o);
    if ((st = clm_writer_create(output, inputs, &o->w)) ||
        (st = clm_textfile_open(rules_path, inputs, &o->rules)) ||
        (st = clm_textfile_open(json_path, inputs, &o->json)))
        goto fail;
    if ((st = clm_tree_save(tree, o->w, "/churn")))
        goto fail;
    const int K = clm_tree_n_classes(tree);
    const uint8_t *holdout = clm_tree_holdout_mask(tree);
    if (rows_on_ranks) {
        st = K == 2 ? io_writer_column_zeros(o->w, "/churn/probability", CLM_DT_FLOAT32, n)
                    : io_writer_array_zeros(o->w, "/churn/class_probability", CLM_DT_FLOAT32, n, K);
        if (!st && holdout)
            st = io_writer_column_zeros(o->w, "/churn/holdout", CLM_DT_UINT8, n);
        if (st)
            goto fail;
    } else if (K == 2) {
        int column;
        probs = malloc((size_t)CLM_BLOCK_ROWS * 2 * sizeof *probs);
        if (!probs) {
            st = clm_error(CLM_E_NOMEM, "tree: out of memory");
            goto fail;
        }
        if ((st = clm_writer_column_create(o->w, "/churn/probability", CLM_DT_FLOAT32, n, &column)) ||
            (st = write_probability(tree, o->w, column, probs)))
            goto fail;
    } else {
        probs = malloc((size_t)(n > 0 ? n : 1) * K * sizeof *probs);
        if (!probs) {
            st = clm_error(CLM_E_NOMEM, "tree: out of memory for %lld x %d probabilities",
                           (long long)n, K);
            goto fail;
        }
        const int64_t dims[2] = {n, K};
        if ((st = clm_tree_predict_training(tree, 0, n, probs)) ||
            (st = clm_writer_array(o->w, "/churn/class_probability", CLM_DT_FLOAT32, 2, dims, probs)))
            goto fail;
    }
    if (holdout && !rows_on_ranks &&
        (st = clm_writer_column_array(o->w, "/churn/holdout", CLM_DT_UINT8, n, holdout)))
        goto fail;
    if ((st = clm_textfile_close(o->rules, clm_tree_write_rules(tree, clm_textfile_stream(o->rules)))) ||
        (st = clm_textfile_close(o->json, clm_tree_write_json(tree, clm_textfile_stream(o->json)))) ||
        (st = clm_writer_close(o->w)))
        goto fail;
    free(probs);
    return CLM_OK;
fail:
    free(probs);
    outputs_abort(o);
    return st;
}

/* Every rank's own rows of the probabilities (the binary tree's of class
 * 1, else the n x K of every class) and of the holdout mask, into rank 0's
 * closed results file (io_write_rank_rows, collective). */
static clm_status write_rank_rows(const clm_tree *tree, const comm_ctx *comm, const char *path)
{
    int64_t first, n;
    tree_rows_here(tree, &first, &n);
    const int K = clm_tree_n_classes(tree);
    float *probs = malloc((size_t)(n > 0 ? n : 1) * (size_t)K * sizeof *probs);
    clm_status st = probs ? CLM_OK : clm_error(CLM_E_NOMEM, "tree: out of memory");
    if (!st)
        st = clm_tree_predict_training(tree, 0, n, probs);
    for (int64_t i = 0; !st && K == 2 && i < n; i++)
        probs[i] = probs[2 * i + 1];
    st = comm_agree(comm, st);
    const uint8_t *holdout = clm_tree_holdout_mask(tree);
    const io_rank_column columns[] = {
        K == 2 ? (io_rank_column){"/churn/probability", CLM_DT_FLOAT32, probs, 0}
               : (io_rank_column){"/churn/class_probability", CLM_DT_FLOAT32, probs, K},
        {"/churn/holdout", CLM_DT_UINT8, holdout, 0},
    };
    if (!st)
        st = io_write_rank_rows(comm, path, first, n, columns, holdout ? 2 : 1);
    free(probs);
    return st;
}

enum {
    OPT_GROUP = CLI_OPT_FIRST, OPT_TARGET, OPT_TARGET_LEVEL, OPT_CRITERION, OPT_MAX_DEPTH,
    OPT_MIN_LEAF, OPT_MIN_GAIN, OPT_MAX_LEAVES, OPT_CLASS_WEIGHT, OPT_CCP_ALPHA,
    OPT_TEST_FRACTION, OPT_BINS, OPT_FEATURES, OPT_PERMUTATION_REPEATS, OPT_CAT_MIN_COUNT,
    OPT_CAT_SMOOTH, OPT_CAT_L2, OPT_CAT_MAX_THRESHOLD, OPT_CAT_MAX_ONEHOT, OPT_SHOW_RULES
};

static const struct option tree_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"group", required_argument, NULL, OPT_GROUP},
    {"target", required_argument, NULL, OPT_TARGET},
    {"target-level", required_argument, NULL, OPT_TARGET_LEVEL},
    {"criterion", required_argument, NULL, OPT_CRITERION},
    {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
    {"min-leaf", required_argument, NULL, OPT_MIN_LEAF},
    {"min-gain", required_argument, NULL, OPT_MIN_GAIN},
    {"max-leaves", required_argument, NULL, OPT_MAX_LEAVES},
    {"class-weight", required_argument, NULL, OPT_CLASS_WEIGHT},
    {"ccp-alpha", required_argument, NULL, OPT_CCP_ALPHA},
    {"test-fraction", required_argument, NULL, OPT_TEST_FRACTION},
    {"bins", required_argument, NULL, OPT_BINS},
    {"features", required_argument, NULL, OPT_FEATURES},
    {"permutation-repeats", required_argument, NULL, OPT_PERMUTATION_REPEATS},
    {"cat-min-count", required_argument, NULL, OPT_CAT_MIN_COUNT},
    {"cat-smooth", required_argument, NULL, OPT_CAT_SMOOTH},
    {"cat-l2", required_argument, NULL, OPT_CAT_L2},
    {"cat-max-threshold", required_argument, NULL, OPT_CAT_MAX_THRESHOLD},
    {"cat-max-onehot", required_argument, NULL, OPT_CAT_MAX_ONEHOT},
    {"show-rules", required_argument, NULL, OPT_SHOW_RULES},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

/* One option into the params; 0, or 1 after a usage error. */
static int tree_option(int c, const char *v, clm_tree_params *params, clm_tree_columns *tcols, const char **output,
                       const char **group, const char **features_text)
{
    switch (c) {
    case 'o': *output = v; return 0;
    case OPT_GROUP: *group = v; return 0;
    case OPT_TARGET: tcols->target = v; return 0;
    case OPT_TARGET_LEVEL: tcols->target_level = v; return 0;
    case OPT_FEATURES: *features_text = v; return 0;
    case OPT_CRITERION:
        if (!strcmp(v, "gini"))
            params->criterion = CLM_TREE_GINI;
        else if (!strcmp(v, "entropy"))
            params->criterion = CLM_TREE_ENTROPY;
        else
            return cli_usage_error("tree", "--criterion: '%s' is not gini or entropy", v);
        return 0;
    case OPT_CLASS_WEIGHT:
        if (!strcmp(v, "balanced"))
            params->class_weight_balanced = 1;
        else if (!strcmp(v, "none"))
            params->class_weight_balanced = 0;
        else
            return cli_usage_error("tree", "--class-weight: '%s' is not balanced or none", v);
        return 0;
    case OPT_MAX_DEPTH: return cli_parse_int("tree", "--max-depth", v, 0, 64, &params->max_depth) != 0;
    case OPT_MIN_LEAF: return cli_parse_i64("tree", "--min-leaf", v, 1, INT64_MAX, &params->min_leaf) != 0;
    case OPT_MAX_LEAVES: return cli_parse_int("tree", "--max-leaves", v, 2, 1 << 30, &params->max_leaves) != 0;
    case OPT_BINS: return cli_parse_int("tree", "--bins", v, 2, CLM_TREE_MAX_BINS, &params->n_bins) != 0;
    case OPT_PERMUTATION_REPEATS:
        return cli_parse_int("tree", "--permutation-repeats", v, 0, 100, &params->permutation_repeats) != 0;
    case OPT_MIN_GAIN: return cli_parse_f64("tree", "--min-gain", v, 0.0, INFINITY, &params->min_gain) != 0;
    case OPT_CCP_ALPHA: return cli_parse_f64("tree", "--ccp-alpha", v, 0.0, 1e300, &params->ccp_alpha) != 0;
    case OPT_CAT_MIN_COUNT:
        return cli_parse_i64("tree", "--cat-min-count", v, 1, INT64_MAX, &params->cat_min_count) != 0;
    case OPT_CAT_SMOOTH: return cli_parse_f64("tree", "--cat-smooth", v, 0.0, 1e300, &params->cat_smooth) != 0;
    case OPT_CAT_L2: return cli_parse_f64("tree", "--cat-l2", v, 0.0, 1e300, &params->cat_l2) != 0;
    case OPT_CAT_MAX_THRESHOLD:
        return cli_parse_int("tree", "--cat-max-threshold", v, 1, 1 << 30, &params->cat_max_threshold) != 0;
    case OPT_CAT_MAX_ONEHOT:
        return cli_parse_int("tree", "--cat-max-onehot", v, 0, 1 << 30, &params->cat_max_onehot) != 0;
    case OPT_TEST_FRACTION:
        return cli_parse_f64("tree", "--test-fraction", v, 0.0, 0.999999, &params->test_fraction) != 0;
    default:
        return 1; /* CLI_OPT_ERROR: already reported */
    }
}

int cmd_tree(int argc, char **argv)
{
    cli_common common;
    cli_common_default(&common);
    clm_tree_params params;
    clm_tree_columns tcols;
    clm_tree_columns_default(&tcols);
    clm_tree_params_default(&params);
    const char *input = NULL, *output = NULL, *group = NULL, *features_text = NULL;
    char **features = NULL;
    int rc = 1, rules_shown = 10;

    cli_parser parser;
    cli_parser_init(&parser, "tree", argc, argv, "o:", tree_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        if (c == 'h') {
            fputs(usage_text, stdout);
            return 0;
        }
        if (c == OPT_SHOW_RULES) {
            if (cli_parse_int("tree", "--show-rules", optarg, 0, 1 << 20, &rules_shown))
                return 1;
            continue;
        }
        if (tree_option(c, optarg, &params, &tcols, &output, &group, &features_text))
            return 1;
    }
    if (cli_positionals("tree", argc, argv, &input, 1))
        return 1;
    if (!input)
        return cli_usage_error("tree", "no input file given");
    if (!output)
        return cli_usage_error("tree", "no output file given (-o results.h5)");
    if (features_text) {
        features = util_split_list(features_text, &tcols.n_features);
        if (!features)
            return cli_fail("tree", clm_error(CLM_E_NOMEM, "out of memory"));
        if (tcols.n_features == 0) {
            rc = cli_usage_error("tree", "--features: give a comma-separated list of columns");
            goto out;
        }
        tcols.features = (const char *const *)features;
    }
    params.seed = common.seed;
    params.n_threads = common.n_threads;
    clm_status st = clm_tree_params_check(&params);
    if (st) {
        rc = cli_fail("tree", st);
        goto out;
    }
    cli_progress_state progress;
    cli_progress_init(&progress, common.quiet);
    params.progress = cli_progress;
    params.progress_ctx = &progress;

    const comm_ctx world = comm_world();
    const int root = world.rank == 0;
    if (!root)
        params.progress = NULL; /* one progress line for all ranks: rank 0's */
    char *rules_path = util_path_beside(output, "tree_rules.txt");
    char *json_path = util_path_beside(output, "tree.json");
    clm_table *table = NULL;
    clm_tree *tree = NULL;
    if (!rules_path || !json_path)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    st = comm_agree(&world, st);
    if (!st)
        st = io_table_open_ranks(&world, input, group, &table);
    if (!st)
        st = tree_fit_table_ranks(&params, &tcols, table, &world, &tree);
    clm_table_close(table);
    /* The fit agrees (the same st on every rank).  The rows' outputs (a
     * binary tree's probability column, a multi-class tree's n x K array,
     * the holdout mask) are written by their own ranks into the file rank 0
     * has written and closed.  Rank 0 then renames and prints, and its
     * outcome is everyone's. */
    const int fitted = !st;
    const int rows_on_ranks = fitted && comm_is_parallel(&world);
    tree_outputs outs;
    memset(&outs, 0, sizeof outs);
    if (!st && root)
        st = write_outputs(tree, clm_tree_n_rows(tree), rows_on_ranks, input, output, rules_path,
                           json_path, &outs);
    if (fitted)
        st = comm_agree(&world, st);
    if (!st && rows_on_ranks)
        st = write_rank_rows(tree, &world, root ? io_writer_temp_path(outs.w) : NULL);
    if (!st && root)
        st = outputs_commit(&outs);
    outputs_abort(&outs);
    if (!st && root) {
        print_summary(tree, rules_path, rules_shown, stdout);
        printf("wrote %s, %s, %s\n", output, rules_path, json_path);
    }
    if (fitted)
        st = comm_agree(&world, st);
    rc = st ? cli_fail("tree", st) : 0;
    clm_tree_free(tree);
    free(rules_path);
    free(json_path);
out:
    free(features);
    return rc;
}

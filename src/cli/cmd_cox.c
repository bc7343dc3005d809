/*
 * cmd_cox.c — `clmseg cox`: Cox proportional hazards on a table, written
 * to /cox of an HDF5 results file and printed like R's summary(coxph);
 * with --equity, each active row's remaining lifetime and value too
 * (/equity).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "clmseg/cox.h"
#include "clmseg/survival.h"
#include "cli/cli_internal.h"
#include "core/comm_internal.h"
#include "core/util_internal.h"
#include "cox/cox_ranks.h"
#include "io/io_internal.h"

static const char *const usage_text =
    "usage: clmseg cox data.h5 -o results.h5 --features a,b,... [options]\n"
    "\n"
    "Cox proportional hazards regression (docs/cox.md).\n"
    "\n"
    "  -o, --output FILE    results file (HDF5; /cox, and /equity with --equity)\n"
    "  --features A,B,...   covariates: numeric or categorical columns\n"
    "  --group G            input group (default /subscribers)\n"
    "  --time COL           survival time (default tenure_months)\n"
    "  --event COL          event column, 0/1 or categorical (default churned)\n"
    "  --event-level L      category (or value) that means the event, e.g. Yes\n"
    "  --strata COL         a baseline hazard per level of this column\n"
    "  --ties T             efron (default) or breslow\n"
    "  --l2 L               ridge penalty on the standardised coefficients (default 0)\n"
    "  --max-iter N         Newton iterations at most (default 30)\n"
    "  --time-unit U        months (default), weeks or days; converted to months\n"
    "  --equity             each active row's remaining lifetime and value (/equity)\n"
    "  --arpu COL           ARPU column for --equity (default arpu)\n"
    "  --horizon H          months projected by --equity (default 36)\n"
    "  --margin M           margin share of ARPU (default 1)\n"
    "  --discount D         annual discount rate (default 0.10)\n"
    "  --threads T  --quiet  -h\n";

enum {
    OPT_FEATURES = CLI_OPT_FIRST, OPT_GROUP, OPT_TIME, OPT_EVENT, OPT_EVENT_LEVEL, OPT_STRATA,
    OPT_TIES, OPT_L2, OPT_MAX_ITER, OPT_TIME_UNIT, OPT_EQUITY, OPT_ARPU, OPT_HORIZON,
    OPT_MARGIN, OPT_DISCOUNT
};

static const struct option cox_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"features", required_argument, NULL, OPT_FEATURES},
    {"group", required_argument, NULL, OPT_GROUP},
    {"time", required_argument, NULL, OPT_TIME},
    {"event", required_argument, NULL, OPT_EVENT},
    {"event-level", required_argument, NULL, OPT_EVENT_LEVEL},
    {"strata", required_argument, NULL, OPT_STRATA},
    {"ties", required_argument, NULL, OPT_TIES},
    {"l2", required_argument, NULL, OPT_L2},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {"time-unit", required_argument, NULL, OPT_TIME_UNIT},
    {"equity", no_argument, NULL, OPT_EQUITY},
    {"arpu", required_argument, NULL, OPT_ARPU},
    {"horizon", required_argument, NULL, OPT_HORIZON},
    {"margin", required_argument, NULL, OPT_MARGIN},
    {"discount", required_argument, NULL, OPT_DISCOUNT},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

static clm_status cox_write(const clm_cox *model, const clm_equity *eq, int64_t n_all, int ranks,
                            const char *input, const char *output, clm_writer **writer);

int cmd_cox(int argc, char **argv)
{
    const char *cmd = "cox";
    cli_common common;
    cli_common_default(&common);
    clm_cox_params params;
    clm_cox_params_default(&params);
    clm_cox_columns cols;
    clm_cox_columns_default(&cols);
    clm_equity_params eq_params;
    clm_equity_params_default(&eq_params);
    const char *input = NULL, *output = NULL, *group = NULL, *features = NULL, *arpu = "arpu";
    int equity = 0;
    cli_parser parser;
    cli_parser_init(&parser, cmd, argc, argv, "o:", cox_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        const char *v = optarg;
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'o': output = v; break;
        case OPT_FEATURES: features = v; break;
        case OPT_GROUP: group = v; break;
        case OPT_TIME: cols.time = v; break;
        case OPT_EVENT: cols.event = v; break;
        case OPT_EVENT_LEVEL: cols.event_level = v; break;
        case OPT_STRATA: cols.strata = v; break;
        case OPT_TIES:
            if (clm_cox_ties_parse(v, &params.ties))
                return cli_usage_error(cmd, "--ties: '%s' is not efron or breslow", v);
            break;
        case OPT_L2:
            if (cli_parse_f64(cmd, "--l2", v, 0.0, 1e12, &params.l2))
                return 1;
            break;
        case OPT_MAX_ITER:
            if (cli_parse_int(cmd, "--max-iter", v, 1, 1000, &params.max_iter))
                return 1;
            break;
        case OPT_TIME_UNIT:
            if (clm_survival_time_unit(v, &cols.time_unit_days))
                return cli_usage_error(cmd, "--time-unit: '%s' is not days, weeks or months", v);
            break;
        case OPT_EQUITY: equity = 1; break;
        case OPT_ARPU: arpu = v; break;
        case OPT_HORIZON:
        case OPT_MARGIN:
        case OPT_DISCOUNT:
            if (cli_equity_option(cmd, c == OPT_HORIZON ? "--horizon" : c == OPT_MARGIN ? "--margin" : "--discount",
                                  v, 1, &eq_params))
                return 1;
            break;
        default:
            return 1;
        }
    }
    if (cli_positionals(cmd, argc, argv, &input, 1))
        return 1;
    if (!input)
        return cli_usage_error(cmd, "no input file (clmseg cox data.h5 -o results.h5)");
    if (!output)
        return cli_usage_error(cmd, "no output file: give -o results.h5");
    if (!features)
        return cli_usage_error(cmd, "no covariates: give --features a,b,...");
    char **names = util_split_list(features, &cols.n_features);
    if (!names)
        return cli_fail(cmd, clm_error(CLM_E_NOMEM, "out of memory"));
    cols.features = (const char *const *)names;
    params.n_threads = common.n_threads;
    eq_params.n_threads = common.n_threads;

    /* Under mpirun (docs/design.md §7) every rank fits on its own rows
     * (cox_fit_table_ranks) and holds the same model, and projects
     * --equity over its own rows; rank 0 writes the results file with the
     * per-row equity columns laid out zero-filled and closes it, every
     * rank writes its own rows into it (io_write_rank_rows), and rank 0
     * renames it and prints.  No row travels to rank 0.  Every rank leaves
     * with the same exit code. */
    const comm_ctx world = comm_world();
    clm_table *table = NULL;
    clm_cox *model = NULL;
    clm_equity *eq = NULL;
    clm_writer *writer = NULL;
    clm_status st = comm_agree(&world, clm_table_open(input, group, &table));
    if (!st)
        st = cox_fit_table_ranks(&params, &cols, table, &world, &model);
    if (!st && equity)
        st = cox_equity_table_ranks(model, &eq_params, arpu, NULL, table, &world, 0, &eq);
    const int64_t n_all = st ? 0 : clm_table_n_rows(table);
    clm_table_close(table);
    free(names);
    if (!st && world.rank == 0)
        st = cox_write(model, eq, n_all, comm_is_parallel(&world), input, output, &writer);
    if (!st && comm_is_parallel(&world)) {
        st = comm_wait_root(&world, st); /* the others asleep meanwhile */
        if (!st && eq) {
            int64_t first, n;
            cox_rank_rows(&world, n_all, &first, &n);
            const io_rank_column columns[4] = {
                {"/equity/leave_3", CLM_DT_FLOAT32, eq->leave_3, 0},
                {"/equity/leave_12", CLM_DT_FLOAT32, eq->leave_12, 0},
                {"/equity/expected_months", CLM_DT_FLOAT32, eq->expected_months, 0},
                {"/equity/value", CLM_DT_FLOAT32, eq->value, 0}};
            st = io_write_rank_rows(&world, writer ? io_writer_temp_path(writer) : NULL, first, n, columns, 4);
        }
        if (!st && writer) {
            st = clm_writer_commit(writer);
            writer = NULL;
        }
    }
    st = comm_agree(&world, st);
    clm_writer_abort(writer);
    if (!st && world.rank == 0 && !common.quiet) {
        clm_cox_print(model, stdout);
        /* The whole table's figures, the same on every rank. */
        if (eq)
            printf("\nEquity: %lld active rows; expected still active after 3 months %.1f, "
                   "after 12 months %.1f\n", (long long)eq->n_active,
                   eq->expected_active[eq->horizon >= 3 ? 3 : eq->horizon],
                   eq->expected_active[eq->horizon >= 12 ? 12 : eq->horizon]);
    }
    clm_equity_free(eq);
    clm_cox_free(model);
    return st ? cli_fail(cmd, st) : 0;
}

/* Rank 0 (or the one process): the results file with the model and, with
 * --equity, the projected rows of the n_all rows (on several ranks laid
 * out zero-filled and the file closed, *writer kept for the ranks' rows;
 * else committed). */
static clm_status cox_write(const clm_cox *model, const clm_equity *eq, int64_t n_all, int ranks,
                            const char *input, const char *output, clm_writer **writer)
{
    const char *inputs[2] = {input, NULL};
    clm_writer *w = NULL;
    clm_status st = clm_writer_create(output, inputs, &w);
    if (!st)
        st = clm_cox_save(model, w, NULL);
    io_writer_defer_rows(w, ranks);
    /* On several ranks eq holds rank 0's rows, but the columns are every
     * row's: laid out for n_all rows (the deferred saver reads no row; the
     * whole table's figures, n_active and expected_active, are every
     * rank's). */
    clm_equity whole;
    if (eq) {
        whole = *eq;
        whole.n_rows = n_all;
    }
    if (!st && eq)
        st = clm_equity_save(&whole, w, NULL);
    if (!st && !ranks)
        return clm_writer_commit(w); /* which frees the writer either way */
    if (!st)
        st = clm_writer_close(w);
    if (st) {
        clm_writer_abort(w);
        return st;
    }
    *writer = w;
    return CLM_OK;
}

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

static int cox_finish(const char *cmd, const cli_common *common, clm_cox *model, clm_equity *eq,
                      const char *input, const char *output, clm_status st);

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
     * (cox_fit_table_ranks) and holds the same model, projects --equity
     * over its own rows, and rank 0 gathers the projected rows; it writes
     * and prints while the others wait asleep, and all leave with its exit
     * code. */
    const comm_ctx world = comm_world();
    clm_table *table = NULL;
    clm_cox *model = NULL;
    clm_equity *eq = NULL, *mine = NULL;
    clm_status st = comm_agree(&world, clm_table_open(input, group, &table));
    if (!st)
        st = cox_fit_table_ranks(&params, &cols, table, &world, &model);
    if (!st && equity)
        st = cox_equity_table_ranks(model, &eq_params, arpu, NULL, table, &world, &mine);
    if (!st && equity)
        st = cox_equity_gather(&world, clm_table_n_rows(table), mine, &eq);
    else
        clm_equity_free(mine);
    if (world.rank != 0) {
        clm_table_close(table);
        free(names);
        clm_cox_free(model);
        clm_equity_free(eq);
        return st ? cli_fail(cmd, st) : comm_wait_root_code(&world, 0);
    }
    const int fitted = !st;
    const int rc = cox_finish(cmd, &common, model, eq, input, output, st);
    clm_table_close(table);
    free(names);
    return fitted ? comm_wait_root_code(&world, rc) : rc;
}

/* Rank 0 (or the one process): the results file and the summary of the
 * model and its projection of every row (eq, or NULL without --equity);
 * the exit code.  Frees the model and eq. */
static int cox_finish(const char *cmd, const cli_common *common, clm_cox *model, clm_equity *eq,
                      const char *input, const char *output, clm_status st)
{
    const char *inputs[2] = {input, NULL};
    clm_writer *writer = NULL;
    if (!st)
        st = clm_writer_create(output, inputs, &writer);
    if (!st)
        st = clm_cox_save(model, writer, NULL);
    if (!st && eq)
        st = clm_equity_save(eq, writer, NULL);
    if (!st) {
        st = clm_writer_commit(writer);
        writer = NULL;
    }
    if (st) {
        clm_writer_abort(writer);
        clm_equity_free(eq);
        clm_cox_free(model);
        return cli_fail(cmd, st);
    }
    if (!common->quiet) {
        clm_cox_print(model, stdout);
        if (eq)
            printf("\nEquity: %lld active rows; expected still active after 3 months %.1f, "
                   "after 12 months %.1f\n", (long long)eq->n_active,
                   eq->expected_active[eq->horizon >= 3 ? 3 : eq->horizon],
                   eq->expected_active[eq->horizon >= 12 ? 12 : eq->horizon]);
    }
    clm_equity_free(eq);
    clm_cox_free(model);
    return 0;
}

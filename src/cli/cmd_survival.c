/*
 * cmd_survival.c — `clmseg survival`: Kaplan–Meier curves, log-rank test
 * and lifetime value by stratum, written to /survival in an HDF5 results
 * file, a tidy survival.csv beside it, and a summary on stdout.
 *
 * Under mpirun (the MPI build, docs/design.md §7) every rank counts its
 * own rows; the merged curves are the same on every rank, and rank 0
 * writes them with the serial writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "clmseg/survival.h"
#include "cli/cli_internal.h"
#include "core/comm_internal.h"
#include "core/util_internal.h"
#include "survival/survival_ranks.h"
#include "io/io_table_ranks.h"

static const char *const usage_text =
    "usage: clmseg survival data.h5 -o results.h5 [options]\n"
    "\n"
    "Kaplan-Meier survival, log-rank test and lifetime value (docs/survival.md).\n"
    "\n"
    "  -o, --output FILE    results file (HDF5; /survival/<by>, /survival/all: one dataset\n"
    "                       per field for all strata, docs/survival.md)\n"
    "  --csv FILE           tidy CSV (default: survival.csv beside the output)\n"
    "  --group G            input group (default /subscribers)\n"
    "  --time COL           survival time in months (default tenure_months)\n"
    "  --event COL          event column, 0/1 or categorical (default churned)\n"
    "  --event-level L      category (or value) that means the event, e.g. Yes\n"
    "  --by COL             strata: a categorical or integer column\n"
    "  --by segment --results FILE   strata: /segments/label of a kmeans results file\n"
    "  --conf-type T        log (default), log-log or plain\n"
    "  --conf-level X       band level (default 0.95)\n"
    "  --at T1,T2,...       times where S is reported (default 6,12,24,36)\n"
    "  --arpu COL           ARPU column for LTV (default arpu if present; 'none': no LTV)\n"
    "  --margin M           margin share of ARPU (default 1)\n"
    "  --discount D         annual discount rate (default 0.10)\n"
    "  --horizon H          months for RMST and LTV (default 60)\n"
    "  --time-unit U        unit of the time column: months (default), weeks or days;\n"
    "                       times are converted to months (30.4375 days)\n"
    "  --threads T  --quiet  -h\n";

static int parse_at(const char *text, clm_survival_params *p)
{
    int n = 0, rc = 0;
    char **times = util_split_list(text, &n);
    if (!times) {
        cli_fail("survival", clm_error(CLM_E_NOMEM, "out of memory"));
        return -1;
    }
    if (n > CLM_SURVIVAL_MAX_AT) {
        cli_usage_error("survival", "--at: at most %d times", CLM_SURVIVAL_MAX_AT);
        rc = -1;
    }
    p->n_at = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (cli_parse_f64("survival", "--at", times[i], 0.0, 1e12, &p->at[p->n_at]))
            rc = -1;
        else
            p->n_at++;
    }
    free(times);
    return rc;
}

enum {
    OPT_CSV = CLI_OPT_FIRST, OPT_GROUP, OPT_TIME, OPT_EVENT, OPT_EVENT_LEVEL, OPT_BY,
    OPT_RESULTS, OPT_ARPU, OPT_CONF_TYPE, OPT_CONF_LEVEL, OPT_AT, OPT_MARGIN, OPT_DISCOUNT,
    OPT_HORIZON, OPT_TIME_UNIT
};

static const struct option survival_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"csv", required_argument, NULL, OPT_CSV},
    {"group", required_argument, NULL, OPT_GROUP},
    {"time", required_argument, NULL, OPT_TIME},
    {"event", required_argument, NULL, OPT_EVENT},
    {"event-level", required_argument, NULL, OPT_EVENT_LEVEL},
    {"by", required_argument, NULL, OPT_BY},
    {"results", required_argument, NULL, OPT_RESULTS},
    {"arpu", required_argument, NULL, OPT_ARPU},
    {"conf-type", required_argument, NULL, OPT_CONF_TYPE},
    {"conf-level", required_argument, NULL, OPT_CONF_LEVEL},
    {"at", required_argument, NULL, OPT_AT},
    {"margin", required_argument, NULL, OPT_MARGIN},
    {"discount", required_argument, NULL, OPT_DISCOUNT},
    {"horizon", required_argument, NULL, OPT_HORIZON},
    {"time-unit", required_argument, NULL, OPT_TIME_UNIT},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

/* The /segments/label column of a results file, with k = largest + 1:
 * this rank's rows of it (surv_rank_rows; all of them on one rank), and k
 * over every rank's. */
static clm_status read_segment_labels(const char *results, const comm_ctx *comm, int64_t n_rows,
                                      int64_t file_chunk, int32_t **out, int32_t *k)
{
    clm_table *seg = NULL;
    *out = NULL;
    int64_t first = 0, n_local = 0;
    surv_rank_rows(comm, n_rows, file_chunk, &first, &n_local);
    clm_status st = clm_table_open_any(results, "/segments", &seg);
    int col = -1;
    if (!st) st = clm_table_require(seg, "label", CLM_KIND_UNSUPPORTED, &col);
    if (!st && clm_table_column(seg, col)->length != n_rows)
        st = clm_error(CLM_E_SCHEMA, "%s: /segments/label has %lld rows but the input has %lld", results,
                       (long long)clm_table_column(seg, col)->length, (long long)n_rows);
    int32_t *labels = st ? NULL : malloc(sizeof(int32_t) * (size_t)(n_local > 0 ? n_local : 1));
    if (!st && !labels)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st) st = clm_table_read_i32(seg, col, first, n_local, labels);
    int64_t hi = -1;
    for (int64_t i = 0; !st && i < n_local; i++) {
        if (labels[i] < -1)
            st = clm_error(CLM_E_VALUE, "%s: /segments/label, row %lld: %d is not a segment", results,
                           (long long)(first + i), (int)labels[i]);
        hi = labels[i] > hi ? labels[i] : hi;
    }
    clm_table_close(seg);
    /* The lowest rank's error is the first bad row's. */
    st = comm_agree(comm, st);
    if (!st) st = comm_max_i64(comm, &hi, 1);
    if (st) {
        free(labels);
        return st;
    }
    *out = labels;
    *k = hi + 1 > 0 ? (int32_t)(hi + 1) : 1;
    return CLM_OK;
}

/* Where the command reads and writes. */
typedef struct survival_files {
    const char *input, *group, *output, *csv, *results, *arpu;
} survival_files;

/* The results file and the CSV (both atomic, renamed only when both are
 * complete on disk), then the summary on `report`. */
static clm_status write_outputs(const clm_survival *surv, const survival_files *f,
                                const char *by_label, FILE *report)
{
    const char *inputs[3] = {f->input, f->results, NULL};
    char *csv_default = NULL;
    const char *csv = f->csv;
    if (!csv && !(csv = csv_default = util_path_beside(f->output, "survival.csv")))
        return clm_error(CLM_E_NOMEM, "out of memory");
    clm_writer *writer = NULL;
    clm_textfile *text = NULL;
    clm_status st = clm_writer_create(f->output, inputs, &writer);
    if (!st)
        st = clm_survival_write_h5(surv, writer, by_label);
    if (!st)
        st = clm_textfile_open(csv, inputs, &text);
    if (!st)
        st = clm_textfile_close(text, clm_survival_write_csv(surv, clm_textfile_stream(text)));
    if (!st)
        st = clm_writer_close(writer);
    /* Both are complete on disk: only the renames are left. */
    if (!st) {
        st = clm_textfile_commit(text);
        text = NULL;
    }
    if (!st) {
        st = clm_writer_commit(writer);
        writer = NULL;
    }
    free(csv_default);
    clm_textfile_abort(text);
    clm_writer_abort(writer);
    if (!st && report)
        clm_survival_print(surv, report, by_label);
    return st;
}

/* Open, fit, write.  Under mpirun (docs/design.md §7) every rank opens the
 * input and counts its own rows (surv_fit_table_ranks); every rank then
 * holds the same curves, rank 0 alone writes and prints, and the ranks
 * agree on the outcome so that all exit with the same code. */
static clm_status run_survival(const clm_survival_params *params, clm_survival_columns *cols,
                               const survival_files *f, FILE *report)
{
    const comm_ctx world = comm_world();
    clm_table *table = NULL;
    int32_t *segments = NULL;
    clm_status st = io_table_open_ranks(&world, f->input, f->group, &table);
    /* ARPU: the named column, or "arpu" when the table has one. */
    if (f->arpu && strcmp(f->arpu, "none"))
        cols->arpu = f->arpu;
    if (!st && !f->arpu && clm_table_find(table, "arpu") >= 0)
        cols->arpu = "arpu";
    /* --by segment --results r.h5: the saved labels are the strata. */
    if (!st && f->results) {
        st = read_segment_labels(f->results, &world, clm_table_n_rows(table),
                                 surv_file_chunk(table, cols), &segments, &cols->n_strata);
        cols->strata = segments;
        cols->strata_name = "segment";
        cols->by = NULL;
    }
    clm_survival *surv = NULL;
    if (!st)
        st = comm_agree(&world, surv_fit_table_ranks(params, cols, table, &world, &surv));
    clm_table_close(table);
    free(segments);
    if (st)
        return st;
    /* Every rank holds the same curves: rank 0 writes them. */
    if (world.rank == 0)
        st = write_outputs(surv, f, f->results ? "segment" : cols->by, report);
    clm_survival_free(surv);
    return comm_agree(&world, st);
}

int cmd_survival(int argc, char **argv)
{
    const char *cmd = "survival";
    cli_common common;
    cli_common_default(&common);
    clm_survival_params params;
    clm_survival_params_default(&params);
    clm_survival_columns cols;
    memset(&cols, 0, sizeof cols);
    const char *input = NULL;
    survival_files files = {0};
    cli_parser parser;
    cli_parser_init(&parser, cmd, argc, argv, "o:", survival_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        const char *v = optarg;
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'o': files.output = v; break;
        case OPT_CSV: files.csv = v; break;
        case OPT_GROUP: files.group = v; break;
        case OPT_TIME: cols.time = v; break;
        case OPT_EVENT: cols.event = v; break;
        case OPT_EVENT_LEVEL: cols.event_level = v; break;
        case OPT_BY: cols.by = v; break;
        case OPT_RESULTS: files.results = v; break;
        case OPT_ARPU: files.arpu = v; break;
        case OPT_CONF_TYPE:
            if (clm_survival_conf_type_parse(v, &params.conf_type))
                return cli_usage_error(cmd, "%s", clm_error_detail());
            break;
        case OPT_CONF_LEVEL:
            if (cli_parse_f64(cmd, "--conf-level", v, 1e-9, 1.0 - 1e-9, &params.conf_level))
                return 1;
            break;
        case OPT_AT:
            if (parse_at(v, &params))
                return 1;
            break;
        case OPT_MARGIN:
            if (cli_parse_f64(cmd, "--margin", v, -1e12, 1e12, &params.margin))
                return 1;
            break;
        case OPT_DISCOUNT:
            if (cli_parse_f64(cmd, "--discount", v, 0.0, 1e6, &params.discount))
                return 1;
            break;
        case OPT_TIME_UNIT:
            if (clm_survival_time_unit(v, &cols.time_unit_days))
                return cli_usage_error(cmd, "--time-unit: '%s' is not days, weeks or months", v);
            break;
        case OPT_HORIZON:
            if (cli_parse_int(cmd, "--horizon", v, 0, 100000, &params.horizon))
                return 1;
            break;
        default:
            return 1;
        }
    }
    if (cli_positionals(cmd, argc, argv, &input, 1))
        return 1;
    if (!input)
        return cli_usage_error(cmd, "no input file (clmseg survival data.h5 -o results.h5)");
    if (!files.output)
        return cli_usage_error(cmd, "no output file: give -o results.h5");
    if (files.results && (!cols.by || strcmp(cols.by, "segment")))
        return cli_usage_error(cmd, "--results goes with --by segment");
    params.n_threads = common.n_threads;
    cli_progress_state progress;
    cli_progress_init(&progress, common.quiet);
    /* One progress line for all ranks: rank 0's. */
    params.progress = comm_world().rank == 0 ? cli_progress : NULL;
    params.progress_ctx = &progress;
    files.input = input;
    clm_status st = run_survival(&params, &cols, &files, common.quiet ? NULL : stdout);
    return st ? cli_fail(cmd, st) : 0;
}

/*
 * cmd_import.c — `clmseg import data.csv -o data.h5 [--group G] [--delimiter C]`:
 * the command-line front of clm_import_csv() (see docs/import.md).
 */
#include <stdio.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"

static const char *const usage_text =
    "usage: clmseg import data.csv -o data.h5 [--group G] [--delimiter C]\n"
    "\n"
    "Converts a CSV file with a header row into columnar HDF5: one dataset per\n"
    "column in group G (default /subscribers).  Types are inferred over the whole\n"
    "file: int64, float64, or text, which becomes categorical (int32 codes with a\n"
    "`categories` attribute, -1 = missing).  Empty fields and NA are missing; an\n"
    "integer column with missing values becomes float64 (NaN).\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   HDF5 file to write (required; never the CSV itself)\n"
    "  --group G           output group (default /subscribers)\n"
    "  --delimiter C       field separator: one character, or 'tab' (default ,)\n"
    "  --threads T         threads for parsing (default: all cores)\n"
    "  --quiet             no progress on stderr\n"
    "  -h, --help          this help\n";

/* The first pass reports bytes, the second rows; the shared display says
 * "rows", so the byte step gets its own line when stderr is not a tty. */
typedef struct import_progress {
    cli_progress_state state;
    double scan_started;
} import_progress;

static void import_progress_fn(void *ctx, const char *step, int64_t done, int64_t total)
{
    import_progress *p = ctx;
    if (p->state.quiet)
        return;
    if (p->state.is_tty || strcmp(step, "infer types") != 0) {
        cli_progress(&p->state, step, done, total);
        return;
    }
    if (p->scan_started == 0.0)
        p->scan_started = cli_now();
    if (done >= total)
        fprintf(stderr, "%s: %.1f MB in %.2f s\n", step, (double)total / 1e6,
                cli_now() - p->scan_started);
}

static int parse_delimiter(const char *text, char *out)
{
    if (!strcmp(text, "tab") || !strcmp(text, "\\t")) {
        *out = '\t';
        return 0;
    }
    if (strlen(text) != 1)
        return cli_usage_error("import", "--delimiter: '%s' is not one character (or 'tab')",
                               text);
    *out = text[0];
    return 0;
}

enum { OPT_GROUP = CLI_OPT_FIRST, OPT_DELIMITER };

static const struct option import_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"group", required_argument, NULL, OPT_GROUP},
    {"delimiter", required_argument, NULL, OPT_DELIMITER},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_import(int argc, char **argv)
{
    cli_common common;
    cli_common_default(&common);
    clm_import_params params;
    clm_import_params_default(&params);
    const char *input = NULL, *output = NULL;

    cli_parser parser;
    cli_parser_init(&parser, "import", argc, argv, "o:", import_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'o':
            output = optarg;
            break;
        case OPT_GROUP:
            params.group = optarg;
            break;
        case OPT_DELIMITER:
            if (parse_delimiter(optarg, &params.delimiter))
                return 1;
            break;
        default:
            return 1;
        }
    }
    if (cli_positionals("import", argc, argv, &input, 1))
        return 1;
    if (!input)
        return cli_usage_error("import", "no input CSV file given");
    if (!output)
        return cli_usage_error("import", "no output file given (-o data.h5)");
    params.n_threads = common.n_threads;

    clm_status status = clm_import_params_check(&params);
    if (status)
        return cli_fail("import", status);
    import_progress progress;
    memset(&progress, 0, sizeof progress);
    cli_progress_init(&progress.state, common.quiet);
    params.progress = import_progress_fn;
    params.progress_ctx = &progress;

    /* The output first, refusing to overwrite the CSV before any pass. */
    clm_writer *writer = NULL;
    status = clm_writer_create(output, (const char *const[]){input, NULL}, &writer);
    if (!status)
        status = clm_import_csv(&params, input, writer);
    status = status ? (clm_writer_abort(writer), status) : clm_writer_commit(writer);
    if (status)
        return cli_fail("import", status);
    return 0;
}

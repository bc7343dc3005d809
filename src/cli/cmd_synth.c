/*
 * cmd_synth.c — `clmseg synth`: generate a realistic quarter (HDF5).
 *
 *   clmseg synth -o quarter.h5 [--rows N] [--branches B] [--segments S]
 *                [--seed X] [--threads T] [--truth-lever SPEC] [--quiet]
 *
 * A thin front on clm_synth_write (include/clmseg/synth.h); the model is
 * documented in docs/synth.md.
 */
#include <stdio.h>
#include <string.h>

#include "clmseg/synth.h"
#include "cli/cli_internal.h"

static const char *const usage_text =
    "usage: clmseg synth -o quarter.h5 [--rows N] [--branches B] [--segments S]\n"
    "                    [--seed X] [--threads T] [--truth-lever SPEC] [--quiet]\n"
    "\n"
    "Generates a synthetic quarter: /subscribers (ids, branch, tenure, churn,\n"
    "ARPU, plan and 17 usage / value / early-warning features) and /truth\n"
    "(latent segment, lifecycle stage A-E).  Same seed, same bytes, whatever\n"
    "the thread count.  See docs/synth.md.\n"
    "\n"
    "  -o, --output PATH   output HDF5 file (written atomically)\n"
    "  --rows N            subscribers (default 1000000; 1e6 style accepted)\n"
    "  --branches B        branches, 1..100000 (default 300)\n"
    "  --segments S        latent segments, 1..64 (default 8)\n"
    "  --block-rows R      rows generated per block (default 65536)\n"
    "  --seed X            random seed (default 42)\n"
    "  --threads T         threads (default: all cores)\n"
    "  --truth-lever SPEC  the same quarter, but /truth/residual_months of the\n"
    "                      targeted active rows is their remaining lifetime had\n"
    "                      a retention lever multiplied their hazard from the\n"
    "                      snapshot on; adds /truth/lever_target.  SPEC is\n"
    "                      key=value,...: hazard_ratio=R (required, > 0),\n"
    "                      stage=D or C+D (default: every stage), months=M\n"
    "                      (default: for ever), arpu_min=X, arpu_max=Y (EUR);\n"
    "                      e.g. \"hazard_ratio=0.7,stage=D\"\n"
    "  --quiet             no progress, no summary\n";

enum { OPT_ROWS = CLI_OPT_FIRST, OPT_BRANCHES, OPT_SEGMENTS, OPT_BLOCK_ROWS, OPT_TRUTH_LEVER };

static const struct option synth_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"branches", required_argument, NULL, OPT_BRANCHES},
    {"segments", required_argument, NULL, OPT_SEGMENTS},
    {"block-rows", required_argument, NULL, OPT_BLOCK_ROWS},
    {"truth-lever", required_argument, NULL, OPT_TRUTH_LEVER},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_synth(int argc, char **argv)
{
    const char *command = "synth";
    cli_common common;
    cli_common_default(&common);
    clm_synth_params params;
    clm_synth_params_default(&params);
    const char *output = NULL;

    cli_parser parser;
    cli_parser_init(&parser, command, argc, argv, "o:", synth_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'o':
            output = optarg;
            break;
        case OPT_ROWS:
            if (cli_parse_i64(command, "--rows", optarg, 1, INT64_C(1000000000000), &params.n_rows))
                return 1;
            break;
        case OPT_BRANCHES:
            if (cli_parse_int(command, "--branches", optarg, 1, 100000, &params.n_branches))
                return 1;
            break;
        case OPT_SEGMENTS:
            if (cli_parse_int(command, "--segments", optarg, 1, 64, &params.n_segments))
                return 1;
            break;
        case OPT_BLOCK_ROWS:
            if (cli_parse_i64(command, "--block-rows", optarg, 1, INT64_C(1) << 26, &params.block_rows))
                return 1;
            break;
        case OPT_TRUTH_LEVER:
            if (clm_synth_lever_parse(optarg, &params.lever) != CLM_OK)
                return cli_usage_error(command, "%s, in --truth-lever '%s'",
                                       clm_error_detail(), optarg);
            break;
        default:
            return 1;
        }
    }
    if (cli_positionals(command, argc, argv, NULL, 0))
        return 1;
    if (!output)
        return cli_usage_error(command, "no output file: give -o quarter.h5");

    params.seed = common.seed;
    params.n_threads = common.n_threads;
    cli_progress_state progress;
    cli_progress_init(&progress, common.quiet);
    params.progress = cli_progress;
    params.progress_ctx = &progress;

    double started = cli_now();
    clm_writer *writer = NULL;
    clm_status status = clm_writer_create(output, NULL, &writer);
    if (!status)
        status = clm_synth_write(&params, writer);
    status = status ? (clm_writer_abort(writer), status) : clm_writer_commit(writer);
    if (status != CLM_OK)
        return cli_fail(command, status);
    if (!common.quiet)
        printf("synth: wrote %lld subscribers, %d branches, %d segments (seed %llu) to %s in %.2f s\n",
               (long long)params.n_rows, (int)params.n_branches, (int)params.n_segments,
               (unsigned long long)params.seed, output, cli_now() - started);
    return 0;
}

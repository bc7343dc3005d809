/*
 * main.c — the clmseg program: dispatches `clmseg <command> ...` to the
 * command's function.  Every command is a thin front on libclmseg.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "core/comm_internal.h"

typedef struct command {
    const char *name;
    cli_command_fn run;
    const char *summary;
} command;

static const command commands[] = {
    {"synth",   cmd_synth,   "generate a realistic quarter (HDF5)"},
    {"import",  cmd_import,  "convert a CSV file to columnar HDF5"},
    {"inspect", cmd_inspect, "print the schema and statistics of a table"},
    {"kmeans",  cmd_kmeans,  "segment subscribers with k-means (+ profile)"},
    {"predict", cmd_predict, "apply saved models to a new quarter"},
    {"tree",    cmd_tree,    "train a histogram decision tree (churn, stages)"},
    {"survival", cmd_survival, "Kaplan-Meier, log-rank and lifetime value by stratum"},
    {"cox",     cmd_cox,     "Cox regression; each active subscriber's remaining value"},
    {"scenario", cmd_scenario, "what-if scenarios and the retention budget over a run"},
    {"bench",   cmd_bench,   "measure this node: bandwidth, sgemm and the standard workloads"},
    {"run",     cmd_run,     "the whole quarterly run: segments, tiers, stages, churn, survival, health"},
};

static void print_usage(FILE *out)
{
    fprintf(out, "clmseg %s — telecom customer-lifecycle analytics\n\n"
                 "usage: clmseg <command> [options]   (clmseg <command> -h for help)\n\n"
                 "commands:\n", clm_version());
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\ncommon options: --threads T  --quiet  --seed X  -h\n"
                 "exit codes: 0 ok, 1 bad input or usage, 2 internal or resource error\n");
}

/* What a command printed (inspect --json, the summaries) may have gone to
 * a full disk: exit 2 with a message rather than 0 with a truncated
 * output.  `rc` is the command's exit code. */
static int finish_stdout(const char *command, int rc)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    fprintf(stderr, "clmseg %s: error: cannot write the standard output: %s\n", command,
            errno ? strerror(errno) : "write error");
    return rc ? rc : 2;
}

enum { OPT_VERSION = CLI_OPT_FIRST };

/* The program's own options, before the command; "+" stops at the first
 * non-option (the command), so the command's options stay its own. */
static const struct option main_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* The commands that run on more than one rank (docs/design.md §7), each
 * rank on its own rows.  Every other command (synth and import, which
 * write a quarter; scenario, which projects a run's book) runs on rank 0
 * alone while the other ranks wait asleep, and every rank leaves with
 * its exit code: run R times over, it would race for its outputs. */
static int runs_on_ranks(const char *name)
{
    return !strcmp(name, "kmeans") || !strcmp(name, "survival") || !strcmp(name, "tree") ||
           !strcmp(name, "cox") || !strcmp(name, "predict") || !strcmp(name, "inspect") ||
           !strcmp(name, "bench") || !strcmp(name, "run");
}

static int run_program(int argc, char **argv);

/* The command run_program ran, for the rank statistics; NULL: none. */
static const char *command_ran = NULL;

int main(int argc, char **argv)
{
    if (comm_init(&argc, &argv))
        return 2;
    /* Ranks other than 0 print nothing: rank 0 prints the one agreed
     * message of any failure, and alone writes the outputs. */
    comm_quiet_other_ranks();
    int rc = run_program(argc, argv);
    /* Benchmarks ask each rank's time, memory and traffic this way
     * (bench/bench_mpi); every rank took the same path to here. */
    const char *stats = getenv("CLMSEG_RANK_STATS");
    if (stats && stats[0] && command_ran) {
        comm_ctx world = comm_world();
        clm_status st = comm_write_rank_stats(&world, stats, command_ran);
        if (st && world.rank == 0) {
            fprintf(stderr, "clmseg: warning: %s\n", clm_error_detail());
        }
    }
    comm_finalize();
    return rc;
}

static int run_program(int argc, char **argv)
{
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "+:h", main_options, NULL)) != -1;) {
        switch (c) {
        case 'h':
            print_usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("clmseg %s\n", clm_version());
            return 0;
        default: /* '?': main's options take no values, so ':' never comes */
            return cli_unknown_option(NULL, argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        print_usage(stderr);
        return 1;
    }
    const char *name = argv[optind];
    if (!strcmp(name, "help")) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("clmseg %s\n", clm_version());
        return 0;
    }
    clm_writer_install_signal_cleanup();
    comm_ctx world = comm_world();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(name, commands[i].name)) {
            command_ran = commands[i].name;
            if (comm_is_parallel(&world) && !runs_on_ranks(name)) {
                /* Rank 0 writes; every rank leaves with its exit code. */
                int rc = world.rank == 0
                             ? finish_stdout(name, commands[i].run(argc - optind, argv + optind))
                             : 0;
                return comm_wait_root_code(&world, rc);
            }
            return finish_stdout(name, commands[i].run(argc - optind, argv + optind));
        }
    fprintf(stderr, "clmseg: unknown command '%s'\n\n", name);
    print_usage(stderr);
    return 1;
}

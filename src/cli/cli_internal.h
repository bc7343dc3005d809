/*
 * cli_internal.h — shared pieces of the command-line front: the command
 * table, common options, number parsing with clear messages, error
 * reporting and the progress display.
 *
 * Each command lives in its own cmd_<name>.c and has the signature of
 * cli_command_fn; it returns the process exit code (0, 1 or 2, docs/design.md §5).
 */
#ifndef CLMSEG_CLI_INTERNAL_H
#define CLMSEG_CLI_INTERNAL_H

#include <getopt.h>
#include <stdio.h>
#include <stdint.h>

#include "clmseg/equity.h"
#include "clmseg/status.h"

typedef int (*cli_command_fn)(int argc, char **argv);

/* Options every command accepts. */
typedef struct cli_common {
    int n_threads;   /* --threads T; 0 = all cores; passed into the
                        params of every library call, never set globally */
    int quiet;       /* --quiet, -q                */
    uint64_t seed;   /* --seed X                   */
    int seed_given;  /* whether --seed was passed  */
} cli_common;

void cli_common_default(cli_common *common);

/* ---- option parsing (getopt_long) --------------------------------------
 *
 * Every command lists its options in a `struct option` table that ends
 * with CLI_COMMON_OPTIONS and {0}, gives its short letters (without the
 * common "hq"), and loops:
 *
 *     cli_parser parser;
 *     cli_parser_init(&parser, "kmeans", argc, argv, "o:", options, &common);
 *     for (int c; (c = cli_parser_next(&parser)) != -1;)
 *         switch (c) { case 'o': output = optarg; break; ... default: return 1; }
 *
 * so `--k 8`, `--k=8` and unambiguous prefixes (`--max-it 5`) all work, and
 * options and arguments may come in any order.  The positional arguments
 * are argv[optind..argc) after the loop. */
enum {
    CLI_OPT_ERROR = -2,       /* cli_parser_next printed a usage error      */
    CLI_OPT_THREADS = 0x100,  /* ids of long-only options start above 255  */
    CLI_OPT_SEED,
    CLI_OPT_FIRST             /* first id free for a command's own options */
};

#define CLI_COMMON_OPTIONS                                      \
    {"threads", required_argument, NULL, CLI_OPT_THREADS},      \
    {"seed", required_argument, NULL, CLI_OPT_SEED},            \
    {"quiet", no_argument, NULL, 'q'},                          \
    {"help", no_argument, NULL, 'h'}

typedef struct cli_parser {
    const char *command;                /* for messages: "clmseg <command>" */
    int argc;
    char **argv;                        /* argv[0] is the command name      */
    const struct option *long_options;  /* ends with {0}                    */
    char short_options[32];             /* ":" + the command's + "hq"       */
    cli_common *common;                 /* filled by --threads/--seed/-q    */
} cli_parser;

/* Prepares a parse of argv[1..argc) and resets getopt (optind = 0), so a
 * second parse in one process starts afresh.  `long_options` and
 * `short_options` must outlive the parser. */
void cli_parser_init(cli_parser *parser, const char *command, int argc, char **argv,
                     const char *short_options, const struct option *long_options,
                     cli_common *common);

/* The next option of the command line: its id (short letter, or the val of
 * its long option) with its value, if it takes one, in optarg; 'h' for
 * -h/--help; -1 when the options are done.  Common options (--threads,
 * --seed, --quiet) are consumed here.  CLI_OPT_ERROR after printing one of
 * the usage errors below (exit code 1). */
int cli_parser_next(cli_parser *parser);

/* The usage errors every command words the same way; each prints
 * "clmseg <command>: error: ..." and the "(see clmseg <command> -h)" hint
 * on stderr and returns 1 (the exit code). */
int cli_unknown_option(const char *command, const char *option);  /* unknown option '--x' */
int cli_missing_value(const char *command, const char *option);   /* option '--k' needs a value */
int cli_bad_number(const char *command, const char *option, const char *text); /* bad number for --k: 'abc' */

/* Number parsing: the whole string must be a number within [min, max]
 * (integers also as "1e6"); otherwise prints "bad number for <option>:
 * '<text>'" or "<option>: <value> is out of range [min, max]" and returns
 * -1. */
int cli_parse_i64(const char *command, const char *option, const char *text,
                  int64_t min, int64_t max, int64_t *out);
int cli_parse_f64(const char *command, const char *option, const char *text,
                  double min, double max, double *out);
/* One of the equity options shared by cox and predict ("--horizon" from
 * min_horizon to 1200 months, "--margin", "--discount") into `params`;
 * 0, or -1 after printing the usage error. */
int cli_equity_option(const char *command, const char *option, const char *text,
                      int min_horizon, clm_equity_params *params);

/* cli_parse_i64 into an int (int32_t fields too). */
int cli_parse_int(const char *command, const char *option, const char *text, int min, int max,
                  int *out);

/* Takes the positional arguments argv[optind..argc) after the option loop
 * into args[0..n_args) (NULL where fewer were given).  Returns 0, or 1
 * after the usage error "unexpected argument 'x'" when there are more. */
int cli_positionals(const char *command, int argc, char **argv, const char **args, int n_args);

/* Prints "clmseg <command>: error: <detail or strerror>" to stderr and
 * returns the exit code for `status`. */
int cli_fail(const char *command, clm_status status);

/* `clmseg bench` on several MPI ranks (bench_ranks.c): the collectives'
 * latency and bandwidth and the distributed workloads' scaling. */
int cli_bench_ranks(const cli_common *common, int64_t rows, const char *dir, int json);
/* The benchmarks' Kaplan-Meier workload (by branch, with LTV) on the ranks
 * of `comm` (NULL: one process). */
struct comm_ctx;
clm_status cli_bench_survival(const clm_table *table, const struct comm_ctx *comm, int threads);

/* Prints a usage error (command NULL: the clmseg program itself) and
 * returns 1. */
int cli_usage_error(const char *command, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Progress display: a bar on stderr when it is a terminal, one line per
 * step otherwise, nothing when quiet.  Pass cli_progress as the
 * clm_progress_fn and a cli_progress_state as its context. */
typedef struct cli_progress_state {
    int quiet;
    int is_tty;
    char step[64];     /* step currently shown                 */
    int last_percent;  /* last percentage drawn (tty only)     */
    double started;    /* wall clock at the start of the step  */
    double last_end;   /* wall clock when the last step ended  */
} cli_progress_state;

void cli_progress_init(cli_progress_state *state, int quiet);
void cli_progress(void *ctx, const char *step, int64_t done, int64_t total);

/* Wall-clock seconds (monotonic). */
double cli_now(void);

/* The commands. */
int cmd_synth(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_kmeans(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_survival(int argc, char **argv);
int cmd_cox(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_bench(int argc, char **argv);

/* `clmseg tree`'s rules on the terminal, bounded (tree_summary.c): the
 * `shown` leaves with the most rows and, for a binary target, the `shown`
 * with the highest positive share; all rules are in `rules_path`. */
struct clm_tree;
void cli_tree_print_rules(const struct clm_tree *tree, const char *rules_path, int shown, FILE *out);

#endif /* CLMSEG_CLI_INTERNAL_H */

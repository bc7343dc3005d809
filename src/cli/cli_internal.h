/*
 * cli_internal.h — shared pieces of the command-line front: the command
 * table, common options, number parsing with clear messages, error
 * reporting and the progress display.
 *
 * Each command lives in its own cmd_<name>.c and has the signature of
 * cli_command_fn; it returns the process exit code (0, 1 or 2, DESIGN §5).
 */
#ifndef CLMSEG_CLI_INTERNAL_H
#define CLMSEG_CLI_INTERNAL_H

#include <stdint.h>

#include "clmseg/status.h"

typedef int (*cli_command_fn)(int argc, char **argv);

/* Options every command accepts. */
typedef struct cli_common {
    int n_threads;   /* --threads T; 0 = all cores */
    int quiet;       /* --quiet                    */
    uint64_t seed;   /* --seed X                   */
    int seed_given;  /* whether --seed was passed  */
} cli_common;

void cli_common_default(cli_common *common);

/* If argv[*i] is a common option (--threads, --quiet, --seed), consumes it
 * and its value, advancing *i, and returns 1; returns 0 if it is not one,
 * and -1 (after printing a message) if its value is bad. */
int cli_common_parse(cli_common *common, int argc, char **argv, int *i);

/* Applies --threads to OpenMP (omp_set_num_threads) when > 0. */
void cli_common_apply(const cli_common *common);

/* Number parsing: the whole string must be a number within [min, max];
 * otherwise prints "clmseg <command>: --option: ..." and returns -1. */
int cli_parse_i64(const char *command, const char *option, const char *text,
                  int64_t min, int64_t max, int64_t *out);
int cli_parse_f64(const char *command, const char *option, const char *text,
                  double min, double max, double *out);

/* Value of option argv[*i] (advancing *i), or NULL after printing
 * "option needs a value". */
const char *cli_value(const char *command, int argc, char **argv, int *i);

/* Prints "clmseg <command>: error: <detail or strerror>" to stderr and
 * returns the exit code for `status`. */
int cli_fail(const char *command, clm_status status);

/* Prints a usage error and returns 1. */
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
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif /* CLMSEG_CLI_INTERNAL_H */

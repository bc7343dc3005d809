/*
 * common.c — option parsing, error reporting and progress display shared by
 * every command.  Messages follow one shape so scripts and people can read
 * them: "clmseg <command>: error: <what>, naming file, column and row".
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_internal.h"

void cli_common_default(cli_common *common)
{
    common->n_threads = 0;
    common->quiet = 0;
    common->seed = 42;
    common->seed_given = 0;
}

void cli_parser_init(cli_parser *parser, const char *command, int argc, char **argv,
                     const char *short_options, const struct option *long_options,
                     cli_common *common)
{
    parser->command = command;
    parser->argc = argc;
    parser->argv = argv;
    parser->long_options = long_options;
    parser->common = common;
    /* ':' first: a missing value comes back as ':', not '?', and getopt
     * prints nothing itself (opterr = 0), so every message is ours. */
    snprintf(parser->short_options, sizeof parser->short_options, ":%shq", short_options);
    optind = 0;
    opterr = 0;
}

/* The option as the user wrote it, without any "=value". */
static void option_text(const cli_parser *parser, char *out, size_t size)
{
    const char *arg = optind > 0 && optind <= parser->argc ? parser->argv[optind - 1] : "";
    if (!strncmp(arg, "--", 2))
        snprintf(out, size, "%.*s", (int)strcspn(arg, "="), arg);
    else
        snprintf(out, size, "-%c", optopt ? optopt : '?');
}

/* '?' from getopt_long: an unknown option, or "--flag=value" for a flag
 * that takes none. */
static void bad_option(const cli_parser *parser)
{
    char text[256];
    option_text(parser, text, sizeof text);
    const char *arg = optind > 0 && optind <= parser->argc ? parser->argv[optind - 1] : "";
    if (!strncmp(arg, "--", 2) && strchr(arg, '='))
        for (const struct option *o = parser->long_options; o->name; o++)
            if (!strcmp(o->name, text + 2) && o->has_arg == no_argument) {
                cli_usage_error(parser->command, "option '%s' takes no value", text);
                return;
            }
    cli_unknown_option(parser->command, text);
}

int cli_parser_next(cli_parser *parser)
{
    for (;;) {
        int c = getopt_long(parser->argc, parser->argv, parser->short_options,
                            parser->long_options, NULL);
        if (c == '?') {
            bad_option(parser);
            return CLI_OPT_ERROR;
        }
        if (c == ':') {
            char text[256];
            option_text(parser, text, sizeof text);
            cli_missing_value(parser->command, text);
            return CLI_OPT_ERROR;
        }
        cli_common *common = parser->common;
        int64_t v;
        switch (c) {
        case 'q':
            common->quiet = 1;
            continue;
        case CLI_OPT_THREADS:
            if (cli_parse_i64(parser->command, "--threads", optarg, 1, 4096, &v))
                return CLI_OPT_ERROR;
            common->n_threads = (int)v;
            continue;
        case CLI_OPT_SEED:
            if (cli_parse_i64(parser->command, "--seed", optarg, 0, INT64_MAX, &v))
                return CLI_OPT_ERROR;
            common->seed = (uint64_t)v;
            common->seed_given = 1;
            continue;
        default:
            return c;
        }
    }
}

int cli_unknown_option(const char *command, const char *option)
{
    return cli_usage_error(command, "unknown option '%s'", option);
}

int cli_missing_value(const char *command, const char *option)
{
    return cli_usage_error(command, "option '%s' needs a value", option);
}

int cli_bad_number(const char *command, const char *option, const char *text)
{
    return cli_usage_error(command, "bad number for %s: '%s'", option, text);
}

int cli_parse_i64(const char *command, const char *option, const char *text,
                  int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0') {
        /* Accept "1e6"-style integers, common for row counts. */
        double d = strtod(text, &end);
        if (end == text || *end != '\0' || d != floor(d) || fabs(d) > 9.0e18) {
            cli_bad_number(command, option, text);
            return -1;
        }
        v = (long long)d;
    }
    if (v < min || v > max) {
        cli_usage_error(command, "%s: %lld is out of range [%lld, %lld]", option, v,
                        (long long)min, (long long)max);
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

int cli_parse_f64(const char *command, const char *option, const char *text,
                  double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || isnan(v)) {
        cli_bad_number(command, option, text);
        return -1;
    }
    if (v < min || v > max) {
        cli_usage_error(command, "%s: %g is out of range [%g, %g]", option, v, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_int(const char *command, const char *option, const char *text, int min, int max,
                  int *out)
{
    int64_t v;
    if (cli_parse_i64(command, option, text, min, max, &v))
        return -1;
    *out = (int)v;
    return 0;
}

int cli_positionals(const char *command, int argc, char **argv, const char **args, int n_args)
{
    for (int i = 0; i < n_args; i++)
        args[i] = optind < argc ? argv[optind++] : NULL;
    if (optind < argc)
        return cli_usage_error(command, "unexpected argument '%s'", argv[optind]);
    return 0;
}

int cli_fail(const char *command, clm_status status)
{
    const char *detail = clm_error_detail();
    if (detail[0])
        fprintf(stderr, "clmseg %s: error: %s\n", command, detail);
    else
        fprintf(stderr, "clmseg %s: error: %s\n", command, clm_strerror(status));
    return clm_status_exit_code(status);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list args;
    const char *space = command ? " " : "";
    command = command ? command : "";
    fprintf(stderr, "clmseg%s%s: error: ", space, command);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fprintf(stderr, "\n(see clmseg%s%s -h)\n", space, command);
    return 1;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress_state *state, int quiet)
{
    memset(state, 0, sizeof *state);
    state->quiet = quiet;
    state->is_tty = isatty(STDERR_FILENO);
    state->last_percent = -1;
    state->last_end = cli_now();
}

void cli_progress(void *ctx, const char *step, int64_t done, int64_t total)
{
    cli_progress_state *s = ctx;
    if (s->quiet)
        return;
    if (strncmp(s->step, step, sizeof s->step - 1) != 0) {
        /* The first report of a step comes after its first unit of work:
         * the step began when the previous one ended. */
        snprintf(s->step, sizeof s->step, "%s", step);
        s->started = s->last_end;
        s->last_percent = -1;
    }
    if (done >= total)
        s->last_end = cli_now();
    int percent = total > 0 ? (int)(100.0 * (double)done / (double)total) : 100;
    if (s->is_tty) {
        if (percent == s->last_percent)
            return;
        s->last_percent = percent;
        int filled = percent * 30 / 100;
        fprintf(stderr, "\r%-18.18s [%.*s%*s] %3d%%", step, filled,
                "##############################", 30 - filled, "", percent);
        if (done >= total)
            fprintf(stderr, "  %.1f s\n", cli_now() - s->started);
        fflush(stderr);
    } else if (done >= total) {
        /* Not a terminal: one line per finished step, no bar noise in logs.
         * A total of 1 is a step without a row count. */
        if (total > 1)
            fprintf(stderr, "%s: %lld rows in %.2f s\n", step, (long long)total, cli_now() - s->started);
        else
            fprintf(stderr, "%s: done in %.2f s\n", step, cli_now() - s->started);
    }
}

int cli_equity_option(const char *command, const char *option, const char *text,
                      int min_horizon, clm_equity_params *params)
{
    if (!strcmp(option, "--horizon"))
        return cli_parse_int(command, option, text, min_horizon, 1200, &params->horizon);
    if (!strcmp(option, "--margin"))
        return cli_parse_f64(command, option, text, -1e12, 1e12, &params->margin);
    return cli_parse_f64(command, option, text, 0.0, 1e6, &params->discount);
}

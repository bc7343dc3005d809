/*
 * test_cli_options.c — the option syntax every command shares (getopt_long):
 * `--k 8` and `--k=8` give the same segmentation, and an unknown option, a
 * missing value and a bad number get the same wording, the usage hint and
 * exit code 1 in every command.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

static const char *quarter_dir;
static char quarter[4096];

static int make_quarter(void **state)
{
    (void)state;
    quarter_dir = tu_tmpdir("cli_options");
    snprintf(quarter, sizeof quarter, "%s", tu_path(quarter_dir, "q.h5"));
    return tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 3000 --branches 5 --seed 7 --quiet",
                         quarter);
}

static int32_t *read_labels(const char *path, int64_t *n)
{
    clm_table *t = NULL;
    assert_int_equal(clm_table_open_any(path, "/segments", &t), CLM_OK);
    int c = clm_table_find(t, "label");
    assert_true(c >= 0);
    *n = clm_table_column(t, c)->length;
    int32_t *labels = malloc(sizeof *labels * (size_t)(*n + 1));
    assert_non_null(labels);
    assert_int_equal(clm_table_read_i32(t, c, 0, *n, labels), CLM_OK);
    clm_table_close(t);
    return labels;
}

/* "--k 4", "--k=4" and the abbreviation "--max-it=50" mean the same. */
static void test_value_forms_agree(void **state)
{
    (void)state;
    const char *forms[] = {"--k 4 --max-iter 50 --threads 1", "--k=4 --max-it=50 --threads=1",
                           "--threads 1 --k=4 --max-iter=50"};
    int32_t *first = NULL;
    int64_t n_first = 0;
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        char dir[4096], results[4200];
        snprintf(dir, sizeof dir, "%s", tu_path(quarter_dir, f == 0 ? "a" : f == 1 ? "b" : "c"));
        char mk[4300];
        snprintf(mk, sizeof mk, "mkdir -p '%s'", dir);
        assert_int_equal(tu_run(mk, NULL, NULL), 0);
        snprintf(results, sizeof results, "%s/res.h5", dir);
        char *out = NULL, *err = NULL;
        /* The input after the options, too: getopt_long permutes. */
        int rc = tu_clmseg_run(&out, &err, "kmeans %s -o '%s' '%s'", forms[f], results, quarter);
        if (rc != 0)
            fail_msg("kmeans %s: exit %d: %s", forms[f], rc, err);
        assert_non_null(strstr(out, "k = 4"));
        free(out);
        free(err);
        int64_t n = 0;
        int32_t *labels = read_labels(results, &n);
        assert_int_equal(n, 3000);
        if (!first) {
            first = labels;
            n_first = n;
        } else {
            assert_int_equal(n, n_first);
            assert_memory_equal(labels, first, sizeof *labels * (size_t)n);
            free(labels);
        }
    }
    free(first);
}

/* Runs `clmseg <args>` expecting exit 1 and, on stderr, "clmseg <command>:
 * error: <message>" and the usage hint. */
static void expect_usage_error(const char *command, const char *args, const char *message)
{
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "%s %s", command, args);
    char want[512], hint[128];
    snprintf(want, sizeof want, "clmseg %s: error: %s\n", command, message);
    snprintf(hint, sizeof hint, "(see clmseg %s -h)", command);
    if (rc != 1 || !err || !strstr(err, want) || !strstr(err, hint))
        fail_msg("clmseg %s %s: exit %d, stderr '%s' (wanted '%s')", command, args, rc,
                 err ? err : "", want);
    free(err);
}

/* Every command: the same three messages for the same three mistakes. */
static void test_same_errors_everywhere(void **state)
{
    (void)state;
    struct {
        const char *command, *value_option, *number_option;
    } commands[] = {
        {"kmeans", "--k", "--max-iter"}, {"tree", "--max-depth", "--bins"},
        {"survival", "--horizon", "--horizon"}, {"synth", "--rows", "--segments"},
        {"import", "--group", "--threads"}, {"inspect", "--top", "--top"},
        {"predict", "--group", "--threads"}, {"run", "--config", "--seed"},
        {"bench", "--rows", "--rows"},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const char *cmd = commands[i].command;
        char args[256], message[256];
        expect_usage_error(cmd, "in.h5 --no-such-option", "unknown option '--no-such-option'");
        expect_usage_error(cmd, "in.h5 --no-such-option=3", "unknown option '--no-such-option'");
        expect_usage_error(cmd, "in.h5 -Z", "unknown option '-Z'");
        snprintf(args, sizeof args, "in.h5 %s", commands[i].value_option);
        snprintf(message, sizeof message, "option '%s' needs a value", commands[i].value_option);
        expect_usage_error(cmd, args, message);
        snprintf(args, sizeof args, "in.h5 %s=abc", commands[i].number_option);
        snprintf(message, sizeof message, "bad number for %s: 'abc'", commands[i].number_option);
        expect_usage_error(cmd, args, message);
        snprintf(args, sizeof args, "in.h5 %s abc", commands[i].number_option);
        expect_usage_error(cmd, args, message);
        expect_usage_error(cmd, "in.h5 --quiet=1", "option '--quiet' takes no value");
    }
    /* Short options that take a value: -o. */
    expect_usage_error("kmeans", "in.h5 -o", "option '-o' needs a value");
    expect_usage_error("tree", "in.h5 -o", "option '-o' needs a value");
}

/* -h and --help in every command; the program's own options. */
static void test_help_and_program_options(void **state)
{
    (void)state;
    const char *commands[] = {"kmeans", "tree", "survival", "synth", "import",
                              "inspect", "predict", "run", "bench"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char *out = NULL;
        assert_int_equal(tu_clmseg_run(&out, NULL, "%s -h", commands[i]), 0);
        assert_non_null(strstr(out, "usage: clmseg"));
        free(out);
        assert_int_equal(tu_clmseg_run(&out, NULL, "%s --help", commands[i]), 0);
        assert_non_null(strstr(out, "usage: clmseg"));
        free(out);
    }
    char *out = NULL, *err = NULL;
    assert_int_equal(tu_clmseg_run(&out, NULL, "--version"), 0);
    assert_non_null(strstr(out, "clmseg "));
    free(out);
    assert_int_equal(tu_clmseg_run(&out, NULL, "-h"), 0);
    assert_non_null(strstr(out, "commands:"));
    free(out);
    assert_int_equal(tu_clmseg_run(NULL, &err, "--frobnicate"), 1);
    assert_non_null(strstr(err, "clmseg: error: unknown option '--frobnicate'"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_forms_agree),
        cmocka_unit_test(test_same_errors_everywhere),
        cmocka_unit_test(test_help_and_program_options),
    };
    return cmocka_run_group_tests(tests, make_quarter, NULL);
}

/*
 * test_tree_terminal.c — `clmseg tree` prints a bounded summary, not every
 * rule: on a generated quarter (60,000 rows) grown to hundreds of leaves,
 * stdout stays under 70 lines, names the leaf count of tree_rules.txt, and
 * lists the 10 leaves with the most rows and the 10 with the highest churn
 * share among leaves of 0.5 % of the training rows or more — both checked
 * against tree_rules.txt parsed here; --show-rules 3 lists three of each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#define MAX_LINES 4096

/* Splits text into lines in place. */
static int split(char *text, char **lines)
{
    int n = 0;
    for (char *line = strtok(text, "\n"); line && n < MAX_LINES; line = strtok(NULL, "\n"))
        lines[n++] = line;
    return n;
}

static long long rows_of(const char *line)
{
    const char *p = strstr(line, "(n=");
    assert_non_null(p);
    return atoll(p + 3);
}

/* Share of class 1 printed in a rule: "-> 1 62.0%, 0 38.0%" or "-> 0 ..., 1 ...". */
static double churn_share(const char *line)
{
    const char *arrow = strstr(line, "-> ");
    assert_non_null(arrow);
    const char *p = strstr(arrow, " 1 ");
    assert_non_null(p);
    return atof(p + 3);
}

static int index_in(char **lines, int n, const char *line)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(lines[i], line))
            return i;
    return -1;
}

static int by_value_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static void check_output(const char *dir, const char *extra, int shown)
{
    char data[4200], res[4200];
    snprintf(data, sizeof data, "%s/q.h5", dir);
    snprintf(res, sizeof res, "%s/res.h5", dir);
    char *out = NULL, *err = NULL;
    int rc = tu_clmseg_run(&out, &err, "tree '%s' -o '%s' --max-depth 12 --min-leaf 20 --quiet %s", data, res, extra);
    if (rc)
        fail_msg("tree: %s", err);
    free(err);
    char *rules_text = tu_read_file(tu_path(dir, "tree_rules.txt"), NULL);
    assert_non_null(rules_text);
    char **rules = malloc(sizeof(char *) * MAX_LINES), **lines = malloc(sizeof(char *) * MAX_LINES);
    int n_rules = split(rules_text, rules);
    assert_true(n_rules > 150 && n_rules < MAX_LINES); /* a tree worth bounding */
    long long train = 0;
    assert_non_null(strstr(out, "training rows"));
    const char *t = strstr(out, "depth ");
    assert_non_null(t);
    t = strchr(t, ',');
    train = atoll(t + 1);
    assert_true(train > 40000);
    int n_lines = split(out, lines);
    printf("%d rules in tree_rules.txt, %d lines on stdout\n", n_rules, n_lines);
    assert_true(n_lines < 70);
    int at = -1;
    char head[256];
    snprintf(head, sizeof head, "rules: %d leaves, all in ", n_rules);
    for (int i = 0; i < n_lines && at < 0; i++)
        if (!strncmp(lines[i], head, strlen(head)))
            at = i;
    assert_true(at >= 0);
    /* The largest leaves: the `shown` largest n of tree_rules.txt, in
     * decreasing order (ties in file order). */
    int *taken = calloc((size_t)n_rules, sizeof *taken);
    for (int r = 0; r < shown; r++) {
        int best = -1;
        for (int i = 0; i < n_rules; i++)
            if (!taken[i] && (best < 0 || rows_of(rules[i]) > rows_of(rules[best])))
                best = i;
        taken[best] = 1;
        const char *printed = lines[at + 1 + r];
        assert_true(printed[0] == ' ' && printed[1] == ' ');
        assert_string_equal(printed + 2, rules[best]);
    }
    /* The riskiest: leaves of 0.5% of the rows or more, highest churn share first. */
    const char *risk = lines[at + 1 + shown];
    assert_non_null(strstr(risk, "highest share of 1"));
    double *eligible = malloc(sizeof(double) * (size_t)n_rules);
    int n_eligible = 0;
    for (int i = 0; i < n_rules; i++)
        if ((double)rows_of(rules[i]) >= 0.005 * (double)train)
            eligible[n_eligible++] = churn_share(rules[i]);
    assert_true(n_eligible > shown);
    qsort(eligible, (size_t)n_eligible, sizeof *eligible, by_value_desc);
    for (int r = 0; r < shown; r++) {
        const char *printed = lines[at + 2 + shown + r];
        int i = index_in(rules, n_rules, printed + 2);
        assert_true(i >= 0);
        assert_true((double)rows_of(rules[i]) >= 0.005 * (double)train);
        /* the printed shares are the top ones (rounding can only swap equal prints) */
        assert_true(churn_share(rules[i]) == eligible[r]);
    }
    assert_int_equal(n_lines, at + 2 + 2 * shown + 1); /* then only the "wrote" line */
    assert_non_null(strstr(lines[n_lines - 1], "wrote "));
    free(eligible);
    free(taken);
    free(rules);
    free(lines);
    free(rules_text);
    free(out);
}

static void test_bounded_output(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("tree_terminal"));
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "synth -o '%s/q.h5' --rows 60000 --branches 20 --seed 1 --quiet", dir);
    if (rc)
        fail_msg("synth: %s", err);
    free(err);
    check_output(dir, "", 10);
    check_output(dir, "--show-rules 3", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounded_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

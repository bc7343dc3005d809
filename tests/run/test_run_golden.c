/*
 * test_run_golden.c — the quarterly run's data flow, checked from outside.
 *
 * 1. Golden checksums: on a generated quarter (60,000 rows, 40 branches,
 *    seed 11) /segments/label, /lifecycle/stage, /value/tier, branches.csv
 *    and segments.csv must equal those of the run before the data-flow
 *    redesign (commit e4e5f6d): the redesign changed how data moves, not
 *    what is computed.  FNV-1a 64 over the int32 values (little-endian)
 *    and over the CSV bytes (for branches.csv, over its first 20 columns:
 *    the customer-equity columns were added after them; for segments.csv,
 *    over all but its last two, name and continues, added after them).  Rebuild command (prints the figures):
 *        CLMSEG_GOLDEN_PRINT=1 CLMSEG_BIN=<old clmseg> build/tests/run/test_run_golden
 *    The run without its column cache (run.column_cache = no) writes the
 *    same bytes.
 * 2. One open: under strace, the run opens its input at most twice (HDF5
 *    touches the file twice for its one open) and creates in OUTDIR only
 *    final outputs or their temporary names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t column_hash(const char *results, const char *group, const char *name)
{
    clm_table *t = NULL;
    assert_int_equal(clm_table_open_any(results, group, &t), CLM_OK);
    int col = clm_table_find(t, name);
    assert_true(col >= 0);
    int64_t n = clm_table_column(t, col)->length;
    int32_t *v = malloc((size_t)n * sizeof *v);
    assert_non_null(v);
    assert_int_equal(clm_table_read_i32(t, col, 0, n, v), CLM_OK);
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < n; i++) {
        unsigned char le[4] = {(unsigned char)v[i], (unsigned char)(v[i] >> 8), (unsigned char)(v[i] >> 16),
                               (unsigned char)((uint32_t)v[i] >> 24)};
        h = fnv(h, le, 4);
    }
    free(v);
    clm_table_close(t);
    return h;
}

/* The hash of the first `n_fields` fields of every line: the columns
 * branches.csv had at e4e5f6d (the equity columns came after them), so the
 * same figures as a hash of the whole file without the later columns. */
static uint64_t prefix_hash(const char *path, int n_fields)
{
    size_t size = 0;
    char *text = tu_read_file(path, &size);
    assert_non_null(text);
    uint64_t h = 1469598103934665603ULL;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        size_t keep = len;
        int fields = 1;
        for (size_t i = 0; i < len; i++)
            if (line[i] == ',' && ++fields > n_fields) {
                keep = i;
                break;
            }
        h = fnv(h, line, keep);
        if (nl)
            h = fnv(h, "\n", 1);
        line = nl ? nl + 1 : line + len;
    }
    free(text);
    return h;
}

/* The fields of segments.csv before its last two, name and continues
 * (added after e4e5f6d at the end of each line, so the earlier columns
 * keep their bytes); fails unless those are the last two. */
static int segments_fields_before_names(const char *path)
{
    size_t size = 0;
    char *text = tu_read_file(path, &size);
    assert_non_null(text);
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    *nl = '\0';
    size_t len = strlen(text);
    assert_true(len > 15 && !strcmp(text + len - 15, ",name,continues"));
    int fields = 1;
    for (char *p = text; *p; p++)
        fields += *p == ',';
    free(text);
    return fields - 2;
}

static const char *quarter(void)
{
    static char path[4096];
    if (!path[0]) {
        const char *dir = tu_tmpdir("run_golden");
        snprintf(path, sizeof path, "%s", tu_path(dir, "q.h5"));
        assert_int_equal(tu_clmseg_run(NULL, NULL, "synth -o %s --rows 60000 --branches 40 --seed 11 --quiet", path), 0);
    }
    return path;
}

static void test_golden_checksums(void **state)
{
    (void)state;
    char dir[4096]; /* tu_tmpdir returns one static buffer: copy each path */
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_golden_out"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run %s -o %s --quiet", quarter(), dir), 0);
    char results[4096];
    snprintf(results, sizeof results, "%s", tu_path(dir, "results.h5"));
    const uint64_t got[5] = {
        column_hash(results, "/segments", "label"),
        column_hash(results, "/lifecycle", "stage"),
        column_hash(results, "/value", "tier"),
        prefix_hash(tu_path(dir, "branches.csv"), 20),
        prefix_hash(tu_path(dir, "segments.csv"), segments_fields_before_names(tu_path(dir, "segments.csv"))),
    };
    static const char *const what[5] = {"/segments/label", "/lifecycle/stage", "/value/tier", "branches.csv",
                                        "segments.csv"};
    /* Figures of the run at commit e4e5f6d (see the rebuild command above). */
    static const uint64_t golden[5] = {
        0xd68aa7d22ab50ac2ULL, /* /segments/label */
        0x9c0c6a9dc2f3bc46ULL, /* /lifecycle/stage */
        0x06a04dc6c4023383ULL, /* /value/tier */
        0x4d5a3bb9e79a7cb9ULL, /* branches.csv */
        0x9e872d22d51223e8ULL, /* segments.csv */
    };
    if (getenv("CLMSEG_GOLDEN_PRINT")) {
        for (int i = 0; i < 5; i++)
            printf("        0x%016llxULL, /* %s */\n", (unsigned long long)got[i], what[i]);
        return;
    }
    /* Without the column cache every column is re-read by each step: the
     * same bytes. */
    char plain[4096];
    snprintf(plain, sizeof plain, "%s", tu_tmpdir("run_golden_nocache"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run %s -o %s --quiet --set run.column_cache=no", quarter(), plain), 0);
    static const char *const files[] = {"results.h5", "segments.csv", "branches.csv", "warning.csv",
                                        "survival_branch.csv", "tree_rules.txt", "equity.csv", "lifecycle_curves.csv",
                                        "regions.csv", "lifecycle_stages.csv"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char a[4096];
        snprintf(a, sizeof a, "%s", tu_path(dir, files[f]));
        assert_true(tu_same_bytes(a, tu_path(plain, files[f])));
    }
    for (int i = 0; i < 5; i++) {
        if (got[i] != golden[i])
            fprintf(stderr, "%s: checksum 0x%016llx, golden 0x%016llx\n", what[i], (unsigned long long)got[i],
                    (unsigned long long)golden[i]);
        assert_true(got[i] == golden[i]);
    }
}

/* Counts the strace lines naming `needle`. */
static int count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void test_one_open(void **state)
{
    (void)state;
    char *out = NULL;
    if (tu_run("command -v strace >/dev/null 2>&1", &out, NULL) != 0) {
        free(out);
        fail_msg("strace is not installed (.ci/setup installs it)");
    }
    free(out);
    char dir[4096], trace[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_golden_strace"));
    snprintf(trace, sizeof trace, "%s", tu_path(tu_tmpdir("run_golden_trace"), "trace.txt"));
    char cmd[16384];
    /* LeakSanitizer cannot run under ptrace: the sanitizer build's leak
     * check is left to the other tests here. */
    snprintf(cmd, sizeof cmd, "ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=openat -o %s %s run %s -o %s --quiet",
             trace, tu_clmseg(), quarter(), dir);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    size_t size = 0;
    char *text = tu_read_file(trace, &size);
    assert_non_null(text);
    char needle[4200];
    snprintf(needle, sizeof needle, "\"%s\"", quarter());
    int opens = count_lines(text, needle);
    printf("opens of the input: %d\n", opens);
    assert_true(opens >= 1 && opens <= 2);

    /* Every path created in OUTDIR: a final output or "<final>.tmp.<pid>.<n>".
     * changes.csv is an output only with --previous, which this run does
     * not give: it must not appear (test_run_previous covers the run with
     * it, and its removal by a later run without it). */
    static const char *const finals[] = {"results.h5", "segments.csv", "branches.csv", "warning.csv",
                                         "tree_rules.txt", "survival_segment.csv", "survival_branch.csv",
                                         "equity.csv", "lifecycle_curves.csv", "lifecycle_stages.csv", "regions.csv", "report.html", "run.json",
                                         "config.used"};
    snprintf(needle, sizeof needle, "\"%s/", dir);
    int created = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *at = strstr(line, needle);
        if (!at || !strstr(line, "O_CREAT"))
            continue;
        char *name = at + strlen(needle), *end = strchr(name, '"');
        assert_non_null(end);
        *end = '\0';
        int ok = 0;
        for (size_t i = 0; i < sizeof finals / sizeof finals[0] && !ok; i++) {
            size_t len = strlen(finals[i]);
            ok = !strncmp(name, finals[i], len) && (name[len] == '\0' || !strncmp(name + len, ".tmp.", 5)) &&
                 (name[len] == '\0' || !strchr(name + len + 5, '/'));
            /* no second temporary suffix: a temporary of a temporary is a work file */
            if (ok && name[len] && strstr(name + len + 5, ".tmp."))
                ok = 0;
        }
        if (!ok)
            fprintf(stderr, "created in OUTDIR: %s (not a final output or its temporary name)\n", name);
        assert_true(ok);
        created++;
    }
    assert_int_equal(created, 14); /* regions.csv (a generated quarter has a region column) and lifecycle_stages.csv */
    assert_false(tu_exists(tu_path(dir, "changes.csv")));
    free(text);
}

/* The same quarter with its tenure in days (months x 30.4375, exact) and
 * columns.time_unit = days gives the same stages, tiers and branch survival
 * as in months: times are converted as they are read.  The survival
 * command's --time-unit the same. */
static void test_time_unit_days(void **state)
{
    (void)state;
    char days[4096], a[4096], b[4096];
    snprintf(days, sizeof days, "%s", tu_path(tu_tmpdir("run_golden_days"), "days.h5"));
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "%s -c \"import h5py, shutil; shutil.copy('%s', '%s'); f = h5py.File('%s', 'r+'); g = f['/subscribers']; "
             "t = g['tenure_months'][:].astype('f8') * 30.4375; del g['tenure_months']; g['tenure_days'] = t\"",
             tu_python(), quarter(), days, days);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    snprintf(a, sizeof a, "%s", tu_tmpdir("run_golden_months_out"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run %s -o %s --quiet", quarter(), a), 0);
    snprintf(b, sizeof b, "%s", tu_tmpdir("run_golden_days_out"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run %s -o %s --quiet --set columns.time=tenure_days "
                                               "--set columns.time_unit=days", days, b), 0);
    char ra[4200], rb[4200];
    snprintf(ra, sizeof ra, "%s/results.h5", a);
    snprintf(rb, sizeof rb, "%s/results.h5", b);
    assert_true(column_hash(ra, "/lifecycle", "stage") == column_hash(rb, "/lifecycle", "stage"));
    assert_true(column_hash(ra, "/value", "tier") == column_hash(rb, "/value", "tier"));
    snprintf(ra, sizeof ra, "%s/survival_branch.csv", a);
    snprintf(rb, sizeof rb, "%s/survival_branch.csv", b);
    assert_true(tu_same_bytes(ra, rb));
    /* The tenure quartiles of the stages are in months either way. */
    snprintf(ra, sizeof ra, "%s/lifecycle_stages.csv", a);
    snprintf(rb, sizeof rb, "%s/lifecycle_stages.csv", b);
    assert_true(tu_same_bytes(ra, rb));
    /* A bad unit is a usage error naming the key. */
    char *err = NULL;
    assert_int_equal(tu_clmseg_run(NULL, &err, "run %s -o %s --quiet --set columns.time_unit=hours", days, b), 1);
    assert_non_null(strstr(err, "hours"));
    free(err);
    /* The survival command. */
    snprintf(ra, sizeof ra, "%s/s_months.h5", a);
    snprintf(rb, sizeof rb, "%s/s_days.h5", b);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "survival %s -o %s --by branch --quiet", quarter(), ra), 0);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "survival %s -o %s --by branch --time tenure_days --time-unit days --quiet",
                                   days, rb), 0);
    snprintf(ra, sizeof ra, "%s/survival.csv", a);
    snprintf(rb, sizeof rb, "%s/survival.csv", b);
    assert_true(tu_same_bytes(ra, rb));
}

/* A second run into a folder a run is using fails at once (exit 1, a
 * message saying so) and leaves the first one's outputs alone; a run
 * killed with SIGKILL does not block the next one (the lock is the
 * kernel's, on the folder itself: no lock file is left). */
static void test_one_run_per_folder(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_golden_lock"));
    char cmd[16384];
    /* A quarter big enough that the first run is still going 0.4 s in. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && %s synth -o big.h5 --rows 1000000 --seed 3 --quiet && "
             "{ %s run big.h5 -o out --quiet & P=$!; sleep 0.4; %s run big.h5 -o out --quiet 2> err2; "
             "echo $? > rc2; wait $P; echo $? > rc1; } && "
             "{ %s run big.h5 -o out2 --quiet & P=$!; sleep 0.4; kill -9 $P; wait $P; "
             "%s run big.h5 -o out2 --quiet; echo $? > rc3; }",
             dir, tu_clmseg(), tu_clmseg(), tu_clmseg(), tu_clmseg(), tu_clmseg());
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    char *text = tu_read_file(tu_path(dir, "rc2"), NULL);
    assert_non_null(text);
    assert_int_equal(atoi(text), 1);
    free(text);
    text = tu_read_file(tu_path(dir, "err2"), NULL);
    assert_non_null(strstr(text, "is in use by another clmseg run"));
    free(text);
    text = tu_read_file(tu_path(dir, "rc1"), NULL);
    assert_int_equal(atoi(text), 0);
    free(text);
    text = tu_read_file(tu_path(dir, "rc3"), NULL);
    assert_int_equal(atoi(text), 0);
    free(text);
    char out[4200];
    snprintf(out, sizeof out, "%s/out", dir);
    assert_true(tu_exists(tu_path(out, "report.html")));
    snprintf(out, sizeof out, "%s/out2", dir);
    assert_true(tu_exists(tu_path(out, "config.used")));
    assert_int_equal(tu_count_matching(out, ".tmp."), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_checksums),
        cmocka_unit_test(test_one_open),
        cmocka_unit_test(test_time_unit_days),
        cmocka_unit_test(test_one_run_per_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

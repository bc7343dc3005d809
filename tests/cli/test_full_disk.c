/*
 * test_full_disk.c — a full disk never crashes (issue 14, item 1).
 *
 * Every command that writes (synth, import, kmeans, tree, survival,
 * predict, run and their CSV, text, JSON and HTML side outputs) runs on a
 * small generated quarter with every file it writes limited in size
 * (RLIMIT_FSIZE: a write past the limit fails with EFBIG as one to a full
 * disk fails with ENOSPC; no root needed).  The limits ("fill levels") are
 * 0, 4 KiB, half of the largest output, and one byte short of each output's
 * full size, measured by an unlimited run first.  At each level, into an
 * empty folder and into one holding a previous output (made with other
 * settings, so other bytes), the command must exit with status 2 (not a
 * signal: HDF5 1.10 used to crash at exit), name an output file in its
 * message with no HDF5 error-stack dump, leave no temporary file, and
 * leave every final name as it was: absent, or the previous file byte for
 * byte (the run renames all its outputs together at its end).  In the
 * sanitizer build the same test checks for leaks and memory errors: a
 * report changes the exit status (to 1) and is looked for on stderr.
 * And what a command prints to a full disk (/dev/full) is an error too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#define MAX_OUTPUTS 12

typedef struct disk_case {
    const char *name;
    const char *args;      /* %1$s: the inputs' folder, %2$s: the output folder */
    const char *prev_args; /* the same outputs with other bytes */
    const char *outputs[MAX_OUTPUTS];
} disk_case;

static char inputs[4096];

static void write_csv(const char *path, int n_rows, int seed)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "id,arpu,plan,calls\n");
    for (int i = 0; i < n_rows; i++)
        fprintf(f, "%d,%.2f,plan%d,%d\n", i, 10.0 + (i * 37 + seed) % 900 / 10.0, (i + seed) % 7, (i * seed) % 50);
    assert_int_equal(fclose(f), 0);
}

static int make_inputs(void **state)
{
    (void)state;
    snprintf(inputs, sizeof inputs, "%s", tu_tmpdir("full_disk_inputs"));
    write_csv(tu_path(inputs, "x.csv"), 3000, 3);
    write_csv(tu_path(inputs, "prev.csv"), 2000, 5);
    if (tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 4000 --branches 12 --seed 3 --quiet",
                      tu_path(inputs, "q.h5")) != 0)
        return -1;
    if (tu_clmseg_run(NULL, NULL, "kmeans '%s' -o '%s' --k 4 --quiet", tu_path(inputs, "q.h5"),
                      tu_path(inputs, "k4.h5")) != 0)
        return -1;
    return tu_clmseg_run(NULL, NULL, "kmeans '%s' -o '%s' --k 3 --quiet --csv '%s'", tu_path(inputs, "q.h5"),
                         tu_path(inputs, "k3.h5"), tu_path(inputs, "k3.csv"));
}

static void run_into(const char *fmt, const char *out_dir, char *command, size_t cap)
{
    snprintf(command, cap, fmt, inputs, out_dir);
}

static void make_dir(const char *path)
{
    assert_int_equal(mkdir(path, 0777), 0);
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* One limited run into `dir`, which holds the previous outputs of `prev`
 * (a folder) or nothing (prev NULL). */
static void check_level(const disk_case *c, long long limit, const char *dir, const char *prev)
{
    char command[8192], *err = NULL;
    run_into(c->args, dir, command, sizeof command);
    int rc = tu_clmseg_run_limited(limit, &err, "%s", command);
    const char *stderr_text = err ? err : "";
    if (rc != 2)
        fail_msg("%s at a limit of %lld bytes (%s): exit %d, want 2; stderr:\n%s", c->name, limit,
                 prev ? "over a previous output" : "empty folder", rc, stderr_text);
    int named = 0;
    for (int i = 0; c->outputs[i]; i++)
        named |= strstr(stderr_text, tu_path(dir, c->outputs[i])) != NULL;
    if (!named || !strstr(stderr_text, "error: "))
        fail_msg("%s at %lld bytes: the message names no output file:\n%s", c->name, limit, stderr_text);
    if (strstr(stderr_text, "Sanitizer") || strstr(stderr_text, "runtime error"))
        fail_msg("%s at %lld bytes: sanitizer report:\n%s", c->name, limit, stderr_text);
    if (strstr(stderr_text, "HDF5-DIAG") || strstr(stderr_text, "#000"))
        fail_msg("%s at %lld bytes: HDF5 error stack on stderr:\n%s", c->name, limit, stderr_text);
    if (tu_count_matching(dir, ".tmp.") != 0)
        fail_msg("%s at %lld bytes: a temporary file is left in %s", c->name, limit, dir);
    for (int i = 0; c->outputs[i]; i++) {
        const char *name = c->outputs[i], *path = tu_path(dir, name);
        if (!tu_exists(path))
            continue;
        if (!prev || !tu_same_bytes(path, tu_path(prev, name)))
            fail_msg("%s at %lld bytes: %s is not %s", c->name, limit, path,
                     prev ? "the previous file, byte for byte" : "absent");
    }
    free(err);
}

static void check_case(const disk_case *c)
{
    const char *root = tu_tmpdir(c->name);
    char full[4096], prev[4096], command[8192];
    snprintf(full, sizeof full, "%s", tu_path(root, "full"));
    snprintf(prev, sizeof prev, "%s", tu_path(root, "prev"));
    make_dir(full);
    make_dir(prev);
    run_into(c->args, full, command, sizeof command);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "%s", command), 0);
    run_into(c->prev_args, prev, command, sizeof command);
    assert_int_equal(tu_clmseg_run(NULL, NULL, "%s", command), 0);

    long long levels[MAX_OUTPUTS + 3], largest = 0;
    int n_levels = 0, n_changed = 0;
    for (int i = 0; c->outputs[i]; i++) {
        long long size = file_size(tu_path(full, c->outputs[i]));
        if (size <= 0)
            fail_msg("%s: the unlimited run wrote no %s", c->name, c->outputs[i]);
        n_changed += !tu_same_bytes(tu_path(full, c->outputs[i]), tu_path(prev, c->outputs[i]));
        levels[n_levels++] = size - 1;
        largest = size > largest ? size : largest;
    }
    /* Else "the previous file, byte for byte" would prove nothing. */
    if (n_changed == 0)
        fail_msg("%s: the previous outputs are the same as the new ones", c->name);
    levels[n_levels++] = 0;
    levels[n_levels++] = 4096;
    levels[n_levels++] = largest / 2;
    for (int l = 0; l < n_levels; l++) {
        int seen = 0;
        for (int m = 0; m < l; m++)
            seen |= levels[m] == levels[l];
        if (seen || levels[l] >= largest)
            continue;
        char empty_dir[4096], over_dir[4096];
        snprintf(empty_dir, sizeof empty_dir, "%s/empty%lld", root, levels[l]);
        snprintf(over_dir, sizeof over_dir, "%s/over%lld", root, levels[l]);
        make_dir(empty_dir);
        check_level(c, levels[l], empty_dir, NULL);
        char copy[12400];
        snprintf(copy, sizeof copy, "cp -rp '%s' '%s'", prev, over_dir);
        assert_int_equal(tu_run(copy, NULL, NULL), 0);
        check_level(c, levels[l], over_dir, prev);
    }
}

static const disk_case cases[] = {
    {"synth", "synth -o '%2$s/q.h5' --rows 4000 --branches 12 --quiet",
     "synth -o '%2$s/q.h5' --rows 4000 --branches 12 --seed 9 --quiet", {"q.h5"}},
    {"import", "import '%1$s/x.csv' -o '%2$s/x.h5' --quiet", "import '%1$s/prev.csv' -o '%2$s/x.h5' --quiet",
     {"x.h5"}},
    {"kmeans", "kmeans '%1$s/q.h5' -o '%2$s/k.h5' --k 4 --quiet", "kmeans '%1$s/q.h5' -o '%2$s/k.h5' --k 3 --quiet",
     {"k.h5", "segments.csv"}},
    {"tree", "tree '%1$s/q.h5' -o '%2$s/t.h5' --quiet", "tree '%1$s/q.h5' -o '%2$s/t.h5' --max-depth 2 --quiet",
     {"t.h5", "tree_rules.txt", "tree.json"}},
    {"survival", "survival '%1$s/q.h5' -o '%2$s/s.h5' --by branch --quiet",
     "survival '%1$s/q.h5' -o '%2$s/s.h5' --by branch --horizon 24 --quiet", {"s.h5", "survival.csv"}},
    {"predict", "predict '%1$s/k4.h5' '%1$s/q.h5' -o '%2$s/p.h5' --quiet",
     "predict '%1$s/k3.h5' '%1$s/q.h5' -o '%2$s/p.h5' --quiet", {"p.h5"}},
    {"run", "run '%1$s/q.h5' -o '%2$s' --k 4 --quiet", "run '%1$s/q.h5' -o '%2$s' --k 3 --quiet",
     {"results.h5", "segments.csv", "branches.csv", "warning.csv", "tree_rules.txt", "survival_segment.csv",
      "survival_branch.csv", "report.html", "run.json", "config.used"}},
};

/* What a command prints may go to a full disk too: /dev/full fails every
 * write with ENOSPC. */
static void test_standard_output(void **state)
{
    (void)state;
    char command[8400], *err = NULL;
    snprintf(command, sizeof command, "'%s' inspect '%s' --json >/dev/full", tu_clmseg(), tu_path(inputs, "q.h5"));
    assert_int_equal(tu_run(command, NULL, &err), 2);
    assert_non_null(err);
    assert_non_null(strstr(err, "clmseg inspect: error: cannot write the standard output"));
    free(err);
}

static void test_synth(void **state) { (void)state; check_case(&cases[0]); }
static void test_import(void **state) { (void)state; check_case(&cases[1]); }
static void test_kmeans(void **state) { (void)state; check_case(&cases[2]); }
static void test_tree(void **state) { (void)state; check_case(&cases[3]); }
static void test_survival(void **state) { (void)state; check_case(&cases[4]); }
static void test_predict(void **state) { (void)state; check_case(&cases[5]); }
static void test_run(void **state) { (void)state; check_case(&cases[6]); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synth),  cmocka_unit_test(test_import),  cmocka_unit_test(test_kmeans),
        cmocka_unit_test(test_tree),   cmocka_unit_test(test_survival), cmocka_unit_test(test_predict),
        cmocka_unit_test(test_run),    cmocka_unit_test(test_standard_output),
    };
    return cmocka_run_group_tests(tests, make_inputs, NULL);
}

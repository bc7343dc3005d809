/*
 * test_run_unit.c — a run is one unit, through the library's clm_run:
 *
 *  - the input rewritten while the run reads it (by the progress callback,
 *    at the start of a step, so the moment is exact): the run fails, names
 *    the input, and OUTDIR keeps the previous run's files byte for byte,
 *    with no temporary file left;
 *  - a column a setting lists that the table lacks fails in the validate
 *    step, before the segments step starts;
 *  - the outputs appear by one swap of folders (renameat2 exchange),
 *    keeping the user's own files; a symbolic-link OUTDIR is not swapped;
 *  - the temporary files a killed run left (a pid that no longer exists)
 *    are removed by the next run; one of a live process stays; an
 *    optional output the new run does not write (equity.csv) does not
 *    stay beside its outputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

static char quarter[4200];

static int setup(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_unit"));
    snprintf(quarter, sizeof quarter, "%s/q.h5", dir);
    return tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 20000 --branches 12 --seed 5 --quiet", quarter);
}

typedef struct watch {
    const char *at_step;     /* rewrite the input when this step starts */
    const char *input;
    int rewritten;
    int segments_started;
} watch;

static void on_progress(void *ctx, const char *stage, int64_t done, int64_t total)
{
    watch *w = ctx;
    (void)total;
    if (done != 0)
        return;
    if (!strcmp(stage, "segments"))
        w->segments_started = 1;
    if (w->at_step && !strcmp(stage, w->at_step) && !w->rewritten) {
        /* append a byte: the same inode, another size and time */
        FILE *f = fopen(w->input, "ab");
        assert_non_null(f);
        fputc(0, f);
        fclose(f);
        w->rewritten = 1;
    }
}

static void test_input_changed_during_run(void **state)
{
    (void)state;
    char dir[4096], copy[4300], out[4300], cmd[9000];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_unit_changed"));
    snprintf(copy, sizeof copy, "%s/q.h5", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", quarter, copy);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    /* A previous, complete run in OUTDIR. */
    clm_run_options opt;
    memset(&opt, 0, sizeof opt);
    assert_int_equal(clm_run(copy, out, &opt), CLM_OK);
    char before[4300];
    snprintf(before, sizeof before, "%s/before", dir);
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", out, before);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);

    watch w = {"churn tree", copy, 0, 0};
    opt.progress = on_progress;
    opt.progress_ctx = &w;
    clm_status st = clm_run(copy, out, &opt);
    assert_true(w.rewritten);
    assert_int_equal(st, CLM_E_IO);
    assert_non_null(strstr(clm_error_detail(), "changed while the run read it"));
    assert_non_null(strstr(clm_error_detail(), copy));
    static const char *const files[] = {"results.h5", "branches.csv", "equity.csv", "report.html",
                                        "run.json", "config.used"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char a[4400], b[4400];
        snprintf(a, sizeof a, "%s/%s", out, files[f]);
        snprintf(b, sizeof b, "%s/%s", before, files[f]);
        assert_true(tu_same_bytes(a, b));
    }
    assert_int_equal(tu_count_matching(out, ".tmp."), 0);
}

static void test_listed_column_checked_first(void **state)
{
    (void)state;
    char out[4300];
    snprintf(out, sizeof out, "%s/out", tu_tmpdir("run_unit_listed"));
    const char *overrides[] = {"cox.features=suspensions,no_such_column", NULL};
    watch w = {NULL, NULL, 0, 0};
    clm_run_options opt;
    memset(&opt, 0, sizeof opt);
    opt.overrides = overrides;
    opt.progress = on_progress;
    opt.progress_ctx = &w;
    assert_int_equal(clm_run(quarter, out, &opt), CLM_E_SCHEMA);
    assert_non_null(strstr(clm_error_detail(), "no_such_column"));
    assert_non_null(strstr(clm_error_detail(), "cox.features"));
    assert_false(w.segments_started);
}

static void test_leftovers_of_a_killed_run(void **state)
{
    (void)state;
    char out[4300], dead[4400], live[4400];
    snprintf(out, sizeof out, "%s/out", tu_tmpdir("run_unit_leftovers"));
    clm_run_options opt;
    memset(&opt, 0, sizeof opt);
    assert_int_equal(clm_run(quarter, out, &opt), CLM_OK);
    /* A pid that does not exist: above every pid the kernel hands out. */
    pid_t gone = 4194304 + 17;
    assert_true(kill(gone, 0) != 0);
    snprintf(dead, sizeof dead, "%s/results.h5.tmp.%ld.3", out, (long)gone);
    snprintf(live, sizeof live, "%s/branches.csv.tmp.%ld.0", out, (long)getppid());
    assert_int_equal(tu_write_file(dead, "half a file"), 0);
    assert_int_equal(tu_write_file(live, "another command's output"), 0);
    assert_int_equal(clm_run(quarter, out, &opt), CLM_OK);
    assert_false(tu_exists(dead));
    assert_true(tu_exists(live));
    unlink(live);
    /* A rerun without the Cox step: the earlier equity.csv goes too. */
    char equity[4400];
    snprintf(equity, sizeof equity, "%s/equity.csv", out);
    assert_true(tu_exists(equity));
    const char *no_cox[] = {"cox.features=none", NULL};
    opt.overrides = no_cox;
    assert_int_equal(clm_run(quarter, out, &opt), CLM_OK);
    assert_false(tu_exists(equity));
}

/* The outputs appear by one swap of folders: OUTDIR is a new folder
 * (another inode) holding the new run and the user's own files (hard
 * links, same content), and no staging folder stays beside it.  An OUTDIR
 * given as a symbolic link is not swapped itself: the outputs are renamed
 * into the folder it points to. */
static void test_publish_swaps_the_folder(void **state)
{
    (void)state;
    char dir[4096], out[4300], notes[4400], real[4300], link_path[4300];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_unit_swap"));
    snprintf(out, sizeof out, "%s/out", dir);
    clm_run_options opt;
    memset(&opt, 0, sizeof opt);
    assert_int_equal(clm_run(quarter, out, &opt), CLM_OK);
    snprintf(notes, sizeof notes, "%s/notes.txt", out);
    assert_int_equal(tu_write_file(notes, "the analyst's own notes\n"), 0);
    struct stat before, after;
    assert_int_equal(stat(out, &before), 0);
    assert_int_equal(clm_run(quarter, out, &opt), CLM_OK);
    assert_int_equal(stat(out, &after), 0);
    assert_true(before.st_ino != after.st_ino);
    char *text = tu_read_file(notes, NULL);
    assert_non_null(text);
    assert_string_equal(text, "the analyst's own notes\n");
    free(text);
    assert_int_equal(tu_count_matching(dir, ".publish."), 0);
    assert_int_equal(tu_count_matching(out, ".tmp."), 0);

    snprintf(real, sizeof real, "%s/real", dir);
    snprintf(link_path, sizeof link_path, "%s/linked", dir);
    assert_int_equal(mkdir(real, 0777), 0);
    assert_int_equal(symlink(real, link_path), 0);
    assert_int_equal(clm_run(quarter, link_path, &opt), CLM_OK);
    struct stat l;
    assert_int_equal(lstat(link_path, &l), 0);
    assert_true(S_ISLNK(l.st_mode));
    char results[4400];
    snprintf(results, sizeof results, "%s/results.h5", real);
    assert_true(tu_exists(results));
}

/* lifecycle_curves.csv: every branch and segment has its rows; a branch's
 * subscribers add up to its count in branches.csv; its survival is the
 * Kaplan-Meier S of survival_branch.csv at that month (the step function
 * read back here); the cumulative value adds S x mean ARPU. */
static char **lines_of(const char *path, int *n)
{
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    int cap = 1024;
    char **lines = malloc((size_t)cap * sizeof *lines);
    *n = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        if (*n == cap)
            lines = realloc(lines, (size_t)(cap *= 2) * sizeof *lines);
        lines[(*n)++] = strdup(l);
    }
    free(text);
    return lines;
}

static int split(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

static void test_lifecycle_curves(void **state)
{
    (void)state;
    char out[4300], path[4400];
    snprintf(out, sizeof out, "%s/out", tu_tmpdir("run_unit_curves"));
    clm_run_options opt;
    memset(&opt, 0, sizeof opt);
    assert_int_equal(clm_run(quarter, out, &opt), CLM_OK);
    int nc, ns, nb;
    snprintf(path, sizeof path, "%s/lifecycle_curves.csv", out);
    char **curves = lines_of(path, &nc);
    snprintf(path, sizeof path, "%s/survival_branch.csv", out);
    char **km = lines_of(path, &ns);
    snprintf(path, sizeof path, "%s/branches.csv", out);
    char **br = lines_of(path, &nb);
    assert_string_equal(curves[0], "level,name,month,subscribers,mean_arpu,survival,cumulative_value");
    int segments_seen[8] = {0}, checked = 0;
    for (int b = 1; b < nb; b++) {
        char *f[32] = {0};
        split(br[b], f, 32);
        const char *name = f[1];
        long long subs = atoll(f[2]), total = 0;
        double value = 0.0;
        int rows = 0;
        for (int c = 1; c < nc; c++) {
            char line[512], *g[8] = {0};
            snprintf(line, sizeof line, "%s", curves[c]);
            assert_int_equal(split(line, g, 8), 7);
            if (strcmp(g[0], "branch") || strcmp(g[1], name))
                continue;
            rows++;
            int month = atoi(g[2]);
            total += atoll(g[3]);
            /* S at month: the last Kaplan-Meier row of the branch with time <= month */
            double want = 1.0;
            for (int k = 1; k < ns; k++) {
                char kl[512], *h[12] = {0};
                snprintf(kl, sizeof kl, "%s", km[k]);
                assert_true(split(kl, h, 12) >= 6);
                if (!strcmp(h[0], name) && atof(h[1]) <= month)
                    want = atof(h[5]);
            }
            assert_true(fabs(atof(g[5]) - want) <= 1e-6);
            value += want * atof(g[4]);
            assert_true(fabs(atof(g[6]) - value) <= 1e-3 * (1.0 + value));
            checked++;
        }
        assert_true(rows > 0);
        assert_int_equal(total, subs);
    }
    for (int c = 1; c < nc; c++)
        if (!strncmp(curves[c], "segment,", 8)) {
            int s = atoi(curves[c] + 8);
            assert_true(s >= 0 && s < 8);
            segments_seen[s] = 1;
        }
    for (int s = 0; s < 8; s++)
        assert_true(segments_seen[s]);
    assert_true(checked > 100);
    for (int i = 0; i < nc; i++) free(curves[i]);
    for (int i = 0; i < ns; i++) free(km[i]);
    for (int i = 0; i < nb; i++) free(br[i]);
    free(curves); free(km); free(br);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_changed_during_run),
        cmocka_unit_test(test_listed_column_checked_first),
        cmocka_unit_test(test_leftovers_of_a_killed_run),
        cmocka_unit_test(test_publish_swaps_the_folder),
        cmocka_unit_test(test_lifecycle_curves),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

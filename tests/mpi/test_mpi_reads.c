/*
 * test_mpi_reads.c — the ranks' collective, chunk-aligned reads of the
 * input table (src/io/table_ranks.c, docs/design.md §7).
 *
 * The quarter is a synthetic one of 50,000 rows rewritten by h5repack with
 * 8,192-row chunks (7 file chunks, the last of 848 rows: the row count is
 * no multiple of the chunk), so that the tree's rank ranges can fall on
 * the file's chunks: on 4 ranks 2, 2, 2 and 1 chunks.  Each rank's reads
 * are counted in the CLMSEG_RANK_STATS lines ("reads": collective as HDF5
 * made them, made independent, unaligned), which the tests read:
 *
 *   tree     every rank's reads collective, none independent, none
 *            unaligned, the same count on every rank; bytes equal to the
 *            serial run on 1..4 ranks x 1..2 threads
 *   kmeans   collective and never independent (its ranks cut its own
 *            4,096-row chunks, so not aligned here); the same bytes
 *   survival collective and aligned (its 4,096-row chunks grouped by the
 *            file's), the same bytes
 *   predict  every saved model of a run applied in collective reads
 *   inspect  collective and aligned (its summaries' 65,536-row blocks:
 *            one here, read by rank 0 while the others take part empty)
 *   6,000 rows  ranks 2 and 3 of 4 hold no row and still take part in
 *            every collective read (the same count as ranks 0 and 1)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "mpi_util.h"
#include "testutil.h"

static char dir[4096];
static char q_chunked[4200], q6000[4200];

static int make_quarters(void **state)
{
    (void)state;
    char plain[4200], cmd[9000];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi-reads"));
    snprintf(plain, sizeof plain, "%s/plain.h5", dir);
    snprintf(q_chunked, sizeof q_chunked, "%s/chunked.h5", dir);
    snprintf(q6000, sizeof q6000, "%s/q6000.h5", dir);
    mpi_synth(plain, 50000, 3);
    snprintf(cmd, sizeof cmd, "h5repack -l CHUNK=8192 '%s' '%s'", plain, q_chunked);
    if (system(cmd) != 0)
        return -1;
    mpi_synth(q6000, 6000, 5);
    return 0;
}

/* The value of "reads":{..."key":N...} in one rank's statistics line. */
static long reads_of(const char *line, const char *key)
{
    const char *reads = strstr(line, "\"reads\":{");
    assert_non_null(reads);
    char needle[64];
    snprintf(needle, sizeof needle, "\"%s\":", key);
    const char *at = strstr(reads, needle);
    assert_non_null(at);
    return strtol(at + strlen(needle), NULL, 10);
}

/* Runs ARGS on 4 ranks with the rank statistics on and checks every
 * rank's reads: all collective (as many on each rank, at least
 * `min_reads`), and none unaligned when `aligned`. */
static void check_reads(const char *name, const char *args, long min_reads, int aligned)
{
    char out[4300], stats[4400];
    snprintf(out, sizeof out, "%s/%s-stats", dir, name);
    snprintf(stats, sizeof stats, "%s/ranks.json", out);
    char mk[8800];
    snprintf(mk, sizeof mk, "rm -rf '%s' && mkdir -p '%s'", out, out);
    assert_int_equal(system(mk), 0);
    setenv("CLMSEG_RANK_STATS", stats, 1);
    int rc = mpi_run_ranks(4, 1, out, args, NULL);
    unsetenv("CLMSEG_RANK_STATS");
    assert_int_equal(rc, 0);
    char *text = tu_read_file(stats, NULL);
    assert_non_null(text);
    assert_int_equal(mpi_count(text, "\"rank\":"), 4);
    long first = -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        long collective = reads_of(line, "collective");
        if (first < 0)
            first = collective;
        if (collective < min_reads || collective != first || reads_of(line, "independent") != 0 ||
            (aligned && reads_of(line, "unaligned") != 0))
            fail_msg("%s: reads not all collective%s: %s", name, aligned ? " and aligned" : "", line);
    }
    free(text);
}

static void tree_same_bytes(const char *quarter, const char *name, const char *expect)
{
    char sub[4300], cmd[8192];
    snprintf(sub, sizeof sub, "%s/%s", dir, name);
    snprintf(cmd, sizeof cmd, "tree '%s' -o results.h5 --quiet", quarter);
    const char *files[] = {"results.h5", "tree_rules.txt", "tree.json"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 3, expect);
}

static void test_tree_reads_collective_on_file_chunks(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "tree '%s' -o results.h5 --quiet", q_chunked);
    check_reads("tree", args, 2, 1);
    tree_same_bytes(q_chunked, "tree-chunked", "holdout ROC AUC: 0.");
}

static void test_kmeans_reads_collective(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "kmeans '%s' -o results.h5 --k 4 --quiet", q_chunked);
    check_reads("kmeans", args, 2, 0);
    mpi_kmeans_same_bytes(dir, q_chunked, "--k 4", "k-means: k = 4,");
}

static void test_survival_reads_collective_on_file_chunks(void **state)
{
    (void)state;
    char sub[4300], cmd[8192];
    snprintf(sub, sizeof sub, "%s/survival-chunked", dir);
    snprintf(cmd, sizeof cmd, "survival '%s' -o results.h5 --by branch", q_chunked);
    check_reads("survival", cmd, 4, 1);
    const char *files[] = {"results.h5", "survival.csv", "stdout.txt"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 3, "survival by branch: Kaplan-Meier");
}

static void test_predict_reads_collective(void **state)
{
    (void)state;
    char model[4300], cmd[9000], args[9000];
    snprintf(model, sizeof model, "%s/model", dir);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' -o '%s' --quiet", tu_clmseg(), q_chunked, model);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    snprintf(args, sizeof args, "predict '%s/results.h5' '%s' -o scored.h5 --quiet", model, q_chunked);
    check_reads("predict", args, 4, 0);
}

static void test_inspect_reads_collective(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "inspect '%s'", q_chunked);
    check_reads("inspect", args, 2, 1);
}

static void test_ranks_without_rows_take_part(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "tree '%s' -o results.h5 --quiet", q6000);
    check_reads("tree-6000", args, 2, 0); /* one file chunk: not aligned */
    tree_same_bytes(q6000, "tree-6000", "holdout ROC AUC: 0.");
    snprintf(args, sizeof args, "kmeans '%s' -o results.h5 --k 3 --quiet", q6000);
    check_reads("kmeans-6000", args, 2, 0);
    mpi_kmeans_same_bytes(dir, q6000, "--k 3", "k-means: k = 3,");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_reads_collective_on_file_chunks),
        cmocka_unit_test(test_kmeans_reads_collective),
        cmocka_unit_test(test_survival_reads_collective_on_file_chunks),
        cmocka_unit_test(test_predict_reads_collective),
        cmocka_unit_test(test_inspect_reads_collective),
        cmocka_unit_test(test_ranks_without_rows_take_part),
    };
    return cmocka_run_group_tests(tests, make_quarters, NULL);
}

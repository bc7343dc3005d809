/*
 * test_mpi_accounting.c — what a multi-node run says about its ranks
 * (docs/design.md §7, docs/scaling.md):
 *
 *   - CLMSEG_RANK_STATS: one JSON line per rank, in rank order, with CPU
 *     and wall seconds, peak memory, and per collective the calls and
 *     bytes; the calls of every collective are the same on every rank
 *     (they are collectives), and the bytes of the partials gathered are
 *     what the chunk grid predicts; without --threads each rank takes
 *     its share of the node's cores;
 *   - no row travels to rank 0 where each rank writes its own: k-means'
 *     labels, a tree's probabilities (a multi-class tree's n x K of them)
 *     and holdout, and predict's scores (no gather of rows on any rank);
 *   - the Cox concordance on 4 ranks: no gather, one exchange of 16
 *     bytes a row in all, spread over the ranks; cox --equity projects
 *     each rank's own rows and writes them, no gather;
 *   - the run's tiers+stages and survival steps move what their ranks'
 *     work on their own rows moves (the thresholds' histograms, the
 *     gathers, the segments handed on), not a step of rank 0 alone;
 *   - the run's results.h5 on 3 ranks: each of its 9 per-row columns
 *     written once, every rank its own rows (the "writes" figures);
 *   - `clmseg bench` on ranks: the collectives' latency and bandwidth and
 *     both workloads on one rank and on all, with finite figures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi_util.h"
#include "testutil.h"

static char dir[4096], quarter[4200];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("mpi-accounting"));
    snprintf(quarter, sizeof quarter, "%s/q.h5", dir);
    mpi_synth(quarter, 50000, 7);
    return 0;
}

/* The number after "key": at or after p. */
static double number_after(const char *p, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *q = strstr(p, pat);
    if (!q)
        fail_msg("no %s in %s", key, p);
    return atof(q + strlen(pat));
}

/* `clmseg ARGS` on `ranks` ranks in folder `out`, which must succeed. */
static void run_ok(int ranks, int threads, const char *out, const char *args)
{
    char *err = NULL;
    int rc = mpi_run_ranks(ranks, threads, out, args, &err);
    if (rc != 0)
        fail_msg("exit %d: %s", rc, err ? err : "");
    free(err);
}

/* `clmseg ARGS` on `ranks` ranks of `threads` threads (0: each rank's
 * default) in <dir>/NAME with CLMSEG_RANK_STATS: the statistics' text
 * (free it), one line a rank. */
static char *stats_on(const char *name, const char *args, int ranks, int threads)
{
    char out[4300], stats[4400];
    snprintf(out, sizeof out, "%s/%s", dir, name);
    snprintf(stats, sizeof stats, "%s/%s.jsonl", dir, name);
    setenv("CLMSEG_RANK_STATS", stats, 1);
    run_ok(ranks, threads, out, args);
    unsetenv("CLMSEG_RANK_STATS");
    char *text = tu_read_file(stats, NULL);
    assert_non_null(text);
    assert_int_equal(mpi_count(text, "\n"), ranks);
    return text;
}

/* On 3 ranks. */
static char *stats_of_threads(const char *name, const char *args, int threads)
{
    return stats_on(name, args, 3, threads);
}

static char *stats_of(const char *name, const char *args)
{
    return stats_of_threads(name, args, 1);
}

/* Without --threads or OMP_NUM_THREADS, 3 ranks of one node share its
 * cores: each takes cores / 3, at least one (not a thread per core each). */
static void test_default_threads(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "kmeans '%s' -o results.h5 --k 3 --quiet", quarter);
    const char *omp = getenv("OMP_NUM_THREADS");
    const long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const double want = omp ? atof(omp) : cores / 3 > 0 ? (double)(cores / 3) : 1.0;
    char *text = stats_of_threads("threads", args, 0);
    const char *line = text;
    for (int r = 0; r < 3; r++) {
        assert_true(number_after(line, "default_threads") == want);
        line = strchr(line, '\n') + 1;
    }
    free(text);
}

static void test_rank_statistics(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "kmeans '%s' -o results.h5 --k 6 --quiet", quarter);
    char *text = stats_of("stats", args);
    double share_calls[3], sum_calls[3];
    const char *line = text;
    for (int r = 0; r < 3; r++) {
        char want[64];
        snprintf(want, sizeof want, "\"rank\":%d,\"ranks\":3,", r);
        assert_non_null(strstr(line, want));
        assert_non_null(strstr(line, "\"command\":\"kmeans\""));
        assert_true(number_after(line, "cpu_s") > 0.0);
        /* The start (MPI_Init included) is part of the CPU, not all of it. */
        assert_true(number_after(line, "start_cpu_s") > 0.0);
        assert_true(number_after(line, "start_cpu_s") < number_after(line, "cpu_s"));
        assert_true(number_after(line, "wall_s") > 0.0);
        /* At least the feature rows of a rank: 50,000 / 3 x 4 bytes x d. */
        assert_true(number_after(line, "peak_rss_bytes") > 1e6);
        const char *share = strstr(line, "\"share_chunks\"");
        const char *sum = strstr(line, "\"sum_i64\"");
        assert_non_null(share);
        assert_non_null(sum);
        share_calls[r] = number_after(share, "calls");
        sum_calls[r] = number_after(sum, "calls");
        /* The partials every rank receives: the same bytes on each. */
        if (r > 0)
            assert_true(number_after(share, "bytes") == number_after(strstr(text, "\"share_chunks\""), "bytes"));
        line = strchr(line, '\n') + 1;
    }
    assert_true(share_calls[0] > 0);
    for (int r = 1; r < 3; r++) {
        assert_true(share_calls[r] == share_calls[0]);
        assert_true(sum_calls[r] == sum_calls[0]);
    }
    free(text);
}

/* `clmseg ARGS` on `ranks` ranks makes `expect` calls of gather_rows on
 * each: the statistics' text (free it). */
static char *gathers_on(int ranks, const char *name, const char *args, double expect)
{
    char *text = stats_on(name, args, ranks, 1);
    const char *line = text;
    for (int r = 0; r < ranks; r++) {
        const double calls = number_after(strstr(line, "\"gather_rows\""), "calls");
        if (calls != expect)
            fail_msg("%s: rank %d gathered rows %.0f times, not %.0f", name, r, calls, expect);
        line = strchr(line, '\n') + 1;
    }
    return text;
}

/* The same on 3 ranks. */
static void assert_gathers(const char *name, const char *args, double expect)
{
    free(gathers_on(3, name, args, expect));
}

/* Rank r's "writes" in the statistics `text` of `ranks` lines: every rank
 * wrote `columns` per-row columns; rows[r] gets the rows it wrote (summed
 * over them).  Returns their sum over the ranks. */
static double writes_of(const char *text, int ranks, int columns, double *rows)
{
    double sum = 0;
    const char *line = text;
    for (int r = 0; r < ranks; r++) {
        const char *w = strstr(line, "\"writes\"");
        assert_non_null(w);
        assert_true(number_after(w, "columns") == columns);
        rows[r] = number_after(w, "rows");
        sum += rows[r];
        line = strchr(line, '\n') + 1;
    }
    return sum;
}

static void test_rows_written_by_their_ranks(void **state)
{
    (void)state;
    char args[16384];
    snprintf(args, sizeof args, "kmeans '%s' -o results.h5 --k 4 --quiet", quarter);
    assert_gathers("rows-kmeans", args, 0);
    snprintf(args, sizeof args, "tree '%s' -o results.h5 --quiet", quarter);
    assert_gathers("rows-tree", args, 0);
    /* predict with those two models: each rank writes its rows. */
    for (int m = 0; m < 2; m++) {
        snprintf(args, sizeof args, "predict '%s/%s/results.h5' '%s' -o scored.h5 --quiet", dir,
                 m ? "rows-tree" : "rows-kmeans", quarter);
        assert_gathers(m ? "rows-predict-tree" : "rows-predict-kmeans", args, 0);
    }
    /* The multi-class tree's n x K probabilities: written by their ranks
     * too, as a 2-D dataset's rows (the probabilities and the holdout). */
    snprintf(args, sizeof args, "tree '%s' -o results.h5 --target plan --quiet", quarter);
    char *text = gathers_on(3, "rows-tree-plan", args, 0);
    double rows[3];
    assert_true(writes_of(text, 3, 2, rows) == 2 * 50000.0);
    free(text);
    /* predict with it: each rank its rows of the 2-D probabilities. */
    snprintf(args, sizeof args, "predict '%s/rows-tree-plan/results.h5' '%s' -o scored.h5 --quiet", dir,
             quarter);
    assert_gathers("rows-predict-tree-plan", args, 0);
}

/* The Cox concordance on 4 ranks gathers no row (nor does the rest of
 * cox without --equity): each rank counts one range of the predictor,
 * and one exchange moves every row's 16-byte (key, cell) pair once, so
 * the ranks' exchange bytes (sent plus received) add up to 32 a row,
 * each rank near its quarter. */
static void test_cox_concordance_on_ranks(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "cox '%s' -o results.h5 --features arpu,service_calls,"
             "plan_downgrades --quiet", quarter);
    char *text = gathers_on(4, "rows-cox", args, 0);
    double sum = 0;
    const char *line = text;
    for (int r = 0; r < 4; r++) {
        const char *exchange = strstr(line, "\"exchange_rows\"");
        assert_non_null(exchange);
        assert_true(number_after(exchange, "calls") == 1);
        const double bytes = number_after(exchange, "bytes");
        if (bytes > 1.5 * 32.0 * 50000 / 4)
            fail_msg("rank %d exchanged %.0f bytes, far above its quarter", r, bytes);
        sum += bytes;
        line = strchr(line, '\n') + 1;
    }
    assert_true(sum == 32.0 * 50000);
    free(text);
}

/* cox --equity on 4 ranks projects each rank's own rows and writes them:
 * no row to rank 0.  50,000 rows are 13 chunks of 4,096
 * (COX_EQUITY_CHUNK), held 4, 3, 3 and the last 2.2: each rank writes
 * its rows of the four columns (leave_3, leave_12, months, value). */
static void test_cox_equity_projected_on_ranks(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "cox '%s' -o results.h5 --features arpu,service_calls --equity --quiet",
             quarter);
    char *text = gathers_on(4, "rows-cox-equity", args, 0);
    const double expect[4] = {16384, 12288, 12288, 9040};
    double rows[4];
    writes_of(text, 4, 4, rows);
    for (int r = 0; r < 4; r++)
        if (rows[r] != 4 * expect[r])
            fail_msg("rank %d wrote %.0f rows of the equity columns, not 4 x %.0f", r, rows[r], expect[r]);
    free(text);
}

/* The collective bytes of step `step` in run.json (summed over the ranks). */
static double step_bytes(const char *json, const char *step)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"step\": \"%s\"", step);
    const char *at = strstr(json, pat);
    if (!at)
        fail_msg("no step %s in run.json", step);
    return number_after(at, "collective_bytes");
}

/* The run's tiers+stages and survival steps on 4 ranks: every rank works
 * on its own rows.  50,000 rows are 13 units of 4,096 rows; rank 0 holds
 * at most 4 of them (16,384 rows, the equal split; fewer with its
 * weighted share), so at least 33,616 rows are elsewhere.  Tiers+stages:
 * the exact selection of the two thresholds sums one histogram of 65,536
 * counts and then two more on every rank (3 x 65,536 x 8 bytes a rank),
 * and rank 0 gathers 12 bytes of each other rank's row (counted by the
 * sender and by rank 0).  Survival: rank 0 hands each other row's segment
 * on, 4 bytes counted twice.  Run on rank 0 alone, as before, each step
 * would move a few bytes of agreement. */
static void test_run_steps_on_ranks(void **state)
{
    (void)state;
    char out[4300], args[8192];
    snprintf(out, sizeof out, "%s/run-steps", dir);
    snprintf(args, sizeof args, "run '%s' -o out --quiet", quarter);
    run_ok(4, 1, out, args);
    char *json = tu_read_file(tu_path(out, "out/run.json"), NULL);
    assert_non_null(json);
    const double off_rank_0 = 50000 - 4 * 4096;
    const double stages = step_bytes(json, "tiers+stages");
    if (stages < 4 * 3 * 65536 * 8.0 + 2 * 12 * off_rank_0)
        fail_msg("tiers+stages moved %.0f bytes: not the ranks' selection and gathers", stages);
    const double survival = step_bytes(json, "survival");
    if (survival < 2 * 4 * off_rank_0)
        fail_msg("survival moved %.0f bytes: the segments were not handed on", survival);
    free(json);
}

static void test_run_rows_written_by_their_ranks(void **state)
{
    (void)state;
    char args[8192];
    snprintf(args, sizeof args, "run '%s' -o out --quiet", quarter);
    char *text = stats_on("run-writes", args, 3, 1);
    /* label, distance, tier, stage, probability, 4 of the equity */
    double rows[3];
    assert_true(writes_of(text, 3, 9, rows) == 9 * 50000.0);
    for (int r = 0; r < 3; r++)
        if (rows[r] < 9 * 4096.0 || rows[r] > 9 * 0.6 * 50000)
            fail_msg("rank %d wrote %.0f rows of the per-row columns: not its share", r, rows[r]);
    free(text);
}

static void test_bench_on_ranks(void **state)
{
    (void)state;
    char out[4300], args[8192];
    snprintf(out, sizeof out, "%s/bench", dir);
    snprintf(args, sizeof args, "bench --rows 20000 --json --quiet --dir '%s'", dir);
    run_ok(2, 1, out, args);
    char *text = tu_read_file(tu_path(out, "stdout.txt"), NULL);
    assert_non_null(text);
    const char *ranks = strstr(text, "{\"bench\":\"ranks\",\"ranks\":2,");
    if (!ranks)
        fail_msg("no ranks line:\n%s", text);
    const double latency = number_after(ranks, "collective_latency_us");
    const double gbps = number_after(ranks, "collective_gb_per_s");
    assert_true(latency > 0.0 && latency < 1e6);
    assert_true(gbps > 0.0 && gbps < 1e4);
    assert_int_equal(mpi_count(text, "\"bench\":\"ranks_workload\""), 2);
    for (const char *p = text; (p = strstr(p, "\"ranks_workload\"")) != NULL; p++) {
        const double one = number_after(p, "seconds_one_rank"), all = number_after(p, "seconds");
        const double speedup = number_after(p, "speedup");
        assert_true(one > 0.0 && all > 0.0);
        /* The printed speedup is the ratio of the printed times. */
        assert_true(speedup > 0.0 && speedup < 64.0);
        assert_true(speedup > 0.95 * one / all && speedup < 1.05 * one / all);
    }
    /* The generated quarter is removed. */
    assert_int_equal(tu_count_matching(dir, "clmseg-bench-ranks"), 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_statistics),
        cmocka_unit_test(test_default_threads),
        cmocka_unit_test(test_rows_written_by_their_ranks),
        cmocka_unit_test(test_cox_concordance_on_ranks),
        cmocka_unit_test(test_cox_equity_projected_on_ranks),
        cmocka_unit_test(test_run_steps_on_ranks),
        cmocka_unit_test(test_run_rows_written_by_their_ranks),
        cmocka_unit_test(test_bench_on_ranks),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

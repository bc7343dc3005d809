/*
 * cmd_bench.c — `clmseg bench [--rows N] [--json]`: how fast this node
 * runs the standard workloads, beside what the node can do at most.
 *
 * Two physical references are measured first: memory read bandwidth (a
 * parallel sum over a buffer larger than any cache) and sgemm GFLOP/s
 * (OpenBLAS, 2048^3, all threads).  Then, on a generated quarter of N rows:
 * reading the numeric columns, one Lloyd iteration (k = 8), one tree level
 * (a depth-1 tree on the binned features), Kaplan-Meier by branch, and the
 * whole quarterly run.  Comparing nodes: the same N on each, then the
 * ratios to the node's own references say whether a slow figure is the
 * node or the code.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "core/comm_internal.h"
#include "core/stream.h"
#include "core/util_internal.h"

static const char *const usage =
    "usage: clmseg bench [--rows N] [--json] [--dir PATH] [--threads T]\n"
    "  Measures this node: memory bandwidth, sgemm GFLOP/s, then on a generated\n"
    "  quarter of N rows (default 1,000,000, written to PATH, default /tmp, and\n"
    "  removed): column read, one Lloyd iteration, one tree level, Kaplan-Meier\n"
    "  by branch, and the whole run.  A table, or JSON lines with --json.\n"
    "  Under mpirun -np R: the collectives' latency and bandwidth between the ranks,\n"
    "  and the k-means fit and Kaplan-Meier on 1 rank and on R (speedup, efficiency).\n";

typedef struct result {
    const char *workload;
    double seconds, rows_per_s, gb_per_s;
} result;

/* Read bandwidth of the whole node (every core: a physical reference,
 * whatever --threads says). */
static double memory_bandwidth(void)
{
    const int64_t n = (int64_t)1 << 28; /* 1 GiB of floats */
    float *a = malloc((size_t)n * sizeof *a);
    if (!a)
        return NAN;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++)
        a[i] = (float)(i & 255);
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = cli_now();
        /* an external call the compiler cannot drop, result unused */
        (void)stream_read(a, (size_t)n * sizeof *a);
        double t = cli_now() - t0;
        if (t < best)
            best = t;
    }
    free(a);
    return (double)n * 4 / best / 1e9;
}

static double sgemm_gflops(void)
{
    const int m = 2048;
    float *a = malloc((size_t)m * m * sizeof *a), *b = malloc((size_t)m * m * sizeof *b),
          *c = malloc((size_t)m * m * sizeof *c);
    double best = 1e30;
    if (a && b && c) {
        for (int64_t i = 0; i < (int64_t)m * m; i++) {
            a[i] = (float)(i % 7) * 0.1f;
            b[i] = (float)(i % 5) * 0.2f;
        }
        for (int r = 0; r < 3; r++) {
            double t0 = cli_now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f, a, m, b, m, 0.0f, c, m);
            double t = cli_now() - t0;
            if (t < best)
                best = t;
        }
    }
    free(a);
    free(b);
    free(c);
    return best < 1e30 ? 2.0 * m * m * (double)m / best / 1e9 : NAN;
}

static int fail_bench(const char *what)
{
    fprintf(stderr, "clmseg bench: error: %s: %s\n", what, clm_error_detail());
    return 2;
}

enum { OPT_JSON = CLI_OPT_FIRST, OPT_ROWS, OPT_DIR };

static const struct option bench_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"dir", required_argument, NULL, OPT_DIR},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_bench(int argc, char **argv)
{
    int64_t rows = 1000000;
    int json = 0;
    const char *dir = "/tmp";
    cli_common common;
    cli_common_default(&common);
    cli_parser parser;
    cli_parser_init(&parser, "bench", argc, argv, "", bench_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return 0;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_ROWS:
            if (cli_parse_i64("bench", "--rows", optarg, 1000, (int64_t)1 << 40, &rows))
                return 1;
            break;
        case OPT_DIR:
            dir = optarg;
            break;
        default:
            return 1;
        }
    }
    if (cli_positionals("bench", argc, argv, NULL, 0))
        return 1;
    const comm_ctx world = comm_world();
    if (comm_is_parallel(&world))
        return cli_bench_ranks(&common, rows, dir, json);
    /* Every workload gets the thread count as a parameter (nothing sets
     * OpenMP's global count); the two references, memory bandwidth and
     * sgemm, measure the whole node with every core. */
    const int threads = util_threads(common.n_threads);
    if (!common.quiet)
        fprintf(stderr, "measuring memory bandwidth and sgemm...\n");
    double bandwidth = memory_bandwidth(), gflops = sgemm_gflops();

    char quarter[4096], outdir[4096];
    snprintf(quarter, sizeof quarter, "%s/clmseg-bench-%ld.h5", dir, (long)getpid());
    snprintf(outdir, sizeof outdir, "%s/clmseg-bench-%ld.out", dir, (long)getpid());
    clm_synth_params sp;
    clm_synth_params_default(&sp);
    sp.n_rows = rows;
    sp.n_threads = threads;
    if (!common.quiet)
        fprintf(stderr, "generating %lld rows...\n", (long long)rows);
    clm_writer *qw = NULL;
    clm_status qs = clm_writer_create(quarter, NULL, &qw);
    if (!qs) qs = clm_synth_write(&sp, qw);
    qs = qs ? (clm_writer_abort(qw), qs) : clm_writer_commit(qw);
    if (qs)
        return fail_bench("synth");

    result res[5];
    int n_res = 0, rc = 0;
    clm_table *t = NULL;
    float *x = NULL, *scratch = NULL;
    int32_t *labels = NULL, *y = NULL;
    clm_kmeans *km = NULL;
    clm_tree *tree = NULL;
    if (clm_table_open(quarter, NULL, &t)) {
        rc = fail_bench("open");
        goto done;
    }
    /* 1. Column read: every numeric column, as float32 blocks. */
    int cols[64], d = 0;
    int64_t bytes = 0;
    for (int c = 0; c < clm_table_n_columns(t) && d < 64; c++) {
        const clm_column_info *info = clm_table_column(t, c);
        if (info->kind == CLM_KIND_NUMERIC && strcmp(info->name, "subscriber_id") && strcmp(info->name, "churned") &&
            strcmp(info->name, "tenure_months")) {
            cols[d++] = c;
            bytes += rows * clm_dtype_size(info->dtype);
        }
    }
    x = malloc((size_t)rows * d * sizeof *x);
    scratch = malloc(CLM_BLOCK_ROWS * sizeof *scratch);
    labels = malloc((size_t)rows * sizeof *labels);
    y = malloc((size_t)rows * sizeof *y);
    if (!x || !scratch || !labels || !y) {
        rc = fail_bench("out of memory");
        goto done;
    }
    double t0 = cli_now();
    for (int64_t r0 = 0; r0 < rows; r0 += CLM_BLOCK_ROWS) {
        int64_t m = util_block_len(rows, r0, CLM_BLOCK_ROWS);
        if (clm_table_read_block_f32(t, cols, d, r0, m, x + r0 * d, scratch)) {
            rc = fail_bench("read");
            goto done;
        }
    }
    double s = cli_now() - t0;
    res[n_res++] = (result){"column read", s, rows / s, bytes / s / 1e9};
    if (clm_table_read_i32(t, clm_table_find(t, "churned"), 0, rows, y)) {
        rc = fail_bench("read churned");
        goto done;
    }

    /* 2. Lloyd iterations from fixed centroids (no seeding), per iteration. */
    clm_kmeans_params kp;
    clm_kmeans_params_default(&kp);
    kp.k = 8;
    kp.max_iter = 5;
    kp.tol = 0;
    kp.initial_centroids = x; /* the first 8 rows */
    kp.n_threads = threads;
    if (clm_kmeans_create(&kp, &km)) {
        rc = fail_bench("kmeans");
        goto done;
    }
    t0 = cli_now();
    if (clm_kmeans_fit(km, x, rows, d, NULL, labels)) {
        rc = fail_bench("kmeans fit");
        goto done;
    }
    s = (cli_now() - t0) / (clm_kmeans_iterations(km) > 0 ? clm_kmeans_iterations(km) : 1);
    res[n_res++] = (result){"Lloyd iteration (k=8)", s, rows / s, rows * 4.0 * d / s / 1e9};

    /* 3. One tree level: binning excluded, growth of a depth-1 tree. */
    clm_tree_params tp;
    clm_tree_params_default(&tp);
    tp.max_depth = 1;
    tp.test_fraction = 0;
    tp.permutation_repeats = 0;
    tp.n_threads = threads;
    if (clm_tree_fit_matrix(&tp, x, y, rows, d, 2, NULL, &tree)) {
        rc = fail_bench("tree");
        goto done;
    }
    clm_tree_metrics tm;
    clm_tree_get_metrics(tree, &tm);
    res[n_res++] = (result){"tree level", tm.growth_seconds, rows / tm.growth_seconds, (double)rows * d / tm.growth_seconds / 1e9};

    /* 4. Kaplan-Meier by branch, from the file. */
    clm_table_close(t);
    t = NULL;
    t0 = cli_now();
    if (clm_table_open(quarter, NULL, &t) || cli_bench_survival(t, NULL, threads)) {
        rc = fail_bench("survival");
        goto done;
    }
    s = cli_now() - t0;
    res[n_res++] = (result){"Kaplan-Meier by branch", s, rows / s, rows * 10.0 / s / 1e9};

    /* 5. The whole run. */
    char threads_set[64];
    snprintf(threads_set, sizeof threads_set, "run.threads=%d", threads);
    const char *run_overrides[] = {threads_set, NULL};
    const char *run_origins[] = {"--threads", NULL};
    clm_run_options ro = {NULL, run_overrides, run_origins, NULL, NULL, NULL};
    t0 = cli_now();
    if (clm_run(quarter, outdir, &ro)) {
        rc = fail_bench("run");
        goto done;
    }
    s = cli_now() - t0;
    res[n_res++] = (result){"whole run", s, rows / s, NAN};

    if (json) {
        printf("{\"bench\":\"node\",\"threads\":%d,\"memory_gb_per_s\":%.2f,\"sgemm_gflops\":%.1f}\n", threads,
               bandwidth, gflops);
        for (int i = 0; i < n_res; i++)
            printf("{\"bench\":\"workload\",\"workload\":\"%s\",\"rows\":%lld,\"seconds\":%.4f,\"rows_per_s\":%.4g,"
                   "\"gb_per_s\":%.3f,\"share_of_memory_bandwidth\":%.3f}\n",
                   res[i].workload, (long long)rows, res[i].seconds, res[i].rows_per_s,
                   isnan(res[i].gb_per_s) ? 0.0 : res[i].gb_per_s,
                   isnan(res[i].gb_per_s) ? 0.0 : res[i].gb_per_s / bandwidth);
    } else {
        printf("node: %d threads, memory read %.1f GB/s, sgemm %.0f GFLOP/s\n\n", threads, bandwidth, gflops);
        printf("%-24s %10s %14s %10s %12s\n", "workload", "seconds", "rows/s", "GB/s", "of memory bw");
        for (int i = 0; i < n_res; i++) {
            printf("%-24s %10.4f %14.4g", res[i].workload, res[i].seconds, res[i].rows_per_s);
            if (isnan(res[i].gb_per_s))
                printf(" %10s %12s\n", "-", "-");
            else
                printf(" %10.2f %11.0f%%\n", res[i].gb_per_s, 100 * res[i].gb_per_s / bandwidth);
        }
        printf("\n(%lld rows; GB/s counts the bytes each workload reads once)\n", (long long)rows);
    }
done:
    clm_table_close(t);
    clm_kmeans_free(km);
    clm_tree_free(tree);
    free(x);
    free(scratch);
    free(labels);
    free(y);
    unlink(quarter);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", outdir);
    if (system(cmd) != 0)
        fprintf(stderr, "clmseg bench: could not remove %s\n", outdir);
    return rc;
}

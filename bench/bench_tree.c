/*
 * bench_tree.c — histogram CART throughput (JSON lines).
 *
 *   bench_tree [--rows N] [--features F] [--depth D] [--threads T]
 *              [--repeats R] [--peers SCRIPT] [--sklearn-rows M]
 *
 * Generates N x F float32 features and a churn target in memory
 * (deterministic), trains one tree of depth D on all rows R times and
 * reports the minimum binning and growth seconds, and the peak resident
 * memory (VmHWM, the whole process: the bench's float features and int32
 * labels included) against 1.1 x (input features + binned matrix), with
 * the resident memory just before training for reference.  With --peers
 * bench/tree_peers.py, the same data is written to raw files and xgboost
 * hist and scikit-learn run on it in the same run.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "clmseg/tree.h"

/* A field of /proc/self/status in bytes: VmHWM (peak resident set, as
 * getrusage's ru_maxrss) or VmRSS (resident now); -1 if unreadable. */
static long long status_bytes(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t len = strlen(field);
    long long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, len))
            kb = atoll(line + len);
    if (f)
        fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

static uint64_t mix(uint64_t x)
{
    return util_splitmix64(x);
}

int main(int argc, char **argv)
{
    int64_t rows = 10000000;
    int features = 16, depth = 8, threads = omp_get_max_threads(), repeats = 3;
    int64_t sklearn_rows = 1000000;
    const char *peers = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows")) rows = (int64_t)atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--features")) features = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--depth")) depth = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--peers")) peers = argv[i + 1];
        else if (!strcmp(argv[i], "--sklearn-rows")) sklearn_rows = (int64_t)atof(argv[i + 1]);
        else {
            fprintf(stderr, "bench_tree: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    float *x = malloc((size_t)rows * features * sizeof *x);
    int32_t *y = malloc((size_t)rows * sizeof *y);
    if (!x || !y) {
        fprintf(stderr, "bench_tree: out of memory\n");
        return 2;
    }
    /* Usage-like features (skewed, a few with NaN), churn from a noisy
     * score of five of them. */
    #pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; i++) {
        double score = 0.0;
        for (int f = 0; f < features; f++) {
            double u = (double)(mix((uint64_t)i * 131 + (uint64_t)f) >> 11) * 0x1.0p-53;
            double v = f % 3 == 0 ? -log(u + 1e-12) * 30.0 : (f % 3 == 1 ? u * 100.0 : floor(u * 12.0));
            x[i * features + f] = (float)v;
            if (f < 5)
                score += (f % 2 ? 1.0 : -1.0) * u * (f + 1);
        }
        if (features > 4 && mix((uint64_t)i ^ 0xabcdef) % 50 == 0)
            x[i * features + 4] = NAN;
        double noise = (double)(mix((uint64_t)i + 0x5555) >> 11) * 0x1.0p-53;
        y[i] = score + 2.0 * noise > 1.5;
    }
    /* Resident before training: the bench's own features and int32 labels
     * (the type clm_tree_fit_matrix takes) plus the runtime. */
    long long before = status_bytes("VmRSS:");
    clm_tree_params p;
    clm_tree_params_default(&p);
    p.max_depth = depth;
    p.test_fraction = 0.0;
    p.permutation_repeats = 0;
    p.n_threads = threads;
    double best_bin = INFINITY, best_grow = INFINITY, accuracy = NAN;
    int leaves = 0;
    for (int r = 0; r < repeats; r++) {
        clm_tree *t = NULL;
        if (clm_tree_fit_matrix(&p, x, y, rows, features, 2, NULL, &t)) {
            fprintf(stderr, "bench_tree: %s\n", clm_error_detail());
            return 2;
        }
        clm_tree_metrics m;
        clm_tree_get_metrics(t, &m);
        if (m.binning_seconds < best_bin) best_bin = m.binning_seconds;
        if (m.growth_seconds < best_grow) best_grow = m.growth_seconds;
        accuracy = m.train_accuracy;
        leaves = clm_tree_n_leaves(t);
        clm_tree_free(t);
    }
    long long peak = status_bytes("VmHWM:");
    long long input = (long long)rows * features * 4, binned = (long long)rows * features;
    long long target = (long long)rows * 4;
    printf("{\"bench\": \"tree\", \"engine\": \"clmseg\", \"rows\": %lld, \"features\": %d, \"depth\": %d, "
           "\"threads\": %d, \"repeats\": %d, \"binning_seconds\": %.4f, \"growth_seconds\": %.4f, "
           "\"total_seconds\": %.4f, \"rows_per_second\": %.4g, \"leaves\": %d, \"train_accuracy\": %.4f, "
           "\"peak_rss_bytes\": %lld, \"rss_before_fit_bytes\": %lld, \"input_feature_bytes\": %lld, "
           "\"target_bytes\": %lld, \"binned_bytes\": %lld, \"peak_limit_bytes\": %lld, "
           "\"peak_limit\": \"1.1 x (input_feature_bytes + binned_bytes)\", \"peak_within_limit\": %s}\n",
           (long long)rows, features, depth, threads, repeats, best_bin, best_grow,
           best_bin + best_grow, (double)rows / (best_bin + best_grow), leaves, accuracy, peak,
           before, input, target, binned, (long long)(1.1 * (double)(input + binned)),
           peak <= 1.1 * (double)(input + binned) ? "true" : "false");
    fflush(stdout);
    if (peers) {
        const char *xp = "/tmp/bench_tree_x.f32", *yp = "/tmp/bench_tree_y.i32";
        FILE *fx = fopen(xp, "wb"), *fy = fopen(yp, "wb");
        if (!fx || !fy ||
            fwrite(x, sizeof *x, (size_t)rows * features, fx) != (size_t)rows * features ||
            fwrite(y, sizeof *y, (size_t)rows, fy) != (size_t)rows) {
            fprintf(stderr, "bench_tree: cannot write the peer data\n");
            return 2;
        }
        fclose(fx);
        fclose(fy);
        free(x);
        free(y);
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' %s %s %lld %d %d %d %lld %d", peers, xp, yp,
                 (long long)rows, features, depth, threads, (long long)sklearn_rows, repeats);
        int rc = system(cmd);
        remove(xp);
        remove(yp);
        return rc == 0 ? 0 : 2;
    }
    free(x);
    free(y);
    return 0;
}

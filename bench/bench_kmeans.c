/*
 * bench_kmeans.c — throughput of k-means on this node, as JSON lines.
 *
 *   bench_kmeans [--rows N] [--features D] [--k K] [--iters I] [--repeats R]
 *                [--no-sklearn] [--sklearn-script PATH]
 *
 * Default: 10M rows x 16 float32 features (640 MB), k = 8.  Lines:
 *   stream_floor      one parallel read of the whole matrix (the
 *                     memory-bandwidth floor of one Lloyd iteration);
 *   lloyd_iteration   seconds per Lloyd iteration (assignment pass: block
 *                     product + argmin per block, the centroid sums moved
 *                     for the rows that changed cluster, merged in chunk
 *                     order, and the centroid update) over iterations 3 to
 *                     2 + 2I, the ones the scikit-learn script times: the
 *                     product --product auto picks ("product"), on 1 and
 *                     on all threads, then sgemm forced on all threads when
 *                     auto picked the fused kernel; ratio_to_floor, the
 *                     speedup of 2 vs 1 thread, the share of rows that
 *                     moved per timed iteration, the first iteration (every
 *                     row moves) on its own, and the time of the pass's
 *                     block products alone (product_only);
 *   seeding           greedy k-means++ and k-means|| on the whole matrix;
 *   sklearn_lloyd     scikit-learn's seconds per Lloyd iteration on the
 *                     same matrix and initial centroids (bench/kmeans_sklearn.py
 *                     run by /usr/bin/python3 in this run);
 *   peak_memory       getrusage ru_maxrss of this process (the peer runs in
 *                     a child process) against the matrix size.
 * Times are the minimum over the repeats.
 */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clmseg/clmseg.h"
#include "core/stream.h"
#include "kmeans/kmeans_internal.h"

static double now(void) { return omp_get_wtime(); }

/* Weakly clustered data (uniform noise around close centres), so that
 * labels keep changing for many iterations and scikit-learn's strict
 * convergence does not stop its timed runs early. */
static void make_data(float *x, int64_t n, int d, int k)
{
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        uint64_t h = km_mix((uint64_t)i * 0x9E37ull + 17);
        int c = (int)(h % (uint64_t)k);
        for (int j = 0; j < d; j++) {
            h = km_mix(h + (uint64_t)j);
            x[i * d + j] = (float)(4.0 * km_unit(h) - 2.0 + 0.5 * (double)((c * 5 + j * 3) % 7));
        }
    }
}

/* Only the per-block products of an assignment pass (same blocks, same
 * threads, the given method): how much of an iteration the product alone
 * takes. */
static double product_only(const km_data *data, int method, const float *centroids, int k)
{
    const int d = data->n_features;
    const int64_t block = km_gemm_block_rows(k, d);
    km_product prod;
    if (km_product_init(&prod, clm_kernels_default(), method, centroids, k, d))
        return INFINITY;
    float *dots = malloc(sizeof(float) * (size_t)(block * prod.ld * data->n_threads));
    if (!dots) {
        km_product_free(&prod);
        return INFINITY;
    }
    double t = now();
#pragma omp parallel num_threads(data->n_threads)
    {
        float *my = dots + (int64_t)omp_get_thread_num() * block * prod.ld;
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < data->n_chunks; c++) {
            int64_t row0, count;
            km_chunk(data, c, &row0, &count);
            for (int64_t b = 0; b < count; b += block) {
                int64_t nb = count - b < block ? count - b : block;
                km_product_block(&prod, data->rows + (row0 + b) * d, nb, my);
            }
        }
    }
    t = now() - t;
    free(dots);
    km_product_free(&prod);
    return t;
}

/* One Lloyd iteration: assignment (the sums follow the rows that changed
 * cluster), then the centroid update.  Returns the rows that changed. */
static int64_t lloyd_iteration(const km_data *data, float *centroids, int k, int32_t *labels,
                               double *sums, double *counts)
{
    int64_t changed = 0;
    if (km_assign(data, centroids, k, labels, sums, counts, &changed))
        return -1;
    for (int j = 0; j < k; j++)
        if (counts[j] > 0)
            for (int f = 0; f < data->n_features; f++)
                centroids[j * data->n_features + f] = (float)(sums[j * data->n_features + f] / counts[j]);
    return changed;
}

int main(int argc, char **argv)
{
    int64_t n = 10000000;
    int d = 16, k = 8, iters = 5, repeats = 3, sklearn = 1;
    const char *script = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc) n = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--features") && i + 1 < argc) d = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--k") && i + 1 < argc) k = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-sklearn")) sklearn = 0;
        else if (!strcmp(argv[i], "--sklearn-script") && i + 1 < argc) script = argv[++i];
        else {
            fprintf(stderr, "usage: bench_kmeans [--rows N] [--features D] [--k K] [--iters I] "
                            "[--repeats R] [--no-sklearn] [--sklearn-script PATH]\n");
            return 1;
        }
    }
    const int max_threads = omp_get_max_threads();
    const double matrix_bytes = (double)n * d * sizeof(float);
    float *x = malloc((size_t)matrix_bytes);
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)n);
    float *init = malloc(sizeof(float) * (size_t)(k * d)), *cent = malloc(sizeof(float) * (size_t)(k * d));
    double *sums = malloc(sizeof(double) * (size_t)(k * d)), *counts = malloc(sizeof(double) * (size_t)k);
    if (!x || !labels || !init || !cent || !sums || !counts) {
        fprintf(stderr, "bench_kmeans: out of memory\n");
        return 2;
    }
    make_data(x, n, d, k);
    for (int j = 0; j < k; j++) /* initial centroids: k spread-out rows */
        memcpy(init + j * d, x + (int64_t)(((double)j + 0.5) / k * (double)n) * d, sizeof(float) * d);

    /* bandwidth floor: stream the matrix once */
    double floor_s = INFINITY;
    uint32_t sink = 0;
    /* cheap (one read of the matrix): more repeats, so the minimum is the
     * machine's real bandwidth even when it is shared */
    for (int r = 0; r < 3 * repeats + 1; r++) {
        double t = now();
        sink += (uint32_t)stream_read(x, (size_t)matrix_bytes);
        t = now() - t;
        if (r > 0 && t < floor_s) /* first pass warms the pages */
            floor_s = t;
    }
    printf("{\"bench\":\"kmeans\",\"what\":\"stream_floor\",\"rows\":%lld,\"features\":%d,"
           "\"threads\":%d,\"seconds\":%.6f,\"gb_per_s\":%.2f,\"checksum\":%u}\n",
           (long long)n, d, max_threads, floor_s, matrix_bytes / floor_s / 1e9, (unsigned)sink);
    fflush(stdout);

    /* Timed: iterations 3 to 2 + 2 iters from the same initial centroids,
     * the iterations kmeans_sklearn.py times.  The first iteration, where
     * every row moves into the sums, is reported on its own.  Runs: the
     * product AUTO picks on 1 and on all threads, then BLAS forced (when
     * AUTO did not pick it) on all threads, for comparison. */
    const int auto_method = km_product_choose(KM_PRODUCT_AUTO, k, d);
    double per_iter[3] = {INFINITY, INFINITY, INFINITY};
    double first_iter[3] = {INFINITY, INFINITY, INFINITY};
    int thread_counts[3] = {1, max_threads, max_threads};
    int methods[3] = {auto_method, auto_method, KM_PRODUCT_BLAS};
    const int runs = auto_method == KM_PRODUCT_BLAS ? 2 : 3;
    for (int q = 0; q < runs; q++) {
        km_data data;
        km_data_init(&data, x, NULL, n, d, thread_counts[q]);
        data.product = methods[q];
        double moved_share = 0.0;
        for (int r = 0; r < repeats; r++) {
            memcpy(cent, init, sizeof(float) * (size_t)(k * d));
            for (int64_t i = 0; i < n; i++)
                labels[i] = -1;
            memset(sums, 0, sizeof(double) * (size_t)(k * d));
            memset(counts, 0, sizeof(double) * (size_t)k);
            double t = now();
            lloyd_iteration(&data, cent, k, labels, sums, counts);
            t = now() - t;
            if (t < first_iter[q])
                first_iter[q] = t;
            lloyd_iteration(&data, cent, k, labels, sums, counts);
            int64_t moved = 0;
            t = now();
            for (int it = 0; it < 2 * iters; it++)
                moved += lloyd_iteration(&data, cent, k, labels, sums, counts);
            t = (now() - t) / (2 * iters);
            if (t < per_iter[q])
                per_iter[q] = t;
            moved_share = (double)moved / (2.0 * iters * (double)n);
        }
        double prod_s = INFINITY;
        for (int r = 0; r < repeats; r++) {
            double t = product_only(&data, methods[q], init, k);
            if (t < prod_s)
                prod_s = t;
        }
        printf("{\"bench\":\"kmeans\",\"what\":\"lloyd_iteration\",\"rows\":%lld,\"features\":%d,"
               "\"k\":%d,\"threads\":%d,\"product\":\"%s\",\"seconds\":%.6f,\"gb_per_s\":%.2f,"
               "\"ratio_to_floor\":%.2f",
               (long long)n, d, k, thread_counts[q],
               km_product_names[methods[q]], per_iter[q],
               matrix_bytes / per_iter[q] / 1e9, per_iter[q] / floor_s);
        printf(",\"rows_moved_share\":%.4f,\"first_iteration_seconds\":%.6f,"
               "\"first_iteration_ratio_to_floor\":%.2f",
               moved_share, first_iter[q], first_iter[q] / floor_s);
        printf(",\"product_only_seconds\":%.6f,\"product_share\":%.2f", prod_s,
               prod_s / per_iter[q]);
        if (q == 1)
            printf(",\"speedup_vs_1_thread\":%.2f", per_iter[0] / per_iter[1]);
        if (q == 2)
            printf(",\"vs_auto\":%.2f", per_iter[2] / per_iter[1]);
        printf("}\n");
        fflush(stdout);
    }

    /* seeding on the whole matrix (all threads) */
    {
        km_data data;
        km_data_init(&data, x, NULL, n, d, max_threads);
        double t = now();
        km_init_plusplus(&data, k, 42, labels, cent);
        double tp = now() - t;
        t = now();
        km_init_parallel(&data, k, 42, labels, cent);
        double tpar = now() - t;
        printf("{\"bench\":\"kmeans\",\"what\":\"seeding\",\"rows\":%lld,\"k\":%d,\"threads\":%d,"
               "\"kmeanspp_seconds\":%.4f,\"kmeans_parallel_seconds\":%.4f}\n",
               (long long)n, k, max_threads, tp, tpar);
        fflush(stdout);
    }

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double rss = (double)ru.ru_maxrss * 1024.0;
    printf("{\"bench\":\"kmeans\",\"what\":\"peak_memory\",\"rows\":%lld,\"maxrss_bytes\":%.0f,"
           "\"matrix_bytes\":%.0f,\"ratio_to_matrix\":%.4f}\n",
           (long long)n, rss, matrix_bytes, rss / matrix_bytes);
    fflush(stdout);

    if (sklearn) {
        /* the peer reads the same matrix and centroids from raw files */
        char xpath[256], cpath[256], cmd[2048];
        snprintf(xpath, sizeof xpath, "/tmp/bench_kmeans_x.%d.f32", (int)getpid());
        snprintf(cpath, sizeof cpath, "/tmp/bench_kmeans_c.%d.f32", (int)getpid());
        FILE *fx = fopen(xpath, "wb"), *fc = fopen(cpath, "wb");
        int ok = fx && fc && fwrite(x, sizeof(float), (size_t)(n * d), fx) == (size_t)(n * d) &&
                 fwrite(init, sizeof(float), (size_t)(k * d), fc) == (size_t)(k * d);
        if (fx) fclose(fx);
        if (fc) fclose(fc);
        free(x);
        x = NULL;
        if (!ok) {
            fprintf(stderr, "bench_kmeans: cannot write the matrix for scikit-learn\n");
        } else {
            char default_script[1024];
            if (!script) {
                /* beside this source file (CMake compiles it by absolute path) */
                const char *slash = strrchr(__FILE__, '/');
                int len = slash ? (int)(slash - __FILE__) : 1;
                snprintf(default_script, sizeof default_script, "%.*s/kmeans_sklearn.py", len,
                         slash ? __FILE__ : ".");
                script = default_script;
            }
            snprintf(cmd, sizeof cmd,
                     "OMP_NUM_THREADS=%d /usr/bin/python3 %s %s %s %lld %d %d %d %d",
                     max_threads, script, xpath, cpath, (long long)n, d, k, iters, repeats);
            FILE *p = popen(cmd, "r");
            char line[1024];
            double sk = NAN;
            while (p && fgets(line, sizeof line, p)) {
                const char *at = strstr(line, "\"seconds\":");
                if (at)
                    sk = atof(at + 10);
                fputs(line, stdout);
            }
            if (p)
                pclose(p);
            if (!isnan(sk))
                printf("{\"bench\":\"kmeans\",\"what\":\"vs_sklearn\",\"threads\":%d,"
                       "\"sklearn_seconds\":%.6f,\"clmseg_seconds\":%.6f,\"clmseg_speedup\":%.2f}\n",
                       max_threads, sk, per_iter[1], sk / per_iter[1]);
        }
        remove(xpath);
        remove(cpath);
    }
    free(x); free(labels); free(init); free(cent); free(sums); free(counts);
    return 0;
}

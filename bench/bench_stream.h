/*
 * bench_stream.h — the memory floor the benches print beside their
 * figures: the best of three parallel passes summing `count` doubles (the
 * size of what the measured work must read at least once).
 */
#ifndef CLMSEG_BENCH_STREAM_H
#define CLMSEG_BENCH_STREAM_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile double bench_stream_sink;

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double bench_stream_seconds(size_t count, int threads)
{
    double *x = malloc((count > 0 ? count : 1) * sizeof *x);
    if (!x) {
        fprintf(stderr, "bench: out of memory for the stream pass\n");
        exit(2);
    }
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < count; i++)
        x[i] = (double)(i % 1000) * 1e-3;
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = bench_now(), s = 0.0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : s)
        for (size_t i = 0; i < count; i++)
            s += x[i];
        double t = bench_now() - t0;
        bench_stream_sink += s; /* keeps the sum, so the pass cannot be dropped */
        best = t < best ? t : best;
    }
    free(x);
    return best;
}

#endif

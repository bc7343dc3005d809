/*
 * bench_ranks.c — `mpirun -np R clmseg bench`: what R ranks do together
 * (docs/scaling.md).
 *
 * Three figures, all from this one job:
 *   - the collectives between the ranks: latency (an error agreement, the
 *     smallest round every pass ends with) and bandwidth (per-chunk
 *     partials gathered to every rank, the floating-point path);
 *   - the distributed workloads on a generated quarter of N rows (a k-means
 *     fit of 5 Lloyd iterations, Kaplan-Meier by branch), each timed twice:
 *     on rank 0 alone over all rows (the one-rank case, which is the serial
 *     code: the other ranks wait) and on all R ranks, giving the speedup,
 *     the parallel efficiency and rows/s per rank;
 *   - per rank, the CPU seconds and peak memory (comm_write_rank_stats has
 *     them per command; here they come with the same JSON lines).
 * The node's own references (memory bandwidth, sgemm) stay the one-rank
 * `clmseg bench`: measured with R ranks on the node they would compete.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "core/comm_internal.h"
#include "core/util_internal.h"
#include "kmeans/kmeans_ranks.h"
#include "survival/survival_ranks.h"
#include "io/io_table_ranks.h"

/* Seconds per round of the smallest collective, the best of 5 runs of
 * `rounds` rounds (the first round is a warm-up). */
static double latency(const comm_ctx *c, int rounds)
{
    double best = INFINITY;
    for (int run = 0; run < 5; run++) {
        comm_agree(c, CLM_OK);
        const double t0 = util_now();
        for (int i = 0; i < rounds; i++)
            comm_agree(c, CLM_OK);
        const double s = (util_now() - t0) / rounds;
        best = s < best ? s : best;
    }
    return best;
}

/* Bytes per second every rank receives when `total` bytes of per-chunk
 * partials are shared (comm_share_chunks, 1024 chunks), best of 5. */
static double bandwidth(const comm_ctx *c, size_t total)
{
    const int64_t n_chunks = 1024;
    const size_t chunk = total / (size_t)n_chunks;
    char *parts = calloc((size_t)n_chunks, chunk);
    if (!parts)
        return NAN;
    double best = INFINITY;
    for (int run = 0; run < 5 && parts; run++) {
        comm_agree(c, CLM_OK);
        const double t0 = util_now();
        if (comm_share_chunks(c, parts, chunk, n_chunks))
            break;
        const double s = util_now() - t0;
        best = s < best ? s : best;
    }
    free(parts);
    /* What a rank receives: every other rank's share. */
    return (double)total * (double)(c->size - 1) / c->size / best;
}

typedef clm_status (*workload_fn)(const clm_table *t, const comm_ctx *c, int threads);

static clm_status kmeans_workload(const clm_table *t, const comm_ctx *c, int threads)
{
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    p.k = 8;
    p.max_iter = 5;
    p.tol = 0;
    p.n_init = 1;
    p.n_threads = threads;
    clm_kmeans *m = NULL;
    clm_status st = km_fit_table_ranks(&p, NULL, t, c, &m);
    clm_kmeans_free(m);
    return st;
}

clm_status cli_bench_survival(const clm_table *t, const comm_ctx *c, int threads)
{
    clm_survival_params p;
    clm_survival_params_default(&p);
    p.n_threads = threads;
    clm_survival_columns sc;
    memset(&sc, 0, sizeof sc);
    sc.by = "branch";
    sc.arpu = "arpu";
    clm_survival *s = NULL;
    clm_status st = surv_fit_table_ranks(&p, &sc, t, c, &s);
    clm_survival_free(s);
    return st;
}

/* The seconds of one workload on rank 0 alone (`solo`) or on every rank;
 * every rank returns the same figure (rank 0's clock for solo, the
 * slowest rank's otherwise). */
static clm_status time_workload(workload_fn fn, const clm_table *t, const comm_ctx *world,
                                int solo, int threads, double *seconds)
{
    const comm_ctx one = {0, 1, 0};
    clm_status st = comm_agree(world, CLM_OK);
    const double t0 = util_now();
    if (!st && (!solo || world->rank == 0))
        st = fn(t, solo ? &one : world, threads);
    int64_t micros = (int64_t)((util_now() - t0) * 1e6);
    st = comm_agree(world, st);
    if (!st)
        st = comm_max_i64(world, &micros, 1);
    *seconds = (double)micros * 1e-6;
    return st;
}

int cli_bench_ranks(const cli_common *common, int64_t rows, const char *dir, int json)
{
    const comm_ctx world = comm_world();
    const int threads = util_threads(common->n_threads);
    char quarter[4096];
    long id = (long)getpid();
    comm_bcast(&world, &id, sizeof id, 0);
    snprintf(quarter, sizeof quarter, "%s/clmseg-bench-ranks-%ld.h5", dir, id);
    clm_status st = CLM_OK;
    if (world.rank == 0) {
        if (!common->quiet)
            fprintf(stderr, "generating %lld rows...\n", (long long)rows);
        clm_synth_params sp;
        clm_synth_params_default(&sp);
        sp.n_rows = rows;
        sp.n_threads = threads;
        clm_writer *w = NULL;
        st = clm_writer_create(quarter, NULL, &w);
        if (!st) st = clm_synth_write(&sp, w);
        st = st ? (clm_writer_abort(w), st) : clm_writer_commit(w);
    }
    st = comm_agree(&world, st);
    clm_table *t = NULL;
    if (!st)
        st = io_table_open_ranks(&world, quarter, NULL, &t);
    if (st) {
        if (world.rank == 0)
            unlink(quarter);
        return cli_fail("bench", st);
    }
    if (!common->quiet)
        fprintf(stderr, "measuring the collectives...\n");
    const double lat = latency(&world, 200);
    const double bw = bandwidth(&world, (size_t)64 << 20);
    static const struct {
        const char *name;
        workload_fn fn;
    } workloads[] = {{"k-means fit (k=8, 5 iterations)", kmeans_workload},
                     {"Kaplan-Meier by branch", cli_bench_survival}};
    /* Rank 0 alone reads its own handle of the quarter (the serial
     * driver): `t`'s reads are collective, every rank takes part in them. */
    clm_table *alone = NULL;
    if (!st && world.rank == 0)
        st = clm_table_open(quarter, NULL, &alone);
    st = comm_agree(&world, st);
    double solo[2] = {0}, all[2] = {0};
    for (int i = 0; !st && i < 2; i++) {
        if (!common->quiet)
            fprintf(stderr, "%s on 1 and %d ranks...\n", workloads[i].name, world.size);
        st = time_workload(workloads[i].fn, alone, &world, 1, threads, &solo[i]);
        if (!st)
            st = time_workload(workloads[i].fn, t, &world, 0, threads, &all[i]);
    }
    clm_table_close(alone);
    clm_table_close(t);
    if (world.rank == 0)
        unlink(quarter);
    if (st)
        return cli_fail("bench", st);
    if (json) {
        printf("{\"bench\":\"ranks\",\"ranks\":%d,\"threads\":%d,\"collective_latency_us\":%.2f,"
               "\"collective_gb_per_s\":%.3f}\n",
               world.size, threads, lat * 1e6, bw / 1e9);
        for (int i = 0; i < 2; i++)
            printf("{\"bench\":\"ranks_workload\",\"workload\":\"%s\",\"rows\":%lld,\"ranks\":%d,"
                   "\"threads\":%d,\"seconds_one_rank\":%.4f,\"seconds\":%.4f,\"speedup\":%.3f,"
                   "\"efficiency\":%.3f,\"rows_per_s_per_rank\":%.4g}\n",
                   workloads[i].name, (long long)rows, world.size, threads, solo[i], all[i],
                   solo[i] / all[i], solo[i] / all[i] / world.size,
                   (double)rows / all[i] / world.size);
    } else {
        printf("%d ranks x %d threads: collective latency %.1f us, bandwidth %.2f GB/s per rank\n\n",
               world.size, threads, lat * 1e6, bw / 1e9);
        printf("%-34s %10s %10s %8s %10s %14s\n", "workload", "1 rank s", "all s", "speedup",
               "efficiency", "rows/s/rank");
        for (int i = 0; i < 2; i++)
            printf("%-34s %10.4f %10.4f %8.2f %9.0f%% %14.4g\n", workloads[i].name, solo[i],
                   all[i], solo[i] / all[i], 100.0 * solo[i] / all[i] / world.size,
                   (double)rows / all[i] / world.size);
        printf("\n(%lld rows; one rank: rank 0 alone over every row, the serial code)\n",
               (long long)rows);
    }
    return 0;
}

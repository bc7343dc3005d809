/*
 * bench_mpi.c — how `clmseg kmeans` scales over MPI ranks (issue 11 item 6,
 * docs/scaling.md), on oversubscribed ranks with one thread each.
 *
 *   bench_mpi [--rows N] [--dir PATH] [--max-ranks R] [--repeats K] [--k K] [--run 0|1]
 *
 * CLMSEG_BIN names the MPI build's clmseg, CLMSEG_MPIEXEC its mpirun
 * (default mpirun).  On a generated quarter of N rows (default 2,000,000,
 * written once into PATH and kept), for R = 1 .. max ranks, K times each
 * (the run with the least total CPU is kept: the machine is shared), the
 * program writes each rank's CPU seconds, wall seconds, peak memory and
 * collective traffic (CLMSEG_RANK_STATS, src/core/comm.c).  Printed per R:
 *   - cpu_sum_s and cpu_ratio: the CPU seconds summed over the ranks, and
 *     their ratio to the one-rank run's (target <= 1.15); start_cpu_sum_s,
 *     the part the ranks took to start (loading the program and its
 *     libraries, MPI_Init: about 0.05-0.1 s a rank, which no command can
 *     lower), and cpu_ratio_after_start, the same ratio without it;
 *   - work_max_over_mean: each rank's busy seconds (wall minus the seconds
 *     spent inside collectives, i.e. waiting for the others included
 *     there), the slowest over the mean (target <= 1.10);
 *   - peak_rss per rank beside its floor: the rank's share of the feature
 *     rows (N/R x d x 4 bytes) plus the fixed part, measured in the same
 *     run on R ranks over R x 65,536 rows (the largest rank's peak less its
 *     share); memory_ratio is (peak - fixed) / share (target <= 1.1);
 *   - collective calls and bytes per rank;
 *   - identical: results.h5 the same bytes as the one-rank run's (for the
 *     run also its memory_ratio, each rank's peak beside the rows it held
 *     (held_rows in the rank statistics: rank 0 holds fewer): the fixed
 *     part is the largest of the ranks' peaks of a run on R x 262,144
 *     rows less their rows' bytes, the bytes a row from the one-rank runs
 *     on N and on 262,144 rows; the ratio the largest rank's; on several
 *     ranks both over the ranks other than 0, which holds besides what it
 *     gathers of every row for its own steps);
 *   - shared_cores_floor: what sharing the cores alone costs, measured
 *     in the same run: R one-process copies of the command (no MPI, no
 *     communication, nothing combined) started at once, each on every
 *     row, their CPU summed over R times one copy's alone.  On R ranks of
 *     fewer cores than R the ranks time-share the cores as the copies do,
 *     so cpu_ratio cannot be expected below it.
 * Then (unless --run 0) the same CPU, balance and identity figures for the
 * whole quarterly run (`clmseg run`), whose steps of every row (validation,
 * segments, tiers and stages, churn tree, survival, Cox and equity,
 * lifecycle curves, results.h5's per-row columns) run on every rank, the
 * rest on rank 0 alone while the others wait asleep.
 * One JSON object per line on stdout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clmseg/clmseg.h"

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && v[0] ? v : fallback;
}

static void sh(const char *cmd)
{
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_mpi: '%s' failed (CLMSEG_BIN: the MPI build's clmseg)\n", cmd);
        exit(2);
    }
}

/* One rank's line of the statistics file. */
typedef struct rank_stats {
    double cpu, start_cpu, wall, peak, held_rows, coll_seconds, coll_bytes, coll_calls;
} rank_stats;

/* The number after "key": in line, or -1. */
static double field(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    return p ? atof(p + strlen(pat)) : -1.0;
}

/* Sums every "<what>": of the collectives object. */
static double sum_fields(const char *line, const char *what)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", what);
    double total = 0;
    const char *p = strstr(line, "\"collectives\"");
    while (p && (p = strstr(p, pat)) != NULL) {
        p += strlen(pat);
        total += atof(p);
    }
    return total;
}

static int read_stats(const char *path, rank_stats *out, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[8192];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        out[n].cpu = field(line, "cpu_s");
        out[n].start_cpu = field(line, "start_cpu_s");
        out[n].wall = field(line, "wall_s");
        out[n].peak = field(line, "peak_rss_bytes");
        out[n].held_rows = field(line, "held_rows");
        out[n].coll_seconds = sum_fields(line, "seconds");
        out[n].coll_bytes = sum_fields(line, "bytes");
        out[n].coll_calls = sum_fields(line, "calls");
        n++;
    }
    fclose(f);
    return n;
}

static char mpirun_cmd[4096];

/* Rows a rank of the run's fixed-part measurement (below). */
#define RUN_FIXED_ROWS 262144

/* `clmseg ARGS --threads 1 --quiet` on `ranks` ranks; fills stats[0..ranks). */
static void run_ranks(const char *dir, int ranks, const char *args, rank_stats *stats)
{
    char cmd[32768], stats_path[4200];
    snprintf(stats_path, sizeof stats_path, "%s/rank-stats.jsonl", dir);
    snprintf(cmd, sizeof cmd,
             "rm -f '%s' && CLMSEG_RANK_STATS='%s' %s -np %d '%s' %s --threads 1 --quiet",
             stats_path, stats_path, mpirun_cmd, ranks, env_or("CLMSEG_BIN", "./clmseg"), args);
    sh(cmd);
    if (read_stats(stats_path, stats, ranks) != ranks) {
        fprintf(stderr, "bench_mpi: %s: expected %d ranks' lines\n", stats_path, ranks);
        exit(2);
    }
}

/* `clmseg kmeans QUARTER -o OUT --k K` on `ranks` ranks. */
static void run_kmeans(const char *dir, const char *quarter, int ranks, int k, const char *out,
                       rank_stats *stats)
{
    char args[16384];
    snprintf(args, sizeof args, "kmeans '%s' -o '%s' --k %d", quarter, out, k);
    run_ranks(dir, ranks, args, stats);
}

/* The best of `repeats` runs (least CPU summed over the ranks) into best. */
static double best_of(const char *dir, int ranks, const char *args, int repeats,
                      rank_stats *stats, rank_stats *best)
{
    double best_cpu = 1e300;
    for (int r = 0; r < repeats; r++) {
        run_ranks(dir, ranks, args, stats);
        double cpu = 0;
        for (int i = 0; i < ranks; i++)
            cpu += stats[i].cpu;
        if (cpu < best_cpu) {
            best_cpu = cpu;
            memcpy(best, stats, sizeof(rank_stats) * (size_t)ranks);
        }
    }
    return best_cpu;
}

/* The CPU seconds the ranks took to start (loading, MPI_Init), summed. */
static double start_sum(const rank_stats *best, int ranks)
{
    double sum = 0;
    for (int i = 0; i < ranks; i++)
        sum += best[i].start_cpu;
    return sum;
}

/* The slowest rank's busy seconds over the mean rank's (busy: wall less
 * the seconds inside collectives), and the largest peak and wall. */
static double work_balance(const rank_stats *best, int ranks, double *peak_max, double *wall,
                           double *calls, double *bytes)
{
    double work_sum = 0, work_max = 0;
    *peak_max = *wall = *calls = *bytes = 0;
    for (int i = 0; i < ranks; i++) {
        double work = best[i].wall - best[i].coll_seconds;
        work_sum += work;
        work_max = work > work_max ? work : work_max;
        *peak_max = best[i].peak > *peak_max ? best[i].peak : *peak_max;
        *wall = best[i].wall > *wall ? best[i].wall : *wall;
        *calls += best[i].coll_calls;
        *bytes += best[i].coll_bytes;
    }
    return work_max / (work_sum / ranks);
}

static void print_ranks(const char *bench, const rank_stats *best, int ranks)
{
    for (int i = 0; i < ranks; i++)
        printf("{\"bench\":\"%s\",\"ranks\":%d,\"rank\":%d,\"cpu_s\":%.3f,\"start_cpu_s\":%.3f,"
               "\"work_s\":%.3f,\"collective_s\":%.3f,\"peak_rss_bytes\":%.0f,\"held_rows\":%.0f}\n",
               bench, ranks, i, best[i].cpu, best[i].start_cpu, best[i].wall - best[i].coll_seconds,
               best[i].coll_seconds, best[i].peak, best[i].held_rows);
}

/* The floor of the CPU ratio on R ranks sharing the machine's cores:
 * `copies` one-process runs of `clmseg ARGS --threads 1 --quiet` (no MPI:
 * no communication, no combination) started at once, each on every row,
 * their CPU seconds summed (the children's rusage); `%d` in args_fmt is
 * the copy's number, for its output.  The best of `repeats`. */
static double copies_cpu(const char *args_fmt, int copies, int repeats)
{
    double best = 1e300;
    for (int r = 0; r < repeats; r++) {
        char cmd[65536];
        int at = snprintf(cmd, sizeof cmd, "(");
        for (int c = 0; c < copies; c++) {
            char args[16384];
            snprintf(args, sizeof args, args_fmt, c);
            at += snprintf(cmd + at, sizeof cmd - (size_t)at, "'%s' %s --threads 1 --quiet & ",
                           env_or("CLMSEG_BIN", "./clmseg"), args);
        }
        snprintf(cmd + at, sizeof cmd - (size_t)at, "wait)");
        struct rusage before, after;
        getrusage(RUSAGE_CHILDREN, &before);
        sh(cmd);
        getrusage(RUSAGE_CHILDREN, &after);
        const double cpu = (double)(after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
                           1e-6 * (double)(after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
                           (double)(after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
                           1e-6 * (double)(after.ru_stime.tv_usec - before.ru_stime.tv_usec);
        best = cpu < best ? cpu : best;
    }
    return best;
}

static int same_file(const char *a, const char *b)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

int main(int argc, char **argv)
{
    int64_t rows = 2000000;
    const char *dir = "/tmp";
    int max_ranks = 4, repeats = 3, k = 8, with_run = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            rows = (int64_t)atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--max-ranks"))
            max_ranks = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeats"))
            repeats = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--k"))
            k = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--run"))
            with_run = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_mpi [--rows N] [--dir PATH] [--max-ranks R] [--repeats K] [--k K] [--run 0|1]\n");
            return 2;
        }
    }
    if (max_ranks < 1 || max_ranks > 64 || repeats < 1 || rows < 1) {
        fprintf(stderr, "bench_mpi: bad --max-ranks, --repeats or --rows\n");
        return 2;
    }
    snprintf(mpirun_cmd, sizeof mpirun_cmd, "'%s' -q --oversubscribe --bind-to none%s",
             env_or("CLMSEG_MPIEXEC", "mpirun"), geteuid() == 0 ? " --allow-run-as-root" : "");
    const char *bin = env_or("CLMSEG_BIN", "./clmseg");
    char quarter[4200], small[4200], cmd[16384];
    snprintf(quarter, sizeof quarter, "%s/clmseg-bench-mpi-%lld.h5", dir, (long long)rows);
    struct stat st;
    if (stat(quarter, &st) != 0) {
        snprintf(cmd, sizeof cmd, "'%s' synth -o '%s' --rows %lld --seed 42 --quiet", bin, quarter,
                 (long long)rows);
        sh(cmd);
    }
    rank_stats *stats = malloc(sizeof(rank_stats) * (size_t)max_ranks);
    rank_stats *best = malloc(sizeof(rank_stats) * (size_t)max_ranks);
    if (!stats || !best)
        return 2;
    char out[4300], ref[4300];
    char fixed_out[4300];
    snprintf(fixed_out, sizeof fixed_out, "%s/clmseg-bench-mpi-small.h5", dir);
    snprintf(ref, sizeof ref, "%s/clmseg-bench-mpi-r1.h5", dir);
    double cpu_one = 0, work_one = 0, alone_kmeans = 0, alone_run = 0;
    int d = 0;
    for (int ranks = 1; ranks <= max_ranks; ranks++) {
        /* The fixed part on R ranks: the largest rank's peak on a quarter
         * of R x 65,536 rows (one full read block a rank: all that does
         * not grow with the rows), less that rank's share of its rows. */
        snprintf(small, sizeof small, "%s/clmseg-bench-mpi-fixed-%d.h5", dir, ranks);
        if (stat(small, &st) != 0) {
            snprintf(cmd, sizeof cmd, "'%s' synth -o '%s' --rows %d --seed 42 --quiet", bin, small,
                     65536 * ranks);
            sh(cmd);
        }
        double fixed = 1e300;
        for (int r = 0; r < repeats; r++) {
            run_kmeans(dir, small, ranks, k, fixed_out, stats);
            double top = 0;
            for (int i = 0; i < ranks; i++)
                top = stats[i].peak > top ? stats[i].peak : top;
            fixed = top < fixed ? top : fixed;
        }
        if (d == 0) {
            /* The feature count of the default k-means, from its saved model. */
            clm_kmeans *model = NULL;
            if (clm_kmeans_load(fixed_out, "/segments", 1, &model)) {
                fprintf(stderr, "bench_mpi: %s: %s\n", fixed_out, clm_error_detail());
                return 2;
            }
            d = clm_kmeans_n_features(model);
            clm_kmeans_free(model);
        }
        fixed -= 65536.0 * d * 4.0;
        snprintf(out, sizeof out, "%s/clmseg-bench-mpi-r%d.h5", dir, ranks);
        char args[16384];
        snprintf(args, sizeof args, "kmeans '%s' -o '%s' --k %d", quarter, out, k);
        const double best_cpu = best_of(dir, ranks, args, repeats, stats, best);
        const double started = start_sum(best, ranks);
        if (ranks == 1) {
            cpu_one = best_cpu;
            work_one = best_cpu - started;
        }
        double peak_max, wall, calls, bytes;
        const double balance = work_balance(best, ranks, &peak_max, &wall, &calls, &bytes);
        const double share = (double)rows / ranks * d * 4.0;
        char floor_fmt[16384];
        snprintf(floor_fmt, sizeof floor_fmt, "kmeans '%s' -o '%s/clmseg-bench-mpi-copy%%d.h5' --k %d", quarter,
                 dir, k);
        if (ranks == 1)
            alone_kmeans = copies_cpu(floor_fmt, 1, repeats);
        const double floor_ratio = ranks == 1 ? 1.0 : copies_cpu(floor_fmt, ranks, repeats) / (ranks * alone_kmeans);
        printf("{\"bench\":\"mpi_kmeans\",\"rows\":%lld,\"features\":%d,\"k\":%d,\"ranks\":%d,"
               "\"threads\":1,\"wall_s\":%.3f,\"cpu_sum_s\":%.3f,\"cpu_ratio\":%.3f,"
               "\"shared_cores_floor\":%.3f,"
               "\"start_cpu_sum_s\":%.3f,\"cpu_ratio_after_start\":%.3f,"
               "\"work_max_over_mean\":%.3f,\"peak_rss_max_bytes\":%.0f,\"share_bytes\":%.0f,"
               "\"fixed_bytes\":%.0f,\"memory_ratio\":%.3f,\"collective_calls_per_rank\":%.0f,"
               "\"collective_bytes_per_rank\":%.0f,\"identical\":%s}\n",
               (long long)rows, d, k, ranks, wall, best_cpu, best_cpu / cpu_one, floor_ratio, started,
               (best_cpu - started) / work_one, balance, peak_max, share, fixed, (peak_max - fixed) / share, calls / ranks, bytes / ranks,
               same_file(ref, out) ? "true" : "false");
        print_ranks("mpi_kmeans_rank", best, ranks);
        fflush(stdout);
    }
    /* The whole quarterly run: the CPU summed over the ranks beside one
     * rank's, and results.h5 beside the one-rank run's. */
    double run_one = 0, run_work_one = 0, run_per_row = 0;
    char run_ref[4300];
    snprintf(run_ref, sizeof run_ref, "%s/clmseg-bench-mpi-run1/results.h5", dir);
    for (int ranks = 1; with_run && ranks <= max_ranks; ranks++) {
        char outdir[4300], args[16384], results[4400];
        snprintf(outdir, sizeof outdir, "%s/clmseg-bench-mpi-run%d", dir, ranks);
        snprintf(results, sizeof results, "%s/results.h5", outdir);
        snprintf(args, sizeof args, "run '%s' -o '%s'", quarter, outdir);
        const double best_cpu = best_of(dir, ranks, args, repeats, stats, best);
        const double started = start_sum(best, ranks);
        if (ranks == 1) {
            run_one = best_cpu;
            run_work_one = best_cpu - started;
        }
        double peak_max, wall, calls, bytes;
        const double balance = work_balance(best, ranks, &peak_max, &wall, &calls, &bytes);
        /* The fixed part, as for k-means: the largest rank's peak on an
         * R x 262,144-row quarter, less its share of those rows.  262,144
         * rows a rank, not 65,536: the run's largest read blocks (the Cox
         * design's, COX_BLOCK rows of every covariate column, 38 MB) reach
         * their full size only there, and they do not grow past it. */
        char small_q[4300], small_run[4300], fixed_args[16384];
        snprintf(small_q, sizeof small_q, "%s/clmseg-bench-mpi-fixed-run-%d.h5", dir, ranks);
        if (stat(small_q, &st) != 0) {
            snprintf(cmd, sizeof cmd, "'%s' synth -o '%s' --rows %d --seed 42 --quiet", bin, small_q,
                     RUN_FIXED_ROWS * ranks);
            sh(cmd);
        }
        snprintf(small_run, sizeof small_run, "%s/clmseg-bench-mpi-fixed-run", dir);
        snprintf(fixed_args, sizeof fixed_args, "run '%s' -o '%s'", small_q, small_run);
        /* Each rank's peak beside the rows it held (held_rows, the most
         * rows of any step there: rank 0 holds fewer than the others)
         * for the ranks other than 0.
         * The run's bytes a row come from one rank's peaks on N and on
         * RUN_FIXED_ROWS rows; the fixed part on R ranks is the largest of
         * the small run's peaks less their rows' bytes; the ratio, the
         * largest of the ranks' (peak - fixed) over their rows' bytes. */
        rank_stats *small = malloc(sizeof(rank_stats) * (size_t)ranks);
        if (!small)
            return 2;
        double small_top = 1e300;
        for (int r = 0; r < repeats; r++) {
            run_ranks(dir, ranks, fixed_args, stats);
            double top = 0;
            for (int i = 0; i < ranks; i++)
                top = stats[i].peak > top ? stats[i].peak : top;
            if (top < small_top) {
                small_top = top;
                memcpy(small, stats, sizeof(rank_stats) * (size_t)ranks);
            }
        }
        if (ranks == 1)
            run_per_row = (peak_max - small_top) / ((double)rows - small[0].held_rows);
        /* Rank 0 also holds what it gathers of every row for its own
         * steps (docs/scaling.md), which is no fixed part and no share:
         * on several ranks the figures are the other ranks'. */
        const int from = ranks > 1 ? 1 : 0;
        double fixed_part = 0;
        for (int i = from; i < ranks; i++) {
            const double f = small[i].peak - small[i].held_rows * run_per_row;
            fixed_part = f > fixed_part ? f : fixed_part;
        }
        free(small);
        double memory_ratio = 0, run_share = 0;
        for (int i = from; i < ranks; i++) {
            const double share = best[i].held_rows * run_per_row;
            const double ratio = share > 0 ? (best[i].peak - fixed_part) / share : 0;
            if (ratio > memory_ratio) {
                memory_ratio = ratio;
                run_share = share;
            }
        }
        char floor_fmt[16384];
        snprintf(floor_fmt, sizeof floor_fmt, "run '%s' -o '%s/clmseg-bench-mpi-copy%%d'", quarter, dir);
        if (ranks == 1)
            alone_run = copies_cpu(floor_fmt, 1, repeats);
        const double floor_ratio = ranks == 1 ? 1.0 : copies_cpu(floor_fmt, ranks, repeats) / (ranks * alone_run);
        printf("{\"bench\":\"mpi_run\",\"rows\":%lld,\"ranks\":%d,\"threads\":1,\"wall_s\":%.3f,"
               "\"cpu_sum_s\":%.3f,\"cpu_ratio\":%.3f,\"shared_cores_floor\":%.3f,\"start_cpu_sum_s\":%.3f,"
               "\"cpu_ratio_after_start\":%.3f,\"work_max_over_mean\":%.3f,"
               "\"peak_rss_max_bytes\":%.0f,\"share_bytes\":%.0f,\"fixed_bytes\":%.0f,"
               "\"memory_ratio\":%.3f,\"collective_calls_per_rank\":%.0f,"
               "\"collective_bytes_per_rank\":%.0f,\"identical\":%s}\n",
               (long long)rows, ranks, wall, best_cpu, best_cpu / run_one, floor_ratio, started,
               (best_cpu - started) / run_work_one, balance, peak_max, run_share, fixed_part,
               memory_ratio,
               calls / ranks, bytes / ranks, same_file(run_ref, results) ? "true" : "false");
        print_ranks("mpi_run_rank", best, ranks);
        fflush(stdout);
    }
    free(stats);
    free(best);
    return 0;
}

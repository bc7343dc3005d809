/*
 * bench_allocate.c — the retention-budget allocator (src/strategy/allocate.c)
 * on N candidates (default 10,000,000), beside two peers measured in the
 * same run.
 *
 *   bench_allocate [--rows N] [--cells C] [--groups G] [--repeats R]
 *
 * Candidates are generated in memory, deterministically: G cap groups
 * (branches, default 300), C cells (default 1,500, cell c in group c % G),
 * gain uniform in [-20, 80) (a fifth not positive), cost in [1, 21),
 * saves in [0, 1), one in five high tier; the budget is a third of the
 * positive-gain candidates' cost, and every other group has a cap of half
 * its share of the budget.  Measured, each the minimum of R repeats
 * (default 3):
 *   - alloc: alloc_solve (checks, keys, radix sort, gather, three walks)
 *     for 1 thread and all threads, wall and CPU seconds (user + system:
 *     on a shared machine the wall time also holds other work's turns);
 *     "identical" says whether the results of the two are the same bytes;
 *   - read_inputs: one parallel pass summing every input column once (the
 *     floor of any pass over the candidates), 1 thread and all threads;
 *   - qsort: the C library's qsort of the same 64-bit keys (the rank keys
 *     of the positive-gain candidates), one thread, one repeat.
 * One JSON object per line on stdout.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/util_internal.h"
#include "strategy/allocate.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds (user + system) of the process so far: on a shared machine
 * the wall time of a call also counts the time other work held the cores. */
static double cpu_now(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_sec +
           1e-6 * (double)u.ru_stime.tv_usec;
}

static void die(clm_status s)
{
    fprintf(stderr, "bench_allocate: %s: %s\n", clm_strerror(s), clm_error_detail());
    exit(2);
}

static int64_t n_rows = 10000000;
static int32_t n_cells = 1500, n_groups = 300;
static int32_t *col_cell, *col_group;
static float *col_gain, *col_cost, *col_saves;
static uint8_t *col_high;
static int64_t *subscribers;
static double *caps;

static double unit(uint64_t x, int shift) /* 20 bits of x as [0, 1) */
{
    return (double)((x >> shift) & 0xFFFFF) / 1048576.0;
}

static double generate(void)
{
    col_cell = malloc((size_t)n_rows * sizeof(int32_t));
    col_group = malloc((size_t)n_rows * sizeof(int32_t));
    col_gain = malloc((size_t)n_rows * sizeof(float));
    col_cost = malloc((size_t)n_rows * sizeof(float));
    col_saves = malloc((size_t)n_rows * sizeof(float));
    col_high = malloc((size_t)n_rows);
    subscribers = calloc((size_t)n_cells, sizeof(int64_t));
    caps = malloc((size_t)n_groups * sizeof(double));
    if (!col_cell || !col_group || !col_gain || !col_cost || !col_saves || !col_high || !subscribers || !caps)
        die(CLM_E_NOMEM);
    double positive_cost = 0;
#pragma omp parallel for schedule(static) reduction(+ : positive_cost)
    for (int64_t i = 0; i < n_rows; i++) {
        uint64_t x = util_splitmix64((uint64_t)i * UTIL_SPLITMIX_GAMMA + 2026);
        int32_t c = (int32_t)(x % (uint64_t)n_cells);
        col_cell[i] = c;
        col_group[i] = c % n_groups;
        col_gain[i] = (float)(-20.0 + 100.0 * unit(x, 8));
        col_cost[i] = (float)(1.0 + 20.0 * unit(x, 28));
        col_saves[i] = (float)unit(x, 44);
        col_high[i] = (x >> 56) % 5 == 0;
        if (col_gain[i] > 0)
            positive_cost += col_cost[i];
    }
    for (int64_t i = 0; i < n_rows; i++)
        subscribers[col_cell[i]] += 3;
    double total = positive_cost / 3;
    for (int32_t g = 0; g < n_groups; g++)
        caps[g] = g % 2 ? 0.5 * total / n_groups : INFINITY;
    return total;
}

static alloc_input input(double total, int threads)
{
    return (alloc_input){n_rows, col_cell, n_cells, col_group, n_groups, caps, col_gain, col_cost, col_saves,
                         col_high, subscribers, total, threads};
}

static int same_result(const alloc_result *a, const alloc_result *b)
{
    for (int p = 0; p < ALLOC_N_POLICIES; p++)
        if (memcmp(a->cells[p], b->cells[p], (size_t)a->n_cells * sizeof(alloc_cell)) ||
            memcmp(&a->total[p], &b->total[p], sizeof(alloc_cell)))
            return 0;
    return memcmp(&a->threshold, &b->threshold, sizeof(double)) == 0;
}

static double time_alloc(double total, int threads, int repeats, alloc_result *keep, double *cpu)
{
    double best = INFINITY;
    *cpu = INFINITY;
    for (int k = 0; k < repeats; k++) {
        alloc_input in = input(total, threads);
        alloc_result r;
        double t0 = now(), c0 = cpu_now();
        clm_status st = alloc_solve(&in, &r);
        double dt = now() - t0, dc = cpu_now() - c0;
        if (st)
            die(st);
        best = dt < best ? dt : best;
        *cpu = dc < *cpu ? dc : *cpu;
        alloc_result_free(keep);
        *keep = r;
    }
    return best;
}

static volatile double sink;

static double time_read(int threads, int repeats)
{
    double best = INFINITY;
    for (int k = 0; k < repeats; k++) {
        double t0 = now(), sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum) num_threads(threads)
        for (int64_t i = 0; i < n_rows; i++)
            sum += (double)col_gain[i] + (double)col_cost[i] + (double)col_saves[i] + (double)col_cell[i] +
                   (double)col_group[i] + (double)col_high[i];
        sink = sum;
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* qsort of the positive-gain candidates' rank keys (descending float
 * gain/cost above the index, as allocate.c builds them). */
static double time_qsort(int64_t *m)
{
    uint64_t *keys = malloc((size_t)n_rows * sizeof *keys);
    if (!keys)
        die(CLM_E_NOMEM);
    int64_t k = 0;
    for (int64_t i = 0; i < n_rows; i++)
        if (col_gain[i] > 0) {
            float q = col_gain[i] / col_cost[i];
            uint32_t bits;
            memcpy(&bits, &q, sizeof bits);
            keys[k++] = (uint64_t)~bits << 32 | (uint64_t)i;
        }
    double t0 = now();
    qsort(keys, (size_t)k, sizeof *keys, by_u64);
    double dt = now() - t0;
    sink = (double)keys[k / 2];
    free(keys);
    *m = k;
    return dt;
}

int main(int argc, char **argv)
{
    int repeats = 3;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--rows") && a + 1 < argc)
            n_rows = (int64_t)atof(argv[++a]); /* 1e7 is fine */
        else if (!strcmp(argv[a], "--cells") && a + 1 < argc)
            n_cells = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--groups") && a + 1 < argc)
            n_groups = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--repeats") && a + 1 < argc)
            repeats = atoi(argv[++a]);
        else {
            fprintf(stderr, "usage: bench_allocate [--rows N] [--cells C] [--groups G] [--repeats R]\n");
            return 1;
        }
    }
    if (n_rows < 1 || n_cells < 1 || n_groups < 1 || repeats < 1) {
        fprintf(stderr, "bench_allocate: rows, cells, groups and repeats must be >= 1\n");
        return 1;
    }
    double total = generate();
    int all = omp_get_max_threads();
    alloc_result one = {0}, many = {0};
    double c1, cn;
    double t1 = time_alloc(total, 1, repeats, &one, &c1);
    double tn = time_alloc(total, all, repeats, &many, &cn);
    double r1 = time_read(1, repeats), rn = time_read(all, repeats);
    int64_t m = 0;
    double tq = time_qsort(&m);
    for (int pass = 0; pass < 2; pass++) {
        int threads = pass ? all : 1;
        double t = pass ? tn : t1, c = pass ? cn : c1, r = pass ? rn : r1;
        printf("{\"bench\":\"alloc\",\"rows\":%lld,\"positive\":%lld,\"cells\":%d,\"groups\":%d,\"threads\":%d,"
               "\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"rows_per_s\":%.4g,\"read_inputs_s\":%.4f,\"vs_read\":%.2f,"
               "\"qsort_keys_s\":%.4f,\"vs_qsort\":%.3f,\"identical\":%s}\n",
               (long long)n_rows, (long long)m, (int)n_cells, (int)n_groups, threads, t, c, (double)n_rows / t, r,
               t / r, tq, t / tq, same_result(&one, &many) ? "true" : "false");
    }
    for (int p = 0; p < ALLOC_N_POLICIES; p++)
        printf("{\"bench\":\"alloc_plan\",\"policy\":\"%s\",\"budget\":%.6g,\"spend\":%.6g,\"contacted\":%.6g,"
               "\"saves\":%.6g,\"net_gain\":%.6g}\n",
               alloc_policy_names[p], total, many.total[p].spend, many.total[p].contacted, many.total[p].saves,
               many.total[p].net_gain);
    alloc_result_free(&one);
    alloc_result_free(&many);
    return 0;
}

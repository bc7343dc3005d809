/*
 * bench_cox.c — Cox regression and customer equity on a generated quarter,
 * beside the memory floor and R.
 *
 *   bench_cox [--rows N] [--r-rows M] [--dir PATH] [--threads T] [--no-r]
 *
 * On a quarter of N rows (default 10,000,000; generated into PATH once,
 * kept) with 20 covariates (17 numeric columns and the 4-level plan):
 *   - fit: clm_cox_fit_table, Efron ties, no strata: the seconds to lay the
 *     rows out in cells, and the mean seconds of one likelihood evaluation
 *     (the pass each Newton iteration makes), beside
 *   - stream: one parallel pass summing an N x 20 double matrix, the size
 *     of the design the iterations read: the floor of any pass over it
 *     (minimum of 3);
 *   - equity: clm_cox_equity_table over a 36-month horizon on the same
 *     table with its column cache warm (as in the run), minimum of 3;
 *   - R (unless --no-r): survival::coxph on a quarter of M rows (default
 *     1,000,000; the same generator and seed) with the same covariates and
 *     ties, coxph alone timed, beside clm_cox_fit_table on that file
 *     (reading included, with the column cache on as in the run, so each
 *     column comes from the file once); the largest relative difference of the
 *     coefficients is printed.
 * One JSON object per line on stdout.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_stream.h"
#include "clmseg/clmseg.h"
#include "clmseg/cox.h"

static void die(clm_status s)
{
    fprintf(stderr, "bench_cox: %s: %s\n", clm_strerror(s), clm_error_detail());
    exit(2);
}

static const char *const features[] = {
    "suspensions", "suspension_days", "plan_downgrades", "complaints", "service_calls",
    "payment_delay_days", "offnet_forward_minutes", "dropped_calls", "contacts_now",
    "contacts_prev", "voice_minutes", "data_mb", "sms_count", "topups", "device_age_months",
    "arpu", "arpu_prev", "plan",
};
#define N_FEATURES ((int)(sizeof features / sizeof features[0]))

static void quarter(const char *path, int64_t rows)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s synth -o '%s' --rows %lld --seed 42 --quiet",
             getenv("CLMSEG_BIN") ? getenv("CLMSEG_BIN") : "./clmseg", path, (long long)rows);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_cox: '%s' failed (set CLMSEG_BIN to the clmseg program)\n", cmd);
        exit(2);
    }
}

static clm_cox *fit(clm_table *table, int threads)
{
    clm_cox_params p;
    clm_cox_params_default(&p);
    p.n_threads = threads;
    clm_cox_columns c;
    clm_cox_columns_default(&c);
    c.features = features;
    c.n_features = N_FEATURES;
    clm_cox *m = NULL;
    clm_status st = clm_cox_fit_table(&p, &c, table, &m);
    if (st)
        die(st);
    return m;
}


int main(int argc, char **argv)
{
    int64_t rows = 10000000, r_rows = 1000000;
    const char *dir = "/tmp";
    int threads = omp_get_max_threads(), use_r = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--r-rows") && i + 1 < argc)
            r_rows = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-r"))
            use_r = 0;
        else {
            fprintf(stderr, "usage: bench_cox [--rows N] [--r-rows M] [--dir PATH] [--threads T] [--no-r]\n");
            return 1;
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/clmseg-bench-cox-%lld.h5", dir, (long long)rows);
    quarter(path, rows);
    clm_table *table = NULL;
    clm_status st = clm_table_open(path, NULL, &table);
    if (!st)
        st = clm_table_set_cache(table, 1);
    if (st)
        die(st);
    clm_cox *m = fit(table, threads); /* also warms the column cache */
    clm_cox_free(m);
    m = fit(table, threads);
    clm_cox_summary s;
    clm_cox_get_summary(m, &s);
    const double stream = bench_stream_seconds((size_t)rows * (size_t)s.n_terms, threads);
    printf("{\"bench\": \"cox\", \"rows\": %lld, \"terms\": %d, \"threads\": %d, \"iterations\": %d, "
           "\"design_s\": %.4f, \"iteration_s\": %.4f, \"stream_s\": %.4f, \"iteration_over_stream\": %.2f, "
           "\"target\": \"<= 3\"}\n",
           (long long)rows, (int)s.n_terms, threads, (int)s.iterations, s.design_seconds,
           s.iteration_seconds, stream, s.iteration_seconds / stream);
    fflush(stdout);

    clm_equity_params ep;
    clm_equity_params_default(&ep);
    ep.n_threads = threads;
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        clm_equity *eq = NULL;
        double t0 = bench_now();
        if ((st = clm_cox_equity_table(m, &ep, "arpu", NULL, table, &eq)))
            die(st);
        double t = bench_now() - t0;
        best = t < best ? t : best;
        if (r == 2)
            printf("{\"bench\": \"equity\", \"rows\": %lld, \"active\": %lld, \"horizon\": %d, "
                   "\"threads\": %d, \"seconds\": %.4f, \"target_s\": 0.5}\n",
                   (long long)rows, (long long)eq->n_active, (int)ep.horizon, threads, best);
        clm_equity_free(eq);
    }
    fflush(stdout);
    clm_cox_free(m);
    clm_table_close(table);

    if (!use_r)
        return 0;
    char rpath[4096];
    snprintf(rpath, sizeof rpath, "%s/clmseg-bench-cox-%lld.h5", dir, (long long)r_rows);
    quarter(rpath, r_rows);
    if ((st = clm_table_open(rpath, NULL, &table)) || (st = clm_table_set_cache(table, 1)))
        die(st);
    double t0 = bench_now();
    m = fit(table, threads);
    const double ours = bench_now() - t0;
    clm_cox_get_summary(m, &s);
    clm_table_close(table);
    char coef_path[4200], cmd[16384];
    snprintf(coef_path, sizeof coef_path, "%s/clmseg-bench-cox-r.txt", dir);
    const char *src = getenv("CLMSEG_SOURCE_DIR") ? getenv("CLMSEG_SOURCE_DIR") : ".";
    snprintf(cmd, sizeof cmd, "Rscript '%s/bench/cox_r.R' '%s' '%s'", src, rpath, coef_path);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_cox: R failed: %s\n", cmd);
        return 2;
    }
    FILE *f = fopen(coef_path, "r");
    double r_seconds = NAN, worst = 0.0;
    if (!f || fscanf(f, "%lf", &r_seconds) != 1)
        return 2;
    char term[256];
    double coef;
    while (fscanf(f, " %255[^\t]\t%lf", term, &coef) == 2)
        for (int j = 0; j < s.n_terms; j++)
            if (!strcmp(s.terms[j], term)) {
                double d = fabs(s.coef[j] - coef) / fabs(coef);
                worst = d > worst ? d : worst;
            }
    fclose(f);
    printf("{\"bench\": \"cox_vs_r\", \"rows\": %lld, \"terms\": %d, \"threads\": %d, \"clmseg_s\": %.4f, "
           "\"r_coxph_s\": %.3f, \"speedup\": %.1f, \"target\": \">= 50\", \"max_coef_rel_diff\": %.2e}\n",
           (long long)r_rows, (int)s.n_terms, threads, ours, r_seconds, r_seconds / ours, worst);
    clm_cox_free(m);
    return 0;
}

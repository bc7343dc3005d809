/*
 * bench_survival.c — Kaplan–Meier curves + LTV by branch on N rows (default
 * 10,000,000) and B branches (default 300), beside two floors and R.
 *
 *   bench_survival [--rows N] [--strata B] [--repeats R] [--dir PATH]
 *                  [--no-r] [--no-h5]
 *
 * Data are generated in memory (integer months 0..72, 26% events, branch
 * uniform, ARPU 10..110), deterministically.  Measured, each the minimum of
 * R repeats (default 5), for 1 thread and all threads:
 *   - survival: clm_survival_create/add (blocks of CLM_BLOCK_ROWS)/finish:
 *     counting, every curve, bands, medians, RMST, log-rank and LTV;
 *   - read3: one parallel pass summing the time, event and branch columns
 *     (the floor the target refers to), and read4 with ARPU as well;
 *   - h5 (unless --no-h5): the same columns written to PATH/bench_survival.h5
 *     and clm_survival_fit_table on it, reading included, for 1 thread and
 *     all threads, beside the floor of reading the four columns from the
 *     file alone (clm_table_read_*, blocks of 16 x CLM_BLOCK_ROWS);
 *   - R (unless --no-r): survfit(Surv(time, event) ~ branch) on the same
 *     data via bench/survival_r.R (raw files in PATH), survfit alone timed,
 *     one repeat; its checksum of S is compared with ours.
 *
 *   bench_survival --quarter Q.h5 [--repeats R] [--dir PATH] [--clmseg BIN]
 *
 * times the whole process instead, as a user runs it: `clmseg survival
 * Q.h5 -o PATH/bench_survival_out.h5 --by branch --quiet` (start-up,
 * reading, counting, the curves, results.h5 and survival.csv; minimum of
 * R repeats, default 5), beside R's survfit(Surv(tenure_months, churned)
 * ~ branch) on the same rows in the same run (the columns exported raw to
 * PATH; survfit alone timed, so R's reading is not counted against it).
 * The checksum of S is read back from /survival/branch/survival of the
 * output (the long layout of docs/survival.md) and compared with R's.
 * The program is found beside this one (../clmseg) or by --clmseg BIN
 * (e.g. an older build, for a before/after figure).  Issue 14's bar: the
 * whole process at least 100 times faster than survfit.
 * One JSON object per line on stdout.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <hdf5.h>

#include "clmseg/clmseg.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(clm_status s)
{
    fprintf(stderr, "bench_survival: %s: %s\n", clm_strerror(s), clm_error_detail());
    exit(2);
}

static int64_t n_rows = 10000000;
static int32_t n_strata = 300;
static double *col_time, *col_arpu;
static uint8_t *col_event;
static int32_t *col_branch;

static void generate(void)
{
    col_time = malloc((size_t)n_rows * sizeof(double));
    col_arpu = malloc((size_t)n_rows * sizeof(double));
    col_event = malloc((size_t)n_rows);
    col_branch = malloc((size_t)n_rows * sizeof(int32_t));
    if (!col_time || !col_arpu || !col_event || !col_branch)
        die(CLM_E_NOMEM);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n_rows; i++) {
        uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ULL + 12345;
        x ^= x >> 31; x *= 0xbf58476d1ce4e5b9ULL; x ^= x >> 29; x *= 0x94d049bb133111ebULL; x ^= x >> 32;
        int32_t b = (int32_t)(x % (uint64_t)n_strata);
        double u = (double)((x >> 20) & 0xFFFFF) / 1048576.0;
        /* Branch-dependent hazard: tenure ~ geometric, capped at 72. */
        double hazard = 0.01 + 0.03 * (double)(b % 10) / 10.0;
        double t = floor(log(1.0 - u) / log(1.0 - hazard));
        col_time[i] = t > 72 ? 72 : t;
        col_event[i] = (uint8_t)(t <= 72 && ((x >> 8) & 3) != 0);
        col_branch[i] = b;
        col_arpu[i] = 10.0 + (double)((x >> 44) % 10000) / 100.0;
    }
}

static double run_survival(int threads, clm_survival **keep)
{
    clm_survival_params p;
    clm_survival_params_default(&p);
    p.n_threads = threads;
    clm_survival *s = NULL;
    double t0 = now();
    clm_status st = clm_survival_create(&p, n_strata, NULL, &s);
    for (int64_t r0 = 0; !st && r0 < n_rows; r0 += CLM_BLOCK_ROWS) {
        int64_t n = n_rows - r0 < CLM_BLOCK_ROWS ? n_rows - r0 : CLM_BLOCK_ROWS;
        st = clm_survival_add(s, n, col_time + r0, col_event + r0, col_branch + r0, col_arpu + r0);
    }
    if (!st)
        st = clm_survival_finish(s);
    double dt = now() - t0;
    if (st)
        die(st);
    if (keep)
        *keep = s;
    else
        clm_survival_free(s);
    return dt;
}

static volatile double sink;

static double read_columns(int threads, int with_arpu)
{
    double t0 = now();
    double total = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : total) num_threads(threads)
    for (int64_t i = 0; i < n_rows; i++)
        total += col_time[i] + (double)col_event[i] + (double)col_branch[i] +
                 (with_arpu ? col_arpu[i] : 0.0);
    sink = total;
    return now() - t0;
}

/* time.f64, event.i32 and branch.i32 in `dir`, the R peer's input. */
static void write_raw(const char *dir, const double *time, const uint8_t *event, const int32_t *branch)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/time.f64", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(time, sizeof(double), (size_t)n_rows, f) != (size_t)n_rows)
        die(CLM_E_IO);
    fclose(f);
    int32_t *ev = malloc((size_t)n_rows * sizeof(int32_t));
    if (!ev)
        die(CLM_E_NOMEM);
    for (int64_t i = 0; i < n_rows; i++)
        ev[i] = event[i];
    snprintf(path, sizeof path, "%s/event.i32", dir);
    f = fopen(path, "wb");
    if (!f || fwrite(ev, sizeof(int32_t), (size_t)n_rows, f) != (size_t)n_rows)
        die(CLM_E_IO);
    fclose(f);
    free(ev);
    snprintf(path, sizeof path, "%s/branch.i32", dir);
    f = fopen(path, "wb");
    if (!f || fwrite(branch, sizeof(int32_t), (size_t)n_rows, f) != (size_t)n_rows)
        die(CLM_E_IO);
    fclose(f);
}

/* R's survfit on the raw files of `dir` (bench/survival_r.R, beside this
 * file): its JSON line is echoed; seconds and checksum returned. */
static void run_r(const char *dir, double *r_seconds, double *r_cpu, double *r_checksum)
{
    /* The R script sits beside this file (CMake passes absolute paths). */
    char script[4096], cmd[8192];
    snprintf(script, sizeof script, "%s", __FILE__);
    char *slash = strrchr(script, '/');
    snprintf(slash ? slash + 1 : script, sizeof script - (size_t)(slash ? slash + 1 - script : 0),
             "survival_r.R");
    snprintf(cmd, sizeof cmd, "Rscript '%s' '%s' %lld 1", script, dir, (long long)n_rows);
    FILE *pipe = popen(cmd, "r");
    char line[2048] = "";
    *r_seconds = NAN;
    *r_cpu = NAN;
    *r_checksum = NAN;
    if (pipe && fgets(line, sizeof line, pipe)) {
        const char *p = strstr(line, "\"seconds\":");
        if (p) *r_seconds = atof(p + 10);
        p = strstr(line, "\"cpu_seconds\":");
        if (p) *r_cpu = atof(p + 14);
        p = strstr(line, "\"surv_checksum\":");
        if (p) *r_checksum = atof(p + 16);
        fputs(line, stdout);
    }
    if (pipe)
        pclose(pipe);
}

/* Sum of the 1-D float64 dataset `path` of the HDF5 file `file`. */
static double dataset_sum(const char *file, const char *path, int64_t *count)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, path, H5P_DEFAULT) : -1;
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    double *v = n > 0 ? malloc((size_t)n * sizeof *v) : NULL;
    double sum = NAN;
    if (v && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
        sum = 0.0;
        for (hssize_t i = 0; i < n; i++)
            sum += v[i];
    }
    free(v);
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    if (f >= 0) H5Fclose(f);
    *count = (int64_t)n;
    return sum;
}

/* User + system seconds of the waited-for children so far. */
static double children_cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_CHILDREN, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec + (double)u.ru_stime.tv_sec +
           1e-6 * (double)u.ru_stime.tv_usec;
}

/* --quarter: `clmseg survival --by branch` as a whole process against R
 * survfit on the same rows. */
static int bench_quarter(const char *quarter, const char *dir, const char *clmseg, int repeats, int with_r)
{
    clm_table *t = NULL;
    clm_status st = clm_table_open(quarter, NULL, &t);
    int c_time = 0, c_event = 0, c_branch = 0;
    if (!st) st = clm_table_require(t, "tenure_months", CLM_KIND_NUMERIC, &c_time);
    if (!st) st = clm_table_require(t, "churned", CLM_KIND_NUMERIC, &c_event);
    if (!st) st = clm_table_find(t, "branch") >= 0 ? CLM_OK : clm_error(CLM_E_SCHEMA, "no branch column");
    if (st)
        die(st);
    c_branch = clm_table_find(t, "branch");
    n_rows = clm_table_column(t, c_time)->length;
    col_time = malloc((size_t)n_rows * sizeof(double));
    col_branch = malloc((size_t)n_rows * sizeof(int32_t));
    col_event = malloc((size_t)n_rows);
    int32_t *events = malloc((size_t)n_rows * sizeof(int32_t));
    if (!col_time || !col_branch || !col_event || !events)
        die(CLM_E_NOMEM);
    st = clm_table_read_f64(t, c_time, 0, n_rows, col_time);
    if (!st) st = clm_table_read_i32(t, c_event, 0, n_rows, events);
    if (!st) st = clm_table_read_i32(t, c_branch, 0, n_rows, col_branch);
    clm_table_close(t);
    if (st)
        die(st);
    for (int64_t i = 0; i < n_rows; i++)
        col_event[i] = (uint8_t)events[i];
    free(events);

    char out[4096], cmd[16384];
    snprintf(out, sizeof out, "%s/bench_survival_out.h5", dir);
    snprintf(cmd, sizeof cmd, "'%s' survival '%s' -o '%s' --by branch --quiet > /dev/null", clmseg, quarter, out);
    /* Wall time, and the CPU time of the children (the shell's share is
     * a millisecond): on a shared machine the CPU figure is the steadier. */
    double best = INFINITY, best_cpu = INFINITY;
    for (int r = 0; r < repeats; r++) {
        double c0 = children_cpu(), t0 = now();
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_survival: failed: %s\n", cmd);
            return 2;
        }
        best = fmin(best, now() - t0);
        best_cpu = fmin(best_cpu, children_cpu() - c0);
    }
    int64_t n_entries = 0, n_branches = 0;
    double checksum = dataset_sum(out, "/survival/branch/survival", &n_entries);
    double rows_in_strata = dataset_sum(out, "/survival/branch/n_rows", &n_branches);
    printf("{\"bench\":\"survival\",\"what\":\"clmseg survival --by branch, whole process\",\"input\":\"%s\","
           "\"rows\":%lld,\"rows_in_strata\":%.0f,\"strata\":%lld,\"curve_points\":%lld,\"seconds\":%.5f,"
           "\"cpu_seconds\":%.5f,\"repeats\":%d}\n",
           quarter, (long long)n_rows, rows_in_strata, (long long)n_branches, (long long)n_entries, best, best_cpu,
           repeats);
    fflush(stdout);
    if (with_r) {
        write_raw(dir, col_time, col_event, col_branch);
        double r_seconds, r_cpu, r_checksum;
        run_r(dir, &r_seconds, &r_cpu, &r_checksum);
        printf("{\"bench\":\"survival\",\"what\":\"whole process vs R survfit, same rows\",\"rows\":%lld,"
               "\"strata\":%lld,\"clmseg_seconds\":%.5f,\"r_seconds\":%.3f,\"speedup\":%.1f,\"target\":100,"
               "\"clmseg_cpu_seconds\":%.5f,\"r_cpu_seconds\":%.3f,\"cpu_speedup\":%.1f,"
               "\"checksum\":%.12g,\"r_checksum\":%.12g,\"checksum_rel_diff\":%.3g}\n",
               (long long)n_rows, (long long)n_branches, best, r_seconds, r_seconds / best, best_cpu, r_cpu,
               r_cpu / best_cpu, checksum, r_checksum, fabs(checksum - r_checksum) / fabs(r_checksum));
    }
    remove(out);
    char csv[4200];
    snprintf(csv, sizeof csv, "%s/survival.csv", dir);
    remove(csv);
    free(col_time);
    free(col_event);
    free(col_branch);
    return 0;
}

static void write_h5(const char *path)
{
    clm_writer *w = NULL;
    clm_status st = clm_writer_create(path, NULL, &w);
    int c_time, c_event, c_branch, c_arpu;
    if (!st) st = clm_writer_column_create(w, "/subscribers/tenure_months", CLM_DT_FLOAT64, n_rows, &c_time);
    if (!st) st = clm_writer_column_create(w, "/subscribers/churned", CLM_DT_UINT8, n_rows, &c_event);
    if (!st) st = clm_writer_column_create(w, "/subscribers/branch", CLM_DT_INT32, n_rows, &c_branch);
    if (!st) st = clm_writer_column_create(w, "/subscribers/arpu", CLM_DT_FLOAT64, n_rows, &c_arpu);
    for (int64_t r0 = 0; !st && r0 < n_rows; r0 += CLM_BLOCK_ROWS) {
        int64_t n = n_rows - r0 < CLM_BLOCK_ROWS ? n_rows - r0 : CLM_BLOCK_ROWS;
        st = clm_writer_column_write(w, c_time, r0, n, col_time + r0);
        if (!st) st = clm_writer_column_write(w, c_event, r0, n, col_event + r0);
        if (!st) st = clm_writer_column_write(w, c_branch, r0, n, col_branch + r0);
        if (!st) st = clm_writer_column_write(w, c_arpu, r0, n, col_arpu + r0);
    }
    if (!st)
        st = clm_writer_commit(w);
    if (st)
        die(st);
}

/* Opens `path`, fits survival on its table, closes it. */
static clm_status fit_path(const clm_survival_params *p, const char *path,
                           const clm_survival_columns *cols, clm_survival **out)
{
    clm_table *t = NULL;
    clm_status st = clm_table_open(path, NULL, &t);
    if (!st)
        st = clm_survival_fit_table(p, cols, t, out);
    clm_table_close(t);
    return st;
}

static double run_h5(const char *path, int threads)
{
    clm_survival_params p;
    clm_survival_params_default(&p);
    p.n_threads = threads;
    clm_survival_columns cols;
    memset(&cols, 0, sizeof cols);
    cols.by = "branch";
    cols.arpu = "arpu";
    clm_survival *s = NULL;
    double t0 = now();
    clm_status st = fit_path(&p, path, &cols, &s);
    double dt = now() - t0;
    if (st)
        die(st);
    clm_survival_free(s);
    return dt;
}

/* The floor of the HDF5 path: the four columns read from the file, as
 * the survival driver reads them (event and branch as int32). */
static double read_h5_columns(const char *path)
{
    clm_table *t = NULL;
    double t0 = now();
    clm_status st = clm_table_open(path, NULL, &t);
    int c_time = 0, c_event = 0, c_branch = 0, c_arpu = 0;
    if (!st) st = clm_table_require(t, "tenure_months", CLM_KIND_NUMERIC, &c_time);
    if (!st) st = clm_table_require(t, "churned", CLM_KIND_NUMERIC, &c_event);
    if (!st) st = clm_table_require(t, "branch", CLM_KIND_NUMERIC, &c_branch);
    if (!st) st = clm_table_require(t, "arpu", CLM_KIND_NUMERIC, &c_arpu);
    const int64_t block = 16 * (int64_t)CLM_BLOCK_ROWS;
    int64_t b = n_rows < block ? n_rows : block;
    double *f = malloc((size_t)b * sizeof *f);
    int32_t *k = malloc((size_t)b * sizeof *k);
    if (!f || !k)
        die(CLM_E_NOMEM);
    double total = 0.0;
    for (int64_t r0 = 0; !st && r0 < n_rows; r0 += b) {
        int64_t n = n_rows - r0 < b ? n_rows - r0 : b;
        st = clm_table_read_f64(t, c_time, r0, n, f);
        if (!st) { total += f[n - 1]; st = clm_table_read_i32(t, c_event, r0, n, k); }
        if (!st) { total += k[n - 1]; st = clm_table_read_i32(t, c_branch, r0, n, k); }
        if (!st) { total += k[n - 1]; st = clm_table_read_f64(t, c_arpu, r0, n, f); }
        if (!st) total += f[n - 1];
    }
    clm_table_close(t);
    double dt = now() - t0;
    free(f);
    free(k);
    if (st)
        die(st);
    sink = total;
    return dt;
}

int main(int argc, char **argv)
{
    int repeats = 5, with_r = 1, with_h5 = 1;
    const char *dir = "/tmp", *quarter = NULL;
    char clmseg[4096];
    snprintf(clmseg, sizeof clmseg, "%s", argv[0]);
    char *slash = strrchr(clmseg, '/');
    snprintf(slash ? slash + 1 : clmseg, sizeof clmseg - (size_t)(slash ? slash + 1 - clmseg : 0), "../clmseg");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc) n_rows = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--strata") && i + 1 < argc) n_strata = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--no-r")) with_r = 0;
        else if (!strcmp(argv[i], "--no-h5")) with_h5 = 0;
        else if (!strcmp(argv[i], "--quarter") && i + 1 < argc) quarter = argv[++i];
        else if (!strcmp(argv[i], "--clmseg") && i + 1 < argc) snprintf(clmseg, sizeof clmseg, "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: bench_survival [--rows N] [--strata B] [--repeats R] [--dir PATH] [--no-r] [--no-h5]\n"
                            "       bench_survival --quarter Q.h5 [--repeats R] [--dir PATH] [--clmseg BIN] [--no-r]\n");
            return 1;
        }
    }
    if (n_rows < 1 || n_strata < 1 || repeats < 1)
        return 1;
    if (quarter)
        return bench_quarter(quarter, dir, clmseg, repeats, with_r);
    generate();
    int max_threads = omp_get_max_threads();
    double best_seconds = INFINITY; /* over the thread counts tried */
    int best_threads = 1;
    for (int threads = 1; threads <= max_threads; threads = threads == max_threads ? threads + 1 : (threads * 2 > max_threads ? max_threads : threads * 2)) {
        double t_surv = INFINITY, t_read3 = INFINITY, t_read4 = INFINITY;
        for (int r = 0; r < repeats; r++) {
            t_read3 = fmin(t_read3, read_columns(threads, 0));
            t_read4 = fmin(t_read4, read_columns(threads, 1));
            t_surv = fmin(t_surv, run_survival(threads, NULL));
        }
        printf("{\"bench\":\"survival\",\"what\":\"curves+ltv in memory\",\"rows\":%lld,\"strata\":%d,"
               "\"threads\":%d,\"seconds\":%.5f,\"rows_per_s\":%.4g,\"read3_seconds\":%.5f,"
               "\"read4_seconds\":%.5f,\"ratio_to_read3\":%.3f,\"ratio_to_read4\":%.3f}\n",
               (long long)n_rows, (int)n_strata, threads, t_surv, (double)n_rows / t_surv, t_read3,
               t_read4, t_surv / t_read3, t_surv / t_read4);
        fflush(stdout);
        if (t_surv < best_seconds) {
            best_seconds = t_surv;
            best_threads = threads;
        }
    }
    if (with_h5) {
        char path[4096];
        snprintf(path, sizeof path, "%s/bench_survival.h5", dir);
        write_h5(path);
        for (int threads = 1; threads <= max_threads;
             threads = threads == max_threads ? threads + 1
                                              : (threads * 2 > max_threads ? max_threads : threads * 2)) {
            double t = INFINITY, t_read = INFINITY;
            for (int r = 0; r < (repeats < 3 ? repeats : 3); r++) {
                t_read = fmin(t_read, read_h5_columns(path));
                t = fmin(t, run_h5(path, threads));
            }
            printf("{\"bench\":\"survival\",\"what\":\"clm_survival_fit_table from HDF5 (read included)\","
                   "\"rows\":%lld,\"strata\":%d,\"threads\":%d,\"seconds\":%.5f,"
                   "\"h5_read4_seconds\":%.5f,\"ratio_to_h5_read4\":%.3f}\n",
                   (long long)n_rows, (int)n_strata, threads, t, t_read, t / t_read);
            fflush(stdout);
        }
        remove(path);
    }
    if (with_r) {
        clm_survival *s = NULL;
        run_survival(max_threads, &s);
        double checksum = 0.0;
        for (int32_t i = 0; i + 1 < clm_survival_n_curves(s); i++) {
            const clm_survival_curve *c = clm_survival_curve_at(s, i);
            for (int64_t j = 0; j < c->n_times; j++)
                checksum += c->survival[j];
        }
        clm_survival_free(s);
        write_raw(dir, col_time, col_event, col_branch);
        double r_seconds, r_cpu, r_checksum;
        run_r(dir, &r_seconds, &r_cpu, &r_checksum);
        printf("{\"bench\":\"survival\",\"what\":\"speedup vs R survfit\",\"rows\":%lld,\"strata\":%d,"
               "\"threads\":%d,\"clmseg_seconds\":%.5f,\"r_seconds\":%.3f,\"speedup\":%.1f,"
               "\"checksum\":%.12g,\"r_checksum\":%.12g,\"checksum_rel_diff\":%.3g}\n",
               (long long)n_rows, (int)n_strata, best_threads, best_seconds, r_seconds,
               r_seconds / best_seconds, checksum, r_checksum,
               fabs(checksum - r_checksum) / fabs(r_checksum));
    }
    free(col_time);
    free(col_arpu);
    free(col_event);
    free(col_branch);
    return 0;
}

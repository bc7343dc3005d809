/*
 * bench_import.c — `clmseg import` throughput (MB/s of CSV) beside the
 * physical floor measured in the same run: reading the same file with
 * read() into a buffer (page cache to memory, no parsing).
 *
 *   bench_import [--rows N] [--repeats R] [--threads T] [--dir D] [--keep]
 *
 * Generates a subscriber-like CSV of N rows (default 3,000,000: about
 * 280 MB) in D (default /tmp): integers, prices with two decimals, usage
 * floats, 300 branch names, plans, quoted text with commas and doubled
 * quotes, about 1% missing values.  Then, R times each (minimum kept):
 * the read floor, and clm_import_csv() to D/bench_import.<pid>.h5 with one
 * thread and with T threads (default: all cores).  Prints JSON lines; an
 * import line carries both passes' times (from the progress callback) and
 * the ratio to the floor.
 */
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clmseg/clmseg.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 17;
}

static int generate(const char *path, int64_t n_rows)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static char buffer[1 << 20];
    setvbuf(f, buffer, _IOFBF, sizeof buffer);
    static const char *plans[] = {"prepaid", "postpaid", "contract-12m", "contract-24m"};
    static const char *notes[] = {"none", "\"moved, new address\"", "\"said \"\"too expensive\"\"\"",
                                  "complaint", ""};
    fprintf(f, "subscriber_id,branch,plan,tenure_months,churned,arpu,arpu_prev,voice_min,"
               "data_mb,sms,topups,suspensions,complaints,service_calls,device_age,note\n");
    uint64_t s = 7;
    for (int64_t i = 0; i < n_rows; i++) {
        uint64_t r = next_random(&s);
        int branch = (int)(r % 300);
        double arpu = (double)(next_random(&s) % 20000) / 100.0;
        double prev = arpu * (0.8 + (double)(next_random(&s) % 400) / 1000.0);
        fprintf(f, "%lld,Branch %03d,%s,%d,%d,%.2f,", (long long)(1000000 + i), branch,
                plans[(r >> 9) % 4], (int)((r >> 12) % 120), (int)((r >> 20) % 7 == 0), arpu);
        if ((r >> 24) % 100 == 0)
            fputs(",", f); /* missing arpu_prev */
        else
            fprintf(f, "%.2f,", prev);
        fprintf(f, "%.1f,%.3f,%d,%d,%d,%d,%d,%.1f,%s\n",
                (double)(next_random(&s) % 100000) / 10.0,
                (double)(next_random(&s) % 50000000) / 1000.0, (int)(next_random(&s) % 300),
                (int)(next_random(&s) % 6), (int)(next_random(&s) % 3),
                (int)(next_random(&s) % 2), (int)(next_random(&s) % 9),
                (double)(next_random(&s) % 600) / 10.0, notes[next_random(&s) % 5]);
    }
    return fclose(f);
}

/* The floor: read() the whole file into a 1 MiB buffer, touching every
 * byte (a running XOR) so the read cannot be skipped. */
static double read_floor(const char *path, int64_t *bytes, unsigned *checksum)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    static unsigned char buffer[1 << 20];
    double t0 = now();
    int64_t total = 0;
    uint64_t x = 0;
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) {
        const uint64_t *w = (const uint64_t *)buffer;
        for (ssize_t i = 0; i < n / 8; i++)
            x ^= w[i];
        total += n;
    }
    double t = now() - t0;
    close(fd);
    *bytes = total;
    *checksum = (unsigned)(x ^ (x >> 32));
    return t;
}

typedef struct timing {
    double start, infer_done, convert_done;
} timing;

static void on_progress(void *ctx, const char *step, int64_t done, int64_t total)
{
    timing *t = ctx;
    if (done < total)
        return;
    if (!strcmp(step, "infer types"))
        t->infer_done = now();
    else if (!strcmp(step, "convert"))
        t->convert_done = now();
}

int main(int argc, char **argv)
{
    int64_t n_rows = 3000000;
    int repeats = 3, threads = 0, keep = 0;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            n_rows = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else {
            fprintf(stderr, "usage: bench_import [--rows N] [--repeats R] [--threads T] "
                            "[--dir D] [--keep]\n");
            return 1;
        }
    }
    if (threads > 0)
        omp_set_num_threads(threads);
    threads = omp_get_max_threads();
    char csv[4096], h5[4096];
    snprintf(csv, sizeof csv, "%s/bench_import.%ld.csv", dir, (long)getpid());
    snprintf(h5, sizeof h5, "%s/bench_import.%ld.h5", dir, (long)getpid());

    double t0 = now();
    if (generate(csv, n_rows) != 0) {
        fprintf(stderr, "bench_import: cannot write %s\n", csv);
        return 2;
    }
    double t_generate = now() - t0;
    struct stat st;
    stat(csv, &st);
    double mb = (double)st.st_size / 1e6;

    double best_floor = 1e30;
    int64_t bytes = 0;
    unsigned checksum = 0;
    for (int r = 0; r < repeats; r++) {
        double t = read_floor(csv, &bytes, &checksum);
        if (t < best_floor)
            best_floor = t;
    }
    printf("{\"bench\":\"import_floor\",\"what\":\"read() of the CSV into a 1 MiB buffer\","
           "\"bytes\":%lld,\"seconds\":%.4f,\"mb_per_s\":%.1f,\"checksum\":%u}\n",
           (long long)bytes, best_floor, mb / best_floor, checksum);
    fflush(stdout);

    clm_import_params params;
    clm_import_params_default(&params);
    timing timer;
    params.progress = on_progress;
    params.progress_ctx = &timer;
    int thread_counts[2] = {1, threads};
    for (int c = 0; c < (threads > 1 ? 2 : 1); c++) {
        omp_set_num_threads(thread_counts[c]);
        double best_import = 1e30, best_infer = 0, best_convert = 0;
        for (int r = 0; r < repeats; r++) {
            /* The floor again, so page-cache state is the same for each. */
            read_floor(csv, &bytes, &checksum);
            memset(&timer, 0, sizeof timer);
            timer.start = now();
            clm_writer *w = NULL;
            clm_status status = clm_writer_create(h5, (const char *const[]){csv, NULL}, &w);
            if (!status)
                status = clm_import_csv(&params, csv, w);
            status = status ? (clm_writer_abort(w), status) : clm_writer_commit(w);
            double elapsed = now() - timer.start;
            if (status) {
                fprintf(stderr, "bench_import: %s\n", clm_error_detail());
                unlink(csv);
                return 2;
            }
            if (elapsed < best_import) {
                best_import = elapsed;
                best_infer = timer.infer_done - timer.start;
                best_convert = timer.convert_done - timer.infer_done;
            }
        }
        struct stat out;
        stat(h5, &out);
        printf("{\"bench\":\"import\",\"rows\":%lld,\"columns\":16,\"bytes\":%lld,"
               "\"threads\":%d,\"repeats\":%d,\"seconds\":%.4f,\"infer_seconds\":%.4f,"
               "\"convert_seconds\":%.4f,\"mb_per_s\":%.1f,\"rows_per_s\":%.0f,"
               "\"floor_mb_per_s\":%.1f,\"fraction_of_floor\":%.4f,\"h5_bytes\":%lld,"
               "\"generate_seconds\":%.2f}\n",
               (long long)n_rows, (long long)st.st_size, thread_counts[c], repeats, best_import,
               best_infer, best_convert, mb / best_import, (double)n_rows / best_import,
               mb / best_floor, best_floor / best_import, (long long)out.st_size, t_generate);
        fflush(stdout);
    }
    if (!keep) {
        unlink(csv);
        unlink(h5);
    }
    return 0;
}

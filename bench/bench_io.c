/*
 * bench_io.c — column read throughput of the data layer beside the memory
 * bandwidth of this machine, measured in the same run.
 *
 *   bench_io [--rows N] [--columns C] [--repeats R] [--file PATH]
 *
 * Writes C float32 columns and one int16 column of N rows (default 10M x 16)
 * through clm_writer, then reads them back (page cache warm, as in a
 * pipeline that reads a file it just wrote or read) three ways: one column
 * at a time in CLM_BLOCK_ROWS blocks, as row-major float32 blocks
 * (clm_table_read_block_f32, the k-means/tree feature read), and the int16
 * column converted to float32.  The floor is one parallel read of an array
 * of the same size (stream_read, the probe every benchmark shares) and
 * a memcpy of it.  Each figure is the minimum of R
 * repeats.  One JSON object per line on stdout.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clmseg/clmseg.h"
#include "core/stream.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(clm_status s)
{
    fprintf(stderr, "bench_io: %s: %s\n", clm_strerror(s), clm_error_detail());
    exit(2);
}

static void write_file(const char *path, int64_t rows, int columns)
{
    clm_writer *w = NULL;
    clm_status s = clm_writer_create(path, NULL, &w);
    if (s) die(s);
    float *buf = malloc(CLM_BLOCK_ROWS * sizeof *buf);
    int16_t *small = malloc(CLM_BLOCK_ROWS * sizeof *small);
    int *ids = malloc((size_t)(columns + 1) * sizeof *ids);
    for (int c = 0; c <= columns; c++) {
        char name[64];
        if (c < columns)
            snprintf(name, sizeof name, "/subscribers/f%02d", c);
        else
            snprintf(name, sizeof name, "/subscribers/count16");
        if ((s = clm_writer_column_create(w, name, c < columns ? CLM_DT_FLOAT32 : CLM_DT_INT16, rows, &ids[c])))
            die(s);
    }
    for (int64_t r = 0; r < rows; r += CLM_BLOCK_ROWS) {
        int64_t n = rows - r < CLM_BLOCK_ROWS ? rows - r : CLM_BLOCK_ROWS;
        for (int c = 0; c <= columns; c++) {
            for (int64_t i = 0; i < n; i++) {
                buf[i] = (float)((r + i) % 1000) * 0.5f + (float)c;
                small[i] = (int16_t)((r + i + c) % 3000);
            }
            if ((s = clm_writer_column_write(w, ids[c], r, n, c < columns ? (void *)buf : (void *)small)))
                die(s);
        }
    }
    if ((s = clm_writer_commit(w)))
        die(s);
    free(buf);
    free(small);
    free(ids);
}

int main(int argc, char **argv)
{
    int64_t rows = 10000000;
    int columns = 16, repeats = 3;
    const char *path = "/tmp/clmseg-bench-io.h5";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--columns") && i + 1 < argc)
            columns = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--file") && i + 1 < argc)
            path = argv[++i];
        else {
            fprintf(stderr, "usage: bench_io [--rows N] [--columns C] [--repeats R] [--file PATH]\n");
            return 1;
        }
    }
    const double gb = (double)rows * columns * sizeof(float) / 1e9;
    int threads = omp_get_max_threads();

    unlink(path);
    double t0 = now();
    write_file(path, rows, columns);
    double t_write = now() - t0;
    printf("{\"bench\":\"io_write\",\"rows\":%lld,\"columns\":%d,\"seconds\":%.4f,\"gb_per_s\":%.3f}\n",
           (long long)rows, columns + 1, t_write, (gb + rows * 2.0 / 1e9) / t_write);

    /* Floor: the same bytes summed from memory, and copied. */
    int64_t n_floats = rows * columns;
    float *big = malloc((size_t)n_floats * sizeof *big);
    float *copy = malloc((size_t)n_floats * sizeof *copy);
    if (!big || !copy) {
        fprintf(stderr, "bench_io: out of memory for the bandwidth probe\n");
        return 2;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n_floats; i++) {
        big[i] = (float)(i & 1023);
        copy[i] = 0.0f;
    }
    double best_sum = 1e30, best_copy = 1e30, checksum = 0.0;
    for (int r = 0; r < repeats; r++) {
        t0 = now();
        checksum += (double)(stream_read(big, (size_t)n_floats * sizeof *big) & 0xFFFF);
        double t = now() - t0;
        if (t < best_sum) best_sum = t;
        t0 = now();
        memcpy(copy, big, (size_t)n_floats * sizeof *big);
        t = now() - t0;
        if (t < best_copy) best_copy = t;
    }
    free(big);
    free(copy);

    clm_table *table = NULL;
    clm_status s = clm_table_open(path, NULL, &table);
    if (s) die(s);
    float *block = malloc((size_t)CLM_BLOCK_ROWS * columns * sizeof *block);
    float *scratch = malloc(CLM_BLOCK_ROWS * sizeof *scratch);
    int *cols = malloc((size_t)columns * sizeof *cols);
    for (int c = 0; c < columns; c++)
        cols[c] = c;
    int conv_col = columns;

    double best_col = 1e30, best_block = 1e30, best_conv = 1e30;
    for (int r = 0; r < repeats; r++) {
        t0 = now();
        for (int c = 0; c < columns; c++)
            for (int64_t row = 0; row < rows; row += CLM_BLOCK_ROWS) {
                int64_t n = rows - row < CLM_BLOCK_ROWS ? rows - row : CLM_BLOCK_ROWS;
                if ((s = clm_table_read_f32(table, c, row, n, scratch))) die(s);
                checksum += scratch[0];
            }
        double t = now() - t0;
        if (t < best_col) best_col = t;

        t0 = now();
        for (int64_t row = 0; row < rows; row += CLM_BLOCK_ROWS) {
            int64_t n = rows - row < CLM_BLOCK_ROWS ? rows - row : CLM_BLOCK_ROWS;
            if ((s = clm_table_read_block_f32(table, cols, columns, row, n, block, scratch))) die(s);
            checksum += block[0];
        }
        t = now() - t0;
        if (t < best_block) best_block = t;

        t0 = now();
        for (int64_t row = 0; row < rows; row += CLM_BLOCK_ROWS) {
            int64_t n = rows - row < CLM_BLOCK_ROWS ? rows - row : CLM_BLOCK_ROWS;
            if ((s = clm_table_read_f32(table, conv_col, row, n, scratch))) die(s);
            checksum += scratch[0];
        }
        t = now() - t0;
        if (t < best_conv) best_conv = t;
    }
    clm_table_close(table);
    free(block);
    free(scratch);
    free(cols);
    unlink(path);

    double floor_gbs = gb / best_sum;
    printf("{\"bench\":\"memory_floor\",\"bytes\":%.0f,\"threads\":%d,\"read_seconds\":%.4f,\"read_gb_per_s\":%.2f,"
           "\"memcpy_seconds\":%.4f,\"memcpy_gb_per_s\":%.2f}\n",
           gb * 1e9, threads, best_sum, floor_gbs, best_copy, 2 * gb / best_copy);
    printf("{\"bench\":\"read_columns_f32\",\"rows\":%lld,\"columns\":%d,\"seconds\":%.4f,\"gb_per_s\":%.2f,"
           "\"vs_memory_floor\":%.2f}\n",
           (long long)rows, columns, best_col, gb / best_col, best_col / best_sum);
    printf("{\"bench\":\"read_block_f32\",\"rows\":%lld,\"columns\":%d,\"seconds\":%.4f,\"gb_per_s\":%.2f,"
           "\"vs_memory_floor\":%.2f}\n",
           (long long)rows, columns, best_block, gb / best_block, best_block / best_sum);
    printf("{\"bench\":\"read_int16_as_f32\",\"rows\":%lld,\"seconds\":%.4f,\"rows_per_s\":%.3g,"
           "\"gb_per_s_out\":%.2f}\n",
           (long long)rows, best_conv, rows / best_conv, rows * 4.0 / 1e9 / best_conv);
    fprintf(stderr, "(checksum %g)\n", checksum);
    return 0;
}

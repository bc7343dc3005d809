/*
 * bench_synth.c — throughput of the quarter generator beside the cost of
 * writing the same bytes plainly, measured in the same run.
 *
 *   bench_synth [--rows N] [--repeats R] [--dir PATH]
 *
 * For 1 and 2 threads (and all cores if more): clm_synth_write of N rows
 * (default 5,000,000) to a file in PATH (default /tmp), and the generation
 * alone (synth_block_generate over the same blocks, no I/O).  The peers
 * write the byte count of the synth file: once with stdio (fwrite in 4 MiB
 * pieces) and once as one HDF5 dataset written in 4 MiB hyperslabs, both
 * into the page cache like synth itself (no fsync).  Each figure is the
 * minimum of R repeats (default 3).  One JSON object per line on stdout.
 */
#include <hdf5.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clmseg/clmseg.h"
#include "synth/synth_internal.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die(clm_status s)
{
    fprintf(stderr, "bench_synth: %s: %s\n", clm_strerror(s), clm_error_detail());
    exit(2);
}

static double file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size : 0.0;
}

static double time_synth(int64_t rows, int threads, const char *path)
{
    clm_synth_params p;
    clm_synth_params_default(&p);
    p.n_rows = rows;
    p.n_threads = threads;
    double t0 = now();
    clm_writer *w = NULL;
    clm_status s = clm_writer_create(path, NULL, &w);
    if (!s)
        s = clm_synth_write(&p, w);
    s = s ? (clm_writer_abort(w), s) : clm_writer_commit(w);
    if (s)
        die(s);
    return now() - t0;
}

static double time_generate(int64_t rows, int threads)
{
    clm_synth_params p;
    clm_synth_params_default(&p);
    synth_model *model = NULL;
    synth_block block;
    clm_status s;
    if ((s = synth_model_create(&p, &model)) || (s = synth_block_alloc(&block, CLM_BLOCK_ROWS)))
        die(s);
    double t0 = now();
    for (int64_t r = 0; r < rows; r += CLM_BLOCK_ROWS) {
        int64_t n = rows - r < CLM_BLOCK_ROWS ? rows - r : CLM_BLOCK_ROWS;
        synth_block_generate(model, &block, r, n, threads);
    }
    double t = now() - t0;
    synth_block_free(&block);
    synth_model_free(model);
    return t;
}

#define PIECE (4u << 20)

static double time_fwrite(const char *path, double bytes, const char *buffer)
{
    double t0 = now();
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(2);
    }
    for (double done = 0; done < bytes; done += PIECE) {
        size_t n = bytes - done < PIECE ? (size_t)(bytes - done) : PIECE;
        if (fwrite(buffer, 1, n, f) != n) {
            perror(path);
            exit(2);
        }
    }
    fclose(f);
    double t = now() - t0;
    unlink(path);
    return t;
}

static double time_hdf5(const char *path, double bytes, const char *buffer)
{
    double t0 = now();
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t total = (hsize_t)bytes;
    hid_t space = H5Screate_simple(1, &total, NULL);
    hid_t set = H5Dcreate2(file, "bytes", H5T_NATIVE_UINT8, space, H5P_DEFAULT, H5P_DEFAULT,
                           H5P_DEFAULT);
    if (file < 0 || space < 0 || set < 0) {
        fprintf(stderr, "bench_synth: HDF5 peer failed on %s\n", path);
        exit(2);
    }
    for (hsize_t done = 0; done < total; done += PIECE) {
        hsize_t n = total - done < PIECE ? total - done : PIECE;
        hid_t mem = H5Screate_simple(1, &n, NULL);
        H5Sselect_hyperslab(space, H5S_SELECT_SET, &done, NULL, &n, NULL);
        H5Dwrite(set, H5T_NATIVE_UINT8, mem, space, H5P_DEFAULT, buffer);
        H5Sclose(mem);
    }
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(file);
    double t = now() - t0;
    unlink(path);
    return t;
}

static void line(const char *what, int64_t rows, int threads, double seconds, double bytes)
{
    printf("{\"bench\":\"%s\",\"rows\":%lld,\"threads\":%d,\"seconds\":%.4f,"
           "\"rows_per_s\":%.0f,\"bytes\":%.0f,\"mb_per_s\":%.1f}\n",
           what, (long long)rows, threads, seconds, (double)rows / seconds, bytes,
           bytes / seconds / 1e6);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int64_t rows = 5000000;
    int repeats = 3;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_synth [--rows N] [--repeats R] [--dir PATH]\n");
            return 1;
        }
    }
    if (rows < 1 || repeats < 1) {
        fprintf(stderr, "bench_synth: --rows and --repeats must be >= 1\n");
        return 1;
    }
    char path[4096], peer[4096];
    snprintf(path, sizeof path, "%s/bench_synth.%ld.h5", dir, (long)getpid());
    snprintf(peer, sizeof peer, "%s/bench_synth_peer.%ld", dir, (long)getpid());

    int max_threads = omp_get_max_threads();
    int thread_counts[3] = {1, 2, max_threads};
    int n_counts = max_threads > 2 ? 3 : 2;
    double bytes = 0.0;
    for (int k = 0; k < n_counts; k++) {
        int t = thread_counts[k];
        double best = 1e300, best_gen = 1e300;
        for (int r = 0; r < repeats; r++) {
            double s = time_synth(rows, t, path);
            best = s < best ? s : best;
            bytes = file_bytes(path);
            double g = time_generate(rows, t);
            best_gen = g < best_gen ? g : best_gen;
        }
        line("synth_write", rows, t, best, bytes);
        line("synth_generate_only", rows, t, best_gen, 0.0);
    }
    unlink(path);

    /* Peers: the same number of bytes, written plainly. */
    char *buffer = malloc(PIECE);
    if (!buffer)
        return 2;
    for (size_t i = 0; i < PIECE; i++)
        buffer[i] = (char)(i * 2654435761u >> 24);
    double best_f = 1e300, best_h = 1e300;
    for (int r = 0; r < repeats; r++) {
        double f = time_fwrite(peer, bytes, buffer);
        double h = time_hdf5(peer, bytes, buffer);
        best_f = f < best_f ? f : best_f;
        best_h = h < best_h ? h : best_h;
    }
    line("peer_fwrite_same_bytes", rows, 1, best_f, bytes);
    line("peer_hdf5_write_same_bytes", rows, 1, best_h, bytes);
    free(buffer);
    return 0;
}

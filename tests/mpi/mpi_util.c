/*
 * mpi_util.c — the multi-node tests' shared helpers (mpi_util.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>

#include "mpi_util.h"
#include "testutil.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] && !strstr(v, "NOTFOUND") ? v : NULL;
}

const char *mpi_reference_bin(void)
{
    const char *serial = env("CLMSEG_SERIAL_BIN");
    if (serial && access(serial, X_OK) == 0)
        return serial;
    static int said = 0;
    if (!said++)
        fprintf(stderr, "note: no serial build at CLMSEG_SERIAL_BIN (%s): the reference is this "
                        "build's clmseg without mpirun\n", serial ? serial : "unset");
    return tu_clmseg();
}

const char *mpi_mpirun(void)
{
    const char *m = env("CLMSEG_MPIEXEC");
    return m ? m : "mpirun";
}

const char *mpi_mpirun_flags(void)
{
    static char flags[1024];
    const char *f = env("CLMSEG_MPIEXEC_FLAGS");
    snprintf(flags, sizeof flags, "%s%s", f ? f : "-q --oversubscribe --bind-to none",
             geteuid() == 0 ? " --allow-run-as-root" : "");
    return flags;
}

void mpi_synth(const char *path, int rows, int seed)
{
    char *err = NULL;
    char cmd[40000];
    snprintf(cmd, sizeof cmd, "'%s' synth -o '%s' --rows %d --seed %d --quiet",
             mpi_reference_bin(), path, rows, seed);
    int rc = tu_run(cmd, NULL, &err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err ? err : "");
    free(err);
    assert_int_equal(rc, 0);
}

/* /subscribers/<column> of `path`, opened (and the file, into *file). */
static hid_t open_column(const char *path, const char *column, unsigned mode, hid_t *file)
{
    *file = H5Fopen(path, mode, H5P_DEFAULT);
    assert_true(*file >= 0);
    char name[256];
    snprintf(name, sizeof name, "/subscribers/%s", column);
    hid_t dset = H5Dopen2(*file, name, H5P_DEFAULT);
    assert_true(dset >= 0);
    return dset;
}

void mpi_read_column(const char *path, const char *column, hid_t mem_type, void *values)
{
    hid_t file, dset = open_column(path, column, H5F_ACC_RDONLY, &file);
    assert_true(H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
    H5Dclose(dset);
    H5Fclose(file);
}

/* Writes `count` values of HDF5 type `type` into rows [row, row + count)
 * of /subscribers/column. */
static void put_values(const char *path, const char *column, hsize_t row, hsize_t count,
                       hid_t type, const void *values)
{
    hid_t file, dset = open_column(path, column, H5F_ACC_RDWR, &file);
    hid_t space = H5Dget_space(dset);
    assert_true(H5Sselect_hyperslab(space, H5S_SELECT_SET, &row, NULL, &count, NULL) >= 0);
    hid_t mem = H5Screate_simple(1, &count, NULL);
    assert_true(H5Dwrite(dset, type, mem, space, H5P_DEFAULT, values) >= 0);
    H5Sclose(mem);
    H5Sclose(space);
    H5Dclose(dset);
    H5Fclose(file);
}

void mpi_write_column(const char *path, const char *column, hid_t mem_type, hsize_t n,
                      const void *values, hid_t file_type)
{
    if (file_type) {
        /* A new column of file_type in place of the old one. */
        hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        assert_true(file >= 0);
        char name[256];
        snprintf(name, sizeof name, "/subscribers/%s", column);
        if (H5Lexists(file, name, H5P_DEFAULT) > 0)
            assert_true(H5Ldelete(file, name, H5P_DEFAULT) >= 0);
        hid_t space = H5Screate_simple(1, &n, NULL);
        hid_t dset = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(dset >= 0);
        H5Dclose(dset);
        H5Sclose(space);
        H5Fclose(file);
    }
    put_values(path, column, 0, n, mem_type, values);
}

void mpi_put_nan_rows(const char *path, const char *column, hsize_t row, hsize_t count)
{
    float *nan_values = malloc(sizeof(float) * (size_t)count);
    assert_non_null(nan_values);
    for (hsize_t i = 0; i < count; i++)
        nan_values[i] = NAN;
    put_values(path, column, row, count, H5T_NATIVE_FLOAT, nan_values);
    free(nan_values);
}

void mpi_put_nan(const char *path, const char *column, hsize_t row)
{
    mpi_put_nan_rows(path, column, row, 1);
}

void mpi_put_int(const char *path, const char *column, hsize_t row, int value)
{
    put_values(path, column, row, 1, H5T_NATIVE_INT, &value);
}

int mpi_run_reference(const char *out, const char *args)
{
    char cmd[40000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cd '%s' && '%s' %s > stdout.txt",
             out, out, out, mpi_reference_bin(), args);
    return tu_run(cmd, NULL, NULL);
}

int mpi_run_ranks(int ranks, int threads, const char *out, const char *args, char **err)
{
    char cmd[40000];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cd '%s' && timeout %d '%s' %s -np %d '%s' %s %s%.0d > stdout.txt",
             out, out, out, MPI_RUN_TIMEOUT, mpi_mpirun(), mpi_mpirun_flags(), ranks, tu_clmseg(),
             args, threads > 0 ? "--threads " : "", threads > 0 ? threads : 0);
    return tu_run(cmd, NULL, err);
}

void mpi_same_bytes_on_ranks(const char *dir, const char *args, const char *const *files,
                             int n_files, const char *expect)
{
    char ref[4300], out[4300];
    snprintf(ref, sizeof ref, "%s/reference", dir);
    if (mpi_run_reference(ref, args) != 0)
        fail_msg("the reference run failed: %s", args);
    char *text = tu_read_file(tu_path(ref, "stdout.txt"), NULL);
    assert_non_null(text);
    if (expect && !strstr(text, expect))
        fail_msg("the reference's stdout lacks '%s':\n%s", expect, text);
    free(text);
    for (int ranks = 1; ranks <= 4; ranks++)
        for (int threads = 1; threads <= 2; threads++) {
            snprintf(out, sizeof out, "%s/ranks%d-threads%d", dir, ranks, threads);
            char *err = NULL;
            int rc = mpi_run_ranks(ranks, threads, out, args, &err);
            if (rc != 0)
                fail_msg("%s: %d ranks x %d threads: exit %d\n%s", args, ranks, threads, rc,
                         err ? err : "");
            free(err);
            for (int f = 0; f < n_files; f++)
                if (!tu_same_bytes(tu_path(ref, files[f]), tu_path(out, files[f])))
                    fail_msg("%s: %s on %d ranks x %d threads differs from the serial run's",
                             args, files[f], ranks, threads);
        }
}

void mpi_kmeans_same_bytes(const char *dir, const char *quarter, const char *args,
                           const char *expect)
{
    static int n_case = 0;
    char sub[4200], cmd[8192];
    snprintf(sub, sizeof sub, "%s/kmeans-%d", dir, ++n_case);
    snprintf(cmd, sizeof cmd, "kmeans '%s' -o results.h5 %s", quarter, args);
    const char *files[] = {"results.h5", "segments.csv", "stdout.txt"};
    mpi_same_bytes_on_ranks(sub, cmd, files, 3, expect);
}

int mpi_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

void mpi_fails_alike_on_ranks(const char *dir, const char *args, int ranks, const char *message)
{
    char ref[4300], out[4300], codes[4300], cmd[40000];
    snprintf(ref, sizeof ref, "%s/reference", dir);
    snprintf(out, sizeof out, "%s/ranks", dir);
    snprintf(codes, sizeof codes, "%s/codes", dir);
    /* The serial run's message. */
    char *ref_err = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cd '%s' && '%s' %s", ref, ref, ref,
             mpi_reference_bin(), args);
    assert_int_equal(tu_run(cmd, NULL, &ref_err), 1);
    assert_non_null(ref_err);
    if (!strstr(ref_err, message))
        fail_msg("the reference's stderr lacks '%s':\n%s", message, ref_err);

    /* Each rank records its own exit code and exits 0, so that mpirun
     * never kills a rank that is still running: a rank that hung would
     * leave no code behind and the timeout would stop the run. */
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' '%s' && mkdir -p '%s' '%s' && cd '%s' && timeout %d '%s' %s -np %d sh -c "
             "\"'%s' %s; echo \\$? > '%s'/rank\\$OMPI_COMM_WORLD_RANK\"",
             out, codes, out, codes, out, MPI_RUN_TIMEOUT, mpi_mpirun(), mpi_mpirun_flags(), ranks,
             tu_clmseg(), args, codes);
    int rc = tu_run(cmd, NULL, &err);
    assert_non_null(err);
    if (rc != 0)
        fail_msg("mpirun exit %d (124: a rank hung)\n%s", rc, err);
    for (int r = 0; r < ranks; r++) {
        char name[32];
        snprintf(name, sizeof name, "rank%d", r);
        char *code = tu_read_file(tu_path(codes, name), NULL);
        if (!code)
            fail_msg("rank %d left no exit code", r);
        assert_int_equal(atoi(code), 1);
        free(code);
    }
    /* One message, the serial run's, and nothing written. */
    assert_int_equal(mpi_count(err, "error:"), 1);
    assert_string_equal(err, ref_err);
    /* Only "." and "..": no output file, no temporary file. */
    assert_int_equal(tu_count_matching(out, "."), 2);
    free(err);
    free(ref_err);
}

void mpi_add_float_tenure(const char *path, int rows, int days)
{
    int *months = malloc(sizeof(int) * (size_t)rows);
    float *f = malloc(sizeof(float) * (size_t)rows);
    assert_non_null(months);
    assert_non_null(f);
    mpi_read_column(path, "tenure_months", H5T_NATIVE_INT, months);
    for (int i = 0; i < rows; i++)
        f[i] = days ? (float)(floor(months[i] * 30.4375) + i % 7) : (float)months[i];
    mpi_write_column(path, "tenure_f", H5T_NATIVE_FLOAT, (hsize_t)rows, f, H5T_IEEE_F32LE);
    free(months);
    free(f);
}

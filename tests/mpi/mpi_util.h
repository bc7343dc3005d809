/*
 * mpi_util.h — what the multi-node tests share: the reference program
 * (the serial build's clmseg), mpirun with its flags, a generated quarter
 * with a bad value planted, and the R x T byte-identity loop.
 *
 * Environment (tests/mpi/CMakeLists.txt): CLMSEG_BIN, the MPI program;
 * CLMSEG_SERIAL_BIN, the serial build's; CLMSEG_MPIEXEC and
 * CLMSEG_MPIEXEC_FLAGS, mpirun and its flags.
 */
#ifndef CLMSEG_TESTS_MPI_UTIL_H
#define CLMSEG_TESTS_MPI_UTIL_H

#include <hdf5.h>

/* Each mpirun gets this long (seconds) before it counts as a hang. */
#define MPI_RUN_TIMEOUT 300

/* The reference program: the serial build's when it exists, else this
 * build's run without mpirun (one rank). */
const char *mpi_reference_bin(void);

/* mpirun, and its flags (--allow-run-as-root added as root). */
const char *mpi_mpirun(void);
const char *mpi_mpirun_flags(void);

/* A generated quarter of `rows` rows, written by the reference program. */
void mpi_synth(const char *path, int rows, int seed);

/* The whole column /subscribers/<column> as `mem_type` into values. */
void mpi_read_column(const char *path, const char *column, hid_t mem_type, void *values);

/* Writes n `values` (`mem_type` in memory) into /subscribers/<column>:
 * into the column as it is when file_type is 0, else into a new column of
 * that type, replacing the old one if there is one. */
void mpi_write_column(const char *path, const char *column, hid_t mem_type, hsize_t n,
                      const void *values, hid_t file_type);

/* Writes NaN into row `row` of the float column `column` of /subscribers. */
void mpi_put_nan(const char *path, const char *column, hsize_t row);

/* The same for rows [row, row + count). */
void mpi_put_nan_rows(const char *path, const char *column, hsize_t row, hsize_t count);

/* A float copy of tenure_months, /subscribers/tenure_f, over `rows` rows:
 * in months, or (days) in days plus row % 7, which makes the months
 * fractional. */
void mpi_add_float_tenure(const char *path, int rows, int days);

/* Writes the integer `value` into row `row` of the column `column` of
 * /subscribers. */
void mpi_put_int(const char *path, const char *column, hsize_t row, int value);

/* Runs `reference clmseg ARGS` in the fresh folder `out` (cwd), stdout to
 * out/stdout.txt; returns the exit code.  ARGS may name files relative to
 * `out`. */
int mpi_run_reference(const char *out, const char *args);

/* The same as `mpirun -np ranks clmseg ARGS --threads threads` (no
 * --threads when threads is 0), bounded by MPI_RUN_TIMEOUT; stderr into
 * *err when err is not NULL. */
int mpi_run_ranks(int ranks, int threads, const char *out, const char *args, char **err);

/* For R = 1..4 ranks x T = 1..2 threads: runs ARGS in <dir>/ranksR-threadsT
 * and fails unless each of files[0..n_files) (names relative to the
 * folder; "stdout.txt" is the standard output) equals the reference run's
 * in <dir>/reference byte for byte.  `expect` must occur in the
 * reference's stdout, so that equal bytes are bytes of a real result. */
void mpi_same_bytes_on_ranks(const char *dir, const char *args, const char *const *files,
                             int n_files, const char *expect);

/* The error case: ARGS (input files by absolute path, outputs relative)
 * run by the reference in <dir>/reference must exit 1 with `message` in
 * its stderr; on `ranks` ranks in <dir>/ranks every rank must exit 1 on
 * its own within MPI_RUN_TIMEOUT, the standard error must be the
 * reference's (one message), and no file may be left in <dir>/ranks. */
void mpi_fails_alike_on_ranks(const char *dir, const char *args, int ranks, const char *message);

/* mpi_same_bytes_on_ranks for `clmseg kmeans QUARTER -o results.h5 ARGS`
 * in a fresh folder under `dir`: results.h5, segments.csv and stdout. */
void mpi_kmeans_same_bytes(const char *dir, const char *quarter, const char *args,
                           const char *expect);

/* How often `needle` occurs in `text`. */
int mpi_count(const char *text, const char *needle);

#endif

/*
 * testutil.h — helpers shared by the cmocka tests: scratch folders, running
 * the clmseg program and capturing its output, reading files, and finding
 * the reference tools (Debian python3 with h5py / scikit-learn, Rscript,
 * h5dump) that the test command installs.
 *
 * Include after the cmocka prerequisites (stdarg.h, stddef.h, setjmp.h).
 */
#ifndef CLMSEG_TESTUTIL_H
#define CLMSEG_TESTUTIL_H

#include "clmseg/clmseg.h"
#include <stddef.h>
#include <stdint.h>

/* A fresh, empty scratch folder for the calling test, under the build
 * tree: "<build>/test-tmp/<name>.<pid>".  Returns a static buffer. */
const char *tu_tmpdir(const char *name);

/* Generates a quarter into `path` through a writer (created with `inputs`,
 * committed on success, aborted on failure): the status of the whole. */
clm_status tu_synth_file(const clm_synth_params *params, const char *path, const char *const *inputs);

/* Joins folder and file name into a static rotating buffer (8 slots). */
const char *tu_path(const char *dir, const char *file);

/* Path of the clmseg program and of the source tree (from the environment
 * ctest sets). */
const char *tu_clmseg(void);
const char *tu_source_dir(void);

/* Runs `/bin/sh -c command`, capturing stdout and stderr (each up to 1 MiB,
 * NUL-terminated, caller frees; pass NULL to discard).  Returns the exit
 * status, or 128 + signal number if killed by a signal. */
int tu_run(const char *command, char **out, char **err);

/* Runs clmseg with the given arguments (a printf format), as tu_run. */
int tu_clmseg_run(char **out, char **err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Runs clmseg as tu_clmseg_run, capturing only stderr (through a pipe),
 * with every file it writes limited to `max_file_bytes` (RLIMIT_FSIZE, and
 * SIGXFSZ ignored): a write past the limit fails with EFBIG as a write to
 * a full disk fails with ENOSPC, so a test can fill the "disk" at any
 * point without root.  Returns the exit status, or 128 + signal. */
int tu_clmseg_run_limited(int64_t max_file_bytes, char **err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Path to the reference python3 (Debian's, with h5py), Rscript, h5dump;
 * NULL if not found.  Tests needing them fail (not skip) when missing: the
 * test command installs them. */
const char *tu_python(void);
const char *tu_rscript(void);
const char *tu_h5dump(void);

/* 1 if the path exists. */
int tu_exists(const char *path);

/* Number of entries in a folder whose name contains `needle` (to check
 * that no temporary file was left behind). */
int tu_count_matching(const char *dir, const char *needle);

/* Whole file into a NUL-terminated buffer (caller frees); NULL on error.
 * *size gets the byte count when size is not NULL. */
char *tu_read_file(const char *path, size_t *size);

/* Writes `text` to `path`; returns 0 on success. */
int tu_write_file(const char *path, const char *text);

/* 1 if both files exist and hold the same bytes. */
int tu_same_bytes(const char *a, const char *b);

/* The first of files[0..n) (names relative to both folders) that is not
 * the same bytes in dir_a and dir_b, or NULL when every one is. */
const char *tu_first_difference(const char *dir_a, const char *dir_b, const char *const *files, size_t n);

/* 1 if h5dump prints the same text for `group` of the HDF5 files a and b
 * (the file names left out) and that text has at least `min_length`
 * characters; 0 otherwise, or when h5dump is missing. */
int tu_same_h5_group(const char *a, const char *b, const char *group, size_t min_length);

/* For kernel tests: returns `differs` (1 when the default kernel context
 * has its own variant of `slot`); when it has none (this CPU lacks the
 * instruction set, or CLMSEG_KERNELS=ref, so default == reference) prints
 * a note saying the comparison of that slot is skipped.  Use through TU_TUNED_SLOT. */
int tu_tuned_slot(const char *slot, int differs);
#define TU_TUNED_SLOT(tuned, ref, slot) tu_tuned_slot(#slot, (tuned)->slot != (ref)->slot)

/* The default (tuned) and reference kernel contexts, for the kernel tests
 * that compare them, set by tu_kernels_setup (a cmocka group setup that
 * also prints their names). */
struct clm_kernels;
extern const struct clm_kernels *tu_tuned, *tu_ref;
int tu_kernels_setup(void **state);

#endif /* CLMSEG_TESTUTIL_H */

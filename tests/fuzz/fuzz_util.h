/*
 * fuzz_util.h — scratch files for the fuzz harnesses.
 *
 * The harnesses exercise the real file paths (fopen, HDF5 files, writer
 * temporaries and renames), so each input goes through a file in a private
 * scratch folder, on /dev/shm when it exists (memory, not disk).  The
 * folder is created once per process and removed at exit.
 */
#ifndef CLMSEG_FUZZ_UTIL_H
#define CLMSEG_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The process's scratch folder (created on first use; aborts if it cannot). */
const char *fuzz_scratch_dir(void);

/* "<scratch>/<name>" in a static buffer (one per name slot: 4 slots). */
const char *fuzz_path(const char *name);

/* Writes data to path; aborts on failure (a harness bug, not an input's). */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);

/* Number of entries of the scratch folder other than "." and "..". */
int fuzz_count_entries(void);

#endif

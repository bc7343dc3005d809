/*
 * fuzz_h5_raw.c — libFuzzer harness for the HDF5 table reader on raw bytes:
 * the input is written to a file as it is and handed to the reader
 * (fuzz_check_table_file: open, list, read every column, statistics).
 *
 * This one fuzzes libhdf5's own file parser as much as ours, and the
 * Debian HDF5 1.10.8 crashes on corrupt files within seconds (see
 * known-hdf5-crashes/README.md); so it is built and documented but not
 * part of the `fuzz` test label.  fuzz_h5.c is the one CI runs.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <hdf5.h>

#include "fuzz_table_check.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const char *path = fuzz_path("in.h5");
    fuzz_write_file(path, data, size);
    fuzz_check_table_file(path);
    unlink(path);
    return 0;
}

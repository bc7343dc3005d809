/*
 * fuzz_table_check.h — the reader checks shared by the HDF5 fuzz harnesses.
 *
 * fuzz_check_table_file() opens `path` with clm_table_open (and, failing
 * that, clm_table_open_any), then lists, reads (at most 64 Ki rows per
 * column, so a forged huge length stays cheap) and summarises every column.
 * It aborts when an invariant breaks: a refusal must be a bad-input code
 * (or CLM_E_HDF5) with a detail message naming the file; an opened table
 * must describe itself consistently; out-of-range reads must be refused.
 */
#ifndef CLMSEG_FUZZ_TABLE_CHECK_H
#define CLMSEG_FUZZ_TABLE_CHECK_H

void fuzz_check_table_file(const char *path);

#endif

/*
 * clmseg/synth.h — a deterministic generator of realistic quarters.
 *
 * clm_synth_write() writes a quarter in the input schema of docs/design.md §3
 * into an HDF5 writer: group /subscribers with the required columns, arpu_prev,
 * the categorical branch and plan, and the usage / value / early-warning
 * features; group /truth with the latent segment and the lifecycle stage
 * A-E of every row.  docs/synth.md documents the model.
 *
 * Every row is drawn from a counter-based generator keyed by (seed, row),
 * so the output is bit-identical for any thread count and block size, and
 * memory is bounded by the block, never by the number of rows.
 */
#ifndef CLMSEG_SYNTH_H
#define CLMSEG_SYNTH_H

#include <stdint.h>

#include "clmseg/export.h"
#include "clmseg/status.h"
#include "clmseg/writer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clm_synth_params {
    int64_t n_rows;          /* subscribers (default 1,000,000)           */
    int32_t n_branches;      /* branches (default 300)                    */
    int32_t n_segments;      /* latent behavioural segments (default 8)   */
    uint64_t seed;           /* default 42                                */
    int32_t n_threads;       /* 0: all cores                              */
    int64_t block_rows;      /* rows per generated block (CLM_BLOCK_ROWS) */
    clm_progress_fn progress;/* may be NULL                               */
    void *progress_ctx;
} clm_synth_params;

/* Fills the defaults above. */
CLM_API void clm_synth_params_default(clm_synth_params *params);

/* Checks the parameters alone: CLM_E_PARAM with a detail message naming the
 * wrong one (rows < 1, branches < 1 or > 100000, segments < 1 or > 64,
 * threads < 0, block_rows < 1). */
CLM_API clm_status clm_synth_params_check(const clm_synth_params *params);

/* Generates the quarter into an open writer (clm_writer_create): groups
 * /subscribers and /truth.  The caller commits the writer (the file
 * appears under its name only then) or aborts it, so a failed or
 * interrupted generation leaves nothing behind and an existing file is
 * untouched.
 *
 * Rows are generated block by block (params->block_rows) with
 * params->n_threads OpenMP threads and written from the calling thread;
 * params->progress, if set, is called from the calling thread after each
 * block with step "synth".  Memory: one block (about 90 bytes a row) plus
 * the branch names.
 *
 * Returns CLM_OK; CLM_E_PARAM (see clm_synth_params_check, or a NULL
 * writer); CLM_E_NOMEM; CLM_E_IO / CLM_E_HDF5 (disk full, write failure).
 * Not thread-safe with other HDF5 users of the process (HDF5 is not
 * thread-safe). */
CLM_API clm_status clm_synth_write(const clm_synth_params *params, clm_writer *writer);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_SYNTH_H */

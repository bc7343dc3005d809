/*
 * clmseg/synth.h — a deterministic generator of realistic quarters.
 *
 * clm_synth_write() writes a quarter in the input schema of docs/design.md §3
 * into an HDF5 writer: group /subscribers with the required columns, arpu_prev,
 * the categorical branch and plan, and the usage / value / early-warning
 * features; group /truth with the latent segment, the lifecycle stage A-E
 * and the remaining lifetime of every row, optionally under a retention
 * lever (clm_synth_lever).  docs/synth.md documents the model.
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

/* A retention lever for the counterfactual truth (docs/synth.md, "Truth
 * under a lever").  The quarter is generated exactly as without it; only
 * /truth/residual_months of the targeted rows changes: it becomes the
 * remaining lifetime had the lever multiplied their hazard by
 * hazard_ratio from the snapshot on (for `months` months, or for ever),
 * from the same random draw.  Targeted: active rows (churned = 0) whose
 * /truth/stage is in `stages` and whose arpu lies in [arpu_min, arpu_max].
 * With a lever the file also holds /truth/lever_target (uint8, 1 =
 * targeted) and attributes on /truth describing the lever. */
typedef struct clm_synth_lever {
    int enabled;             /* 0 (default): no lever, the output unchanged */
    double hazard_ratio;     /* > 0, finite; 1 leaves every value as it is  */
    double months;           /* > 0: acts for the first `months` after the
                                snapshot; INFINITY (default): for ever      */
    uint32_t stages;         /* bit s set: stage s (0..4 = A..E, the codes of
                                /truth/stage) targeted; default all (0x1f) */
    double arpu_min;         /* targeted arpu range, inclusive; defaults    */
    double arpu_max;         /* -INFINITY / INFINITY (no bound)             */
    char text[256];          /* the description as given (attribute "lever") */
} clm_synth_lever;

/* Fills the defaults above (enabled = 0). */
CLM_API void clm_synth_lever_default(clm_synth_lever *lever);

/* Parses a lever description "key=value,key=value" into *lever (enabled,
 * text copied).  Keys: hazard_ratio (required, > 0), stage (letters A-E
 * joined by '+' or '|', e.g. "D" or "C+D"), months (> 0), arpu_min,
 * arpu_max (EUR, arpu_min <= arpu_max); spaces around items are ignored.
 * Returns CLM_OK, or CLM_E_PARAM with a detail message naming the key
 * (unknown key, bad number, ratio <= 0, key given twice, hazard_ratio
 * missing, a text of 256 bytes or more); *lever is then left disabled. */
CLM_API clm_status clm_synth_lever_parse(const char *text, clm_synth_lever *lever);

typedef struct clm_synth_params {
    int64_t n_rows;          /* subscribers (default 1,000,000)           */
    int32_t n_branches;      /* branches (default 300)                    */
    int32_t n_segments;      /* latent behavioural segments (default 8)   */
    uint64_t seed;           /* default 42                                */
    int32_t n_threads;       /* 0: all cores                              */
    int64_t block_rows;      /* rows per generated block (CLM_BLOCK_ROWS) */
    clm_progress_fn progress;/* may be NULL                               */
    void *progress_ctx;
    clm_synth_lever lever;   /* default: none (clm_synth_lever_default)   */
} clm_synth_params;

/* Fills the defaults above. */
CLM_API void clm_synth_params_default(clm_synth_params *params);

/* Checks the parameters alone: CLM_E_PARAM with a detail message naming the
 * wrong one (rows < 1, branches < 1 or > 100000, segments < 1 or > 64,
 * threads < 0, block_rows < 1, and for an enabled lever the rules of
 * clm_synth_lever_parse). */
CLM_API clm_status clm_synth_params_check(const clm_synth_params *params);

/* Generates the quarter into an open writer (clm_writer_create): groups
 * /subscribers and /truth (with params->lever enabled, also
 * /truth/lever_target and the lever's attributes on /truth; every other
 * dataset is the same as without it).  The caller commits the writer (the file
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

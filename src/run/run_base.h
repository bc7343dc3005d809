/*
 * run_base.h — the helpers every step of the quarterly run stands on:
 * wall-clock and peak-memory bookkeeping per step, and output paths in
 * OUTDIR.  Nothing here knows about the steps (docs/design.md §11).
 */
#ifndef CLMSEG_RUN_BASE_H
#define CLMSEG_RUN_BASE_H

#include <stddef.h>

#include "clmseg/status.h"
#include "clmseg/textfile.h"

#define RUN_MAX_STEPS 16

typedef struct run_step_record {
    const char *name;
    double seconds;
    double peak_mb;     /* peak resident set size at the end of the step */
} run_step_record;

/* The time line of a run: one record per finished step. */
typedef struct run_clock {
    run_step_record steps[RUN_MAX_STEPS];
    int n_steps;
    double step_started, run_started;
} run_clock;

double run_now(void);
double run_peak_mb(void);

/* Starts the clock of a run, begins and ends a named step. */
void run_clock_start(run_clock *clock);
void run_clock_begin(run_clock *clock, const char *name);
void run_clock_end(run_clock *clock);

/* "<outdir>/<name>" into out (cap bytes). */
void run_out_path(const char *outdir, const char *name, char *out, size_t cap);

/* Opens the text output OUTDIR/<name> under its temporary name, refusing
 * to overwrite `input`. */
clm_status run_text_open(const char *outdir, const char *name, const char *input, clm_textfile **out);

/* Commits `file` when `status` (of the code that wrote it) is CLM_OK and
 * every write reached the disk, else aborts it; returns the status of the
 * whole write, naming the file when a write failed (clm_textfile_close). */
clm_status run_text_finish(clm_textfile *file, clm_status status);

#endif /* CLMSEG_RUN_BASE_H */

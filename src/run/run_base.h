/*
 * run_base.h — the helpers every step of the quarterly run stands on:
 * wall-clock and peak-memory bookkeeping per step, output paths in
 * OUTDIR, and the finished outputs waiting to be renamed together.  Nothing here knows about the steps (docs/design.md §11).
 */
#ifndef CLMSEG_RUN_BASE_H
#define CLMSEG_RUN_BASE_H

#include <stddef.h>
#include <stdio.h>

#include "clmseg/status.h"
#include "clmseg/textfile.h"
#include "clmseg/writer.h"

#define RUN_MAX_STEPS 32
#define RUN_MAX_OUTPUTS 32

typedef struct run_step_record {
    const char *name;
    double seconds;
    double cpu_s;       /* this process's CPU seconds in the step, all threads */
    double peak_mb;     /* peak resident set size at the end of the step */
    double calls, bytes; /* this rank's collective calls and bytes in the step
                           (src/core/comm.c's traffic; 0 on one process) */
} run_step_record;

/* One rank's figures of one step, as gathered to rank 0 (run.c). */
typedef struct run_rank_step {
    double seconds, cpu_s, peak_mb, calls, bytes;
} run_rank_step;

/* The time line of a run: one record per finished step. */
typedef struct run_clock {
    run_step_record steps[RUN_MAX_STEPS];
    int n_steps;
    double step_started, run_started, cpu_started;
    double calls_started, bytes_started; /* traffic when the step began */
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

/* Opens the CSV output OUTDIR/<name> as run_text_open does and, when
 * `bom` (report.csv_bom / --csv-bom) is set, writes the UTF-8 byte-order
 * mark first, so a spreadsheet reads UTF-8 branch names right.  Every CSV
 * of the run is opened here. */
clm_status run_csv_open(const char *outdir, const char *name, const char *input, int bom, clm_textfile **out);

/* The outputs of a run that are complete on disk under their temporary
 * names, renamed together when the last step is done (or removed when one
 * fails), so a run that fails on a full disk leaves OUTDIR as it was. */
typedef struct run_outputs {
    clm_writer *results;                  /* results.h5, or NULL  */
    clm_textfile *text[RUN_MAX_OUTPUTS];  /* CSV, text, HTML, JSON */
    int n_text;
} run_outputs;

/* Closes `file` (flushed and synced, clm_textfile_close) when `status`, of
 * the code that wrote it, is CLM_OK, and keeps it for run_outputs_publish;
 * else, or when a write failed, removes it.  Returns the status of the
 * whole write, naming the file when a write failed. */
clm_status run_text_finish(run_outputs *outputs, clm_textfile *file, clm_status status);

/* The same for results.h5 (clm_writer_close). */
clm_status run_results_finish(run_outputs *outputs, clm_writer *results, clm_status status);

/* Every file a run may write into OUTDIR (NULL-terminated). */
extern const char *const run_output_names[];

/* Publishes the kept outputs into OUTDIR as one step (run_publish.c): they
 * are renamed into a staging folder beside OUTDIR, with hard links to the
 * other files OUTDIR holds, and the staging folder is swapped with OUTDIR
 * by one atomic rename (renameat2 RENAME_EXCHANGE); the old folder is then
 * removed.  Where that cannot be done (OUTDIR a symbolic link, or holding a
 * folder, a file system without the exchange) they are renamed into OUTDIR
 * one by one.  An optional output of an earlier run that this run did not
 * write does not survive either way.  A failure leaves OUTDIR as it was.
 * Empties `outputs`. */
clm_status run_outputs_publish(run_outputs *outputs, const char *outdir);

/* Removes what a killed run left (run_publish.c): the temporary outputs
 * "<output>.tmp.<pid>.<n>" in OUTDIR and the staging folder beside it of a
 * process that no longer exists (a live pid may be another command; the
 * folder lock keeps other runs out).  Each removal is logged to `log`. */
void run_remove_leftovers(const char *outdir, FILE *log);

/* Removes every kept output.  Empties `outputs`. */
void run_outputs_discard(run_outputs *outputs);

#endif /* CLMSEG_RUN_BASE_H */

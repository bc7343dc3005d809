/*
 * run_base.c — timing, peak memory and output paths of the quarterly run.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "core/comm_internal.h"
#include "core/util_internal.h"
#include "run/run_base.h"

double run_now(void)
{
    return util_now();
}

double run_peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

void run_clock_start(run_clock *clock)
{
    clock->n_steps = 0;
    clock->run_started = clock->step_started = run_now();
}

/* Calls and bytes of every collective so far on this rank. */
static void traffic_totals(double *calls, double *bytes)
{
    comm_traffic t;
    comm_traffic_get(&t);
    *calls = *bytes = 0;
    for (int op = 0; op < COMM_N_OPS; op++) {
        *calls += (double)t.calls[op];
        *bytes += (double)t.bytes[op];
    }
}

/* The process's CPU seconds: what a rank costs the node, as against its
 * wall seconds, which on oversubscribed or napping ranks include waits. */
static double process_cpu(void)
{
    struct timespec t;
    return clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) ? 0 : (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void run_clock_begin(run_clock *clock, const char *name)
{
    if (clock->n_steps < RUN_MAX_STEPS)
        clock->steps[clock->n_steps].name = name;
    traffic_totals(&clock->calls_started, &clock->bytes_started);
    clock->cpu_started = process_cpu();
    clock->step_started = run_now();
}

void run_clock_end(run_clock *clock)
{
    if (clock->n_steps >= RUN_MAX_STEPS)
        return;
    run_step_record *s = &clock->steps[clock->n_steps++];
    s->seconds = run_now() - clock->step_started;
    s->cpu_s = process_cpu() - clock->cpu_started;
    s->peak_mb = run_peak_mb();
    traffic_totals(&s->calls, &s->bytes);
    s->calls -= clock->calls_started;
    s->bytes -= clock->bytes_started;
}

void run_out_path(const char *outdir, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", outdir, name);
}

clm_status run_text_open(const char *outdir, const char *name, const char *input, clm_textfile **out)
{
    char path[4096];
    run_out_path(outdir, name, path, sizeof path);
    return clm_textfile_open(path, (const char *const[]){input, NULL}, out);
}

clm_status run_csv_open(const char *outdir, const char *name, const char *input, int bom, clm_textfile **out)
{
    clm_status s = run_text_open(outdir, name, input, out);
    if (!s && bom)
        fputs("\xEF\xBB\xBF", clm_textfile_stream(*out));
    return s;
}

clm_status run_text_finish(run_outputs *outputs, clm_textfile *file, clm_status status)
{
    status = clm_textfile_close(file, status);
    if (!status && outputs->n_text == RUN_MAX_OUTPUTS)
        status = clm_error(CLM_E_INTERNAL, "run: more than %d text outputs", RUN_MAX_OUTPUTS);
    if (status) {
        clm_textfile_abort(file);
        return status;
    }
    outputs->text[outputs->n_text++] = file;
    return CLM_OK;
}

clm_status run_results_finish(run_outputs *outputs, clm_writer *results, clm_status status)
{
    if (!status)
        status = clm_writer_close(results);
    if (!status && outputs->results)
        status = clm_error(CLM_E_INTERNAL, "run: results.h5 written twice");
    if (status) {
        clm_writer_abort(results);
        return status;
    }
    outputs->results = results;
    return CLM_OK;
}

void run_outputs_discard(run_outputs *outputs)
{
    clm_writer_abort(outputs->results);
    outputs->results = NULL;
    for (int i = 0; i < outputs->n_text; i++)
        clm_textfile_abort(outputs->text[i]);
    outputs->n_text = 0;
}

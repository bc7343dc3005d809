/*
 * bench_pipeline.c — the whole quarterly run on a generated quarter:
 * seconds and peak memory per step and in total, as JSON lines.
 *
 *   bench_pipeline [--rows N] [--dir PATH] [--keep]
 *
 * Generates N rows (default 10M, 300 branches, seed 42) into PATH (default
 * /tmp), runs clm_run with the default configuration, and prints one line
 * per step from run.json plus a total line with the target of issue 6
 * (20 s and 3 GB on 2 cores) beside it.  The generation is timed apart:
 * it is not part of the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clmseg/clmseg.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int64_t rows = 10000000;
    const char *dir = "/tmp";
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else {
            fprintf(stderr, "usage: bench_pipeline [--rows N] [--dir PATH] [--keep]\n");
            return 1;
        }
    }
    char quarter[4096], outdir[4096], json[4200];
    snprintf(quarter, sizeof quarter, "%s/clmseg-bench-pipeline-%lld.h5", dir, (long long)rows);
    snprintf(outdir, sizeof outdir, "%s/clmseg-bench-pipeline-out", dir);
    snprintf(json, sizeof json, "%s/run.json", outdir);

    double t0 = now();
    if (access(quarter, R_OK) != 0) {
        clm_synth_params sp;
        clm_synth_params_default(&sp);
        sp.n_rows = rows;
        clm_status s = clm_synth_write(&sp, quarter, NULL);
        if (s) {
            fprintf(stderr, "bench_pipeline: synth: %s\n", clm_error_detail());
            return 2;
        }
    }
    printf("{\"bench\":\"pipeline_synth\",\"rows\":%lld,\"seconds\":%.3f}\n", (long long)rows, now() - t0);
    fflush(stdout);

    clm_run_options options = {0};
    t0 = now();
    clm_status s = clm_run(quarter, outdir, &options);
    double wall = now() - t0;
    if (s) {
        fprintf(stderr, "bench_pipeline: run: %s\n", clm_error_detail());
        return 2;
    }
    /* Re-emit the per-step lines of run.json. */
    FILE *f = fopen(json, "r");
    char line[1024];
    double peak = 0;
    while (f && fgets(line, sizeof line, f)) {
        char step[128];
        double seconds, mb;
        const char *p = strstr(line, "{\"step\": \"");
        if (p && sscanf(p, "{\"step\": \"%127[^\"]\", \"seconds\": %lf, \"peak_mb\": %lf", step, &seconds, &mb) == 3) {
            printf("{\"bench\":\"pipeline_step\",\"rows\":%lld,\"step\":\"%s\",\"seconds\":%.4f,\"peak_mb\":%.1f}\n",
                   (long long)rows, step, seconds, mb);
            if (mb > peak)
                peak = mb;
        }
    }
    if (f)
        fclose(f);
    printf("{\"bench\":\"pipeline\",\"rows\":%lld,\"seconds\":%.3f,\"peak_mb\":%.1f,"
           "\"target_seconds\":20,\"target_peak_mb\":3000}\n",
           (long long)rows, wall, peak);
    if (!keep)
        unlink(quarter);
    return 0;
}

/*
 * bench_pipeline.c — the whole quarterly run on a generated quarter:
 * seconds and peak memory per step and in total, as JSON lines.
 *
 *   bench_pipeline [--rows N] [--dir PATH] [--keep] [--repeats R] [--clmseg PATH]
 *
 * Generates N rows (default 10M, 300 branches, seed 42) into PATH (default
 * /tmp), runs clm_run with the default configuration, and prints one line
 * per step from run.json plus a total line with the target of issue 6
 * (20 s and 3 GB on 2 cores) beside it.  The generation is timed apart:
 * it is not part of the run.
 *
 * Its peer, measured in the same run: the three commands the run shares
 * its reads with — `clmseg kmeans`, `clmseg tree` and `clmseg survival
 * --by branch` — run separately on the same file with the run's own
 * settings (k 8, 100 iterations, impute; depth 6, 200 per leaf, 64 bins,
 * one permutation repeat, the run's tree features; horizon 36).  The line "pipeline_vs_parts"
 * gives the ratio run / sum of the parts (the data-flow issue's bar is
 * 0.85).  The program is found beside this one (../clmseg) or by
 * --clmseg PATH.
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

/* One command, timed; -1 when it fails. */
static int repeats = 3; /* --repeats: every timing is the minimum of these */

static double timed(const char *what, const char *command)
{
    double best = -1;
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        int rc = system(command);
        double s = now() - t0;
        if (rc != 0) {
            fprintf(stderr, "bench_pipeline: %s failed: %s\n", what, command);
            return -1;
        }
        best = best < 0 || s < best ? s : best;
    }
    printf("{\"bench\":\"pipeline_part\",\"part\":\"%s\",\"seconds\":%.3f,\"repeats\":%d}\n", what, best,
           repeats);
    fflush(stdout);
    return best;
}

/* The run's tree features: every usable column but id, event, time and
 * branch (step_churn_tree.c). */
static int tree_features(const char *quarter, char *out, size_t cap)
{
    clm_table *t = NULL;
    if (clm_table_open(quarter, NULL, &t))
        return -1;
    size_t used = 0;
    out[0] = '\0';
    for (int c = 0; c < clm_table_n_columns(t); c++) {
        const clm_column_info *info = clm_table_column(t, c);
        const char *n = info->name;
        if (info->kind == CLM_KIND_UNSUPPORTED || !strcmp(n, "subscriber_id") || !strcmp(n, "churned") ||
            !strcmp(n, "tenure_months") || !strcmp(n, "branch"))
            continue;
        used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%s", used ? "," : "", n);
    }
    clm_table_close(t);
    return used < cap ? 0 : -1;
}

static double run_parts(const char *clmseg, const char *quarter, const char *dir)
{
    char features[8192], cmd[16384];
    if (tree_features(quarter, features, sizeof features))
        return -1;
    double total = 0, s;
    snprintf(cmd, sizeof cmd, "%s kmeans %s -o %s/clmseg-bench-part-kmeans.h5 --k 8 --max-iter 100 --missing impute "
             "--seed 42 --quiet > /dev/null", clmseg, quarter, dir);
    if ((s = timed("kmeans", cmd)) < 0) return -1;
    total += s;
    snprintf(cmd, sizeof cmd, "%s tree %s -o %s/clmseg-bench-part-tree.h5 --max-depth 6 --min-leaf 200 --bins 64 "
             "--test-fraction 0.2 --permutation-repeats 1 --seed 42 --features %s --quiet > /dev/null", clmseg, quarter, dir, features);
    if ((s = timed("tree", cmd)) < 0) return -1;
    total += s;
    snprintf(cmd, sizeof cmd, "%s survival %s -o %s/clmseg-bench-part-survival.h5 --by branch --horizon 36 "
             "--quiet > /dev/null", clmseg, quarter, dir);
    if ((s = timed("survival --by branch", cmd)) < 0) return -1;
    return total + s;
}

int main(int argc, char **argv)
{
    int64_t rows = 10000000;
    const char *dir = "/tmp";
    int keep = 0;
    char clmseg[4096];
    snprintf(clmseg, sizeof clmseg, "%s", argv[0]);
    char *slash = strrchr(clmseg, '/');
    snprintf(slash ? slash + 1 : clmseg, sizeof clmseg - (size_t)(slash ? slash + 1 - clmseg : 0), "../clmseg");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = (int64_t)atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
        else if (!strcmp(argv[i], "--clmseg") && i + 1 < argc)
            snprintf(clmseg, sizeof clmseg, "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: bench_pipeline [--rows N] [--dir PATH] [--keep] [--repeats R] [--clmseg PATH]\n");
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
        clm_writer *w = NULL;
        clm_status s = clm_writer_create(quarter, NULL, &w);
        if (!s)
            s = clm_synth_write(&sp, w);
        s = s ? (clm_writer_abort(w), s) : clm_writer_commit(w);
        if (s) {
            fprintf(stderr, "bench_pipeline: synth: %s\n", clm_error_detail());
            return 2;
        }
    }
    printf("{\"bench\":\"pipeline_synth\",\"rows\":%lld,\"seconds\":%.3f}\n", (long long)rows, now() - t0);
    fflush(stdout);

    clm_run_options options = {0};
    double wall = -1;
    for (int r = 0; r < repeats; r++) {
        t0 = now();
        clm_status s = clm_run(quarter, outdir, &options);
        double t = now() - t0;
        if (s) {
            fprintf(stderr, "bench_pipeline: run: %s\n", clm_error_detail());
            return 2;
        }
        wall = wall < 0 || t < wall ? t : wall;
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
    double parts = run_parts(clmseg, quarter, dir);
    if (parts > 0)
        printf("{\"bench\":\"pipeline_vs_parts\",\"rows\":%lld,\"run_seconds\":%.3f,\"parts_seconds\":%.3f,"
               "\"ratio\":%.3f,\"target_ratio\":0.85}\n",
               (long long)rows, wall, parts, wall / parts);
    if (!keep)
        unlink(quarter);
    return 0;
}

/*
 * bench_report.c — report.html with its branch and segment pages: the
 * report step's seconds beside branches.csv's, in the same run, and the
 * page's size, as JSON lines.
 *
 *   bench_report [--rows N] [--branches B]... [--dir PATH] [--repeats R] [--clmseg PATH]
 *
 * For each B (default 300 and 3000; 200,000 rows, seed 42) it generates a
 * quarter with `clmseg synth`, runs `clmseg run` on it R times (default
 * 3) and reads run.json: the "report.html" step (the main page, every
 * branch's and segment's page data and the renderer) and the
 * "branches.csv" step (one CSV row per branch), each the minimum over the
 * repeats.  The peer is branches.csv, the smallest output that touches
 * every branch: the ratio report / branches.csv says what a branch's page
 * costs beside a branch's CSV row.  The bar: the report in under
 * one second for 300 branches, under the documented 12 MB for 3,000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The seconds of step `name` in run.json (a flat search: the file is ours). */
static double step_seconds(const char *json, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "\"step\": \"%s\", \"seconds\": ", name);
    const char *at = strstr(json, key);
    return at ? atof(at + strlen(key)) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
        free(text);
        text = NULL;
    }
    if (text)
        text[n] = '\0';
    fclose(f);
    return text;
}

/* The clmseg program: --clmseg, else beside this one (../clmseg). */
static void find_clmseg(const char *argv0, const char *given, char *out, size_t cap)
{
    if (given) {
        snprintf(out, cap, "%s", given);
        return;
    }
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
        *slash = '\0';
        snprintf(out, cap, "%s/../clmseg", self);
    } else {
        snprintf(out, cap, "%s", argv0);
    }
}

int main(int argc, char **argv)
{
    long rows = 200000;
    int branches[8], n_branches = 0, repeats = 3;
    const char *dir = "/tmp", *given = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = atol(argv[++i]);
        else if (!strcmp(argv[i], "--branches") && i + 1 < argc && n_branches < 8)
            branches[n_branches++] = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--clmseg") && i + 1 < argc)
            given = argv[++i];
        else {
            fprintf(stderr, "usage: bench_report [--rows N] [--branches B]... [--dir PATH] [--repeats R] "
                            "[--clmseg PATH]\n");
            return 2;
        }
    }
    if (n_branches == 0) {
        branches[n_branches++] = 300;
        branches[n_branches++] = 3000;
    }
    char clmseg[4200];
    find_clmseg(argv[0], given, clmseg, sizeof clmseg);
    for (int c = 0; c < n_branches; c++) {
        char q[4400], out[4400], cmd[16384], json[4500], html[4500];
        snprintf(q, sizeof q, "%s/bench_report_%d.h5", dir, branches[c]);
        snprintf(out, sizeof out, "%s/bench_report_%d", dir, branches[c]);
        snprintf(cmd, sizeof cmd, "'%s' synth -o '%s' --rows %ld --branches %d --seed 42 --quiet", clmseg, q, rows,
                 branches[c]);
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_report: %s failed\n", cmd);
            return 1;
        }
        double best_report = -1, best_csv = -1;
        for (int r = 0; r < repeats; r++) {
            snprintf(cmd, sizeof cmd, "'%s' run '%s' -o '%s' --quiet", clmseg, q, out);
            if (system(cmd) != 0) {
                fprintf(stderr, "bench_report: %s failed\n", cmd);
                return 1;
            }
            snprintf(json, sizeof json, "%s/run.json", out);
            char *text = slurp(json);
            if (!text) {
                fprintf(stderr, "bench_report: cannot read %s\n", json);
                return 1;
            }
            double rs = step_seconds(text, "report.html"), cs = step_seconds(text, "branches.csv");
            free(text);
            if (rs < 0 || cs < 0) {
                fprintf(stderr, "bench_report: %s lacks the report.html or branches.csv step\n", json);
                return 1;
            }
            best_report = best_report < 0 || rs < best_report ? rs : best_report;
            best_csv = best_csv < 0 || cs < best_csv ? cs : best_csv;
        }
        snprintf(html, sizeof html, "%s/report.html", out);
        struct stat st;
        long long bytes = stat(html, &st) == 0 ? (long long)st.st_size : -1;
        printf("{\"bench\":\"report\",\"rows\":%ld,\"branches\":%d,\"report_seconds\":%.4f,"
               "\"branches_csv_seconds\":%.4f,\"report_vs_branches_csv\":%.1f,\"report_bytes\":%lld,"
               "\"bytes_per_branch\":%.0f,\"repeats\":%d,\"target_seconds_300\":1.0,\"target_bytes_3000\":12000000}\n",
               rows, branches[c], best_report, best_csv, best_csv > 0 ? best_report / best_csv : 0.0, bytes,
               (double)bytes / branches[c], repeats);
        fflush(stdout);
        remove(q);
    }
    return 0;
}

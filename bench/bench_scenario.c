/*
 * bench_scenario.c — the baseline and ten scenarios over a generated
 * quarter, and the retention budget, beside the floor of one pass over the
 * per-subscriber inputs.
 *
 *   bench_scenario [--rows N] [--dir PATH] [--horizon H]
 *
 * On a quarter of N rows (default 10,000,000; generated and run once into
 * PATH, kept): `clmseg scenario` with a plan of ten scenarios (every lever;
 * one of two levers) and a budget, at 1 and 2 threads.  Printed per thread
 * count, from the command's own timing line: the book (reading the inputs,
 * the equity pass), the baseline pass, the ten scenarios and the budget
 * (default: 300 branches x 3 tiers x 5 stages of cells).  Beside them:
 *   - stream: one parallel pass summing the book's per-row inputs (8 bytes
 *     of relative hazard, 8 of tenure, 4 of ARPU, 4 of leave_12 and 8 of
 *     small codes per row: 32 bytes), the floor of any pass over them;
 *   - identical: whether scenarios.csv and allocation.csv are the same
 *     bytes for 1 and 2 threads.
 * One JSON object per line on stdout.
 */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_stream.h"

static const char *bin(void) { return getenv("CLMSEG_BIN") ? getenv("CLMSEG_BIN") : "./clmseg"; }

static void sh(const char *cmd)
{
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_scenario: '%s' failed (set CLMSEG_BIN to the clmseg program)\n", cmd);
        exit(2);
    }
}

static const char *const plan_text =
    "[plan]\nhorizon = %d\n\n"
    "[scenario save_d]\nlever = retention\nstage = D\nhazard_ratio = 0.7\ntake_up = 0.4\n"
    "cost_contact = high:20,medium:10,low:5\ncost_accept = 10\n\n"
    "[scenario high_tier]\nlever = retention\ntier = high\nhazard_ratio = 0.8\ntake_up = 0.3\nmonths = 12\n"
    "cost_contact = 15\n\n"
    "[scenario riskiest]\nlever = retention\nrisk_decile = 9-10\nhazard_ratio = 0.75\ntake_up = 0.3\n"
    "arpu_change = -0.05\ncost_contact = 8\n\n"
    "[scenario upsell_c]\nlever = upsell\nstage = C\narpu_change = 0.08\ntake_up = 0.15\ncost_contact = 2\n\n"
    "[scenario renew]\nlever = renewal\nplan = postpaid\nto_plan = contract-24m\ntake_up = 0.2\n"
    "cost_contact = 5\ncost_accept = 40\n\n"
    "[scenario debt]\nlever = bad_debt\nrecovery = 0.1\ntake_up = 0.5\ncost_contact = 3\n\n"
    "[scenario acquire]\nlever = acquisition\nworst = 20\nnew_per_month = 200\nmonths = 12\ncost_accept = 120\n\n"
    "[scenario winback]\nlever = winback\ntier = high,medium\ntake_up = 0.05\ncost_contact = 4\n"
    "cost_accept = 60\n\n"
    "[scenario combo]\nbranch_rank = 200-300\n[scenario combo.retention]\nstage = D\nhazard_ratio = 0.7\n"
    "take_up = 0.3\ncost_contact = 10\n[scenario combo.upsell]\nstage = B,C\narpu_change = 0.05\n"
    "take_up = 0.2\ncost_contact = 2\n\n"
    "[scenario medium_mid]\nlever = retention\ntier = medium\nbranch_rank = 1-150\nhazard_ratio = 0.85\n"
    "take_up = 0.25\ncost_contact = 6\n\n"
    "[budget]\ntotal = 2000000\nlever = retention\nhazard_ratio = 0.7\ntake_up = 0.3\nmonths = 12\n"
    "cost_contact = high:20,medium:10,low:5\ncost_accept = 10\ncells = branch,tier,stage\n";


/* Runs the scenario command; returns its timing line's figures. */
static int cells_seen;

static void scenario(const char *q, const char *run, const char *out, const char *plan, int threads,
                     double t[7], long long *active)
{
    char cmd[16384], log[4200];
    snprintf(log, sizeof log, "%s.log", out);
    snprintf(cmd, sizeof cmd, "%s scenario '%s' '%s' -o '%s' --plan '%s' --threads %d > /dev/null 2> '%s'",
             bin(), q, run, out, plan, threads, log);
    sh(cmd);
    FILE *f = fopen(log, "r");
    char line[1024];
    int ok = 0;
    while (f && fgets(line, sizeof line, f)) {
        ok |= sscanf(line, "book %lf s (%lld active), baseline %lf s, scenarios %lf s, budget %lf s, outputs %lf",
                     &t[0], active, &t[1], &t[2], &t[3], &t[4]) == 6;
        int cells = 0;
        if (sscanf(line, "budget: candidates' gains %lf s, allocation %lf s (%d cells)", &t[5], &t[6], &cells) == 3)
            cells_seen = cells;
    }
    if (f)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "bench_scenario: no timing line in %s\n", log);
        exit(2);
    }
}

static int same_file(const char *a, const char *b)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

int main(int argc, char **argv)
{
    long long rows = 10000000;
    int horizon = 36;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = (long long)atof(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--horizon") && i + 1 < argc)
            horizon = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_scenario [--rows N] [--dir PATH] [--horizon H]\n");
            return 1;
        }
    }
    char q[4096], run[4096], plan[4096], cmd[16384];
    snprintf(q, sizeof q, "%s/clmseg-bench-scenario-%lld.h5", dir, rows);
    snprintf(run, sizeof run, "%s/clmseg-bench-scenario-%lld.run", dir, rows);
    snprintf(plan, sizeof plan, "%s/clmseg-bench-scenario.ini", dir);
    struct stat st;
    if (stat(q, &st) != 0) {
        snprintf(cmd, sizeof cmd, "%s synth -o '%s' --rows %lld --seed 42 --quiet", bin(), q, rows);
        sh(cmd);
    }
    snprintf(cmd, sizeof cmd, "%s/results.h5", run);
    if (stat(cmd, &st) != 0) {
        snprintf(cmd, sizeof cmd, "%s run '%s' -o '%s' --quiet", bin(), q, run);
        sh(cmd);
    }
    FILE *f = fopen(plan, "w");
    if (!f)
        return 2;
    fprintf(f, plan_text, horizon);
    fclose(f);
    double t[3][7];
    long long active = 0;
    char out[3][4096];
    for (int threads = 1; threads <= 2; threads++) {
        snprintf(out[threads], sizeof out[threads], "%s/clmseg-bench-scenario-out%d", dir, threads);
        scenario(q, run, out[threads], plan, threads, t[threads], &active);
        double stream = bench_stream_seconds((size_t)active * 4, threads); /* 32 bytes a row */
        printf("{\"bench\":\"scenario\",\"rows\":%lld,\"active\":%lld,\"horizon\":%d,\"threads\":%d,"
               "\"scenarios\":10,\"book_s\":%.3f,\"baseline_s\":%.3f,\"scenarios_s\":%.3f,"
               "\"baseline_plus_scenarios_s\":%.3f,\"budget_s\":%.3f,\"budget_gains_s\":%.3f,"
               "\"budget_allocate_s\":%.3f,\"budget_cells\":%d,\"outputs_s\":%.3f,"
               "\"stream_inputs_s\":%.4f,\"vs_stream\":%.1f,\"target_s\":3.0}\n",
               rows, active, horizon, threads, t[threads][0], t[threads][1], t[threads][2],
               t[threads][1] + t[threads][2], t[threads][3], t[threads][5], t[threads][6], cells_seen,
               t[threads][4], stream,
               (t[threads][1] + t[threads][2]) / stream);
        fflush(stdout);
    }
    char a[8300], b[8300];
    int same = 1;
    static const char *const files[] = {"scenarios.csv", "allocation.csv", "scenario_levers.csv"};
    for (int k = 0; k < 3; k++) {
        snprintf(a, sizeof a, "%s/%s", out[1], files[k]);
        snprintf(b, sizeof b, "%s/%s", out[2], files[k]);
        same &= same_file(a, b);
    }
    printf("{\"bench\":\"scenario_identical\",\"rows\":%lld,\"threads\":[1,2],\"identical\":%s}\n", rows,
           same ? "true" : "false");
    return same ? 0 : 1;
}

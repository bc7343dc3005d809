/*
 * cmd_scenario.c — `clmseg scenario quarter.h5 RUNDIR -o OUTDIR --plan
 * plan.ini`: the baseline and every scenario of a plan projected over the
 * quarter a run was made on (its results.h5 gives the Cox model, the
 * segments, tiers, stages and branch health), and the budget's split.
 * Every output is written to a temporary file first and all are renamed
 * at the end, so a failure leaves OUTDIR as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clmseg/clmseg.h"
#include "clmseg/scenario.h"
#include "clmseg/textfile.h"
#include "cli/cli_internal.h"
#include "core/util_internal.h"

static const char *const usage_text =
    "usage: clmseg scenario quarter.h5 RUNDIR -o OUTDIR --plan plan.ini [options]\n"
    "\n"
    "What-if scenarios and the retention budget over a run's quarter (docs/strategy.md).\n"
    "RUNDIR is the output folder of `clmseg run quarter.h5 -o RUNDIR`.\n"
    "\n"
    "  -o, --output DIR     output folder: scenarios.csv, scenario_curves.csv,\n"
    "                       scenario_levers.csv, scenarios.h5, scenario.html, and with\n"
    "                       a [budget]: allocation.csv, allocation_policies.csv\n"
    "  --plan FILE          the plan: [plan], [scenario NAME], [scenario NAME.LEVER], [budget]\n"
    "  --horizon H          months projected (default: the plan's, else 36)\n"
    "  --group G            input group (default /subscribers)\n"
    "  --branch COL  --arpu COL  --plan-column COL   the run's columns (defaults branch,\n"
    "                       arpu, plan)\n"
    "  --lang en|zh         language of scenario.html (default en)\n"
    "  --threads T  --quiet  -h\n";

enum { OPT_PLAN = CLI_OPT_FIRST, OPT_HORIZON, OPT_GROUP, OPT_BRANCH, OPT_ARPU, OPT_PLAN_COLUMN, OPT_LANG };

static const struct option scenario_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"plan", required_argument, NULL, OPT_PLAN},
    {"horizon", required_argument, NULL, OPT_HORIZON},
    {"group", required_argument, NULL, OPT_GROUP},
    {"branch", required_argument, NULL, OPT_BRANCH},
    {"arpu", required_argument, NULL, OPT_ARPU},
    {"plan-column", required_argument, NULL, OPT_PLAN_COLUMN},
    {"lang", required_argument, NULL, OPT_LANG},
    CLI_COMMON_OPTIONS,
    {0}};

typedef struct output {
    const char *name;
    clm_textfile *file;
} output;

static void print_summary(const clm_scenario_result *r)
{
    const int32_t nb = r->n_branches;
    printf("%-20s %10s %12s %14s %14s %14s %9s %8s\n", "scenario", "targeted", "accepting",
           "active_12 +", "equity +", "net gain", "ROI", "payback");
    for (int32_t s = 0; s < r->n_scenarios; s++) {
        const clm_scenario_row *x = &r->rows[(size_t)s * (size_t)(nb + 1) + (size_t)nb];
        printf("%-20s %10.0f %12.1f %14.1f %14.2f %14.2f %9.3f %8d\n", r->names[s], x->targeted, x->accepting,
               x->scen.active_12 - x->base.active_12, x->scen.equity - x->base.equity, x->net_gain, x->roi,
               (int)x->payback_month);
    }
    if (r->budget) {
        const clm_budget_result *g = r->budget;
        printf("budget %.2f:\n", g->total);
        for (int p = 0; p < CLM_N_POLICIES; p++)
            printf("  %-13s spend %14.2f  contacted %12.1f  saves %10.1f  net gain %14.2f\n",
                   clm_budget_policy_names[p], g->totals[p].spend, g->totals[p].contacted, g->totals[p].saves,
                   g->totals[p].net_gain);
    }
}

/* Writes one CSV or the page into a temporary file beside its name. */
static clm_status write_text(const char *dir, output *o, const char *input, const clm_scenario_result *r,
                             const char *lang, int kind)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, o->name) >= (int)sizeof path)
        return clm_error(CLM_E_PARAM, "output folder name too long");
    clm_status st = clm_textfile_open(path, (const char *const[]){input, NULL}, &o->file);
    if (st)
        return st;
    FILE *f = clm_textfile_stream(o->file);
    switch (kind) {
    case 0: clm_scenario_write_csv(r, f); break;
    case 1: clm_scenario_write_curves_csv(r, f); break;
    case 2: clm_scenario_write_levers_csv(r, f); break;
    case 3: clm_scenario_write_html(r, lang, f); break;
    case 4: clm_budget_write_csv(r->budget, f); break;
    default: clm_budget_write_policies_csv(r->budget, f); break;
    }
    return clm_textfile_close(o->file, CLM_OK);
}

static clm_status write_outputs(const char *dir, const char *input, const clm_scenario_result *r,
                                const char *lang)
{
    output outs[6] = {{"scenarios.csv", NULL}, {"scenario_curves.csv", NULL}, {"scenario_levers.csv", NULL},
                      {"scenario.html", NULL}, {"allocation.csv", NULL}, {"allocation_policies.csv", NULL}};
    const int n_out = r->budget ? 6 : 4;
    clm_status st = CLM_OK;
    for (int k = 0; !st && k < n_out; k++)
        st = write_text(dir, &outs[k], input, r, lang, k);
    char h5[4096];
    snprintf(h5, sizeof h5, "%s/scenarios.h5", dir);
    clm_writer *w = NULL;
    if (!st) st = clm_writer_create(h5, (const char *const[]){input, NULL}, &w);
    if (!st) st = clm_scenario_save(r, w, "/scenarios");
    if (!st) st = clm_writer_close(w);
    /* Everything is written: the renames. */
    if (!st) st = clm_writer_commit(w);
    else if (w)
        clm_writer_abort(w);
    w = NULL;
    for (int k = 0; k < n_out; k++) {
        if (!outs[k].file)
            continue;
        if (!st)
            st = clm_textfile_commit(outs[k].file);
        else
            clm_textfile_abort(outs[k].file);
    }
    return st;
}

int cmd_scenario(int argc, char **argv)
{
    cli_common common;
    cli_common_default(&common);
    const char *outdir = NULL, *plan_path = NULL, *group = "/subscribers", *lang = "en";
    clm_book_load_params lp;
    clm_book_load_params_default(&lp);
    int horizon = 0;
    cli_parser parser;
    cli_parser_init(&parser, "scenario", argc, argv, "o:", scenario_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case OPT_PLAN: plan_path = optarg; break;
        case OPT_HORIZON:
            if (cli_parse_int("scenario", "--horizon", optarg, 12, 1200, &horizon))
                return 1;
            break;
        case OPT_GROUP: group = optarg; break;
        case OPT_BRANCH: lp.branch = optarg; break;
        case OPT_ARPU: lp.arpu = optarg; break;
        case OPT_PLAN_COLUMN: lp.plan = optarg; break;
        case OPT_LANG:
            if (strcmp(optarg, "en") && strcmp(optarg, "zh"))
                return cli_usage_error("scenario", "--lang: '%s' is not en or zh", optarg);
            lang = optarg;
            break;
        case 'h': fputs(usage_text, stdout); return 0;
        default: return 1;
        }
    }
    const char *args[2];
    if (cli_positionals("scenario", argc, argv, args, 2))
        return 1;
    if (!args[0] || !args[1])
        return cli_usage_error("scenario", "expected the quarter and the run's folder: clmseg scenario "
                               "quarter.h5 RUNDIR -o OUTDIR --plan plan.ini");
    if (!outdir)
        return cli_usage_error("scenario", "missing -o OUTDIR");
    if (!plan_path)
        return cli_usage_error("scenario", "missing --plan plan.ini");
    double t0 = cli_now();
    clm_plan *plan = NULL;
    clm_status st = clm_plan_read(plan_path, &plan);
    if (!st && clm_plan_n_scenarios(plan) == 0 && !clm_plan_has_budget(plan))
        st = clm_error(CLM_E_PARAM, "%s: no [scenario NAME] and no [budget] section", plan_path);
    char results[4096];
    if (snprintf(results, sizeof results, "%s/results.h5", args[1]) >= (int)sizeof results)
        st = clm_error(CLM_E_PARAM, "run folder name too long");
    clm_table *table = NULL;
    if (!st) st = clm_table_open(args[0], group, &table);
    if (!st) st = clm_table_set_cache(table, 1);
    /* plan is NULL when the plan file was refused (the error is reported below). */
    lp.horizon = horizon ? horizon : plan && clm_plan_horizon(plan) ? clm_plan_horizon(plan) : 36;
    lp.n_threads = common.n_threads;
    clm_book *book = NULL;
    if (!st) st = clm_book_load(table, results, &lp, &book);
    double t1 = cli_now();
    clm_scenario_result *r = NULL;
    if (!st) st = clm_scenario_project(book, plan, common.n_threads, &r);
    double t2 = cli_now();
    /* The folder is made only now, so a refused plan or input leaves none. */
    struct stat sb;
    if (!st && stat(outdir, &sb) != 0 && mkdir(outdir, 0777) != 0 && errno != EEXIST)
        st = clm_error(CLM_E_OPEN, "cannot create output folder '%s': %s", outdir, strerror(errno));
    if (!st) st = write_outputs(outdir, args[0], r, lang);
    if (!st && !common.quiet) {
        print_summary(r);
        fprintf(stderr, "book %.2f s (%lld active), baseline %.2f s, scenarios %.2f s, budget %.2f s, "
                "outputs %.2f s\n", t1 - t0, (long long)clm_book_n_active(book), r->seconds_baseline,
                r->seconds_scenarios, r->seconds_budget, cli_now() - t2);
        if (r->budget)
            fprintf(stderr, "budget: candidates' gains %.2f s, allocation %.2f s (%d cells)\n",
                    r->budget->seconds_candidates, r->budget->seconds_allocate, (int)r->budget->n_cells);
    }
    clm_scenario_result_free(r);
    clm_book_free(book);
    clm_table_close(table);
    clm_plan_free(plan);
    return st ? cli_fail("scenario", st) : 0;
}

/*
 * cmd_survival.c — `clmseg survival`: Kaplan–Meier curves, log-rank test
 * and lifetime value by stratum, written to /survival in an HDF5 results
 * file, a tidy survival.csv beside it, and a summary on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "clmseg/survival.h"
#include "clmseg/textfile.h"
#include "cli/cli_internal.h"

static const char *const usage_text =
    "usage: clmseg survival data.h5 -o results.h5 [options]\n"
    "\n"
    "Kaplan-Meier survival, log-rank test and lifetime value (docs/survival.md).\n"
    "\n"
    "  -o, --output FILE    results file (HDF5; /survival/<by>/<stratum>, /survival/all)\n"
    "  --csv FILE           tidy CSV (default: survival.csv beside the output)\n"
    "  --group G            input group (default /subscribers)\n"
    "  --time COL           survival time in months (default tenure_months)\n"
    "  --event COL          event column, 0/1 or categorical (default churned)\n"
    "  --event-level L      category (or value) that means the event, e.g. Yes\n"
    "  --by COL             strata: a categorical or integer column\n"
    "  --by segment --results FILE   strata: /segments/label of a kmeans results file\n"
    "  --conf-type T        log (default), log-log or plain\n"
    "  --conf-level X       band level (default 0.95)\n"
    "  --at T1,T2,...       times where S is reported (default 6,12,24,36)\n"
    "  --arpu COL           ARPU column for LTV (default arpu if present; 'none': no LTV)\n"
    "  --margin M           margin share of ARPU (default 1)\n"
    "  --discount D         annual discount rate (default 0.10)\n"
    "  --horizon H          months for RMST and LTV (default 60)\n"
    "  --threads T  --quiet  -h\n";

static int parse_at(const char *text, clm_survival_params *p)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    p->n_at = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (p->n_at == CLM_SURVIVAL_MAX_AT) {
            cli_usage_error("survival", "--at: at most %d times", CLM_SURVIVAL_MAX_AT);
            return -1;
        }
        if (cli_parse_f64("survival", "--at", tok, 0.0, 1e12, &p->at[p->n_at]))
            return -1;
        p->n_at++;
    }
    return 0;
}

/* survival.csv in the folder of `output`. */
static void default_csv(const char *output, char *out, size_t size)
{
    const char *slash = strrchr(output, '/');
    if (!slash)
        snprintf(out, size, "survival.csv");
    else
        snprintf(out, size, "%.*s/survival.csv", (int)(slash - output), output);
}

/* The /segments/label column of a results file, with k = largest + 1. */
static clm_status read_segment_labels(const char *results, int64_t n_rows, int32_t **out, int32_t *k)
{
    clm_table *seg = NULL;
    *out = NULL;
    clm_status st = clm_table_open_any(results, "/segments", &seg);
    int col = -1;
    if (!st) st = clm_table_require(seg, "label", CLM_KIND_UNSUPPORTED, &col);
    if (!st && clm_table_column(seg, col)->length != n_rows)
        st = clm_error(CLM_E_SCHEMA, "%s: /segments/label has %lld rows but the input has %lld", results,
                       (long long)clm_table_column(seg, col)->length, (long long)n_rows);
    int32_t *labels = st ? NULL : malloc(sizeof(int32_t) * (size_t)(n_rows > 0 ? n_rows : 1));
    if (!st && !labels)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st) st = clm_table_read_i32(seg, col, 0, n_rows, labels);
    int32_t hi = -1;
    for (int64_t i = 0; !st && i < n_rows; i++) {
        if (labels[i] < -1)
            st = clm_error(CLM_E_VALUE, "%s: /segments/label, row %lld: %d is not a segment", results,
                           (long long)i, (int)labels[i]);
        hi = labels[i] > hi ? labels[i] : hi;
    }
    clm_table_close(seg);
    if (st) {
        free(labels);
        return st;
    }
    *out = labels;
    *k = hi + 1 > 0 ? hi + 1 : 1;
    return CLM_OK;
}

int cmd_survival(int argc, char **argv)
{
    const char *cmd = "survival";
    cli_common common;
    cli_common_default(&common);
    clm_survival_params params;
    clm_survival_params_default(&params);
    clm_survival_columns cols;
    memset(&cols, 0, sizeof cols);
    const char *input = NULL, *output = NULL, *csv = NULL, *arpu = NULL;
    const char *group = NULL, *results = NULL;
    int64_t horizon;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_common_parse(&common, argc, argv, &i);
        if (r < 0)
            return 1;
        if (r > 0)
            continue;
        const char *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        }
#define VALUE() do { if (!(v = cli_value(cmd, argc, argv, &i))) return 1; } while (0)
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) { VALUE(); output = v; }
        else if (!strcmp(a, "--csv")) { VALUE(); csv = v; }
        else if (!strcmp(a, "--group")) { VALUE(); group = v; }
        else if (!strcmp(a, "--time")) { VALUE(); cols.time = v; }
        else if (!strcmp(a, "--event")) { VALUE(); cols.event = v; }
        else if (!strcmp(a, "--event-level")) { VALUE(); cols.event_level = v; }
        else if (!strcmp(a, "--by")) { VALUE(); cols.by = v; }
        else if (!strcmp(a, "--results")) { VALUE(); results = v; }
        else if (!strcmp(a, "--arpu")) { VALUE(); arpu = v; }
        else if (!strcmp(a, "--conf-type")) {
            VALUE();
            clm_status st = clm_conf_type_parse(v, &params.conf_type);
            if (st)
                return cli_usage_error(cmd, "%s", clm_error_detail());
        } else if (!strcmp(a, "--conf-level")) {
            VALUE();
            if (cli_parse_f64(cmd, a, v, 1e-9, 1.0 - 1e-9, &params.conf_level))
                return 1;
        } else if (!strcmp(a, "--at")) {
            VALUE();
            if (parse_at(v, &params))
                return 1;
        } else if (!strcmp(a, "--margin")) {
            VALUE();
            if (cli_parse_f64(cmd, a, v, -1e12, 1e12, &params.margin))
                return 1;
        } else if (!strcmp(a, "--discount")) {
            VALUE();
            if (cli_parse_f64(cmd, a, v, 0.0, 1e6, &params.discount))
                return 1;
        } else if (!strcmp(a, "--horizon")) {
            VALUE();
            if (cli_parse_i64(cmd, a, v, 0, 100000, &horizon))
                return 1;
            params.horizon = (int32_t)horizon;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error(cmd, "unknown option %s", a);
        } else if (!input) {
            input = a;
        } else {
            return cli_usage_error(cmd, "unexpected argument '%s'", a);
        }
#undef VALUE
    }
    if (!input)
        return cli_usage_error(cmd, "no input file (clmseg survival data.h5 -o results.h5)");
    if (!output)
        return cli_usage_error(cmd, "no output file: give -o results.h5");
    if (results && (!cols.by || strcmp(cols.by, "segment")))
        return cli_usage_error(cmd, "--results goes with --by segment");
    cli_common_apply(&common);
    params.n_threads = common.n_threads;

    clm_table *table = NULL;
    int32_t *segments = NULL;
    clm_status st = clm_table_open(input, group, &table);
    /* ARPU: the named column, or "arpu" when the table has one. */
    if (arpu && strcmp(arpu, "none"))
        cols.arpu = arpu;
    if (!st && !arpu && clm_table_find(table, "arpu") >= 0)
        cols.arpu = "arpu";
    /* --by segment --results r.h5: the saved labels are the strata. */
    if (!st && results) {
        st = read_segment_labels(results, clm_table_n_rows(table), &segments, &cols.n_strata);
        cols.strata = segments;
        cols.strata_name = "segment";
        cols.by = NULL;
    }

    cli_progress_state progress;
    cli_progress_init(&progress, common.quiet);
    params.progress = cli_progress;
    params.progress_ctx = &progress;

    clm_survival *surv = NULL;
    if (!st)
        st = clm_survival_fit_table(&params, &cols, table, &surv);
    clm_table_close(table);
    free(segments);
    if (st)
        return cli_fail(cmd, st);
    cols.by = results ? "segment" : cols.by;

    const char *inputs[3] = {input, results, NULL};
    char csv_default[4096];
    if (!csv) {
        default_csv(output, csv_default, sizeof csv_default);
        csv = csv_default;
    }
    const char *by_label = cols.by;
    clm_writer *writer = NULL;
    clm_textfile *text = NULL;
    st = clm_writer_create(output, inputs, &writer);
    if (!st)
        st = clm_survival_write_h5(surv, writer, by_label);
    if (!st)
        st = clm_textfile_open(csv, inputs, &text);
    if (!st)
        st = clm_survival_write_csv(surv, clm_textfile_stream(text));
    if (!st) {
        st = clm_textfile_commit(text);
        text = NULL;
    }
    if (!st) {
        st = clm_writer_commit(writer);
        writer = NULL;
    }
    if (st) {
        clm_textfile_abort(text);
        clm_writer_abort(writer);
        clm_survival_free(surv);
        return cli_fail(cmd, st);
    }
    if (!common.quiet)
        clm_survival_print(surv, stdout, by_label);
    clm_survival_free(surv);
    return 0;
}

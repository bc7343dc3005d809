/*
 * cmd_kmeans.c — `clmseg kmeans data.h5 -o results.h5 [options]`: the
 * command-line front of the k-means estimator (include/clmseg/kmeans.h):
 * open, clm_kmeans_fit_table, clm_kmeans_save, clm_kmeans_write_csv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "core/util_internal.h"

static const char *const kmeans_usage =
    "usage: clmseg kmeans data.h5 -o results.h5 [options]\n"
    "\n"
    "Segments subscribers with k-means; writes /segments to results.h5 and\n"
    "segments.csv beside it, and prints the segment profile.\n"
    "\n"
    "  --k K | auto | auto:LO-HI   clusters (default 8; auto = auto:2-10,\n"
    "                              chosen by the mean silhouette of a sample)\n"
    "  --features a,b,c            feature columns (default: every numeric\n"
    "                              column but id, time, event and weight)\n"
    "  --no-scale                  do not z-score the features\n"
    "  --missing fail|drop|impute  rows with NaN/Inf features (default fail)\n"
    "  --init auto|k-means++|k-means|||random   seeding (default auto = k-means++)\n"
    "  --n-init R                  restarts, lowest inertia kept (default 1)\n"
    "  --max-iter I                (default 300)\n"
    "  --tol T                     shift tolerance x mean variance (default 1e-4)\n"
    "  --product auto|sgemm|fused  how the distances are computed (default auto:\n"
    "                              fused kernel for k <= 8, else cblas_sgemm)\n"
    "  --sample-weight COLUMN      weight of each row\n"
    "  --sample N                  rows of the k-selection sample (default 4000)\n"
    "  --group G                   table group (default /subscribers)\n"
    "  --id C --time C --event C --arpu C   column names (defaults subscriber_id,\n"
    "                              tenure_months, churned, arpu)\n"
    "  --csv PATH                  profile CSV (default: segments.csv beside -o)\n"
    "  --threads T  --quiet  --seed X  -h\n";

/* Splits "a,b,c" into a NULL-terminated list (in place in `text`). */
static const char **split_names(char *text)
{
    size_t n = 1;
    for (char *c = text; *c; c++)
        n += *c == ',';
    const char **names = calloc(n + 1, sizeof *names);
    if (!names)
        return NULL;
    size_t i = 0;
    for (char *tok = strtok(text, ","); tok; tok = strtok(NULL, ","))
        names[i++] = tok;
    return names;
}

static int parse_k(const char *text, clm_kmeans_params *p)
{
    if (!strcmp(text, "auto")) {
        p->k = 0;
        return 0;
    }
    if (!strncmp(text, "auto:", 5)) {
        int lo = 0, hi = 0, used = 0;
        if (sscanf(text + 5, "%d-%d%n", &lo, &hi, &used) != 2 || text[5 + used] != '\0' ||
            lo < 1 || hi < lo || hi > 1000)
            return cli_usage_error("kmeans", "--k: '%s' is not auto:LO-HI with 1 <= LO <= HI <= 1000", text);
        p->k = 0;
        p->k_min = lo;
        p->k_max = hi;
        return 0;
    }
    int64_t k;
    if (cli_parse_i64("kmeans", "--k", text, 1, 100000, &k))
        return 1;
    p->k = (int32_t)k;
    return 0;
}

/* The command as a composition of the estimator: open, fit, save the
 * model and the profile CSV (both atomic: the CSV is committed after
 * results.h5), print. */
static clm_status run_kmeans(const clm_kmeans_params *p, const clm_kmeans_columns *cols,
                             const char *group, const char *input, const char *output,
                             const char *csv_path, FILE *report)
{
    const char *inputs[] = {input, NULL};
    char *beside = csv_path ? NULL : util_path_beside(output, "segments.csv");
    if (!csv_path && !beside)
        return clm_error(CLM_E_NOMEM, "k-means: out of memory");
    clm_table *table = NULL;
    clm_kmeans *model = NULL;
    clm_writer *w = NULL;
    clm_textfile *csv = NULL;
    clm_status st = clm_table_open(input, group, &table);
    if (!st) st = clm_kmeans_fit_table(p, cols, table, &model);
    clm_table_close(table);
    if (!st) st = clm_writer_create(output, inputs, &w);
    if (!st) st = clm_kmeans_save(model, w, "/segments");
    if (!st) st = clm_textfile_open(csv_path ? csv_path : beside, inputs, &csv);
    if (!st) st = clm_kmeans_write_csv(model, clm_textfile_stream(csv));
    if (!st) {
        st = clm_writer_commit(w);
        w = NULL;
    }
    if (!st) {
        st = clm_textfile_commit(csv);
        csv = NULL;
    }
    if (!st && report)
        clm_kmeans_print(model, report);
    clm_writer_abort(w);
    clm_textfile_abort(csv);
    clm_kmeans_free(model);
    free(beside);
    return st;
}

int cmd_kmeans(int argc, char **argv)
{
    cli_common common;
    cli_common_default(&common);
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    clm_kmeans_columns cols;
    clm_kmeans_columns_default(&cols);
    const char *group = NULL, *csv_path = NULL;
    const char *input = NULL, *output = NULL;
    char *features_text = NULL;
    const char **features = NULL;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i], *v = NULL;
        int64_t n;
        double x;
        int c = cli_common_parse(&common, argc, argv, &i);
        if (c < 0) {
            rc = 1;
        } else if (c > 0) {
            continue;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(kmeans_usage, stdout);
            free(features_text);
            return 0;
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            rc = !(output = cli_value("kmeans", argc, argv, &i));
        } else if (!strcmp(a, "--k")) {
            rc = !(v = cli_value("kmeans", argc, argv, &i)) || parse_k(v, &p);
        } else if (!strcmp(a, "--features")) {
            if (!(v = cli_value("kmeans", argc, argv, &i))) {
                rc = 1;
            } else {
                free(features_text);
                features_text = strdup(v);
                rc = !features_text;
            }
        } else if (!strcmp(a, "--no-scale")) {
            p.scale = 0;
        } else if (!strcmp(a, "--missing")) {
            if (!(v = cli_value("kmeans", argc, argv, &i)))
                rc = 1;
            else if (!strcmp(v, "fail"))
                p.missing = CLM_MISSING_FAIL;
            else if (!strcmp(v, "drop"))
                p.missing = CLM_MISSING_DROP;
            else if (!strcmp(v, "impute"))
                p.missing = CLM_MISSING_IMPUTE;
            else
                rc = cli_usage_error("kmeans", "--missing: '%s' is not fail, drop or impute", v);
        } else if (!strcmp(a, "--init")) {
            if (!(v = cli_value("kmeans", argc, argv, &i)))
                rc = 1;
            else if (!strcmp(v, "auto"))
                p.init = CLM_KMEANS_INIT_AUTO;
            else if (!strcmp(v, "k-means++") || !strcmp(v, "kmeans++") || !strcmp(v, "plusplus"))
                p.init = CLM_KMEANS_INIT_PLUSPLUS;
            else if (!strcmp(v, "k-means||") || !strcmp(v, "parallel"))
                p.init = CLM_KMEANS_INIT_PARALLEL;
            else if (!strcmp(v, "random"))
                p.init = CLM_KMEANS_INIT_RANDOM;
            else
                rc = cli_usage_error("kmeans", "--init: '%s' is not auto, k-means++, k-means|| (or parallel) or random", v);
        } else if (!strcmp(a, "--product")) {
            if (!(v = cli_value("kmeans", argc, argv, &i)))
                rc = 1;
            else if (!strcmp(v, "auto"))
                p.product = CLM_KMEANS_PRODUCT_AUTO;
            else if (!strcmp(v, "sgemm") || !strcmp(v, "blas"))
                p.product = CLM_KMEANS_PRODUCT_SGEMM;
            else if (!strcmp(v, "fused"))
                p.product = CLM_KMEANS_PRODUCT_FUSED;
            else
                rc = cli_usage_error("kmeans", "--product: '%s' is not auto, sgemm or fused", v);
        } else if (!strcmp(a, "--n-init")) {
            rc = !(v = cli_value("kmeans", argc, argv, &i)) || cli_parse_i64("kmeans", a, v, 1, 1000, &n);
            if (!rc) p.n_init = (int32_t)n;
        } else if (!strcmp(a, "--max-iter")) {
            rc = !(v = cli_value("kmeans", argc, argv, &i)) || cli_parse_i64("kmeans", a, v, 1, 1000000, &n);
            if (!rc) p.max_iter = (int32_t)n;
        } else if (!strcmp(a, "--sample")) {
            rc = !(v = cli_value("kmeans", argc, argv, &i)) || cli_parse_i64("kmeans", a, v, 2, 1000000, &n);
            if (!rc) p.select_sample = n;
        } else if (!strcmp(a, "--tol")) {
            rc = !(v = cli_value("kmeans", argc, argv, &i)) || cli_parse_f64("kmeans", a, v, 0.0, 1e300, &x);
            if (!rc) p.tol = x;
        } else if (!strcmp(a, "--sample-weight")) {
            rc = !(cols.weight = cli_value("kmeans", argc, argv, &i));
        } else if (!strcmp(a, "--group")) {
            rc = !(group = cli_value("kmeans", argc, argv, &i));
        } else if (!strcmp(a, "--id")) {
            rc = !(cols.id = cli_value("kmeans", argc, argv, &i));
        } else if (!strcmp(a, "--time")) {
            rc = !(cols.time = cli_value("kmeans", argc, argv, &i));
        } else if (!strcmp(a, "--event")) {
            rc = !(cols.event = cli_value("kmeans", argc, argv, &i));
        } else if (!strcmp(a, "--arpu")) {
            rc = !(cols.arpu = cli_value("kmeans", argc, argv, &i));
        } else if (!strcmp(a, "--csv")) {
            rc = !(csv_path = cli_value("kmeans", argc, argv, &i));
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = cli_usage_error("kmeans", "unknown option '%s'", a);
        } else if (!input) {
            input = a;
        } else {
            rc = cli_usage_error("kmeans", "unexpected argument '%s'", a);
        }
    }
    if (rc == 0 && !input)
        rc = cli_usage_error("kmeans", "missing the input file");
    if (rc == 0 && !output)
        rc = cli_usage_error("kmeans", "missing -o results.h5");
    if (rc == 0 && features_text) {
        features = split_names(features_text);
        if (!features || !features[0])
            rc = cli_usage_error("kmeans", "--features: no column names given");
        cols.features = features;
    }
    if (rc != 0) {
        free(features);
        free(features_text);
        return rc;
    }
    cli_common_apply(&common);
    p.seed = common.seed;
    p.n_threads = common.n_threads;
    cli_progress_state progress;
    cli_progress_init(&progress, common.quiet);
    p.progress = cli_progress;
    p.progress_ctx = &progress;
    clm_status st = run_kmeans(&p, &cols, group, input, output, csv_path, common.quiet ? NULL : stdout);
    free(features);
    free(features_text);
    return st ? cli_fail("kmeans", st) : 0;
}

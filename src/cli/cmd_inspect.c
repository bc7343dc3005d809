/*
 * cmd_inspect.c — `clmseg inspect data.h5 [--group G] [--json] [--top K]`:
 * the schema and one-pass statistics of every column, as a table for people
 * or as JSON for machines.
 *
 * Under mpirun (docs/design.md §7) every rank summarises its own blocks
 * of each column (table_ranks.h) in collective reads of the file opened
 * by all ranks (io_table_ranks.h), the figures are combined exactly on
 * every rank, and rank 0 prints them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "cli/cli_internal.h"
#include "core/comm_internal.h"
#include "core/json_internal.h"
#include "io/io_table_ranks.h"
#include "io/table_ranks.h"

static const char *const usage =
    "usage: clmseg inspect data.h5 [--group G] [--json] [--top K]\n"
    "  Prints every column of the table: stored type, kind (numeric or\n"
    "  categorical), missing values, min / max / mean / std, or the K most\n"
    "  frequent categories (default 3) with their counts.\n"
    "  --group G   group holding the columns (default /subscribers)\n"
    "  --json      one JSON document on stdout instead of the table\n";

typedef struct column_summary {
    clm_column_stats stats;
    int64_t *counts;    /* categorical: per-category counts */
    int *order;         /* categorical: codes by count, descending */
} column_summary;

/* qsort has no context argument in C11: the counts being sorted by are
 * reached through a file-level pointer, fine in a single-threaded command.
 * Most frequent first; equal counts in code order. */
static const int64_t *sort_counts;

static int compare_codes(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    if (sort_counts[x] != sort_counts[y])
        return sort_counts[x] > sort_counts[y] ? -1 : 1;
    return x - y;
}

static const char *kind_label(clm_column_kind k)
{
    return k == CLM_KIND_NUMERIC ? "numeric" : k == CLM_KIND_CATEGORICAL ? "categorical" : "unsupported";
}

/* Column i's summary, the whole column's on every rank of `comm`, with
 * the same status on each. */
static clm_status summarise(const clm_table *t, int i, const comm_ctx *comm, column_summary *s)
{
    const clm_column_info *info = clm_table_column(t, i);
    memset(s, 0, sizeof *s);
    if (info->kind == CLM_KIND_UNSUPPORTED)
        return CLM_OK;
    clm_status status = io_column_stats_ranks(t, i, comm, &s->stats);
    if (status != CLM_OK || info->kind != CLM_KIND_CATEGORICAL)
        return status;
    size_t n = info->n_categories ? (size_t)info->n_categories : 1;
    s->counts = calloc(n, sizeof *s->counts);
    s->order = calloc(n, sizeof *s->order);
    if (!s->counts || !s->order)
        status = clm_error(CLM_E_NOMEM, "out of memory");
    int64_t missing;
    status = comm_agree(comm, status);
    if (status == CLM_OK)
        status = io_category_counts_ranks(t, i, comm, s->counts, &missing);
    if (status != CLM_OK)
        return status;
    for (int c = 0; c < info->n_categories; c++)
        s->order[c] = c;
    sort_counts = s->counts;
    qsort(s->order, (size_t)info->n_categories, sizeof *s->order, compare_codes);
    return CLM_OK;
}

static void print_table(const clm_table *t, const column_summary *sums, int top)
{
    int n = clm_table_n_columns(t);
    printf("%s  group %s  %lld rows  %d columns\n\n", clm_table_path(t), clm_table_group(t),
           (long long)clm_table_n_rows(t), n);
    printf("%-24s %-8s %-12s %10s  %s\n", "column", "type", "kind", "missing", "summary");
    for (int i = 0; i < n; i++) {
        const clm_column_info *info = clm_table_column(t, i);
        const column_summary *s = &sums[i];
        printf("%-24s %-8s %-12s ", info->name, clm_dtype_name(info->dtype), kind_label(info->kind));
        if (info->kind == CLM_KIND_UNSUPPORTED) {
            printf("%10s  (not readable as a column)\n", "-");
            continue;
        }
        printf("%10lld  ", (long long)s->stats.missing);
        if (info->kind == CLM_KIND_NUMERIC) {
            printf("min %-10.4g max %-10.4g mean %-10.4g std %.4g\n", s->stats.min, s->stats.max,
                   s->stats.mean, s->stats.std);
        } else {
            printf("%d categories:", info->n_categories);
            int shown = top < info->n_categories ? top : info->n_categories;
            double total = (double)(s->stats.count + s->stats.missing);
            for (int k = 0; k < shown; k++) {
                int c = s->order[k];
                printf("%s %s %lld (%.1f%%)", k ? "," : "", info->categories[c], (long long)s->counts[c],
                       total > 0 ? 100.0 * (double)s->counts[c] / total : 0.0);
            }
            printf("%s\n", shown < info->n_categories ? ", ..." : "");
        }
    }
}

static void print_json(const clm_table *t, const column_summary *sums)
{
    int n = clm_table_n_columns(t);
    printf("{\"file\": ");
    json_put_string(stdout, clm_table_path(t));
    printf(", \"group\": ");
    json_put_string(stdout, clm_table_group(t));
    printf(", \"rows\": %lld, \"columns\": [", (long long)clm_table_n_rows(t));
    for (int i = 0; i < n; i++) {
        const clm_column_info *info = clm_table_column(t, i);
        const column_summary *s = &sums[i];
        printf("%s\n  {\"name\": ", i ? "," : "");
        json_put_string(stdout, info->name);
        printf(", \"dtype\": \"%s\", \"kind\": \"%s\", \"length\": %lld", clm_dtype_name(info->dtype),
               kind_label(info->kind), (long long)info->length);
        if (info->kind != CLM_KIND_UNSUPPORTED) {
            printf(", \"count\": %lld, \"missing\": %lld", (long long)s->stats.count, (long long)s->stats.missing);
            if (info->kind == CLM_KIND_NUMERIC) {
                const double v[4] = {s->stats.min, s->stats.max, s->stats.mean, s->stats.std};
                const char *k[4] = {"min", "max", "mean", "std"};
                for (int j = 0; j < 4; j++) {
                    printf(", \"%s\": ", k[j]);
                    json_put_number(stdout, v[j]);
                }
            } else {
                printf(", \"categories\": [");
                for (int c = 0; c < info->n_categories; c++) {
                    printf("%s{\"label\": ", c ? ", " : "");
                    json_put_string(stdout, info->categories[c]);
                    printf(", \"count\": %lld}", (long long)s->counts[c]);
                }
                printf("]");
            }
        }
        printf("}");
    }
    printf("\n]}\n");
}

enum { OPT_GROUP = CLI_OPT_FIRST, OPT_JSON, OPT_TOP };

static const struct option inspect_options[] = {
    {"group", required_argument, NULL, OPT_GROUP},
    {"json", no_argument, NULL, OPT_JSON},
    {"top", required_argument, NULL, OPT_TOP},
    CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

int cmd_inspect(int argc, char **argv)
{
    const char *input = NULL, *group = NULL;
    int json = 0;
    int64_t top = 3;
    cli_common common;
    cli_common_default(&common);
    cli_parser parser;
    cli_parser_init(&parser, "inspect", argc, argv, "", inspect_options, &common);
    for (int c; (c = cli_parser_next(&parser)) != -1;) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return 0;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_GROUP:
            group = optarg;
            break;
        case OPT_TOP:
            if (cli_parse_i64("inspect", "--top", optarg, 0, 1000000, &top))
                return 1;
            break;
        default:
            return 1;
        }
    }
    if (cli_positionals("inspect", argc, argv, &input, 1))
        return 1;
    if (!input)
        return cli_usage_error("inspect", "no input file");

    const comm_ctx world = comm_world();
    clm_table *t = NULL;
    clm_status status = io_table_open_ranks(&world, input, group, &t);
    if (status != CLM_OK)
        return cli_fail("inspect", status);
    int n = clm_table_n_columns(t);
    column_summary *sums = calloc(n ? (size_t)n : 1, sizeof *sums);
    if (!sums)
        status = clm_error(CLM_E_NOMEM, "out of memory");
    status = comm_agree(&world, status);
    for (int i = 0; status == CLM_OK && i < n; i++)
        status = summarise(t, i, &world, &sums[i]);
    if (status == CLM_OK && world.rank == 0) {
        if (json)
            print_json(t, sums);
        else
            print_table(t, sums, (int)top);
    }
    for (int i = 0; sums && i < n; i++) {
        free(sums[i].counts);
        free(sums[i].order);
    }
    free(sums);
    clm_table_close(t);
    return status == CLM_OK ? 0 : cli_fail("inspect", status);
}

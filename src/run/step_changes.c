/*
 * step_changes.c — changes.csv: each branch this quarter against last
 * quarter's run (docs/formats.md).  One row per branch of this quarter, in
 * the order of branches.csv (by health), then one per branch of last
 * quarter that is gone, in last quarter's rank order.  Branches are
 * matched by name.  Each figure appears as last quarter's, this quarter's
 * and the difference (this minus last), printed with the decimals of
 * branches.csv; a figure a side lacks (a branch new or gone, or NA in
 * branches.csv) is an empty field.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "run/run_ctx.h"
#include "run/run_previous.h"

/* A number with `format`, or an empty field when missing. */
static void field(FILE *f, const char *format, double v)
{
    fputc(',', f);
    if (!isnan(v))
        fprintf(f, format, v);
}

/* Last, this, this minus last. */
static void triple(FILE *f, const char *format, double before, double now)
{
    field(f, format, before);
    field(f, format, now);
    field(f, format, now - before); /* NaN when either is missing */
}

static void header(FILE *f)
{
    fputs("branch,status,rank_prev,rank,rank_up,health_prev,health,health_delta,churn_rate_prev,churn_rate,"
          "churn_rate_delta,s12_prev,s12,s12_delta,arpu_prev,arpu,arpu_delta", f);
    for (int k = 0; k < CLM_N_STAGES; k++)
        fprintf(f, ",share_%s_prev,share_%s,share_%s_delta", clm_stage_letters[k], clm_stage_letters[k],
                clm_stage_letters[k]);
    fputc('\n', f);
}

/* One row; `now` or `before` may be NULL (a branch new or gone). */
static void row(FILE *f, const char *name, const run_branch *now, int rank, const run_previous_branch *before)
{
    static const run_previous_branch none = {NULL, 0, NAN, NAN, NAN, NAN, {NAN, NAN, NAN, NAN, NAN}};
    const run_previous_branch *b = before ? before : &none;
    run_csv_field(f, name);
    fprintf(f, ",%s,", now && before ? "both" : now ? "new" : "gone");
    if (before)
        fprintf(f, "%d", before->rank);
    fputc(',', f);
    if (now)
        fprintf(f, "%d", rank);
    fputc(',', f);
    if (now && before)
        fprintf(f, "%d", before->rank - rank);
    triple(f, "%.2f", b->health, now ? now->health.total : NAN);
    triple(f, "%.6f", b->churn_rate, now ? now->metrics.churn_rate : NAN);
    triple(f, "%.6f", b->s12, now ? now->metrics.s12 : NAN);
    triple(f, "%.4f", b->arpu, now ? now->metrics.arpu : NAN);
    for (int k = 0; k < CLM_N_STAGES; k++)
        triple(f, "%.6f", b->share[k], now ? now->stage_share[k] : NAN);
    fputc('\n', f);
}

clm_status run_write_changes_csv(run_ctx *ctx)
{
    const run_previous *p = ctx->previous;
    const int nb = ctx->n_branches;
    int *order = run_health_order(ctx);
    unsigned char *seen = calloc((size_t)(p->n_branches > 0 ? p->n_branches : 1), 1);
    int *gone = malloc((size_t)(p->n_branches > 0 ? p->n_branches : 1) * sizeof *gone);
    clm_textfile *tf = NULL;
    clm_status s = order && seen && gone ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    if (!s) s = run_csv_open(ctx->outdir, "changes.csv", ctx->input, ctx->csv_bom, &tf);
    if (!s) {
        FILE *f = clm_textfile_stream(tf);
        header(f);
        for (int r = 0; r < nb; r++) {
            const run_branch *br = &ctx->branches[order[r]];
            int b = run_previous_find(p, br->name);
            if (b >= 0)
                seen[b] = 1;
            row(f, br->name, br, r + 1, b >= 0 ? &p->branches[b] : NULL);
        }
        /* Gone since last quarter, in last quarter's rank order (ranks
         * are 1..n, one each, so by_rank is a permutation). */
        int *by_rank = gone;
        for (int b = 0; b < p->n_branches; b++)
            by_rank[p->branches[b].rank - 1] = b;
        for (int r = 0; r < p->n_branches; r++)
            if (!seen[by_rank[r]])
                row(f, p->branches[by_rank[r]].name, NULL, 0, &p->branches[by_rank[r]]);
        s = run_text_finish(&ctx->outputs, tf, CLM_OK);
    }
    free(order);
    free(seen);
    free(gone);
    return s;
}

/*
 * survival_ranks.c — the estimator's finish on several ranks
 * (docs/design.md §7): the ranks' counts merged exactly, and the ARPU
 * sums carried over the ranks in row order, so that every rank finishes
 * with the serial run's cells and sums, bit for bit.
 *
 * Counts: each rank's distinct (slot, time) cells travel to every rank
 * (comm_allgather_bytes), are sorted by (slot, time) and equal pairs
 * merged: integer sums, exact in any order, and the serial order of the
 * cells (surv_cells_build: per slot, increasing time).  A stratum absent
 * from one rank's rows simply has no cells there; the slots are the same
 * on every rank (a categorical column's codes, or a range agreed before
 * counting).
 *
 * ARPU: the serial lane sums are running sums in row order (each chunk's
 * rows added one by one into the lane of its chunk, chunk % SURV_LANES),
 * which no set of partials reproduces in the last bit.  The ranks relay
 * the lane sums instead: rank r continues them over its own rows exactly
 * where rank r - 1 left them (comm_relay_*), and the last rank's sums are
 * broadcast.  Ranks wait for one another here, but only for one addition
 * per row.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "survival/survival_internal.h"
#include "survival/survival_ranks.h"
#include "io/io_table_ranks.h"

void surv_rank_rows(const comm_ctx *comm, int64_t n_rows, int64_t file_chunk, int64_t *first,
                    int64_t *n)
{
    comm_rows_aligned(comm, n_rows, SURV_CHUNK_ROWS, file_chunk, first, n);
}

int64_t surv_file_chunk(const clm_table *table, const clm_survival_columns *columns)
{
    int time = clm_table_find(table, columns && columns->time ? columns->time : "tenure_months");
    return time < 0 ? 0 : io_table_chunk_rows(table, &time, 1);
}

clm_status surv_relay_arpu(clm_survival *s, const comm_ctx *comm, int64_t first_row,
                           int64_t n_rows, const double *arpu, const int32_t *slot)
{
    const size_t n_slots = (size_t)s->n_slots;
    const size_t bytes = (size_t)SURV_LANES * n_slots * sizeof *s->lane_sums;
    double *lanes = s->lane_sums;
    memset(lanes, 0, bytes);
    clm_status st = comm_relay_receive(comm, lanes, bytes);
    /* Rank ranges are whole chunks: chunk c of this rank is global chunk
     * first_row / SURV_CHUNK_ROWS + c, in the lane a serial run gives it. */
    for (int64_t r0 = 0; !st && r0 < n_rows; r0 += SURV_CHUNK_ROWS) {
        const int64_t lane = (first_row + r0) / SURV_CHUNK_ROWS % SURV_LANES;
        clm_k_stratum_sum_f64_ref(util_block_len(n_rows, r0, SURV_CHUNK_ROWS), arpu + r0,
                                  slot ? slot + r0 : NULL, lanes + (size_t)lane * n_slots);
    }
    if (!st)
        st = comm_relay_send(comm, lanes, bytes);
    return st;
}

/* One cell on the wire: fixed-width fields, no padding. */
typedef struct wire_cell {
    double time;
    int64_t slot, censored, events;
} wire_cell;

static int cmp_wire(const void *a, const void *b)
{
    const wire_cell *x = a, *y = b;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return (x->time > y->time) - (x->time < y->time);
}

/* This rank's cells, as wire cells (*n of them, in a new buffer). */
static int local_cells(clm_survival *s, wire_cell **out, int64_t *n)
{
    surv_cells cells = {0}, all = {0};
    *out = NULL;
    if (surv_cells_build(s, &cells, &all)) {
        surv_cells_free(&cells);
        surv_cells_free(&all);
        return -1;
    }
    wire_cell *w = malloc((size_t)(cells.n_entries ? cells.n_entries : 1) * sizeof *w);
    for (int32_t slot = 0; w && slot < s->n_slots; slot++)
        for (int64_t e = cells.first[slot]; e < cells.first[slot + 1]; e++)
            w[e] = (wire_cell){cells.time[e], slot, cells.censored[e], cells.events[e]};
    *n = cells.n_entries;
    surv_cells_free(&cells);
    surv_cells_free(&all);
    *out = w;
    return w ? 0 : -1;
}

/* Every rank's wire cells -> the merged cells, in the serial order. */
static int merge_cells(const clm_survival *s, wire_cell *w, int64_t n, surv_cells *cells)
{
    qsort(w, (size_t)n, sizeof *w, cmp_wire);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (m > 0 && w[m - 1].slot == w[i].slot && w[m - 1].time == w[i].time) {
            w[m - 1].censored += w[i].censored;
            w[m - 1].events += w[i].events;
        } else {
            w[m++] = w[i];
        }
    }
    if (surv_cells_alloc(cells, s->n_slots, m))
        return -1;
    for (int64_t e = 0; e < m; e++) {
        cells->time[e] = w[e].time;
        cells->censored[e] = w[e].censored;
        cells->events[e] = w[e].events;
        cells->first[w[e].slot + 1]++;
    }
    for (int32_t slot = 0; slot < s->n_slots; slot++)
        cells->first[slot + 1] += cells->first[slot];
    return 0;
}

clm_status surv_finish_ranks(clm_survival *s, const comm_ctx *comm)
{
    if (s->failed)
        return clm_error(CLM_E_PARAM, "survival estimator: finish after an error");
    wire_cell *mine = NULL;
    void *every = NULL;
    size_t every_bytes = 0;
    int64_t n_mine = 0;
    surv_cells cells = {0}, all = {0};
    clm_status st = local_cells(s, &mine, &n_mine)
                        ? clm_error(CLM_E_NOMEM, "out of memory merging survival counts")
                        : CLM_OK;
    st = comm_agree(comm, st);
    if (!st)
        st = comm_allgather_bytes(comm, mine, (size_t)n_mine * sizeof *mine, &every, &every_bytes);
    free(mine);
    /* Every rank holds the same cells from here (only an allocation can
     * fail on one rank alone; the command agrees on the outcome). */
    if (!st && merge_cells(s, every, (int64_t)(every_bytes / sizeof(wire_cell)), &cells))
        st = clm_error(CLM_E_NOMEM, "out of memory merging survival counts");
    free(every);
    if (!st && surv_cells_overall(&cells, &all))
        st = clm_error(CLM_E_NOMEM, "out of memory merging survival counts");
    if (!st) {
        s->rows_seen = 0;
        for (int64_t e = 0; e < cells.n_entries; e++)
            s->rows_seen += cells.censored[e] + cells.events[e];
        if (s->rows_seen == 0)
            st = clm_error(CLM_E_EMPTY, "%s: no rows to estimate survival from", s->names[0]);
    }
    if (!st)
        st = surv_finish_cells(s, &cells, &all);
    surv_cells_free(&cells);
    surv_cells_free(&all);
    if (st)
        s->failed = 1;
    return st;
}

/*
 * cox_ranks.h — the Cox fit and customer equity on a rank's share of a
 * table (docs/design.md §7), for `clmseg run` and `clmseg predict` on
 * several ranks.
 */
#ifndef CLMSEG_COX_RANKS_H
#define CLMSEG_COX_RANKS_H

#include "clmseg/cox.h"
#include "clmseg/equity.h"
#include "clmseg/table.h"
#include "core/comm_internal.h"

/* Rows per partial of the expected number still active: the sums are
 * made per chunk of this many table rows and the chunks added in table
 * order, so the ranks split the rows by whole chunks of it. */
#define COX_EQUITY_CHUNK 4096

/* The rows [*first, *first + *count) a rank fits and projects: whole
 * chunks of COX_EQUITY_CHUNK rows, split as comm_rows_of does. */
static inline void cox_rank_rows(const comm_ctx *comm, int64_t n_rows, int64_t *first,
                                 int64_t *count)
{
    comm_rows_of(comm, n_rows, COX_EQUITY_CHUNK, first, count);
}

/* clm_cox_fit_table on the ranks of `comm` (NULL or one rank: the public
 * function itself): each rank reads the rows cox_rank_rows gives it, and
 * columns->strata_rows, when given, holds those rows' strata.  Every rank
 * gets the same model, bit for bit the serial fit's, and the same status. */
clm_status cox_fit_table_ranks(const clm_cox_params *params, const clm_cox_columns *columns,
                               const clm_table *table, const comm_ctx *comm, clm_cox **out);

/* clm_cox_equity_table on the ranks of `comm` (NULL or one rank: the
 * public function itself).  Each rank computes the rows
 * comm_rows_of(comm, n, COX_EQUITY_CHUNK): the per-row outputs of
 * *out (n_rows entries) are those rows', and strata_rows, when given,
 * holds theirs; expected_active and n_active are the whole table's, the
 * same bits on every rank.  Without `with_book` the relative hazard,
 * stratum and tenure the scenarios' book reads are left out (NULL: 20
 * bytes a row).  Every rank returns the same status and, on failure, the
 * same message (the first bad row of the table). */
clm_status cox_equity_table_ranks(const clm_cox *model, const clm_equity_params *params,
                                  const char *arpu, const int32_t *strata_rows,
                                  const clm_table *table, const comm_ctx *comm, int with_book,
                                  clm_equity **out);

/* Every rank's projected rows (`mine`, from cox_equity_table_ranks on
 * the same comm) into one projection of all n_all rows on rank 0 (*out;
 * NULL on the other ranks), in row order: the four per-row outputs, and
 * with `with_book` the relative hazard, stratum and tenure the scenarios'
 * book reads (else NULL in *out).  Rank 0's `mine` is taken (freed; on one
 * process it is *out, whole); another rank's stays the caller's.  Every
 * rank returns the same status. */
clm_status cox_equity_gather(const comm_ctx *comm, int64_t n_all, clm_equity *mine, int with_book,
                             clm_equity **out);

#endif /* CLMSEG_COX_RANKS_H */

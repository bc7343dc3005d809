/*
 * survival_ranks.h — `clmseg survival` on several ranks (docs/design.md
 * §7), kept apart from survival_internal.h so that the command line can
 * call it without the estimator's internals.
 */
#ifndef CLMSEG_SURVIVAL_RANKS_H
#define CLMSEG_SURVIVAL_RANKS_H

#include "clmseg/survival.h"
#include "clmseg/table.h"
#include "core/comm_internal.h"

/* Rows [*first, *first + *n) of this rank among the table's n_rows:
 * whole survival chunks (SURV_CHUNK_ROWS) cut by comm_chunks_of, so every
 * rank's chunks are global chunks and rank 0 has the first rows; a rank
 * may hold none (*n = 0).  Whole groups of `file_chunk` rows (the input
 * file's chunks, a multiple of SURV_CHUNK_ROWS) when the table has one
 * for each rank (comm_rows_aligned); 0: no alignment. */
void surv_rank_rows(const comm_ctx *comm, int64_t n_rows, int64_t file_chunk, int64_t *first,
                    int64_t *n);

/* The chunk rows of the input's time column (surv_rank_rows' file_chunk):
 * 0 when it is missing or not chunked. */
int64_t surv_file_chunk(const clm_table *table, const clm_survival_columns *columns);

/* clm_survival_fit_table on the ranks of `comm` (NULL or one rank: the
 * public function itself).  Each rank reads and counts its own rows
 * (surv_rank_rows); `columns->strata`, when given, holds this rank's rows
 * only.  The counts are merged exactly and every rank returns the same
 * status and message and, on success, the same finished estimator, equal
 * to a serial fit's; rank 0 alone writes it. */
clm_status surv_fit_table_ranks(const clm_survival_params *params,
                                const clm_survival_columns *columns, const clm_table *table,
                                const comm_ctx *comm, clm_survival **out);

#endif /* CLMSEG_SURVIVAL_RANKS_H */

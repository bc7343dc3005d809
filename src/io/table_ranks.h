/*
 * table_ranks.h — column summaries of a table split among ranks
 * (docs/design.md §7), for `clmseg inspect` on several ranks.
 */
#ifndef CLMSEG_TABLE_RANKS_H
#define CLMSEG_TABLE_RANKS_H

#include "clmseg/table.h"
#include "core/comm_internal.h"

/* clm_table_column_stats and clm_table_category_counts on the ranks of
 * `comm` (NULL or one rank: the public functions themselves).  Each rank
 * reads its own whole blocks of the summaries' block size (CLM_BLOCK_ROWS
 * rows, or the whole column when shorter); every rank gets the whole
 * column's figures, the serial ones bit for bit, and the same status and
 * message (the first bad row of the column). */
clm_status io_column_stats_ranks(const clm_table *table, int column, const comm_ctx *comm,
                                 clm_column_stats *out);
clm_status io_category_counts_ranks(const clm_table *table, int column, const comm_ctx *comm,
                                    int64_t *counts, int64_t *missing);

#endif /* CLMSEG_TABLE_RANKS_H */

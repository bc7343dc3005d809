/*
 * tree_ranks.h — the tree on several ranks (docs/design.md §7): the fit of
 * `clmseg tree` and the scoring of a rank's share of a table for `clmseg
 * predict`, kept apart from tree_internal.h so that the command line can
 * call them without the kernels' headers.
 */
#ifndef CLMSEG_TREE_RANKS_H
#define CLMSEG_TREE_RANKS_H

#include <stdint.h>

#include "clmseg/table.h"
#include "clmseg/tree.h"
#include "core/comm_internal.h"

/* clm_tree_fit_table on the ranks of `comm` (NULL or one rank: the
 * public function itself).  Each rank reads, bins and routes its own
 * rows; every rank returns the same status and, on failure, the same
 * detail message.  The tree, its metrics and importance are complete on
 * every rank; each rank holds its own rows (tree_rows_here) for
 * clm_tree_predict_training and clm_tree_holdout_mask, until
 * tree_gather_outputs. */
clm_status tree_fit_table_ranks(const clm_tree_params *params, const clm_tree_columns *columns,
                                const clm_table *table, const comm_ctx *comm, clm_tree **out);

/* The table rows [*first, *first + *n) this rank holds. */
void tree_rows_here(const clm_tree *tree, int64_t *first, int64_t *n);

/* After a fit on several ranks: rank 0 gets every row's leaf and the
 * holdout mask, so that clm_tree_predict_training and
 * clm_tree_holdout_mask there cover all clm_tree_n_rows rows (4 + 1 bytes
 * a row), for outputs rank 0 alone writes.  A collective; agreed.  One
 * rank: nothing. */
clm_status tree_gather_outputs(clm_tree *tree);

/* clm_tree_predict_table for the table's rows [first, first + n) only:
 * out[0 .. n x K) are theirs, and a message names the table's row. */
clm_status tree_predict_table_rows(const clm_tree *tree, const clm_table *table, int64_t first,
                                   int64_t n, float *out);

#endif /* CLMSEG_TREE_RANKS_H */

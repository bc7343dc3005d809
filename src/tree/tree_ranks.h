/*
 * tree_ranks.h — scoring a rank's share of a table (docs/design.md §7),
 * for `clmseg predict` on several ranks.
 */
#ifndef CLMSEG_TREE_RANKS_H
#define CLMSEG_TREE_RANKS_H

#include <stdint.h>

#include "clmseg/table.h"
#include "clmseg/tree.h"

/* clm_tree_predict_table for the table's rows [first, first + n) only:
 * out[0 .. n x K) are theirs, and a message names the table's row. */
clm_status tree_predict_table_rows(const clm_tree *tree, const clm_table *table, int64_t first,
                                   int64_t n, float *out);

#endif /* CLMSEG_TREE_RANKS_H */

/*
 * ranks.c — the tree on several ranks (docs/design.md §7): which rows a
 * rank holds, the sums that make every rank's figures the whole table's,
 * the holdout draw over the whole table, and what rank 0 gathers for the
 * outputs.
 *
 * Everything the tree adds up is an integer count (class histograms,
 * class rows, leaf counts, right predictions), summed exactly by
 * comm_sum_i64, so the tree, its metrics and its importance are the
 * serial run's for any rank count.  The holdout is a serial draw over
 * the whole table, reproduced from a small gathered column (selection
 * sampling in row order: every rank gathers the targets, one byte a row,
 * tree_gather_column); the importance's shuffles are keyed permutations
 * whose images each rank computes for its own rows (importance.c), over
 * the gathered holdout bins (one byte a holdout row per used feature).
 */
#include <stdlib.h>
#include <string.h>

#include "tree/tree_internal.h"

void tree_rank_rows(const comm_ctx *comm, int64_t n_all_rows, int64_t file_chunk, int64_t *first_row,
                    int64_t *n_rows)
{
    comm_rows_aligned(comm, n_all_rows, TREE_CHUNK_ROWS, file_chunk, first_row, n_rows);
}

void tree_sum(const tree_data *data, int64_t *values, int64_t n)
{
    if (!comm_is_parallel(data->comm))
        return;
    /* MPI counts are ints. */
    const int64_t piece = (int64_t)1 << 30;
    for (int64_t at = 0; at < n; at += piece) {
        clm_status st = comm_sum_i64(data->comm, values + at, (int)(n - at < piece ? n - at : piece));
        if (st)
            comm_abort_unagreed(data->comm, st);
    }
}

int64_t tree_sum_one(const tree_data *data, int64_t local)
{
    tree_sum(data, &local, 1);
    return local;
}

clm_status tree_gather_column(const tree_data *data, const uint8_t *mine, int64_t n_here,
                              uint8_t *all, int64_t n_all)
{
    if (!comm_is_parallel(data->comm)) {
        if (n_here > 0)
            memcpy(all, mine, (size_t)n_here);
        return CLM_OK;
    }
    void *got = NULL;
    size_t got_bytes = 0;
    clm_status st = comm_allgather_bytes(data->comm, mine, (size_t)n_here, &got, &got_bytes);
    if (!st && got_bytes != (size_t)n_all)
        st = clm_error(CLM_E_INTERNAL, "tree: %zu bytes gathered for %lld rows", got_bytes,
                       (long long)n_all);
    if (!st && n_all > 0)
        memcpy(all, got, (size_t)n_all);
    free(got);
    return comm_agree(data->comm, st);
}

clm_status tree_holdout_ranks(const tree_data *data, double fraction, uint64_t seed,
                              uint8_t *holdout, int64_t *n_train, int64_t *n_test,
                              int64_t *first_test)
{
    /* Algorithm S decides each row from the picks before it, and from
     * nothing else than the walk's state: the ranks walk their rows in
     * rank order, each from the state the rank before it hands on
     * (comm_relay_*, about 1 KB), the last rank's final state to every
     * rank.  Every row's draw is made once, on its rank.  On one rank the
     * sum and the relay do nothing: the serial split. */
    int64_t counts[CLM_TREE_MAX_CLASSES] = {0};
    for (int64_t i = 0; i < data->n_rows; i++)
        counts[data->y[i]]++;
    tree_sum(data, counts, data->n_classes);
    tree_holdout_state walk;
    tree_holdout_start(&walk, counts, data->n_classes, fraction);
    clm_status st = comm_relay_receive(data->comm, &walk, sizeof walk);
    comm_abort_unagreed(data->comm, st);
    *first_test = walk.n_test;
    tree_holdout_rows(&walk, data->y, data->n_rows, data->first_row, seed, holdout, NULL, NULL);
    st = comm_relay_send(data->comm, &walk, sizeof walk);
    comm_abort_unagreed(data->comm, st);
    *n_train = walk.n_train;
    *n_test = walk.n_test;
    return CLM_OK;
}

void tree_rows_here(const clm_tree *tree, int64_t *first, int64_t *n)
{
    *first = tree->data.first_row;
    *n = tree->data.n_rows;
}

clm_status tree_gather_outputs(clm_tree *tree)
{
    const tree_data *data = &tree->data;
    const comm_ctx *comm = data->comm;
    if (!comm_is_parallel(comm))
        return CLM_OK;
    const int root = comm->rank == 0;
    const int64_t n = data->n_rows, n_all = data->n_all_rows, F = data->n_features;
    int32_t *leaf = malloc((size_t)(n > 0 ? n : 1) * sizeof *leaf);
    int32_t *all = root ? malloc((size_t)n_all * sizeof *all) : NULL;
    uint8_t *mask = root && tree->holdout ? malloc((size_t)n_all) : NULL;
    clm_status st = (!leaf || (root && !all) || (root && tree->holdout && !mask))
        ? clm_error(CLM_E_NOMEM, "tree: out of memory gathering %lld rows' leaves", (long long)n_all)
        : CLM_OK;
    if (!(st = comm_agree(comm, st))) {
        for (int64_t i = 0; i < n; i++)
            leaf[i] = tree_leaf_of(tree, data->bins + i * F, -1, 0);
        st = comm_agree(comm, comm_gather_rows(comm, leaf, n, sizeof *leaf, all, n_all));
    }
    if (!st && tree->holdout)
        st = comm_agree(comm, comm_gather_rows(comm, tree->holdout, n, 1, mask, n_all));
    free(leaf);
    if (st) {
        free(all);
        free(mask);
        return st;
    }
    tree->row_leaf = all;
    if (mask) {
        free(tree->holdout);
        tree->holdout = mask;
    }
    return CLM_OK;
}

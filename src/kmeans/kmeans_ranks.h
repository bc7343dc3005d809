/*
 * kmeans_ranks.h — the k-means command's entry on several ranks
 * (docs/design.md §7), kept apart from kmeans_internal.h so that the
 * command line can call it without the kernels' headers.
 */
#ifndef CLMSEG_KMEANS_RANKS_H
#define CLMSEG_KMEANS_RANKS_H

#include "clmseg/kmeans.h"
#include "clmseg/table.h"
#include "core/comm_internal.h"

/* clm_kmeans_fit_table on the ranks of `comm` (NULL or one rank: the
 * public function itself).  Each rank reads and clusters its own rows;
 * every rank returns the same status and, on failure, the same detail
 * message.  The model's centroids, figures and segment profile are
 * complete on every rank; the per-row labels and distances are those of
 * this rank's input rows only.  Rank 0 writes the outputs
 * (clm_kmeans_save, which lays the per-row columns out, clm_kmeans_write_csv,
 * clm_kmeans_print); then every rank writes its rows (km_save_rank_rows). */
clm_status km_fit_table_ranks(const clm_kmeans_params *p, const clm_kmeans_columns *columns,
                              const clm_table *table, const comm_ctx *comm, clm_kmeans **out);

/* After rank 0 has saved the model into `group` of a results file and
 * closed it (clm_writer_close; `path` is its temporary name, used on rank
 * 0 only): every rank writes its rows of the per-row columns, collectively
 * (io_write_rank_rows).  The status is agreed; with the rows all on one
 * process (serial, one rank) it does nothing. */
clm_status km_save_rank_rows(const clm_kmeans *model, const comm_ctx *comm, const char *path,
                             const char *group);

/* After a fit on several ranks: rank 0 gets every input row's label and
 * distance (and the model is then that of a one-process fit there: saved
 * whole by clm_kmeans_save); the other ranks keep theirs.  For the
 * quarterly run, whose later steps rank 0 alone runs.  Agreed status;
 * nothing to do for a fit on one process. */
clm_status km_gather_rows(clm_kmeans *model, const comm_ctx *comm);

/* The input rows whose labels and distances this process holds:
 * [*first, *first + *n) (before km_gather_rows on rank 0: its own). */
void km_rows_here(const clm_kmeans *model, int64_t *first, int64_t *n);

/* clm_kmeans_predict_table for the table's rows [first, first + n) only
 * (a rank's share): labels[0..n) and distances[0..n) (NULL: not wanted)
 * are theirs, and a message names the table's row. */
clm_status km_predict_table_rows(const clm_kmeans *model, const clm_table *table, int64_t first,
                                 int64_t n, int32_t *labels, float *distances);

#endif /* CLMSEG_KMEANS_RANKS_H */

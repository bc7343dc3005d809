/*
 * cox_gather.c — every rank's projected equity rows into one projection
 * of the whole table on rank 0, for the run's steps that rank 0 runs alone
 * on every row (the equity's sums by group, the scenarios' book).  The
 * rows arrive in table order (comm_gather_rows), so rank 0 holds the
 * bytes the serial projection gives.  (`clmseg cox --equity` gathers
 * nothing: each rank writes its own rows.)
 */
#include <stdlib.h>
#include <string.h>

#include "cox/cox_ranks.h"

clm_status cox_equity_gather(const comm_ctx *comm, int64_t n_all, clm_equity *mine, int with_book,
                             clm_equity **out)
{
    *out = NULL;
    if (!comm_is_parallel(comm)) {
        *out = mine;
        return CLM_OK;
    }
    const int root = comm->rank == 0;
    clm_equity *all = root ? calloc(1, sizeof *all) : NULL;
    clm_status st = CLM_OK;
    if (root) {
        const size_t n = (size_t)(n_all > 0 ? n_all : 1), h = (size_t)mine->horizon + 1;
        if (all) {
            all->n_rows = n_all;
            all->n_active = mine->n_active;
            all->horizon = mine->horizon;
            all->leave_3 = malloc(n * sizeof(float));
            all->leave_12 = malloc(n * sizeof(float));
            all->expected_months = malloc(n * sizeof(float));
            all->value = malloc(n * sizeof(float));
            all->expected_active = malloc(h * sizeof(double));
            if (with_book) {
                all->relative_hazard = malloc(n * sizeof(double));
                all->stratum = malloc(n * sizeof(int32_t));
                all->tenure = malloc(n * sizeof(double));
            }
        }
        if (!all || !all->leave_3 || !all->leave_12 || !all->expected_months || !all->value ||
            !all->expected_active ||
            (with_book && (!all->relative_hazard || !all->stratum || !all->tenure)))
            st = clm_error(CLM_E_NOMEM, "out of memory for the equity of %lld rows",
                           (long long)n_all);
        else /* the whole table's, the same on every rank */
            memcpy(all->expected_active, mine->expected_active, h * sizeof(double));
    }
    st = comm_agree(comm, st);
    struct { void *local, *whole; size_t bytes; } col[] = {
        {mine->leave_3, all ? all->leave_3 : NULL, sizeof(float)},
        {mine->leave_12, all ? all->leave_12 : NULL, sizeof(float)},
        {mine->expected_months, all ? all->expected_months : NULL, sizeof(float)},
        {mine->value, all ? all->value : NULL, sizeof(float)},
        {mine->relative_hazard, all ? all->relative_hazard : NULL, sizeof(double)},
        {mine->stratum, all ? all->stratum : NULL, sizeof(int32_t)},
        {mine->tenure, all ? all->tenure : NULL, sizeof(double)},
    };
    const size_t n_col = with_book ? sizeof col / sizeof col[0] : 4;
    for (size_t c = 0; !st && c < n_col; c++)
        st = comm_gather_rows(comm, col[c].local, mine->n_rows, col[c].bytes, col[c].whole, n_all);
    if (root)
        clm_equity_free(mine);
    if (st) {
        clm_equity_free(all);
        return st;
    }
    *out = all;
    return CLM_OK;
}

/*
 * histogram.c — the parallel driver of the histogram kernel.
 *
 * A node's rows are cut into fixed blocks; each thread counts the blocks
 * it takes into its own uint32 buffer, and the buffers are merged into the
 * node's int64 histogram in thread order after the region (no atomics).
 * Counts are integers, so the merged histogram is the same whichever
 * thread counted which block, for any thread count: blocks are therefore
 * handed out dynamically, so that on a loaded machine a thread that is
 * descheduled does not hold up the others with a fixed share.  Nodes of
 * fewer than SERIAL_ROWS rows are counted on the calling thread: on 2
 * shared cores a region costs up to a scheduler slice, more than the work
 * (1M x 16 at depth 8 with 2 threads on a loaded machine: 16,384 rows gave
 * growth of 0.07 s at best but 0.40 s at worst, 131,072 rows 0.07 / 0.19 s;
 * one thread 0.09 s).
 *
 * tree_route_build() is the same driver for the row-label form of growth:
 * each block's labels are scanned, the node's rows relabelled to their
 * child and one child counted, in one pass.  Kernels are called through
 * the tree's context (data->kernels); their variants count identically.
 * On several ranks both sum their histogram (and the route its counts)
 * over the ranks (tree_sum): each rank counts its own rows.
 */
#include <omp.h>
#include <string.h>

#include "core/util_internal.h"
#include "tree/tree_internal.h"

int64_t tree_hist_size(const tree_data *data)
{
    return (int64_t)data->n_features * CLM_K_HIST_BINS * data->n_classes;
}

static void count_rows(const tree_data *data, const int32_t *rows, int64_t first,
                       int64_t n, uint32_t *hist)
{
    data->kernels->hist_u8(data->bins, data->n_features, data->y, data->n_classes,
                           rows ? rows + first : NULL, first, n, hist);
}

/* Rows below which a node is counted without a parallel region (see the
 * top of the file). */
#define SERIAL_ROWS 131072

void tree_schedule_default(tree_schedule *schedule)
{
    schedule->serial_rows = SERIAL_ROWS;
    schedule->force_rows = 0;
    schedule->list_share = TREE_LIST_SHARE;
}
/* Rows per block handed to a thread. */
#define BLOCK_ROWS 16384

static void hist_build_here(const tree_data *data, const int32_t *rows, int64_t n,
                            int n_threads, uint32_t *scratch, int64_t *hist)
{
    const int64_t size = tree_hist_size(data);
    if (n_threads < 1)
        n_threads = 1;
    if (n < data->schedule.serial_rows || n_threads == 1) {
        memset(scratch, 0, (size_t)size * sizeof *scratch);
        /* uint32 counters cannot overflow within 2^31 rows (row ids are
         * int32). */
        count_rows(data, rows, 0, n, scratch);
        for (int64_t i = 0; i < size; i++)
            hist[i] = scratch[i];
        return;
    }
    const int64_t n_blocks = (n + BLOCK_ROWS - 1) / BLOCK_ROWS;
    #pragma omp parallel num_threads(n_threads)
    {
        int t = omp_get_thread_num();
        uint32_t *mine = scratch + (int64_t)t * size;
        memset(mine, 0, (size_t)size * sizeof *mine);
        #pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < n_blocks; b++) {
            int64_t first = b * BLOCK_ROWS;
            int64_t count = util_block_len(n, first, BLOCK_ROWS);
            count_rows(data, rows, first, count, mine);
        }
        /* Merge: each counter is summed over all thread buffers in thread
         * order, whichever thread does it. */
        int nt = omp_get_num_threads();
        #pragma omp for schedule(dynamic, 256)
        for (int64_t i = 0; i < size; i++) {
            int64_t s = 0;
            for (int u = 0; u < nt; u++)
                s += scratch[(int64_t)u * size + i];
            hist[i] = s;
        }
    }
}

void tree_hist_build(const tree_data *data, const int32_t *rows, int64_t n,
                     int n_threads, uint32_t *scratch, int64_t *hist)
{
    hist_build_here(data, rows, n, n_threads, scratch, hist);
    tree_sum(data, hist, tree_hist_size(data));
}

/* Labels scanned per block of the route pass (a byte each, plus the rows
 * of the node among them). */
#define ROUTE_BLOCK_ROWS 65536

static int64_t route_rows(const tree_data *data, uint8_t *labels, int64_t first, int64_t n,
                          const tree_route *route, uint32_t *hist, int64_t *n_left)
{
    return data->kernels->route_hist_u8(data->bins, data->n_features, data->y,
                                        data->n_classes, labels, first, n, route->slot,
                                        route->feature, route->goes_left, route->left_label,
                                        route->right_label, route->count_side, hist, n_left);
}

/* Widens a span [*lo, *hi) to hold [first, first + n). */
static void span_add(int64_t *lo, int64_t *hi, int64_t first, int64_t n)
{
    if (first < *lo)
        *lo = first;
    if (first + n > *hi)
        *hi = first + n;
}

void tree_route_build(const tree_data *data, uint8_t *labels, const tree_route *route,
                      int n_threads, uint32_t *scratch, int64_t *hist, tree_route_result *out)
{
    const int64_t size = tree_hist_size(data);
    const int64_t begin = route->begin, end = route->end;
    const int64_t n_blocks = (end - begin + ROUTE_BLOCK_ROWS - 1) / ROUTE_BLOCK_ROWS;
    if (n_threads < 1)
        n_threads = 1;
    /* On the calling thread when it scans fewer than 16 * serial_rows labels
     * and routes fewer than serial_rows rows: a label costs about a
     * sixteenth of a routed row. */
    const int64_t serial_rows = data->schedule.serial_rows;
    if (n_threads == 1 || (end - begin < 16 * serial_rows && route->n_rows < serial_rows))
        n_threads = 1;
    /* Per-thread totals: matched, left, and the spans of each side at
     * block granularity (min / max do not depend on the thread count). */
    int64_t matched[256], left[256], lo[2][256], hi[2][256];
    if (n_threads > 256)
        n_threads = 256;
    /* Threads the runtime does not start keep empty totals. */
    for (int t = 0; t < n_threads; t++) {
        matched[t] = left[t] = 0;
        lo[0][t] = lo[1][t] = end;
        hi[0][t] = hi[1][t] = begin;
    }
    #pragma omp parallel num_threads(n_threads)
    {
        int t = omp_get_thread_num();
        uint32_t *mine = scratch + (int64_t)t * size;
        if (hist)
            memset(mine, 0, (size_t)size * sizeof *mine);
        #pragma omp for schedule(dynamic, 1)
        for (int64_t b = 0; b < n_blocks; b++) {
            int64_t first = begin + b * ROUTE_BLOCK_ROWS;
            int64_t count = util_block_len(end, first, ROUTE_BLOCK_ROWS);
            int64_t block_left = 0;
            int64_t m = route_rows(data, labels, first, count, route, hist ? mine : NULL,
                                   &block_left);
            matched[t] += m;
            left[t] += block_left;
            if (block_left > 0)
                span_add(&lo[1][t], &hi[1][t], first, count);
            if (m - block_left > 0)
                span_add(&lo[0][t], &hi[0][t], first, count);
        }
        if (hist) {
            int nt = omp_get_num_threads();
            #pragma omp for schedule(dynamic, 256)
            for (int64_t i = 0; i < size; i++) {
                int64_t s = 0;
                for (int u = 0; u < nt; u++)
                    s += scratch[(int64_t)u * size + i];
                hist[i] = s;
            }
        }
    }
    out->n_rows = out->n_left = 0;
    out->left_begin = out->right_begin = end;
    out->left_end = out->right_end = begin;
    for (int t = 0; t < n_threads; t++) {
        out->n_rows += matched[t];
        out->n_left += left[t];
        span_add(&out->left_begin, &out->left_end, lo[1][t], hi[1][t] - lo[1][t]);
        span_add(&out->right_begin, &out->right_end, lo[0][t], hi[0][t] - lo[0][t]);
    }
    /* The spans are this rank's, the counts the whole table's. */
    if (hist)
        tree_sum(data, hist, size);
    int64_t counts[2] = {out->n_rows, out->n_left};
    tree_sum(data, counts, 2);
    out->n_rows = counts[0];
    out->n_left = counts[1];
}

int64_t tree_label_rows(const tree_data *data, const uint8_t *labels, int64_t begin,
                        int64_t end, uint8_t slot, int32_t *rows)
{
    return data->kernels->label_rows_u8(labels, begin, end - begin, slot, rows);
}

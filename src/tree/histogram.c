/*
 * histogram.c — the parallel driver of the histogram kernel.
 *
 * A node's rows are cut into fixed blocks handed out statically; each
 * thread counts its blocks into its own uint32 buffer, and the buffers are
 * merged into the node's int64 histogram in thread order after the region
 * (no atomics).  Counts are integers, so the merged histogram is the same
 * for any thread count.  Small nodes are counted on the calling thread:
 * the region would cost more than the work.
 */
#include <omp.h>
#include <string.h>

#include "histogram.h"
#include "tree/tree_internal.h"

static int use_reference_kernel = 0;

void tree_hist_use_reference(int on)
{
    use_reference_kernel = on;
}

int64_t tree_hist_size(const tree_data *data)
{
    return (int64_t)data->n_features * CLM_K_HIST_BINS * data->n_classes;
}

static void count_rows(const tree_data *data, const int32_t *rows, int64_t first,
                       int64_t n, uint32_t *hist)
{
    if (use_reference_kernel)
        clm_k_hist_u8_ref(data->bins, data->n_features, data->y, data->n_classes,
                          rows ? rows + first : NULL, first, n, hist);
    else
        clm_k_hist_u8_tuned(data->bins, data->n_features, data->y, data->n_classes,
                            rows ? rows + first : NULL, first, n, hist);
}

/* Rows below which a node is counted without a parallel region. */
#define SERIAL_ROWS 16384
/* Rows per block handed to a thread. */
#define BLOCK_ROWS 16384

void tree_hist_build(const tree_data *data, const int32_t *rows, int64_t n,
                     int n_threads, uint32_t *scratch, int64_t *hist)
{
    const int64_t size = tree_hist_size(data);
    if (n_threads < 1)
        n_threads = 1;
    if (n < SERIAL_ROWS || n_threads == 1) {
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
        #pragma omp for schedule(static)
        for (int64_t b = 0; b < n_blocks; b++) {
            int64_t first = b * BLOCK_ROWS;
            int64_t count = n - first < BLOCK_ROWS ? n - first : BLOCK_ROWS;
            count_rows(data, rows, first, count, mine);
        }
        /* Merge: each thread sums a slice of the counters over all thread
         * buffers in thread order. */
        int nt = omp_get_num_threads();
        #pragma omp for schedule(static)
        for (int64_t i = 0; i < size; i++) {
            int64_t s = 0;
            for (int u = 0; u < nt; u++)
                s += scratch[(int64_t)u * size + i];
            hist[i] = s;
        }
    }
}

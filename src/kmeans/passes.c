/*
 * passes.c — the parallel passes over the in-memory feature matrix that
 * Lloyd's loop, the seeding and prediction share: assignment (one block
 * product per row block, see product.c, + vectorised argmin, keeping the centroid sums current
 * by moving the rows that changed cluster), exact inertia, and the
 * variance behind the tolerance.
 *
 * Each pass computes one partial per fixed chunk and merges the partials
 * in chunk order after the parallel region, so the results do not depend
 * on the number of threads (see kmeans_internal.h).  No N x k matrix is
 * ever formed: a thread holds block x k dot products at a time.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"
#include "core/util_internal.h"

int km_threads(int n_threads)
{
    return util_threads(n_threads);
}

void km_data_init(km_data *data, const float *rows, const float *weights,
                  int64_t n_rows, int n_features, int n_threads)
{
    data->rows = rows;
    data->weights = weights;
    data->n_rows = n_rows;
    data->n_features = n_features;
    const int64_t chunk = km_chunk_rows(n_rows);
    data->chunk_rows = chunk;
    data->n_chunks = n_rows > 0 ? (n_rows + chunk - 1) / chunk : 0;
    data->n_threads = km_threads(n_threads);
    data->product = KM_PRODUCT_AUTO;
    data->kernels = clm_kernels_default();
    data->comm = NULL;
    data->n_all_rows = n_rows;
    data->n_all_chunks = data->n_chunks;
    data->first_row = 0;
    data->chunk0 = 0;
}

int64_t km_chunk_rows(int64_t n_rows)
{
    /* About 64 chunks for small inputs (so tests exercise the merge and two
     * threads share work), 64 Ki rows for large ones (few partials). */
    int64_t chunk = (n_rows + 63) / 64;
    if (chunk < 4096)
        chunk = 4096;
    if (chunk > CLM_BLOCK_ROWS)
        chunk = CLM_BLOCK_ROWS;
    return chunk;
}

/* Chunks of this rank: [*chunk0, *chunk0 + *n_chunks). */
static void rank_chunks(const comm_ctx *comm, int64_t n_all_rows, int64_t *chunk0,
                        int64_t *n_chunks)
{
    const int64_t chunk = km_chunk_rows(n_all_rows);
    const int64_t n_all_chunks = n_all_rows > 0 ? (n_all_rows + chunk - 1) / chunk : 0;
    comm_chunks_of(comm, comm ? comm->rank : 0, n_all_chunks, chunk0, n_chunks);
}

void km_rank_rows(const comm_ctx *comm, int64_t n_all_rows, int64_t *first_row, int64_t *n_rows)
{
    comm_rows_of(comm, n_all_rows, km_chunk_rows(n_all_rows), first_row, n_rows);
}

void km_data_init_ranks(km_data *data, const comm_ctx *comm, const float *rows,
                        const float *weights, int64_t n_all_rows, int n_features, int n_threads)
{
    int64_t first_row, n_rows, chunk0, n_chunks;
    km_rank_rows(comm, n_all_rows, &first_row, &n_rows);
    rank_chunks(comm, n_all_rows, &chunk0, &n_chunks);
    km_data_init(data, rows, weights, n_rows, n_features, n_threads);
    /* The chunking is the whole table's, not that of this rank's rows. */
    data->chunk_rows = km_chunk_rows(n_all_rows);
    data->n_chunks = n_chunks;
    data->comm = comm;
    data->n_all_rows = n_all_rows;
    data->n_all_chunks = n_all_rows > 0 ? (n_all_rows + data->chunk_rows - 1) / data->chunk_rows : 0;
    data->first_row = first_row;
    data->chunk0 = chunk0;
}

int64_t km_gemm_block_rows(int k, int n_features)
{
    /* OpenBLAS 0.3.21 runs sgemm on one thread when m*n*k <= 65536 * 4;
     * staying under it keeps every call on the calling thread even when the
     * team has a single thread (where omp_in_parallel() is false).  At
     * most 128 rows: the block (8 KB for d = 16) and its dot products stay
     * in L1 between the sgemm, the argmin and the accumulation.  Whole
     * assignment pass, 1 thread, 2M x 16, k = 8, small-matrix sgemm
     * kernel: 9.2 ms per 1M rows with 64 to 128-row blocks, 10.0-10.2 ms
     * with 32 or 160 to 1024 rows (an isolated sgemm loop alone prefers
     * 256: 5.1 vs 5.2 ms). */
    int64_t rows = 262144 / ((int64_t)k * n_features);
    if (rows > 128)
        rows = 128;
    rows -= rows % 8;
    if (rows < 8)
        rows = 8;
    return rows;
}

clm_status km_assign(const km_data *data, const float *centroids, int k,
                     int32_t *labels, double *sums, double *counts, int64_t *n_changed)
{
    const int d = data->n_features;
    const int64_t block = km_gemm_block_rows(k, d);
    const int threads = data->n_threads;
    const int64_t n_chunks = data->n_chunks;
    const int64_t part_len = (int64_t)k * d + k;

    km_product prod;
    clm_status st = km_product_init(&prod, data->kernels, data->product, centroids, k, d);
    if (st)
        return st;
    const int64_t ld = prod.ld;
    float *norms = malloc(sizeof(float) * (size_t)k);
    float *dots = malloc(sizeof(float) * (size_t)(block * ld * threads));
    int32_t *scratch = malloc(sizeof(int32_t) * (size_t)(block * threads));
    int64_t *changed = calloc((size_t)(n_chunks + 1), sizeof(int64_t));
    double *part = sums ? calloc((size_t)(data->n_all_chunks * part_len + 1), sizeof(double)) : NULL;
    /* Each thread sums a chunk's changes into its own buffer (padded to
     * whole cache lines) and copies it out at the end of the chunk:
     * accumulating in place would make neighbouring chunks on two cores
     * share a line. */
    const int64_t acc_stride = (part_len + 7) / 8 * 8;
    double *acc = sums ? aligned_alloc(64, sizeof(double) * (size_t)(acc_stride * threads)) : NULL;
    if (!norms || !dots || !scratch || !changed || (sums && (!part || !acc))) {
        free(norms); free(dots); free(scratch); free(changed); free(part); free(acc);
        km_product_free(&prod);
        return clm_error(CLM_E_NOMEM, "k-means: out of memory in the assignment pass");
    }
    for (int j = 0; j < k; j++) {
        double s = 0.0;
        for (int f = 0; f < d; f++) {
            double v = centroids[(int64_t)j * d + f];
            s += v * v;
        }
        norms[j] = (float)s;
    }

#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num();
        float *my_dots = dots + (int64_t)t * block * ld;
        int32_t *my_labels = scratch + (int64_t)t * block;
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < n_chunks; c++) {
            int64_t row0, count, n_diff = 0;
            km_chunk(data, c, &row0, &count);
            double *psum = part ? acc + (int64_t)t * acc_stride : NULL;
            if (psum)
                memset(psum, 0, sizeof(double) * (size_t)part_len);
            for (int64_t b = 0; b < count; b += block) {
                int64_t nb = util_block_len(count, b, block);
                const float *x = data->rows + (row0 + b) * d;
                /* dots (nb x ld) = -2 X C^T, on this thread */
                km_product_block(&prod, x, nb, my_dots);
                data->kernels->argmin_f32(my_dots, ld, nb, k, norms, NULL, my_labels, NULL);
                int32_t *out = labels + row0 + b;
                if (psum)
                    n_diff += data->kernels->centroid_update_f32(
                        x, nb, d, out, my_labels,
                        data->weights ? data->weights + row0 + b : NULL, psum,
                        psum + (int64_t)k * d);
                else if (n_changed)
                    for (int64_t i = 0; i < nb; i++)
                        n_diff += out[i] != my_labels[i];
                memcpy(out, my_labels, sizeof(int32_t) * (size_t)nb);
            }
            changed[c] = n_diff;
            if (psum)
                memcpy(part + (data->chunk0 + c) * part_len, psum, sizeof(double) * (size_t)part_len);
        }
    }

    int64_t total = 0;
    for (int64_t c = 0; c < n_chunks; c++)
        total += changed[c];
    st = comm_sum_i64(data->comm, &total, 1);
    if (!st && sums)
        st = km_share(data, part, sizeof(double) * (size_t)part_len);
    if (n_changed)
        *n_changed = total;
    if (!st && sums) {
        for (int64_t c = 0; c < data->n_all_chunks; c++) {
            const double *p = part + c * part_len;
            for (int64_t i = 0; i < (int64_t)k * d; i++)
                sums[i] += p[i];
            for (int j = 0; j < k; j++)
                counts[j] += p[(int64_t)k * d + j];
        }
    }
    free(norms); free(dots); free(scratch); free(changed); free(part); free(acc);
    km_product_free(&prod);
    return st;
}

clm_status km_inertia(const km_data *data, const float *centroids, int32_t *labels,
                      double *inertia)
{
    const int d = data->n_features;
    const int threads = data->n_threads;
    const int64_t n_chunks = data->n_chunks;
    const int64_t block = 1024;
    double *part = calloc((size_t)(data->n_all_chunks + 1), sizeof(double));
    double *tmp = malloc(sizeof(double) * (size_t)(block * threads));
    if (!part || !tmp) {
        free(part); free(tmp);
        return clm_error(CLM_E_NOMEM, "k-means: out of memory computing the inertia");
    }
#pragma omp parallel num_threads(threads)
    {
        double *my = tmp + (int64_t)omp_get_thread_num() * block;
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < n_chunks; c++) {
            int64_t row0, count;
            km_chunk(data, c, &row0, &count);
            double s = 0.0;
            for (int64_t b = 0; b < count; b += block) {
                int64_t nb = util_block_len(count, b, block);
                data->kernels->sqdist_f64(data->rows + (row0 + b) * d, nb, d, labels + row0 + b,
                                          centroids, my);
                if (data->weights) {
                    const float *w = data->weights + row0 + b;
                    for (int64_t i = 0; i < nb; i++)
                        s += (double)w[i] * my[i];
                } else {
                    for (int64_t i = 0; i < nb; i++)
                        s += my[i];
                }
            }
            part[data->chunk0 + c] = s;
        }
    }
    clm_status st = km_share(data, part, sizeof(double));
    double total = 0.0;
    for (int64_t c = 0; c < data->n_all_chunks; c++)
        total += part[c];
    *inertia = total;
    free(part); free(tmp);
    return st;
}

/* Per-chunk column sums of x (pass 0) or of (x - mean)^2 (pass 1), each
 * summed in a thread's own cache lines and stored once per chunk (see
 * feature_moment in features.c: no false sharing between neighbours). */
static clm_status column_moment(const km_data *data, const double *mean, double *out)
{
    const int d = data->n_features;
    const int64_t n_chunks = data->n_chunks;
    const int64_t stride = ((int64_t)d + 7) / 8 * 8 + 8;
    double *part = calloc((size_t)(data->n_all_chunks * d + 1), sizeof(double));
    double *acc = malloc(sizeof(double) * (size_t)(stride * data->n_threads));
    if (!part || !acc) {
        free(part);
        free(acc);
        return clm_error(CLM_E_NOMEM, "k-means: out of memory computing variances");
    }
#pragma omp parallel num_threads(data->n_threads)
    {
        double *p = acc + stride * omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < n_chunks; c++) {
            int64_t row0, count;
            km_chunk(data, c, &row0, &count);
            for (int f = 0; f < d; f++)
                p[f] = 0.0;
            for (int64_t i = row0; i < row0 + count; i++) {
                const float *x = data->rows + i * d;
                if (mean)
                    for (int f = 0; f < d; f++) {
                        double v = (double)x[f] - mean[f];
                        p[f] += v * v;
                    }
                else
                    for (int f = 0; f < d; f++)
                        p[f] += (double)x[f];
            }
            memcpy(part + (data->chunk0 + c) * d, p, sizeof(double) * (size_t)d);
        }
    }
    clm_status st = km_share(data, part, sizeof(double) * (size_t)d);
    for (int f = 0; f < d; f++)
        out[f] = 0.0;
    for (int64_t c = 0; c < data->n_all_chunks; c++)
        for (int f = 0; f < d; f++)
            out[f] += part[c * d + f];
    free(part);
    free(acc);
    return st;
}

clm_status km_tolerance(const km_data *data, double tol, double *out)
{
    *out = 0.0;
    /* Global counts: a rank without rows still takes part in the sums. */
    if (tol == 0.0 || data->n_all_rows == 0)
        return CLM_OK;
    const int d = data->n_features;
    double *mean = malloc(sizeof(double) * (size_t)d);
    double *var = malloc(sizeof(double) * (size_t)d);
    clm_status st = (mean && var) ? CLM_OK
                                  : clm_error(CLM_E_NOMEM, "k-means: out of memory");
    if (!st)
        st = column_moment(data, NULL, mean);
    if (!st) {
        for (int f = 0; f < d; f++)
            mean[f] /= (double)data->n_all_rows;
        st = column_moment(data, mean, var);
    }
    if (!st) {
        double s = 0.0;
        for (int f = 0; f < d; f++)
            s += var[f] / (double)data->n_all_rows;
        *out = tol * s / d;
    }
    free(mean);
    free(var);
    return st;
}

/* The distance of row i of chunk c to its centroid into
 * out[c * chunk_stride + i]: chunk_stride = chunk_rows lays them out in
 * row order; km_distances_over_rows uses a larger one. */
static clm_status distances_strided(const km_data *data, const float *centroids,
                                    const int32_t *labels, float *out, int64_t chunk_stride)
{
    const int d = data->n_features;
    const int64_t block = 1024;
    double *tmp = malloc(sizeof(double) * (size_t)(block * data->n_threads));
    if (!tmp)
        return clm_error(CLM_E_NOMEM, "k-means: out of memory computing distances");
#pragma omp parallel num_threads(data->n_threads)
    {
        double *my = tmp + (int64_t)omp_get_thread_num() * block;
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < data->n_chunks; c++) {
            int64_t row0, count;
            km_chunk(data, c, &row0, &count);
            float *dst = out + c * chunk_stride;
            for (int64_t b = 0; b < count; b += block) {
                int64_t nb = util_block_len(count, b, block);
                data->kernels->sqdist_f64(data->rows + (row0 + b) * d, nb, d, labels + row0 + b,
                                          centroids, my);
                for (int64_t i = 0; i < nb; i++)
                    dst[b + i] = labels[row0 + b + i] < 0 ? NAN : (float)sqrt(my[i]);
            }
        }
    }
    free(tmp);
    return CLM_OK;
}

clm_status km_distances(const km_data *data, const float *centroids, const int32_t *labels,
                        float *out)
{
    return distances_strided(data, centroids, labels, out, data->chunk_rows);
}

clm_status km_distances_over_rows(const km_data *data, float *rows, const float *centroids,
                                  const int32_t *labels)
{
    /* Chunk c's distances go to the start of its own rows: a block's land
     * on rows of the chunk the kernel has read already (the block's own
     * included: they are written after it), so no thread overwrites rows
     * another still reads.  Then the chunks' runs are moved down in order;
     * each lands below every run still to move. */
    const int64_t stride = data->chunk_rows * data->n_features;
    clm_status st = distances_strided(data, centroids, labels, rows, stride);
    for (int64_t c = 1; !st && c < data->n_chunks; c++) {
        int64_t row0, count;
        km_chunk(data, c, &row0, &count);
        memmove(rows + row0, rows + c * stride, sizeof(float) * (size_t)count);
    }
    return st;
}

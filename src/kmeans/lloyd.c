/*
 * lloyd.c — Lloyd's iterations from given initial centroids.
 *
 * Each iteration is one assignment pass (sgemm + argmin per block; the
 * per-cluster sums follow the rows that changed cluster, so they are kept
 * across iterations rather than recomputed), then the new centroids are
 * the weighted means.  The loop stops, as scikit-learn's Lloyd does, when no
 * label changed (strict convergence), when the total squared centroid
 * shift is at most tol_abs (tol x mean feature variance), or at max_iter.
 * Unless it stopped on unchanged labels, a last assignment pass makes the
 * labels those of the final centroids.  The inertia is then computed from
 * exact differences in double.
 *
 * Empty clusters: a cluster left without weight takes the point farthest
 * from its own (previous) centroid — exact squared distance, ties to the
 * lower row — which leaves its old cluster (sums and weight adjusted), the
 * same rule as scikit-learn's _relocate_empty_clusters.  The i-th empty
 * cluster (by index) gets the i-th farthest point.  A point is not taken
 * from a cluster it would leave empty.  On several ranks the candidates
 * of every chunk are shared (global rows, so the ties are the serial
 * run's) and the rank holding a chosen row broadcasts its label, weight
 * and features.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "kmeans/kmeans_internal.h"

typedef struct far_point {
    double dist;
    int64_t row;
} far_point;

/* Farther first; equal distances: lower row first. */
static int far_before(const far_point *a, const far_point *b)
{
    return a->dist > b->dist || (a->dist == b->dist && a->row < b->row);
}

static int far_compare(const void *a, const void *b)
{
    const far_point *x = a, *y = b;
    if (far_before(x, y))
        return -1;
    if (far_before(y, x))
        return 1;
    return 0;
}

/* The `want` farthest rows from their assigned centroid, sorted, into
 * best[0..*found). */
static clm_status farthest_rows(const km_data *data, const float *centroids,
                                const int32_t *labels, int want, far_point *best, int *found)
{
    const int d = data->n_features;
    const int64_t n_chunks = data->n_chunks, n_all = data->n_all_chunks;
    const int64_t block = 1024;
    far_point *part = malloc(sizeof(far_point) * (size_t)(n_all * want + 1));
    int *part_n = calloc((size_t)(n_all + 1), sizeof(int));
    double *tmp = malloc(sizeof(double) * (size_t)(block * data->n_threads));
    if (!part || !part_n || !tmp) {
        free(part); free(part_n); free(tmp);
        return clm_error(CLM_E_NOMEM, "k-means: out of memory relocating empty clusters");
    }
#pragma omp parallel num_threads(data->n_threads)
    {
        double *my = tmp + (int64_t)omp_get_thread_num() * block;
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < n_chunks; c++) {
            int64_t row0, count;
            km_chunk(data, c, &row0, &count);
            far_point *top = part + (data->chunk0 + c) * want;
            int n = 0;
            for (int64_t b = 0; b < count; b += block) {
                int64_t nb = util_block_len(count, b, block);
                data->kernels->sqdist_f64(data->rows + (row0 + b) * d, nb, d, labels + row0 + b,
                                          centroids, my);
                for (int64_t i = 0; i < nb; i++) {
                    far_point p = {my[i], data->first_row + row0 + b + i}; /* global row */
                    if (n == want && !far_before(&p, &top[n - 1]))
                        continue;
                    /* insertion into the small sorted list */
                    int pos = n < want ? n++ : want - 1;
                    while (pos > 0 && far_before(&p, &top[pos - 1])) {
                        top[pos] = top[pos - 1];
                        pos--;
                    }
                    top[pos] = p;
                }
            }
            part_n[data->chunk0 + c] = n;
        }
    }
    /* Every rank's candidates, so all ranks pick the same points (ties to
     * the lower global row by far_compare). */
    clm_status st = km_share(data, part, sizeof(far_point) * (size_t)want);
    if (!st)
        st = km_share(data, part_n, sizeof(int));
    if (st) {
        free(part); free(part_n); free(tmp);
        return st;
    }
    int64_t total = 0;
    for (int64_t c = 0; c < n_all; c++)
        for (int i = 0; i < part_n[c]; i++)
            part[total++] = part[c * want + i];
    qsort(part, (size_t)total, sizeof *part, far_compare);
    *found = total < want ? (int)total : want;
    for (int i = 0; i < *found; i++)
        best[i] = part[i];
    free(part); free(part_n); free(tmp);
    return CLM_OK;
}

/* A candidate point as every rank needs it: its label, weight and
 * features, which only the rank holding the row knows. */
typedef struct candidate {
    int32_t label;
    double weight;
    float x[];              /* n_features */
} candidate;

/* Fills `cand` for global row `row` on every rank (the owner's values);
 * *local is the row's index among this rank's rows, or -1 elsewhere. */
static clm_status share_candidate(const km_data *data, const int32_t *labels, int64_t row,
                                  candidate *cand, int64_t *local)
{
    const int d = data->n_features;
    const int owner = comm_chunk_owner(data->comm, row / data->chunk_rows, data->n_all_chunks);
    *local = -1;
    if (row >= data->first_row && row < data->first_row + data->n_rows) {
        const int64_t i = row - data->first_row;
        *local = i;
        cand->label = labels[i];
        cand->weight = data->weights ? (double)data->weights[i] : 1.0;
        memcpy(cand->x, data->rows + i * d, sizeof(float) * (size_t)d);
    }
    return comm_bcast(data->comm, cand, sizeof(candidate) + sizeof(float) * (size_t)d, owner);
}

/* Moves far points into the empty clusters (see the file comment). */
static clm_status relocate_empty(const km_data *data, const float *old_centroids, int k,
                                 int32_t *labels, double *sums, double *counts)
{
    int n_empty = 0;
    for (int j = 0; j < k; j++)
        n_empty += !(counts[j] > 0.0);
    if (n_empty == 0)
        return CLM_OK;
    const int d = data->n_features;
    /* Extra candidates cover points we may not take (their cluster would
     * be emptied). */
    int want = 2 * n_empty + 8;
    if ((int64_t)want > data->n_all_rows)
        want = (int)data->n_all_rows;
    far_point *best = malloc(sizeof(far_point) * (size_t)want);
    candidate *cand = malloc(sizeof(candidate) + sizeof(float) * (size_t)d);
    if (!best || !cand) {
        free(best);
        free(cand);
        return clm_error(CLM_E_NOMEM, "k-means: out of memory relocating empty clusters");
    }
    int found = 0;
    clm_status st = farthest_rows(data, old_centroids, labels, want, best, &found);
    int next = 0;
    for (int j = 0; !st && j < k; j++) {
        if (counts[j] > 0.0)
            continue;
        for (; !st && next < found; next++) {
            int64_t local = -1;
            st = share_candidate(data, labels, best[next].row, cand, &local);
            if (st)
                break;
            int old = cand->label;
            double w = cand->weight;
            if (old < 0 || !(w > 0.0) || !(counts[old] - w > 0.0))
                continue;
            const float *x = cand->x;
            for (int f = 0; f < d; f++) {
                sums[(int64_t)old * d + f] -= w * (double)x[f];
                sums[(int64_t)j * d + f] = w * (double)x[f];
            }
            counts[old] -= w;
            counts[j] = w;
            if (local >= 0)
                labels[local] = j; /* sums and counts stay those of the labels */
            next++;
            break;
        }
    }
    free(best);
    free(cand);
    return st;
}

clm_status km_lloyd(const km_data *data, float *centroids, int k, int max_iter,
                    double tol_abs, int32_t *labels, double *inertia, int *iterations)
{
    const int d = data->n_features;
    const int64_t kd = (int64_t)k * d;
    double *sums = malloc(sizeof(double) * (size_t)kd);
    double *counts = malloc(sizeof(double) * (size_t)k);
    float *old = malloc(sizeof(float) * (size_t)kd);
    if (!sums || !counts || !old) {
        free(sums); free(counts); free(old);
        return clm_error(CLM_E_NOMEM, "k-means: out of memory in Lloyd's loop");
    }
    /* -1 everywhere and zero sums: the first pass moves every row in. */
    for (int64_t i = 0; i < data->n_rows; i++)
        labels[i] = -1;
    memset(sums, 0, sizeof(double) * (size_t)kd);
    memset(counts, 0, sizeof(double) * (size_t)k);

    clm_status st = CLM_OK;
    int strict = 0, it = 0;
    while (it < max_iter) {
        int64_t n_changed = 0;
        st = km_assign(data, centroids, k, labels, sums, counts, &n_changed);
        if (st)
            break;
        it++;
        memcpy(old, centroids, sizeof(float) * (size_t)kd);
        st = relocate_empty(data, old, k, labels, sums, counts);
        if (st)
            break;
        double shift = 0.0;
        for (int j = 0; j < k; j++) {
            if (!(counts[j] > 0.0))
                continue; /* could not be refilled: keeps its centroid */
            for (int f = 0; f < d; f++) {
                float c = (float)(sums[(int64_t)j * d + f] / counts[j]);
                double diff = (double)c - (double)old[(int64_t)j * d + f];
                shift += diff * diff;
                centroids[(int64_t)j * d + f] = c;
            }
        }
        if (n_changed == 0) {
            strict = 1;
            break;
        }
        if (shift <= tol_abs)
            break;
    }
    if (!st && !strict)
        st = km_assign(data, centroids, k, labels, NULL, NULL, NULL);
    if (!st)
        st = km_inertia(data, centroids, labels, inertia);
    *iterations = it;
    free(sums); free(counts); free(old);
    return st;
}

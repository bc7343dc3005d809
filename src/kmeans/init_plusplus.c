/*
 * init_plusplus.c — greedy k-means++ seeding (Arthur & Vassilvitskii 2007,
 * with the greedy refinement of scikit-learn: 2 + floor(ln k) candidates
 * per step, the one that lowers the potential most is kept).
 *
 * The closest squared distance of every row to the chosen centres is kept
 * as a float in the caller's label buffer (no extra N-sized memory).  A
 * draw "proportional to w D^2" walks per-chunk potentials (summed in chunk
 * order) to the chunk, then the rows of that chunk in order, so the chosen
 * row depends on the seed and the data only, never on the threads.
 * On several ranks the chunk potentials are those of every rank (shared
 * in global chunk order), each rank walks them to the same chunk, and the
 * rank holding it walks its rows and broadcasts the drawn row, so the
 * choice does not depend on the rank count either.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "core/util_internal.h"
#include "kmeans/kmeans_internal.h"

#define PP_BLOCK 1024

static double row_weight(const km_data *data, int64_t i)
{
    return data->weights ? (double)data->weights[i] : 1.0;
}

static double row_mass(const km_data *data, const int32_t *store, int64_t i)
{
    return row_weight(data, i) * (store ? (double)km_load_f32(store, i) : 1.0);
}

/* Last row of chunk c with positive mass, or -1. */
static int64_t last_positive_row(const km_data *data, const int32_t *store, int64_t c)
{
    int64_t row0, count;
    km_chunk(data, c, &row0, &count);
    for (int64_t i = row0 + count - 1; i >= row0; i--)
        if (row_mass(data, store, i) > 0.0)
            return i;
    return -1;
}

/* The row of global chunk `chunk` drawn for target u, `acc` being the
 * potential of the chunks before it, on the rank that holds the chunk
 * (a local row index); `last` takes the last row with positive mass. */
static int64_t draw_in_chunk(const km_data *data, const int32_t *store, int64_t chunk,
                             double acc, double u, int last)
{
    const int64_t c = chunk - data->chunk0;
    if (last)
        return last_positive_row(data, store, c);
    int64_t row0, count;
    km_chunk(data, c, &row0, &count);
    double run = acc;
    for (int64_t i = row0; i < row0 + count; i++) {
        run += row_mass(data, store, i);
        if (run > u && row_mass(data, store, i) > 0.0)
            return i;
    }
    return last_positive_row(data, store, c);
}

/* Global row and features of the row that the owner of `chunk` picked
 * (`local` on the owner), broadcast to every rank. */
static int64_t share_row(const km_data *data, int64_t chunk, int64_t local, float *x)
{
    const int d = data->n_features;
    const int owner = comm_chunk_owner(data->comm, chunk, data->n_all_chunks);
    struct {
        int64_t row;
        float x[];
    } *pick = malloc(sizeof(int64_t) + sizeof(float) * (size_t)d);
    if (!pick) {
        clm_error(CLM_E_NOMEM, "k-means seeding: out of memory");
        return -1;
    }
    const int mine = data->comm == NULL || data->comm->rank == owner;
    if (mine) {
        pick->row = local >= 0 ? data->first_row + local : -1;
        if (local >= 0)
            memcpy(pick->x, data->rows + local * d, sizeof(float) * (size_t)d);
    }
    int64_t row = -1;
    if (!comm_bcast(data->comm, pick, sizeof(int64_t) + sizeof(float) * (size_t)d, owner)) {
        row = pick->row;
        if (row >= 0)
            memcpy(x, pick->x, sizeof(float) * (size_t)d);
    }
    free(pick);
    return row;
}

/* Whether this rank holds global chunk `chunk`. */
static int holds_chunk(const km_data *data, int64_t chunk)
{
    return chunk >= data->chunk0 && chunk < data->chunk0 + data->n_chunks;
}

/* Row drawn with probability w_i * D_i^2 / total (D^2 from `store`, or 1
 * when store is NULL: a draw by weight alone).  When rounding leaves the
 * target past the chunk or the end, the last row with positive mass before
 * it is taken.  Every rank walks the same global chunk potentials to the
 * same chunk; its owner walks the rows and shares the one it drew. */
int64_t km_draw_row(const km_data *data, const int32_t *store, const double *chunk_pot,
                    double total, km_rng *rng, float *x)
{
    double u = km_rng_unit(rng) * total;
    double acc = 0.0;
    int64_t last_chunk = -1;
    for (int64_t c = 0; c < data->n_all_chunks; c++) {
        if (!(chunk_pot[c] > 0.0))
            continue;
        last_chunk = c;
        if (acc + chunk_pot[c] > u) {
            int64_t local = holds_chunk(data, c) ? draw_in_chunk(data, store, c, acc, u, 0) : -1;
            return share_row(data, c, local, x);
        }
        acc += chunk_pot[c];
    }
    if (last_chunk >= 0) {
        int64_t local = holds_chunk(data, last_chunk)
                            ? draw_in_chunk(data, store, last_chunk, acc, u, 1) : -1;
        int64_t r = share_row(data, last_chunk, local, x);
        if (r >= 0)
            return r;
    }
    /* No mass at all (every row sits on a centre): uniform draw. */
    const int64_t n = data->n_all_rows;
    int64_t r = (int64_t)(km_rng_unit(rng) * (double)n);
    return km_fetch_row(data, r < n ? r : n - 1, x);
}

int64_t km_fetch_row(const km_data *data, int64_t row, float *x)
{
    const int64_t chunk = row / data->chunk_rows;
    return share_row(data, chunk, holds_chunk(data, chunk) ? row - data->first_row : -1, x);
}

clm_status km_weight_potentials(const km_data *data, double *chunk_pot)
{
    for (int64_t c = 0; c < data->n_chunks; c++) {
        int64_t row0, count;
        km_chunk(data, c, &row0, &count);
        double s = 0.0;
        for (int64_t i = row0; i < row0 + count; i++)
            s += row_weight(data, i);
        chunk_pot[data->chunk0 + c] = s;
    }
    return km_share(data, chunk_pot, sizeof(double));
}

/* store[i] = min(store[i] (or +inf when `first`), D^2(x_i, centre_t) for
 * the n_centres centres); chunk_pot[c] = sum of w D^2 over chunk c. */
clm_status km_update_closest(const km_data *data, const float *centres, int n_centres,
                             int first, int32_t *store, double *chunk_pot)
{
    const int d = data->n_features;
    double *tmp = malloc(sizeof(double) * (size_t)(PP_BLOCK * data->n_threads));
    if (!tmp)
        return clm_error(CLM_E_NOMEM, "k-means seeding: out of memory");
#pragma omp parallel num_threads(data->n_threads)
    {
        double *my = tmp + (int64_t)omp_get_thread_num() * PP_BLOCK;
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < data->n_chunks; c++) {
            int64_t row0, count;
            km_chunk(data, c, &row0, &count);
            double pot = 0.0;
            for (int64_t b = 0; b < count; b += PP_BLOCK) {
                int64_t nb = util_block_len(count, b, PP_BLOCK);
                for (int t = 0; t < n_centres; t++) {
                    data->kernels->sqdist_f64(data->rows + (row0 + b) * d, nb, d, NULL,
                                              centres + (int64_t)t * d, my);
                    for (int64_t i = 0; i < nb; i++) {
                        int64_t r = row0 + b + i;
                        float v = (float)my[i];
                        if (!first || t > 0) {
                            float old = km_load_f32(store, r);
                            v = old < v ? old : v;
                        }
                        km_store_f32(store, r, v);
                    }
                }
                for (int64_t i = 0; i < nb; i++) {
                    int64_t r = row0 + b + i;
                    pot += row_weight(data, r) * (double)km_load_f32(store, r);
                }
            }
            chunk_pot[data->chunk0 + c] = pot;
        }
    }
    free(tmp);
    return km_share(data, chunk_pot, sizeof(double));
}

/* store[i] = min(store[i], dist[i]) and chunk_pot[c] = sum of w D^2 over
 * chunk c, from the kept distances of the chosen candidate: what
 * km_update_closest would compute for it, without computing them again. */
static clm_status apply_closest(const km_data *data, const float *dist, int32_t *store,
                                double *chunk_pot)
{
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->n_threads)
    for (int64_t c = 0; c < data->n_chunks; c++) {
        int64_t row0, count;
        km_chunk(data, c, &row0, &count);
        double pot = 0.0;
        for (int64_t r = row0; r < row0 + count; r++) {
            float v = dist[r], old = km_load_f32(store, r);
            v = old < v ? old : v;
            km_store_f32(store, r, v);
            pot += row_weight(data, r) * (double)v;
        }
        chunk_pot[data->chunk0 + c] = pot;
    }
    return km_share(data, chunk_pot, sizeof(double));
}

/* Potential sum_i w_i min(D_i^2, D^2(x_i, cand_t)) for each candidate,
 * with the same float rounding as update_closest.  A block of rows is
 * scored against every candidate at once (sqdist_many_f64: the same
 * distances as one candidate at a time); each candidate's sum still runs
 * over the chunk's rows in order.  `tmp` holds PP_BLOCK x n_cands doubles
 * per thread.  With `cand_dist` (n_cands x n_rows floats) the rounded
 * distances are kept, so the chosen candidate's need not be recomputed. */
static clm_status candidate_potentials(const km_data *data, const float *cands, int n_cands,
                                       const int32_t *store, double *part, double *tmp,
                                       double *pot, float *cand_dist)
{
    const int d = data->n_features;
#pragma omp parallel num_threads(data->n_threads)
    {
        double *my = tmp + (int64_t)omp_get_thread_num() * PP_BLOCK * n_cands;
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < data->n_chunks; c++) {
            int64_t row0, count;
            km_chunk(data, c, &row0, &count);
            double *s = part + (data->chunk0 + c) * n_cands;
            for (int t = 0; t < n_cands; t++)
                s[t] = 0.0;
            for (int64_t b = 0; b < count; b += PP_BLOCK) {
                int64_t nb = util_block_len(count, b, PP_BLOCK);
                data->kernels->sqdist_many_f64(data->rows + (row0 + b) * d, nb, d, cands, n_cands, my);
                for (int t = 0; t < n_cands; t++) {
                    const double *dist = my + (int64_t)t * nb;
                    double st = s[t];
                    float *keep = cand_dist ? cand_dist + (int64_t)t * data->n_rows : NULL;
                    for (int64_t i = 0; i < nb; i++) {
                        int64_t r = row0 + b + i;
                        float v = (float)dist[i], old = km_load_f32(store, r);
                        st += row_weight(data, r) * (double)(old < v ? old : v);
                        if (keep)
                            keep[r] = v;
                    }
                    s[t] = st;
                }
            }
        }
    }
    clm_status st = km_share(data, part, sizeof(double) * (size_t)n_cands);
    for (int t = 0; t < n_cands; t++) {
        double s = 0.0;
        for (int64_t c = 0; c < data->n_all_chunks; c++)
            s += part[c * n_cands + t];
        pot[t] = s;
    }
    return st;
}

double km_sum_in_order(const double *values, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += values[i];
    return s;
}

clm_status km_init_plusplus(const km_data *data, int k, uint64_t seed,
                            int32_t *store, float *centroids)
{
    const int d = data->n_features;
    const int n_cands = 2 + (int)log((double)k);
    const int64_t n_all = data->n_all_chunks;
    double *chunk_pot = malloc(sizeof(double) * (size_t)(n_all + 1));
    double *part = malloc(sizeof(double) * (size_t)(n_all * n_cands + 1));
    double *tmp = malloc(sizeof(double) * (size_t)(PP_BLOCK * data->n_threads * n_cands));
    float *cands = malloc(sizeof(float) * (size_t)(n_cands * d));
    int64_t *cand_rows = malloc(sizeof(int64_t) * (size_t)n_cands);
    double *pot = malloc(sizeof(double) * (size_t)n_cands);
    /* The candidates' distances, kept for the chosen one (4 bytes a row
     * per candidate); without the memory the chosen one is recomputed. */
    float *cand_dist = util_alloc_big(sizeof(float) * (size_t)n_cands * (size_t)data->n_rows);
    if (!chunk_pot || !part || !tmp || !cands || !cand_rows || !pot) {
        free(chunk_pot); free(part); free(tmp); free(cands); free(cand_rows); free(pot);
        return clm_error(CLM_E_NOMEM, "k-means++: out of memory");
    }
    km_rng rng;
    km_rng_seed(&rng, seed, 1);

    /* First centre: drawn by weight (uniformly without weights). */
    clm_status st = km_weight_potentials(data, chunk_pot);
    if (!st && km_draw_row(data, NULL, chunk_pot, km_sum_in_order(chunk_pot, n_all), &rng,
                           centroids) < 0)
        st = clm_error(CLM_E_INTERNAL, "k-means++: the first centre could not be drawn");
    if (!st)
        st = km_update_closest(data, centroids, 1, 1, store, chunk_pot);

    for (int j = 1; !st && j < k; j++) {
        double total = km_sum_in_order(chunk_pot, n_all);
        for (int t = 0; !st && t < n_cands; t++) {
            cand_rows[t] = km_draw_row(data, store, chunk_pot, total, &rng, cands + (int64_t)t * d);
            if (cand_rows[t] < 0)
                st = clm_error(CLM_E_INTERNAL, "k-means++: a candidate could not be drawn");
        }
        if (!st)
            st = candidate_potentials(data, cands, n_cands, store, part, tmp, pot, cand_dist);
        if (st)
            break;
        int best = 0;
        for (int t = 1; t < n_cands; t++)
            if (pot[t] < pot[best])
                best = t;
        memcpy(centroids + (int64_t)j * d, cands + (int64_t)best * d, sizeof(float) * (size_t)d);
        if (cand_dist)
            st = apply_closest(data, cand_dist + (int64_t)best * data->n_rows, store, chunk_pot);
        else
            st = km_update_closest(data, centroids + (int64_t)j * d, 1, 0, store, chunk_pot);
    }
    free(chunk_pot); free(part); free(tmp); free(cands); free(cand_rows); free(pot);
    free(cand_dist);
    return st;
}

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
 *
 * Memory: besides the label buffer, one bit a row per candidate saying
 * whether the candidate is closer to the row than its D^2.
 * The chosen candidate's distances are recomputed for those rows only
 * (the others cannot change), and not in a pass of their own: inside the
 * next step's candidate pass, whose rows are in cache then, or for a
 * chunk a draw walks before that pass.  The chunk potentials after the
 * choice are the chosen candidate's partials, summed in the same order.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "core/util_internal.h"
#include "kmeans/kmeans_internal.h"

#define PP_BLOCK 1024
/* 2 + floor(ln k) candidates: 23 at most for any int k. */
#define PP_MAX_CANDS 32

static double row_weight(const km_data *data, int64_t i)
{
    return data->weights ? (double)data->weights[i] : 1.0;
}

static double row_mass(const km_data *data, const int32_t *store, int64_t i)
{
    return row_weight(data, i) * (store ? (double)km_load_f32(store, i) : 1.0);
}

/* Which candidates of a step are closer to a row than its D^2: one bit a
 * row per candidate, candidate t's bits of local chunk c in the
 * chunk_bytes() bytes from better + (c * n_cands + t) * chunk_bytes(),
 * row i of the chunk at bit i % 8 of byte i / 8.  A chunk's bits are its
 * own bytes, so threads on neighbouring chunks never write the same one
 * (chunks need not be a multiple of 8 rows). */
static int64_t chunk_bytes(const km_data *data)
{
    return (data->chunk_rows + 7) / 8;
}

/* The chosen centre whose distances are not in the store yet: the rows
 * whose bit is set may move closer to it; `settled` marks the local
 * chunks already updated (a draw may walk one before the pass does). */
typedef struct pp_pending {
    const float *centre;  /* NULL: the store is up to date */
    const uint8_t *bits;  /* the step's bits (chunk_bytes) */
    int n_cands, chosen;  /* whose bits are the centre's */
    uint8_t *settled;     /* n_chunks */
    int32_t *at;          /* PP_BLOCK per thread: the block's rows to recompute */
    float *rows;          /* PP_BLOCK x n_features per thread: those rows */
    double *dist;         /* PP_BLOCK per thread: their distances */
    float *old;           /* PP_BLOCK per thread: a block's D^2 (mark_better) */
    uint8_t *flag;        /* PP_BLOCK + 8 per thread: a block's 0/1 (mark_better) */
} pp_pending;

/* store[r] = min(store[r], D^2(x_r, centre)) for the nb rows from row b
 * of local chunk c, in the thread's `th` buffers: only the rows with their
 * bit set are
 * computed, gathered (a row's value does not depend on the rows beside it
 * in the kernel, so it is the value a whole pass would give). */
static void settle_block(const km_data *data, const pp_pending *pd, int th, int64_t c,
                         int64_t b, int64_t nb, int32_t *store)
{
    const int d = data->n_features;
    const int64_t r0 = c * data->chunk_rows + b;
    int32_t *at = pd->at + (int64_t)th * PP_BLOCK;
    float *rows = pd->rows + (int64_t)th * PP_BLOCK * d;
    double *dist = pd->dist + (int64_t)th * PP_BLOCK;
    const uint8_t *bits = pd->bits + (c * pd->n_cands + pd->chosen) * chunk_bytes(data) + b / 8;
    /* Sixty-four rows' bits at a time, visiting the set ones only (a few
     * rows in ten in a step); b is a multiple of PP_BLOCK, so of 8. */
    int64_t m = 0;
    for (int64_t i = 0; i < nb; i += 64) {
        uint64_t word = 0;
        const int64_t n64 = nb - i < 64 ? nb - i : 64;
        memcpy(&word, bits + i / 8, (size_t)((n64 + 7) / 8));
        if (n64 < 64)
            word &= (1ull << n64) - 1;
        for (; word; word &= word - 1)
            at[m++] = (int32_t)(i + __builtin_ctzll(word));
    }
    for (int64_t q = 0; q < m; q++)
        memcpy(rows + q * d, data->rows + (r0 + at[q]) * d, sizeof(float) * (size_t)d);
    if (m > 0)
        data->kernels->sqdist_f64(rows, m, d, NULL, pd->centre, dist);
    for (int64_t q = 0; q < m; q++) {
        float v = (float)dist[q], old = km_load_f32(store, r0 + at[q]);
        km_store_f32(store, r0 + at[q], old < v ? old : v);
    }
}

/* The whole local chunk c, once per step (on the calling thread). */
static void settle_chunk(const km_data *data, const pp_pending *pd, int64_t c, int32_t *store)
{
    if (!pd || !pd->centre || pd->settled[c])
        return;
    int64_t row0, count;
    km_chunk(data, c, &row0, &count);
    for (int64_t b = 0; b < count; b += PP_BLOCK)
        settle_block(data, pd, 0, c, b, util_block_len(count, b, PP_BLOCK), store);
    pd->settled[c] = 1;
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
static int64_t draw_in_chunk(const km_data *data, int32_t *store, const pp_pending *pd,
                             int64_t chunk, double acc, double u, int last)
{
    const int64_t c = chunk - data->chunk0;
    settle_chunk(data, pd, c, store);
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
static int64_t draw_row(const km_data *data, int32_t *store, const pp_pending *pd,
                        const double *chunk_pot, double total, km_rng *rng, float *x)
{
    double u = km_rng_unit(rng) * total;
    double acc = 0.0;
    int64_t last_chunk = -1;
    for (int64_t c = 0; c < data->n_all_chunks; c++) {
        if (!(chunk_pot[c] > 0.0))
            continue;
        last_chunk = c;
        if (acc + chunk_pot[c] > u) {
            int64_t local = holds_chunk(data, c) ? draw_in_chunk(data, store, pd, c, acc, u, 0) : -1;
            return share_row(data, c, local, x);
        }
        acc += chunk_pot[c];
    }
    if (last_chunk >= 0) {
        int64_t local = holds_chunk(data, last_chunk)
                            ? draw_in_chunk(data, store, pd, last_chunk, acc, u, 1) : -1;
        int64_t r = share_row(data, last_chunk, local, x);
        if (r >= 0)
            return r;
    }
    /* No mass at all (every row sits on a centre): uniform draw. */
    const int64_t n = data->n_all_rows;
    int64_t r = (int64_t)(km_rng_unit(rng) * (double)n);
    return km_fetch_row(data, r < n ? r : n - 1, x);
}

int64_t km_draw_row(const km_data *data, const int32_t *store, const double *chunk_pot,
                    double total, km_rng *rng, float *x)
{
    /* Without a pending centre the store is only read. */
    return draw_row(data, (int32_t *)store, NULL, chunk_pot, total, rng, x);
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

/* A block's bits (chunk_bytes): candidate t's distance my[t * nb + i],
 * rounded as the potentials round it, below the row's D^2.  Plain loops
 * over arrays, which the compiler vectorises (setting the bits inside the
 * potentials' loop made that loop about twice as slow); eight rows' 0/1
 * bytes become one byte of bits by a multiplication. */
static void mark_better(const double *my, int64_t nb, int n_cands, const int32_t *store,
                        const pp_pending *pd, int th, uint8_t *bits, int64_t stride)
{
    float *old = pd->old + (int64_t)th * PP_BLOCK;
    uint8_t *flag = pd->flag + (int64_t)th * (PP_BLOCK + 8);
    memcpy(old, store, sizeof(float) * (size_t)nb);
    memset(flag + nb, 0, 8);
    for (int t = 0; t < n_cands; t++) {
        const double *dist = my + (int64_t)t * nb;
        for (int64_t i = 0; i < nb; i++)
            flag[i] = (float)dist[i] < old[i];
        uint8_t *out = bits + t * stride;
        for (int64_t i = 0; i < nb; i += 8) {
            uint64_t eight;
            memcpy(&eight, flag + i, sizeof eight);
            out[i / 8] = (uint8_t)((eight * 0x0102040810204080ull) >> 56);
        }
    }
}

/* Potential sum_i w_i min(D_i^2, D^2(x_i, cand_t)) for each candidate,
 * with the same float rounding as update_closest.  A block of rows is
 * scored against every candidate at once (sqdist_many_f64: the same
 * distances as one candidate at a time); each candidate's sum still runs
 * over the chunk's rows in order.  `tmp` holds PP_BLOCK x n_cands doubles
 * per thread.  In each block the pending centre's distances go into the
 * store first (settle_block, the rows then in cache); with `better` the
 * block's bits for these candidates then replace the pending one's. */
static clm_status candidate_potentials(const km_data *data, const float *cands, int n_cands,
                                       int32_t *store, const pp_pending *pd, double *part,
                                       double *tmp, double *pot, uint8_t *better)
{
    const int d = data->n_features;
    const int64_t stride = chunk_bytes(data);
#pragma omp parallel num_threads(data->n_threads)
    {
        const int th = omp_get_thread_num();
        double *my = tmp + (int64_t)th * PP_BLOCK * n_cands;
        double acc[PP_MAX_CANDS];
#pragma omp for schedule(dynamic, 1)
        for (int64_t c = 0; c < data->n_chunks; c++) {
            int64_t row0, count;
            km_chunk(data, c, &row0, &count);
            const int settle = pd && pd->centre && !pd->settled[c];
            for (int t = 0; t < n_cands; t++)
                acc[t] = 0.0;
            for (int64_t b = 0; b < count; b += PP_BLOCK) {
                const int64_t nb = util_block_len(count, b, PP_BLOCK), r0 = row0 + b;
                data->kernels->sqdist_many_f64(data->rows + r0 * d, nb, d, cands, n_cands, my);
                if (settle)
                    settle_block(data, pd, th, c, b, nb, store);
                for (int t = 0; t < n_cands; t++) {
                    const double *dist = my + (int64_t)t * nb;
                    double s = acc[t];
                    for (int64_t i = 0; i < nb; i++) {
                        const float v = (float)dist[i], old = km_load_f32(store, r0 + i);
                        s += row_weight(data, r0 + i) * (double)(old < v ? old : v);
                    }
                    acc[t] = s;
                }
                if (better)
                    mark_better(my, nb, n_cands, store + r0, pd, th,
                                better + c * n_cands * stride + b / 8, stride);
            }
            memcpy(part + (data->chunk0 + c) * n_cands, acc, sizeof(double) * (size_t)n_cands);
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

/* The pending centre's distances into every chunk not settled yet (after
 * the last step: the caller gets the final D^2, as a whole pass gives). */
static void settle_all(const km_data *data, const pp_pending *pd, int32_t *store)
{
    if (!pd->centre)
        return;
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->n_threads)
    for (int64_t c = 0; c < data->n_chunks; c++) {
        if (pd->settled[c])
            continue;
        int64_t row0, count;
        km_chunk(data, c, &row0, &count);
        for (int64_t b = 0; b < count; b += PP_BLOCK)
            settle_block(data, pd, omp_get_thread_num(), c, b, util_block_len(count, b, PP_BLOCK),
                         store);
    }
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
    const size_t per = (size_t)PP_BLOCK * (size_t)data->n_threads;
    double *chunk_pot = malloc(sizeof(double) * (size_t)(n_all + 1));
    double *part = malloc(sizeof(double) * (size_t)(n_all * n_cands + 1));
    double *tmp = malloc(sizeof(double) * per * (size_t)n_cands);
    float *cands = malloc(sizeof(float) * (size_t)(n_cands * d));
    int64_t *cand_rows = malloc(sizeof(int64_t) * (size_t)n_cands);
    double *pot = malloc(sizeof(double) * (size_t)n_cands);
    /* The rows each candidate is closer to (bits: half a byte a row at
     * k = 8, at most 3 bytes for any k); without the memory the
     * chosen one's distances are computed for every row, in a pass of
     * their own. */
    uint8_t *better = malloc((size_t)(data->n_chunks * n_cands * chunk_bytes(data) + 1));
    pp_pending pd = {0};
    pd.n_cands = n_cands;
    pd.settled = malloc((size_t)(data->n_chunks + 1));
    pd.at = malloc(sizeof(int32_t) * per);
    pd.rows = malloc(sizeof(float) * per * (size_t)d);
    pd.dist = malloc(sizeof(double) * per);
    pd.old = malloc(sizeof(float) * per);
    pd.flag = malloc((size_t)(PP_BLOCK + 8) * (size_t)data->n_threads);
    if (!better || !pd.settled || !pd.at || !pd.rows || !pd.dist || !pd.old || !pd.flag) {
        free(better);
        better = NULL;
    }
    if (!chunk_pot || !part || !tmp || !cands || !cand_rows || !pot) {
        free(chunk_pot); free(part); free(tmp); free(cands); free(cand_rows); free(pot);
        free(better); free(pd.settled); free(pd.at); free(pd.rows); free(pd.dist); free(pd.old);
        free(pd.flag);
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
            cand_rows[t] = draw_row(data, store, &pd, chunk_pot, total, &rng, cands + (int64_t)t * d);
            if (cand_rows[t] < 0)
                st = clm_error(CLM_E_INTERNAL, "k-means++: a candidate could not be drawn");
        }
        if (!st)
            st = candidate_potentials(data, cands, n_cands, store, &pd, part, tmp, pot, better);
        if (st)
            break;
        int best = 0;
        for (int t = 1; t < n_cands; t++)
            if (pot[t] < pot[best])
                best = t;
        float *centre = centroids + (int64_t)j * d;
        memcpy(centre, cands + (int64_t)best * d, sizeof(float) * (size_t)d);
        if (better) {
            /* The chunk potentials once the chosen centre is in: its own
             * partials (every rank's, shared above), the same sums a pass
             * over the updated store makes. */
            for (int64_t c = 0; c < n_all; c++)
                chunk_pot[c] = part[c * n_cands + best];
            pd.centre = centre;
            pd.bits = better;
            pd.chosen = best;
            memset(pd.settled, 0, (size_t)(data->n_chunks + 1));
        } else {
            st = km_update_closest(data, centre, 1, 0, store, chunk_pot);
        }
    }
    if (!st && better)
        settle_all(data, &pd, store);
    free(chunk_pot); free(part); free(tmp); free(cands); free(cand_rows); free(pot);
    free(better); free(pd.settled); free(pd.at); free(pd.rows); free(pd.dist); free(pd.old);
    free(pd.flag);
    return st;
}

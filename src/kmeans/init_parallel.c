/*
 * init_parallel.c — k-means|| seeding (Bahmani et al., "Scalable
 * K-Means++", VLDB 2012) for large inputs, and uniform random seeding.
 *
 * k-means||: one centre drawn by weight; then KM_PAR_ROUNDS rounds in
 * which every row joins the candidate set independently with probability
 * min(1, l w D^2 / phi), l = 2k, D^2 its squared distance to the nearest
 * candidate and phi = sum w D^2.  A round is two passes (the sampling
 * pass, then the distance update against the new candidates) instead of
 * the k passes of k-means++.  Each candidate is then weighted by the
 * weight of the rows nearest to it, and greedy k-means++ on the weighted
 * candidates gives the k centres.  The coin of row i in round r is a hash
 * of (seed, r, i), i the global row: the sample does not depend on the
 * threads or the ranks.  On several ranks every rank gathers the whole
 * candidate set, in global row order, and reclusters it alone.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans/kmeans_internal.h"

#define KM_PAR_ROUNDS 5

/* 1 if row i (this rank's) joins the candidates in round `round`: the
 * coin is keyed on the global row. */
static int selected(const km_data *data, const int32_t *store, int64_t i, double factor,
                    uint64_t seed, int round)
{
    double w = data->weights ? (double)data->weights[i] : 1.0;
    double p = factor * w * (double)km_load_f32(store, i);
    return km_unit(km_hash3(seed, 0x70617261ull + (uint64_t)round,
                            (uint64_t)(data->first_row + i))) < p;
}

/* One sampling round: the rows whose coin comes up join the candidates
 * cands[*m ..] (grown as needed) in global row order, on every rank.
 * Each rank counts its chunks' picks, the counts are shared (every rank
 * then knows where each chunk's picks go), each rank copies its picks
 * into place and the ranks' picks are shared.  *added gets their number. */
static clm_status sample_round(const km_data *data, const int32_t *store, double factor,
                               uint64_t seed, int round, int64_t *chunk_count, float **cands,
                               int64_t *capacity, int64_t m, int64_t *added)
{
    const int d = data->n_features;
    const int64_t n_all = data->n_all_chunks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->n_threads)
    for (int64_t c = 0; c < data->n_chunks; c++) {
        int64_t row0, count, n = 0;
        km_chunk(data, c, &row0, &count);
        for (int64_t i = row0; i < row0 + count; i++)
            n += selected(data, store, i, factor, seed, round);
        chunk_count[data->chunk0 + c] = n;
    }
    clm_status st = km_share(data, chunk_count, sizeof(int64_t));
    if (st)
        return st;
    /* Each chunk's first slot, from the counts of the chunks before it. */
    int64_t offset = m;
    for (int64_t c = 0; c < n_all; c++) {
        int64_t n = chunk_count[c];
        chunk_count[c] = offset;
        offset += n;
    }
    *added = offset - m;
    if (*added == 0)
        return CLM_OK;
    if (offset > *capacity) {
        int64_t grown = 2 * offset;
        float *bigger = realloc(*cands, sizeof(float) * (size_t)(grown * d));
        if (!bigger)
            return clm_error(CLM_E_NOMEM, "k-means||: out of memory");
        *cands = bigger;
        *capacity = grown;
    }
    float *out = *cands;
#pragma omp parallel for schedule(dynamic, 1) num_threads(data->n_threads)
    for (int64_t c = 0; c < data->n_chunks; c++) {
        int64_t row0, count, at = chunk_count[data->chunk0 + c];
        km_chunk(data, c, &row0, &count);
        for (int64_t i = row0; i < row0 + count; i++)
            if (selected(data, store, i, factor, seed, round))
                memcpy(out + (at++) * d, data->rows + i * d, sizeof(float) * (size_t)d);
    }
    /* This rank's picks sit after those of the ranks before it. */
    const int64_t mine0 = data->n_chunks > 0 ? chunk_count[data->chunk0] : offset;
    const int64_t mine1 = data->chunk0 + data->n_chunks < n_all
                              ? chunk_count[data->chunk0 + data->n_chunks] : offset;
    return comm_share_rows(data->comm, out + m * d, mine1 - mine0, sizeof(float) * (size_t)d,
                           *added);
}

clm_status km_init_parallel(const km_data *data, int k, uint64_t seed,
                            int32_t *store, float *centroids)
{
    const int d = data->n_features;
    const int64_t n_all = data->n_all_chunks;
    const double oversampling = 2.0 * k;
    if (k == 1 || data->n_all_rows <= (int64_t)(KM_PAR_ROUNDS * oversampling + 1))
        return km_init_plusplus(data, k, seed, store, centroids);

    double *chunk_pot = malloc(sizeof(double) * (size_t)(n_all + 1));
    int64_t *chunk_count = malloc(sizeof(int64_t) * (size_t)(n_all + 1));
    int64_t capacity = 1 + (int64_t)(KM_PAR_ROUNDS * oversampling * 2);
    float *cands = malloc(sizeof(float) * (size_t)(capacity * d));
    if (!chunk_pot || !chunk_count || !cands) {
        free(chunk_pot); free(chunk_count); free(cands);
        return clm_error(CLM_E_NOMEM, "k-means||: out of memory");
    }
    km_rng rng;
    km_rng_seed(&rng, seed, 2);
    /* Every rank holds every candidate: the chunk potentials are the
     * global ones, shared after each pass (kmeans_internal.h). */
    int64_t m = 1;
    clm_status st = km_weight_potentials(data, chunk_pot);
    if (!st && km_draw_row(data, NULL, chunk_pot, km_sum_in_order(chunk_pot, n_all), &rng, cands) < 0)
        st = clm_error(CLM_E_INTERNAL, "k-means||: the first centre could not be drawn");
    if (!st)
        st = km_update_closest(data, cands, 1, 1, store, chunk_pot);

    for (int round = 0; !st && round < KM_PAR_ROUNDS; round++) {
        double phi = km_sum_in_order(chunk_pot, n_all);
        if (!(phi > 0.0))
            break; /* every row sits on a candidate */
        int64_t added = 0;
        st = sample_round(data, store, oversampling / phi, seed, round, chunk_count, &cands,
                          &capacity, m, &added);
        if (!st && added > 0) {
            st = km_update_closest(data, cands + m * d, (int)added, 0, store, chunk_pot);
            m += added;
        }
    }

    if (!st && m < k) {
        /* Too few distinct candidates (tiny or duplicated data). */
        free(chunk_pot); free(chunk_count); free(cands);
        return km_init_plusplus(data, k, seed, store, centroids);
    }
    /* Weight of each candidate: the weight of the rows nearest to it
     * (km_assign merges the chunks' sums in global chunk order). */
    double *sums = NULL, *counts = NULL;
    float *cand_weights = NULL;
    int32_t *cand_store = NULL;
    if (!st) {
        sums = malloc(sizeof(double) * (size_t)(m * d));
        counts = malloc(sizeof(double) * (size_t)m);
        cand_weights = malloc(sizeof(float) * (size_t)m);
        cand_store = malloc(sizeof(int32_t) * (size_t)m);
        if (!sums || !counts || !cand_weights || !cand_store)
            st = clm_error(CLM_E_NOMEM, "k-means||: out of memory");
    }
    if (!st) {
        /* from no labels and zero sums: every row moves in */
        for (int64_t i = 0; i < data->n_rows; i++)
            store[i] = -1;
        memset(sums, 0, sizeof(double) * (size_t)(m * d));
        memset(counts, 0, sizeof(double) * (size_t)m);
        st = km_assign(data, cands, (int)m, store, sums, counts, NULL);
    }
    if (!st) {
        /* The same candidates and weights on every rank: each reclusters
         * them alone (one process, one thread) to the same k centres. */
        for (int64_t j = 0; j < m; j++)
            cand_weights[j] = (float)counts[j];
        km_data small;
        km_data_init(&small, cands, cand_weights, m, d, 1);
        small.kernels = data->kernels;
        st = km_init_plusplus(&small, k, km_mix(seed ^ 0x6B6D70ull), cand_store, centroids);
    }
    free(sums); free(counts); free(cand_weights); free(cand_store);
    free(chunk_pot); free(chunk_count); free(cands);
    return st;
}

/* k distinct global rows from one stream that every rank advances
 * alike; the rank holding each broadcasts its features. */
clm_status km_init_random(const km_data *data, int k, uint64_t seed, float *centroids)
{
    const int d = data->n_features;
    const int64_t n = data->n_all_rows;
    int64_t *chosen = malloc(sizeof(int64_t) * (size_t)k);
    if (!chosen)
        return clm_error(CLM_E_NOMEM, "k-means random init: out of memory");
    km_rng rng;
    km_rng_seed(&rng, seed, 3);
    clm_status st = CLM_OK;
    for (int j = 0; !st && j < k; j++) {
        int64_t r;
        int again;
        do { /* k distinct rows; k <= n_rows was checked by the caller */
            r = (int64_t)(km_rng_unit(&rng) * (double)n);
            if (r >= n)
                r = n - 1;
            again = 0;
            for (int i = 0; i < j; i++)
                again |= chosen[i] == r;
        } while (again);
        chosen[j] = r;
        if (km_fetch_row(data, r, centroids + (int64_t)j * d) < 0)
            st = clm_error(CLM_E_INTERNAL, "k-means random init: row %lld could not be shared",
                           (long long)r);
    }
    free(chosen);
    return st;
}

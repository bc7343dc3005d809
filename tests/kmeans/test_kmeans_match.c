/*
 * test_kmeans_match.c — segments matched across quarters:
 *
 * - clm_kmeans_assignment against a brute-force minimum over every
 *   injection of the smaller side, on random cost matrices of every shape
 *   from 1 x 1 to 7 x 7 (square and rectangular), continuous and with
 *   integer costs full of ties; a hand-computed 3 x 3 case; 64 x 64
 *   against a random permutation planted at zero cost;
 * - a model fitted from permuted initial centroids on separated blobs
 *   (the same clusters, numbered otherwise) is matched back to the
 *   permutation exactly, and relabelling gives the first model's
 *   centroids bit for bit;
 * - the numbering rule of clm_kmeans_relabel by hand, for more and for
 *   fewer segments than last quarter, and its errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/kmeans.h"

/* Deterministic uniform numbers in [0, 1). */
static uint64_t rng_state = 88172645463325252ULL;
static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}

/* Brute force: the least total over every injection of the smaller side
 * (recursion over the rows when n <= m, over the columns otherwise). */
static void search(const double *cost, int n, int m, int transposed, int at, unsigned used, double sum, double *best)
{
    const int rows = transposed ? m : n, cols = transposed ? n : m;
    if (at == rows) {
        if (sum < *best)
            *best = sum;
        return;
    }
    for (int c = 0; c < cols; c++) {
        if (used & (1u << c))
            continue;
        double v = transposed ? cost[(int64_t)c * m + at] : cost[(int64_t)at * m + c];
        search(cost, n, m, transposed, at + 1, used | (1u << c), sum + v, best);
    }
}

static double brute_force(const double *cost, int n, int m)
{
    double best = INFINITY;
    search(cost, n, m, n > m, 0, 0u, 0.0, &best);
    return best;
}

/* match is a valid partial assignment with min(n, m) pairs; its cost. */
static double check_valid(const double *cost, int n, int m, const int32_t *match)
{
    int pairs = 0;
    unsigned used = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (match[i] < 0)
            continue;
        assert_true(match[i] < m);
        assert_false(used & (1u << match[i]));
        used |= 1u << match[i];
        sum += cost[(int64_t)i * m + match[i]];
        pairs++;
    }
    assert_int_equal(pairs, n < m ? n : m);
    return sum;
}

static void test_against_brute_force(void **state)
{
    (void)state;
    double cost[49];
    int32_t match[7];
    int checked = 0;
    for (int integer = 0; integer < 2; integer++)
        for (int n = 1; n <= 7; n++)
            for (int m = 1; m <= 7; m++)
                for (int trial = 0; trial < 12; trial++) {
                    for (int q = 0; q < n * m; q++)
                        cost[q] = integer ? floor(4.0 * uniform()) : 100.0 * uniform() - 20.0;
                    double total = -1;
                    assert_int_equal(clm_kmeans_assignment(cost, n, m, match, &total), CLM_OK);
                    double sum = check_valid(cost, n, m, match);
                    double best = brute_force(cost, n, m);
                    assert_true(fabs(sum - total) <= 1e-9);
                    if (fabs(sum - best) > 1e-9)
                        fail_msg("%d x %d trial %d: assignment costs %.12g, brute force %.12g", n, m, trial, sum,
                                 best);
                    checked++;
                }
    assert_int_equal(checked, 2 * 49 * 12);
}

static void test_hand_case(void **state)
{
    (void)state;
    /* rows 0 -> 1 (2), 1 -> 0 (1), 2 -> 2 (3): 6, the least of the six
     * permutations */
    const double cost[9] = {4, 2, 8,
                            1, 5, 7,
                            6, 9, 3};
    /* permutations: 012 = 4+5+3 = 12, 021 = 4+7+9 = 20, 102 = 2+1+3 = 6,
     * 120 = 2+7+6 = 15, 201 = 8+1+9 = 18, 210 = 8+5+6 = 19 */
    int32_t match[3];
    double total = 0;
    assert_int_equal(clm_kmeans_assignment(cost, 3, 3, match, &total), CLM_OK);
    assert_int_equal(match[0], 1);
    assert_int_equal(match[1], 0);
    assert_int_equal(match[2], 2);
    assert_true(total == 6.0);
    /* 3 rows, 2 columns: row 2 is left out (rows 0, 1 -> 1, 0 = 3) */
    const double wide[6] = {4, 2, 1, 5, 6, 9};
    assert_int_equal(clm_kmeans_assignment(wide, 3, 2, match, &total), CLM_OK);
    assert_int_equal(match[0], 1);
    assert_int_equal(match[1], 0);
    assert_int_equal(match[2], -1);
    assert_true(total == 3.0);
}

static void test_planted_64(void **state)
{
    (void)state;
    enum { K = 64 };
    double *cost = malloc(sizeof(double) * K * K);
    int perm[K];
    int32_t match[K];
    assert_non_null(cost);
    for (int i = 0; i < K; i++)
        perm[i] = i;
    for (int i = K - 1; i > 0; i--) {
        int j = (int)(uniform() * (i + 1));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++)
            cost[i * K + j] = j == perm[i] ? 0.0 : 0.5 + uniform();
    double total = -1;
    assert_int_equal(clm_kmeans_assignment(cost, K, K, match, &total), CLM_OK);
    for (int i = 0; i < K; i++)
        assert_int_equal(match[i], perm[i]);
    assert_true(total == 0.0);
    free(cost);
}

static void test_assignment_errors(void **state)
{
    (void)state;
    double cost[4] = {1, NAN, 2, 3};
    int32_t match[2];
    assert_int_equal(clm_kmeans_assignment(cost, 2, 2, match, NULL), CLM_E_VALUE);
    assert_int_equal(clm_kmeans_assignment(cost, -1, 2, match, NULL), CLM_E_PARAM);
    assert_int_equal(clm_kmeans_assignment(NULL, 2, 2, match, NULL), CLM_E_PARAM);
    /* nothing to pair: every row left out */
    assert_int_equal(clm_kmeans_assignment(cost, 2, 0, match, NULL), CLM_OK);
    assert_true(match[0] == -1 && match[1] == -1);
}

/* Separated blobs in 3 dimensions, centred at `centres`. */
enum { BLOBS = 5, DIM = 3, PER = 200 };
static void blobs(float *x, const float centres[BLOBS][DIM])
{
    for (int b = 0; b < BLOBS; b++)
        for (int r = 0; r < PER; r++)
            for (int j = 0; j < DIM; j++)
                x[(b * PER + r) * DIM + j] = centres[b][j] + (float)(uniform() - 0.5);
}

/* A model of k centroids fitted from `init` on n rows of d features. */
static clm_kmeans *fit_given(int k, const float *init, const float *x, int64_t n, int d, int32_t *labels)
{
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    p.k = k;
    p.initial_centroids = init;
    p.n_threads = 1;
    clm_kmeans *m = NULL;
    assert_int_equal(clm_kmeans_create(&p, &m), CLM_OK);
    assert_int_equal(clm_kmeans_fit(m, x, n, d, NULL, labels), CLM_OK);
    return m;
}

static clm_kmeans *fit_from(const float *init, const float *x, int32_t *labels)
{
    return fit_given(BLOBS, init, x, BLOBS * PER, DIM, labels);
}

static void test_permuted_centroids_recovered(void **state)
{
    (void)state;
    static const float centres[BLOBS][DIM] = {{0, 0, 0}, {20, 0, 0}, {0, 20, 0}, {0, 0, 20}, {20, 20, 20}};
    static const int perm[BLOBS] = {3, 0, 4, 1, 2}; /* model b's segment i is a's perm[i] */
    float *x = malloc(sizeof(float) * BLOBS * PER * DIM);
    int32_t *labels = malloc(sizeof(int32_t) * BLOBS * PER);
    assert_non_null(x);
    assert_non_null(labels);
    blobs(x, centres);
    float init_a[BLOBS * DIM], init_b[BLOBS * DIM];
    memcpy(init_a, centres, sizeof init_a);
    for (int i = 0; i < BLOBS; i++)
        memcpy(init_b + i * DIM, centres[perm[i]], sizeof(float) * DIM);
    clm_kmeans *a = fit_from(init_a, x, labels), *b = fit_from(init_b, x, labels);
    int32_t match[BLOBS];
    double total = -1;
    assert_int_equal(clm_kmeans_match(b, a, match, &total), CLM_OK);
    for (int i = 0; i < BLOBS; i++)
        assert_int_equal(match[i], perm[i]);
    assert_true(total == 0.0); /* the same clusters: the same centroids */
    assert_null(clm_kmeans_continues(b));
    assert_int_equal(clm_kmeans_relabel(b, match, BLOBS), CLM_OK);
    assert_memory_equal(clm_kmeans_centroids(b), clm_kmeans_centroids(a), sizeof(float) * BLOBS * DIM);
    const int32_t *cont = clm_kmeans_continues(b);
    assert_non_null(cont);
    for (int s = 0; s < BLOBS; s++)
        assert_int_equal(cont[s], s);
    clm_kmeans_free(a);
    clm_kmeans_free(b);
    free(x);
    free(labels);
}

/* Model of k one-dimensional centroids at 0, 10, 20, ... (segment i at 10 i). */
static clm_kmeans *line_model(int k)
{
    float *x = malloc(sizeof(float) * (size_t)k * 2), init[16];
    int32_t labels[32];
    for (int i = 0; i < k; i++) {
        x[2 * i] = 10.0f * (float)i - 1.0f;
        x[2 * i + 1] = 10.0f * (float)i + 1.0f;
        init[i] = 10.0f * (float)i;
    }
    clm_kmeans *m = fit_given(k, init, x, 2 * k, 1, labels);
    free(x);
    return m;
}

/* Relabels a line model of k segments with `match` and checks that number
 * s now holds former segment from[s] (centroid 10 from[s]) and continues
 * continues[s]. */
static void check_relabel(int k, const int32_t *match, int previous_k, const int *from, const int32_t *continues)
{
    clm_kmeans *m = line_model(k);
    assert_int_equal(clm_kmeans_relabel(m, match, previous_k), CLM_OK);
    const float *c = clm_kmeans_centroids(m);
    const int32_t *cont = clm_kmeans_continues(m);
    for (int s = 0; s < k; s++) {
        assert_true(c[s] == 10.0f * (float)from[s]);
        assert_int_equal(cont[s], continues[s]);
    }
    clm_kmeans_free(m);
}

static void test_numbering_rule(void **state)
{
    (void)state;
    /* 4 segments after 3: 1 -> 2 and 2 -> 0 keep those numbers; 0 and 3
     * continue none and take the free numbers 1 and 3 in their order. */
    check_relabel(4, (const int32_t[]){-1, 2, 0, -1}, 3, (const int[]){2, 0, 1, 3}, (const int32_t[]){0, -1, 2, -1});
    /* 3 segments after 5: 1 -> 1 and 2 -> 0 keep their numbers; segment 0
     * continues 4, above the last number (2), and takes the free 2. */
    check_relabel(3, (const int32_t[]){4, 1, 0}, 5, (const int[]){2, 1, 0}, (const int32_t[]){0, 1, 4});
    /* two continuations beyond k, handed the free numbers by their
     * previous numbers: 1 (continuing 5) takes 0, 0 (continuing 6) takes 1 */
    check_relabel(3, (const int32_t[]){6, 5, 2}, 7, (const int[]){1, 0, 2}, (const int32_t[]){5, 6, 2});

    clm_kmeans *m = line_model(3);
    const float *c;
    const int32_t twice[3] = {1, 1, 0}, out_of_range[3] = {0, 1, 3};
    assert_int_equal(clm_kmeans_relabel(m, twice, 3), CLM_E_PARAM);
    assert_int_equal(clm_kmeans_relabel(m, out_of_range, 3), CLM_E_PARAM);
    assert_int_equal(clm_kmeans_relabel(m, twice, 0), CLM_E_PARAM);
    assert_null(clm_kmeans_continues(m)); /* a failed relabel changes nothing */
    c = clm_kmeans_centroids(m);
    assert_true(c[0] == 0.0f && c[1] == 10.0f && c[2] == 20.0f);
    clm_kmeans_free(m);
}

static void test_match_errors(void **state)
{
    (void)state;
    clm_kmeans *a = line_model(3), *b = NULL;
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    assert_int_equal(clm_kmeans_create(&p, &b), CLM_OK);
    int32_t match[3];
    assert_int_equal(clm_kmeans_match(a, b, match, NULL), CLM_E_PARAM); /* b not fitted */
    clm_kmeans_free(a);
    clm_kmeans_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_brute_force),
        cmocka_unit_test(test_hand_case),
        cmocka_unit_test(test_planted_64),
        cmocka_unit_test(test_assignment_errors),
        cmocka_unit_test(test_permuted_centroids_recovered),
        cmocka_unit_test(test_numbering_rule),
        cmocka_unit_test(test_match_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

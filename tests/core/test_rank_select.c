/*
 * test_rank_select.c — exact order statistics by the values' bits
 * (comm_select_f32, src/core/rank_select.c) on one process, against a
 * sort of the same values; the MPI tests check that the run's tier
 * thresholds, which it finds, are the same bytes on 1-4 ranks.
 *
 *   - hand cases: {3, 1, 2} gives 1, 2, 3; -0 sorts just before +0, so
 *     {+0, -0} gives -0 then +0 (the sign is kept, not guessed); NaNs are
 *     left out; infinities and subnormals take their places;
 *   - 20,000 random values from a few hundred distinct ones (ties across
 *     the bucket of the first pass and inside it), negatives, both zeros,
 *     infinities and NaNs: every 97th order statistic, four at a time,
 *     equals the sorted copy's, bit for bit;
 *   - an order statistic past the values is an internal error, not a read
 *     past the counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/comm_internal.h"

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* The reference order: by value, -0 before +0 (the only equal values
 * with different bits once NaNs are out). */
static int by_value(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    if (x != y)
        return x < y ? -1 : 1;
    return (int)!signbit(x) - (int)!signbit(y);
}

static void test_hand_cases(void **state)
{
    (void)state;
    const float x[] = {3.0f, 1.0f, 2.0f};
    const int64_t k[] = {0, 1, 2};
    float out[4];
    assert_int_equal(comm_select_f32(NULL, x, 3, k, 3, out), CLM_OK);
    assert_true(out[0] == 1.0f && out[1] == 2.0f && out[2] == 3.0f);

    const float zeros[] = {0.0f, -0.0f};
    assert_int_equal(comm_select_f32(NULL, zeros, 2, k, 2, out), CLM_OK);
    assert_int_equal(bits(out[0]), bits(-0.0f));
    assert_int_equal(bits(out[1]), bits(0.0f));

    const float odd[] = {NAN, INFINITY, -INFINITY, 1e-45f, NAN, -1e-45f};
    const int64_t k4[] = {0, 1, 2, 3};
    assert_int_equal(comm_select_f32(NULL, odd, 6, k4, 4, out), CLM_OK);
    assert_true(out[0] == -INFINITY && out[1] == -1e-45f && out[2] == 1e-45f && out[3] == INFINITY);
}

static void test_random_against_a_sort(void **state)
{
    (void)state;
    enum { N = 20000 };
    float *x = malloc(N * sizeof *x), *sorted = malloc(N * sizeof *sorted);
    assert_non_null(x);
    assert_non_null(sorted);
    uint64_t seed = 12345;
    int64_t m = 0;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        const uint32_t r = (uint32_t)(seed >> 33);
        float v = (float)((int)(r % 400) - 150) * 0.37f; /* a few hundred values, ties */
        if (r % 1000 == 1) v = NAN;
        if (r % 1000 == 2) v = -0.0f;
        if (r % 1000 == 3) v = 0.0f;
        if (r % 1000 == 4) v = INFINITY;
        if (r % 1000 == 5) v = -INFINITY;
        if (r % 1000 == 6) v = 1.0f + (float)(r % 7) * 1.1920929e-7f; /* one first-pass bucket */
        x[i] = v;
        if (!isnan(v))
            sorted[m++] = v;
    }
    qsort(sorted, (size_t)m, sizeof *sorted, by_value);
    for (int64_t k0 = 0; k0 < m; k0 += 4 * 97) {
        int64_t k[4];
        int n_k = 0;
        for (int j = 0; j < 4 && k0 + 97 * j < m; j++)
            k[n_k++] = k0 + 97 * j;
        float out[4];
        assert_int_equal(comm_select_f32(NULL, x, N, k, n_k, out), CLM_OK);
        for (int j = 0; j < n_k; j++)
            assert_int_equal(bits(out[j]), bits(sorted[k[j]]));
    }
    const int64_t last = m - 1;
    float out;
    assert_int_equal(comm_select_f32(NULL, x, N, &last, 1, &out), CLM_OK);
    assert_int_equal(bits(out), bits(sorted[m - 1]));
    free(x);
    free(sorted);
}

static void test_past_the_values(void **state)
{
    (void)state;
    const float x[] = {1.0f, NAN, 2.0f};
    const int64_t k = 2; /* two non-NaN values: 0 and 1 only */
    float out;
    assert_int_equal(comm_select_f32(NULL, x, 3, &k, 1, &out), CLM_E_INTERNAL);
    clm_error_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_random_against_a_sort),
        cmocka_unit_test(test_past_the_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_util.c — the shared helpers of src/core/util_internal.h on
 * hand-worked cases: list splitting (spaces, empty items, one
 * allocation), string copies, side-file paths, the thread and block
 * rules, splitmix64 against its published first outputs, the quantile
 * selection against the sorted array, and the keyed permutation (a
 * bijection for every size, each image equally likely over seeds).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_internal.h"
#include "core/util_internal.h"

static void test_split_list(void **state)
{
    (void)state;
    int n = -1;
    char **items = util_split_list(" a, bb ,,\tc ,", &n);
    assert_non_null(items);
    assert_int_equal(n, 3);
    assert_string_equal(items[0], "a");
    assert_string_equal(items[1], "bb");
    assert_string_equal(items[2], "c");
    assert_null(items[3]);
    free(items); /* one allocation */
    items = util_split_list("", &n);
    assert_non_null(items);
    assert_int_equal(n, 0);
    assert_null(items[0]);
    free(items);
    items = util_split_list(",,, ,", &n);
    assert_int_equal(n, 0);
    free(items);
    items = util_split_list("only", NULL);
    assert_string_equal(items[0], "only");
    assert_null(items[1]);
    free(items);
    assert_null(util_split_list(NULL, &n));
    assert_int_equal(n, 0);
    /* The input is left as it was (no strtok). */
    const char text[] = "x,y";
    items = util_split_list(text, &n);
    assert_string_equal(text, "x,y");
    free(items);
}

static void test_strings_and_paths(void **state)
{
    (void)state;
    char *s = util_strdup("abc");
    assert_string_equal(s, "abc");
    free(s);
    assert_null(util_strdup(NULL));
    s = util_strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = util_strndup("", 0);
    assert_string_equal(s, "");
    free(s);
    s = util_path_beside("out/dir/res.h5", "tree.json");
    assert_string_equal(s, "out/dir/tree.json");
    free(s);
    s = util_path_beside("res.h5", "survival.csv");
    assert_string_equal(s, "survival.csv");
    free(s);
    s = util_path_beside("/res.h5", "a");
    assert_string_equal(s, "/a");
    free(s);
}

static void test_threads_and_blocks(void **state)
{
    (void)state;
    assert_int_equal(util_threads(3), 3);
    assert_true(util_threads(0) >= 1);
    assert_int_equal(util_block_len(10, 0, 4), 4);
    assert_int_equal(util_block_len(10, 8, 4), 2);
    assert_int_equal(util_block_len(8, 4, 4), 4);
}

/* The first outputs of splitmix64 seeded with 1234567 (the reference
 * generator of Vigna's xoshiro page: state += gamma, then mix). */
static void test_splitmix64(void **state)
{
    (void)state;
    uint64_t seed = 1234567;
    const uint64_t expected[3] = {6457827717110365317ULL, 3203168211198807973ULL,
                                  9817491932198370423ULL};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(util_splitmix64(seed), expected[i]);
        seed += UTIL_SPLITMIX_GAMMA;
    }
    assert_int_equal(util_mix64(0), 0);
}

/* JSON strings are valid UTF-8 whatever the bytes: well-formed sequences
 * pass, anything else becomes U+FFFD, controls and quotes are escaped. */
static void test_json_strings(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "\"plain\""},
        {"caf\xc3\xa9 \xe5\x8c\x97\xe4\xba\xac \xf0\x9f\x93\xb1", "\"caf\xc3\xa9 \xe5\x8c\x97\xe4\xba\xac \xf0\x9f\x93\xb1\""},
        {"latin1 \xe9t\xe9", "\"latin1 \\ufffdt\\ufffd\""},
        {"stray \x80 cut \xe5\x8c", "\"stray \\ufffd cut \\ufffd\\ufffd\""},
        {"surrogate \xed\xa0\x80", "\"surrogate \\ufffd\\ufffd\\ufffd\""},
        {"overlong \xc0\xaf", "\"overlong \\ufffd\\ufffd\""},
        {"q\"b\\\n\x01", "\"q\\\"b\\\\\\n\\u0001\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        assert_non_null(f);
        json_put_string(f, cases[i].in);
        fclose(f);
        assert_string_equal(buf, cases[i].out);
        free(buf);
    }
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The p-quantile of a sorted array, written out (R's type 7). */
static double sorted_quantile(const double *x, int64_t n, double p)
{
    double h = (double)(n - 1) * p;
    int64_t j = (int64_t)floor(h);
    return j >= n - 1 ? x[n - 1] : x[j] + (h - (double)j) * (x[j + 1] - x[j]);
}

/* Selection gives the sorted array's quantiles, bit for bit: hand cases,
 * then random arrays with few distinct values (whole months), many, all
 * equal, sorted and reversed, of every length up to 300. */
static void test_quantile_select(void **state)
{
    (void)state;
    double a[] = {7, 1, 3, 9, 5};
    assert_true(util_quantile_select(a, 5, 0.5) == 5.0);
    double b[] = {4, 1, 3, 2};
    assert_true(util_quantile_select(b, 4, 0.25) == 1.75); /* h = 0.75: 1 + 0.75 x (2 - 1) */
    double c[] = {2, 8};
    assert_true(util_quantile_select(c, 2, 1.0) == 8.0);
    assert_true(isnan(util_quantile_select(c, 0, 0.5)));
    uint64_t draw = 11;
    double x[300], y[300];
    const double ps[] = {0.0, 0.25, 0.5, 0.75, 0.9, 1.0};
    for (int shape = 0; shape < 5; shape++)
        for (int n = 1; n <= 300; n++) {
            for (int i = 0; i < n; i++) {
                uint64_t r = util_splitmix64(draw += UTIL_SPLITMIX_GAMMA);
                x[i] = shape == 0 ? (double)(r % 7)
                       : shape == 1 ? (double)(r >> 11) * 0x1p-53
                       : shape == 2 ? 3.0
                       : shape == 3 ? (double)i : (double)(n - i);
            }
            memcpy(y, x, sizeof(double) * (size_t)n);
            qsort(y, (size_t)n, sizeof *y, by_double);
            for (int k = 0; k < 6; k++) {
                double z[300];
                memcpy(z, x, sizeof(double) * (size_t)n);
                assert_true(util_quantile_select(z, n, ps[k]) == sorted_quantile(y, n, ps[k]));
            }
        }
}

/* The keyed permutation is a bijection of [0, n) for sizes around the
 * Feistel domain's edges (powers of 2, one more, one less), depends on the
 * seed, and sends each i to each j with probability 1/n over seeds. */
static void test_keyed_permutation(void **state)
{
    (void)state;
    const uint64_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 1000, 4095, 4096, 4097, 65537, 400000};
    uint8_t *seen = malloc(400000);
    assert_non_null(seen);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        for (uint64_t seed = 0; seed < 3; seed++) {
            const uint64_t n = sizes[k];
            util_permutation p, same;
            util_permutation_init(&p, n, seed);
            util_permutation_init(&same, n, seed);
            memset(seen, 0, (size_t)n);
            for (uint64_t i = 0; i < n; i++) {
                const uint64_t j = util_permutation_at(&p, i);
                assert_true(j < n);
                assert_int_equal(seen[j], 0);
                seen[j] = 1;
                assert_true(util_permutation_at(&same, i) == j);
            }
        }
    free(seen);
    /* Another seed, another permutation. */
    util_permutation a, b;
    util_permutation_init(&a, 1000, 1);
    util_permutation_init(&b, 1000, 2);
    int moved = 0;
    for (uint64_t i = 0; i < 1000; i++)
        moved += util_permutation_at(&a, i) != util_permutation_at(&b, i);
    assert_true(moved > 900);
    /* P(pi(i) = j) = 1/5 over 50,000 seeds: each count 10,000 with a
     * standard deviation of 89; 5 of them allowed. */
    enum { N = 5, SEEDS = 50000 };
    int count[N][N] = {{0}};
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        util_permutation p;
        util_permutation_init(&p, N, seed * 7919 + 3);
        for (uint64_t i = 0; i < N; i++)
            count[i][util_permutation_at(&p, i)]++;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            assert_true(abs(count[i][j] - SEEDS / N) < 450);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_list),
        cmocka_unit_test(test_strings_and_paths),
        cmocka_unit_test(test_threads_and_blocks),
        cmocka_unit_test(test_splitmix64),
        cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_quantile_select),
        cmocka_unit_test(test_keyed_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

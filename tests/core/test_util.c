/*
 * test_util.c — the shared helpers of src/core/util_internal.h on
 * hand-worked cases: list splitting (spaces, empty items, one
 * allocation), string copies, side-file paths, the thread and block
 * rules, and splitmix64 against its published first outputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_list),
        cmocka_unit_test(test_strings_and_paths),
        cmocka_unit_test(test_threads_and_blocks),
        cmocka_unit_test(test_splitmix64),
        cmocka_unit_test(test_json_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

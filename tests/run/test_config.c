/*
 * test_config.c — the run configuration: defaults, INI parsing, overrides,
 * typed values, errors naming file and line, and config.used re-reading to
 * the same settings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/config_internal.h"
#include "testutil.h"

static const cfg_key keys[] = {
    {"run.seed", "42", "seed of every random choice"},
    {"kmeans.k", "8", "number of segments"},
    {"kmeans.features", "", "feature columns (empty: all numeric)"},
    {"tiers.high_share", "0.2", "top ARPU share that is high value"},
    {"tree.balanced", "false", "balanced class weights"},
    {NULL, NULL, NULL},
};

static void test_defaults_file_and_overrides(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("config");
    const char *ini = tu_path(dir, "run.ini");
    assert_int_equal(tu_write_file(ini, "# quarterly run\n"
                                        "[kmeans]\n"
                                        "k = 6   \n"
                                        "features = \" arpu,data_mb \"\n"
                                        "; a comment\n"
                                        "\n"
                                        "[tree]\n"
                                        "balanced = yes\n"),
                     0);
    cfg_config *c = NULL;
    assert_int_equal(cfg_create(keys, &c), CLM_OK);
    long long k;
    assert_int_equal(cfg_int(c, "kmeans.k", 1, 1000, &k), CLM_OK);
    assert_int_equal(k, 8);
    assert_int_equal(cfg_read(c, ini), CLM_OK);
    assert_int_equal(cfg_int(c, "kmeans.k", 1, 1000, &k), CLM_OK);
    assert_int_equal(k, 6);
    assert_string_equal(cfg_string(c, "kmeans.features"), " arpu,data_mb ");
    int b;
    assert_int_equal(cfg_bool(c, "tree.balanced", &b), CLM_OK);
    assert_int_equal(b, 1);
    /* The command line wins over the file. */
    assert_int_equal(cfg_set(c, "kmeans.k=5", "--set"), CLM_OK);
    assert_int_equal(cfg_int(c, "kmeans.k", 1, 1000, &k), CLM_OK);
    assert_int_equal(k, 5);
    double share;
    assert_int_equal(cfg_double(c, "tiers.high_share", 0, 1, &share), CLM_OK);
    assert_float_equal(share, 0.2, 0.0);

    /* config.used reads back to the same values. */
    const char *used = tu_path(dir, "config.used");
    FILE *f = fopen(used, "w");
    cfg_write(c, f);
    fclose(f);
    cfg_config *again = NULL;
    assert_int_equal(cfg_create(keys, &again), CLM_OK);
    assert_int_equal(cfg_read(again, used), CLM_OK);
    for (int i = 0; keys[i].name; i++)
        assert_string_equal(cfg_string(again, keys[i].name), cfg_string(c, keys[i].name));
    char *text = tu_read_file(used, NULL);
    assert_non_null(strstr(text, "# number of segments (from --set)\nk = 5\n"));
    assert_non_null(strstr(text, "features = \" arpu,data_mb \"\n"));
    free(text);
    cfg_free(again);
    cfg_free(c);
}

static void expect_read_error(const char *dir, const char *text, clm_status status, const char *needle)
{
    const char *ini = tu_path(dir, "bad.ini");
    assert_int_equal(tu_write_file(ini, text), 0);
    cfg_config *c = NULL;
    assert_int_equal(cfg_create(keys, &c), CLM_OK);
    assert_int_equal(cfg_read(c, ini), status);
    if (!strstr(clm_error_detail(), needle))
        fail_msg("'%s' does not contain '%s'", clm_error_detail(), needle);
    cfg_free(c);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("config_errors");
    expect_read_error(dir, "[kmeans]\nk = 3\nkk = 4\n", CLM_E_FORMAT, "bad.ini:3: unknown key 'kk' in [kmeans]");
    expect_read_error(dir, "[kmean]\n", CLM_E_FORMAT, "bad.ini:1: unknown section [kmean]");
    expect_read_error(dir, "k = 3\n", CLM_E_FORMAT, "bad.ini:1: key outside any [section]");
    expect_read_error(dir, "[kmeans]\nk 3\n", CLM_E_FORMAT, "bad.ini:2: expected 'key = value'");
    expect_read_error(dir, "[kmeans\n", CLM_E_FORMAT, "bad.ini:1: malformed section header");

    cfg_config *c = NULL;
    assert_int_equal(cfg_create(keys, &c), CLM_OK);
    assert_int_equal(cfg_read(c, tu_path(dir, "absent.ini")), CLM_E_OPEN);
    assert_int_equal(cfg_set(c, "kmeans.q=1", "--set"), CLM_E_USAGE);
    assert_non_null(strstr(clm_error_detail(), "unknown setting 'kmeans.q'"));
    assert_int_equal(cfg_set(c, "kmeans.k", "--set"), CLM_E_USAGE);
    assert_int_equal(cfg_set(c, "kmeans.k=eight", "--set"), CLM_OK);
    long long k;
    assert_int_equal(cfg_int(c, "kmeans.k", 1, 100, &k), CLM_E_PARAM);
    assert_non_null(strstr(clm_error_detail(), "kmeans.k (--set): 'eight' is not an integer"));
    assert_int_equal(cfg_set(c, "kmeans.k=0", "--k"), CLM_OK);
    assert_int_equal(cfg_int(c, "kmeans.k", 1, 100, &k), CLM_E_PARAM);
    assert_non_null(strstr(clm_error_detail(), "outside [1, 100]"));
    assert_int_equal(cfg_set(c, "tree.balanced=maybe", "--set"), CLM_OK);
    int b;
    assert_int_equal(cfg_bool(c, "tree.balanced", &b), CLM_E_PARAM);
    double d;
    assert_int_equal(cfg_set(c, "tiers.high_share=1.5", "--set"), CLM_OK);
    assert_int_equal(cfg_double(c, "tiers.high_share", 0, 1, &d), CLM_E_PARAM);
    cfg_free(c);
}

/* A key set twice in one file names both lines; a folder given as the
 * configuration is refused instead of read as an empty file. */
static void test_duplicate_key_and_folder(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("config_dup");
    const char *ini = tu_path(dir, "dup.ini");
    assert_int_equal(tu_write_file(ini, "[kmeans]\nk = 6\n\n[kmeans]\nk = 7\n"), 0);
    cfg_config *c = NULL;
    assert_int_equal(cfg_create(keys, &c), CLM_OK);
    assert_int_equal(cfg_read(c, ini), CLM_E_FORMAT);
    assert_non_null(strstr(clm_error_detail(), "dup.ini:5"));
    assert_non_null(strstr(clm_error_detail(), "already set on line 2"));
    assert_int_equal(cfg_read(c, dir), CLM_E_OPEN);
    assert_non_null(strstr(clm_error_detail(), "is a folder"));
    /* The command line may still override a file's key. */
    const char *ok = tu_path(dir, "ok.ini");
    assert_int_equal(tu_write_file(ok, "[kmeans]\nk = 6\n"), 0);
    assert_int_equal(cfg_read(c, ok), CLM_OK);
    assert_int_equal(cfg_set(c, "kmeans.k=9", "--set"), CLM_OK);
    long long k;
    assert_int_equal(cfg_int(c, "kmeans.k", 1, 1000, &k), CLM_OK);
    assert_int_equal(k, 9);
    cfg_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_file_and_overrides),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_duplicate_key_and_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

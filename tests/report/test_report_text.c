/*
 * test_report_text.c — the report's formatting module and strings table.
 * Formatting: hand-written cases (separators at every digit count, signs,
 * rounding as printf rounds, the dash for a missing value, percentages),
 * and a second, independent computation for many values: the separator-
 * free digits of the result equal printf's, and the groups are three
 * digits long.  Strings: every text present in both languages with the
 * same %s count (the figures go in the same order), the Chinese stage
 * names of the issue, and the language names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/health.h"
#include "clmseg/scenario.h"
#include "clmseg/stages.h"
#include "clmseg/tiers.h"
#include "report/format_internal.h"
#include "report/strings_internal.h"

static void test_counts(void **state)
{
    (void)state;
    char b[FMT_CAP];
    static const struct {
        long long n;
        const char *want;
    } cases[] = {{0, "0"},         {7, "7"},           {999, "999"},           {1000, "1,000"},
                 {12345, "12,345"}, {999999, "999,999"}, {1000000, "1,000,000"}, {-1234, "-1,234"},
                 {-999, "-999"},   {9223372036854775807LL, "9,223,372,036,854,775,807"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(fmt_count(b, sizeof b, cases[i].n), cases[i].want);
    /* A short buffer is cut, never overrun. */
    char small[4];
    assert_string_equal(fmt_count(small, sizeof small, 123456), "123");
}

static void test_money_and_fixed(void **state)
{
    (void)state;
    char b[FMT_CAP];
    assert_string_equal(fmt_money(b, sizeof b, 1234.5), "1,234.50");
    assert_string_equal(fmt_money(b, sizeof b, 0.0), "0.00");
    assert_string_equal(fmt_money(b, sizeof b, -0.001), "0.00"); /* no "-0.00" */
    assert_string_equal(fmt_money(b, sizeof b, -1234567.891), "-1,234,567.89");
    assert_string_equal(fmt_money(b, sizeof b, 999.995), "1,000.00"); /* 999.995 is above the tie in binary */
    assert_string_equal(fmt_money(b, sizeof b, 0.125), "0.12");       /* an exact tie: printf's even digit */
    assert_string_equal(fmt_money(b, sizeof b, NAN), "\xe2\x80\x93");
    assert_string_equal(fmt_fixed(b, sizeof b, 3864954.2849, 2), "3,864,954.28");
    assert_string_equal(fmt_fixed(b, sizeof b, 65.06, 1), "65.1");
    assert_string_equal(fmt_fixed(b, sizeof b, 71.0, 0), "71");
    assert_string_equal(fmt_fixed(b, sizeof b, 1e6, 0), "1,000,000");
    assert_string_equal(fmt_fixed(b, sizeof b, INFINITY, 2), "\xe2\x80\x93");
}

static void test_percent(void **state)
{
    (void)state;
    char b[FMT_CAP];
    assert_string_equal(fmt_percent(b, sizeof b, 0.286734, 2), "28.67%");
    assert_string_equal(fmt_percent(b, sizeof b, 1.0, 0), "100%");
    assert_string_equal(fmt_percent(b, sizeof b, 0.25, 0), "25%");
    assert_string_equal(fmt_percent(b, sizeof b, -0.0005, 2), "-0.05%");
    assert_string_equal(fmt_percent(b, sizeof b, -0.05, 1), "-5.0%");
    assert_string_equal(fmt_percent(b, sizeof b, 12.3456, 1), "1,234.6%");
    assert_string_equal(fmt_percent(b, sizeof b, NAN, 2), "\xe2\x80\x93");
}

/* The CSV round trip: the value a CSV column with d decimals reads back. */
static void test_as_csv(void **state)
{
    (void)state;
    assert_true(fmt_as_csv(0.12345649, 6) == strtod("0.123456", NULL));
    assert_true(fmt_as_csv(31.554449, 4) == strtod("31.5544", NULL));
    assert_true(isnan(fmt_as_csv(NAN, 4)));
    /* The report rounds the CSV's value, not the unrounded one: 0.00994999
     * is "0.00995" in a 6-decimal column, shown 1.00%; rounded once it
     * would be 0.99%, a figure no reader of the CSV could reproduce. */
    char b[FMT_CAP];
    assert_string_equal(fmt_percent(b, sizeof b, fmt_as_csv(0.00994999, 6), 2), "1.00%");
    assert_string_equal(fmt_percent(b, sizeof b, 0.00994999, 2), "0.99%");
}

static void test_axis_max(void **state)
{
    (void)state;
    static const double cases[][2] = {{0, 1},   {-3, 1},    {0.7, 1},  {1, 1},     {1.01, 2},  {2, 2},
                                      {2.2, 2.5}, {3, 5},   {5, 5},    {5.5, 10},  {42.9, 50}, {46.7, 50},
                                      {101, 200}, {0.031, 0.05}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_true(fabs(fmt_axis_max(cases[i][0]) - cases[i][1]) < 1e-12 * cases[i][1]);
    assert_true(fmt_axis_max(NAN) == 1.0);
}

/* Removes the commas; checks each group after the first has 3 digits. */
static void strip_separators(const char *s, char *out)
{
    const char *dot = strchr(s, '.');
    size_t end = dot ? (size_t)(dot - s) : strlen(s), since = 0;
    int seen = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == ',') {
            if (seen)
                assert_int_equal(since, 3);
            seen = 1;
            since = 0;
            assert_true(i < end);
            continue;
        }
        if (s[i] >= '0' && s[i] <= '9' && i < end)
            since++;
        *out++ = s[i];
    }
    if (seen)
        assert_int_equal(since, 3);
    *out = '\0';
}

static void test_against_printf(void **state)
{
    (void)state;
    unsigned long long x = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v = ((double)(x >> 11) / 9007199254740992.0 - 0.5) * pow(10.0, (double)(x % 12));
        int decimals = (int)(x % 5);
        char got[FMT_CAP], plain[FMT_CAP], want[400];
        fmt_fixed(got, sizeof got, v, decimals);
        strip_separators(got, plain);
        snprintf(want, sizeof want, "%.*f", decimals, v);
        /* printf's "-0.00" is shown without its sign. */
        if (want[0] == '-' && strspn(want + 1, "0.") == strlen(want + 1))
            memmove(want, want + 1, strlen(want));
        if (strcmp(plain, want))
            fail_msg("%.17g, %d decimals: shown %s, printf %s", v, decimals, got, want);
    }
}

/* The figures a sentence takes: its "%s" ("%%" is a percent sign). */
static int count_s(const char *t)
{
    int n = 0;
    for (const char *p = t; (p = strchr(p, '%')) != NULL; p++) {
        if (p[1] == 's')
            n++;
        if (p[1] == 's' || p[1] == '%')
            p++;
    }
    return n;
}

static void test_strings_table(void **state)
{
    (void)state;
    for (int id = 0; id < RT_COUNT; id++) {
        const char *en = report_text_of(REPORT_LANG_EN, (report_text)id);
        const char *zh = report_text_of(REPORT_LANG_ZH, (report_text)id);
        if (!en[0] || !zh[0])
            fail_msg("text %d is missing in %s", id, en[0] ? "zh" : "en");
        if (count_s(en) != count_s(zh))
            fail_msg("text %d: %d figures in en, %d in zh: %s / %s", id, count_s(en), count_s(zh), en, zh);
        if (id != RT_K_S12 && id != RT_K_AUC && id != RT_AX_ARPU && id != RT_AX_LTV)
            assert_true(strcmp(en, zh) != 0 || strstr(en, "%s") == en);
    }
    static const char *const zh_stages[CLM_N_STAGES] = {"阶段 A 获取", "阶段 B 提升", "阶段 C 成熟", "阶段 D 衰退",
                                                        "阶段 E 离网"};
    for (int k = 0; k < CLM_N_STAGES; k++) {
        assert_string_equal(report_stage_name(REPORT_LANG_ZH, k), zh_stages[k]);
        /* English: the letter and the model's own name. */
        char want[64];
        snprintf(want, sizeof want, "%s %s", clm_stage_letters[k], clm_stage_names[k]);
        assert_string_equal(report_stage_name(REPORT_LANG_EN, k), want);
    }
    for (int k = 0; k < CLM_N_LEVERS; k++)
        assert_string_equal(report_lever_name(REPORT_LANG_EN, k), clm_health_lever_names[k]);
    for (int k = 0; k < CLM_N_TIERS; k++)
        assert_string_equal(report_tier_name(REPORT_LANG_EN, k), clm_tier_names[k]);
    for (int k = 0; k < CLM_N_SCORES; k++)
        assert_string_equal(report_score_name(REPORT_LANG_EN, k), clm_health_score_names[k]);
    /* A plan's levers and the budget's policies: English is the library's
     * own name, Chinese another, an unknown lever name passes through. */
    for (int k = 0; k < CLM_N_LEVER_KINDS; k++) {
        assert_string_equal(report_plan_lever_name(REPORT_LANG_EN, clm_lever_kind_names[k]), clm_lever_kind_names[k]);
        assert_string_not_equal(report_plan_lever_name(REPORT_LANG_ZH, clm_lever_kind_names[k]),
                                clm_lever_kind_names[k]);
    }
    assert_string_equal(report_plan_lever_name(REPORT_LANG_ZH, "my_lever"), "my_lever");
    for (int k = 0; k < CLM_N_POLICIES; k++) {
        assert_string_equal(report_policy_name(REPORT_LANG_EN, k), clm_budget_policy_names[k]);
        assert_string_not_equal(report_policy_name(REPORT_LANG_ZH, k), clm_budget_policy_names[k]);
    }
    assert_int_equal(report_lang_parse("en"), REPORT_LANG_EN);
    assert_int_equal(report_lang_parse("zh"), REPORT_LANG_ZH);
    assert_int_equal(report_lang_parse("fr"), -1);
    assert_int_equal(report_lang_parse(NULL), -1);
    assert_string_equal(report_lang_tag(REPORT_LANG_ZH), "zh-Hans");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),        cmocka_unit_test(test_money_and_fixed),
        cmocka_unit_test(test_percent),       cmocka_unit_test(test_as_csv),
        cmocka_unit_test(test_axis_max),      cmocka_unit_test(test_against_printf),
        cmocka_unit_test(test_strings_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

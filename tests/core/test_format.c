/*
 * test_format.c — util_format_g17 against glibc's snprintf("%.17g"), the
 * reference it must equal byte for byte: a few million values over the
 * fast path's range (random bit patterns, survival-like values in [0, 1],
 * integers, powers of ten and their neighbours), every kind of exact
 * rounding tie (18 significant digits ending in 5, both parities), and
 * the values it hands to snprintf (zero, tiny, huge, subnormal, inf, NaN).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/util_internal.h"

static long n_checked;

static void check(double v)
{
    char want[64], got[UTIL_G17_SIZE];
    int want_len = snprintf(want, sizeof want, "%.17g", v);
    int got_len = util_format_g17(v, got);
    if (strcmp(want, got) || want_len != got_len)
        fail_msg("%a: printf '%s', util_format_g17 '%s' (%d)", v, want, got, got_len);
    n_checked++;
}

static uint64_t state = 0x243F6A8885A308D3ULL;

static uint64_t next(void)
{
    state += UTIL_SPLITMIX_GAMMA;
    return util_mix64(state);
}

static double from_bits(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void test_random_bits(void **state_)
{
    (void)state_;
    /* Exponents spread over [1e-6, 1e18] (fast path and both edges). */
    for (int i = 0; i < 1000000; i++) {
        uint64_t r = next();
        uint64_t exponent = 1023 - 20 + (r >> 58) % 81; /* 2^-20 .. 2^60 */
        double v = from_bits((r & ((1ULL << 52) - 1)) | (exponent << 52) | (r & (1ULL << 63)));
        check(v);
    }
    /* Any finite pattern. */
    for (int i = 0; i < 200000; i++) {
        double v = from_bits(next());
        if (isfinite(v))
            check(v);
    }
}

static void test_survival_like(void **state_)
{
    (void)state_;
    /* Products of ratios (n - d) / n, as a Kaplan-Meier curve makes. */
    for (int curve = 0; curve < 2000; curve++) {
        double s = 1.0, h = 0.0, g = 0.0;
        int64_t at_risk = 50 + (int64_t)(next() % 100000);
        while (at_risk > 1) {
            int64_t d = 1 + (int64_t)(next() % (uint64_t)(at_risk / 8 + 1));
            if (d >= at_risk)
                break;
            s *= (double)(at_risk - d) / (double)at_risk;
            h += (double)d / (double)at_risk;
            g += (double)d / ((double)at_risk * (double)(at_risk - d));
            check(s);
            check(h);
            check(sqrt(g));
            check(exp(log(s) - 1.959963984540054 * sqrt(g)));
            check(1234.5678 * s / pow(1.1, (double)(curve % 60) / 12.0));
            at_risk -= d + (int64_t)(next() % 3);
        }
    }
    for (int i = 0; i <= 200000; i++) {
        check((double)i);
        check(-(double)i);
        check((double)i / 7.0);
        check((double)i * 0.01);
    }
}

static void test_edges(void **state_)
{
    (void)state_;
    /* Powers of ten and their neighbours: the decimal exponent, and
     * values that round up to the next power (9.99..e3 -> 10000). */
    for (int e = -6; e <= 18; e++) {
        double p = pow(10.0, e);
        double v = p;
        for (int k = 0; k < 300; k++) {
            check(v);
            v = nextafter(v, 0.0);
        }
        v = p;
        for (int k = 0; k < 300; k++) {
            check(v);
            v = nextafter(v, INFINITY);
        }
    }
    const double specials[] = {0.0, -0.0, 1.0, -1.0, 0.5, 1e-4, 9.9999999999999991e-05, 1e16, 9999999999999998.0,
                               4503599627370496.0, 9007199254740992.0, 1e-300, 5e-324, 2.2250738585072014e-308,
                               1.7976931348623157e308, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        check(specials[i]);
}

/* Exact ties: n * 2^-(17 - X) in [10^X, 10^(X+1)) has 18 significant
 * digits, the last a 5 when n is odd, so 17 digits fall half way. */
static void test_ties(void **state_)
{
    (void)state_;
    for (int x = -4; x <= 15; x++) {
        int j = 17 - x;
        double lo = ldexp(pow(10.0, x), j), hi = ldexp(pow(10.0, x + 1), j);
        if (hi > 9007199254740992.0)
            hi = 9007199254740992.0;
        for (int i = 0; i < 20000; i++) {
            uint64_t n = (uint64_t)lo + next() % (uint64_t)(hi - lo);
            n |= 1; /* odd: a tie */
            double v = ldexp((double)n, -j);
            if (v >= pow(10.0, x) && v < pow(10.0, x + 1)) {
                check(v);
                check(-v);
            }
        }
    }
    printf("%ld values compared\n", n_checked);
    assert_true(n_checked > 3000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bits),
        cmocka_unit_test(test_survival_like),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_ties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

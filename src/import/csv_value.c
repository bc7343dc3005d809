/*
 * csv_value.c — what a CSV field is (missing, integer, float, text) and its
 * numeric value.
 *
 * The grammar is deliberately narrow so that inference never surprises:
 *   integer  [blanks] [+-] digits [blanks]            within int64
 *   float    [blanks] [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits] [blanks]
 *            (and integers beyond int64)
 *   missing  empty, blanks only, or NA (blanks around it allowed)
 * Anything else is text: "inf", "nan", "0x10", "1,5", "$3" included.
 * strtod alone would accept hex, inf, nan and locale-dependent forms.
 *
 * Float values use Clinger's fast path when exact (at most 19 significant
 * digits giving a mantissa <= 2^53 and a power of ten in [-22, 22]: one
 * correctly rounded multiplication or division), otherwise strtod, which
 * glibc rounds correctly.  Both give the nearest double, so the fast path
 * changes speed, never results.
 */
#include <stdlib.h>
#include <string.h>

#include "import/import_internal.h"

static int is_blank(char c) { return c == ' ' || c == '\t'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Strips blanks at both ends. */
static void trim(const char **text, size_t *length)
{
    const char *s = *text;
    size_t n = *length;
    while (n > 0 && is_blank(s[0])) {
        s++;
        n--;
    }
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    *text = s;
    *length = n;
}

int csv_is_missing(const char *text, size_t length)
{
    trim(&text, &length);
    return length == 0 || (length == 2 && text[0] == 'N' && text[1] == 'A');
}

/* Integer grammar on a trimmed field; 1 if it matches.  *overflow is set
 * when the value does not fit in int64. */
static int integer_grammar(const char *s, size_t n, int64_t *value, int *overflow)
{
    size_t i = 0;
    int negative = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        i++;
    }
    if (i == n)
        return 0;
    /* Magnitude as uint64; the int64 limit is 2^63 - 1, or 2^63 if negative. */
    const uint64_t limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    uint64_t magnitude = 0;
    *overflow = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (magnitude > (limit - d) / 10)
            *overflow = 1;
        else
            magnitude = magnitude * 10 + d;
    }
    if (!*overflow)
        *value = negative ? (int64_t)(0u - magnitude) : (int64_t)magnitude;
    return 1;
}

/* Float grammar on a trimmed field, collecting what the fast path needs.
 * Returns 1 if it matches. */
static int float_grammar(const char *s, size_t n, int *negative, uint64_t *mantissa,
                         int *n_digits_dropped, long *exponent10, int *integer_form)
{
    *integer_form = 0;
    size_t i = 0;
    *negative = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        *negative = s[i] == '-';
        i++;
    }
    uint64_t m = 0;
    int significant = 0, dropped = 0, n_int = 0, n_frac = 0;
    long e10 = 0;
    for (; i < n && is_digit(s[i]); i++, n_int++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (m == 0 && d == 0)
            continue;
        if (significant < 19) {
            m = m * 10 + d;
            significant++;
        } else {
            e10++;
            dropped |= d != 0;
        }
    }
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && is_digit(s[i]); i++, n_frac++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (m == 0 && d == 0) {
                e10--;
                continue;
            }
            if (significant < 19) {
                m = m * 10 + d;
                significant++;
                e10--;
            } else {
                dropped |= d != 0;
            }
        }
    }
    if (n_int + n_frac == 0)
        return 0;
    if (i == n) {
        /* [sign] digits, without a point: an integer (if s has no '.') */
        *integer_form = n_frac == 0 && s[n - 1] != '.';
    } else if (s[i] == 'e' || s[i] == 'E') {
        i++;
        int exp_negative = 0;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            exp_negative = s[i] == '-';
            i++;
        }
        if (i == n || !is_digit(s[i]))
            return 0;
        long e = 0;
        for (; i < n && is_digit(s[i]); i++)
            if (e < 1000000) /* saturate: beyond this it is 0 or inf anyway */
                e = e * 10 + (s[i] - '0');
        e10 += exp_negative ? -e : e;
    }
    if (i != n)
        return 0;
    *mantissa = m;
    *n_digits_dropped = dropped;
    *exponent10 = e10;
    return 1;
}

/* One pass of the float grammar decides; only an integer of 19 or more
 * characters needs the exact int64 range test. */
csv_kind csv_classify(const char *text, size_t length)
{
    trim(&text, &length);
    if (length == 0 || (length == 2 && text[0] == 'N' && text[1] == 'A'))
        return CSV_NONE;
    int negative, dropped, integer_form;
    uint64_t mantissa;
    long e10;
    if (!float_grammar(text, length, &negative, &mantissa, &dropped, &e10, &integer_form))
        return CSV_TEXT;
    if (!integer_form)
        return CSV_FLOAT;
    if (length < 19)
        return CSV_INT;
    int64_t value;
    int overflow;
    integer_grammar(text, length, &value, &overflow);
    return overflow ? CSV_FLOAT : CSV_INT;
}

int csv_parse_int64(const char *text, size_t length, int64_t *out)
{
    trim(&text, &length);
    int overflow;
    if (!integer_grammar(text, length, out, &overflow) || overflow)
        return -1;
    return 0;
}

static const double powers_of_ten[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int csv_parse_float64(const char *text, size_t length, double *out)
{
    trim(&text, &length);
    int negative, dropped, integer_form;
    uint64_t mantissa;
    long e10;
    if (!float_grammar(text, length, &negative, &mantissa, &dropped, &e10, &integer_form))
        return -1;
    if (mantissa == 0) {
        *out = negative ? -0.0 : 0.0;
        return 0;
    }
    if (!dropped && mantissa <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
        double v = (double)mantissa;
        v = e10 < 0 ? v / powers_of_ten[-e10] : v * powers_of_ten[e10];
        *out = negative ? -v : v;
        return 0;
    }
    /* The field is followed by a NUL (batch fields are), and strtod stops at
     * the trailing blanks, so it reads exactly the validated number. */
    *out = strtod(text, NULL);
    return 0;
}

/*
 * format.c — numbers as the report shows them (see format_internal.h).
 * The digits come from snprintf; this file only adds the separators, the
 * percent sign and the dash for a missing value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/format_internal.h"

static const char missing[] = "\xe2\x80\x93"; /* U+2013 en dash */

/* Copies the digits of `plain` ("-1234567.89") into buf with a comma
 * between each group of three integer digits. */
static char *group_digits(char *buf, size_t cap, const char *plain)
{
    const char *p = plain;
    size_t used = 0;
    if (cap == 0)
        return buf;
    if (*p == '-') {
        if (used + 1 < cap) buf[used++] = '-';
        p++;
    }
    size_t int_len = strcspn(p, ".");
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0 && used + 1 < cap)
            buf[used++] = ',';
        if (used + 1 < cap) buf[used++] = p[i];
    }
    for (const char *q = p + int_len; *q; q++)
        if (used + 1 < cap) buf[used++] = *q;
    buf[used] = '\0';
    return buf;
}

char *fmt_count(char *buf, size_t cap, int64_t n)
{
    char plain[32];
    snprintf(plain, sizeof plain, "%lld", (long long)n);
    return group_digits(buf, cap, plain);
}

char *fmt_fixed(char *buf, size_t cap, double v, int decimals)
{
    if (!isfinite(v)) {
        snprintf(buf, cap, "%s", missing);
        return buf;
    }
    char plain[400]; /* %.*f of 1e308 has 309 digits */
    snprintf(plain, sizeof plain, "%.*f", decimals, v);
    /* "-0.00" is shown as "0.00": a sign without a digit is noise. */
    if (plain[0] == '-' && strspn(plain + 1, "0.") == strlen(plain + 1))
        memmove(plain, plain + 1, strlen(plain));
    return group_digits(buf, cap, plain);
}

char *fmt_money(char *buf, size_t cap, double v)
{
    return fmt_fixed(buf, cap, v, 2);
}

char *fmt_percent(char *buf, size_t cap, double rate, int decimals)
{
    if (!isfinite(rate)) {
        snprintf(buf, cap, "%s", missing);
        return buf;
    }
    char digits[FMT_CAP];
    fmt_fixed(digits, sizeof digits, 100.0 * rate, decimals);
    snprintf(buf, cap, "%s%%", digits);
    return buf;
}

double fmt_as_csv(double v, int csv_decimals)
{
    if (!isfinite(v))
        return v;
    char plain[400];
    snprintf(plain, sizeof plain, "%.*f", csv_decimals, v);
    return strtod(plain, NULL);
}

double fmt_axis_max(double max)
{
    if (!(max > 0) || !isfinite(max))
        return 1.0;
    double p = pow(10.0, floor(log10(max)));
    static const double steps[] = {1, 2, 2.5, 5, 10};
    for (int i = 0; i < 5; i++)
        if (steps[i] * p >= max * (1 - 1e-12))
            return steps[i] * p;
    return 10 * p;
}

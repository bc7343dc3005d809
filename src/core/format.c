/*
 * format.c — numbers as text, byte for byte as printf writes them, without
 * printf's cost: the tidy survival CSV prints nine numbers per line, and
 * glibc's "%.17g" (about 0.4 us a number, through its multi-precision
 * path) was most of `clmseg survival`'s time once the HDF5 output was
 * compact.
 *
 * util_format_g17 gives the 17 significant digits of the exact binary
 * value, rounded to nearest with ties to even, as glibc does in the
 * default rounding mode: for 1e-4 <= |v| < 1e16 the value is m * 2^e with
 * m < 2^53, so v * 10^p (p = 16 - decimal exponent <= 20) is m * 10^p
 * shifted by e, exact in 128 bits, and its low bits decide the rounding.
 * Other values (tiny, huge, subnormal, non-finite), which %.17g writes in
 * exponent form or as inf/nan, go to snprintf.  tests/core/test_format.c
 * compares the two on a few million values and on every rounding tie.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/util_internal.h"

static const uint64_t pow10_u64[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, 10000000000000000000ULL};

static const char two_digits[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                    "8081828384858687888990919293949596979899";

/* 10^p for p in [0, 21], in 128 bits. */
static unsigned __int128 pow10_u128(int p)
{
    return p < 20 ? (unsigned __int128)pow10_u64[p] : (unsigned __int128)pow10_u64[p - 2] * 100u;
}

/* floor(m * 2^e * 10^p) and whether the rest is below, at or above one
 * half (-1, 0, 1; -2 when exact). */
static uint64_t scaled(uint64_t mantissa, int exponent, int p, int *rest)
{
    unsigned __int128 x = (unsigned __int128)mantissa * pow10_u128(p);
    if (exponent >= 0) {
        *rest = -2;
        return (uint64_t)(x << exponent);
    }
    int shift = -exponent;
    unsigned __int128 low = x & ((((unsigned __int128)1) << shift) - 1);
    unsigned __int128 half = ((unsigned __int128)1) << (shift - 1);
    *rest = low == 0 ? -2 : low < half ? -1 : low == half ? 0 : 1;
    return (uint64_t)(x >> shift);
}

int util_format_g17(double value, char *out)
{
    double a = fabs(value);
    if (!(a >= 1e-4 && a < 1e16)) {
        if (value == 0.0) {
            strcpy(out, signbit(value) ? "-0" : "0");
            return signbit(value) ? 2 : 1;
        }
        return snprintf(out, UTIL_G17_SIZE, "%.17g", value);
    }
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    /* Normal (a >= 1e-4): a = m * 2^e with the implicit bit. */
    uint64_t mantissa = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int exponent = (int)(bits >> 52) - 1075;
    /* Decimal exponent: floor(log10(2^(e + 52))) is within one of it. */
    int binary = exponent + 52;
    int decimal = binary >= 0 ? (binary * 78913) >> 18 : -((-binary * 78913 + (1 << 18) - 1) >> 18);
    int rest;
    uint64_t digits = scaled(mantissa, exponent, 16 - decimal, &rest);
    if (digits >= pow10_u64[17]) {
        decimal++;
        digits = scaled(mantissa, exponent, 16 - decimal, &rest);
    } else if (digits < pow10_u64[16]) {
        decimal--;
        digits = scaled(mantissa, exponent, 16 - decimal, &rest);
    }
    if (rest == 1 || (rest == 0 && (digits & 1)))
        digits++;
    if (digits == pow10_u64[17]) {
        digits = pow10_u64[16];
        decimal++;
    }
    /* 17 digits: 9 + 8, two at a time in 32-bit arithmetic. */
    char text[18];
    uint32_t high = (uint32_t)(digits / 100000000u), low = (uint32_t)(digits % 100000000u);
    for (int i = 16; i > 8; i -= 2) {
        memcpy(text + i - 1, two_digits + 2 * (low % 100), 2);
        low /= 100;
    }
    for (int i = 8; i > 0; i -= 2) {
        memcpy(text + i - 1, two_digits + 2 * (high % 100), 2);
        high /= 100;
    }
    text[0] = (char)('0' + high);
    int n_digits = 17;
    while (n_digits > 1 && text[n_digits - 1] == '0')
        n_digits--;
    char *p = out;
    if (value < 0)
        *p++ = '-';
    if (decimal >= 0) {
        int whole = decimal + 1; /* digits before the point */
        for (int i = 0; i < whole; i++)
            *p++ = i < n_digits ? text[i] : '0';
        if (n_digits > whole) {
            *p++ = '.';
            memcpy(p, text + whole, (size_t)(n_digits - whole));
            p += n_digits - whole;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -decimal - 1; i++)
            *p++ = '0';
        memcpy(p, text, (size_t)n_digits);
        p += n_digits;
    }
    *p = '\0';
    return (int)(p - out);
}

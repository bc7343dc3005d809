/*
 * json.c — see json_internal.h.
 */
#include <math.h>

#include "core/json_internal.h"

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 when the
 * bytes there are not one (a stray continuation byte, a truncated or
 * overlong sequence, a surrogate, a code point past U+10FFFF). */
static int utf8_length(const unsigned char *p)
{
    const unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4)
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] >= 0x90))
        return 0;
    return n;
}

void json_put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* JSON is UTF-8: a byte that is not part of a well-formed sequence
         * (a Latin-1 name, say) becomes U+FFFD, so the document stays
         * valid whatever the names hold. */
        if (*p >= 0x80) {
            int n = utf8_length(p);
            if (n == 0) {
                fputs("\\ufffd", out);
            } else {
                fwrite(p, 1, (size_t)n, out);
                p += n - 1;
            }
            continue;
        }
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        /* "</script>" in a name must not end the report's data block. */
        case '<': fputs("\\u003c", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

void json_put_number(FILE *out, double value)
{
    if (!isfinite(value))
        fputs("null", out);
    else if (value == floor(value) && fabs(value) < 1e15)
        fprintf(out, "%.0f", value);
    else
        fprintf(out, "%.17g", value);
}

void json_put_numbers(FILE *out, const double *values, int count)
{
    fputc('[', out);
    for (int i = 0; i < count; i++) {
        if (i)
            fputs(", ", out);
        json_put_number(out, values[i]);
    }
    fputc(']', out);
}

void json_put_member(FILE *out, const char *name, double value)
{
    fputs(", ", out);
    json_put_string(out, name);
    fputs(": ", out);
    json_put_number(out, value);
}

/*
 * csv_field.c — one CSV field written as RFC 4180 wants it (see
 * util_internal.h): every CSV the library writes quotes its text fields
 * here, so a name holding a comma, quote or line break reads back whole.
 */
#include <stdio.h>
#include <string.h>

#include "core/util_internal.h"

void util_csv_field_quoted(FILE *out, const char *text)
{
    fputc('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            fputc('"', out); /* a quote inside is doubled */
        fputc(*c, out);
    }
    fputc('"', out);
}

void util_csv_field(FILE *out, const char *text)
{
    if (strpbrk(text, ",\"\n\r"))
        util_csv_field_quoted(out, text);
    else
        fputs(text, out);
}

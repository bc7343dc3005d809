/*
 * json_internal.h — the few JSON writing helpers clmseg needs (inspect
 * --json, run.json, benchmark lines, tree export): strings escaped per
 * RFC 8259 and numbers that print non-finite values as null.
 */
#ifndef CLMSEG_JSON_INTERNAL_H
#define CLMSEG_JSON_INTERNAL_H

#include <stdio.h>

/* Writes `s` as a quoted JSON string. */
void json_put_string(FILE *out, const char *s);

/* Writes a number with 17 significant digits (round-trips), or null for
 * NaN and infinities. */
void json_put_number(FILE *out, double value);

/* `[v0, v1, ...]` with json_put_number. */
void json_put_numbers(FILE *out, const double *values, int count);

/* `, "name": value`: the next member of an object already opened. */
void json_put_member(FILE *out, const char *name, double value);

#endif /* CLMSEG_JSON_INTERNAL_H */

/*
 * format_internal.h — the one place the report turns numbers into text:
 * counts and money with thousands separators, rates as percentages, fixed
 * decimals.  Every table, chart label and figure of report.html goes
 * through these functions (the CSVs keep their machine-readable numbers).
 *
 * Rounding is printf's ("%.*f": the nearest decimal of the binary value),
 * so a reader can reproduce a shown figure from the CSV value with any
 * language's printf-style formatting (docs/run.md, "Numbers").  A missing
 * value (NaN) is shown as an en dash.  Each function writes at most `cap`
 * bytes (NUL included) into `buf` and returns `buf`.
 */
#ifndef CLMSEG_FORMAT_INTERNAL_H
#define CLMSEG_FORMAT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Enough for any figure these functions write. */
#define FMT_CAP 48

/* 1234567 -> "1,234,567". */
char *fmt_count(char *buf, size_t cap, int64_t n);

/* `decimals` decimals with thousands separators: 1234.5, 2 -> "1,234.50". */
char *fmt_fixed(char *buf, size_t cap, double v, int decimals);

/* Money: two decimals with separators, fmt_fixed(v, 2). */
char *fmt_money(char *buf, size_t cap, double v);

/* A rate in [0, 1] (or a change, -0.05) as a percentage with `decimals`
 * decimals: 0.123456, 2 -> "12.35%"; -0.05, 1 -> "-5.0%". */
char *fmt_percent(char *buf, size_t cap, double rate, int decimals);

/* `v` as a CSV column printed with "%.*f" (`csv_decimals`) reads back: the
 * report formats that value, so its figure is the CSV's, rounded once more
 * (never a different rounding of the unrounded number). */
double fmt_as_csv(double v, int csv_decimals);

/* A "nice" upper bound of an axis: the smallest 1, 2, 2.5 or 5 x 10^k at
 * or above `max` (1 for max <= 0 or NaN). */
double fmt_axis_max(double max);

#endif /* CLMSEG_FORMAT_INTERNAL_H */

/*
 * html_internal.h — building blocks of the self-contained HTML report:
 * escaping, the page frame with inline CSS and a small sort script, and
 * inline SVG charts (survival curves with bands, bars, heat map, stacked
 * shares).  No network, no external file: the page opens from disk.
 *
 * Every function writes to a stdio stream; charts take plain arrays so the
 * report can be tested without running the pipeline.
 */
#ifndef CLMSEG_HTML_INTERNAL_H
#define CLMSEG_HTML_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

/* Writes `text` with &, <, >, " and ' escaped. */
void html_escape(FILE *out, const char *text);
/* A sentence of the strings table (printf format) with its figures, then
 * escaped as html_escape does; at most 4,095 bytes of text. */
void html_escapef(FILE *out, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A table's <thead> row of `count` column titles, escaped. */
void html_header_row(FILE *out, const char *const *heads, int count);

/* <!doctype html> ... <body>, with the inline style sheet and script;
 * `lang` the page's language tag ("en", "zh-Hans"). */
void html_begin(FILE *out, const char *title, const char *lang);
void html_end(FILE *out);

/* A row of headline figures: label above, value below. */
void html_kpis(FILE *out, const char *const *labels, const char *const *values, int count);

/* One survival curve: step function S(t) with its confidence band. */
typedef struct svg_curve {
    const char *label;
    int n_points;
    const double *time, *survival, *lower, *upper;
    const int64_t *at_risk;
} svg_curve;

/* The words of a chart, in the report's language: axis titles (with their
 * unit) and the heading of the at-risk table. */
typedef struct svg_axes {
    const char *x_title, *y_title, *at_risk;
} svg_axes;

/* Kaplan-Meier curves on one chart (time in months on x, S in [0, 1] on y
 * shown in percent), bands shaded, and an at-risk table at the month
 * ticks (a round step, about `n_ticks` of them) below the chart. */
void svg_survival(FILE *out, const svg_curve *curves, int n_curves, double max_time, int n_ticks,
                  const svg_axes *axes);

/* Horizontal bars with labels, each value's text (format_internal.h) at
 * its end, and the axis title (with the unit) below. */
void svg_bars(FILE *out, const char *const *labels, const double *values, const char *const *value_texts,
              int count, const char *axis_title);

/* Heat map of `values` (n_rows x n_cols, row-major), coloured on a diverging
 * scale clipped at +-clip, with row and column labels and one annotation per
 * row (e.g. the segment size) on the right. */
void svg_heatmap(FILE *out, const char *const *row_labels, const char *const *col_labels,
                     const double *values, int n_rows, int n_cols, double clip,
                     const char *const *row_notes, const char *title);

/* Stacked horizontal bars of shares (n_rows x n_parts, each row summing to
 * 1), with a legend of the part labels and a percent axis titled
 * `axis_title`. */
void svg_stacked(FILE *out, const char *const *row_labels, const char *const *part_labels,
                     const double *shares, int n_rows, int n_parts, const char *axis_title);

#endif /* CLMSEG_HTML_INTERNAL_H */

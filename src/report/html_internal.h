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

/* <!doctype html> ... <body>, with the inline style sheet and script. */
void html_begin(FILE *out, const char *title);
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

/* Kaplan-Meier curves on one chart (time in months on x, S in [0, 1] on y),
 * bands shaded, and an at-risk table at `n_ticks` evenly spaced times below
 * the chart. */
void svg_survival(FILE *out, const svg_curve *curves, int n_curves, double max_time, int n_ticks);

/* Horizontal bars with labels and formatted values. */
void svg_bars(FILE *out, const char *const *labels, const double *values, int count, const char *value_format);

/* Heat map of `values` (n_rows x n_cols, row-major), coloured on a diverging
 * scale clipped at +-clip, with row and column labels and one annotation per
 * row (e.g. the segment size) on the right. */
void svg_heatmap(FILE *out, const char *const *row_labels, const char *const *col_labels,
                     const double *values, int n_rows, int n_cols, double clip,
                     const char *const *row_notes);

/* Stacked horizontal bars of shares (n_rows x n_parts, each row summing to
 * 1), with a legend of the part labels. */
void svg_stacked(FILE *out, const char *const *row_labels, const char *const *part_labels,
                     const double *shares, int n_rows, int n_parts);

#endif /* CLMSEG_HTML_INTERNAL_H */

/*
 * html.c — the page frame and the charts of the report (see
 * html_internal.h).  Coordinates are computed here and written as plain SVG
 * so the page renders the same in any browser, offline.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report/format_internal.h"
#include "report/html_internal.h"

/* A palette that stays distinguishable for up to 12 series. */
static const char *const palette[12] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                        "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"};

void html_escape(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*p, out);
        }
    }
}

void html_escapef(FILE *out, const char *format, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, format);
    vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    html_escape(out, text);
}

void html_header_row(FILE *out, const char *const *heads, int count)
{
    fputs("<thead><tr>", out);
    for (int i = 0; i < count; i++) {
        fputs("<th>", out);
        html_escape(out, heads[i]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>", out);
}

static const char *const style_sheet =
    "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1180px;"
    "padding:24px;color:#222;background:#fafafa}"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #ddd;"
    "padding-bottom:4px}.sub{color:#666;margin:0 0 16px}"
    ".kpis{display:flex;flex-wrap:wrap;gap:12px}.kpi{background:#fff;border:1px solid #e3e3e3;border-radius:6px;"
    "padding:10px 14px;min-width:130px}.kpi .l{color:#666;font-size:12px}.kpi .v{font-size:20px;font-weight:600}"
    "table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}"
    "th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:right;white-space:nowrap}"
    "th{background:#f0f0f0;cursor:pointer;user-select:none;position:sticky;top:0}"
    "td:first-child,th:first-child{text-align:left}"
    ".bar{display:inline-block;height:10px;background:#2ca02c;vertical-align:middle;margin-right:6px}"
    ".scroll{max-height:520px;overflow:auto;border:1px solid #e3e3e3}"
    "svg{background:#fff;border:1px solid #e3e3e3;border-radius:4px}svg text{font:11px sans-serif;fill:#333}"
    "pre{background:#fff;border:1px solid #e3e3e3;padding:10px;overflow:auto;font-size:12px}";

/* Sorting of tables with class "sortable": click a header to sort by that
 * column (numbers by data-v when present), click again to reverse. */
static const char *const sort_script =
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){"
    "var b=t.tBodies[0],rows=Array.from(b.rows),asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';"
    "rows.sort(function(x,y){var a=x.cells[i],c=y.cells[i];"
    "var u=a.dataset.v!==undefined?parseFloat(a.dataset.v):a.textContent,"
    "v=c.dataset.v!==undefined?parseFloat(c.dataset.v):c.textContent;"
    "return (u<v?-1:u>v?1:0)*(asc?1:-1);});rows.forEach(function(r){b.appendChild(r);});});});});";

void html_begin(FILE *out, const char *title, const char *lang)
{
    fprintf(out, "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n<title>", lang);
    html_escape(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n", style_sheet);
}

void html_end(FILE *out)
{
    fprintf(out, "<script>%s</script>\n</body></html>\n", sort_script);
}

void html_kpis(FILE *out, const char *const *labels, const char *const *values, int count)
{
    fputs("<div class=\"kpis\">", out);
    for (int i = 0; i < count; i++) {
        fputs("<div class=\"kpi\"><div class=\"l\">", out);
        html_escape(out, labels[i]);
        fputs("</div><div class=\"v\">", out);
        html_escape(out, values[i]);
        fputs("</div></div>", out);
    }
    fputs("</div>\n", out);
}

/* Survival chart geometry. */
enum { SV_W = 760, SV_H = 340, SV_L = 50, SV_R = 170, SV_T = 16, SV_B = 36 };

static double sx(double t, double max_time)
{
    return SV_L + (SV_W - SV_L - SV_R) * (max_time > 0 ? t / max_time : 0);
}

static double sy(double s)
{
    if (!(s >= 0)) s = 0;
    if (s > 1) s = 1;
    return SV_T + (SV_H - SV_T - SV_B) * (1 - s);
}

/* Value of a right-continuous step function at time t (1 before the first
 * point). */
static double step_at(const double *time, const double *value, int n, double t)
{
    double v = 1.0;
    for (int i = 0; i < n && time[i] <= t; i++)
        v = value[i];
    return v;
}

static void step_path(FILE *out, const double *time, const double *value, int n, double max_time, int start_at_one)
{
    fprintf(out, "M%.1f %.1f", sx(0, max_time), sy(start_at_one ? 1.0 : (n ? value[0] : 1.0)));
    for (int i = 0; i < n && time[i] <= max_time; i++) {
        if (!isfinite(value[i]))
            continue;
        fprintf(out, "H%.1fV%.1f", sx(time[i], max_time), sy(value[i]));
    }
    fprintf(out, "H%.1f", sx(max_time, max_time));
}

/* An axis title: below the chart (x) or turned along its left edge (y). */
static void axis_title(FILE *out, double x, double y, int vertical, const char *title)
{
    if (vertical)
        fprintf(out, "<text class=\"ax\" transform=\"translate(%.1f,%.1f) rotate(-90)\" text-anchor=\"middle\">",
                x, y);
    else
        fprintf(out, "<text class=\"ax\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, y);
    html_escape(out, title);
    fputs("</text>\n", out);
}

void svg_survival(FILE *out, const svg_curve *curves, int n_curves, double max_time, int n_ticks,
                  const svg_axes *axes)
{
    char text[FMT_CAP];
    fprintf(out, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", SV_W, SV_H, SV_W, SV_H);
    /* Axes and grid. */
    for (int g = 0; g <= 4; g++) {
        double s = g / 4.0;
        fprintf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                     "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                SV_L, SV_W - SV_R, sy(s), sy(s), SV_L - 6, sy(s) + 4, fmt_percent(text, sizeof text, s, 0));
    }
    /* Month ticks at a round step (12, 20, ...), at most about n_ticks. */
    const double step = fmt_axis_max(max_time / (n_ticks > 0 ? n_ticks : 1));
    n_ticks = (int)floor(max_time / step + 1e-9);
    for (int k = 0; k <= n_ticks; k++) {
        double t = step * k;
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", sx(t, max_time),
                SV_H - SV_B + 16, fmt_fixed(text, sizeof text, t, 0));
    }
    axis_title(out, (SV_L + SV_W - SV_R) / 2.0, SV_H - 4, 0, axes->x_title);
    axis_title(out, 12, (SV_T + SV_H - SV_B) / 2.0, 1, axes->y_title);
    for (int c = 0; c < n_curves; c++) {
        const svg_curve *cv = &curves[c];
        const char *colour = palette[c % 12];
        /* Band: upper steps forward, lower steps back. */
        if (cv->lower && cv->upper && cv->n_points > 0) {
            fputs("<path d=\"", out);
            step_path(out, cv->time, cv->upper, cv->n_points, max_time, 1);
            double t_end = max_time;
            fprintf(out, "V%.1f", sy(step_at(cv->time, cv->lower, cv->n_points, t_end)));
            for (int i = cv->n_points - 1; i >= 0; i--) {
                if (cv->time[i] > max_time || !isfinite(cv->lower[i]))
                    continue;
                double before = i > 0 ? cv->lower[i - 1] : 1.0;
                if (!isfinite(before)) before = 0;
                fprintf(out, "H%.1fV%.1f", sx(cv->time[i], max_time), sy(before));
            }
            fprintf(out, "H%.1fZ\" fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\"/>\n", sx(0, max_time),
                    colour);
        }
        fputs("<path d=\"", out);
        step_path(out, cv->time, cv->survival, cv->n_points, max_time, 1);
        fprintf(out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"/>\n", colour);
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                     "<text x=\"%d\" y=\"%d\">",
                SV_W - SV_R + 12, SV_T + 16 * c, colour, SV_W - SV_R + 26, SV_T + 16 * c + 9);
        html_escape(out, cv->label);
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
    /* At-risk table. */
    if (n_curves > 0 && curves[0].at_risk) {
        fputs("<table class=\"atrisk\"><thead><tr><th>", out);
        html_escape(out, axes->at_risk);
        fputs("</th>", out);
        for (int k = 0; k <= n_ticks; k++)
            fprintf(out, "<th>%s</th>", fmt_fixed(text, sizeof text, step * k, 0));
        fputs("</tr></thead><tbody>\n", out);
        for (int c = 0; c < n_curves; c++) {
            const svg_curve *cv = &curves[c];
            fputs("<tr><td>", out);
            html_escape(out, cv->label);
            fputs("</td>", out);
            for (int k = 0; k <= n_ticks; k++) {
                double t = step * k;
                /* At risk at t: the at-risk count of the first time >= t. */
                long long n = 0;
                for (int i = 0; i < cv->n_points; i++)
                    if (cv->time[i] >= t) {
                        n = (long long)cv->at_risk[i];
                        break;
                    }
                fprintf(out, "<td>%s</td>", fmt_count(text, sizeof text, n));
            }
            fputs("</tr>\n", out);
        }
        fputs("</tbody></table>\n", out);
    }
}

/* The left margin that fits the longest label (11px text, about 6px a
 * character; a UTF-8 continuation byte takes no room), at least `base`:
 * segment labels carry their names ("segment 3: high data · low tenure"). */
static int label_margin(const char *const *labels, int count, int base)
{
    int widest = 0;
    for (int i = 0; i < count; i++) {
        int chars = 0;
        for (const unsigned char *c = (const unsigned char *)labels[i]; c && *c; c++)
            chars += (*c & 0xC0) != 0x80;
        if (chars > widest)
            widest = chars;
    }
    return 6 * widest + 12 > base ? 6 * widest + 12 : base;
}

void svg_bars(FILE *out, const char *const *labels, const double *values, const char *const *value_texts,
              int count, const char *axis)
{
    const int left = label_margin(labels, count, 170), width = left + 590, right = 90, row = 20;
    int height = row * count + 30;
    double max = 0;
    for (int i = 0; i < count; i++)
        if (isfinite(values[i]) && values[i] > max)
            max = values[i];
    fprintf(out, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", width, height, width,
            height);
    for (int i = 0; i < count; i++) {
        double v = isfinite(values[i]) && values[i] > 0 ? values[i] : 0;
        double w = max > 0 ? (width - left - right) * v / max : 0;
        int y = 5 + row * i;
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6, y + 13);
        html_escape(out, labels[i]);
        fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                     "<text x=\"%.1f\" y=\"%d\">",
                left, y + 3, w, row - 6, palette[i % 12], left + w + 4, y + 13);
        html_escape(out, value_texts[i]);
        fputs("</text>\n", out);
    }
    axis_title(out, left + (width - left - right) / 2.0, height - 6, 0, axis);
    fputs("</svg>\n", out);
}

/* Diverging blue-white-red colour for z in [-1, 1]. */
static void diverging(double z, char *buf, size_t cap)
{
    if (!isfinite(z)) z = 0;
    if (z > 1) z = 1;
    if (z < -1) z = -1;
    int r, g, b;
    if (z >= 0) {
        r = 255;
        g = (int)(255 - 180 * z);
        b = (int)(255 - 200 * z);
    } else {
        r = (int)(255 + 200 * z);
        g = (int)(255 + 130 * z);
        b = 255;
    }
    snprintf(buf, cap, "#%02x%02x%02x", r, g, b);
}

void svg_heatmap(FILE *out, const char *const *row_labels, const char *const *col_labels, const double *values,
                     int n_rows, int n_cols, double clip, const char *const *row_notes, const char *title)
{
    const int left = label_margin(row_labels, n_rows, 110), top = 110, cell_w = 40, cell_h = 24, right = 110;
    int width = left + n_cols * cell_w + right, height = top + n_rows * cell_h + 30;
    char text[FMT_CAP];
    fprintf(out, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", width, height, width,
            height);
    for (int j = 0; j < n_cols; j++) {
        fprintf(out, "<text transform=\"translate(%d,%d) rotate(-55)\">", left + j * cell_w + cell_w / 2,
                top - 6);
        html_escape(out, col_labels[j]);
        fputs("</text>\n", out);
    }
    for (int i = 0; i < n_rows; i++) {
        int y = top + i * cell_h;
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6, y + 16);
        html_escape(out, row_labels[i]);
        fputs("</text>", out);
        for (int j = 0; j < n_cols; j++) {
            double v = values[(size_t)i * n_cols + j];
            char colour[16];
            diverging(clip > 0 ? v / clip : 0, colour, sizeof colour);
            fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s</title></rect>",
                    left + j * cell_w, y, cell_w - 1, cell_h - 1, colour, fmt_fixed(text, sizeof text, v, 2));
            fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" style=\"font-size:9px\">%s</text>",
                    left + j * cell_w + cell_w / 2, y + 15, fmt_fixed(text, sizeof text, v, 1));
        }
        if (row_notes) {
            fprintf(out, "<text x=\"%d\" y=\"%d\">", left + n_cols * cell_w + 8, y + 16);
            html_escape(out, row_notes[i]);
            fputs("</text>", out);
        }
        fputs("\n", out);
    }
    axis_title(out, left + n_cols * cell_w / 2.0, height - 6, 0, title);
    fputs("</svg>\n", out);
}

void svg_stacked(FILE *out, const char *const *row_labels, const char *const *part_labels, const double *shares,
                     int n_rows, int n_parts, const char *axis)
{
    const int width = 760, left = 170, right = 20, row = 22, top = 26;
    int height = top + row * n_rows + 40;
    char text[FMT_CAP];
    fprintf(out, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", width, height, width,
            height);
    for (int p = 0; p < n_parts; p++) {
        fprintf(out, "<rect x=\"%d\" y=\"6\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"15\">",
                left + p * 110, palette[p % 12], left + p * 110 + 14);
        html_escape(out, part_labels[p]);
        fputs("</text>", out);
    }
    fputs("\n", out);
    for (int i = 0; i < n_rows; i++) {
        int y = top + row * i;
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 6, y + 14);
        html_escape(out, row_labels[i]);
        fputs("</text>", out);
        double x = left;
        for (int p = 0; p < n_parts; p++) {
            double s = shares[(size_t)i * n_parts + p];
            double w = (width - left - right) * (isfinite(s) && s > 0 ? s : 0);
            fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>", x, y + 2,
                    w, row - 6, palette[p % 12]);
            html_escape(out, part_labels[p]);
            fprintf(out, " %s</title></rect>", fmt_percent(text, sizeof text, s, 1));
            x += w;
        }
        fputs("\n", out);
    }
    /* The percent axis under the bars. */
    int base = top + row * n_rows;
    for (int g = 0; g <= 4; g++) {
        double x = left + (width - left - right) * g / 4.0;
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", x, base + 14,
                fmt_percent(text, sizeof text, g / 4.0, 0));
    }
    axis_title(out, left + (width - left - right) / 2.0, height - 6, 0, axis);
    fputs("</svg>\n", out);
}

/*
 * survival_write.c — the outputs of survival: the HDF5 groups
 * /survival/<by> and /survival/all (through writer.h, so the file is
 * written atomically), and the tidy CSV (one row per stratum and time).
 *
 * The HDF5 layout is "long" (docs/survival.md, Outputs): one dataset per
 * per-time field concatenated over the strata, indexed by each stratum's
 * offset and n_times, and one dataset per per-stratum figure.  A
 * stratification is about twenty objects whatever its number of strata
 * (a group per stratum cost eleven objects and sixteen attributes each:
 * 200,000 branches were 5.4 million of them), and h5py or pandas read
 * any field of every stratum in one call.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "survival/survival_internal.h"

/* A field of clm_survival_curve written as a dataset: 8-byte values
 * (double or int64) all, so they are gathered alike. */
typedef struct curve_field {
    const char *name;
    clm_dtype dtype;
    size_t member; /* offsetof the field in clm_survival_curve */
} curve_field;

/* The per-time arrays (members of type `const T *`), in writing order. */
static const curve_field time_fields[] = {
    {"time", CLM_DT_FLOAT64, offsetof(clm_survival_curve, time)},
    {"at_risk", CLM_DT_INT64, offsetof(clm_survival_curve, at_risk)},
    {"events", CLM_DT_INT64, offsetof(clm_survival_curve, events)},
    {"censored", CLM_DT_INT64, offsetof(clm_survival_curve, censored)},
    {"survival", CLM_DT_FLOAT64, offsetof(clm_survival_curve, survival)},
    {"std_err", CLM_DT_FLOAT64, offsetof(clm_survival_curve, std_err)},
    {"lower", CLM_DT_FLOAT64, offsetof(clm_survival_curve, lower)},
    {"upper", CLM_DT_FLOAT64, offsetof(clm_survival_curve, upper)},
    {"cumhaz", CLM_DT_FLOAT64, offsetof(clm_survival_curve, cumhaz)},
};

/* The per-stratum figures (members of type int64_t or double). */
static const curve_field stratum_fields[] = {
    {"n_rows", CLM_DT_INT64, offsetof(clm_survival_curve, n_rows)},
    {"n_events", CLM_DT_INT64, offsetof(clm_survival_curve, n_events)},
    {"n_times", CLM_DT_INT64, offsetof(clm_survival_curve, n_times)},
    {"median", CLM_DT_FLOAT64, offsetof(clm_survival_curve, median)},
    {"median_lower", CLM_DT_FLOAT64, offsetof(clm_survival_curve, median_lower)},
    {"median_upper", CLM_DT_FLOAT64, offsetof(clm_survival_curve, median_upper)},
    {"rmst", CLM_DT_FLOAT64, offsetof(clm_survival_curve, rmst)},
    {"arpu_mean", CLM_DT_FLOAT64, offsetof(clm_survival_curve, arpu_mean)},
};

/* HDF5 link names cannot hold '/', and "." is the group itself. */
static void group_name(const char *label, char *out, size_t size)
{
    snprintf(out, size, "%s", label);
    for (char *p = out; *p; p++)
        if (*p == '/')
            *p = '_';
    if (!out[0] || !strcmp(out, "."))
        snprintf(out, size, "_");
}

static clm_status write_dataset(clm_writer *w, const char *group, const char *name, clm_dtype dtype,
                                int rank, int64_t rows, int64_t cols, const void *data)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", group, name);
    const int64_t dims[2] = {rows, cols};
    return clm_writer_array(w, path, dtype, rank, dims, data);
}

/* The `n` curves c[0..n) under `group` in the long layout (n may be 0). */
static clm_status write_curves(clm_writer *w, const char *group, const surv_curve *c, int32_t n,
                               const clm_survival_params *p, int with_ltv)
{
    int64_t n_entries = 0;
    for (int32_t i = 0; i < n; i++)
        n_entries += c[i].view.n_times;
    int64_t width = p->n_at > p->horizon + 1 ? p->n_at : p->horizon + 1;
    size_t per_time = (size_t)(n_entries > 0 ? n_entries : 1);
    size_t per_stratum = (size_t)(n > 0 ? n : 1) * (size_t)(width > 0 ? width : 1);
    unsigned char *buffer = malloc((per_time > per_stratum ? per_time : per_stratum) * 8);
    const char **labels = malloc((size_t)(n > 0 ? n : 1) * sizeof *labels);
    if (!buffer || !labels) {
        free(buffer);
        free(labels);
        return clm_error(CLM_E_NOMEM, "out of memory writing %s", group);
    }
    int64_t *index = (int64_t *)(void *)buffer;
    double *values = (double *)(void *)buffer;
    clm_status st = clm_writer_group(w, group);
    if (!st)
        st = clm_writer_attr_string(w, group, "layout", "long");

    /* Per stratum: label, offset of its first time, then the figures. */
    for (int32_t i = 0; i < n; i++)
        labels[i] = c[i].view.label;
    if (!st) {
        char path[1100];
        snprintf(path, sizeof path, "%s/label", group);
        st = clm_writer_strings(w, path, labels, n);
    }
    int64_t first = 0;
    for (int32_t i = 0; i < n; first += c[i].view.n_times, i++)
        index[i] = first;
    if (!st)
        st = write_dataset(w, group, "offset", CLM_DT_INT64, 1, n, 0, index);
    for (size_t f = 0; f < sizeof stratum_fields / sizeof stratum_fields[0] && !st; f++) {
        for (int32_t i = 0; i < n; i++)
            memcpy(buffer + (size_t)i * 8, (const unsigned char *)&c[i].view + stratum_fields[f].member, 8);
        st = write_dataset(w, group, stratum_fields[f].name, stratum_fields[f].dtype, 1, n, 0, buffer);
    }
    /* S at the horizons and the LTV curve: [stratum][k] tables. */
    if (!st && p->n_at > 0) {
        for (int32_t i = 0; i < n; i++)
            memcpy(values + (size_t)i * (size_t)p->n_at, c[i].view.survival_at, (size_t)p->n_at * sizeof(double));
        st = write_dataset(w, group, "survival_at", CLM_DT_FLOAT64, 2, n, p->n_at, values);
    }
    if (!st && with_ltv) {
        size_t months = (size_t)p->horizon + 1;
        for (int32_t i = 0; i < n; i++)
            memcpy(values + (size_t)i * months, c[i].view.ltv, months * sizeof(double));
        st = write_dataset(w, group, "ltv", CLM_DT_FLOAT64, 2, n, (int64_t)months, values);
        if (!st) {
            char path[1100];
            snprintf(path, sizeof path, "%s/ltv", group);
            st = clm_writer_attr_string(w, path, "index", "stratum, months 0..horizon");
        }
    }
    /* Per time, concatenated over the strata. */
    for (size_t f = 0; f < sizeof time_fields / sizeof time_fields[0] && !st; f++) {
        size_t at = 0;
        for (int32_t i = 0; i < n; i++) {
            const void *array;
            memcpy(&array, (const unsigned char *)&c[i].view + time_fields[f].member, sizeof array);
            memcpy(buffer + at * 8, array, (size_t)c[i].view.n_times * 8);
            at += (size_t)c[i].view.n_times;
        }
        st = write_dataset(w, group, time_fields[f].name, time_fields[f].dtype, 1, n_entries, 0, buffer);
    }
    free(buffer);
    free(labels);

    /* What every stratum shares. */
    if (!st && p->n_at > 0)
        st = clm_writer_attr_f64_array(w, group, "at", p->at, p->n_at);
    if (!st)
        st = clm_writer_attr_i64(w, group, "horizon", p->horizon);
    if (!st)
        st = clm_writer_attr_string(w, group, "conf_type", clm_survival_conf_type_name(p->conf_type));
    if (!st)
        st = clm_writer_attr_f64(w, group, "conf_level", p->conf_level);
    if (!st && with_ltv)
        st = clm_writer_attr_f64(w, group, "margin", p->margin);
    if (!st && with_ltv)
        st = clm_writer_attr_f64(w, group, "discount", p->discount);
    return st;
}

clm_status clm_survival_write_h5(const clm_survival *s, clm_writer *w, const char *by)
{
    if (!s->finished)
        return clm_error(CLM_E_PARAM, "survival: write before finish");
    const clm_survival_params *p = &s->params;
    int with_ltv = s->curves[s->n_curves - 1].view.ltv != NULL;
    clm_status st = CLM_OK;
    if (by) {
        char by_name[512], group[1024];
        group_name(by, by_name, sizeof by_name);
        snprintf(group, sizeof group, "/survival/%s", by_name);
        st = write_curves(w, group, s->curves, s->n_curves - 1, p, with_ltv);
        if (!st)
            st = clm_writer_attr_f64(w, group, "logrank_chisq", s->logrank.chisq);
        if (!st)
            st = clm_writer_attr_i64(w, group, "logrank_df", s->logrank.df);
        if (!st)
            st = clm_writer_attr_f64(w, group, "logrank_p", s->logrank.p_value);
        if (!st)
            st = clm_writer_attr_i64(w, group, "logrank_n_sparse", s->logrank.n_sparse);
        if (!st)
            st = clm_writer_attr_i64(w, group, "n_missing_stratum", s->n_missing);
    }
    /* The overall curve is the same whatever the strata: a second
     * stratification written to the same file keeps the first copy. */
    if (!st && !clm_writer_exists(w, "/survival/all"))
        st = write_curves(w, "/survival/all", &s->curves[s->n_curves - 1], 1, p, with_ltv);
    return st;
}

/* ",<v>" with v as %.17g writes it, NA for NaN, Inf / -Inf. */
static char *csv_number(char *p, double v)
{
    *p++ = ',';
    if (isnan(v)) {
        memcpy(p, "NA", 2);
        return p + 2;
    }
    if (isinf(v)) {
        const char *text = v > 0 ? "Inf" : "-Inf";
        size_t len = strlen(text);
        memcpy(p, text, len);
        return p + len;
    }
    return p + util_format_g17(v, p);
}

/* ",<v>" as %lld writes it. */
static char *csv_integer(char *p, int64_t v)
{
    char digits[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    *p++ = ',';
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = digits[--n];
    return p;
}

/* The label as a CSV field, quoted when it holds a comma, quote or line
 * break; malloc'd.  NULL when memory runs out. */
static char *csv_label(const char *label)
{
    size_t len = strlen(label), quotes = 0;
    int quoted = strpbrk(label, ",\"\r\n") != NULL;
    for (const char *q = label; *q; q++)
        quotes += *q == '"';
    char *field = malloc(len + quotes + 3);
    if (!field)
        return NULL;
    char *p = field;
    if (quoted)
        *p++ = '"';
    for (const char *q = label; *q; q++) {
        if (quoted && *q == '"')
            *p++ = '"';
        *p++ = *q;
    }
    if (quoted)
        *p++ = '"';
    *p = '\0';
    return field;
}

clm_status clm_survival_write_csv(const clm_survival *s, FILE *out)
{
    if (!s->finished)
        return clm_error(CLM_E_PARAM, "survival: write before finish");
    fputs("stratum,time,at_risk,events,censored,survival,std_err,lower,upper,cumhaz,ltv\n", out);
    /* A line: the label, 3 integers and 7 numbers (each at most
     * UTIL_G17_SIZE bytes with its comma), the newline. */
    enum { NUMBERS_MAX = 3 * 24 + 7 * (UTIL_G17_SIZE + 1) + 2 };
    char *line = NULL;
    size_t capacity = 0;
    for (int32_t i = 0; i < s->n_curves; i++) {
        const clm_survival_curve *c = &s->curves[i].view;
        char *label = csv_label(c->label);
        size_t label_len = label ? strlen(label) : 0;
        if (label && label_len + NUMBERS_MAX > capacity) {
            capacity = label_len + NUMBERS_MAX;
            char *grown = realloc(line, capacity);
            if (!grown) {
                free(label);
                label = NULL;
            }
            line = grown ? grown : line;
        }
        if (!label) {
            free(line);
            return clm_error(CLM_E_NOMEM, "survival: out of memory writing the CSV");
        }
        memcpy(line, label, label_len);
        free(label);
        for (int64_t j = 0; j < c->n_times; j++) {
            char *p = line + label_len;
            p = csv_number(p, c->time[j]);
            p = csv_integer(p, c->at_risk[j]);
            p = csv_integer(p, c->events[j]);
            p = csv_integer(p, c->censored[j]);
            p = csv_number(p, c->survival[j]);
            p = csv_number(p, c->std_err[j]);
            p = csv_number(p, c->lower[j]);
            p = csv_number(p, c->upper[j]);
            p = csv_number(p, c->cumhaz[j]);
            double month = floor(c->time[j]);
            p = csv_number(p, c->ltv && month <= c->horizon ? c->ltv[(int64_t)month] : NAN);
            *p++ = '\n';
            fwrite(line, 1, (size_t)(p - line), out);
        }
    }
    free(line);
    return ferror(out) ? clm_error(CLM_E_IO, "survival: writing the CSV failed") : CLM_OK;
}

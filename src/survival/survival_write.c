/*
 * survival_write.c — the outputs of survival: the HDF5 groups
 * /survival/<by>/<stratum> and /survival/all (through writer.h, so the file
 * is written atomically), and the tidy CSV (one row per stratum and time).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "survival/survival_internal.h"

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

static clm_status write_curve(clm_writer *w, const char *group, const clm_survival_curve *c,
                              const clm_survival_params *p)
{
    char path[1024];
    int64_t dims[1] = {c->n_times};
    clm_status st = clm_writer_group(w, group);
#define ARRAY(name, dtype, data)                                                   \
    if (!st) {                                                                     \
        snprintf(path, sizeof path, "%s/%s", group, name);                         \
        st = clm_writer_array(w, path, dtype, 1, dims, data);                      \
    }
    ARRAY("time", CLM_DT_FLOAT64, c->time)
    ARRAY("at_risk", CLM_DT_INT64, c->at_risk)
    ARRAY("events", CLM_DT_INT64, c->events)
    ARRAY("censored", CLM_DT_INT64, c->censored)
    ARRAY("survival", CLM_DT_FLOAT64, c->survival)
    ARRAY("std_err", CLM_DT_FLOAT64, c->std_err)
    ARRAY("lower", CLM_DT_FLOAT64, c->lower)
    ARRAY("upper", CLM_DT_FLOAT64, c->upper)
    ARRAY("cumhaz", CLM_DT_FLOAT64, c->cumhaz)
    if (c->ltv) {
        dims[0] = (int64_t)c->horizon + 1;
        ARRAY("ltv", CLM_DT_FLOAT64, c->ltv)
        if (!st)
            st = clm_writer_attr_string(w, path, "index", "months 0..horizon");
    }
#undef ARRAY
    if (!st)
        st = clm_writer_attr_string(w, group, "label", c->label);
    if (!st)
        st = clm_writer_attr_i64(w, group, "n", c->n_rows);
    if (!st)
        st = clm_writer_attr_i64(w, group, "events", c->n_events);
    if (!st)
        st = clm_writer_attr_f64(w, group, "median", c->median);
    if (!st)
        st = clm_writer_attr_f64(w, group, "median_lower", c->median_lower);
    if (!st)
        st = clm_writer_attr_f64(w, group, "median_upper", c->median_upper);
    if (!st)
        st = clm_writer_attr_f64(w, group, "rmst", c->rmst);
    if (!st)
        st = clm_writer_attr_i64(w, group, "horizon", c->horizon);
    if (!st)
        st = clm_writer_attr_f64(w, group, "arpu_mean", c->arpu_mean);
    if (!st && c->n_at > 0)
        st = clm_writer_attr_f64_array(w, group, "at", c->at, c->n_at);
    if (!st && c->n_at > 0)
        st = clm_writer_attr_f64_array(w, group, "survival_at", c->survival_at, c->n_at);
    if (!st)
        st = clm_writer_attr_string(w, group, "conf_type", clm_survival_conf_type_name(p->conf_type));
    if (!st)
        st = clm_writer_attr_f64(w, group, "conf_level", p->conf_level);
    if (!st && c->ltv)
        st = clm_writer_attr_f64(w, group, "margin", p->margin);
    if (!st && c->ltv)
        st = clm_writer_attr_f64(w, group, "discount", p->discount);
    return st;
}

clm_status clm_survival_write_h5(const clm_survival *s, clm_writer *w, const char *by)
{
    if (!s->finished)
        return clm_error(CLM_E_PARAM, "survival: write before finish");
    const clm_survival_params *p = &s->params;
    clm_status st = CLM_OK;
    char by_name[512], group[1024], name[512];
    if (by) {
        group_name(by, by_name, sizeof by_name);
        snprintf(group, sizeof group, "/survival/%s", by_name);
        st = clm_writer_group(w, group);
        for (int32_t i = 0; !st && i < s->n_curves - 1; i++) {
            const clm_survival_curve *c = &s->curves[i].view;
            char sub[1536];
            group_name(c->label, name, sizeof name);
            snprintf(sub, sizeof sub, "%s/%s", group, name);
            st = write_curve(w, sub, c, p);
        }
        if (!st)
            st = clm_writer_attr_f64(w, group, "logrank_chisq", s->logrank.chisq);
        if (!st)
            st = clm_writer_attr_i64(w, group, "logrank_df", s->logrank.df);
        if (!st)
            st = clm_writer_attr_f64(w, group, "logrank_p", s->logrank.p_value);
        if (!st)
            st = clm_writer_attr_i64(w, group, "n_missing_stratum", s->n_missing);
    }
    /* The overall curve is the same whatever the strata: a second
     * stratification written to the same file keeps the first copy. */
    if (!st && !clm_writer_exists(w, "/survival/all"))
        st = write_curve(w, "/survival/all", &s->curves[s->n_curves - 1].view, p);
    return st;
}

static void csv_number(FILE *out, double v)
{
    if (isnan(v))
        fputs(",NA", out);
    else if (isinf(v))
        fputs(v > 0 ? ",Inf" : ",-Inf", out);
    else
        fprintf(out, ",%.17g", v);
}

static void csv_label(FILE *out, const char *label)
{
    if (!strpbrk(label, ",\"\r\n")) {
        fputs(label, out);
        return;
    }
    fputc('"', out);
    for (const char *p = label; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

clm_status clm_survival_write_csv(const clm_survival *s, FILE *out)
{
    if (!s->finished)
        return clm_error(CLM_E_PARAM, "survival: write before finish");
    fputs("stratum,time,at_risk,events,censored,survival,std_err,lower,upper,cumhaz,ltv\n", out);
    for (int32_t i = 0; i < s->n_curves; i++) {
        const clm_survival_curve *c = &s->curves[i].view;
        for (int64_t j = 0; j < c->n_times; j++) {
            csv_label(out, c->label);
            csv_number(out, c->time[j]);
            fprintf(out, ",%lld,%lld,%lld", (long long)c->at_risk[j], (long long)c->events[j],
                    (long long)c->censored[j]);
            csv_number(out, c->survival[j]);
            csv_number(out, c->std_err[j]);
            csv_number(out, c->lower[j]);
            csv_number(out, c->upper[j]);
            csv_number(out, c->cumhaz[j]);
            double month = floor(c->time[j]);
            csv_number(out, c->ltv && month <= c->horizon ? c->ltv[(int64_t)month] : NAN);
            fputc('\n', out);
        }
    }
    return ferror(out) ? clm_error(CLM_E_IO, "survival: writing the CSV failed") : CLM_OK;
}

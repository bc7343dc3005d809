/*
 * cox_save.c — a Cox model in a results file and back (docs/formats.md).
 *
 * /cox holds what a reader wants (terms, coef, se, var; the tests and the
 * concordance as attributes) and what predicting needs: the column and
 * level of each term with its centring and scaling, the standardised
 * coefficients (beta), and the baseline of every stratum in one long
 * layout — /cox/baseline/{stratum, time, cumhaz, cumhaz_centered}, one row
 * per (stratum, time) — so the file has a fixed number of objects whatever
 * the number of strata and reads into a pandas frame in one call.
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "cox/cox_internal.h"
#include "io/io_internal.h"

static clm_status join(char *buf, size_t size, const char *group, const char *name)
{
    if (snprintf(buf, size, "%s/%s", group, name) >= (int)size)
        return clm_error(CLM_E_PARAM, "cox: group name too long");
    return CLM_OK;
}

clm_status clm_cox_save(const clm_cox *m, clm_writer *w, const char *group)
{
    if (!group)
        group = "/cox";
    const int p = m->p;
    char path[1024];
    const char **columns = malloc((size_t)(p > 0 ? p : 1) * sizeof *columns);
    const char **levels = malloc((size_t)(p > 0 ? p : 1) * sizeof *levels);
    double *center = malloc((size_t)(p > 0 ? p : 1) * sizeof *center);
    double *scale = malloc((size_t)(p > 0 ? p : 1) * sizeof *scale);
    int64_t total = 0;
    for (int32_t s = 0; s < m->n_strata; s++)
        total += m->base_n[s];
    int32_t *bs = malloc((size_t)(total > 0 ? total : 1) * sizeof *bs);
    double *bt = malloc((size_t)(total > 0 ? total : 1) * sizeof *bt);
    double *bh = malloc((size_t)(total > 0 ? total : 1) * sizeof *bh);
    double *bhc = malloc((size_t)(total > 0 ? total : 1) * sizeof *bhc);
    clm_status st = CLM_OK;
    if (!columns || !levels || !center || !scale || !bs || !bt || !bh || !bhc)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    for (int j = 0; !st && j < p; j++) {
        columns[j] = m->terms[j].column;
        levels[j] = m->terms[j].level ? m->terms[j].level : "";
        center[j] = m->terms[j].center;
        scale[j] = m->terms[j].scale;
    }
    int64_t k = 0;
    for (int32_t s = 0; !st && s < m->n_strata; s++)
        for (int64_t i = 0; i < m->base_n[s]; i++, k++) {
            bs[k] = s;
            bt[k] = m->base_time[s][i];
            bh[k] = m->base_cumhaz[s][i];
            bhc[k] = m->base_cumhaz_c[s][i];
        }
    const int64_t dp = p, dpp[2] = {p, p}, dt = total;
    if (!st) st = clm_writer_group(w, group);
#define ARRAY(name, type, rank, dims, data) \
    if (!st && !(st = join(path, sizeof path, group, name))) \
        st = clm_writer_array(w, path, type, rank, dims, data)
#define STRINGS(name, data, n) \
    if (!st && !(st = join(path, sizeof path, group, name))) \
        st = clm_writer_strings(w, path, (const char *const *)(data), n)
    STRINGS("terms", m->term_names, p);
    ARRAY("coef", CLM_DT_FLOAT64, 1, &dp, m->coef);
    ARRAY("se", CLM_DT_FLOAT64, 1, &dp, m->se);
    ARRAY("var", CLM_DT_FLOAT64, 2, dpp, m->var);
    ARRAY("beta", CLM_DT_FLOAT64, 1, &dp, m->beta);
    ARRAY("center", CLM_DT_FLOAT64, 1, &dp, center);
    ARRAY("scale", CLM_DT_FLOAT64, 1, &dp, scale);
    STRINGS("term_column", columns, p);
    STRINGS("term_level", levels, p);
    STRINGS("strata", m->stratum_labels, m->n_strata);
    ARRAY("baseline/stratum", CLM_DT_INT32, 1, &dt, bs);
    ARRAY("baseline/time", CLM_DT_FLOAT64, 1, &dt, bt);
    ARRAY("baseline/cumhaz", CLM_DT_FLOAT64, 1, &dt, bh);
    ARRAY("baseline/cumhaz_centered", CLM_DT_FLOAT64, 1, &dt, bhc);
#undef ARRAY
#undef STRINGS
    const double loglik[2] = {m->loglik_null, m->loglik};
    const double tests[3] = {m->lr_test, m->wald_test, m->score_test};
    if (!st) st = clm_writer_attr_f64_array(w, group, "loglik", loglik, 2);
    if (!st) st = clm_writer_attr_f64_array(w, group, "tests", tests, 3);
    if (!st) st = clm_writer_attr_f64(w, group, "concordance", m->concordance);
    if (!st) st = clm_writer_attr_string(w, group, "ties", clm_cox_ties_name(m->params.ties));
    if (!st) st = clm_writer_attr_i64(w, group, "n_rows", m->n_rows);
    if (!st) st = clm_writer_attr_i64(w, group, "n_events", m->n_events);
    if (!st) st = clm_writer_attr_i64(w, group, "iterations", m->iterations);
    if (!st) st = clm_writer_attr_f64(w, group, "l2", m->params.l2);
    if (!st) st = clm_writer_attr_f64(w, group, "lp_offset", m->lp_offset);
    if (!st) st = clm_writer_attr_f64(w, group, "time_unit_days", m->time_unit_days);
    if (!st) st = clm_writer_attr_string(w, group, "time_column", m->time_column);
    if (!st) st = clm_writer_attr_string(w, group, "event_column", m->event_column);
    if (!st && m->event_level) st = clm_writer_attr_string(w, group, "event_level", m->event_level);
    if (!st && m->strata_name) st = clm_writer_attr_string(w, group, "strata_name", m->strata_name);
    if (!st && m->strata_column)
        st = clm_writer_attr_string(w, group, "strata_column", m->strata_column);
    free(columns);
    free(levels);
    free(center);
    free(scale);
    free(bs);
    free(bt);
    free(bh);
    free(bhc);
    return st;
}

int clm_cox_saved_in(const char *path, const char *group)
{
    char name[1024];
    if (!group)
        group = "/cox";
    snprintf(name, sizeof name, "%s/beta", group);
    return io_h5_file_has(path, group, name);
}

/* A one-string attribute as an owned copy; NULL when absent. */
static char *attr_string(hid_t obj, const char *name)
{
    char **v = NULL;
    if (H5Aexists(obj, name) <= 0 || io_h5_attr_strings(obj, name, &v) != 1) {
        io_h5_strings_free(v);
        return NULL;
    }
    char *s = v[0];
    free(v);
    return s;
}

static clm_status incomplete(const char *path, const char *group)
{
    return clm_error(CLM_E_FORMAT, "%s: %s is not a complete Cox model", path, group);
}

static clm_status load_group(hid_t g, const char *path, const char *group, clm_cox *m)
{
    char **terms = NULL, **columns = NULL, **levels = NULL, **strata = NULL;
    int64_t p = io_h5_dataset_strings(g, "terms", &terms);
    int64_t pc = io_h5_dataset_strings(g, "term_column", &columns);
    int64_t pl = io_h5_dataset_strings(g, "term_level", &levels);
    int64_t ns = io_h5_dataset_strings(g, "strata", &strata);
    double *center = NULL, *scale = NULL;
    clm_status st = CLM_OK;
    if (p < 1 || pc != p || pl != p || ns < 1 ||
        io_h5_dataset_read(g, "coef", H5T_NATIVE_DOUBLE, p, (void **)&m->coef) ||
        io_h5_dataset_read(g, "se", H5T_NATIVE_DOUBLE, p, (void **)&m->se) ||
        io_h5_dataset_read(g, "var", H5T_NATIVE_DOUBLE, p * p, (void **)&m->var) ||
        io_h5_dataset_read(g, "beta", H5T_NATIVE_DOUBLE, p, (void **)&m->beta) ||
        io_h5_dataset_read(g, "center", H5T_NATIVE_DOUBLE, p, (void **)&center) ||
        io_h5_dataset_read(g, "scale", H5T_NATIVE_DOUBLE, p, (void **)&scale))
        st = incomplete(path, group);
    if (!st && (!(m->terms = calloc((size_t)p, sizeof *m->terms)) ||
                !(m->term_names = malloc((size_t)p * sizeof *m->term_names))))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st) {
        m->p = (int)p;
        for (int j = 0; j < p; j++) {
            cox_term *t = &m->terms[j];
            t->name = terms[j];
            t->column = columns[j];
            t->kind = levels[j][0] ? COX_INDICATOR : COX_NUMERIC;
            t->level = levels[j][0] ? levels[j] : NULL;
            if (!t->level)
                free(levels[j]);
            terms[j] = columns[j] = levels[j] = NULL;
            t->code = -1;
            t->center = center[j];
            t->scale = scale[j];
            m->term_names[j] = t->name;
        }
        m->n_strata = (int32_t)ns;
        m->stratum_labels = strata;
        strata = NULL;
    }
    free(center);
    free(scale);
    io_h5_strings_free(terms);
    io_h5_strings_free(columns);
    io_h5_strings_free(levels);
    io_h5_strings_free(strata);
    int64_t dims[2];
    int rank = st ? -1 : io_h5_dataset_dims(g, "baseline/time", dims);
    int64_t total = rank == 1 ? dims[0] : -1;
    int32_t *bs = NULL;
    double *bt = NULL, *bh = NULL, *bhc = NULL;
    if (!st && (total < 0 ||
                io_h5_dataset_read(g, "baseline/stratum", H5T_NATIVE_INT32, total, (void **)&bs) ||
                io_h5_dataset_read(g, "baseline/time", H5T_NATIVE_DOUBLE, total, (void **)&bt) ||
                io_h5_dataset_read(g, "baseline/cumhaz", H5T_NATIVE_DOUBLE, total, (void **)&bh) ||
                io_h5_dataset_read(g, "baseline/cumhaz_centered", H5T_NATIVE_DOUBLE, total,
                                   (void **)&bhc)))
        st = incomplete(path, group);
    if (!st)
        st = cox_model_alloc_baseline(m, m->n_strata);
    for (int64_t i = 0; !st && i < total; i++)
        if (bs[i] < 0 || bs[i] >= m->n_strata || (i > 0 && bs[i] < bs[i - 1]))
            st = incomplete(path, group);
        else
            m->base_n[bs[i]]++;
    for (int64_t i = 0, s = -1, k = 0; !st && i < total; i++, k++) {
        if (bs[i] != s) {
            s = bs[i];
            k = 0;
            m->base_time[s] = malloc((size_t)m->base_n[s] * sizeof(double));
            m->base_cumhaz[s] = malloc((size_t)m->base_n[s] * sizeof(double));
            m->base_cumhaz_c[s] = malloc((size_t)m->base_n[s] * sizeof(double));
            if (!m->base_time[s] || !m->base_cumhaz[s] || !m->base_cumhaz_c[s]) {
                st = clm_error(CLM_E_NOMEM, "out of memory");
                break;
            }
        }
        m->base_time[s][k] = bt[i];
        m->base_cumhaz[s][k] = bh[i];
        m->base_cumhaz_c[s][k] = bhc[i];
    }
    free(bs);
    free(bt);
    free(bh);
    free(bhc);
    if (st)
        return st;
    double loglik[2], tests[3], v;
    if (io_h5_attr_f64(g, "loglik", 2, loglik) || io_h5_attr_f64(g, "tests", 3, tests))
        return incomplete(path, group);
    m->loglik_null = loglik[0];
    m->loglik = loglik[1];
    m->lr_test = tests[0];
    m->wald_test = tests[1];
    m->score_test = tests[2];
    m->concordance = io_h5_attr_f64(g, "concordance", 1, &v) ? NAN : v;
    m->n_rows = io_h5_attr_f64(g, "n_rows", 1, &v) ? 0 : (int64_t)v;
    m->n_events = io_h5_attr_f64(g, "n_events", 1, &v) ? 0 : (int64_t)v;
    m->iterations = io_h5_attr_f64(g, "iterations", 1, &v) ? 0 : (int32_t)v;
    m->params.l2 = io_h5_attr_f64(g, "l2", 1, &v) ? 0.0 : v;
    m->lp_offset = io_h5_attr_f64(g, "lp_offset", 1, &v) ? 0.0 : v;
    m->time_unit_days = io_h5_attr_f64(g, "time_unit_days", 1, &v) ? 0.0 : v;
    static const char *const ties[] = {"efron", "breslow"};
    m->params.ties = (clm_cox_ties)io_h5_attr_choice(g, "ties", ties, 2, 0);
    m->time_column = attr_string(g, "time_column");
    m->event_column = attr_string(g, "event_column");
    m->event_level = attr_string(g, "event_level");
    m->strata_name = attr_string(g, "strata_name");
    m->strata_column = attr_string(g, "strata_column");
    if (!m->time_column || !m->event_column)
        return incomplete(path, group);
    return CLM_OK;
}

clm_status clm_cox_load(const char *path, const char *group, int32_t n_threads, clm_cox **out)
{
    *out = NULL;
    if (!group)
        group = "/cox";
    clm_cox *m = calloc(1, sizeof *m);
    if (!m)
        return clm_error(CLM_E_NOMEM, "out of memory");
    clm_cox_params_default(&m->params);
    m->params.n_threads = n_threads;
    io_silence_hdf5();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        free(m);
        return clm_error(CLM_E_OPEN, "%s: cannot open the results file (missing or not HDF5)", path);
    }
    hid_t g = H5Lexists(file, group, H5P_DEFAULT) > 0 ? H5Gopen2(file, group, H5P_DEFAULT) : -1;
    clm_status st = g < 0 ? clm_error(CLM_E_FORMAT, "%s: no saved Cox model in %s", path, group)
                          : load_group(g, path, group, m);
    if (g >= 0)
        H5Gclose(g);
    H5Fclose(file);
    if (st) {
        clm_cox_free(m);
        return st;
    }
    *out = m;
    return CLM_OK;
}

/*
 * model.c — the lifecycle model: the tier thresholds and stage rules of a
 * quarterly run with the columns they read, written as the /value and
 * /lifecycle groups of results.h5 and read back by `clmseg predict`.
 *
 * Tiers reuse last quarter's ARPU thresholds rather than this quarter's
 * quantiles, so a subscriber whose ARPU did not change keeps his tier and a
 * head office can see tiers move.  docs/formats.md lists the attributes.
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/lifecycle.h"
#include "clmseg/survival.h"
#include "core/util_internal.h"
#include "io/io_internal.h"
#include "io/io_table_ranks.h"
#include "lifecycle/lifecycle_internal.h"

enum { N_INPUTS = 9, N_RULES = 7 };


void lifecycle_tenure_to_months(float *tenure, int64_t n, double time_unit_days)
{
    if (!tenure || !(time_unit_days > 0) || time_unit_days == CLM_DAYS_PER_MONTH)
        return;
    for (int64_t i = 0; i < n; i++)
        tenure[i] = (float)((double)tenure[i] * time_unit_days / CLM_DAYS_PER_MONTH);
}

struct clm_lifecycle {
    clm_stage_rules rules;
    double high_min, low_max;
    char *columns[N_INPUTS];  /* clm_stage_inputs order; "" = off          */
    char *event_level;        /* "" for a 0/1 event column                */
    double time_unit_days;    /* of the time column; 0 or 30.4375: months  */
};

static const char *const rule_names[N_RULES] = {"new_months", "arpu_drop", "suspensions_min",
                                                "downgrades_min", "contact_drop", "complaints_min",
                                                "arpu_gain"};

void clm_lifecycle_free(clm_lifecycle *m)
{
    if (!m)
        return;
    for (int j = 0; j < N_INPUTS; j++)
        free(m->columns[j]);
    free(m->event_level);
    free(m);
}

/* A model with the names given (NULL = off), thresholds and rules. */
static clm_status make(const clm_stage_rules *rules, double high_min, double low_max,
                       const char *const names[N_INPUTS], const char *event_level, double time_unit_days,
                       clm_lifecycle **out)
{
    *out = NULL;
    clm_lifecycle *m = calloc(1, sizeof *m);
    if (!m)
        return clm_error(CLM_E_NOMEM, "lifecycle: out of memory");
    m->rules = *rules;
    m->high_min = high_min;
    m->low_max = low_max;
    m->time_unit_days = time_unit_days;
    int ok = 1;
    for (int j = 0; j < N_INPUTS; j++)
        ok &= (m->columns[j] = util_strdup(names[j] ? names[j] : "")) != NULL;
    ok &= (m->event_level = util_strdup(event_level ? event_level : "")) != NULL;
    if (!ok) {
        clm_lifecycle_free(m);
        return clm_error(CLM_E_NOMEM, "lifecycle: out of memory");
    }
    *out = m;
    return CLM_OK;
}

clm_status clm_lifecycle_create(const clm_stage_rules *rules, double high_min, double low_max,
                                const clm_lifecycle_columns *c, clm_lifecycle **out)
{
    *out = NULL;
    if (!rules || !c)
        return clm_error(CLM_E_PARAM, "lifecycle: no rules or columns");
    clm_status s = clm_stage_rules_check(rules);
    if (s)
        return s;
    if (!(low_max <= high_min))
        return clm_error(CLM_E_PARAM, "lifecycle: tier thresholds low_max %g > high_min %g", low_max, high_min);
    const char *names[N_INPUTS] = {c->event, c->time, c->arpu, c->arpu_prev, c->suspensions,
                                   c->plan_downgrades, c->contacts_now, c->contacts_prev, c->complaints};
    for (int j = 0; j < 3; j++)
        if (!names[j] || !names[j][0])
            return clm_error(CLM_E_PARAM, "lifecycle: the event, time and ARPU columns are required");
    if (!(c->time_unit_days >= 0.0) || !isfinite(c->time_unit_days))
        return clm_error(CLM_E_PARAM, "lifecycle: time unit of %g days is not a number >= 0", c->time_unit_days);
    return make(rules, high_min, low_max, names, c->event_level, c->time_unit_days, out);
}

clm_status clm_lifecycle_save(const clm_lifecycle *m, clm_writer *w, const uint8_t *tier,
                              const uint8_t *stage, int64_t n_rows)
{
    clm_status s = tier ? clm_writer_column_array(w, "/value/tier", CLM_DT_UINT8, n_rows, tier) : clm_writer_group(w, "/value");
    if (!s && tier) s = clm_writer_attr_strings(w, "/value/tier", "tiers", clm_tier_names, CLM_N_TIERS);
    if (!s) s = clm_writer_attr_f64(w, "/value", "high_min", m->high_min);
    if (!s) s = clm_writer_attr_f64(w, "/value", "low_max", m->low_max);
    if (!s) s = clm_writer_attr_string(w, "/value", "arpu_column", m->columns[2]);
    if (!s) s = stage ? clm_writer_column_array(w, "/lifecycle/stage", CLM_DT_UINT8, n_rows, stage) : clm_writer_group(w, "/lifecycle");
    /* The columns the rules read, in clm_stage_inputs order ("" = none),
     * so `clmseg predict` can stage a new quarter the same way. */
    if (!s) s = clm_writer_attr_strings(w, "/lifecycle", "columns", (const char *const *)m->columns, N_INPUTS);
    if (!s) s = clm_writer_attr_strings(w, "/lifecycle", "event_level", (const char *const[]){m->event_level}, 1);
    if (!s && stage) s = clm_writer_attr_strings(w, "/lifecycle/stage", "stages", clm_stage_letters, CLM_N_STAGES);
    if (!s && stage)
        s = clm_writer_attr_strings(w, "/lifecycle/stage", "stage_names", clm_stage_names, CLM_N_STAGES);
    if (!s) {
        const clm_stage_rules *r = &m->rules;
        const double rules[N_RULES] = {r->new_months, r->arpu_drop, r->suspensions_min, r->downgrades_min,
                                       r->contact_drop, r->complaints_min, r->arpu_gain};
        s = clm_writer_attr_f64_array(w, "/lifecycle", "rules", rules, N_RULES);
    }
    if (!s) s = clm_writer_attr_strings(w, "/lifecycle", "rule_names", rule_names, N_RULES);
    /* Only when the time column is not in months, so the files of a
     * months quarter stay as they were. */
    if (!s && m->time_unit_days > 0 && m->time_unit_days != CLM_DAYS_PER_MONTH)
        s = clm_writer_attr_f64(w, "/lifecycle", "time_unit_days", m->time_unit_days);
    return s;
}

int clm_lifecycle_saved_in(const char *path)
{
    return io_h5_file_has(path, "/lifecycle", "/value");
}

clm_status clm_lifecycle_load(const char *path, clm_lifecycle **out)
{
    *out = NULL;
    io_silence_hdf5();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return clm_error(CLM_E_OPEN, "%s: cannot open the results file (missing or not HDF5)", path);
    if (H5Lexists(f, "/lifecycle", H5P_DEFAULT) <= 0 || H5Lexists(f, "/value", H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        return clm_error(CLM_E_FORMAT, "%s: no /lifecycle and /value groups (not a quarterly run's results)", path);
    }
    double rules[N_RULES], high_min = NAN, low_max = NAN;
    char **columns = NULL, **level = NULL;
    hid_t life = H5Gopen2(f, "/lifecycle", H5P_DEFAULT), value = H5Gopen2(f, "/value", H5P_DEFAULT);
    int bad = life < 0 || value < 0 || io_h5_attr_f64(life, "rules", N_RULES, rules) ||
              io_h5_attr_strings(life, "columns", &columns) != N_INPUTS ||
              io_h5_attr_f64(value, "high_min", 1, &high_min) || io_h5_attr_f64(value, "low_max", 1, &low_max);
    double unit_days = 0.0;
    if (H5Aexists(life, "time_unit_days") > 0 && io_h5_attr_f64(life, "time_unit_days", 1, &unit_days))
        bad = 1;
    if (io_h5_attr_strings(life, "event_level", &level) != 1) {
        io_h5_strings_free(level);
        level = NULL;
    }
    if (life >= 0) H5Gclose(life);
    if (value >= 0) H5Gclose(value);
    H5Fclose(f);
    clm_status s = CLM_OK;
    if (bad)
        s = clm_error(CLM_E_FORMAT, "%s: /lifecycle or /value lacks the saved rules, columns or thresholds", path);
    else {
        clm_stage_rules r = {rules[0], rules[1], rules[2], rules[3], rules[4], rules[5], rules[6]};
        s = make(&r, high_min, low_max, (const char *const *)columns, level ? level[0] : NULL, unit_days, out);
    }
    io_h5_strings_free(columns);
    io_h5_strings_free(level);
    return s;
}

clm_status clm_lifecycle_predict_table(const clm_lifecycle *m, const clm_table *input, uint8_t *tier,
                                       uint8_t *stage)
{
    return clm_lifecycle_predict_table_decline(m, input, tier, stage, NULL);
}

clm_status clm_lifecycle_predict_table_decline(const clm_lifecycle *m, const clm_table *input, uint8_t *tier,
                                               uint8_t *stage, uint8_t *decline)
{
    return lifecycle_predict_rows(m, input, 0, clm_table_n_rows(input), tier, stage, decline);
}

clm_status lifecycle_predict_rows(const clm_lifecycle *m, const clm_table *input, int64_t first, int64_t n,
                                  uint8_t *tier, uint8_t *stage, uint8_t *decline)
{
    /* Columns by name; churned, tenure and ARPU are required, the signals
     * are used when present (as in the run). */
    int cols[N_INPUTS];
    int32_t event_code = -1;
    clm_status s = CLM_OK;
    for (int j = 0; j < N_INPUTS && !s; j++) {
        cols[j] = m->columns[j][0] ? clm_table_find(input, m->columns[j]) : -1;
        if (j < 3 && cols[j] < 0)
            s = clm_error(CLM_E_SCHEMA, "%s: column '%s' (used by the saved stage rules) is missing",
                          clm_table_path(input), m->columns[j]);
    }
    if (!s && m->event_level[0]) {
        const clm_column_info *info = clm_table_column(input, cols[0]);
        for (int c = 0; c < info->n_categories; c++)
            if (!strcmp(info->categories[c], m->event_level))
                event_code = c;
    }
    if (s)
        return s;
    float *buf[N_INPUTS] = {0};
    for (int j = 0; j < N_INPUTS && !s; j++)
        if (cols[j] >= 0 && !(buf[j] = malloc(CLM_BLOCK_ROWS * sizeof(float))))
            s = clm_error(CLM_E_NOMEM, "out of memory");
    /* Rank reads (io_table_ranks.h): as many on every rank of a table the
     * ranks opened together, with no rows past this rank's or after an
     * error (a missing column above is every rank's: then none reads). */
    const int64_t calls = io_table_rank_calls(input, n, CLM_BLOCK_ROWS);
    for (int64_t c = 0; c < calls; c++) {
        int64_t row0;
        const int64_t len = io_rank_block(first, n, CLM_BLOCK_ROWS, c, s != CLM_OK, &row0);
        for (int j = 0; j < N_INPUTS; j++)
            if (cols[j] >= 0) {
                clm_status read = io_table_read_rank_f32(input, cols[j], row0, len, buf[j]);
                s = s ? s : read;
            }
        if (s || len == 0)
            continue;
        const int64_t at = row0 - first;
        if (event_code >= 0)
            for (int64_t i = 0; i < len; i++)
                buf[0][i] = buf[0][i] == (float)event_code ? 1.0f : 0.0f;
        lifecycle_tenure_to_months(buf[1], len, m->time_unit_days);
        clm_stage_inputs in = {buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7], buf[8]};
        if (stage)
            clm_stage_assign(&m->rules, &in, len, stage + at);
        if (tier)
            clm_tier_assign(m->high_min, m->low_max, buf[2], len, tier + at);
        if (decline)
            clm_stage_decline(&m->rules, &in, len, decline + at);
    }
    for (int j = 0; j < N_INPUTS; j++)
        free(buf[j]);
    return s;
}

clm_status clm_lifecycle_decline_strata(const char *path, const clm_table *table, int32_t *segments)
{
    return lifecycle_decline_strata_rows(path, table, 0, clm_table_n_rows(table), segments);
}

clm_status lifecycle_decline_strata_rows(const char *path, const clm_table *table, int64_t first, int64_t n,
                                         int32_t *segments)
{
    clm_lifecycle *m = NULL;
    clm_status s = clm_lifecycle_load(path, &m);
    uint8_t *decline = s ? NULL : malloc((size_t)(n > 0 ? n : 1));
    if (!s && !decline)
        s = clm_error(CLM_E_NOMEM, "out of memory");
    if (!s) s = lifecycle_predict_rows(m, table, first, n, NULL, NULL, decline);
    for (int64_t i = 0; !s && i < n; i++)
        segments[i] = segments[i] < 0 ? -1 : 2 * segments[i] + decline[i];
    free(decline);
    clm_lifecycle_free(m);
    return s;
}

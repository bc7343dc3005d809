/*
 * apply.c — the lifecycle applier of `clmseg predict`: value tiers and
 * stages of a new quarter with the thresholds and rules a quarterly run
 * saved in results.h5 (/value and /lifecycle attributes).
 *
 * Tiers reuse last quarter's ARPU thresholds rather than this quarter's
 * quantiles, so a subscriber whose ARPU did not change keeps his tier and a
 * head office can see tiers move.
 */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/lifecycle.h"
#include "clmseg/writer.h"
#include "io/io_internal.h"

enum { N_INPUTS = 9 };

static int read_f64_attr(hid_t obj, const char *name, double *out, int count)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t space = H5Aget_space(a);
    int ok = H5Sget_simple_extent_npoints(space) == count && H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0;
    H5Sclose(space);
    H5Aclose(a);
    return ok ? 0 : -1;
}

/* Reads `count` strings of a variable-length string attribute into one
 * buffer of fixed-width slots. */
static int read_names(hid_t obj, const char *name, char (*out)[256], int count)
{
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t space = H5Aget_space(a);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    int ok = 0;
    char *raw[N_INPUTS + 1] = {0};
    if (count <= N_INPUTS && H5Sget_simple_extent_npoints(space) == count && H5Aread(a, type, raw) >= 0) {
        ok = 1;
        for (int i = 0; i < count; i++)
            snprintf(out[i], 256, "%s", raw[i] ? raw[i] : "");
        H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw);
    }
    H5Tclose(type);
    H5Sclose(space);
    H5Aclose(a);
    return ok ? 0 : -1;
}

clm_status clm_lifecycle_apply_saved(const char *results_path, const clm_table *input, clm_writer *output,
                                     int n_threads, int *applied)
{
    (void)n_threads;
    *applied = 0;
    clm_io_silence_hdf5();
    hid_t f = H5Fopen(results_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return clm_error(CLM_E_FORMAT, "%s: cannot open the results file", results_path);
    if (H5Lexists(f, "/lifecycle", H5P_DEFAULT) <= 0 || H5Lexists(f, "/value", H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        return CLM_OK;
    }
    double rules[7], thresholds[2];
    char columns[N_INPUTS][256], event_level[1][256];
    hid_t life = H5Gopen2(f, "/lifecycle", H5P_DEFAULT), value = H5Gopen2(f, "/value", H5P_DEFAULT);
    int bad = read_f64_attr(life, "rules", rules, 7) || read_names(life, "columns", columns, N_INPUTS) ||
              read_f64_attr(value, "high_min", &thresholds[0], 1) ||
              read_f64_attr(value, "low_max", &thresholds[1], 1);
    if (read_names(life, "event_level", event_level, 1))
        event_level[0][0] = '\0';
    H5Gclose(life);
    H5Gclose(value);
    H5Fclose(f);
    if (bad)
        return clm_error(CLM_E_FORMAT, "%s: /lifecycle or /value lacks the saved rules, columns or thresholds",
                         results_path);
    clm_stage_rules r = {rules[0], rules[1], rules[2], rules[3], rules[4], rules[5], rules[6]};

    /* Columns by name; churned, tenure and ARPU are required, the signals
     * are used when present (as in the run). */
    int cols[N_INPUTS];
    int32_t event_code = -1;
    clm_status s = CLM_OK;
    for (int j = 0; j < N_INPUTS && !s; j++) {
        cols[j] = columns[j][0] ? clm_table_find(input, columns[j]) : -1;
        if (j < 3 && cols[j] < 0)
            s = clm_error(CLM_E_SCHEMA, "%s: column '%s' (used by the saved stage rules) is missing",
                          clm_table_path(input), columns[j]);
    }
    if (!s && event_level[0][0]) {
        const clm_column_info *info = clm_table_column(input, cols[0]);
        for (int c = 0; c < info->n_categories; c++)
            if (!strcmp(info->categories[c], event_level[0]))
                event_code = c;
    }
    if (s)
        return s;
    int64_t n = clm_table_n_rows(input);
    int tier_ds, stage_ds;
    s = clm_writer_column_create(output, "/value/tier", CLM_DT_UINT8, n, &tier_ds);
    if (!s) s = clm_writer_column_create(output, "/lifecycle/stage", CLM_DT_UINT8, n, &stage_ds);
    float *buf[N_INPUTS] = {0};
    uint8_t *tier = malloc(CLM_BLOCK_ROWS), *stage = malloc(CLM_BLOCK_ROWS);
    if (!tier || !stage)
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int j = 0; j < N_INPUTS && !s; j++)
        if (cols[j] >= 0 && !(buf[j] = malloc(CLM_BLOCK_ROWS * sizeof(float))))
            s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int64_t r0 = 0; r0 < n && !s; r0 += CLM_BLOCK_ROWS) {
        int64_t m = n - r0 < CLM_BLOCK_ROWS ? n - r0 : CLM_BLOCK_ROWS;
        for (int j = 0; j < N_INPUTS && !s; j++)
            if (cols[j] >= 0)
                s = clm_table_read_f32(input, cols[j], r0, m, buf[j]);
        if (s)
            break;
        if (event_code >= 0)
            for (int64_t i = 0; i < m; i++)
                buf[0][i] = buf[0][i] == (float)event_code ? 1.0f : 0.0f;
        clm_stage_inputs in = {buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7], buf[8]};
        clm_stage_assign(&r, &in, m, stage);
        clm_tier_assign(thresholds[0], thresholds[1], buf[2], m, tier);
        s = clm_writer_column_write(output, tier_ds, r0, m, tier);
        if (!s) s = clm_writer_column_write(output, stage_ds, r0, m, stage);
    }
    if (!s) s = clm_writer_attr_strings(output, "/value/tier", "tiers", clm_tier_names, CLM_N_TIERS);
    if (!s) s = clm_writer_attr_strings(output, "/lifecycle/stage", "stages", clm_stage_letters, CLM_N_STAGES);
    for (int j = 0; j < N_INPUTS; j++)
        free(buf[j]);
    free(tier);
    free(stage);
    if (!s)
        *applied = 1;
    return s;
}

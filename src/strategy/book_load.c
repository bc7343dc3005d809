/*
 * book_load.c — the book of a finished run: the quarter it ran on and its
 * results.h5 (the Cox model, each row's segment, tier and stage, each
 * branch's health), for `clmseg scenario`.  The run itself builds its book
 * from memory (src/run/step_scenarios.c); both go through clm_book_create.
 */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "io/io_internal.h"
#include "clmseg/lifecycle.h"
#include "strategy/strategy_internal.h"

void clm_book_load_params_default(clm_book_load_params *p)
{
    memset(p, 0, sizeof *p);
    p->branch = "branch";
    p->arpu = "arpu";
    p->plan = "plan";
    p->payment_delay = "payment_delay_days";
    p->suspensions = "suspensions";
    p->new_months = 4.0;
}

typedef struct loaded {
    int32_t *segment, *branch, *plan;
    uint8_t *tier, *stage, *churned, *debt;
    float *arpu;
    double *health, *margin_discount;
    char **result_branches;
    clm_cox *cox;
    clm_equity *equity;
} loaded;

static void loaded_free(loaded *l)
{
    free(l->segment);
    free(l->branch);
    free(l->plan);
    free(l->tier);
    free(l->stage);
    free(l->churned);
    free(l->debt);
    free(l->arpu);
    free(l->health);
    io_h5_strings_free(l->result_branches);
    clm_equity_free(l->equity);
}

/* The per-row and per-branch datasets of results.h5. */
static clm_status read_results(const char *path, int64_t n, loaded *l, int64_t *n_branches, int32_t *k,
                               double md[2])
{
    io_silence_hdf5();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return clm_error(CLM_E_OPEN, "cannot open '%s' as HDF5: is it a clmseg run's results.h5?", path);
    clm_status st = CLM_OK;
    void *seg = NULL, *tier = NULL, *stage = NULL, *health = NULL;
    if (io_h5_dataset_read(file, "/segments/label", H5T_NATIVE_INT32, n, &seg) ||
        io_h5_dataset_read(file, "/value/tier", H5T_NATIVE_UINT8, n, &tier) ||
        io_h5_dataset_read(file, "/lifecycle/stage", H5T_NATIVE_UINT8, n, &stage))
        st = clm_error(CLM_E_SCHEMA, "%s: no /segments/label, /value/tier and /lifecycle/stage of %lld rows: "
                       "the results of a `clmseg run` on this quarter are needed", path, (long long)n);
    int64_t nb = st ? -1 : io_h5_dataset_strings(file, "/branches/name", &l->result_branches);
    if (!st && nb < 0)
        st = clm_error(CLM_E_SCHEMA, "%s: no /branches/name", path);
    if (!st && io_h5_dataset_read(file, "/branches/health", H5T_NATIVE_DOUBLE, nb, &health))
        st = clm_error(CLM_E_SCHEMA, "%s: no /branches/health of %lld branches", path, (long long)nb);
    md[0] = 1.0;
    md[1] = 0.10;
    if (!st) {
        hid_t g = H5Oopen(file, "/equity", H5P_DEFAULT);
        if (g < 0) {
            st = clm_error(CLM_E_SCHEMA, "%s: no /equity: the run had no Cox model (cox.features = none)", path);
        } else {
            io_h5_attr_f64(g, "margin", 1, &md[0]);
            io_h5_attr_f64(g, "discount", 1, &md[1]);
            H5Oclose(g);
        }
    }
    H5Fclose(file);
    l->segment = seg;
    l->tier = tier;
    l->stage = stage;
    l->health = health;
    *n_branches = nb;
    int32_t kmax = 0;
    for (int64_t i = 0; !st && i < n; i++)
        if (l->segment[i] + 1 > kmax)
            kmax = l->segment[i] + 1;
    *k = kmax;
    return st;
}

/* The branch of every row as an index into the run's /branches/name. */
static clm_status map_branches(const clm_table *t, const char *col_name, loaded *l, int64_t nb)
{
    const int64_t n = clm_table_n_rows(t);
    int col = -1;
    clm_status st = clm_table_require(t, col_name, CLM_KIND_CATEGORICAL, &col);
    if (st)
        return st;
    const clm_column_info *info = clm_table_column(t, col);
    int32_t *map = malloc((size_t)(info->n_categories > 0 ? info->n_categories : 1) * sizeof *map);
    l->branch = malloc((size_t)n * sizeof *l->branch);
    if (!map || !l->branch) {
        free(map);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int32_t c = 0; c < info->n_categories; c++) {
        map[c] = -1;
        for (int64_t b = 0; b < nb && map[c] < 0; b++)
            if (!strcmp(l->result_branches[b], info->categories[c]))
                map[c] = (int32_t)b;
    }
    st = clm_table_read_i32(t, col, 0, n, l->branch);
    for (int64_t i = 0; !st && i < n; i++) {
        int32_t c = l->branch[i];
        if (c < 0)
            continue;
        if (c >= info->n_categories || map[c] < 0) {
            st = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: branch '%s' is not among the run's "
                           "branches: is this the quarter the run was made on?", clm_table_path(t), col_name,
                           (long long)i, c < info->n_categories ? info->categories[c] : "?");
            break;
        }
        l->branch[i] = map[c];
    }
    free(map);
    return st;
}

clm_status clm_book_debt_signal(const clm_table *t, const char *name, uint8_t *flag)
{
    if (!name || !name[0] || clm_table_find(t, name) < 0)
        return CLM_OK;
    const int64_t n = clm_table_n_rows(t);
    int col = -1;
    clm_status st = clm_table_require(t, name, CLM_KIND_NUMERIC, &col);
    float *v = st ? NULL : malloc((size_t)n * sizeof *v);
    if (!st && !v)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st) st = clm_table_read_f32(t, col, 0, n, v);
    for (int64_t i = 0; !st && i < n; i++)
        flag[i] |= v[i] > 0;
    free(v);
    return st;
}

clm_status clm_book_load(const clm_table *t, const char *results, const clm_book_load_params *p,
                         clm_book **out)
{
    *out = NULL;
    const int64_t n = clm_table_n_rows(t);
    loaded l;
    memset(&l, 0, sizeof l);
    int64_t nb = 0;
    int32_t k = 0;
    double md[2];
    clm_status st = read_results(results, n, &l, &nb, &k, md);
    if (!st) st = clm_cox_load(results, "/cox", p->n_threads, &l.cox);
    if (!st) st = map_branches(t, p->branch, &l, nb);
    int col = -1;
    if (!st) st = clm_table_require(t, p->arpu, CLM_KIND_NUMERIC, &col);
    l.arpu = st ? NULL : malloc((size_t)n * sizeof *l.arpu);
    l.debt = st ? NULL : calloc((size_t)n, 1);
    l.churned = st ? NULL : malloc((size_t)n);
    if (!st && (!l.arpu || !l.debt || !l.churned))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st) st = clm_table_read_f32(t, col, 0, n, l.arpu);
    if (!st) st = clm_book_debt_signal(t, p->payment_delay, l.debt);
    if (!st) st = clm_book_debt_signal(t, p->suspensions, l.debt);
    clm_equity_params ep;
    clm_equity_params_default(&ep);
    ep.horizon = p->horizon > 0 ? p->horizon : 36;
    ep.margin = md[0];
    ep.discount = md[1];
    ep.n_threads = p->n_threads;
    /* The model's in-memory strata: the run's segments, split by the decline
     * signals under the saved stage rules for "segment+decline". */
    const char *strata = st ? NULL : clm_cox_strata_name(l.cox);
    const int by_segment = strata && !strcmp(strata, "segment");
    const int by_decline = strata && !strcmp(strata, CLM_COX_SEGMENT_DECLINE);
    int32_t *strata_rows = by_decline ? malloc((size_t)n * sizeof *strata_rows) : NULL;
    if (by_decline && !strata_rows)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st && by_decline) {
        memcpy(strata_rows, l.segment, (size_t)n * sizeof *strata_rows);
        st = clm_lifecycle_decline_strata(results, t, strata_rows);
    }
    if (!st)
        st = clm_cox_equity_table(l.cox, &ep, p->arpu, by_decline ? strata_rows : by_segment ? l.segment : NULL, t,
                                  &l.equity);
    free(strata_rows);
    for (int64_t i = 0; !st && i < n; i++)
        l.churned[i] = l.stage[i] == CLM_STAGE_E;
    /* The plan column, when the quarter has one. */
    const clm_column_info *plan_info = NULL;
    int plan_col = p->plan && p->plan[0] ? clm_table_find(t, p->plan) : -1;
    if (!st && plan_col >= 0) {
        plan_info = clm_table_column(t, plan_col);
        if (plan_info->kind != CLM_KIND_CATEGORICAL) {
            plan_info = NULL;
        } else if (!(l.plan = malloc((size_t)n * sizeof *l.plan))) {
            st = clm_error(CLM_E_NOMEM, "out of memory");
        } else {
            st = clm_table_read_i32(t, plan_col, 0, n, l.plan);
        }
    }
    if (!st) {
        clm_book_source src = {
            .cox = l.cox, .equity = l.equity, .arpu = l.arpu, .churned = l.churned, .branch = l.branch,
            .n_branches = (int32_t)nb, .branch_names = (const char *const *)l.result_branches,
            .branch_health = l.health, .tier = l.tier, .stage = l.stage, .segment = l.segment,
            .n_segments = k, .plan = plan_info ? l.plan : NULL,
            .n_plans = plan_info ? plan_info->n_categories : 0,
            .plan_names = plan_info ? (const char *const *)plan_info->categories : NULL,
            .plan_column = plan_info ? p->plan : NULL, .debt_signal = l.debt, .new_months = p->new_months,
            .equity_params = ep};
        st = clm_book_create(&src, out);
    }
    if (!st)
        (*out)->owned_cox = l.cox;
    else
        clm_cox_free(l.cox);
    loaded_free(&l);
    return st;
}

/*
 * cox_equity.c — each active subscriber's remaining lifetime and value
 * from a fitted (or loaded) Cox model.
 *
 * Row i, active at tenure t_i in stratum s, with r_i = exp(lp_i) (lp on
 * the model's centred scale), has the conditional survival
 *     q_im = S_i(t_i + m) / S_i(t_i) = exp(-r_i (H_s(t_i + m) - H_s(t_i)))
 * for m = 1..h, H_s the stratum's centred baseline.  From it:
 *     leave_3 = 1 - q_i3, leave_12 = 1 - q_i12,
 *     expected_months = sum_m q_im,
 *     value = sum_m q_im ARPU_i margin (1 + d)^(-m/12).
 * H_s is the model's step function; past the stratum's last time it goes
 * on at the mean rate of its last 12 months (a constant hazard: the data
 * say nothing about later months, and a flat H would mean nobody leaves).
 * Integer tenures read H from a monthly grid built once per stratum; the
 * exponentials of a row's months are one call of the expneg kernel.
 *
 * Rows are read in blocks on this thread and computed in parallel; the
 * expected number still active after m months is summed per chunk of
 * EQ_CHUNK rows and the chunks added in row order, so every figure is the
 * same for any thread count; and for any rank count (cox_ranks.h): each
 * rank computes its own whole chunks, the ranks share the chunks'
 * partials, and every rank adds them all in row order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "cox/cox_internal.h"
#include "cox/cox_ranks.h"
#include "io/io_table_ranks.h"

#define EQ_BLOCK ((int64_t)4 * CLM_BLOCK_ROWS)
#define EQ_CHUNK COX_EQUITY_CHUNK
/* Longest horizon (months); clm_cox_equity_table checks it. */
#define EQ_MAX_HORIZON 1200

void clm_equity_params_default(clm_equity_params *p)
{
    memset(p, 0, sizeof *p);
    p->horizon = 36;
    p->margin = 1.0;
    p->discount = 0.10;
}

void clm_equity_free(clm_equity *eq)
{
    if (!eq)
        return;
    free(eq->leave_3);
    free(eq->leave_12);
    free(eq->expected_months);
    free(eq->value);
    free(eq->expected_active);
    free(eq->relative_hazard);
    free(eq->stratum);
    free(eq->tenure);
    free(eq);
}

clm_status clm_equity_save(const clm_equity *eq, clm_writer *w, const char *group)
{
    if (!group)
        group = "/equity";
    static const char *const names[4] = {"leave_3", "leave_12", "expected_months", "value"};
    const float *data[4] = {eq->leave_3, eq->leave_12, eq->expected_months, eq->value};
    char path[1024];
    clm_status st = CLM_OK;
    for (int k = 0; !st && k < 4; k++) {
        if (snprintf(path, sizeof path, "%s/%s", group, names[k]) >= (int)sizeof path)
            return clm_error(CLM_E_PARAM, "equity: group name too long");
        st = clm_writer_column_array(w, path, CLM_DT_FLOAT32, eq->n_rows, data[k]);
    }
    const int64_t n = eq->horizon + 1;
    snprintf(path, sizeof path, "%s/expected_active", group);
    if (!st) st = clm_writer_array(w, path, CLM_DT_FLOAT64, 1, &n, eq->expected_active);
    if (!st) st = clm_writer_attr_i64(w, group, "horizon", eq->horizon);
    if (!st) st = clm_writer_attr_i64(w, group, "n_active", eq->n_active);
    return st;
}

/* H of stratum s at time t: the step function, then the tail rate. */
static double cumhaz_at(const clm_cox *m, int32_t s, double t, double rate)
{
    const int64_t n = m->base_n[s];
    if (n == 0)
        return 0.0;
    const double *time = m->base_time[s], *h = m->base_cumhaz_c[s];
    const double last = time[n - 1];
    if (t >= last)
        return h[n - 1] + rate * (t - last);
    /* the last time <= t */
    int64_t lo = 0, hi = n; /* invariant: time[lo-1] <= t < time[hi] */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (time[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0.0 : h[lo - 1];
}

static double tail_rate(const clm_cox *m, int32_t s);

void clm_cox_segment_decline(const int32_t *segment, const uint8_t *decline, int64_t n, int32_t *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = segment[i] < 0 ? -1 : 2 * segment[i] + (decline[i] != 0);
}

double clm_cox_cumhaz(const clm_cox *m, int32_t s, double t)
{
    if (s < 0 || s >= m->n_strata)
        return NAN;
    return cumhaz_at(m, s, t, tail_rate(m, s));
}

static double tail_rate(const clm_cox *m, int32_t s)
{
    const int64_t n = m->base_n[s];
    if (n == 0)
        return 0.0;
    const double last = m->base_time[s][n - 1], h_last = m->base_cumhaz_c[s][n - 1];
    if (last >= 12.0)
        return (h_last - cumhaz_at(m, s, last - 12.0, 0.0)) / 12.0;
    return last > 0 ? h_last / last : 0.0;
}

/* How the table's columns map to the model. */
typedef struct eq_source {
    int n_src;
    int *src_col;              /* table column of each source              */
    int *src_of;               /* source of each term                      */
    double *code;              /* indicator: the table's code of its level,
                                  -2 when the table has no such level      */
    int time_col, event_col, strata_col, arpu_col;
    double event_value;
    int event_has_level;
    int32_t *stratum_of_code;  /* categorical strata: table code -> stratum */
    int32_t n_codes;
    int64_t strata_min;        /* integer strata column                    */
    int strata_categorical;
} eq_source;

static void source_free(eq_source *src)
{
    free(src->src_col);
    free(src->src_of);
    free(src->code);
    free(src->stratum_of_code);
}

static int32_t find_label(const char *const *labels, int32_t n, const char *label)
{
    for (int32_t i = 0; i < n; i++)
        if (!strcmp(labels[i], label))
            return i;
    return -1;
}

static clm_status setup_source(const clm_cox *m, const char *arpu, const int32_t *strata_rows,
                               const clm_table *table, eq_source *src)
{
    const char *path = clm_table_path(table);
    memset(src, 0, sizeof *src);
    src->strata_col = src->arpu_col = -1;
    const int p = m->p;
    src->src_col = malloc((size_t)p * sizeof *src->src_col);
    src->src_of = malloc((size_t)p * sizeof *src->src_of);
    src->code = malloc((size_t)p * sizeof *src->code);
    if (!src->src_col || !src->src_of || !src->code)
        return clm_error(CLM_E_NOMEM, "out of memory");
    clm_status st = CLM_OK;
    for (int j = 0; !st && j < p; j++) {
        const cox_term *t = &m->terms[j];
        int col = -1;
        st = clm_table_require(table, t->column,
                               t->kind == COX_INDICATOR ? CLM_KIND_CATEGORICAL : CLM_KIND_NUMERIC,
                               &col);
        if (st)
            break;
        if (j > 0 && !strcmp(t->column, m->terms[j - 1].column)) {
            src->src_of[j] = src->src_of[j - 1];
        } else {
            src->src_of[j] = src->n_src;
            src->src_col[src->n_src++] = col;
        }
        src->code[j] = -2.0;
        if (t->kind == COX_INDICATOR) {
            const clm_column_info *info = clm_table_column(table, col);
            int32_t c = find_label(info->categories, info->n_categories, t->level);
            src->code[j] = c >= 0 ? (double)c : -2.0;
        }
    }
    if (!st)
        st = clm_table_require(table, m->time_column, CLM_KIND_NUMERIC, &src->time_col);
    if (!st)
        st = clm_table_require(table, m->event_column, CLM_KIND_UNSUPPORTED, &src->event_col);
    if (!st && arpu)
        st = clm_table_require(table, arpu, CLM_KIND_NUMERIC, &src->arpu_col);
    if (st)
        return st;
    const clm_column_info *ev = clm_table_column(table, src->event_col);
    if (m->event_level) {
        src->event_has_level = 1;
        if (ev->kind == CLM_KIND_CATEGORICAL) {
            int32_t c = find_label(ev->categories, ev->n_categories, m->event_level);
            if (c < 0)
                return clm_error(CLM_E_SCHEMA, "%s: column '%s' has no level '%s'", path,
                                 m->event_column, m->event_level);
            src->event_value = c;
        } else {
            src->event_value = strtod(m->event_level, NULL);
        }
    } else if (ev->kind == CLM_KIND_CATEGORICAL) {
        return clm_error(CLM_E_SCHEMA, "%s: column '%s' is categorical, the model's event was 0/1",
                         path, m->event_column);
    }
    if (m->strata_column) {
        if ((st = clm_table_require(table, m->strata_column, CLM_KIND_UNSUPPORTED, &src->strata_col)))
            return st;
        const clm_column_info *info = clm_table_column(table, src->strata_col);
        if (info->kind == CLM_KIND_CATEGORICAL) {
            src->strata_categorical = 1;
            src->n_codes = info->n_categories;
            src->stratum_of_code = malloc((size_t)(src->n_codes > 0 ? src->n_codes : 1) * sizeof(int32_t));
            if (!src->stratum_of_code)
                return clm_error(CLM_E_NOMEM, "out of memory");
            for (int32_t c = 0; c < src->n_codes; c++)
                src->stratum_of_code[c] = find_label((const char *const *)m->stratum_labels, m->n_strata, info->categories[c]);
        } else {
            src->strata_min = strtoll(m->stratum_labels[0], NULL, 10);
        }
    } else if (m->strata_name && !strata_rows) {
        return clm_error(CLM_E_PARAM, "cox: the model is stratified by %s: give the strata of "
                         "the rows", m->strata_name);
    }
    return CLM_OK;
}

/* A rank read of rows [r0, r0 + n) of a column, or of none once `st` is
 * an error (then st is kept): the read every rank makes in turn. */
static clm_status read_rows(const clm_table *table, int column, int64_t r0, int64_t n, double *out,
                            clm_status st)
{
    clm_status read = io_table_read_rank_f64(table, column, r0, st ? 0 : n, out);
    return st ? st : read;
}

/* The stratum of each row of the block of table rows [r0, r0 + n), or an
 * error naming the row; strata_rows[i] is the stratum of row first + i. */
static clm_status block_strata(const clm_cox *m, const eq_source *src, const clm_table *table,
                               const int32_t *strata_rows, int64_t first, int64_t r0, int64_t n,
                               double *buf, int32_t *out)
{
    const char *path = clm_table_path(table);
    if (src->strata_col >= 0) {
        clm_status st = io_table_read_rank_f64(table, src->strata_col, r0, n, buf);
        if (st)
            return st;
        for (int64_t i = 0; i < n; i++) {
            double v = buf[i];
            int32_t s = -1;
            if (src->strata_categorical)
                s = v >= 0 && v < src->n_codes ? src->stratum_of_code[(int64_t)v] : -1;
            else if (v == floor(v) && v - (double)src->strata_min >= 0 &&
                     v - (double)src->strata_min < m->n_strata)
                s = (int32_t)(v - (double)src->strata_min);
            if (s < 0)
                return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: a stratum the model "
                                 "was not fitted on", path, m->strata_column, (long long)(r0 + i));
            out[i] = s;
        }
    } else if (strata_rows) {
        for (int64_t i = 0; i < n; i++) {
            int32_t s = strata_rows[r0 - first + i];
            if (s < 0 || s >= m->n_strata)
                return clm_error(CLM_E_VALUE, "%s: row %lld: %s %d is not in 0..%d", path,
                                 (long long)(r0 + i), m->strata_name ? m->strata_name : "stratum",
                                 (int)s, (int)m->n_strata - 1);
            out[i] = s;
        }
    } else {
        memset(out, 0, (size_t)n * sizeof *out);
    }
    return CLM_OK;
}

clm_status clm_cox_equity_table(const clm_cox *m, const clm_equity_params *params,
                                const char *arpu, const int32_t *strata_rows,
                                const clm_table *table, clm_equity **out)
{
    return cox_equity_table_ranks(m, params, arpu, strata_rows, table, NULL, 1, out);
}

clm_status cox_equity_table_ranks(const clm_cox *m, const clm_equity_params *params,
                                  const char *arpu, const int32_t *strata_rows,
                                  const clm_table *table, const comm_ctx *comm, int with_book,
                                  clm_equity **out)
{
    *out = NULL;
    const char *path = clm_table_path(table);
    const int h = params->horizon;
    if (h < 1 || h > EQ_MAX_HORIZON)
        return clm_error(CLM_E_PARAM, "equity: horizon %d is not in 1..1200 months", h);
    if (!isfinite(params->margin) || !(params->discount >= 0.0) || !isfinite(params->discount))
        return clm_error(CLM_E_PARAM, "equity: margin %g or discount %g is not valid",
                         params->margin, params->discount);
    const int64_t n_all = clm_table_n_rows(table);
    if (n_all <= 0)
        return clm_error(CLM_E_EMPTY, "%s: the table has no rows", path);
    /* This rank's rows [first, first + n_rows), whole chunks of the table;
     * row r is entry r - first of the per-row outputs. */
    int64_t first, n_rows;
    comm_rows_of(comm, n_all, COX_EQUITY_CHUNK, &first, &n_rows);
    const int64_t n_all_chunks = (n_all + EQ_CHUNK - 1) / EQ_CHUNK;
    const int64_t room = n_rows > 0 ? n_rows : 1; /* a rank may hold no row */
    const int n_threads = util_threads(params->n_threads);
    const clm_kernels *kernels = kernels_resolve(m->params.kernels);
    const int p = m->p;
    eq_source src;
    clm_status st = setup_source(m, arpu, strata_rows, table, &src);
    clm_equity *eq = calloc(1, sizeof *eq);
    const int64_t block = room < EQ_BLOCK ? room : EQ_BLOCK;
    const int64_t n_chunks = (block + EQ_CHUNK - 1) / EQ_CHUNK;
    double *cols = malloc((size_t)block * (size_t)(src.n_src + 4) * sizeof *cols);
    int32_t *stratum = malloc((size_t)block * sizeof *stratum);
    /* Every chunk's expected-active partial, in table order: each rank
     * fills its own, the ranks share them, and all are added in order. */
    double *partial = malloc((size_t)n_all_chunks * (size_t)(h + 1) * sizeof *partial);
    double *disc = malloc((size_t)(h + 1) * sizeof *disc);
    double *rate = malloc((size_t)m->n_strata * sizeof *rate);
    double **grid = calloc((size_t)m->n_strata, sizeof *grid);
    int64_t *bad = malloc((size_t)n_chunks * sizeof *bad);
    if (!st && (!eq || !cols || !stratum || !partial || !disc || !rate || !grid || !bad))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st) {
        eq->n_rows = n_rows;
        eq->horizon = h;
        eq->leave_3 = malloc((size_t)room * sizeof(float));
        eq->leave_12 = malloc((size_t)room * sizeof(float));
        eq->expected_months = malloc((size_t)room * sizeof(float));
        eq->value = malloc((size_t)room * sizeof(float));
        eq->expected_active = calloc((size_t)h + 1, sizeof(double));
        if (with_book) {
            eq->relative_hazard = malloc((size_t)room * sizeof(double));
            eq->stratum = malloc((size_t)room * sizeof(int32_t));
            eq->tenure = malloc((size_t)room * sizeof(double));
        }
        if (!eq->leave_3 || !eq->leave_12 || !eq->expected_months || !eq->value || !eq->expected_active ||
            (with_book && (!eq->relative_hazard || !eq->stratum || !eq->tenure)))
            st = clm_error(CLM_E_NOMEM, "out of memory");
    }
    /* Monthly grids over the model's own times plus the horizon: a tenure
     * beyond them (a longer-lived quarter) takes the exact path below, which
     * gives the same values, so no pass over the rows is needed first. */
    double t_last = 0.0;
    for (int32_t s = 0; s < m->n_strata; s++)
        if (m->base_n[s] > 0 && m->base_time[s][m->base_n[s] - 1] > t_last)
            t_last = m->base_time[s][m->base_n[s] - 1];
    const int64_t grid_len = (int64_t)ceil(t_last) + h + 1;
    for (int32_t s = 0; !st && s < m->n_strata; s++) {
        rate[s] = tail_rate(m, s);
        if (!(grid[s] = malloc((size_t)grid_len * sizeof **grid))) {
            st = clm_error(CLM_E_NOMEM, "out of memory");
            break;
        }
        for (int64_t u = 0; u < grid_len; u++)
            grid[s][u] = cumhaz_at(m, s, (double)u, rate[s]);
    }
    for (int k = 0; k <= h && !st; k++)
        disc[k] = pow(1.0 + params->discount, -(double)k / 12.0);
    /* lp = sum_j (x_j - center_j) beta_j / scale_j: the divisions once */
    double *slope = st ? NULL : malloc((size_t)(p > 0 ? p : 1) * sizeof *slope);
    if (!st && !slope)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    for (int j = 0; !st && j < p; j++)
        slope[j] = m->beta[j] / m->terms[j].scale;
    const double margin = params->margin;
    const double unit = m->time_unit_days;
    int64_t n_active = 0;
    /* The rank's own rows, in the pieces the serial run's blocks of
     * EQ_BLOCK rows cut them into (a rank's range is whole chunks, so every
     * piece starts on a chunk).  The serial run checks a block's times,
     * then its strata, then its covariates, and a block before the next;
     * each rank stops at its own first error and remembers where it stood
     * in that order (`key`), and the ranks agree once, on the lowest key
     * (comm_agree_first; the lower rank on a tie, which holds the lower
     * rows of a block cut between two ranks).  No rank waits for another
     * between blocks.  Rank reads (io_table_ranks.h) are made the same
     * number of times on every rank, with no rows past a rank's pieces or
     * once it has failed. */
    enum { AT_READ, AT_TIME, AT_EVENT, AT_STRATA, AT_MISSING, AT_KINDS };
    int64_t key = INT64_MAX;
    const int64_t g_first = first / EQ_BLOCK * EQ_BLOCK;
    const int64_t pieces = n_rows > 0 ? (first + n_rows - 1) / EQ_BLOCK - first / EQ_BLOCK + 1 : 0;
    st = comm_agree(comm, st);
    const int64_t calls = st ? 0 : io_rank_calls(comm, pieces);
    for (int64_t call = 0; call < calls; call++) {
        const int64_t g0 = g_first + call * EQ_BLOCK; /* the serial block of this piece */
        const int64_t r1 = g0 + EQ_BLOCK < first + n_rows ? g0 + EQ_BLOCK : first + n_rows;
        const int64_t n = !st && call < pieces ? r1 - (g0 > first ? g0 : first) : 0;
        const int64_t r0 = n ? (g0 > first ? g0 : first) : first; /* the table's row, for reads and messages */
        const int64_t at = r0 - first;
        const int64_t kind_key = g0 / EQ_BLOCK * AT_KINDS;
        double *time = cols + (size_t)src.n_src * (size_t)block;
        double *event = time + block, *value = event + block, *sbuf = value + block;
        clm_status was = st;
        for (int s = 0; s < src.n_src; s++)
            st = read_rows(table, src.src_col[s], r0, n, cols + (size_t)s * (size_t)block, st);
        st = read_rows(table, src.time_col, r0, n, time, st);
        if (st && !was) {
            key = kind_key + AT_READ;
            was = st;
        }
        for (int64_t i = 0; !st && i < n; i++) {
            double t = time[i];
            if (unit > 0 && unit != CLM_DAYS_PER_MONTH)
                t = t * unit / CLM_DAYS_PER_MONTH;
            if (!(t >= 0.0) || !isfinite(t))
                st = clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: time %g is not a number >= 0",
                               path, m->time_column, (long long)(r0 + i), time[i]);
            time[i] = t; /* in months from here on */
        }
        if (st && !was) {
            key = kind_key + AT_TIME;
            was = st;
        }
        st = read_rows(table, src.event_col, r0, n, event, st);
        if (src.arpu_col >= 0)
            st = read_rows(table, src.arpu_col, r0, n, value, st);
        if (!st && src.arpu_col < 0)
            for (int64_t i = 0; i < n; i++)
                value[i] = NAN;
        if (st && !was) {
            key = kind_key + AT_EVENT;
            was = st;
        }
        {
            clm_status strata = block_strata(m, &src, table, strata_rows, first, r0, st ? 0 : n, sbuf, stratum);
            st = st ? st : strata;
        }
        if (st && !was)
            key = kind_key + AT_STRATA;
        if (st || !n)
            continue;
        const int64_t chunks = (n + EQ_CHUNK - 1) / EQ_CHUNK;
        double *block_partial = partial + (size_t)(r0 / EQ_CHUNK) * (size_t)(h + 1);
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 1)
        for (int64_t c = 0; c < chunks; c++) {
            double *part = block_partial + (size_t)c * (size_t)(h + 1);
            memset(part, 0, (size_t)(h + 1) * sizeof *part);
            bad[c] = -1;
            const int64_t i0 = c * EQ_CHUNK, i1 = i0 + EQ_CHUNK < n ? i0 + EQ_CHUNK : n;
            for (int64_t i = i0; i < i1; i++) {
                const int64_t row = at + i; /* the output's entry */
                double ev = event[i];
                if (with_book) {
                    eq->stratum[row] = stratum[i];
                    eq->tenure[row] = time[i];
                    eq->relative_hazard[row] = NAN;
                }
                int churned = src.event_has_level ? ev == src.event_value : ev != 0.0;
                if (isnan(ev) || churned) {
                    eq->leave_3[row] = eq->leave_12[row] = NAN;
                    eq->expected_months[row] = eq->value[row] = NAN;
                    if (isnan(ev) && bad[c] < 0)
                        bad[c] = first + row;
                    continue;
                }
                double lp = 0.0;
                int missing = 0;
                for (int j = 0; j < p; j++) {
                    const cox_term *t = &m->terms[j];
                    double x = cols[(size_t)src.src_of[j] * (size_t)block + (size_t)i];
                    missing |= isnan(x);
                    if (t->kind == COX_INDICATOR)
                        x = x == src.code[j];
                    lp += (x - t->center) * slope[j];
                }
                if (missing && bad[c] < 0)
                    bad[c] = first + row;
                const double r = exp(lp);
                if (with_book)
                    eq->relative_hazard[row] = r;
                const int32_t s = stratum[i];
                const double tau = time[i];
                double a[EQ_MAX_HORIZON], q[EQ_MAX_HORIZON];
                if (tau == floor(tau) && tau + h < (double)grid_len) {
                    const double *g = grid[s] + (int64_t)tau;
                    for (int k = 0; k < h; k++)
                        a[k] = g[k + 1] - g[0];
                } else {
                    const double h0 = cumhaz_at(m, s, tau, rate[s]);
                    for (int k = 0; k < h; k++)
                        a[k] = cumhaz_at(m, s, tau + k + 1, rate[s]) - h0;
                }
                kernels->expneg_f64(r, a, h, q);
                double months = 0.0, val = 0.0;
                part[0] += 1.0;
                for (int k = 0; k < h; k++) {
                    months += q[k];
                    val += q[k] * disc[k + 1];
                    part[k + 1] += q[k];
                }
                const double q3 = h >= 3 ? q[2] : NAN, q12 = h >= 12 ? q[11] : NAN;
                eq->leave_3[row] = (float)(h >= 3 ? 1.0 - q3 : NAN);
                eq->leave_12[row] = (float)(h >= 12 ? 1.0 - q12 : NAN);
                eq->expected_months[row] = (float)months;
                eq->value[row] = (float)(val * value[i] * margin);
            }
        }
        for (int64_t c = 0; c < chunks && !st; c++)
            if (bad[c] >= 0) {
                st = clm_error(CLM_E_VALUE, "%s: row %lld: a covariate or the event is missing",
                               path, (long long)bad[c]);
                key = kind_key + AT_MISSING;
            }
    }
    st = comm_agree_first(comm, st, key);
    if (!st) st = comm_share_chunks(comm, partial, (size_t)(h + 1) * sizeof *partial, n_all_chunks);
    for (int64_t c = 0; !st && c < n_all_chunks; c++) {
        const double *part = partial + (size_t)c * (size_t)(h + 1);
        n_active += (int64_t)part[0];
        for (int k = 0; k <= h; k++)
            eq->expected_active[k] += part[k];
    }
    for (int32_t s = 0; grid && s < m->n_strata; s++)
        free(grid[s]);
    free(grid);
    free(slope);
    free(rate);
    free(disc);
    free(partial);
    free(stratum);
    free(cols);
    free(bad);
    source_free(&src);
    if (st) {
        clm_equity_free(eq);
        return st;
    }
    eq->n_active = n_active;
    *out = eq;
    return CLM_OK;
}

/*
 * survival.c — the estimator: parameters, counting of row blocks and the
 * finish step that turns counts into curves.
 *
 * Counting (clm_survival_add): a block is cut into chunks of
 * SURV_CHUNK_ROWS rows, and one parallel region runs the fused kernel on
 * every chunk: scan (validity, largest time, first fractional time), count
 * into the thread's direct table (integer times: cell (t, slot, event), no
 * sort of the rows) and ARPU summed into the chunk's lane, reading the rows
 * once.  The scan results are merged in chunk order so the first bad row of
 * the block is reported exactly.  A chunk whose times do not fit the table
 * is left uncounted by the kernel; the table then grows and those chunks
 * are counted in a second region (first block, new largest time only).
 * Counts are integers, so merging the thread tables in any order is exact
 * (uint32 per thread, added into int64 totals before they could overflow);
 * the ARPU lanes are fixed by chunk position, not by thread, so the sums
 * are the same for any thread count.  A fractional time, or a time that
 * would make the table larger than params.max_cells, moves every count to
 * a hash of distinct (slot, time) pairs (main thread; documented as the
 * slower path).
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "survival/survival_internal.h"

static const double default_at[] = {6, 12, 24, 36};

void clm_survival_params_default(clm_survival_params *params)
{
    memset(params, 0, sizeof *params);
    params->conf_type = CLM_CONF_LOG;
    params->conf_level = 0.95;
    params->horizon = 60;
    params->margin = 1.0;
    params->discount = 0.10;
    params->n_at = 4;
    memcpy(params->at, default_at, sizeof default_at);
    params->max_cells = (int64_t)1 << 22;
    params->kernels = NULL;
}

clm_status clm_survival_params_check(const clm_survival_params *p)
{
    if (p->conf_type != CLM_CONF_LOG && p->conf_type != CLM_CONF_LOGLOG &&
        p->conf_type != CLM_CONF_PLAIN)
        return clm_error(CLM_E_PARAM, "conf-type must be log, log-log or plain");
    if (!(p->conf_level > 0.0 && p->conf_level < 1.0))
        return clm_error(CLM_E_PARAM, "conf-level %g must be in (0, 1)", p->conf_level);
    if (p->horizon < 0 || p->horizon > 100000)
        return clm_error(CLM_E_PARAM, "horizon %d must be in [0, 100000] months", (int)p->horizon);
    if (!isfinite(p->margin))
        return clm_error(CLM_E_PARAM, "margin must be a finite number");
    if (!(p->discount >= 0.0 && p->discount < 1e6))
        return clm_error(CLM_E_PARAM, "discount %g must be >= 0", p->discount);
    if (p->n_at < 0 || p->n_at > CLM_SURVIVAL_MAX_AT)
        return clm_error(CLM_E_PARAM, "at most %d horizons for --at", CLM_SURVIVAL_MAX_AT);
    for (int i = 0; i < p->n_at; i++)
        if (!(p->at[i] >= 0.0 && isfinite(p->at[i])))
            return clm_error(CLM_E_PARAM, "--at: %g is not a time >= 0", p->at[i]);
    if (p->n_threads < 0)
        return clm_error(CLM_E_PARAM, "threads must be >= 0");
    if (p->max_cells < 2)
        return clm_error(CLM_E_PARAM, "max_cells must be >= 2");
    return CLM_OK;
}

clm_status clm_survival_conf_type_parse(const char *text, clm_survival_conf_type *out)
{
    if (!strcmp(text, "log"))
        *out = CLM_CONF_LOG;
    else if (!strcmp(text, "log-log") || !strcmp(text, "loglog"))
        *out = CLM_CONF_LOGLOG;
    else if (!strcmp(text, "plain"))
        *out = CLM_CONF_PLAIN;
    else
        return clm_error(CLM_E_PARAM, "--conf-type: '%s' is not log, log-log or plain", text);
    return CLM_OK;
}

const char *clm_survival_conf_type_name(clm_survival_conf_type type)
{
    switch (type) {
    case CLM_CONF_LOGLOG: return "log-log";
    case CLM_CONF_PLAIN: return "plain";
    default: return "log";
    }
}

void clm_survival_free(clm_survival *s)
{
    if (!s)
        return;
    for (int i = 0; i < 5; i++)
        free(s->names[i]);
    if (s->labels)
        for (int32_t i = 0; i < s->n_strata; i++)
            free(s->labels[i]);
    free(s->labels);
    if (s->tables)
        for (int i = 0; i < s->n_threads; i++)
            free(s->tables[i]);
    free(s->tables);
    free(s->totals);
    surv_hash_free(&s->hash);
    free(s->lane_sums);
    if (s->curves)
        for (int32_t i = 0; i < s->n_curves; i++)
            surv_curve_free(&s->curves[i]);
    free(s->curves);
    free(s);
}

clm_status clm_survival_create(const clm_survival_params *params, int32_t n_strata,
                               const char *const *labels, clm_survival **out)
{
    *out = NULL;
    clm_status st = clm_survival_params_check(params);
    if (st)
        return st;
    if (n_strata < 1 || n_strata > 10000000)
        return clm_error(CLM_E_PARAM, "number of strata %d must be in [1, 10000000]", (int)n_strata);
    clm_survival *s = calloc(1, sizeof *s);
    if (!s)
        return clm_error(CLM_E_NOMEM, "out of memory creating the survival estimator");
    s->params = *params;
    const char *names[5] = {params->source, params->time_column, params->event_column,
                            params->stratum_column, params->arpu_column};
    const char *fallback[5] = {"input", "time", "event", "stratum", "arpu"};
    for (int i = 0; i < 5; i++) {
        s->names[i] = util_strdup(names[i] ? names[i] : fallback[i]);
        if (!s->names[i])
            goto nomem;
    }
    /* The params copy must not point at the caller's strings. */
    s->params.source = s->names[0];
    s->params.time_column = s->names[1];
    s->params.event_column = s->names[2];
    s->params.stratum_column = s->names[3];
    s->params.arpu_column = s->names[4];
    s->n_strata = n_strata;
    s->n_slots = n_strata + 1;
    s->labels = calloc((size_t)n_strata, sizeof *s->labels);
    if (!s->labels)
        goto nomem;
    for (int32_t i = 0; i < n_strata; i++) {
        char buf[32];
        const char *label = labels ? labels[i] : NULL;
        if (!label) {
            snprintf(buf, sizeof buf, "%d", (int)i);
            label = buf;
        }
        s->labels[i] = util_strdup(label);
        if (!s->labels[i])
            goto nomem;
    }
    s->n_threads = util_threads(params->n_threads);
    s->has_arpu = -1;
    s->tables = calloc((size_t)s->n_threads, sizeof *s->tables);
    s->lane_sums = calloc((size_t)SURV_LANES * (size_t)s->n_slots, sizeof(double));
    if (!s->tables || !s->lane_sums)
        goto nomem;
    if (surv_hash_init(&s->hash))
        goto nomem;
    /* Too many strata for even one time per thread table: hash from the start. */
    s->hashed = (int64_t)s->n_slots * 2 > params->max_cells;
    s->kernels = kernels_resolve(params->kernels);
    *out = s;
    return CLM_OK;
nomem:
    clm_survival_free(s);
    return clm_error(CLM_E_NOMEM, "out of memory creating the survival estimator");
}

/* Adds every thread table into the totals and zeroes the tables. */
static void flush_tables(clm_survival *s)
{
    int64_t cells = s->n_times * s->n_slots * 2;
    for (int k = 0; k < s->n_threads; k++) {
        uint32_t *table = s->tables[k];
        if (!table)
            continue;
        for (int64_t c = 0; c < cells; c++)
            s->totals[c] += table[c];
        memset(table, 0, (size_t)cells * sizeof *table);
    }
    s->rows_since_flush = 0;
}

/* Moves every count of the direct tables into the hash and frees them. */
static int move_tables_to_hash(clm_survival *s)
{
    const int64_t *sum = s->totals;
    if (sum)
        flush_tables(s);
    for (int64_t t = 0; sum && t < s->n_times; t++)
        for (int32_t slot = 0; slot < s->n_slots; slot++)
            for (int e = 0; e < 2; e++) {
                int64_t n = sum[(t * s->n_slots + slot) * 2 + e];
                if (n && surv_hash_add(&s->hash, slot, (double)t, e, n))
                    return -1;
            }
    for (int k = 0; k < s->n_threads; k++) {
        free(s->tables[k]);
        s->tables[k] = NULL;
    }
    free(s->totals);
    s->totals = NULL;
    s->n_times = 0;
    s->hashed = 1;
    return 0;
}

/* Makes the direct tables hold times 0 .. max_time; switches to the hash
 * when that would exceed max_cells. */
static int grow_tables(clm_survival *s, double max_time)
{
    if (max_time < (double)s->n_times)
        return 0;
    double cells_needed = (max_time + 1.0) * (double)s->n_slots * 2.0;
    if (cells_needed > (double)s->params.max_cells)
        return move_tables_to_hash(s);
    int64_t want = (int64_t)max_time + 1;
    int64_t doubled = s->n_times * 2;
    if (doubled > want && (double)doubled * s->n_slots * 2.0 <= (double)s->params.max_cells)
        want = doubled;
    size_t old_cells = (size_t)(s->n_times * s->n_slots * 2);
    size_t new_cells = (size_t)(want * s->n_slots * 2);
    /* On a failure part way, the tables grown so far keep their first
     * old_cells counts, which is all that n_times (unchanged) covers. */
    int64_t *totals = realloc(s->totals, new_cells * sizeof *totals);
    if (!totals)
        return -1;
    memset(totals + old_cells, 0, (new_cells - old_cells) * sizeof *totals);
    s->totals = totals;
    for (int k = 0; k < s->n_threads; k++) {
        uint32_t *grown = realloc(s->tables[k], new_cells * sizeof *grown);
        if (!grown)
            return -1;
        memset(grown + old_cells, 0, (new_cells - old_cells) * sizeof *grown);
        s->tables[k] = grown;
    }
    s->n_times = want;
    return 0;
}

static clm_status bad_row_error(const clm_survival *s, int64_t row, int reason,
                                const double *time, const uint8_t *event,
                                const int32_t *stratum, int64_t local)
{
    const char *src = s->names[0];
    long long r = (long long)row;
    switch (reason) {
    case CLM_K_SURV_TIME_NAN:
        return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: time is missing (NaN) or infinite",
                         src, s->names[1], r);
    case CLM_K_SURV_TIME_NEGATIVE:
        return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: negative time %g",
                         src, s->names[1], r, time[local]);
    case CLM_K_SURV_EVENT:
        return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: event flag %d is not 0 or 1",
                         src, s->names[2], r, (int)event[local]);
    case CLM_K_SURV_STRATUM:
        return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: stratum %d outside [0, %d]",
                         src, s->names[3], r, (int)stratum[local], (int)s->n_strata);
    default:
        return clm_error(CLM_E_VALUE, "%s: column '%s', row %lld: ARPU is missing (NaN) or infinite",
                         src, s->names[4], r);
    }
}

static clm_status add_pass(clm_survival *s, int64_t n_rows, const double *time,
                           const uint8_t *event, const int32_t *stratum, const double *arpu);

clm_status clm_survival_add(clm_survival *s, int64_t n_rows, const double *time,
                            const uint8_t *event, const int32_t *stratum,
                            const double *arpu)
{
    if (s->finished || s->failed)
        return clm_error(CLM_E_PARAM, "survival estimator: add after finish or after an error");
    if (n_rows < 0 || (n_rows > 0 && (!time || !event)))
        return clm_error(CLM_E_PARAM, "survival estimator: bad block");
    clm_status st = CLM_OK;
    for (int64_t r0 = 0; r0 < n_rows && !st; r0 += SURV_MAX_PASS_ROWS) {
        int64_t n = util_block_len(n_rows, r0, SURV_MAX_PASS_ROWS);
        st = add_pass(s, n, time + r0, event + r0, stratum ? stratum + r0 : NULL,
                      arpu ? arpu + r0 : NULL);
    }
    return st;
}

/* One pass of at most SURV_MAX_PASS_ROWS rows (error rows are reported
 * from s->rows_seen, which counts the rows of the earlier passes). */
static clm_status add_pass(clm_survival *s, int64_t n_rows, const double *time,
                           const uint8_t *event, const int32_t *stratum, const double *arpu)
{
    if (s->finished || s->failed)
        return clm_error(CLM_E_PARAM, "survival estimator: add after finish or after an error");
    if (n_rows < 0 || (n_rows > 0 && (!time || !event)))
        return clm_error(CLM_E_PARAM, "survival estimator: bad block");
    if (n_rows == 0)
        return CLM_OK;
    int with_arpu = arpu != NULL;
    if (s->has_arpu >= 0 && s->has_arpu != with_arpu)
        return clm_error(CLM_E_PARAM, "survival estimator: ARPU given for some blocks only");
    s->has_arpu = with_arpu;

    int64_t n_chunks = (n_rows + SURV_CHUNK_ROWS - 1) / SURV_CHUNK_ROWS;
    clm_k_survscan_result *scans = malloc((size_t)n_chunks * sizeof *scans);
    uint8_t *counted = malloc((size_t)n_chunks);
    if (!scans || !counted) {
        free(scans);
        free(counted);
        return clm_error(CLM_E_NOMEM, "out of memory counting survival rows");
    }
    /* No cell may pass 2^32 - 1 in this pass. */
    if (!s->hashed && s->totals && s->rows_since_flush + n_rows > (int64_t)UINT32_MAX)
        flush_tables(s);
    const int32_t n_slots = s->n_slots;
    const clm_kernels *const kernels = s->kernels;
    const int64_t n_times = s->hashed ? 0 : s->n_times;
    uint32_t **tables = s->tables;
    double *lane_sums = s->lane_sums;

    /* One pass: each chunk is scanned, counted into its thread's table
     * (when its times fit the table) and its ARPU summed into its lane. */
#pragma omp parallel num_threads(s->n_threads)
    {
        uint32_t *table = tables[omp_get_thread_num()];
#pragma omp for schedule(static)
        for (int lane = 0; lane < SURV_LANES; lane++) {
            for (int64_t c = lane; c < n_chunks; c += SURV_LANES) {
                int64_t r0 = c * SURV_CHUNK_ROWS;
                int64_t len = util_block_len(n_rows, r0, SURV_CHUNK_ROWS);
                counted[c] = (uint8_t)kernels->survchunk_f64(
                    len, time + r0, event + r0, stratum ? stratum + r0 : NULL, n_slots,
                    arpu ? arpu + r0 : NULL, n_times, table,
                    lane_sums + (size_t)lane * (size_t)n_slots, &scans[c]);
            }
        }
    }

    /* Merge in chunk order: the first bad row of the block wins. */
    double max_time = 0.0;
    int fractional = 0;
    int64_t n_uncounted = 0;
    for (int64_t c = 0; c < n_chunks; c++) {
        if (scans[c].bad_row >= 0) {
            int64_t local = c * SURV_CHUNK_ROWS + scans[c].bad_row;
            int reason = scans[c].bad_reason;
            free(scans);
            free(counted);
            s->failed = 1;
            return bad_row_error(s, s->row_base + s->rows_seen + local, reason, time, event,
                                 stratum, local);
        }
        if (scans[c].max_time > max_time)
            max_time = scans[c].max_time;
        fractional |= scans[c].fraction_row >= 0;
        n_uncounted += !counted[c];
    }
    free(scans);
    if (n_uncounted == 0) {
        free(counted);
        s->rows_seen += n_rows;
        s->rows_since_flush += n_rows;
        return CLM_OK;
    }

    /* Some chunks did not fit the table (first block, a larger time, a
     * fractional time): grow it or move to the hash, then count them. */
    if (!s->hashed && (fractional || grow_tables(s, max_time))) {
        if (!s->hashed && move_tables_to_hash(s)) {
            free(counted);
            s->failed = 1;
            return clm_error(CLM_E_NOMEM, "out of memory counting survival rows");
        }
    }

    if (!s->hashed) {
        tables = s->tables;
#pragma omp parallel num_threads(s->n_threads)
        {
            uint32_t *table = tables[omp_get_thread_num()];
#pragma omp for schedule(static)
            for (int64_t c = 0; c < n_chunks; c++) {
                if (counted[c])
                    continue;
                int64_t r0 = c * SURV_CHUNK_ROWS;
                int64_t len = util_block_len(n_rows, r0, SURV_CHUNK_ROWS);
                kernels->survcount_f64(len, time + r0, event + r0, stratum ? stratum + r0 : NULL,
                                       n_slots, table);
            }
        }
    } else {
        /* The slow path: distinct continuous times, one row at a time (the
         * chunks counted in the tables were moved to the hash with them). */
        for (int64_t c = 0; c < n_chunks; c++) {
            if (counted[c])
                continue;
            int64_t r0 = c * SURV_CHUNK_ROWS;
            int64_t r1 = n_rows - r0 < SURV_CHUNK_ROWS ? n_rows : r0 + SURV_CHUNK_ROWS;
            for (int64_t i = r0; i < r1; i++) {
                if (surv_hash_add(&s->hash, stratum ? stratum[i] : 0, time[i], event[i], 1)) {
                    free(counted);
                    s->failed = 1;
                    return clm_error(CLM_E_NOMEM, "out of memory counting survival rows");
                }
            }
        }
    }
    free(counted);
    s->rows_seen += n_rows;
    s->rows_since_flush += n_rows;
    return CLM_OK;
}

void surv_cells_free(surv_cells *cells)
{
    free(cells->first);
    free(cells->time);
    free(cells->censored);
    free(cells->events);
    memset(cells, 0, sizeof *cells);
}

int surv_cells_alloc(surv_cells *cells, int32_t n_slots, int64_t n_entries)
{
    cells->n_entries = n_entries;
    size_t n = (size_t)(n_entries ? n_entries : 1);
    cells->first = calloc((size_t)n_slots + 2, sizeof(int64_t));
    cells->time = malloc(n * sizeof(double));
    cells->censored = malloc(n * sizeof(int64_t));
    cells->events = malloc(n * sizeof(int64_t));
    return cells->first && cells->time && cells->censored && cells->events ? 0 : -1;
}

/* Direct tables -> time-ordered cells per slot (summing the thread tables),
 * and the overall curve's cells: the slots of each time summed (integer
 * counts: the same as merging the slots' cells). */
static int cells_from_tables(clm_survival *s, surv_cells *cells, surv_cells *all)
{
    flush_tables(s);
    const int64_t *sum = s->totals;
    int64_t *per_slot = calloc((size_t)s->n_slots, sizeof(int64_t));
    if (!per_slot)
        return -1;
    int64_t n_entries = 0;
    for (int64_t t = 0; t < s->n_times; t++)
        for (int32_t slot = 0; slot < s->n_slots; slot++) {
            const int64_t *cell = sum + (t * s->n_slots + slot) * 2;
            if (cell[0] || cell[1]) {
                per_slot[slot]++;
                n_entries++;
            }
        }
    int64_t n_all = 0;
    for (int64_t t = 0; t < s->n_times; t++) {
        const int64_t *cell = sum + t * s->n_slots * 2;
        int64_t any = 0;
        for (int32_t slot = 0; slot < s->n_slots; slot++)
            any |= cell[2 * slot] | cell[2 * slot + 1];
        n_all += any != 0;
    }
    if (surv_cells_alloc(cells, s->n_slots, n_entries) || surv_cells_alloc(all, 1, n_all)) {
        free(per_slot);
        return -1;
    }
    int64_t m = 0;
    for (int64_t t = 0; t < s->n_times; t++) {
        const int64_t *cell = sum + t * s->n_slots * 2;
        int64_t censored = 0, events = 0;
        for (int32_t slot = 0; slot < s->n_slots; slot++) {
            censored += cell[2 * slot];
            events += cell[2 * slot + 1];
        }
        if (censored || events) {
            all->time[m] = (double)t;
            all->censored[m] = censored;
            all->events[m] = events;
            m++;
        }
    }
    all->first[1] = m;
    for (int32_t slot = 0; slot < s->n_slots; slot++)
        cells->first[slot + 1] = cells->first[slot] + per_slot[slot];
    for (int32_t slot = 0; slot < s->n_slots; slot++)
        per_slot[slot] = cells->first[slot];
    for (int64_t t = 0; t < s->n_times; t++)
        for (int32_t slot = 0; slot < s->n_slots; slot++) {
            const int64_t *cell = sum + (t * s->n_slots + slot) * 2;
            if (cell[0] || cell[1]) {
                int64_t e = per_slot[slot]++;
                cells->time[e] = (double)t;
                cells->censored[e] = cell[0];
                cells->events[e] = cell[1];
            }
        }
    free(per_slot);
    return 0;
}

int surv_cmp_slot_time(const void *a, const void *b)
{
    const surv_pair *x = a, *y = b;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return (x->time > y->time) - (x->time < y->time);
}

static int cmp_time(const void *a, const void *b)
{
    const surv_pair *x = a, *y = b;
    return (x->time > y->time) - (x->time < y->time);
}

/* Hash -> time-ordered cells per slot: a sort of the distinct pairs only,
 * never of the rows. */
static int cells_from_hash(clm_survival *s, surv_cells *cells)
{
    const surv_hash *h = &s->hash;
    int64_t n = h->n_entries;
    surv_pair *pairs = malloc((size_t)(n ? n : 1) * sizeof *pairs);
    if (!pairs || surv_cells_alloc(cells, s->n_slots, n)) {
        free(pairs);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        pairs[i].time = h->time[i];
        pairs[i].slot = h->slot[i];
        pairs[i].censored = h->counts[2 * i];
        pairs[i].events = h->counts[2 * i + 1];
    }
    qsort(pairs, (size_t)n, sizeof *pairs, surv_cmp_slot_time);
    for (int64_t k = 0; k < n; k++) {
        cells->time[k] = pairs[k].time;
        cells->censored[k] = pairs[k].censored;
        cells->events[k] = pairs[k].events;
        cells->first[pairs[k].slot + 1]++;
    }
    for (int32_t slot = 0; slot < s->n_slots; slot++)
        cells->first[slot + 1] += cells->first[slot];
    free(pairs);
    return 0;
}

/* The overall curve's cells: every slot's entries sorted by time and equal
 * times merged (the entries are distinct pairs, far fewer than rows). */
int surv_cells_overall(const surv_cells *in, surv_cells *out)
{
    int64_t n = in->n_entries;
    surv_pair *pairs = malloc((size_t)(n ? n : 1) * sizeof *pairs);
    if (!pairs || surv_cells_alloc(out, 1, n)) {
        free(pairs);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        pairs[i].time = in->time[i];
        pairs[i].slot = 0;
        pairs[i].censored = in->censored[i];
        pairs[i].events = in->events[i];
    }
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_time);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (m > 0 && out->time[m - 1] == pairs[i].time) {
            out->censored[m - 1] += pairs[i].censored;
            out->events[m - 1] += pairs[i].events;
            continue;
        }
        out->time[m] = pairs[i].time;
        out->censored[m] = pairs[i].censored;
        out->events[m] = pairs[i].events;
        m++;
    }
    out->n_entries = m;
    out->first[1] = m;
    free(pairs);
    return 0;
}

clm_status clm_survival_finish(clm_survival *s)
{
    if (s->failed)
        return clm_error(CLM_E_PARAM, "survival estimator: finish after an error");
    if (s->finished)
        return CLM_OK;
    if (s->rows_seen == 0)
        return clm_error(CLM_E_EMPTY, "%s: no rows to estimate survival from", s->names[0]);
    surv_cells cells = {0}, all = {0};
    clm_status st = surv_cells_build(s, &cells, &all)
                        ? clm_error(CLM_E_NOMEM, "out of memory building survival curves")
                        : surv_finish_cells(s, &cells, &all);
    surv_cells_free(&cells);
    surv_cells_free(&all);
    if (st)
        s->failed = 1;
    return st;
}

int surv_cells_build(clm_survival *s, surv_cells *cells, surv_cells *all)
{
    return s->hashed ? cells_from_hash(s, cells) || surv_cells_overall(cells, all)
                     : cells_from_tables(s, cells, all);
}

clm_status surv_finish_cells(clm_survival *s, const surv_cells *cells_in, const surv_cells *all_in)
{
    const surv_cells cells = *cells_in, all = *all_in;
    clm_status st = CLM_OK;
    /* Rows and ARPU sums per slot (lanes summed in lane order). */
    int64_t *rows = calloc((size_t)s->n_slots, sizeof(int64_t));
    double *arpu_sum = calloc((size_t)s->n_slots + 1, sizeof(double));
    /* The LTV discount of month h, the same for every curve. */
    double *discount = malloc(((size_t)s->params.horizon + 1) * sizeof(double));
    s->curves = calloc((size_t)s->n_slots, sizeof *s->curves);
    if (!rows || !arpu_sum || !discount || !s->curves) {
        free(rows);
        free(arpu_sum);
        free(discount);
        st = clm_error(CLM_E_NOMEM, "out of memory building survival curves");
        goto done;
    }
    for (int32_t slot = 0; slot < s->n_slots; slot++) {
        for (int64_t e = cells.first[slot]; e < cells.first[slot + 1]; e++)
            rows[slot] += cells.censored[e] + cells.events[e];
        for (int lane = 0; lane < SURV_LANES; lane++)
            arpu_sum[slot] += s->lane_sums[(size_t)lane * (size_t)s->n_slots + (size_t)slot];
    }
    /* The overall mean: per-slot sums added in slot order. */
    for (int32_t slot = 0; slot < s->n_slots; slot++)
        arpu_sum[s->n_slots] += arpu_sum[slot];
    for (int32_t h = 0; h <= s->params.horizon; h++)
        discount[h] = pow(1.0 + s->params.discount, h / 12.0);
    const double z = util_qnorm(1.0 - (1.0 - s->params.conf_level) / 2.0);
    s->n_missing = rows[s->n_strata];
    int with_arpu = s->has_arpu == 1;
    int32_t n_curves = 0;
    for (int32_t slot = 0; slot < s->n_strata && !st; slot++) {
        if (rows[slot] == 0)
            continue;
        int64_t f = cells.first[slot];
        st = surv_curve_build(&s->params, s->labels[slot], cells.first[slot + 1] - f,
                              cells.time + f, cells.censored + f, cells.events + f,
                              with_arpu ? arpu_sum[slot] / (double)rows[slot] : NAN,
                              discount, z, &s->curves[n_curves]);
        n_curves++;
    }
    if (!st) {
        st = surv_curve_build(&s->params, "all", all.n_entries, all.time, all.censored,
                              all.events,
                              with_arpu ? arpu_sum[s->n_slots] / (double)s->rows_seen : NAN,
                              discount, z, &s->curves[n_curves]);
        n_curves++;
    }
    s->n_curves = n_curves;
    free(rows);
    free(arpu_sum);
    free(discount);
    if (!st)
        st = surv_logrank(s->kernels, s->curves, n_curves - 1, &s->curves[n_curves - 1],
                          &s->logrank);
    if (!st)
        s->finished = 1;
done:
    if (st)
        s->failed = 1;
    return st;
}

int32_t clm_survival_n_curves(const clm_survival *s)
{
    return s && s->finished ? s->n_curves : 0;
}

const clm_survival_curve *clm_survival_curve_at(const clm_survival *s, int32_t index)
{
    if (!s || !s->finished || index < 0 || index >= s->n_curves)
        return NULL;
    return &s->curves[index].view;
}

const clm_logrank *clm_survival_logrank(const clm_survival *s)
{
    return &s->logrank;
}

int64_t clm_survival_n_missing_stratum(const clm_survival *s)
{
    return s->n_missing;
}

const clm_survival_params *clm_survival_get_params(const clm_survival *s)
{
    return &s->params;
}

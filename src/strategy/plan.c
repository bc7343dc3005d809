/*
 * plan.c — the plan file (docs/strategy.md, "The plan").
 *
 * An INI file: [plan] (horizon), [scenario NAME] with one `lever`, or
 * [scenario NAME] holding keys shared by its levers [scenario NAME.LEVER],
 * and [budget].  Other sections are skipped, so the run's own config file
 * can carry its scenarios.  The sections are read first, then each
 * scenario is built from them: every key is checked where it stands and a
 * message names the file, line and key.  The run's config reader
 * (src/run/config.c) cannot do this: its keys are fixed in advance, and a
 * plan's sections are named by the user.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "strategy/strategy_internal.h"

const char *const clm_lever_kind_names[CLM_N_LEVER_KINDS] = {
    "retention", "upsell", "renewal", "bad_debt", "acquisition", "winback"};

typedef struct ini_kv {
    char *key, *value;
    int line;
} ini_kv;

typedef struct ini_section {
    char *name;                   /* "scenario save_d.retention", "budget", "plan" */
    int line;
    ini_kv *kv;
    int n_kv;
} ini_section;

static void sections_free(ini_section *s, int n)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < s[i].n_kv; k++) {
            free(s[i].kv[k].key);
            free(s[i].kv[k].value);
        }
        free(s[i].kv);
        free(s[i].name);
    }
    free(s);
}

static int plan_section(const char *name)
{
    return !strcmp(name, "plan") || !strcmp(name, "budget") || !strncmp(name, "scenario ", 9);
}

/* The plan's sections as read so far (util_ini_read calls back per line). */
typedef struct read_state {
    const char *path;
    ini_section *sec;
    int n, cur;                   /* cur: the section being read, -1: skipped */
} read_state;

static clm_status read_line(void *arg, const char *name, const char *key, const char *value, int line)
{
    read_state *r = arg;
    if (!key) {
        r->cur = -1;
        if (!plan_section(name))
            return CLM_OK; /* the run's own sections, in a run's config file */
        for (int i = 0; i < r->n; i++)
            if (!strcmp(r->sec[i].name, name))
                return clm_error(CLM_E_FORMAT, "%s:%d: section [%s] is already on line %d", r->path, line, name,
                                 r->sec[i].line);
        ini_section *grown = realloc(r->sec, (size_t)(r->n + 1) * sizeof *grown);
        if (!grown)
            return clm_error(CLM_E_NOMEM, "out of memory");
        r->sec = grown;
        r->cur = r->n++;
        memset(&r->sec[r->cur], 0, sizeof r->sec[r->cur]);
        r->sec[r->cur].line = line;
        return (r->sec[r->cur].name = util_strdup(name)) ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    }
    if (r->cur < 0)
        return CLM_OK;
    ini_section *c = &r->sec[r->cur];
    for (int k = 0; k < c->n_kv; k++)
        if (!strcmp(c->kv[k].key, key))
            return clm_error(CLM_E_FORMAT, "%s:%d: key '%s' in [%s] is already set on line %d", r->path, line,
                             key, c->name, c->kv[k].line);
    ini_kv *grown = realloc(c->kv, (size_t)(c->n_kv + 1) * sizeof *c->kv);
    if (!grown)
        return clm_error(CLM_E_NOMEM, "out of memory");
    c->kv = grown;
    ini_kv *kv = &c->kv[c->n_kv++];
    kv->line = line;
    kv->key = util_strdup(key);
    kv->value = util_strdup(value);
    return kv->key && kv->value ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
}

/* Reads the plan's sections of the file; the others are skipped. */
static clm_status read_sections(const char *path, ini_section **out, int *n_out)
{
    read_state r = {path, NULL, 0, -1};
    clm_status st = util_ini_read(path, "plan", read_line, &r);
    if (st) {
        sections_free(r.sec, r.n);
        return st;
    }
    *out = r.sec;
    *n_out = r.n;
    return CLM_OK;
}

/* ---- values ------------------------------------------------------------------- */

typedef struct where_ctx {
    const char *path;
    int line;
    const char *key;
} where_ctx;

static clm_status bad(const where_ctx *w, const char *value, const char *expected)
{
    return clm_error(CLM_E_PARAM, "%s:%d: key '%s' = '%s': %s", w->path, w->line, w->key, value, expected);
}

static clm_status number(const where_ctx *w, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == text || *end || errno || !isfinite(v) || v < lo || v > hi) {
        char msg[128];
        snprintf(msg, sizeof msg, "expected a number in [%g, %g]", lo, hi);
        return bad(w, text, msg);
    }
    *out = v;
    return CLM_OK;
}

static clm_status list(const where_ctx *w, const char *text, char ***out, int *n)
{
    *out = util_split_list(text, n);
    if (!*out)
        return clm_error(CLM_E_NOMEM, "out of memory");
    if (*n == 0) {
        free(*out);
        *out = NULL;
        return bad(w, text, "expected a comma-separated list");
    }
    return CLM_OK;
}

static int tier_code(const char *name)
{
    for (int t = 0; t < CLM_N_TIERS; t++)
        if (!strcmp(clm_tier_names[t], name))
            return t;
    return -1;
}

/* "high,medium" -> bits */
static clm_status tier_bits(const where_ctx *w, const char *text, uint8_t *out)
{
    char **items;
    int n;
    clm_status st = list(w, text, &items, &n);
    *out = 0;
    for (int i = 0; !st && i < n; i++) {
        int t = tier_code(items[i]);
        if (t < 0)
            st = bad(w, items[i], "expected tiers high, medium or low");
        else
            *out |= (uint8_t)(1u << t);
    }
    free(items);
    return st;
}

static clm_status stage_bits(const where_ctx *w, const char *text, uint8_t *out)
{
    char **items;
    int n;
    clm_status st = list(w, text, &items, &n);
    *out = 0;
    for (int i = 0; !st && i < n; i++) {
        const char *s = items[i];
        if (s[0] >= 'A' && s[0] <= 'A' + CLM_N_STAGES - 1 && s[1] == '\0')
            *out |= (uint8_t)(1u << (s[0] - 'A'));
        else
            st = bad(w, s, "expected stages A to E");
    }
    free(items);
    return st;
}

/* "lo-hi" or "n" or "a,b,c" of integers in [lo, hi]; calls put(v). */
static clm_status int_items(const where_ctx *w, const char *text, long lo, long hi,
                            void (*put)(void *, long), void *arg)
{
    char **items;
    int n;
    clm_status st = list(w, text, &items, &n);
    for (int i = 0; !st && i < n; i++) {
        char *end;
        long a = strtol(items[i], &end, 10), b = a;
        if (end != items[i] && *end == '-' && end[1])
            b = strtol(end + 1, &end, 10);
        if (end == items[i] || *end || a < lo || b > hi || a > b) {
            char msg[96];
            snprintf(msg, sizeof msg, "expected integers or ranges a-b within %ld..%ld", lo, hi);
            st = bad(w, items[i], msg);
            break;
        }
        for (long v = a; v <= b; v++)
            put(arg, v);
    }
    free(items);
    return st;
}

static void put_decile(void *arg, long v) { *(uint16_t *)arg |= (uint16_t)(1u << (v - 1)); }

typedef struct int_list {
    int32_t *v;
    int n, cap, failed;
} int_list;

static void put_int(void *arg, long v)
{
    int_list *l = arg;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        int32_t *g = realloc(l->v, (size_t)cap * sizeof *g);
        if (!g) {
            l->failed = 1;
            return;
        }
        l->v = g;
        l->cap = cap;
    }
    l->v[l->n++] = (int32_t)v;
}

/* "8" (every tier) or "high:20,medium:10,low:5" (missing tiers: 0). */
static clm_status tier_costs(const where_ctx *w, const char *text, double out[CLM_N_TIERS])
{
    if (!strchr(text, ':')) {
        double v;
        clm_status st = number(w, text, 0.0, 1e15, &v);
        for (int t = 0; !st && t < CLM_N_TIERS; t++)
            out[t] = v;
        return st;
    }
    char **items;
    int n;
    clm_status st = list(w, text, &items, &n);
    for (int t = 0; !st && t < CLM_N_TIERS; t++)
        out[t] = 0.0;
    for (int i = 0; !st && i < n; i++) {
        char *colon = strchr(items[i], ':');
        if (!colon) {
            st = bad(w, items[i], "expected tier:cost");
            break;
        }
        *colon = '\0';
        int t = tier_code(items[i]);
        if (t < 0) {
            st = bad(w, items[i], "expected tiers high, medium or low");
            break;
        }
        st = number(w, colon + 1, 0.0, 1e15, &out[t]);
    }
    free(items);
    return st;
}

/* ---- levers ---------------------------------------------------------------------- */

static void target_init(plan_target *t)
{
    memset(t, 0, sizeof *t);
    t->leave_12_min = t->arpu_min = t->arpu_max = NAN;
}

static void target_free(plan_target *t)
{
    free(t->branches);
    free(t->segments);
    free(t->plans);
}

static void lever_init(plan_lever *l)
{
    memset(l, 0, sizeof *l);
    target_init(&l->target);
    l->hazard_ratio = 1.0;
    l->take_up = 1.0;
}

static void lever_free(plan_lever *l)
{
    target_free(&l->target);
    free(l->name);
    free(l->to_plan);
}

/* Applies one key to a lever.  *known = 0 for a key that is not a lever's. */
static clm_status lever_key(plan_lever *l, const where_ctx *w, const char *value, int *known)
{
    const char *k = w->key;
    plan_target *t = &l->target;
    *known = 1;
    if (!strcmp(k, "lever")) {
        for (int i = 0; i < CLM_N_LEVER_KINDS; i++)
            if (!strcmp(value, clm_lever_kind_names[i])) {
                l->kind = (clm_lever_kind)i;
                return CLM_OK;
            }
        return bad(w, value, "expected retention, upsell, renewal, bad_debt, acquisition or winback");
    }
    if (!strcmp(k, "branch")) {
        free(t->branches);
        return list(w, value, &t->branches, &t->n_branches);
    }
    if (!strcmp(k, "branch_rank")) {
        int_list il = {0};
        clm_status st = int_items(w, value, 1, 100000000, put_int, &il);
        if (!st && il.failed)
            st = clm_error(CLM_E_NOMEM, "out of memory");
        if (!st) {
            t->rank_lo = il.v[0];
            t->rank_hi = il.v[il.n - 1];
            for (int i = 1; i < il.n; i++)
                if (il.v[i] != il.v[i - 1] + 1)
                    st = bad(w, value, "expected one range of ranks a-b");
        }
        free(il.v);
        return st;
    }
    if (!strcmp(k, "worst")) {
        double v;
        clm_status st = number(w, value, 1, 1e8, &v);
        t->worst = (int32_t)v;
        return st;
    }
    if (!strcmp(k, "tier"))
        return tier_bits(w, value, &t->tiers);
    if (!strcmp(k, "stage"))
        return stage_bits(w, value, &t->stages);
    if (!strcmp(k, "segment")) {
        int_list il = {0};
        clm_status st = int_items(w, value, 0, 100000, put_int, &il);
        if (!st && il.failed)
            st = clm_error(CLM_E_NOMEM, "out of memory");
        free(t->segments);
        t->segments = il.v;
        t->n_segments = il.n;
        return st;
    }
    if (!strcmp(k, "plan")) {
        free(t->plans);
        return list(w, value, &t->plans, &t->n_plans);
    }
    if (!strcmp(k, "risk_decile")) {
        t->deciles = 0;
        return int_items(w, value, 1, 10, put_decile, &t->deciles);
    }
    if (!strcmp(k, "leave_12_min"))
        return number(w, value, 0.0, 1.0, &t->leave_12_min);
    if (!strcmp(k, "arpu_min"))
        return number(w, value, -1e15, 1e15, &t->arpu_min);
    if (!strcmp(k, "arpu_max"))
        return number(w, value, -1e15, 1e15, &t->arpu_max);
    if (!strcmp(k, "hazard_ratio"))
        return number(w, value, 1e-6, 1e6, &l->hazard_ratio);
    if (!strcmp(k, "arpu_change"))
        return number(w, value, -1.0, 100.0, &l->arpu_change);
    if (!strcmp(k, "take_up"))
        return number(w, value, 0.0, 1.0, &l->take_up);
    if (!strcmp(k, "months")) {
        double v;
        clm_status st = number(w, value, 1, 1200, &v);
        if (!st && v != floor(v))
            st = bad(w, value, "expected a whole number of months");
        l->months = (int32_t)v;
        return st;
    }
    if (!strcmp(k, "to_plan")) {
        free(l->to_plan);
        return (l->to_plan = util_strdup(value)) ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    }
    if (!strcmp(k, "recovery"))
        return number(w, value, 0.0, 1.0, &l->recovery);
    if (!strcmp(k, "new_per_month"))
        return number(w, value, 0.0, 1e9, &l->new_per_month);
    if (!strcmp(k, "cost_contact"))
        return tier_costs(w, value, l->cost.contact);
    if (!strcmp(k, "cost_accept"))
        return number(w, value, 0.0, 1e15, &l->cost.accept);
    if (!strcmp(k, "cost_fixed"))
        return number(w, value, 0.0, 1e15, &l->cost.fixed);
    if (!strcmp(k, "description"))
        return CLM_OK;
    *known = 0;
    return CLM_OK;
}

/* The keys of `sec` onto `l`; the budget's own keys are left to the caller. */
static clm_status lever_keys(plan_lever *l, const ini_section *sec, const char *path,
                             const char *const *extra, int skip_lever)
{
    for (int k = 0; k < sec->n_kv; k++) {
        const ini_kv *kv = &sec->kv[k];
        where_ctx w = {path, kv->line, kv->key};
        int is_extra = 0;
        for (int e = 0; extra && extra[e]; e++)
            is_extra |= !strcmp(extra[e], kv->key);
        if (is_extra || (skip_lever && !strcmp(kv->key, "lever")))
            continue;
        int known;
        clm_status st = lever_key(l, &w, kv->value, &known);
        if (st)
            return st;
        if (!known)
            return clm_error(CLM_E_PARAM, "%s:%d: unknown key '%s' in [%s] (docs/strategy.md lists the keys)",
                             path, kv->line, kv->key, sec->name);
    }
    return CLM_OK;
}

/* What each lever needs, and keys that mean nothing for it. */
static clm_status lever_check(const plan_lever *l, const char *path, int line, const char *section)
{
    const plan_target *t = &l->target;
#define LEVER_FAIL(...) clm_error(CLM_E_PARAM, __VA_ARGS__)
    if (l->kind == CLM_LEVER_KIND_RENEWAL && !l->to_plan)
        return LEVER_FAIL("%s:%d: [%s]: a renewal lever needs to_plan (the plan accepting subscribers move to)",
                          path, line, section);
    if (l->kind == CLM_LEVER_KIND_BAD_DEBT && !(l->recovery > 0))
        return LEVER_FAIL("%s:%d: [%s]: a bad_debt lever needs recovery > 0 (the share of revenue recovered)",
                          path, line, section);
    if (l->kind == CLM_LEVER_KIND_ACQUISITION) {
        if (!(l->new_per_month > 0))
            return LEVER_FAIL("%s:%d: [%s]: an acquisition lever needs new_per_month > 0", path, line, section);
        if (t->tiers || t->stages || t->segments || t->plans || t->deciles || !isnan(t->leave_12_min) ||
            !isnan(t->arpu_min) || !isnan(t->arpu_max))
            return LEVER_FAIL("%s:%d: [%s]: an acquisition lever targets branches only (branch, branch_rank, "
                              "worst): new subscribers have no tier, stage or risk yet", path, line, section);
    }
    if (l->kind == CLM_LEVER_KIND_WINBACK && (t->stages & ~(1u << CLM_STAGE_E)))
        return LEVER_FAIL("%s:%d: [%s]: win-back reaches churners (stage E) only", path, line, section);
    if (l->kind == CLM_LEVER_KIND_WINBACK && (t->deciles || !isnan(t->leave_12_min)))
        return LEVER_FAIL("%s:%d: [%s]: churners have no risk decile", path, line, section);
    if (l->kind != CLM_LEVER_KIND_WINBACK && l->kind != CLM_LEVER_KIND_ACQUISITION && (t->stages & (1u << CLM_STAGE_E)))
        return LEVER_FAIL("%s:%d: [%s]: stage E subscribers have left; use a winback lever", path, line, section);
    if (!isnan(t->arpu_min) && !isnan(t->arpu_max) && t->arpu_min > t->arpu_max)
        return LEVER_FAIL("%s:%d: [%s]: arpu_min > arpu_max", path, line, section);
#undef LEVER_FAIL
    return CLM_OK;
}

static const ini_section *find_section(const ini_section *sec, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(sec[i].name, name))
            return &sec[i];
    return NULL;
}

static int section_has(const ini_section *s, const char *key)
{
    for (int k = 0; k < s->n_kv; k++)
        if (!strcmp(s->kv[k].key, key))
            return 1;
    return 0;
}

static const char *remember_where(clm_plan *p, const char *path, int line)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s:%d", path, line);
    char **g = realloc(p->wheres, (size_t)(p->n_wheres + 1) * sizeof *g);
    if (!g)
        return NULL;
    p->wheres = g;
    return (p->wheres[p->n_wheres++] = util_strdup(buf));
}

/* One scenario from [scenario NAME] and its [scenario NAME.LEVER] sections. */
static clm_status build_scenario(clm_plan *p, const ini_section *sec, int n, const ini_section *head,
                                 const char *name, plan_scenario *sc)
{
    const char *path = p->path;
    memset(sc, 0, sizeof *sc);
    if (!(sc->name = util_strdup(name)))
        return clm_error(CLM_E_NOMEM, "out of memory");
    size_t len = strlen(name);
    for (int i = 0; i < n; i++) {
        const char *sn = sec[i].name;
        if (strncmp(sn, "scenario ", 9) || strncmp(sn + 9, name, len) || sn[9 + len] != '.')
            continue;
        const char *suffix = sn + 9 + len + 1;
        if (sc->n_levers == PLAN_MAX_LEVERS)
            return clm_error(CLM_E_PARAM, "%s:%d: scenario '%s' has more than %d levers", path, sec[i].line,
                             name, PLAN_MAX_LEVERS);
        plan_lever *l = &sc->levers[sc->n_levers++];
        lever_init(l);
        if (!(l->name = util_strdup(suffix)))
            return clm_error(CLM_E_NOMEM, "out of memory");
        int kind = -1;
        for (int k = 0; k < CLM_N_LEVER_KINDS; k++)
            if (!strcmp(suffix, clm_lever_kind_names[k]))
                kind = k;
        if (kind < 0 && !section_has(&sec[i], "lever"))
            return clm_error(CLM_E_PARAM, "%s:%d: [%s]: '%s' is not a lever name; add lever = KIND", path,
                             sec[i].line, sn, suffix);
        l->kind = kind < 0 ? CLM_LEVER_KIND_RETENTION : (clm_lever_kind)kind;
        clm_status st = head ? lever_keys(l, head, path, NULL, 1) : CLM_OK;
        if (!st) st = lever_keys(l, &sec[i], path, NULL, 0);
        if (!st) st = lever_check(l, path, sec[i].line, sn);
        if (!st && !(l->where = remember_where(p, path, sec[i].line)))
            st = clm_error(CLM_E_NOMEM, "out of memory");
        if (st)
            return st;
    }
    if (sc->n_levers == 0) {
        if (!head || !section_has(head, "lever"))
            return clm_error(CLM_E_PARAM, "%s:%d: [scenario %s] needs lever = KIND, or lever sections "
                             "[scenario %s.KIND]", path, head ? head->line : 0, name, name);
        plan_lever *l = &sc->levers[sc->n_levers++];
        lever_init(l);
        clm_status st = lever_keys(l, head, path, NULL, 0);
        if (!st && !(l->name = util_strdup(clm_lever_kind_names[l->kind])))
            st = clm_error(CLM_E_NOMEM, "out of memory");
        if (!st) st = lever_check(l, path, head->line, head->name);
        if (!st && !(l->where = remember_where(p, path, head->line)))
            st = clm_error(CLM_E_NOMEM, "out of memory");
        if (st)
            return st;
    } else if (head && section_has(head, "lever")) {
        return clm_error(CLM_E_PARAM, "%s:%d: [scenario %s] has lever sections: set lever in them, not here",
                         path, head->line, name);
    }
    return CLM_OK;
}

static clm_status build_budget(clm_plan *p, const ini_section *s)
{
    plan_budget *b = &p->budget;
    const char *path = p->path;
    lever_init(&b->lever);
    b->cap_all = INFINITY;
    b->total = NAN;
    static const char *const own[] = {"total", "cells", "cap", NULL};
    clm_status st = lever_keys(&b->lever, s, path, own, 0);
    for (int k = 0; !st && k < s->n_kv; k++) {
        const ini_kv *kv = &s->kv[k];
        where_ctx w = {path, kv->line, kv->key};
        if (!strcmp(kv->key, "total")) {
            st = number(&w, kv->value, 0.0, 1e15, &b->total);
        } else if (!strcmp(kv->key, "cells")) {
            st = list(&w, kv->value, &b->cells, &b->n_cells);
            static const char *const allowed[] = {"branch", "tier", "stage", "segment", "plan", NULL};
            for (int c = 0; !st && c < b->n_cells; c++) {
                int ok = 0;
                for (int a = 0; allowed[a]; a++)
                    ok |= !strcmp(allowed[a], b->cells[c]);
                if (!ok)
                    st = bad(&w, b->cells[c], "expected cells from branch, tier, stage, segment, plan");
            }
        } else if (!strcmp(kv->key, "cap")) {
            if (!strchr(kv->value, ':')) {
                st = number(&w, kv->value, 0.0, 1e15, &b->cap_all);
                continue;
            }
            char **items;
            int n;
            st = list(&w, kv->value, &items, &n);
            b->cap_names = st ? NULL : calloc((size_t)n, sizeof *b->cap_names);
            b->cap_values = st ? NULL : calloc((size_t)n, sizeof *b->cap_values);
            if (!st && (!b->cap_names || !b->cap_values))
                st = clm_error(CLM_E_NOMEM, "out of memory");
            for (int i = 0; !st && i < n; i++) {
                char *colon = strrchr(items[i], ':');
                if (!colon) {
                    st = bad(&w, items[i], "expected BRANCH:amount");
                    break;
                }
                *colon = '\0';
                st = number(&w, colon + 1, 0.0, 1e15, &b->cap_values[i]);
                if (!st && !(b->cap_names[i] = util_strdup(items[i])))
                    st = clm_error(CLM_E_NOMEM, "out of memory");
                b->n_caps = i + 1;
            }
            free(items);
        }
    }
    if (!st && isnan(b->total))
        st = clm_error(CLM_E_PARAM, "%s:%d: [budget] needs total (the money to spend)", path, s->line);
    if (!st && b->lever.kind != CLM_LEVER_KIND_RETENTION && b->lever.kind != CLM_LEVER_KIND_UPSELL &&
        b->lever.kind != CLM_LEVER_KIND_RENEWAL && b->lever.kind != CLM_LEVER_KIND_BAD_DEBT)
        st = clm_error(CLM_E_PARAM, "%s:%d: [budget]: the lever must reach active subscribers (retention, "
                       "upsell, renewal or bad_debt)", path, s->line);
    if (!st) st = lever_check(&b->lever, path, s->line, "budget");
    if (!st && !b->cells) {
        static const char *const def[] = {"branch", "tier", "stage"};
        b->cells = calloc(3, sizeof *b->cells);
        if (!b->cells)
            return clm_error(CLM_E_NOMEM, "out of memory");
        /* One free() releases a util_split_list; so it does these slots. */
        b->n_cells = 3;
        for (int c = 0; c < 3; c++)
            b->cells[c] = (char *)def[c];
    }
    if (!st && !(b->lever.where = remember_where(p, path, s->line)))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    if (!st && !(b->lever.name = util_strdup(clm_lever_kind_names[b->lever.kind])))
        st = clm_error(CLM_E_NOMEM, "out of memory");
    return st;
}

void clm_plan_free(clm_plan *p)
{
    if (!p)
        return;
    for (int s = 0; s < p->n_scenarios; s++) {
        for (int l = 0; l < p->scenarios[s].n_levers; l++)
            lever_free(&p->scenarios[s].levers[l]);
        free(p->scenarios[s].name);
    }
    free(p->scenarios);
    if (p->has_budget) {
        lever_free(&p->budget.lever);
        free(p->budget.cells);
        for (int i = 0; i < p->budget.n_caps; i++)
            free(p->budget.cap_names[i]);
        free(p->budget.cap_names);
        free(p->budget.cap_values);
    }
    for (int i = 0; i < p->n_wheres; i++)
        free(p->wheres[i]);
    free(p->wheres);
    free(p->path);
    free(p);
}

clm_status clm_plan_read(const char *path, clm_plan **out)
{
    *out = NULL;
    ini_section *sec = NULL;
    int n = 0;
    clm_status st = read_sections(path, &sec, &n);
    if (st)
        return st;
    clm_plan *p = calloc(1, sizeof *p);
    if (!p || !(p->path = util_strdup(path))) {
        sections_free(sec, n);
        free(p);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    /* Scenario names, in the order of their first section. */
    char **names = calloc((size_t)(n ? n : 1), sizeof *names);
    int n_names = 0;
    if (!names)
        st = clm_error(CLM_E_NOMEM, "out of memory");
    for (int i = 0; !st && i < n; i++) {
        const ini_section *s = &sec[i];
        if (!strcmp(s->name, "plan")) {
            for (int k = 0; !st && k < s->n_kv; k++) {
                where_ctx w = {path, s->kv[k].line, s->kv[k].key};
                double v;
                if (!strcmp(s->kv[k].key, "horizon")) {
                    st = number(&w, s->kv[k].value, 12, 1200, &v);
                    if (!st && v != floor(v))
                        st = bad(&w, s->kv[k].value, "expected whole months");
                    p->horizon = (int32_t)v;
                } else {
                    st = clm_error(CLM_E_PARAM, "%s:%d: unknown key '%s' in [plan] (horizon)", path,
                                   s->kv[k].line, s->kv[k].key);
                }
            }
            continue;
        }
        if (!strcmp(s->name, "budget")) {
            p->has_budget = 1;
            st = build_budget(p, s);
            continue;
        }
        const char *full = util_trim((char *)s->name + 9);
        const char *dot = strchr(full, '.');
        size_t len = dot ? (size_t)(dot - full) : strlen(full);
        if (len == 0) {
            st = clm_error(CLM_E_FORMAT, "%s:%d: [%s]: a scenario needs a name", path, s->line, s->name);
            break;
        }
        for (size_t c = 0; c < len; c++)
            if (full[c] == ',' || full[c] == '"' || isspace((unsigned char)full[c])) {
                st = clm_error(CLM_E_FORMAT, "%s:%d: scenario name '%.*s': no spaces, commas or quotes",
                               path, s->line, (int)len, full);
                break;
            }
        int seen = 0;
        for (int k = 0; k < n_names; k++)
            seen |= strlen(names[k]) == len && !strncmp(names[k], full, len);
        if (!st && !seen && !(names[n_names++] = util_strndup(full, len)))
            st = clm_error(CLM_E_NOMEM, "out of memory");
    }
    if (!st && n_names > 0) {
        p->scenarios = calloc((size_t)n_names, sizeof *p->scenarios);
        if (!p->scenarios)
            st = clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int k = 0; !st && k < n_names; k++) {
        char head_name[512];
        snprintf(head_name, sizeof head_name, "scenario %s", names[k]);
        const ini_section *head = find_section(sec, n, head_name);
        st = build_scenario(p, sec, n, head, names[k], &p->scenarios[k]);
        p->n_scenarios = k + 1;
    }
    for (int k = 0; k < n_names; k++)
        free(names[k]);
    free(names);
    sections_free(sec, n);
    if (st) {
        clm_plan_free(p);
        return st;
    }
    *out = p;
    return CLM_OK;
}

int32_t clm_plan_n_scenarios(const clm_plan *p) { return p->n_scenarios; }
int clm_plan_has_budget(const clm_plan *p) { return p->has_budget; }
int32_t clm_plan_horizon(const clm_plan *p) { return p->horizon; }

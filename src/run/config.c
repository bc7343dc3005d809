/*
 * config.c — see config_internal.h.  The table of keys is the schema: a
 * value can only be stored under a key that exists, and each value keeps
 * where it came from so that error messages and config.used can say so.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run/config_internal.h"
#include "core/util_internal.h"

typedef struct entry {
    char *value;
    char origin[256];   /* "default", "file.ini:12", "--set" */
} entry;

struct cfg_config {
    const cfg_key *keys;
    int n_keys;
    entry *entries;
};

static int find_key(const cfg_config *c, const char *name)
{
    for (int i = 0; i < c->n_keys; i++)
        if (!strcmp(c->keys[i].name, name))
            return i;
    return -1;
}

static clm_status store(cfg_config *c, int i, const char *value, const char *origin)
{
    char *v = util_strdup(value);
    if (!v)
        return clm_error(CLM_E_NOMEM, "out of memory reading the configuration");
    free(c->entries[i].value);
    c->entries[i].value = v;
    snprintf(c->entries[i].origin, sizeof c->entries[i].origin, "%s", origin);
    return CLM_OK;
}

clm_status cfg_create(const cfg_key *keys, cfg_config **out)
{
    *out = NULL;
    cfg_config *c = calloc(1, sizeof *c);
    if (!c)
        return clm_error(CLM_E_NOMEM, "out of memory");
    c->keys = keys;
    while (keys[c->n_keys].name)
        c->n_keys++;
    c->entries = calloc((size_t)c->n_keys + 1, sizeof *c->entries);
    if (!c->entries) {
        free(c);
        return clm_error(CLM_E_NOMEM, "out of memory");
    }
    for (int i = 0; i < c->n_keys; i++) {
        clm_status s = store(c, i, keys[i].default_value, "default");
        if (s != CLM_OK) {
            cfg_free(c);
            return s;
        }
    }
    *out = c;
    return CLM_OK;
}

void cfg_free(cfg_config *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_keys; i++)
        free(c->entries[i].value);
    free(c->entries);
    free(c);
}

/* The state of one cfg_read: the line each key was set on in this file
 * (a second setting of the same key is an error, not a silent override),
 * and whether the current section is a strategy plan's. */
typedef struct read_state {
    cfg_config *c;
    const char *path;
    int *set_on;
    int skipping;
} read_state;

static clm_status read_line(void *arg, const char *section, const char *key, const char *value, int line)
{
    read_state *r = arg;
    cfg_config *c = r->c;
    if (!key) {
        /* The sections of a strategy plan ([plan], [budget], [scenario
         * NAME]) are the plan reader's (src/strategy/plan.c): a run's
         * config may carry its scenarios. */
        r->skipping = !strcmp(section, "plan") || !strcmp(section, "budget") ||
                      !strncmp(section, "scenario ", 9);
        if (r->skipping)
            return CLM_OK;
        /* A section is known if some key starts with "section.". */
        size_t len = strlen(section);
        for (int i = 0; i < c->n_keys; i++)
            if (!strncmp(c->keys[i].name, section, len) && c->keys[i].name[len] == '.')
                return CLM_OK;
        return clm_error(CLM_E_FORMAT, "%s:%d: unknown section [%s]", r->path, line, section);
    }
    if (r->skipping)
        return CLM_OK;
    if (!section[0])
        return clm_error(CLM_E_FORMAT, "%s:%d: key outside any [section]", r->path, line);
    char name[320], origin[256];
    snprintf(name, sizeof name, "%s.%s", section, key);
    int i = find_key(c, name);
    if (i < 0)
        return clm_error(CLM_E_FORMAT, "%s:%d: unknown key '%s' in [%s]", r->path, line, key, section);
    if (r->set_on[i])
        return clm_error(CLM_E_FORMAT, "%s:%d: key '%s' in [%s] is already set on line %d", r->path, line, key,
                         section, r->set_on[i]);
    r->set_on[i] = line;
    snprintf(origin, sizeof origin, "%s:%d", r->path, line);
    return store(c, i, value, origin);
}

clm_status cfg_read(cfg_config *c, const char *path)
{
    read_state r = {c, path, calloc((size_t)(c->n_keys > 0 ? c->n_keys : 1), sizeof(int)), 0};
    if (!r.set_on)
        return clm_error(CLM_E_NOMEM, "out of memory reading '%s'", path);
    clm_status status = util_ini_read(path, "configuration", read_line, &r);
    free(r.set_on);
    return status;
}

clm_status cfg_set_value(cfg_config *c, const char *name, const char *value, const char *origin)
{
    int i = find_key(c, name);
    if (i < 0)
        return clm_error(CLM_E_USAGE, "%s: unknown setting '%s'", origin, name);
    return store(c, i, value, origin);
}

clm_status cfg_set(cfg_config *c, const char *assignment, const char *origin)
{
    const char *eq = strchr(assignment, '=');
    if (!eq)
        return clm_error(CLM_E_USAGE, "%s: expected section.key=value, got '%s'", origin, assignment);
    char name[320];
    snprintf(name, sizeof name, "%.*s", (int)(eq - assignment), assignment);
    return cfg_set_value(c, util_trim(name), eq + 1, origin);
}

const char *cfg_string(const cfg_config *c, const char *name)
{
    int i = find_key(c, name);
    return i < 0 ? NULL : c->entries[i].value;
}

static const entry *lookup(const cfg_config *c, const char *name)
{
    int i = find_key(c, name);
    return i < 0 ? NULL : &c->entries[i];
}

clm_status cfg_double(const cfg_config *c, const char *name, double min, double max, double *out)
{
    const entry *e = lookup(c, name);
    if (!e)
        return clm_error(CLM_E_INTERNAL, "configuration key '%s' is not defined", name);
    char *end;
    errno = 0;
    double v = strtod(e->value, &end);
    if (errno || end == e->value || *util_trim(end) || isnan(v))
        return clm_error(CLM_E_PARAM, "%s (%s): '%s' is not a number", name, e->origin, e->value);
    if (v < min || v > max)
        return clm_error(CLM_E_PARAM, "%s (%s): %g is outside [%g, %g]", name, e->origin, v, min, max);
    *out = v;
    return CLM_OK;
}

clm_status cfg_int(const cfg_config *c, const char *name, long long min, long long max, long long *out)
{
    const entry *e = lookup(c, name);
    if (!e)
        return clm_error(CLM_E_INTERNAL, "configuration key '%s' is not defined", name);
    char *end;
    errno = 0;
    long long v = strtoll(e->value, &end, 10);
    if (errno || end == e->value || *util_trim(end))
        return clm_error(CLM_E_PARAM, "%s (%s): '%s' is not an integer", name, e->origin, e->value);
    if (v < min || v > max)
        return clm_error(CLM_E_PARAM, "%s (%s): %lld is outside [%lld, %lld]", name, e->origin, v, min, max);
    *out = v;
    return CLM_OK;
}

clm_status cfg_bool(const cfg_config *c, const char *name, int *out)
{
    const entry *e = lookup(c, name);
    if (!e)
        return clm_error(CLM_E_INTERNAL, "configuration key '%s' is not defined", name);
    const char *v = e->value;
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
        *out = 0;
    else
        return clm_error(CLM_E_PARAM, "%s (%s): '%s' is not true/false", name, e->origin, v);
    return CLM_OK;
}

void cfg_write(const cfg_config *c, FILE *out)
{
    const char *current = "";
    size_t current_len = 0;
    for (int i = 0; i < c->n_keys; i++) {
        const char *name = c->keys[i].name;
        const char *dot = strchr(name, '.');
        size_t len = dot ? (size_t)(dot - name) : 0;
        if (len != current_len || strncmp(name, current, len) != 0) {
            fprintf(out, "%s[%.*s]\n", i ? "\n" : "", (int)len, name);
            current = name;
            current_len = len;
        }
        const char *value = c->entries[i].value;
        int quote = value[0] == '\0' || isspace((unsigned char)value[0]) ||
                    isspace((unsigned char)value[strlen(value) - 1]);
        fprintf(out, "# %s (from %s)\n%s = %s%s%s\n", c->keys[i].help, c->entries[i].origin,
                dot ? dot + 1 : name, quote ? "\"" : "", value, quote ? "\"" : "");
    }
}

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

/* Trims spaces at both ends in place. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

clm_status cfg_read(cfg_config *c, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return clm_error(CLM_E_OPEN, "cannot open configuration '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f); /* a folder opens for reading but reads as nothing */
        return clm_error(CLM_E_OPEN, "configuration '%s' is a folder, not a file", path);
    }
    /* The line each key was set on in this file: a second setting of the
     * same key is an error, not a silent override. */
    int *set_on = calloc((size_t)(c->n_keys > 0 ? c->n_keys : 1), sizeof *set_on);
    if (!set_on) {
        fclose(f);
        return clm_error(CLM_E_NOMEM, "out of memory reading '%s'", path);
    }
    char line[4096], section[128] = "";
    int line_no = 0, skipping = 0;
    clm_status status = CLM_OK;
    while (status == CLM_OK && fgets(line, sizeof line, f)) {
        line_no++;
        if (!strchr(line, '\n') && !feof(f)) {
            status = clm_error(CLM_E_FORMAT, "%s:%d: line too long", path, line_no);
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close || close[1] != '\0') {
                status = clm_error(CLM_E_FORMAT, "%s:%d: malformed section header '%s'", path, line_no, s);
                break;
            }
            *close = '\0';
            snprintf(section, sizeof section, "%s", trim(s + 1));
            /* The sections of a strategy plan ([plan], [budget],
             * [scenario NAME]) are the plan reader's (src/strategy/plan.c):
             * a run's config may carry its scenarios. */
            skipping = !strcmp(section, "plan") || !strcmp(section, "budget") ||
                       !strncmp(section, "scenario ", 9);
            if (skipping)
                continue;
            /* A section is known if some key starts with "section.". */
            size_t len = strlen(section);
            int known = 0;
            for (int i = 0; i < c->n_keys && !known; i++)
                known = !strncmp(c->keys[i].name, section, len) && c->keys[i].name[len] == '.';
            if (!known)
                status = clm_error(CLM_E_FORMAT, "%s:%d: unknown section [%s]", path, line_no, section);
            continue;
        }
        if (skipping)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            status = clm_error(CLM_E_FORMAT, "%s:%d: expected 'key = value', got '%s'", path, line_no, s);
            break;
        }
        if (!section[0]) {
            status = clm_error(CLM_E_FORMAT, "%s:%d: key outside any [section]", path, line_no);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        char name[320], origin[256];
        snprintf(name, sizeof name, "%s.%s", section, key);
        int i = find_key(c, name);
        if (i < 0) {
            status = clm_error(CLM_E_FORMAT, "%s:%d: unknown key '%s' in [%s]", path, line_no, key, section);
            break;
        }
        if (set_on[i]) {
            status = clm_error(CLM_E_FORMAT, "%s:%d: key '%s' in [%s] is already set on line %d", path, line_no,
                               key, section, set_on[i]);
            break;
        }
        set_on[i] = line_no;
        snprintf(origin, sizeof origin, "%s:%d", path, line_no);
        status = store(c, i, value, origin);
    }
    fclose(f);
    free(set_on);
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
    return cfg_set_value(c, trim(name), eq + 1, origin);
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
    if (errno || end == e->value || *trim(end) || isnan(v))
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
    if (errno || end == e->value || *trim(end))
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

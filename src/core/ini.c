/*
 * ini.c — the one reader of INI files: "[section]" headers, "key = value"
 * lines, '#' or ';' comments, blank lines, values optionally in double
 * quotes.  It knows no keys: the run's configuration (src/run/config.c,
 * whose keys are fixed in advance) and a strategy plan (src/strategy/
 * plan.c, whose sections the user names) each give it a callback.
 * Written by hand: Debian's INI libraries (inih, iniparser) would add a
 * dependency for sixty lines, and neither reports a folder or an over-long
 * line the way the rest of clmseg does.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util_internal.h"

char *util_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

clm_status util_ini_read(const char *path, const char *what, util_ini_fn fn, void *ctx)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return clm_error(CLM_E_OPEN, "cannot open %s '%s': %s", what, path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f); /* a folder opens for reading but reads as nothing */
        return clm_error(CLM_E_OPEN, "%s '%s' is a folder, not a file", what, path);
    }
    char line[4096], section[256] = "";
    int line_no = 0;
    clm_status status = CLM_OK;
    while (status == CLM_OK && fgets(line, sizeof line, f)) {
        line_no++;
        if (!strchr(line, '\n') && !feof(f)) {
            status = clm_error(CLM_E_FORMAT, "%s:%d: line too long", path, line_no);
            break;
        }
        char *s = util_trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strrchr(s, ']');
            if (!close || close[1] != '\0') {
                status = clm_error(CLM_E_FORMAT, "%s:%d: malformed section header '%s'", path, line_no, s);
                break;
            }
            *close = '\0';
            snprintf(section, sizeof section, "%s", util_trim(s + 1));
            status = fn(ctx, section, NULL, NULL, line_no);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            status = clm_error(CLM_E_FORMAT, "%s:%d: expected 'key = value', got '%s'", path, line_no, s);
            break;
        }
        *eq = '\0';
        char *key = util_trim(s), *value = util_trim(eq + 1);
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        status = fn(ctx, section, key, value, line_no);
    }
    if (!status && ferror(f))
        status = clm_error(CLM_E_IO, "cannot read %s '%s'", what, path);
    fclose(f);
    return status;
}

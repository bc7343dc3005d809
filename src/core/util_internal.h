/* util_internal.h — placeholder until the shared-helpers branch lands. */
#ifndef CLMSEG_UTIL_INTERNAL_H
#define CLMSEG_UTIL_INTERNAL_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
static inline char *util_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}
static inline int64_t util_block_len(int64_t n_rows, int64_t row0, int64_t block)
{
    return n_rows - row0 < block ? n_rows - row0 : block;
}
/* "<folder of output>/<name>", malloc'd; NULL when out of memory. */
static inline char *util_path_beside(const char *output, const char *name)
{
    const char *slash = strrchr(output, '/');
    size_t dir = slash ? (size_t)(slash - output) + 1 : 0, len = strlen(name) + 1;
    char *path = malloc(dir + len);
    if (path) {
        memcpy(path, output, dir);
        memcpy(path + dir, name, len);
    }
    return path;
}
/* Splits "a, b,c" into a NULL-terminated array of trimmed, non-empty
 * names in one allocation (free the returned pointer); NULL for an empty
 * list or out of memory (*count 0).  Reentrant. */
static inline char **util_split_list(const char *text, int *count)
{
    *count = 0;
    if (!text || !text[0])
        return NULL;
    size_t len = strlen(text);
    int n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    char **list = malloc((size_t)(n + 1) * sizeof *list + len + 1);
    if (!list)
        return NULL;
    char *copy = (char *)(list + n + 1);
    memcpy(copy, text, len + 1);
    int k = 0;
    for (char *tok = copy; tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        while (*tok == ' ')
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ')
            *--end = '\0';
        if (*tok)
            list[k++] = tok;
        tok = comma ? comma + 1 : NULL;
    }
    list[k] = NULL;
    *count = k;
    if (k == 0) {
        free(list);
        return NULL;
    }
    return list;
}
#endif

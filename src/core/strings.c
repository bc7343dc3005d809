/*
 * strings.c — string copies, the comma-list splitter and side-file paths
 * (see util_internal.h).  Everything returns malloc'd memory the caller
 * frees, and NULL when memory runs out.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"

char *util_strndup(const char *text, size_t length)
{
    char *copy = malloc(length + 1);
    if (copy) {
        memcpy(copy, text, length);
        copy[length] = '\0';
    }
    return copy;
}

char *util_strdup(const char *text)
{
    return text ? util_strndup(text, strlen(text)) : NULL;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

char **util_split_list(const char *text, int *count)
{
    if (count)
        *count = 0;
    if (!text)
        return NULL;
    /* Pointer slots for the worst case (every comma separates two items),
     * then the characters, each item followed by its NUL. */
    size_t slots = 2, length = strlen(text);
    for (const char *c = text; *c; c++)
        slots += *c == ',';
    char **items = malloc(slots * sizeof *items + length + 1);
    if (!items)
        return NULL;
    char *chars = (char *)(items + slots);
    int n = 0;
    const char *start = text;
    for (;;) {
        const char *end = strchr(start, ',');
        if (!end)
            end = start + strlen(start);
        const char *first = start, *last = end;
        while (first < last && is_blank(*first))
            first++;
        while (last > first && is_blank(last[-1]))
            last--;
        if (last > first) {
            size_t size = (size_t)(last - first);
            memcpy(chars, first, size);
            chars[size] = '\0';
            items[n++] = chars;
            chars += size + 1;
        }
        if (*end == '\0')
            break;
        start = end + 1;
    }
    items[n] = NULL;
    if (count)
        *count = n;
    return items;
}

char *util_path_beside(const char *output, const char *name)
{
    const char *slash = strrchr(output, '/');
    size_t folder = slash ? (size_t)(slash - output + 1) : 0, size = strlen(name);
    char *path = malloc(folder + size + 1);
    if (path) {
        memcpy(path, output, folder);
        memcpy(path + folder, name, size + 1);
    }
    return path;
}

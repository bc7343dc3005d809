/*
 * csv_dict.c — category dictionary of one text column.
 *
 * Open addressing with linear probing over a power-of-two table of codes,
 * kept at most half full; each code's hash is stored so that probing
 * compares strings only on a hash match.  Codes are handed out in order of
 * first appearance, which makes them independent of the thread count (one
 * column is always coded by one thread, rows in file order).
 */
#include <stdlib.h>
#include <string.h>

#include "import/import_internal.h"

void csv_dict_init(csv_dict *dict)
{
    memset(dict, 0, sizeof *dict);
}

void csv_dict_free(csv_dict *dict)
{
    for (int32_t i = 0; i < dict->count; i++)
        free(dict->strings[i]);
    free(dict->strings);
    free(dict->slots);
    free(dict->hashes);
    memset(dict, 0, sizeof *dict);
}

/* FNV-1a, 32-bit: short category strings, few of them; quality is ample. */
static uint32_t hash_bytes(const char *text, size_t length)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < length; i++) {
        h ^= (unsigned char)text[i];
        h *= 16777619u;
    }
    return h;
}

static clm_status grow_table(csv_dict *dict)
{
    size_t n_slots = dict->n_slots ? dict->n_slots * 2 : 64;
    int32_t *slots = malloc(n_slots * sizeof *slots);
    if (!slots)
        return clm_error(CLM_E_NOMEM, "import: out of memory for a category dictionary");
    memset(slots, 0xff, n_slots * sizeof *slots); /* all -1 */
    for (int32_t code = 0; code < dict->count; code++) {
        size_t k = dict->hashes[code] & (n_slots - 1);
        while (slots[k] >= 0)
            k = (k + 1) & (n_slots - 1);
        slots[k] = code;
    }
    free(dict->slots);
    dict->slots = slots;
    dict->n_slots = n_slots;
    return CLM_OK;
}

clm_status csv_dict_code(csv_dict *dict, const char *text, size_t length, int32_t *code)
{
    uint32_t h = hash_bytes(text, length);
    if (dict->n_slots) {
        size_t k = h & (dict->n_slots - 1);
        for (;;) {
            int32_t c = dict->slots[k];
            if (c < 0)
                break;
            if (dict->hashes[c] == h && strncmp(dict->strings[c], text, length) == 0 &&
                dict->strings[c][length] == '\0') {
                *code = c;
                return CLM_OK;
            }
            k = (k + 1) & (dict->n_slots - 1);
        }
    }
    if (dict->count == INT32_MAX)
        return clm_error(CLM_E_VALUE, "more than %d distinct values", INT32_MAX);
    clm_status status;
    if ((size_t)(dict->count + 1) * 2 > dict->n_slots && (status = grow_table(dict)))
        return status;
    if (dict->count == dict->capacity) {
        int32_t capacity = dict->capacity ? (dict->capacity > INT32_MAX / 2 ? INT32_MAX
                                                                            : dict->capacity * 2)
                                          : 16;
        char **strings = realloc(dict->strings, (size_t)capacity * sizeof *strings);
        if (!strings)
            return clm_error(CLM_E_NOMEM, "import: out of memory for a category dictionary");
        dict->strings = strings;
        uint32_t *hashes = realloc(dict->hashes, (size_t)capacity * sizeof *hashes);
        if (!hashes)
            return clm_error(CLM_E_NOMEM, "import: out of memory for a category dictionary");
        dict->hashes = hashes;
        dict->capacity = capacity;
    }
    char *copy = malloc(length + 1);
    if (!copy)
        return clm_error(CLM_E_NOMEM, "import: out of memory for a category dictionary");
    memcpy(copy, text, length);
    copy[length] = '\0';
    int32_t c = dict->count++;
    dict->strings[c] = copy;
    dict->hashes[c] = h;
    size_t k = h & (dict->n_slots - 1);
    while (dict->slots[k] >= 0)
        k = (k + 1) & (dict->n_slots - 1);
    dict->slots[k] = c;
    *code = c;
    return CLM_OK;
}

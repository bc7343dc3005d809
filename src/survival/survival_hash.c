/*
 * survival_hash.c — open-addressing hash of distinct (stratum slot, time)
 * pairs with their censoring and event counts: the counting structure for
 * continuous times, where a direct table indexed by time is impossible.
 * Entries are stored in insertion order; the finish step sorts them by
 * (slot, time), so the result does not depend on that order.
 */
#include <stdlib.h>
#include <string.h>

#include "core/util_internal.h"
#include "survival/survival_internal.h"


static uint64_t key_hash(int32_t slot, double time)
{
    uint64_t bits;
    if (time == 0.0)
        time = 0.0; /* -0.0 and 0.0 are the same time */
    memcpy(&bits, &time, sizeof bits);
    /* splitmix64's finaliser spreads nearby times over the whole table. */
    return util_mix64(bits ^ ((uint64_t)(uint32_t)slot * UTIL_SPLITMIX_GAMMA));
}

int surv_hash_init(surv_hash *h)
{
    memset(h, 0, sizeof *h);
    h->capacity = 1024;
    h->index = malloc((size_t)h->capacity * sizeof(int64_t));
    if (!h->index)
        return -1;
    memset(h->index, 0xff, (size_t)h->capacity * sizeof(int64_t)); /* all -1 */
    return 0;
}

void surv_hash_free(surv_hash *h)
{
    free(h->index);
    free(h->slot);
    free(h->time);
    free(h->counts);
    memset(h, 0, sizeof *h);
}

static int rehash(surv_hash *h)
{
    int64_t capacity = h->capacity * 2;
    int64_t *index = malloc((size_t)capacity * sizeof(int64_t));
    if (!index)
        return -1;
    memset(index, 0xff, (size_t)capacity * sizeof(int64_t));
    for (int64_t e = 0; e < h->n_entries; e++) {
        uint64_t pos = key_hash(h->slot[e], h->time[e]) & (uint64_t)(capacity - 1);
        while (index[pos] >= 0)
            pos = (pos + 1) & (uint64_t)(capacity - 1);
        index[pos] = e;
    }
    free(h->index);
    h->index = index;
    h->capacity = capacity;
    return 0;
}

static int grow_entries(surv_hash *h)
{
    int64_t cap = h->entry_capacity ? h->entry_capacity * 2 : 1024;
    int32_t *slot = realloc(h->slot, (size_t)cap * sizeof *slot);
    if (!slot)
        return -1;
    h->slot = slot;
    double *time = realloc(h->time, (size_t)cap * sizeof *time);
    if (!time)
        return -1;
    h->time = time;
    int64_t *counts = realloc(h->counts, (size_t)cap * 2 * sizeof *counts);
    if (!counts)
        return -1;
    h->counts = counts;
    h->entry_capacity = cap;
    return 0;
}

int surv_hash_add(surv_hash *h, int32_t slot, double time, int event, int64_t count)
{
    if (time == 0.0)
        time = 0.0;
    uint64_t mask = (uint64_t)(h->capacity - 1);
    uint64_t pos = key_hash(slot, time) & mask;
    for (;;) {
        int64_t e = h->index[pos];
        if (e < 0)
            break;
        if (h->slot[e] == slot && h->time[e] == time) {
            h->counts[2 * e + event] += count;
            return 0;
        }
        pos = (pos + 1) & mask;
    }
    if (h->n_entries == h->entry_capacity && grow_entries(h))
        return -1;
    int64_t e = h->n_entries++;
    h->slot[e] = slot;
    h->time[e] = time;
    h->counts[2 * e] = 0;
    h->counts[2 * e + 1] = 0;
    h->counts[2 * e + event] = count;
    h->index[pos] = e;
    /* Keep the load at most one half so probes stay short. */
    if (h->n_entries * 2 > h->capacity)
        return rehash(h);
    return 0;
}

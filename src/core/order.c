/*
 * order.c — the order of an array of keys, ties kept in index order: the
 * stable sort the branch ranking and the health sub-scores both need, as
 * one qsort of (key, index) pairs (n log n; an insertion sort of 200,000
 * branches took minutes).
 */
#include <stdlib.h>

#include "core/util_internal.h"

typedef struct keyed {
    double key;
    int index;
} keyed;

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

int util_order_by_key(const double *key, int n, int *order)
{
    keyed *pairs = malloc((size_t)(n > 0 ? n : 1) * sizeof *pairs);
    if (!pairs)
        return -1;
    for (int i = 0; i < n; i++)
        pairs[i] = (keyed){key[i], i};
    qsort(pairs, (size_t)n, sizeof *pairs, by_key);
    for (int i = 0; i < n; i++)
        order[i] = pairs[i].index;
    free(pairs);
    return 0;
}

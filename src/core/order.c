/*
 * order.c — the order of an array of keys, ties kept in index order: the
 * stable sort the branch ranking and the health sub-scores both need, as
 * one qsort of (key, index) pairs (n log n; an insertion sort of 200,000
 * branches took minutes); and a quantile of an array by selection.
 */
#include <math.h>
#include <stdint.h>
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

/* Hoare's selection (Wirth's form) over x[lo..hi]: moves the element of
 * rank k there to x[k], nothing larger before it and nothing smaller
 * after.  The median of three as the pivot, and a partition that stops on
 * keys equal to it, so that columns with few distinct values (tenure in
 * whole months) split evenly instead of degrading to n^2.  Written here: C's library sorts, it does not
 * select, and a quantile of a sorted copy costs n log n where this costs n. */
#define SELECT_KTH(name, type)                                                                    \
    void name(type *x, int64_t lo, int64_t hi, int64_t k)                                       \
    {                                                                                             \
        while (hi > lo) {                                                                         \
            const int64_t mid = lo + (hi - lo) / 2;                                               \
            const type a = x[lo], b = x[mid], c = x[hi];                                          \
            const type pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b)); \
            int64_t i = lo, j = hi;                                                               \
            while (i <= j) {                                                                      \
                while (x[i] < pivot)                                                              \
                    i++;                                                                          \
                while (x[j] > pivot)                                                              \
                    j--;                                                                          \
                if (i <= j) {                                                                     \
                    type t = x[i];                                                                \
                    x[i++] = x[j];                                                                \
                    x[j--] = t;                                                                   \
                }                                                                                 \
            }                                                                                     \
            /* x[lo..j] <= pivot <= x[i..hi]; x[j+1..i-1] == pivot. */                            \
            if (k <= j)                                                                           \
                hi = j;                                                                           \
            else if (k >= i)                                                                      \
                lo = i;                                                                           \
            else                                                                                  \
                return;                                                                           \
        }                                                                                         \
    }

SELECT_KTH(util_select_kth_f64, double)

double util_quantile_select(double *x, int64_t n, double p)
{
    if (n <= 0)
        return NAN;
    const double h = (double)(n - 1) * p;
    const int64_t j = (int64_t)floor(h);
    if (j >= n - 1) {
        double top = x[0];
        for (int64_t i = 1; i < n; i++)
            top = x[i] > top ? x[i] : top;
        return top;
    }
    util_select_kth_f64(x, 0, n - 1, j);
    double next = x[j + 1];
    for (int64_t i = j + 2; i < n; i++)
        next = x[i] < next ? x[i] : next;
    return x[j] + (h - (double)j) * (next - x[j]);
}

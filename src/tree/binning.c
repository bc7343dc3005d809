/*
 * binning.c — quantile binning of features into uint8 codes.
 *
 * Edges come from a sample of rows (all rows up to params.sample_rows).
 * When a feature has at most n_bins - 1 distinct values, every value gets
 * its own bin and the edges are the midpoints between consecutive values,
 * computed as scikit-learn does (a/2 + b/2 in double), so thresholds match
 * its DecisionTreeClassifier.  Otherwise the edges cut the sorted sample
 * into bins of about equal counts, placed between distinct values so equal
 * values never straddle a bin boundary.  Bin 0 is kept for missing values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_internal.h"

/* Sorts non-NaN floats ascending: LSD radix sort on order-preserving
 * keys (flip all bits of negatives, the sign bit of positives), 4 passes
 * of 8 bits; several times faster than qsort's comparison callbacks on
 * the 2^18-value samples.  Falls back to insertion order only if the
 * scratch buffer cannot be allocated (then a plain insertion sort). */
static uint32_t float_key(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static float key_float(uint32_t k)
{
    uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void sort_floats(float *values, int64_t n)
{
    uint32_t *a = malloc((size_t)(n > 0 ? n : 1) * sizeof *a);
    uint32_t *b = malloc((size_t)(n > 0 ? n : 1) * sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        for (int64_t i = 1; i < n; i++) {
            float v = values[i];
            int64_t j = i - 1;
            while (j >= 0 && values[j] > v) {
                values[j + 1] = values[j];
                j--;
            }
            values[j + 1] = v;
        }
        return;
    }
    for (int64_t i = 0; i < n; i++)
        a[i] = float_key(values[i] == 0.0f ? 0.0f : values[i]); /* -0 == +0 */
    for (int shift = 0; shift < 32; shift += 8) {
        int64_t count[257] = {0};
        for (int64_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 255u) + 1]++;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (int64_t i = 0; i < n; i++)
            b[count[(a[i] >> shift) & 255u]++] = a[i];
        uint32_t *t = a;
        a = b;
        b = t;
    }
    for (int64_t i = 0; i < n; i++)
        values[i] = key_float(a[i]);
    free(a);
    free(b);
}

/* Midpoint as scikit-learn computes it; falls back to the lower value when
 * the midpoint rounds onto the upper one. */
static double midpoint(double lo, double hi)
{
    double m = lo / 2.0 + hi / 2.0;
    if (m == hi || isinf(m))
        m = lo;
    return m;
}

/* The halving steps s, s/2, ..., 1 reach positions 0 .. 2s - 1: the
 * smallest power of two s with 2s - 1 >= the number of finite edges. */
static void set_search_step(tree_feature *feature)
{
    int n_edges = feature->n_value_bins - 1, step = 1;
    while (2 * step - 1 < n_edges)
        step <<= 1;
    feature->search_step = step;
}

void tree_bins_from_sample(tree_feature *feature, float *sample, int64_t n,
                           int max_value_bins, int full)
{
    /* NaN to the end, then sort the rest. */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(sample[i]))
            sample[m++] = sample[i];
    sort_floats(sample, m);

    int64_t n_distinct = 0;
    for (int64_t i = 0; i < m; i++)
        if (i == 0 || sample[i] != sample[i - 1])
            n_distinct++;

    for (int b = 0; b < CLM_TREE_MAX_BINS; b++)
        feature->values[b] = NAN;
    /* Unused edges are +inf: the branchless search never passes them. */
    for (int j = 0; j < TREE_MAX_VALUE_BINS; j++)
        feature->edges[j] = INFINITY;
    if (n_distinct <= max_value_bins) {
        /* Thresholds may use the node's values only when every row's value
         * is known to be one of them. */
        feature->exact = full;
        int b = 0;
        for (int64_t i = 0; i < m; i++)
            if (i == 0 || sample[i] != sample[i - 1])
                feature->values[++b] = sample[i];
        feature->n_value_bins = b > 0 ? b : 1;
        for (int j = 0; j + 1 < b; j++)
            feature->edges[j] = midpoint(feature->values[j + 1], feature->values[j + 2]);
        set_search_step(feature);
        return;
    }
    /* Equal-count cuts between distinct values. */
    feature->exact = 0;
    int n_edges = 0;
    double per_bin = (double)m / max_value_bins;
    int64_t i = 0;
    for (int cut = 1; cut < max_value_bins && n_edges < max_value_bins - 1; cut++) {
        int64_t target = (int64_t)ceil(per_bin * cut);
        if (target <= i)
            continue;
        i = target;
        if (i >= m)
            break;
        /* Move to the end of the run of equal values containing i - 1. */
        while (i < m && sample[i] == sample[i - 1])
            i++;
        if (i >= m)
            break;
        double edge = midpoint(sample[i - 1], sample[i]);
        if (n_edges == 0 || edge > feature->edges[n_edges - 1])
            feature->edges[n_edges++] = edge;
    }
    feature->n_value_bins = n_edges + 1;
    set_search_step(feature);
}

/* Codes by count, descending; ties by code. */
typedef struct code_count {
    int64_t count;
    int32_t code;
} code_count;

static int by_count(const void *a, const void *b)
{
    const code_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (x->code > y->code) - (x->code < y->code);
}

clm_status tree_pool_categories(tree_feature *feature, const float *sample, int64_t n,
                                int max_value_bins)
{
    const int n_cat = feature->n_categories;
    code_count *cc = malloc((size_t)(n_cat > 0 ? n_cat : 1) * sizeof *cc);
    int32_t *bin = malloc((size_t)(n_cat > 0 ? n_cat : 1) * sizeof *bin);
    if (!cc || !bin) {
        free(cc);
        free(bin);
        return clm_error(CLM_E_NOMEM, "tree: out of memory for the %d categories of '%s'", n_cat,
                         feature->name);
    }
    for (int c = 0; c < n_cat; c++) {
        cc[c].count = 0;
        cc[c].code = c;
    }
    for (int64_t i = 0; i < n; i++) {
        float x = sample[i];
        if (x >= 0 && x < (float)n_cat && (float)(int)x == x)
            cc[(int)x].count++;
    }
    qsort(cc, (size_t)n_cat, sizeof *cc, by_count);
    /* The kept codes first marked, then numbered in code order. */
    const int kept = max_value_bins - 1 < n_cat ? max_value_bins - 1 : n_cat;
    for (int c = 0; c < n_cat; c++)
        bin[c] = max_value_bins;
    for (int j = 0; j < kept; j++)
        bin[cc[j].code] = 0;
    int next = 1;
    for (int c = 0; c < n_cat; c++)
        if (bin[c] == 0)
            bin[c] = next++;
    free(cc);
    free(feature->category_bin);
    feature->category_bin = bin;
    feature->n_value_bins = max_value_bins;
    return CLM_OK;
}

int tree_bin_value(const tree_feature *feature, float x)
{
    if (isnan(x))
        return 0;
    if (feature->categorical) {
        if (x < 0)
            return 0;
        int code = (int)x;
        if (code >= feature->n_categories || (float)code != x)
            return -1;
        return tree_category_bin(feature, code);
    }
    /* Bins are (edges[b-2], edges[b-1]]: the bin is 1 + the number of
     * edges below x.  Eight branchless halving steps over the 255 edges
     * (unused ones +inf) avoid the mispredicted branches of a plain
     * binary search. */
    const double v = x, *e = feature->edges;
    /* Only as many halvings as the finite edges need: with n_value_bins - 1
     * finite edges (the rest +inf), the larger steps could never move. */
    int pos = 0;
    for (int step = feature->search_step; step >= 1; step >>= 1)
        pos += (e[pos + step - 1] < v) ? step : 0;
    return pos + 1;
}

int64_t tree_bin_block(const tree_feature *features, int n_features,
                       const float *x, int64_t n, uint8_t *bins,
                       int n_threads, int *bad_feature)
{
    int64_t first_bad = -1;
    int bad_f = -1;
    #pragma omp parallel num_threads(util_threads(n_threads))
    {
        int64_t my_bad = -1;
        int my_f = -1;
        #pragma omp for schedule(static)
        for (int64_t i = 0; i < n; i++) {
            for (int f = 0; f < n_features; f++) {
                int b = tree_bin_value(&features[f], x[i * n_features + f]);
                if (b < 0) {
                    if (my_bad < 0) {
                        my_bad = i;
                        my_f = f;
                    }
                    b = 0;
                }
                bins[i * n_features + f] = (uint8_t)b;
            }
        }
        /* Static schedule: each thread's first bad row is its lowest; keep
         * the lowest of all, whichever thread finds it. */
        #pragma omp critical(tree_bin_bad)
        if (my_bad >= 0 && (first_bad < 0 || my_bad < first_bad)) {
            first_bad = my_bad;
            bad_f = my_f;
        }
    }
    if (bad_feature)
        *bad_feature = bad_f;
    return first_bad;
}

int tree_sample_ranges(int64_t n_rows, int64_t sample_rows, int64_t *ranges)
{
    if (n_rows <= sample_rows) {
        ranges[0] = 0;
        ranges[1] = n_rows;
        return 1;
    }
    const int n_ranges = 64;
    int64_t per = sample_rows / n_ranges;
    if (per < 1)
        per = 1;
    for (int r = 0; r < n_ranges; r++) {
        /* Spread the ranges evenly over the rows. */
        int64_t start = (int64_t)((double)(n_rows - per) * r / (n_ranges - 1));
        ranges[2 * r] = start;
        ranges[2 * r + 1] = per;
    }
    return n_ranges;
}

void tree_feature_free(tree_feature *feature)
{
    if (!feature)
        return;
    free(feature->name);
    if (feature->categories)
        for (int c = 0; c < feature->n_categories; c++)
            free(feature->categories[c]);
    free(feature->categories);
    free(feature->category_bin);
    memset(feature, 0, sizeof *feature);
}

void tree_data_free(tree_data *data)
{
    if (!data)
        return;
    if (data->features)
        for (int f = 0; f < data->n_features; f++)
            tree_feature_free(&data->features[f]);
    free(data->features);
    if (data->class_labels)
        for (int k = 0; k < data->n_classes; k++)
            free(data->class_labels[k]);
    free(data->class_labels);
    free(data->bins);
    free(data->y);
    memset(data, 0, sizeof *data);
}

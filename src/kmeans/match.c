/*
 * match.c — segments that keep their meaning from one quarter to the next
 * (docs/kmeans.md, "Matching segments across quarters").
 *
 * k-means numbers its clusters by the order of seeding, so "segment 3"
 * this quarter need not be last quarter's segment 3.  The new centroids
 * are matched to the old ones by a minimum-cost assignment on squared
 * distances in the new model's standardised space, and the new model is
 * renumbered so that each segment carries the number of the one it
 * continues.
 *
 * The assignment is the shortest-augmenting-path method with dual
 * potentials (Kuhn-Munkres in the form of Jonker and Volgenant, 1987):
 * rows are added one at a time; for each, a Dijkstra-like search over the
 * columns on reduced costs c(i, j) - u(i) - v(j) >= 0 finds the cheapest
 * way to place it, shifting earlier rows along the path, and the
 * potentials are raised so reduced costs stay non-negative.  With
 * n <= m rows that is O(n^2 m); a problem with more rows than columns is
 * solved transposed.  k is at most a few dozen here, so the cost matrix
 * is tiny next to the fit.
 */
#include <math.h>
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"

#define KM_ASSIGN_MAX 4096

/* The assignment for n_rows <= n_cols; cost(i, j) = cost[i * stride_i +
 * j * stride_j], so the transposed problem reads the same array. */
static clm_status assign_rows(const double *cost, int n, int m, int64_t stride_i, int64_t stride_j,
                              int32_t *row_of_col)
{
    /* 1-based: index 0 is the virtual column a new row starts from. */
    double *u = calloc((size_t)n + 1, sizeof *u), *v = calloc((size_t)m + 1, sizeof *v);
    double *min_reduced = malloc(((size_t)m + 1) * sizeof *min_reduced);
    int *owner = calloc((size_t)m + 1, sizeof *owner);   /* row (1-based) in column j, 0 none */
    int *previous = calloc((size_t)m + 1, sizeof *previous); /* the path back to column 0 */
    unsigned char *visited = malloc((size_t)m + 1);
    clm_status st = CLM_OK;
    if (!u || !v || !min_reduced || !owner || !previous || !visited)
        st = clm_error(CLM_E_NOMEM, "assignment: out of memory for %d x %d", n, m);
    for (int row = 1; !st && row <= n; row++) {
        owner[0] = row;
        int col0 = 0;
        for (int j = 0; j <= m; j++) {
            min_reduced[j] = INFINITY;
            visited[j] = 0;
        }
        /* Grow the tree of visited columns until a free column is reached. */
        do {
            visited[col0] = 1;
            const int i0 = owner[col0];
            double delta = INFINITY;
            int col1 = -1;
            for (int j = 1; j <= m; j++) {
                if (visited[j])
                    continue;
                double reduced = cost[(int64_t)(i0 - 1) * stride_i + (int64_t)(j - 1) * stride_j] - u[i0] - v[j];
                if (reduced < min_reduced[j]) {
                    min_reduced[j] = reduced;
                    previous[j] = col0;
                }
                if (min_reduced[j] < delta) {
                    delta = min_reduced[j];
                    col1 = j;
                }
            }
            for (int j = 0; j <= m; j++) {
                if (visited[j]) {
                    u[owner[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_reduced[j] -= delta;
                }
            }
            col0 = col1;
        } while (owner[col0] != 0);
        /* Shift the rows along the path: each takes the column before it. */
        do {
            int col1 = previous[col0];
            owner[col0] = owner[col1];
            col0 = col1;
        } while (col0 != 0);
    }
    for (int j = 1; !st && j <= m; j++)
        row_of_col[j - 1] = owner[j] - 1; /* -1: free column */
    free(u);
    free(v);
    free(min_reduced);
    free(owner);
    free(previous);
    free(visited);
    return st;
}

clm_status clm_kmeans_assignment(const double *cost, int32_t n_rows, int32_t n_cols, int32_t *match,
                                 double *total)
{
    if (total)
        *total = 0.0;
    if (n_rows < 0 || n_cols < 0 || n_rows > KM_ASSIGN_MAX || n_cols > KM_ASSIGN_MAX)
        return clm_error(CLM_E_PARAM, "assignment: sizes %d x %d out of range (0..%d)", n_rows, n_cols,
                         KM_ASSIGN_MAX);
    if (n_rows > 0 && (!match || (n_cols > 0 && !cost)))
        return clm_error(CLM_E_PARAM, "assignment: NULL cost or match");
    for (int64_t q = 0; q < (int64_t)n_rows * n_cols; q++)
        if (!isfinite(cost[q]))
            return clm_error(CLM_E_VALUE, "assignment: cost of row %lld, column %lld is not finite",
                             (long long)(q / n_cols), (long long)(q % n_cols));
    for (int i = 0; i < n_rows; i++)
        match[i] = -1;
    if (n_rows == 0 || n_cols == 0)
        return CLM_OK;
    const int transposed = n_rows > n_cols;
    const int n = transposed ? n_cols : n_rows, m = transposed ? n_rows : n_cols;
    int32_t *owner = malloc((size_t)m * sizeof *owner);
    if (!owner)
        return clm_error(CLM_E_NOMEM, "assignment: out of memory");
    clm_status st = transposed ? assign_rows(cost, n, m, 1, n_cols, owner)
                               : assign_rows(cost, n, m, n_cols, 1, owner);
    for (int j = 0; !st && j < m; j++) {
        if (owner[j] < 0)
            continue;
        /* not transposed: row owner[j] takes column j; transposed: the
         * original column owner[j] takes the original row j */
        int row = transposed ? j : owner[j], col = transposed ? owner[j] : j;
        match[row] = col;
    }
    if (!st && total) {
        double sum = 0.0;
        for (int i = 0; i < n_rows; i++)
            if (match[i] >= 0)
                sum += cost[(int64_t)i * n_cols + match[i]];
        *total = sum;
    }
    free(owner);
    return st;
}

/* Centroid c of `m` in original units, feature j: the clustering-space
 * centroid through the model's standardisation (identity without one). */
static double original_unit(const clm_kmeans *m, int c, int j)
{
    double x = m->centroids[(int64_t)c * m->n_features + j];
    return m->features.names ? x * m->features.scale[j] + m->features.center[j] : x;
}

clm_status clm_kmeans_match_cost(const clm_kmeans *model, const clm_kmeans *previous, double *cost)
{
    if (!model || !previous || model->k == 0 || previous->k == 0)
        return clm_error(CLM_E_PARAM, "k-means match: both models must be fitted or loaded");
    const int k = model->k, kp = previous->k, d = model->n_features;
    const int named = model->features.names && previous->features.names;
    if (!named && (model->features.names || previous->features.names))
        return clm_error(CLM_E_SCHEMA, "k-means match: one model has named features and the other not");
    if (!named && previous->n_features != d)
        return clm_error(CLM_E_SCHEMA, "k-means match: %d features against %d", d, previous->n_features);
    if (named && previous->n_features != d)
        return clm_error(CLM_E_SCHEMA, "k-means match: this model has %d features, the previous one %d "
                         "(the segments must be fitted on the same features)", d, previous->n_features);
    int *column = malloc((size_t)d * sizeof *column);
    if (!column)
        return clm_error(CLM_E_NOMEM, "k-means match: out of memory");
    clm_status st = CLM_OK;
    for (int j = 0; j < d && !st; j++) {
        column[j] = j;
        if (!named)
            continue;
        column[j] = -1;
        for (int q = 0; q < d && column[j] < 0; q++)
            if (!strcmp(model->features.names[j], previous->features.names[q]))
                column[j] = q;
        if (column[j] < 0)
            st = clm_error(CLM_E_SCHEMA, "k-means match: feature '%s' is not one of the previous segments' features",
                           model->features.names[j]);
    }
    for (int i = 0; i < k && !st; i++)
        for (int c = 0; c < kp; c++) {
            double sum = 0.0;
            for (int j = 0; j < d; j++) {
                double old = original_unit(previous, c, column[j]);
                if (named)
                    old = (old - model->features.center[j]) / model->features.scale[j];
                double diff = (double)model->centroids[(int64_t)i * d + j] - old;
                sum += diff * diff;
            }
            cost[(int64_t)i * kp + c] = sum;
        }
    free(column);
    return st;
}

clm_status clm_kmeans_match(const clm_kmeans *model, const clm_kmeans *previous, int32_t *match, double *total)
{
    if (!model || !previous || model->k == 0 || previous->k == 0)
        return clm_error(CLM_E_PARAM, "k-means match: both models must be fitted or loaded");
    double *cost = malloc((size_t)model->k * (size_t)previous->k * sizeof *cost);
    if (!cost)
        return clm_error(CLM_E_NOMEM, "k-means match: out of memory");
    clm_status st = clm_kmeans_match_cost(model, previous, cost);
    if (!st)
        st = clm_kmeans_assignment(cost, model->k, previous->k, match, total);
    free(cost);
    return st;
}

/* The new number of each segment (docs: clm_kmeans_relabel). */
static clm_status numbering(const int32_t *match, int k, int previous_k, int *number)
{
    unsigned char *held = calloc((size_t)(previous_k > k ? previous_k : k), 1);
    if (!held)
        return clm_error(CLM_E_NOMEM, "k-means relabel: out of memory");
    clm_status st = CLM_OK;
    for (int i = 0; i < k && !st; i++) {
        number[i] = -1;
        if (match[i] < -1 || match[i] >= previous_k)
            st = clm_error(CLM_E_PARAM, "k-means relabel: segment %d continues %d, out of range (previous k = %d)",
                           i, match[i], previous_k);
        else if (match[i] >= 0 && held[match[i]]++)
            st = clm_error(CLM_E_PARAM, "k-means relabel: previous segment %d is continued twice", match[i]);
    }
    memset(held, 0, (size_t)(previous_k > k ? previous_k : k));
    /* Segments keep their previous number when it is below k. */
    for (int i = 0; i < k && !st; i++)
        if (match[i] >= 0 && match[i] < k) {
            number[i] = match[i];
            held[match[i]] = 1;
        }
    /* The others take the free numbers in increasing order: continuations
     * by their previous number, then new segments in their order. */
    int next_free = 0;
    for (int pass = 0; pass < 2 && !st; pass++) {
        for (int key = 0; key < (pass ? k : previous_k); key++) {
            int i = -1;
            if (pass == 0) {
                for (int q = 0; q < k && i < 0; q++)
                    if (match[q] == key && key >= k)
                        i = q;
            } else if (match[key] < 0) {
                i = key;
            }
            if (i < 0)
                continue;
            while (held[next_free])
                next_free++;
            number[i] = next_free;
            held[next_free] = 1;
        }
    }
    free(held);
    return st;
}

/* Moves k items of `size` bytes so that item i goes to slot number[i]. */
static int permute(void *items, size_t size, int k, const int *number)
{
    if (!items)
        return 0;
    unsigned char *copy = malloc(size * (size_t)k);
    if (!copy)
        return -1;
    memcpy(copy, items, size * (size_t)k);
    for (int i = 0; i < k; i++)
        memcpy((unsigned char *)items + size * (size_t)number[i], copy + size * (size_t)i, size);
    free(copy);
    return 0;
}

clm_status clm_kmeans_relabel(clm_kmeans *m, const int32_t *match, int32_t previous_k)
{
    if (!m || m->k == 0 || !match)
        return clm_error(CLM_E_PARAM, "k-means relabel: the model is not fitted");
    if (previous_k < 1)
        return clm_error(CLM_E_PARAM, "k-means relabel: previous k %d < 1", previous_k);
    const int k = m->k, d = m->n_features;
    int *number = malloc((size_t)k * sizeof *number);
    int32_t *continues = malloc((size_t)k * sizeof *continues);
    if (!number || !continues) {
        free(number);
        free(continues);
        return clm_error(CLM_E_NOMEM, "k-means relabel: out of memory");
    }
    clm_status st = numbering(match, k, previous_k, number);
    for (int i = 0; i < k && !st; i++)
        continues[number[i]] = match[i];
    km_profile *pr = &m->profile;
    const size_t row = sizeof(float) * (size_t)d;
    if (!st && (permute(m->centroids, row, k, number) || permute(pr->size, sizeof *pr->size, k, number) ||
                permute(pr->share, sizeof *pr->share, k, number) ||
                permute(pr->churn_rate, sizeof *pr->churn_rate, k, number) ||
                permute(pr->mean_arpu, sizeof *pr->mean_arpu, k, number) ||
                permute(pr->centroids, row, k, number) || permute(pr->zscore, row, k, number) ||
                permute(pr->distinguishing, sizeof *pr->distinguishing, k, number) ||
                permute(pr->name, sizeof *pr->name, k, number)))
        st = clm_error(CLM_E_NOMEM, "k-means relabel: out of memory");
    /* The labels held: on a rank of a fit on several, its own rows'. */
    const int64_t n_held = m->rows_on_ranks ? m->features.n_local_rows : m->n_rows;
    for (int64_t r = 0; !st && m->labels && r < n_held; r++)
        if (m->labels[r] >= 0)
            m->labels[r] = number[m->labels[r]];
    if (!st) {
        free(m->continues);
        m->continues = continues;
        continues = NULL;
    }
    free(number);
    free(continues);
    return st;
}

const int32_t *clm_kmeans_continues(const clm_kmeans *m)
{
    return m ? m->continues : NULL;
}

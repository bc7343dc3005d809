/*
 * step_previous.c — last quarter's run read back: the settings run.previous
 * and segments.names, and the "previous run" step, which reads
 * LAST_RUNDIR/results.h5 before this quarter's input is even opened, so a
 * wrong folder fails in a second, not after the fit.  What is read:
 * /branches (name, health, churn rate, S(12), ARPU, stage shares; the rank
 * recomputed by health exactly as branches.csv orders them), the k-means
 * model of /segments (clm_kmeans_load, for the match) and its profile
 * (share, churn rate, mean ARPU, z-scores, names).
 */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util_internal.h"
#include "io/io_internal.h"
#include "run/run_ctx.h"
#include "run/run_previous.h"

/* "0:Heavy data,3:Value seekers": a segment number, a colon, a name; the
 * entries separated by commas, so a name holds no comma.  Spaces around
 * the number and the name are dropped.  Only the syntax is checked here;
 * the numbers against k after the fit (step_segment_names.c). */
static clm_status parse_names(run_ctx *ctx, const char *text)
{
    int n = 0;
    char **names = NULL;
    clm_status s = CLM_OK;
    for (const char *p = text; *p && !s;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        char *stop = NULL;
        errno = 0;
        long seg = strtol(p, &stop, 10);
        const char *colon = stop;
        while (colon < end && (*colon == ' ' || *colon == '\t'))
            colon++;
        if (stop == p || errno || seg < 0 || seg > 4095 || colon >= end || *colon != ':') {
            s = clm_error(CLM_E_PARAM, "segments.names: '%.*s' is not NUMBER:NAME (e.g. 0:Heavy data,3:Value seekers)",
                          (int)(end - p), p);
            break;
        }
        const char *a = colon + 1, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (a == b) {
            s = clm_error(CLM_E_PARAM, "segments.names: segment %ld has an empty name", seg);
            break;
        }
        if (seg >= n) {
            char **grown = realloc(names, (size_t)(seg + 1) * sizeof *grown);
            if (!grown) {
                s = clm_error(CLM_E_NOMEM, "out of memory");
                break;
            }
            for (long q = n; q <= seg; q++)
                grown[q] = NULL;
            names = grown;
            n = (int)seg + 1;
        }
        if (names[seg]) {
            s = clm_error(CLM_E_PARAM, "segments.names: segment %ld is named twice", seg);
            break;
        }
        names[seg] = malloc((size_t)(b - a) + 1);
        if (!names[seg]) {
            s = clm_error(CLM_E_NOMEM, "out of memory");
            break;
        }
        memcpy(names[seg], a, (size_t)(b - a));
        names[seg][b - a] = '\0';
        p = *end ? end + 1 : end;
    }
    ctx->name_overrides = names;
    ctx->n_name_overrides = n;
    return s;
}

clm_status run_previous_settings(run_ctx *ctx)
{
    ctx->previous_dir = run_setting_or_null(ctx, "run.previous");
    const char *names = run_setting_or_null(ctx, "segments.names");
    return names ? parse_names(ctx, names) : CLM_OK;
}

int run_previous_find(const run_previous *p, const char *name)
{
    int lo = 0, hi = p->n_branches - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, b = p->by_name[mid];
        int c = strcmp(p->branches[b].name, name);
        if (c == 0)
            return b;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

void run_previous_free(run_previous *p)
{
    if (!p)
        return;
    for (int b = 0; p->branches && b < p->n_branches; b++)
        free(p->branches[b].name);
    free(p->branches);
    free(p->by_name);
    clm_kmeans_free(p->kmeans);
    for (int c = 0; p->segment_names && c < p->k; c++)
        free(p->segment_names[c]);
    free(p->segment_names);
    free(p->share);
    free(p->churn_rate);
    free(p->mean_arpu);
    free(p->zscore);
    free(p->cost);
    free(p);
}

void run_previous_release(run_ctx *ctx)
{
    run_previous_free(ctx->previous);
    ctx->previous = NULL;
    for (int c = 0; ctx->segment_names && c < ctx->k; c++)
        free(ctx->segment_names[c]);
    free(ctx->segment_names);
    ctx->segment_names = NULL;
    for (int c = 0; ctx->name_overrides && c < ctx->n_name_overrides; c++)
        free(ctx->name_overrides[c]);
    free(ctx->name_overrides);
    ctx->name_overrides = NULL;
}

/* Sorted-by-name index for run_previous_find. */
typedef struct named_index {
    const char *name;
    int index;
} named_index;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const named_index *)a)->name, ((const named_index *)b)->name);
}

/* /branches of the previous results file. */
static clm_status read_branches(run_previous *p, hid_t file)
{
    char **names = NULL;
    int64_t n = io_h5_dataset_strings(file, "/branches/name", &names);
    if (n < 0)
        return clm_error(CLM_E_FORMAT, "%s: not the results of a clmseg run (no /branches/name); "
                         "--previous names last quarter's output folder", p->path);
    p->n_branches = (int)n;
    p->branches = calloc((size_t)(n > 0 ? n : 1), sizeof *p->branches);
    p->by_name = malloc((size_t)(n > 0 ? n : 1) * sizeof *p->by_name);
    clm_status s = p->branches && p->by_name ? CLM_OK : clm_error(CLM_E_NOMEM, "out of memory");
    for (int b = 0; b < n; b++) {
        if (!s) {
            p->branches[b].name = names[b];
            names[b] = NULL;
        }
    }
    io_h5_strings_free(names);
    static const char *const fields[] = {"health", "churn_rate", "s12", "arpu", "share_A", "share_B",
                                         "share_C", "share_D", "share_E"};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0] && !s; f++) {
        char path[64];
        snprintf(path, sizeof path, "/branches/%s", fields[f]);
        double *v = NULL;
        if (io_h5_dataset_read(file, path, H5T_NATIVE_DOUBLE, n, (void **)&v) != 0) {
            s = clm_error(CLM_E_FORMAT, "%s: %s is missing or not %lld values (not a clmseg run's results?)",
                          p->path, path, (long long)n);
            break;
        }
        for (int b = 0; b < n; b++) {
            run_previous_branch *br = &p->branches[b];
            double *slot[] = {&br->health, &br->churn_rate, &br->s12, &br->arpu, &br->share[0], &br->share[1],
                              &br->share[2], &br->share[3], &br->share[4]};
            *slot[f] = v[b];
        }
        free(v);
    }
    /* Ranks as branches.csv has them: by health, equal scores in branch order. */
    double *key = s ? NULL : malloc((size_t)(n > 0 ? n : 1) * sizeof *key);
    int *order = s ? NULL : malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    if (!s && (!key || !order))
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int b = 0; !s && b < n; b++)
        key[b] = isnan(p->branches[b].health) ? INFINITY : -p->branches[b].health;
    if (!s && util_order_by_key(key, (int)n, order))
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int r = 0; !s && r < n; r++)
        p->branches[order[r]].rank = r + 1;
    free(key);
    free(order);
    named_index *sorted = s ? NULL : malloc((size_t)(n > 0 ? n : 1) * sizeof *sorted);
    if (!s && !sorted)
        s = clm_error(CLM_E_NOMEM, "out of memory");
    for (int b = 0; !s && b < n; b++)
        sorted[b] = (named_index){p->branches[b].name, b};
    if (!s)
        qsort(sorted, (size_t)n, sizeof *sorted, by_name);
    for (int b = 0; !s && b < n; b++)
        p->by_name[b] = sorted[b].index;
    free(sorted);
    return s;
}

/* The profile of /segments: share, churn rate, mean ARPU, z-scores, names. */
static clm_status read_profile(run_previous *p, hid_t file)
{
    const int k = p->k, d = p->n_features;
    const char *paths[3] = {"/segments/profile/share", "/segments/profile/churn_rate", "/segments/profile/mean_arpu"};
    double **into[3] = {&p->share, &p->churn_rate, &p->mean_arpu};
    for (int f = 0; f < 3; f++)
        if (io_h5_dataset_read(file, paths[f], H5T_NATIVE_DOUBLE, k, (void **)into[f]) != 0)
            return clm_error(CLM_E_FORMAT, "%s: %s is missing or not %d values", p->path, paths[f], k);
    if (io_h5_dataset_read(file, "/segments/profile/zscore", H5T_NATIVE_FLOAT, (int64_t)k * d, (void **)&p->zscore))
        return clm_error(CLM_E_FORMAT, "%s: /segments/profile/zscore is missing or not %d x %d", p->path, k, d);
    p->segment_names = calloc((size_t)k, sizeof *p->segment_names);
    if (!p->segment_names)
        return clm_error(CLM_E_NOMEM, "out of memory");
    char **names = NULL;
    /* a run older than segment names has none: its segments are numbers */
    int64_t n = io_h5_dataset_strings(file, "/segments/profile/name", &names);
    for (int c = 0; c < k; c++) {
        char fallback[32];
        snprintf(fallback, sizeof fallback, "segment %d", c);
        p->segment_names[c] = util_strdup(n == k ? names[c] : fallback);
        if (!p->segment_names[c]) {
            io_h5_strings_free(n > 0 ? names : NULL);
            return clm_error(CLM_E_NOMEM, "out of memory");
        }
    }
    io_h5_strings_free(n > 0 ? names : NULL);
    return CLM_OK;
}

clm_status run_read_previous(run_ctx *ctx)
{
    run_previous *p = calloc(1, sizeof *p);
    if (!p)
        return clm_error(CLM_E_NOMEM, "out of memory");
    ctx->previous = p;
    run_out_path(ctx->previous_dir, "results.h5", p->path, sizeof p->path);
    struct stat st;
    if (stat(ctx->previous_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return clm_error(CLM_E_OPEN, "previous run '%s' (run.previous / --previous) is not a folder: give last "
                         "quarter's output folder", ctx->previous_dir);
    if (stat(p->path, &st) != 0)
        return clm_error(CLM_E_OPEN, "%s: missing (run.previous / --previous names last quarter's output folder, "
                         "which holds results.h5)", p->path);
    io_silence_hdf5();
    hid_t file = H5Fopen(p->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return clm_error(CLM_E_FORMAT, "%s: not an HDF5 file, so not the results of a clmseg run", p->path);
    clm_status s = read_branches(p, file);
    if (!s && !clm_kmeans_saved_in(p->path, "/segments"))
        s = clm_error(CLM_E_FORMAT, "%s: not the results of a clmseg run (no k-means model in /segments)", p->path);
    if (!s)
        s = clm_kmeans_load(p->path, "/segments", ctx->n_threads, &p->kmeans);
    if (!s) {
        p->k = clm_kmeans_k(p->kmeans);
        p->n_features = clm_kmeans_n_features(p->kmeans);
        s = read_profile(p, file);
    }
    H5Fclose(file);
    if (!s && ctx->log)
        fprintf(ctx->log, "previous run %s: %d branches, %d segments\n", p->path, p->n_branches, p->k);
    return s;
}

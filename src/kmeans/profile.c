/*
 * profile.c — what each segment looks like, for people: size, share,
 * centroid in original units, churn rate, mean ARPU, and the features that
 * set it apart.  Printed as a table, written as segments.csv, stored in
 * /segments/profile by save.c.
 *
 * "Sets it apart": the z-score of the segment's centroid against the
 * whole population, z_j = (centroid_j - mean_j) / std_j (0 for a feature
 * with no spread); the three features with the largest |z| are listed,
 * e.g. "data_gb +1.84 sd; arpu +0.92 sd; complaints -0.40 sd".
 */
#include <math.h>
#include <stdlib.h>

#include "clmseg/textfile.h"
#include "kmeans/kmeans_internal.h"

#define KM_TOP_FEATURES 3

clm_status km_profile_alloc(km_profile *pr, int k, int d)
{
    memset(pr, 0, sizeof *pr);
    pr->k = k;
    pr->n_features = d;
    pr->size = calloc((size_t)k, sizeof(int64_t));
    pr->share = calloc((size_t)k, sizeof(double));
    pr->churn_rate = calloc((size_t)k, sizeof(double));
    pr->mean_arpu = calloc((size_t)k, sizeof(double));
    pr->centroids = calloc((size_t)k * (size_t)d, sizeof(float));
    pr->zscore = calloc((size_t)k * (size_t)d, sizeof(float));
    pr->distinguishing = calloc((size_t)k, sizeof(char *));
    pr->name = calloc((size_t)k, sizeof(char *));
    if (!pr->size || !pr->share || !pr->churn_rate || !pr->mean_arpu || !pr->centroids ||
        !pr->zscore || !pr->distinguishing || !pr->name)
        return clm_error(CLM_E_NOMEM, "k-means profile: out of memory");
    return CLM_OK;
}

void km_profile_free(km_profile *pr)
{
    if (!pr)
        return;
    if (pr->distinguishing)
        for (int j = 0; j < pr->k; j++)
            free(pr->distinguishing[j]);
    free(pr->distinguishing);
    if (pr->name)
        for (int j = 0; j < pr->k; j++)
            free(pr->name[j]);
    free(pr->name);
    free(pr->size);
    free(pr->share);
    free(pr->churn_rate);
    free(pr->mean_arpu);
    free(pr->centroids);
    free(pr->zscore);
    memset(pr, 0, sizeof *pr);
}

clm_status km_profile_describe(km_profile *pr, const km_features *f, const float *centroids)
{
    const int k = pr->k, d = pr->n_features;
    for (int c = 0; c < k; c++) {
        for (int j = 0; j < d; j++) {
            double v = (double)centroids[(int64_t)c * d + j] * f->scale[j] + f->center[j];
            pr->centroids[(int64_t)c * d + j] = (float)v;
            double z = f->std[j] > 0.0 ? (v - f->mean[j]) / f->std[j] : 0.0;
            pr->zscore[(int64_t)c * d + j] = (float)z;
        }
        char text[512];
        size_t used = 0;
        text[0] = '\0';
        int taken[KM_TOP_FEATURES];
        int n_top = d < KM_TOP_FEATURES ? d : KM_TOP_FEATURES;
        for (int t = 0; t < n_top; t++) {
            int best = -1;
            for (int j = 0; j < d; j++) {
                int seen = 0;
                for (int q = 0; q < t; q++)
                    seen |= taken[q] == j;
                if (seen)
                    continue;
                if (best < 0 || fabsf(pr->zscore[(int64_t)c * d + j]) >
                                    fabsf(pr->zscore[(int64_t)c * d + best]))
                    best = j;
            }
            taken[t] = best;
            int w = snprintf(text + used, sizeof text - used, "%s%s %+.2f sd", t ? "; " : "",
                             f->names[best], (double)pr->zscore[(int64_t)c * d + best]);
            if (w < 0 || (size_t)w >= sizeof text - used)
                break;
            used += (size_t)w;
        }
        size_t len = strlen(text) + 1;
        pr->distinguishing[c] = malloc(len);
        if (!pr->distinguishing[c])
            return clm_error(CLM_E_NOMEM, "k-means profile: out of memory");
        memcpy(pr->distinguishing[c], text, len);
        km_segment_name(pr->zscore + (int64_t)c * d, (const char *const *)f->names, d, text, sizeof text);
        pr->name[c] = util_strdup(text);
        if (!pr->name[c])
            return clm_error(CLM_E_NOMEM, "k-means profile: out of memory");
    }
    return CLM_OK;
}

static void print_rate(FILE *out, double v, int percent)
{
    if (isnan(v))
        fprintf(out, " %9s", "-");
    else if (percent)
        fprintf(out, " %8.1f%%", 100.0 * v);
    else
        fprintf(out, " %9.2f", v);
}

void km_profile_print(const km_profile *pr, const km_features *f, FILE *out)
{
    const int k = pr->k, d = pr->n_features;
    fprintf(out, "\nsegment profile (k = %d, %lld rows clustered)\n", k, (long long)f->n_rows);
    fprintf(out, "%7s %11s %7s %9s %9s  %s\n", "segment", "size", "share", "churn", "ARPU",
            "sets it apart (centroid z-score vs all)");
    for (int c = 0; c < k; c++) {
        fprintf(out, "%7d %11lld %6.1f%%", c, (long long)pr->size[c], 100.0 * pr->share[c]);
        print_rate(out, pr->churn_rate[c], 1);
        print_rate(out, pr->mean_arpu[c], 0);
        fprintf(out, "  %s\n", pr->distinguishing[c]);
    }
    fprintf(out, "\ncentroids (original units)\n%-24s", "feature");
    for (int c = 0; c < k; c++)
        fprintf(out, " %10d", c);
    fprintf(out, "\n");
    for (int j = 0; j < d; j++) {
        fprintf(out, "%-24.24s", f->names[j]);
        for (int c = 0; c < k; c++)
            fprintf(out, " %10.4g", (double)pr->centroids[(int64_t)c * d + j]);
        fprintf(out, "\n");
    }
}

static void csv_number(FILE *out, double v)
{
    if (isnan(v))
        return; /* empty field: not available */
    fprintf(out, "%.9g", v);
}

/* The columns name and continues come last, after the centroids, so the
 * earlier columns keep their place for readers of older files. */
void km_profile_write_csv(const km_profile *pr, const km_features *f, const int32_t *continues, FILE *out)
{
    const int k = pr->k, d = pr->n_features;
    fputs("segment,size,share,churn_rate,mean_arpu,distinguishing", out);
    for (int j = 0; j < d; j++) {
        fputc(',', out);
        util_csv_field(out, f->names[j]);
    }
    fputs(",name,continues\n", out);
    for (int c = 0; c < k; c++) {
        fprintf(out, "%d,%lld,", c, (long long)pr->size[c]);
        csv_number(out, pr->share[c]);
        fputc(',', out);
        csv_number(out, pr->churn_rate[c]);
        fputc(',', out);
        csv_number(out, pr->mean_arpu[c]);
        fputc(',', out);
        util_csv_field(out, pr->distinguishing[c]);
        for (int j = 0; j < d; j++) {
            fputc(',', out);
            csv_number(out, (double)pr->centroids[(int64_t)c * d + j]);
        }
        fputc(',', out);
        util_csv_field(out, pr->name[c]);
        fputc(',', out);
        if (continues && continues[c] >= 0)
            fprintf(out, "%d", continues[c]); /* empty: continues no segment */
        fputc('\n', out);
    }
}

/*
 * names.c — a segment's name, for people, from the features that set it
 * apart (docs/kmeans.md, "Segment names").
 *
 * The rule: the features whose centroid z-score (against all rows, as in
 * the profile) is at least KM_NAME_MIN_Z in absolute value, largest |z|
 * first (ties: the earlier feature), at most KM_NAME_WORDS of them; each
 * one reads "high <feature>" (z > 0) or "low <feature>" (z < 0), joined by
 * " · ".  The feature reads as its column name with underscores as spaces,
 * a trailing unit word dropped (gb, mb, minutes, months, count) and
 * "arpu" in capitals: data_gb +1.8 sd, device_age_months -1.1 sd ->
 * "high data · low device age".  A segment with no such feature is
 * "typical".  The name depends on the z-scores and names only, so it is
 * the same for any thread count; the run's config may replace it.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>

#include "kmeans/kmeans_internal.h"

#define KM_NAME_MIN_Z 0.5
#define KM_NAME_WORDS 3

/* The feature's words: underscores as spaces, a trailing unit dropped. */
static void feature_words(const char *name, char *out, size_t cap)
{
    static const char *const units[] = {"_gb", "_mb", "_minutes", "_months", "_count"};
    size_t len = strlen(name);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u]);
        if (len > ul && !strcmp(name + len - ul, units[u])) {
            len -= ul;
            break;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++)
        out[o++] = name[i] == '_' ? ' ' : name[i];
    out[o] = '\0';
    /* "arpu" as a word is an acronym */
    for (char *p = out; (p = strstr(p, "arpu")) != NULL; p += 4)
        if ((p == out || p[-1] == ' ') && (p[4] == '\0' || p[4] == ' '))
            for (int q = 0; q < 4; q++)
                p[q] = (char)toupper((unsigned char)p[q]);
}

void km_segment_name(const float *zscore, const char *const *names, int d, char *out, size_t cap)
{
    int taken[KM_NAME_WORDS];
    int n_taken = 0;
    size_t used = 0;
    out[0] = '\0';
    while (n_taken < KM_NAME_WORDS) {
        int best = -1;
        for (int j = 0; j < d; j++) {
            int seen = 0;
            for (int q = 0; q < n_taken; q++)
                seen |= taken[q] == j;
            if (seen || !(fabsf(zscore[j]) >= KM_NAME_MIN_Z))
                continue;
            if (best < 0 || fabsf(zscore[j]) > fabsf(zscore[best]))
                best = j;
        }
        if (best < 0)
            break;
        taken[n_taken] = best;
        char words[256];
        feature_words(names[best], words, sizeof words);
        int w = snprintf(out + used, cap - used, "%s%s %s", n_taken ? " \xC2\xB7 " : "",
                         zscore[best] > 0 ? "high" : "low", words);
        n_taken++;
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    if (n_taken == 0)
        snprintf(out, cap, "typical");
}

clm_status clm_kmeans_set_name(clm_kmeans *m, int32_t segment, const char *name)
{
    if (!m || !m->profile.name)
        return clm_error(CLM_E_PARAM, "k-means: the model has no profile to name (fitted on rows in memory)");
    if (segment < 0 || segment >= m->profile.k)
        return clm_error(CLM_E_PARAM, "k-means: segment %d out of range (k = %d)", segment, m->profile.k);
    if (!name || !name[0])
        return clm_error(CLM_E_PARAM, "k-means: the name of segment %d is empty", segment);
    char *copy = util_strdup(name);
    if (!copy)
        return clm_error(CLM_E_NOMEM, "k-means: out of memory");
    free(m->profile.name[segment]);
    m->profile.name[segment] = copy;
    return CLM_OK;
}

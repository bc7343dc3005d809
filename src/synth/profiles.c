/*
 * profiles.c — the latent behavioural segments and the plans.
 *
 * Eight hand-written profiles describe behaviour telecom marketers know
 * (docs/synth.md has the table and the reasons).  They differ strongly in
 * a few features each — data for the young and the streamers, voice for
 * seniors, roaming and international minutes for business users and
 * diaspora callers, low usage plus warning signals for the dormant — so
 * k-means on standardised features can find them again.  A request for
 * more than eight segments derives the extra ones from the base profiles
 * with fixed multiplicative perturbations (keyed by the segment number,
 * not the seed); fewer than eight takes the first ones.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "synth/synth_internal.h"
#include "synth/synth_rng.h"

const char *const synth_plan_names[SYNTH_N_PLANS] = {
    "prepaid", "postpaid", "contract-12m", "contract-24m"};
/* Contracts carry bundles (higher ARPU) and lock subscribers in. */
const double synth_plan_arpu[SYNTH_N_PLANS] = {0.75, 1.00, 1.10, 1.20};
const double synth_plan_hazard[SYNTH_N_PLANS] = {0.30, 0.00, -0.35, -0.60};

/* name, weight, plan mix {prepaid, postpaid, c12, c24},
 * voice, data, sms, roam share, roam min, intl share, intl min, contacts,
 * arpu, arpu trend, topups, suspensions, downgrades, complaints, service
 * calls, forward min, dropped calls, device age, payment delay,
 * life scale, life shape */
static const synth_segment base_segments[SYNTH_N_BASE_SEGMENTS] = {
    {"young-data-heavy", 0.16, {0.45, 0.35, 0.15, 0.05},
     120, 18000, 250, 0.10, 30, 0.10, 20, 90,
     32, 0.03, 3.0, 0.10, 0.05, 0.15, 0.6, 10, 6, 10, 4,
     260, 0.85},
    {"voice-seniors", 0.14, {0.15, 0.35, 0.30, 0.20},
     650, 400, 25, 0.03, 20, 0.08, 30, 35,
     28, 0.00, 2.0, 0.03, 0.03, 0.25, 1.8, 5, 4, 42, 2,
     1100, 0.95},
    {"business-roamers", 0.08, {0.02, 0.28, 0.30, 0.40},
     900, 9000, 60, 0.85, 260, 0.70, 180, 150,
     85, 0.01, 1.0, 0.02, 0.04, 0.30, 1.2, 40, 10, 14, 6,
     800, 0.90},
    {"budget-prepaid", 0.18, {0.92, 0.06, 0.02, 0.00},
     90, 1200, 60, 0.01, 10, 0.05, 15, 25,
     9, -0.01, 3.0, 0.15, 0.02, 0.10, 0.4, 15, 5, 36, 3,
     220, 0.80},
    {"family-bundle", 0.16, {0.03, 0.37, 0.25, 0.35},
     380, 7000, 110, 0.08, 25, 0.10, 25, 60,
     58, 0.03, 1.0, 0.03, 0.03, 0.15, 0.8, 5, 5, 20, 3,
     1500, 0.95},
    {"dormant-at-risk", 0.09, {0.55, 0.35, 0.10, 0.00},
     25, 250, 8, 0.00, 0, 0.02, 5, 8,
     12, -0.12, 1.0, 1.00, 0.35, 0.80, 2.5, 80, 9, 40, 18,
     60, 0.80},
    {"international-callers", 0.09, {0.70, 0.25, 0.05, 0.00},
     300, 2500, 40, 0.15, 40, 0.95, 350, 45,
     24, 0.00, 5.0, 0.12, 0.05, 0.20, 0.7, 20, 7, 24, 6,
     320, 0.85},
    {"streamers", 0.10, {0.10, 0.55, 0.25, 0.10},
     60, 35000, 15, 0.12, 20, 0.05, 10, 30,
     46, 0.02, 2.0, 0.04, 0.06, 0.20, 0.6, 5, 4, 8, 3,
     550, 0.90},
};

/* Fixed key of the derived-profile perturbations. */
#define PROFILE_KEY 0x5EC0D1CEULL

/* A symmetric factor exp(spread * z), z uniform in [-1, 1], from a fixed
 * hash: derived segments differ from their base by up to e^spread. */
static double perturb(int32_t segment, int field, double spread)
{
    uint64_t h = synth_hash3(PROFILE_KEY, (uint64_t)segment, (uint64_t)field);
    double z = 2.0 * ((double)(h >> 11) / 9007199254740992.0) - 1.0;
    return exp(spread * z);
}

void synth_profiles_fill(synth_segment *segments, double *cdf, int32_t n_segments)
{
    for (int32_t s = 0; s < n_segments; s++) {
        synth_segment *seg = &segments[s];
        *seg = base_segments[s % SYNTH_N_BASE_SEGMENTS];
        int32_t generation = s / SYNTH_N_BASE_SEGMENTS;
        if (generation == 0)
            continue;
        char name[48];
        snprintf(name, sizeof name, "%.36s-%d", seg->name, (int)generation + 1);
        memcpy(seg->name, name, sizeof name);
        /* Usage and value levels move by up to a factor e^0.7 (about 2):
         * a derived segment is a variant of its base, still distinct. */
        double *levels[] = {&seg->voice_minutes, &seg->data_mb, &seg->sms_count,
                            &seg->roaming_minutes, &seg->intl_minutes, &seg->contacts,
                            &seg->arpu, &seg->topups, &seg->forward_minutes,
                            &seg->device_age, &seg->life_scale};
        for (int f = 0; f < (int)(sizeof levels / sizeof levels[0]); f++)
            *levels[f] *= perturb(s, f, 0.7);
        seg->weight *= perturb(s, 100, 0.5);
    }
    double total = 0.0;
    for (int32_t s = 0; s < n_segments; s++)
        total += segments[s].weight;
    double running = 0.0;
    for (int32_t s = 0; s < n_segments; s++) {
        segments[s].weight /= total;
        running += segments[s].weight;
        cdf[s] = running;
    }
    cdf[n_segments - 1] = 1.0;
}

int32_t synth_pick(const double *cdf, int32_t n, double u)
{
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void synth_guide_fill(const double *cdf, int32_t n, int32_t *guide)
{
    int32_t j = 0;
    for (int32_t i = 0; i < n; i++) {
        double start = (double)i / (double)n;
        while (j < n - 1 && cdf[j] <= start)
            j++;
        guide[i] = j;
    }
}

int32_t synth_pick_guided(const double *cdf, const int32_t *guide, int32_t n, double u)
{
    int32_t slot = (int32_t)(u * (double)n);
    if (slot > n - 1)
        slot = n - 1;   /* u just below 1 can round u * n up to n */
    int32_t j = guide[slot];
    while (j < n - 1 && cdf[j] <= u)
        j++;
    return j;
}

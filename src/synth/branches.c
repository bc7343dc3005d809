/*
 * branches.c — the branches (city offices): names, sizes and effects.
 *
 * Names are "<City>-<Office>" built from two fixed lists, cities first in
 * order of population, so branch 0 is "Paris-Centre", branch 1
 * "Marseille-Centre", ...; after every city has had its "Centre", the next
 * office name is used, and past the product of both lists a numeric
 * suffix keeps names unique ("Paris-Centre-2").
 *
 * Sizes follow a Zipf-like law, share(b) ~ (b + 1)^-0.8: with 300
 * branches the largest is about 96 times the smallest, as in a national
 * network where capital offices dwarf rural ones.
 *
 * Each branch gets three effects from a fixed hash (independent of the
 * seed, so a branch keeps its character across quarters): a log-hazard
 * shift (sd 0.4, clipped to +-1: retention quality of the office), a price
 * level (ARPU multiplier, sd 0.08) and a network quality (dropped-call
 * multiplier, sd 0.3).
 *
 * Regions (provinces) group the cities: each city belongs to one of
 * twelve French regions, so a branch's region is its city's and never
 * changes with the office or the suffix.  The region list is in order of
 * first appearance over the cities, so with B branches the regions used
 * are a prefix of it; nothing here draws a random number, so adding the
 * region column changed no other value of a generated quarter.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth_internal.h"
#include "synth/synth_rng.h"

static const char *const cities[] = {
    "Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Nantes", "Montpellier",
    "Strasbourg", "Bordeaux", "Lille", "Rennes", "Reims", "Toulon",
    "Saint-Etienne", "Le-Havre", "Grenoble", "Dijon", "Angers", "Nimes",
    "Villeurbanne", "Clermont-Ferrand", "Le-Mans", "Aix-en-Provence", "Brest",
    "Tours", "Amiens", "Limoges", "Annecy", "Perpignan", "Boulogne",
    "Metz", "Besancon", "Orleans", "Rouen", "Mulhouse", "Caen", "Nancy",
    "Argenteuil", "Montreuil", "Roubaix", "Tourcoing", "Avignon", "Poitiers",
    "Pau", "La-Rochelle", "Calais", "Cannes", "Antibes", "Bayonne", "Colmar",
};
static const char *const offices[] = {
    "Centre", "Nord", "Sud", "Est", "Ouest", "Gare", "Port", "Universite",
    "Republique", "Zone-Commerciale",
};
/* In order of first appearance over `cities`. */
static const char *const regions[] = {
    "Ile-de-France", "Provence-Alpes-Cote-d-Azur", "Auvergne-Rhone-Alpes", "Occitanie",
    "Pays-de-la-Loire", "Grand-Est", "Nouvelle-Aquitaine", "Hauts-de-France", "Bretagne",
    "Normandie", "Bourgogne-Franche-Comte", "Centre-Val-de-Loire",
};
/* The region of each city of `cities`, by index. */
static const int8_t city_region[] = {
    0, 1, 2, 3, 1, 4, 3, 5, 6, 7,   /* Paris .. Lille              */
    8, 5, 1, 2, 9, 2, 10, 4, 3, 2,  /* Rennes .. Villeurbanne      */
    2, 4, 1, 8, 11, 7, 6, 2, 3, 0,  /* Clermont-Ferrand .. Boulogne */
    5, 10, 11, 9, 5, 9, 5, 0, 0, 7, /* Metz .. Roubaix             */
    7, 1, 6, 6, 6, 7, 1, 1, 6, 5,   /* Tourcoing .. Colmar         */
};
#define N_CITIES ((int32_t)(sizeof cities / sizeof cities[0]))
#define N_REGIONS ((int32_t)(sizeof regions / sizeof regions[0]))
_Static_assert(sizeof city_region == sizeof cities / sizeof cities[0], "one region per city");
#define N_OFFICES ((int32_t)(sizeof offices / sizeof offices[0]))

#define BRANCH_KEY 0xB4A7C0FFEEULL
#define ZIPF_EXPONENT 0.8

/* Standard normal from two fixed hashes (Box-Muller), clipped to +-2.5. */
static double fixed_normal(int32_t branch, int field)
{
    uint64_t h1 = synth_hash3(BRANCH_KEY, (uint64_t)branch, (uint64_t)(2 * field));
    uint64_t h2 = synth_hash3(BRANCH_KEY, (uint64_t)branch, (uint64_t)(2 * field + 1));
    double u1 = ((double)(h1 >> 11) + 0.5) / 9007199254740992.0;
    double u2 = ((double)(h2 >> 11) + 0.5) / 9007199254740992.0;
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    return z > 2.5 ? 2.5 : (z < -2.5 ? -2.5 : z);
}

clm_status synth_branches_fill(synth_model *model)
{
    int32_t n = model->n_branches;
    double total = 0.0;
    model->region_names = regions;
    model->n_regions = 0;
    for (int32_t b = 0; b < n; b++) {
        int32_t city = b % N_CITIES;
        model->branch_region[b] = city_region[city];
        if (city_region[city] + 1 > model->n_regions)
            model->n_regions = city_region[city] + 1;
        int32_t office = (b / N_CITIES) % N_OFFICES;
        int32_t round = b / (N_CITIES * N_OFFICES);
        char name[96];
        if (round == 0)
            snprintf(name, sizeof name, "%s-%s", cities[city], offices[office]);
        else
            snprintf(name, sizeof name, "%s-%s-%d", cities[city], offices[office],
                     (int)round + 1);
        model->branch_names[b] = malloc(strlen(name) + 1);
        if (!model->branch_names[b])
            return clm_error(CLM_E_NOMEM, "synth: out of memory for branch names");
        memcpy(model->branch_names[b], name, strlen(name) + 1);

        total += pow((double)b + 1.0, -ZIPF_EXPONENT);
        model->branch_cdf[b] = total;

        double hazard = 0.4 * fixed_normal(b, 0);
        model->branch_hazard[b] = hazard > 1.0 ? 1.0 : (hazard < -1.0 ? -1.0 : hazard);
        model->branch_price[b] = exp(0.08 * fixed_normal(b, 1));
        model->branch_network[b] = exp(0.3 * fixed_normal(b, 2));
    }
    for (int32_t b = 0; b < n; b++)
        model->branch_cdf[b] /= total;
    model->branch_cdf[n - 1] = 1.0;
    return CLM_OK;
}

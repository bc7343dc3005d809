/*
 * synth_lever.c — the retention lever of the counterfactual truth
 * (docs/synth.md, "Truth under a lever").
 *
 * The generator draws each lifetime by inverting a Weibull proportional-
 * hazards cumulative hazard, H(T) = E with E ~ Exp(1).  A lever that
 * multiplies the hazard of a subscriber by r from the snapshot A on
 * changes the cumulative hazard after A, not the draw E: the same
 * subscriber, under the lever, leaves at the T' where the lever's
 * cumulative hazard reaches E.  So the counterfactual comes from the very
 * draw of the quarter, row by row, with no random number of its own, and
 * the quarter itself stays byte for byte what it was.
 *
 * This file holds the lever's description (parse and check), its target
 * rule and that inversion.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth_internal.h"

#define ALL_STAGES ((1u << SYNTH_N_STAGES) - 1u)

static const char *const lever_keys =
    "hazard_ratio, stage, months, arpu_min, arpu_max";

void clm_synth_lever_default(clm_synth_lever *lever)
{
    memset(lever, 0, sizeof *lever);
    lever->enabled = 0;
    lever->hazard_ratio = 1.0;
    lever->months = INFINITY;
    lever->stages = ALL_STAGES;
    lever->arpu_min = -INFINITY;
    lever->arpu_max = INFINITY;
}

clm_status synth_lever_check(const clm_synth_lever *lever)
{
    if (!lever->enabled)
        return CLM_OK;
    if (!(lever->hazard_ratio > 0.0) || !isfinite(lever->hazard_ratio))
        return clm_error(CLM_E_PARAM, "truth lever: hazard_ratio must be a finite number > 0 (got %g)",
                         lever->hazard_ratio);
    if (!(lever->months > 0.0))
        return clm_error(CLM_E_PARAM, "truth lever: months must be > 0 (got %g)", lever->months);
    if (lever->stages == 0 || (lever->stages & ~ALL_STAGES))
        return clm_error(CLM_E_PARAM, "truth lever: stage must name stages among A-E (mask 0x%x)",
                         (unsigned)lever->stages);
    if (isnan(lever->arpu_min) || isnan(lever->arpu_max))
        return clm_error(CLM_E_PARAM, "truth lever: arpu_min and arpu_max must be numbers");
    if (lever->arpu_min > lever->arpu_max)
        return clm_error(CLM_E_PARAM, "truth lever: arpu_min %g is above arpu_max %g",
                         lever->arpu_min, lever->arpu_max);
    return CLM_OK;
}

/* ---- the description ------------------------------------------------------ */

/* [begin, end) with the spaces on both sides cut off. */
static void trim(const char **begin, const char **end)
{
    while (*begin < *end && isspace((unsigned char)**begin))
        (*begin)++;
    while (*end > *begin && isspace((unsigned char)(*end)[-1]))
        (*end)--;
}

/* A finite number spanning the whole value, or CLM_E_PARAM naming the key. */
static clm_status parse_number(const char *key, const char *value, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (!value[0] || *end != '\0' || errno == ERANGE || !isfinite(v))
        return clm_error(CLM_E_PARAM, "truth lever: bad number for %s: '%s'", key, value);
    *out = v;
    return CLM_OK;
}

/* "D", "C+D", "B|D": a set of stage letters. */
static clm_status parse_stages(const char *value, uint32_t *out)
{
    uint32_t mask = 0;
    const char *p = value;
    for (;;) {
        const char *end = p + strcspn(p, "+|");
        const char *b = p, *e = end;
        trim(&b, &e);
        int letter = e - b == 1 ? toupper((unsigned char)*b) : 0;
        if (letter < 'A' || letter >= 'A' + SYNTH_N_STAGES)
            return clm_error(CLM_E_PARAM,
                             "truth lever: stage: '%.*s' is not a stage (A-E, joined by + or |, "
                             "e.g. stage=C+D)", (int)(e - b), b);
        mask |= 1u << (letter - 'A');
        if (!*end)
            break;
        p = end + 1;
    }
    *out = mask;
    return CLM_OK;
}

enum { KEY_RATIO, KEY_STAGE, KEY_MONTHS, KEY_ARPU_MIN, KEY_ARPU_MAX, N_KEYS };
static const char *const key_names[N_KEYS] = {"hazard_ratio", "stage", "months", "arpu_min",
                                              "arpu_max"};

/* One "key=value" item (trimmed, NUL-terminated in place) into *lever. */
static clm_status parse_item(char *item, int *seen, clm_synth_lever *lever)
{
    char *eq = strchr(item, '=');
    if (!eq)
        return clm_error(CLM_E_PARAM, "truth lever: '%s' is not key=value (keys: %s)", item,
                         lever_keys);
    *eq = '\0';
    const char *kb = item, *ke = eq, *vb = eq + 1, *ve = eq + 1 + strlen(eq + 1);
    trim(&kb, &ke);
    trim(&vb, &ve);
    *(char *)ke = '\0';
    *(char *)ve = '\0';
    int key = -1;
    for (int k = 0; k < N_KEYS; k++)
        if (!strcmp(kb, key_names[k]))
            key = k;
    if (key < 0)
        return clm_error(CLM_E_PARAM, "truth lever: unknown key '%s' (keys: %s)", kb, lever_keys);
    if (seen[key])
        return clm_error(CLM_E_PARAM, "truth lever: key '%s' given twice", kb);
    seen[key] = 1;
    if (!vb[0])
        return clm_error(CLM_E_PARAM, "truth lever: %s has no value", kb);
    switch (key) {
    case KEY_STAGE: return parse_stages(vb, &lever->stages);
    case KEY_RATIO: return parse_number(kb, vb, &lever->hazard_ratio);
    case KEY_MONTHS: return parse_number(kb, vb, &lever->months);
    case KEY_ARPU_MIN: return parse_number(kb, vb, &lever->arpu_min);
    default: return parse_number(kb, vb, &lever->arpu_max);
    }
}

clm_status clm_synth_lever_parse(const char *text, clm_synth_lever *lever)
{
    if (!lever)
        return clm_error(CLM_E_PARAM, "truth lever: no lever to fill");
    clm_synth_lever_default(lever);
    if (!text)
        return clm_error(CLM_E_PARAM, "truth lever: no description");
    size_t length = strlen(text);
    if (length >= sizeof lever->text)
        return clm_error(CLM_E_PARAM, "truth lever: description of %zu bytes (at most %zu)",
                         length, sizeof lever->text - 1);
    clm_synth_lever parsed;
    clm_synth_lever_default(&parsed);
    memcpy(parsed.text, text, length + 1);
    char work[sizeof lever->text];
    memcpy(work, text, length + 1);

    int seen[N_KEYS] = {0};
    clm_status st = CLM_OK;
    for (char *item = work; st == CLM_OK;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        const char *b = item, *e = item + strlen(item);
        trim(&b, &e);
        if (b == e)
            return clm_error(CLM_E_PARAM, "truth lever: empty item in '%s' (keys: %s)", text,
                             lever_keys);
        *(char *)e = '\0';
        st = parse_item((char *)b, seen, &parsed);
        if (!comma)
            break;
        item = comma + 1;
    }
    if (st != CLM_OK)
        return st;
    if (!seen[KEY_RATIO])
        return clm_error(CLM_E_PARAM, "truth lever: hazard_ratio is required (e.g. "
                         "hazard_ratio=0.7,stage=D)");
    parsed.enabled = 1;
    if ((st = synth_lever_check(&parsed)))
        return st;
    *lever = parsed;
    return CLM_OK;
}

/* ---- target and counterfactual ------------------------------------------- */

int synth_lever_targets(const clm_synth_lever *lever, const synth_row *row)
{
    if (row->churned || !(lever->stages & (1u << row->stage)))
        return 0;
    double arpu = (double)row->arpu;
    return arpu >= lever->arpu_min && arpu <= lever->arpu_max;
}

/* H(t) = e^eta (t/scale)^shape, in logs as the draw computes it. */
static double cumulative_hazard(double t, double eta, double scale, double shape)
{
    return t > 0.0 ? exp(eta + shape * log(t / scale)) : 0.0;
}

double synth_lever_lifetime(const clm_synth_lever *lever, double exp_draw, double eta,
                            double scale, double shape, double activated, double lifetime)
{
    double ratio = lever->hazard_ratio;
    double h_snapshot = cumulative_hazard(activated, eta, scale, shape);
    /* The hazard still to be consumed after the snapshot, E - H(A) >= 0
     * since T >= A (clamped against rounding). */
    double left = exp_draw - h_snapshot;
    if (left < 0.0)
        left = 0.0;
    /* Written as E + (a change), so ratio 1 gives E exactly. */
    double target = exp_draw + (1.0 / ratio - 1.0) * left;   /* ends under the lever */
    if (isfinite(lever->months)) {
        double window = cumulative_hazard(activated + lever->months, eta, scale, shape) - h_snapshot;
        if (ratio * window < left)   /* outlives the lever: normal hazard after A + M */
            target = exp_draw + (1.0 - ratio) * window;
    }
    if (target == exp_draw)
        return lifetime;
    return scale * exp((log(target) - eta) / shape);
}

void synth_lever_apply(const clm_synth_lever *lever, const synth_segment *seg, synth_row *row)
{
    row->lever_target = (uint8_t)synth_lever_targets(lever, row);
    if (!row->lever_target)
        return;
    row->lever_lifetime = synth_lever_lifetime(lever, row->exp_draw, row->eta, seg->life_scale,
                                               seg->life_shape, row->activated, row->lifetime);
    row->residual_months = (float)(row->lever_lifetime - row->activated);
}

/*
 * synth_row.c — one subscriber's draw, and the lifecycle-stage rule.
 *
 * The generative story of a row (docs/synth.md gives the formulas):
 *
 *   1. segment s from the segment shares, branch b from the Zipf sizes,
 *      plan from the segment's plan mix;
 *   2. a latent frailty r ~ N(0, 1): risky subscribers use less, show more
 *      warning signals (suspensions, downgrades, complaints, forwarding,
 *      payment delay, losing contacts, falling ARPU) and leave sooner;
 *   3. usage and value features around the segment profile (log-normal
 *      levels, Poisson counts);
 *   4. a Weibull lifetime T whose hazard is scaled by exp(eta), eta = branch
 *      effect + plan effect + the warning signals + the residual frailty;
 *      an activation A months ago, uniform over the observation window:
 *      tenure = floor(min(T, A)), churned = [T < A] (administrative
 *      censoring at the end of the window);
 *   5. this quarter's ARPU from last quarter's, with the decline component
 *      used in eta plus a ramp-up for young lines;
 *   6. the stage from the documented rules;
 *   7. with a lever (synth_lever.c), the counterfactual remaining lifetime
 *      of the rows it targets.
 *
 * For a churned subscriber the features describe the last quarter before
 * the exit.  Every draw comes from the row's own counter-based stream in a
 * fixed order, so a row never depends on any other row.
 */
#include <math.h>

#include "synth/synth_internal.h"
#include "synth/synth_rng.h"

/* Rounds a non-negative level to an integer, capped (the columns have
 * finite integer types and real systems cap counters too). */
static int32_t round_cap(double value, int32_t cap)
{
    if (!(value > 0.0))
        return 0;
    double r = floor(value + 0.5);
    return r > (double)cap ? cap : (int32_t)r;
}

/* Money is stored in cents, as a float32. */
static float to_cents(double value)
{
    return (float)(floor(value * 100.0 + 0.5) / 100.0);
}

static int8_t pick_plan(const synth_segment *seg, double u)
{
    double cdf = 0.0;
    for (int p = 0; p < SYNTH_N_PLANS - 1; p++) {
        cdf += seg->plan_prob[p];
        if (u < cdf)
            return (int8_t)p;
    }
    return SYNTH_N_PLANS - 1;
}

uint8_t synth_stage_of(const synth_row *row)
{
    if (row->churned)
        return SYNTH_STAGE_E;
    if (row->tenure_months < SYNTH_STAGE_A_MONTHS)
        return SYNTH_STAGE_A;
    /* Early-warning signals of docs/design.md §1, any one of them is a decline. */
    int arpu_drop = (double)row->arpu < SYNTH_STAGE_D_ARPU * (double)row->arpu_prev;
    int contact_drop = 10 * (int64_t)row->contacts_now < 7 * (int64_t)row->contacts_prev;
    if (arpu_drop || contact_drop || row->suspensions > 0 || row->plan_downgrades > 0 ||
        row->complaints >= SYNTH_STAGE_D_COMPLAINTS)
        return SYNTH_STAGE_D;
    if ((double)row->arpu > SYNTH_STAGE_B_ARPU * (double)row->arpu_prev)
        return SYNTH_STAGE_B;
    return SYNTH_STAGE_C;
}

void synth_row_draw(const synth_model *model, int64_t row, synth_row *out)
{
    synth_rng rng;
    synth_rng_init(&rng, model->seed, (uint64_t)row);

    /* 1. Who: segment, branch, plan. */
    int32_t s = synth_pick_guided(model->segment_cdf, model->segment_guide, model->n_segments,
                                  synth_uniform(&rng));
    int32_t b = synth_pick_guided(model->branch_cdf, model->branch_guide, model->n_branches,
                                  synth_uniform(&rng));
    const synth_segment *seg = &model->segments[s];
    out->region = model->branch_region[b]; /* no draw: the branch decides it */
    int8_t plan = pick_plan(seg, synth_uniform(&rng));

    /* 2. Latent frailty; its positive part damps usage and drives decline. */
    double frailty = synth_normal(&rng);
    double risk = frailty > 0.0 ? frailty : 0.0;
    double damp = -0.25 * risk;   /* log of the usage damping */

    /* 3. Usage. */
    out->voice_minutes = round_cap(seg->voice_minutes * synth_lognormal_shift(&rng, 0.35, damp), 100000);
    out->data_mb = round_cap(seg->data_mb * synth_lognormal_shift(&rng, 0.45, damp), 10000000);
    out->sms_count = round_cap(seg->sms_count * synth_lognormal_shift(&rng, 0.50, damp), 100000);
    /* Levels are drawn only when used: a row's stream is its own, so
     * skipping draws changes nothing elsewhere. */
    out->roaming_minutes = synth_uniform(&rng) < seg->roaming_share
        ? round_cap(seg->roaming_minutes * synth_lognormal1(&rng, 0.60), 100000) : 0;
    out->intl_minutes = synth_uniform(&rng) < seg->intl_share
        ? round_cap(seg->intl_minutes * synth_lognormal1(&rng, 0.60), 100000) : 0;

    int32_t contacts_prev = round_cap(seg->contacts * synth_lognormal1(&rng, 0.35), 100000);
    if (contacts_prev < 1)
        contacts_prev = 1;
    double contact_trend = 0.08 * synth_normal(&rng) - 0.15 * risk;
    out->contacts_prev = contacts_prev;
    out->contacts_now = round_cap(contacts_prev * exp(contact_trend), 100000);

    /* Warning signals, stronger with frailty. */
    int32_t suspensions = synth_poisson(&rng, seg->suspensions * exp(0.8 * frailty), 9);
    out->suspensions = (int16_t)suspensions;
    out->suspension_days = suspensions > 0
        ? (int16_t)round_cap(suspensions * (2.0 + 6.0 * synth_lognormal1(&rng, 0.5)), 90)
        : 0;
    int32_t downgrades = synth_poisson(&rng, seg->downgrades * exp(0.7 * frailty), 3);
    out->plan_downgrades = (int16_t)downgrades;
    int32_t complaints = synth_poisson(&rng, seg->complaints * exp(0.6 * frailty), 20);
    out->complaints = (int16_t)complaints;
    out->service_calls = (int16_t)synth_poisson(
        &rng, seg->service_calls * exp(0.3 * frailty) + 0.8 * complaints, 60);
    int32_t forward = round_cap(seg->forward_minutes *
                                synth_lognormal_shift(&rng, 0.8, 0.6 * frailty), 100000);
    out->offnet_forward_minutes = forward;
    int32_t dropped = synth_poisson(&rng, seg->dropped_calls * model->branch_network[b], 500);
    out->dropped_calls = (int16_t)dropped;
    out->device_age_months = (int16_t)round_cap(seg->device_age * synth_lognormal1(&rng, 0.5), 120);
    /* Prepaid lines top up and have no bills; the others the reverse. */
    int32_t delay = 0;
    if (plan == SYNTH_PLAN_PREPAID) {
        out->topups = (int16_t)synth_poisson(&rng, seg->topups * exp(-0.2 * frailty), 60);
    } else {
        out->topups = 0;
        delay = round_cap(seg->payment_delay * synth_lognormal_shift(&rng, 0.6, 0.7 * frailty), 120);
    }
    out->payment_delay_days = (int16_t)delay;

    /* 4. Value last quarter and the decline component of its change. */
    double arpu_prev = seg->arpu * synth_plan_arpu[plan] * model->branch_price[b] *
                       synth_lognormal1(&rng, 0.25);
    double decline = seg->arpu_trend + 0.07 * synth_normal(&rng) - 0.08 * risk - 0.05 * downgrades;

    /* 5. Lifetime: Weibull with proportional hazards, H(t) = exp(eta) (t/scale)^shape. */
    double eta = model->branch_hazard[b] + synth_plan_hazard[plan] + 0.35 * frailty +
                 0.20 * (suspensions < 5 ? suspensions : 5) + 0.30 * downgrades +
                 0.12 * (complaints < 5 ? complaints : 5) +
                 2.0 * (decline < 0.0 ? -decline : 0.0) + 0.015 * delay +
                 0.10 * log1p(forward / 10.0) + 0.02 * (dropped < 50 ? dropped : 50);
    /* T = scale (E e^-eta)^(1/shape), E ~ Exp(1), in logs (one exp, no pow). */
    double exp_draw = synth_exponential(&rng);
    double lifetime = seg->life_scale * exp((log(exp_draw) - eta) / seg->life_shape);
    double activated = SYNTH_WINDOW_MONTHS * synth_uniform(&rng);
    int churned = lifetime < activated;
    double observed = churned ? lifetime : activated;
    int16_t tenure = (int16_t)floor(observed);
    out->tenure_months = tenure;
    out->churned = (int8_t)churned;
    out->residual_months = churned ? NAN : (float)(lifetime - activated);
    out->exp_draw = exp_draw;
    out->eta = eta;
    out->lifetime = lifetime;
    out->activated = activated;
    out->lever_lifetime = lifetime;

    /* 6. This quarter's ARPU: the decline plus a ramp-up of young lines
     * (bundles added in the first months). */
    double ramp = 0.20 * exp(-(double)tenure / 3.0);
    out->arpu_prev = to_cents(arpu_prev);
    out->arpu = to_cents(arpu_prev * exp(decline + ramp));

    out->subscriber_id = 1000000000LL + row;
    out->branch = b;
    out->plan = plan;
    out->segment = s;
    out->stage = synth_stage_of(out);

    /* 7. The counterfactual truth: the lever only rereads the draw above
     * (no random numbers), so every other value stays as it is. */
    out->lever_target = 0;
    if (model->lever.enabled)
        synth_lever_apply(&model->lever, seg, out);
}

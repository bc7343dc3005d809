/*
 * synth_rng.h — the counter-based random numbers of the quarter generator.
 *
 * Every row owns its own stream: the stream of row r under seed s starts
 * from splitmix64(splitmix64(s ^ K1) + r * K2) and then steps like
 * splitmix64 (add the golden-ratio gamma, mix).  A row's draws therefore
 * depend only on (seed, row), never on which thread generated it, in which
 * order, or how rows were cut into blocks: that is what makes the output
 * bit-identical for any thread count and block size, and lets any row be
 * regenerated alone (tests do).  Structural tables (branch effects,
 * derived segment profiles) use the same mixer with fixed keys so they do
 * not depend on the seed.
 *
 * Distributions are built from uniforms with plain libm calls (log, exp,
 * sqrt); the same binary computes them the same way on every thread.
 * Everything here is static inline: one row draws about forty numbers.
 */
#ifndef CLMSEG_SYNTH_RNG_H
#define CLMSEG_SYNTH_RNG_H

#include <math.h>
#include <stdint.h>

#include "core/util_internal.h"

#define SYNTH_GAMMA UTIL_SPLITMIX_GAMMA

/* Hash of a (key, index, sub-index) triple: structural draws. */
static inline uint64_t synth_hash3(uint64_t key, uint64_t index, uint64_t sub)
{
    return util_mix64(util_mix64(key ^ util_mix64(index + SYNTH_GAMMA)) + sub * SYNTH_GAMMA);
}

typedef struct synth_rng {
    uint64_t state;    /* splitmix64 counter of this row's stream          */
    double spare;      /* second normal of the last polar-method pair      */
    int has_spare;     /* whether `spare` is unused                        */
} synth_rng;

/* The stream of `row` under `seed`. */
static inline void synth_rng_init(synth_rng *rng, uint64_t seed, uint64_t row)
{
    uint64_t key = util_mix64(seed ^ 0x243F6A8885A308D3ULL);
    rng->state = util_mix64(key + row * 0xD1B54A32D192ED03ULL);
    rng->has_spare = 0;
    rng->spare = 0.0;
}

static inline uint64_t synth_next(synth_rng *rng)
{
    rng->state += SYNTH_GAMMA;
    return util_mix64(rng->state);
}

/* Uniform in (0, 1): 53 random bits, offset by half an ulp so that log()
 * of it is always finite. */
static inline double synth_uniform(synth_rng *rng)
{
    return ((double)(synth_next(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal by Marsaglia's polar method (no sin/cos: about 15 %
 * faster here than Box-Muller's sincos); the second value of a pair is
 * kept for the next call.  The rejection loop uses a variable number of
 * uniforms, which is fine: the stream belongs to one row. */
static inline double synth_normal(synth_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * synth_uniform(rng) - 1.0;
        v = 2.0 * synth_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double factor = sqrt(-2.0 * log(s) / s);
    rng->spare = v * factor;
    rng->has_spare = 1;
    return u * factor;
}

/* Log-normal multiplier with mean 1 and log-sd `sigma`. */
static inline double synth_lognormal1(synth_rng *rng, double sigma)
{
    return exp(sigma * synth_normal(rng) - 0.5 * sigma * sigma);
}

/* exp(shift) times a mean-1 log-normal, with one exp() instead of two. */
static inline double synth_lognormal_shift(synth_rng *rng, double sigma, double shift)
{
    return exp(shift + sigma * synth_normal(rng) - 0.5 * sigma * sigma);
}

/* Exponential with mean 1. */
static inline double synth_exponential(synth_rng *rng)
{
    return -log(synth_uniform(rng));
}

/* Poisson(lambda): inversion with one uniform for small means (exact), a
 * rounded normal for large ones (lambda >= 30, where the approximation's
 * error is far below the model's own noise).  Capped at `cap`. */
static inline int32_t synth_poisson(synth_rng *rng, double lambda, int32_t cap)
{
    if (!(lambda > 0.0))
        return 0;
    if (lambda < 30.0) {
        double u = synth_uniform(rng);
        double p = exp(-lambda), cdf = p;
        int32_t k = 0;
        while (u > cdf && k < cap) {
            k++;
            p *= lambda / k;
            cdf += p;
            if (p < 1e-300 && (double)k > lambda)
                break;   /* the tail below is numerically empty */
        }
        return k;
    }
    double v = floor(lambda + sqrt(lambda) * synth_normal(rng) + 0.5);
    if (v < 0.0)
        v = 0.0;
    return v > (double)cap ? cap : (int32_t)v;
}

#endif /* CLMSEG_SYNTH_RNG_H */

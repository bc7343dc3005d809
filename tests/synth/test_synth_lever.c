/*
 * test_synth_lever.c — the truth lever of the generator, row by row.
 *
 *   - the description: every key, stage lists, spaces; each bad one is
 *     refused with a message naming the key, and leaves the lever off;
 *   - the counterfactual against an independent recomputation of the
 *     Weibull proportional-hazards cumulative hazard (pow, not the
 *     generator's logs): the draw solves H(T) = E, and the lever's T'
 *     solves H(A) + r (H(T') - H(A)) = H(T) for ever, or the piecewise
 *     equation when the lever lasts M months; hand cases for both;
 *   - the lever changes nothing else: every column of every row and the
 *     draw itself are the same with and without it, non-targeted rows keep
 *     their residual, ratio 1 keeps every value bit for bit;
 *   - the target rule recomputed from the row (active, stage, ARPU range).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "synth/synth_internal.h"
#include "testutil.h"

/* ---- the description ------------------------------------------------------ */

static void test_parse_good(void **state)
{
    (void)state;
    clm_synth_lever lever;
    assert_int_equal(clm_synth_lever_parse("hazard_ratio=0.7,stage=D", &lever), CLM_OK);
    assert_true(lever.enabled);
    assert_true(lever.hazard_ratio == 0.7);
    assert_true(lever.stages == 1u << SYNTH_STAGE_D);
    assert_true(isinf(lever.months) && lever.months > 0);
    assert_true(isinf(lever.arpu_min) && lever.arpu_min < 0);
    assert_true(isinf(lever.arpu_max) && lever.arpu_max > 0);
    assert_string_equal(lever.text, "hazard_ratio=0.7,stage=D");

    assert_int_equal(clm_synth_lever_parse(" stage = b+D|c , months=6.5,hazard_ratio=1.25 ,"
                                           "arpu_min=20,arpu_max=40.5", &lever), CLM_OK);
    assert_true(lever.hazard_ratio == 1.25);
    assert_true(lever.months == 6.5);
    assert_true(lever.stages == ((1u << SYNTH_STAGE_B) | (1u << SYNTH_STAGE_C) |
                                 (1u << SYNTH_STAGE_D)));
    assert_true(lever.arpu_min == 20.0 && lever.arpu_max == 40.5);

    /* No stage key: every stage (the churned rows are still never targeted). */
    assert_int_equal(clm_synth_lever_parse("hazard_ratio=0.5", &lever), CLM_OK);
    assert_true(lever.stages == 0x1fu);

    /* The default is off, and so are the default parameters. */
    clm_synth_lever_default(&lever);
    assert_false(lever.enabled);
    clm_synth_params p;
    clm_synth_params_default(&p);
    assert_false(p.lever.enabled);
}

static void expect_parse_error(const char *text, const char *words)
{
    clm_synth_lever lever;
    lever.enabled = 1;
    clm_status st = clm_synth_lever_parse(text, &lever);
    if (st != CLM_E_PARAM || !strstr(clm_error_detail(), words))
        fail_msg("'%s' -> %d, '%s' (wanted '%s')", text, st, clm_error_detail(), words);
    assert_false(lever.enabled);
}

static void test_parse_bad(void **state)
{
    (void)state;
    expect_parse_error("hazard_ratio=0.7,colour=D", "unknown key 'colour'");
    expect_parse_error("ratio=0.7", "unknown key 'ratio'");
    expect_parse_error("hazard_ratio=0", "hazard_ratio must be a finite number > 0");
    expect_parse_error("hazard_ratio=-0.5,stage=D", "hazard_ratio must be a finite number > 0");
    expect_parse_error("hazard_ratio=abc", "bad number for hazard_ratio: 'abc'");
    expect_parse_error("hazard_ratio=0.7x", "bad number for hazard_ratio: '0.7x'");
    expect_parse_error("hazard_ratio=nan", "bad number for hazard_ratio");
    expect_parse_error("hazard_ratio=inf", "bad number for hazard_ratio");
    expect_parse_error("hazard_ratio=", "hazard_ratio has no value");
    expect_parse_error("hazard_ratio", "'hazard_ratio' is not key=value");
    expect_parse_error("stage=D", "hazard_ratio is required");
    expect_parse_error("", "empty item");
    expect_parse_error("hazard_ratio=0.7,,stage=D", "empty item");
    expect_parse_error("hazard_ratio=0.7,stage=F", "stage: 'F' is not a stage");
    expect_parse_error("hazard_ratio=0.7,stage=D+", "stage: '' is not a stage");
    expect_parse_error("hazard_ratio=0.7,stage=DE", "stage: 'DE' is not a stage");
    expect_parse_error("hazard_ratio=0.7,months=0", "months must be > 0");
    expect_parse_error("hazard_ratio=0.7,months=-3", "months must be > 0");
    expect_parse_error("hazard_ratio=0.7,months=six", "bad number for months: 'six'");
    expect_parse_error("hazard_ratio=0.7,arpu_min=x", "bad number for arpu_min: 'x'");
    expect_parse_error("hazard_ratio=0.7,arpu_max=1e999", "bad number for arpu_max");
    expect_parse_error("hazard_ratio=0.7,arpu_min=50,arpu_max=10", "arpu_min 50 is above arpu_max 10");
    expect_parse_error("hazard_ratio=0.7,hazard_ratio=0.5", "key 'hazard_ratio' given twice");
    expect_parse_error("hazard_ratio=0.7,stage=D,stage=C", "key 'stage' given twice");
    char long_text[400];
    memset(long_text, ' ', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    memcpy(long_text, "hazard_ratio=0.7", 16);
    expect_parse_error(long_text, "description of 399 bytes");
    assert_int_equal(clm_synth_lever_parse(NULL, &(clm_synth_lever){0}), CLM_E_PARAM);
    assert_int_equal(clm_synth_lever_parse("hazard_ratio=1", NULL), CLM_E_PARAM);
}

/* A lever set by hand in the parameters is checked by clm_synth_params_check. */
static void test_params_check(void **state)
{
    (void)state;
    clm_synth_params p;
    clm_synth_params_default(&p);
    p.lever.enabled = 1;
    p.lever.hazard_ratio = 0.7;
    assert_int_equal(clm_synth_params_check(&p), CLM_OK);
    struct { double ratio, months, arpu_min, arpu_max; uint32_t stages; const char *word; } bad[] = {
        {0.0, INFINITY, -INFINITY, INFINITY, 0x1f, "hazard_ratio"},
        {-1.0, INFINITY, -INFINITY, INFINITY, 0x1f, "hazard_ratio"},
        {NAN, INFINITY, -INFINITY, INFINITY, 0x1f, "hazard_ratio"},
        {INFINITY, INFINITY, -INFINITY, INFINITY, 0x1f, "hazard_ratio"},
        {0.7, 0.0, -INFINITY, INFINITY, 0x1f, "months"},
        {0.7, NAN, -INFINITY, INFINITY, 0x1f, "months"},
        {0.7, INFINITY, -INFINITY, INFINITY, 0, "stage"},
        {0.7, INFINITY, -INFINITY, INFINITY, 0x20, "stage"},
        {0.7, INFINITY, 5.0, 4.0, 0x1f, "arpu_min 5 is above arpu_max 4"},
        {0.7, INFINITY, NAN, 4.0, 0x1f, "arpu_min"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p.lever.hazard_ratio = bad[i].ratio;
        p.lever.months = bad[i].months;
        p.lever.arpu_min = bad[i].arpu_min;
        p.lever.arpu_max = bad[i].arpu_max;
        p.lever.stages = bad[i].stages;
        assert_int_equal(clm_synth_params_check(&p), CLM_E_PARAM);
        assert_non_null(strstr(clm_error_detail(), bad[i].word));
    }
    /* A disabled lever is not looked at. */
    p.lever.enabled = 0;
    assert_int_equal(clm_synth_params_check(&p), CLM_OK);
}

/* ---- the counterfactual, by hand ------------------------------------------ */

static clm_synth_lever lever_of(const char *text)
{
    clm_synth_lever lever;
    assert_int_equal(clm_synth_lever_parse(text, &lever), CLM_OK);
    return lever;
}

static void test_lifetime_hand(void **state)
{
    (void)state;
    /* Exponential (shape 1, scale 1, eta 0): H(t) = t.  E = 5 (T = 5),
     * snapshot A = 2, 3 units of hazard left. */
    clm_synth_lever forever = lever_of("hazard_ratio=0.5");
    /* For ever: 2 + 0.5 (T' - 2) = 5, T' = 8. */
    assert_true(fabs(synth_lever_lifetime(&forever, 5.0, 0.0, 1.0, 1.0, 2.0, 5.0) - 8.0) < 1e-12);
    /* One month: 0.5 used in (2, 3], then the normal hazard: T' = 3 + 2.5. */
    clm_synth_lever one = lever_of("hazard_ratio=0.5,months=1");
    assert_true(fabs(synth_lever_lifetime(&one, 5.0, 0.0, 1.0, 1.0, 2.0, 5.0) - 5.5) < 1e-12);
    /* Ten months outlast the subscriber: as for ever. */
    clm_synth_lever ten = lever_of("hazard_ratio=0.5,months=10");
    assert_true(fabs(synth_lever_lifetime(&ten, 5.0, 0.0, 1.0, 1.0, 2.0, 5.0) - 8.0) < 1e-12);
    /* Doubling the hazard for ever: 2 + 2 (T' - 2) = 5, T' = 3.5. */
    clm_synth_lever twice = lever_of("hazard_ratio=2");
    assert_true(fabs(synth_lever_lifetime(&twice, 5.0, 0.0, 1.0, 1.0, 2.0, 5.0) - 3.5) < 1e-12);
    /* Weibull shape 2, scale 10, eta 0: H(t) = (t/10)^2.  E = 1 (T = 10),
     * A = 5 (H = 0.25): H(T') = 0.25 + 0.75 / 0.5 = 1.75, T' = 10 sqrt(1.75). */
    assert_true(fabs(synth_lever_lifetime(&forever, 1.0, 0.0, 10.0, 2.0, 5.0, 10.0) -
                     10.0 * sqrt(1.75)) < 1e-12);
    /* The same with eta = ln 4 (H(t) = 4 (t/10)^2), E = 1, T = 5, A = 2.5:
     * H(A) = 0.25, H(T') = 1.75, T' = 10 sqrt(1.75 / 4). */
    assert_true(fabs(synth_lever_lifetime(&forever, 1.0, log(4.0), 10.0, 2.0, 2.5, 5.0) -
                     10.0 * sqrt(1.75 / 4.0)) < 1e-12);
    /* Ratio 1 returns the lifetime given, bit for bit. */
    clm_synth_lever same = lever_of("hazard_ratio=1,months=3");
    assert_true(synth_lever_lifetime(&same, 1.234, 0.3, 17.0, 0.8, 2.0, 41.0) == 41.0);
}

/* ---- the counterfactual on generated rows --------------------------------- */

static synth_model *make_model(const char *lever_text)
{
    clm_synth_params p;
    clm_synth_params_default(&p);
    p.n_branches = 80;
    p.seed = 17;
    if (lever_text)
        assert_int_equal(clm_synth_lever_parse(lever_text, &p.lever), CLM_OK);
    synth_model *m = NULL;
    assert_int_equal(synth_model_create(&p, &m), CLM_OK);
    return m;
}

/* The cumulative hazard of the row, computed with pow (the generator uses
 * exp and log): an independent evaluation of H(t) = e^eta (t/scale)^shape. */
static double hazard(const synth_model *m, const synth_row *r, double t)
{
    const synth_segment *seg = &m->segments[r->segment];
    return exp(r->eta) * pow(t / seg->life_scale, seg->life_shape);
}

/* Everything but residual_months and lever_target, and the draw itself,
 * is the same with and without the lever. */
static void expect_same_row(const synth_row *base, const synth_row *lever)
{
    for (int c = 0; c < synth_n_columns; c++) {
        const char *path = synth_columns[c].path;
        if (!strcmp(path, "/truth/residual_months") || !strcmp(path, "/truth/lever_target"))
            continue;
        assert_memory_equal((const char *)base + synth_columns[c].offset,
                            (const char *)lever + synth_columns[c].offset,
                            (size_t)clm_dtype_size(synth_columns[c].dtype));
    }
    assert_true(base->exp_draw == lever->exp_draw && base->eta == lever->eta &&
                base->lifetime == lever->lifetime && base->activated == lever->activated);
    assert_int_equal(base->lever_target, 0);
    assert_true(base->lever_lifetime == base->lifetime);
}

/* The relative gap of two cumulative hazards. */
static double gap(double value, double reference)
{
    return fabs(value - reference) / reference;
}

typedef struct lever_counts {
    int64_t targeted, inside, outside;   /* outside: outlived a months-long lever */
    double worst;                        /* largest relative gap of the equation */
} lever_counts;

/* Draws rows 0..n with the lever of `text` and without, and checks every
 * row against the independent hazard; `target` recomputes the rule. */
static lever_counts check_rows(const char *text, int64_t n,
                               int (*target)(const synth_row *row))
{
    synth_model *base = make_model(NULL), *levered = make_model(text);
    const clm_synth_lever *lever = &levered->lever;
    double ratio = lever->hazard_ratio, months = lever->months;
    lever_counts counts = {0, 0, 0, 0.0};
    for (int64_t i = 0; i < n; i++) {
        synth_row r0, r1;
        synth_row_draw(base, i, &r0);
        synth_row_draw(levered, i, &r1);
        expect_same_row(&r0, &r1);
        /* The draw: H(T) = E, and T >= A for an active row. */
        double h_t = hazard(base, &r0, r0.lifetime);
        assert_true(gap(h_t, r0.exp_draw) < 1e-10);
        assert_int_equal(r0.churned, r0.lifetime < r0.activated);
        assert_int_equal(r1.lever_target, target(&r0));
        if (!r1.lever_target) {
            assert_memory_equal(&r0.residual_months, &r1.residual_months, sizeof(float));
            assert_true(r1.lever_lifetime == r1.lifetime);
            continue;
        }
        counts.targeted++;
        double a = r0.activated, t1 = r1.lever_lifetime;
        double h_a = hazard(base, &r0, a), h_t1 = hazard(base, &r0, t1);
        /* The hazard the lever's path consumes by T'. */
        double consumed;
        if (t1 <= a + months) {
            consumed = h_a + ratio * (h_t1 - h_a);
            counts.inside++;
        } else {
            double h_end = hazard(base, &r0, a + months);
            consumed = h_a + ratio * (h_end - h_a) + (h_t1 - h_end);
            counts.outside++;
        }
        double g = gap(consumed, h_t);
        if (g > counts.worst)
            counts.worst = g;
        if (!(g < 1e-12))
            fail_msg("row %lld: H_lever(T') = %.17g, H(T) = %.17g (A %.6g T %.6g T' %.6g)",
                     (long long)i, consumed, h_t, a, r0.lifetime, t1);
        /* A lower hazard keeps the subscriber longer, a higher one less. */
        assert_true(ratio < 1.0 ? t1 >= r0.lifetime : t1 <= r0.lifetime);
        assert_true(r1.residual_months == (float)(t1 - a));
    }
    synth_model_free(base);
    synth_model_free(levered);
    return counts;
}

static int target_active_d(const synth_row *r) { return !r->churned && r->stage == SYNTH_STAGE_D; }
static int target_active(const synth_row *r) { return !r->churned; }
static int target_active_ab(const synth_row *r)
{
    return !r->churned && (r->stage == SYNTH_STAGE_A || r->stage == SYNTH_STAGE_B);
}
static int target_active_cd(const synth_row *r)
{
    return !r->churned && (r->stage == SYNTH_STAGE_C || r->stage == SYNTH_STAGE_D);
}
static int target_arpu(const synth_row *r)
{
    return !r->churned && (double)r->arpu >= 20.0 && (double)r->arpu <= 40.0;
}

static void test_forever(void **state)
{
    (void)state;
    lever_counts c = check_rows("hazard_ratio=0.7,stage=D", 60000, target_active_d);
    printf("  for ever, ratio 0.7, stage D: %lld targeted, worst relative gap %.2e\n",
           (long long)c.targeted, c.worst);
    assert_true(c.targeted > 3000);
    assert_int_equal(c.outside, 0);
    /* A lever that raises the hazard (ratio 1.8) on the young stages. */
    c = check_rows("hazard_ratio=1.8,stage=A+B", 30000, target_active_ab);
    printf("  for ever, ratio 1.8, stages A and B: %lld targeted, worst %.2e\n",
           (long long)c.targeted, c.worst);
    assert_true(c.targeted > 3000);
}

static void test_months(void **state)
{
    (void)state;
    lever_counts c = check_rows("hazard_ratio=0.5,months=6", 60000, target_active);
    printf("  6 months, ratio 0.5: %lld targeted, %lld leave within the 6 months, %lld after, "
           "worst relative gap %.2e\n", (long long)c.targeted, (long long)c.inside,
           (long long)c.outside, c.worst);
    assert_true(c.inside > 500 && c.outside > 10000);
    c = check_rows("hazard_ratio=3,months=2.5,stage=C|D", 60000, target_active_cd);
    printf("  2.5 months, ratio 3, stages C and D: %lld targeted, %lld within, %lld after, "
           "worst %.2e\n", (long long)c.targeted, (long long)c.inside, (long long)c.outside,
           c.worst);
    assert_true(c.inside > 200 && c.outside > 10000);
}

static void test_arpu_range(void **state)
{
    (void)state;
    lever_counts c = check_rows("hazard_ratio=0.6,arpu_min=20,arpu_max=40", 30000, target_arpu);
    assert_true(c.targeted > 2000);
    /* The bounds are inclusive, on the float as stored; churned rows never. */
    clm_synth_lever lever = lever_of("hazard_ratio=0.6,arpu_min=20,arpu_max=40,stage=C");
    synth_row r;
    memset(&r, 0, sizeof r);
    r.stage = SYNTH_STAGE_C;
    r.arpu = 20.0f;
    assert_true(synth_lever_targets(&lever, &r));
    r.arpu = 40.0f;
    assert_true(synth_lever_targets(&lever, &r));
    r.arpu = 40.01f;
    assert_false(synth_lever_targets(&lever, &r));
    r.arpu = 19.99f;
    assert_false(synth_lever_targets(&lever, &r));
    r.arpu = 30.0f;
    r.stage = SYNTH_STAGE_D;
    assert_false(synth_lever_targets(&lever, &r));
    r.stage = SYNTH_STAGE_E;
    r.churned = 1;
    lever.stages = 0x1f;   /* even when E is listed */
    assert_false(synth_lever_targets(&lever, &r));
}

/* Ratio 1: the targeted rows are marked, and every value is the original. */
static void test_ratio_one(void **state)
{
    (void)state;
    synth_model *base = make_model(NULL), *levered = make_model("hazard_ratio=1,stage=C+D,months=4");
    int64_t targeted = 0;
    for (int64_t i = 0; i < 40000; i++) {
        synth_row r0, r1;
        synth_row_draw(base, i, &r0);
        synth_row_draw(levered, i, &r1);
        expect_same_row(&r0, &r1);
        assert_int_equal(r1.lever_target, target_active_cd(&r0));
        targeted += r1.lever_target;
        assert_memory_equal(&r0.residual_months, &r1.residual_months, sizeof(float));
        assert_true(r1.lever_lifetime == r0.lifetime);
    }
    assert_true(targeted > 10000);
    synth_model_free(base);
    synth_model_free(levered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_params_check),
        cmocka_unit_test(test_lifetime_hand),
        cmocka_unit_test(test_forever),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_arpu_range),
        cmocka_unit_test(test_ratio_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

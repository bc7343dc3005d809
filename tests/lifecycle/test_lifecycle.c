/*
 * test_lifecycle.c — value tiers, stage rules and health scores on cases
 * small enough to compute by hand, plus the tier quantiles against a full
 * sort on a large random column.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/lifecycle.h"
#include "testutil.h"

static void test_tiers_by_share(void **state)
{
    (void)state;
    clm_tier_params p;
    clm_tier_params_default(&p);
    /* 1..10 shuffled, plus a NaN: 3 low (< 4), 2 high (>= 9). */
    const float arpu[11] = {7, 2, 10, 5, NAN, 1, 9, 3, 8, 6, 4};
    double high_min, low_max;
    assert_int_equal(clm_tier_thresholds(&p, arpu, 11, &high_min, &low_max), CLM_OK);
    assert_float_equal(low_max, 4.0, 0.0);
    assert_float_equal(high_min, 9.0, 0.0);
    uint8_t tier[11];
    clm_tier_assign(high_min, low_max, arpu, 11, tier);
    const uint8_t expected[11] = {CLM_TIER_MEDIUM, CLM_TIER_LOW, CLM_TIER_HIGH, CLM_TIER_MEDIUM, CLM_TIER_MEDIUM,
                                  CLM_TIER_LOW, CLM_TIER_HIGH, CLM_TIER_LOW, CLM_TIER_MEDIUM, CLM_TIER_MEDIUM,
                                  CLM_TIER_MEDIUM};
    assert_memory_equal(tier, expected, 11);

    /* Ties fall to the higher tier: [5,5,5,5,1] -> low_max 5, high_min 5. */
    const float tied[5] = {5, 5, 5, 5, 1};
    assert_int_equal(clm_tier_thresholds(&p, tied, 5, &high_min, &low_max), CLM_OK);
    assert_float_equal(low_max, 5.0, 0.0);
    assert_float_equal(high_min, 5.0, 0.0);
    clm_tier_assign(high_min, low_max, tied, 5, tier);
    const uint8_t tied_expected[5] = {CLM_TIER_HIGH, CLM_TIER_HIGH, CLM_TIER_HIGH, CLM_TIER_HIGH, CLM_TIER_LOW};
    assert_memory_equal(tier, tied_expected, 5);

    /* All NaN: nothing to rank. */
    const float none[2] = {NAN, NAN};
    assert_int_equal(clm_tier_thresholds(&p, none, 2, &high_min, &low_max), CLM_E_EMPTY);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_tiers_match_full_sort(void **state)
{
    (void)state;
    enum { N = 100003 };
    float *arpu = malloc(N * sizeof *arpu), *sorted = malloc(N * sizeof *sorted);
    unsigned s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        arpu[i] = (float)((s >> 8) % 20000) / 100.0f; /* many ties */
        sorted[i] = arpu[i];
    }
    qsort(sorted, N, sizeof *sorted, cmp_float);
    clm_tier_params p;
    clm_tier_params_default(&p);
    p.high_share = 0.15;
    p.low_share = 0.4;
    double high_min, low_max;
    assert_int_equal(clm_tier_thresholds(&p, arpu, N, &high_min, &low_max), CLM_OK);
    assert_float_equal(low_max, sorted[(int)floor(N * 0.4)], 0.0);
    assert_float_equal(high_min, sorted[N - (int)ceil(N * 0.15)], 0.0);
    free(arpu);
    free(sorted);
}

static void test_tier_params(void **state)
{
    (void)state;
    clm_tier_params p;
    clm_tier_params_default(&p);
    assert_float_equal(p.high_share, 0.20, 0.0);
    assert_float_equal(p.low_share, 0.30, 0.0);
    p.high_share = 0.8;
    assert_int_equal(clm_tier_params_check(&p), CLM_E_PARAM);
    p.high_share = -0.1;
    assert_int_equal(clm_tier_params_check(&p), CLM_E_PARAM);
    clm_tier_params_default(&p);
    p.fixed = 1;
    p.high_min = 50;
    p.low_max = 20;
    assert_int_equal(clm_tier_params_check(&p), CLM_OK);
    const float arpu[3] = {10, 20, 50};
    double high_min, low_max;
    uint8_t tier[3];
    assert_int_equal(clm_tier_thresholds(&p, arpu, 3, &high_min, &low_max), CLM_OK);
    clm_tier_assign(high_min, low_max, arpu, 3, tier);
    assert_int_equal(tier[0], CLM_TIER_LOW);
    assert_int_equal(tier[1], CLM_TIER_MEDIUM);
    assert_int_equal(tier[2], CLM_TIER_HIGH);
    p.low_max = 60;
    assert_int_equal(clm_tier_params_check(&p), CLM_E_PARAM);
}

static void test_stage_rules(void **state)
{
    (void)state;
    clm_stage_rules r;
    clm_stage_rules_default(&r);
    assert_int_equal(clm_stage_rules_check(&r), CLM_OK);
    /* The defaults are synth's truth rules (docs/synth.md). */
    assert_float_equal(r.new_months, 4, 0.0);
    assert_float_equal(r.arpu_drop, 0.15, 0.0);
    assert_float_equal(r.arpu_gain, 0.05, 0.0);
    assert_float_equal(r.contact_drop, 0.30, 0.0);
    /* The cases below use round thresholds. */
    r.new_months = 6;
    r.arpu_drop = 0.20;
    r.arpu_gain = 0.10;
    /* Row:        0:E  1:A  2:D(arpu) 3:D(susp) 4:D(down) 5:D(contacts) 6:D(compl) 7:B   8:C   9:C(NaN prev) 10:E beats A */
    const float churned[11] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const float tenure[11] = {30, 2, 30, 30, 30, 30, 30, 30, 30, 30, 1};
    const float arpu[11] = {50, 50, 39, 50, 50, 50, 50, 56, 54, 80, 50};
    const float prev[11] = {50, 50, 50, 50, 50, 50, 50, 50, 50, NAN, 50};
    const float susp[11] = {0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    const float down[11] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    const float cnow[11] = {10, 10, 10, 10, 10, 6, 10, 10, 10, 10, 10};
    const float cprev[11] = {10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10};
    const float compl[11] = {0, 0, 0, 0, 0, 0, 2, 1, 1, 0, 0};
    clm_stage_inputs in = {churned, tenure, arpu, prev, susp, down, cnow, cprev, compl};
    uint8_t stage[11];
    clm_stage_assign(&r, &in, 11, stage);
    const uint8_t expected[11] = {CLM_STAGE_E, CLM_STAGE_A, CLM_STAGE_D, CLM_STAGE_D, CLM_STAGE_D, CLM_STAGE_D,
                                  CLM_STAGE_D, CLM_STAGE_B, CLM_STAGE_C, CLM_STAGE_C, CLM_STAGE_E};
    assert_memory_equal(stage, expected, 11);
    /* 40 = exactly 20% below 50 is not a decline (strict), 55 = exactly +10% is not rising. */
    const float edge_arpu[2] = {40, 55};
    const float edge_prev[2] = {50, 50};
    clm_stage_inputs edge = {churned + 1, tenure + 2, edge_arpu, edge_prev, NULL, NULL, NULL, NULL, NULL};
    clm_stage_assign(&r, &edge, 2, stage);
    assert_int_equal(stage[0], CLM_STAGE_C);
    assert_int_equal(stage[1], CLM_STAGE_C);
    /* Without the optional columns only E, A and C remain. */
    clm_stage_inputs bare = {churned, tenure, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    clm_stage_assign(&r, &bare, 11, stage);
    for (int i = 0; i < 11; i++)
        assert_int_equal(stage[i], i == 0 || i == 10 ? CLM_STAGE_E : i == 1 ? CLM_STAGE_A : CLM_STAGE_C);
    r.arpu_drop = 1.5;
    assert_int_equal(clm_stage_rules_check(&r), CLM_E_PARAM);
}

static void test_health_scores_by_hand(void **state)
{
    (void)state;
    /* Three branches.  Ranks worst->best per metric give scores 0, 50, 100.
     *            s12  churn arpu ltv  ab    chg    d     risk  debt
     *   b0       0.9  0.10  30   300  0.30  0.05   0.10  0.05  0
     *   b1       0.8  0.20  40   300  0.20  0.00   0.20  0.10  0.8
     *   b2       0.7  0.30  50   500  0.10 -0.05   0.30  0.15  0.2
     * retention: b0 (100+100)/2=100, b1 50, b2 0
     * value:     arpu b0 0 b1 50 b2 100; ltv tie b0,b1 -> 25 each, b2 100
     *            b0 12.5, b1 37.5, b2 100
     * growth:    b0 100, b1 50, b2 0;   risk: b0 100, b1 50, b2 0
     * total (0.30, 0.25, 0.20, 0.25):
     *   b0 = 30 + 3.125 + 20 + 25 = 78.125
     *   b1 = 15 + 9.375 + 10 + 12.5 = 46.875
     *   b2 = 0 + 25 + 0 + 0 = 25
     * weakest: b0 value -> up-sell; b1 value (37.5) -> up-sell; b2 retention
     * (0, first of the tied zeros) -> retention. */
    clm_health_metrics m[3] = {
        {100, 0.10, 0.9, 30, 300, 0.30, 0.05, 0.10, 0.05, 0.0},
        {100, 0.20, 0.8, 40, 300, 0.20, 0.00, 0.20, 0.10, 0.8},
        {100, 0.30, 0.7, 50, 500, 0.10, -0.05, 0.30, 0.15, 0.2},
    };
    clm_health_weights w;
    clm_health_weights_default(&w);
    clm_health_result h[3];
    assert_int_equal(clm_health_score(m, 3, &w, h), CLM_OK);
    const double expected[3][4] = {{100, 12.5, 100, 100}, {50, 37.5, 50, 50}, {0, 100, 0, 0}};
    const double totals[3] = {78.125, 46.875, 25};
    for (int b = 0; b < 3; b++) {
        for (int k = 0; k < 4; k++)
            assert_float_equal(h[b].score[k], expected[b][k], 1e-12);
        assert_float_equal(h[b].total, totals[b], 1e-12);
    }
    assert_int_equal(h[0].lever, CLM_LEVER_UPSELL);
    assert_int_equal(h[1].lever, CLM_LEVER_UPSELL);
    assert_int_equal(h[2].lever, CLM_LEVER_RETENTION);
    assert_string_equal(clm_health_lever_names[h[0].lever], "up-sell/cross-sell");

    /* Risk weakest: debt share decides between bad-debt control and win-back. */
    w.weight[CLM_SCORE_RISK] = 1;
    m[0].share_d = 0.5;
    m[0].revenue_at_risk = 0.5;
    m[0].arpu = 60;
    m[0].ltv = 600;
    assert_int_equal(clm_health_score(m, 3, &w, h), CLM_OK);
    assert_float_equal(h[0].score[CLM_SCORE_RISK], 0.0, 0.0);
    assert_int_equal(h[0].weakest, CLM_SCORE_RISK);
    assert_int_equal(h[0].lever, CLM_LEVER_WINBACK);
    m[0].debt_share = 0.6;
    assert_int_equal(clm_health_score(m, 3, &w, h), CLM_OK);
    assert_int_equal(h[0].lever, CLM_LEVER_BAD_DEBT);

    /* One branch: every score 50. */
    assert_int_equal(clm_health_score(m, 1, &w, h), CLM_OK);
    for (int k = 0; k < 4; k++)
        assert_float_equal(h[0].score[k], 50.0, 0.0);
    assert_float_equal(h[0].total, 50.0, 1e-12);

    w.weight[0] = -1;
    assert_int_equal(clm_health_score(m, 3, &w, h), CLM_E_PARAM);
    clm_health_weights_default(&w);
    assert_int_equal(clm_health_score(m, 0, &w, h), CLM_E_PARAM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiers_by_share),
        cmocka_unit_test(test_tiers_match_full_sort),
        cmocka_unit_test(test_tier_params),
        cmocka_unit_test(test_stage_rules),
        cmocka_unit_test(test_health_scores_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

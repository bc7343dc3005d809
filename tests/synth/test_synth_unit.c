/*
 * test_synth_unit.c — the quarter generator's parts: the counter-based
 * generator and its distributions, the independence of rows from threads
 * and blocks, the stage rules on hand-made rows, branch names and sizes,
 * segment profiles, parameter checks, and the library entry point's
 * refusal to overwrite an input.
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
#include "synth/synth_rng.h"
#include "testutil.h"

/* ---- generator and distributions ------------------------------------------ */

static void test_rng_streams(void **state)
{
    (void)state;
    synth_rng a, b, c;
    synth_rng_init(&a, 42, 1000);
    synth_rng_init(&b, 42, 1000);
    synth_rng_init(&c, 42, 1001);
    int equal_neighbour = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = synth_next(&a), y = synth_next(&b), z = synth_next(&c);
        assert_true(x == y);          /* same (seed, row): same stream      */
        equal_neighbour += x == z;    /* next row: an unrelated stream       */
    }
    assert_int_equal(equal_neighbour, 0);
    synth_rng_init(&a, 43, 1000);
    synth_rng_init(&b, 42, 1000);
    assert_true(synth_next(&a) != synth_next(&b));
}

/* Moments of 200,000 draws against the exact values; tolerances are about
 * five standard errors. */
static void test_rng_moments(void **state)
{
    (void)state;
    const int n = 200000;
    double su = 0, su2 = 0, sn = 0, sn2 = 0, sp = 0, sp2 = 0, sl = 0, sbig = 0, se = 0;
    double umin = 1, umax = 0;
    for (int i = 0; i < n; i++) {
        synth_rng rng;
        synth_rng_init(&rng, 7, (uint64_t)i);
        double u = synth_uniform(&rng);
        umin = fmin(umin, u);
        umax = fmax(umax, u);
        su += u;
        su2 += u * u;
        double z = synth_normal(&rng);
        sn += z;
        sn2 += z * z;
        int32_t k = synth_poisson(&rng, 3.5, 1000);
        sp += k;
        sp2 += (double)k * k;
        sl += synth_lognormal1(&rng, 0.5);
        sbig += synth_poisson(&rng, 200.0, 100000);
        se += synth_exponential(&rng);
    }
    assert_true(umin > 0.0 && umax < 1.0);
    assert_true(fabs(su / n - 0.5) < 5 * sqrt(1.0 / 12 / n));
    assert_true(fabs(su2 / n - 1.0 / 3) < 0.004);
    assert_true(fabs(sn / n) < 5 / sqrt(n));
    assert_true(fabs(sn2 / n - 1.0) < 5 * sqrt(2.0 / n));
    double pm = sp / n;
    assert_true(fabs(pm - 3.5) < 5 * sqrt(3.5 / n));
    assert_true(fabs(sp2 / n - pm * pm - 3.5) < 0.05);           /* variance = mean */
    assert_true(fabs(sl / n - 1.0) < 5 * sqrt((exp(0.25) - 1) / n)); /* mean 1 */
    assert_true(fabs(sbig / n - 200.0) < 5 * sqrt(200.0 / n));
    assert_true(fabs(se / n - 1.0) < 5 / sqrt(n));
}

static void test_poisson_edges(void **state)
{
    (void)state;
    synth_rng rng;
    synth_rng_init(&rng, 1, 2);
    assert_int_equal(synth_poisson(&rng, 0.0, 10), 0);
    assert_int_equal(synth_poisson(&rng, -1.0, 10), 0);
    assert_int_equal(synth_poisson(&rng, NAN, 10), 0);
    for (int i = 0; i < 1000; i++) {
        assert_true(synth_poisson(&rng, 25.0, 3) <= 3);    /* cap, small mean */
        assert_true(synth_poisson(&rng, 5000.0, 7) <= 7);   /* cap, large mean */
    }
}

/* ---- rows, blocks, threads ------------------------------------------------ */

static synth_model *make_model(int32_t branches, int32_t segments, uint64_t seed)
{
    clm_synth_params p;
    clm_synth_params_default(&p);
    p.n_branches = branches;
    p.n_segments = segments;
    p.seed = seed;
    synth_model *m = NULL;
    assert_int_equal(synth_model_create(&p, &m), CLM_OK);
    return m;
}

/* The same rows cut into different blocks, with 1 and 2 threads, give the
 * same bytes, and each equals the row drawn alone. */
static void test_blocks_and_threads(void **state)
{
    (void)state;
    synth_model *m = make_model(300, 8, 99);
    const int64_t n = 10007;   /* odd, not a multiple of any block */
    synth_block whole, pieces;
    assert_int_equal(synth_block_alloc(&whole, n), CLM_OK);
    assert_int_equal(synth_block_alloc(&pieces, 777), CLM_OK);
    synth_block_generate(m, &whole, 0, n, 1);
    for (int64_t row0 = 0; row0 < n; row0 += 777) {
        int64_t count = n - row0 < 777 ? n - row0 : 777;
        synth_block_generate(m, &pieces, row0, count, 2);
        for (int c = 0; c < synth_n_columns; c++) {
            size_t w = (size_t)whole.width[c];
            assert_memory_equal((char *)whole.data[c] + w * (size_t)row0,
                                pieces.data[c], w * (size_t)count);
        }
    }
    const int64_t probe[] = {0, 1, 4242, n - 1};
    for (int k = 0; k < 4; k++) {
        synth_row r;
        synth_row_draw(m, probe[k], &r);
        for (int c = 0; c < synth_n_columns; c++) {
            size_t w = (size_t)whole.width[c];
            assert_memory_equal((char *)whole.data[c] + w * (size_t)probe[k],
                                (char *)&r + synth_columns[c].offset, w);
        }
    }
    synth_block_free(&whole);
    synth_block_free(&pieces);
    synth_model_free(m);
}

/* Domain invariants on 20,000 rows: ranges, ids, stage = rule(row). */
static void test_row_invariants(void **state)
{
    (void)state;
    synth_model *m = make_model(50, 8, 3);
    int64_t churned = 0, stage_count[SYNTH_N_STAGES] = {0};
    for (int64_t i = 0; i < 20000; i++) {
        synth_row r;
        synth_row_draw(m, i, &r);
        assert_true(r.subscriber_id == 1000000000LL + i);
        assert_true(r.branch >= 0 && r.branch < 50);
        assert_true(r.segment >= 0 && r.segment < 8);
        assert_true(r.plan >= 0 && r.plan < SYNTH_N_PLANS);
        assert_true(r.tenure_months >= 0 && r.tenure_months < (int)SYNTH_WINDOW_MONTHS);
        assert_true(r.churned == 0 || r.churned == 1);
        assert_true(r.arpu >= 0.0f && r.arpu_prev > 0.0f && isfinite(r.arpu));
        assert_true(r.voice_minutes >= 0 && r.data_mb >= 0 && r.sms_count >= 0);
        assert_true(r.contacts_prev >= 1 && r.contacts_now >= 0);
        assert_true(r.suspension_days >= r.suspensions);      /* >= 2 days each */
        assert_true(r.suspensions > 0 || r.suspension_days == 0);
        assert_true(r.plan != SYNTH_PLAN_PREPAID || r.payment_delay_days == 0);
        assert_true(r.plan == SYNTH_PLAN_PREPAID || r.topups == 0);
        assert_true(r.device_age_months >= 0 && r.device_age_months <= 120);
        assert_int_equal(r.stage, synth_stage_of(&r));
        churned += r.churned;
        stage_count[r.stage]++;
    }
    /* Realistic overall churn, and every stage present. */
    assert_true(churned > 2000 && churned < 6000);
    for (int s = 0; s < SYNTH_N_STAGES; s++)
        assert_true(stage_count[s] > 200);
    synth_model_free(m);
}

/* The rules of docs/synth.md on hand-made rows, in their order. */
static void test_stage_rules(void **state)
{
    (void)state;
    synth_row r;
    memset(&r, 0, sizeof r);
    r.tenure_months = 20;
    r.arpu = 30.0f;
    r.arpu_prev = 30.0f;
    r.contacts_now = 10;
    r.contacts_prev = 10;
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_C);
    r.arpu = 31.6f;                        /* > 1.05 x 30 = 31.5 */
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_B);
    r.arpu = 31.5f;                        /* not strictly above */
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_C);
    r.arpu = 25.4f;                        /* < 0.85 x 30 = 25.5 */
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_D);
    r.arpu = 25.6f;
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_C);
    r.contacts_now = 6;                    /* 60 < 70: lost 40 % of contacts */
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_D);
    r.contacts_now = 7;                    /* 70 < 70 is false: 30 % exactly */
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_C);
    r.suspensions = 1;
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_D);
    r.suspensions = 0;
    r.plan_downgrades = 1;
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_D);
    r.plan_downgrades = 0;
    r.complaints = 1;
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_C);
    r.complaints = 2;
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_D);
    r.tenure_months = 3;                   /* acquisition wins over decline */
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_A);
    r.tenure_months = 4;
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_D);
    r.churned = 1;                         /* exit wins over everything */
    r.tenure_months = 1;
    assert_int_equal(synth_stage_of(&r), SYNTH_STAGE_E);
}

/* ---- model tables --------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_branches(void **state)
{
    (void)state;
    synth_model *m = make_model(300, 8, 1);
    assert_string_equal(m->branch_names[0], "Paris-Centre");
    assert_string_equal(m->branch_names[2], "Lyon-Centre");
    assert_string_equal(m->branch_names[50], "Paris-Nord");
    /* Zipf sizes: share(b) = (b+1)^-0.8 / sum, so share(0)/share(299) = 300^0.8. */
    double first = m->branch_cdf[0];
    double last = m->branch_cdf[299] - m->branch_cdf[298];
    assert_true(fabs(first / last - pow(300.0, 0.8)) < 1e-6 * pow(300.0, 0.8));
    assert_true(m->branch_cdf[299] == 1.0);
    for (int b = 0; b < 300; b++) {
        assert_true(b == 0 || m->branch_cdf[b] > m->branch_cdf[b - 1]);
        assert_true(m->branch_hazard[b] >= -1.0 && m->branch_hazard[b] <= 1.0);
    }
    /* Effects do not depend on the seed (a branch keeps its character). */
    synth_model *m2 = make_model(300, 8, 2);
    assert_memory_equal(m->branch_hazard, m2->branch_hazard, 300 * sizeof(double));
    synth_model_free(m2);
    synth_model_free(m);

    /* 100,000 branches: names stay unique (sorted copy has no repeats). */
    m = make_model(100000, 8, 1);
    char **names = malloc(100000 * sizeof *names);
    assert_non_null(names);
    memcpy(names, m->branch_names, 100000 * sizeof *names);
    qsort(names, 100000, sizeof *names, compare_names);
    for (int b = 1; b < 100000; b++)
        assert_true(strcmp(names[b - 1], names[b]) != 0);
    free(names);
    synth_model_free(m);
}

/* The guide-table inversion gives exactly the binary-search inversion,
 * including at the cdf steps themselves and at the ends of [0, 1). */
static void test_guided_pick(void **state)
{
    (void)state;
    const int32_t sizes[] = {1, 2, 7, 300, 4099};
    for (int k = 0; k < 5; k++) {
        synth_model *m = make_model(sizes[k], 8, 1);
        int32_t n = m->n_branches;
        synth_rng rng;
        synth_rng_init(&rng, 5, (uint64_t)k);
        for (int i = 0; i < 20000; i++) {
            double u = synth_uniform(&rng);
            assert_int_equal(synth_pick_guided(m->branch_cdf, m->branch_guide, n, u),
                             synth_pick(m->branch_cdf, n, u));
        }
        double edges[] = {0.0, 1.0 - 1.0 / 9007199254740992.0, m->branch_cdf[0],
                          m->branch_cdf[n > 1 ? n / 2 : 0], m->branch_cdf[n - 1] - 1e-17};
        for (int e = 0; e < 5; e++)
            if (edges[e] < 1.0)
                assert_int_equal(synth_pick_guided(m->branch_cdf, m->branch_guide, n, edges[e]),
                                 synth_pick(m->branch_cdf, n, edges[e]));
        for (int i = 0; i < 1000; i++) {
            double u = synth_uniform(&rng);
            assert_int_equal(synth_pick_guided(m->segment_cdf, m->segment_guide, 8, u),
                             synth_pick(m->segment_cdf, 8, u));
        }
        synth_model_free(m);
    }
}

static void test_segments(void **state)
{
    (void)state;
    synth_model *m = make_model(10, 20, 1);
    assert_string_equal(m->segments[0].name, "young-data-heavy");
    assert_string_equal(m->segments[8].name, "young-data-heavy-2");
    assert_string_equal(m->segments[17].name, "voice-seniors-3");
    assert_true(m->segment_cdf[19] == 1.0);
    double total = 0.0;
    for (int s = 0; s < 20; s++) {
        total += m->segments[s].weight;
        double plans = 0.0;
        for (int p = 0; p < SYNTH_N_PLANS; p++)
            plans += m->segments[s].plan_prob[p];
        assert_true(fabs(plans - 1.0) < 1e-12);
    }
    assert_true(fabs(total - 1.0) < 1e-12);
    /* A derived segment is a variant: its data level differs from the base. */
    assert_true(m->segments[8].data_mb != m->segments[0].data_mb);
    synth_model_free(m);

    m = make_model(10, 1, 1);
    for (int64_t i = 0; i < 100; i++) {
        synth_row r;
        synth_row_draw(m, i, &r);
        assert_int_equal(r.segment, 0);
    }
    synth_model_free(m);
}

/* ---- parameters and the entry point --------------------------------------- */

static void expect_param_error(const clm_synth_params *p, const char *word)
{
    assert_int_equal(clm_synth_params_check(p), CLM_E_PARAM);
    assert_non_null(strstr(clm_error_detail(), word));
}

static void test_params(void **state)
{
    (void)state;
    clm_synth_params p;
    clm_synth_params_default(&p);
    assert_int_equal(clm_synth_params_check(&p), CLM_OK);
    assert_int_equal(p.n_rows, 1000000);
    assert_int_equal(p.n_branches, 300);
    assert_int_equal(p.n_segments, 8);
    assert_int_equal(p.block_rows, CLM_BLOCK_ROWS);
    p.n_rows = 0;
    expect_param_error(&p, "rows");
    clm_synth_params_default(&p);
    p.n_branches = 0;
    expect_param_error(&p, "branches");
    p.n_branches = 100001;
    expect_param_error(&p, "branches");
    clm_synth_params_default(&p);
    p.n_segments = 65;
    expect_param_error(&p, "segments");
    clm_synth_params_default(&p);
    p.n_threads = -1;
    expect_param_error(&p, "threads");
    clm_synth_params_default(&p);
    p.block_rows = 0;
    expect_param_error(&p, "block_rows");
    assert_int_equal(clm_synth_params_check(NULL), CLM_E_PARAM);
}

/* A small write through the library; then the same path listed as an
 * input is refused and the existing file is left untouched. */
static void test_write_refuses_input(void **state)
{
    (void)state;
    const char *dir = tu_tmpdir("synth_unit_overwrite");
    char path[4096], copy[4096];
    snprintf(path, sizeof path, "%s", tu_path(dir, "q.h5"));
    snprintf(copy, sizeof copy, "%s", tu_path(dir, "copy.h5"));
    clm_synth_params p;
    clm_synth_params_default(&p);
    p.n_rows = 1000;
    p.n_branches = 12;
    assert_int_equal(tu_synth_file(&p, path, NULL), CLM_OK);

    /* The data layer sees the schema of docs/design.md §3: categorical branch and
     * plan with their dictionaries, and the row values of synth_row_draw. */
    clm_table *table = NULL;
    assert_int_equal(clm_table_open(path, NULL, &table), CLM_OK);
    assert_int_equal(clm_table_n_rows(table), 1000);
    int branch = clm_table_find(table, "branch"), plan = clm_table_find(table, "plan");
    int arpu = clm_table_find(table, "arpu");
    assert_true(branch >= 0 && plan >= 0 && arpu >= 0);
    assert_int_equal(clm_table_column(table, branch)->kind, CLM_KIND_CATEGORICAL);
    assert_int_equal(clm_table_column(table, branch)->n_categories, 12);
    assert_string_equal(clm_table_column(table, branch)->categories[1], "Marseille-Centre");
    assert_int_equal(clm_table_column(table, plan)->n_categories, 4);
    assert_string_equal(clm_table_column(table, plan)->categories[3], "contract-24m");
    float arpu_values[1000];
    assert_int_equal(clm_table_read_f32(table, arpu, 0, 1000, arpu_values), CLM_OK);
    synth_model *m = make_model(12, 8, p.seed);
    for (int64_t i = 0; i < 1000; i += 333) {
        synth_row r;
        synth_row_draw(m, i, &r);
        assert_true(arpu_values[i] == r.arpu);
    }
    synth_model_free(m);
    clm_table_close(table);

    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, copy);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);

    const char *inputs[] = {path, NULL};
    p.seed = 5;
    assert_int_equal(tu_synth_file(&p, path, inputs), CLM_E_OVERWRITE);
    assert_true(tu_same_bytes(path, copy));
    assert_int_equal(tu_count_matching(dir, ".tmp"), 0);

    assert_int_equal(clm_synth_write(&p, NULL), CLM_E_PARAM);
    p.n_rows = -5;
    assert_int_equal(tu_synth_file(&p, tu_path(dir, "bad.h5"), NULL), CLM_E_PARAM);
    assert_false(tu_exists(tu_path(dir, "bad.h5")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_streams),
        cmocka_unit_test(test_rng_moments),
        cmocka_unit_test(test_poisson_edges),
        cmocka_unit_test(test_blocks_and_threads),
        cmocka_unit_test(test_row_invariants),
        cmocka_unit_test(test_stage_rules),
        cmocka_unit_test(test_branches),
        cmocka_unit_test(test_guided_pick),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_write_refuses_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

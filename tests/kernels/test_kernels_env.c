/*
 * test_kernels_env.c — CLMSEG_KERNELS=ref, set before the first call of
 * the process, makes the default context the reference one, for the whole
 * process: changing the variable afterwards has no effect (it is read
 * once).  A fit with default parameters then runs the reference kernels.
 * A separate executable because the choice is made once per process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>

#include "clmseg/clmseg.h"
#include "kernels.h"

static void test_env_forces_reference(void **state)
{
    (void)state;
    assert_ptr_equal(clm_kernels_default(), clm_kernels_reference());
    assert_string_equal(clm_kernels_name(NULL), "ref");
    assert_true(clm_kernels_default()->argmin_f32 == clm_k_argmin_f32_ref);
    assert_true(clm_kernels_default()->hist_u8 == clm_k_hist_u8_ref);
    /* read once: unsetting it now changes nothing */
    unsetenv("CLMSEG_KERNELS");
    assert_ptr_equal(clm_kernels_default(), clm_kernels_reference());
}

static void test_fit_runs_on_reference(void **state)
{
    (void)state;
    const float x[8] = {0, 0, 0, 1, 10, 10, 10, 11};
    int32_t labels[4];
    clm_kmeans_params p;
    clm_kmeans_params_default(&p);
    p.k = 2;
    p.n_threads = 1;
    clm_kmeans *m = NULL;
    assert_int_equal(clm_kmeans_create(&p, &m), CLM_OK);
    assert_int_equal(clm_kmeans_fit(m, x, 4, 2, NULL, labels), CLM_OK);
    assert_int_equal(labels[0], labels[1]);
    assert_int_equal(labels[2], labels[3]);
    assert_true(labels[0] != labels[2]);
    /* inertia: each pair is 1 apart, so 2 * (0.5^2 * 2) = 1 */
    assert_true(clm_kmeans_inertia(m) == 1.0);
    clm_kmeans_free(m);
}

int main(void)
{
    /* before any call that could build the contexts */
    setenv("CLMSEG_KERNELS", "ref", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_forces_reference),
        cmocka_unit_test(test_fit_runs_on_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

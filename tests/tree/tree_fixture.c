/*
 * tree_fixture.c — see tree_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "testutil.h"
#include "tree_fixture.h"

const char *tree_python(void)
{
    const char *p = tu_python();
    if (!p)
        fail_msg("Debian python3 with h5py and scikit-learn is required (installed by .ci/setup)");
    return p;
}

char *tree_fixture(const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tree/tree_fixtures.py' %s", tree_python(),
             tu_source_dir(), args);
    char *out = NULL, *err = NULL;
    int rc = tu_run(cmd, &out, &err);
    if (rc != 0)
        fail_msg("%s\n-> exit %d\n%s%s", cmd, rc, out ? out : "", err ? err : "");
    printf("%s", out ? out : "");
    free(err);
    return out;
}

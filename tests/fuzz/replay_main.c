/*
 * replay_main.c — replays a fuzz harness on its seed corpus and on every
 * regression input (tests/fuzz/corpus/<name>/, tests/fuzz/regressions/<name>/)
 * as an ordinary test, so what a fuzzer once found stays fixed in the gcc
 * and sanitizer builds too.  CMake sets FUZZ_DIRS, the folders to replay
 * (relative to tests/fuzz, separated by ':'); each must exist (a README.md
 * keeps an empty regressions folder in git) and together they must hold
 * inputs.  The harness aborts on any broken invariant, failing the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the harness on every file of one folder; returns how many. */
static int replay_folder(const char *folder)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/%s", tu_source_dir(), folder);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".md"))
            continue;
        const char *path = tu_path(dir, e->d_name);
        size_t size = 0;
        char *data = tu_read_file(path, &size);
        if (!data)
            fail_msg("cannot read %s", path);
        LLVMFuzzerTestOneInput((const uint8_t *)data, size);
        free(data);
        n++;
    }
    closedir(d);
    fprintf(stderr, "replayed %d inputs of %s\n", n, dir);
    return n;
}

static void test_replay(void **state)
{
    (void)state;
    char folders[] = FUZZ_DIRS;
    int n_inputs = 0;
    for (char *f = strtok(folders, ":"); f; f = strtok(NULL, ":"))
        n_inputs += replay_folder(f);
    assert_true(n_inputs >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tree_fixture.h — runs tests/tree/tree_fixtures.py (Debian python3 with
 * h5py and scikit-learn) for the tree command tests.
 */
#ifndef CLMSEG_TEST_TREE_FIXTURE_H
#define CLMSEG_TEST_TREE_FIXTURE_H

/* The python to run fixtures with; fails the test when there is none. */
const char *tree_python(void);

/* Runs tree_fixtures.py with `args` (quoted by the caller), prints its
 * stdout and returns it (the caller frees it); fails the test on a
 * non-zero exit. */
char *tree_fixture(const char *args);

#endif

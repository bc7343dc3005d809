/*
 * threads.c — the one rule for "how many threads": a parameter's
 * n_threads when positive, else every core OpenMP offers.  The library
 * passes the result to num_threads() clauses and never calls
 * omp_set_num_threads, so a caller's own OpenMP setting is left alone.
 * Built without OpenMP (the fuzz harnesses), "all cores" is one.
 */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/util_internal.h"

int util_threads(int n)
{
    if (n > 0)
        return n;
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int util_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

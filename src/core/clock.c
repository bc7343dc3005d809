/*
 * clock.c — wall-clock seconds for the timings the library reports
 * (run.json's steps, the scenario projection's parts).
 */
#include <time.h>

#include "core/util_internal.h"

double util_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* version.c — the library version, set by CMake from the project version. */
#include "clmseg/clmseg.h"

const char *clm_version(void)
{
    return CLMSEG_VERSION;
}

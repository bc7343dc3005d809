/* version.c — the library version, from the generated clmseg/version.h. */
#include "clmseg/version.h"

const char *clm_version(void)
{
    return CLMSEG_VERSION_STRING;
}

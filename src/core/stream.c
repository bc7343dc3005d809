/* stream.c — the memory-bandwidth probe (see stream.h). */
#include <string.h>

#include "core/stream.h"

uint64_t stream_read(const void *p, size_t bytes)
{
    const unsigned char *b = p;
    const int64_t words = (int64_t)(bytes / 8);
    uint64_t s = 0;
#pragma omp parallel for schedule(static) reduction(^ : s)
    for (int64_t i = 0; i < words; i++) {
        uint64_t w;
        memcpy(&w, b + i * 8, 8); /* any alignment, no aliasing question */
        s ^= w;
    }
    for (size_t i = (size_t)words * 8; i < bytes; i++)
        s ^= b[i];
    return s;
}

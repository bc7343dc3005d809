/*
 * memory.c — allocation of the large per-row arrays (a column cache, the
 * k-means matrix, the tree's bins: hundreds of MB on a 10M-row quarter).
 *
 * Fresh memory is paid for page by page: on the 10M-row run about one
 * page fault per 4 KiB cost over a second of CPU.  Blocks of 4 MiB and
 * more are aligned to 2 MiB and marked MADV_HUGEPAGE, so the kernel backs
 * them with huge pages where it can (one fault per 2 MiB); elsewhere the
 * hint is a no-op.  The memory is released with free() as usual.
 */
#define _DEFAULT_SOURCE 1 /* madvise and MADV_HUGEPAGE beside POSIX */
#include <stdlib.h>
#include <sys/mman.h>

#include "core/util_internal.h"

enum { BIG = 4 << 20, HUGE_PAGE = 2 << 20 };

void *util_alloc_big(size_t size)
{
    if (size < BIG)
        return malloc(size > 0 ? size : 1);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, size) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, size, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#endif
    return p;
}

/*
 * clmseg/status.h — status codes, error messages and progress reporting.
 *
 * Every public function that can fail returns a clm_status: 0 on success, a
 * negative code otherwise.  Codes come in two groups that map onto the exit
 * codes of the command line (docs/design.md §5):
 *
 *   -1 .. -99    the input or the request is wrong      -> exit 1
 *   -100 ..      a resource or internal failure          -> exit 2
 *
 * Codes are never renumbered.  clm_strerror() gives the fixed text of a
 * code; clm_error_detail() gives the detail of the last failure on the
 * calling thread (which file, which column, which row), so a message can
 * name exactly what was wrong.
 */
#ifndef CLMSEG_STATUS_H
#define CLMSEG_STATUS_H

#include <stdint.h>

#include "clmseg/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clm_status {
    CLM_OK = 0,

    /* Bad input or usage: exit code 1. */
    CLM_E_USAGE = -1,         /* unknown option, missing argument          */
    CLM_E_PARAM = -2,         /* impossible parameter value                */
    CLM_E_OPEN = -3,          /* a file cannot be opened or does not exist  */
    CLM_E_FORMAT = -4,        /* not HDF5 / corrupt file / malformed CSV    */
    CLM_E_SCHEMA = -5,        /* missing column, wrong type or length       */
    CLM_E_VALUE = -6,         /* NaN, negative time, value out of range     */
    CLM_E_OVERWRITE = -7,     /* output would overwrite an input file       */
    CLM_E_EMPTY = -8,         /* no rows, or nothing to work on             */

    /* Resource or internal failure: exit code 2. */
    CLM_E_NOMEM = -100,       /* allocation failed                          */
    CLM_E_IO = -101,          /* read/write/rename failed (disk full, ...)  */
    CLM_E_HDF5 = -102,        /* unexpected failure inside the HDF5 library */
    CLM_E_INTERNAL = -103,    /* broken invariant: a bug in clmseg          */
    CLM_E_INTERRUPTED = -104  /* stopped by a signal                        */
} clm_status;

/* Fixed, static text for a status code ("ok", "bad input: missing or
 * mistyped column", ...).  Never NULL; unknown codes give "unknown error". */
CLM_API const char *clm_strerror(clm_status status);

/* Detail message of the most recent failure recorded on the calling thread,
 * or "" if none.  The pointer stays valid until the next failure on this
 * thread.  Thread-local: failures on other threads do not touch it. */
CLM_API const char *clm_error_detail(void);

/* Records `status` with a printf-style detail message on the calling thread
 * and returns `status`, so that callers can write
 *     return clm_error(CLM_E_SCHEMA, "%s: column '%s' is missing", path, col);
 * Messages longer than 1023 bytes are truncated. */
CLM_API clm_status clm_error(clm_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Clears the calling thread's detail message. */
CLM_API void clm_error_clear(void);

/* Exit code of the command line for a status: 0, 1 (bad input) or 2. */
CLM_API int clm_status_exit_code(clm_status status);

/* Progress callback used by long-running library calls.  `done` of `total`
 * units (rows, usually) of the step named `step` are finished.  Called from
 * the thread that made the library call, never from inside a parallel
 * region; may be NULL in every params struct. */
typedef void (*clm_progress_fn)(void *ctx, const char *step, int64_t done, int64_t total);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_STATUS_H */

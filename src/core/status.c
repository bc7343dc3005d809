/*
 * status.c — the one table of status texts and the per-thread detail
 * message.  The detail buffer is thread-local so that a failure recorded by
 * an OpenMP worker never garbles the message of the main thread.
 */
#include <stdarg.h>
#include <stdio.h>

#include "clmseg/status.h"

static _Thread_local char detail_buffer[1024];

const char *clm_strerror(clm_status status)
{
    switch (status) {
    case CLM_OK:            return "ok";
    case CLM_E_USAGE:       return "bad usage";
    case CLM_E_PARAM:       return "impossible parameter";
    case CLM_E_OPEN:        return "cannot open file";
    case CLM_E_FORMAT:      return "malformed or corrupt file";
    case CLM_E_SCHEMA:      return "missing or mistyped column";
    case CLM_E_VALUE:       return "invalid value";
    case CLM_E_OVERWRITE:   return "output would overwrite an input";
    case CLM_E_EMPTY:       return "no data";
    case CLM_E_NOMEM:       return "out of memory";
    case CLM_E_IO:          return "input/output error";
    case CLM_E_HDF5:        return "HDF5 library error";
    case CLM_E_INTERNAL:    return "internal error";
    case CLM_E_INTERRUPTED: return "interrupted";
    }
    return "unknown error";
}

const char *clm_error_detail(void)
{
    return detail_buffer;
}

clm_status clm_error(clm_status status, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(detail_buffer, sizeof detail_buffer, fmt, args);
    va_end(args);
    return status;
}

void clm_error_clear(void)
{
    detail_buffer[0] = '\0';
}

int clm_status_exit_code(clm_status status)
{
    if (status == CLM_OK)
        return 0;
    return status > -100 ? 1 : 2;
}

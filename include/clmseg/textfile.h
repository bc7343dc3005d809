/*
 * clmseg/textfile.h — writing text outputs (CSV, JSON, rules) safely.
 *
 * Like the HDF5 writer (clmseg/writer.h): the text is written under a
 * temporary name beside the final path ("<name>.tmp.<pid>.<n>") and renamed
 * over it only by clm_textfile_commit(), so a failed or interrupted run
 * never leaves a half-written file; an output naming one of the inputs is
 * refused with CLM_E_OVERWRITE.  The temporary file is registered for
 * clm_writer_install_signal_cleanup().  A textfile is not thread-safe: use
 * one from one thread.
 */
#ifndef CLMSEG_TEXTFILE_H
#define CLMSEG_TEXTFILE_H

#include <stdio.h>

#include "clmseg/export.h"
#include "clmseg/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clm_textfile clm_textfile;

/* Opens a temporary file beside `path` for writing.  `inputs` is a
 * NULL-terminated list of input paths the output must not overwrite (may be
 * NULL).  Errors: CLM_E_OVERWRITE, CLM_E_OPEN (folder missing / not
 * writable), CLM_E_NOMEM. */
CLM_API clm_status clm_textfile_open(const char *path, const char *const *inputs,
                                     clm_textfile **out);

/* The stdio stream to write to; owned by the textfile. */
CLM_API FILE *clm_textfile_stream(clm_textfile *file);

/* Ends the writing of `file`, whose content was written with result
 * `status` (CLM_OK, or the status of the code that wrote it).  When any
 * write to the stream failed, returns CLM_E_IO "cannot write '<path>':
 * <system error>" (in place of the writing code's own report of it); else,
 * when `status` is an error, returns it; else flushes, syncs and closes the
 * file, still under its temporary name, and returns CLM_OK or CLM_E_IO.  A
 * command writing several outputs closes them all before it commits any,
 * so a full disk leaves every final name as it was.  The handle stays:
 * clm_textfile_commit renames it, clm_textfile_abort removes it. */
CLM_API clm_status clm_textfile_close(clm_textfile *file, clm_status status);

/* Closes the file (clm_textfile_close, unless done), renames it over
 * `path`, then frees the handle (also on failure, when the temporary file
 * is removed).  CLM_E_IO if a write failed (disk full), naming the file
 * and the system error, or if the rename fails. */
CLM_API clm_status clm_textfile_commit(clm_textfile *file);

/* Closes and removes the temporary file, discarding what is still
 * buffered, and frees the handle; keeps the error detail of the failure
 * that led to it.  NULL is fine. */
CLM_API void clm_textfile_abort(clm_textfile *file);

#ifdef __cplusplus
}
#endif
#endif /* CLMSEG_TEXTFILE_H */

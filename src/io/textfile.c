/*
 * textfile.c — text outputs (CSV, JSON, rules, HTML) written under a
 * temporary name and renamed when complete.
 *
 * The stream handed out is a stdio stream over our own write function
 * (fopencookie), so the textfile knows the system error of the first
 * failed write (ENOSPC, EFBIG, ...) however much the code writing to it
 * checks: stdio keeps only an error flag, and errno is long gone by the
 * time the writer looks.  Closing flushes, syncs (fsync) and closes, and
 * checks each: a file system that reports a full disk only then (NFS,
 * quotas) is caught before the rename.
 */
#define _GNU_SOURCE 1 /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmseg/textfile.h"
#include "clmseg/writer.h"
#include "io/io_internal.h"

struct clm_textfile {
    FILE *stream;      /* NULL once closed                             */
    int fd;
    int error;         /* errno of the first failed write, or 0        */
    clm_status closed; /* result of clm_textfile_close, once closed    */
    char *path;
    char temp[4096];
};

/* The stream's write function: all of `size` bytes, or records the error
 * (and writes nothing more: the file is lost). */
static ssize_t stream_write(void *cookie, const char *buf, size_t size)
{
    clm_textfile *f = cookie;
    size_t done = 0;
    while (done < size && !f->error) {
        ssize_t n = write(f->fd, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            f->error = n < 0 ? errno : EIO;
        else
            done += (size_t)n;
    }
    return (ssize_t)done;
}

static int stream_close(void *cookie)
{
    (void)cookie; /* the descriptor is closed by close_file */
    return 0;
}

clm_status clm_textfile_open(const char *path, const char *const *inputs, clm_textfile **out)
{
    *out = NULL;
    clm_status status = io_check_inputs(path, inputs);
    if (status != CLM_OK)
        return status;
    clm_textfile *f = calloc(1, sizeof *f);
    if (!f || !(f->path = malloc(strlen(path) + 1))) {
        free(f);
        return clm_error(CLM_E_NOMEM, "out of memory opening '%s'", path);
    }
    strcpy(f->path, path);
    f->fd = -1;
    status = io_temp_name(path, f->temp, sizeof f->temp);
    if (status == CLM_OK) {
        f->fd = open(f->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        const cookie_io_functions_t io = {.write = stream_write, .close = stream_close};
        f->stream = f->fd >= 0 ? fopencookie(f, "w", io) : NULL;
        if (!f->stream) {
            int error = errno;
            status = clm_error(error == ENOSPC || error == EDQUOT || error == ENOMEM ? CLM_E_IO : CLM_E_OPEN,
                               "cannot create '%s' (as '%s'): %s", path, f->temp, strerror(error));
            if (f->fd >= 0) {
                close(f->fd);
                unlink(f->temp);
            }
            io_temp_release(f->temp);
        }
    }
    if (status != CLM_OK) {
        free(f->path);
        free(f);
        return status;
    }
    *out = f;
    return CLM_OK;
}

FILE *clm_textfile_stream(clm_textfile *f)
{
    return f->stream;
}

/* Flushes (when `keep`), syncs and closes; CLM_OK or CLM_E_IO naming the
 * file.  Idempotent. */
static clm_status close_file(clm_textfile *f, int keep)
{
    if (!f->stream)
        return f->closed;
    if (!keep && !f->error)
        f->error = ECANCELED; /* drop what is still buffered */
    int flushed = fflush(f->stream) == 0;
    fclose(f->stream);
    f->stream = NULL;
    if (keep && !f->error && (!flushed || fsync(f->fd) != 0))
        f->error = errno ? errno : EIO;
    if (close(f->fd) != 0 && keep && !f->error)
        f->error = errno;
    f->fd = -1;
    f->closed = CLM_OK;
    if (!keep)
        f->closed = CLM_E_IO; /* no detail: an abort keeps the error that caused it */
    else if (f->error)
        f->closed = clm_error(CLM_E_IO, "cannot write '%s': %s", f->path, strerror(f->error));
    return f->closed;
}

clm_status clm_textfile_close(clm_textfile *f, clm_status status)
{
    if (f->error)
        return close_file(f, 1);
    return status ? status : close_file(f, 1);
}

clm_status io_textfile_commit_as(clm_textfile *f, const char *path)
{
    clm_status status = close_file(f, 1);
    status = status ? (io_temp_discard(f->temp), status) : io_temp_commit(f->temp, path ? path : f->path);
    free(f->path);
    free(f);
    return status;
}

clm_status clm_textfile_commit(clm_textfile *f)
{
    return io_textfile_commit_as(f, NULL);
}

const char *io_textfile_path(const clm_textfile *f)
{
    return f->path;
}

void clm_textfile_abort(clm_textfile *f)
{
    if (!f)
        return;
    close_file(f, 0);
    io_temp_discard(f->temp);
    free(f->path);
    free(f);
}

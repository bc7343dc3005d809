/*
 * textfile.c — text outputs (CSV, JSON, rules) written under a temporary
 * name and renamed when complete.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmseg/textfile.h"
#include "clmseg/writer.h"
#include "io/io_internal.h"

struct clm_textfile {
    FILE *stream;
    char *path;
    char temp[4096];
};

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
    status = io_temp_name(path, f->temp, sizeof f->temp);
    if (status == CLM_OK) {
        f->stream = fopen(f->temp, "wx");
        if (!f->stream) {
            status = clm_error(CLM_E_OPEN, "cannot create '%s': %s", f->temp, strerror(errno));
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

clm_status clm_textfile_commit(clm_textfile *f)
{
    int failed = ferror(f->stream);
    failed |= fclose(f->stream) != 0;
    clm_status status;
    if (failed) {
        status = clm_error(CLM_E_IO, "cannot write '%s': %s", f->path, strerror(errno));
        unlink(f->temp);
        io_temp_release(f->temp);
    } else {
        status = io_temp_commit(f->temp, f->path);
    }
    free(f->path);
    free(f);
    return status;
}

void clm_textfile_abort(clm_textfile *f)
{
    if (!f)
        return;
    fclose(f->stream);
    unlink(f->temp);
    io_temp_release(f->temp);
    free(f->path);
    free(f);
}

/*
 * tempfile.c — temporary output names, the refuse-to-overwrite-input check,
 * and removal of unfinished outputs when the process is interrupted.
 *
 * Outputs are written to "<path>.tmp.<pid>.<n>" in the final folder (so the
 * rename is atomic: same file system) and renamed when complete.  Live
 * temporary names sit in a fixed table that the signal handler can walk
 * without allocating; unlink() is async-signal-safe.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clmseg/writer.h"
#include "io/io_internal.h"

#define MAX_TEMPS 64
#define TEMP_PATH_MAX 4096

static char temp_paths[MAX_TEMPS][TEMP_PATH_MAX];
static volatile sig_atomic_t temp_used[MAX_TEMPS];
static unsigned temp_counter;

static void cleanup_handler(int sig)
{
    for (int i = 0; i < MAX_TEMPS; i++)
        if (temp_used[i])
            unlink(temp_paths[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void clm_writer_install_signal_cleanup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cleanup_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* Folder part of a path ("." when there is none). */
static void folder_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

clm_status io_check_inputs(const char *path, const char *const *inputs)
{
    if (!path || !path[0])
        return clm_error(CLM_E_PARAM, "no output path given");
    if (strlen(path) + 32 >= TEMP_PATH_MAX)
        return clm_error(CLM_E_PARAM, "output path is too long: '%.64s...'", path);
    char folder[TEMP_PATH_MAX];
    folder_of(path, folder, sizeof folder);
    struct stat st;
    if (stat(folder, &st) != 0 || !S_ISDIR(st.st_mode))
        return clm_error(CLM_E_OPEN, "cannot write '%s': folder '%s' does not exist", path, folder);
    struct stat out_st;
    int out_exists = stat(path, &out_st) == 0;
    if (out_exists && S_ISDIR(out_st.st_mode))
        return clm_error(CLM_E_OPEN, "cannot write '%s': it is a folder", path);
    for (int i = 0; inputs && inputs[i]; i++) {
        struct stat in_st;
        int same = !strcmp(inputs[i], path);
        if (!same && out_exists && stat(inputs[i], &in_st) == 0)
            same = in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino;
        if (same)
            return clm_error(CLM_E_OVERWRITE, "refusing to write '%s': it is the input file '%s'", path, inputs[i]);
    }
    return CLM_OK;
}

clm_status io_temp_name(const char *path, char *out, size_t cap)
{
    int slot = -1;
    for (int i = 0; i < MAX_TEMPS; i++)
        if (!temp_used[i]) {
            slot = i;
            break;
        }
    if (slot < 0)
        return clm_error(CLM_E_INTERNAL, "too many outputs open at once (at most %d)", MAX_TEMPS);
    int n = snprintf(temp_paths[slot], TEMP_PATH_MAX, "%s.tmp.%ld.%u", path, (long)getpid(), temp_counter++);
    if (n < 0 || (size_t)n >= cap || n >= TEMP_PATH_MAX)
        return clm_error(CLM_E_PARAM, "output path is too long: '%.64s...'", path);
    memcpy(out, temp_paths[slot], (size_t)n + 1);
    temp_used[slot] = 1;
    return CLM_OK;
}

void io_temp_release(const char *temp_path)
{
    for (int i = 0; i < MAX_TEMPS; i++)
        if (temp_used[i] && !strcmp(temp_paths[i], temp_path)) {
            temp_used[i] = 0;
            return;
        }
}

void io_temp_discard(const char *temp_path)
{
    unlink(temp_path);
    io_temp_release(temp_path);
}

clm_status io_temp_commit(const char *temp_path, const char *path)
{
    clm_status status = CLM_OK;
    if (rename(temp_path, path) != 0) {
        status = clm_error(CLM_E_IO, "cannot rename '%s' to '%s': %s", temp_path, path, strerror(errno));
        unlink(temp_path);
    }
    io_temp_release(temp_path);
    return status;
}

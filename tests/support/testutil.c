/*
 * testutil.c — see testutil.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return (v && v[0]) ? v : fallback;
}

const char *tu_clmseg(void) { return env_or("CLMSEG_BIN", "clmseg"); }
const char *tu_source_dir(void) { return env_or("CLMSEG_SOURCE_DIR", "."); }

static const char *tool(const char *var)
{
    const char *v = getenv(var);
    if (!v || !v[0] || strstr(v, "NOTFOUND"))
        return NULL;
    return v;
}

const char *tu_python(void) { return tool("CLMSEG_PYTHON"); }
const char *tu_rscript(void) { return tool("CLMSEG_RSCRIPT"); }
const char *tu_h5dump(void) { return tool("CLMSEG_H5DUMP"); }

const char *tu_tmpdir(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s.%ld", env_or("CLMSEG_TEST_TMP", "/tmp"), name,
             (long)getpid());
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot create %s\n", buf);
        abort();
    }
    return buf;
}

const char *tu_path(const char *dir, const char *file)
{
    static char bufs[8][4096];
    static int next = 0;
    char *b = bufs[next];
    next = (next + 1) % 8;
    snprintf(b, 4096, "%s/%s", dir, file);
    return b;
}

int tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *tu_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (size)
        *size = n;
    return buf;
}

int tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int tu_same_bytes(const char *a, const char *b)
{
    size_t na, nb;
    char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

const char *tu_first_difference(const char *dir_a, const char *dir_b, const char *const *files, size_t n)
{
    for (size_t f = 0; f < n; f++) {
        char a[8192], b[8192];
        snprintf(a, sizeof a, "%s/%s", dir_a, files[f]);
        snprintf(b, sizeof b, "%s/%s", dir_b, files[f]);
        if (!tu_same_bytes(a, b))
            return files[f];
    }
    return NULL;
}

int tu_same_h5_group(const char *a, const char *b, const char *group, size_t min_length)
{
    if (!tu_h5dump())
        return 0;
    char cmd[16384], *da = NULL, *db = NULL;
    snprintf(cmd, sizeof cmd, "%s -g '%s' '%s' | tail -n +2", tu_h5dump(), group, a);
    int rc = tu_run(cmd, &da, NULL);
    snprintf(cmd, sizeof cmd, "%s -g '%s' '%s' | tail -n +2", tu_h5dump(), group, b);
    rc |= tu_run(cmd, &db, NULL);
    int same = rc == 0 && da && db && strlen(da) >= min_length && !strcmp(da, db);
    free(da);
    free(db);
    return same;
}

int tu_count_matching(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, needle))
            count++;
    closedir(d);
    return count;
}

/* Reads a whole stream into a bounded, NUL-terminated buffer. */
static char *slurp_fd(FILE *f)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return NULL;
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            /* Drain the rest so the child never blocks on a full pipe. */
            char sink[4096];
            while (fread(sink, 1, sizeof sink, f) > 0) {
            }
            break;
        }
    }
    buf[n] = '\0';
    return buf;
}

/* A wait status as a shell reports it: the exit code, or 128 + signal. */
static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int tu_run(const char *command, char **out, char **err)
{
    /* Redirect stderr to a file so stdout and stderr cannot deadlock on
     * two pipes; read stdout through popen. */
    char errpath[] = "/tmp/clmseg-test-err-XXXXXX";
    int efd = mkstemp(errpath);
    if (efd < 0)
        return -1;
    close(efd);
    size_t len = strlen(command) + strlen(errpath) + 16;
    char *full = malloc(len);
    snprintf(full, len, "( %s ) 2>%s", command, errpath);
    FILE *p = popen(full, "r");
    free(full);
    if (!p) {
        unlink(errpath);
        return -1;
    }
    char *o = slurp_fd(p);
    int status = pclose(p);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = tu_read_file(errpath, NULL);
    unlink(errpath);
    return exit_code(status);
}

/* "'<clmseg>' <args>" with the args from a printf format. */
static void clmseg_command(char *cmd, size_t cap, const char *fmt, va_list ap)
{
    char args[8192];
    vsnprintf(args, sizeof args, fmt, ap);
    snprintf(cmd, cap, "'%.4000s' %s", tu_clmseg(), args);
}

int tu_clmseg_run(char **out, char **err, const char *fmt, ...)
{
    char cmd[12400];
    va_list ap;
    va_start(ap, fmt);
    clmseg_command(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, out, err);
}

int tu_clmseg_run_limited(int64_t max_file_bytes, char **err, const char *fmt, ...)
{
    char clmseg[12400], cmd[12500];
    va_list ap;
    va_start(ap, fmt);
    clmseg_command(clmseg, sizeof clmseg, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "exec %s >/dev/null", clmseg);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* stderr is a pipe, which the limit does not touch. */
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit = {(rlim_t)max_file_bytes, (rlim_t)max_file_bytes};
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
            _exit(126);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *p = fdopen(fds[0], "r");
    char *e = p ? slurp_fd(p) : NULL;
    if (p)
        fclose(p);
    else
        close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (err)
        *err = e;
    else
        free(e);
    return exit_code(status);
}

int tu_tuned_slot(const char *slot, int differs)
{
    if (!differs)
        printf("note: the default context has no tuned %s (this CPU lacks its instruction "
               "set, or CLMSEG_KERNELS=ref): comparison skipped\n", slot);
    return differs;
}

clm_status tu_synth_file(const clm_synth_params *params, const char *path, const char *const *inputs)
{
    clm_writer *w = NULL;
    clm_status s = path ? clm_writer_create(path, inputs, &w) : CLM_E_PARAM;
    if (!s)
        s = clm_synth_write(params, w);
    if (s) {
        clm_writer_abort(w);
        return s;
    }
    return clm_writer_commit(w);
}

const struct clm_kernels *tu_tuned, *tu_ref;

int tu_kernels_setup(void **state)
{
    (void)state;
    tu_tuned = clm_kernels_default();
    tu_ref = clm_kernels_reference();
    printf("kernels: default \"%s\", reference \"%s\"\n", clm_kernels_name(tu_tuned),
           clm_kernels_name(tu_ref));
    return 0;
}

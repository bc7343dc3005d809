/*
 * run_publish.c — a run's outputs appear in OUTDIR all at once.
 *
 * Renaming eleven files one after another leaves a moment where OUTDIR
 * holds some files of the new run and some of the old; a SIGKILL there
 * (the other signals are held by run.c) would leave that mix.  So the
 * outputs go into a staging folder beside OUTDIR, ".<name>.publish.<pid>",
 * with hard links to whatever else OUTDIR holds (the user's own files),
 * and one renameat2(RENAME_EXCHANGE) swaps the two folders: before it
 * OUTDIR is the old run, after it the new one.  The old folder, now under
 * the staging name, is then emptied and removed (a killed run's staging
 * folder is removed by the next run: run.c).
 *
 * The swap needs OUTDIR to be a real folder (a symbolic link would be
 * swapped itself), holding no sub-folder (those cannot be hard-linked), on
 * a file system that knows the exchange; otherwise the outputs are renamed
 * into OUTDIR one by one, as before.
 */
#define _GNU_SOURCE /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_internal.h"
#include "run/run_base.h"

const char *const run_output_names[] = {
    "results.h5", "segments.csv", "branches.csv", "warning.csv", "equity.csv", "lifecycle_curves.csv",
    "lifecycle_stages.csv", "regions.csv", "survival_segment.csv", "survival_branch.csv", "tree_rules.txt",
    "report.html", "run.json", "config.used", "scenarios.csv", "scenario_curves.csv", "scenario_levers.csv",
    "scenario.html", "allocation.csv", "allocation_policies.csv", "changes.csv", NULL,
};

/* A run output's final name, or (mine set) the temporary of one that
 * this process writes; another live process's temporary is not ours to
 * drop. */
static int is_run_output(const char *name, int mine)
{
    char own[64];
    snprintf(own, sizeof own, ".tmp.%ld.", (long)getpid());
    for (int k = 0; run_output_names[k]; k++) {
        size_t len = strlen(run_output_names[k]);
        if (strncmp(name, run_output_names[k], len))
            continue;
        if (name[len] == '\0' || (mine && !strncmp(name + len, own, strlen(own))))
            return 1;
    }
    return 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Empties and removes a folder of plain files; 0 on success. */
static int remove_folder(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char path[8192];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(dir);
}

/* OUTDIR's parent folder and the name its staging folders start with,
 * ".<name>.publish." (the pid follows). */
static void staging_parts(const char *outdir, char *parent, size_t pcap, char *prefix, size_t fcap)
{
    char trimmed[4096];
    snprintf(trimmed, sizeof trimmed, "%s", outdir);
    size_t len = strlen(trimmed);
    while (len > 1 && trimmed[len - 1] == '/')
        trimmed[--len] = '\0';
    const char *name = base_name(trimmed);
    if (name == trimmed)
        snprintf(parent, pcap, ".");
    else if (name == trimmed + 1)
        snprintf(parent, pcap, "/");
    else
        snprintf(parent, pcap, "%.*s", (int)(name - trimmed - 1), trimmed);
    snprintf(prefix, fcap, ".%s.publish.", name);
}

/* 1 when the decimal pid at `digits` (ended by `end`) is no live process. */
static int dead_pid(const char *digits, char end)
{
    char *stop = NULL;
    long pid = strtol(digits, &stop, 10);
    return stop != digits && *stop == end && pid > 0 && pid != (long)getpid() &&
           kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void run_remove_leftovers(const char *outdir, FILE *log)
{
    char path[8400];
    DIR *d = opendir(outdir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        for (int k = 0; run_output_names[k]; k++) {
            size_t len = strlen(run_output_names[k]);
            if (strncmp(e->d_name, run_output_names[k], len) || strncmp(e->d_name + len, ".tmp.", 5) ||
                !dead_pid(e->d_name + len + 5, '.'))
                continue;
            snprintf(path, sizeof path, "%s/%s", outdir, e->d_name);
            if (unlink(path) == 0 && log)
                fprintf(log, "removed %s, left by a run that was killed\n", path);
        }
    if (d)
        closedir(d);
    char parent[4096], prefix[4096];
    staging_parts(outdir, parent, sizeof parent, prefix, sizeof prefix);
    const size_t plen = strlen(prefix);
    d = opendir(parent);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, prefix, plen) || !dead_pid(e->d_name + plen, '\0'))
            continue;
        snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
        if (remove_folder(path) == 0 && log)
            fprintf(log, "removed %s, left by a run that was killed\n", path);
    }
    if (d)
        closedir(d);
}

/* Links every file of OUTDIR that is not a run output into `stage`.
 * 1 when all could be, 0 when the swap cannot keep them (a folder, a
 * failed link): then the caller renames one by one. */
static int link_user_files(const char *outdir, const char *stage)
{
    DIR *d = opendir(outdir);
    if (!d)
        return 0;
    int ok = 1;
    char from[8700], to[8700];
    for (struct dirent *e; ok && (e = readdir(d)) != NULL;) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_run_output(e->d_name, 1))
            continue;
        snprintf(from, sizeof from, "%s/%s", outdir, e->d_name);
        snprintf(to, sizeof to, "%s/%s", stage, e->d_name);
        struct stat st;
        ok = lstat(from, &st) == 0 && !S_ISDIR(st.st_mode) && link(from, to) == 0;
    }
    closedir(d);
    return ok;
}

/* The run outputs OUTDIR holds that this run did not write (an optional
 * one, such as equity.csv without the Cox step) are an earlier run's:
 * removed, so they never stand beside the new ones. */
static clm_status remove_unwritten(const char *outdir, char written[][64], int n_written)
{
    char path[4200];
    for (int k = 0; run_output_names[k]; k++) {
        int mine = 0;
        for (int i = 0; i < n_written; i++)
            mine |= !strcmp(written[i], run_output_names[k]);
        snprintf(path, sizeof path, "%s/%s", outdir, run_output_names[k]);
        if (!mine && unlink(path) != 0 && errno != ENOENT)
            return clm_error(CLM_E_IO, "cannot remove the earlier run's '%s': %s", path, strerror(errno));
    }
    return CLM_OK;
}

/* Renames every kept output to `folder`/<its name>. */
static clm_status commit_all(run_outputs *o, const char *folder)
{
    clm_status status = CLM_OK;
    char path[8700];
    if (o->results) {
        snprintf(path, sizeof path, "%s/%s", folder, base_name(io_writer_path(o->results)));
        status = io_writer_commit_as(o->results, path);
        o->results = NULL;
    }
    for (int i = 0; i < o->n_text && !status; i++) {
        snprintf(path, sizeof path, "%s/%s", folder, base_name(io_textfile_path(o->text[i])));
        status = io_textfile_commit_as(o->text[i], path);
        o->text[i] = NULL;
    }
    run_outputs_discard(o);
    return status;
}

clm_status run_outputs_publish(run_outputs *o, const char *outdir)
{
    char written[RUN_MAX_OUTPUTS + 1][64];
    int n_written = 0;
    if (o->results)
        snprintf(written[n_written++], 64, "%s", base_name(io_writer_path(o->results)));
    for (int i = 0; i < o->n_text; i++)
        snprintf(written[n_written++], 64, "%s", base_name(io_textfile_path(o->text[i])));
    char parent[4096], prefix[4096], stage[8400];
    staging_parts(outdir, parent, sizeof parent, prefix, sizeof prefix);
    snprintf(stage, sizeof stage, "%s/%s%ld", parent, prefix, (long)getpid());
    struct stat st;
    int swap = lstat(outdir, &st) == 0 && S_ISDIR(st.st_mode) && mkdir(stage, 0700) == 0;
    if (swap) {
        (void)chmod(stage, st.st_mode & 07777); /* OUTDIR keeps its permissions */
        if (!link_user_files(outdir, stage)) {
            remove_folder(stage);
            swap = 0;
        }
    }
    if (!swap) {
        clm_status status = commit_all(o, outdir);
        return status ? status : remove_unwritten(outdir, written, n_written);
    }
    clm_status status = commit_all(o, stage);
    if (status) {
        remove_folder(stage); /* OUTDIR was not touched */
        return status;
    }
    if (renameat2(AT_FDCWD, stage, AT_FDCWD, outdir, RENAME_EXCHANGE) == 0) {
        remove_folder(stage); /* the old folder; a failure only leaves it for the next run */
        return CLM_OK;
    }
    /* No exchange here (an old kernel, a file system without it): move the
     * outputs over one by one, then drop the staging links. */
    int err = errno;
    DIR *d = opendir(stage);
    char from[8700], to[8700];
    for (struct dirent *e; d && !status && (e = readdir(d)) != NULL;) {
        if (!is_run_output(e->d_name, 0))
            continue;
        snprintf(from, sizeof from, "%s/%s", stage, e->d_name);
        snprintf(to, sizeof to, "%s/%s", outdir, e->d_name);
        if (rename(from, to) != 0)
            status = clm_error(CLM_E_IO, "cannot rename '%s' to '%s': %s (after the folder swap "
                               "failed: %s)", from, to, strerror(errno), strerror(err));
    }
    if (d)
        closedir(d);
    remove_folder(stage);
    return status ? status : remove_unwritten(outdir, written, n_written);
}

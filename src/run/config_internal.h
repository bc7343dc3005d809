/*
 * config_internal.h — the run's configuration: an INI-style file of
 * [section] key = value lines, overridden by command-line settings, with
 * every key known in advance so that a typo is an error, not a silently
 * ignored line.
 */
#ifndef CLMSEG_CONFIG_INTERNAL_H
#define CLMSEG_CONFIG_INTERNAL_H

#include <stdio.h>

#include "clmseg/status.h"

typedef struct cfg_config cfg_config;

/* A known key: "section.key", its default as text, and a one-line help. */
typedef struct cfg_key {
    const char *name;
    const char *default_value;
    const char *help;
} cfg_key;

/* Creates a configuration holding the defaults of `keys` (NULL-terminated
 * by a key with name NULL).  The key table must outlive the config. */
clm_status cfg_create(const cfg_key *keys, cfg_config **out);
void cfg_free(cfg_config *config);

/* Reads an INI file: "[section]" headers, "key = value" lines, '#' or ';'
 * comments, blank lines.  Unknown sections or keys, lines without '=',
 * and keys outside a section are CLM_E_FORMAT naming file and line.
 * Values may be quoted with double quotes to keep spaces. */
clm_status cfg_read(cfg_config *config, const char *path);

/* Sets "section.key=value" (a command-line override).  CLM_E_USAGE for an
 * unknown key or a missing '='.  `origin` (e.g. "--set" or "--k") is named
 * in messages. */
clm_status cfg_set(cfg_config *config, const char *assignment, const char *origin);
clm_status cfg_set_value(cfg_config *config, const char *name, const char *value, const char *origin);

/* Typed getters of "section.key".  Conversion errors are CLM_E_PARAM naming
 * the key and where its value came from (file:line, flag, or default). */
const char *cfg_string(const cfg_config *config, const char *name);
clm_status cfg_double(const cfg_config *config, const char *name, double min, double max, double *out);
clm_status cfg_int(const cfg_config *config, const char *name, long long min, long long max,
                          long long *out);
clm_status cfg_bool(const cfg_config *config, const char *name, int *out);

/* Writes every key with its value and origin, as a file cfg_read
 * accepts (config.used). */
void cfg_write(const cfg_config *config, FILE *out);

#endif /* CLMSEG_CONFIG_INTERNAL_H */

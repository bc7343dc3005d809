/*
 * util_internal.h — small helpers every module needs once: string copies,
 * the comma-list splitter, paths beside an output file, CSV field quoting,
 * the thread-count rule, the block-length rule and the splitmix64 mixer.
 *
 * Internal only (never installed, no clm_ prefix).  Each helper lives in a
 * file with one job: strings.c (copies, lists, paths), csv_field.c (CSV
 * quoting), threads.c; the two arithmetic ones are static inline here
 * because they sit in hot loops;
 * format.c writes numbers as text, order.c sorts keys.
 */
#ifndef CLMSEG_CORE_UTIL_INTERNAL_H
#define CLMSEG_CORE_UTIL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "clmseg/status.h"

/* A malloc'd copy of the NUL-terminated `text`; NULL when `text` is NULL
 * or memory runs out.  The caller frees it. */
char *util_strdup(const char *text);

/* A malloc'd, NUL-terminated copy of the first `length` bytes of `text`
 * (which need not be terminated); NULL when memory runs out. */
char *util_strndup(const char *text, size_t length);

/* Splits the comma-separated `text` into its items, each trimmed of
 * spaces and tabs; empty items are dropped ("a, b,,c " gives a, b, c).
 * Returns a NULL-terminated array of the items in ONE allocation (the
 * pointers and the copied characters together; free() it once), or NULL
 * when memory runs out or `text` is NULL.  *count (may be NULL) gets the
 * number of items.  Reentrant: `text` is not modified, no strtok. */
char **util_split_list(const char *text, int *count);

/* Writes `text` (not NULL) as one CSV field (RFC 4180, src/core/
 * csv_field.c): as it is, or in double quotes with each quote doubled when
 * it holds a comma, a quote or a line break.  util_csv_field_quoted
 * always quotes (equity.csv quotes every name, and keeps doing so). */
void util_csv_field(FILE *out, const char *text);
void util_csv_field_quoted(FILE *out, const char *text);

/* Monotonic wall-clock seconds (src/core/clock.c). */
double util_now(void);

/* Trims spaces at both ends in place; returns the first non-space. */
char *util_trim(char *s);

/* Reads an INI file (src/core/ini.c): for every "[section]" line
 * fn(ctx, section, NULL, NULL, line), for every "key = value" line
 * fn(ctx, section, key, value, line) with the current section ("" before
 * any), the value unquoted.  Blank lines and '#'/';' comments are skipped.
 * Stops at the first non-OK status, from fn or its own (a missing file, a
 * folder, a line over 4,095 bytes, a malformed header, a line without
 * '='; each names `what` or path:line). */
typedef clm_status (*util_ini_fn)(void *ctx, const char *section, const char *key, const char *value,
                                  int line);
clm_status util_ini_read(const char *path, const char *what, util_ini_fn fn, void *ctx);

/* "<folder of output>/<name>", malloc'd: the path of a side file written
 * beside `output` ("out/res.h5", "tree.json" -> "out/tree.json"; "res.h5",
 * "tree.json" -> "tree.json").  NULL when memory runs out. */
char *util_path_beside(const char *output, const char *name);

/* The thread count a parameter asks for: n when n > 0, else (0 = all
 * cores) omp_get_max_threads().  Reads, never sets, OpenMP state. */
int util_threads(int n);
/* The calling thread's number in its OpenMP team (0 without OpenMP). */
int util_thread_id(void);

/* malloc() for large per-row arrays: blocks of 4 MiB and more are 2 MiB
 * aligned and hinted for huge pages (src/core/memory.c).  free() it.
 * NULL when memory runs out. */
void *util_alloc_big(size_t size);

/* Bytes util_format_g17 may write, the NUL included. */
#define UTIL_G17_SIZE 32

/* Writes `value` into `out` (UTIL_G17_SIZE bytes) exactly as
 * snprintf(out, size, "%.17g", value) does (glibc, default rounding mode),
 * about ten times faster; returns the length written (the NUL not
 * counted).  Thread-safe, no allocation (src/core/format.c). */
int util_format_g17(double value, char *out);

/* order[0..n) gets 0..n-1 sorted by key[] ascending, equal keys in index
 * order (a stable sort).  Keys must not be NaN.  0, or -1 when memory
 * runs out (order untouched).  src/core/order.c. */
int util_order_by_key(const double *key, int n, int *order);

/* Moves the element of rank k of x[lo..hi] to x[k], nothing larger before
 * it and nothing smaller after (selection, O(n) expected); no NaN in x.
 * (The float tier thresholds count the values' bits instead, so that the
 * ranks can share the counts: comm_select_f32, rank_select.c.) */
void util_select_kth_f64(double *x, int64_t lo, int64_t hi, int64_t k);

/* The p-quantile of x[0..n) as run_quantile_sorted gives it on the sorted
 * array (linear between the order statistics around (n - 1) p, R's type
 * 7), the same value, found by selection in O(n): x is reordered.  NaN
 * when n is 0; no NaN in x. */
double util_quantile_select(double *x, int64_t n, double p);

/* Standard normal quantile, to full double precision (distributions.c). */
double util_qnorm(double p);
/* Upper tail of the chi-square distribution with df degrees of freedom. */
double util_chisq_upper(double x, int df);

/* Rows of the block that starts at row0 of n_rows when blocks hold
 * `block` rows: min(block, n_rows - row0). */
static inline int64_t util_block_len(int64_t n_rows, int64_t row0, int64_t block)
{
    return n_rows - row0 < block ? n_rows - row0 : block;
}

/* The golden-ratio increment of splitmix64. */
#define UTIL_SPLITMIX_GAMMA 0x9E3779B97F4A7C15ULL

/* splitmix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit
 * mix with full avalanche. */
static inline uint64_t util_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* One splitmix64 output for counter x: the mix of x + gamma.  As a
 * counter-based generator, util_splitmix64(seed + i * gamma) is the i-th
 * draw of the stream of `seed`. */
static inline uint64_t util_splitmix64(uint64_t x)
{
    return util_mix64(x + UTIL_SPLITMIX_GAMMA);
}

/* A keyed pseudo-random permutation of [0, n) (n <= 2^62), each image in
 * O(1) without building the permutation (src/core/permute.c): the same
 * image of i for the same (n, seed) on every rank and thread. */
typedef struct util_permutation {
    uint64_t n;
    int bits;          /* the Feistel domain's bits: 2^bits >= n */
    int rounds;        /* even */
    uint64_t key[12];  /* the rounds' keys */
} util_permutation;

void util_permutation_init(util_permutation *p, uint64_t n, uint64_t seed);
/* The image of i < n. */
uint64_t util_permutation_at(const util_permutation *p, uint64_t i);

#endif /* CLMSEG_CORE_UTIL_INTERNAL_H */

/*
 * test_survival_ref.c — `clmseg survival` end to end against R.
 *
 * Fixtures are built by make_fixtures.py (h5py) from the telco sample and
 * the hand cases; golden figures come from R's survival package
 * (golden/make_golden.R, command in its header).  Checked:
 *   - telco by contract, hand cases (integer months, as int32 and float64
 *     times) and continuous-time cases: time, at risk, events, censored, S,
 *     std.err, bands (log, log-log, plain), cumulative hazard: 1e-9
 *     relative; median and CI, RMST, S at 6/12/24/36, ARPU, LTV curve:
 *     1e-9 relative; log-rank chi-square: 1e-6 relative;
 *   - --threads 1 vs 2: identical CSV bytes and identical /survival dumps;
 *   - --by segment --results: the same curves as --by contract;
 *   - bad input (negative time, NaN, event 2, missing column, short
 *     segment labels, unknown level): exit 1, message naming file, column
 *     and row, no output left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static const char *dir;

/* ---- tiny CSV reader (no embedded commas in these files) --------------- */

typedef struct csv {
    int n_rows, n_cols;
    char **cells; /* n_rows x n_cols, row 0 = header */
    char *text;
} csv;

static void csv_load(csv *c, const char *path)
{
    c->text = tu_read_file(path, NULL);
    if (!c->text)
        fail_msg("cannot read %s", path);
    int cap = 1 << 16;
    c->cells = malloc((size_t)cap * sizeof *c->cells);
    c->n_rows = 0;
    c->n_cols = 0;
    int n = 0;
    char *line = c->text;
    while (line && *line) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        int cols = 0;
        for (char *cell = line;; cols++) {
            char *comma = strchr(cell, ',');
            if (comma)
                *comma = '\0';
            size_t len = strlen(cell);
            if (len >= 2 && cell[0] == '"' && cell[len - 1] == '"') {
                cell[len - 1] = '\0';
                cell++;
            }
            if (n == cap) {
                cap *= 2;
                c->cells = realloc(c->cells, (size_t)cap * sizeof *c->cells);
            }
            c->cells[n++] = cell;
            if (!comma)
                break;
            cell = comma + 1;
        }
        cols++;
        if (c->n_rows == 0)
            c->n_cols = cols;
        else if (cols != c->n_cols)
            fail_msg("%s: row %d has %d cells, header %d", path, c->n_rows, cols, c->n_cols);
        c->n_rows++;
        line = next;
    }
}

static void csv_free(csv *c)
{
    free(c->cells);
    free(c->text);
}

static int csv_col(const csv *c, const char *name)
{
    for (int j = 0; j < c->n_cols; j++)
        if (!strcmp(c->cells[j], name))
            return j;
    fail_msg("no column %s", name);
    return -1;
}

static const char *cell(const csv *c, int row, int col)
{
    return c->cells[row * c->n_cols + col];
}

static double num(const char *s)
{
    if (!strcmp(s, "NA") || !s[0])
        return NAN;
    if (!strcmp(s, "Inf"))
        return INFINITY;
    return strtod(s, NULL);
}

static void check_close(double got, double want, double rel, const char *what, const char *where)
{
    if (isnan(want) && isnan(got))
        return;
    if (isinf(want) && got == want)
        return;
    double err = fabs(got - want);
    if (!(err <= rel * fabs(want)) && !(want == 0.0 && err <= 1e-300))
        fail_msg("%s %s: got %.17g, R %.17g (relative %.3g)", what, where, got, want,
                 err / fabs(want));
}

/* ---- running ------------------------------------------------------------ */

static void run_ok(const char *args)
{
    char *out = NULL, *err = NULL;
    int rc = tu_clmseg_run(&out, &err, "survival %s", args);
    if (rc != 0)
        fail_msg("clmseg survival %s -> %d\n%s%s", args, rc, out ? out : "", err ? err : "");
    free(out);
    free(err);
}

static void make_fixtures(void)
{
    const char *python = tu_python();
    if (!python)
        fail_msg("Debian python3 with h5py not found (the test command installs it)");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s/tests/survival/make_fixtures.py %s %s", python,
             tu_source_dir(), tu_source_dir(), dir);
    char *out = NULL, *err = NULL;
    int rc = tu_run(cmd, &out, &err);
    if (rc != 0)
        fail_msg("%s -> %d\n%s%s", cmd, rc, out ? out : "", err ? err : "");
    free(out);
    free(err);
}

static int setup(void **state)
{
    (void)state;
    dir = tu_tmpdir("survival_ref");
    make_fixtures();
    return 0;
}

static const char *golden(const char *file)
{
    static char path[4][4096];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/tests/survival/golden/%s", tu_source_dir(), file);
    return path[k];
}

/* Compares our survival.csv with R's NAME_curves.csv (bands of `band`:
 * "" for log, "_loglog", "_plain"). */
static void compare_curves(const char *ours_path, const char *name, const char *band)
{
    char gname[256];
    snprintf(gname, sizeof gname, "%s_curves.csv", name);
    csv ours, ref;
    csv_load(&ours, ours_path);
    csv_load(&ref, golden(gname));
    assert_int_equal(ours.n_rows, ref.n_rows);
    char lo[32], up[32];
    snprintf(lo, sizeof lo, "lower%s", band);
    snprintf(up, sizeof up, "upper%s", band);
    const char *pairs[][2] = {{"time", "time"},     {"at_risk", "n_risk"}, {"events", "n_event"},
                              {"censored", "n_censor"}, {"survival", "surv"}, {"std_err", "std_err"},
                              {"lower", lo},        {"upper", up},         {"cumhaz", "cumhaz"}};
    int s_o = csv_col(&ours, "stratum"), s_r = csv_col(&ref, "stratum");
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        int co = csv_col(&ours, pairs[k][0]), cr = csv_col(&ref, pairs[k][1]);
        for (int r = 1; r < ours.n_rows; r++) {
            char where[256];
            snprintf(where, sizeof where, "%s row %d (%s, t=%s)", name, r, cell(&ref, r, s_r),
                     cell(&ref, r, csv_col(&ref, "time")));
            if (strcmp(cell(&ours, r, s_o), cell(&ref, r, s_r)))
                fail_msg("%s: stratum %s vs %s", where, cell(&ours, r, s_o), cell(&ref, r, s_r));
            check_close(num(cell(&ours, r, co)), num(cell(&ref, r, cr)), 1e-9, pairs[k][0], where);
        }
    }
    csv_free(&ours);
    csv_free(&ref);
}

static double attr_f64(hid_t file, const char *obj, const char *name)
{
    double v = NAN;
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        fail_msg("no attribute %s on %s", name, obj);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
    H5Aclose(a);
    return v;
}

static void attr_f64_array(hid_t file, const char *obj, const char *name, double *out)
{
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        fail_msg("no attribute %s on %s", name, obj);
    assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, out) >= 0);
    H5Aclose(a);
}

/* A whole dataset as doubles (integers converted); *count gets its number
 * of values.  malloc'd. */
static double *read_all_f64(hid_t file, const char *path, int64_t *count)
{
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0)
        fail_msg("no dataset %s", path);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    double *out = malloc((size_t)(n > 0 ? n : 1) * sizeof *out);
    assert_non_null(out);
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    if (count)
        *count = (int64_t)n;
    return out;
}

/* The index of `label` in the 1-D string dataset GROUP/label. */
static int64_t stratum_index(hid_t file, const char *group, const char *label)
{
    char path[600];
    snprintf(path, sizeof path, "%s/label", group);
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0)
        fail_msg("no dataset %s", path);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    char **labels = malloc((size_t)(n > 0 ? n : 1) * sizeof *labels);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    assert_true(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels) >= 0);
    int64_t found = -1;
    for (hssize_t i = 0; i < n; i++)
        if (found < 0 && !strcmp(labels[i], label))
            found = (int64_t)i;
    H5Dvlen_reclaim(type, sp, H5P_DEFAULT, labels);
    free(labels);
    H5Tclose(type);
    H5Sclose(sp);
    H5Dclose(d);
    if (found < 0)
        fail_msg("no stratum '%s' in %s", label, path);
    return found;
}

/* Value `index` of the per-stratum dataset GROUP/NAME. */
static double stratum_value(hid_t file, const char *group, const char *name, int64_t index)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", group, name);
    int64_t n = 0;
    double *all = read_all_f64(file, path, &n);
    assert_true(index < n);
    double v = all[index];
    free(all);
    return v;
}

/* Medians, RMST, S at horizons, ARPU and LTV vs R's summary and ltv files,
 * read from the long layout (one dataset per figure, a row per stratum);
 * `band` picks the median CI columns; log-rank vs R at 1e-6.  Also checks
 * the index: offset and n_times cut the per-time datasets into the strata,
 * whose at-risk counts start at n_rows. */
static void compare_summary(const char *h5, const char *by, const char *name, const char *band)
{
    char gname[256];
    snprintf(gname, sizeof gname, "%s_summary.csv", name);
    csv ref, ltv, lr;
    csv_load(&ref, golden(gname));
    snprintf(gname, sizeof gname, "%s_ltv.csv", name);
    csv_load(&ltv, golden(gname));
    snprintf(gname, sizeof gname, "%s_logrank.csv", name);
    csv_load(&lr, golden(gname));
    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    char col_med[32], col_lcl[32], col_ucl[32];
    snprintf(col_med, sizeof col_med, "median%s", !strcmp(band, "_plain") ? "" : band);
    snprintf(col_lcl, sizeof col_lcl, "lcl%s", band);
    snprintf(col_ucl, sizeof col_ucl, "ucl%s", band);
    for (int r = 1; r < ref.n_rows; r++) {
        const char *label = cell(&ref, r, 0);
        char group[512], where[1024];
        if (!strcmp(label, "all"))
            snprintf(group, sizeof group, "/survival/all");
        else
            snprintf(group, sizeof group, "/survival/%s", by);
        int64_t k = stratum_index(f, group, label);
        snprintf(where, sizeof where, "%s %s[%s]", name, group, label);
        const struct {
            const char *dataset, *column;
            double rel;
        } figures[] = {{"n_rows", "n", 0},          {"n_events", "events", 0},  {"median", col_med, 1e-9},
                       {"median_lower", col_lcl, 1e-9}, {"median_upper", col_ucl, 1e-9}, {"rmst", "rmst", 1e-9},
                       {"arpu_mean", "arpu", 1e-12}};
        for (size_t q = 0; q < sizeof figures / sizeof figures[0]; q++)
            check_close(stratum_value(f, group, figures[q].dataset, k),
                        num(cell(&ref, r, csv_col(&ref, figures[q].column))), figures[q].rel, figures[q].dataset,
                        where);
        /* The per-time datasets of this stratum: at risk starts at n. */
        char path[600];
        snprintf(path, sizeof path, "%s/at_risk", group);
        int64_t n_entries = 0;
        double *at_risk = read_all_f64(f, path, &n_entries);
        int64_t first = (int64_t)stratum_value(f, group, "offset", k);
        int64_t n_times = (int64_t)stratum_value(f, group, "n_times", k);
        assert_true(n_times > 0 && first + n_times <= n_entries);
        check_close(at_risk[first], num(cell(&ref, r, csv_col(&ref, "n"))), 0, "at_risk[offset]", where);
        free(at_risk);
        /* S at 6, 12, 24, 36: row k of the [stratum x at] table. */
        int64_t n_at = 0;
        snprintf(path, sizeof path, "%s/survival_at", group);
        double *s_at = read_all_f64(f, path, &n_at);
        const char *at_cols[] = {"s6", "s12", "s24", "s36"};
        int64_t strata = (int64_t)n_at / 4;
        assert_true(n_at == strata * 4 && k < strata);
        for (int q = 0; q < 4; q++)
            check_close(s_at[k * 4 + q], num(cell(&ref, r, csv_col(&ref, at_cols[q]))), 1e-9, at_cols[q], where);
        free(s_at);
        /* LTV curve: row k of the [stratum x horizon + 1] table. */
        int64_t n_ltv = 0;
        snprintf(path, sizeof path, "%s/ltv", group);
        double *values = read_all_f64(f, path, &n_ltv);
        int64_t months = n_ltv / strata;
        assert_true(months * strata == n_ltv);
        int seen = 0;
        for (int q = 1; q < ltv.n_rows; q++) {
            if (strcmp(cell(&ltv, q, 0), label))
                continue;
            int month = atoi(cell(&ltv, q, 1));
            assert_true(month < months);
            check_close(values[k * months + month], num(cell(&ltv, q, 2)), 1e-9, "ltv", where);
            seen++;
        }
        assert_int_equal(seen, months);
        free(values);
    }
    char obj[256];
    snprintf(obj, sizeof obj, "/survival/%s", by);
    check_close(attr_f64(f, obj, "logrank_chisq"), num(cell(&lr, 1, 0)), 1e-6, "chisq", name);
    check_close(attr_f64(f, obj, "logrank_df"), num(cell(&lr, 1, 1)), 0, "df", name);
    double p = attr_f64(f, obj, "logrank_p"), p_ref = num(cell(&lr, 1, 2));
    if (!(fabs(p - p_ref) <= 1e-6 * fmax(p_ref, 1e-300) || (p_ref == 0.0 && p < 1e-300)))
        fail_msg("%s: p %.17g vs R %.17g", name, p, p_ref);
    double at[4];
    attr_f64_array(f, obj, "at", at);
    assert_true(at[0] == 6 && at[1] == 12 && at[2] == 24 && at[3] == 36);
    H5Fclose(f);
    csv_free(&ref);
    csv_free(&ltv);
    csv_free(&lr);
}

static void test_telco_by_contract(void **state)
{
    (void)state;
    const char *bands[][2] = {{"log", ""}, {"log-log", "_loglog"}, {"plain", "_plain"}};
    for (int b = 0; b < 3; b++) {
        char args[4096];
        snprintf(args, sizeof args,
                 "'%s' -o '%s' --csv '%s' --time tenure --event churn --event-level Yes "
                 "--by contract --margin 0.3 --discount 0.1 --horizon 60 --conf-type %s --quiet",
                 tu_path(dir, "telco.h5"), tu_path(dir, "telco_out.h5"),
                 tu_path(dir, "telco.csv"), bands[b][0]);
        run_ok(args);
        compare_curves(tu_path(dir, "telco.csv"), "telco", bands[b][1]);
        compare_summary(tu_path(dir, "telco_out.h5"), "contract", "telco", bands[b][1]);
        unlink(tu_path(dir, "telco_out.h5"));
    }
}

static void test_hand_cases(void **state)
{
    (void)state;
    const char *inputs[][2] = {{"hand.h5", "hand"}, {"hand_int.h5", "hand"},
                               {"hand_cont.h5", "hand_cont"}};
    const char *bands[][2] = {{"log", ""}, {"log-log", "_loglog"}, {"plain", "_plain"}};
    for (int i = 0; i < 3; i++) {
        int cont = !strcmp(inputs[i][1], "hand_cont");
        for (int b = 0; b < 3; b++) {
            char args[4096];
            snprintf(args, sizeof args,
                     "'%s' -o '%s' --csv '%s' --time time --event event --by case "
                     "--horizon %d --margin %s --discount %s --conf-type %s --quiet",
                     tu_path(dir, inputs[i][0]), tu_path(dir, "hand_out.h5"),
                     tu_path(dir, "hand.csv"), cont ? 5 : 12, cont ? "0.5" : "1",
                     cont ? "0" : "0.05", bands[b][0]);
            run_ok(args);
            compare_curves(tu_path(dir, "hand.csv"), inputs[i][1], bands[b][1]);
            compare_summary(tu_path(dir, "hand_out.h5"), "case", inputs[i][1], bands[b][1]);
            unlink(tu_path(dir, "hand_out.h5"));
        }
    }
}

static void test_threads_identical(void **state)
{
    (void)state;
    for (int t = 1; t <= 2; t++) {
        char args[4096];
        snprintf(args, sizeof args,
                 "'%s' -o '%s' --csv '%s' --time tenure --event churned --by contract "
                 "--threads %d --quiet",
                 tu_path(dir, "telco.h5"), tu_path(dir, t == 1 ? "t1.h5" : "t2.h5"),
                 tu_path(dir, t == 1 ? "t1.csv" : "t2.csv"), t);
        run_ok(args);
    }
    assert_true(tu_same_bytes(tu_path(dir, "t1.csv"), tu_path(dir, "t2.csv")));
    if (!tu_h5dump())
        fail_msg("h5dump not found (the test command installs hdf5-tools)");
    assert_true(tu_same_h5_group(tu_path(dir, "t1.h5"), tu_path(dir, "t2.h5"), "/survival", 1000));
}

static void test_by_segment(void **state)
{
    (void)state;
    char args[4096];
    snprintf(args, sizeof args,
             "'%s' -o '%s' --csv '%s' --time tenure --event churned --by segment --results '%s' "
             "--quiet",
             tu_path(dir, "telco.h5"), tu_path(dir, "seg.h5"), tu_path(dir, "seg.csv"),
             tu_path(dir, "segments.h5"));
    run_ok(args);
    /* Segment k = contract k: the same curves, labelled 0, 1, 2. */
    csv seg, ref;
    csv_load(&seg, tu_path(dir, "seg.csv"));
    csv_load(&ref, golden("telco_curves.csv"));
    assert_int_equal(seg.n_rows, ref.n_rows);
    const char *names[] = {"Month-to-month", "One year", "Two year"};
    for (int r = 1; r < seg.n_rows; r++) {
        const char *s = cell(&seg, r, 0), *g = cell(&ref, r, 0);
        if (strcmp(s, "all"))
            assert_string_equal(names[atoi(s)], g);
        check_close(num(cell(&seg, r, 5)), num(cell(&ref, r, 5)), 1e-9, "survival", "segment");
    }
    csv_free(&seg);
    csv_free(&ref);
    hid_t f = H5Fopen(tu_path(dir, "seg.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    check_close(stratum_value(f, "/survival/segment", "median", stratum_index(f, "/survival/segment", "0")), 35.0, 0,
                "median", "segment 0");
    H5Fclose(f);
}

static void test_default_csv_and_missing_stratum(void **state)
{
    (void)state;
    const char *sub = tu_path(dir, "sub");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    char *out = NULL;
    char out_path[4096];
    snprintf(out_path, sizeof out_path, "%s/r.h5", sub);
    int rc = tu_clmseg_run(&out, NULL,
                           "survival '%s' -o '%s' --time tenure --event churned --by contract",
                           tu_path(dir, "missing_contract.h5"), out_path);
    assert_int_equal(rc, 0);
    /* One row has no contract: it counts in 'all' only (7043), strata 7042. */
    assert_non_null(strstr(out, "1 rows with a missing contract"));
    assert_non_null(strstr(out, "log-rank: chi-square"));
    assert_non_null(strstr(out, "7043"));
    free(out);
    snprintf(out_path, sizeof out_path, "%s/survival.csv", sub);
    assert_true(tu_exists(out_path));
}

static void expect_error(const char *args, const char *const *needles)
{
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "survival %s -o '%s' --csv '%s' --quiet", args,
                           tu_path(dir, "err.h5"), tu_path(dir, "err.csv"));
    if (rc != 1)
        fail_msg("survival %s -> exit %d (want 1): %s", args, rc, err ? err : "");
    for (int k = 0; needles[k]; k++)
        if (!strstr(err, needles[k]))
            fail_msg("survival %s: message lacks '%s': %s", args, needles[k], err);
    free(err);
    assert_false(tu_exists(tu_path(dir, "err.h5")));
    assert_false(tu_exists(tu_path(dir, "err.csv")));
    assert_int_equal(tu_count_matching(dir, ".tmp."), 0);
}

static void test_bad_input(void **state)
{
    (void)state;
    char args[4096];
    snprintf(args, sizeof args, "'%s' --time tenure --event churned", tu_path(dir, "bad_negative.h5"));
    expect_error(args, (const char *[]){"bad_negative.h5", "'tenure'", "row 100", "negative", NULL});
    snprintf(args, sizeof args, "'%s' --time tenure --event churned", tu_path(dir, "bad_nan.h5"));
    expect_error(args, (const char *[]){"bad_nan.h5", "'tenure'", "row 6613", NULL});
    snprintf(args, sizeof args, "'%s' --time tenure --event churned", tu_path(dir, "bad_event.h5"));
    expect_error(args, (const char *[]){"bad_event.h5", "'churned'", "row 5000", "not 0 or 1", NULL});
    snprintf(args, sizeof args, "'%s' --time months --event churned", tu_path(dir, "telco.h5"));
    expect_error(args, (const char *[]){"telco.h5", "months", NULL});
    snprintf(args, sizeof args, "'%s' --time tenure --event churn", tu_path(dir, "telco.h5"));
    expect_error(args, (const char *[]){"churn", "--event-level", NULL});
    snprintf(args, sizeof args, "'%s' --time tenure --event churn --event-level Maybe",
             tu_path(dir, "telco.h5"));
    expect_error(args, (const char *[]){"churn", "Maybe", NULL});
    snprintf(args, sizeof args, "'%s' --time tenure --event churned --by segment --results '%s'",
             tu_path(dir, "telco.h5"), tu_path(dir, "segments_short.h5"));
    expect_error(args, (const char *[]){"segments_short.h5", "label", "7042", NULL});
    snprintf(args, sizeof args, "'%s' --time tenure --event churned --conf-type logit",
             tu_path(dir, "telco.h5"));
    expect_error(args, (const char *[]){"logit", NULL});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_telco_by_contract),
        cmocka_unit_test(test_hand_cases),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_by_segment),
        cmocka_unit_test(test_default_csv_and_missing_stratum),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/*
 * test_run_regions.c — the region level of the run (columns.region),
 * checked from outside against independent references:
 *
 *  - a generated quarter (synth writes /subscribers/region): regions.csv's
 *    subscribers, churn rate, mean ARPU and S(12) equal those recomputed
 *    from the input rows (a Kaplan-Meier written here), and its
 *    subscribers and churn rates equal the sums over branches.csv's rows
 *    of each region; the branch -> region column of branches.csv agrees
 *    with the rows; the regions are ranked by health, and the sub-scores
 *    are the rank scores of docs/lifecycle.md recomputed from regions.csv's
 *    own metrics; /regions in results.h5 and the report's section agree;
 *  - the same quarter with columns.region empty: no regions.csv, no
 *    /regions, and branches.csv is the first one without its last column;
 *    with one thread, the same regions.csv and branches.csv bytes; ranked
 *    by plan (--branch plan), which the regions do not group, the run
 *    goes on without regions, unless the region column is named;
 *  - a small quarter written here with the project's writer, with a row
 *    missing its region (it takes its branch's) and hand-counted figures;
 *    then one of its branches given a second region on one row: the run
 *    fails in validate naming the column, the branch, both regions and
 *    both rows; a branch with no region on any row, and a named region
 *    column the table lacks, fail too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

/* ---- a small CSV reader (no quoted fields in these files) --------------- */

#define MAX_FIELDS 40
#define MAX_ROWS 400

typedef struct csv {
    char *text;
    int n_fields, n_rows;
    char *header[MAX_FIELDS];
    char *cell[MAX_ROWS][MAX_FIELDS];
} csv;

static void split(char *line, char **out, int *n)
{
    *n = 0;
    for (char *p = line;; p++) {
        out[(*n)++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = '\0';
        assert_true(*n < MAX_FIELDS);
    }
}

static csv *csv_read(const char *path)
{
    csv *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->text = tu_read_file(path, NULL);
    assert_non_null(c->text);
    char *save = NULL;
    char *line = strtok_r(c->text, "\n", &save);
    assert_non_null(line);
    split(line, c->header, &c->n_fields);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        assert_true(c->n_rows < MAX_ROWS);
        int n = 0;
        split(line, c->cell[c->n_rows], &n);
        assert_int_equal(n, c->n_fields);
        c->n_rows++;
    }
    return c;
}

static int csv_col(const csv *c, const char *name)
{
    for (int j = 0; j < c->n_fields; j++)
        if (!strcmp(c->header[j], name))
            return j;
    fail_msg("no column %s", name);
    return -1;
}

static double num(const csv *c, int row, const char *name) { return atof(c->cell[row][csv_col(c, name)]); }
static const char *str(const csv *c, int row, const char *name) { return c->cell[row][csv_col(c, name)]; }

static void csv_free(csv *c)
{
    free(c->text);
    free(c);
}

static void assert_close(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("%s: %.9f, want %.9f (tolerance %g)", what, got, want, tol);
}

/* ---- the input rows, read with the table API ---------------------------- */

typedef struct rows {
    int64_t n;
    int32_t *branch, *region;
    double *tenure, *churned, *arpu;
    int n_branches, n_regions;
    const char *const *branch_names, *const *region_names;
    clm_table *table;
} rows;

static void read_rows(const char *path, rows *r)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(clm_table_open(path, "/subscribers", &r->table), CLM_OK);
    r->n = clm_table_n_rows(r->table);
    int cb = clm_table_find(r->table, "branch"), cr = clm_table_find(r->table, "region");
    int ct = clm_table_find(r->table, "tenure_months"), ce = clm_table_find(r->table, "churned");
    int ca = clm_table_find(r->table, "arpu");
    assert_true(cb >= 0 && cr >= 0 && ct >= 0 && ce >= 0 && ca >= 0);
    const clm_column_info *ib = clm_table_column(r->table, cb), *ir = clm_table_column(r->table, cr);
    assert_int_equal(ib->kind, CLM_KIND_CATEGORICAL);
    assert_int_equal(ir->kind, CLM_KIND_CATEGORICAL);
    r->n_branches = ib->n_categories;
    r->n_regions = ir->n_categories;
    r->branch_names = (const char *const *)ib->categories;
    r->region_names = (const char *const *)ir->categories;
    r->branch = malloc((size_t)r->n * sizeof *r->branch);
    r->region = malloc((size_t)r->n * sizeof *r->region);
    r->tenure = malloc((size_t)r->n * sizeof *r->tenure);
    r->churned = malloc((size_t)r->n * sizeof *r->churned);
    r->arpu = malloc((size_t)r->n * sizeof *r->arpu);
    assert_true(r->branch && r->region && r->tenure && r->churned && r->arpu);
    assert_int_equal(clm_table_read_i32(r->table, cb, 0, r->n, r->branch), CLM_OK);
    assert_int_equal(clm_table_read_i32(r->table, cr, 0, r->n, r->region), CLM_OK);
    assert_int_equal(clm_table_read_f64(r->table, ct, 0, r->n, r->tenure), CLM_OK);
    assert_int_equal(clm_table_read_f64(r->table, ce, 0, r->n, r->churned), CLM_OK);
    assert_int_equal(clm_table_read_f64(r->table, ca, 0, r->n, r->arpu), CLM_OK);
}

static void free_rows(rows *r)
{
    free(r->branch);
    free(r->region);
    free(r->tenure);
    free(r->churned);
    free(r->arpu);
    clm_table_close(r->table);
}

static int find_name(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    fail_msg("no name %s", name);
    return -1;
}

/* Kaplan-Meier S(12) of the rows with in[i]: the product over the event
 * times t <= 12 of (1 - d_t / n_t), n_t the rows with time >= t. */
static double km_s12(const rows *r, const int *in)
{
    double s = 1.0;
    for (int t = 0; t <= 12; t++) {
        int64_t at_risk = 0, deaths = 0;
        for (int64_t i = 0; i < r->n; i++) {
            if (!in[i] || r->tenure[i] < t)
                continue;
            at_risk++;
            deaths += r->tenure[i] == t && r->churned[i] == 1;
        }
        if (deaths)
            s *= 1.0 - (double)deaths / (double)at_risk;
    }
    return s;
}

/* Rank scores of docs/lifecycle.md: 100 (r - 1) / (n - 1), r the mean rank
 * from worst to best; `sign` +1 when higher is better. */
static void rank_scores(const double *v, int n, int sign, double *out)
{
    for (int i = 0; i < n; i++) {
        double below = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            below += sign * v[j] < sign * v[i];
            equal += v[j] == v[i];
        }
        double rank = below + (equal + 1) / 2.0; /* mean of ranks below+1 .. below+equal */
        out[i] = n == 1 ? 50.0 : 100.0 * (rank - 1) / (n - 1);
    }
}

/* ---- the generated quarter ------------------------------------------------ */

static char quarter[4200], out_regions[4200], out_plain[4200];

static int setup(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_regions"));
    snprintf(quarter, sizeof quarter, "%s/q.h5", dir);
    snprintf(out_regions, sizeof out_regions, "%s/out", dir);
    snprintf(out_plain, sizeof out_plain, "%s/plain", dir);
    if (tu_clmseg_run(NULL, NULL, "synth -o '%s' --rows 40000 --branches 60 --seed 5 --quiet", quarter))
        return 1;
    if (tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --quiet", quarter, out_regions))
        return 1;
    return tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --quiet --set columns.region=", quarter, out_plain);
}

static void test_regions_from_rows_and_branches(void **state)
{
    (void)state;
    rows r;
    read_rows(quarter, &r);
    csv *reg = csv_read(tu_path(out_regions, "regions.csv"));
    csv *br = csv_read(tu_path(out_regions, "branches.csv"));
    assert_string_equal(br->header[br->n_fields - 1], "region"); /* appended after every other column */
    int *in = malloc((size_t)r.n * sizeof *in);
    assert_non_null(in);
    int regions_with_rows = 0;
    for (int g = 0; g < r.n_regions; g++) {
        int64_t k = 0;
        for (int64_t i = 0; i < r.n; i++)
            k += r.region[i] == g;
        regions_with_rows += k > 0;
    }
    assert_int_equal(reg->n_rows, regions_with_rows);
    assert_true(reg->n_rows >= 10); /* 60 branches: the twelve regions, or nearly */
    double prev_health = INFINITY;
    int64_t all = 0;
    for (int q = 0; q < reg->n_rows; q++) {
        const char *name = str(reg, q, "region");
        int g = find_name(r.region_names, r.n_regions, name);
        /* From the input rows. */
        int64_t subs = 0, events = 0;
        double arpu = 0;
        for (int64_t i = 0; i < r.n; i++) {
            in[i] = r.region[i] == g;
            if (in[i]) {
                subs++;
                events += r.churned[i] == 1;
                arpu += (float)r.arpu[i];
            }
        }
        assert_int_equal((int64_t)num(reg, q, "subscribers"), subs);
        assert_close(num(reg, q, "churn_rate"), (double)events / subs, 6e-7, "churn rate from rows");
        assert_close(num(reg, q, "arpu"), arpu / subs, 6e-5, "ARPU from rows");
        assert_close(num(reg, q, "s12"), km_s12(&r, in), 6e-7, "S(12) from rows");
        /* From branches.csv: the region's branches. */
        int64_t bsubs = 0;
        double bevents = 0;
        int nbr = 0;
        for (int b = 0; b < br->n_rows; b++) {
            if (strcmp(str(br, b, "region"), name))
                continue;
            nbr++;
            double s = num(br, b, "subscribers");
            bsubs += (int64_t)s;
            bevents += num(br, b, "churn_rate") * s;
        }
        assert_int_equal(bsubs, subs);
        assert_close(num(reg, q, "churn_rate"), bevents / (double)bsubs, 1.2e-6, "churn rate from branches.csv");
        assert_int_equal((int)num(reg, q, "branches"), nbr);
        /* Ranked by health, best first. */
        assert_int_equal((int)num(reg, q, "rank"), q + 1);
        assert_true(num(reg, q, "health") <= prev_health);
        prev_health = num(reg, q, "health");
        all += subs;
    }
    assert_int_equal(all, r.n); /* every row has a branch and a region */
    /* branches.csv's region: the region every row of the branch names. */
    for (int b = 0; b < br->n_rows; b++) {
        int code = find_name(r.branch_names, r.n_branches, str(br, b, "branch"));
        int64_t rows_of_branch = 0;
        for (int64_t i = 0; i < r.n; i++)
            if (r.branch[i] == code) {
                assert_string_equal(r.region_names[r.region[i]], str(br, b, "region"));
                rows_of_branch++;
            }
        assert_int_equal((int64_t)num(br, b, "subscribers"), rows_of_branch);
    }
    free(in);
    csv_free(reg);
    csv_free(br);
    free_rows(&r);
}

/* The sub-scores and health of regions.csv, recomputed from its metrics
 * (rounded as printed: no two regions tie on this quarter). */
static void test_region_scores(void **state)
{
    (void)state;
    csv *reg = csv_read(tu_path(out_regions, "regions.csv"));
    int n = reg->n_rows;
    double v[8][64], sc[8][64];
    assert_true(n <= 64);
    for (int q = 0; q < n; q++) {
        v[0][q] = num(reg, q, "s12");
        v[1][q] = num(reg, q, "churn_rate");
        v[2][q] = num(reg, q, "arpu");
        v[3][q] = num(reg, q, "ltv");
        v[4][q] = num(reg, q, "share_A") + num(reg, q, "share_B");
        v[5][q] = num(reg, q, "arpu_change");
        v[6][q] = num(reg, q, "share_D");
        v[7][q] = num(reg, q, "revenue_at_risk");
    }
    const int sign[8] = {+1, -1, +1, +1, +1, +1, -1, -1};
    for (int k = 0; k < 8; k++)
        rank_scores(v[k], n, sign[k], sc[k]);
    const char *names[4] = {"retention", "value", "growth", "risk"};
    const double w[4] = {0.30, 0.25, 0.20, 0.25};
    for (int q = 0; q < n; q++) {
        double total = 0;
        for (int k = 0; k < 4; k++) {
            double s = 0.5 * (sc[2 * k][q] + sc[2 * k + 1][q]);
            assert_close(num(reg, q, names[k]), s, 0.0051, names[k]);
            total += w[k] * s;
        }
        assert_close(num(reg, q, "health"), total, 0.0051, "health");
    }
    csv_free(reg);
}

static void test_results_and_report(void **state)
{
    (void)state;
    csv *reg = csv_read(tu_path(out_regions, "regions.csv"));
    csv *br = csv_read(tu_path(out_regions, "branches.csv"));
    clm_table *t = NULL;
    assert_int_equal(clm_table_open_any(tu_path(out_regions, "results.h5"), "/regions", &t), CLM_OK);
    int c_subs = clm_table_find(t, "subscribers"), c_health = clm_table_find(t, "health");
    int c_nb = clm_table_find(t, "branches");
    assert_true(c_subs >= 0 && c_health >= 0 && c_nb >= 0);
    int64_t n = clm_table_column(t, c_subs)->length;
    assert_int_equal(n, reg->n_rows);
    double subs[64], health[64], nb[64];
    assert_int_equal(clm_table_read_f64(t, c_subs, 0, n, subs), CLM_OK);
    assert_int_equal(clm_table_read_f64(t, c_health, 0, n, health), CLM_OK);
    assert_int_equal(clm_table_read_f64(t, c_nb, 0, n, nb), CLM_OK);
    clm_table_close(t);
    /* /regions is in the column's code order, regions.csv in health
     * order: each csv row matches one h5 entry (the health rounded as
     * printed). */
    int used[64] = {0}, total_branches = 0;
    for (int q = 0; q < reg->n_rows; q++) {
        int hit = -1;
        for (int g = 0; g < n && hit < 0; g++)
            if (!used[g] && subs[g] == num(reg, q, "subscribers") && fabs(health[g] - num(reg, q, "health")) <= 0.005 &&
                nb[g] == num(reg, q, "branches"))
                hit = g;
        if (hit < 0)
            fail_msg("regions.csv row %d has no match in /regions", q + 1);
        used[hit] = 1;
        total_branches += (int)nb[hit];
    }
    assert_int_equal(total_branches, br->n_rows);

    /* The report: one collapsible block per region, in rank order, each
     * with its branches. */
    char *html = tu_read_file(tu_path(out_regions, "report.html"), NULL);
    assert_non_null(html);
    const char *at = html;
    for (int q = 0; q < reg->n_rows; q++) {
        char needle[256];
        snprintf(needle, sizeof needle, "<details class=\"region\"><summary>%d. %s &middot;", q + 1,
                 str(reg, q, "region"));
        const char *hit = strstr(at, needle);
        if (!hit)
            fail_msg("report: no block '%s' after the previous one", needle);
        const char *end = strstr(hit, "</details>");
        assert_non_null(end);
        /* Every branch of the region, and only those, in its block. */
        int listed = 0;
        for (int b = 0; b < br->n_rows; b++) {
            char row[256];
            snprintf(row, sizeof row, "<tr class=\"branch\"><td>%s</td><td>%s</td>", str(br, b, "rank"),
                     str(br, b, "branch"));
            const char *p = strstr(hit, row);
            int inside = p && p < end;
            assert_int_equal(inside, !strcmp(str(br, b, "region"), str(reg, q, "region")));
            listed += inside;
        }
        assert_int_equal(listed, (int)num(reg, q, "branches"));
        at = end;
    }
    free(html);
    csv_free(reg);
    csv_free(br);
}

/* Without the region column the run is as before: no regions.csv, no
 * /regions, branches.csv without its last column. */
static void test_without_regions(void **state)
{
    (void)state;
    assert_false(tu_exists(tu_path(out_plain, "regions.csv")));
    clm_table *t = NULL;
    assert_int_not_equal(clm_table_open_any(tu_path(out_plain, "results.h5"), "/regions", &t), CLM_OK);
    clm_error_clear();
    char *with = tu_read_file(tu_path(out_regions, "branches.csv"), NULL);
    char *plain = tu_read_file(tu_path(out_plain, "branches.csv"), NULL);
    assert_true(with && plain);
    /* Drop the last field of every line of `with`. */
    char *w = with;
    for (char *p = with; *p;) {
        char *nl = strchr(p, '\n');
        char *comma = p;
        for (char *q = p; q < nl; q++)
            if (*q == ',')
                comma = q;
        size_t len = (size_t)(comma - p);
        memmove(w, p, len);
        w += len;
        *w++ = '\n';
        p = nl + 1;
    }
    *w = '\0';
    assert_string_equal(with, plain);
    free(with);
    free(plain);
    assert_true(tu_same_bytes(tu_path(out_regions, "warning.csv"), tu_path(out_plain, "warning.csv")));
    assert_true(tu_same_bytes(tu_path(out_regions, "segments.csv"), tu_path(out_plain, "segments.csv")));
    assert_true(tu_same_bytes(tu_path(out_regions, "tree_rules.txt"), tu_path(out_plain, "tree_rules.txt")));
}

/* One thread or the default team: the same regions.csv and branches.csv
 * bytes (sums in row order, docs/design.md). */
static void test_threads_same_bytes(void **state)
{
    (void)state;
    char one[4096];
    snprintf(one, sizeof one, "%s", tu_tmpdir("run_regions_t1"));
    assert_int_equal(tu_clmseg_run(NULL, NULL, "run '%s' -o '%s' --quiet --threads 1", quarter, one), 0);
    assert_true(tu_same_bytes(tu_path(out_regions, "regions.csv"), tu_path(one, "regions.csv")));
    assert_true(tu_same_bytes(tu_path(out_regions, "branches.csv"), tu_path(one, "branches.csv")));
}

/* Ranked by another column (--branch plan) that does not nest in the
 * default region column: the run goes on without regions, and says why;
 * the region column named explicitly makes it an error. */
static void test_other_branch_column(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_regions_plan"));
    char *out = NULL, *err = NULL;
    int rc = tu_clmseg_run(&out, &err, "run '%s' -o '%s' --branch plan", quarter, tu_path(dir, "a"));
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "regions: column 'region' not used with branch column 'plan'"));
    free(out);
    free(err);
    assert_true(tu_exists(tu_path(tu_path(dir, "a"), "branches.csv")));
    assert_false(tu_exists(tu_path(tu_path(dir, "a"), "regions.csv")));
    /* A copy of the region column under another name, named explicitly. */
    char copy[4200], cmd[16384];
    snprintf(copy, sizeof copy, "%s", tu_path(dir, "q2.h5"));
    snprintf(cmd, sizeof cmd,
             "%s -c \"import h5py, shutil; shutil.copy('%s', '%s'); g = h5py.File('%s', 'r+')['/subscribers']; "
             "g['province'] = g['region'][()]; g['province'].attrs['categories'] = g['region'].attrs['categories']\"",
             tu_python(), quarter, copy, copy);
    assert_int_equal(tu_run(cmd, NULL, NULL), 0);
    err = NULL;
    rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --quiet --branch plan --set columns.region=province", copy,
                       tu_path(dir, "b"));
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(err, "column 'province'"));
    assert_non_null(strstr(err, "a branch belongs to one region"));
    free(err);
}

/* ---- small quarters written here ------------------------------------------ */

#define SMALL 600

/* Branches A, B, C (row i: branch i % 3); A and B in North, C in South;
 * row 7 (branch B) has no region; `clash` >= 0 gives that row South;
 * `orphan` removes every region of branch C. */
static const char *small_quarter(const char *dir, const char *name, int clash, int orphan)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s", tu_path(dir, name));
    static int32_t branch[SMALL], region[SMALL];
    static int16_t tenure[SMALL];
    static int8_t churned[SMALL];
    static float arpu[SMALL], x1[SMALL], x2[SMALL];
    for (int i = 0; i < SMALL; i++) {
        branch[i] = i % 3;
        region[i] = branch[i] == 2 ? (orphan ? -1 : 1) : 0;
        tenure[i] = (int16_t)(i % 37);
        churned[i] = (int8_t)(i % 5 == 0 || (branch[i] == 2 && i % 5 == 1)); /* C churns twice as often */
        arpu[i] = 20.0f + (float)(i % 11);
        x1[i] = (float)((i * 7) % 13);
        x2[i] = (float)((i * 3) % 17);
    }
    region[7] = -1;
    if (clash >= 0)
        region[clash] = 1;
    const char *branches[] = {"A", "B", "C"}, *regions[] = {"North", "South"};
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    assert_int_equal(clm_writer_column_array(w, "/subscribers/branch", CLM_DT_INT32, SMALL, branch), CLM_OK);
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/branch", "categories", branches, 3), CLM_OK);
    assert_int_equal(clm_writer_column_array(w, "/subscribers/region", CLM_DT_INT32, SMALL, region), CLM_OK);
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/region", "categories", regions, 2), CLM_OK);
    assert_int_equal(clm_writer_column_array(w, "/subscribers/tenure_months", CLM_DT_INT16, SMALL, tenure), CLM_OK);
    assert_int_equal(clm_writer_column_array(w, "/subscribers/churned", CLM_DT_INT8, SMALL, churned), CLM_OK);
    assert_int_equal(clm_writer_column_array(w, "/subscribers/arpu", CLM_DT_FLOAT32, SMALL, arpu), CLM_OK);
    assert_int_equal(clm_writer_column_array(w, "/subscribers/x1", CLM_DT_FLOAT32, SMALL, x1), CLM_OK);
    assert_int_equal(clm_writer_column_array(w, "/subscribers/x2", CLM_DT_FLOAT32, SMALL, x2), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    return path;
}

static void test_small_quarter_by_hand(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_regions_small"));
    const char *q = small_quarter(dir, "ok.h5", -1, 0);
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --quiet --set kmeans.k=2 --set tree.min_leaf=20", q,
                           tu_path(dir, "out"));
    if (rc)
        fail_msg("run failed: %s", err ? err : "");
    free(err);
    csv *reg = csv_read(tu_path(tu_path(dir, "out"), "regions.csv"));
    assert_int_equal(reg->n_rows, 2);
    /* By hand: North = branches A and B = 400 rows (row 7, without a
     * region, counted with its branch B); churned: i % 5 == 0 among
     * i % 3 != 2, that is 40 of the 200 rows of A and 40 of B's: 0.2.
     * South = C = 200 rows, churned when i % 5 is 0 or 1: 80, 0.4. */
    for (int k = 0; k < 2; k++) {
        const int north = !strcmp(str(reg, k, "region"), "North");
        assert_true(north || !strcmp(str(reg, k, "region"), "South"));
        assert_int_equal((int)num(reg, k, "subscribers"), north ? 400 : 200);
        assert_close(num(reg, k, "churn_rate"), north ? 0.2 : 0.4, 1e-9, "churn rate");
        assert_int_equal((int)num(reg, k, "branches"), north ? 2 : 1);
    }
    /* North churns less: it ranks first, retention 100 against 0. */
    assert_string_equal(str(reg, 0, "region"), "North");
    assert_close(num(reg, 0, "retention"), 100, 1e-9, "retention");
    assert_close(num(reg, 1, "retention"), 0, 1e-9, "retention");
    csv_free(reg);
}

static void run_fails_with(const char *q, const char *outdir, const char *extra, const char *const *needles)
{
    char *err = NULL;
    int rc = tu_clmseg_run(NULL, &err, "run '%s' -o '%s' --quiet %s", q, outdir, extra);
    assert_int_not_equal(rc, 0);
    assert_non_null(err);
    for (int i = 0; needles[i]; i++)
        if (!strstr(err, needles[i]))
            fail_msg("message '%s' lacks '%s'", err, needles[i]);
    /* Failed in validate: no output at all. */
    assert_false(tu_exists(tu_path(outdir, "results.h5")));
    free(err);
}

static void test_branch_in_two_regions(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_tmpdir("run_regions_clash"));
    /* Row 301 is branch B (301 % 3 == 1), whose first row with a region is
     * row 1 (North); row 301 says South. */
    const char *q = small_quarter(dir, "clash.h5", 301, 0);
    run_fails_with(q, tu_path(dir, "out"), "--set kmeans.k=2",
                   (const char *const[]){"column 'region'", "row 301", "branch 'B'", "region 'South'",
                                         "region 'North' at row 1", NULL});
    q = small_quarter(dir, "orphan.h5", -1, 1);
    run_fails_with(q, tu_path(dir, "out2"), "--set kmeans.k=2",
                   (const char *const[]){"branch 'C'", "no region", "row 2", NULL});
    q = small_quarter(dir, "named.h5", -1, 0);
    run_fails_with(q, tu_path(dir, "out3"), "--set columns.region=province",
                   (const char *const[]){"region column 'province' is missing", NULL});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regions_from_rows_and_branches),
        cmocka_unit_test(test_region_scores),
        cmocka_unit_test(test_results_and_report),
        cmocka_unit_test(test_without_regions),
        cmocka_unit_test(test_threads_same_bytes),
        cmocka_unit_test(test_other_branch_column),
        cmocka_unit_test(test_small_quarter_by_hand),
        cmocka_unit_test(test_branch_in_two_regions),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

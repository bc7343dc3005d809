/*
 * test_io_interop.c — interoperability with independent HDF5 readers and
 * writers: a file h5py writes (every numeric type, numpy bool, fixed and
 * variable-length category strings, NaN) reads back in clmseg with the
 * values h5py stored, and a file clmseg writes reads in h5py and h5dump.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmseg/clmseg.h"
#include "testutil.h"

static const char *const writer_py =
    "import sys, h5py, numpy as np\n"
    "n = 1000\n"
    "i = np.arange(n)\n"
    "with h5py.File(sys.argv[1], 'w') as f:\n"
    "    g = f.create_group('subscribers')\n"
    "    for t in ['i1','u1','i2','u2','i4','u4','i8','u8']:\n"
    "        g.create_dataset('c_' + t, data=((i * 7) % 100).astype(t), chunks=(128,))\n"
    "    x = (i * 0.5).astype('f4'); x[::10] = np.nan\n"
    "    g['c_f4'] = x\n"
    "    g['c_f8'] = i * 0.25 - 3\n"
    "    g['c_bool'] = (i % 3 == 0)\n"
    "    d = g.create_dataset('plan', data=((i % 4) - 1).astype('i1'))\n"
    "    d.attrs['categories'] = np.array(['prepaid', 'postpaid', 'contract-24m'], dtype=h5py.string_dtype())\n"
    "    d = g.create_dataset('region', data=(i % 2).astype('i4'))\n"
    "    d.attrs['categories'] = np.array([b'north', b'south-east'])\n";

static void test_reads_what_h5py_writes(void **state)
{
    (void)state;
    const char *python = tu_python();
    assert_non_null(python);
    const char *dir = tu_tmpdir("h5py_writes");
    const char *script = tu_path(dir, "write.py");
    const char *path = tu_path(dir, "from_h5py.h5");
    assert_int_equal(tu_write_file(script, writer_py), 0);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", python, script, path);
    char *err = NULL;
    int rc = tu_run(cmd, NULL, &err);
    if (rc != 0)
        fail_msg("h5py writer failed: %s", err);
    free(err);

    clm_table *t = NULL;
    assert_int_equal(clm_table_open(path, NULL, &t), CLM_OK);
    assert_int_equal(clm_table_n_rows(t), 1000);
    double v[1000];
    const char *ints[] = {"c_i1", "c_u1", "c_i2", "c_u2", "c_i4", "c_u4", "c_i8", "c_u8"};
    for (int k = 0; k < 8; k++) {
        int c = clm_table_find(t, ints[k]);
        assert_true(c >= 0);
        assert_int_equal(clm_table_column(t, c)->kind, CLM_KIND_NUMERIC);
        assert_int_equal(clm_table_read_f64(t, c, 0, 1000, v), CLM_OK);
        for (int i = 0; i < 1000; i++)
            assert_float_equal(v[i], (double)((i * 7) % 100), 0.0);
    }
    int c = clm_table_find(t, "c_f4");
    assert_int_equal(clm_table_column(t, c)->dtype, CLM_DT_FLOAT32);
    clm_column_stats s;
    assert_int_equal(clm_table_column_stats(t, c, &s), CLM_OK);
    assert_int_equal(s.missing, 100);
    assert_int_equal(clm_table_read_f64(t, c, 0, 1000, v), CLM_OK);
    assert_true(isnan(v[0]));
    assert_float_equal(v[7], 3.5, 0.0);
    assert_int_equal(clm_table_read_f64(t, clm_table_find(t, "c_f8"), 0, 1000, v), CLM_OK);
    assert_float_equal(v[999], 999 * 0.25 - 3, 0.0);

    /* numpy bool is an HDF5 enum: read as 0/1. */
    int32_t codes[1000];
    c = clm_table_find(t, "c_bool");
    assert_int_equal(clm_table_column(t, c)->kind, CLM_KIND_NUMERIC);
    assert_int_equal(clm_table_read_i32(t, c, 0, 1000, codes), CLM_OK);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(codes[i], i % 3 == 0);
    float f[1000];
    assert_int_equal(clm_table_read_f32(t, c, 0, 1000, f), CLM_OK);
    assert_float_equal(f[3], 1.0, 0.0);

    /* Variable-length and fixed-length category strings. */
    const clm_column_info *plan = clm_table_column(t, clm_table_find(t, "plan"));
    assert_int_equal(plan->kind, CLM_KIND_CATEGORICAL);
    assert_int_equal(plan->n_categories, 3);
    assert_string_equal(plan->categories[2], "contract-24m");
    const clm_column_info *region = clm_table_column(t, clm_table_find(t, "region"));
    assert_int_equal(region->kind, CLM_KIND_CATEGORICAL);
    assert_string_equal(region->categories[0], "north");
    assert_string_equal(region->categories[1], "south-east");
    int64_t counts[3], missing;
    assert_int_equal(clm_table_category_counts(t, clm_table_find(t, "plan"), counts, &missing), CLM_OK);
    assert_int_equal(missing, 250);
    assert_int_equal(counts[0] + counts[1] + counts[2], 750);
    clm_table_close(t);
}

static const char *const reader_py =
    "import sys, h5py, numpy as np\n"
    "with h5py.File(sys.argv[1], 'r') as f:\n"
    "    g = f['subscribers']\n"
    "    assert list(g.keys()) == ['subscriber_id', 'arpu', 'plan'], list(g.keys())\n"
    "    ids = g['subscriber_id'][:]\n"
    "    assert ids.dtype == np.int64 and len(ids) == 70000\n"
    "    assert (ids == np.arange(70000) * 3 + 11).all()\n"
    "    a = g['arpu'][:]\n"
    "    assert a.dtype == np.float32\n"
    "    assert np.isnan(a[5]) and a[6] == np.float32(6 * 0.5)\n"
    "    p = g['plan']\n"
    "    cats = [c.decode() if isinstance(c, bytes) else c for c in p.attrs['categories']]\n"
    "    assert cats == ['prepaid', 'postpaid', 'contract-12m'], cats\n"
    "    assert (p[:] == (np.arange(70000) % 3)).all()\n"
    "    assert p.chunks is not None\n"
    "    m = f['segments/centroids']\n"
    "    assert m.shape == (2, 3) and m[1, 2] == 5\n"
    "    assert f['segments'].attrs['k'] == 2\n"
    "    assert abs(f['segments'].attrs['inertia'] - 1.5) < 1e-15\n"
    "    feats = [c.decode() if isinstance(c, bytes) else c for c in m.attrs['features']]\n"
    "    assert feats == ['arpu', 'data_mb', 'voice']\n"
    "print('ok')\n";

static void test_h5py_and_h5dump_read_what_clmseg_writes(void **state)
{
    (void)state;
    const char *python = tu_python();
    const char *h5dump = tu_h5dump();
    assert_non_null(python);
    assert_non_null(h5dump);
    const char *dir = tu_tmpdir("clmseg_writes");
    const char *path = tu_path(dir, "from_clmseg.h5");
    enum { N = 70000 };
    clm_writer *w = NULL;
    assert_int_equal(clm_writer_create(path, NULL, &w), CLM_OK);
    int64_t *ids = malloc(N * sizeof *ids);
    float *arpu = malloc(N * sizeof *arpu);
    int32_t *plan = malloc(N * sizeof *plan);
    for (int i = 0; i < N; i++) {
        ids[i] = (int64_t)i * 3 + 11;
        arpu[i] = i == 5 ? NAN : (float)(i * 0.5);
        plan[i] = i % 3;
    }
    int c_id, c_arpu, c_plan;
    assert_int_equal(clm_writer_column_create(w, "/subscribers/subscriber_id", CLM_DT_INT64, N, &c_id), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/arpu", CLM_DT_FLOAT32, N, &c_arpu), CLM_OK);
    assert_int_equal(clm_writer_column_create(w, "/subscribers/plan", CLM_DT_INT32, N, &c_plan), CLM_OK);
    for (int64_t r = 0; r < N; r += CLM_BLOCK_ROWS) {
        int64_t n = N - r < CLM_BLOCK_ROWS ? N - r : CLM_BLOCK_ROWS;
        assert_int_equal(clm_writer_column_write(w, c_id, r, n, ids + r), CLM_OK);
        assert_int_equal(clm_writer_column_write(w, c_arpu, r, n, arpu + r), CLM_OK);
        assert_int_equal(clm_writer_column_write(w, c_plan, r, n, plan + r), CLM_OK);
    }
    const char *cats[] = {"prepaid", "postpaid", "contract-12m"};
    assert_int_equal(clm_writer_attr_strings(w, "/subscribers/plan", "categories", cats, 3), CLM_OK);
    const float centroids[6] = {0, 1, 2, 3, 4, 5};
    const int64_t dims[2] = {2, 3};
    assert_int_equal(clm_writer_array(w, "/segments/centroids", CLM_DT_FLOAT32, 2, dims, centroids), CLM_OK);
    const char *feats[] = {"arpu", "data_mb", "voice"};
    assert_int_equal(clm_writer_attr_strings(w, "/segments/centroids", "features", feats, 3), CLM_OK);
    assert_int_equal(clm_writer_attr_i64(w, "/segments", "k", 2), CLM_OK);
    assert_int_equal(clm_writer_attr_f64(w, "/segments", "inertia", 1.5), CLM_OK);
    assert_int_equal(clm_writer_commit(w), CLM_OK);
    free(ids);
    free(arpu);
    free(plan);

    const char *script = tu_path(dir, "read.py");
    assert_int_equal(tu_write_file(script, reader_py), 0);
    char cmd[8192], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", python, script, path);
    int rc = tu_run(cmd, &out, &err);
    if (rc != 0)
        fail_msg("h5py reader failed: %s", err);
    assert_string_equal(out, "ok\n");
    free(out);
    free(err);

    snprintf(cmd, sizeof cmd, "'%s' -d /segments/centroids '%s'", h5dump, path);
    rc = tu_run(cmd, &out, NULL);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "H5T_IEEE_F32LE"));
    assert_non_null(strstr(out, "(1,0): 3, 4, 5"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_what_h5py_writes),
        cmocka_unit_test(test_h5py_and_h5dump_read_what_clmseg_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

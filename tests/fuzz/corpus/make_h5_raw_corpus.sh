#!/bin/sh
# Rebuilds the seed corpus of the raw-bytes HDF5 harness fuzz_h5_raw
# (docs/fuzzing.md).
#   tests/fuzz/corpus/make_h5_raw_corpus.sh path/to/clmseg
# Files written by clmseg import (from the CSV seeds) and one written by
# h5py with every numeric type, a string column and a 2-D array, so the
# fuzzer starts from the shapes the reader must handle and refuse.
set -eu
clmseg=${1:?usage: make_h5_raw_corpus.sh path/to/clmseg}
here=$(cd "$(dirname "$0")" && pwd)
for f in telco_head quotes_crlf inference bom_cr semicolon; do
  "$clmseg" import "$here/csv/$f.csv" -o "$here/h5_raw/$f.h5" --quiet
done
/usr/bin/python3 - "$here/h5_raw/h5py_types.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w", track_order=True) as f:
    g = f.create_group("subscribers", track_order=True)
    n = 5
    for t in ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"]:
        g[t] = np.arange(n).astype(t)
    g["f8"][2] = np.nan
    c = g.create_dataset("plan", data=np.array([0, 1, -1, 1, 0], dtype="i4"))
    c.attrs["categories"] = np.array([b"prepaid", b"postpaid"], dtype=h5py.string_dtype("ascii"))
    g["name"] = np.array([b"a", b"b", b"c", b"d", b"e"])
    g["matrix"] = np.ones((2, 3), dtype="f4")
PY

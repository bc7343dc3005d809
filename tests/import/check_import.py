#!/usr/bin/python3
"""Independent check of a `clmseg import` result.

Parses the CSV with Python's csv module (RFC 4180 quoting) and compares
every column with what h5py reads from the HDF5 file clmseg wrote:

  - categorical datasets (int32 with a `categories` attribute): the decoded
    strings equal the CSV fields, code -1 exactly where the field is missing;
  - int64 datasets: int(field) for every row;
  - float64 datasets: float(field), NaN exactly where the field is missing.

Missing means empty or "NA" after stripping blanks (docs/import.md).

    check_import.py data.csv data.h5 [--group G] [--delimiter C]
                    [--rows N] [--expect column=int64|float64|categorical ...]
                    [--missing column=COUNT ...]

Prints "ok" and exits 0 when everything matches; otherwise prints the first
mismatches and exits 1.  Run with Debian's /usr/bin/python3 (h5py, numpy).
"""
import argparse
import csv
import math
import sys

import h5py
import numpy as np


def is_missing(field):
    s = field.strip(" \t")
    return s == "" or s == "NA"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv_path")
    ap.add_argument("h5_path")
    ap.add_argument("--group", default="/subscribers")
    ap.add_argument("--delimiter", default=",")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--missing", action="append", default=[])
    args = ap.parse_args()

    with open(args.csv_path, newline="", encoding="utf-8-sig") as f:
        records = [r for r in csv.reader(f, delimiter=args.delimiter) if r != []]
    header, rows = records[0], records[1:]
    errors = []

    def fail(msg):
        errors.append(msg)

    if args.rows is not None and len(rows) != args.rows:
        fail("csv module found %d rows, expected %d" % (len(rows), args.rows))

    h5 = h5py.File(args.h5_path, "r")
    group = h5[args.group]
    if sorted(group.keys()) != sorted(header):
        fail("datasets %s != header %s" % (sorted(group.keys()), sorted(header)))
    kinds = {}
    for j, name in enumerate(header):
        if name not in group:
            continue
        d = group[name]
        values = d[:]
        fields = [r[j] for r in rows]
        if d.shape != (len(rows),):
            fail("%s: shape %s, csv has %d rows" % (name, d.shape, len(rows)))
            continue
        if "categories" in d.attrs:
            kinds[name] = "categorical"
            cats = [c.decode() if isinstance(c, bytes) else str(c) for c in d.attrs["categories"]]
            if d.dtype != np.int32:
                fail("%s: categorical codes are %s, not int32" % (name, d.dtype))
            if len(set(cats)) != len(cats):
                fail("%s: repeated categories %s" % (name, cats))
            # Codes in order of first appearance.
            first_seen = {}
            for s in fields:
                if not is_missing(s) and s not in first_seen:
                    first_seen[s] = len(first_seen)
            if cats != list(first_seen):
                fail("%s: categories %s, first appearances %s" % (name, cats[:10],
                                                                   list(first_seen)[:10]))
            for i, (s, c) in enumerate(zip(fields, values)):
                want = -1 if is_missing(s) else first_seen.get(s)
                if want is None or c != want:
                    fail("%s row %d: code %d for %r" % (name, i, c, s))
                    break
        elif d.dtype == np.int64:
            kinds[name] = "int64"
            for i, (s, v) in enumerate(zip(fields, values)):
                if is_missing(s) or int(s.strip(" \t")) != int(v):
                    fail("%s row %d: %d for %r" % (name, i, v, s))
                    break
        elif d.dtype == np.float64:
            kinds[name] = "float64"
            for i, (s, v) in enumerate(zip(fields, values)):
                if is_missing(s):
                    ok = math.isnan(v)
                else:
                    want = float(s.strip(" \t"))
                    ok = (want == v and math.copysign(1, want) == math.copysign(1, v)) or \
                        (math.isinf(want) and want == v)
                if not ok:
                    fail("%s row %d: %r for %r" % (name, i, v, s))
                    break
        else:
            fail("%s: unexpected dtype %s" % (name, d.dtype))

    for e in args.expect:
        name, kind = e.split("=")
        if kinds.get(name) != kind:
            fail("%s: stored as %s, expected %s" % (name, kinds.get(name), kind))
    for e in args.missing:
        name, count = e.split("=")
        d = group[name][:]
        n = int(np.isnan(d).sum()) if d.dtype.kind == "f" else int((d == -1).sum())
        if n != int(count):
            fail("%s: %d missing, expected %s" % (name, n, count))

    if errors:
        for e in errors[:20]:
            print("MISMATCH:", e)
        return 1
    print("ok: %d columns x %d rows match" % (len(header), len(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

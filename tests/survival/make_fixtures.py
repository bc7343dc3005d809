"""make_fixtures.py — HDF5 inputs for tests/survival, built with h5py from
the CSV sources (the importer is tested on its own; these fixtures pin the
exact types the survival tests want).

usage: /usr/bin/python3 make_fixtures.py SOURCE_DIR OUT_DIR

Writes into OUT_DIR:
  telco.h5      /subscribers: tenure (int16), churn (categorical No/Yes),
                churned (int8 0/1), contract (categorical), arpu (float64)
  hand.h5       hand.csv: case (categorical), time (float64), event (int8), arpu
  hand_int.h5   same with time stored as int32
  hand_cont.h5  hand_cont.csv (continuous times)
  segments.h5   /segments/label int32 = contract code of telco (a stand-in
                for k-means labels), and /segments/centroids (2-D, ignored)
  bad_*.h5      one defect each: negative time, NaN time, event 2, missing
                contract code, short segment labels
"""
import csv
import os
import sys

import h5py
import numpy as np

src, out = sys.argv[1], sys.argv[2]
vlen = h5py.string_dtype("utf-8")


def categorical(group, name, values, categories=None):
    cats = categories or sorted(set(values))
    codes = np.array([cats.index(v) if v in cats else -1 for v in values], dtype=np.int32)
    ds = group.create_dataset(name, data=codes)
    ds.attrs["categories"] = np.array(cats, dtype=object).astype(vlen)
    return codes


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


telco_csv = os.path.join(src, "datasets", "telco_churn.csv")
if not os.path.exists(telco_csv):
    telco_csv = os.path.join(src, "..", "shared", "data", "telco_churn.csv")
telco = read_csv(telco_csv)


def write_telco(path, tweak=None):
    tenure = np.array([int(r["tenure"]) for r in telco], dtype=np.int16)
    churned = np.array([r["churn"] == "Yes" for r in telco], dtype=np.int8)
    arpu = np.array([float(r["monthly_charges"]) for r in telco])
    contract = [r["contract"] for r in telco]
    with h5py.File(path, "w") as f:
        g = f.create_group("subscribers")
        if tweak:
            tenure, churned, arpu, contract = tweak(tenure.astype(np.float64), churned, arpu, contract)
        g.create_dataset("tenure", data=tenure)
        g.create_dataset("churned", data=churned)
        g.create_dataset("arpu", data=arpu)
        categorical(g, "churn", ["Yes" if c else "No" for c in churned], ["No", "Yes"])
        categorical(g, "contract", contract, ["Month-to-month", "One year", "Two year"])


write_telco(os.path.join(out, "telco.h5"))


def neg_time(t, e, a, c):
    t[100] = -1.0
    return t, e, a, c


def nan_time(t, e, a, c):
    t[70000 % len(t)] = np.nan
    return t, e, a, c


def bad_event(t, e, a, c):
    e[5000] = 2
    return t, e, a, c


def missing_contract(t, e, a, c):
    c = list(c)
    c[7] = "Unknown"  # not in the category list: code -1, a missing stratum
    return t, e, a, c


write_telco(os.path.join(out, "bad_negative.h5"), neg_time)
write_telco(os.path.join(out, "bad_nan.h5"), nan_time)
write_telco(os.path.join(out, "bad_event.h5"), bad_event)
write_telco(os.path.join(out, "missing_contract.h5"), missing_contract)

contract_codes = np.array([["Month-to-month", "One year", "Two year"].index(r["contract"])
                           for r in telco], dtype=np.int32)
with h5py.File(os.path.join(out, "segments.h5"), "w") as f:
    g = f.create_group("segments")
    g.create_dataset("label", data=contract_codes)
    g.create_dataset("centroids", data=np.zeros((3, 2), dtype=np.float32))
with h5py.File(os.path.join(out, "segments_short.h5"), "w") as f:
    g = f.create_group("segments")
    g.create_dataset("label", data=contract_codes[:-1])


def write_hand(csv_name, path, time_dtype):
    rows = read_csv(os.path.join(src, "tests", "survival", "golden", csv_name))
    with h5py.File(path, "w") as f:
        g = f.create_group("subscribers")
        categorical(g, "case", [r["case"] for r in rows])
        g.create_dataset("time", data=np.array([float(r["time"]) for r in rows]).astype(time_dtype))
        g.create_dataset("event", data=np.array([int(r["event"]) for r in rows], dtype=np.int8))
        g.create_dataset("arpu", data=np.array([float(r["arpu"]) for r in rows]))


write_hand("hand.csv", os.path.join(out, "hand.h5"), np.float64)
write_hand("hand.csv", os.path.join(out, "hand_int.h5"), np.int32)
write_hand("hand_cont.csv", os.path.join(out, "hand_cont.h5"), np.float64)

#!/usr/bin/python3
"""Peers of bench_tree on the same data (written by bench_tree as raw
float32 / int32 files): xgboost tree_method=hist, one tree of the same
depth on the same threads, and scikit-learn's DecisionTreeClassifier.
Prints one JSON line per peer.  Needs Debian's python3 with
python3-xgboost and python3-sklearn.

  tree_peers.py X.f32 Y.i32 ROWS FEATURES DEPTH THREADS SKLEARN_ROWS REPEATS

scikit-learn is timed on the first SKLEARN_ROWS rows (it takes minutes on
10M) and its time scaled by ROWS / SKLEARN_ROWS, which the JSON says.
"""
import json
import sys
import time

import numpy as np


def main():
    xpath, ypath = sys.argv[1], sys.argv[2]
    rows, features, depth, threads, sk_rows, repeats = (int(v) for v in sys.argv[3:9])
    X = np.fromfile(xpath, dtype=np.float32).reshape(rows, features)
    y = np.fromfile(ypath, dtype=np.int32)

    import xgboost as xgb
    best_dm, best_train = float("inf"), float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        dtrain = xgb.DMatrix(X, label=y, nthread=threads)
        t1 = time.perf_counter()
        booster = xgb.train({"tree_method": "hist", "max_depth": depth, "nthread": threads,
                             "objective": "binary:logistic", "max_bin": 256, "eta": 1.0},
                            dtrain, num_boost_round=1)
        t2 = time.perf_counter()
        best_dm, best_train = min(best_dm, t1 - t0), min(best_train, t2 - t1)
        del dtrain, booster
    print(json.dumps({"bench": "tree_peer", "peer": "xgboost hist", "version": xgb.__version__,
                      "rows": rows, "features": features, "depth": depth, "threads": threads,
                      "dmatrix_seconds": round(best_dm, 4),
                      "train_seconds": round(best_train, 4),
                      "note": "train includes xgboost's quantile binning; min of %d" % repeats}),
          flush=True)

    import sklearn
    from sklearn.tree import DecisionTreeClassifier
    n = min(sk_rows, rows)
    Xs = np.nan_to_num(X[:n], nan=-1.0)  # scikit-learn 1.2 refuses NaN: impute before timing
    t0 = time.perf_counter()
    DecisionTreeClassifier(max_depth=depth, random_state=0).fit(Xs, y[:n])
    sk = time.perf_counter() - t0
    print(json.dumps({"bench": "tree_peer", "peer": "sklearn DecisionTreeClassifier",
                      "version": sklearn.__version__, "rows": rows, "features": features,
                      "depth": depth, "threads": 1, "measured_rows": n,
                      "measured_seconds": round(sk, 4),
                      "seconds": round(sk * rows / n, 4),
                      "note": "single-threaded; seconds = measured_seconds * rows / measured_rows"
                      if n < rows else "single-threaded"}), flush=True)


if __name__ == "__main__":
    main()

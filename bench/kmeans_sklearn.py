#!/usr/bin/python3
"""scikit-learn's Lloyd on the matrix bench_kmeans wrote, as one JSON line.

    /usr/bin/python3 bench/kmeans_sklearn.py X.f32 C.f32 ROWS FEATURES K ITERS REPEATS

Seconds per iteration = (fit with 2 + 2 ITERS iterations - fit with 2
iterations) / (2 ITERS), each fit time the minimum over REPEATS, so the
one-off costs of fit (validation, centring copy, norms, final assignment
and inertia) cancel.  The iteration counts sklearn reports are checked.
KMeans(algorithm="lloyd", init=same centroids, n_init=1, tol=0); threads
from OMP_NUM_THREADS.
"""
import json
import os
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans


def main():
    xpath, cpath = sys.argv[1], sys.argv[2]
    n, d, k, iters, repeats = (int(a) for a in sys.argv[3:8])
    x = np.fromfile(xpath, dtype=np.float32).reshape(n, d)
    c = np.fromfile(cpath, dtype=np.float32).reshape(k, d)

    def fit(max_iter):
        km = KMeans(n_clusters=k, init=c, n_init=1, algorithm="lloyd", max_iter=max_iter, tol=0.0)
        t = time.perf_counter()
        km.fit(x)
        return time.perf_counter() - t, km.n_iter_

    short, long_ = 2, 2 + 2 * iters
    t_short = t_long = float("inf")
    n_short = n_long = 0
    for _ in range(repeats):
        t, n_short = fit(short)
        t_short = min(t_short, t)
        t, n_long = fit(long_)
        t_long = min(t_long, t)
    if n_long <= n_short:
        sys.exit("kmeans_sklearn.py: scikit-learn converged before the timed iterations")
    best = (t_long - t_short) / (n_long - n_short)
    n_iter = n_long
    print(json.dumps({"bench": "kmeans", "what": "sklearn_lloyd", "rows": n, "features": d, "k": k,
                      "threads": int(os.environ.get("OMP_NUM_THREADS", "0")),
                      "iterations": int(n_iter), "seconds": round(best, 6),
                      "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Golden figures for test_kmeans_sklearn: scikit-learn's Lloyd from given
initial centroids on small float32 data sets.

Rebuild (Debian python3 with scikit-learn 1.2.1, numpy, h5py):

    /usr/bin/python3 tests/kmeans/golden/make_golden.py tests/kmeans/golden/sklearn_lloyd.h5

Each group holds the data X (float32), the initial centroids, optional
sample weights, and what sklearn.cluster.KMeans(algorithm="lloyd",
init=<centroids>, n_init=1, max_iter, tol) found: labels, centres,
inertia and n_iter.  The test runs clmseg's Lloyd from the same centroids
and requires the same labels (all but 0.1 %), inertia within 1e-4
relative and centres within 1e-3 of the data's scale.
"""
import sys

import h5py
import numpy as np
import sklearn
from sklearn.cluster import KMeans


def blobs(rng, n, d, k, spread, scale=10.0):
    centres = rng.normal(0.0, scale, size=(k, d))
    which = rng.integers(0, k, size=n)
    x = centres[which] + rng.normal(0.0, spread, size=(n, d))
    return x.astype(np.float32)


def case(out, name, x, init, max_iter=300, tol=1e-4, weight=None):
    km = KMeans(n_clusters=init.shape[0], init=init, n_init=1, algorithm="lloyd",
                max_iter=max_iter, tol=tol)
    km.fit(x, sample_weight=weight)
    g = out.create_group(name)
    g["X"] = x
    g["init"] = init.astype(np.float32)
    if weight is not None:
        g["weight"] = weight.astype(np.float32)
    g["labels"] = km.labels_.astype(np.int32)
    g["centers"] = km.cluster_centers_.astype(np.float32)
    g.attrs["inertia"] = float(km.inertia_)
    g.attrs["n_iter"] = int(km.n_iter_)
    g.attrs["max_iter"] = max_iter
    g.attrs["tol"] = tol
    print(f"{name}: n={x.shape[0]} d={x.shape[1]} k={init.shape[0]} "
          f"inertia={km.inertia_:.6f} n_iter={km.n_iter_}")


def main(path):
    rng = np.random.default_rng(20240503)
    with h5py.File(path, "w") as out:
        out.attrs["sklearn"] = sklearn.__version__
        out.attrs["command"] = "/usr/bin/python3 tests/kmeans/golden/make_golden.py " + path

        x = blobs(rng, 4000, 6, 5, 3.0)
        case(out, "blobs", x, x[rng.choice(len(x), 5, replace=False)])

        x = blobs(rng, 5000, 4, 6, 6.0, scale=5.0)  # heavy overlap: many iterations
        case(out, "overlap", x, x[rng.choice(len(x), 6, replace=False)])

        x = blobs(rng, 3000, 3, 4, 1.0)
        init = x[rng.choice(len(x), 4, replace=False)].copy()
        init[3] = 1000.0  # nobody is near it: empty cluster in iteration 1
        case(out, "empty", x, init)

        x = blobs(rng, 4000, 5, 4, 4.0)
        w = rng.uniform(0.2, 3.0, size=len(x))
        case(out, "weighted", x, x[rng.choice(len(x), 4, replace=False)], weight=w)

        x = blobs(rng, 3000, 8, 7, 5.0)
        case(out, "maxiter3", x, x[rng.choice(len(x), 7, replace=False)], max_iter=3)

        x = blobs(rng, 2500, 2, 3, 2.0)
        case(out, "tol0", x, x[rng.choice(len(x), 3, replace=False)], tol=0.0)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sklearn_lloyd.h5")

#!/usr/bin/python3
"""Fixtures and independent checks for test_tree_cli (Debian python3 with
h5py, numpy, scikit-learn 1.2.1).  Usage: tree_fixtures.py COMMAND ARGS.

  random OUT.h5 ROWS         numeric features with NaN, a categorical 'plan',
                             0/1 target 'churned' (seeded)
  constant OUT.h5            target 'churned' all 1
  cat OUT.h5                 'plan' A,B,C,D x 100 rows with churn rates
                             0.1, 0.9, 0.5, 0.2
  newquarter OUT.h5          'plan' with the dictionary D,C,B,A,Z (one row
                             each): reordered, plus an unseen label
  same RES1.h5 RES2.h5       every dataset and attribute of /churn equal
  telco DATA.h5 RES.h5 DEPTH scikit-learn on the same train rows (one-hot
                             categoricals, NaN -> 0): prints both holdout
                             accuracies, exit 1 if they differ by > 0.01
"""
import sys

import h5py
import numpy as np


def write_table(path, columns, categories=None):
    with h5py.File(path, "w") as f:
        g = f.create_group("subscribers")
        for name, values in columns.items():
            d = g.create_dataset(name, data=values)
            if categories and name in categories:
                d.attrs["categories"] = np.array(categories[name], dtype=h5py.string_dtype())


def random_table(path, n):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    plan = rng.integers(0, 5, size=n).astype(np.int32)
    plan[rng.random(n) < 0.03] = -1
    x[rng.random(n) < 0.05, 1] = np.nan
    score = x[:, 0] + np.nan_to_num(x[:, 1]) * 0.7 + (plan == 2) * 1.2 + rng.normal(size=n)
    cols = {"subscriber_id": np.arange(n, dtype=np.int64),
            "churned": (score > 0.8).astype(np.int32), "plan": plan}
    for j in range(4):
        cols["u%d" % j] = x[:, j]
    write_table(path, cols, {"plan": ["P0", "P1", "P2", "P3", "P4"]})


def main():
    cmd = sys.argv[1]
    if cmd == "random":
        random_table(sys.argv[2], int(sys.argv[3]))
    elif cmd == "constant":
        write_table(sys.argv[2], {"churned": np.ones(50, np.int32),
                                  "u": np.arange(50, dtype=np.float64)})
    elif cmd == "cat":
        plan = np.repeat(np.arange(4, dtype=np.int32), 100)
        churned = np.zeros(400, np.int32)
        for code, pos in enumerate([10, 90, 50, 20]):
            churned[code * 100: code * 100 + pos] = 1
        write_table(sys.argv[2], {"plan": plan, "churned": churned},
                    {"plan": ["A", "B", "C", "D"]})
    elif cmd == "newquarter":
        write_table(sys.argv[2], {"plan": np.arange(5, dtype=np.int32)},
                    {"plan": ["D", "C", "B", "A", "Z"]})
    elif cmd == "same":
        a, b = h5py.File(sys.argv[2], "r"), h5py.File(sys.argv[3], "r")
        bad = []

        def visit(name, obj):
            other = b["churn"].get(name)
            if other is None:
                bad.append(name)
            elif isinstance(obj, h5py.Dataset):
                x, y = obj[()], other[()]
                if x.dtype.kind == "f":
                    same = np.array_equal(x, y, equal_nan=True)
                else:
                    same = np.array_equal(x, y)
                if not same:
                    bad.append(name)
        a["churn"].visititems(visit)
        for k, v in a["churn"].attrs.items():
            w = b["churn"].attrs.get(k)
            if not (np.array_equal(v, w) or (np.isnan(v).all() and np.isnan(w).all()
                                             if np.asarray(v).dtype.kind == "f" else False)):
                bad.append("@" + k)
        print("differ:", bad)
        sys.exit(1 if bad else 0)
    elif cmd == "telco":
        from sklearn.tree import DecisionTreeClassifier
        data, res, depth = sys.argv[2], sys.argv[3], int(sys.argv[4])
        with h5py.File(data, "r") as f:
            g = f["subscribers"]
            target = g["churn"][()]
            levels = [s.decode() if isinstance(s, bytes) else s for s in g["churn"].attrs["categories"]]
            y = (target == levels.index("Yes")).astype(int)
            cols = []
            for name in g:
                if name == "churn":
                    continue
                d = g[name]
                if "categories" in d.attrs:
                    codes = d[()]
                    for c in range(len(d.attrs["categories"])):
                        cols.append((codes == c).astype(np.float32))
                else:
                    cols.append(np.nan_to_num(d[()].astype(np.float32), nan=0.0))
            X = np.column_stack(cols)
        with h5py.File(res, "r") as f:
            test = f["churn/holdout"][()].astype(bool)
            ours = float(f["churn"].attrs["accuracy"])
        model = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X[~test], y[~test])
        theirs = float((model.predict(X[test]) == y[test]).mean())
        print("clmseg %.4f scikit-learn %.4f (holdout %d rows)" % (ours, theirs, test.sum()))
        sys.exit(0 if abs(ours - theirs) <= 0.01 else 1)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()

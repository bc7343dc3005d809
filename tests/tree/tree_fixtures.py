#!/usr/bin/python3
"""Fixtures and independent checks for test_tree_cli (Debian python3 with
h5py, numpy, scikit-learn 1.2.1).  Usage: tree_fixtures.py COMMAND ARGS.

  random OUT.h5 ROWS         numeric features with NaN, a categorical 'plan',
                             0/1 target 'churned' (seeded)
  constant OUT.h5            target 'churned' all 1
  cat OUT.h5                 'plan' A,B,C,D x 100 rows with churn rates
                             0.1, 0.9, 0.5, 0.2
  pool OUT.h5                'plan' A, B x 300 rows (churn 0.5), R x 30 rows
                             (all churned)
  newquarter OUT.h5          'plan' with the dictionary D,C,B,A,Z (one row
                             each): reordered, plus an unseen label
  same RES1.h5 RES2.h5       every dataset and attribute of /churn equal
  telco DATA.h5 RES.h5 DEPTH scikit-learn on the same train rows (one-hot
                             categoricals, NaN -> 0): prints both holdout
                             accuracies, exit 1 if they differ by > 0.01
  noisecsv IN.csv OUT.csv LEVELS SEED
                             IN with a column 'noise' of LEVELS labels drawn
                             uniformly (seeded), unrelated to everything
  auc RES.h5 DATA.h5 TARGET LEVEL
                             holdout ROC AUC of /churn/probability by
                             scikit-learn; prints "auc X"; exit 1 unless the
                             saved auc attribute agrees within 1e-6
  highcard OUT.h5 ROWS LEVELS 'region' of LEVELS Zipf-frequent levels, each
                             with its own churn rate; numeric noise u0, u1
  highcard_check DATA.h5 RES.h5
                             region used by the tree with the largest
                             impurity importance; holdout AUC within 0.04
                             of the true probabilities' AUC
  groups_check DATA.h5 RES.h5 COLUMN
                             /churn/category_groups of COLUMN: the 254 most
                             frequent codes (ties: lower code) have groups
                             0..253 in code order, all others 254
  scored_same RES.h5 SCORED.h5
                             /churn/probability of both files equal
  uses FEATURE N RES.h5      FEATURE is a categorical feature of the tree
                             with N categories
  splits FEATURE RES.h5      some node of the tree splits on FEATURE
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


def noise_csv(source, out, levels, seed):
    """Copies the CSV text and appends a quoted label column, so every
    other field reads back exactly as before."""
    rng = np.random.default_rng(seed)
    with open(source, newline="") as f:
        lines = f.read().splitlines()
    codes = rng.integers(0, levels, size=len(lines) - 1)
    with open(out, "w") as g:
        g.write(lines[0] + ',"noise"\n')
        for line, c in zip(lines[1:], codes):
            g.write('%s,"L%02d"\n' % (line, c))


def high_cardinality(path, n, levels):
    """'region' with Zipf-like frequencies (weight 1 / (rank + 20)) and a
    churn rate per level drawn from logit N(-1, 1.2); two numeric noise
    features.  /truth/probability holds each row's true churn probability."""
    rng = np.random.default_rng(11)
    weight = 1.0 / (np.arange(levels) + 20.0)
    region = rng.choice(levels, size=n, p=weight / weight.sum()).astype(np.int32)
    rate = 1.0 / (1.0 + np.exp(-rng.normal(-1.0, 1.2, size=levels)))
    prob = rate[region]
    churned = (rng.random(n) < prob).astype(np.int32)
    cols = {"churned": churned, "region": region,
            "u0": rng.normal(size=n).astype(np.float32), "u1": rng.normal(size=n).astype(np.float32)}
    write_table(path, cols, {"region": ["R%03d" % i for i in range(levels)]})
    with h5py.File(path, "a") as f:
        f.create_dataset("truth/probability", data=prob)


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
    elif cmd == "pool":
        plan = np.repeat(np.array([0, 1, 2], np.int32), [300, 300, 30])
        churned = np.concatenate([np.arange(300) % 2, np.arange(300) % 2, np.ones(30)]).astype(np.int32)
        write_table(sys.argv[2], {"plan": plan, "churned": churned}, {"plan": ["A", "B", "R"]})
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
    elif cmd == "noisecsv":
        noise_csv(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "auc":
        from sklearn.metrics import roc_auc_score
        res, data, target, level = sys.argv[2:6]
        with h5py.File(data, "r") as f:
            d = f["subscribers"][target]
            if "categories" in d.attrs:
                levels = [v.decode() if isinstance(v, bytes) else v for v in d.attrs["categories"]]
                y = d[()] == levels.index(level)
            else:
                y = d[()] == int(level)
        with h5py.File(res, "r") as f:
            test = f["churn/holdout"][()].astype(bool)
            p = f["churn/probability"][()]
            ours = float(f["churn"].attrs["auc"])
        theirs = roc_auc_score(y[test], p[test])
        print("auc %.6f (clmseg says %.6f)" % (theirs, ours))
        sys.exit(0 if abs(theirs - ours) <= 1e-6 else 1)
    elif cmd == "highcard":
        high_cardinality(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "highcard_check":
        from sklearn.metrics import roc_auc_score
        with h5py.File(sys.argv[2], "r") as f:
            truth = f["truth/probability"][()]
            y = f["subscribers/churned"][()]
        with h5py.File(sys.argv[3], "r") as f:
            g = f["churn"]
            names = [v.decode() if isinstance(v, bytes) else v for v in g["feature_names"][()]]
            region = names.index("region")
            imp = g["impurity_importance"][()]
            test = g["holdout"][()].astype(bool)
            p = g["probability"][()]
            used = region in set(g["feature"][()].tolist())
        ours, best = roc_auc_score(y[test], p[test]), roc_auc_score(y[test], truth[test])
        print("region used %s, importance %s, holdout AUC %.4f, true probabilities %.4f"
              % (used, np.round(imp, 4).tolist(), ours, best))
        sys.exit(0 if used and int(np.argmax(imp)) == region and ours >= best - 0.04 else 1)
    elif cmd == "groups_check":
        data, res, column = sys.argv[2:5]
        with h5py.File(data, "r") as f:
            codes = f["subscribers"][column][()]
            n_cat = len(f["subscribers"][column].attrs["categories"])
        with h5py.File(res, "r") as f:
            g = f["churn"]
            names = [v.decode() if isinstance(v, bytes) else v for v in g["feature_names"][()]]
            groups = g["category_groups/%d" % names.index(column)][()]
        counts = np.bincount(codes[codes >= 0], minlength=n_cat)
        top = sorted(range(n_cat), key=lambda c: (-counts[c], c))[:254]
        want = np.full(n_cat, 254)
        want[sorted(top)] = np.arange(254)
        print("groups of %d codes: %d differ" % (n_cat, int((groups != want).sum())))
        sys.exit(0 if groups.shape == (n_cat,) and np.array_equal(groups, want) else 1)
    elif cmd == "scored_same":
        with h5py.File(sys.argv[2], "r") as a, h5py.File(sys.argv[3], "r") as b:
            x, y = a["churn/probability"][()], b["churn/probability"][()]
        print("scored rows differing: %d of %d" % (int((x != y).sum()), len(x)))
        sys.exit(0 if np.array_equal(x, y) else 1)
    elif cmd == "uses":
        feature, n, res = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        with h5py.File(res, "r") as f:
            g = f["churn"]
            names = [v.decode() if isinstance(v, bytes) else v for v in g["feature_names"][()]]
            i = names.index(feature)
            ok = g["feature_categorical"][i] == 1 and len(g["categories/%d" % i]) == n
        print("%s: categorical with %d categories: %s" % (feature, n, ok))
        sys.exit(0 if ok else 1)
    elif cmd == "splits":
        with h5py.File(sys.argv[3], "r") as f:
            g = f["churn"]
            names = [v.decode() if isinstance(v, bytes) else v for v in g["feature_names"][()]]
            n = int((g["feature"][()] == names.index(sys.argv[2])).sum())
        print("%d nodes split on %s" % (n, sys.argv[2]))
        sys.exit(0 if n > 0 else 1)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()

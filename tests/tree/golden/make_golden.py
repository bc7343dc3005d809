#!/usr/bin/python3
"""Golden trees from scikit-learn's DecisionTreeClassifier for test_tree_sklearn.

Run from this folder with Debian's python3 (scikit-learn 1.2.1, numpy):

    /usr/bin/python3 make_golden.py

Writes small.csv (x0..x4 as float32-exact decimals, y binary, z three
classes) and one tree_<case>.txt per case: the nodes in preorder (left
first), one per line:
    split <depth> <feature> <threshold %.17g> <n_samples>
    leaf <depth> <n_samples>
With at most 200 rows every feature has fewer than 255 distinct values, so
clmseg with --bins 256 bins each value exactly and must find the same
splits (midpoint thresholds).

scikit-learn visits features in a random order and keeps the first of
equally good splits, while clmseg keeps the lowest feature: where two
splits tie, the trees may legitimately differ.  The data seed is therefore
advanced until no split node of any case has a tie (checked by scoring
every candidate split of every node with numpy).
"""
import numpy as np
from sklearn.tree import DecisionTreeClassifier

n = 200


def make_data(seed):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(n, 5)) * [1.0, 2.0, 5.0, 1.0, 3.0], 2).astype(np.float32)
    score = X[:, 0] + 0.5 * X[:, 1] - 0.2 * X[:, 2] + 0.8 * rng.normal(size=n)
    y = (score > 0.3).astype(np.int32)
    z = np.digitize(X[:, 3] + 0.4 * X[:, 0] + 0.8 * rng.normal(size=n), [-0.5, 0.6]).astype(np.int32)
    return X, y, z


def node_cost(w, criterion):
    total = w.sum()
    if total <= 0:
        return 0.0
    if criterion == "entropy":
        p = w[w > 0] / total
        return float(-(w[w > 0] * np.log2(p)).sum())
    return float(total - (w ** 2).sum() / total)


def has_tie(model, X, target, criterion, min_leaf, weights):
    """True when some split node has two candidates of equal best cost."""
    t = model.tree_
    paths = model.decision_path(X).toarray().astype(bool)
    k = int(target.max()) + 1
    for i in range(t.node_count):
        if t.children_left[i] < 0:
            continue
        rows = paths[:, i]
        Xn, yn = X[rows], target[rows]
        costs = []
        for f in range(X.shape[1]):
            values = np.unique(Xn[:, f])
            for a, b in zip(values[:-1], values[1:]):
                left = Xn[:, f] <= a
                if left.sum() < min_leaf or (~left).sum() < min_leaf:
                    continue
                wl = np.bincount(yn[left], minlength=k) * weights
                wr = np.bincount(yn[~left], minlength=k) * weights
                costs.append(node_cost(wl, criterion) + node_cost(wr, criterion))
        costs.sort()
        if len(costs) > 1 and costs[1] - costs[0] <= 1e-9 * max(1.0, abs(costs[0])):
            return True
    return False

CASES = {
    # name: (target, sklearn parameters)
    "gini_d3": ("y", dict(criterion="gini", max_depth=3)),
    "entropy_d4": ("y", dict(criterion="entropy", max_depth=4)),
    "minleaf7_d5": ("y", dict(max_depth=5, min_samples_leaf=7)),
    "leaves6": ("y", dict(max_leaf_nodes=6)),
    "ccp": ("y", dict(min_samples_leaf=5, ccp_alpha=0.01)),
    "balanced_d3": ("y", dict(max_depth=3, class_weight="balanced")),
    "multi_d3": ("z", dict(max_depth=3)),
}


def fit_all(X, y, z):
    models = {}
    for name, (target, params) in CASES.items():
        tv = y if target == "y" else z
        m = DecisionTreeClassifier(random_state=0, **params).fit(X, tv)
        k = int(tv.max()) + 1
        if params.get("class_weight") == "balanced":
            weights = len(tv) / (k * np.bincount(tv, minlength=k))
        else:
            weights = np.ones(k)
        if has_tie(m, X, tv, params.get("criterion", "gini"), params.get("min_samples_leaf", 1), weights):
            return None
        models[name] = m
    return models


seed = 20240607
while True:
    X, y, z = make_data(seed)
    models = fit_all(X, y, z)
    if models is not None:
        break
    seed += 1
print("data seed", seed)

with open("small.csv", "w") as f:
    f.write("x0,x1,x2,x3,x4,y,z\n")
    for i in range(n):
        f.write(",".join("%.9g" % float(v) for v in X[i]) + ",%d,%d\n" % (y[i], z[i]))

for name in CASES:
    t = models[name].tree_
    lines = []

    def walk(i, depth):
        if t.children_left[i] < 0:
            lines.append("leaf %d %d" % (depth, t.n_node_samples[i]))
            return
        lines.append("split %d %d %.17g %d" % (depth, t.feature[i], t.threshold[i], t.n_node_samples[i]))
        walk(t.children_left[i], depth + 1)
        walk(t.children_right[i], depth + 1)

    walk(0, 0)
    with open("tree_%s.txt" % name, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(name, t.node_count, "nodes")

#!/usr/bin/python3
"""check_synth.py - independent checks of a quarter written by `clmseg synth`.

Reads the file with h5py and numpy only (no clmseg code), so it is an
independent reader of what the generator wrote.  Run by test_synth_e2e.c
with Debian's /usr/bin/python3 (h5py 3.7, numpy, scikit-learn 1.2.1):

  check_synth.py same   A.h5 B.h5     every dataset and attribute identical
  check_synth.py differ A.h5 B.h5     same schema, different values
  check_synth.py schema Q.h5 N B S    required columns, types, ranges, the
                                      region of every row (its branch's city)
  check_synth.py model  Q.h5          churn rate, survival by segment and
                                      branch, warning signals, k-means ARI
  check_synth.py stages Q.h5          /truth/stage == the rules of docs/synth.md

Prints what it checked; exits 1 with a message on the first failure.
"""
import sys

import h5py
import numpy as np

REQUIRED = {  # column -> allowed numpy kinds
    "subscriber_id": "i", "branch": "i", "tenure_months": "iu", "churned": "iu",
    "arpu": "f", "arpu_prev": "f", "plan": "i",
}
NOT_FEATURES = {"subscriber_id", "branch", "plan", "region", "churned", "tenure_months"}
# docs/synth.md, "Branches and regions": the region of each city, regions
# in order of first appearance over the cities.
REGION_CITIES = [
    ("Ile-de-France", "Paris Boulogne Argenteuil Montreuil"),
    ("Provence-Alpes-Cote-d-Azur", "Marseille Nice Toulon Aix-en-Provence Avignon Cannes Antibes"),
    ("Auvergne-Rhone-Alpes", "Lyon Saint-Etienne Grenoble Villeurbanne Clermont-Ferrand Annecy"),
    ("Occitanie", "Toulouse Montpellier Nimes Perpignan"),
    ("Pays-de-la-Loire", "Nantes Angers Le-Mans"),
    ("Grand-Est", "Strasbourg Reims Metz Mulhouse Nancy Colmar"),
    ("Nouvelle-Aquitaine", "Bordeaux Limoges Poitiers Pau La-Rochelle Bayonne"),
    ("Hauts-de-France", "Lille Amiens Roubaix Tourcoing Calais"),
    ("Bretagne", "Rennes Brest"),
    ("Normandie", "Le-Havre Rouen Caen"),
    ("Bourgogne-Franche-Comte", "Dijon Besancon"),
    ("Centre-Val-de-Loire", "Tours Orleans"),
]
REGION_OF_CITY = {c: r for r, cities in REGION_CITIES for c in cities.split()}
PLANS = ["prepaid", "postpaid", "contract-12m", "contract-24m"]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def text(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def walk(f):
    """All datasets and groups: path -> object."""
    items = {}
    f.visititems(lambda name, obj: items.__setitem__(name, obj))
    return items


def attrs_of(obj):
    out = {}
    for k, v in obj.attrs.items():
        out[k] = text(v) if isinstance(v, np.ndarray) and v.dtype.kind in "OS" else (
            v.decode() if isinstance(v, bytes) else v)
    return out


def cmd_same(a, b):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    ia, ib = walk(fa), walk(fb)
    if sorted(ia) != sorted(ib):
        fail("different objects: %s vs %s" % (sorted(ia), sorted(ib)))
    n = 0
    for name in sorted(ia):
        oa, ob = ia[name], ib[name]
        if repr(attrs_of(oa)) != repr(attrs_of(ob)):
            fail("%s: attributes differ" % name)
        if isinstance(oa, h5py.Dataset):
            if oa.dtype != ob.dtype or oa.shape != ob.shape:
                fail("%s: type or shape differ" % name)
            if oa[()].tobytes() != ob[()].tobytes():
                fail("%s: values differ" % name)
            n += 1
    print("same: %d datasets identical" % n)


def cmd_differ(a, b):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    differing = [k for k in fa["subscribers"] if k != "subscriber_id" and
                 fa["subscribers"][k][()].tobytes() != fb["subscribers"][k][()].tobytes()]
    if len(differing) < 20:
        fail("only %d columns differ between seeds: %s" % (len(differing), differing))
    print("differ: %d columns differ" % len(differing))


def cmd_schema(path, n_rows, n_branches, n_segments):
    f = h5py.File(path, "r")
    g = f["subscribers"]
    for col, kinds in REQUIRED.items():
        if col not in g:
            fail("missing column %s" % col)
        if g[col].shape != (n_rows,):
            fail("%s has shape %s, want (%d,)" % (col, g[col].shape, n_rows))
        if g[col].dtype.kind not in kinds:
            fail("%s has type %s" % (col, g[col].dtype))
    ids = g["subscriber_id"][()]
    if g["subscriber_id"].dtype != np.int64 or np.unique(ids).size != n_rows:
        fail("subscriber_id not unique int64")
    tenure = g["tenure_months"][()]
    if tenure.min() < 0:
        fail("negative tenure")
    churned = g["churned"][()]
    if not np.isin(churned, [0, 1]).all() or g["churned"].dtype != np.int8:
        fail("churned not int8 0/1")
    for col in ("arpu", "arpu_prev"):
        if g[col].dtype != np.float32 or not np.isfinite(g[col][()]).all():
            fail("%s not finite float32" % col)
    branch_names = text(g["branch"].attrs["categories"])
    if len(branch_names) != n_branches or len(set(branch_names)) != n_branches or \
            min(len(s) for s in branch_names) < 3:
        fail("branch categories: %d names, %d unique" % (len(branch_names), len(set(branch_names))))
    codes = g["branch"][()]
    if codes.min() < 0 or codes.max() >= n_branches:
        fail("branch code out of range")
    check_regions(g, branch_names, codes)
    if text(g["plan"].attrs["categories"]) != PLANS:
        fail("plan categories %s" % text(g["plan"].attrs["categories"]))
    plan = g["plan"][()]
    if plan.min() < 0 or plan.max() > 3:
        fail("plan code out of range")
    features = [k for k in g if k not in NOT_FEATURES and g[k].dtype.kind in "iuf"]
    if len(features) < 16:
        fail("only %d numeric features" % len(features))
    for k in features:
        v = g[k][()]
        if v.shape != (n_rows,) or not np.isfinite(v.astype(np.float64)).all() or v.min() < 0:
            fail("feature %s: bad shape or negative / non-finite values" % k)
    t = f["truth"]
    seg, stage = t["segment"][()], t["stage"][()]
    if t["segment"].dtype != np.int32 or seg.min() < 0 or seg.max() >= n_segments:
        fail("truth/segment type or range")
    if t["stage"].dtype != np.uint8 or stage.max() > 4:
        fail("truth/stage type or range")
    if text(t["stage"].attrs["stages"]) != ["A", "B", "C", "D", "E"]:
        fail("stages attribute")
    print("schema: %d rows, %d numeric features, %d branches, %d segments"
          % (n_rows, len(features), n_branches, n_segments))


def check_regions(g, branch_names, branch):
    """region: the last column of /subscribers, categorical, each row's
    region that of its branch's city, the categories the regions used in
    order of first appearance."""
    created = []
    g.id.links.iterate(lambda name: created.append(name.decode()), idx_type=h5py.h5.INDEX_CRT_ORDER)
    if created[-1] != "region":
        fail("region is not the last column written: %s" % created)
    names = text(g["region"].attrs["categories"])
    region = g["region"][()]
    if g["region"].dtype != np.int32 or region.min() < 0 or region.max() >= len(names):
        fail("region type or code range")
    city = []
    for b in branch_names:
        hits = [c for c in REGION_OF_CITY if b.startswith(c + "-")]
        if len(hits) != 1:
            fail("branch %s: no single city" % b)
        city.append(hits[0])
    want = [REGION_OF_CITY[city[b]] for b in range(len(branch_names))]
    used = []
    for r in want:
        if r not in used:
            used.append(r)
    all_regions = [r for r, _ in REGION_CITIES]
    if names != used or names != all_regions[:len(names)]:
        fail("region categories %s, want %s" % (names, used))
    got = np.array(names, dtype=object)[region]
    expect = np.array(want, dtype=object)[branch]
    if not (got == expect).all():
        i = int(np.nonzero(got != expect)[0][0])
        fail("row %d: region %s, its branch %s is in %s" % (i, got[i], branch_names[branch[i]], expect[i]))


def km_at(time, event, horizon):
    """Kaplan-Meier S(horizon) for integer times: product over event times
    t <= horizon of (1 - d_t / n_t), n_t = number with time >= t."""
    s = 1.0
    for t in np.unique(time[(event == 1) & (time <= horizon)]):
        at_risk = np.count_nonzero(time >= t)
        deaths = np.count_nonzero((time == t) & (event == 1))
        s *= 1.0 - deaths / at_risk
    return s


def cmd_model(path):
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    f = h5py.File(path, "r")
    g, t = f["subscribers"], f["truth"]
    churned = g["churned"][()]
    tenure = g["tenure_months"][()]
    seg = t["segment"][()]
    names = text(t["segment"].attrs["segments"])
    rate = churned.mean()
    if not 0.10 <= rate <= 0.30:
        fail("churn rate %.3f outside [0.10, 0.30]" % rate)
    s12 = {names[k]: km_at(tenure[seg == k], churned[seg == k], 12) for k in range(len(names))}
    # docs/synth.md: dormant-at-risk has the highest hazard, family-bundle the lowest.
    if not s12["dormant-at-risk"] < s12["family-bundle"] - 0.3:
        fail("S(12) dormant %.3f vs family %.3f" % (s12["dormant-at-risk"], s12["family-bundle"]))
    if max(s12.values()) - min(s12.values()) < 0.3:
        fail("segment S(12) spread too small: %s" % s12)
    branch = g["branch"][()]
    counts = np.bincount(branch)
    big = np.flatnonzero(counts >= 300)
    b12 = np.array([km_at(tenure[branch == b], churned[branch == b], 12) for b in big])
    if len(big) < 10 or b12.max() - b12.min() < 0.08:
        fail("branch S(12) spread %.3f over %d branches" % (b12.max() - b12.min(), len(big)))
    if counts.max() < 20 * max(counts.min(), 1):
        fail("branch sizes not very different: %d vs %d" % (counts.max(), counts.min()))
    # Warning signals carry risk: churn is higher with any suspension / downgrade.
    for col in ("suspensions", "plan_downgrades", "complaints"):
        v = g[col][()]
        if not churned[v > 0].mean() > churned[v == 0].mean() + 0.05:
            fail("%s does not raise churn" % col)
    # Segments are recoverable: k-means on standardised features.
    n = min(20000, len(seg))
    feats = [k for k in g if k not in NOT_FEATURES]
    X = np.column_stack([g[k][:n].astype(np.float64) for k in feats])
    X = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0)
    labels = KMeans(n_clusters=len(names), n_init=4, random_state=0).fit_predict(X)
    ari = adjusted_rand_score(seg[:n], labels)
    if ari < 0.4:
        fail("k-means ARI %.3f < 0.4" % ari)
    print("model: churn %.3f, S12 by segment %s, branch S12 %.3f..%.3f, ARI %.3f"
          % (rate, {k: round(v, 3) for k, v in s12.items()}, b12.min(), b12.max(), ari))


def cmd_stages(path):
    f = h5py.File(path, "r")
    g = f["subscribers"]
    col = {k: g[k][()] for k in ("churned", "tenure_months", "arpu", "arpu_prev", "contacts_now",
                                 "contacts_prev", "suspensions", "plan_downgrades", "complaints")}
    arpu = col["arpu"].astype(np.float64)
    prev = col["arpu_prev"].astype(np.float64)
    decline = ((arpu < 0.85 * prev) |
               (10 * col["contacts_now"].astype(np.int64) < 7 * col["contacts_prev"].astype(np.int64)) |
               (col["suspensions"] > 0) | (col["plan_downgrades"] > 0) | (col["complaints"] >= 2))
    stage = np.full(arpu.shape, 2, dtype=np.uint8)              # C
    stage[arpu > 1.05 * prev] = 1                                # B
    stage[decline] = 3                                           # D
    stage[col["tenure_months"] < 4] = 0                          # A
    stage[col["churned"] == 1] = 4                               # E
    truth = f["truth"]["stage"][()]
    wrong = np.flatnonzero(stage != truth)
    if wrong.size:
        fail("%d stages differ from the rules, first row %d: %d vs %d"
             % (wrong.size, wrong[0], truth[wrong[0]], stage[wrong[0]]))
    shares = np.bincount(truth, minlength=5) / truth.size
    if shares.min() < 0.02:
        fail("a stage is nearly empty: %s" % shares)
    print("stages: all %d rows follow the rules; shares A..E %s" % (truth.size, np.round(shares, 3)))


def main(argv):
    if len(argv) < 3:
        fail(__doc__)
    cmd = argv[1]
    if cmd == "same":
        cmd_same(argv[2], argv[3])
    elif cmd == "differ":
        cmd_differ(argv[2], argv[3])
    elif cmd == "schema":
        cmd_schema(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif cmd == "model":
        cmd_model(argv[2])
    elif cmd == "stages":
        cmd_stages(argv[2])
    else:
        fail("unknown check " + cmd)


if __name__ == "__main__":
    main(sys.argv)

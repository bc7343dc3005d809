#!/usr/bin/env python3
"""Independent checks of `clmseg run --previous` (h5py, numpy, csv):

    check_previous.py changes PREV_OUT OUT
        changes.csv of OUT recomputed from PREV_OUT/branches.csv and
        OUT/branches.csv, every column.
    check_previous.py relabel PREV_OUT PLAIN_OUT OUT
        OUT is the run of the quarter of PLAIN_OUT (same settings) with
        --previous PREV_OUT: its centroids are PLAIN_OUT's renumbered, the
        renumbering is a minimum-cost assignment (brute force over every
        injection) on squared distances in PLAIN_OUT's standardised space,
        numbered by the documented rule, and the labels, sizes, profile,
        /segments/continues and segments.csv follow it.
    check_previous.py names OUT [N:NAME,...]
        segments.csv's names follow the documented rule from
        /segments/profile/zscore, except the overridden ones.

Prints "ok" and exits 0, or prints the failed check and exits 1.
"""
import csv, itertools, math, os, sys

import h5py
import numpy as np

from check_run import check, fail  # this folder's run checker: same verdict lines


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


# ---- changes.csv ------------------------------------------------------------

FIGURES = [("health", 2), ("churn_rate", 6), ("s12", 6), ("arpu", 4)] + \
          [("share_" + s, 6) for s in "ABCDE"]


def value(row, name):
    """A branches.csv figure as a float, None when NA."""
    v = row[name]
    return None if v in ("NA", "") else float(v)


def check_changes(prev_out, out):
    prev = {r["branch"]: r for r in rows(os.path.join(prev_out, "branches.csv"))}
    now = rows(os.path.join(out, "branches.csv"))
    changes = rows(os.path.join(out, "changes.csv"))
    now_names = [r["branch"] for r in now]
    gone = sorted((r for n, r in prev.items() if n not in set(now_names)), key=lambda r: int(r["rank"]))
    expected = [(r["branch"], r, prev.get(r["branch"])) for r in now] + [(r["branch"], None, r) for r in gone]
    check(len(changes) == len(expected), "changes.csv has %d rows, expected %d" % (len(changes), len(expected)))
    for c, (name, cur, old) in zip(changes, expected):
        check(c["branch"] == name, "changes.csv order: %s where %s was expected" % (c["branch"], name))
        status = "both" if cur and old else ("new" if cur else "gone")
        check(c["status"] == status, "%s: status %s, expected %s" % (name, c["status"], status))
        check(c["rank_prev"] == (old["rank"] if old else ""), "%s: rank_prev" % name)
        check(c["rank"] == (cur["rank"] if cur else ""), "%s: rank" % name)
        up = str(int(old["rank"]) - int(cur["rank"])) if cur and old else ""
        check(c["rank_up"] == up, "%s: rank_up %s, expected %s" % (name, c["rank_up"], up))
        for fig, decimals in FIGURES:
            a = value(old, fig) if old else None
            b = value(cur, fig) if cur else None
            # the same figures, printed with the same decimals as branches.csv
            check(c[fig + "_prev"] == ("" if a is None else old[fig]), "%s: %s_prev %s" % (name, fig, c[fig + "_prev"]))
            check(c[fig] == ("" if b is None else cur[fig]), "%s: %s %s" % (name, fig, c[fig]))
            d = c[fig + "_delta"]
            if a is None or b is None:
                check(d == "", "%s: %s_delta should be empty" % (name, fig))
            else:
                # differences of the unrounded figures, so within one unit
                # of the last printed decimal of the rounded ones
                check(abs(float(d) - (b - a)) <= 1.01 * 10.0 ** -decimals,
                      "%s: %s_delta %s against %s - %s" % (name, fig, d, cur[fig], old[fig]))
    check_movers(out, changes)
    print("ok")


def check_movers(out, changes):
    """The report's first riser and first faller are the branches of
    changes.csv with the largest and the most negative rank_up (ties: the
    better rank this quarter)."""
    with open(os.path.join(out, "report.html"), encoding="utf-8") as fh:
        page = fh.read()
    both = [c for c in changes if c["status"] == "both"]
    for title, sign in (("Moved most up:", 1), ("Moved most down:", -1)):
        moved = [c for c in both if sign * int(c["rank_up"]) > 0]
        at = page.find(title)
        if not moved:
            check(at < 0, "report lists '%s' though no branch moved that way" % title)
            continue
        check(at >= 0, "report lacks '%s'" % title)
        first = min(moved, key=lambda c: (-sign * int(c["rank_up"]), int(c["rank"])))
        row = page.find("<tr><td>", page.find("<tbody>", at)) + len("<tr><td>")
        shown = page[row: page.find("</td>", row)]
        check(shown == first["branch"], "report's first under '%s' is %s, expected %s" % (title, shown, first["branch"]))


# ---- relabelling --------------------------------------------------------------

def segments(out):
    f = h5py.File(os.path.join(out, "results.h5"), "r")
    g = f["/segments"]
    seg = {
        "features": [text(x) for x in g.attrs["features"]],
        "centroids": g["centroids"][:].astype(np.float64),
        "scaled": g["centroids_scaled"][:].astype(np.float64),
        "center": np.asarray(g.attrs["scale_center"], dtype=np.float64),
        "scale": np.asarray(g.attrs["scale_scale"], dtype=np.float64),
        "label": g["label"][:],
        "size": g["size"][:],
        "share": g["profile/share"][:],
        "continues": g["continues"][:] if "continues" in g else None,
        "previous": text(g.attrs["previous"]) if "previous" in g.attrs else None,
    }
    f.close()
    return seg


def best_assignment(cost):
    """Minimum total over every injection of the smaller side, by brute force."""
    k, kp = cost.shape
    best, best_match = math.inf, None
    if k <= kp:
        for cols in itertools.permutations(range(kp), k):
            total = sum(cost[i, cols[i]] for i in range(k))
            if total < best:
                best, best_match = total, list(cols)
    else:
        for rws in itertools.permutations(range(k), kp):
            total = sum(cost[rws[j], j] for j in range(kp))
            if total < best:
                best, best_match = total, [-1] * k
                for j in range(kp):
                    best_match[rws[j]] = j
    return best, best_match


def numbering(match, kp):
    """The documented rule: keep a previous number below k, hand the free
    numbers to the other continuations (by previous number), then to the
    new segments (in their order)."""
    k = len(match)
    number = [-1] * k
    for i, m in enumerate(match):
        if 0 <= m < k:
            number[i] = m
    free = [n for n in range(k) if n not in number]
    rest = sorted([i for i, m in enumerate(match) if m >= k], key=lambda i: match[i]) + \
           [i for i, m in enumerate(match) if m < 0]
    for i, n in zip(rest, free):
        number[i] = n
    return number


def check_relabel(prev_out, plain_out, out):
    prev, plain, new = segments(prev_out), segments(plain_out), segments(out)
    k, kp = len(plain["size"]), len(prev["size"])
    check(new["previous"] == os.path.join(prev_out, "results.h5"), "/segments previous attribute %s" % new["previous"])
    check(plain["features"] == new["features"], "features differ")
    idx = [prev["features"].index(f) for f in plain["features"]]
    old = (prev["centroids"][:, idx] - plain["center"]) / plain["scale"]
    cost = ((plain["scaled"][:, None, :] - old[None, :, :]) ** 2).sum(-1)
    best, match = best_assignment(cost)
    number = numbering(match, kp)
    check(sorted(number) == list(range(k)), "numbering is not a permutation")
    # the run's renumbering: each plain centroid found among the new ones
    found = []
    for i in range(k):
        hits = [j for j in range(k) if np.array_equal(new["scaled"][j], plain["scaled"][i])]
        check(len(hits) == 1, "plain centroid %d found %d times among the renumbered" % (i, len(hits)))
        found.append(hits[0])
    chosen = sum(cost[i, match[i]] for i in range(k) if match[i] >= 0)
    got = sum(cost[i, (new["continues"][found[i]])] for i in range(k) if new["continues"][found[i]] >= 0)
    check(abs(got - best) <= 1e-9 * max(1.0, best), "matched cost %.9g, brute-force minimum %.9g" % (got, best))
    if found != number:
        # equal costs could pick another assignment; with real data none tie
        fail("renumbering %s, expected %s (cost %.9g vs %.9g)" % (found, number, got, chosen))
    for i in range(k):
        check(new["continues"][number[i]] == match[i], "continues[%d] = %d, expected %d"
              % (number[i], new["continues"][number[i]], match[i]))
        check(new["size"][number[i]] == plain["size"][i], "size of segment %d" % number[i])
        check(new["share"][number[i]] == plain["share"][i], "share of segment %d" % number[i])
    lab = plain["label"]
    expect = np.where(lab >= 0, np.asarray(number)[np.maximum(lab, 0)], -1)
    check(np.array_equal(new["label"], expect), "labels do not follow the renumbering")
    csvrows = rows(os.path.join(out, "segments.csv"))
    for r in csvrows:
        s = int(r["segment"])
        c = int(new["continues"][s])
        check(r["continues"] == ("" if c < 0 else str(c)), "segments.csv continues of %d: '%s'" % (s, r["continues"]))
        check(int(r["size"]) == int(new["size"][s]), "segments.csv size of %d" % s)
    print("ok")


# ---- names --------------------------------------------------------------------

UNITS = ["_gb", "_mb", "_minutes", "_months", "_count"]


def words(feature):
    for u in UNITS:
        if feature.endswith(u) and len(feature) > len(u):
            feature = feature[: -len(u)]
            break
    return " ".join("ARPU" if w == "arpu" else w for w in feature.split("_"))


def rule_name(z, features):
    order = sorted((j for j in range(len(z)) if abs(z[j]) >= 0.5), key=lambda j: (-abs(z[j]), j))[:3]
    if not order:
        return "typical"
    return " \u00b7 ".join(("high " if z[j] > 0 else "low ") + words(features[j]) for j in order)


def check_names(out, overrides):
    f = h5py.File(os.path.join(out, "results.h5"), "r")
    z = f["/segments/profile/zscore"][:]
    features = [text(x) for x in f["/segments/profile/zscore"].attrs["features"]]
    saved = [text(x) for x in f["/segments/profile/name"][:]]
    f.close()
    given = {}
    for item in filter(None, overrides.split(",")):
        n, name = item.split(":", 1)
        given[int(n)] = name.strip()
    csvrows = rows(os.path.join(out, "segments.csv"))
    check(len(csvrows) == len(z), "segments.csv rows")
    for r in csvrows:
        s = int(r["segment"])
        want = given.get(s, rule_name(z[s], features))
        check(r["name"] == want, "segment %d named '%s', expected '%s'" % (s, r["name"], want))
        check(saved[s] == want, "/segments/profile/name of %d" % s)
    with open(os.path.join(out, "report.html"), encoding="utf-8") as fh:
        page = fh.read()
    for s, name in given.items():
        check(("segment %d: %s" % (s, name)) in page, "report lacks the label of segment %d" % s)
    print("ok")


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "changes":
        check_changes(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 5 and sys.argv[1] == "relabel":
        check_relabel(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 3 and sys.argv[1] == "names":
        check_names(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    else:
        fail("usage: " + __doc__)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Independent checks of a `clmseg run` output folder (h5py, csv, json,
html.parser): every output present and consistent with the input.

    check_run.py outputs INPUT.h5 OUTDIR [--branches B] [--truth]
    check_run.py dom OUTDIR DOM.html   (the page as Chromium rendered it)

Prints "ok" and exits 0, or prints the failed check and exits 1.
"""
import csv, html.parser, json, math, os, sys

import h5py
import numpy as np


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def read_branches(outdir):
    with open(os.path.join(outdir, "branches.csv"), newline="") as f:
        return list(csv.DictReader(f))


def outputs(inp, outdir, n_branches, truth):
    names = ["results.h5", "segments.csv", "branches.csv", "warning.csv", "survival_segment.csv",
             "survival_branch.csv", "tree_rules.txt", "report.html", "run.json", "config.used"]
    for n in names:
        check(os.path.getsize(os.path.join(outdir, n)) > 0, n + " missing or empty")
    check(not [f for f in os.listdir(outdir) if ".tmp." in f], "temporary files left: %s" % os.listdir(outdir))
    with h5py.File(inp, "r") as fi:
        n = len(next(iter(fi["subscribers"].values())))
        churned = fi["subscribers/churned"][:] if "churned" in fi["subscribers"] else None
        truth_stage = fi["truth/stage"][:] if truth else None
        ids = fi["subscribers/subscriber_id"][:] if "subscriber_id" in fi["subscribers"] else None
    with h5py.File(os.path.join(outdir, "results.h5"), "r") as r:
        for path in ["segments/label", "segments/distance", "value/tier", "lifecycle/stage", "churn/probability"]:
            check(r[path].shape == (n,), "%s has %s rows, input %d" % (path, r[path].shape, n))
        label = r["segments/label"][:]
        k = r["segments/size"].shape[0]
        check(label.min() >= 0 and label.max() < k, "labels outside 0..k-1")
        check((np.bincount(label, minlength=k) == r["segments/size"][:]).all(), "segment sizes != label counts")
        stage = r["lifecycle/stage"][:]
        check(stage.max() <= 4, "stage code above 4")
        if churned is not None:
            check(((stage == 4) == (churned == 1)).all(), "stage E is not exactly the churned rows")
        tier = r["value/tier"][:]
        check(tier.max() <= 2, "tier code above 2")
        share_high = float((tier == 0).mean())
        check(0.15 <= share_high <= 0.30, "high tier share %.3f far from 20%%" % share_high)
        p = r["churn/probability"][:]
        check(((p >= 0) & (p <= 1)).all(), "probabilities outside [0, 1]")
        nb = r["branches/name"].shape[0]
        check(n_branches is None or nb == n_branches, "results.h5 has %d branches, expected %s" % (nb, n_branches))
        health = r["branches/health"][:]
        check(((health >= 0) & (health <= 100)).all(), "/branches/health outside [0, 100]")
        shares = sum(r["branches/share_" + s][:] for s in "ABCDE")
        check(np.allclose(shares, 1.0, atol=1e-9), "stage shares of a branch do not sum to 1")
        check(int(r["branches/subscribers"][:].sum()) == n, "branch subscribers do not add up to N")
        for g in ["survival/segment", "survival/all", "churn"]:
            check(g in r, g + " missing from results.h5")
        if truth:
            agree = float((stage == truth_stage).mean())
            check(agree > 0.999, "stages agree with /truth/stage on only %.4f" % agree)
    rows = read_branches(outdir)
    check(n_branches is None or len(rows) == n_branches, "branches.csv has %d rows" % len(rows))
    with h5py.File(inp, "r") as fi:
        sub = fi["subscribers"]
        if churned is not None and "branch" in sub and "categories" in sub["branch"].attrs:
            # Churn rate per branch is the event's, whatever model staged the rows.
            codes = sub["branch"][:]
            names = [c.decode() if isinstance(c, bytes) else c for c in sub["branch"].attrs["categories"]]
            rate = {r["branch"]: float(r["churn_rate"]) for r in rows}
            for code in np.unique(codes):
                expect = float(churned[codes == code].mean())
                check(abs(rate[names[code]] - expect) < 1e-6,
                      "churn rate of %s: %s, input says %.6f" % (names[code], rate[names[code]], expect))
    check(len({r["branch"] for r in rows}) == len(rows), "a branch appears twice in branches.csv")
    check([int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1)), "ranks are not 1..B")
    totals = [float(r["health"]) for r in rows]
    check(totals == sorted(totals, reverse=True), "branches.csv is not sorted by health")
    for r in rows:
        for key in ["retention", "value", "growth", "risk", "health"]:
            check(0 <= float(r[key]) <= 100, "%s of %s is %s" % (key, r["branch"], r[key]))
        s = sum(float(r["share_" + c]) for c in "ABCDE")
        check(abs(s - 1) < 1e-5, "stage shares of %s sum to %.7f" % (r["branch"], s))
        check(r["lever"] in ("acquisition", "retention", "up-sell/cross-sell", "win-back", "bad-debt control"),
              "unknown lever " + r["lever"])
    with open(os.path.join(outdir, "warning.csv"), newline="") as f:
        warn = list(csv.DictReader(f))
    check(len(warn) > 0, "warning.csv is empty")
    last = {}
    id_set = set(int(v) for v in ids) if ids is not None else None
    for w in warn:
        check(w["tier"] in ("high", "medium"), "warning lists a %s-tier subscriber" % w["tier"])
        check(w["stage"] != "E", "warning lists a churned subscriber")
        if ids is not None:
            # exact integers: ids above 2^53 must not pass through a double
            check(int(w["subscriber_id"]) in id_set, "warning id %s is not an input id" % w["subscriber_id"])
        p = float(w["churn_probability"])
        check(p <= last.get(w["branch"], 2.0), "warning.csv not sorted by probability within a branch")
        last[w["branch"]] = p
    run = json.load(open(os.path.join(outdir, "run.json")))
    check(run["input"]["rows"] == n, "run.json rows")
    steps = [s["step"] for s in run["steps"]]
    for s in ["validate", "segments", "tiers+stages", "churn tree", "survival", "branch health"]:
        check(s in steps, "run.json lacks step " + s)
    check(all(s["seconds"] >= 0 and s["peak_mb"] > 0 for s in run["steps"]), "bad step timing")
    check(run["versions"]["hdf5"].count(".") == 2 and "OpenBLAS" in run["versions"]["openblas"], "versions")
    check(abs(sum(run["results"]["stage_shares"]) - 1) < 1e-12, "run.json stage shares")


class TableParser(html.parser.HTMLParser):
    """Collects the rows of <table id="branches"> and counts svg elements."""

    def __init__(self):
        super().__init__()
        self.in_table = False
        self.rows, self.row, self.cell = [], None, None
        self.svgs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs += 1
        if tag == "table" and a.get("id") == "branches":
            self.in_table = True
        elif self.in_table and tag == "tr":
            self.row = []
        elif self.in_table and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.in_table:
            self.in_table = False
        elif self.in_table and tag == "td" and self.row is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif self.in_table and tag == "tr" and self.row:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def dom(outdir, dom_path):
    text = open(dom_path, encoding="utf-8").read()
    check("Quarterly customer-lifecycle report" in text, "title missing from the rendered page")
    parser = TableParser()
    parser.feed(text)
    check(parser.svgs >= 4, "expected at least 4 charts, found %d" % parser.svgs)
    rows = read_branches(outdir)
    check(len(parser.rows) == len(rows), "page shows %d branches, branches.csv %d" % (len(parser.rows), len(rows)))
    cols = ["rank", "branch", "subscribers", "churn_rate", "s12", "arpu", "ltv", "retention", "value", "growth",
            "risk", "health", "lever"]
    for shown, r in zip(parser.rows, rows):
        for i, c in enumerate(cols):
            check(shown[i] == r[c], "branch %s: page shows %s=%r, branches.csv %r" % (r["branch"], c, shown[i], r[c]))


def predicted(results, nxt, scored):
    """A next quarter scored with a run's models: every per-row output,
    stages by the saved rules, tiers by the saved thresholds."""
    with h5py.File(results, "r") as r, h5py.File(nxt, "r") as q, h5py.File(scored, "r") as s:
        n = q["subscribers/arpu"].shape[0]
        for path in ["segments/label", "segments/distance", "churn/probability", "lifecycle/stage", "value/tier"]:
            check(s[path].shape == (n,), "%s has %s rows, next quarter %d" % (path, s[path].shape, n))
        k = r["segments/size"].shape[0]
        label = s["segments/label"][:]
        check(label.min() >= 0 and label.max() < k, "predicted labels outside 0..k-1")
        check((s["lifecycle/stage"][:] == q["truth/stage"][:]).mean() > 0.999, "predicted stages != truth")
        arpu = q["subscribers/arpu"][:].astype(np.float64)
        hi, lo = r["value"].attrs["high_min"], r["value"].attrs["low_max"]
        expect = np.where(arpu >= hi, 0, np.where(arpu < lo, 2, 1))
        check((s["value/tier"][:] == expect).all(), "predicted tiers do not follow the saved thresholds")
        p = s["churn/probability"][:]
        check(((p >= 0) & (p <= 1)).all(), "predicted probabilities outside [0, 1]")


if __name__ == "__main__":
    if sys.argv[1] == "outputs":
        nb = None
        if "--branches" in sys.argv:
            nb = int(sys.argv[sys.argv.index("--branches") + 1])
        outputs(sys.argv[2], sys.argv[3], nb, "--truth" in sys.argv)
    elif sys.argv[1] == "predict":
        predicted(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "dom":
        dom(sys.argv[2], sys.argv[3])
    else:
        fail("unknown command")
    print("ok")

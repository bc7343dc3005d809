#!/usr/bin/env python3
"""Independent checks of a `clmseg run` output folder (h5py, csv, json,
html.parser): every output present and consistent with the input.

    check_run.py outputs INPUT.h5 OUTDIR [--branches B] [--truth]
    check_run.py dom OUTDIR DOM.html   (the page as Chromium rendered it)
    check_run.py page OUTDIR DOM.html BRANCH   (a branch's page, rendered)
    check_run.py segment OUTDIR DOM.html S     (a segment's page, rendered)
    check_run.py zh OUTDIR DOM.html    (the Chinese page, main or a branch's)
    check_run.py sections OUTDIR DOM.html [zh]  (regions, quarter over quarter, scenarios)
    check_run.py scenario-zh DOM.html  (scenario.html in Chinese, rendered)
    check_run.py size OUTDIR BYTES BRANCHES (report.html under BYTES, every branch in it)
    check_run.py link DOM.html BRANCH  (prints the anchor of the branch's page)

Numbers on the page are checked against the CSVs with the rounding
docs/run.md documents: printf rounding of the CSV value (percentages:
100 x value, 2 decimals; money: 2 decimals; thousands separated by ","),
computed here with Python's own formatting.

Prints "ok" and exits 0, or prints the failed check and exits 1.
"""
import csv, html.parser, json, math, os, re, sys

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
             "survival_branch.csv", "tree_rules.txt", "report.html", "run.json", "config.used",
             "lifecycle_curves.csv", "lifecycle_stages.csv"]
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
    lifecycle(inp, outdir)
    run = json.load(open(os.path.join(outdir, "run.json")))
    check(run["input"]["rows"] == n, "run.json rows")
    steps = [s["step"] for s in run["steps"]]
    for s in ["validate", "segments", "tiers+stages", "churn tree", "survival", "branch health"]:
        check(s in steps, "run.json lacks step " + s)
    check(all(s["seconds"] >= 0 and s["cpu_s"] >= 0 and s["peak_mb"] > 0 for s in run["steps"]), "bad step timing")
    check(run["versions"]["hdf5"].count(".") == 2 and "OpenBLAS" in run["versions"]["openblas"], "versions")
    check(abs(sum(run["results"]["stage_shares"]) - 1) < 1e-12, "run.json stage shares")


def setting(outdir, section, key):
    """A setting of the run, from config.used."""
    current = None
    for line in open(os.path.join(outdir, "config.used"), encoding="utf-8"):
        line = line.strip()
        if line.startswith("["):
            current = line[1:-1]
        elif current == section and "=" in line and not line.startswith("#"):
            k, v = [s.strip() for s in line.split("=", 1)]
            if k == key:
                return v.strip('"')
    return None


def km_tables(outdir):
    """Kaplan-Meier step functions by stratum: {(level, name): (times, S)}."""
    km = {}
    for fname, level in (("survival_branch.csv", "branch"), ("survival_segment.csv", "segment")):
        with open(os.path.join(outdir, fname), newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                key = ("company", "all") if r["stratum"] == "all" else (level, r["stratum"])
                if key[0] == "company" and level == "segment":
                    continue
                km.setdefault(key, ([], []))
                km[key][0].append(float(r["time"]))
                km[key][1].append(float(r["survival"]))
    return km


def s_at(curve, t):
    times, s = curve
    i = np.searchsorted(np.asarray(times), t, side="right")
    return 1.0 if i == 0 else s[i - 1]


def lifecycle(inp, outdir):
    """lifecycle_curves.csv holds the company, every branch and every
    segment, its survival is the Kaplan-Meier S of survival_*.csv at each
    month, /lifecycle/curves holds the same rows; the stage rows (CSV and
    /lifecycle/stages) hold the counts, mean ARPU and exact tenure quartiles
    recomputed here from the input with numpy (linear interpolation)."""
    with open(os.path.join(outdir, "lifecycle_curves.csv"), newline="", encoding="utf-8-sig") as f:
        curves = list(csv.DictReader(f))
    with open(os.path.join(outdir, "lifecycle_stages.csv"), newline="", encoding="utf-8-sig") as f:
        stages = list(csv.DictReader(f))
    branches = [r["branch"] for r in read_branches(outdir)]
    with h5py.File(os.path.join(outdir, "results.h5"), "r") as r:
        k = r["segments/size"].shape[0]
        names = [n.decode() if isinstance(n, bytes) else n for n in r["lifecycle/names"][:]]
        levels = [n.decode() if isinstance(n, bytes) else n for n in r["lifecycle/curves"].attrs["levels"]]
        hc = {c: r["lifecycle/curves/" + c][:] for c in
              ("level", "name", "month", "subscribers", "mean_arpu", "survival", "cumulative_value")}
        hs = {c: r["lifecycle/stages/" + c][:] for c in
              ("level", "name", "stage", "subscribers", "mean_arpu", "tenure_q1", "tenure_median", "tenure_q3")}
        label = r["segments/label"][:]
        stage = r["lifecycle/stage"][:]
    seen = {(c["level"], c["name"]) for c in curves}
    want = {("company", "all")} | {("branch", b) for b in branches} | {("segment", str(s)) for s in range(k)}
    check(seen == want, "lifecycle_curves.csv groups: %d, expected %d (missing %s)"
          % (len(seen), len(want), sorted(want - seen)[:3]))
    check(len(hc["month"]) == len(curves), "/lifecycle/curves has %d rows, the CSV %d" % (len(hc["month"]), len(curves)))
    km = km_tables(outdir)
    for i, c in enumerate(curves):
        check(levels[hc["level"][i]] == c["level"] and names[hc["name"][i]] == c["name"] and
              hc["month"][i] == int(c["month"]) and hc["subscribers"][i] == int(c["subscribers"]),
              "/lifecycle/curves row %d differs from lifecycle_curves.csv" % i)
        for col, d in (("mean_arpu", 4), ("survival", 6), ("cumulative_value", 4)):
            v = hc[col][i]
            check(c[col] == ("NA" if math.isnan(v) else "%.*f" % (d, v)),
                  "/lifecycle/curves %s row %d: %r, CSV %r" % (col, i, v, c[col]))
        key = (c["level"], c["name"])
        if key in km:
            expect = s_at(km[key], int(c["month"]))
            check(abs(float(c["survival"]) - expect) <= 5e-7,
                  "survival of %s at month %s: %s, Kaplan-Meier %.6f" % (key, c["month"], c["survival"], expect))
    # Stage rows from the input.
    col_time = setting(outdir, "columns", "time")
    col_branch = setting(outdir, "columns", "branch")
    col_arpu = setting(outdir, "columns", "arpu")
    with h5py.File(inp, "r") as fi:
        sub = fi["subscribers"]
        tenure = sub[col_time][:].astype(np.float64)
        arpu = sub[col_arpu][:].astype(np.float32).astype(np.float64)
        if col_branch and col_branch in sub and "categories" in sub[col_branch].attrs:
            codes = sub[col_branch][:].astype(np.int64)
            cats = [c.decode() if isinstance(c, bytes) else c for c in sub[col_branch].attrs["categories"]]
            bname = np.array([cats[c] if c >= 0 else "" for c in codes], dtype=object)
        else:
            bname = None
    check(setting(outdir, "columns", "time_unit") in (None, "months"), "the checker reads tenure in months")
    rows = {(s["level"], s["name"], s["stage"]): s for s in stages}
    check(len(stages) == 5 * len(want) == len(hs["stage"]), "lifecycle_stages.csv has %d rows" % len(stages))
    groups = [("company", "all", np.ones(len(stage), bool))]
    groups += [("segment", str(s), label == s) for s in range(k)]
    if bname is not None:
        groups += [("branch", b, bname == b) for b in branches]
    checked = 0
    for level, name, mask in groups:
        for code, letter in enumerate("ABCDE"):
            row = rows[(level, name, letter)]
            sel = mask & (stage == code)
            check(int(row["subscribers"]) == int(sel.sum()), "%s %s stage %s: %s subscribers, input %d"
                  % (level, name, letter, row["subscribers"], sel.sum()))
            if sel.sum() == 0:
                check(row["tenure_median"] == "NA", "an empty stage has a median")
                continue
            a = arpu[sel]
            a = a[~np.isnan(a)]
            if len(a):
                check(abs(float(row["mean_arpu"]) - a.mean()) <= 1e-4 * (1 + abs(a.mean())),
                      "%s %s stage %s: mean ARPU %s, input %.4f" % (level, name, letter, row["mean_arpu"], a.mean()))
            q = np.percentile(tenure[sel], [25, 50, 75])
            for col, v in zip(("tenure_q1", "tenure_median", "tenure_q3"), q):
                check(abs(float(row[col]) - v) <= 5e-5, "%s %s stage %s: %s %s, numpy %.4f"
                      % (level, name, letter, col, row[col], v))
            checked += 1
    for i in range(len(hs["stage"])):
        key = (levels[hs["level"][i]], names[hs["name"][i]], "ABCDE"[hs["stage"][i]])
        row = rows[key]
        check(int(row["subscribers"]) == hs["subscribers"][i], "/lifecycle/stages row %d subscribers" % i)
        for col in ("mean_arpu", "tenure_q1", "tenure_median", "tenure_q3"):
            v = hs[col][i]
            check(row[col] == ("NA" if math.isnan(v) else "%.4f" % v), "/lifecycle/stages %s row %d" % (col, i))
    check(checked >= 5, "no stage row checked")


DASH = "\u2013"


def fmt_fixed(v, d):
    if v is None or math.isnan(v) or math.isinf(v):
        return DASH
    s = "{:,.{}f}".format(v, d)
    return s[1:] if s.startswith("-") and set(s[1:]) <= set("0.,") else s


def fmt_pct(csv_value, d=2):
    return DASH if csv_value == "NA" else fmt_fixed(100.0 * float(csv_value), d) + "%"


def fmt_money(csv_value):
    return DASH if csv_value == "NA" else fmt_fixed(float(csv_value), 2)


def fmt_count(csv_value):
    return "{:,}".format(int(csv_value))


class TableParser(html.parser.HTMLParser):
    """Collects the rows of <table id="branches"> and counts svg elements."""

    def __init__(self):
        super().__init__()
        self.in_table = False
        self.rows, self.row, self.cell = [], None, None
        self.svgs = self.links = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs += 1
        if self.in_table and tag == "a" and a.get("href", "").startswith("#b-"):
            self.links += 1
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
    cols = [("rank", fmt_count), ("branch", str), ("subscribers", fmt_count), ("churn_rate", fmt_pct),
            ("s12", fmt_pct), ("arpu", fmt_money), ("ltv", fmt_money), ("retention", fmt_money),
            ("value", fmt_money), ("growth", fmt_money), ("risk", fmt_money), ("health", fmt_money),
            ("lever", str)]
    for shown, r in zip(parser.rows, rows):
        for i, (c, fmt) in enumerate(cols):
            check(shown[i] == fmt(r[c]), "branch %s: page shows %s=%r, branches.csv %r (shown as %r)"
                  % (r["branch"], c, shown[i], r[c], fmt(r[c])))
    check(parser.links >= len(rows), "the ranking links %d branch pages" % parser.links)


class PageParser(html.parser.HTMLParser):
    """The drawn page (<div id="page">): its headline figures by data-k,
    its tables by id (rows by data-k, or in order), headings, svg paths."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # inside the page div
        self.kpis, self.tables, self.h1, self.h2, self.paths = {}, {}, "", [], 0
        self.kpi = self.table = self.row = self.cell = self.heading = None
        self.in_value = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and a.get("id") == "page":
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "div":
            self.depth += 1
            if "data-k" in a:
                self.kpi = a["data-k"]
            elif a.get("class") == "v" and self.kpi:
                self.in_value = True
                self.kpis[self.kpi] = ""
        elif tag == "path":
            self.paths += 1
        elif tag == "table":
            self.table = a.get("id")
            self.tables[self.table] = []
        elif tag == "tr" and self.table:
            self.row = [a.get("data-k")]
        elif tag == "td" and self.row is not None:
            self.cell = ""
        elif tag in ("h1", "h2"):
            self.heading = ""

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "div":
            self.depth -= 1
            if self.in_value:
                self.in_value = False
                self.kpi = None
        elif tag == "td" and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if len(self.row) > 1:
                self.tables[self.table].append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None
        elif tag == "h1":
            self.h1, self.heading = self.heading, None
        elif tag == "h2":
            self.h2.append(self.heading)
            self.heading = None

    def handle_data(self, data):
        if self.in_value:
            self.kpis[self.kpi] += data
        if self.cell is not None:
            self.cell += data
        if self.heading is not None:
            self.heading += data


def page(outdir, dom_path, branch):
    """A branch's page: every figure it shows that branches.csv, warning.csv
    or lifecycle_stages.csv holds equals the CSV with the documented
    rounding; the charts are drawn."""
    p = PageParser()
    p.feed(open(dom_path, encoding="utf-8").read())
    row = [r for r in read_branches(outdir) if r["branch"] == branch][0]
    check(p.h1.endswith(branch), "page heading %r does not name %s" % (p.h1, branch))
    expect = {"subscribers": fmt_count(row["subscribers"]), "churn_rate": fmt_pct(row["churn_rate"]),
              "s12": fmt_pct(row["s12"]), "arpu": fmt_money(row["arpu"]),
              "arpu_change": fmt_pct(row["arpu_change"]), "ltv": fmt_money(row["ltv"]),
              "revenue_at_risk": fmt_pct(row["revenue_at_risk"]), "health": fmt_money(row["health"]),
              "rank": fmt_count(row["rank"])}
    if "equity" in row:
        expect.update({"active": fmt_count(row["active"]), "equity": fmt_money(row["equity"]),
                       "equity_at_risk_12": fmt_money(row["equity_at_risk_12"]),
                       "expected_leavers_12": fmt_fixed(float(row["expected_leavers_12"]), 1)})
    n = 0
    for key, want in expect.items():
        check(p.kpis.get(key) == want, "%s page: %s shown %r, CSV %r" % (branch, key, p.kpis.get(key), want))
        n += 1
    stages = {r[0]: r[1:] for r in p.tables.get("stages", [])}
    for letter in "ABCDE":
        check(stages[letter][2] == fmt_pct(row["share_" + letter]), "%s page: share %s %r, CSV %r"
              % (branch, letter, stages[letter][2], row["share_" + letter]))
    n += 5 + stage_rows(outdir, p, "branch", branch)
    scores = {r[0]: r[1:] for r in p.tables.get("scores", [])}
    for key in ("retention", "value", "growth", "risk"):
        check(scores[key][1] == fmt_money(row[key]), "%s page: %s %r, CSV %r" % (branch, key, scores[key][1], row[key]))
        n += 1
    with open(os.path.join(outdir, "warning.csv"), newline="", encoding="utf-8-sig") as f:
        warn = [w for w in csv.DictReader(f) if w["branch"] == branch]
    shown = p.tables.get("warning", [])
    check(len(shown) == len(warn), "%s page: %d warning rows, warning.csv %d" % (branch, len(shown), len(warn)))
    for s, w in zip(shown, warn):
        check(s[1:4] == [fmt_count(w["rank"]), w["subscriber_id"], fmt_pct(w["churn_probability"])] and
              s[7] == fmt_money(w["arpu"]), "%s page: warning row %s differs from warning.csv %s" % (branch, s, w))
        n += 4
    check(p.paths >= 6, "%s page draws %d paths, expected the curves and bands" % (branch, p.paths))
    print("%d figures of %s checked" % (n, branch))


def stage_rows(outdir, p, level, name):
    """The stage table of a page against lifecycle_stages.csv."""
    stages = {r[0]: r[1:] for r in p.tables.get("stages", [])}
    with open(os.path.join(outdir, "lifecycle_stages.csv"), newline="", encoding="utf-8-sig") as f:
        srows = {r["stage"]: r for r in csv.DictReader(f) if r["level"] == level and r["name"] == name}
    n = 0
    for letter in "ABCDE":
        shown, s = stages[letter], srows[letter]
        # stage, subscribers, share, mean ARPU, revenue, Q1, median, Q3
        check(shown[1] == fmt_count(s["subscribers"]), "%s page: stage %s subscribers" % (name, letter))
        check(shown[3] == fmt_money(s["mean_arpu"]), "%s page: stage %s mean ARPU %r, CSV %r"
              % (name, letter, shown[3], s["mean_arpu"]))
        for i, col in ((5, "tenure_q1"), (6, "tenure_median"), (7, "tenure_q3")):
            want = DASH if s[col] == "NA" else fmt_fixed(float(s[col]), 1)
            check(shown[i] == want, "%s page: stage %s %s %r, CSV %r" % (name, letter, col, shown[i], s[col]))
        n += 5
    return n


def segment_page(outdir, dom_path, segment):
    """A segment's page: size, churn rate and ARPU as segments.csv has
    them, the stage rows as lifecycle_stages.csv, the charts drawn."""
    p = PageParser()
    p.feed(open(dom_path, encoding="utf-8").read())
    with open(os.path.join(outdir, "segments.csv"), newline="", encoding="utf-8-sig") as f:
        row = [r for r in csv.DictReader(f) if r["segment"] == segment][0]
    check(p.h1.endswith(" " + segment), "page heading %r does not name segment %s" % (p.h1, segment))
    for key, want in (("subscribers", fmt_count(row["size"])), ("churn_rate", fmt_pct(row["churn_rate"])),
                      ("arpu", fmt_money(row["mean_arpu"]))):
        check(p.kpis.get(key) == want, "segment %s page: %s shown %r, CSV %r" % (segment, key, p.kpis.get(key), want))
    n = 3 + stage_rows(outdir, p, "segment", segment)
    check(p.paths >= 6, "segment %s page draws %d paths" % (segment, p.paths))
    print("%d figures of segment %s checked" % (n, segment))


def has_cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def zh(outdir, dom_path):
    """The Chinese page: lang attribute, the stage names, every section
    heading in Chinese (a heading may name a model, e.g. Kaplan-Meier)."""
    text = re.sub(r"<script.*?</script>", "", open(dom_path, encoding="utf-8").read(), flags=re.S)
    check('lang="zh-Hans"' in text, "the page is not marked zh-Hans")
    headings = re.findall(r"<h[12][^>]*>(.*?)</h[12]>", text, re.S)
    check(len(headings) >= 5, "only %d headings" % len(headings))
    for h in headings:
        check(has_cjk(re.sub(r"<[^>]+>", "", h)) or any(b in h for b in branch_names(outdir)),
              "heading not in Chinese: %r" % h)
    for name in ("阶段 A 获取", "阶段 B 提升", "阶段 C 成熟", "阶段 D 衰退", "阶段 E 离网"):
        check(name in text, "stage name %s missing" % name)
    for english in ("Branch ranking", "Survival by segment", "Customer equity", "back to the report",
                    "Lifecycle value curve", ">subscribers<", ">churn rate<", "Regions ranked", "region / branch",
                    "Quarter over quarter", "Moved most", ">rank last quarter<", "Strategy scenarios", ">net gain<",
                    ">targeted<", "Retention budget"):
        check(english not in text, "English text %r on the Chinese page" % english)


# ---- the sections of a run with regions, a previous run and a plan ----------------

LEVERS_ZH = {"acquisition": "获客", "retention": "客户保留", "up-sell/cross-sell": "追加销售/交叉销售",
             "win-back": "客户赢回", "bad-debt control": "坏账控制"}


def read_csv(outdir, name):
    with open(os.path.join(outdir, name), newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


class SectionParser(html.parser.HTMLParser):
    """Every <tr> of the tables of the three sections: the region tables
    (class "region", rows by class), the movers (id movers-up/-down) and
    table#scenario-summary; and the text of each region's <summary>."""

    def __init__(self):
        super().__init__()
        self.tables = {}  # key -> list of (row class, cells)
        self.summaries = []
        self.key = self.row = self.cell = self.summary = None
        self.row_class = None
        self.in_region = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            if a.get("class") == "region":
                self.key = "region"
            elif a.get("id") in ("movers-up", "movers-down", "scenario-summary"):
                self.key = a["id"]
        elif tag == "tr" and self.key:
            self.row, self.row_class = [], a.get("class")
        elif tag == "td" and self.row is not None:
            self.cell = ""
        elif tag == "details":
            self.in_region = a.get("class") == "region"
        elif tag == "summary" and self.in_region:
            self.summary = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.key = None
        elif tag == "td" and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.row:
                self.tables.setdefault(self.key, []).append((self.row_class, self.row))
            self.row = None
        elif tag == "summary" and self.summary is not None:
            self.summaries.append(self.summary)
            self.summary = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.summary is not None:
            self.summary += data


def health_cells(r, lang):
    """The columns of a health row (regions.csv, branches.csv) as shown."""
    lever = LEVERS_ZH[r["lever"]] if lang == "zh" else r["lever"]
    return [fmt_count(r["subscribers"]), fmt_pct(r["churn_rate"]), fmt_pct(r["s12"]), fmt_money(r["arpu"]),
            fmt_money(r["ltv"]), fmt_money(r["retention"]), fmt_money(r["value"]), fmt_money(r["growth"]),
            fmt_money(r["risk"]), fmt_money(r["health"]), lever]


def money_diff(a, b):
    return fmt_fixed(float(a) - float(b), 2)


def sections(outdir, dom_path, lang):
    """Every figure of the region, quarter-over-quarter and scenario
    sections equals regions.csv / branches.csv / changes.csv /
    scenarios.csv with the documented rounding; the movers are the ten
    largest rises and falls of changes.csv."""
    p = SectionParser()
    p.feed(open(dom_path, encoding="utf-8").read())
    n = 0
    regions = {r["region"]: r for r in read_csv(outdir, "regions.csv")}
    branches = {r["branch"]: r for r in read_branches(outdir)}
    rows = p.tables.get("region", [])
    check(sum(1 for c, _ in rows if c == "region-total") == len(regions),
          "%d region rows, regions.csv %d" % (sum(1 for c, _ in rows if c == "region-total"), len(regions)))
    for cls, cells in rows:
        src = regions[cells[1]] if cls == "region-total" else branches[cells[1]]
        want = [fmt_count(src["rank"]), cells[1]] + health_cells(src, lang)
        check(cells == want, "region section row %s: %r, CSV %r" % (cells[1], cells, want))
        n += len(want) - 1
    check(len(p.summaries) == len(regions), "%d region summaries" % len(p.summaries))
    for text in p.summaries:
        parts = [t.strip() for t in text.split("\u00b7")]
        rank, name = parts[0].split(". ", 1)
        r = regions[name]
        check(rank == r["rank"], "region %s summary rank %s, regions.csv %s" % (name, rank, r["rank"]))
        for part, want in zip(parts[1:4], (fmt_money(r["health"]), fmt_count(r["subscribers"]),
                                           fmt_pct(r["churn_rate"]))):
            check(want in part.split(), "region %s summary %r lacks %r" % (name, part, want))
            n += 1
        check(fmt_count(r["branches"]) in parts[5].split(), "region %s summary %r: branches %s"
              % (name, parts[5], r["branches"]))
    changes = read_csv(outdir, "changes.csv")
    both = [c for c in changes if c["status"] == "both"]
    for key, sign in (("movers-up", 1), ("movers-down", -1)):
        moved = sorted((c for c in both if sign * int(c["rank_up"]) > 0),
                       key=lambda c: (-sign * int(c["rank_up"]), int(c["rank"])))[:10]
        shown = [cells for _, cells in p.tables.get(key, [])]
        check(len(shown) == len(moved), "%s: %d rows, changes.csv gives %d" % (key, len(shown), len(moved)))
        for cells, c in zip(shown, moved):
            want = [c["branch"], fmt_count(c["rank_prev"]), fmt_count(c["rank"]), fmt_money(c["health_prev"]),
                    fmt_money(c["health"]), fmt_pct(c["churn_rate_prev"]), fmt_pct(c["churn_rate"])]
            check(cells == want, "%s: %r, changes.csv %r" % (key, cells, want))
            n += 6
    check(p.tables.get("movers-up") or p.tables.get("movers-down"), "no movers shown")
    company = [r for r in read_csv(outdir, "scenarios.csv") if r["branch"] == "all"]
    shown = [cells for _, cells in p.tables.get("scenario-summary", [])]
    check(len(shown) == len(company) > 0, "scenario summary: %d rows, scenarios.csv %d" % (len(shown), len(company)))
    for cells, c in zip(shown, company):
        want = [c["scenario"], fmt_fixed(float(c["targeted"]), 0), fmt_money(c["accepting"]),
                money_diff(c["active_12"], c["active_12_base"]), money_diff(c["equity"], c["equity_base"]),
                fmt_money(c["cost"]), fmt_money(c["net_gain"]), fmt_pct(c["roi"]),
                fmt_count(c["payback_month"]) if c["payback_month"] else DASH]
        check(cells == want, "scenario summary %s: %r, scenarios.csv %r" % (c["scenario"], cells, want))
        n += 8
    print("%d figures of the sections checked" % n)


def scenario_zh(dom_path):
    """scenario.html in Chinese: marked zh-Hans, every heading (h1-h3) and
    axis title Chinese, none of the English words left."""
    text = re.sub(r"<script.*?</script>", "", open(dom_path, encoding="utf-8").read(), flags=re.S)
    check('lang="zh-Hans"' in text, "scenario.html is not marked zh-Hans")
    headings = re.findall(r"<h[123][^>]*>(.*?)</h[123]>", text, re.S)
    check(len(headings) >= 6, "only %d headings" % len(headings))
    for h in headings:
        check(has_cjk(re.sub(r"<[^>]+>", "", h)), "heading not in Chinese: %r" % h)
    for english in ("Strategy scenarios", "months from now", "baseline", "net gain", "interaction", ">targeted<",
                    "Retention budget", ">optimised<", "By branch"):
        check(english not in text, "English text %r in the Chinese scenario.html" % english)
    for axis in ("距今时间（月）", "预期在网用户（人）", "每月收入（货币单位）", "（货币单位）"):
        check(axis in text, "axis title %s missing" % axis)


def branch_names(outdir):
    return [r["branch"] for r in read_branches(outdir)]


def size(outdir, limit, n_branches):
    path = os.path.join(outdir, "report.html")
    n = os.path.getsize(path)
    text = open(path, encoding="utf-8").read()
    data = json.loads(re.search(r'<script type="application/json" id="clm-data">(.*?)</script>', text, re.S).group(1))
    check(len(data["B"]) == n_branches, "the page holds %d branches, expected %d" % (len(data["B"]), n_branches))
    check(n <= limit, "report.html is %d bytes, the documented bound is %d" % (n, limit))
    print("report.html %d bytes for %d branches" % (n, n_branches))


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
    elif sys.argv[1] == "page":
        page(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "segment":
        segment_page(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "zh":
        zh(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "sections":
        sections(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "en")
    elif sys.argv[1] == "scenario-zh":
        scenario_zh(sys.argv[2])
    elif sys.argv[1] == "link":
        # the href of a branch's link in the ranking of a rendered page
        m = re.search(r'<a href="(#b-\d+)">%s</a>' % re.escape(html.escape(sys.argv[3], quote=False)),
                      open(sys.argv[2], encoding="utf-8").read())
        check(m is not None, "no link to the page of " + sys.argv[3])
        print(m.group(1))
        sys.exit(0)
    elif sys.argv[1] == "size":
        size(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        fail("unknown command")
    print("ok")

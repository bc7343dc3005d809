#!/usr/bin/env python3
"""check_scenario.py — the independent reference of `clmseg scenario`
(tests/strategy/test_scenario_e2e.c), with numpy and h5py only.

It reads the quarter, the run's results.h5 (/equity/leave_3, /equity/leave_12,
/equity/value, /lifecycle/stage, /value/tier, /segments/label) and branches.csv,
and the scenario outputs, and recomputes what can be computed without the
projection code:

  * the baseline: equity_base = sum(/equity/value), active_h_base =
    sum(1 - leave_h) over the active rows (the projection uses the run's
    Cox model, so these are the same numbers);
  * a hazard ratio rho acting for (at least) the first h months multiplies
    the cumulative hazard of those months by rho, so the probability of
    being active after h months becomes q^rho with q = 1 - leave_h; with
    take-up p the change is p (q^rho - q) (linearity of expectation);
  * who is targeted, how many accept and what it costs, by hand from the
    plan of the test (the plan is the test's, its figures are repeated here).

Modes:
  outputs Q RUNDIR OUT        the scenarios of the test's plan
  budget OUT TOTAL [binding]  allocation.csv and allocation_policies.csv
  dom OUT DOM                 scenario.html as Chromium rendered it
  truth Q QLEVER RUNDIR OUT   the prediction against the generator's truth
Prints "ok" (after any figures) when every check holds.
"""
import csv
import html.parser
import math
import sys

import h5py
import numpy as np

TIERS = ["high", "medium", "low"]
STAGE_C, STAGE_D, STAGE_E = 2, 3, 4


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def close(a, b, rel, absolute=0.0):
    return abs(a - b) <= rel * max(abs(a), abs(b)) + absolute


def fmt(v, decimals):
    return "NA" if isinstance(v, float) and math.isnan(v) else "%.*f" % (decimals, v)


class Run:
    """The quarter and the run's per-row results."""

    def __init__(self, q_path, rundir):
        q = h5py.File(q_path, "r")
        r = h5py.File(rundir + "/results.h5", "r")
        sub = q["subscribers"]
        self.n = sub["arpu"].shape[0]
        self.stage = r["lifecycle/stage"][:]
        self.tier = r["value/tier"][:]
        self.segment = r["segments/label"][:]
        self.value = r["equity/value"][:].astype(np.float64)
        self.leave_3 = r["equity/leave_3"][:].astype(np.float64)
        self.leave_12 = r["equity/leave_12"][:].astype(np.float64)
        # Branch of each row as an index into the run's /branches/name.
        names = [x.decode() if isinstance(x, bytes) else x for x in r["branches/name"][:]]
        cats = [x.decode() if isinstance(x, bytes) else x for x in sub["branch"].attrs["categories"]]
        code = sub["branch"][:].astype(np.int64)
        index = {b: i for i, b in enumerate(names)}
        lut = np.array([index.get(c, -1) for c in cats] + [-1], dtype=np.int64)
        self.branch = np.where(code >= 0, lut[np.clip(code, 0, len(cats))], -1)
        self.branch_names = names
        self.nb = len(names)
        plan_cats = [x.decode() if isinstance(x, bytes) else x for x in sub["plan"].attrs["categories"]]
        self.plan_code = sub["plan"][:].astype(np.int64)
        self.plan_levels = plan_cats
        self.debt = (sub["payment_delay_days"][:] > 0) | (sub["suspensions"][:] > 0)
        self.churned = sub["churned"][:] == 1
        self.active = np.isfinite(self.value) & (self.stage != STAGE_E) & (self.branch >= 0)
        # Health ranks from branches.csv (1 = healthiest).
        self.rank = {}
        with open(rundir + "/branches.csv") as f:
            for row in csv.DictReader(f):
                self.rank[row["branch"]] = int(row["rank"])
        self.branch_rank = np.array([self.rank[b] for b in names])
        self.row_rank = np.where(self.branch >= 0, self.branch_rank[np.clip(self.branch, 0, None)], 0)

    def per_branch(self, weights):
        """Sums of `weights` (over all rows; zero off the target) by branch, then the company."""
        ok = self.branch >= 0
        by = np.bincount(self.branch[ok], weights=weights[ok], minlength=self.nb)
        return np.append(by, weights[ok].sum())


class Outputs:
    """scenarios.csv and the same figures from scenarios.h5 (full precision)."""

    FIELDS = ["targeted", "accepting", "active_3_base", "active_3", "active_12_base", "active_12",
              "active_h_base", "active_h", "revenue_base", "revenue", "equity_base", "equity", "cost",
              "net_gain", "roi", "payback_month"]

    def __init__(self, out):
        self.out = out
        f = h5py.File(out + "/scenarios.h5", "r")
        g = f["scenarios"]
        self.names = [x.decode() if isinstance(x, bytes) else x for x in g["name"][:]]
        self.branches = [x.decode() if isinstance(x, bytes) else x for x in g["branch"][:]]
        self.horizon = int(g.attrs["horizon"])
        self.h5 = {k: g[k][:] for k in self.FIELDS}
        self.base_active = g["curves/baseline_active"][:]
        self.curves_active = g["curves/active"][:]
        with open(out + "/scenarios.csv") as fh:
            self.csv = list(csv.DictReader(fh))

    def s(self, name):
        if name not in self.names:
            fail("scenario %s missing from scenarios.h5 (%s)" % (name, self.names))
        return self.names.index(name)

    def get(self, name, field):
        """The field of one scenario: per branch, then the company ("all")."""
        return self.h5[field][self.s(name)]

    def company(self, name, field):
        return float(self.get(name, field)[-1])

    def delta(self, name, field):
        return self.get(name, field) - self.get(name, field + "_base")


def check_csv_matches_h5(o):
    """Every row of scenarios.csv is scenarios.h5 printed with the documented decimals."""
    h = o.horizon
    cols = ["targeted", "accepting", "active_3_base", "active_3", "active_12_base", "active_12",
            "active_%d_base" % h, "active_%d" % h, "revenue_base", "revenue", "equity_base", "equity",
            "cost", "net_gain", "roi", "payback_month"]
    decimals = [0] + [2] * 13 + [4]
    nb1 = len(o.branches)
    if len(o.csv) != len(o.names) * nb1:
        fail("scenarios.csv has %d rows, expected %d x %d" % (len(o.csv), len(o.names), nb1))
    if o.branches[-1] != "all":
        fail("last branch of /scenarios/branch is %s, not all" % o.branches[-1])
    for i, row in enumerate(o.csv):
        s, b = divmod(i, nb1)
        if row["scenario"] != o.names[s] or row["branch"] != o.branches[b]:
            fail("scenarios.csv row %d is %s/%s, expected %s/%s" % (i, row["scenario"], row["branch"],
                                                                   o.names[s], o.branches[b]))
        for c, f, d in zip(cols[:-1], Outputs.FIELDS[:-1], decimals):
            want = fmt(float(o.h5[f][s, b]), d)
            if row[c] != want:
                fail("scenarios.csv %s/%s %s = %s, scenarios.h5 gives %s" % (o.names[s], o.branches[b], c,
                                                                            row[c], want))
        pb = int(o.h5["payback_month"][s, b])
        if row["payback_month"] != (str(pb) if pb > 0 else ""):
            fail("payback_month of %s/%s: %r vs %d" % (o.names[s], o.branches[b], row["payback_month"], pb))


def check_consistency(o):
    """Company row = sum of the branches; net gain = equity - base - cost; one baseline."""
    for s, name in enumerate(o.names):
        for f in ["targeted", "accepting", "cost", "active_12", "active_12_base", "equity", "equity_base"]:
            v = o.h5[f][s]
            if not close(v[:-1].sum(), v[-1], 1e-9, 1e-6):
                fail("%s: company %s %.6f != sum of branches %.6f" % (name, f, v[-1], v[:-1].sum()))
        ng = o.h5["equity"][s] - o.h5["equity_base"][s] - o.h5["cost"][s]
        if not np.allclose(ng, o.h5["net_gain"][s], rtol=1e-9, atol=1e-6):
            fail("%s: net_gain != equity - equity_base - cost" % name)
        for f in ["active_3_base", "active_12_base", "active_h_base", "revenue_base", "equity_base"]:
            if not np.array_equal(o.h5[f][s], o.h5[f][0]):
                fail("%s: baseline %s differs from the first scenario's" % (name, f))
        m = o.curves_active[s]
        if not close(m[12], o.company(name, "active_12"), 1e-9, 1e-6):
            fail("%s: curve at month 12 %.6f vs active_12 %.6f" % (name, m[12], o.company(name, "active_12")))


def check_outputs(q_path, rundir, out):
    run = Run(q_path, rundir)
    o = Outputs(out)
    if o.branches[:-1] != run.branch_names:
        fail("branches of scenarios.h5 differ from the run's /branches/name")
    check_csv_matches_h5(o)
    check_consistency(o)
    act = run.active
    n_act = int(act.sum())
    contact = np.array([20.0, 10.0, 5.0])[run.tier]

    # 1. The baseline.
    eq_ref = run.value[act].sum()
    eq = o.company("save_d", "equity_base")
    if not close(eq, eq_ref, 1e-6):
        fail("equity_base %.4f vs sum(/equity/value) %.4f" % (eq, eq_ref))
    for h, leave in [(3, run.leave_3), (12, run.leave_12)]:
        ref = run.per_branch(np.where(act, 1.0 - leave, 0.0))
        got = o.get("save_d", "active_%d_base" % h)
        if not np.allclose(got, ref, rtol=1e-6, atol=0):
            k = int(np.argmax(np.abs(got - ref)))
            fail("active_%d_base of %s: %.6f vs sum(1 - leave_%d) %.6f" % (h, o.branches[k], got[k], h, ref[k]))
    if o.base_active[0] != n_act:
        fail("baseline curve at month 0: %.1f, active rows %d" % (o.base_active[0], n_act))

    # 2. Retention on stage D, ratio 0.7 for ever: q^0.7 - q, by branch and company.
    D = act & (run.stage == STAGE_D)
    for h, leave in [(12, run.leave_12), (3, run.leave_3)]:
        qh = 1.0 - leave
        ref = run.per_branch(np.where(D, qh ** 0.7 - qh, 0.0))
        got = o.delta("save_d", "active_%d" % h)
        if not np.allclose(got, ref, rtol=1e-4, atol=1e-9):
            k = int(np.argmax(np.abs(got - ref)))
            fail("save_d: active_%d change of %s %.6f vs sum(q^0.7 - q) %.6f" % (h, o.branches[k], got[k], ref[k]))
        got30 = o.delta("save_d_30", "active_%d" % h)
        if not np.allclose(got30, 0.3 * ref, rtol=1e-4, atol=1e-9):
            fail("save_d_30: active_%d change is not 0.3 x sum(q^0.7 - q)" % h)
        if not np.allclose(got30, 0.3 * got, rtol=1e-9, atol=1e-9):
            fail("save_d_30: active_%d change is not 0.3 x that of take_up 1" % h)
    n_d = run.per_branch(D.astype(np.float64))
    if not np.array_equal(o.get("save_d", "targeted"), n_d):
        fail("save_d: targeted %s vs active stage-D rows %s" % (o.get("save_d", "targeted"), n_d))
    if not np.array_equal(o.get("save_d_30", "targeted"), n_d):
        fail("save_d_30: targeted != active stage-D rows")
    if not np.array_equal(o.get("save_d", "accepting"), n_d):
        fail("save_d: accepting != targeted with take_up 1")
    if not np.allclose(o.get("save_d_30", "accepting"), 0.3 * n_d, rtol=1e-12, atol=1e-9):
        fail("save_d_30: accepting != 0.3 x targeted")
    cost_ref = run.per_branch(np.where(D, contact, 0.0))
    if not np.allclose(o.get("save_d", "cost"), cost_ref, rtol=1e-12, atol=1e-9):
        fail("save_d: cost %.2f vs hand %.2f" % (o.company("save_d", "cost"), cost_ref[-1]))
    cost30 = run.per_branch(np.where(D, contact + 0.3 * 7.0, 0.0))
    if not np.allclose(o.get("save_d_30", "cost"), cost30, rtol=1e-12, atol=1e-9):
        fail("save_d_30: cost %.2f vs hand %.2f" % (o.company("save_d_30", "cost"), cost30[-1]))
    if not o.company("save_d", "equity") > o.company("save_d", "equity_base"):
        fail("save_d: a lower hazard does not raise the equity")

    # 3. Acquisition: 100 a month for 12 months in the 5 least healthy branches.
    worst = set(sorted(run.rank, key=lambda b: run.rank[b])[-5:])
    acc = o.get("acquire", "accepting")
    reached = {o.branches[b] for b in range(run.nb) if acc[b] != 0}
    if reached != worst:
        fail("acquire: branches with accepting %s, the 5 least healthy %s" % (sorted(reached), sorted(worst)))
    if not all(acc[b] == 1200.0 for b in range(run.nb) if o.branches[b] in worst):
        fail("acquire: accepting per reached branch is not 100 x 12")
    if o.company("acquire", "accepting") != 100 * 12 * 5 or o.company("acquire", "cost") != 120.0 * 6000:
        fail("acquire: company accepting %.1f cost %.1f" % (o.company("acquire", "accepting"),
                                                            o.company("acquire", "cost")))
    if np.any(o.get("acquire", "targeted") != 0):
        fail("acquire: new subscribers are not contacted (targeted must be 0)")
    if np.any(o.get("acquire", "active_12")[:-1][acc[:-1] == 0] != o.get("acquire", "active_12_base")[:-1][acc[:-1] == 0]):
        fail("acquire: a branch not reached changed")

    # 4. Renewal to contract-24m from postpaid.
    post = act & (run.plan_code == run.plan_levels.index("postpaid"))
    n_post = run.per_branch(post.astype(np.float64))
    if not np.array_equal(o.get("renew", "targeted"), n_post):
        fail("renew: targeted %.0f vs active postpaid rows %.0f" % (o.company("renew", "targeted"), n_post[-1]))
    if not np.allclose(o.get("renew", "accepting"), 0.3 * n_post, rtol=1e-12, atol=1e-9):
        fail("renew: accepting != 0.3 x targeted")
    if not np.allclose(o.get("renew", "cost"), (5.0 + 0.3 * 40.0) * n_post, rtol=1e-12, atol=1e-9):
        fail("renew: cost != (5 + 0.3 x 40) x targeted")

    # Bad debt: recovery 0.1 for ever, take-up 0.5: the equity of the flagged rows x 0.05.
    dr = act & run.debt
    n_dr = run.per_branch(dr.astype(np.float64))
    if not np.array_equal(o.get("debt", "targeted"), n_dr):
        fail("debt: targeted %.0f vs active rows with a payment delay or suspension %.0f"
             % (o.company("debt", "targeted"), n_dr[-1]))
    if not np.allclose(o.get("debt", "cost"), 3.0 * n_dr, rtol=1e-12, atol=1e-9):
        fail("debt: cost != 3 x targeted")
    if not np.array_equal(o.get("debt", "active_12"), o.get("debt", "active_12_base")):
        fail("debt: recovering revenue changed the active base")
    dref = run.per_branch(np.where(dr, 0.05 * run.value, 0.0))
    if not np.allclose(o.delta("debt", "equity"), dref, rtol=1e-5, atol=1e-6):
        fail("debt: equity change %.2f vs 0.05 x equity of the flagged rows %.2f"
             % (o.company("debt", "equity") - o.company("debt", "equity_base"), dref[-1]))

    # Win-back: high-tier churners, take-up 0.05.
    ch = (run.stage == STAGE_E) & (run.branch >= 0) & (run.tier == 0)
    n_ch = run.per_branch(ch.astype(np.float64))
    if not np.array_equal(o.get("winback", "targeted"), n_ch):
        fail("winback: targeted %.0f vs high-tier churners %.0f" % (o.company("winback", "targeted"), n_ch[-1]))
    if not np.allclose(o.get("winback", "accepting"), 0.05 * n_ch, rtol=1e-12, atol=1e-9):
        fail("winback: accepting != 0.05 x targeted")
    if not np.allclose(o.get("winback", "cost"), (4.0 + 0.05 * 60.0) * n_ch, rtol=1e-12, atol=1e-9):
        fail("winback: cost != (4 + 0.05 x 60) x targeted")

    # 6. Two levers: retention (high, medium; 0.8 for 12 months, take-up 0.4) and
    # upsell (stage C, take-up 0.2) in health ranks 5-15.
    inrank = act & (run.row_rank >= 5) & (run.row_rank <= 15)
    ret = inrank & (run.tier <= 1)
    up = inrank & (run.stage == STAGE_C)
    both = ret & up
    if not both.any() or not (ret & ~up).any() or not (up & ~ret).any():
        fail("combo: the levers do not overlap partly (the test's plan no longer exercises the interaction)")
    checks = [("combo", ret | up, np.where(both, 1 - 0.6 * 0.8, np.where(ret, 0.4, np.where(up, 0.2, 0.0))),
               np.where(ret, 8.0 + 0.4 * 15.0, 0.0) + np.where(up, 2.0, 0.0)),
              ("combo_ret", ret, np.where(ret, 0.4, 0.0), np.where(ret, 8.0 + 0.4 * 15.0, 0.0)),
              ("combo_up", up, np.where(up, 0.2, 0.0), np.where(up, 2.0, 0.0))]
    for name, reach, accepting, cost in checks:
        if not np.array_equal(o.get(name, "targeted"), run.per_branch(reach.astype(np.float64))):
            fail("%s: targeted %.0f vs hand %d" % (name, o.company(name, "targeted"), reach.sum()))
        if not np.allclose(o.get(name, "accepting"), run.per_branch(accepting), rtol=1e-9, atol=1e-9):
            fail("%s: accepting %.4f vs hand %.4f" % (name, o.company(name, "accepting"), accepting.sum()))
        if not np.allclose(o.get(name, "cost"), run.per_branch(cost), rtol=1e-12, atol=1e-9):
            fail("%s: cost %.2f vs hand %.2f" % (name, o.company(name, "cost"), cost.sum()))
    # The retention acts in months 1..12 exactly: after 12 months 0.4 (q^0.8 - q);
    # the upsell has no hazard ratio, so the combination keeps that figure.
    q12 = 1.0 - run.leave_12
    ref = run.per_branch(np.where(ret, 0.4 * (q12 ** 0.8 - q12), 0.0))
    for name in ["combo", "combo_ret"]:
        if not np.allclose(o.delta(name, "active_12"), ref, rtol=1e-4, atol=1e-9):
            fail("%s: active_12 change %.4f vs 0.4 sum(q^0.8 - q) %.4f" % (name, o.delta(name, "active_12")[-1],
                                                                         ref[-1]))
    if np.any(o.delta("combo_up", "active_12") != 0):
        fail("combo_up: an upsell without hazard ratio changed the active base")
    levers = {}
    with open(out + "/scenario_levers.csv") as fh:
        for row in csv.DictReader(fh):
            levers.setdefault(row["scenario"], {})[row["lever"]] = float(row["net_gain"])
    c = levers.get("combo", {})
    if sorted(c) != ["interaction", "retention", "upsell"]:
        fail("scenario_levers.csv combo rows: %s" % sorted(c))
    total = o.company("combo", "net_gain")
    if not close(c["retention"] + c["upsell"] + c["interaction"], total, 0, 0.016):
        fail("combo: retention %.2f + upsell %.2f + interaction %.2f != net gain %.2f"
             % (c["retention"], c["upsell"], c["interaction"], total))
    if not close(c["retention"], o.company("combo_ret", "net_gain"), 0, 0.006) or \
       not close(c["upsell"], o.company("combo_up", "net_gain"), 0, 0.006):
        fail("combo: a lever alone (%.2f, %.2f) differs from its one-lever scenario (%.2f, %.2f)"
             % (c["retention"], c["upsell"], o.company("combo_ret", "net_gain"), o.company("combo_up", "net_gain")))
    if abs(c["interaction"]) < 0.01:
        fail("combo: no interaction although the levers overlap on %d rows" % both.sum())
    for name, lv in levers.items():
        if name == "combo":
            continue
        alone = [v for k, v in lv.items() if k != "interaction"]
        if len(alone) != 1 or lv["interaction"] != 0.0 or not close(alone[0], o.company(name, "net_gain"), 0, 0.006):
            fail("scenario_levers.csv: one-lever scenario %s: %s" % (name, lv))
    print("ok")


def read_csv_rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def check_budget(out, total, binding):
    pol = read_csv_rows(out + "/allocation_policies.csv")
    if [r["policy"] for r in pol] != ["optimised", "proportional", "high_tier"]:
        fail("allocation_policies.csv policies: %s" % [r["policy"] for r in pol])
    p = {r["policy"]: {k: float(v) for k, v in r.items() if k != "policy"} for r in pol}
    for name, r in p.items():
        if r["budget"] != total:
            fail("%s: budget %.2f, the plan's %.2f" % (name, r["budget"], total))
        if not r["spend"] <= total + 0.005 or r["spend"] < 0:
            fail("%s: spend %.2f over the budget %.2f" % (name, r["spend"], total))
    for other in ["proportional", "high_tier"]:
        if not p["optimised"]["net_gain"] >= p[other]["net_gain"] - 0.005:
            fail("optimised net gain %.2f below %s's %.2f" % (p["optimised"]["net_gain"], other, p[other]["net_gain"]))
    if binding and not close(p["optimised"]["spend"], total, 0, 0.011):
        fail("a binding budget: optimised spends %.2f of %.2f" % (p["optimised"]["spend"], total))
    cells = read_csv_rows(out + "/allocation.csv")
    n = len(cells)
    if n == 0:
        fail("allocation.csv has no cells")
    tol = 0.005 * n + 0.006
    sums = {
        ("optimised", "spend"): "spend", ("optimised", "contacted"): "contacted",
        ("optimised", "expected_saves"): "expected_saves", ("optimised", "net_gain"): "net_gain",
        ("proportional", "spend"): "proportional_spend", ("proportional", "net_gain"): "proportional_net_gain",
        ("high_tier", "spend"): "high_tier_spend", ("high_tier", "net_gain"): "high_tier_net_gain"}
    for (name, field), col in sums.items():
        s = sum(float(c[col]) for c in cells)
        if not close(s, p[name][field], 0, tol):
            fail("allocation.csv column %s sums to %.2f, allocation_policies.csv %s %s %.2f"
                 % (col, s, name, field, p[name][field]))
    # The same cells at full precision in scenarios.h5: sums to the cent.
    g = h5py.File(out + "/scenarios.h5", "r")["scenarios/allocation"]
    for (name, field), col in sums.items():
        s = float(g[name][field][:].sum())
        if not close(s, p[name][field], 1e-9, 0.0051):
            fail("/scenarios/allocation/%s/%s sums to %.4f, allocation_policies.csv %.2f" % (name, field, s, p[name][field]))
        v = g[name][field][:]
        if [fmt(float(x), 2) for x in v] != [c[col] for c in cells]:
            fail("allocation.csv %s is not /scenarios/allocation/%s/%s rounded" % (col, name, field))
    for c in cells:
        if int(c["candidates"]) > int(c["subscribers"]) or float(c["contacted"]) > int(c["candidates"]) + 1e-6:
            fail("cell %s: contacted %s, candidates %s, subscribers %s" % (c, c["contacted"], c["candidates"],
                                                                          c["subscribers"]))
    print("ok")


class TableParser(html.parser.HTMLParser):
    """The cells of table#scenarios."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.rows = []
        self.cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == "scenarios":
            self.depth = 1
        elif tag == "table" and self.depth:
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "td" and self.cell is not None and self.depth:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


DASH = "\u2013"


def shown(v, decimals):
    """A figure as the pages show it (docs/run.md, "Numbers"): printf
    rounding, thousands separated by ",", no sign on a zero, a dash for NA."""
    if v is None or math.isnan(v):
        return DASH
    t = "{:,.{}f}".format(v, decimals)
    return t[1:] if t.startswith("-") and set(t[1:]) <= set("0.,") else t


def csv_shown(text, decimals):
    return DASH if text in ("NA", "") else shown(float(text), decimals)


def check_dom(out, dom):
    """table#scenarios of scenario.html shows every company row of
    scenarios.csv: each figure the CSV's value with the documented
    rounding (ROI in percent, 2 decimals), the equity change the
    difference of the CSV's two columns."""
    p = TableParser()
    p.feed(open(dom, encoding="utf-8").read())
    rows = [r for r in p.rows if r]
    company = [r for r in read_csv_rows(out + "/scenarios.csv") if r["branch"] == "all"]
    if len(rows) != len(company):
        fail("table#scenarios has %d rows, scenarios.csv %d company rows" % (len(rows), len(company)))
    for r, c in zip(rows, company):
        # scenario, targeted, accepting, active 12 base, active 12, equity change, cost, net gain, ROI, payback
        roi = DASH if c["roi"] == "NA" else shown(100.0 * float(c["roi"]), 2) + "%"
        want = [c["scenario"], csv_shown(c["targeted"], 0), csv_shown(c["accepting"], 2),
                csv_shown(c["active_12_base"], 2), csv_shown(c["active_12"], 2),
                shown(float(c["equity"]) - float(c["equity_base"]), 2), csv_shown(c["cost"], 2),
                csv_shown(c["net_gain"], 2), roi, csv_shown(c["payback_month"], 0)]
        for k, w in enumerate(want):
            if r[k] != w:
                fail("table#scenarios %s column %d: %r, scenarios.csv gives %r" % (c["scenario"], k, r[k], w))
    print("ok")


def check_truth(q_path, qlever_path, rundir, out):
    run = Run(q_path, rundir)
    o = Outputs(out)
    plain = h5py.File(q_path, "r")["truth"]
    lever = h5py.File(qlever_path, "r")["truth"]
    target = lever["lever_target"][:].astype(bool)
    res = plain["residual_months"][:].astype(np.float64)
    cf = lever["residual_months"][:].astype(np.float64)
    D = run.active & (run.stage == STAGE_D)
    q12 = 1.0 - run.leave_12
    pred_rows = np.where(D, q12 ** 0.7 - q12, 0.0)
    pred = o.company(o.names[0], "active_12") - o.company(o.names[0], "active_12_base")
    if not close(pred, pred_rows.sum(), 1e-4):
        fail("the scenario's change %.4f vs sum(q^0.7 - q) %.4f" % (pred, pred_rows.sum()))
    gained = (cf[target] > 12) & ~(res[target] > 12)
    lost = ~(cf[target] > 12) & (res[target] > 12)
    true = float(gained.sum()) - float(lost.sum())
    se = math.sqrt(gained.sum() + lost.sum())  # paired change, Poisson-like
    print("truth: %d rows targeted by the lever, %d active stage-D rows in the run (%d differ)"
          % (target.sum(), D.sum(), (target != D).sum()))
    print("overall: predicted +%.1f active after 12 months, true %+.0f (+-%.0f), relative gap %+.1f%%"
          % (pred, true, se, 100.0 * (pred / true - 1.0) if true else float("nan")))
    gaps = []
    for t, name in enumerate(TIERS):
        m = target & (run.tier == t)
        tt = float((cf[m] > 12).sum()) - float((res[m] > 12).sum())
        pt = pred_rows[run.tier == t].sum()
        print("tier %-6s: %5d rows, predicted +%.1f, true %+.0f, relative gap %+.1f%%"
              % (name, m.sum(), pt, tt, 100.0 * (pt / tt - 1.0) if tt else float("nan")))
        gaps.append((name, pt, tt))
    if not pred > 0:
        fail("the predicted change %.2f is not positive" % pred)
    # The bar: within 10%, overall and in each value tier.
    if not true > 0 or abs(pred / true - 1.0) > 0.10:
        fail("the predicted change %.1f is not within 10%% of the true %.0f" % (pred, true))
    for name, pt, tt in gaps:
        if not tt > 0 or abs(pt / tt - 1.0) > 0.10:
            fail("tier %s: the predicted change %.1f is not within 10%% of the true %.0f" % (name, pt, tt))
    print("ok")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "outputs":
        check_outputs(*args)
    elif mode == "budget":
        check_budget(args[0], float(args[1]), len(args) > 2 and args[2] == "binding")
    elif mode == "dom":
        check_dom(*args)
    elif mode == "truth":
        check_truth(*args)
    else:
        fail("unknown mode " + mode)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""check_many.py - many strata: inputs and an independent check of
`clmseg survival` on them (h5py, numpy and the standard library only; no
clmseg code).  Run by test_survival_many.c with Debian's /usr/bin/python3.

  check_many.py make  OUT.h5 STRATA ROWS SEED
      /subscribers: tenure (int16, 0..30), churned (int8), arpu (float64)
      and branch (categorical, STRATA labels "s00000"...; every stratum
      has a row, sizes skewed from one row to thousands; 40 rows missing).
  check_many.py check IN.h5 RESULTS.h5 dense|lowrank
      Hand counts per stratum (pure Python over the sorted rows): n, events,
      the distinct times with at risk / events / censored, Kaplan-Meier S,
      Greenwood std_err, log bands, Nelson-Aalen, the print.survfit median,
      S at 6/12/24/36, LTV(h) (margin 1, discount 0.10, horizon 60); the
      log-rank test (survdiff's formulas) in numpy: `dense` solves the
      q x q covariance, `lowrank` uses the Woodbury identity (for tens of
      thousands of strata); df is the strata with expected events, minus 1.
      Compared with /survival/branch and /survival/all read as the long
      layout of docs/survival.md, and once as one table (pandas where it is
      installed) grouped back into the strata.

Prints what it checked; exits 1 with a message on the first failure.
"""
import math
import statistics
import sys

import h5py
import numpy as np

TOL = 1e-10


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def close(got, want, what, rel=TOL):
    got, want = float(got), float(want)
    if math.isnan(want) and math.isnan(got):
        return
    if math.isinf(want) and got == want:
        return
    if not abs(got - want) <= rel * abs(want) + 1e-300:
        fail("%s: clmseg %.17g, reference %.17g" % (what, got, want))


def make(path, strata, rows, seed):
    rng = np.random.default_rng(seed)
    code = np.empty(rows, dtype=np.int32)
    code[:strata] = np.arange(strata)
    # Skewed sizes: most strata keep one or two rows, a few get thousands.
    code[strata:] = np.minimum((strata * rng.random(rows - strata) ** 3).astype(np.int32), strata - 1)
    code[rng.choice(np.arange(strata, rows), 40, replace=False)] = -1
    perm = rng.permutation(rows)
    code = code[perm]
    tenure = np.minimum(rng.geometric(0.08, rows) - 1, 30).astype(np.int16)
    churned = (rng.random(rows) < 0.3).astype(np.int8)
    arpu = np.round(10 + 90 * rng.random(rows), 2)
    # HDF5 1.8 format: a dictionary of any size fits (docs/formats.md).
    with h5py.File(path, "w", libver=("v108", "latest")) as f:
        g = f.create_group("subscribers")
        g["tenure"] = tenure
        g["churned"] = churned
        g["arpu"] = arpu
        d = g.create_dataset("branch", data=code)
        d.attrs["categories"] = np.array(["s%05d" % i for i in range(strata)], dtype=h5py.string_dtype())
    print("%s: %d rows, %d strata" % (path, rows, strata))


def median_rule(times, values):
    """print.survfit: first time y < 0.5 + tol; midpoint when y is 0.5 there."""
    tol = math.sqrt(2.220446049250313e-16)
    for j, y in enumerate(values):
        if not math.isnan(y) and y < 0.5 + tol:
            if abs(y - 0.5) < tol:
                for k in range(j + 1, len(values)):
                    if not math.isnan(values[k]) and values[k] < y:
                        return (times[j] + times[k]) / 2.0
            return times[j]
    return math.nan


def curve(times, events, arpu_mean, z):
    """Hand counts and estimates of one stratum from its rows."""
    pairs = {}
    for t, e in zip(times, events):
        c = pairs.setdefault(t, [0, 0])
        c[e] += 1
    n = len(times)
    out = {k: [] for k in ("time", "at_risk", "events", "censored", "survival", "std_err", "lower", "upper",
                           "cumhaz")}
    s, green, haz = 1.0, 0.0, 0.0
    for t in sorted(pairs):
        cens, d = pairs[t]
        if d > 0:
            s *= (n - d) / n
            haz += d / n
            green += d / (n * (n - d)) if n > d else math.inf
        se = math.sqrt(green)
        lo = math.nan if s == 0 else math.exp(math.log(s) - z * se)
        up = math.nan if s == 0 else min(math.exp(math.log(s) + z * se), 1.0)
        for k, v in zip(out, (t, n, d, cens, s, se, lo, up, haz)):
            out[k].append(v)
        n -= d + cens
    out["n_rows"], out["n_events"] = len(times), sum(events)
    out["median"] = median_rule(out["time"], out["survival"])
    out["median_lower"] = median_rule(out["time"], out["lower"])
    out["median_upper"] = median_rule(out["time"], out["upper"])

    def s_at(x, extend):
        v = 1.0
        for t, sv in zip(out["time"], out["survival"]):
            if t <= x:
                v = sv
        return v if extend or x <= out["time"][-1] else math.nan

    out["survival_at"] = [s_at(x, False) for x in (6, 12, 24, 36)]
    ltv = [0.0]
    for h in range(1, 61):
        ltv.append(ltv[-1] + s_at(h, True) * arpu_mean / (1.1 ** (h / 12.0)))
    out["ltv"] = ltv
    return out


def logrank(code, tenure, churned, strata, method):
    """survdiff (rho = 0) in numpy: chi-square and df."""
    n_times = int(tenure.max()) + 1
    ok = code >= 0
    hist = np.zeros((strata, n_times))
    np.add.at(hist, (code[ok], tenure[ok]), 1.0)
    at_risk = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]  # rows with time >= t
    dead = np.zeros(n_times)
    np.add.at(dead, tenure[ok], churned[ok].astype(float))
    observed = np.zeros(strata)
    np.add.at(observed, code[ok], churned[ok].astype(float))
    n = at_risk.sum(axis=0)
    ev = (dead > 0) & (n > 0)
    expected = (at_risk[:, ev] * (dead[ev] / n[ev])).sum(axis=1)
    kept = np.flatnonzero(expected > 0)
    df = len(kept) - 1
    keep = kept[1:]
    use = (dead > 0) & (n > 1)
    c = dead[use] * (n[use] - dead[use]) / (n[use] - 1)
    share = at_risk[np.ix_(keep, np.flatnonzero(use))] / n[use]  # q x T
    zvec = observed[keep] - expected[keep]
    diag = share @ c
    if method == "dense":
        v = np.diag(diag) - (share * c) @ share.T
        chisq = float(zvec @ np.linalg.solve(v, zvec))
    else:
        p = share * np.sqrt(c)  # q x T
        w = p.T @ (zvec / diag)
        m = np.eye(p.shape[1]) - p.T @ (p / diag[:, None])
        chisq = float(zvec @ (zvec / diag) + w @ np.linalg.solve(m, w))
    return chisq, df, int(np.sum((expected > 0) & (expected < 5)))


def check(inp, res, method):
    with h5py.File(inp, "r") as f:
        g = f["subscribers"]
        tenure, churned, arpu, code = (g[k][()] for k in ("tenure", "churned", "arpu", "branch"))
        labels = [x.decode() if isinstance(x, bytes) else x for x in g["branch"].attrs["categories"]]
    strata = len(labels)
    z = statistics.NormalDist().inv_cdf(0.975)
    order = np.lexsort((tenure, code))
    rows_of = {}
    for i in order:
        if code[i] >= 0:
            rows_of.setdefault(int(code[i]), []).append(i)
    with h5py.File(res, "r") as r:
        g = r["survival/branch"]
        got_labels = list(g["label"].asstr()[()])
        want_labels = [labels[k] for k in sorted(rows_of)]
        if got_labels != want_labels:
            fail("stratum labels differ (%d vs %d)" % (len(got_labels), len(want_labels)))
        per_time = {k: g[k][()] for k in ("time", "at_risk", "events", "censored", "survival", "std_err", "lower",
                                          "upper", "cumhaz")}
        per_stratum = {k: g[k][()] for k in ("n_rows", "n_events", "n_times", "offset", "median", "median_lower",
                                             "median_upper", "arpu_mean", "survival_at", "ltv")}
        if not np.array_equal(per_stratum["offset"], np.concatenate([[0], np.cumsum(per_stratum["n_times"])[:-1]])):
            fail("offset is not the running sum of n_times")
        if len(per_time["time"]) != int(per_stratum["n_times"].sum()):
            fail("per-time datasets do not hold sum(n_times) values")
        for s, k in enumerate(sorted(rows_of)):
            idx = rows_of[k]
            mean = float(np.sum(arpu[idx])) / len(idx)
            want = curve([int(tenure[i]) for i in idx], [int(churned[i]) for i in idx], mean, z)
            where = "stratum %s" % labels[k]
            a, b = int(per_stratum["offset"][s]), int(per_stratum["offset"][s] + per_stratum["n_times"][s])
            if b - a != len(want["time"]):
                fail("%s: %d times, hand count %d" % (where, b - a, len(want["time"])))
            for name in ("time", "at_risk", "events", "censored"):
                if list(per_time[name][a:b]) != want[name]:
                    fail("%s: %s %s vs hand count %s" % (where, name, list(per_time[name][a:b]), want[name]))
            for name in ("survival", "std_err", "lower", "upper", "cumhaz"):
                for j in range(b - a):
                    close(per_time[name][a + j], want[name][j], "%s %s[%d]" % (where, name, j))
            for name in ("n_rows", "n_events"):
                if int(per_stratum[name][s]) != want[name]:
                    fail("%s: %s %d vs %d" % (where, name, per_stratum[name][s], want[name]))
            for name in ("median", "median_lower", "median_upper"):
                close(per_stratum[name][s], want[name], where + " " + name)
            close(per_stratum["arpu_mean"][s], mean, where + " arpu_mean", 1e-13)
            for q in range(4):
                close(per_stratum["survival_at"][s, q], want["survival_at"][q], where + " survival_at")
            for h in (1, 12, 36, 60):
                close(per_stratum["ltv"][s, h], want["ltv"][h], where + " ltv[%d]" % h, 1e-9)
        chisq, df, sparse = logrank(code, tenure, churned, strata, method)
        if int(g.attrs["logrank_df"]) != df:
            fail("log-rank df %d, reference %d" % (g.attrs["logrank_df"], df))
        if int(g.attrs["logrank_n_sparse"]) != sparse:
            fail("log-rank sparse strata %d, reference %d" % (g.attrs["logrank_n_sparse"], sparse))
        close(g.attrs["logrank_chisq"], chisq, "log-rank chi-square (%s)" % method, 1e-8)
        missing = int(np.sum(code < 0))
        if int(g.attrs["n_missing_stratum"]) != missing:
            fail("n_missing_stratum %d vs %d" % (g.attrs["n_missing_stratum"], missing))
        a = r["survival/all"]
        if int(a["n_rows"][0]) != len(code) or list(a["label"].asstr()[()]) != ["all"]:
            fail("/survival/all is not the overall curve")
        objects = []
        r.visit(objects.append)
        if len(objects) > 60:
            fail("%d HDF5 objects for %d strata: the layout is not compact" % (len(objects), len(got_labels)))
        # A table as docs/survival.md shows: one read per field, the stratum
        # label repeated n_times times; through pandas where it is installed.
        columns = {k: g[k][()] for k in ("time", "at_risk", "events", "survival")}
        stratum = np.repeat(g["label"].asstr()[()], g["n_times"][()])
        try:
            import pandas as pd
            frame = pd.DataFrame(columns)
            frame.insert(0, "stratum", stratum)
            sizes = frame.groupby("stratum", sort=False).size()
            grouped = (list(sizes.index), list(sizes.values))
        except ImportError:
            cut = np.flatnonzero(stratum[1:] != stratum[:-1]) + 1
            starts = np.concatenate([[0], cut])
            grouped = (list(stratum[starts]), list(np.diff(np.concatenate([starts, [len(stratum)]]))))
        if grouped[0] != got_labels or grouped[1] != list(per_stratum["n_times"]):
            fail("the long table does not group back into the strata")
    print("checked %d strata (%d rows, %d objects): curves, medians, S at horizons, LTV, log-rank chi-square %.10g "
          "on %d df (%s), %d sparse" % (len(got_labels), len(code), len(objects), chisq, df, method, sparse))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)

#!/usr/bin/env python3
"""Calibrates the thesis testbed's performance model (docs/testbed.md).

Offline tool: it searches the model's free values so that the published
figures of the thesis (../shared/reference/synergai.md, sections 2-4 and 6)
hold, and prints the resulting parameter table as the YAML of
config/testbeds/thesis.model.yaml. What ships is that table; the C++ model
(profiling/performance_model.cpp) evaluates it and `synergai testbed report`
checks every figure. This script mirrors the model's equations:

  thread node  QPS(e,t) = q1 * t^a / (1 + k*t*(t-1))        (collapse: q1 * c for t >= T)
  mode node    QPS(e,m) = q_ref * (S(m) / S(ref))^b
  pre(e,t)     = P / (1-d) * (1 - d*log2(t)/log2(tmax))  on the thread node,
                 factor_n * P on mode nodes (mode-independent)

Pure Python (no numpy on the build machines): a seeded coordinate descent on a
penalty built from every figure's relative error over its tolerance.
Usage: fit_thesis.py [--sweeps N] [--start FILE.json] [--save FILE.json] [--yaml]
"""
import argparse
import json
import math
import random
import statistics
import sys

ENGINES = [
    "tf-resnet50", "tf-mobilenet", "tf-mobilenet-q", "tflite-mobilenet", "tflite-mobilenet-q",
    "onnx-resnet50-op8", "onnx-resnet50-op11", "onnx-mobilenet-op8", "onnx-mobilenet-op11",
    "tf-ssd-mobilenet", "onnx-ssd-mobilenet-op8", "onnx-ssd-mobilenet-op11",
]
# Table 7.1 at 3900 queries: (25th percentile, median) seconds.
TABLE71 = {
    "onnx-mobilenet-op11": (99.40, 179.23), "onnx-mobilenet-op8": (112.92, 181.18),
    "onnx-resnet50-op11": (339.48, 633.63), "onnx-resnet50-op8": (336.46, 630.56),
    "onnx-ssd-mobilenet-op11": (230.09, 396.95), "onnx-ssd-mobilenet-op8": (271.74, 407.74),
    "tf-mobilenet": (172.31, 202.33), "tf-mobilenet-q": (205.44, 231.36),
    "tf-resnet50": (693.64, 865.31), "tf-ssd-mobilenet": (386.29, 463.02),
    "tflite-mobilenet": (196.18, 240.45), "tflite-mobilenet-q": (278.65, 356.73),
}
THREADS = [1, 2, 4, 8, 16]
AGX = {1: (1200, 8, 30), 2: (1450, 6, 30), 3: (1780, 4, 30), 4: (2100, 2, 30), 5: (2188, 4, 15), 6: (2266, 8, None)}
NX = {1: (1200, 4, 10), 2: (1400, 4, 15), 3: (1400, 4, 20), 4: (1400, 6, 15), 5: (1400, 6, 20),
      6: (1500, 2, 10), 7: (1900, 2, 15), 8: (1900, 2, 20), 9: (1900, 4, 10)}
Q = 3900
PRE_AGX, PRE_NX = 1.10, 1.76
COLLAPSE = {"tflite-mobilenet-q": 16}
NX_MEAN = "none"  # which of the two conflicting NX mean QPS figures is informational


def percentile(values, p):
    v = sorted(values)
    rank = p / 100 * (len(v) - 1)
    lo = int(math.floor(rank))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (rank - lo)


def pearson(xs, ys):
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy)


def initial():
    p = {"S_agx": {1: 0.444, 2: 0.476, 3: 0.578, 4: 0.733, 5: 0.782, 6: 1.0},
         "S_nx": {1: 0.4, 2: 0.72, 3: 0.72, 4: 0.72, 5: 0.72, 6: 0.72, 7: 0.833, 8: 0.833, 9: 1.0},
         "collapse": 1.0, "e": {}}
    for e in ENGINES:
        p25, med = TABLE71[e]
        p["e"][e] = {"q1": Q / p25 / 1.3, "a": 0.7, "k": 0.0023, "A": Q / med * 1.2, "bA": 1.0,
                     "N": Q / med * 1.0, "bN": 1.0, "P": 30.0, "d": 0.1}
    p["e"]["tf-resnet50"].update(q1=16.5 / 4.5, A=5.2, N=5.6, P=1.4)
    p["e"]["onnx-mobilenet-op11"].update(q1=259 / 4.5, A=39.5, N=20, P=26.6)
    p["e"]["tf-mobilenet"].update(N=22.5)
    return p


def speedup(e, t, prm, p):
    if e in COLLAPSE and t >= COLLAPSE[e]:
        return p["collapse"]
    return t ** prm["a"] / (1 + prm["k"] * t * (t - 1))


def x86_qps(p, e, t):
    prm = p["e"][e]
    return prm["q1"] * speedup(e, t, prm, p)


def agx_qps(p, e, m):
    prm = p["e"][e]
    return prm["A"] * (p["S_agx"][m] / p["S_agx"][6]) ** prm["bA"]


def nx_qps(p, e, m):
    prm = p["e"][e]
    return prm["N"] * (p["S_nx"][m] / p["S_nx"][9]) ** prm["bN"]


def pre_x86(p, e, t):
    prm = p["e"][e]
    return prm["P"] / (1 - prm["d"]) * (1 - prm["d"] * math.log2(t) / 4)


def figures(p):
    """(section, name, target, value, tolerance or None for informational)."""
    rows = []
    add = lambda s, n, t, v, tol=0.10: rows.append((s, n, t, v, tol))
    for e in ENGINES:
        times = [Q / x86_qps(p, e, t) for t in THREADS] + [Q / agx_qps(p, e, m) for m in AGX] + \
                [Q / nx_qps(p, e, m) for m in NX]
        add("table71", f"{e} p25", TABLE71[e][0], percentile(times, 25), 0.03)
        add("table71", f"{e} median", TABLE71[e][1], percentile(times, 50), 0.03)

    def stats3(sec, label, vals, tmin, tmax, tmean, tol_min=0.10):
        add(sec, f"{label} min", tmin, min(vals), tol_min)
        add(sec, f"{label} max", tmax, max(vals))
        add(sec, f"{label} mean", tmean, statistics.fmean(vals))

    x16 = [x86_qps(p, e, 16) for e in ENGINES]
    a6 = [agx_qps(p, e, 6) for e in ENGINES]
    a1 = [agx_qps(p, e, 1) for e in ENGINES]
    n9 = [nx_qps(p, e, 9) for e in ENGINES]
    n1 = [nx_qps(p, e, 1) for e in ENGINES]
    stats3("x86", "x86 QPS", x16, 16.5, 259, 52.3)
    stats3("agx", "AGX default QPS", a6, 5.7, 39.3, 19.0)
    stats3("agx", "AGX mode 6 QPS", a6, 4.8, 39.8, 18.4, None)
    stats3("agx", "AGX mode 1 QPS", a1, 4.8, 17.3, 8.2, None)
    stats3("nx", "NX default QPS", n9, 5.6, 22.0, 12.5)
    if NX_MEAN == "default":
        rows[-1] = rows[-1][:4] + (None,)
    stats3("nx", "NX mode 9 QPS", n9, 5.6, 23.3, 14.3)
    if NX_MEAN == "mode9":
        rows[-1] = rows[-1][:4] + (None,)
    stats3("nx", "NX mode 1 QPS", n1, 1.8, 8.1, 5.5)
    add("nodes", "x86/AGX", 2.8, statistics.fmean(x16) / statistics.fmean(a6))
    add("nodes", "x86/NX", 4.2, statistics.fmean(x16) / statistics.fmean(n9))

    # thread scaling
    for t, target in [(2, 1.6), (4, 2.5), (8, 3.8), (16, 4.5)]:
        add("threads", f"QPS speedup {t}", target, statistics.fmean(x86_qps(p, e, t) / x86_qps(p, e, 1) for e in ENGINES))
    add("threads", "pearson", 0.83, statistics.fmean(pearson(THREADS, [x86_qps(p, e, t) for t in THREADS]) for e in ENGINES))
    add("threads", "tflite-q 16/1", 1.0, x86_qps(p, "tflite-mobilenet-q", 16) / x86_qps(p, "tflite-mobilenet-q", 1))
    tot = lambda e, t: pre_x86(p, e, t) + Q / x86_qps(p, e, t)
    for t, target in [(2, 1.6), (4, 2.3), (8, 2.9), (16, 3.0)]:
        add("threads", f"total speedup {t}", target, statistics.fmean(tot(e, 1) / tot(e, t) for e in ENGINES))

    # modes
    mean_agx = {m: statistics.fmean(agx_qps(p, e, m) for e in ENGINES) for m in AGX}
    mean_nx = {m: statistics.fmean(nx_qps(p, e, m) for e in ENGINES) for m in NX}
    for m, target in [(5, 1.3), (4, 1.4), (3, 1.8), (2, 2.0), (1, 2.2)]:
        add("modes", f"AGX 6/{m}", target, mean_agx[6] / mean_agx[m])
    for m, target in [(7, 1.2), (8, 1.2), (2, 1.3), (3, 1.3), (4, 1.3), (5, 1.3), (6, 1.5), (1, 2.5)]:
        add("modes", f"NX 9/{m}", target, mean_nx[9] / mean_nx[m])

    def group(modes, table, key):
        groups = {}
        for m, spec in table.items():
            groups.setdefault(key(spec), []).append(modes[m])
        return {k: statistics.fmean(v) for k, v in groups.items()}

    fa = group(mean_agx, AGX, lambda s: s[0])
    for f, target in [(1450, 1.025), (1780, 1.35), (2100, 1.7), (2188, 1.8), (2266, 2.3)]:
        add("freq", f"AGX {f}/1200", target, fa[f] / fa[1200])
    fn = group(mean_nx, NX, lambda s: s[0])
    # Read in the order that agrees with the per-mode ratios (docs/testbed.md).
    for f, target in [(1500, 1.7), (1400, 2.0), (1900, 2.3)]:
        add("freq", f"NX {f}/1200", target, fn[f] / fn[1200])
    ca = group(mean_agx, AGX, lambda s: s[1])
    for c, target in [(4, 0.92), (6, 1 / 1.7), (8, 0.99)]:
        add("cpus", f"AGX {c}/2 cpus", target, ca[c] / ca[2])
    cn = group(mean_nx, NX, lambda s: s[1])
    for c in [4, 6]:
        add("cpus", f"NX {c}/2 cpus", 1.0, cn[c] / cn[2], 0.04)
    ba = group(mean_agx, AGX, lambda s: s[2])
    add("budget", "AGX MAXN/15W", 1.3, ba[None] / ba[15])
    add("budget", "AGX MAXN/30W", 2.0, ba[None] / ba[30])
    bn = group(mean_nx, NX, lambda s: s[2])
    add("budget", "NX 10W mean", 9.7, bn[10])
    add("budget", "NX 15W mean", 11.3, bn[15])
    add("budget", "NX 20W mean", 11.3, bn[20])

    # pre-processing
    add("pre", "x86 tf-resnet50", 1.4, pre_x86(p, "tf-resnet50", 16), 0.05)
    add("pre", "x86 onnx-mobilenet-op11", 26.6, pre_x86(p, "onnx-mobilenet-op11", 16), 0.05)
    add("pre", "max thread saving", 0.21, max(p["e"][e]["d"] for e in ENGINES))

    # total times (informational unless consistent)
    def totals(qps, pref):
        return [pref * p["e"][e]["P"] + Q / v for e, v in zip(ENGINES, qps)]
    tx = [pre_x86(p, e, 16) + Q / v for e, v in zip(ENGINES, x16)]
    ta6, ta1 = totals(a6, PRE_AGX), totals(a1, PRE_AGX)
    tn9, tn1 = totals(n9, PRE_NX), totals(n1, PRE_NX)
    for label, vals, lo, hi, mean, tol_lo in [
            ("x86 total", tx, 27.8, 258, 144, None), ("AGX default total", ta6, 108, 690, 276, None),
            ("AGX mode 6 total", ta6, 108, 816, 306, None), ("AGX mode 1 total", ta1, 246, 1710, 684, 0.10),
            ("NX default total", tn9, 186, 696, 408, 0.10), ("NX mode 9 total", tn9, 174, 696, 348, 0.10),
            ("NX mode 1 total", tn1, 504, 2160, 1014, 0.10)]:
        add("total", f"{label} min", lo, min(vals), tol_lo)
        add("total", f"{label} max", hi, max(vals), None if label == "AGX mode 6 total" else 0.10)
        add("total", f"{label} mean", mean, statistics.fmean(vals))
    add("total", "x86/AGX total", 2.0, statistics.fmean(ta6) / statistics.fmean(tx))
    add("total", "x86/NX total", 2.8, statistics.fmean(tn9) / statistics.fmean(tx))
    return rows, (x16, a6, n9, tx, ta6, tn9)


WEIGHTS = {"total": 0.3}


def loss(p):
    rows, (x16, a6, n9, tx, ta6, tn9) = figures(p)
    total = 0.0
    for sec, _, target, value, tol in rows:
        if tol is None:
            continue
        r = (value - target) / target / tol
        w = WEIGHTS.get(sec, 1.0)
        total += w * (r * r + 200 * max(0.0, abs(r) - 0.6) ** 2)
    # published identities: fastest and slowest engine per node, with a margin
    def margin(vals, best, want_max=True, m=1.04):
        i = ENGINES.index(best)
        others = [v for j, v in enumerate(vals) if j != i]
        if want_max:
            return max(0.0, m - vals[i] / max(others)) ** 2 * 1e4
        return max(0.0, m - min(others) / vals[i]) ** 2 * 1e4
    total += margin(x16, "onnx-mobilenet-op11") + margin(a6, "onnx-mobilenet-op11") + margin(n9, "tf-mobilenet")
    total += margin(x16, "tf-resnet50", False) + margin(a6, "tf-resnet50", False) + margin(n9, "tf-resnet50", False)
    total += margin(tx, "onnx-ssd-mobilenet-op8", True, 1.02) + margin(ta6, "tf-resnet50", True, 1.02)
    total += margin(tn9, "tf-mobilenet", False, 1.02) + margin(tn9, "tf-resnet50", True, 1.02)
    # ONNX SSD-MobileNet op8 on x86: inference dominates below 4 threads, pre-processing from 4 on
    e = "onnx-ssd-mobilenet-op8"
    for t in THREADS:
        ratio = pre_x86(p, e, t) / (Q / x86_qps(p, e, t))
        total += (max(0.0, 1.05 - ratio) if t >= 4 else max(0.0, ratio - 0.95)) ** 2 * 1e4
    # thread scaling must rise (except the collapse) and stay sub-linear
    for e in ENGINES:
        s = [speedup(e, t, p["e"][e], p) for t in THREADS]
        limit = 4 if e in COLLAPSE else 5
        for i in range(1, limit):
            total += max(0.0, 1.03 - s[i] / s[i - 1]) ** 2 * 1e4
    # frequency dominates: among modes with the same online CPUs, speed never
    # falls as frequency rises
    for table, key in [(AGX, "S_agx"), (NX, "S_nx")]:
        for m1, s1 in table.items():
            for m2, s2 in table.items():
                if s1[0] < s2[0] and s1[1] == s2[1]:
                    total += max(0.0, p[key][m1] - p[key][m2]) ** 2 * 1e4
    return total


BOUNDS = {"a": (0.35, 0.95), "k": (0.0005, 0.05), "bA": (0.6, 1.4), "bN": (0.6, 1.4), "d": (0.03, 0.21),
          "q1": (0.1, 1000), "A": (0.1, 1000), "N": (0.1, 1000), "P": (1.4, 600)}
FIXED = {("tf-resnet50", "P"), ("onnx-mobilenet-op11", "P")}


def coordinates(p):
    for m in p["S_agx"]:
        if m != 6:
            yield ("S_agx", m), (0.2, 1.0)
    for m in p["S_nx"]:
        if m != 9:
            yield ("S_nx", m), (0.2, 1.0)
    yield ("collapse",), (0.9, 1.1)
    for e in ENGINES:
        for k, b in BOUNDS.items():
            if (e, k) not in FIXED:
                yield ("e", e, k), b


def get(p, path):
    v = p
    for k in path:
        v = v[k]
    return v


def put(p, path, value):
    v = p
    for k in path[:-1]:
        v = v[k]
    v[path[-1]] = value


def fit(p, sweeps, seed=1):
    rng = random.Random(seed)
    coords = list(coordinates(p))
    steps = {c[0]: 0.05 for c in coords}
    best = loss(p)
    for sweep in range(sweeps):
        rng.shuffle(coords)
        for path, (lo, hi) in coords:
            x = get(p, path)
            improved = False
            for direction in (1, -1):
                scale = max(abs(x), 1e-3) if path[-1] != "k" else 0.002
                cand = min(hi, max(lo, x + direction * steps[path] * scale))
                if cand == x:
                    continue
                put(p, path, cand)
                l = loss(p)
                if l < best:
                    best, improved = l, True
                    steps[path] = min(steps[path] * 1.5, 0.5)
                    break
                put(p, path, x)
            if not improved:
                steps[path] = max(steps[path] * 0.6, 1e-5)
        if sweep % 50 == 0:
            print(f"sweep {sweep}: loss {best:.4f}", file=sys.stderr)
    return best


def show(p):
    rows, _ = figures(p)
    worst = {}
    for sec, name, target, value, tol in rows:
        err = (value - target) / target
        flag = "" if tol is None else ("ok" if abs(err) <= tol else "FAIL")
        print(f"{sec:8} {name:36} {target:9.3f} {value:9.3f} {err*100:+7.2f}% {'' if tol is None else tol*100:>5} {flag}")
        if tol is not None:
            worst[sec] = max(worst.get(sec, 0), abs(err) / tol)
    print("worst |err|/tol per section:", {k: round(v, 3) for k, v in worst.items()})


def to_yaml(p):
    """The parameter table as config/testbeds/thesis.model.yaml (4 significant digits)."""
    g = lambda x: float(f"{x:.4g}")
    out = ["# Generated by profiling/calibration/fit_thesis.py; the method and every assumption",
           "# are in docs/testbed.md. `synergai testbed report --testbed config/testbeds/thesis.yaml`",
           "# checks every published figure against the dictionary this model gives.",
           "format: synergai.performance-model/1",
           "testbed: thesis",
           "description: >-",
           "  Calibrated to the thesis's published aggregates (Table 7.1, characterization figures of",
           "  chapter 5); x86 tuned by threads, Jetson AGX and NX by power mode.",
           f"profiling_queries: {Q}",
           "nodes:",
           "  - node: x86",
           "    preprocessing_factor: 1.0",
           "  - node: agx",
           f"    preprocessing_factor: {PRE_AGX}",
           "    reference_mode: 6",
           "    mode_speed: {" + ", ".join(f"{m}: {g(p['S_agx'][m])}" for m in sorted(p["S_agx"])) + "}",
           "  - node: nx",
           f"    preprocessing_factor: {PRE_NX}",
           "    reference_mode: 9",
           "    mode_speed: {" + ", ".join(f"{m}: {g(p['S_nx'][m])}" for m in sorted(p["S_nx"])) + "}",
           "engines:"]
    for e in ENGINES:
        v = p["e"][e]
        collapse = f", collapse: {{from_threads: {COLLAPSE[e]}, speedup: {g(p['collapse'])}}}" if e in COLLAPSE else ""
        out += [f"  - engine: {e}",
                f"    preprocessing_s: {g(v['P'])}",
                f"    preprocessing_thread_saving: {g(v['d'])}",
                "    performance:",
                f"      x86: {{qps_1thread: {g(v['q1'])}, exponent: {g(v['a'])}, contention: {g(v['k'])}{collapse}}}",
                f"      agx: {{qps: {g(v['A'])}, mode_sensitivity: {g(v['bA'])}}}",
                f"      nx: {{qps: {g(v['N'])}, mode_sensitivity: {g(v['bN'])}}}"]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweeps", type=int, default=400)
    ap.add_argument("--start")
    ap.add_argument("--save")
    ap.add_argument("--yaml", help="write the model YAML here")
    ap.add_argument("--nx-mean-info", choices=["none", "default", "mode9"], default="none")
    args = ap.parse_args()
    global NX_MEAN
    NX_MEAN = args.nx_mean_info
    p = initial()
    if args.start:
        with open(args.start) as f:
            raw = json.load(f)
        raw["S_agx"] = {int(k): v for k, v in raw["S_agx"].items()}
        raw["S_nx"] = {int(k): v for k, v in raw["S_nx"].items()}
        p = raw
    print("loss", fit(p, args.sweeps), file=sys.stderr)
    show(p)
    if args.yaml:
        with open(args.yaml, "w") as f:
            f.write(to_yaml(p))
    if args.save:
        with open(args.save, "w") as f:
            json.dump(p, f, indent=1)


if __name__ == "__main__":
    main()

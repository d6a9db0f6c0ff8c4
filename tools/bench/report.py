#!/usr/bin/env python3
"""report.py -- the table of tools/bench.sh from its per-run results.

Usage: report.py RESULTS.tsv

Each input line is one dnsperf run:
  phase set server round answered qps cpu_s mean_s p99_s lost other_pct
phase "max" is an unlimited run, "fixed" one at dnsperf -Q.  Every figure
printed is the median over the rounds of that figure; "spread" is the
range of answered/CPU-s over the rounds (max - min) as a share of it.

dnsd-signed (the same zones signed) is asked with the static and geo
queries with DO set ("static-do", "geo-do") and the static ones without;
its answered/CPU-s is then given over dnsd's on the unsigned queries,
round by round (the pairs alternate within a round).
"""
import statistics
import sys

ORDER = {"static": ["dnsd", "nsd", "knot", "ceiling"],
         "geo": ["dnsd", "gdnsd", "pdns", "ceiling"]}
# rows of the signed server: printed when they were run, never "not run"
SIGNED = {"static": ["dnsd-signed"], "static-do": ["dnsd-signed"],
          "geo": ["dnsd-signed"], "geo-do": ["dnsd-signed"]}
SETS = ["static", "static-do", "geo", "geo-do"]
NAMES = {"dnsd": "dnsd", "nsd": "NSD", "knot": "Knot", "gdnsd": "gdnsd",
         "pdns": "PowerDNS", "ceiling": "ceiling", "dnsd-signed": "dnsd-signed"}
# signed over unsigned: (signed set, unsigned set, what), target 0.9
SIGNED_RATIOS = [("static-do", "static", "DO"), ("geo-do", "geo", "DO"),
                 ("static", "static", "no DO, for comparison")]
TARGET = 0.9


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 11:
                continue
            r = dict(round=p[3], answered=int(p[4]), qps=float(p[5]), cpu=float(p[6]),
                     mean=float(p[7]), p99=float(p[8]), lost=int(p[9]), other=float(p[10]))
            r["eff"] = r["answered"] / r["cpu"] if r["cpu"] > 0 else float("nan")
            r["us"] = r["cpu"] * 1e6 / r["answered"] if r["answered"] else float("nan")
            runs.setdefault((p[0], p[1], p[2]), []).append(r)
    return runs


def ms(x):
    return "n/a" if x < 0 else f"{x * 1e3:.3f}"


def spread(rows):
    e = [r["eff"] for r in rows]
    if len(e) < 2:
        return "-"
    m = statistics.median(e)
    return f"{100 * (max(e) - min(e)) / m:.1f}%" if m > 0 else "n/a"


def rows_of(runs, phase):
    """(set, server) in report order: the peers of ORDER (None when not
    run), then the signed server's rows that were run."""
    out = []
    for qset in SETS:
        for s in ORDER.get(qset, []):
            out.append((qset, s, runs.get((phase, qset, s))))
        for s in SIGNED.get(qset, []):
            if (phase, qset, s) in runs:
                out.append((qset, s, runs[phase, qset, s]))
    return out


def signed_ratios(runs):
    lines = []
    for sset, uset, what in SIGNED_RATIOS:
        srows = runs.get(("max", sset, "dnsd-signed"))
        urows = runs.get(("max", uset, "dnsd"))
        if not srows or not urows:
            continue
        ratio = med(srows, "eff") / med(urows, "eff")
        ueff = {r["round"]: r["eff"] for r in urows}
        per = sorted(r["eff"] / ueff[r["round"]] for r in srows if ueff.get(r["round"], 0) > 0)
        rng = f"rounds {per[0]:.2f}-{per[-1]:.2f}" if len(per) > 1 else "1 round"
        mark = "" if what != "DO" else ("  ok" if ratio >= TARGET else f"  BELOW {TARGET}")
        lines.append(f"  {sset + ':dnsd-signed':<22} / {uset + ':dnsd':<11} {ratio:5.2f}  "
                     f"({rng}; {what}){mark}")
    return lines


def main(argv):
    runs = load(argv[0])
    n = max((len(v) for v in runs.values()), default=0)
    print(f"Unlimited rate (median of {n} runs each):")
    print(f"{'server':<11} {'query set':<9} {'answered qps':>12} {'CPU s/run':>9} "
          f"{'answered/CPU-s':>14} {'spread':>6} {'mean ms':>8} {'p99 ms':>7} {'lost':>6}")
    eff = {}
    for qset, s, rows in rows_of(runs, "max"):
        if not rows:
            print(f"{NAMES[s]:<11} {qset:<9} {'not run':>12}")
            continue
        eff[qset, s] = med(rows, "eff")
        print(f"{NAMES[s]:<11} {qset:<9} {med(rows, 'qps'):>12.0f} {med(rows, 'cpu'):>9.2f} "
              f"{eff[qset, s]:>14.0f} {spread(rows):>6} {ms(med(rows, 'mean')):>8} {ms(med(rows, 'p99')):>7} "
              f"{med(rows, 'lost'):>6.0f}")
    print()
    print("dnsd's answered queries per server CPU-second relative to:")
    for qset, servers in ORDER.items():
        if ("dnsd" not in servers) or (qset, "dnsd") not in eff:
            continue
        parts = [f"{NAMES[s]} {eff[qset, 'dnsd'] / eff[qset, s]:.2f}x"
                 for s in servers[1:] if (qset, s) in eff]
        print(f"  {qset:<7} " + ", ".join(parts))
    ratios = signed_ratios(runs)
    if ratios:
        print()
        print(f"Signed over unsigned: dnsd-signed's answered/CPU-s over dnsd's (target >= {TARGET}):")
        for line in ratios:
            print(line)
    fixed = [k for k in runs if k[0] == "fixed"]
    if fixed:
        print()
        print(f"Fixed offered rate (dnsperf -Q), median of {n} runs each:")
        print(f"{'server':<11} {'query set':<9} {'answered qps':>12} {'CPU us/query':>12} "
              f"{'mean ms':>8} {'p99 ms':>7} {'lost':>6}")
        for qset, s, rows in rows_of(runs, "fixed"):
            if not rows:
                continue
            print(f"{NAMES[s]:<11} {qset:<9} {med(rows, 'qps'):>12.0f} {med(rows, 'us'):>12.2f} "
                  f"{ms(med(rows, 'mean')):>8} {ms(med(rows, 'p99')):>7} {med(rows, 'lost'):>6.0f}")
    other = [r["other"] for k, v in runs.items() if k[0] in ("max", "fixed") for r in v]
    if other:
        print()
        print(f"Other load on the two CPUs during the runs (not the server, not dnsperf): "
              f"median {statistics.median(other):.1f}%, max {max(other):.1f}%"
              + ("  -- NOT QUIET: rerun on an idle machine" if max(other) > 5 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""report.py -- the table of tools/bench.sh from its per-run results.

Usage: report.py RESULTS.tsv

Each input line is one dnsperf run:
  phase set server round answered qps cpu_s mean_s p99_s lost other_pct
phase "max" is an unlimited run, "fixed" one at dnsperf -Q.  Every figure
printed is the median over the rounds of that figure.
"""
import statistics
import sys

ORDER = {"static": ["dnsd", "nsd", "knot", "ceiling"],
         "geo": ["dnsd", "gdnsd", "pdns", "ceiling"]}
NAMES = {"dnsd": "dnsd", "nsd": "NSD", "knot": "Knot", "gdnsd": "gdnsd",
         "pdns": "PowerDNS", "ceiling": "ceiling"}


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 11:
                continue
            r = dict(answered=int(p[4]), qps=float(p[5]), cpu=float(p[6]),
                     mean=float(p[7]), p99=float(p[8]), lost=int(p[9]), other=float(p[10]))
            r["eff"] = r["answered"] / r["cpu"] if r["cpu"] > 0 else float("nan")
            r["us"] = r["cpu"] * 1e6 / r["answered"] if r["answered"] else float("nan")
            runs.setdefault((p[0], p[1], p[2]), []).append(r)
    return runs


def ms(x):
    return "n/a" if x < 0 else f"{x * 1e3:.3f}"


def main(argv):
    runs = load(argv[0])
    n = max((len(v) for v in runs.values()), default=0)
    print(f"Unlimited rate (median of {n} runs each):")
    print(f"{'server':<10} {'query set':<7} {'answered qps':>12} {'CPU s/run':>9} "
          f"{'answered/CPU-s':>14} {'mean ms':>8} {'p99 ms':>7} {'lost':>6}")
    eff = {}
    for qset, servers in ORDER.items():
        for s in servers:
            rows = runs.get(("max", qset, s))
            if not rows:
                print(f"{NAMES[s]:<10} {qset:<7} {'not run':>12}")
                continue
            eff[qset, s] = med(rows, "eff")
            print(f"{NAMES[s]:<10} {qset:<7} {med(rows, 'qps'):>12.0f} {med(rows, 'cpu'):>9.2f} "
                  f"{eff[qset, s]:>14.0f} {ms(med(rows, 'mean')):>8} {ms(med(rows, 'p99')):>7} "
                  f"{med(rows, 'lost'):>6.0f}")
    print()
    print("dnsd's answered queries per server CPU-second relative to:")
    for qset, servers in ORDER.items():
        if ("dnsd" not in servers) or (qset, "dnsd") not in eff:
            continue
        parts = [f"{NAMES[s]} {eff[qset, 'dnsd'] / eff[qset, s]:.2f}x"
                 for s in servers[1:] if (qset, s) in eff]
        print(f"  {qset:<7} " + ", ".join(parts))
    fixed = [k for k in runs if k[0] == "fixed"]
    if fixed:
        print()
        print(f"Fixed offered rate (dnsperf -Q), median of {n} runs each:")
        print(f"{'server':<10} {'query set':<7} {'answered qps':>12} {'CPU us/query':>12} "
              f"{'mean ms':>8} {'p99 ms':>7} {'lost':>6}")
        for qset, servers in ORDER.items():
            for s in servers:
                rows = runs.get(("fixed", qset, s))
                if not rows:
                    continue
                print(f"{NAMES[s]:<10} {qset:<7} {med(rows, 'qps'):>12.0f} {med(rows, 'us'):>12.2f} "
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

#!/usr/bin/env python3
"""report.py -- the table of tools/bench.sh from its per-run results.

Usage: report.py RESULTS.tsv

Each input line is one load generator run:
  phase set server round answered qps cpu_s mean_s p99_s lost other_pct
  sys_cpu_s misplaced
phase "max" is an unlimited dnsperf run, "fixed" one at dnsperf -Q, "kxdp"
one of kxdpgun.  cpu_s is the server's CPU time, sys_cpu_s the server's,
the load generator's and the two CPUs' ksoftirqd's together; misplaced
counts server threads that were allowed off the server's CPU.

Every figure printed is the median over the rounds, and next to the
figures that compare servers, in brackets, the lowest and highest of the
rounds.  A ratio between two servers is the ratio of their medians, with
the range of the per-round ratios (the pairs alternate within a round,
so a round's ratio compares runs a few seconds apart).

"ceiling" and "ceiling-twin" are the same responder twice: their ratio
says how well the method tells identical servers apart (within 3 % is
the aim).  dnsd-signed (the same zones signed) is asked with the static
and geo queries with DO set ("static-do", "geo-do") and the static ones
without; its efficiency is given over the unsigned dnsd's.
"""
import statistics
import sys

ORDER = {"static": ["dnsd", "nsd", "knot", "ceiling", "ceiling-twin"],
         "geo": ["dnsd", "gdnsd", "pdns", "ceiling", "ceiling-twin"]}
# rows of the signed server: printed when they were run, never "not run"
SIGNED = {"static": ["dnsd-signed"], "static-do": ["dnsd-signed"],
          "geo": ["dnsd-signed"], "geo-do": ["dnsd-signed"]}
SETS = ["static", "static-do", "geo", "geo-do"]
NAMES = {"dnsd": "dnsd", "nsd": "NSD", "knot": "Knot", "gdnsd": "gdnsd",
         "pdns": "PowerDNS", "ceiling": "ceiling", "ceiling-twin": "ceiling-twin",
         "dnsd-signed": "dnsd-signed"}
# signed over unsigned: (signed set, unsigned set, what), target 0.9
SIGNED_RATIOS = [("static-do", "static", "DO"), ("geo-do", "geo", "DO"),
                 ("static", "static", "no DO, for comparison")]
TARGET = 0.9
TWIN_AIM = 0.03


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) not in (11, 13):
                continue
            r = dict(round=p[3], answered=int(p[4]), qps=float(p[5]), cpu=float(p[6]),
                     mean=float(p[7]), p99=float(p[8]), lost=int(p[9]), other=float(p[10]),
                     sys=float(p[11]) if len(p) == 13 else float("nan"),
                     off=int(p[12]) if len(p) == 13 else 0)
            r["eff"] = r["answered"] / r["cpu"] if r["cpu"] > 0 else float("nan")
            r["seff"] = r["answered"] / r["sys"] if r["sys"] > 0 else float("nan")
            r["us"] = r["cpu"] * 1e6 / r["answered"] if r["answered"] else float("nan")
            r["sus"] = r["sys"] * 1e6 / r["answered"] if r["answered"] else float("nan")
            runs.setdefault((p[0], p[1], p[2]), []).append(r)
    return runs


def ms(x):
    return "n/a" if x < 0 else f"{x * 1e3:.3f}"


def mm(rows, key, fmt="{:.0f}"):
    """median (min-max) of one figure over the rounds"""
    v = sorted(r[key] for r in rows)
    m = statistics.median(v)
    if len(v) < 2:
        return fmt.format(m)
    return f"{fmt.format(m)} ({fmt.format(v[0])}-{fmt.format(v[-1])})"


def ms_mm(rows, key):
    v = sorted(r[key] for r in rows)
    if v[0] < 0:
        return "n/a"
    m = statistics.median(v)
    return f"{m * 1e3:.3f} ({v[0] * 1e3:.3f}-{v[-1] * 1e3:.3f})" if len(v) > 1 else f"{m * 1e3:.3f}"


def ratio(a_rows, b_rows, key):
    """median(a) / median(b), and the lowest and highest per-round ratio"""
    r = med(a_rows, key) / med(b_rows, key)
    b = {x["round"]: x[key] for x in b_rows}
    per = sorted(x[key] / b[x["round"]] for x in a_rows if b.get(x["round"], 0) > 0)
    return r, per


def fmt_ratio(r, per):
    return f"{r:.2f}x" + (f" ({per[0]:.2f}-{per[-1]:.2f})" if len(per) > 1 else "")


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
        r, per = ratio(srows, urows, "eff")
        mark = "" if what != "DO" else ("  ok" if r >= TARGET else f"  BELOW {TARGET}")
        lines.append(f"  {sset + ':dnsd-signed':<22} / {uset + ':dnsd':<11} {fmt_ratio(r, per)}  ({what}){mark}")
    return lines


def twin(runs, phase):
    """the twin check: ceiling-twin over ceiling, per query set"""
    lines = []
    for qset in ("static", "geo"):
        a, b = runs.get((phase, qset, "ceiling-twin")), runs.get((phase, qset, "ceiling"))
        if not a or not b:
            continue
        parts = []
        for key, what in (("eff", "per server CPU-s"), ("seff", "per system CPU-s")):
            if any(x[key] != x[key] for x in a + b):	# NaN: an old results file
                continue
            r, per = ratio(a, b, key)
            ok = "within 3 %" if abs(r - 1) <= TWIN_AIM else "OUTSIDE 3 %"
            parts.append(f"{what} {fmt_ratio(r, per)} {ok}")
        lines.append(f"  {qset:<7} " + "; ".join(parts))
    return lines


def main(argv):
    runs = load(argv[0])
    n = max((len(v) for k, v in runs.items() if k[0] == "max"), default=0)
    print(f"Unlimited rate, median (min-max) of {n} runs each; answered queries per server CPU-second"
          " and per system CPU-second (server + dnsperf + ksoftirqd):")
    print(f"{'server':<12} {'query set':<9} {'answered qps':>12} {'CPU s':>5} "
          f"{'answered/server CPU-s':>23} {'answered/system CPU-s':>21} {'p99 ms':>7} {'lost':>5}")
    eff = {}
    for qset, s, rows in rows_of(runs, "max"):
        if not rows:
            print(f"{NAMES[s]:<12} {qset:<9} {'not run':>12}")
            continue
        eff[qset, s] = rows
        print(f"{NAMES[s]:<12} {qset:<9} {med(rows, 'qps'):>12.0f} {med(rows, 'cpu'):>5.2f} "
              f"{mm(rows, 'eff'):>23} {mm(rows, 'seff'):>21} {ms(med(rows, 'p99')):>7} "
              f"{med(rows, 'lost'):>5.0f}")
    print()
    tw = twin(runs, "max")
    if tw:
        print("Two identical servers (the ceiling twice), ceiling-twin / ceiling, ratio of medians (per-round range):")
        for line in tw:
            print(line)
        print()
    print("dnsd relative to each, ratio of medians (per-round range): per server CPU-s | per system CPU-s")
    for qset, servers in ORDER.items():
        if (qset, "dnsd") not in eff:
            continue
        parts = []
        for s in servers[1:]:
            if (qset, s) not in eff:
                continue
            a = fmt_ratio(*ratio(eff[qset, "dnsd"], eff[qset, s], "eff"))
            b = fmt_ratio(*ratio(eff[qset, "dnsd"], eff[qset, s], "seff"))
            parts.append(f"{NAMES[s]} {a} | {b}")
        print(f"  {qset:<7} " + ", ".join(parts))
    ratios = signed_ratios(runs)
    if ratios:
        print()
        print(f"Signed over unsigned: dnsd-signed's answered/server CPU-s over dnsd's (target >= {TARGET}):")
        for line in ratios:
            print(line)
    fixed = [k for k in runs if k[0] == "fixed"]
    if fixed:
        nf = max(len(runs[k]) for k in fixed)
        print()
        print(f"Fixed offered rate (dnsperf -Q), median (min-max) of {nf} runs each:")
        print(f"{'server':<12} {'query set':<9} {'answered qps':>12} {'server us/q':>11} {'system us/q':>11} "
              f"{'mean ms':>7} {'p99 ms':>21} {'lost':>5}")
        for qset, s, rows in rows_of(runs, "fixed"):
            if not rows:
                continue
            print(f"{NAMES[s]:<12} {qset:<9} {med(rows, 'qps'):>12.0f} {med(rows, 'us'):>11.2f} "
                  f"{med(rows, 'sus'):>11.2f} {ms(med(rows, 'mean')):>7} {ms_mm(rows, 'p99'):>21} "
                  f"{med(rows, 'lost'):>5.0f}")
    kx = {k[2]: v for k, v in runs.items() if k[0] == "kxdp"}
    if kx:
        nk = max(len(v) for v in kx.values())
        print()
        print(f"kxdpgun (AF_XDP on the client's veth), static set, median (min-max) of {nk} runs each:")
        print(f"{'server':<12} {'answered qps':>12} {'CPU s':>5} {'answered/server CPU-s':>23} "
              f"{'answered/system CPU-s':>21} {'lost':>8}")
        for s in ("ceiling", "ceiling-twin", "dnsd"):
            if s in kx:
                rows = kx[s]
                print(f"{NAMES[s]:<12} {med(rows, 'qps'):>12.0f} {med(rows, 'cpu'):>5.2f} {mm(rows, 'eff'):>23} "
                      f"{mm(rows, 'seff'):>21} {med(rows, 'lost'):>8.0f}")
        if "ceiling" in kx and "ceiling-twin" in kx:
            print("  ceiling-twin / ceiling: per server CPU-s "
                  + fmt_ratio(*ratio(kx["ceiling-twin"], kx["ceiling"], "eff")))
    off = sum(r["off"] for v in runs.values() for r in v)
    if off:
        print()
        print(f"WARNING: {off} run(s) found server threads allowed off the server's CPU (pinned again after)")
    other = [r["other"] for k, v in runs.items() if k[0] in ("max", "fixed", "kxdp") for r in v]
    if other:
        print()
        print(f"Other load on the two CPUs during the runs (not the server, the load generator or ksoftirqd): "
              f"median {statistics.median(other):.1f}%, max {max(other):.1f}%"
              + ("  -- NOT QUIET: rerun on an idle machine" if max(other) > 5 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

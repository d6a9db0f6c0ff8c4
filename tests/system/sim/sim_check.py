"""sim_check.py -- checks for tests/system/sim/run.sh.  Each subcommand
prints "ok ..." / "FAIL ..." lines and ends with "N passed, M failed".

  scenario SIM.JSON DOWN... -- CONFIG PORT SAMPLE [SAME.JSON...]
      the JSON of `dnsd-sim --down DOWN... --format json --networks`:
      every country has an answer now and after, no strict pin leaks,
      every networks override is listed, the networks listed agree with
      the countries; SAME.JSON (dnsd-sim
      fed the server's own state, by URL or state file) says "now" what
      SIM.JSON says "after"; and for SAMPLE random networks the dnsd
      on 127.0.0.1:PORT, with DOWN forced down through its API, answers
      each geo name and family for the network's first address as ECS
      with the regions the simulator said.
  svg MAP.SVG SIM.JSON COUNTRIES.CSV [live]
      MAP.SVG parses as XML (lxml), is SVG, has exactly one shape per
      country of COUNTRIES.CSV in each panel, and fills each country
      with the colour SIM.JSON gives its answer (the first result).
  png SHOT.PNG COLOUR...
      the screenshot is a PNG that shows each colour (the regions').
"""
import csv
import ipaddress
import json
import random
import struct
import sys
import zlib

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

PASS = FAIL = 0


def check(cond, desc, detail=""):
    global PASS, FAIL
    if cond:
        PASS += 1
        print("ok   " + desc)
    else:
        FAIL += 1
        print("FAIL " + desc + (": " + detail if detail else ""))


def done():
    print("%d passed, %d failed" % (PASS, FAIL))
    sys.exit(1 if FAIL else 0)


def bare(label):
    """The regions of a label, without the all_down: mark the server
    cannot show (it answers the same addresses either way)."""
    return label[len("all_down:"):] if label.startswith("all_down:") else label


def endpoints_by_address(config):
    with open(config, encoding="utf-8") as f:
        conf = json.load(f)
    out = {}
    for name, r in conf["regions"].items():
        for e in r["endpoints"]:
            out[ipaddress.ip_address(e)] = name
    return out


def server_label(port, qname, family, net, regions):
    """What dnsd answers for the first address of net as ECS."""
    first = ipaddress.ip_network(net).network_address
    bits = 32 if first.version == 4 else 128
    q = dns.message.make_query(qname, "A" if family == "A" else "AAAA", use_edns=0,
                               options=[dns.edns.ECSOption(str(first), bits)])
    q.flags &= ~dns.flags.RD
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    if r.rcode() == dns.rcode.SERVFAIL:
        return "SERVFAIL"
    seen = []
    for rrset in r.answer:
        if rrset.rdtype not in (dns.rdatatype.A, dns.rdatatype.AAAA):
            continue
        for rd in rrset:
            name = regions.get(ipaddress.ip_address(rd.address), "?" + rd.address)
            if name not in seen:
                seen.append(name)
    if r.rcode() != dns.rcode.NOERROR:
        return dns.rcode.to_text(r.rcode())
    return ",".join(seen) if seen else "NODATA"


def scenario(argv):
    sep = argv.index("--")
    path, down = argv[0], argv[1:sep]
    config, port, sample = argv[sep + 1], int(argv[sep + 2]), int(argv[sep + 3])
    same = argv[sep + 4:]
    with open(path, encoding="utf-8") as f:
        sim = json.load(f)
    tag = "down " + "+".join(down)
    check(sim["scenario"] == ["region %s down" % d for d in down], tag + ": the JSON names the scenario",
          repr(sim["scenario"]))
    results = {(r["name"], r["family"]): r for r in sim["results"]}
    check(set(results) == {("www.example.com.", "A"), ("www.example.com.", "AAAA"),
                           ("api.example.com.", "A"), ("api.example.com.", "AAAA")},
          tag + ": one result per geo name and family", repr(sorted(results)))
    for (name, fam), r in sorted(results.items()):
        what = "%s %s %s" % (tag, name, fam)
        bad = [cc for cc, c in r["countries"].items() if not c.get("now") or not c.get("after")]
        check(len(r["countries"]) >= 20 and not bad,
              what + ": every country of the database (%d) has an answer now and after" % len(r["countries"]),
              repr(bad))
        leaks = {pin: (p["now"]["leaked_networks"], p["after"]["leaked_networks"], p["leaks"])
                 for pin, p in r["residency"].items() if p["mode"] == "strict" and not p["exempt"]}
        check(leaks and all(a == 0 and b == 0 and not l for a, b, l in leaks.values()),
              what + ": 0 strict-pin leaks (%s)" % ", ".join(sorted(leaks)), repr(leaks))
        with open(config, encoding="utf-8") as f:
            overrides = set(json.load(f).get("networks", {}))
        listed = {o["network"] for o in r["overrides"] if o.get("now") and o.get("after")}
        check(listed == overrides, what + ": every networks override is listed with its answers: %s"
              % sorted(listed), "config %s" % sorted(overrides))
        moved = [cc for cc, c in r["countries"].items() if c["moved"] > 0]
        check(sorted(moved) == sorted(r["moved"]), what + ": the moved list is the countries with a moved share")
        # the networks listing agrees with the per-country answers
        by_cc = {}
        for n in r["networks"]:
            if n["country"]:
                by_cc.setdefault(n["country"], set()).add((bare(n["now"]), bare(n["after"])))
        wrong = [cc for cc, c in r["countries"].items()
                 if (bare(c["now"]), bare(c["after"])) not in by_cc.get(cc, set())]
        check(not wrong, what + ": each country's answer is one of its networks' answers", repr(wrong[:5]))
    # the same state, read back from the server that has it forced
    for other in same:
        with open(other, encoding="utf-8") as f:
            live = json.load(f)
        diff = []
        for lr in live["results"]:
            r = results[(lr["name"], lr["family"])]
            after = {n["network"]: n["after"] for n in r["networks"]}
            diff += ["%s %s %s: %s != %s" % (lr["name"], lr["family"], n["network"], n["now"], after.get(n["network"]))
                     for n in lr["networks"] if after.get(n["network"]) != n["now"]]
        check(not diff and live["results"], tag + ": dnsd-sim --health %s says now what the scenario says after"
              % live["health"], "; ".join(diff[:5]))
    # the running server answers what the simulator said
    regions = endpoints_by_address(config)
    nets = results[("www.example.com.", "A")]["networks"]
    rnd = random.Random(17 + len(down))
    picked = rnd.sample(range(len(nets)), min(sample, len(nets)))
    for (name, fam), r in sorted(results.items()):
        mism, asked = [], 0
        for i in picked:
            n = r["networks"][i]
            got = server_label(port, name, fam, n["network"], regions)
            asked += 1
            if got != bare(n["after"]):
                mism.append("%s: server %s, simulator %s" % (n["network"], got, n["after"]))
        check(asked == len(picked) and not mism,
              "%s %s %s: the server answers %d random networks as the simulator said" % (tag, name, fam, asked),
              "; ".join(mism[:5]))
    done()


def svg(argv):
    from lxml import etree
    path, sim_path, countries_csv = argv[0], argv[1], argv[2]
    live = len(argv) > 3 and argv[3] == "live"
    with open(sim_path, encoding="utf-8") as f:
        sim = json.load(f)
    with open(countries_csv, encoding="utf-8") as f:
        codes = {row["code"] for row in csv.DictReader(f)}
    try:
        root = etree.parse(path).getroot()
    except etree.XMLSyntaxError as e:
        check(False, "%s is well-formed XML" % path, str(e))
        done()
    ns = "{http://www.w3.org/2000/svg}"
    check(root.tag == ns + "svg", "%s: the root is an SVG element" % path, root.tag)
    shapes = [e for e in root.iter(ns + "path", ns + "circle") if e.get("id", "").count("-") == 1]
    panels = ["now"] if live else ["now", "after"]
    colours = sim["colours"]
    result = sim["results"][0]
    for panel in panels:
        ids = [e.get("id").split("-")[1] for e in shapes if e.get("id").startswith(panel + "-")]
        check(len(ids) == len(set(ids)) and set(ids) == codes,
              "%s: panel %s has exactly one shape per country (%d)" % (path, panel, len(ids)),
              "missing %s, extra %s, twice %s" % (sorted(codes - set(ids))[:5], sorted(set(ids) - codes)[:5],
                                                 sorted({i for i in ids if ids.count(i) > 1})[:5]))
        wrong = []
        state = "now" if panel == "now" else "after"
        for e in shapes:
            if not e.get("id").startswith(panel + "-"):
                continue
            cc = e.get("id").split("-")[1]
            c = result["countries"].get(cc)
            want = colours["no data"] if c is None else colours[bare(c[state]).split(",")[0]]
            if e.get("fill") != want:
                wrong.append("%s %s != %s" % (cc, e.get("fill"), want))
        check(not wrong, "%s: panel %s colours every country as the JSON says" % (path, panel), "; ".join(wrong[:5]))
    if not live:
        moved = {e.get("id").split("-")[1] for e in shapes if e.get("class") == "moved"}
        check(moved == set(result["moved"]), "%s: the moved countries are outlined: %s" % (path, sorted(moved)),
              "svg %s, json %s" % (sorted(moved), sorted(result["moved"])))
    done()


def png_pixels(path):
    """RGB(A) pixels of an 8-bit non-interlaced PNG, as bytes per row."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG layout")
    bpp = 3 if ctype == 2 else 4
    raw, stride, prev, rows, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
    for _ in range(h):
        ft, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def png(argv):
    path, want = argv[0], argv[1:]
    try:
        w, h, bpp, rows = png_pixels(path)
    except (OSError, ValueError, TypeError) as e:
        check(False, "%s is a PNG" % path, str(e))
        done()
    check(w >= 800 and h >= 600, "%s is a %dx%d PNG" % (path, w, h))
    counts = {c: 0 for c in want}
    targets = {bytes.fromhex(c[1:]): c for c in want}
    for row in rows:
        for x in range(0, len(row), bpp):
            c = targets.get(row[x:x + 3])
            if c:
                counts[c] += 1
    check(all(n >= 20 for n in counts.values()),
          "%s shows the region colours (pixels: %s)" % (path, ", ".join("%s %d" % kv for kv in counts.items())))
    done()


if __name__ == "__main__":
    {"scenario": scenario, "svg": svg, "png": png}[sys.argv[1]](sys.argv[2:])

#!/usr/bin/env python3
"""scale_geo.py -- geo data of a given size for tools/bench/scale.sh phase 4.
Standard library only; deterministic (fixed seeds).

  scale_geo.py OUTDIR NETS LAT PORT CTLPORT ADDR
      OUTDIR/geo-NETS.csv   NETS GeoIP networks (85 % IPv4 /24s, 15 % IPv6
                            /48s, countries on every continent), for
                            tools/mmdb-build
      OUTDIR/geo-NETS.bin   100,000 dnsperf -B queries for the geo names,
                            each with an ECS option inside one of those
                            networks (v4 /24, v6 /56)
      OUTDIR/geo.test.json  the geo zone of tools/bench.sh (8 names, 10 regions)
      OUTDIR/geo-NETS.conf  a one-worker dnsd config serving it on ADDR:PORT
                            with that database; latency table up to 2,000,000
                            entries kept an hour
      OUTDIR/lat-LAT.json   (LAT > 0) LAT latency reports, one region each,
                            for /24 prefixes inside the IPv4 networks first
                            (the queried ones), then around them; as lines
                            of up to 10,000 reports, each line one POST body
"""
import ipaddress
import json
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402  (the bench's regions, countries and query format)

NQUERIES = 100000
BATCH = 10000


def networks(n, rnd):
    """n distinct networks: IPv4 /24s spread over 1-223 (not 10, 127, 169,
    172, 192) and IPv6 /48s under 2001-2bff."""
    nv4 = n * 85 // 100
    v4, seen = [], set()
    while len(v4) < nv4:
        a = rnd.randint(1, 223)
        if a in (10, 127, 169, 172, 192):
            continue
        k = (a, rnd.randrange(256), rnd.randrange(256))
        if k in seen:
            continue
        seen.add(k)
        v4.append(k)
    v6, seen = [], set()
    while len(v6) < n - nv4:
        k = (rnd.randrange(0x2001, 0x2c00), rnd.randrange(0x10000), rnd.randrange(0x10000))
        if k in seen or k[:2] == (0x2001, 0xdb8):
            continue
        seen.add(k)
        v6.append(k)
    return v4, v6


def main(argv):
    out, nets, lat, port, ctl, addr = argv[0], int(argv[1]), int(argv[2]), argv[3], argv[4], argv[5]
    rnd = random.Random(20261203 + nets)
    v4, v6 = networks(nets, rnd)
    with open(f"{out}/geo-{nets}.csv", "w") as f:
        f.write("network,country,continent,latitude,longitude\n")
        for a, b, c in v4:
            cc, cont, la, lo = rnd.choice(gen.COUNTRIES)
            f.write(f"{a}.{b}.{c}.0/24,{cc},{cont},{la},{lo}\n")
        for h, m, l in v6:
            cc, cont, la, lo = rnd.choice(gen.COUNTRIES)
            f.write(f"{h:x}:{m:x}:{l:x}::/48,{cc},{cont},{la},{lo}\n")
    blob = bytearray()
    for _ in range(NQUERIES):
        if rnd.random() < 0.65:
            a, b, c = rnd.choice(v4)
            sub, plen = ipaddress.ip_network(f"{a}.{b}.{c}.0/24"), 24
        else:
            h, m, l = rnd.choice(v6)
            sub, plen = ipaddress.ip_network(f"{h:x}:{m:x}:{l:x}:{rnd.randrange(256) << 8:x}::/56"), 56
        qtype = 28 if rnd.random() < 0.25 else 1
        blob += gen.ecs_query(f"{rnd.choice(gen.GEO_NAMES)}.{gen.GEO}", qtype, sub, plen)
    with open(f"{out}/geo-{nets}.bin", "wb") as f:
        f.write(bytes(blob))
    with open(f"{out}/geo.test.json", "w") as f:
        f.write(gen.geo_zone(gen.GEO_NAMES))
    regions = {r[0]: {"location": list(r[1]), "endpoints": [r[2], r[3]]} for r in gen.REGIONS}
    conf = {"listen": [f"{addr}:{port}"], "workers": 1, "zones": ["geo.test.json"],
            "geoip": f"geo-{nets}.mmdb", "identity": "scale",
            "control": {"listen": f"127.0.0.1:{ctl}", "token": "scale"},
            "log": {"level": "warning"},
            "latency": {"max_entries": 2000000, "max_age": 3600},
            "regions": regions}
    with open(f"{out}/geo-{nets}.conf", "w") as f:
        json.dump(conf, f, indent=1)
    if lat > 0:
        names = [r[0] for r in gen.REGIONS]
        prefixes, seen = [], set()
        for a, b, c in v4:	# the queried /24s first
            if len(prefixes) >= lat:
                break
            prefixes.append(f"{a}.{b}.{c}.0/24")
            seen.add((a, b, c))
        while len(prefixes) < lat:
            a = rnd.randint(1, 223)
            k = (a, rnd.randrange(256), rnd.randrange(256))
            if a in (10, 127) or k in seen:
                continue
            seen.add(k)
            prefixes.append(f"{k[0]}.{k[1]}.{k[2]}.0/24")
        with open(f"{out}/lat-{lat}.json", "w") as f:
            for i in range(0, lat, BATCH):
                reps = [{"prefix": p, "region": rnd.choice(names), "rtt_ms": round(rnd.uniform(5, 250), 1)}
                        for p in prefixes[i:i + BATCH]]
                f.write(json.dumps({"reports": reps}, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""gen.py -- the data set of tools/bench.sh, written into one directory.

Usage: gen.py OUTDIR N KEY=VALUE...   (the KEY=VALUEs fill @KEY@ in the
                                       templates next to this file; ADDR,
                                       the servers' listen address, is
                                       127.0.0.1 unless given)

Writes, for the same data:
  geo.csv              GeoIP source (networks on every continent, v4 and v6),
                       turned into bench.mmdb by tools/mmdb-build
  bench.test.json      N static hosts for dnsd; bench.test.zone the same in
                       RFC 1035 text for NSD and Knot
  geo.test.json        the geo names for dnsd; gdnsd/zones/geo.test (DYNA)
                       and pdns/geo.yaml (geoip backend) the same for the peers
  dnsd.json nsd.conf knot.conf gdnsd/config pdns/pdns.conf   server configs
  static.txt           dnsperf text queries: existing names, ~10 % NXDOMAIN
  geo.bin              dnsperf -B wire queries, each with its own ECS option
                       (dnsperf's -E would put one fixed option on all)
  geo-do.bin           the same queries with the DO bit set (in the OPT
                       record's TTL): dnsperf -D does not touch -B input

With KSK_STATIC, ZSK_STATIC, KSK_GEO and ZSK_GEO given (ldns-keygen base
names in OUTDIR/signed/keys, made by tools/bench.sh), also the signed
data set of docs/performance.md §7:
  signed/bench.test.json signed/geo.test.json   the same zones with a
                       "dnssec" member (KSK + ZSK each)
  dnsd-signed.json     the config of the second dnsd serving them
  load/                --check inputs: a bench.test-like zone of LOAD_N
                       (100,000) hosts, and a geo.test with one geo name
                       shaped like the geo set's, each unsigned and signed,
                       and geo.test signed without it and with 100 such
                       names (big.conf big-signed.conf geo1.conf
                       geo1-signed.conf geo0-signed.conf geo100-signed.conf)

Deterministic: a fixed seed, so every run and every server sees the same
data.  Standard library only.
"""
import ipaddress
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC, GEO = "bench.test.", "geo.test."
NQUERIES = 100000
LOAD_N = 100000      # hosts of the signed-load zone (load/)
EDNS_DO = 0x8000     # the DO bit in the OPT record's TTL (RFC 3225)

# Regions: name, location, v4 endpoint, v6 endpoint.
REGIONS = [
    ("us-east", (39.04, -77.49), "192.0.2.10", "2001:db8:10::10"),
    ("us-west", (45.60, -121.18), "192.0.2.20", "2001:db8:20::10"),
    ("sa-east", (-23.55, -46.63), "192.0.2.30", "2001:db8:30::10"),
    ("eu-west", (53.35, -6.26), "192.0.2.40", "2001:db8:40::10"),
    ("eu-central", (50.11, 8.68), "192.0.2.50", "2001:db8:50::10"),
    ("af-south", (-33.92, 18.42), "192.0.2.60", "2001:db8:60::10"),
    ("ap-south", (19.08, 72.88), "192.0.2.70", "2001:db8:70::10"),
    ("ap-southeast", (1.35, 103.82), "192.0.2.80", "2001:db8:80::10"),
    ("ap-northeast", (35.68, 139.69), "192.0.2.90", "2001:db8:90::10"),
    ("ap-sydney", (-33.87, 151.21), "192.0.2.100", "2001:db8:100::10"),
]
# PowerDNS's geoip backend maps by continent (no distances): the nearest
# region to each continent, "default" for unlocated clients.
PDNS_CONTINENT = {"af": "af-south", "an": "ap-sydney", "as": "ap-southeast",
          "eu": "eu-central", "na": "us-east", "oc": "ap-sydney",
          "sa": "sa-east", "default": "us-east"}
GEO_NAMES = ["www", "api", "cdn", "img", "static", "video", "login", "app"]

# Countries the GeoIP networks are spread over: every continent.
COUNTRIES = [
    ("US", "NA", 39.83, -98.58), ("CA", "NA", 45.42, -75.70), ("MX", "NA", 19.43, -99.13),
    ("BR", "SA", -23.55, -46.63), ("AR", "SA", -34.60, -58.38), ("CL", "SA", -33.45, -70.67),
    ("CO", "SA", 4.71, -74.07), ("DE", "EU", 51.30, 9.49), ("FR", "EU", 48.86, 2.35),
    ("GB", "EU", 51.51, -0.13), ("IT", "EU", 41.90, 12.50), ("ES", "EU", 40.42, -3.70),
    ("PL", "EU", 52.23, 21.01), ("SE", "EU", 59.33, 18.07), ("NL", "EU", 52.37, 4.90),
    ("RU", "EU", 55.76, 37.62), ("JP", "AS", 35.68, 139.69), ("CN", "AS", 39.90, 116.41),
    ("IN", "AS", 19.08, 72.88), ("SG", "AS", 1.29, 103.85), ("KR", "AS", 37.57, 126.98),
    ("ID", "AS", -6.21, 106.85), ("AE", "AS", 25.20, 55.27), ("ZA", "AF", -26.20, 28.05),
    ("NG", "AF", 6.52, 3.38), ("KE", "AF", -1.29, 36.82), ("EG", "AF", 30.04, 31.24),
    ("MA", "AF", 33.57, -7.59), ("AU", "OC", -33.87, 151.21), ("NZ", "OC", -36.85, 174.76),
    ("AQ", "AN", -77.84, 166.69),
]


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


def networks(rnd):
    """GeoIP networks: 4,000 IPv4 /16s with 1,000 /20 exceptions inside,
    1,500 IPv6 /32s with 500 /48 exceptions.  Never 127/8 or ::1: dnsperf
    asks from 127.0.0.1 (or 198.18.0.2 with NETNS=1), which stays
    unlocated."""
    v4, seen = [], set()
    while len(v4) < 4000:
        a, b = rnd.randint(1, 223), rnd.randrange(256)
        if a in (10, 127, 169, 172, 192) or (a, b) in seen:
            continue
        seen.add((a, b))
        v4.append(ipaddress.ip_network(f"{a}.{b}.0.0/16"))
    v4sub = [ipaddress.ip_network(f"{n.network_address + (rnd.randrange(16) << 12)}/20")
         for n in rnd.sample(v4, 1000)]
    v6, seen = [], set()
    while len(v6) < 1500:
        hi = rnd.randrange(0x2001, 0x2c00)
        lo = rnd.randrange(0x10000)
        if (hi, lo) in seen or hi == 0x2001 and lo == 0xdb8:
            continue
        seen.add((hi, lo))
        v6.append(ipaddress.ip_network(f"{hi:x}:{lo:x}::/32"))
    v6sub = [ipaddress.ip_network(f"{n.network_address + (rnd.randrange(65536) << 80)}/48")
         for n in rnd.sample(v6, 500)]
    return [(n, rnd.choice(COUNTRIES)) for n in v4 + v4sub + v6 + v6sub]


def gen_geoip(out, nets):
    lines = ["network,country,continent,latitude,longitude"]
    for net, (cc, cont, lat, lon) in nets:
        lines.append(f"{net},{cc},{cont},{lat},{lon}")
    write(f"{out}/geo.csv", "\n".join(lines) + "\n")


def host_a(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def host_aaaa(i):
    """fd00::i, in 16-bit groups (i past 65535 takes two)."""
    return f"fd00::{i:x}" if i < 1 << 16 else f"fd00::{i >> 16:x}:{i & 0xffff:x}"


def gen_static(out, n, json_path="bench.test.json", zone_path="bench.test.zone", dnssec=None):
    """N hosts h0..h(N-1), each an A record, every fourth an AAAA too.
    zone_path None: no RFC 1035 text copy."""
    recs = {"@": {"NS": ["ns1"]}, "ns1": {"A": ["192.0.2.53"]}}
    text = [f"$ORIGIN {STATIC}", "$TTL 3600",
        "@ IN SOA ns1 hostmaster 1 3600 600 1209600 300",
        "@ IN NS ns1", "ns1 IN A 192.0.2.53"]
    for i in range(n):
        r = {"A": [host_a(i)]}
        text.append(f"h{i} IN A {host_a(i)}")
        if i % 4 == 0:
            r["AAAA"] = [host_aaaa(i)]
            text.append(f"h{i} IN AAAA {host_aaaa(i)}")
        recs[f"h{i}"] = r
    zone = {"origin": STATIC, "ttl": 3600,
        "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1, "refresh": 3600,
            "retry": 600, "expire": 1209600, "minimum": 300},
        "records": recs}
    if dnssec is not None:
        zone["dnssec"] = dnssec
    write(f"{out}/{json_path}", json.dumps(zone, separators=(",", ":")) + "\n")
    if zone_path is not None:
        write(f"{out}/{zone_path}", "\n".join(text) + "\n")


def geo_zone(names, dnssec=None):
    zone = {"origin": GEO, "ttl": 3600,
        "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1, "refresh": 3600,
            "retry": 600, "expire": 1209600, "minimum": 300},
        "records": {"@": {"NS": ["ns1"]}, "ns1": {"A": ["192.0.2.53"]}},
        "geo": {g: {"regions": [r[0] for r in REGIONS], "ttl": 30} for g in names}}
    if dnssec is not None:
        zone["dnssec"] = dnssec
    return json.dumps(zone, indent=1) + "\n"


def gen_geo_zones(out):
    write(f"{out}/geo.test.json", geo_zone(GEO_NAMES))
    # gdnsd: the same names as DYNA records on one geoip resource
    text = ["$TTL 3600", "@ SOA ns1 hostmaster 1 3600 600 1209600 300",
        "@ NS ns1", "ns1 A 192.0.2.53"]
    text += [f"{g} 30 DYNA geoip!geo" for g in GEO_NAMES]
    write(f"{out}/gdnsd/zones/geo.test", "\n".join(text) + "\n")
    # PowerDNS geoip backend: per-continent owners behind a service name
    ep = {r[0]: r for r in REGIONS}
    y = ["domains:", "- domain: geo.test", "  ttl: 30", "  records:",
         "    geo.test:",
         "      - soa: ns1.geo.test hostmaster.geo.test 1 3600 600 1209600 300",
         "      - ns: ns1.geo.test",
         "    ns1.geo.test:", "      - a: 192.0.2.53"]
    for g in GEO_NAMES:
        for cont, reg in PDNS_CONTINENT.items():
            y += [f"    {cont}.{g}.geo.test:", f"      - a: {ep[reg][2]}",
                  f"      - aaaa: {ep[reg][3]}"]
    y.append("  services:")
    for g in GEO_NAMES:
        y.append(f"    {g}.geo.test: ['%cn.{g}.geo.test', 'default.{g}.geo.test']")
    write(f"{out}/pdns/geo.yaml", "\n".join(y) + "\n")


def gen_static_queries(out, n, rnd):
    """90 % existing hosts (A, or AAAA, which is NODATA for 3 in 4), 10 %
    names that do not exist."""
    q = []
    for _ in range(NQUERIES):
        x = rnd.random()
        if x < 0.10:
            q.append(f"nx{rnd.randrange(1 << 30)}.{STATIC} A")
        else:
            q.append(f"h{rnd.randrange(n)}.{STATIC} {'AAAA' if x < 0.22 else 'A'}")
    write(f"{out}/static.txt", "\n".join(q) + "\n")


def wire_name(name):
    return b"".join(bytes([len(lb)]) + lb.encode() for lb in name.rstrip(".").split(".")) + b"\0"


def ecs_query(name, qtype, net, plen, ttl=0):
    """One query in dnsperf's -B format (2-byte length, then the message).
    The ID is "AA" and the flags byte 0: dnsperf -v prints the message up
    to its first zero byte as the query's description, so "AA".  ttl is
    the OPT record's TTL: EDNS_DO for a DNSSEC OK query."""
    addr = net.network_address.packed[:(plen + 7) // 8]
    fam = 1 if net.version == 4 else 2
    opt = struct.pack(">HHHBB", 8, 4 + len(addr), fam, plen, 0) + addr
    msg = (b"AA" + struct.pack(">HHHHH", 0, 1, 0, 0, 1) + wire_name(name) +
           struct.pack(">HH", qtype, 1) +
           b"\0" + struct.pack(">HHIH", 41, 1232, ttl, len(opt)) + opt)
    return struct.pack(">H", len(msg)) + msg


def gen_geo_queries(out, nets, rnd):
    """ECS from every network of the GeoIP data (so every continent, v4
    /24 and v6 /56); 75 % A, 25 % AAAA.  geo-do.bin: the same with DO."""
    v4 = [n for n, _ in nets if n.version == 4]
    v6 = [n for n, _ in nets if n.version == 6]
    blob, blob_do = bytearray(), bytearray()
    for _ in range(NQUERIES):
        if rnd.random() < 0.65:
            n, plen = rnd.choice(v4), 24
        else:
            n, plen = rnd.choice(v6), 56
        base = int(n.network_address) + (rnd.randrange(1 << (plen - n.prefixlen)) << (n.max_prefixlen - plen))
        sub = ipaddress.ip_network(f"{ipaddress.ip_address(base)}/{plen}")
        qtype = 28 if rnd.random() < 0.25 else 1
        name = f"{rnd.choice(GEO_NAMES)}.{GEO}"
        blob += ecs_query(name, qtype, sub, plen)
        blob_do += ecs_query(name, qtype, sub, plen, EDNS_DO)
    write(f"{out}/geo.bin", bytes(blob), "wb")
    write(f"{out}/geo-do.bin", bytes(blob_do), "wb")


def gen_signed(out, n, subst):
    """The signed twin of the data set, and the --check inputs of the
    load figures (load/).  Key paths are relative to each zone file."""
    static = {"keys": [f"keys/{subst['KSK_STATIC']}", f"keys/{subst['ZSK_STATIC']}"]}
    geo = {"keys": [f"keys/{subst['KSK_GEO']}", f"keys/{subst['ZSK_GEO']}"]}
    gen_static(out, n, "signed/bench.test.json", None, static)
    write(f"{out}/signed/geo.test.json", geo_zone(GEO_NAMES, geo))
    up = lambda d: {"keys": ["../signed/" + k for k in d["keys"]]}
    gen_static(out, LOAD_N, "load/big.json", None)
    gen_static(out, LOAD_N, "load/big-signed.json", None, up(static))
    write(f"{out}/load/geo1.json", geo_zone(GEO_NAMES[:1]))
    write(f"{out}/load/geo1-signed.json", geo_zone(GEO_NAMES[:1], up(geo)))
    write(f"{out}/load/geo0-signed.json", geo_zone([], up(geo)))
    write(f"{out}/load/geo100-signed.json", geo_zone([f"g{i}" for i in range(100)], up(geo)))


def render(out, template, path, subst):
    with open(f"{HERE}/{template}") as f:
        text = f.read()
    for k, v in subst.items():
        text = text.replace(f"@{k}@", v)
    write(f"{out}/{path}", text)


def main(argv):
    out, n = argv[0], int(argv[1])
    subst = dict(a.split("=", 1) for a in argv[2:])
    subst["DIR"] = os.path.abspath(out)
    # the address the servers listen on: loopback, or the server side of
    # the veth pair when tools/bench.sh runs with NETNS=1
    subst.setdefault("ADDR", "127.0.0.1")
    subst["DNSD_ZONES"] = '"bench.test.json", "geo.test.json"'
    subst["GEOIP"] = "bench.mmdb"
    rnd = random.Random(20261124)
    nets = networks(rnd)
    gen_geoip(out, nets)
    gen_static(out, n)
    gen_geo_zones(out)
    gen_static_queries(out, n, rnd)
    gen_geo_queries(out, nets, rnd)
    subst["GDNSD_DCS"] = ", ".join(r[0] for r in REGIONS)
    subst["GDNSD_COORDS"] = "\n".join(f"\t\t\t\t{r[0]} => [ {r[1][0]}, {r[1][1]} ]" for r in REGIONS)
    subst["GDNSD_DCMAP"] = "\n".join(
        f"\t\t\t\t{r[0]} => {{ addrs_v4 => [ {r[2]} ], addrs_v6 => [ {r[3]} ] }}" for r in REGIONS)
    subst["DNSD_REGIONS"] = ",\n".join(
        f'    "{r[0]}": {{"location": [{r[1][0]}, {r[1][1]}], "endpoints": ["{r[2]}", "{r[3]}"]}}'
        for r in REGIONS)
    for t, path in (("dnsd.json.in", "dnsd.json"), ("nsd.conf.in", "nsd.conf"),
            ("knot.conf.in", "knot.conf"), ("gdnsd.config.in", "gdnsd/config"),
            ("pdns.conf.in", "pdns/pdns.conf")):
        render(out, t, path, subst)
    if all(k in subst for k in ("KSK_STATIC", "ZSK_STATIC", "KSK_GEO", "ZSK_GEO")):
        gen_signed(out, n, subst)
        # the second dnsd: its own ports, the signed zones; --check configs
        # (never bound: the ports do not matter)
        for path, zones, port, ctl in (
                ("dnsd-signed.json", ["signed/bench.test.json", "signed/geo.test.json"],
                 subst["PORT_DNSD_SIGNED"], subst["PORT_DNSD_SIGNED_CTL"]),
                ("load/big.conf", ["big.json"], "1", "2"),
                ("load/big-signed.conf", ["big-signed.json"], "1", "2"),
                ("load/geo1.conf", ["geo1.json"], "1", "2"),
                ("load/geo1-signed.conf", ["geo1-signed.json"], "1", "2"),
                ("load/geo0-signed.conf", ["geo0-signed.json"], "1", "2"),
                ("load/geo100-signed.conf", ["geo100-signed.json"], "1", "2")):
            s = dict(subst, PORT_DNSD=port, PORT_DNSD_CTL=ctl,
                     DNSD_ZONES=", ".join(f'"{z}"' for z in zones))
            if path.startswith("load/"):
                s["GEOIP"] = "../bench.mmdb"
            render(out, "dnsd.json.in", path, s)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

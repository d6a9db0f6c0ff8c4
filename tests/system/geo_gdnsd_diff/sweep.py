"""Every network of a MaxMind City database asked of dnsd and gdnsd (name
"real"), A and AAAA, ECS = the network itself (IPv4 networks as IPv4
clients).  Same region expected where both mean the same thing; the
deliberate difference (record without coordinates: dnsd's centroid vs
gdnsd's datacenters list) is asserted as such.  Near-ties (< 1 km between
the two nearest regions) accept either region, as float rounding in two
implementations may order them differently.

Usage: sweep.py DNSD_CONFIG DB DNSD_PORT GDNSD_PORT
"""
import ipaddress
import json
import os
import sys

import dns.edns
import dns.message
import dns.rdatatype

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "geo_routing"))
sys.path.insert(0, os.path.join(HERE, "..", "geo_layouts"))
from geomodel import haversine_km, load_centroids  # noqa: E402
from mmdbtree import MMDB, summary  # noqa: E402
from systest import Tally, udp_batch  # noqa: E402

conf = json.load(open(sys.argv[1]))
db = MMDB(sys.argv[2])
dport, gport = int(sys.argv[3]), int(sys.argv[4])
REGIONS = conf["regions"]
FIRST = list(REGIONS)[0]
COUNTRIES, CONTINENTS = load_centroids()
REGION_OF = {ipaddress.ip_address(e): r for r, d in REGIONS.items() for e in d["endpoints"]}
V4 = ipaddress.ip_network("::/96")
t = Tally()


def nearest(lat, lon):
	"""The set of acceptable regions: the nearest, plus any within 1 km of it."""
	ds = sorted((haversine_km(lat, lon, *REGIONS[r]["location"]), i, r) for i, r in enumerate(REGIONS))
	return {r for d, _, r in ds if d - ds[0][0] < 1.0}, len([1 for d, _, _ in ds if d - ds[0][0] < 1.0]) > 1


def regions_in(raw, qtype):
	if raw is None:
		return "no reply"
	m = dns.message.from_wire(raw)
	t_ = dns.rdatatype.from_text(qtype)
	out = []
	for rrset in m.answer:
		if rrset.rdtype == t_:
			for rr in rrset:
				r = REGION_OF.get(ipaddress.ip_address(rr.address), "?" + rr.address)
				if r not in out:
					out.append(r)
	return ",".join(out) or "none"


cases, wires = [], []
for net, rec in db.networks():
	if net.subnet_of(V4):
		net = ipaddress.IPv4Network((int(net.network_address), net.prefixlen - 96))
	cc, cont, lat, lon = summary(rec)
	if lat is not None:
		want, tie = nearest(lat, lon)
		kind, want_d, want_g = "coordinates", want, want
	elif cc in COUNTRIES or cont in CONTINENTS:
		clat, clon = COUNTRIES[cc][1:] if cc in COUNTRIES else CONTINENTS[cont]
		want, tie = nearest(clat, clon)
		kind, want_d, want_g = "centroid (expected difference)", want, {FIRST}
	else:
		tie = False
		kind, want_d, want_g = "no location", {FIRST}, {FIRST}
	for qtype in ("A", "AAAA"):
		q = dns.message.make_query("real.example.com.", qtype, use_edns=0,
			options=[dns.edns.ECSOption(str(net.network_address), net.prefixlen)])
		q.flags = 0
		q.id = len(wires)
		wires.append(q.to_wire())
		cases.append((net, qtype, cc or cont or "-", kind, want_d, want_g, tie))

dr, gr = udp_batch("127.0.0.1", dport, wires), udp_batch("127.0.0.1", gport, wires)
stats, bad, ties = {}, [], 0
for i, (net, qtype, where, kind, want_d, want_g, tie) in enumerate(cases):
	d, g = regions_in(dr.get(i), qtype), regions_in(gr.get(i), qtype)
	ties += tie
	stats[kind] = stats.get(kind, 0) + 1
	if d not in want_d or g not in want_g:
		bad.append("%s %s (%s, %s): dnsd %s (want %s), gdnsd %s (want %s)" % (
			net, qtype, where, kind, d, "|".join(sorted(want_d)), g, "|".join(sorted(want_g))))
t.check(not bad, "GeoIP2-City-Test: %d (network, family) cases, dnsd and gdnsd agree where they mean the same (%s; %d near-ties)"
	% (len(cases), ", ".join("%s %d" % kv for kv in sorted(stats.items())), ties),
	"\n".join(bad[:20]) + ("\n... %d more" % (len(bad) - 20) if len(bad) > 20 else ""))
t.check(stats.get("coordinates", 0) >= 200, "at least 200 same-meaning comparisons (%d)" % stats.get("coordinates", 0))
t.finish()

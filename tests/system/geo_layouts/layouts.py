"""Expectations for geo_layouts/run.sh from a real MaxMind DB.

  layouts.py CONFIG DB expect SUBNET QTYPE
      one line "ADDRS SCOPE REGION WHERE" for a client: the record as
      mmdblookup prints it (country, continent, location), placed per docs/routing.md
      step 2 (City: the record's coordinates; Country: the country's
      centroid from geo/countries.csv; continent only: the continent's),
      the nearest region with an endpoint of QTYPE (no pins in this
      config), and the scope = the netmask libmaxminddb reports (mmdbtree),
      in the client's family.  Exits 2 when mmdbtree's reading of the
      record disagrees with mmdblookup's.
  layouts.py CONFIG DB sweep PORT
      every network of the database (IPv4 ones as IPv4 clients) asked as
      ECS with its own prefix, A and AAAA, against dnsd at 127.0.0.1:PORT;
      answer and scope must be the expected ones.
"""
import ipaddress
import json
import os
import re
import subprocess
import sys

import dns.edns
import dns.message
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "geo_routing"))
from geomodel import haversine_km, load_centroids  # noqa: E402
from mmdbtree import MMDB, summary  # noqa: E402
from systest import Tally, udp_batch  # noqa: E402

conf = json.load(open(sys.argv[1]))
db_path = sys.argv[2]
db = MMDB(db_path)
COUNTRIES, CONTINENTS = load_centroids()
REGIONS = conf["regions"]
V4_IN_V6 = ipaddress.ip_network("::/96")


def place(cc, cont, lat, lon):
	"""(lat, lon, how) or (None, None, "unlocated")."""
	if lat is not None:
		return lat, lon, "record"
	if cc and cc in COUNTRIES:
		return COUNTRIES[cc][1], COUNTRIES[cc][2], "country centroid"
	if cont is None and cc in COUNTRIES:
		cont = COUNTRIES[cc][0]
	if cont and cont in CONTINENTS:
		return CONTINENTS[cont][0], CONTINENTS[cont][1], "continent centroid"
	return None, None, "unlocated"


def endpoints(region, qtype):
	v = 4 if qtype == "A" else 6
	return [e for e in REGIONS[region]["endpoints"] if ipaddress.ip_address(e).version == v]


def choose(lat, lon, qtype):
	cands = [r for r in REGIONS if endpoints(r, qtype)]
	if lat is not None:
		cands.sort(key=lambda r: haversine_km(lat, lon, *REGIONS[r]["location"]))
	return cands[0]


def scope_of(addr):
	_, netmask = db.lookup(addr)
	if addr.version == 4 and db.ip_version == 6:
		netmask = max(0, netmask - 96)
	return netmask


def expect(addr, qtype, rec_fields):
	lat, lon, how = place(*rec_fields)
	region = choose(lat, lon, qtype)
	return endpoints(region, qtype), scope_of(addr), region, how


def mmdblookup(addr):
	def get(*path):
		p = subprocess.run(["mmdblookup", "--file", db_path, "--ip", str(addr), *path],
			capture_output=True, text=True, timeout=10)
		return p.stdout
	cc = re.search(r'"([A-Z0-9]{2})" <utf8_string>', get("country", "iso_code"))
	cont = re.search(r'"([A-Z]{2})" <utf8_string>', get("continent", "code"))
	lat = re.search(r"(-?[0-9.]+) <double>", get("location", "latitude"))
	lon = re.search(r"(-?[0-9.]+) <double>", get("location", "longitude"))
	return (cc.group(1) if cc else None, cont.group(1) if cont else None,
		float(lat.group(1)) if lat and lon else None, float(lon.group(1)) if lat and lon else None)


def close(a, b):
	return all((x is None and y is None) or (x == y) or
		(isinstance(x, float) and isinstance(y, float) and abs(x - y) < 1e-4) for x, y in zip(a, b))


def main_expect(subnet, qtype):
	net = ipaddress.ip_network(subnet)
	addr = net.network_address
	fields = mmdblookup(addr)
	rec, _ = db.lookup(addr)
	if not close(fields, summary(rec)):
		print("DECODER-MISMATCH mmdblookup=%s mmdbtree=%s" % (fields, summary(rec)))
		return 2
	addrs, scope, region, how = expect(addr, qtype, fields)
	where = "%s/%s@%s(%s)" % (fields[0], fields[1], "%.2f,%.2f" % (fields[2], fields[3]) if fields[2] is not None else "-", how)
	print("%s %d %s %s" % (",".join(addrs), scope, region, where.replace(" ", "_")))
	return 0


def main_sweep(port):
	t = Tally()
	items = []
	for net, rec in db.networks():
		if net.subnet_of(V4_IN_V6):
			net = ipaddress.IPv4Network((int(net.network_address), net.prefixlen - 96))
		for qtype in ("A", "AAAA"):
			addrs, scope, region, how = expect(net.network_address, qtype, summary(rec))
			q = dns.message.make_query("www.example.com.", qtype, use_edns=0,
				options=[dns.edns.ECSOption(str(net.network_address), net.prefixlen)])
			q.flags = 0
			q.id = len(items)
			items.append((net, qtype, addrs, scope, region, how, q.to_wire()))
	replies = udp_batch("127.0.0.1", port, [it[6] for it in items])
	bad = []
	hows = {}
	for i, (net, qtype, addrs, scope, region, how, _) in enumerate(items):
		hows[how] = hows.get(how, 0) + 1
		if i not in replies:
			bad.append("%s %s: no reply" % (net, qtype))
			continue
		m = dns.message.from_wire(replies[i])
		want_t = dns.rdatatype.from_text(qtype)
		got = [rr.address for rrset in m.answer if rrset.rdtype == want_t for rr in rrset]
		ecs = [o for o in m.options if isinstance(o, dns.edns.ECSOption)]
		got_scope = ecs[0].scopelen if ecs else None
		if m.rcode() != dns.rcode.NOERROR or got != addrs or got_scope != scope:
			bad.append("%s %s (%s): got %s %s scope %s, want %s (%s) scope %d" % (
				net, qtype, how, dns.rcode.to_text(m.rcode()), got, got_scope, addrs, region, scope))
	t.check(not bad, "%s: all %d networks x A/AAAA (%s) answered by the nearest region with the libmaxminddb scope"
		% (os.path.basename(db_path), len(items) // 2, ", ".join("%s %d" % kv for kv in sorted(hows.items()))),
		"\n".join(bad[:15]) + ("\n... %d more" % (len(bad) - 15) if len(bad) > 15 else ""))
	t.finish()


if __name__ == "__main__":
	if sys.argv[3] == "expect":
		sys.exit(main_expect(sys.argv[4], sys.argv[5]))
	main_sweep(int(sys.argv[4]))

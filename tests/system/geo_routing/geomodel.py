"""geomodel.py -- the routing decision of docs/routing.md written out again, independently of geo/,
as the expectation for the black-box geo tests.  Inputs are the same files
dnsd reads: the server config, the zone (its "geo" names), the CSV the
test's GeoIP database was built from (tools/mmdb-build), and the shipped
centroid tables (geo/countries.csv, geo/continents.csv).  No latency data
and no health: every region is up.

As a program:
  geomodel.py CONFIG ZONE CSV cases   one line per (name, qtype, client):
      NAME QTYPE SUBNET ADDR,ADDR,...|- SCOPE REGION,REGION|- WHY
  for a /24 (v4) or /56 (v6) inside every CSV network and every `networks`
  entry, plus a few unlocated subnets; the addresses are the expected
  answer in order ("-": NODATA).
  geomodel.py CONFIG ZONE CSV answer NAME QTYPE ADDRESS
      the same line for one client address (prefix = full length).
"""
import csv
import ipaddress
import json
import math
import os
import sys

EARTH_KM = 6371.0


def haversine_km(lat1, lon1, lat2, lon2):
	p1, p2 = math.radians(lat1), math.radians(lat2)
	dp, dl = p2 - p1, math.radians(lon2 - lon1)
	h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
	return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def src_dir():
	return os.environ.get("DNSD_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def load_centroids(src=None):
	"""({CC: (continent, lat, lon)}, {CONTINENT: (lat, lon)}) from geo/."""
	src = src or src_dir()
	countries, continents = {}, {}
	with open(os.path.join(src, "geo", "countries.csv")) as f:
		for row in csv.DictReader(f):
			countries[row["code"]] = (row["continent"], float(row["latitude"]), float(row["longitude"]))
	with open(os.path.join(src, "geo", "continents.csv")) as f:
		for row in csv.DictReader(f):
			continents[row["code"]] = (float(row["latitude"]), float(row["longitude"]))
	return countries, continents


def load_geoip_csv(path):
	"""[(ip_network, country, continent, lat, lon)], '' -> None, as mmdb-build reads it."""
	rows = []
	with open(path) as f:
		for r in csv.reader(f):
			if not r or r[0].startswith("#") or r[0] == "network":
				continue
			r = [x.strip() for x in r] + [""] * 5
			lat = float(r[3]) if r[3] else None
			lon = float(r[4]) if r[4] else None
			rows.append((ipaddress.ip_network(r[0]), r[1] or None, r[2] or None, lat, lon))
	return rows


def as_v6(net):
	"""An IPv4 network where mmdb-build puts it in the IPv6 tree (::a.b.c.d/96+len)."""
	if net.version == 6:
		return net
	return ipaddress.IPv6Network((int(net.network_address), 96 + net.prefixlen))


def table_scope(addr, nets):
	"""The ECS scope rule (docs/routing.md) for one table: on a hit the longest entry's prefix,
	extended until it holds no more specific entry; on a miss the shortest
	prefix around addr holding no entry.  Returns (scope, longest hit index
	or None).  nets: networks of addr's version."""
	bits = addr.max_prefixlen
	a = int(addr)
	scope, hit = 0, None
	for i, n in enumerate(nets):
		common = bits - (a ^ int(n.network_address)).bit_length()
		if common >= n.prefixlen:
			if hit is None or n.prefixlen > nets[hit].prefixlen:
				hit = i
		else:
			scope = max(scope, common + 1)
	if hit is not None:
		scope = max(scope, nets[hit].prefixlen)
	return scope, hit


class Model:
	def __init__(self, config, zone, geoip_rows, src=None):
		self.conf = config
		self.zone = zone
		self.regions = config.get("regions", {})
		self.pins = config.get("pins", {})
		self.countries, self.continents = load_centroids(src)
		self.nets = [(ipaddress.ip_network(k), v) for k, v in config.get("networks", {}).items()]
		self.geo = geoip_rows

	# -- step 2 --------------------------------------------------------------
	def locate(self, addr):
		"""dict: via, country, continent, lat, lon (None when unknown),
		region (override or None), scope."""
		loc = {"via": "none", "country": None, "continent": None, "lat": None, "lon": None,
		       "region": None, "scope": 0}
		nets = [n for n, _ in self.nets if n.version == addr.version]
		vals = [v for n, v in self.nets if n.version == addr.version]
		nscope, nhit = table_scope(addr, nets)
		loc["scope"] = nscope
		if nhit is not None and "country" in vals[nhit]:
			# located as that country; GeoIP is not consulted
			self._place(loc, vals[nhit]["country"], None, None, None)
			loc["via"] = "networks"
			return loc
		if self.geo is not None:
			if addr.version == 4:
				gnets = [r[0] for r in self.geo if r[0].version == 4]
				grows = [r for r in self.geo if r[0].version == 4]
			else:
				gnets = [as_v6(r[0]) for r in self.geo]
				grows = list(self.geo)
			gscope, ghit = table_scope(addr, gnets)
			loc["scope"] = max(loc["scope"], gscope)
			if ghit is not None:
				_, cc, cont, lat, lon = grows[ghit]
				self._place(loc, cc, cont, lat, lon)
				if loc["lat"] is not None or loc["country"] or loc["continent"]:
					loc["via"] = "geoip"
		if nhit is not None:
			loc["region"] = vals[nhit]["region"]
			loc["via"] = "networks"
		return loc

	def _place(self, loc, cc, cont, lat, lon):
		loc["country"], loc["continent"] = cc, cont
		if cc and cc in self.countries:
			if not cont:
				loc["continent"] = self.countries[cc][0]
			if lat is None:
				lat, lon = self.countries[cc][1:]
		elif cont and lat is None and cont in self.continents:
			lat, lon = self.continents[cont]
		loc["lat"], loc["lon"] = lat, lon

	# -- step 3 --------------------------------------------------------------
	def pin_of(self, loc):
		if loc["country"]:
			for p, d in self.pins.items():
				if loc["country"] in d.get("countries", []):
					return p
		if loc["continent"]:
			for p, d in self.pins.items():
				if loc["continent"] in d.get("continents", []):
					return p
		return None

	def has_family(self, region, qtype):
		want = 4 if qtype == "A" else 6
		return any(ipaddress.ip_address(e).version == want for e in self.regions[region]["endpoints"])

	def endpoints(self, region, qtype):
		want = 4 if qtype == "A" else 6
		return [e for e in self.regions[region]["endpoints"] if ipaddress.ip_address(e).version == want]

	def distance(self, loc, region):
		if loc["lat"] is None:
			return None
		rl = self.regions[region]["location"]
		return haversine_km(loc["lat"], loc["lon"], rl[0], rl[1])

	# -- steps 3-5 ------------------------------------------------------------
	def rank(self, name, loc, candidates, qtype):
		cands = [r for r in candidates if self.has_family(r, qtype)]
		if loc["lat"] is not None:
			cands.sort(key=lambda r: self.distance(loc, r))  # stable: ties keep regions order
		if loc["region"] in cands:
			cands.remove(loc["region"])
			cands.insert(0, loc["region"])
		return cands

	def decide(self, name, qtype, loc):
		"""(chosen regions best first, pin or None).  [] means NODATA."""
		g = self.zone["geo"][name]
		regions = list(g["regions"])
		pin = self.pin_of(loc)
		if pin is not None and pin in g.get("exempt", []):
			pin = None
		cands = regions
		if pin is not None:
			cands = [r for r in regions if self.regions[r].get("pin") == pin]
		ranked = self.rank(name, loc, cands, qtype)
		if not ranked and pin is not None and self.pins[pin].get("mode", "strict") == "preferred":
			ranked = self.rank(name, loc, regions, qtype)
		return ranked[:g.get("max_regions", 1)], pin

	def decide_health(self, name, qtype, loc, up):
		"""Step 5 with region health: up is the set of up regions (a region
		without checks, not forced down, is up for every family it has).
		Returns (rcode, chosen regions): ("NOERROR", []) is NODATA."""
		g = self.zone["geo"][name]
		regions = list(g["regions"])
		nmax = g.get("max_regions", 1)
		policy = g.get("all_down", "serve-all")
		pin = self.pin_of(loc)
		if pin is not None and pin in g.get("exempt", []):
			pin = None
		cands = regions if pin is None else [r for r in regions if self.regions[r].get("pin") == pin]
		ranked = self.rank(name, loc, cands, qtype)
		if pin is not None and self.pins[pin].get("mode", "strict") == "preferred" \
				and not any(r in up for r in ranked):
			ranked = self.rank(name, loc, regions, qtype)	# as if unpinned
		if not ranked:
			return "NOERROR", []
		live = [r for r in ranked if r in up]
		if live:
			return "NOERROR", live[:nmax]
		if policy == "servfail":
			return "SERVFAIL", []
		if policy == "nodata":
			return "NOERROR", []
		return "NOERROR", ranked[:nmax]	# serve-all, whatever their health

	def answer(self, name, qtype, addr):
		loc = self.locate(addr)
		chosen, pin = self.decide(name, qtype, loc)
		addrs = [e for r in chosen for e in self.endpoints(r, qtype)]
		return addrs, loc["scope"], chosen, loc, pin


def subnet_inside(net):
	"""A /24 (v4) or /56 (v6) inside net, as a resolver would send it."""
	return next(net.subnets(new_prefix=max(net.prefixlen, 24 if net.version == 4 else 56)))


def line(model, name, qtype, subnet, why):
	addrs, scope, chosen, loc, pin = model.answer(name, qtype, subnet.network_address)
	where = loc["country"] or loc["continent"] or "-"
	return "%s %s %s %s %d %s %s:%s/pin=%s" % (
		name, qtype, subnet, ",".join(addrs) or "-", scope, ",".join(chosen) or "-",
		why, where, pin or "none")


def case_list(model):
	"""[(name, qtype, subnet, why)]: a subnet inside every CSV network and
	every `networks` entry, plus a few unlocated ones, x every geo name x
	A/AAAA."""
	subnets = [(subnet_inside(r[0]), "geoip") for r in model.geo]
	for n, v in model.nets:
		if n.prefixlen < n.max_prefixlen:	# 127.0.0.x/32 entries are source addresses
			subnets.append((subnet_inside(n), "networks"))
	for s in ("100.64.1.0/24", "2001:db8:ff00::/56", "2.0.201.0/24", "2001:db8:1:8001::/64"):
		subnets.append((ipaddress.ip_network(s), "extra"))
	return [(name, qtype, s, why) for name in sorted(model.zone["geo"]) for qtype in ("A", "AAAA")
		for s, why in subnets]


def main(argv):
	conf = json.load(open(argv[1]))
	zone = json.load(open(argv[2]))
	model = Model(conf, zone, load_geoip_csv(argv[3]))
	if argv[4] == "answer":
		print(line(model, argv[5], argv[6], ipaddress.ip_network(argv[7]), "client"))
		return 0
	for name, qtype, s, why in case_list(model):
		print(line(model, name, qtype, s, why))
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))

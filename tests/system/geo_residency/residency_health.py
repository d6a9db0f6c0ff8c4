"""Residency under region failures (docs/residency.md; forced states: docs/health.md).

Regions are forced down / back to auto through the control API (regions
without checks are up unless forced).  First a few named cases, each with
the answer the residency rule implies; then every one of the 2^7 up/down
combinations of the seven regions (Gray code order: one API call per step)
with every client x geo name x family, asserting
  - the exact answer of geomodel.py's step 5 (rcode, addresses in order),
  - and, independently of the model, the rule that matters most: a client
    of a strict pin is never answered with an address of a region outside
    that pin, whatever the health of any region.

Usage: residency_health.py DNS_PORT CONTROL_PORT TOKEN CONFIG ZONE CSV
"""
import ipaddress
import json
import os
import sys
import time

import dns.edns
import dns.message
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "geo_routing"))
from geomodel import Model, load_geoip_csv  # noqa: E402
from systest import Tally, force_state, udp_batch  # noqa: E402

port, cport, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conf = json.load(open(sys.argv[4]))
zone = json.load(open(sys.argv[5]))
model = Model(conf, zone, load_geoip_csv(sys.argv[6]))
t = Tally()
REGIONS = list(conf["regions"])
NAMES = sorted(zone["geo"])
CLIENTS = [("DE", "2.0.0.0/24"), ("FR", "5.44.0.0/24"), ("IE", "5.1.0.0/24"), ("DE6", "2001:db8:1::/56"),
	("JP", "202.12.0.0/24"), ("JP6", "2001:db8:3::/56"), ("TR", "88.0.0.0/24"), ("IN", "1.0.0.0/24"),
	("AE", "94.200.0.0/24"), ("AE6", "2001:db8:e::/56"), ("BR", "200.160.0.0/24"), ("BR6", "2001:db8:5::/56"),
	("MX", "189.0.0.0/24"), ("GB", "81.2.69.0/24"), ("US", "12.0.0.0/24"), ("AU", "1.128.0.0/24"),
	("none", "100.64.0.0/24")]


def force(region, state):
	return force_state(cport, token, "regions", region, state)


def region_of_addr():
	m = {}
	for r, d in conf["regions"].items():
		for e in d["endpoints"]:
			m[ipaddress.ip_address(e)] = r
	return m


REGION_OF = region_of_addr()


class Batch:
	"""Every (client, name, family) query for one health state, sent at
	once over one UDP socket and matched back by id."""

	def __init__(self):
		self.items = []
		for label, subnet in CLIENTS:
			net = ipaddress.ip_network(subnet)
			loc = model.locate(net.network_address)
			for name in NAMES:
				for qtype in ("A", "AAAA"):
					q = dns.message.make_query(name + ".example.com.", qtype, use_edns=0,
						options=[dns.edns.ECSOption(str(net.network_address), net.prefixlen)])
					q.flags = 0
					q.id = len(self.items)
					self.items.append((label, net, loc, name, qtype, q.to_wire()))

	def run(self):
		return udp_batch("127.0.0.1", port, [it[5] for it in self.items])


def parse(raw, qtype):
	"""(rcode text, [addresses in order])."""
	m = dns.message.from_wire(raw)
	want = dns.rdatatype.from_text(qtype)
	addrs = [rr.address for rrset in m.answer if rrset.rdtype == want for rr in rrset]
	return dns.rcode.to_text(m.rcode()), addrs


def expected(loc, name, qtype, up):
	rcode, chosen = model.decide_health(name, qtype, loc, up)
	return rcode, [e for r in chosen for e in model.endpoints(r, qtype)]


def strict_pin(loc, name):
	pin = model.pin_of(loc)
	g = zone["geo"][name]
	if pin is None or pin in g.get("exempt", []) or model.pins[pin].get("mode", "strict") != "strict":
		return None
	return pin


def ask(batch_items, label, name, qtype, replies):
	for i, it in enumerate(batch_items):
		if it[0] == label and it[3] == name and it[4] == qtype:
			return parse(replies[i], qtype) if i in replies else (None, [])
	raise KeyError((label, name, qtype))


# --- is the control API there? ------------------------------------------
st = force("eu-west", "auto")
if st != 200:
	t.fail("control API: POST /v1/regions/eu-west/state {auto} answered %s, want 200; "
		"forced-state residency cases not run" % st)
	t.finish()
t.ok("control API forces region states")

batch = Batch()
down = set()


def set_down(new_down):
	global down
	for r in REGIONS:
		want = "down" if r in new_down else "auto"
		if (r in down) != (r in new_down):
			code = force(r, want)
			if code != 200:
				t.fail("force %s %s: HTTP %s" % (r, want, code))
	down = set(new_down)


def named(desc, down_set, label, name, qtype, want_rcode, want_regions):
	"""One case: the residency rule's answer, stated by region; the model must agree."""
	set_down(down_set)
	replies = batch.run()
	rcode, addrs = ask(batch.items, label, name, qtype, replies)
	want = [e for r in want_regions for e in model.endpoints(r, qtype)]
	loc = [it[2] for it in batch.items if it[0] == label][0]
	m = expected(loc, name, qtype, set(REGIONS) - down)
	if m != (want_rcode, want):
		t.fail("%s: the test model says %s, the test says %s (test bug)" % (desc, m, (want_rcode, want)))
		return
	got_regions = [REGION_OF.get(ipaddress.ip_address(a), a) for a in addrs]
	t.check((rcode, addrs) == (want_rcode, want),
		"%s [down: %s] %s %s %s -> %s %s" % (desc, ",".join(sorted(down_set)) or "none", label, name, qtype,
			want_rcode, ",".join(want_regions) or "no records"),
		"got %s %s (regions %s)" % (rcode, addrs, got_regions))


EU = {"eu-west", "eu-central"}
ASIA = {"ap-southeast", "ap-northeast"}
ALL = set(REGIONS)
named("strict eu, all EU regions down, serve-all: both EU regions' endpoints, never us-east",
	EU, "DE", "trio", "A", "NOERROR", ["eu-central", "eu-west"])
named("strict eu, all EU down, serve-all, AAAA", EU, "DE6", "trio", "AAAA", "NOERROR", ["eu-west"])
named("strict eu, all EU down, all_down servfail", EU, "DE", "sf", "A", "SERVFAIL", [])
named("strict eu, all EU down, all_down nodata", EU, "FR", "nd", "A", "NOERROR", [])
named("strict eu, all EU down, eufirst (serve-all): eu-west, not the us-east listed first",
	EU, "IE", "eufirst", "A", "NOERROR", ["eu-west"])
named("strict eu, eu-central down: eu-west answers", {"eu-central"}, "DE", "trio", "A", "NOERROR", ["eu-west"])
# London -> Dubai 5,470 km, -> Ashburn 5,880 km: pins do not reserve regions
named("unpinned GB, all EU down: fails over to the nearest up region, a gulf one", EU, "GB", "sf", "A",
	"NOERROR", ["me-central"])
named("strict asia, ap-northeast down: ap-southeast only", {"ap-northeast"}, "JP", "trio", "A", "NOERROR",
	["ap-southeast"])
named("strict asia, all asia down, AAAA serve-all: ap-northeast's v6", ASIA, "JP6", "trio", "AAAA", "NOERROR",
	["ap-northeast"])
named("strict gulf, me-central down, serve-all", {"me-central"}, "AE", "eufirst", "A", "NOERROR", ["me-central"])
named("exempt name, JP client, every region but eu-west down: eu-west", ALL - {"eu-west"}, "JP", "noasia", "A",
	"NOERROR", ["eu-west"])
named("preferred latam, sa-east down: ranked again as unpinned, us-east", {"sa-east"}, "BR", "pref", "A",
	"NOERROR", ["us-east"])
named("preferred latam, sa-east down, servfail name: unpinned ranking, not SERVFAIL", {"sa-east"}, "MX", "sf", "A",
	"NOERROR", ["us-east"])
named("preferred latam, everything down, servfail name: SERVFAIL", ALL, "BR", "sf", "A", "SERVFAIL", [])
named("unpinned US, everything down, servfail", ALL, "US", "sf", "A", "SERVFAIL", [])
named("unpinned US, everything down, nodata", ALL, "US", "nd", "A", "NOERROR", [])
named("unlocated, us-east down: next in the regions order", {"us-east"}, "none", "eufirst", "A", "NOERROR",
	["eu-west"])

# --- every up/down combination ------------------------------------------
n = len(REGIONS)
states = strict_ok = strict_total = 0
started = time.monotonic()
for k in range(1 << n):
	gray = k ^ (k >> 1)
	set_down({REGIONS[i] for i in range(n) if gray >> i & 1})
	up = ALL - down
	replies = batch.run()
	bad, leaks = [], []
	for i, (label, net, loc, name, qtype, _) in enumerate(batch.items):
		if i not in replies:
			bad.append("%s %s %s: no reply" % (label, name, qtype))
			continue
		rcode, addrs = parse(replies[i], qtype)
		want = expected(loc, name, qtype, up)
		if (rcode, addrs) != want:
			bad.append("%s(%s) %s %s: got %s %s, want %s %s" % (label, net, name, qtype, rcode, addrs, *want))
		pin = strict_pin(loc, name)
		if pin is not None:
			strict_total += 1
			outside = [a for a in addrs if conf["regions"][REGION_OF[ipaddress.ip_address(a)]].get("pin") != pin]
			if outside:
				leaks.append("%s(%s) %s %s pin %s: answered %s" % (label, net, name, qtype, pin, outside))
			else:
				strict_ok += 1
	states += 1
	desc = "down={%s}: %d answers" % (",".join(r for r in REGIONS if r in down), len(batch.items))
	if leaks:
		t.fail(desc + ": RESIDENCY BROKEN", "\n".join(leaks[:10]))
	t.check(not bad, desc + " as docs/residency.md says", "\n".join(bad[:8]) + ("\n... %d more" % (len(bad) - 8) if len(bad) > 8 else ""))
t.check(states == 1 << n and strict_ok == strict_total and strict_total > 0,
	"strict residency held in all %d strict-pinned answers over %d health states (%.1f s)"
	% (strict_total, states, time.monotonic() - started))
set_down(set())
t.finish()

"""Every case of geomodel.case_list (every CSV network and `networks`
entry, a few unlocated subnets, x every geo name x A/AAAA) asked of dnsd
at once (dnspython, windowed UDP): answer addresses in order, AA, the ttl
and the ECS echo and scope must be the model's.  One ok/FAIL line per
geo name and family.

Usage: sweep.py CONFIG ZONE CSV PORT
"""
import ipaddress
import json
import sys

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from geomodel import Model, case_list, load_geoip_csv
from systest import Tally, udp_batch

conf_path, zone_path, csv_path, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
zone = json.load(open(zone_path))
model = Model(json.load(open(conf_path)), zone, load_geoip_csv(csv_path))
t = Tally()

cases, wires = [], []
for name, qtype, net, why in case_list(model):
	addrs, scope, chosen, loc, pin = model.answer(name, qtype, net.network_address)
	where = "%s:%s/pin=%s" % (why, loc["country"] or loc["continent"] or "-", pin or "none")
	q = dns.message.make_query(name + ".example.com.", qtype, use_edns=0,
		options=[dns.edns.ECSOption(str(net.network_address), net.prefixlen)])
	q.flags = 0
	q.id = len(wires)
	wires.append(q.to_wire())
	cases.append((name, qtype, net, addrs, scope, ",".join(chosen) or "-", where))

replies = udp_batch("127.0.0.1", port, wires)
groups = {}
for i, (name, qtype, net, addrs, scope, regions, why) in enumerate(cases):
	g = groups.setdefault((name, qtype), [0, []])
	g[0] += 1
	if i not in replies:
		g[1].append("%s: no reply" % net)
		continue
	m = dns.message.from_wire(replies[i])
	want_t = dns.rdatatype.from_text(qtype)
	got = [rr.address for rrset in m.answer if rrset.rdtype == want_t for rr in rrset]
	ttls = {rrset.ttl for rrset in m.answer if rrset.rdtype == want_t}
	ecs = [o for o in m.options if isinstance(o, dns.edns.ECSOption)]
	problems = []
	if m.rcode() != dns.rcode.NOERROR or not m.flags & dns.flags.AA:
		problems.append("rcode %s flags %s" % (dns.rcode.to_text(m.rcode()), dns.flags.to_text(m.flags)))
	if got != addrs:
		problems.append("answer %s, want %s (%s)" % (got, addrs, regions))
	want_ttl = zone["geo"][name].get("ttl", 30)
	if got and ttls != {want_ttl}:
		problems.append("ttl %s, want %d" % (sorted(ttls), want_ttl))
	if not addrs and not any(rrset.rdtype == dns.rdatatype.SOA for rrset in m.authority):
		problems.append("NODATA without the SOA")
	if len(ecs) != 1 or (ecs[0].address, ecs[0].srclen, ecs[0].scopelen) != (str(net.network_address), net.prefixlen, scope):
		problems.append("ECS %s, want %s/%d/%d" % (
			["%s/%d/%d" % (o.address, o.srclen, o.scopelen) for o in ecs], net.network_address, net.prefixlen, scope))
	if problems:
		g[1].append("%s (%s): %s" % (net, why, "; ".join(problems)))
for (name, qtype), (n, bad) in sorted(groups.items()):
	t.check(not bad, "sweep %s %s: %d clients answered as the model says (regions, order, ttl, ECS scope)" % (name, qtype, n),
		"\n".join(bad[:10]) + ("\n... %d more" % (len(bad) - 10) if len(bad) > 10 else ""))
t.check(len(cases) >= 300, "sweep covered %d (name, type, client) cases" % len(cases))
t.finish()

"""Write a gdnsd 3.x configuration directory equivalent to a dnsd config.

  gdnsd_conf.py DNSD_CONFIG DIR PORT MAP=DB [MAP=DB...]

Every dnsd region becomes a gdnsd datacenter, in the config's region order
(= the geo name's regions order, so gdnsd's no-location fallback list is
the same as dnsd's unlocated order), with auto_dc_coords = the region's
location (city-auto-mode: distance-sorted lists) and its endpoints as
multifo addrs_v4/addrs_v6, always up.  dnsd `networks` entries with a
`region` become gdnsd `nets` entries naming that datacenter.  One map and
one resource per MAP=DB; the zone example.com has "MAP 30 DYNA geoip!MAP"
for each.
"""
import ipaddress
import json
import os
import sys

conf = json.load(open(sys.argv[1]))
d, port = sys.argv[2], int(sys.argv[3])
maps = [a.split("=", 1) for a in sys.argv[4:]]
regions = conf["regions"]
os.makedirs(os.path.join(d, "zones"), exist_ok=True)


def addrs(r, v):
	return [e for e in regions[r]["endpoints"] if ipaddress.ip_address(e).version == v]


nets = {k: v["region"] for k, v in conf.get("networks", {}).items() if "region" in v}
out = ["options => {",
	"  listen => [ 127.0.0.1:%d ]" % port,
	"  run_dir => %s/run" % d,
	"  state_dir => %s/state" % d,
	"  udp_threads => 1",
	"  tcp_threads => 1",
	"}",
	"plugins => { geoip => {",
	"  maps => {"]
for name, db in maps:
	out.append("    %s => {" % name)
	out.append("      geoip2_db => %s" % db)
	out.append("      datacenters => [%s]" % ", ".join(regions))
	out.append("      auto_dc_coords => {")
	for r, v in regions.items():
		out.append("        %s => [%s, %s]" % (r, v["location"][0], v["location"][1]))
	out.append("      }")
	if nets:
		out.append("      nets => {")
		for k, r in nets.items():
			out.append("        %s => [%s]" % (k, r))
		out.append("      }")
	out.append("    }")
out.append("  }")
out.append("  resources => {")
for name, _ in maps:
	out.append("    %s => {" % name)
	out.append("      map => %s" % name)
	out.append("      service_types => up")
	out.append("      dcmap => {")
	for r in regions:
		out.append("        %s => { addrs_v4 => [%s], addrs_v6 => [%s] }" % (
			r, ", ".join(addrs(r, 4)), ", ".join(addrs(r, 6))))
	out.append("      }")
	out.append("    }")
out.append("  }")
out.append("}}")
open(os.path.join(d, "config"), "w").write("\n".join(out) + "\n")
zone = ["$TTL 300", "@ SOA ns1 hostmaster 1 3600 600 1209600 300", "@ NS ns1", "@ NS ns2",
	"ns1 A 192.0.2.53", "ns2 A 192.0.2.54"]
zone += ["%s 30 DYNA geoip!%s" % (name, name) for name, _ in maps]
open(os.path.join(d, "zones", "example.com"), "w").write("\n".join(zone) + "\n")

"""For each demo network: CH TXT explanation vs the IN answers, same client,
and the explanation's own ranking (docs/routing.md):

  - the regions and ECS scope the explanation says it chose are the ones the
    IN query for the same client gets, per family;
  - the candidates are ranked 1, 2, ... in the order the strings come;
  - a located client's candidates are ranked by distance (no latency
    reports are made here), so distance_km never decreases with the rank;
  - an unlocated client's candidates keep the name's regions order, and
    show distance_km=none.

  consistency.py PORT CONFIG CSV
"""
import csv, ipaddress, json, os, sys

import dns.edns, dns.message, dns.query, dns.rdataclass, dns.rdatatype

port, conf_path, csv_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conf = json.load(open(conf_path))
region_of = {ep: name for name, r in conf["regions"].items() for ep in r["endpoints"]}
# the regions order of each geo name, from the zone files the config serves
regions_order = {}
for z in conf["zones"]:
    zone = json.load(open(os.path.join(os.path.dirname(conf_path), z)))
    for owner, g in zone.get("geo", {}).items():
        regions_order[owner + "." + zone["origin"]] = g["regions"]

passed = failed = 0


def check(cond, desc):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL " + desc)
    return cond


def ask(name, rdtype, rdclass, subnet):
    net = ipaddress.ip_network(subnet)
    ecs = dns.edns.ECSOption(str(net.network_address), net.prefixlen)
    q = dns.message.make_query(name, rdtype, rdclass, use_edns=0, options=[ecs])
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=2)


def scope(resp):
    for o in resp.options:
        if isinstance(o, dns.edns.ECSOption):
            return o.scopelen
    return None


def explanation(name, subnet):
    """(per-family words, candidate lines in the order received, located)"""
    r = ask(name, "TXT", dns.rdataclass.CH, subnet)
    fams, regions, located = {}, [], None
    for rrset in r.answer:
        for txt in rrset:
            for s in txt.strings:
                s = s.decode()
                kv = dict(w.split("=", 1) for w in s.split() if "=" in w)
                if s.startswith("family="):
                    fams[kv["family"]] = kv
                elif s.startswith("region="):
                    regions.append(kv)
                elif s.startswith("located="):
                    located = kv["located"]
    return fams, regions, located


def check_ranking(name, subnet, regions, located):
    where = f"{name} {subnet} (located={located})"
    shown = " ".join(f"{l.get('region')}:rank={l.get('rank')}:km={l.get('distance_km')}" for l in regions)
    if not check(regions, f"{where}: no candidate lines"):
        return
    check([l.get("rank") for l in regions] == [str(i) for i in range(1, len(regions) + 1)],
          f"{where}: ranks are not 1..{len(regions)} in order: {shown}")
    check(all("rtt_ms" not in l for l in regions), f"{where}: rtt_ms without latency reports: {shown}")
    km = [l.get("distance_km", "") for l in regions]
    if located == "none":
        check(all(k == "none" for k in km), f"{where}: unlocated but distances given: {shown}")
        order = [r for r in regions_order[name] if r in {l["region"] for l in regions}]
        check([l["region"] for l in regions] == order,
              f"{where}: unlocated client not in the regions order {order}: {shown}")
    elif check(all(k.isdigit() for k in km), f"{where}: located but distance_km not whole km: {shown}"):
        check(all(int(a) <= int(b) for a, b in zip(km, km[1:])),
              f"{where}: ranks do not follow distance_km: {shown}")


subnets = []
for row in csv.reader(open(csv_path)):
    if not row or row[0].startswith("#") or row[0] == "network":
        continue
    net = ipaddress.ip_network(row[0])
    # a /24 (v4) or /56 (v6) inside the network, as a resolver would send
    sub = next(net.subnets(new_prefix=max(net.prefixlen, 24 if net.version == 4 else 56)))
    subnets.append(str(sub))
# one client no GeoIP record covers (shared address space, RFC 6598)
subnets.append("100.64.1.0/24")

compared = ranked = located_seen = unlocated_seen = 0
for name in ("www.example.com.", "api.example.com."):
    for subnet in subnets:
        fams, regions, located = explanation(name, subnet)
        check_ranking(name, subnet, regions, located)
        ranked += 1
        located_seen += located not in (None, "none") and len(regions) > 1
        unlocated_seen += located == "none"
        for fam in ("A", "AAAA"):
            r = ask(name, fam, dns.rdataclass.IN, subnet)
            got = sorted({region_of[rr.address] for rrset in r.answer for rr in rrset
                          if rrset.rdtype == dns.rdatatype.from_text(fam)})
            exp = fams.get(fam)
            if not check(exp is not None, f"{name} {fam} {subnet}: no family={fam} string"):
                continue
            want = [] if exp["chosen"] == "none" else sorted(exp["chosen"].split(","))
            check(got == want and str(scope(r)) == exp["scope"],
                  f"{name} {fam} {subnet}: explanation chosen={want} scope={exp['scope']}, "
                  f"IN answer regions={got} scope={scope(r)}")
            compared += 1
# the loops above must have had something to compare
check(compared >= 20, f"only {compared} (name, family, client) comparisons, want >= 20")
check(located_seen >= 10, f"only {located_seen} located explanations with two or more candidates, want >= 10")
check(unlocated_seen >= 2, f"only {unlocated_seen} unlocated explanations, want >= 2")
if not failed:
    print(f"ok   {compared} (name, family, client) explanations match their IN answers")
    print(f"ok   {ranked} explanations rank their candidates by distance_km ({located_seen} located) "
          f"or in the regions order ({unlocated_seen} unlocated)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

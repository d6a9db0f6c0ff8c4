"""For each demo network: CH TXT explanation vs the IN answers, same client."""
import csv, ipaddress, json, sys

import dns.edns, dns.message, dns.query, dns.rdataclass, dns.rdatatype

port, conf_path, csv_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conf = json.load(open(conf_path))
region_of = {ep: name for name, r in conf["regions"].items() for ep in r["endpoints"]}

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
    r = ask(name, "TXT", dns.rdataclass.CH, subnet)
    words = {}
    for rrset in r.answer:
        for txt in rrset:
            for s in txt.strings:
                s = s.decode()
                if s.startswith("family="):
                    kv = dict(w.split("=", 1) for w in s.split())
                    words[kv["family"]] = kv
                elif s.startswith("region="):
                    region_lines.append(dict(w.split("=", 1) for w in s.split() if "=" in w))
    return words

region_lines = []

passed = failed = 0
subnets = []
for row in csv.reader(open(csv_path)):
    if not row or row[0].startswith("#") or row[0] == "network":
        continue
    net = ipaddress.ip_network(row[0])
    # a /24 (v4) or /56 (v6) inside the network, as a resolver would send
    sub = next(net.subnets(new_prefix=max(net.prefixlen, 24 if net.version == 4 else 56)))
    subnets.append(str(sub))

for name in ("www.example.com.", "api.example.com."):
    for subnet in subnets:
        exp = explanation(name, subnet)
        for fam in ("A", "AAAA"):
            r = ask(name, fam, dns.rdataclass.IN, subnet)
            got = sorted({region_of[rr.address] for rrset in r.answer for rr in rrset
                          if rrset.rdtype == dns.rdatatype.from_text(fam)})
            want = [] if exp[fam]["chosen"] == "none" else sorted(exp[fam]["chosen"].split(","))
            if got == want and str(scope(r)) == exp[fam]["scope"]:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {name} {fam} {subnet}: explanation chosen={want} scope={exp[fam]['scope']}, "
                      f"IN answer regions={got} scope={scope(r)}")
# Distances are printed in km (ranking itself uses no trigonometry): every
# candidate line of a located client has a number, and the ranks of one
# explanation follow them (no latency reports here).
km = [l for l in region_lines if l.get("distance_km", "").isdigit()]
bad = [l for l in region_lines if l.get("distance_km") not in ("none",) and not l.get("distance_km", "").isdigit()]
if len(km) < len(region_lines) // 2 or bad:
    failed += 1
    print(f"FAIL distance_km: {len(km)} of {len(region_lines)} candidate lines have km, malformed: {bad[:3]}")
else:
    passed += 1
    print(f"ok   {len(km)} of {len(region_lines)} candidate lines give distance_km in whole km")
print(f"ok   {passed} (name, family, client) explanations match their IN answers" if not failed else "")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed < 20 else 0)

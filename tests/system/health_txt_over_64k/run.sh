#!/usr/bin/env bash
# health.dnsd. CH TXT for a large fleet (issue 13, item 9a): 40 regions of
# 20 IPv6 endpoints with long names make about 90 KB of TXT, more than a
# DNS message holds (it used to be SERVFAIL over TCP).  The list comes in
# pages: health.dnsd. is page 1, a page that is not the last ends with a
# TXT "more=pageN.health.dnsd.", and following them lists every region
# and endpoint exactly once.  A page past the end is REFUSED.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

t_free_port T_PORT
t_free_port T_CONTROL_PORT
cat >"$T_TMP/zone.json" <<'EOF2'
{"origin": "example.com.", "ttl": 300,
 "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1, "minimum": 60},
 "records": {"@": {"NS": ["ns1"]}, "ns1": {"A": ["192.0.2.53"]}}}
EOF2
"$T_PY" - "$T_TMP/dnsd.json" "$T_PORT" "$T_CONTROL_PORT" <<'PY' || { fail "config"; t_done; }
import json, sys
regions = {}
for r in range(40):
    regions["region-with-a-long-name-%02d" % r] = {
        "location": [r - 20, r * 4 - 80],
        "endpoints": ["2001:db8:%x:ffff::%x" % (r, 0x1000 + e) for e in range(20)]}
json.dump({"listen": ["127.0.0.1:%s" % sys.argv[2]], "workers": 1, "zones": ["zone.json"],
           "control": {"listen": "127.0.0.1:%s" % sys.argv[3]},
           "diagnostics": {"allow": ["127.0.0.0/8"]}, "regions": regions},
          open(sys.argv[1], "w"), indent=1)
PY
t_start example.com.

t_absorb < <("$T_PY" - "$T_PORT" <<'PY'
import sys
import dns.message, dns.query, dns.rcode, dns.rdataclass, dns.rdatatype

port = int(sys.argv[1])
passed = failed = 0

def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    passed, failed = passed + ok, failed + (not ok)

def ask(name):
    q = dns.message.make_query(name, dns.rdatatype.TXT, dns.rdataclass.CH)
    return dns.query.tcp(q, "127.0.0.1", port=port, timeout=5)

name, pages, regions, endpoints, bad = "health.dnsd.", 0, [], [], []
while name is not None and pages < 20:
    r = ask(name)
    pages += 1
    if r.rcode() != dns.rcode.NOERROR:
        bad.append("%s: %s" % (name, dns.rcode.to_text(r.rcode())))
        break
    texts = [b"".join(rd.strings).decode() for rr in r.answer for rd in rr]
    name = None
    for i, t in enumerate(texts):
        if t.startswith("more="):
            if i != len(texts) - 1:
                bad.append("%s: more= is not the last record" % name)
            name = t[5:]
        elif t.startswith("region="):
            regions.append(t.split()[0])
        elif t.startswith("endpoint="):
            endpoints.append(t.split()[0])
        else:
            bad.append("unexpected TXT %r" % t)
check(not bad, "every page NOERROR, more= last: %s" % (bad or "yes"))
check(pages > 1, "the list takes %d pages" % pages)
check(len(regions) == 40 and len(set(regions)) == 40, "40 regions listed once each (%d, %d distinct)" % (len(regions), len(set(regions))))
check(len(endpoints) == 800 and len(set(endpoints)) == 800,
      "800 endpoints listed once each (%d, %d distinct)" % (len(endpoints), len(set(endpoints))))
r = ask("page%d.health.dnsd." % (pages + 1))
check(r.rcode() == dns.rcode.REFUSED, "a page past the end: %s" % dns.rcode.to_text(r.rcode()))
def texts(name):
    return [b"".join(rd.strings) for rr in ask(name).answer for rd in rr]
check(texts("page1.health.dnsd.") == texts("health.dnsd."), "page1.health.dnsd. is health.dnsd.")
print("%d passed, %d failed" % (passed, failed))
PY
)

# the README's loop ("Diagnosing with dig"), as an operator runs it
n=health.dnsd.
pages=0
: >"$T_TMP/all"
while [ -n "$n" ] && [ $pages -lt 20 ]; do
	page=$(dig @127.0.0.1 -p "$T_PORT" +tcp +short "$n" CH TXT)
	grep -v '^"more=' <<<"$page" >>"$T_TMP/all"
	n=$(sed -n 's/^"more=\(.*\)"$/\1/p' <<<"$page")
	pages=$((pages + 1))
done
got=$(sort -u "$T_TMP/all" | grep -c '^"\(region\|endpoint\)=')
[ "$got" = 840 ] && ok "the README's dig loop lists 840 distinct records in $pages pages" ||
	fail "the README's dig loop: $got distinct records in $pages pages"
t_done

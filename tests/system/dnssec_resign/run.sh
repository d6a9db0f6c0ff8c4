#!/usr/bin/env bash
# Signatures are refreshed in the background (docs/dnssec.md §2): a zone
# signed for 3600 s with "refresh": 3590 wants new signatures 10 s after
# it was signed.  The main loop notices (it looks every 10 s), reloads,
# and the answers carry RRSIGs of a later inception that still validate,
# while queries are answered throughout; with "serial": "unixtime" the
# SOA serial moves with each signing.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

t_need ldns-keygen ldnsutils
mkdir -p "$T_TMP/keys" "$T_TMP/gen"
CSK=$(cd "$T_TMP/keys" && ldns-keygen -a ECDSAP256SHA256 -k example.com) || exit 1
"$T_PY" - "$DNSD_SRC/zones/example.json" "$T_TMP/gen/example.json" "$CSK" <<'PY' || exit 1
import json, sys
z = json.load(open(sys.argv[1]))
z.pop("geo")
z["dnssec"] = {"keys": ["keys/" + sys.argv[3]], "signature_validity": 3600, "refresh": 3590,
	"serial": "unixtime"}
z["soa"]["serial"] = 1
json.dump(z, open(sys.argv[2], "w"), indent=1)
PY
t_config "$T_TMP/gen/example.json"	# copied beside $T_TMP/keys
t_start example.com.

# inception: the SOA RRSIG's inception field
inception() {
	dig @127.0.0.1 -p "$T_PORT" +norec +dnssec +time=2 +tries=1 example.com SOA 2>/dev/null |
		awk '$4 == "RRSIG" && $5 == "SOA" {print $10; exit}'
}
first=$(inception)
serial() { dig @127.0.0.1 -p "$T_PORT" +norec +short +time=2 +tries=1 example.com SOA 2>/dev/null | awk '{print $3}'; }
serial0=$(serial)
[ -n "$first" ] && ok "signed at start-up: SOA RRSIG inception $first" || fail "no SOA RRSIG at start-up"
changed() { local now; now=$(inception); [ -n "$now" ] && [ "$now" != "$first" ]; }
if wait_until 40 changed; then
	ok "signatures refreshed $T_WAITED s into the test (inception $(inception))"
else
	fail "the SOA RRSIG still has inception $first after 40 s"
fi
serial1=$(serial)
# "serial": "unixtime": the serial is the signing time, so it moved with the
# refresh, and secondaries transfer the new signatures (docs/dnssec.md §5)
if [ -n "$serial0" ] && [ -n "$serial1" ] && [ "$serial0" -gt 1 ] && [ "$serial1" -gt "$serial0" ]; then
	ok "the SOA serial moved with the signing: $serial0 -> $serial1"
else
	fail "SOA serial at start '$serial0', after the refresh '$serial1' (want the signing times, increasing)"
fi
grep -q 'event=dnssec_resign' "$T_LOG" && ok "the log says why it reloaded (event=dnssec_resign)" ||
	fail "no dnssec_resign line in the log"
t_absorb < <("$T_PY" - "$T_PORT" <<'PY'
import sys, dns.message, dns.query, dns.dnssec, dns.name, dns.rdatatype, dns.rdataclass
port = int(sys.argv[1])
o = dns.name.from_text("example.com.")
def get(t):
	r = dns.query.tcp(dns.message.make_query(o, t, want_dnssec=True), "127.0.0.1", port=port, timeout=3)
	return (r.find_rrset(r.answer, o, dns.rdataclass.IN, t),
		r.find_rrset(r.answer, o, dns.rdataclass.IN, dns.rdatatype.RRSIG, t))
keys, ksig = get(dns.rdatatype.DNSKEY)
soa, ssig = get(dns.rdatatype.SOA)
try:
	dns.dnssec.validate(keys, ksig, {o: keys})
	dns.dnssec.validate(soa, ssig, {o: keys})
	print("ok   the refreshed DNSKEY and SOA signatures validate")
	print("1 passed, 0 failed")
except dns.dnssec.ValidationFailure as e:
	print("FAIL refreshed signatures do not validate: %s" % e)
	print("0 passed, 1 failed")
PY
)
t_done

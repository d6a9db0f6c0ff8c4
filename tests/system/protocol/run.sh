#!/usr/bin/env bash
# Black-box DNS protocol behaviour (docs/protocol.md) with dig over UDP and TCP, IPv4
# and IPv6, plus wire.py for what dig cannot do.  The zone is
# zones/example.json with the SOA minimum lowered to 120 (so the RFC 2308
# negative TTL, min(300, 120), is visible) and a TXT-heavy name "big"; a
# second zone, sub.example.com., is the child of the first.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

TCP_IDLE=2
mkdir -p "$T_TMP/gen"
"$T_PY" - "$DNSD_SRC/zones/example.json" "$T_TMP/gen/example.json" <<'EOF' || exit 1
import json, sys
z = json.load(open(sys.argv[1]))
z["soa"]["minimum"] = 120
z["records"]["big"] = {"TXT": ['"%02d %s"' % (i, "x" * 240) for i in range(10)]}
json.dump(z, open(sys.argv[2], "w"), indent=1)
EOF
T_EXTRA="\"limits\": {\"tcp_idle\": $TCP_IDLE}"
t_config "$T_TMP/gen/example.json" "$DNSD_SRC/tests/data/sys_sub.example.com.json"
t_start example.com.

SOA_NEG='^example\.com\. 120 IN SOA ns1\.example\.com\. hostmaster\.example\.com\. 2026112401 3600 600 1209600 120$'

# --- the basics over every transport: UDP/TCP x IPv4/IPv6 -----------------
for T_ADDR in 127.0.0.1 ::1; do
	for tr in +notcp +tcp; do
		at="[$T_ADDR $tr]"
		q $tr ns1.example.com A
		expect "$at ns1 A: authoritative answer" rcode=NOERROR +qr +aa -ra -tc an=1 \
			'answer~^ns1\.example\.com\. 300 IN A 192\.0\.2\.53$'
		q $tr mail.example.com A
		expect "$at mail A: owner-level ttl 3600" rcode=NOERROR +aa 'answer~^mail\.example\.com\. 3600 IN A 192\.0\.2\.25$'
		q $tr nonexistent.example.com A
		expect "$at NXDOMAIN: SOA in authority, ttl min(SOA ttl, minimum)" rcode=NXDOMAIN +aa an=0 ns=1 "auth~$SOA_NEG"
		q $tr ns2.example.com AAAA
		expect "$at NODATA: NOERROR, no answer, SOA with the negative ttl" rcode=NOERROR +aa an=0 ns=1 "auth~$SOA_NEG"
		q $tr www.example.org A
		expect "$at outside every zone: REFUSED, RA and AA clear" rcode=REFUSED -aa -ra an=0
		q $tr com SOA
		expect "$at parent of a zone (com.): REFUSED" rcode=REFUSED -aa -ra an=0
	done
done
T_ADDR=127.0.0.1

# --- record types ---------------------------------------------------------
q example.com SOA
expect "apex SOA" rcode=NOERROR +aa an=1 \
	'answer~^example\.com\. 300 IN SOA ns1\.example\.com\. hostmaster\.example\.com\. 2026112401 3600 600 1209600 120$'
q example.com NS
expect "apex NS" rcode=NOERROR +aa an=2 'answer~ IN NS ns1\.example\.com\.$' 'answer~ IN NS ns2\.example\.com\.$'
q example.com MX
expect "apex MX, relative exchange made absolute" rcode=NOERROR +aa an=1 'answer~^example\.com\. 300 IN MX 10 mail\.example\.com\.$'
q example.com TXT
expect "apex TXT" rcode=NOERROR +aa an=1 'answer~^example\.com\. 300 IN TXT "v=spf1 -all"$'
q example.com CAA
expect "apex CAA" rcode=NOERROR +aa an=2 'answer~ IN CAA 0 issue "letsencrypt\.org"$'
q ns1.example.com AAAA
expect "AAAA" rcode=NOERROR +aa an=1 'answer~^ns1\.example\.com\. 300 IN AAAA 2001:db8::53$'
q _sip._tcp.example.com SRV
expect "SRV with a type-level ttl" rcode=NOERROR +aa an=1 \
	'answer~^_sip\._tcp\.example\.com\. 60 IN SRV 10 5 5060 sip\.example\.com\.$'
q pointer.example.com PTR
expect "PTR" rcode=NOERROR +aa an=1 'answer~^pointer\.example\.com\. 300 IN PTR mail\.example\.com\.$'
q info.example.com TXT
expect "TXT: two records, one with two strings, ttl 120" rcode=NOERROR +aa an=2 \
	'answer~^info\.example\.com\. 120 IN TXT "first string" "second string"$' \
	'answer~^info\.example\.com\. 120 IN TXT "another record"$'
q opaque.example.com TYPE65280
expect "RFC 3597 unknown type passes through" rcode=NOERROR +aa an=1 \
	'answer~^opaque\.example\.com\. 300 IN TYPE65280 \\# 4 0A000001$'
q opaque.example.com A
expect "type not present at a name: NODATA" rcode=NOERROR +aa an=0 "auth~$SOA_NEG"
q ns1.example.com MX
expect "MX at a name with only addresses: NODATA" rcode=NOERROR +aa an=0 "auth~$SOA_NEG"
q +rec ns1.example.com A
expect "RD echoed, RA still clear" rcode=NOERROR +rd -ra +aa an=1

# --- CNAME ----------------------------------------------------------------
q help.example.com A
expect "CNAME chain followed inside the zone: CNAMEs then the A" rcode=NOERROR +aa types=CNAME,CNAME,A \
	'answer~^help\.example\.com\. 300 IN CNAME manual\.example\.com\.$' \
	'answer~^manual\.example\.com\. 300 IN CNAME www2\.example\.com\.$' \
	'answer~^www2\.example\.com\. 300 IN A 192\.0\.2\.80$'
q help.example.com AAAA
expect "CNAME chain to AAAA" rcode=NOERROR +aa types=CNAME,CNAME,AAAA 'answer~^www2\.example\.com\. 300 IN AAAA 2001:db8::80$'
q help.example.com CNAME
expect "CNAME query: only the CNAME" rcode=NOERROR +aa types=CNAME
q help.example.com MX
expect "CNAME chain ending in NODATA: the CNAMEs and the SOA" rcode=NOERROR +aa types=CNAME,CNAME "auth~$SOA_NEG"
q elsewhere.example.com A
expect "CNAME out of the zone: the CNAME only" rcode=NOERROR +aa types=CNAME \
	'answer~^elsewhere\.example\.com\. 300 IN CNAME www\.example\.net\.$'
q docs.example.com A
expect "CNAME to a geo name: CNAME then the geo A records" rcode=NOERROR +aa types=CNAME,A,A \
	'answer~^www\.example\.com\. 30 IN A 192\.0\.2\.10$'

# --- geo names: no GeoIP database, so the client is unlocated and the
# first region of the name's list answers with all its up endpoints ------
q www.example.com A
expect "geo name A: us-east's two endpoints, ttl 30" rcode=NOERROR +aa an=2 \
	'answer~^www\.example\.com\. 30 IN A 192\.0\.2\.10$' 'answer~^www\.example\.com\. 30 IN A 192\.0\.2\.11$'
q www.example.com AAAA
expect "geo name AAAA: us-east's IPv6 endpoint" rcode=NOERROR +aa an=1 'answer~^www\.example\.com\. 30 IN AAAA 2001:db8:10::10$'
q api.example.com A
expect "geo name A, first region eu-west, ttl 20" rcode=NOERROR +aa an=1 'answer~^api\.example\.com\. 20 IN A 198\.51\.100\.10$'
q www.example.com ANY
expect "geo name ANY: NOERROR" rcode=NOERROR +aa
q www.example.com TXT
expect "geo name, other type: NODATA" rcode=NOERROR +aa an=0 "auth~$SOA_NEG"

# --- wildcards (RFC 4592) -------------------------------------------------
q foo.dev.example.com A
expect "wildcard synthesis, owner = qname" rcode=NOERROR +aa an=1 'answer~^foo\.dev\.example\.com\. 300 IN A 192\.0\.2\.99$'
q a.b.dev.example.com A
expect "wildcard covers several labels" rcode=NOERROR +aa an=1 'answer~^a\.b\.dev\.example\.com\. 300 IN A 192\.0\.2\.99$'
q foo.dev.example.com TXT
expect "wildcard TXT" rcode=NOERROR +aa an=1 'answer~^foo\.dev\.example\.com\. 300 IN TXT "wildcard"$'
q foo.dev.example.com AAAA
expect "wildcard without the type: NODATA" rcode=NOERROR +aa an=0 "auth~$SOA_NEG"
q exact.dev.example.com A
expect "explicit name under the wildcard's parent wins" rcode=NOERROR +aa an=1 'answer~ IN A 192\.0\.2\.98$'
q exact.dev.example.com TXT
expect "explicit name, missing type: NODATA, not the wildcard TXT" rcode=NOERROR +aa an=0 "auth~$SOA_NEG"
q x.exact.dev.example.com A
expect "no wildcard below an existing name: NXDOMAIN" rcode=NXDOMAIN +aa an=0 "auth~$SOA_NEG"
q '*.dev.example.com' A
expect "the wildcard name itself" rcode=NOERROR +aa an=1 'answer~^\*\.dev\.example\.com\. 300 IN A 192\.0\.2\.99$'
q dev.example.com A
expect "wildcard parent is an empty non-terminal: NODATA" rcode=NOERROR +aa an=0 "auth~$SOA_NEG"

# --- empty non-terminals --------------------------------------------------
q a.b.deep.example.com TXT
expect "deep name" rcode=NOERROR +aa an=1 'answer~"two empty non-terminals above me"'
q b.deep.example.com A
expect "ENT b.deep: NODATA, not NXDOMAIN" rcode=NOERROR +aa an=0 "auth~$SOA_NEG"
q deep.example.com TXT
expect "ENT deep: NODATA" rcode=NOERROR +aa an=0 "auth~$SOA_NEG"
q c.deep.example.com A
expect "sibling of an ENT: NXDOMAIN" rcode=NXDOMAIN +aa "auth~$SOA_NEG"
q x.b.deep.example.com A
expect "below an ENT: NXDOMAIN" rcode=NXDOMAIN +aa "auth~$SOA_NEG"

# --- delegation -----------------------------------------------------------
REFERRAL=(rcode=NOERROR -aa an=0 'auth~^lab\.example\.com\. 300 IN NS ns\.lab\.example\.com\.$'
	'auth~^lab\.example\.com\. 300 IN NS ns2\.lab\.example\.com\.$' 'auth!~ SOA '
	'add~^ns\.lab\.example\.com\. 300 IN A 192\.0\.2\.200$' 'add~^ns\.lab\.example\.com\. 300 IN AAAA 2001:db8::200$'
	'add~^ns2\.lab\.example\.com\. 300 IN A 192\.0\.2\.201$')
q host.lab.example.com A
expect "name below a cut: referral with glue, AA clear" "${REFERRAL[@]}"
q lab.example.com NS
expect "NS at the cut: referral" "${REFERRAL[@]}"
q lab.example.com A
expect "A at the cut: referral" "${REFERRAL[@]}"
q ns.lab.example.com A
expect "glue name: referral, not an authoritative answer" "${REFERRAL[@]}"
q a.b.lab.example.com MX
expect "deep below the cut: referral" "${REFERRAL[@]}"
q lab.example.com DS
expect "DS at the cut: answered by the parent, AA set" rcode=NOERROR +aa an=1 \
	'answer~^lab\.example\.com\. 300 IN DS 12345 13 2 3F7B1D0C5A9E2B4D6F8A0C2E4B6D8F0A1C3E5B7D9F1A3C5E7B9D1F3A 5C7E9B1D$|^lab\.example\.com\. 300 IN DS 12345 13 2 3F7B1D0C5A9E2B4D6F8A0C2E4B6D8F0A1C3E5B7D9F1A3C5E7B9D1F3A5C7E9B1D$'
q host.lab.example.com DS
expect "DS below the cut: referral" "${REFERRAL[@]}"

# --- a child zone beside its parent: the longest match answers ------------
q www.sub.example.com A
expect "child zone answers its names" rcode=NOERROR +aa an=1 'answer~^www\.sub\.example\.com\. 60 IN A 192\.0\.2\.150$'
q sub.example.com SOA
expect "child zone apex SOA" rcode=NOERROR +aa an=1 'answer~^sub\.example\.com\. 60 IN SOA ns1\.sub\.example\.com\. '
q nothing.sub.example.com A
expect "child NXDOMAIN: child SOA, ttl min(60, 600)" rcode=NXDOMAIN +aa an=0 \
	'auth~^sub\.example\.com\. 60 IN SOA ns1\.sub\.example\.com\. hostmaster\.sub\.example\.com\. 7 '

# --- ANY (RFC 8482) -------------------------------------------------------
q example.com ANY
expect "ANY at the apex: NOERROR, some answer" rcode=NOERROR +aa an\>=1
types=$(t_section ANSWER | awk '{print $4}' | sort -u | paste -sd' ' -)
if [ "$types" = "CAA MX NS SOA TXT" ]; then
	fail "ANY at the apex: minimal answer expected (RFC 8482), got every RRset: $types"
else
	ok "ANY at the apex is minimal (types: ${types:-none})"
fi
q nonexistent.example.com ANY
expect "ANY at a missing name: NXDOMAIN" rcode=NXDOMAIN +aa "auth~$SOA_NEG"

# --- EDNS -----------------------------------------------------------------
q ns1.example.com A
expect "EDNS: OPT echoed, version 0, server payload 1232" rcode=NOERROR opt 'out~; EDNS: version: 0, flags:; udp: 1232$'
q +noedns ns1.example.com A
expect "no EDNS in, no OPT out" rcode=NOERROR noopt an=1
q +bufsize=512 +ignore big.example.com TXT
expect "big answer, bufsize 512, UDP: TC set, fits 512" +tc size\<=512 opt
q +bufsize=4096 +ignore big.example.com TXT
expect "big answer, bufsize 4096, UDP: TC (server limit 1232)" +tc size\<=1232
q +noedns +ignore big.example.com TXT
expect "big answer, no EDNS, UDP: TC, fits 512" +tc size\<=512
q +tcp big.example.com TXT
expect "big answer over TCP: complete" rcode=NOERROR -tc +aa an=10
q +edns=1 +noednsnegotiation ns1.example.com A
expect "EDNS version 1: BADVERS, OPT version 0" rcode=BADVERS an=0 opt 'out~; EDNS: version: 0,'
q +nsid ns1.example.com A
expect "NSID returns the identity" rcode=NOERROR an=1 'out~; NSID: .*\("ns-test\.example"\)'
q +ednsopt=65001:abcdef ns1.example.com A
expect "unknown EDNS option ignored" rcode=NOERROR +aa an=1 opt
q +ednsflags=0x0100 ns1.example.com A
expect "unknown EDNS flag ignored" rcode=NOERROR +aa an=1 opt

# --- name case (0x20) -----------------------------------------------------
q WwW.ExAmPle.CoM A
expect "geo name, mixed case: question and owner keep the query's case" rcode=NOERROR +aa \
	'quest~^;WwW\.ExAmPle\.CoM\. IN A$' 'answer~^WwW\.ExAmPle\.CoM\. 30 IN A '
q nS1.eXaMpLe.cOm A
expect "static name, mixed case preserved" rcode=NOERROR +aa 'quest~^;nS1\.eXaMpLe\.cOm\. IN A$' \
	'answer~^nS1\.eXaMpLe\.cOm\. 300 IN A 192\.0\.2\.53$'
q fOo.DeV.eXaMpLe.CoM A
expect "wildcard, mixed case: owner = qname as asked" rcode=NOERROR +aa 'answer~^fOo\.DeV\.eXaMpLe\.CoM\. 300 IN A 192\.0\.2\.99$'
q NoNe.ExAmPle.CoM A
expect "NXDOMAIN, mixed case" rcode=NXDOMAIN +aa 'quest~^;NoNe\.ExAmPle\.CoM\. IN A$'
q EXAMPLE.ORG A
expect "REFUSED, mixed case" rcode=REFUSED -aa

# --- CH diagnostics -------------------------------------------------------
q version.bind TXT CH
expect "CH TXT version.bind" rcode=NOERROR an=1 'answer~^version\.bind\. [0-9]+ CH TXT "dnsd [0-9][^"]*"$'
q id.server TXT CH
expect "CH TXT id.server = identity" rcode=NOERROR an=1 'answer~ CH TXT "ns-test\.example"$'
q hostname.bind TXT CH
expect "CH TXT hostname.bind = identity" rcode=NOERROR an=1 'answer~ CH TXT "ns-test\.example"$'

# --- wire-level: opcodes, QDCOUNT, compression, pipelining, idle timeout --
t_absorb < <("$T_PY" wire.py "$T_PORT" "$TCP_IDLE" 2>&1)

t_done

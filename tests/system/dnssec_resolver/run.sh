#!/usr/bin/env bash
# The signed demo zone through a real validating resolver (docs/dnssec.md):
# zones/example.json signed with an ECDSA P-256 KSK and ZSK made here by
# ldns-keygen and served by dnsd; Debian's unbound on loopback with a
# stub-zone to dnsd and the DS that `dnsd --check` prints as its only
# trust anchor.  Every answer a client gets from unbound must carry AD
# (unbound proved it secure) and the rcode and data the zone implies; a
# bogus answer would be SERVFAIL and fail the check.
#   A. every name of the demo zone: apex types and DNSKEY, static names,
#      CNAME chains, SRV, the wildcard (answers, labels 3, and NODATA),
#      empty non-terminals (NODATA), names that do not exist (NXDOMAIN
#      before the first and after the last owner, below a wildcard's
#      sibling, below an empty non-terminal, below a geo name), the DS of
#      the lab delegation, NODATA at static and geo names; geo answers for
#      an unlocated client and, with ECS that unbound (subnetcache) passes
#      on, for DE (strict eu) and SG (strict asia: www AAAA is NODATA
#      proved by the geo NSEC without AAAA).  delv, with the DS as a
#      static-ds anchor and +root=example.com, validates a sample of them
#      asking dnsd directly.
#   B. failover: regions forced down and back through the control API,
#      one at a time down to none; unbound's answer moves to the next
#      region (the strict pin keeping DE in the eu) and stays validated.
#   C. ZSK rollover by reload (POST /v1/reload): a new ZSK published,
#      then signing with the old one published, then the old one gone;
#      the KSK, hence the anchor, stays.  unbound validates the DNSKEY
#      set each time and answers whose RRSIGs carry the new key tag.
# unbound caches nothing past the second (cache-max-ttl 0: its ECS cache
# is not reached by unbound-control flush_zone) and synthesises nothing
# from cached NSECs, so every check reads what dnsd serves now; a changed
# answer is waited for.  unbound only ever asks 127.0.0.1: no name
# outside example.com, below the lab delegation or through the CNAME to
# example.net is asked.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

t_need ldns-keygen ldnsutils
t_need unbound unbound
t_need delv bind9-dnsutils
t_need curl curl

mkdir -p "$T_TMP/keys" "$T_TMP/gen"
keygen() { (cd "$T_TMP/keys" && ldns-keygen -a ECDSAP256SHA256 "$@" example.com) || exit 1; }
KSK=$(keygen -k)
ZSK=$(keygen)
ZSK2=$(keygen)
tag() { echo $((10#${1##*+})); }	# Kexample.com.+013+01234 -> 1234
ZSK_TAG=$(tag "$ZSK")
ZSK2_TAG=$(tag "$ZSK2")

# set_keys ZONE-IN ZONE-OUT KEY... [-- PUBLISHED...]: the zone with a dnssec member
set_keys() {
	"$T_PY" - "$@" <<'PY' || exit 1
import json, sys
src, dst, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
keys, publish = (rest[:rest.index("--")], rest[rest.index("--") + 1:]) if "--" in rest else (rest, [])
z = json.load(open(src))
z.pop("$schema", None)
z["dnssec"] = {"keys": ["keys/" + k for k in keys]}
if publish:
	z["dnssec"]["publish"] = ["keys/" + k for k in publish]
json.dump(z, open(dst + ".new", "w"), indent=1)
PY
	mv "$2.new" "$2"
}
set_keys "$DNSD_SRC/zones/example.json" "$T_TMP/gen/example.json" "$KSK" "$ZSK"
# clients located by "networks" (no GeoIP database): DE (strict eu) and SG (strict asia)
DE=10.20.1.0/24
SG=10.50.1.0/24
T_EXTRA='"networks": {"10.20.0.0/16": {"country": "DE"}, "10.50.0.0/16": {"country": "SG"}}'
t_config "$T_TMP/gen/example.json"
ZONE=$T_TMP/example.json	# the copy dnsd reads
TOKEN=test-token

out=$("$DNSD_BIN" -c "$T_TMP/dnsd.json" --check 2>&1)
rc=$?
DS=$(awk '$1 == "example.com." && $3 == "IN" && $4 == "DS" {print $5, $6, $7, $8}' <<<"$out")
if [ "$rc" -eq 0 ] && [ "$(wc -l <<<"$DS")" -eq 1 ] && [ "${DS%% *}" = "$(tag "$KSK")" ]; then
	ok "--check prints the DS of the KSK: $DS"
else
	fail "--check exit $rc, no single DS line of the KSK ($(tag "$KSK"))"
	sed 's/^/    | /' <<<"$out"
	t_done
fi
t_start example.com.

# --- unbound ----------------------------------------------------------------
t_free_port R_PORT	# unbound's
cat >"$T_TMP/unbound.conf" <<EOF
server:
	interface: 127.0.0.1
	port: $R_PORT
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	access-control: 127.0.0.0/8 allow
	username: ""
	chroot: ""
	directory: "$T_TMP"
	pidfile: "$T_TMP/unbound.pid"
	use-syslog: no
	logfile: "$T_TMP/unbound.log"
	log-time-ascii: yes
	verbosity: 1
	val-log-level: 2
	num-threads: 1
	module-config: "subnetcache validator iterator"
	send-client-subnet: 127.0.0.1
	harden-dnssec-stripped: yes
	qname-minimisation: no
	target-fetch-policy: "0 0 0 0 0"
	do-not-query-localhost: no
	cache-max-ttl: 0
	cache-max-negative-ttl: 0
	aggressive-nsec: no
	trust-anchor: "example.com. IN DS $DS"
stub-zone:
	name: "example.com"
	stub-addr: 127.0.0.1@$T_PORT
EOF
if ! out=$(unbound-checkconf "$T_TMP/unbound.conf" 2>&1); then
	fail "unbound-checkconf: $out"
	t_done
fi
t_bg unbound.stderr unbound -d -c "$T_TMP/unbound.conf"
# unbound_up: true once unbound answers at all (a validation failure is
# the checks' business, not start-up's)
unbound_up() { dig @127.0.0.1 -p "$R_PORT" +time=1 +tries=1 example.com SOA 2>&1 | grep -q 'status: '; }
if wait_until 10 unbound_up; then
	ok "unbound answers on 127.0.0.1:$R_PORT (after $T_WAITED s)"
else
	fail "unbound did not start; its log:"
	cat "$T_TMP/unbound.log" "$T_TMP/unbound.stderr.log" 2>/dev/null | sed 's/^/    | /'
	t_done
fi

# r NAME TYPE [DIG-ARGS...]: ask unbound (RD, DO); the output lands in $T_OUT
r() {
	local name=$1 type=$2
	shift 2
	[ "$name" = @ ] && name=example.com || name=$name.example.com
	T_CMD="dig @127.0.0.1 -p $R_PORT +dnssec +time=5 +tries=1 $name $type $*"
	T_OUT=$(dig @127.0.0.1 -p "$R_PORT" +dnssec +time=5 +tries=1 "$name" "$type" "$@" 2>&1)
}
# v NAME TYPE RCODE CHECKS...: ask unbound ($V_ARGS: more dig arguments);
# the answer must be validated (AD) with RCODE, and pass CHECKS (lib.sh
# expect).  $PHASE prefixes the description.
PHASE=
v() {
	local name=$1 type=$2 rcode=$3
	shift 3
	# shellcheck disable=SC2086	# V_ARGS: words
	r "$name" "$type" ${V_ARGS:-}
	expect "${PHASE}unbound: $name $type${V_ARGS:+ $V_ARGS} -> $rcode, AD" rcode="$rcode" +ad +ra "$@"
}
# positive answers are signed by the ZSK; denials carry the NSEC proof
SIG="answer~ IN RRSIG [A-Z0-9]+ 13 [0-9]+ [0-9]+ [0-9]+ [0-9]+ $ZSK_TAG example\.com\. "
NSEC='auth~ IN NSEC '
NODATA=(an=0 "$NSEC")

# --- A: every name of the zone ----------------------------------------------
v @ SOA NOERROR "$SIG" 'answer~ IN SOA ns1\.example\.com\. hostmaster\.example\.com\. 2026112401 '
v @ NS NOERROR "$SIG" 'answer~ IN NS ns1\.example\.com\.$' 'answer~ IN NS ns2\.example\.com\.$'
v @ MX NOERROR "$SIG" 'answer~ IN MX 10 mail\.example\.com\.$'
v @ TXT NOERROR "$SIG" 'answer~ IN TXT "v=spf1 -all"$'
v @ CAA NOERROR "$SIG" 'answer~ IN CAA 0 issue "letsencrypt\.org"$'
v @ DNSKEY NOERROR 'answer~ IN DNSKEY 257 3 13 ' 'answer~ IN DNSKEY 256 3 13 ' 'answer~ IN RRSIG DNSKEY 13 '
v @ AAAA NOERROR "${NODATA[@]}"
v ns1 A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.53$'
v ns1 AAAA NOERROR "$SIG" 'answer~ IN AAAA 2001:db8::53$'
v ns2 A NOERROR "$SIG" 'answer~ IN A 198\.51\.100\.53$'
v ns2 AAAA NOERROR "${NODATA[@]}"
v mail A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.25$'
v mail AAAA NOERROR "$SIG" 'answer~ IN AAAA 2001:db8::25$'
v mail MX NOERROR "${NODATA[@]}"
v docs A NOERROR types=CNAME,RRSIG,A,A,RRSIG 'answer~ IN CNAME www\.example\.com\.$' 'answer~ IN A 192\.0\.2\.10$'
v help A NOERROR 'answer~ IN CNAME manual\.example\.com\.$' 'answer~ IN CNAME www2\.example\.com\.$' \
	'answer~ IN A 192\.0\.2\.80$'
v help AAAA NOERROR 'answer~ IN AAAA 2001:db8::80$'
v manual CNAME NOERROR "$SIG" 'answer~ IN CNAME www2\.example\.com\.$'
v www2 A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.80$'
v www2 AAAA NOERROR "$SIG" 'answer~ IN AAAA 2001:db8::80$'
v www2 TXT NOERROR "${NODATA[@]}"
v elsewhere CNAME NOERROR "$SIG" 'answer~ IN CNAME www\.example\.net\.$'	# not followed: CNAME asked
v _sip._tcp SRV NOERROR "$SIG" 'answer~ IN SRV 10 5 5060 sip\.example\.com\.$'
v _tcp TXT NOERROR "${NODATA[@]}"	# empty non-terminal
v sip A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.60$'
v exact.dev A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.98$'
v exact.dev TXT NOERROR "${NODATA[@]}"
v foo.dev A NOERROR 'answer~ IN A 192\.0\.2\.99$' 'answer~ IN RRSIG A 13 3 ' "$NSEC"	# labels 3: a wildcard expansion
v foo.dev TXT NOERROR 'answer~ IN TXT "wildcard"$' 'answer~ IN RRSIG TXT 13 3 '
v a.b.dev A NOERROR 'answer~ IN A 192\.0\.2\.99$' 'answer~ IN RRSIG A 13 3 ' "$NSEC"
v foo.dev AAAA NOERROR "${NODATA[@]}"	# wildcard NODATA
v dev A NOERROR "${NODATA[@]}"	# empty non-terminal above the wildcard
v x.exact.dev A NXDOMAIN "$NSEC"	# *.dev does not cover it
v a.b.deep TXT NOERROR "$SIG" 'answer~ IN TXT "two empty non-terminals above me"$'
v a.b.deep A NOERROR "${NODATA[@]}"
v b.deep TXT NOERROR "${NODATA[@]}"	# empty non-terminals
v deep A NOERROR "${NODATA[@]}"
v x.b.deep A NXDOMAIN "$NSEC"
v lab DS NOERROR "$SIG" 'answer~ IN DS 12345 13 2 '
v v6only AAAA NOERROR "$SIG" 'answer~ IN AAAA 2001:db8::6$'
v v6only A NOERROR "${NODATA[@]}"
v info TXT NOERROR "$SIG" 'answer~ IN TXT "first string" "second string"$' 'answer~ IN TXT "another record"$'
v pointer PTR NOERROR "$SIG" 'answer~ IN PTR mail\.example\.com\.$'
v opaque TYPE65280 NOERROR "$SIG" 'answer~ IN TYPE65280 \\# 4 0A000001$'
v nope A NXDOMAIN "$NSEC" 'auth~ IN SOA '
v 0 A NXDOMAIN "$NSEC"	# before the first owner after the apex
v zzz TXT NXDOMAIN "$NSEC"	# after the last owner: the NSEC wrapping to the apex
v sub.www A NXDOMAIN "$NSEC"	# below a geo name
# geo names, unlocated client (no GeoIP: the regions' order)
v www A NOERROR "$SIG" types=A,A,RRSIG 'answer~ IN A 192\.0\.2\.10$' 'answer~ IN A 192\.0\.2\.11$'
v www AAAA NOERROR "$SIG" types=AAAA,RRSIG 'answer~ IN AAAA 2001:db8:10::10$'
v www TXT NOERROR "${NODATA[@]}"
v api A NOERROR "$SIG" types=A,RRSIG 'answer~ IN A 198\.51\.100\.10$'
v api AAAA NOERROR "$SIG" types=AAAA,RRSIG 'answer~ IN AAAA 2001:db8:20::10$'
v api MX NOERROR "${NODATA[@]}"
# geo names for located clients: unbound passes their ECS on
V_ARGS=+subnet=$DE
v www A NOERROR "$SIG" types=A,RRSIG 'answer~ IN A 198\.51\.100\.20$'	# eu-central, nearest in eu
v www AAAA NOERROR "$SIG" types=AAAA,RRSIG 'answer~ IN AAAA 2001:db8:20::10$'	# eu-west: eu-central has none
v api A NOERROR "$SIG" types=A,RRSIG 'answer~ IN A 198\.51\.100\.20$'
V_ARGS=+subnet=$SG
v www A NOERROR "$SIG" types=A,RRSIG 'answer~ IN A 203\.0\.113\.10$'
# strict asia: ap-southeast has no IPv6, so NODATA; the NSEC lists A, not AAAA
v www AAAA NOERROR "${NODATA[@]}" 'auth~^www\.example\.com\. [0-9]+ IN NSEC www2\.example\.com\. A RRSIG NSEC$'
V_ARGS=

# delv validates on its own, asking dnsd directly, with the DS as a
# static-ds anchor at example.com
# shellcheck disable=SC2086	# the four DS fields
set -- $DS
printf 'trust-anchors { example.com. static-ds %s %s %s "%s"; };\n' "$@" >"$T_TMP/anchor.conf"
# dv NAME TYPE positive|nxdomain|nodata [REGEX]: delv must say fully validated
dv() {
	local name=$1.example.com want
	T_OUT=$(timeout 10 delv -a "$T_TMP/anchor.conf" +root=example.com @127.0.0.1 -p "$T_PORT" "$name" "$2" 2>&1)
	case $3 in
	positive) want='^; fully validated$' ;;
	nxdomain) want='ncache nxdomain' ;;
	nodata) want='ncache nxrrset' ;;
	esac
	if grep -q "$want" <<<"$T_OUT" && { [ "$3" = positive ] || grep -q '^; negative response, fully validated$' <<<"$T_OUT"; } &&
		{ [ -z "${4:-}" ] || grep -Eq -- "$4" <<<"$T_OUT"; }; then
		ok "delv: $1 $2 $3, fully validated"
	else
		fail "delv: $1 $2 not a validated $3${4:+ with /$4/}"
		sed 's/^/    | /' <<<"$T_OUT"
	fi
}
dv www A positive 'IN	A	192\.0\.2\.10$'
dv api AAAA positive 'IN	AAAA	2001:db8:20::10$'
dv mail MX nodata
dv docs A positive 'IN	CNAME	www\.example\.com\.$'
dv help AAAA positive 'IN	AAAA	2001:db8::80$'
dv _sip._tcp SRV positive
dv foo.dev TXT positive 'IN	TXT	"wildcard"$'
dv foo.dev AAAA nodata
dv deep A nodata
dv x.exact.dev A nxdomain
dv nope A nxdomain
dv zzz A nxdomain
dv lab DS positive
dv v6only A nodata
dv www TXT nodata

# --- B: failover --------------------------------------------------------------
# force REGION STATE: through the control API
force() {
	local code
	code=$(curl -s -o "$T_TMP/force.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
		-d "{\"state\": \"$2\"}" "http://127.0.0.1:$T_CONTROL_PORT/v1/regions/$1/state")
	[ "$code" = 200 ] || fail "force $1 $2: HTTP $code $(cat "$T_TMP/force.out")"
}
# answers NAME TYPE WANT [DIG-ARGS...]: true when unbound answers the
# addresses WANT (sorted, comma-joined)
answers() {
	local name=$1 type=$2 want=$3
	shift 3
	r "$name" "$type" "$@"
	[ "$(t_rdata "$type" | tr , '\n' | sort | paste -sd, -)" = "$want" ]
}
# moves DESC NAME TYPE WANT [DIG-ARGS...]: wait until unbound's answer is
# WANT (its cache holds nothing past the second), then it must be validated
moves() {
	local desc=$1 name=$2 type=$3 want=$4
	shift 4
	if wait_until 10 answers "$name" "$type" "$want" "$@"; then
		ok "$desc: unbound answers $name $type${1:+ $*} $want after $T_WAITED s"
	else
		fail "$desc: unbound answers $name $type${1:+ $*} '$(t_rdata "$type")', want $want"
	fi
	expect "$desc: $name $type${1:+ $*} validated" rcode=NOERROR +ad "$SIG"
}
force us-east down
moves "us-east down" www A 198.51.100.10	# the unlocated client's next region: eu-west
moves "us-east down" www AAAA 2001:db8:20::10
moves "us-east down" docs A 198.51.100.10	# through the CNAME
force eu-central down
moves "eu-central down" www A 198.51.100.10 +subnet=$DE	# DE: the other eu region
force eu-west down
moves "us-east, eu-west, eu-central down" www A 203.0.113.10	# the last region up
moves "every eu region down" www A 198.51.100.20 +subnet=$DE	# strict pin, all_down serve-all: still eu
force ap-southeast down
moves "every region down" www A 192.0.2.10,192.0.2.11	# all_down serve-all: the first region
moves "every region down" www A 203.0.113.10 +subnet=$SG
V_ARGS=+subnet=$SG PHASE="every region down: "
v www AAAA NOERROR "${NODATA[@]}" 'auth~^www\.example\.com\. [0-9]+ IN NSEC www2\.example\.com\. A RRSIG NSEC$'
V_ARGS='' PHASE=''
force eu-west auto
moves "eu-west back" www A 198.51.100.10
moves "eu-west back" www A 198.51.100.10 +subnet=$DE
for region in us-east eu-central ap-southeast; do force $region auto; done
moves "every region back" www A 192.0.2.10,192.0.2.11
moves "every region back" www A 198.51.100.20 +subnet=$DE

# --- C: ZSK rollover by reload ---------------------------------------------------
# reload: POST /v1/reload must say ok
reload() {
	local code
	code=$(curl -s -o "$T_TMP/reload.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$T_CONTROL_PORT/v1/reload")
	if [ "$code" = 200 ] && grep -q '"result": *"ok"' "$T_TMP/reload.out"; then
		ok "$1: POST /v1/reload ok"
	else
		fail "$1: POST /v1/reload: HTTP $code $(cat "$T_TMP/reload.out")"
	fi
}
# dnskeys: the key tags dnsd serves, sorted, comma-joined
dnskeys() {
	dig @127.0.0.1 -p "$T_PORT" +norec +multi +time=2 +tries=1 example.com DNSKEY |
		sed -n 's/.*; key id = \([0-9]*\)$/\1/p' | sort -n | paste -sd, -
}
tags() { printf '%s\n' "$@" | sort -n | paste -sd, -; }
# serves_keys TAG...: true when dnsd's DNSKEY RRset has those tags
serves_keys() { [ "$(dnskeys)" = "$(tags "$@")" ]; }
# signed_by TAG NAME TYPE [DIG-ARGS...]: true when unbound's answer carries an RRSIG by TAG
signed_by() {
	local tag=$1
	shift
	r "$@"
	t_section ANSWER | grep -Eq " IN RRSIG [A-Z0-9]+ 13 [0-9]+ [0-9]+ [0-9]+ [0-9]+ $tag example\.com\. "
}
KSK_TAG=$(tag "$KSK")
# rollover STEP KEYS... [-- PUBLISHED...]: the zone signed with KEYS, reloaded
rollover() {
	local step=$1 want=() k
	shift
	set_keys "$ZONE" "$ZONE" "$@"
	reload "$step"
	for k in "$@"; do [ "$k" != -- ] && want+=("$(tag "$k")"); done
	if wait_until 10 serves_keys "${want[@]}"; then
		ok "$step: dnsd serves DNSKEY $(tags "${want[@]}") after $T_WAITED s"
	else
		fail "$step: dnsd serves DNSKEY $(dnskeys), want $(tags "${want[@]}")"
	fi
}

# 1: the new ZSK published, not signing; unbound sees three keys
rollover "ZSK $ZSK2_TAG published" "$KSK" "$ZSK" -- "$ZSK2"
dnskey_count() { r @ DNSKEY; [ "$(t_section ANSWER | awk '$4 == "DNSKEY"' | wc -l)" = "$1" ]; }
wait_until 5 dnskey_count 3
expect "ZSK $ZSK2_TAG published: unbound validates the three DNSKEYs" rcode=NOERROR +ad \
	types=DNSKEY,DNSKEY,DNSKEY,RRSIG "answer~ IN RRSIG DNSKEY 13 2 [0-9]+ [0-9]+ [0-9]+ $KSK_TAG example\.com\. "
PHASE="ZSK $ZSK2_TAG published: "
v www A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.10$'

# 2: the new ZSK signs, the old one stays published
rollover "ZSK $ZSK2_TAG signs" "$KSK" "$ZSK2" -- "$ZSK"
if wait_until 5 signed_by "$ZSK2_TAG" www A; then
	ok "ZSK $ZSK2_TAG signs: unbound's www A carries its RRSIG after $T_WAITED s"
else
	fail "ZSK $ZSK2_TAG signs: unbound's www A still signed by another key"
	sed 's/^/    | /' <<<"$T_OUT"
fi
PHASE="ZSK $ZSK2_TAG signs: "
SIG="answer~ IN RRSIG [A-Z0-9]+ 13 [0-9]+ [0-9]+ [0-9]+ [0-9]+ $ZSK2_TAG example\.com\. "
NSEC2="auth~ IN RRSIG NSEC 13 [0-9]+ [0-9]+ [0-9]+ [0-9]+ $ZSK2_TAG example\.com\. "
v www A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.10$'
v mail A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.25$'
v nope A NXDOMAIN "$NSEC2"
v foo.dev A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.99$'

# 3: the old ZSK gone: KSK and new ZSK only
rollover "ZSK $ZSK_TAG retired" "$KSK" "$ZSK2"
wait_until 5 dnskey_count 2
expect "ZSK $ZSK_TAG retired: unbound validates the two DNSKEYs" rcode=NOERROR +ad types=DNSKEY,DNSKEY,RRSIG
PHASE="ZSK $ZSK_TAG retired: "
v www A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.10$'
v www AAAA NOERROR "$SIG" 'answer~ IN AAAA 2001:db8:10::10$'
v mail A NOERROR "$SIG" 'answer~ IN A 192\.0\.2\.25$'
v nope A NXDOMAIN "$NSEC2"
v deep A NOERROR an=0 "$NSEC2"
V_ARGS=+subnet=$DE
v www A NOERROR "$SIG" 'answer~ IN A 198\.51\.100\.20$'
V_ARGS=+subnet=$SG
v www AAAA NOERROR an=0 "$NSEC2"
V_ARGS=
dv www A positive "RRSIG	A 13 3 30 [0-9]+ [0-9]+ $ZSK2_TAG example\\.com\\. "
dv nope A nxdomain

# val-log-level 2 logs every answer unbound found bogus
bogus=$(grep -h 'validation failure\|failed to prime' "$T_TMP/unbound.log" "$T_TMP/unbound.stderr.log" 2>/dev/null)
if [ -z "$bogus" ]; then
	ok "unbound logged no validation failure"
else
	fail "unbound logged $(wc -l <<<"$bogus") validation failures"
	tail -n 20 <<<"$bogus" | sed 's/^/    | /'
fi
t_done

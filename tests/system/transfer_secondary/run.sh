#!/usr/bin/env bash
# A real secondary: NSD transfers example.com from dnsd with TSIG, serves
# it, and after a reload with a new serial gets dnsd's NOTIFY and
# transfers again within 5 s.  What was transferred passes Knot's
# kzonecheck; clients without the key, with an unknown key, with a wrong
# secret or from outside "allow" get no zone (xfr_check.py).
# docs/transfer.md says what each answer is.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

NSD=/usr/sbin/nsd
t_need "$NSD" nsd
t_need nsd-checkconf nsd
t_need kzonecheck knot-dnssecutils
SECRET=$(head -c 32 /dev/urandom | base64)
KEY=xfr-key.example.
SERIAL1=2026120201
SERIAL2=2026120202
t_free_port NSD_PORT
mkdir -p "$T_TMP/gen" "$T_TMP/nsd"

# the zone: example.json with a transfer block; www (governed by two
# strict pins) excluded, api (eu only) transferred with its eu view
"$T_PY" - "$DNSD_SRC/zones/example.json" "$T_TMP/gen/example.json" "$NSD_PORT" "$KEY" "$SERIAL1" <<'PY' || exit 1
import json, sys
src, dst, nsd_port, key, serial = sys.argv[1:]
z = json.load(open(src))
z["soa"]["serial"] = int(serial)
z["transfer"] = {"allow": ["127.0.0.1/32"], "tsig": key, "notify": ["127.0.0.1:%s" % nsd_port]}
z["geo"]["www"]["transfer"] = "exclude"
json.dump(z, open(dst, "w"), indent=1)
# a zone of many messages (about 16 KiB each), each signed in turn
big = {"origin": "big.example.", "ttl": 300,
       "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1},
       "records": {"@": {"NS": ["ns1"]}, "ns1": {"A": ["192.0.2.1"]}},
       "transfer": {"allow": ["127.0.0.1/32"], "tsig": key}}
for i in range(3000):
	big["records"]["h%04d" % i] = {"A": ["10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)]}
json.dump(big, open(dst.replace("example.json", "big.example.json"), "w"))
PY
T_EXTRA="\"tsig\": {\"$KEY\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"$SECRET\"}}"
t_config "$T_TMP/gen/example.json" "$T_TMP/gen/big.example.json"

"$T_PY" - "$T_TMP/nsd/nsd.conf" "$T_TMP/nsd" "$NSD_PORT" "$T_PORT" "$KEY" "$SECRET" <<'PY' || exit 1
import sys
path, d, port, primary, key, secret = sys.argv[1:]
open(path, "w").write("""server:
	ip-address: 127.0.0.1@{port}
	port: {port}
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "{d}"
	pidfile: "{d}/nsd.pid"
	database: ""
	zonelistfile: "{d}/zone.list"
	xfrdfile: "{d}/xfrd.state"
	xfrdir: "{d}"
	logfile: "{d}/nsd.log"
	verbosity: 2
remote-control:
	control-enable: no
key:
	name: "{key}"
	algorithm: hmac-sha256
	secret: "{secret}"
zone:
	name: "example.com."
	zonefile: "example.com.zone"
	request-xfr: 127.0.0.1@{primary} {key}
	allow-notify: 127.0.0.1 {key}
zone:
	name: "big.example."
	zonefile: "big.example.zone"
	request-xfr: 127.0.0.1@{primary} {key}
""".format(d=d, port=port, primary=primary, key=key, secret=secret))
PY
if ! nsd-checkconf "$T_TMP/nsd/nsd.conf"; then
	fail "nsd-checkconf refused the generated nsd.conf"
	
# the counters say the same (README "Control API")
metrics=$(curl -s "127.0.0.1:$T_CONTROL_PORT/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$metrics"; }
[ "$(metric 'dnsd_transfers_total{result="served"}')" -ge 3 ] 2>/dev/null &&
	ok "dnsd_transfers_total counts the served transfers ($(metric 'dnsd_transfers_total{result="served"}'))" ||
	fail "dnsd_transfers_total{result=\"served\"} is '$(metric 'dnsd_transfers_total{result="served"}')'"
[ "$(metric 'dnsd_transfers_total{result="refused"}')" -ge 3 ] 2>/dev/null &&
	ok "dnsd_transfers_total counts the refusals" || fail "refusals not counted"
[ "$(metric 'dnsd_tsig_errors_total{error="BADKEY"}')" -ge 2 ] 2>/dev/null &&
	[ "$(metric 'dnsd_tsig_errors_total{error="BADSIG"}')" -ge 1 ] 2>/dev/null &&
	ok "dnsd_tsig_errors_total counts BADKEY and BADSIG" || fail "TSIG errors not counted"
[ "$(metric 'dnsd_notify_total{result="ok"}')" -ge 2 ] 2>/dev/null &&
	ok "dnsd_notify_total counts the answered NOTIFYs" || fail "answered NOTIFYs not counted: '$(metric 'dnsd_notify_total{result="ok"}')'"
t_done
fi

t_start example.com.
t_bg nsd "$NSD" -d -c "$T_TMP/nsd/nsd.conf"

nsd_serial() { dig @127.0.0.1 -p "$NSD_PORT" +norec +time=1 +tries=1 +short example.com SOA | awk '{print $3}'; }
nsd_has() { [ "$(nsd_serial)" = "$1" ]; }
if wait_until 15 nsd_has "$SERIAL1"; then
	ok "NSD transferred serial $SERIAL1 from dnsd with TSIG (${T_WAITED}s)"
else
	fail "NSD never served serial $SERIAL1 (has '$(nsd_serial)')"
	tail -30 "$T_TMP/nsd/nsd.log" "$T_LOG" 2>/dev/null | sed 's/^/    | /'
	
# the counters say the same (README "Control API")
metrics=$(curl -s "127.0.0.1:$T_CONTROL_PORT/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$metrics"; }
[ "$(metric 'dnsd_transfers_total{result="served"}')" -ge 3 ] 2>/dev/null &&
	ok "dnsd_transfers_total counts the served transfers ($(metric 'dnsd_transfers_total{result="served"}'))" ||
	fail "dnsd_transfers_total{result=\"served\"} is '$(metric 'dnsd_transfers_total{result="served"}')'"
[ "$(metric 'dnsd_transfers_total{result="refused"}')" -ge 3 ] 2>/dev/null &&
	ok "dnsd_transfers_total counts the refusals" || fail "refusals not counted"
[ "$(metric 'dnsd_tsig_errors_total{error="BADKEY"}')" -ge 2 ] 2>/dev/null &&
	[ "$(metric 'dnsd_tsig_errors_total{error="BADSIG"}')" -ge 1 ] 2>/dev/null &&
	ok "dnsd_tsig_errors_total counts BADKEY and BADSIG" || fail "TSIG errors not counted"
[ "$(metric 'dnsd_notify_total{result="ok"}')" -ge 2 ] 2>/dev/null &&
	ok "dnsd_notify_total counts the answered NOTIFYs" || fail "answered NOTIFYs not counted: '$(metric 'dnsd_notify_total{result="ok"}')'"
t_done
fi

# what was transferred is a valid zone: dnsd's AXFR with the key, checked
# by Knot's zone checker
# (dig checks every message's MAC; its TSIG lines are not zone data)
dig @127.0.0.1 -p "$T_PORT" -y "hmac-sha256:$KEY:$SECRET" example.com AXFR +nocmd +nostats \
	>"$T_TMP/axfr.out" 2>&1
awk '$4 != "TSIG"' "$T_TMP/axfr.out" >"$T_TMP/axfr.zone"
if grep -qi "Transfer failed\|verify\|BADSIG\|BADKEY" "$T_TMP/axfr.out" || ! grep -q "TSIG" "$T_TMP/axfr.out"; then
	fail "dig's signed AXFR failed"
	sed 's/^/    | /' "$T_TMP/axfr.out" | head -5
elif kzonecheck -o example.com. "$T_TMP/axfr.zone" >"$T_TMP/kzonecheck.out" 2>&1; then
	ok "kzonecheck accepts dnsd's AXFR ($(grep -vc '^;' "$T_TMP/axfr.zone") lines)"
else
	fail "kzonecheck refused dnsd's AXFR"
	sed 's/^/    | /' "$T_TMP/kzonecheck.out" | head -20
fi

big_ok() { [ "$(dig @127.0.0.1 -p "$NSD_PORT" +short +time=1 +tries=1 h2999.big.example A)" = 10.0.11.183 ]; }
if wait_until 15 big_ok; then
	ok "NSD transferred big.example (3,000 names, many signed messages) and answers its last name"
else
	fail "NSD does not answer h2999.big.example from its transfer"
fi

t_absorb < <("$T_PY" xfr_check.py "$T_PORT" "$NSD_PORT" "$KEY" "$SECRET" "$SERIAL1" "$T_CONTROL_PORT" test-token 2>&1)

# a reload with a new serial: NOTIFY, then NSD transfers again within 5 s
sed -i "s/$SERIAL1/$SERIAL2/" "$T_TMP/example.json"
kill -HUP "$DNSD_PID"
if wait_until 5 nsd_has "$SERIAL2"; then
	ok "after the reload NSD serves serial $SERIAL2 within 5 s (reload to transferred: ${T_WAITED}s)"
else
	fail "NSD did not get serial $SERIAL2 within 5 s of the reload (has '$(nsd_serial)')"
	tail -10 "$T_TMP/nsd/nsd.log" | sed 's/^/    | /'
fi
if grep -q "event=notify zone=example.com. serial=$SERIAL2 to=127.0.0.1:$NSD_PORT result=ok" "$T_LOG"; then
	ok "dnsd logged the NOTIFY of $SERIAL2 as answered"
else
	fail "no answered NOTIFY for $SERIAL2 in dnsd's log"
fi

# the counters say the same (README "Control API")
metrics=$(curl -s "127.0.0.1:$T_CONTROL_PORT/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$metrics"; }
[ "$(metric 'dnsd_transfers_total{result="served"}')" -ge 3 ] 2>/dev/null &&
	ok "dnsd_transfers_total counts the served transfers ($(metric 'dnsd_transfers_total{result="served"}'))" ||
	fail "dnsd_transfers_total{result=\"served\"} is '$(metric 'dnsd_transfers_total{result="served"}')'"
[ "$(metric 'dnsd_transfers_total{result="refused"}')" -ge 3 ] 2>/dev/null &&
	ok "dnsd_transfers_total counts the refusals" || fail "refusals not counted"
[ "$(metric 'dnsd_tsig_errors_total{error="BADKEY"}')" -ge 2 ] 2>/dev/null &&
	[ "$(metric 'dnsd_tsig_errors_total{error="BADSIG"}')" -ge 1 ] 2>/dev/null &&
	ok "dnsd_tsig_errors_total counts BADKEY and BADSIG" || fail "TSIG errors not counted"
[ "$(metric 'dnsd_notify_total{result="ok"}')" -ge 2 ] 2>/dev/null &&
	ok "dnsd_notify_total counts the answered NOTIFYs" || fail "answered NOTIFYs not counted: '$(metric 'dnsd_notify_total{result="ok"}')'"
t_done

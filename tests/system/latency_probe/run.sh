#!/usr/bin/env bash
# Latency routing (docs/routing.md) against a running dnsd
# with the health tests' backends (hc_lib.sh: us-east 127.0.0.2, eu-west
# .3, eu-central .4, ap-southeast .5; clients 10.40/16 US, 10.20/16 DE in
# the strict eu pin) and "latency": {"max_age": 6}:
#   - reports making a far region fastest for a subnet move its answer,
#     with the ECS scope docs/routing.md describes (extended past more specific
#     reports; a miss next to a report gets the shortest clean prefix);
#   - a strict pin still wins over latency (latency ranks inside it);
#   - reports expire and routing falls back to distance;
#   - a bad batch gets 400 naming every bad item and changes nothing;
#   - tools/dnsd-probe measures loopback listeners, posts (one dead dnsd
#     URL among the live one) and the answer follows its lowest RTT.
set -u
cd "$(dirname "$0")"
. ../lib.sh
. ../hc_lib.sh

US=10.40.1.0/24
DE=10.20.1.0/24
# long enough that a loaded machine's slow checks stay well inside it
MAX_AGE=6
HC_EXTRA="\"latency\": {\"max_age\": $MAX_AGE}"
PROBE=$DNSD_BUILD/tools/dnsd-probe

addr_of() {
	case $1 in
	us-east) echo 127.0.0.2 ;; eu-west) echo 127.0.0.3 ;;
	eu-central) echo 127.0.0.4 ;; ap-southeast) echo 127.0.0.5 ;;
	esac
}

# rep PREFIX REGION RTT: one report object.
rep() { printf '{"prefix": "%s", "region": "%s", "rtt_ms": %s}' "$1" "$2" "$3"; }
# lat_post REPORT...: POST /v1/latency with these reports; HC_CODE, HC_BODY.
lat_post() {
	local IFS=,
	hc_api POST /v1/latency "{\"reports\": [$*]}" "$HC_TOKEN"
}
# lat_scope SUBNET: the ECS scope of www A for SUBNET.
lat_scope() {
	q www.example.com A +subnet="$1"
	t_ecs | awk -F/ '{print $3}'
}
# lat_explain SUBNET: the explanation's region strings, one per line.
lat_explain() {
	dig @127.0.0.1 -p "$T_PORT" +norec +time=1 +tries=1 +short +subnet="$1" www.example.com CH TXT 2>/dev/null |
		grep -o '"region=[^"]*"' | tr -d '"'
}
# lat_rank1 SUBNET: the region the explanation ranks first.
lat_rank1() { lat_explain "$1" | awk '/ rank=1( |$)/ {sub(/^region=/, "", $1); print $1}'; }
# expect_eq DESC GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi
}

if [ ! -x "$PROBE" ]; then
	echo "FAIL tools/dnsd-probe not built at $PROBE"
	exit 1
fi

hc_setup
t_start example.com.
hc_wait $US 127.0.0.2 3 && ok "US client -> us-east by distance" || fail "US client: $HC_ELAPSED"
hc_wait $DE 127.0.0.4 3 && ok "DE client -> eu-central by distance" || fail "DE client: $HC_ELAPSED"

hc_api POST /v1/latency '{"reports": []}' "$HC_TOKEN"
hc_expect_api "an empty batch: 200" 200

# --- a far region made fastest, and the scope -----------------------------
lat_post "$(rep $US ap-southeast 5)" "$(rep $US us-east 80)"
hc_expect_api "reports for $US: 200" 200
hc_wait $US 127.0.0.5 2 && ok "US subnet -> ap-southeast by latency in $HC_ELAPSED s" ||
	fail "US subnet did not move to ap-southeast: $HC_ELAPSED"
expect_eq "scope 24: the reported /24 is longer than the networks /16" "$(lat_scope $US)" 24
expect_eq "a subnet beside the report stays on us-east" "$(hc_answer 10.40.2.0/24)" 127.0.0.2
expect_eq "... with scope 23, the shortest prefix holding no report" "$(lat_scope 10.40.2.0/24)" 23
expl=$(lat_explain $US)
grep -q '^region=ap-southeast .*rank=1 rtt_ms=5\(\.0*\)\?$' <<<"$expl" &&
	grep -q '^region=us-east .*rank=2 rtt_ms=80\(\.0*\)\?$' <<<"$expl" &&
	grep -q '^region=eu-west .*rank=3 distance_km=' <<<"$expl" &&
	ok "explanation: RTTs rank first, the rest by distance" || fail "explanation: $expl"

# a more specific report inside the /24 extends the /24's scope
lat_post "$(rep $US ap-southeast 5)" "$(rep $US us-east 80)" "$(rep 10.40.1.128/25 eu-west 3)"
posted=$(date +%s.%N)	# the reports' age counts from here
hc_expect_api "reports for $US and 10.40.1.128/25: 200" 200
hc_wait 10.40.1.128/25 127.0.0.3 2 && ok "10.40.1.128/25 -> eu-west, its own report" ||
	fail "10.40.1.128/25: $HC_ELAPSED"
expect_eq "... with scope 25" "$(lat_scope 10.40.1.128/25)" 25
expect_eq "$US still -> ap-southeast" "$(hc_answer $US)" 127.0.0.5
expect_eq "... its scope extended to 25 past the /25 inside it" "$(lat_scope $US)" 25

# --- expiry ----------------------------------------------------------------
# Not a wait for a state: time passes on purpose, to half of max_age after
# the reports were posted (not after the checks above, which a loaded
# machine makes slow), and the reports must still count.
half=$(awk -v p="$posted" -v m="$MAX_AGE" -v now="$(date +%s.%N)" 'BEGIN { d = p + m / 2 - now; print (d > 0 ? d : 0) }')
sleep "$half"
expect_eq "half of max_age after the reports, still ap-southeast" "$(hc_answer $US)" 127.0.0.5
hc_wait $US 127.0.0.2 $((MAX_AGE + 1)) && ok "reports expired: US subnet back to us-east by distance" ||
	fail "US subnet after expiry: $HC_ELAPSED"
expect_eq "and 10.40.1.128/25 too" "$(hc_answer 10.40.1.128/25)" 127.0.0.2
lat_explain $US | grep -q 'rtt_ms=' && fail "explanation still shows RTTs: $(lat_explain $US)" ||
	ok "explanation back to distance_km only"

# --- a strict pin still wins ----------------------------------------------------
lat_post "$(rep $DE us-east 1)" "$(rep $DE ap-southeast 2)" "$(rep $DE eu-west 40)" "$(rep $DE eu-central 50)"
hc_expect_api "reports for $DE: 200" 200
hc_wait $DE 127.0.0.3 2 && ok "DE subnet -> eu-west: latency ranks inside the pin" ||
	fail "DE subnet: $HC_ELAPSED"
expl=$(lat_explain $DE)
grep -q 'region=us-east\|region=ap-southeast' <<<"$expl" && fail "explanation lists regions outside the pin: $expl" ||
	ok "us-east and ap-southeast (1 and 2 ms) are not even candidates"
for _ in 1 2 3 4 5; do
	got=$(hc_answer $DE)
	[ "$got" = 127.0.0.3 ] || break
done
expect_eq "five more DE queries, all eu-west" "$got" 127.0.0.3

# --- bad reports change nothing ----------------------------------------------------
B=10.40.3.0/24
lat_post "$(rep $B ap-southeast 1)" "$(rep $B mars 1)" "$(rep 10.40.3.0/33 ap-southeast 1)" \
	"$(rep 10.40.3.1/24 ap-southeast 1)" "$(rep $B ap-southeast -5)" "$(rep not-an-ip ap-southeast 1)" \
	'{"prefix": "10.40.3.0/24", "region": "ap-southeast", "rtt_ms": "fast"}'
if [ "$HC_CODE" = 400 ] && "$T_PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert isinstance(d.get("error"), str) and d["error"], "no error string"
bad = {b["index"]: b["reason"] for b in d["bad"]}
assert sorted(bad) == [1, 2, 3, 4, 5, 6], "indexes %s" % sorted(bad)
assert all(isinstance(r, str) and r for r in bad.values()), "empty reason"
assert "region" in bad[1], bad[1]
' "$HC_BODY"; then
	ok "bad batch: 400 naming items 1-6 and why"
else
	fail "bad batch: HTTP $HC_CODE $HC_BODY"
fi
hc_api POST /v1/latency '{"reports": {}}' "$HC_TOKEN"
hc_expect_api "reports not a list: 400" 400 '"error"'
hc_api POST /v1/latency "{\"reports\": [$(rep $B ap-southeast 1)]}" ""
hc_expect_api "no token: 401" 401
hc_api POST /v1/latency "{\"reports\": [$(rep $B ap-southeast 1)]}" wrong-token
hc_expect_api "wrong token: 403" 403
# Reports are published once a second, in order: a good report posted after
# all that, once it shows in answers, proves that any of the refused ones
# would show by now too.  10.99/16 is unlocated (regions order: us-east
# first) and far from 10.40/16, so it changes no scope asked about below.
S=10.99.1.0/24
lat_post "$(rep $S ap-southeast 1)"
hc_expect_api "a good report after them (10.99.1.0/24): 200" 200
hc_wait $S 127.0.0.5 3 && ok "... published: $S -> ap-southeast in $HC_ELAPSED s" ||
	fail "the good report after the refused ones never showed: $HC_ELAPSED"
expect_eq "after all that, $B still -> us-east" "$(hc_answer $B)" 127.0.0.2
expect_eq "... with the networks scope 16: nothing was stored" "$(lat_scope $B)" 16

# --- tools/dnsd-probe ----------------------------------------------------------------
# Listeners on eu-west and ap-southeast answer connects; us-east and
# eu-central refuse them, so only those two regions get RTTs.
t_free_port PROBE_PORT
t_free_port DEAD_PORT
t_bg listeners "$T_PY" -c '
import socket, sys, threading, time
port = int(sys.argv[1])
def serve(addr):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        c.close()
for a in sys.argv[2:]:
    threading.Thread(target=serve, args=(a,), daemon=True).start()
while True:
    time.sleep(1)
' "$PROBE_PORT" 127.0.0.3 127.0.0.5
listens() { "$T_PY" -c "import socket; socket.create_connection(('$1', $PROBE_PORT), 0.2)" 2>/dev/null; }
for a in 127.0.0.3 127.0.0.5; do
	wait_until 10 listens $a || fail "probe listener $a:$PROBE_PORT never listened"
done

P=10.40.7.0/24
out=$("$PROBE" --endpoints us-east=127.0.0.2 --endpoints eu-west=127.0.0.3 \
	--endpoints eu-central=127.0.0.4 --endpoints ap-southeast=127.0.0.5 --port "$PROBE_PORT" \
	--count 3 --timeout 2 --prefix $P --url "http://127.0.0.1:$DEAD_PORT" \
	--url "http://127.0.0.1:$T_CONTROL_PORT" --token "$HC_TOKEN" 2>"$T_TMP/probe.err")
rc=$?
echo "$out" | sed 's/^/    probe| /'
sed 's/^/    probe stderr| /' "$T_TMP/probe.err"
expect_eq "probe with a dead dnsd among its URLs exits 1" "$rc" 1
grep -q "^POST http://127.0.0.1:$DEAD_PORT: error: " <<<"$out" && ok "the dead dnsd gets a clear error line" ||
	fail "no error line for the dead dnsd"
grep -q "^POST http://127.0.0.1:$T_CONTROL_PORT: 200 OK (2 reports)" <<<"$out" &&
	ok "the live dnsd still got its post: 200, 2 reports" || fail "no 200 line for the live dnsd"
got=
moved() { got=$(hc_answer $P); [ "$got" = 127.0.0.3 ] || [ "$got" = 127.0.0.5 ]; }
wait_until 3 moved
first=$(lat_rank1 $P)
expl=$(lat_explain $P)
case $got in
127.0.0.3 | 127.0.0.5) ok "probe's subnet moved off us-east to $got" ;;
*) fail "probe's subnet answered '$got', want eu-west or ap-southeast" ;;
esac
expect_eq "the answer is the explanation's rank 1 ($first)" "$got" "$(addr_of "$first")"
if awk '/ rank=1 / {sub(/.*rtt_ms=/, ""); a = $1} / rank=2 / {sub(/.*rtt_ms=/, ""); b = $1}
	END {exit !(a != "" && b != "" && a + 0 <= b + 0)}' <<<"$expl" &&
	[ "$(grep -c 'rtt_ms=' <<<"$expl")" = 2 ]; then
	ok "ranks 1 and 2 are the measured regions, lowest RTT first"
else
	fail "explanation after the probe: $expl"
fi

# With the server's own config: every region, the check port, the control
# URL and token from the file, and the /24 of the source address.
out=$("$PROBE" --config "$T_TMP/dnsd.json" --count 3 --timeout 2 2>"$T_TMP/probe.err")
rc=$?
echo "$out" | sed 's/^/    probe| /'
sed 's/^/    probe stderr| /' "$T_TMP/probe.err"
expect_eq "probe --config exits 0" "$rc" 0
grep -q "^POST http://127.0.0.1:$T_CONTROL_PORT: 200 OK (4 reports)" <<<"$out" &&
	ok "probe --config posted 4 reports" || fail "probe --config output: $out"
L=127.0.0.0/24
four_rtts() { expl=$(lat_explain $L); [ "$(grep -c 'rtt_ms=' <<<"$expl")" = 4 ]; }
wait_until 3 four_rtts && ok "$L: every region has an RTT (after $T_WAITED s)" || fail "$L explanation: $expl"
expect_eq "$L answer is the explanation's rank 1" "$(hc_answer $L)" "$(addr_of "$(lat_rank1 $L)")"
hc_api GET /v1/latency "" ""
hc_expect_api "GET /v1/latency without the token: 401" 401 'bearer token'
hc_api GET /v1/latency "" $HC_TOKEN
hc_expect_api "GET /v1/latency lists $L" 200 '127\.0\.0\.0/24'

t_done

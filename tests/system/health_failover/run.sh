#!/usr/bin/env bash
# Failover with real backends (docs/health.md): four regions whose endpoints are
# HTTP servers on 127.0.0.2-5 (hc_backend.py), checked every 1 s with a
# 0.5 s timeout, rise 2, fall 2.  A backend that refuses, answers 503 or
# hangs must lose its traffic within interval*fall+timeout+1 = 3.5 s and
# win it back within interval*rise+1 = 3 s; queries stay fast while a
# check hangs; a strict-EU client stays in the EU when every EU backend is
# dead.  Prints each measured time beside its bound.
set -u
cd "$(dirname "$0")"
. ../lib.sh
. ../hc_lib.sh

DE=10.20.1.0/24	# strict eu pin: eu-central (.4) nearest, then eu-west (.3)
US=10.40.1.0/24	# unpinned: us-east (.2) nearest
SG=10.50.1.0/24	# strict asia pin: ap-southeast (.5)
FAIL_BOUND=$(awk -v i=$HC_CHECK_INTERVAL -v f=$HC_FALL -v t=$HC_CHECK_TIMEOUT 'BEGIN { print i * f + t + 1 }')
RISE_BOUND=$(awk -v i=$HC_CHECK_INTERVAL -v r=$HC_RISE 'BEGIN { print i * r + 1 }')

hc_setup
t_start example.com.

# first verdicts arrive within the first round (at once, timeout 0.5 s)
hc_wait $DE 127.0.0.4 3 && ok "DE client -> eu-central (127.0.0.4)" || fail "DE client: $HC_ELAPSED"
hc_wait $US 127.0.0.2 1 && ok "US client -> us-east (127.0.0.2)" || fail "US client: $HC_ELAPSED"
hc_wait $SG 127.0.0.5 1 && ok "SG client -> ap-southeast (127.0.0.5)" || fail "SG client: $HC_ELAPSED"

# --- refused --------------------------------------------------------------
hc_mode 127.0.0.4 down
if hc_wait $DE 127.0.0.3 10; then
	hc_within "refused backend: DE client failed over to eu-west" "$HC_ELAPSED" "$FAIL_BOUND"
else
	fail "refused backend: no failover ($HC_ELAPSED)"
fi
hc_api GET /v1/health
grep -q '"last_error": "refused"' <<<"$HC_BODY" && ok "/v1/health says refused" || fail "/v1/health: $HC_BODY"
up=$(hc_metric 'dnsd_endpoint_up{region="eu-central",endpoint="127.0.0.4"}')
[ "$up" = 0 ] && ok "dnsd_endpoint_up of the dead backend is 0" || fail "dnsd_endpoint_up '$up'"
hc_mode 127.0.0.4 ok
if hc_wait $DE 127.0.0.4 10; then
	hc_within "backend back: DE client recovered" "$HC_ELAPSED" "$RISE_BOUND"
else
	fail "no recovery ($HC_ELAPSED)"
fi

# --- 503 ------------------------------------------------------------------
hc_mode 127.0.0.4 503
if hc_wait $DE 127.0.0.3 10; then
	hc_within "503 backend: DE client failed over" "$HC_ELAPSED" "$FAIL_BOUND"
else
	fail "503 backend: no failover ($HC_ELAPSED)"
fi
hc_api GET /v1/health
grep -q '"last_error": "status 503"' <<<"$HC_BODY" && ok "/v1/health says status 503" || fail "/v1/health: $HC_BODY"
hc_mode 127.0.0.4 ok
hc_wait $DE 127.0.0.4 10 && hc_within "503 backend healthy again: recovered" "$HC_ELAPSED" "$RISE_BOUND" ||
	fail "no recovery after 503 ($HC_ELAPSED)"

# --- hang: accepts, never answers -------------------------------------------
hc_mode 127.0.0.4 hang
start=$EPOCHREALTIME
slow=0 max=0 n=0
# answers while the check hangs: every query under 10 ms
while :; do
	ms=$(dig @127.0.0.1 -p "$T_PORT" +norec +time=1 +tries=1 +subnet=$DE www.example.com A |
		sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p')
	n=$((n + 1))
	[ -n "$ms" ] || ms=1000
	[ "$ms" -gt "$max" ] && max=$ms
	[ "$ms" -ge 10 ] && slow=$((slow + 1))
	[ "$(hc_answer $DE)" = 127.0.0.3 ] && break
	awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a > 10) }' && break
done
el=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
if [ "$(hc_answer $DE)" = 127.0.0.3 ]; then
	hc_within "hanging backend: DE client failed over" "$el" "$FAIL_BOUND"
else
	fail "hanging backend: no failover in $el s"
fi
# A query held up by the hung check would wait for its 500 ms timeout; a
# stray 10-20 ms is the scheduler of a loaded test machine (ctest -j,
# sanitizers), so two such are tolerated and reported.
if [ $slow -eq 0 ]; then
	ok "$n queries during the hang, every one under 10 ms (slowest $max ms)"
elif [ $slow -le 2 ] && [ "$max" -lt 50 ]; then
	ok "$n queries during the hang, $((n - slow)) under 10 ms, $slow outliers (slowest $max ms, none waited for the check)"
else
	fail "$slow of $n queries took 10 ms or more during the hang (max $max ms)"
fi
hc_api GET /v1/health
grep -q '"last_error": "timeout"' <<<"$HC_BODY" && ok "/v1/health says timeout" || fail "/v1/health: $HC_BODY"
hc_mode 127.0.0.4 ok
hc_wait $DE 127.0.0.4 10 && hc_within "hung backend answering again: recovered" "$HC_ELAPSED" "$RISE_BOUND" ||
	fail "no recovery after hang ($HC_ELAPSED)"

# --- every EU backend dead ------------------------------------------------
hc_mode 127.0.0.3 down
hc_mode 127.0.0.4 down
# US client now: us-east; once eu-* are down both stay out of its answer.
# Both must be down within the failover bound: poll /v1/health until then.
all_eu_down() {
	local b
	hc_api GET /v1/health
	b=$(tr -d '\n' <<<"$HC_BODY")
	grep -Eq '"name": "eu-west",[^]]*"a": "down"' <<<"$b" && grep -Eq '"name": "eu-central",[^]]*"a": "down"' <<<"$b"
}
wait_until "$FAIL_BOUND" all_eu_down && ok "eu-west and eu-central down in $T_WAITED s (bound $FAIL_BOUND s)" ||
	fail "eu-west and eu-central not both down after $T_WAITED s: $HC_BODY"
got=$(hc_answer $DE)
case $got in
127.0.0.3 | 127.0.0.4 | 127.0.0.3,127.0.0.4) ok "all EU down: strict-EU client still gets an EU address ($got)" ;;
*) fail "all EU down: strict-EU client got '$got'" ;;
esac
got=$(hc_answer $US)
[ "$got" = 127.0.0.2 ] && ok "all EU down: US client gets us-east" || fail "all EU down: US client got '$got'"
# us-east dies too: the unpinned US client goes to the next nearest up region
hc_mode 127.0.0.2 down
hc_wait $US 127.0.0.5 10 && hc_within "US client fails over to the only region left up" "$HC_ELAPSED" "$FAIL_BOUND" ||
	fail "US client with us-east down: $HC_ELAPSED"
got=$(hc_answer $DE)
case $got in
127.0.0.3 | 127.0.0.4 | 127.0.0.3,127.0.0.4) ok "strict-EU client never sent to ap-southeast ($got)" ;;
*) fail "strict-EU client got '$got'" ;;
esac
for a in 127.0.0.2 127.0.0.3 127.0.0.4; do hc_mode $a ok; done
hc_wait $US 127.0.0.2 10 && hc_within "us-east back: US client recovered" "$HC_ELAPSED" "$RISE_BOUND" ||
	fail "us-east not back: $HC_ELAPSED"
hc_wait $DE 127.0.0.4 5 && ok "eu-central back for the DE client" || fail "eu-central not back: $HC_ELAPSED"

# --- counters moved -------------------------------------------------------
f=$(hc_metric dnsd_failovers_total)
[ -n "$f" ] && [ "$f" -gt 0 ] && ok "dnsd_failovers_total moved ($f)" || fail "dnsd_failovers_total '$f'"
f=$(hc_metric 'dnsd_endpoint_checks_total{region="eu-central",endpoint="127.0.0.4",result="failure"}')
[ -n "$f" ] && [ "$f" -ge 6 ] && ok "eu-central failed checks counted ($f)" || fail "checks failure '$f'"
f=$(hc_metric 'dnsd_residency_decisions_total{pin="eu",outcome="all_down"}')
[ -n "$f" ] && [ "$f" -gt 0 ] && ok "strict-pin all_down decisions counted ($f)" || fail "all_down decisions '$f'"
f=$(hc_metric 'dnsd_queries_total{proto="udp",qtype="A",rcode="NOERROR"}')
[ -n "$f" ] && [ "$f" -gt 20 ] && ok "A queries counted ($f)" || fail "queries '$f'"

t_done

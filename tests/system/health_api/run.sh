#!/usr/bin/env bash
# The control API (docs/health.md, docs/architecture.md) against a running dnsd with real backends:
# forced states with and without the token change answers or nothing,
# bad bodies/names/paths/methods are refused and change nothing, reloads
# through the API (200 and 422 with file:line:column errors) and SIGHUP,
# and /metrics counting all of it.
set -u
cd "$(dirname "$0")"
. ../lib.sh
. ../hc_lib.sh

DE=10.20.1.0/24
US=10.40.1.0/24
DOWN='{"state": "down"}'
UP='{"state": "up"}'
AUTO='{"state": "auto"}'

hc_setup
t_start example.com.
hc_wait $DE 127.0.0.4 3 && ok "DE client -> eu-central" || fail "DE client: $HC_ELAPSED"
hc_wait $US 127.0.0.2 1 && ok "US client -> us-east" || fail "US client: $HC_ELAPSED"

# --- refused writes change nothing ----------------------------------------
hc_api POST /v1/regions/eu-central/state "$DOWN" ""
hc_expect_api "force without token: 401" 401 'bearer token'
hc_api POST /v1/regions/eu-central/state "$DOWN" wrong-token
hc_expect_api "force with a wrong token: 403" 403 'wrong token'
hc_api POST /v1/regions/eu-central/state '{"state": "off"}' $HC_TOKEN
hc_expect_api "bad state value: 400 with a JSON error" 400 '"error": '
hc_api POST /v1/regions/eu-central/state '{"state": ' $HC_TOKEN
hc_expect_api "bad JSON: 400" 400 'bad JSON'
hc_api POST /v1/regions/mars/state "$DOWN" $HC_TOKEN
hc_expect_api "unknown region: 404" 404 'unknown region'
hc_api POST /v1/endpoints/192.0.2.1/state "$DOWN" $HC_TOKEN
hc_expect_api "unknown endpoint: 404" 404 'unknown endpoint'
hc_api POST /v1/nothing "$DOWN" $HC_TOKEN
hc_expect_api "unknown path: 404" 404
hc_api GET /v1/regions/eu-central/state
hc_expect_api "GET on a POST resource: 405" 405
hc_api POST /v1/latency '{"reports": [{"prefix": "10.20.1.0/24", "region": "mars", "rtt_ms": 1}]}' $HC_TOKEN
hc_expect_api "latency report naming an unknown region: 400" 400 'unknown region'
[ "$(hc_answer $DE)" = 127.0.0.4 ] && ok "after all that, DE client still -> eu-central" ||
	fail "an error changed the answer: $(hc_answer $DE)"
hc_api GET /v1/health
if [ "$HC_CODE" = 200 ] && grep -q '"forced": "auto"' <<<"$HC_BODY" && ! grep -q '"forced": "down"' <<<"$HC_BODY"; then
	ok "nothing forced"
else
	fail "an error forced something (or no health): HTTP $HC_CODE $HC_BODY"
fi

# --- forcing regions ------------------------------------------------------
hc_api POST /v1/regions/eu-central/state "$DOWN" $HC_TOKEN
hc_expect_api "force eu-central down with the token: 200" 200 '"result": "ok"'
got=$(hc_answer $DE)
[ "$got" = 127.0.0.3 ] && ok "next query: DE client -> eu-west" || fail "DE client after force down: $got"
hc_api GET /v1/health
tr -d '\n ' <<<"$HC_BODY" | grep -q '"name":"eu-central","a":"down","aaaa":"none","forced":"down"' &&
	ok "/v1/health: eu-central a=down forced=down" || fail "/v1/health: $HC_BODY"
up=$(hc_metric 'dnsd_region_up{region="eu-central",family="A"}')
[ "$up" = 0 ] && ok "dnsd_region_up eu-central A = 0" || fail "dnsd_region_up '$up'"
hc_api POST /v1/regions/eu-central/state "$AUTO" $HC_TOKEN
hc_expect_api "eu-central back to auto: 200" 200
got=$(hc_answer $DE)
[ "$got" = 127.0.0.4 ] && ok "next query: DE client -> eu-central again" || fail "DE client after auto: $got"

# forced up beats a failing check
hc_mode 127.0.0.2 503
hc_wait $US 127.0.0.3 6 && ok "us-east failing: US client -> eu-west" || fail "US failover: $HC_ELAPSED"
hc_api POST /v1/regions/us-east/state "$UP" $HC_TOKEN
hc_expect_api "force us-east up: 200" 200
got=$(hc_answer $US)
[ "$got" = 127.0.0.2 ] && ok "forced up: US client -> us-east despite its check" || fail "US client: $got"
hc_api POST /v1/regions/us-east/state "$AUTO" $HC_TOKEN
hc_mode 127.0.0.2 ok
hc_wait $US 127.0.0.2 6 && ok "us-east healthy again" || fail "us-east: $HC_ELAPSED"

# --- forcing endpoints ----------------------------------------------------
hc_api POST /v1/endpoints/127.0.0.2/state "$DOWN" $HC_TOKEN
hc_expect_api "force endpoint 127.0.0.2 down: 200" 200 '"forced": "down"'
got=$(hc_answer $US)
[ "$got" = 127.0.0.3 ] && ok "endpoint forced down: US client -> eu-west" || fail "US client: $got"
hc_api POST /v1/endpoints/127.0.0.2/state "$AUTO" $HC_TOKEN
got=$(hc_answer $US)
[ "$got" = 127.0.0.2 ] && ok "endpoint auto: US client -> us-east" || fail "US client: $got"

# --- reloads --------------------------------------------------------------
hc_api POST /v1/reload "" ""
hc_expect_api "reload without token: 401" 401
hc_api POST /v1/reload "" $HC_TOKEN
hc_expect_api "reload: 200, generation 2" 200 '"generation": 2'
cp "$T_TMP/example.json" "$T_TMP/example.json.good"
sed -i 's/"eu-central", "ap-southeast"/"eu-central", "mars"/' "$T_TMP/example.json"
hc_api POST /v1/reload "" $HC_TOKEN
hc_expect_api "reload of a broken zone: 422 with file:line:column" 422 'example\.json:[0-9]+:[0-9]+: .*mars'
[ "$(hc_answer $DE)" = 127.0.0.4 ] && ok "old zone set keeps serving" || fail "after failed reload: $(hc_answer $DE)"
mv "$T_TMP/example.json.good" "$T_TMP/example.json"
kill -HUP "$DNSD_PID"
generation_is() { g=$(hc_metric dnsd_snapshot_generation); [ "$g" = "$1" ]; }
wait_until 3 generation_is 3 && ok "SIGHUP reload: generation 3 after $T_WAITED s" ||
	fail "SIGHUP reload: generation '$g' after $T_WAITED s"
r=$(hc_metric 'dnsd_reloads_total{result="ok"}')
e=$(hc_metric 'dnsd_reloads_total{result="error"}')
[ "$r" = 2 ] && [ "$e" = 1 ] && ok "dnsd_reloads_total ok=2 error=1" || fail "dnsd_reloads_total ok='$r' error='$e'"
[ "$(hc_answer $DE)" = 127.0.0.4 ] && ok "answers after reloads" || fail "after reloads: $(hc_answer $DE)"

# --- a reload that adds an endpoint and changes the check ----------------
"$T_PY" - "$T_TMP/dnsd.json" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1]))
c["regions"]["us-east"]["endpoints"].append("127.0.0.6")	# nothing listens there
c["checks"]["web"]["interval"] = 0.5
json.dump(c, open(sys.argv[1], "w"), indent=1)
EOF2
hc_api POST /v1/reload "" $HC_TOKEN
hc_expect_api "reload with a new endpoint and a faster check: 200" 200
new_endpoint_down() {
	hc_api GET /v1/health
	tr -d '\n ' <<<"$HC_BODY" | grep -q '"address":"127.0.0.6","state":"down","check":"down"'
}
wait_until 3 new_endpoint_down
tr -d '\n ' <<<"$HC_BODY" | grep -q '"address":"127.0.0.6","state":"down","check":"down","forced":"auto","rtt_ms":null,"last_error":"refused"' &&
	ok "new endpoint checked at once: down, refused (after $T_WAITED s)" || fail "new endpoint: $HC_BODY"
got=$(hc_answer $US)
[ "$got" = 127.0.0.2 ] && ok "US client gets only the up endpoint of us-east" || fail "US client: $got"
c1=$(hc_metric 'dnsd_endpoint_checks_total{region="us-east",endpoint="127.0.0.2",result="success"}')
# Not a wait for a state: the test lets 2.1 s pass on purpose and counts
# the checks made in them (four at 0.5 s, give or take one at the edges).
sleep 2.1
c2=$(hc_metric 'dnsd_endpoint_checks_total{region="us-east",endpoint="127.0.0.2",result="success"}')
[ $((c2 - c1)) -ge 3 ] && ok "checks now every 0.5 s ($((c2 - c1)) in 2.1 s), state carried over" ||
	fail "checks after reload: $c1 -> $c2"

# --- metrics format -------------------------------------------------------
hc_api GET /metrics
hc_expect_api "GET /metrics: 200" 200 '# TYPE dnsd_endpoint_up gauge'
missing=
for m in dnsd_queries_total dnsd_failovers_total dnsd_residency_decisions_total dnsd_endpoint_up \
	dnsd_endpoint_rtt_seconds dnsd_endpoint_checks_total dnsd_reloads_total dnsd_region_up \
	dnsd_truncated_total dnsd_snapshot_generation; do
	grep -q "^# HELP $m " <<<"$HC_BODY" && grep -q "^# TYPE $m " <<<"$HC_BODY" && grep -q "^$m[{ ]" <<<"$HC_BODY" ||
		missing="$missing $m"
done
[ -z "$missing" ] && ok "every metric family has HELP, TYPE and samples" ||
	fail "metric families missing HELP, TYPE or a sample:$missing"
# the US client above was answered from us-east since the last reload
a=$(hc_metric 'dnsd_answers_total{zone="example.com.",name="www.example.com.",region="us-east"}')
[ "${a:-0}" -ge 1 ] && ok "dnsd_answers_total counts geo answers by zone, name, region ($a)" ||
	fail "dnsd_answers_total for us-east: '$a'"
rtt=$(awk '$1 == "dnsd_endpoint_rtt_seconds{region=\"us-east\",endpoint=\"127.0.0.2\"}" { print $2 }' <<<"$HC_BODY")
awk -v r="$rtt" 'BEGIN { exit !(r > 0 && r < 0.5) }' && ok "endpoint RTT recorded ($rtt s)" || fail "rtt '$rtt'"

t_done

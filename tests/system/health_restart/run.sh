#!/usr/bin/env bash
# Forced states and last-known health across a restart (SPEC 7): the state
# file keeps a forced region down and an endpoint's last verdict; a fresh
# verdict is restored, one older than health.state_max_age is not (the
# endpoint is unknown until checked, and never reported up meanwhile).
set -u
cd "$(dirname "$0")"
. ../lib.sh
. ../hc_lib.sh

DE=10.20.1.0/24
US=10.40.1.0/24
STATE=$T_TMP/state.json

restart() {
	t_stop_pid "$DNSD_PID" && ok "dnsd stopped on SIGTERM" || fail "dnsd needed SIGKILL"
	DNSD_PID=
	t_start example.com.
}

# jq-free look into JSON: python prints the value at a path
json_get() {
	"$T_PY" -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
	v = v[int(k)] if isinstance(v, list) else v.get(k) if isinstance(v, dict) else None
print(v)' "$@" 2>/dev/null
}

# get_health, then health_field REGION_INDEX ENDPOINT_INDEX FIELD
get_health() {
	hc_api GET /v1/health
	printf '%s' "$HC_BODY" >"$T_TMP/health.json"
}
health_field() {
	json_get "$T_TMP/health.json" regions "$1" endpoints "$2" "$3"
}

hc_setup
t_start example.com.
hc_wait $DE 127.0.0.4 3 && ok "DE client -> eu-central" || fail "DE client: $HC_ELAPSED"

hc_api POST /v1/regions/eu-central/state '{"state": "down"}' $HC_TOKEN
hc_expect_api "force eu-central down" 200
[ "$(json_get "$STATE" regions eu-central forced)" = down ] &&
	ok "state file written at once with the forced state" || fail "state file: $(cat "$STATE")"
hc_mode 127.0.0.2 hang
hc_wait $US 127.0.0.3 6 && ok "us-east hanging: US client -> eu-west" || fail "US client: $HC_ELAPSED"
sleep 1.2	# transitions reach the file within a second
[ "$(json_get "$STATE" endpoints 127.0.0.2 state)" = down ] &&
	ok "state file holds 127.0.0.2 down" || fail "state file: $(cat "$STATE")"
since=$(json_get "$STATE" endpoints 127.0.0.2 since)

# --- restart with a fresh state file --------------------------------------
restart
got=$(hc_answer $DE)
[ "$got" = 127.0.0.3 ] && ok "after restart: eu-central still forced down (DE -> eu-west)" || fail "DE client: $got"
got=$(hc_answer $US)
[ "$got" = 127.0.0.3 ] && ok "after restart: 127.0.0.2 starts down (US -> eu-west)" || fail "US client: $got"
get_health
[ "$(health_field 0 0 check)" = down ] && [ "$(health_field 0 0 last_change)" = "$since" ] &&
	ok "/v1/health: 127.0.0.2 restored down, last_change kept" ||
	fail "/v1/health after restart: $HC_BODY"
tr -d '\n ' <<<"$HC_BODY" | grep -q '"name":"eu-central","a":"[a-z]*","aaaa":"none","forced":"down"' &&
	ok "/v1/health: eu-central forced down" || fail "/v1/health: $HC_BODY"

# --- restart with a stale one ---------------------------------------------
# slow checks now, so "unknown" lasts long enough to look at
t_stop_pid "$DNSD_PID"
DNSD_PID=
"$T_PY" - "$STATE" <<'EOF2'
import json, sys, time
s = json.load(open(sys.argv[1]))
e = s["endpoints"]["127.0.0.2"]
e["at"] = e["since"] = int(time.time()) - 700	# state_max_age is 600
json.dump(s, open(sys.argv[1], "w"))
EOF2
stale_since=$(json_get "$STATE" endpoints 127.0.0.2 since)
HC_CHECK_INTERVAL=5 HC_CHECK_TIMEOUT=4 hc_config
t_start example.com.
get_health
# dnsd waits up to the largest check timeout for first verdicts (SPEC 7),
# so by now 127.0.0.2 is unknown or judged by a fresh check, never by the
# 700 s old saved state
verdict=$(health_field 0 0 check)
if [ "$verdict" = unknown ] || { [ "$(health_field 0 0 last_change)" != "$stale_since" ] &&
	[ "$(health_field 0 0 checks_failed)" -ge 1 ]; }; then
	ok "stale last-known state ignored: 127.0.0.2 $verdict from a fresh check"
else
	fail "stale state: $HC_BODY"
fi
up=$(hc_metric 'dnsd_endpoint_up{region="us-east",endpoint="127.0.0.2"}')
[ "$up" = 0 ] && ok "unknown endpoint is not reported up in /metrics" || fail "dnsd_endpoint_up '$up'"
got=$(hc_answer $DE)
[ "$got" = 127.0.0.3 ] && ok "forced state restored even so (DE -> eu-west)" || fail "DE client: $got"
hc_api POST /v1/regions/eu-central/state '{"state": "auto"}' $HC_TOKEN
hc_expect_api "eu-central back to auto" 200
[ "$(hc_answer $DE)" = 127.0.0.4 ] && ok "DE client -> eu-central" || fail "DE client: $(hc_answer $DE)"
[ "$(json_get "$STATE" regions eu-central forced)" = auto ] && ok "state file says auto" ||
	fail "state file: $(cat "$STATE")"
hc_mode 127.0.0.2 ok

t_done

#!/usr/bin/env bash
# Forced states and last-known health across a restart (docs/health.md):
# the state file keeps a forced region down and an endpoint's last verdict;
# a fresh verdict is restored, one older than health.state_max_age is not.
# An endpoint with no verdict yet (added by a reload, its check hanging) is
# shown as unknown and never reported up meanwhile.
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
# transitions reach the file within a second or so
file_says_down() { [ "$(json_get "$STATE" endpoints 127.0.0.2 state)" = down ]; }
wait_until 3 file_says_down && ok "state file holds 127.0.0.2 down ($T_WAITED s after the failover)" ||
	fail "state file: $(cat "$STATE")"
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
# dnsd waits up to the largest check timeout for first verdicts (docs/health.md),
# so by now 127.0.0.2 is unknown or judged by a fresh check, never by the
# 700 s old saved state
verdict=$(health_field 0 0 check)
if [ "$verdict" = unknown ] || { [ "$(health_field 0 0 last_change)" != "$stale_since" ] &&
	[ "$(health_field 0 0 checks_failed)" -ge 1 ]; }; then
	ok "stale last-known state ignored: 127.0.0.2 $verdict from a fresh check"
else
	fail "stale state: $HC_BODY"
fi

# --- an endpoint with no verdict yet ----------------------------------------
# Start-up waits for first verdicts, so after a restart no endpoint is left
# unknown for long; a reload adding one is the honest way to see one.
# 127.0.0.6 accepts the check and never answers: with the 4 s timeout it
# stays unknown for 4 s after the reload, long enough to look at it twice.
hc_mode 127.0.0.6 hang
t_bg backend-hang "$T_PY" "$T_LIB_DIR/hc_backend.py" "$HC_PORT" "$HC_MODES" 127.0.0.6
listens() { "$T_PY" -c "import socket; socket.create_connection(('$1', $HC_PORT), 0.2)" 2>/dev/null; }
wait_until 10 listens 127.0.0.6 || fail "backend 127.0.0.6:$HC_PORT never listened"
"$T_PY" - "$T_TMP/dnsd.json" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1]))
c["regions"]["ap-southeast"]["endpoints"].append("127.0.0.6")
json.dump(c, open(sys.argv[1], "w"), indent=1)
EOF2
hc_api POST /v1/reload "" $HC_TOKEN
hc_expect_api "reload adding 127.0.0.6 (check hangs, 4 s timeout): 200" 200
# check_of ADDRESS: that endpoint's "check" in the last get_health
check_of() {
	"$T_PY" -c 'import json, sys
for r in json.load(open(sys.argv[1]))["regions"]:
	for e in r["endpoints"]:
		if e["address"] == sys.argv[2]:
			print(e["check"])' "$T_TMP/health.json" "$1" 2>/dev/null
}
get_health
before=$(check_of 127.0.0.6)
up=$(hc_metric 'dnsd_endpoint_up{region="ap-southeast",endpoint="127.0.0.6"}')
get_health
after=$(check_of 127.0.0.6)
# unknown before and after the metrics read: unknown during it
if [ "$before" = unknown ] && [ "$after" = unknown ] && [ "$up" = 0 ]; then
	ok "endpoint without a verdict: /v1/health says unknown, dnsd_endpoint_up 0"
else
	fail "endpoint without a verdict: check '$before' then '$after', dnsd_endpoint_up '$up'"
fi
got=$(hc_answer $DE)
[ "$got" = 127.0.0.3 ] && ok "forced state restored even so (DE -> eu-west)" || fail "DE client: $got"
hc_api POST /v1/regions/eu-central/state '{"state": "auto"}' $HC_TOKEN
hc_expect_api "eu-central back to auto" 200
[ "$(hc_answer $DE)" = 127.0.0.4 ] && ok "DE client -> eu-central" || fail "DE client: $(hc_answer $DE)"
[ "$(json_get "$STATE" regions eu-central forced)" = auto ] && ok "state file says auto" ||
	fail "state file: $(cat "$STATE")"
hc_mode 127.0.0.2 ok

t_done

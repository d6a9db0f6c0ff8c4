#!/usr/bin/env bash
# The what-if simulator (README, "Before a change: the simulator") on the
# demo config and database: for --down eu-west, --down eu-west --down
# eu-central and --down us-east, its JSON says where every country goes
# with no strict-pin leak, and the running dnsd, with the same regions
# forced down through the control API, answers 200 random networks (their
# first address as ECS) as the simulator said; fed that server's state by
# URL or state file, the simulator says "now" what the scenario said.  The
# map is well-formed SVG with one shape per country coloured as the JSON
# says; the control API serves it and a status page without a token, and
# headless Chromium takes a screenshot of the page, kept as a test
# artefact in the build directory ($DNSD_BUILD/test-artefacts/sim/).
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

t_need chromium chromium
t_need curl curl
"$T_PY" -c 'import lxml.etree' 2>/dev/null ||
	{ echo "FAIL python3-lxml missing (tools/deps.sh lists it)"; echo "0 passed, 1 failed"; exit 1; }
SIM=$DNSD_BUILD/tools/dnsd-sim
[ -x "$SIM" ] || { echo "FAIL $SIM missing (target dnsd-sim)"; echo "0 passed, 1 failed"; exit 1; }
[ -f "$DNSD_SRC/zones/demo-city.mmdb" ] ||
	{ echo "FAIL zones/demo-city.mmdb missing (target demo_mmdb)"; echo "0 passed, 1 failed"; exit 1; }
ART=$DNSD_BUILD/test-artefacts/sim
mkdir -p "$ART"

# The demo config as it is, on free loopback ports, with its paths made
# absolute and its own state file.
t_free_port T_PORT
t_free_port T_CONTROL_PORT
CONF=$T_TMP/dnsd.json
"$T_PY" - "$DNSD_SRC/zones" "$CONF" "$T_PORT" "$T_CONTROL_PORT" "$T_TMP/state.json" <<'EOF'
import json, os, sys
zones, out, port, cport, state = sys.argv[1:]
with open(os.path.join(zones, "dnsd.json"), encoding="utf-8") as f:
    c = json.load(f)
c.pop("$schema", None)
c["listen"] = ["127.0.0.1:%s" % port, "[::1]:%s" % port]
c["control"] = {"listen": "127.0.0.1:%s" % cport, "token": "test-token"}
c["zones"] = [os.path.join(zones, z) for z in c["zones"]]
c["geoip"] = os.path.join(zones, c["geoip"])
c["state_file"] = state
with open(out, "w", encoding="utf-8") as f:
    json.dump(c, f, indent=1)
EOF
t_start example.com. "$CONF"
API=http://127.0.0.1:$T_CONTROL_PORT

# --- the tool itself ------------------------------------------------------

out=$("$SIM" --help 2>&1)
rc=$?
[ $rc -eq 0 ] && [[ $out == *"--down REGION"* && $out == *"--health FILE|URL"* ]] &&
	ok "dnsd-sim --help" || fail "dnsd-sim --help (rc $rc)"
out=$("$SIM" -c "$CONF" --down mars-north 2>&1)
rc=$?
[ $rc -eq 1 ] && [[ $out == *"mars-north"* ]] && ok "an unknown region is an error: $out" ||
	fail "unknown region: rc $rc, $out"
printf '{"zones": []' >"$T_TMP/broken.json"
out=$("$SIM" -c "$T_TMP/broken.json" 2>&1)
rc=$?
[ $rc -eq 1 ] && [[ $out == *"broken.json:1:"* ]] && ok "a broken config fails as --check does: $out" ||
	fail "broken config: rc $rc, $out"
out=$("$SIM" -c "$CONF" --down eu-west --name www.example.com --family A)
rc=$?
[ $rc -eq 0 ] && [[ $out == *"countries that move: 2 of"* && $out == *"IE  eu-west"*"-> eu-central"* ]] &&
	ok "text: Ireland moves from eu-west to eu-central" || fail "text report (rc $rc): $out"

# --- three scenarios against the running server ----------------------------

set_state() {	# REGION STATE
	curl -sf -m 5 -o /dev/null -X POST -H "Authorization: Bearer test-token" \
		-d "{\"state\": \"$2\"}" "$API/v1/regions/$1/state"
}

scenario() {	# REGION...
	local tag=${*// /+} args=() r
	for r in "$@"; do args+=(--down "$r"); done
	"$SIM" -c "$CONF" "${args[@]}" --format json --networks --out "$T_TMP/sim-$tag.json"
	rc=$?
	[ $rc -eq 0 ] && ok "dnsd-sim ${args[*]}: exit 0 (no strict-pin leak)" || fail "dnsd-sim ${args[*]}: exit $rc"
	for r in us-east eu-west eu-central ap-southeast; do
		set_state "$r" auto || fail "POST auto for $r"
	done
	for r in "$@"; do
		set_state "$r" down || fail "POST down for $r"
	done
	"$SIM" -c "$CONF" --health "$API" --format json --networks --out "$T_TMP/live-$tag.json" ||
		fail "dnsd-sim --health $API"
	# the server wrote its forced states to its state file before replying
	"$SIM" -c "$CONF" --health "$T_TMP/state.json" --format json --networks --out "$T_TMP/file-$tag.json" ||
		fail "dnsd-sim --health state.json"
	t_absorb < <("$T_PY" sim_check.py scenario "$T_TMP/sim-$tag.json" "$@" -- "$CONF" "$T_PORT" 200 \
		"$T_TMP/live-$tag.json" "$T_TMP/file-$tag.json" 2>&1)
}
scenario eu-west
scenario eu-west eu-central
scenario us-east
for r in us-east eu-west eu-central ap-southeast; do set_state "$r" auto; done

# --- the map ---------------------------------------------------------------

"$SIM" -c "$CONF" --down eu-west --name www.example.com --format svg --out "$ART/www-A-down-eu-west.svg" &&
	ok "dnsd-sim --format svg" || fail "dnsd-sim --format svg"
"$SIM" -c "$CONF" --down eu-west --name www.example.com --family A --format json --out "$T_TMP/www-A.json"
t_absorb < <("$T_PY" sim_check.py svg "$ART/www-A-down-eu-west.svg" "$T_TMP/www-A.json" \
	"$DNSD_SRC/geo/countries.csv" 2>&1)

# --- the control API: GET /v1/map.svg and GET /, no token -------------------

set_state eu-central down
"$SIM" -c "$CONF" --health "$API" --name www.example.com --family AAAA --format json --out "$T_TMP/live-map.json"
code=$(curl -s -m 30 -o "$T_TMP/live.svg" -w '%{http_code} %{content_type}' \
	"$API/v1/map.svg?name=www.example.com&family=AAAA")
[ "$code" = "200 image/svg+xml" ] && ok "GET /v1/map.svg without a token: $code" || fail "GET /v1/map.svg: $code"
t_absorb < <("$T_PY" sim_check.py svg "$T_TMP/live.svg" "$T_TMP/live-map.json" "$DNSD_SRC/geo/countries.csv" live 2>&1)
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$API/v1/map.svg?name=nope.example.com")
[ "$code" = 404 ] && ok "GET /v1/map.svg for an unknown name: 404" || fail "unknown name: $code"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "$API/")
[ "$code" = 405 ] && ok "POST / is refused (405): the page is read-only" || fail "POST /: $code"
code=$(curl -s -m 10 -o "$T_TMP/page.html" -w '%{http_code} %{content_type}' "$API/")
page=$(cat "$T_TMP/page.html")
[ "$code" = "200 text/html; charset=utf-8" ] && ok "GET / without a token: $code" || fail "GET /: $code"
[[ $page == *"eu-central"*"down"* && $page == *"198.51.100.20"* && $page == *'http-equiv="refresh"'* &&
	$page == *'src="/v1/map.svg?name=www.example.com.&amp;family=A"'* ]] &&
	ok "the page lists regions, endpoints and forced states, shows the map and refreshes itself" ||
	fail "page content: $(head -c 600 "$T_TMP/page.html")"
# the screenshot, bounded: Chromium gets 90 s, twice at most (a cold start
# on a loaded machine can take most of a minute), with a profile of its own.
# Its virtual-time budget stays below the page's own refresh (5 s): at 5 s
# the refresh could navigate away before the capture, and Chromium then
# exits 0 without a screenshot (seen twice in a row in a loaded ASan run).
rm -f "$ART/status.png"
for attempt in 1 2; do
	timeout 90 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1200 \
		--user-data-dir="$T_TMP/chromium-profile" --virtual-time-budget=2000 \
		--screenshot="$ART/status.png" "$API/" >"$T_TMP/chromium.log" 2>&1
	rc=$?
	[ -s "$ART/status.png" ] && break
	echo "chromium attempt $attempt made no screenshot (exit $rc); its log:"
	tail -n 20 "$T_TMP/chromium.log" | sed 's/^/    | /'
done
t_absorb < <("$T_PY" sim_check.py png "$ART/status.png" "#4e79a7" "#f28e2b" "#b07aa1" 2>&1)
set_state eu-central auto
t_done

#!/usr/bin/env bash
# A forced state that cannot be written to the state file is refused
# (issue 13, item 6): with state_file in a directory where writes fail
# (its "directory" is a regular file, which fails even for root), POST
# .../state answers 500 {"error": ...} and changes nothing, neither the
# answers nor /v1/health; once the directory is writable the same request
# succeeds and lands in the file.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

t_config "$DNSD_SRC/zones/example.json"
touch "$T_TMP/blocker"	# a regular file where the state file's directory should be
sed -i "s|\"state_file\": \"$T_TMP/state.json\"|\"state_file\": \"$T_TMP/blocker/state.json\"|" "$T_TMP/dnsd.json"
grep -q blocker/state.json "$T_TMP/dnsd.json" || { fail "state_file not rewritten"; t_done; }
t_start example.com.

api() {	# METHOD PATH [BODY]: sets CODE and BODY
	local out
	out=$(curl -s -w '\n%{http_code}' -X "$1" -H 'Authorization: Bearer test-token' \
		${3:+-d "$3"} "http://127.0.0.1:$T_CONTROL_PORT$2")
	CODE=${out##*$'\n'}
	BODY=${out%$'\n'*}
}

# no GeoIP database: www answers the first of its regions, us-east
US_EAST=192.0.2.10,192.0.2.11
answer_is() {	# DESC ADDRS
	q www.example.com A
	local got
	got=$(t_rdata A)
	[ "$got" = "$2" ] && ok "$1" || fail "$1: got '$got', want $2"
}
forced_of() {	# REGION: its "forced" in /v1/health
	api GET /v1/health
	tr -d ' \n' <<<"$BODY" | grep -o "\"name\":\"$1\",[^]]*" | grep -o '"forced":"[a-z]*"' | head -1 | cut -d'"' -f4
}

answer_is "before: www -> us-east" "$US_EAST"

api POST /v1/regions/us-east/state '{"state": "down"}'
[ "$CODE" = 500 ] && grep -q '"error"' <<<"$BODY" && ok "force region down, state file unwritable: 500 with an error ($(tr -d '\n' <<<"$BODY"))" ||
	fail "force region down, state file unwritable: HTTP $CODE $BODY"
answer_is "the refused force changed no answer" "$US_EAST"
f=$(forced_of us-east)
[ "$f" = auto ] && ok "/v1/health: us-east still forced=auto" || fail "/v1/health: us-east forced='$f'"

api POST /v1/endpoints/192.0.2.10/state '{"state": "down"}'
[ "$CODE" = 500 ] && grep -q '"error"' <<<"$BODY" && ok "force endpoint down, state file unwritable: 500" ||
	fail "force endpoint down, state file unwritable: HTTP $CODE $BODY"
answer_is "the refused endpoint force changed no answer" "$US_EAST"

rm -f "$T_TMP/blocker" && mkdir "$T_TMP/blocker"
api POST /v1/regions/us-east/state '{"state": "down"}'
[ "$CODE" = 200 ] && ok "state file writable again: 200" || fail "state file writable again: HTTP $CODE $BODY"
answer_is "us-east forced down: www -> eu-west" 198.51.100.10
grep -q '"us-east"' "$T_TMP/blocker/state.json" 2>/dev/null && ok "the forced state is in the state file" ||
	fail "the state file lacks us-east: $(cat "$T_TMP/blocker/state.json" 2>&1)"

t_done

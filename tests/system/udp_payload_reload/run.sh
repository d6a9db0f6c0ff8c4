#!/usr/bin/env bash
# Issue 13, "limits.udp_payload is restart-only but half of it changed on
# reload": the sockets' buffers keep the start-up value, so a reload must
# not change the size the answers advertise or are cut to either.  Every
# "restart" option of the README (limits, log, latency) keeps its start-up
# value until restart, and the reload says so in the log.  Before the fix
# a reload to 4096 advertised 4096 while answers were still cut at 1232,
# a reload to 512 truncated answers that 1232 allows, and a reload that
# turned log.queries on started logging queries.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

# the unit tests' zone (big.example.com TXT: about 650 bytes), minus its
# geo name, which the pins of t_config's regions would refuse
mkdir -p "$T_TMP/src"
"$T_PY" -c 'import json, sys
z = json.load(open(sys.argv[1])); z.pop("geo")
json.dump(z, open(sys.argv[2], "w"))' "$DNSD_SRC/tests/data/query_zone.json" "$T_TMP/src/example.json"
T_EXTRA='"limits": {"udp_payload": 1232}'
t_config "$T_TMP/src/example.json"
t_start example.com.

# set_limits JSON: rewrite the config's limits and log, then SIGHUP and
# wait for the reload's log line
reloads=0
reload_with() {
	"$T_PY" - "$T_TMP/dnsd.json" "$1" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["limits"] = json.loads(sys.argv[2])
c["log"] = json.loads(sys.argv[3])
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
	reloads=$((reloads + 1))
	kill -HUP "$DNSD_PID"
	wait_until 3 reloaded "$reloads" || fail "reload $reloads: no result in the log"
}
reloaded() { [ "$(grep -c 'event=reload result=' "$T_LOG")" -ge "$1" ]; }

q big.example.com TXT +bufsize=4096 +ignore
expect "start (udp_payload 1232): big TXT whole, OPT says 1232" rcode=NOERROR -tc an=3 'out~udp: 1232'

reload_with '{"udp_payload": 4096}' '{}'
grep -q 'result=ok' <<<"$(grep 'event=reload result=' "$T_LOG" | tail -1)" && ok "reload to udp_payload 4096: ok" ||
	fail "reload to 4096 failed"
grep -q 'event=restart_needed.*limits' "$T_LOG" && ok "the log says the limits change waits for a restart" ||
	fail "no restart_needed line for limits"
q big.example.com TXT +bufsize=4096 +ignore
expect "after the reload to 4096: OPT still says 1232" rcode=NOERROR -tc an=3 'out~udp: 1232'

reload_with '{"udp_payload": 512}' '{}'
q big.example.com TXT +bufsize=4096 +ignore
expect "after a reload to 512: big TXT still whole (1232 until restart)" rcode=NOERROR -tc an=3 'out~udp: 1232'

reload_with '{"udp_payload": 1232}' '{"queries": true}'
q mail.example.com A
expect "mail A after a reload that turns log.queries on" rcode=NOERROR
sleep 0.3	# a query line, if one were written, lands within this
grep -q 'event=query ' "$T_LOG" && fail "a reload turned the query log on (it is restart-only)" ||
	ok "log.queries stays off until restart"
t_done

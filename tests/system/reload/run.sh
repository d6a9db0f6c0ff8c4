#!/usr/bin/env bash
# Reload (docs/architecture.md): SIGHUP builds the new zone set aside and
# swaps it in; a broken zone leaves the old set serving and logs
# file:line:column; 50 reloads through the control API under a steady query
# stream, each changing the serial and an address, with no answer lost, none
# older than a finished reload, none newer than the reload not yet begun
# (reload_loop.py); SIGTERM exits 0.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

ZONE=$T_TMP/src/reload.json
mkdir -p "$T_TMP/src"
write_zone() {	# write_zone SERIAL ADDRESS
	cat >"$ZONE" <<EOF
{
  "origin": "reload.test.",
  "ttl": 300,
  "soa": {"mname": "ns1", "rname": "hostmaster", "serial": $1, "minimum": 60},
  "records": {
    "@": {"NS": ["ns1"]},
    "ns1": {"A": ["192.0.2.53"]},
    "www": {"A": ["$2"]}
  }
}
EOF
}

# answers ADDRESS: true when www answers ADDRESS now
answers() { q www.reload.test A +short; [ "$T_OUT" = "$1" ]; }
# reload_logged N RESULT: true once the log has N "event=reload result=RESULT" lines
reload_logged() { [ "$(grep -c "event=reload result=$2" "$T_LOG")" -ge "$1" ]; }

write_zone 1 192.0.2.80
t_config "$ZONE"
ZONE=$T_TMP/reload.json	# t_config copied it here; edit the copy dnsd reads
t_start reload.test.

q www.reload.test A
expect "before reload" rcode=NOERROR +aa 'answer~192\.0\.2\.80'

write_zone 2 192.0.2.81
kill -HUP "$DNSD_PID"
if wait_until 5 answers 192.0.2.81; then ok "SIGHUP: new zone served"; else fail "SIGHUP: still answering $T_OUT"; fi

# a broken zone: the bad value sits on line 8, column 19
sed -i 's/"A": \["192.0.2.81"\]/"A": ["192.0.2.300"]/' "$ZONE"
kill -HUP "$DNSD_PID"
wait_until 5 reload_logged 1 error
q www.reload.test A
expect "broken zone: old set keeps serving" rcode=NOERROR 'answer~192\.0\.2\.81'
if grep -q 'event=reload result=error' "$T_LOG" && grep -q 'reload.json:8:19: bad A rdata' "$T_LOG"; then
	ok "broken zone: reload error logged with file:line:column"
else
	fail "broken zone: no reload error with reload.json:8:19 in the log"
	sed 's/^/    | /' "$T_LOG"
fi

# 50 reloads under a steady query stream, each a new serial and address
t_absorb < <("$T_PY" reload_loop.py "$T_PORT" "$T_CONTROL_PORT" test-token "$ZONE" 50 2>&1)
ok_before=$(grep -c 'event=reload result=ok' "$T_LOG")
# one SIGHUP more: the signal path still works after the API's reloads
kill -HUP "$DNSD_PID"
if wait_until 5 reload_logged $((ok_before + 1)) ok; then
	ok "SIGHUP after the loop reloaded ($((ok_before + 1)) ok reloads logged)"
else
	fail "SIGHUP after the loop: $(grep -c 'event=reload result=ok' "$T_LOG") ok reloads logged"
fi
# before the last SIGHUP: zone 2 by SIGHUP, then generation 0 and 50 more
# through the API
[ "$ok_before" -ge 52 ] && ok "every reload logged ($ok_before ok before the last SIGHUP)" ||
	fail "only $ok_before ok reloads logged, want 52"

pid=$DNSD_PID
DNSD_PID=
if t_stop_pid "$pid"; then ok "SIGTERM: dnsd exits"; else fail "SIGTERM: dnsd did not exit within 5 s"; fi
t_done

#!/usr/bin/env bash
# Issue 13, "start-up blocks the main loop": while dnsd waits (at most the
# largest check timeout) for the first verdicts before its workers answer
# (docs/health.md §7), the main loop keeps running: the control API
# answers, SIGHUP reloads and SIGTERM stops the process at once.  Before
# the fix the main thread slept through the wait, and all three waited
# for it.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
t_need curl curl

# A check that hangs: a listener that never accepts, so the handshake
# completes in the kernel and the GET is never answered.
t_free_port HANG_PORT
t_bg hang "$T_PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
time.sleep(120)' "$HANG_PORT"

# config_with TIMEOUT: t_config's, us-east checked at 127.0.0.1 by a
# check that the hanging listener never answers within TIMEOUT seconds
config_with() {
	t_config "$DNSD_SRC/zones/example.json"
	"$T_PY" - "$T_TMP/dnsd.json" "$HANG_PORT" "$1" <<'PY'
import json, sys
path, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
c = json.load(open(path))
c["checks"] = {"hang": {"type": "http", "port": port, "timeout": timeout, "interval": 600}}
c["regions"]["us-east"]["endpoints"] = ["127.0.0.1"]
c["regions"]["us-east"]["check"] = "hang"
json.dump(c, open(path, "w"), indent=1)
PY
}

api_health() { curl -s --max-time 1 "127.0.0.1:$T_CONTROL_PORT/v1/health"; }
api_answers() { api_health | grep -q '"ready"'; }
log_has() { grep -q "$1" "$T_LOG"; }
exited() { ! kill -0 "$DNSD_PID" 2>/dev/null; }

# --- a 60 s wait: everything on the main loop still answers ----------------
config_with 60
: >"$T_LOG"
# systemd's notify socket: READY=1 must not come before the workers answer,
# not even from a reload during the wait
notify_msgs="$T_TMP/notify.log"
: >"$notify_msgs"
t_bg notify "$T_PY" ../systemd_notify/notify_listen.py "$T_TMP/notify.sock" "$notify_msgs"
wait_until 5 test -S "$T_TMP/notify.sock" || fail "the notify listener did not start"
NOTIFY_SOCKET="$T_TMP/notify.sock" "$DNSD_BIN" -c "$T_TMP/dnsd.json" --foreground >>"$T_LOG" 2>&1 &
DNSD_PID=$!
if wait_until 5 api_answers; then
	ok "control API answers during the wait ($T_WAITED s after start)"
	api_health | grep -q '"ready": *false' && ok "/v1/health says ready false" ||
		fail "/v1/health during the wait: $(api_health)"
else
	fail "control API did not answer within 5 s of start (check timeout 60 s)"
fi
t_soa_ok "$T_PORT" example.com. && fail "DNS answered before the first verdicts" ||
	ok "DNS does not answer yet (waiting for first verdicts)"
kill -HUP "$DNSD_PID"
wait_until 3 log_has 'event=reload result=ok' && ok "SIGHUP reloads during the wait ($T_WAITED s)" ||
	fail "no reload within 3 s of SIGHUP"
wait_until 3 grep -q '^RELOADING=1' "$notify_msgs" && ok "systemd hears RELOADING=1" || fail "no RELOADING=1"
two_msgs() { [ "$(wc -l <"$notify_msgs")" -ge 2 ]; }
wait_until 3 two_msgs || fail "no message after the reload: $(cat "$notify_msgs")"
grep -q '^READY=1' "$notify_msgs" && fail "READY=1 sent during the wait: $(cat "$notify_msgs")" ||
	ok "no READY=1 while the workers wait for first verdicts"
kill -TERM "$DNSD_PID"
if wait_until 2 exited; then
	ok "SIGTERM during the wait ends dnsd within 2 s ($T_WAITED s)"
	wait "$DNSD_PID"
	rc=$?
	[ "$rc" = 0 ] && ok "exit status 0" || fail "exit status $rc"
else
	fail "dnsd still running 2 s after SIGTERM during the wait"
	kill -KILL "$DNSD_PID"
	wait "$DNSD_PID" 2>/dev/null
fi
DNSD_PID=

# --- a 1.5 s wait: the workers start when it ends ------------------------------
config_with 1.5
: >"$T_LOG"
start=$EPOCHREALTIME
"$DNSD_BIN" -c "$T_TMP/dnsd.json" --foreground >>"$T_LOG" 2>&1 &
DNSD_PID=$!
soa_ok() { t_soa_ok "$T_PORT" example.com.; }
if wait_until 5 soa_ok; then
	ok "DNS answers once the 1.5 s wait is over ($T_WAITED s after start)"
else
	fail "DNS did not answer within 5 s (check timeout 1.5 s)"
fi
t_done

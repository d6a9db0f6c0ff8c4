#!/usr/bin/env bash
# systemd integration (Type=notify): READY=1 only once dnsd answers,
# RELOADING=1 then READY=1 around every reload with the outcome in
# STATUS, STOPPING=1 at SIGTERM; `dnsd --reload` (the unit's ExecReload)
# exits 0 when the new files serve and 1 with the errors when they are
# refused, so `systemctl reload` reports a bad reload.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

t_config "$DNSD_SRC/zones/example.json"
sock="$T_TMP/notify.sock"
msgs="$T_TMP/notify.log"
: >"$msgs"
t_bg notify "$T_PY" notify_listen.py "$sock" "$msgs"
wait_until 5 test -S "$sock" || fail "the notify listener did not start"

NOTIFY_SOCKET="$sock" t_start example.com.
wait_until 5 grep -q '^READY=1' "$msgs" && ok "READY=1 sent" || fail "no READY=1"
line=$(grep -n '^READY=1' "$msgs" | head -1 | cut -d: -f1)

# a good reload through the unit's ExecReload
out=$("$DNSD_BIN" -c "$T_TMP/dnsd.json" --reload 2>&1)
rc=$?
[ "$rc" = 0 ] && ok "--reload of good files exits 0" || fail "--reload of good files exited $rc: $out"
grep -q '"result": "ok"' <<<"$out" && ok "--reload prints the server's verdict" || fail "--reload printed: $out"
wait_until 5 bash -c "tail -n +$((line + 1)) '$msgs' | grep -q '^RELOADING=1'" &&
	ok "RELOADING=1 sent at the reload" || fail "no RELOADING=1"
wait_until 5 bash -c "tail -n +$((line + 1)) '$msgs' | grep -q '^READY=1 STATUS=serving$'" &&
	ok "READY=1 again after the reload" || fail "no READY=1 after the reload: $(cat "$msgs")"

# a refused reload: the old files keep serving, --reload says why and fails
cp "$T_TMP/example.json" "$T_TMP/example.json.good"
sed -i 's/"ns1", "ns2"/"ns1", "ns2" BROKEN/' "$T_TMP/example.json"
out=$("$DNSD_BIN" -c "$T_TMP/dnsd.json" --reload 2>&1)
rc=$?
[ "$rc" = 1 ] && ok "--reload of broken files exits 1" || fail "--reload of broken files exited $rc"
grep -q 'example.json:[0-9]*:[0-9]*:' <<<"$out" && ok "--reload prints file:line:column" || fail "--reload printed: $out"
wait_until 5 grep -q 'READY=1 STATUS=serving the previous files' "$msgs" &&
	ok "STATUS tells systemd the reload was refused" || fail "no refused STATUS: $(cat "$msgs")"
T_ADDR=127.0.0.1
q example.com SOA
expect "still serving after a refused reload" rcode=NOERROR
cp "$T_TMP/example.json.good" "$T_TMP/example.json"

# --reload with nothing listening fails
sed "s/127.0.0.1:$T_CONTROL_PORT/127.0.0.1:1/" "$T_TMP/dnsd.json" >"$T_TMP/other.json"
"$DNSD_BIN" -c "$T_TMP/other.json" --reload >/dev/null 2>&1 && fail "--reload with no server exited 0" ||
	ok "--reload with no server answering exits non-zero"

kill -TERM "$DNSD_PID"
wait_until 5 grep -q '^STOPPING=1' "$msgs" && ok "STOPPING=1 sent at SIGTERM" || fail "no STOPPING=1"
wait_until 5 bash -c "! kill -0 $DNSD_PID 2>/dev/null" && ok "dnsd exits on SIGTERM" || fail "dnsd still running"
DNSD_PID=
t_done

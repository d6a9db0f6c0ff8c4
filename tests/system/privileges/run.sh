#!/usr/bin/env bash
# Privileges (docs/architecture.md): started as root with "user", dnsd binds every
# socket (DNS and control API) and then runs as that user; it still
# answers and reloads.  Without "user" it runs as root and says so.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

[ "$(id -u)" -eq 0 ] || t_skip "not root: privilege dropping cannot be tested"
t_need curl curl
id nobody >/dev/null 2>&1 || { echo "FAIL no user nobody"; exit 1; }
T_EXTRA='"user": "nobody"'
t_config "$DNSD_SRC/zones/example.json"
chmod 755 "$T_TMP"
chmod 644 "$T_TMP"/*.json
t_start example.com.

uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$DNSD_PID/status")
want=$(id -u nobody)
if [ "$uid" = "$want $want $want $want" ]; then ok "runs as nobody (uid $want) after binding"; else fail "uids are '$uid', want $want"; fi
q example.com SOA
expect "answers after dropping root" rcode=NOERROR +aa
kill -HUP "$DNSD_PID"
reloaded() { grep -q 'event=reload result=' "$T_LOG"; }
wait_until 5 reloaded
if grep -q 'event=reload result=ok' "$T_LOG"; then ok "reloads as nobody"; else fail "no successful reload as nobody"; sed 's/^/    | /' "$T_LOG"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$T_CONTROL_PORT/v1/health")
[ "$code" = 200 ] && ok "control API bound before the drop answers" || fail "control API: $code"
grep -q 'event=privileges user=nobody' "$T_LOG" && ok "privilege drop logged" || fail "privilege drop not logged"
t_done

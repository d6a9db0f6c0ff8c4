#!/usr/bin/env bash
# Reload (SPEC 10): SIGHUP builds the new zone set aside and swaps it in;
# a broken zone leaves the old set serving and logs file:line:column;
# queries during 50 reloads are all answered, correctly; SIGTERM exits 0.
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

# wait_for ADDRESS: true once www answers ADDRESS (bounded: 5 s)
wait_for() {
	for _ in $(seq 50); do
		q www.reload.test A +short
		[ "$T_OUT" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

write_zone 1 192.0.2.80
t_config "$ZONE"
ZONE=$T_TMP/reload.json	# t_config copied it here; edit the copy dnsd reads
t_start reload.test.

q www.reload.test A
expect "before reload" rcode=NOERROR +aa 'answer~192\.0\.2\.80'

write_zone 2 192.0.2.81
kill -HUP "$DNSD_PID"
if wait_for 192.0.2.81; then ok "SIGHUP: new zone served"; else fail "SIGHUP: still answering $T_OUT"; fi

# a broken zone: the bad value sits on line 8, column 19
sed -i 's/"A": \["192.0.2.81"\]/"A": ["192.0.2.300"]/' "$ZONE"
kill -HUP "$DNSD_PID"
sleep 1
q www.reload.test A
expect "broken zone: old set keeps serving" rcode=NOERROR 'answer~192\.0\.2\.81'
if grep -q 'event=reload result=error' "$T_LOG" && grep -q 'reload.json:8:19: bad A rdata' "$T_LOG"; then
	ok "broken zone: reload error logged with file:line:column"
else
	fail "broken zone: no reload error with reload.json:8:19 in the log"
	sed 's/^/    | /' "$T_LOG"
fi

# 50 reloads under a steady query stream: nothing lost, nothing wrong
write_zone 3 192.0.2.82
kill -HUP "$DNSD_PID"
wait_for 192.0.2.82 || fail "zone 3 not served"
"$T_PY" - "$T_PORT" >"$T_TMP/loop.out" 2>&1 <<'PY' &
import sys, time, dns.message, dns.query, dns.rcode
port = int(sys.argv[1])
sent = lost = wrong = 0
end = time.time() + 8
while time.time() < end and sent < 20000:
    q = dns.message.make_query("www.reload.test.", "A")
    sent += 1
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=1)
    except Exception:
        lost += 1
        continue
    addrs = [rr.address for rrset in r.answer for rr in rrset]
    if r.rcode() != dns.rcode.NOERROR or addrs != ["192.0.2.82"]:
        wrong += 1
print(f"sent={sent} lost={lost} wrong={wrong}")
PY
loop=$!
for _ in $(seq 50); do
	kill -HUP "$DNSD_PID"
	sleep 0.1
done
wait "$loop"
stats=$(cat "$T_TMP/loop.out")
reloads=$(grep -c 'event=reload result=ok' "$T_LOG")
if [[ $stats =~ sent=([0-9]+)\ lost=0\ wrong=0 ]] && [ "${BASH_REMATCH[1]}" -gt 100 ]; then
	ok "50 reloads under load: $stats"
else
	fail "50 reloads under load: $stats"
fi
if [ "$reloads" -ge 52 ]; then ok "every SIGHUP reloaded ($reloads ok)"; else fail "only $reloads reloads logged"; fi

pid=$DNSD_PID
DNSD_PID=
if t_stop_pid "$pid"; then ok "SIGTERM: dnsd exits"; else fail "SIGTERM: dnsd did not exit within 5 s"; fi
t_done

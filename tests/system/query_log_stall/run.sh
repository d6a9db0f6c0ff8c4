#!/usr/bin/env bash
# Issue 13, "query log on the hot path": with log.queries on and a log
# that does not keep up (here a pipe nobody reads, as a stalled journald
# would be), queries are still answered; the lines that do not fit are
# dropped and counted (dnsd_log_dropped_total), and once the log drains,
# the lines flow again.  Before the fix each UDP reader wrote its line with
# write(2) and stopped answering once the pipe was full (64 KiB).
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
t_need curl curl

T_EXTRA='"log": {"queries": true}'
t_config "$DNSD_SRC/zones/example.json"

# stderr (the log) is a FIFO this shell holds open and does not read
mkfifo "$T_TMP/log.fifo"
exec 7<>"$T_TMP/log.fifo"
"$DNSD_BIN" -c "$T_TMP/dnsd.json" --foreground >>"$T_LOG" 2>"$T_TMP/log.fifo" &
DNSD_PID=$!
soa_ok() { t_soa_ok "$T_PORT" example.com.; }
wait_until 10 soa_ok && ok "dnsd answers (log to a pipe nobody reads)" || fail "dnsd did not start"

# 3,000 queries one after the other: their log lines are about 400 KiB,
# far more than the pipe holds
t_absorb < <("$T_PY" - "$T_PORT" <<'PY'
import socket, sys
from systest import Tally, make_query
port = int(sys.argv[1])
t = Tally()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
answered = misses = 0
for i in range(3000):
    q = make_query("www.example.com", "A", want_id=i & 0xffff).to_wire()
    s.sendto(q, ("127.0.0.1", port))
    try:
        while True:
            r = s.recv(4096)
            if r[:2] == q[:2]:
                answered += 1
                misses = 0
                break
    except socket.timeout:
        misses += 1
        if misses == 5:
            break
t.check(answered == 3000, f"{answered} of 3000 queries answered while the log stalls")
t.finish()
PY
)

metric() { curl -s --max-time 2 "127.0.0.1:$T_CONTROL_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
dropped=$(metric dnsd_log_dropped_total)
[ -n "$dropped" ] && [ "${dropped%.*}" -gt 0 ] && ok "dnsd_log_dropped_total counts the lines dropped ($dropped)" ||
	fail "dnsd_log_dropped_total is '$dropped', want > 0"

# the log drains again: lines flow, nothing blocked for good
cat <&7 >"$T_TMP/log.out" &
T_PIDS+=($!)
q www.example.com A
expect "a query after the log drains" rcode=NOERROR
logged() { grep -q 'event=query .*qname=www.example.com' "$T_TMP/log.out"; }
wait_until 3 logged && ok "query lines reach the log" || fail "no query line in the log"
t_done

#!/usr/bin/env bash
# tools/bench/scale.sh -- dnsd at scale: load, reload under load and the
# cost of health checks, on this machine, in one small table
# (docs/performance.md §9).
#
#  1. load: a zone of N_LOAD (1,000,000) records shaped like a real one
#     (mostly A / A+AAAA / AAAA hosts, some CNAME, MX, TXT; a quarter of the
#     names under 64 site labels).  `dnsd --check` time and peak RSS; the
#     server's time from exec to its first answer, its peak (VmHWM) and
#     steady (VmRSS) RSS, minus the same server's with a two-record zone,
#     per record, against the records' wire size (owner + type + class +
#     TTL + RDLENGTH + RDATA, owner uncompressed, summed over every RR);
#     the steady RSS again after one reload of the same zone.
#  2. reload under load: a zone of N_RELOAD (100,000) records served to
#     dnsperf at a fixed RELOAD_QPS (20,000) while it is changed and
#     reloaded RELOADS (6) times, SIGHUP and POST /v1/reload in turn; every
#     version moves every address, and a checker (tools/bench/scale_reload.py)
#     verifies ~2,000 answers a second carry a version that may be served
#     (never an older one once the new serial was seen, never a newer one
#     than the last reload started).  Lost queries (dnsperf), answers that
#     are not NOERROR, wrong answers, and each reload's time from the
#     signal or request to the new SOA serial being served.
#  3. health checks: ENDPOINTS (1,000) IPv4 endpoints in REGIONS (50)
#     regions checked every second (tcp connect, CHECK=http for GET) against
#     listeners on 127.1.R.E (tools/bench/scale_listen.py, pinned with
#     dnsperf), against the same config without checks.  The efficiency
#     figure of tools/bench.sh -- answered queries per second of server CPU
#     (utime+stime of the whole process, so the health thread counts),
#     static queries, dnsperf unlimited for DURATION (10) s -- in ROUNDS (3)
#     alternated rounds, medians; the ratio; the health thread's share of
#     the server's CPU during the runs and its CPU per second when idle.
#  4. cost as data grows: the efficiency figure (answered queries per
#     server CPU-second, dnsperf unlimited) for static queries against
#     zones of SCALE_STATIC records ("10000 1000000 5000000", shaped as in
#     1.), and for geo queries with ECS (the 8 geo names of tools/bench.sh)
#     against GeoIP databases of SCALE_NETS networks ("10000 500000", built
#     by tools/mmdb-build) and the largest of them again with SCALE_LAT
#     (1,000,000) latency prefixes posted to /v1/latency.  Every server is
#     up at once and the ROUNDS rounds alternate between them; medians
#     with min-max, and the ratio largest / smallest of each kind.
#     SCALE_STATIC="10000 100000" SCALE_NETS="10000 50000" SCALE_LAT=100000
#     is a quick run.
#
# Server pinned to SERVER_CPU (1) with one worker, dnsperf and the helpers
# to CLIENT_CPU (0), as tools/bench.sh does.  Everything on 127.0.0.0/8;
# everything started is stopped on exit.  No arguments.  Environment:
#   BUILD=build-bench (the build directory; dnsd is built there, RelWithDebInfo)
#   DNSD=path (measure this binary instead of building)
#   N_LOAD N_RELOAD RELOAD_QPS RELOADS ENDPOINTS REGIONS CHECK DURATION ROUNDS
#   SCALE_STATIC SCALE_NETS SCALE_LAT (phase 4's sizes)
#   PHASES=1234 (which parts to run)  QUIET_WAIT=30 (seconds to wait for idle CPUs)
#   KEEP=1 (keep the data directory)
# Needs dnsperf, dig, curl, python3, taskset, /usr/bin/time, two CPUs.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tools/bench"
N_LOAD=${N_LOAD:-1000000}
N_RELOAD=${N_RELOAD:-100000}
RELOAD_QPS=${RELOAD_QPS:-20000}
RELOADS=${RELOADS:-6}
ENDPOINTS=${ENDPOINTS:-1000}
REGIONS=${REGIONS:-50}
CHECK=${CHECK:-tcp}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
PHASES=${PHASES:-1234}
SCALE_STATIC=${SCALE_STATIC:-10000 1000000 5000000}
SCALE_NETS=${SCALE_NETS:-10000 500000}
SCALE_LAT=${SCALE_LAT:-1000000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
BUILD=${BUILD:-$root/build-bench}
case "$BUILD" in /*) ;; *) BUILD="$root/$BUILD" ;; esac

. "$root/tools/bench/lib.sh"
die() { log "scale.sh: $*"; exit 1; }

for t in dnsperf dig curl python3 taskset /usr/bin/time; do
	command -v "$t" >/dev/null || die "needs $t"
done
[ "$(nproc)" -ge 2 ] || die "needs two CPUs (one for the server, one for dnsperf)"
[ $((ENDPOINTS % REGIONS)) -eq 0 ] || die "ENDPOINTS must be a multiple of REGIONS"
[ "$REGIONS" -le 64 ] && [ $((ENDPOINTS / REGIONS)) -le 254 ] || die "at most 64 regions of 254 endpoints"

# ---- cleanup ---------------------------------------------------------------

pids=()		# everything we started, stopped in reverse order
dir=""
cleanup() {
	stop_pids "${pids[@]}"
	remove_data "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget() {	# forget PID: it was stopped
	local keep=() p
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}

# ---- build -----------------------------------------------------------------

if [ -n "${DNSD:-}" ]; then
	dnsd_bin=$DNSD
else
	[ -f "$BUILD/CMakeCache.txt" ] ||
		cmake -S "$root" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$BUILD" --target dnsd -j"$(nproc)" >"$BUILD/scale-build.log" 2>&1 ||
		{ tail -n 20 "$BUILD/scale-build.log" >&2; die "build failed"; }
	dnsd_bin="$BUILD/dnsd/dnsd"
fi
[ -x "$dnsd_bin" ] || die "no dnsd binary at $dnsd_bin"

dir=$(mktemp -d /tmp/dnsd-scale.XXXXXX)

base=$(pick_ports 3)
PORT=$base CTL=$((base + 1)) HCPORT=$((base + 2))

hz=$(getconf CLK_TCK)

# utime+stime of a process (every thread, living or dead), in ticks
ticks() { awk '{ sub(/^[^(]*\(.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# packets the kernel dropped at the server's UDP socket (receive buffer full)
sock_drops() { ss -Huamn "sport = :$PORT" 2>/dev/null | sed -n 's/.*,d\([0-9]*\)).*/\1/p' | awk '{s += $1} END {print s + 0}'; }
# on-CPU nanoseconds of one thread
tns() { awk '{print $1}' "/proc/$1/task/$2/schedstat"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\n\", ($2) }"; }

# start_server CONF LOG ZONE: pinned, foreground; sets SRV, READY_S
# (seconds from exec to the first NOERROR answer for ZONE's SOA) and
# READY_CPU (the server's CPU seconds by then: wall time also counts
# whatever else the machine was doing)
start_server() {
	local t0 t1
	t0=$(now)
	taskset -c "$SERVER_CPU" "$dnsd_bin" -c "$1" --foreground >"$2" 2>&1 &
	SRV=$!
	pids+=("$SRV")
	for _ in $(seq 3000); do
		kill -0 "$SRV" 2>/dev/null || { tail -n 5 "$2" >&2; die "dnsd exited at start ($1)"; }
		if dig +norec +time=1 +tries=1 -p "$PORT" @127.0.0.1 "$3" SOA 2>/dev/null | grep -q 'status: NOERROR'; then
			t1=$(now)
			READY_S=$(calc "%.2f" "$t1 - $t0")
			READY_CPU=$(calc "%.2f" "$(ticks "$SRV") / $hz")
			return 0
		fi
		sleep 0.02
	done
	die "dnsd not answering after 60 s ($1)"
}

stop_server() {
	kill -TERM "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	forget "$SRV"
}

conf() {	# conf FILE ZONE LOGLEVEL
	cat >"$1" <<EOF
{"listen": ["127.0.0.1:$PORT"], "workers": 1, "zones": ["$2"], "identity": "scale",
 "control": {"listen": "127.0.0.1:$CTL", "token": "scale"}, "log": {"level": "$3"}}
EOF
}

# ============================================================================
# 1. load
# ============================================================================
phase1() {
	log "1/3 load: generating a zone of $N_LOAD records in $dir"
	python3 "$here/scale_gen.py" zone "$dir/big.json" "$N_LOAD" big.test. --stats "$dir/big.stats" \
		--queries "$dir/big.q"
	cat >"$dir/tiny.json" <<-'EOF'
	{"origin": "big.test.", "ttl": 3600, "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1},
	 "records": {"@": {"NS": ["ns1"]}, "ns1": {"A": ["192.0.2.53"]}}}
	EOF
	conf "$dir/big.conf" big.json info
	conf "$dir/tiny.conf" tiny.json info
	stat_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$dir/big.stats" "$1"; }
	wire=$(stat_of wire_bytes)
	json_bytes=$(stat -c %s "$dir/big.json")

	log "  dnsd --check"
	wait_quiet "${QUIET_WAIT:-30}"
	/usr/bin/time -f "%e %M" -o "$dir/check.time" "$dnsd_bin" -c "$dir/big.conf" --check >"$dir/check.out" 2>&1 ||
		{ tail -n 5 "$dir/check.out" >&2; die "--check failed"; }
	read -r check_s check_kb <"$dir/check.time"

	log "  server with the two-record zone"
	start_server "$dir/tiny.conf" "$dir/tiny.log" big.test
	sleep 1
	tiny_rss=$(status_kb "$SRV" VmRSS) tiny_hwm=$(status_kb "$SRV" VmHWM)
	stop_server

	log "  server with the $N_LOAD-record zone"
	wait_quiet "${QUIET_WAIT:-30}"
	start_server "$dir/big.conf" "$dir/big.log" big.test
	big_ready=$READY_S big_ready_cpu=$READY_CPU
	# answers are right: a sample of the generated names and types, all NOERROR with data
	sample_bad=0
	while read -r name type; do
		out=$(dig +norec +time=2 +tries=1 -p "$PORT" @127.0.0.1 "$name" "$type" 2>/dev/null || true)
		grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: [1-9]' <<<"$out" || sample_bad=$((sample_bad + 1))
	done < <(awk 'NR % 20011 == 1' "$dir/big.q" | head -n 50)
	sleep 2
	big_rss=$(status_kb "$SRV" VmRSS) big_hwm=$(status_kb "$SRV" VmHWM)
	t0=$(now)
	kill -HUP "$SRV"
	for _ in $(seq 1200); do
		grep -q 'event=reload' "$dir/big.log" && break
		sleep 0.05
	done
	sleep 2
	# the reload's log line is written when the new snapshot is built, before the swap
	ts=$(sed -n 's/^ts=\([^ ]*\) .*event=reload .*/\1/p' "$dir/big.log" | head -n 1)
	big_reload_s=$(calc "%.2f" "$(date -d "$ts" +%s.%N) - $t0")
	big_rss2=$(status_kb "$SRV" VmRSS) big_hwm2=$(status_kb "$SRV" VmHWM)
	grep -q 'event=reload result=ok' "$dir/big.log" || die "reload of the big zone failed: $(grep event=reload "$dir/big.log")"
	stop_server
}

# ============================================================================
# 2. reload under load
# ============================================================================
phase2() {
	log "2/3 reload: generating a zone of $N_RELOAD records in $((RELOADS + 1)) versions"
	vfiles=()
	for v in $(seq 0 "$RELOADS"); do
		extra=()
		[ "$v" -eq 0 ] && extra=(--queries "$dir/r.q" --checkq "$dir/r.names")
		python3 "$here/scale_gen.py" zone "$dir/r.v$v.json" "$N_RELOAD" rel.test. --serial $((1000 + v)) \
			--version "$v" "${extra[@]}"
		[ "$v" -eq 0 ] || vfiles+=("$dir/r.v$v.json")
	done
	cp "$dir/r.v0.json" "$dir/r.json"
	conf "$dir/r.conf" r.json info
	start_server "$dir/r.conf" "$dir/r.log" rel.test
	gap=1.5
	rdur=$(calc "%d" "int(3 + $RELOADS * ($gap + 0.5) + $gap)")
	log "  dnsperf at $RELOAD_QPS qps for $rdur s, $RELOADS reloads (SIGHUP and POST /v1/reload in turn)"
	wait_quiet "${QUIET_WAIT:-30}"
	rb0=$(cpus_busy) rs0=$(ticks "$SRV") rt0=$(now)
	/usr/bin/time -f "%U %S" -o "$dir/r.perf.time" taskset -c "$CLIENT_CPU" \
		dnsperf -s 127.0.0.1 -p "$PORT" -d "$dir/r.q" -l "$rdur" -Q "$RELOAD_QPS" -q 1000 >"$dir/r.perf" 2>&1 &
	perf_pid=$!
	pids+=("$perf_pid")
	drops0=$(sock_drops)
	sleep 1
	/usr/bin/time -f "%U %S" -o "$dir/r.drv.time" taskset -c "$CLIENT_CPU" \
		python3 "$here/scale_reload.py" "$SRV" "$PORT" "$CTL" scale "$dir/r.json" rel.test. 1000 \
		"$dir/r.names" "$gap" "${vfiles[@]}" >"$dir/r.out" 2>&1 || { cat "$dir/r.out" >&2; die "reload driver failed"; }
	wait "$perf_pid" || true
	forget "$perf_pid"
	rb1=$(cpus_busy) rs1=$(ticks "$SRV") rt1=$(now)
	# other load on the two CPUs: neither the server, dnsperf nor the reload driver
	r_other_load=$(cat "$dir/r.perf.time" "$dir/r.drv.time" | awk -v b="$(( rb1 - rb0 - (rs1 - rs0) ))" \
		-v hz="$hz" -v t="$(calc "%.3f" "$rt1 - $rt0")" '{ c += $1 + $2 } END { o = b / hz - c; if (o < 0) o = 0; printf "%.0f", 100 * o / (2 * t) }')
	reload_ok=$(grep -c 'event=reload result=ok' "$dir/r.log" || true)
	drops=$(( $(sock_drops) - drops0 ))
	stop_server
	sed 's/^/    /' "$dir/r.out" >&2
	perf_field() { awk -v k="$1" 'index($0, k) { sub(/.*: */, ""); print $1; exit }' "$dir/r.perf"; }
	r_sent=$(perf_field "Queries sent:")
	r_done=$(perf_field "Queries completed:")
	r_lost=$(perf_field "Queries lost:")
	r_noerror=$(awk '/Response codes:/ { for (i = 1; i < NF; i++) if ($i == "NOERROR") print $(i + 1) + 0 }' "$dir/r.perf")
	r_noerror=${r_noerror:-0}
	r_other=$((r_done - r_noerror))
	sum_kv() { sed -n 's/^summary //p' "$dir/r.out" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
}

# ============================================================================
# 3. health checks
# ============================================================================
phase3() {
	per=$((ENDPOINTS / REGIONS))
	log "3/3 health: $ENDPOINTS endpoints ($REGIONS regions x $per) checked every second ($CHECK) vs no checks"
	python3 "$here/scale_gen.py" zone "$dir/h.json" 10000 hc.test. --checkq "$dir/h.names"
	awk '{print $1 " A"}' "$dir/h.names" >"$dir/h.q"
	python3 "$here/scale_gen.py" health "$dir/hc-check.conf" h.json "$REGIONS" "$per" "$HCPORT" "$PORT" "$CTL" --check "$CHECK"
	python3 "$here/scale_gen.py" health "$dir/hc-none.conf" h.json "$REGIONS" "$per" "$HCPORT" "$PORT" "$CTL" --check none
	taskset -c "$CLIENT_CPU" python3 "$here/scale_listen.py" "$dir/hc-check.conf.addrs" "$HCPORT" "$CHECK" 3600 \
		>"$dir/listen.out" 2>&1 &
	lpid=$!
	pids+=("$lpid")
	for _ in $(seq 100); do grep -q '^ready' "$dir/listen.out" && break; sleep 0.1; done
	grep -q '^ready' "$dir/listen.out" || { cat "$dir/listen.out" >&2; die "listeners did not start"; }

	# endpoints whose check says up, and checks done so far (GET /v1/health)
	health_counts() {
		curl -s --max-time 5 "127.0.0.1:$CTL/v1/health" | python3 -c 'import json, sys
d = json.load(sys.stdin)
eps = [e for r in d["regions"] for e in r["endpoints"]]
print(sum(e.get("check") == "up" for e in eps), sum(e.get("checks_ok", 0) + e.get("checks_failed", 0) for e in eps))' 2>/dev/null ||
			echo "0 0"
	}

	: >"$dir/h.results"
	for r in $(seq "$ROUNDS"); do
		order="none check"
		[ $((r % 2)) -eq 0 ] && order="check none"
		for mode in $order; do
			start_server "$dir/hc-$mode.conf" "$dir/hc-$mode.log" hc.test
			up=0 checks_rate=0 health_tid=0 idle_ms=0
			if [ "$mode" = check ]; then
				for _ in $(seq 60); do
					read -r up _ < <(health_counts)
					[ "$up" -ge "$ENDPOINTS" ] && break
					sleep 0.5
				done
				sleep 3	# past the first rounds: checks settle into their phases
			fi
			# idle window: the thread busy while nothing is asked is the checker
			declare -A t0ns=()
			for t in /proc/"$SRV"/task/*; do t0ns[${t##*/}]=$(tns "$SRV" "${t##*/}"); done
			c0=0 c1=0
			[ "$mode" = check ] && read -r _ c0 < <(health_counts)
			tc0=$(now) w0=$tc0
			sleep 10
			w1=$(now)
			[ "$mode" = check ] && read -r _ c1 < <(health_counts)
			tc1=$(now)
			best=0
			for t in "${!t0ns[@]}"; do
				d=$(( $(tns "$SRV" "$t") - ${t0ns[$t]} ))
				if [ "$d" -gt "$best" ]; then best=$d; health_tid=$t; fi
			done
			[ "$health_tid" != 0 ] || health_tid=$SRV
			idle_ms=$(calc "%.1f" "$best / 1e6 / ($w1 - $w0)")
			[ "$mode" = check ] && checks_rate=$(calc "%.0f" "($c1 - $c0) / ($tc1 - $tc0)")
			# the measured run
			wait_quiet "${QUIET_WAIT:-30}"
			p0=$(ticks "$SRV")
			h0=$(tns "$SRV" "$health_tid")
			s0=0
			for t in /proc/"$SRV"/task/*; do s0=$((s0 + $(tns "$SRV" "${t##*/}"))); done
			l0=$(ticks "$lpid") b0=$(cpus_busy) r0=$(now)
			/usr/bin/time -f "%U %S" -o "$dir/h.time" taskset -c "$CLIENT_CPU" \
				dnsperf -s 127.0.0.1 -p "$PORT" -e -d "$dir/h.q" -l "$DURATION" -q 200 >"$dir/h.perf" 2>&1 || true
			l1=$(ticks "$lpid") b1=$(cpus_busy) r1=$(now)
			p1=$(ticks "$SRV")
			h1=$(tns "$SRV" "$health_tid")
			s1=0
			for t in /proc/"$SRV"/task/*; do s1=$((s1 + $(tns "$SRV" "${t##*/}"))); done
			done_q=$(awk '/Queries completed:/ {print $3}' "$dir/h.perf")
			cpu=$(calc "%.3f" "($p1 - $p0) / $hz")
			eff=$(calc "%.0f" "$done_q / (($p1 - $p0) / $hz)")
			hshare=$(calc "%.2f" "100 * ($h1 - $h0) / ($s1 - $s0)")
			[ "$mode" = check ] || hshare=0
			# other load on the two CPUs: neither the server, dnsperf nor the listeners
			other=$(calc "%.1f" "(x = 100 * (($b1 - $b0 - ($p1 - $p0) - ($l1 - $l0)) / $hz - $(awk '{print $1 + $2}' "$dir/h.time")) / (2 * ($r1 - $r0))) > 0 ? x : 0")
			echo "$mode $r $done_q $cpu $eff $hshare $idle_ms $up $checks_rate $other" >>"$dir/h.results"
			log "  round $r $mode: answered $done_q in $DURATION s, server CPU $cpu s, $eff answered/CPU-s," \
				"checker thread ${hshare}% of server CPU, idle ${idle_ms} ms CPU/s, endpoints up $up, checks/s $checks_rate, other load ${other}%"
			stop_server
		done
	done
	kill -TERM "$lpid" 2>/dev/null || true
	wait "$lpid" 2>/dev/null || true
	forget "$lpid"

	med() {	# med MODE COLUMN
		awk -v m="$1" -v c="$2" '$1 == m { print $c }' "$dir/h.results" | sort -g |
			awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	}
	eff_none=$(med none 5) eff_check=$(med check 5)
}

# ============================================================================
# 4. cost as data grows
# ============================================================================

# start4 CASE CONF ZONE PORT: one more server of phase 4, pinned, until it
# answers ZONE's SOA; its PID in P4[CASE], seconds to the first answer in
# P4READY[CASE]
declare -A P4 P4PORT P4READY P4DATA
start4() {
	local t0
	t0=$(now)
	taskset -c "$SERVER_CPU" "$dnsd_bin" -c "$2" --foreground >"$dir/$1.log" 2>&1 &
	P4[$1]=$!
	pids+=("${P4[$1]}")
	P4PORT[$1]=$4
	for _ in $(seq 6000); do
		kill -0 "${P4[$1]}" 2>/dev/null || { tail -n 5 "$dir/$1.log" >&2; die "dnsd exited at start ($1)"; }
		if dig +norec +time=1 +tries=1 -p "$4" @127.0.0.1 "$3" SOA 2>/dev/null | grep -q 'status: NOERROR'; then
			P4READY[$1]=$(calc "%.1f" "$(now) - $t0")
			return 0
		fi
		sleep 0.05
	done
	die "dnsd not answering after 300 s ($1)"
}

phase4() {
	local n cases=() c port ctl i r
	port=$(pick_ports $((2 * ($(echo $SCALE_STATIC $SCALE_NETS | wc -w) + 1))))
	i=0
	for n in $SCALE_STATIC; do
		c="static-$n"
		log "4/4 scale: zone of $n records"
		python3 "$here/scale_gen.py" zone "$dir/$c.json" "$n" s.test. --queries "$dir/$c.q"
		PORT=$((port + i)) CTL=$((port + i + 1)) conf "$dir/$c.conf" "$c.json" warning
		wait_quiet 5
		start4 "$c" "$dir/$c.conf" s.test $((port + i))
		P4DATA[$c]="-d $dir/$c.q"
		cases+=("$c")
		i=$((i + 2))
	done
	local last=""
	for n in $SCALE_NETS; do
		log "4/4 scale: GeoIP database of $n networks (tools/mmdb-build)"
		python3 "$here/scale_geo.py" "$dir" "$n" "$SCALE_LAT" $((port + i)) $((port + i + 1)) 127.0.0.1
		python3 "$root/tools/mmdb-build" --layout city -o "$dir/geo-$n.mmdb" "$dir/geo-$n.csv"
		c="geo-$n"
		wait_quiet 5
		start4 "$c" "$dir/geo-$n.conf" geo.test $((port + i))
		P4DATA[$c]="-B -d $dir/geo-$n.bin"
		cases+=("$c")
		i=$((i + 2))
		last=$n
	done
	if [ -n "$last" ] && [ "$SCALE_LAT" -gt 0 ]; then
		c="geo-$last-lat"
		sed -e "s/127.0.0.1:$((port + i - 2))\"/127.0.0.1:$((port + i))\"/" \
		    -e "s/127.0.0.1:$((port + i - 1))\"/127.0.0.1:$((port + i + 1))\"/" "$dir/geo-$last.conf" >"$dir/$c.conf"
		start4 "$c" "$dir/$c.conf" geo.test $((port + i))
		log "4/4 scale: posting $SCALE_LAT latency reports to $c"
		while read -r body; do
			printf '%s' "$body" | curl -sf -o /dev/null -X POST -H 'Authorization: Bearer scale' \
				--data-binary @- "127.0.0.1:$((port + i + 1))/v1/latency" || die "POST /v1/latency failed"
		done <"$dir/lat-$SCALE_LAT.json"
		local have=0
		for _ in $(seq 120); do
			have=$(curl -s "127.0.0.1:$((port + i + 1))/metrics" | awk '$1 == "dnsd_latency_entries" {print $2 + 0}')
			[ "${have:-0}" -ge "$SCALE_LAT" ] && break
			sleep 0.5
		done
		lat_entries=${have:-0}
		P4DATA[$c]="-B -d $dir/geo-$last.bin"
		cases+=("$c")
	fi
	# a warm-up each (the zone's pages, the caches), then alternated rounds,
	# the order reversed every other round
	for c in "${cases[@]}"; do
		taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "${P4PORT[$c]}" ${P4DATA[$c]} -l 2 -q 200 >/dev/null 2>&1 || true
	done
	: >"$dir/s4.results"
	local order p0 p1 b0 b1 r0 r1 q
	for r in $(seq "$ROUNDS"); do
		order=("${cases[@]}")
		[ $((r % 2)) = 1 ] || order=($(printf '%s\n' "${cases[@]}" | tac))
		for c in "${order[@]}"; do
			wait_quiet "${QUIET_WAIT:-30}"
			p0=$(ticks "${P4[$c]}") b0=$(cpus_busy) r0=$(now)
			/usr/bin/time -f "%U %S" -o "$dir/s4.time" taskset -c "$CLIENT_CPU" \
				dnsperf -s 127.0.0.1 -p "${P4PORT[$c]}" ${P4DATA[$c]} -l "$DURATION" -q 200 >"$dir/s4.perf" 2>&1 || true
			p1=$(ticks "${P4[$c]}") b1=$(cpus_busy) r1=$(now)
			q=$(awk '/Queries completed:/ {print $3}' "$dir/s4.perf")
			echo "$c $r $q $(calc "%.3f" "($p1 - $p0) / $hz") $(calc "%.1f" "(x = 100 * (($b1 - $b0 - ($p1 - $p0)) / $hz - $(awk '{print $1 + $2}' "$dir/s4.time")) / (2 * ($r1 - $r0))) > 0 ? x : 0")" \
				>>"$dir/s4.results"
			log "  round $r $c: $(tail -n 1 "$dir/s4.results" | awk '{printf "answered %d, server CPU %.2f s, %.0f answered/CPU-s, other load %s%%", $3, $4, $3 / $4, $5}')"
		done
	done
	s4_cases=("${cases[@]}")
}

# med4 CASE: median answered/server CPU-s of one case of phase 4
med4() {
	awk -v c="$1" '$1 == c && $4 > 0 { print $3 / $4 }' "$dir/s4.results" | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.0f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

report4() {
	echo "4. answered queries per server CPU-second as data grows (dnsperf -q 200 for $DURATION s, $ROUNDS alternated rounds;"
	echo "   median (min-max); load = exec to first answer, the servers started one after the other)"
	printf '   %-22s %7s %26s %9s %8s\n' case "load s" "answered/server CPU-s" "vs first" "other %"
	local c e base kind first last
	for kind in static geo; do
		first="" last=""
		for c in "${s4_cases[@]}"; do
			case $c in "$kind"-*) ;; *) continue ;; esac
			[ -n "$first" ] || first=$c
			last=$c
			e=$(awk -v c="$c" '$1 == c && $4 > 0 { print $3 / $4 }' "$dir/s4.results" | sort -g |
				awk '{ v[NR] = $1 } END { printf "(%.0f-%.0f)", v[1], v[NR] }')
			printf '   %-22s %7s %26s %9s %8s\n' "$c" "${P4READY[$c]}" "$(med4 "$c") $e" \
				"$(calc "%.3f" "$(med4 "$c") / $(med4 "$first")")" \
				"$(awk -v c="$c" '$1 == c { print $5 }' "$dir/s4.results" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
		done
		[ -z "$first" ] || [ "$first" = "$last" ] ||
			echo "   $kind, largest / smallest: $last / $first = $(calc "%.3f" "$(med4 "$last") / $(med4 "$first")") (target >= 0.9)"
	done
	[ -z "${lat_entries:-}" ] || echo "   latency entries published before the runs (dnsd_latency_entries): $lat_entries"
}

# ============================================================================
# main
# ============================================================================

case "$PHASES" in *1*) phase1 ;; esac
case "$PHASES" in *2*) phase2 ;; esac
case "$PHASES" in *3*) phase3 ;; esac
case "$PHASES" in *4*) phase4 ;; esac

echo
echo "dnsd scale, $(date -u +%Y-%m-%dT%H:%MZ), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, Linux $(uname -r)"
echo "binary: $dnsd_bin; server pinned to CPU $SERVER_CPU, 1 worker; dnsperf and helpers on CPU $CLIENT_CPU"
echo
report1() {
	echo "1. load of a $N_LOAD-record zone ($(stat_of owners) owners; JSON $((json_bytes / 1000000)) MB; wire size $wire bytes = $(calc "%.1f" "$wire / $N_LOAD") B/record)"
	printf '   %-44s %s\n' \
		"dnsd --check" "${check_s} s, peak RSS $((check_kb / 1024)) MiB" \
		"server: exec to first answer" "${big_ready} s, ${big_ready_cpu} s of CPU (answers sampled: $((50 - sample_bad))/50 right)" \
		"server peak RSS (VmHWM) - tiny zone's" "$(((big_hwm - tiny_hwm) / 1024)) MiB = $(calc "%.0f" "($big_hwm - $tiny_hwm) * 1024 / $N_LOAD") B/record = $(calc "%.1f" "($big_hwm - $tiny_hwm) * 1024 / $wire")x wire" \
		"server steady RSS (VmRSS) - tiny zone's" "$(((big_rss - tiny_rss) / 1024)) MiB = $(calc "%.0f" "($big_rss - $tiny_rss) * 1024 / $N_LOAD") B/record = $(calc "%.1f" "($big_rss - $tiny_rss) * 1024 / $wire")x wire" \
		"after one reload (SIGHUP, ${big_reload_s} s)" "steady $(((big_rss2 - tiny_rss) / 1024)) MiB = $(calc "%.0f" "($big_rss2 - $tiny_rss) * 1024 / $N_LOAD") B/record, peak $(((big_hwm2 - tiny_hwm) / 1024)) MiB" \
		"tiny zone server" "VmRSS $((tiny_rss / 1024)) MiB, VmHWM $((tiny_hwm / 1024)) MiB"
}

report2() {
	echo "2. reload of a $N_RELOAD-record zone under $RELOAD_QPS qps ($RELOADS reloads, SIGHUP and POST /v1/reload in turn, every address changed each time)"
	printf '   %-44s %s\n' \
		"dnsperf" "sent $r_sent, answered $r_done, lost $r_lost, not NOERROR $r_other; dropped at the server's socket: $drops" \
		"answers checked (scale_reload.py)" "$(sum_kv checked) checked, wrong $(sum_kv wrong) (older $(sum_kv too_old), newer $(sum_kv too_new), rcode $(sum_kv bad_rcode), shape $(sum_kv bad_shape)), timeouts $(sum_kv timeouts)" \
		"reloads ok (server log)" "$reload_ok of $RELOADS" \
		"other load on the two CPUs" "${r_other_load} % (neither the server, dnsperf nor the reload driver)" \
		"signal/request to new serial served" "median $(sum_kv median_ms) ms, max $(sum_kv max_ms) ms ($(awk -F'[ =]' '/^reload=/ {printf "%s%s %s ms", sep, $4, $6; sep = ", "}' "$dir/r.out"))"
}

report3() {
	echo "3. $ENDPOINTS endpoints in $REGIONS regions, $CHECK check every 1 s (listeners on 127.1.R.E:$HCPORT), vs no checks"
	echo "   static queries, dnsperf -q 200 for $DURATION s, $ROUNDS alternated rounds, medians; efficiency = answered / server CPU-s;"
	echo "   checker %CPU: the health thread's share of the server's CPU in the runs; idle: its CPU per second with no queries;"
	echo "   other %: load on the two CPUs from neither the server, dnsperf nor the listeners (another job: figures skew)"
	printf '   %-8s %10s %10s %15s %13s %14s %6s %9s %8s\n' config answered "CPU s/run" "answered/CPU-s" "checker %CPU" "idle CPU ms/s" "up" "checks/s" "other %"
	for mode in none check; do
		printf '   %-8s %10.0f %10.2f %15.0f %13.2f %14.1f %6s %9s %8s\n' "$mode" "$(med "$mode" 3)" "$(med "$mode" 4)" \
			"$(med "$mode" 5)" "$(med "$mode" 6)" "$(med "$mode" 7)" "$(med "$mode" 8)" "$(med "$mode" 9)" "$(med "$mode" 10)"
	done
	echo "   efficiency with checks / without: $(calc "%.3f" "$eff_check / $eff_none") (cost $(calc "%.1f" "100 * (1 - $eff_check / $eff_none)") %; target under 5 %)"
	echo "   runs: $(awk '{printf "%s%s r%s %s/CPU-s", sep, $1, $2, $5; sep = ", "}' "$dir/h.results")"
}

case "$PHASES" in *1*) report1; echo ;; esac
case "$PHASES" in *2*) report2; echo ;; esac
case "$PHASES" in *3*) report3; echo ;; esac
case "$PHASES" in *4*) report4 ;; esac

#!/usr/bin/env bash
# tools/bench.sh -- what a query costs dnsd, against NSD and Knot (static
# names), gdnsd and PowerDNS (geo names with ECS) and the kernel's ceiling
# (tools/ceiling.c), all on the same data, each on its own loopback port.
# The ceiling runs twice, as "ceiling" and "ceiling-twin": two identical
# servers, whose ratio shows how far the method itself can be trusted.
# A second dnsd ("dnsd-signed") serves the same zones DNSSEC-signed (an
# ECDSA P-256 KSK + ZSK each, made here by ldns-keygen), asked with DO
# ("static-do", "geo-do") and without; the report gives its efficiency
# over the unsigned dnsd's, and the load time and peak RSS of a signed
# 100,000-host zone (dnsd --check).
# The method and how to read it: docs/performance.md §7.
#
# Every server runs pinned to one CPU (taskset, SERVER_CPU, default 1) with
# one worker thread; dnsperf runs pinned to the other (CLIENT_CPU, default
# 0).  Servers that set their own threads' affinity (Knot puts UDP worker
# i on CPU i) are pinned again once they answer, and every thread's
# allowed CPUs are checked after every run.  Around every dnsperf run the
# server's CPU time (utime + stime of every process and thread in its
# process tree, from /proc/PID/stat) is read, and so are dnsperf's and the
# two CPUs' ksoftirqd threads': the figures are answered queries per
# server CPU-second and per system CPU-second (server + dnsperf +
# ksoftirqd), not raw qps (which on a small machine mostly measures
# dnsperf).  Runs alternate between servers, ROUNDS times, the order
# reversed every other round; medians with their min-max.
#
# A benchmark, not a test: nothing in ctest runs it.  Environment:
#   N=10000        static records in the zone
#   DURATION=10    seconds per unlimited-rate run
#   ROUNDS=5       rounds (medians and min-max are taken over them)
#   QPS=20000      offered rate of the fixed-rate runs
#   QDURATION=5    seconds per fixed-rate run
#   OUTSTANDING=200  dnsperf -q for the unlimited runs
#   QUIET_WAIT=15  seconds to wait before a run for the CPUs to be idle
#   KEEP=1         keep the data directory (its path is printed)
#   NETNS=1        dnsperf in a network namespace of its own, the servers in
#                  another, over a veth pair (198.18.0.2 -> 198.18.0.1),
#                  both made here and removed at exit; with NETNS_RPS=1
#                  (the default) each side's receive path is steered to its
#                  own CPU (rps_cpus), so the server's runs on SERVER_CPU
#   KXDPGUN=1      with NETNS=1, also the ceilings and dnsd under kxdpgun
#                  (AF_XDP on the client's veth) at KXDP_QPS (200000)
#   PAIRS="static:ceiling static:ceiling-twin"  only these set:server pairs (the
#                  signed server, its keys and the load figures only when
#                  a pair names dnsd-signed)
#   DNSD_BIN=path  measure this dnsd instead of building build-bench; the
#                  ceiling is then CEILING_BIN, default the dnsd-ceiling of
#                  the same build tree (DNSD_BIN/../../tools/dnsd-ceiling)
# Runs as root or with sudo (it installs packages when missing).  Binds
# 127.0.0.1 only, or with NETNS=1 an address inside its own namespace.
# Stops everything it started, and removes its namespaces, on exit.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
N=${N:-10000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-5}
QPS=${QPS:-20000}
QDURATION=${QDURATION:-5}
OUTSTANDING=${OUTSTANDING:-200}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
NETNS=${NETNS:-0}
NETNS_RPS=${NETNS_RPS:-1}
KXDPGUN=${KXDPGUN:-0}
KXDP_QPS=${KXDP_QPS:-200000}
export PATH="$PATH:/usr/sbin:/sbin"

BENCH_PACKAGES=(nsd knot knot-module-geoip gdnsd pdns-server pdns-backend-geoip dnsperf time
	knot-dnsutils	# kxdpgun, the second load generator (KXDPGUN=1)
	iproute2)	# ip netns (NETNS=1)
# Packaged services of those: they must not run while we measure.
BENCH_SERVICES=(nsd knot gdnsd pdns)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

. "$root/tools/bench/lib.sh"

# ---- install ---------------------------------------------------------------

# Build dependencies come from tools/deps.sh (the one package list); the
# peers and dnsperf are benchmark-only.  Packaged daemons must not start on
# install: a policy-rc.d answering 101 covers the install, and one already
# in place is kept.
install_missing() {
	. "$root/tools/deps.sh"
	local missing=() p
	for p in "${DNSD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing: ${missing[*]}"
		local policy=/usr/sbin/policy-rc.d saved=""
		if [ -e $policy ]; then
			saved=$(mktemp)
			$sudo cp -p $policy "$saved"
		fi
		printf '#!/bin/sh\nexit 101\n' | $sudo tee $policy >/dev/null
		$sudo chmod +x $policy
		local rc=0
		$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" || rc=$?
		if [ -n "$saved" ]; then
			$sudo cp -p "$saved" $policy
			rm -f "$saved"
		else
			$sudo rm -f $policy
		fi
		[ $rc -eq 0 ] || { log "apt-get failed"; exit 1; }
	fi
	local s
	for s in "${BENCH_SERVICES[@]}"; do
		if [ -d /run/systemd/system ] && systemctl is-active -q "$s" 2>/dev/null; then
			log "stopping the packaged $s service (it would compete for the CPU)"
			$sudo systemctl stop "$s"
		elif [ ! -d /run/systemd/system ] && [ -x "/etc/init.d/$s" ] &&
		     $sudo service "$s" status >/dev/null 2>&1; then
			log "stopping the packaged $s service (it would compete for the CPU)"
			$sudo service "$s" stop >/dev/null 2>&1 || true
		fi
	done
}

# ---- servers ---------------------------------------------------------------

declare -A PID PORT READY WHY
dir=""
# Where the servers listen and how commands enter the namespaces: loopback
# and nothing, unless NETNS=1 (netns_up).
addr=127.0.0.1
srv_exec=()
cli_exec=()
ns_srv="" ns_cli=""

cleanup() {
	stop_pids "${PID[@]}"
	netns_down
	remove_data "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- NETNS=1: a namespace for the servers, one for dnsperf -----------------

# On loopback a datagram's receive path (IP, UDP, the socket lookup, the
# queueing and the wake-up of the reader) runs on the sender's CPU, so
# part of each server's cost is paid on dnsperf's CPU and part of
# dnsperf's on the server's.  Over a veth pair whose receive queues steer
# packets to the receiver's CPU (RPS), each side pays its own.  198.18.0.0/15
# is the range set aside for benchmarks (RFC 2544).
netns_up() {
	ns_srv="dnsd-bench-srv-$$" ns_cli="dnsd-bench-cli-$$"
	local vs="dbs$$" vc="dbc$$"
	$sudo ip netns add "$ns_srv"
	$sudo ip netns add "$ns_cli"
	$sudo ip link add "$vs" type veth peer name "$vc"
	$sudo ip link set "$vs" netns "$ns_srv"
	$sudo ip link set "$vc" netns "$ns_cli"
	$sudo ip -n "$ns_srv" addr add 198.18.0.1/24 dev "$vs"
	$sudo ip -n "$ns_cli" addr add 198.18.0.2/24 dev "$vc"
	local ns
	for ns in "$ns_srv" "$ns_cli"; do
		$sudo ip -n "$ns" link set lo up
	done
	$sudo ip -n "$ns_srv" link set "$vs" up
	$sudo ip -n "$ns_cli" link set "$vc" up
	if [ "$NETNS_RPS" = 1 ]; then
		$sudo ip netns exec "$ns_srv" sh -c "echo $(printf %x $((1 << SERVER_CPU))) >/sys/class/net/$vs/queues/rx-0/rps_cpus"
		$sudo ip netns exec "$ns_cli" sh -c "echo $(printf %x $((1 << CLIENT_CPU))) >/sys/class/net/$vc/queues/rx-0/rps_cpus"
	fi
	veth_cli=$vc
	addr=198.18.0.1
	srv_exec=($sudo ip netns exec "$ns_srv")
	cli_exec=($sudo ip netns exec "$ns_cli")
}

# netns_down: the namespaces go (the veth pair with them); processes in
# them are stopped before.
netns_down() {
	local ns
	for ns in $ns_srv $ns_cli; do
		$sudo ip netns del "$ns" 2>/dev/null || true
	done
	ns_srv="" ns_cli=""
}

# tree_stat ROOT: "PID TICKS" for the process and each of its
# descendants, TICKS its CPU time (utime + stime; threads are inside each
# process's stat line).  Lines are read whole: comm may hold spaces.
tree_stat() {
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '
	{
		line = $0
		sub(/^[^(]*\(.*\) /, "", line)
		split(line, f, " ")
		pp[$1] = f[2]
		t[$1] = f[12] + f[13]
	}
	END {
		inside[root] = 1
		for (changed = 1; changed;) {
			changed = 0
			for (p in pp)
				if (!(p in inside) && (pp[p] in inside)) {
					inside[p] = 1
					changed = 1
				}
		}
		for (p in inside)
			if (p in pp)
				print p, t[p]
	}'
}

# tree_pids ROOT: the process and all its descendants.
tree_pids() {
	tree_stat "$1" | awk '{ print $1 }'
}

# pin NAME: every thread of the server's process tree onto SERVER_CPU.
# taskset at exec is not enough: Knot pins its UDP worker i to CPU i
# itself (worker 0 onto CPU 0, dnsperf's), and it does so when the thread
# starts, before the server answers; pinning again after that holds.
pin() {
	local p
	for p in $(tree_pids "${PID[$1]}"); do
		$sudo taskset -a -p -c "$SERVER_CPU" "$p" >/dev/null 2>&1 || true
	done
}

# misplaced NAME: how many threads of the server's tree may run elsewhere
# than SERVER_CPU (0 is right).
misplaced() {
	local p n=0 t
	for p in $(tree_pids "${PID[$1]}"); do
		for t in /proc/"$p"/task/*/status; do
			[ "$(awk '$1 == "Cpus_allowed_list:" {print $2}' "$t" 2>/dev/null)" = "$SERVER_CPU" ] ||
				[ ! -e "$t" ] || n=$((n + 1))
		done
	done
	echo $n
}

# ticks of the ksoftirqd threads of the two CPUs: softirq work the kernel
# deferred, which is charged to no server and no dnsperf
ksoftirqd_pids=()
for c in "$SERVER_CPU" "$CLIENT_CPU"; do
	for f in /proc/[0-9]*/comm; do
		[ "$(cat "$f" 2>/dev/null)" = "ksoftirqd/$c" ] && ksoftirqd_pids+=("$(basename "$(dirname "$f")")")
	done
done
ksoftirqd_ticks() {
	local p s=0
	for p in "${ksoftirqd_pids[@]}"; do
		s=$((s + $(awk '{ sub(/^[^(]*\(.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
	done
	echo $s
}

# start NAME ZONE CMD... : pinned to SERVER_CPU, output in $dir/NAME.log;
# ready when it answers ZONE's SOA.
start() {
	local name=$1 zone=$2
	shift 2
	if ! command -v "$1" >/dev/null; then
		WHY[$name]="$1 not installed"
		return 0
	fi
	"${srv_exec[@]}" taskset -c "$SERVER_CPU" "$@" >"$dir/$name.log" 2>&1 &
	PID[$name]=$!
	for _ in $(seq 60); do
		if ! kill -0 "${PID[$name]}" 2>/dev/null; then
			WHY[$name]="exited at start: $(tail -n 3 "$dir/$name.log" | tr '\n' ' ')"
			unset "PID[$name]"
			return 0
		fi
		if "${cli_exec[@]}" dig +norec +time=1 +tries=1 -p "${PORT[$name]}" @"$addr" "$zone" SOA 2>/dev/null |
		   grep -q 'status: NOERROR'; then
			READY[$name]=1
			pin "$name"
			return 0
		fi
		sleep 0.5
	done
	WHY[$name]="not answering after 30 s: $(tail -n 3 "$dir/$name.log" | tr '\n' ' ')"
}

# CPU ticks of a process and all its descendants.
tree_ticks() {
	tree_stat "$1" | awk '{ s += $2 } END { print s + 0 }'
}

# run PHASE SET SERVER ROUND DNSPERF-ARGS... : one dnsperf run, one result
# line.  dnsperf -v reports every answer's latency; p99 comes from those.
run() {
	local phase=$1 set=$2 s=$3 round=$4
	shift 4
	local data
	case $set in
	static) data=(-e -d "$dir/static.txt") ;;
	static-do) data=(-e -D -d "$dir/static.txt") ;;
	geo) data=(-B -d "$dir/geo.bin") ;;
	geo-do) data=(-B -d "$dir/geo-do.bin") ;;	# DO in the wire queries' OPT
	esac
	local c0 c1 b0 b1 t0 t1 k0 k1 out="$dir/run.out" TIMEFORMAT='%U %S'
	[ "$phase" = warmup ] || wait_quiet "${QUIET_WAIT:-15}"
	b0=$(cpus_busy)
	t0=$(date +%s.%N)
	k0=$(ksoftirqd_ticks)
	c0=$(tree_ticks "${PID[$s]}")
	{ time "${cli_exec[@]}" taskset -c "$CLIENT_CPU" dnsperf -s "$addr" -p "${PORT[$s]}" "${data[@]}" -v "$@" \
		>"$out" 2>&1 || true; } 2>"$dir/time.out"
	c1=$(tree_ticks "${PID[$s]}")
	k1=$(ksoftirqd_ticks)
	t1=$(date +%s.%N)
	b1=$(cpus_busy)
	# a server thread allowed elsewhere than SERVER_CPU makes the run
	# meaningless (its CPU would be shared with dnsperf's): counted, and
	# pinned again for the next run
	local off
	off=$(misplaced "$s")
	if [ "$off" != 0 ]; then
		log "  $s: $off thread(s) were not pinned to CPU $SERVER_CPU during round $round; pinned again"
		pin "$s"
	fi
	# other load: busy time of the two CPUs not spent by the server,
	# dnsperf or ksoftirqd, as a share of both CPUs over the run (another
	# job, noise)
	local hz other
	hz=$(getconf CLK_TCK)
	other=$(echo "$b0 $b1 $c0 $((c1 + k1 - k0)) $hz $t0 $t1 $(cat "$dir/time.out")" |
		awk '{ o = (($2 - $1) - ($4 - $3)) / $5 - ($8 + $9); if (o < 0) o = 0;
		       printf "%.1f", 100 * o / (2 * ($7 - $6)) }')
	# system CPU: the server, dnsperf (its user + system time) and the two
	# CPUs' ksoftirqd
	local syscpu
	syscpu=$(echo "$c0 $c1 $k0 $k1 $hz $(cat "$dir/time.out")" |
		awk '{ printf "%.2f", (($2 - $1) + ($4 - $3)) / $5 + $6 + $7 }')
	awk -v phase="$phase" -v set="$set" -v s="$s" -v round="$round" -v other="$other" \
	    -v syscpu="$syscpu" -v off="$off" \
	    -v cpu="$(echo "$c0 $c1 $hz" | awk '{printf "%.2f", ($2 - $1) / $3}')" '
	/^> / && $2 != "T" && $2 != "I" {
		us = int($NF * 1e6 + 0.5)
		h[us]++
		if (us > maxus) maxus = us
		nlat++
	}
	/Queries completed:/ { done = $3 }
	/Queries lost:/ { lost = $3 }
	/Queries per second:/ { qps = $4 }
	/Average Latency/ { mean = $4 }
	END {
		p99 = -1
		if (nlat > 0) {
			want = nlat * 0.99
			for (u = 0; u <= maxus; u++) {
				acc += h[u]
				if (acc >= want) { p99 = u / 1e6; break }
			}
		}
		if (mean == "") mean = -1
		printf "%s %s %s %s %d %s %s %s %s %d %s %s %d\n", phase, set, s, round, done, qps, cpu, mean, p99, lost, other, syscpu, off
	}' "$out" >>"$dir/results.tsv"
	if [ "$phase" = warmup ]; then
		printf '  %-11s %-9s %s%s\n' "$s" "$set" "$(grep -E 'Response codes' "$out" | sed 's/^ *//' || echo "no answers")" \
			"$(sed -n 's/.*Average packet size: *request \([0-9]*\), *response \([0-9]*\).*/; bytes per query \1, per response \2/p' "$out")" >&2
	fi
	rm -f "$out" "$dir/time.out"
}

# kxdp_runs: with NETNS=1 and KXDPGUN=1, the static set sent by kxdpgun
# (AF_XDP on the client's veth: queries built once and sent from a ring,
# no socket per query) at KXDP_QPS to the two ceilings and dnsd, ROUNDS
# alternated rounds of DURATION s.  kxdpgun does not wait for answers (an
# open loop), so above a server's capacity the excess is lost; the
# figure is still answered queries per server CPU-second.
kxdp_runs() {
	if [ "$NETNS" != 1 ] || ! command -v kxdpgun >/dev/null; then
		log "KXDPGUN=1 needs NETNS=1 and kxdpgun (knot-dnsutils); skipped"
		return 0
	fi
	local r s c0 c1 k0 k1 b0 b1 t0 t1 hz TIMEFORMAT='%U %S'
	hz=$(getconf CLK_TCK)
	log "kxdpgun: static set at $KXDP_QPS qps, $ROUNDS rounds of $DURATION s"
	for r in $(seq "$ROUNDS"); do
		for s in ceiling ceiling-twin dnsd; do
			[ -n "${READY[$s]:-}" ] || continue
			wait_quiet "${QUIET_WAIT:-15}"
			b0=$(cpus_busy) t0=$(date +%s.%N) k0=$(ksoftirqd_ticks) c0=$(tree_ticks "${PID[$s]}")
			{ time "${cli_exec[@]}" kxdpgun -t "$DURATION" -Q "$KXDP_QPS" -p "${PORT[$s]}" -F "$CLIENT_CPU" \
				-I "$veth_cli" -i "$dir/static.txt" "$addr" >"$dir/kx.out" 2>&1 || true; } 2>"$dir/time.out"
			c1=$(tree_ticks "${PID[$s]}") k1=$(ksoftirqd_ticks) t1=$(date +%s.%N) b1=$(cpus_busy)
			grep -q '^total replies' "$dir/kx.out" || { log "kxdpgun failed: $(tail -n 3 "$dir/kx.out" | tr '\n' ' ')"; return 0; }
			echo "$r $s $c0 $c1 $k0 $k1 $b0 $b1 $t0 $t1 $hz $(cat "$dir/time.out")" |
				awk -v sent="$(awk '/^total queries/ {print $3}' "$dir/kx.out")" \
				    -v got="$(awk '/^total replies/ {print $3}' "$dir/kx.out")" -v dur="$DURATION" '{
					cpu = ($4 - $3) / $11
					sys = cpu + ($6 - $5) / $11 + $12 + $13
					o = (($8 - $7) - ($4 - $3) - ($6 - $5)) / $11 - ($12 + $13); if (o < 0) o = 0
					printf "kxdp static %s %s %d %.0f %.2f -1 -1 %d %.1f %.2f 0\n", $2, $1, got, got / dur,
						cpu, sent - got, 100 * o / (2 * ($10 - $9)), sys
				}' >>"$dir/results.tsv"
			head -n 1 "$dir/kx.out" | sed "s/^/  $s r$r: /" >&2
		done
	done
	rm -f "$dir/kx.out" "$dir/time.out"
}

# ---- the signed set's load figures -------------------------------------------

# check_v CONF: dnsd --check CONF under /usr/bin/time -v, pinned like the
# servers; prints "wall_seconds max_rss_kb records".
check_v() {
	taskset -c "$SERVER_CPU" /usr/bin/time -v -o "$dir/check.time" "$dnsd_bin" -c "$1" --check \
		>"$dir/check.out" 2>&1 || { log "--check $1 failed: $(tail -n 3 "$dir/check.out" | tr '\n' ' ')"; return 1; }
	awk -F': ' -v records="$(sed -n 's/.*: ok, .* zones, \([0-9]*\) records.*/\1/p' "$dir/check.out")" '
	/Elapsed \(wall clock\)/ { n = split($NF, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i] }
	/Maximum resident set size/ { rss = $NF }
	END { printf "%.2f %d %d\n", w, rss, records }' "$dir/check.time"
}

# check_ms CONF RUNS: the median wall time of RUNS dnsd --check CONF, in
# milliseconds (/usr/bin/time has 10 ms steps: too coarse here).
check_ms() {
	local i t0 t1
	for ((i = 0; i < $2; i++)); do
		t0=$(date +%s%N)
		taskset -c "$SERVER_CPU" "$dnsd_bin" -c "$1" --check >"$dir/check.out" 2>&1 ||
			{ log "--check $1 failed: $(tail -n 3 "$dir/check.out" | tr '\n' ' ')"; return 1; }
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 ))
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'
}

# load_figures: one per bench run, lines for the report in $dir/load.txt.
# The zones are gen.py's load/: 100,000 bench.test-like hosts (an A each,
# an AAAA every fourth), and geo.test with one geo name shaped like the
# geo set's (every region, one IPv4 and one IPv6 endpoint each).
load_figures() {
	local u s gu gs g0 g100 regions
	wait_quiet "${QUIET_WAIT:-15}"
	log "load figures: dnsd --check of the 100,000-host zone, unsigned and signed"
	u=$(check_v "$dir/load/big.conf") && s=$(check_v "$dir/load/big-signed.conf") || return 0
	regions=$(python3 -c 'import json, sys; print(len(next(iter(json.load(open(sys.argv[1]))["geo"].values()))["regions"]))' \
		"$dir/load/geo1.json")
	log "load figures: dnsd --check of geo.test with one geo name ($regions regions) unsigned and signed," \
		"signed with none and with 100 of them, 21 times each"
	gu=$(check_ms "$dir/load/geo1.conf" 21) && gs=$(check_ms "$dir/load/geo1-signed.conf" 21) &&
		g0=$(check_ms "$dir/load/geo0-signed.conf" 21) && g100=$(check_ms "$dir/load/geo100-signed.conf" 21) ||
		return 0
	set -- $u $s
	{
		echo "Signed zone load (dnsd --check under /usr/bin/time -v, pinned to CPU $SERVER_CPU, one run each;" \
			"a zone of 100,000 bench.test hosts, $3 records):"
		printf '  unsigned: %6.2f s wall, max RSS %4d MiB\n' "$1" $(($2 / 1024))
		printf '  signed:   %6.2f s wall, max RSS %4d MiB (%.2fx the time, %.2fx the RSS; KSK + ZSK, ECDSAP256SHA256)\n' \
			"$4" $(($5 / 1024)) "$(awk -v a="$4" -v b="$1" 'BEGIN { print (b > 0 ? a / b : 0) }')" \
			"$(awk -v a="$5" -v b="$2" 'BEGIN { print (b > 0 ? a / b : 0) }')"
		echo "Pre-signing one geo name ($regions regions, an IPv4 and an IPv6 endpoint each, as in the geo set;" \
			"dnsd --check of geo.test with only that name, medians of 21, pinned to CPU $SERVER_CPU):"
		printf '  signed - unsigned:   %5.1f ms (%.1f - %.1f ms; includes loading the keys and signing the apex)\n' \
			"$(awk -v a="$gs" -v b="$gu" 'BEGIN { print a - b }')" "$gs" "$gu"
		printf '  per name, of 100:    %5.2f ms (signed with 100 such names %.1f - with none %.1f ms, / 100;' \
			"$(awk -v a="$g100" -v b="$g0" 'BEGIN { print (a - b) / 100 }')" "$g100" "$g0"
		printf ' one name alone is %.1f ms over none: near the noise of a process start)\n' \
			"$(awk -v a="$gs" -v b="$g0" 'BEGIN { print a - b }')"
	} >"$dir/load.txt"
	rm -f "$dir/check.out" "$dir/check.time"
}

# ---- main ------------------------------------------------------------------

install_missing

stale=""
if [ -n "${DNSD_BIN:-}" ]; then
	# another build: measured as it is, nothing built
	dnsd_bin=$(realpath -m "$DNSD_BIN")
	ceiling_bin=${CEILING_BIN:-$(dirname "$(dirname "$dnsd_bin")")/tools/dnsd-ceiling}
	[ -x "$dnsd_bin" ] || { log "DNSD_BIN: no executable at $DNSD_BIN"; exit 1; }
else
	if [ ! -f "$root/build-bench/CMakeCache.txt" ]; then
		cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	fi
	dnsd_bin="$root/build-bench/dnsd/dnsd"
	ceiling_bin="$root/build-bench/tools/dnsd-ceiling"
	if ! cmake --build "$root/build-bench" --target dnsd dnsd-ceiling -j"$(nproc)" >"$root/build-bench/bench-build.log" 2>&1; then
		# a tree in the middle of an edit: measure the last good build, and say so
		[ -x "$dnsd_bin" ] && [ -x "$ceiling_bin" ] || {
			tail -n 20 "$root/build-bench/bench-build.log" >&2
			exit 1
		}
		stale="build failed (build-bench/bench-build.log); measured the previous binary of $(date -u -r "$dnsd_bin" +%Y-%m-%dT%H:%MZ)"
		log "WARNING: $stale"
	fi
fi

if [ "$(nproc)" -lt 2 ]; then
	log "needs two CPUs (one for the server, one for dnsperf)"
	exit 1
fi

dir=$(mktemp -d /tmp/dnsd-bench.XXXXXX)
chmod 755 "$dir"
base=$(pick_ports 10)
PORT[dnsd]=$base
PORT[nsd]=$((base + 2))
PORT[knot]=$((base + 3))
PORT[gdnsd]=$((base + 4))
PORT[pdns]=$((base + 5))
PORT[ceiling]=$((base + 6))
PORT[dnsd-signed]=$((base + 7))
PORT[ceiling-twin]=$((base + 9))

want_pairs=${PAIRS:-static:dnsd static:nsd static:knot static:ceiling static:ceiling-twin
	geo:dnsd geo:gdnsd geo:pdns geo:ceiling geo:ceiling-twin
	static:dnsd-signed static-do:dnsd-signed geo-do:dnsd-signed}
signed=""
for p in $want_pairs; do
	[ "${p#*:}" = dnsd-signed ] && signed=1
done

# keygen ZONE ARGS...: an ldns-keygen pair in $dir/signed/keys, its base
# name printed
keygen() {
	local zone=$1
	shift
	(cd "$dir/signed/keys" && ldns-keygen "$@" "$zone")
}
keys=()
if [ -n "$signed" ]; then
	if command -v ldns-keygen >/dev/null; then
		log "making the signed set's keys (ECDSAP256SHA256 KSK + ZSK for each zone)"
		mkdir -p "$dir/signed/keys"
		keys=(KSK_STATIC="$(keygen bench.test -a ECDSAP256SHA256 -k)" ZSK_STATIC="$(keygen bench.test -a ECDSAP256SHA256)"
		      KSK_GEO="$(keygen geo.test -a ECDSAP256SHA256 -k)" ZSK_GEO="$(keygen geo.test -a ECDSAP256SHA256)"
		      PORT_DNSD_SIGNED="${PORT[dnsd-signed]}" PORT_DNSD_SIGNED_CTL=$((base + 8)))
	else
		WHY[dnsd-signed]="ldns-keygen not installed (ldnsutils)"
		signed=""
	fi
fi

if [ "$NETNS" = 1 ]; then
	netns_up
	log "NETNS=1: servers in namespace $ns_srv ($addr), dnsperf in $ns_cli (198.18.0.2), veth pair," \
		"receive steering (rps_cpus) $([ "$NETNS_RPS" = 1 ] && echo on || echo off)"
fi

log "generating the data set (N=$N) in $dir"
python3 "$root/tools/bench/gen.py" "$dir" "$N" ADDR="$addr" PORT_DNSD="${PORT[dnsd]}" PORT_DNSD_CTL=$((base + 1)) \
	PORT_NSD="${PORT[nsd]}" PORT_KNOT="${PORT[knot]}" PORT_GDNSD="${PORT[gdnsd]}" PORT_PDNS="${PORT[pdns]}" "${keys[@]}"
python3 "$root/tools/mmdb-build" --layout city -o "$dir/bench.mmdb" "$dir/geo.csv"
mkdir -p "$dir/nsd" "$dir/knot"

log "starting servers on $addr ports $base-$((base + 9)), each pinned to CPU $SERVER_CPU"
start dnsd bench.test "$dnsd_bin" -c "$dir/dnsd.json" --foreground
start nsd bench.test nsd -d -c "$dir/nsd.conf"
start knot bench.test knotd -c "$dir/knot.conf"
start gdnsd geo.test gdnsd -c "$dir/gdnsd" start
start pdns geo.test pdns_server --config-dir="$dir/pdns"
start ceiling bench.test "$ceiling_bin" "${PORT[ceiling]}" "$addr"
start ceiling-twin bench.test "$ceiling_bin" "${PORT[ceiling-twin]}" "$addr"
signed_check=""
if [ -n "$signed" ]; then
	start dnsd-signed bench.test "$dnsd_bin" -c "$dir/dnsd-signed.json" --foreground
	# sanity: DO answers carry signatures, plain ones do not
	if [ -n "${READY[dnsd-signed]:-}" ]; then
		sigs() {
			"${cli_exec[@]}" dig +norec +time=2 +tries=1 -p "${PORT[dnsd-signed]}" @"$addr" "$@" 2>/dev/null |
				awk '!/^;/ && $4 == "RRSIG"' | wc -l
		}
		signed_check="RRSIGs in dig answers from dnsd-signed: h1.bench.test A +dnssec $(sigs +dnssec h1.bench.test A),"
		signed_check+=" nx.bench.test A +dnssec $(sigs +dnssec nx.bench.test A),"
		signed_check+=" www.geo.test A +dnssec +subnet $(sigs +dnssec +subnet=1.2.3.0/24 www.geo.test A),"
		signed_check+=" h1.bench.test A without DO $(sigs h1.bench.test A)"
		log "$signed_check"
	fi
fi

pairs=()
for p in $want_pairs; do
	[ -n "${READY[${p#*:}]:-}" ] && pairs+=("$p")
done
for s in "${!WHY[@]}"; do
	log "not run: $s: ${WHY[$s]}"
done

log "warm-up (2 s each; response codes as a sanity check):"
for p in "${pairs[@]}"; do
	run warmup "${p%%:*}" "${p#*:}" 0 -l 2 -q "$OUTSTANDING"
done
: >"$dir/results.tsv"

# round_order R: the pairs, reversed in even rounds, so that a drift of
# the machine (another job starting, the CPU's clock) weighs on every
# server alike rather than on the last ones of each round
round_order() {
	local i
	if [ $(($1 % 2)) = 1 ]; then
		printf '%s\n' "${pairs[@]}"
	else
		for ((i = ${#pairs[@]} - 1; i >= 0; i--)); do echo "${pairs[$i]}"; done
	fi
}

total=$(( ${#pairs[@]} * ROUNDS * (DURATION + QDURATION + 2) ))
log "measuring: ${#pairs[@]} server/query-set pairs x $ROUNDS rounds, about $((total / 60 + 1)) min"
for r in $(seq "$ROUNDS"); do
	for p in $(round_order "$r"); do
		run max "${p%%:*}" "${p#*:}" "$r" -l "$DURATION" -q "$OUTSTANDING"
	done
done
for r in $(seq "$ROUNDS"); do
	for p in $(round_order "$r"); do
		run fixed "${p%%:*}" "${p#*:}" "$r" -l "$QDURATION" -Q "$QPS" -q 1000
	done
done
[ "$KXDPGUN" = 1 ] && kxdp_runs
[ -z "${READY[dnsd-signed]:-}" ] || load_figures

echo
echo "dnsd benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, Linux $(uname -r), Debian $(cat /etc/debian_version)"
echo "method: each server pinned to CPU $SERVER_CPU (taskset -c $SERVER_CPU, every thread again once it answers)," \
	"one worker/thread; dnsperf pinned to CPU $CLIENT_CPU; server CPU = utime+stime of its whole process tree;" \
	"system CPU = server + dnsperf + ksoftirqd of both CPUs"
if [ "$NETNS" = 1 ]; then
	echo "network: dnsperf in its own namespace, servers in another, over a veth pair (198.18.0.2 -> 198.18.0.1)," \
		"receive steering to the receiver's CPU (rps_cpus) $([ "$NETNS_RPS" = 1 ] && echo on || echo off)"
else
	echo "network: loopback (a packet's receive path runs on its sender's CPU: see docs/performance.md)"
fi
echo "data: $N static records (queries: existing A/AAAA names, ~10% NXDOMAIN, EDNS);" \
	"8 geo names over 10 regions (queries: per-query ECS, v4 /24 and v6 /56 on every continent, dnsperf -B)"
echo "versions: $(dnsperf -h 2>&1 | sed -n 's/^Version /dnsperf /p'), NSD $(nsd -v 2>&1 | sed -n 's/^NSD version //p' | head -1)," \
	"Knot $(knotd -V 2>/dev/null | awk '{print $NF}'), gdnsd $(dpkg-query -W -f='${Version}' gdnsd 2>/dev/null)," \
	"PowerDNS $(dpkg-query -W -f='${Version}' pdns-server 2>/dev/null)"
echo "runs: ${DURATION} s unlimited (dnsperf -q $OUTSTANDING), ${QDURATION} s at -Q $QPS; $ROUNDS rounds alternated" \
	"(order reversed every other round); medians (min-max over the rounds); p99 from dnsperf -v per-query latencies"
for s in "${!WHY[@]}"; do
	echo "not run: $s: ${WHY[$s]}"
done
[ -z "$stale" ] || echo "WARNING: $stale"
[ -z "${DNSD_BIN:-}" ] || echo "binary: $dnsd_bin (DNSD_BIN)"
if [ -n "${READY[dnsd-signed]:-}" ]; then
	echo "signed: dnsd-signed serves the same zones signed (ECDSAP256SHA256 KSK + ZSK each, NSEC), same placement as dnsd;" \
		"static-do and geo-do are the static and geo queries with DO set"
	echo "$signed_check"
fi
echo
python3 "$root/tools/bench/report.py" "$dir/results.tsv"
if [ -s "$dir/load.txt" ]; then
	echo
	cat "$dir/load.txt"
fi

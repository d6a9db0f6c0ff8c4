#!/usr/bin/env bash
# tools/bench.sh -- what a query costs dnsd, against NSD and Knot (static
# names), gdnsd and PowerDNS (geo names with ECS) and the kernel's ceiling
# (tools/ceiling.c), all on the same data, each on its own loopback port.
# A second dnsd ("dnsd-signed") serves the same zones DNSSEC-signed (an
# ECDSA P-256 KSK + ZSK each, made here by ldns-keygen), asked with DO
# ("static-do", "geo-do") and without; the report gives its efficiency
# over the unsigned dnsd's, and the load time and peak RSS of a signed
# 100,000-host zone (dnsd --check).
# The method and how to read it: docs/performance.md §7.
#
# Every server runs pinned to one CPU (taskset, SERVER_CPU, default 1) with
# one worker thread; dnsperf runs pinned to the other (CLIENT_CPU, default
# 0).  Around every dnsperf run the server's CPU time (utime + stime of
# every process and thread in its process tree, from /proc/PID/stat) is
# read, so the figure that matters is answered queries per server
# CPU-second, not raw qps (which on a small machine mostly measures
# dnsperf).  Runs alternate between servers, ROUNDS times; medians.
#
# A benchmark, not a test: nothing in ctest runs it.  Environment:
#   N=10000        static records in the zone
#   DURATION=10    seconds per unlimited-rate run
#   ROUNDS=3       rounds (medians are taken over them)
#   QPS=20000      offered rate of the fixed-rate runs
#   QDURATION=5    seconds per fixed-rate run
#   OUTSTANDING=200  dnsperf -q for the unlimited runs
#   QUIET_WAIT=15  seconds to wait before a run for the CPUs to be idle
#   KEEP=1         keep the data directory (its path is printed)
#   PAIRS="static:dnsd static:ceiling"  only these set:server pairs (the
#                  signed server, its keys and the load figures only when
#                  a pair names dnsd-signed)
#   DNSD_BIN=path  measure this dnsd instead of building build-bench; the
#                  ceiling is then CEILING_BIN, default the dnsd-ceiling of
#                  the same build tree (DNSD_BIN/../../tools/dnsd-ceiling)
# Runs as root or with sudo (it installs packages when missing).  Binds
# 127.0.0.1 only.  Stops everything it started on exit.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
N=${N:-10000}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
QPS=${QPS:-20000}
QDURATION=${QDURATION:-5}
OUTSTANDING=${OUTSTANDING:-200}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
export PATH="$PATH:/usr/sbin:/sbin"

BENCH_PACKAGES=(nsd knot knot-module-geoip gdnsd pdns-server pdns-backend-geoip dnsperf time)
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

cleanup() {
	stop_pids "${PID[@]}"
	remove_data "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME ZONE CMD... : pinned to SERVER_CPU, output in $dir/NAME.log;
# ready when it answers ZONE's SOA.
start() {
	local name=$1 zone=$2
	shift 2
	if ! command -v "$1" >/dev/null; then
		WHY[$name]="$1 not installed"
		return 0
	fi
	taskset -c "$SERVER_CPU" "$@" >"$dir/$name.log" 2>&1 &
	PID[$name]=$!
	for _ in $(seq 60); do
		if ! kill -0 "${PID[$name]}" 2>/dev/null; then
			WHY[$name]="exited at start: $(tail -n 3 "$dir/$name.log" | tr '\n' ' ')"
			unset "PID[$name]"
			return 0
		fi
		if dig +norec +time=1 +tries=1 -p "${PORT[$name]}" @127.0.0.1 "$zone" SOA 2>/dev/null |
		   grep -q 'status: NOERROR'; then
			READY[$name]=1
			return 0
		fi
		sleep 0.5
	done
	WHY[$name]="not answering after 30 s: $(tail -n 3 "$dir/$name.log" | tr '\n' ' ')"
}

# CPU ticks of a process and all its descendants (threads are inside each
# process's stat line).  Lines are read whole: comm may hold spaces.
tree_ticks() {
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '
	{
		pid = $1
		line = $0
		sub(/^[^(]*\(.*\) /, "", line)
		split(line, f, " ")
		pp[pid] = f[2]
		t[pid] = f[12] + f[13]
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
		s = 0
		for (p in inside)
			s += t[p]
		print s
	}'
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
	local c0 c1 b0 b1 t0 t1 out="$dir/run.out" TIMEFORMAT='%U %S'
	[ "$phase" = warmup ] || wait_quiet "${QUIET_WAIT:-15}"
	b0=$(cpus_busy)
	t0=$(date +%s.%N)
	c0=$(tree_ticks "${PID[$s]}")
	{ time taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "${PORT[$s]}" "${data[@]}" -v "$@" \
		>"$out" 2>&1 || true; } 2>"$dir/time.out"
	c1=$(tree_ticks "${PID[$s]}")
	t1=$(date +%s.%N)
	b1=$(cpus_busy)
	# other load: busy time of the two CPUs not spent by the server or
	# dnsperf, as a share of both CPUs over the run (another job, noise)
	local hz other
	hz=$(getconf CLK_TCK)
	other=$(echo "$b0 $b1 $c0 $c1 $hz $t0 $t1 $(cat "$dir/time.out")" |
		awk '{ o = (($2 - $1) - ($4 - $3)) / $5 - ($8 + $9); if (o < 0) o = 0;
		       printf "%.1f", 100 * o / (2 * ($7 - $6)) }')
	awk -v phase="$phase" -v set="$set" -v s="$s" -v round="$round" -v other="$other" \
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
		printf "%s %s %s %s %d %s %s %s %s %d %s\n", phase, set, s, round, done, qps, cpu, mean, p99, lost, other
	}' "$out" >>"$dir/results.tsv"
	if [ "$phase" = warmup ]; then
		printf '  %-11s %-9s %s%s\n' "$s" "$set" "$(grep -E 'Response codes' "$out" | sed 's/^ *//' || echo "no answers")" \
			"$(sed -n 's/.*Average packet size: *request \([0-9]*\), *response \([0-9]*\).*/; bytes per query \1, per response \2/p' "$out")" >&2
	fi
	rm -f "$out" "$dir/time.out"
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
base=$(pick_ports 9)
PORT[dnsd]=$base
PORT[nsd]=$((base + 2))
PORT[knot]=$((base + 3))
PORT[gdnsd]=$((base + 4))
PORT[pdns]=$((base + 5))
PORT[ceiling]=$((base + 6))
PORT[dnsd-signed]=$((base + 7))

want_pairs=${PAIRS:-static:dnsd static:nsd static:knot static:ceiling geo:dnsd geo:gdnsd geo:pdns geo:ceiling
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

log "generating the data set (N=$N) in $dir"
python3 "$root/tools/bench/gen.py" "$dir" "$N" PORT_DNSD="${PORT[dnsd]}" PORT_DNSD_CTL=$((base + 1)) \
	PORT_NSD="${PORT[nsd]}" PORT_KNOT="${PORT[knot]}" PORT_GDNSD="${PORT[gdnsd]}" PORT_PDNS="${PORT[pdns]}" "${keys[@]}"
python3 "$root/tools/mmdb-build" --layout city -o "$dir/bench.mmdb" "$dir/geo.csv"
mkdir -p "$dir/nsd" "$dir/knot"

log "starting servers on 127.0.0.1 ports $base-$((base + 8)), each pinned to CPU $SERVER_CPU"
start dnsd bench.test "$dnsd_bin" -c "$dir/dnsd.json" --foreground
start nsd bench.test nsd -d -c "$dir/nsd.conf"
start knot bench.test knotd -c "$dir/knot.conf"
start gdnsd geo.test gdnsd -c "$dir/gdnsd" start
start pdns geo.test pdns_server --config-dir="$dir/pdns"
start ceiling bench.test "$ceiling_bin" "${PORT[ceiling]}"
signed_check=""
if [ -n "$signed" ]; then
	start dnsd-signed bench.test "$dnsd_bin" -c "$dir/dnsd-signed.json" --foreground
	# sanity: DO answers carry signatures, plain ones do not
	if [ -n "${READY[dnsd-signed]:-}" ]; then
		sigs() {
			dig +norec +time=2 +tries=1 -p "${PORT[dnsd-signed]}" @127.0.0.1 "$@" 2>/dev/null |
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

total=$(( ${#pairs[@]} * ROUNDS * (DURATION + QDURATION + 2) ))
log "measuring: ${#pairs[@]} server/query-set pairs x $ROUNDS rounds, about $((total / 60 + 1)) min"
for r in $(seq "$ROUNDS"); do
	for p in "${pairs[@]}"; do
		run max "${p%%:*}" "${p#*:}" "$r" -l "$DURATION" -q "$OUTSTANDING"
	done
done
for r in $(seq "$ROUNDS"); do
	for p in "${pairs[@]}"; do
		run fixed "${p%%:*}" "${p#*:}" "$r" -l "$QDURATION" -Q "$QPS" -q 1000
	done
done
[ -z "${READY[dnsd-signed]:-}" ] || load_figures

echo
echo "dnsd benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, Linux $(uname -r), Debian $(cat /etc/debian_version)"
echo "method: each server pinned to CPU $SERVER_CPU (taskset -c $SERVER_CPU), one worker/thread;" \
	"dnsperf pinned to CPU $CLIENT_CPU (taskset -c $CLIENT_CPU); server CPU = utime+stime of its whole process tree"
echo "data: $N static records (queries: existing A/AAAA names, ~10% NXDOMAIN, EDNS);" \
	"8 geo names over 10 regions (queries: per-query ECS, v4 /24 and v6 /56 on every continent, dnsperf -B)"
echo "versions: $(dnsperf -h 2>&1 | sed -n 's/^Version /dnsperf /p'), NSD $(nsd -v 2>&1 | sed -n 's/^NSD version //p' | head -1)," \
	"Knot $(knotd -V 2>/dev/null | awk '{print $NF}'), gdnsd $(dpkg-query -W -f='${Version}' gdnsd 2>/dev/null)," \
	"PowerDNS $(dpkg-query -W -f='${Version}' pdns-server 2>/dev/null)"
echo "runs: ${DURATION} s unlimited (dnsperf -q $OUTSTANDING), ${QDURATION} s at -Q $QPS; $ROUNDS rounds alternated; p99 from dnsperf -v per-query latencies"
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

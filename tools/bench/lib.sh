# tools/bench/lib.sh -- what tools/bench.sh and tools/bench/scale.sh share:
# logging, stopping what they started, free loopback ports, and waiting for
# the server's and dnsperf's CPUs to be quiet.  Sourced, not run; the
# caller sets SERVER_CPU and CLIENT_CPU.

log() { printf '%s\n' "$*" >&2; }

# stop_pids PID...: TERM to all, latest first; 5 s each to exit, then KILL.
stop_pids() {
	local i p
	for ((i = $#; i >= 1; i--)); do
		kill -TERM "${!i}" 2>/dev/null || true
	done
	for p in "$@"; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
}

# remove_data DIR: the data directory goes, unless KEEP=1.
remove_data() {
	[ -n "$1" ] || return 0
	if [ "${KEEP:-0}" = 1 ]; then log "data kept in $1"; else rm -rf "$1"; fi
}

port_free() {
	! ss -Htuln 2>/dev/null | awk '{print $5}' | grep -q ":$1\$"
}

# pick_ports N: prints the first of N consecutive free ports from a
# random base; exits when 50 tries find none.
pick_ports() {
	local base i ok
	for _ in $(seq 50); do
		base=$((20000 + RANDOM % 9000))
		ok=1
		for ((i = 0; i < $1; i++)); do port_free $((base + i)) || { ok=0; break; }; done
		[ $ok = 1 ] && { echo "$base"; return 0; }
	done
	log "no free ports found"
	exit 1
}

# Busy ticks (all but idle and iowait) of the server's and dnsperf's CPUs.
cpus_busy() {
	awk -v a="cpu$SERVER_CPU" -v b="cpu$CLIENT_CPU" '
	$1 == a || $1 == b { s += $2 + $3 + $4 + $7 + $8 + $9 }
	END { print s }' /proc/stat
}

# wait_quiet SECONDS: waits (at most that long) until the two CPUs have
# been under 10 % busy for a second: other jobs on the machine skew every
# figure.  Goes ahead regardless; the reports say how much other load
# there was.
wait_quiet() {
	local b0 b1 hz
	hz=$(getconf CLK_TCK)
	for _ in $(seq "$1"); do
		b0=$(cpus_busy)
		sleep 1
		b1=$(cpus_busy)
		[ $(( (b1 - b0) * 100 / (2 * hz) )) -lt 10 ] && return 0
	done
	return 0
}

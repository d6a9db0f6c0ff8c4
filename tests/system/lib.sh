# lib.sh -- shared helpers for tests/system/<case>/run.sh (source it).
#
# ctest runs each run.sh with cwd = its directory and DNSD_BIN, DNSD_SRC,
# DNSD_BUILD in the environment; by hand, the defaults
# below find a build in build/ or build-sys/.  Everything listens on
# 127.0.0.1 and ::1 only; every wait is bounded.
#
#   . ../lib.sh
#   t_config "$DNSD_SRC/zones/example.json"   # writes $T_TMP/dnsd.json
#   t_start example.com.                      # waits until the SOA answers
#   q www.example.com A                       # dig; output in $T_OUT
#   expect "www A" rcode=NOERROR +aa an=1 'answer~ IN A 192\.0\.2\.'
#   t_done                                    # "N passed, M failed", exit status
#
# A missing tool is a failure (t_need), never a pass: tools/deps.sh installs
# every package a test uses.  A test that cannot run here at all (not root)
# calls t_skip, which exits T_SKIP_CODE; tests/system/CMakeLists.txt tells
# ctest that code means "skipped", and tools/test.sh fails on any skip.

set -u

T_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DNSD_SRC=${DNSD_SRC:-$(cd "$T_LIB_DIR/../.." && pwd)}
if [ -z "${DNSD_BUILD:-}" ]; then
	DNSD_BUILD=$DNSD_SRC/build
	[ -x "$DNSD_BUILD/dnsd/dnsd" ] || DNSD_BUILD=$DNSD_SRC/build-sys
fi
DNSD_BIN=${DNSD_BIN:-$DNSD_BUILD/dnsd/dnsd}
# MaxMind's published test databases (see tests/data/maxmind/README.md)
DNSD_MAXMIND=$DNSD_SRC/tests/data/maxmind
export DNSD_SRC DNSD_BUILD DNSD_BIN

# The Debian python3 has python3-dnspython and python3-jsonschema; a python3
# earlier in PATH (pyenv, venv) may not.
if [ -n "${DNSD_PYTHON:-}" ]; then
	T_PY=$DNSD_PYTHON
elif [ -x /usr/bin/python3 ]; then
	T_PY=/usr/bin/python3
else
	T_PY=python3
fi
export PYTHONPATH=$T_LIB_DIR${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1

T_PASS=0
T_FAIL=0
T_OUT=
T_CMD=
T_ADDR=127.0.0.1
T_PORT=
T_CONTROL_PORT=
T_PIDS=()
T_USED_PORTS=()
DNSD_PID=
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dnsd-sys.XXXXXX") || exit 1
T_LOG=$T_TMP/dnsd.log
T_IDENTITY=ns-test.example

# Exit status of a test that cannot run on this machine; registered as
# SKIP_RETURN_CODE in tests/system/CMakeLists.txt.
T_SKIP_CODE=77

# t_skip REASON: this test cannot run here; ctest reports it as skipped.
t_skip() {
	echo "SKIP $*"
	exit "$T_SKIP_CODE"
}

# t_need COMMAND PACKAGE: fail the test now unless COMMAND (a name in PATH
# or an absolute path) is there.  tools/deps.sh must list PACKAGE.
t_need() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "FAIL $1 not found: install the Debian package $2 (tools/deps.sh lists it)"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds (true)
# or SECONDS have passed (false).  T_WAITED is the seconds it took.  The
# synchronisation primitive of these tests: wait for the state you expect,
# bounded, instead of sleeping for a guessed time.
T_WAITED=
wait_until() {
	local limit=$1 start=$EPOCHREALTIME
	shift
	while :; do
		if "$@"; then
			T_WAITED=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
			return 0
		fi
		T_WAITED=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
		awk -v e="$T_WAITED" -v m="$limit" 'BEGIN { exit !(e >= m) }' && return 1
		sleep 0.1
	done
}

# every test asks with dig
t_need dig bind9-dnsutils

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok   $*"
}

fail() {
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL $*"
}

# t_free_port VAR: set VAR to a port free on 127.0.0.1 and ::1, UDP and
# TCP, and not handed out before by this run nor claimed by another test
# running at the same time.  dnsd binds with SO_REUSEPORT, so two tests
# that picked the same free port would both bind it and the kernel would
# share queries between their servers (the likely cause of the NODATA a
# geo query of geoip_overwrite_in_place once got in a loaded run).  Each port is claimed by a folder in
# $T_PORT_CLAIMS holding the claiming test's PID; a claim whose test is
# gone is taken over; t_cleanup drops this test's claims.
T_PORT_CLAIMS=${TMPDIR:-/tmp}/dnsd-test-ports
t_free_port() {
	local p
	mkdir -p "$T_PORT_CLAIMS"
	p=$("$T_PY" - "$T_PORT_CLAIMS" "$$" "${T_USED_PORTS[@]}" <<'EOF'
import os, shutil, socket, sys
claims, me = sys.argv[1], sys.argv[2]
used = set(int(a) for a in sys.argv[3:])


def owner_alive(d):
	try:
		pid = int(open(os.path.join(d, "pid")).read())
	except (OSError, ValueError):
		return True	# being written: leave it
	try:
		os.kill(pid, 0)
		return True
	except ProcessLookupError:
		return False
	except PermissionError:
		return True


def claim(port):
	d = os.path.join(claims, str(port))
	try:
		os.mkdir(d)
	except FileExistsError:
		if owner_alive(d):
			return False
		shutil.rmtree(d, ignore_errors=True)	# its test is gone
		try:
			os.mkdir(d)
		except FileExistsError:
			return False
	with open(os.path.join(d, "pid"), "w") as f:
		f.write(me)
	return True


for _ in range(100):
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	held = [s]
	try:
		if port in used:
			continue
		for fam, typ, addr in ((socket.AF_INET, socket.SOCK_DGRAM, "127.0.0.1"),
				(socket.AF_INET6, socket.SOCK_STREAM, "::1"),
				(socket.AF_INET6, socket.SOCK_DGRAM, "::1")):
			t = socket.socket(fam, typ)
			held.append(t)
			t.bind((addr, port))
		if not claim(port):
			continue
		print(port)
		break
	except OSError:
		continue
	finally:
		for t in held:
			t.close()
else:
	sys.exit(1)
EOF
	) || { echo "lib.sh: no free port" >&2; exit 1; }
	T_USED_PORTS+=("$p")
	printf -v "$1" '%s' "$p"
}

# t_config ZONEFILE...: copy the zone files into $T_TMP and write
# $T_TMP/dnsd.json serving them on 127.0.0.1 and ::1 at a free port ($T_PORT),
# with the four regions of zones/dnsd.json (no health checks: always up) and
# the eu and asia pins.  No GeoIP database unless $T_GEOIP names one, so every
# client is unlocated and geo names answer in their regions order.  $T_EXTRA, if set, is a JSON fragment of more
# top-level members, e.g. '"limits": {"tcp_idle": 2}'.
t_config() {
	local z zones='' geoip
	t_free_port T_PORT
	t_free_port T_CONTROL_PORT
	for z in "$@"; do
		cp "$z" "$T_TMP/" || exit 1
		zones="$zones${zones:+, }\"$(basename "$z")\""
	done
	geoip=
	[ -n "${T_GEOIP:-}" ] && geoip="
  \"geoip\": \"$T_GEOIP\","
	cat >"$T_TMP/dnsd.json" <<EOF
{
  "listen": ["127.0.0.1:$T_PORT", "[::1]:$T_PORT"],
  "workers": 2,
  "zones": [$zones],$geoip
  "identity": "$T_IDENTITY",
  "control": {"listen": "127.0.0.1:$T_CONTROL_PORT", "token": "test-token"},
  "diagnostics": {"allow": ["127.0.0.0/8", "::1/128"]},
  "state_file": "$T_TMP/state.json",
  "regions": {
    "us-east":      {"location": [39.04, -77.49], "endpoints": ["192.0.2.10", "192.0.2.11", "2001:db8:10::10"]},
    "eu-west":      {"location": [53.35, -6.26],  "endpoints": ["198.51.100.10", "2001:db8:20::10"], "pin": "eu"},
    "eu-central":   {"location": [50.11, 8.68],   "endpoints": ["198.51.100.20"], "pin": "eu"},
    "ap-southeast": {"location": [1.35, 103.82],  "endpoints": ["203.0.113.10"], "pin": "asia"}
  },
  "pins": {
    "eu":   {"countries": ["AT", "BE", "DE", "FR", "IE", "NL", "SE"], "mode": "strict"},
    "asia": {"continents": ["AS"], "mode": "strict"}
  }${T_EXTRA:+,
  $T_EXTRA}
}
EOF
}

# t_soa_ok PORT ORIGIN [ADDR]: true when ORIGIN SOA answers NOERROR now.
t_soa_ok() {
	local out
	out=$(dig @"${3:-127.0.0.1}" -p "$1" +norec +time=1 +tries=1 "$2" SOA 2>&1)
	case $out in *"status: NOERROR"*) return 0 ;; esac
	return 1
}

# t_start ORIGIN [CONFIG]: start dnsd in the foreground (in the background of
# this shell) and wait until ORIGIN SOA answers; exits the test if it never does.
t_start() {
	local origin=$1 cfg=${2:-$T_TMP/dnsd.json}
	if [ ! -x "$DNSD_BIN" ]; then
		echo "FAIL dnsd binary not found at $DNSD_BIN"
		exit 1
	fi
	"$DNSD_BIN" -c "$cfg" --foreground >>"$T_LOG" 2>&1 &
	DNSD_PID=$!
	local end=$((SECONDS + 10))
	while [ $SECONDS -lt $end ]; do
		if ! kill -0 "$DNSD_PID" 2>/dev/null; then
			echo "FAIL dnsd exited during start-up; log:"
			sed 's/^/    | /' "$T_LOG"
			DNSD_PID=
			exit 1
		fi
		if t_soa_ok "$T_PORT" "$origin" 127.0.0.1; then
			ok "dnsd (pid $DNSD_PID) answers $origin SOA on 127.0.0.1:$T_PORT"
			return 0
		fi
		sleep 0.2
	done
	echo "FAIL dnsd did not answer $origin SOA within 10 s; log:"
	sed 's/^/    | /' "$T_LOG"
	exit 1
}

# t_bg NAME CMD...: run a helper server in the background, killed at exit.
t_bg() {
	local name=$1
	shift
	"$@" >>"$T_TMP/$name.log" 2>&1 &
	T_PIDS+=($!)
}

# t_stop_pid PID: SIGTERM, wait up to 5 s, then SIGKILL.  True if it exited
# on SIGTERM in time.
t_stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}

t_cleanup() {
	local pid port
	if [ -n "$DNSD_PID" ]; then
		t_stop_pid "$DNSD_PID"
		DNSD_PID=
	fi
	for pid in "${T_PIDS[@]}"; do
		t_stop_pid "$pid"
	done
	for port in "${T_USED_PORTS[@]}"; do
		rm -rf "${T_PORT_CLAIMS:?}/$port"
	done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# q DIG-ARGS...: ask dnsd at $T_ADDR:$T_PORT; the output lands in $T_OUT.
q() {
	T_CMD="dig @$T_ADDR -p $T_PORT +norec +time=2 +tries=1 $*"
	T_OUT=$(dig @"$T_ADDR" -p "$T_PORT" +norec +time=2 +tries=1 "$@" 2>&1)
}

# Pieces of the last answer.
t_rcode() { sed -n 's/.*, status: \([A-Z0-9]*\),.*/\1/p' <<<"$T_OUT" | head -1; }
t_flags() { sed -n 's/^;; flags:\([^;]*\);.*/\1/p' <<<"$T_OUT" | head -1; }
t_count() { sed -n "s/^;; flags:.* $1: \([0-9]*\).*/\1/p" <<<"$T_OUT" | head -1; }
# t_section ANSWER|AUTHORITY|ADDITIONAL|QUESTION: its lines, blanks squeezed.
t_section() {
	awk -v s=";; $1 SECTION:" '$0 == s {on = 1; next} on && /^$/ {exit} on {print}' <<<"$T_OUT" |
		tr -s ' \t' '  '
}

# expect DESC CHECK...: one pass or fail for the last answer.  Checks:
#   rcode=NOERROR  +aa -aa +tc -tc (any flag)  an=N ns=N ar=N  an>=N
#   answer~ERE answer!~ERE auth~ERE auth!~ERE add~ERE add!~ERE quest~ERE
#   out~ERE out!~ERE (whole dig output)  opt noopt
#   types=CNAME,CNAME,A (answer types in order)  size<=N (bytes received)
# Section lines have blanks squeezed to one space ("owner TTL IN TYPE rdata").
expect() {
	local desc=$1 c bad='' v got sec re neg
	shift
	for c in "$@"; do
		case $c in
		rcode=*)
			got=$(t_rcode)
			[ "$got" = "${c#rcode=}" ] || bad="$bad; rcode $got, want ${c#rcode=}" ;;
		+[a-z][a-z] | -[a-z][a-z])
			v=" $(t_flags) "
			if [ "${c:0:1}" = + ]; then
				[[ $v == *" ${c:1} "* ]] || bad="$bad; flag ${c:1} clear, want set"
			else
				[[ $v != *" ${c:1} "* ]] || bad="$bad; flag ${c:1} set, want clear"
			fi ;;
		an=* | ns=* | ar=* | an\>=* | ns\>=* | ar\>=*)
			case ${c:0:2} in an) sec=ANSWER ;; ns) sec=AUTHORITY ;; ar) sec=ADDITIONAL ;; esac
			got=$(t_count "$sec")
			if [ "${c:2:2}" = ">=" ]; then
				[ -n "$got" ] && [ "$got" -ge "${c:4}" ] || bad="$bad; $sec count '$got', want >= ${c:4}"
			else
				[ "$got" = "${c:3}" ] || bad="$bad; $sec count '$got', want ${c:3}"
			fi ;;
		types=*)
			got=$(t_section ANSWER | awk '{print $4}' | paste -sd, -)
			[ "$got" = "${c#types=}" ] || bad="$bad; answer types '$got', want ${c#types=}" ;;
		size\<=*)
			got=$(sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$T_OUT")
			[ -n "$got" ] && [ "$got" -le "${c#size<=}" ] || bad="$bad; size '$got', want <= ${c#size<=}" ;;
		opt)
			[[ $T_OUT == *"OPT PSEUDOSECTION"* ]] || bad="$bad; no OPT record" ;;
		noopt)
			[[ $T_OUT != *"OPT PSEUDOSECTION"* ]] || bad="$bad; unexpected OPT record" ;;
		*~*)
			sec=${c%%~*}
			re=${c#*~}
			neg=
			if [ "${sec: -1}" = "!" ]; then neg=1; sec=${sec%!}; fi
			case $sec in
			answer) v=$(t_section ANSWER) ;;
			auth) v=$(t_section AUTHORITY) ;;
			add) v=$(t_section ADDITIONAL) ;;
			quest) v=$(t_section QUESTION) ;;
			out) v=$T_OUT ;;
			*) bad="$bad; bad check '$c'"; continue ;;
			esac
			if [ -n "$neg" ]; then
				! grep -Eq -- "$re" <<<"$v" || bad="$bad; $sec has /$re/"
			else
				grep -Eq -- "$re" <<<"$v" || bad="$bad; $sec lacks /$re/"
			fi ;;
		*)
			bad="$bad; bad check '$c'" ;;
		esac
	done
	if [ -z "$bad" ]; then
		ok "$desc"
	else
		fail "$desc: ${bad#; }"
		echo "    \$ $T_CMD"
		sed 's/^/    | /' <<<"$T_OUT"
	fi
}

# t_absorb < <(CMD): add the "N passed, M failed" of the last line of a
# helper's output (echoed through) to the totals.  Not in a pipeline: the
# totals would stay in a subshell.
t_absorb() {
	local line last='' p f
	local have=
	while IFS= read -r line; do
		[ -n "$have" ] && printf '%s\n' "$last"
		last=$line
		have=1
	done
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		echo "(helper: $last)"
		p=${BASH_REMATCH[1]}
		f=${BASH_REMATCH[2]}
		T_PASS=$((T_PASS + p))
		T_FAIL=$((T_FAIL + f))
	else
		[ -n "$have" ] && printf '%s\n' "$last"
		fail "helper did not finish with 'N passed, M failed' (crashed?)"
	fi
}

# t_done: dnsd must still be running (no crash) and stop on SIGTERM within
# 5 s; print the totals and exit non-zero on any failure.
t_done() {
	if [ -n "$DNSD_PID" ]; then
		if kill -0 "$DNSD_PID" 2>/dev/null; then
			ok "dnsd still running at the end"
			if t_stop_pid "$DNSD_PID"; then
				ok "dnsd exits on SIGTERM"
			else
				fail "dnsd did not exit within 5 s of SIGTERM"
			fi
		else
			fail "dnsd died during the test"
		fi
		DNSD_PID=
	fi
	if [ "$T_FAIL" -gt 0 ] && [ -s "$T_LOG" ]; then
		echo "--- last lines of the dnsd log"
		tail -n 40 "$T_LOG" | sed 's/^/    | /'
	fi
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ] && exit 0
	exit 1
}

# t_rdata TYPE: the rdata of the last answer's TYPE records, in the order
# received, comma-separated (one-field rdata such as A, AAAA, NS).
t_rdata() { t_section ANSWER | awk -v t="$1" '$4 == t {print $5}' | paste -sd, -; }
# t_ecs: the last answer's EDNS Client Subnet option as dig prints it,
# ADDRESS/SOURCE/SCOPE, or empty when there is none.
t_ecs() { sed -n 's/^; CLIENT-SUBNET: //p' <<<"$T_OUT" | head -1; }

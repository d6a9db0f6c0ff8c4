#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS] -- build the libFuzzer harnesses (clang, ASan +
# UBSan, LeakSanitizer on) into build-fuzz/ and run every
# tests/fuzz/fuzz_<target> for SECONDS each (default 60), as many at a
# time as there are cores (DNSD_FUZZ_JOBS).  Prints runs, exec/s and
# coverage per harness; exits 1 when any harness crashed, leaked, timed
# out or failed one of its checks.  tools/test.sh runs it for 30 s.
#
# Seeds come from tests/fuzz/corpus/<target>/ (read only); inputs libFuzzer
# finds go to build-fuzz/corpus/<target>/ and are kept between runs;
# crashing inputs go to build-fuzz/crashes/<target>/.  Every crash becomes
# a regression seed: copy it into tests/fuzz/corpus/<target>/ (the line to
# paste is printed), and ctest's "fuzz" tests replay it in every build.
#
#   DNSD_FUZZ_TARGETS="query wire"   only these harnesses
#   DNSD_FUZZ_JOBS=1                 one at a time
#   DNSD_FUZZ_BUILD=dir              build directory (default build-fuzz)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:-60}"
jobs="${DNSD_FUZZ_JOBS:-$(nproc)}"
bdir="${DNSD_FUZZ_BUILD:-$root/build-fuzz}"
case "$secs" in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

if [ -n "${DNSD_FUZZ_TARGETS:-}" ]; then
	read -r -a targets <<<"$DNSD_FUZZ_TARGETS"
else
	targets=()
	for src in "$root"/tests/fuzz/fuzz_*.c; do
		t="${src##*/fuzz_}"
		targets+=("${t%.c}")
	done
fi

cmake -S "$root" -B "$bdir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DDNSD_FUZZ=ON -DDNSD_SANITIZE=ON >/dev/null
cmake --build "$bdir" -j"$(nproc)" --target fuzz >/dev/null

mkdir -p "$bdir/logs"
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"

run_one() {
	local t="$1" dict=()
	local work="$bdir/corpus/$t" crashes="$bdir/crashes/$t" log="$bdir/logs/$t.log"
	local tmp="$bdir/tmp/$t"	# the harnesses' files; a crash skips their cleanup
	rm -rf "$tmp"
	mkdir -p "$work" "$crashes" "$tmp"
	[ -f "$root/tests/fuzz/fuzz_$t.dict" ] && dict=(-dict="$root/tests/fuzz/fuzz_$t.dict")
	local rc=0
	TMPDIR="$tmp" "$bdir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
		"$work" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
	echo "$rc" >"$log.rc"
	rm -rf "$tmp"
}

echo "fuzzing ${targets[*]}: ${secs}s each, $jobs at a time (logs in $bdir/logs/)"
start=$SECONDS
for t in "${targets[@]}"; do
	[ -x "$bdir/tests/fuzz/fuzz_$t" ] || { echo "no harness fuzz_$t" >&2; exit 2; }
	rm -f "$bdir/logs/$t.log.rc"
	run_one "$t" &
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait

# libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/S ... exec/s: E"
failed=0
printf '%-8s %10s %8s %7s %7s %8s  %s\n' harness runs exec/s cov edges corpus result
for t in "${targets[@]}"; do
	log="$bdir/logs/$t.log"
	rc="$(cat "$log.rc" 2>/dev/null || echo 1)"
	line="$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -n 1 || true)"
	runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
	eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
	cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")"
	corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$line")"
	edges="$(sed -n 's/^INFO: Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log" | head -n 1)"
	result=ok
	if [ "$rc" != 0 ]; then
		result="FAILED (exit $rc)"
		failed=1
	fi
	printf '%-8s %10s %8s %7s %7s %8s  %s\n' "$t" "${runs:--}" "${eps:--}" "${cov:--}" "${edges:--}" "${corp:--}" "$result"
done
echo "fuzzing took $((SECONDS - start))s"

if [ "$failed" != 0 ]; then
	for t in "${targets[@]}"; do
		[ "$(cat "$bdir/logs/$t.log.rc" 2>/dev/null || echo 1)" = 0 ] && continue
		echo
		echo "=== fuzz_$t: $bdir/logs/$t.log"
		grep -E -A40 '^==[0-9]+==ERROR|runtime error|check failed|^ALARM|deadly signal|out-of-memory' "$bdir/logs/$t.log" | head -n 60 || tail -n 40 "$bdir/logs/$t.log"
		for a in "$bdir/crashes/$t"/*; do
			[ -f "$a" ] || continue
			echo "regression seed: cp '$a' '$root/tests/fuzz/corpus/$t/regress-${a##*/}'"
		done
	done
	exit 1
fi

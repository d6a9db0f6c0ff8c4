#!/usr/bin/env bash
# tools/test.sh -- install what is missing, build, and run every test:
#   1. every fuzz harness (libFuzzer, clang, ASan + UBSan) for 30 s in
#      build-fuzz/ (tools/fuzz.sh; two at a time on two cores);
#   2. the whole ctest suite under AddressSanitizer + UndefinedBehaviorSanitizer
#      (LeakSanitizer on) in build-asan/;
#   3. the whole ctest suite in build/, last, so the run ends with ctest's
#      summary.
# Any failure, skipped test or sanitizer report fails the run: a test that
# did not run proves nothing.  Idempotent, no arguments.
# CI runs exactly this.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/tools/deps.sh"
dnsd_install_deps

"$root/tools/fuzz.sh" 30

# run_ctest LOG ARGS...: ctest ARGS in the current directory, its output
# shown and kept in LOG; fails when ctest fails or when any test was
# skipped (a system test's exit 77, tests/system/CMakeLists.txt) or not
# run: ctest itself counts those as passes.
run_ctest() {
	local log=$1 rc=0
	shift
	ctest "$@" 2>&1 | tee "$log" || rc=$?
	if grep -Eq '\*\*\*Skipped|Not Run|The following tests did not run' "$log"; then
		echo "tools/test.sh: tests were skipped or not run (listed above); that fails the run" >&2
		[ "$rc" != 0 ] || rc=1
	fi
	return "$rc"
}

# Reports go to files as well as failing the process: a dnsd started in
# the background by a system test may report at exit without its test
# noticing, so any report file fails the run.
asan="$root/build-asan"
reports="$asan/sanitizer-reports"
cmake -S "$root" -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDNSD_SANITIZE=ON >/dev/null
cmake --build "$asan" -j"$(nproc)"
rm -rf "$reports"
mkdir -p "$reports"
chmod 1777 "$reports"	# dnsd may have dropped to another user when it reports
rc=0
(cd "$asan" &&
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan" \
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
	run_ctest "$asan/ctest.log" --output-on-failure -j2 --timeout 300) || rc=$?
if [ -n "$(ls -A "$reports")" ]; then
	for f in "$reports"/*; do
		echo "=== sanitizer report $f"
		cat "$f"
	done
	echo "sanitizer reports in $reports" >&2
	exit 1
fi
[ "$rc" = 0 ] || exit "$rc"

dnsd_build "$root"
cd "$root/build"
run_ctest "$root/build/ctest.log" --output-on-failure -j2 --timeout 300

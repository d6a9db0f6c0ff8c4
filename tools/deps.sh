# tools/deps.sh -- sourced by tools/test.sh and tools/demo.sh: installs the
# Debian 12 packages dnsd builds and tests with, when any is missing.
# One list, one place.  Idempotent: does nothing when all are present.

DNSD_PACKAGES=(
	build-essential cmake pkg-config
	libldns-dev libevent-dev libjansson-dev libmaxminddb-dev libcmocka-dev liburcu-dev libssl-dev
	libyaml-dev	# octoDNS zone files for tools/dnsd-import
	python3 python3-jsonschema python3-dnspython
	bind9-dnsutils ldnsutils mmdb-bin nsd gdnsd curl openssl
	clang libclang-rt-14-dev	# libFuzzer for tools/fuzz.sh
)

dnsd_install_deps() {
	local missing=()
	for p in "${DNSD_PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -q
	# packaged daemons (nsd) must not start on install: tests start their own
	printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
	$sudo chmod +x /usr/sbin/policy-rc.d
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
	$sudo rm -f /usr/sbin/policy-rc.d
}

dnsd_build() {
	cmake -S "$1" -B "$1/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$1/build" -j"$(nproc)"
}

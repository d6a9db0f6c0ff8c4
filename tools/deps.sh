# tools/deps.sh -- sourced by tools/test.sh and tools/demo.sh: installs the
# Debian 12 packages dnsd builds and tests with, when any is missing.
# One list, one place.  Idempotent: does nothing when all are present.

# What building dnsd and running the demo need.
DNSD_BUILD_PACKAGES=(
	build-essential cmake pkg-config python3
	libldns-dev libevent-dev libjansson-dev libmaxminddb-dev libcmocka-dev liburcu-dev libssl-dev libsystemd-dev
	libyaml-dev	# octoDNS zone files for tools/dnsd-import
	bind9-dnsutils curl	# the dig and curl lines the demo prints
	ldnsutils	# ldns-keygen: the demo's signing keys
)
# What the tests need on top: clients, peers for differential tests,
# checkers, and the fuzzing toolchain.
DNSD_TEST_PACKAGES=(
	python3-jsonschema python3-dnspython python3-cryptography	# cryptography: dns.dnssec validates signed answers
	mmdb-bin nsd gdnsd openssl
	knot-dnssecutils	# kzonecheck: tests/system/transfer_secondary checks what a transfer carried
	dnsviz python3-pygraphviz	# tests/system/dnssec_dnsviz: probe and grok the signed demo zone
	unbound	# tests/system/dnssec_resolver: a validating resolver in front of dnsd
	python3-lxml chromium	# tests/system/sim: the map parsed as XML, the status page's screenshot
	etcd-server etcd-client	# tests/system/cluster: a 3-member etcd cluster the nameservers share state through
	clang libclang-rt-14-dev	# libFuzzer for tools/fuzz.sh
)
DNSD_PACKAGES=("${DNSD_BUILD_PACKAGES[@]}" "${DNSD_TEST_PACKAGES[@]}")

# dnsd_install_deps [build]: installs what is missing of every package
# above, or with "build" only of DNSD_BUILD_PACKAGES (tools/demo.sh).
dnsd_install_deps() {
	local missing=() p list=("${DNSD_PACKAGES[@]}")
	[ "${1:-}" = build ] && list=("${DNSD_BUILD_PACKAGES[@]}")
	for p in "${list[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -q
	# packaged daemons (nsd) must not start on install: tests start their
	# own.  A policy-rc.d already in place is the machine's: put it back.
	local saved="" policy=${DNSD_POLICY_RC:-/usr/sbin/policy-rc.d}	# a test points it elsewhere
	if [ -e "$policy" ]; then
		saved=$(mktemp)
		$sudo cp -p "$policy" "$saved"
	fi
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod +x "$policy"
	local rc=0
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" || rc=$?
	if [ -n "$saved" ]; then
		$sudo cp -p "$saved" "$policy"
		$sudo rm -f "$saved"
	else
		$sudo rm -f "$policy"
	fi
	return "$rc"
}

dnsd_build() {
	cmake -S "$1" -B "$1/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$1/build" -j"$(nproc)"
}

#!/usr/bin/env bash
# tools/bench/profile.sh -- user-space instructions per query of dnsd's hot
# path, counted by valgrind's callgrind (for machines without hardware
# counters, where `perf stat -e instructions` says "not supported");
# docs/performance.md §8.
#
# Usage: tools/bench/profile.sh [DNSD_BINARY]   (default build-bench/dnsd/dnsd)
#
# Serves the tools/bench.sh data set (N=10000, 127.0.0.1 only) with one
# worker under callgrind; after a warm-up it zeroes the counters, sends
# 20,000 queries (static, then geo with per-query ECS) with dnsperf in full
# batches (-q 500), dumps, and prints instructions per answered query and
# the top functions by self cost.  Needs valgrind and dnsperf.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-$root/build-bench/dnsd/dnsd}"
Q=20000
dir=$(mktemp -d /tmp/dnsd-profile.XXXXXX)
pid=""
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 9000))
python3 "$root/tools/bench/gen.py" "$dir" 10000 PORT_DNSD=$port PORT_DNSD_CTL=$((port + 1)) \
	PORT_NSD=0 PORT_KNOT=0 PORT_GDNSD=0 PORT_PDNS=0
python3 "$root/tools/mmdb-build" --layout city -o "$dir/bench.mmdb" "$dir/geo.csv"
head -n $Q "$dir/static.txt" >"$dir/static.q"
python3 - "$dir/geo.bin" "$dir/geo.q" $Q <<'EOF'
import struct, sys
b, out, p = open(sys.argv[1], "rb").read(), bytearray(), 0
for _ in range(int(sys.argv[3])):
    n = struct.unpack(">H", b[p:p + 2])[0]
    out += b[p:p + 2 + n]
    p += 2 + n
open(sys.argv[2], "wb").write(out)
EOF

cp "$bin" "$dir/dnsd"
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$dir/dnsd" -c "$dir/dnsd.json" --foreground \
	>"$dir/vg.log" 2>&1 &
pid=$!
for _ in $(seq 120); do
	dig +norec +time=1 +tries=1 -p $port @127.0.0.1 bench.test SOA 2>/dev/null | grep -q NOERROR && break
	sleep 0.5
done

perf_run() {	# SET: 20,000 queries, all sent before dnsd can drain them
	local data=(-e -d "$dir/static.q")
	[ "$1" = geo ] && data=(-B -d "$dir/geo.q")
	dnsperf -s 127.0.0.1 -p $port "${data[@]}" -n 1 -q 500 -t 30 >"$dir/$1.dp" 2>&1
}
perf_run static >/dev/null
perf_run geo >/dev/null
# the steps of a query, for the inclusive view
inclusive="net_udp_main|query_answer|wire_query_parse|zone_set_find|zone_lookup|put_rrset|finish"
inclusive="$inclusive|query_geo_eval|geo_locate|geo_geoip_locate|MMDB_lookup_sockaddr|MMDB_aget_value"
inclusive="$inclusive|geo_addr_is_valid|health_view|geo_decide|geo_haversine_km"
n=1
for set in static geo; do
	callgrind_control -z $pid >/dev/null 2>&1
	perf_run $set
	callgrind_control -d $set $pid >/dev/null 2>&1
	f="$dir/cg.out.$n"
	n=$((n + 1))
	answered=$(awk '/Queries completed:/ {print $3}' "$dir/$set.dp")
	total=$(awk '/^summary:/ {print $2}' "$f")
	echo "== $set: $answered answered, $total instructions, $((total / answered)) per query" \
		"(user space, all threads; the UDP reader does nearly all of it)"
	callgrind_annotate --threshold=100 "$f" 2>/dev/null | sed -n '/file:function/,$p' |
		grep -v -E 'event_base_dispatch|clone.S|start_thread|worker_main|^-|file:function' |
		head -n 10 | sed -E "s#\?\?\?:(0x[0-9a-f]+) \[.*/([^/]*)\]#\2:\1#; s#$root/##; s# \[[^]]*\]##" |
		awk -v q="$answered" '{ v = $1; gsub(",", "", v); printf "  %6d/query  %s\n", v / q, $NF }' || true
	echo "  inclusive:"
	callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null | sed -n '/file:function/,$p' |
		grep -E ":($inclusive) " | grep -v -E "=>|<" | sed -E "s#$root/##; s# \[[^]]*\]##" |
		awk -v q="$answered" '{ v = $1; gsub(",", "", v); printf "  %6d/query  %s\n", v / q, $NF }' || true
done

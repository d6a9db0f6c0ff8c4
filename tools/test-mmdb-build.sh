#!/bin/sh
# ctest tool_mmdb_build: tools/mmdb-build output read back by mmdblookup
# (libmaxminddb's own client) for IPv4, IPv6, overlaps, both layouts and
# every record size.  Usage: test-mmdb-build.sh [SRC_DIR]
set -eu
src=${1:-$(dirname "$0")/..}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

cat >"$tmp/in.csv" <<'CSV'
# a comment, then the header
network,country,continent,latitude,longitude
2.0.0.0/16,DE,EU,50.11,8.68
2.0.1.0/24,FR,EU,48.86,2.35
10.0.0.0/8,,EU,,
2001:db8:1::/48,JP,AS,35.68,139.69
CSV

# expect FILE IP PATH... -- EXPECTED: the value mmdblookup prints
expect() {
	file=$1 ip=$2 want=$3
	shift 3
	got=$(mmdblookup --file "$file" --ip "$ip" "$@" 2>&1 | sed -n 's/^ *\([^ ].*\) <.*>$/\1/p' | head -n 1)
	if [ "$got" != "$want" ]; then
		echo "FAIL $(basename "$file") $ip $*: got '$got', want '$want'"
		fails=$((fails + 1))
	fi
}

for rs in 24 28 32; do
	db=$tmp/city$rs.mmdb
	"$src/tools/mmdb-build" --record-size "$rs" -o "$db" "$tmp/in.csv"
	expect "$db" 2.0.1.1 '"FR"' country iso_code
	expect "$db" 2.0.2.1 '"DE"' country iso_code
	expect "$db" 2.0.2.1 50.110000 location latitude
	expect "$db" 10.9.8.7 '"EU"' continent code
	expect "$db" 2001:db8:1::5 '"JP"' country iso_code
	expect "$db" 2001:db8:1::5 139.690000 location longitude
	expect "$db" ::2.0.1.1 '"FR"' country iso_code
done

db=$tmp/country.mmdb
"$src/tools/mmdb-build" --layout country -o "$db" "$tmp/in.csv"
expect "$db" 2.0.1.1 '"FR"' country iso_code
mmdblookup --file "$db" --ip 2.0.1.1 | grep -q location && { echo "FAIL country layout has location"; fails=$((fails + 1)); }
mmdblookup --verbose --file "$db" --ip 2.0.1.1 | grep -q 'dnsd-Demo-Country' || { echo "FAIL database_type"; fails=$((fails + 1)); }
mmdblookup --file "$db" --ip 3.3.3.3 2>&1 | grep -q 'Could not find' || { echo "FAIL 3.3.3.3 found"; fails=$((fails + 1)); }

# Bad input is refused with file:line and no output file.
printf '1.2.3.4/8,DE,EU,,\n' >"$tmp/bad.csv"
if "$src/tools/mmdb-build" -o "$tmp/bad.mmdb" "$tmp/bad.csv" 2>"$tmp/err"; then
	echo "FAIL host bits accepted"; fails=$((fails + 1))
fi
grep -q 'bad.csv:1:' "$tmp/err" || { echo "FAIL no file:line in: $(cat "$tmp/err")"; fails=$((fails + 1)); }
[ ! -e "$tmp/bad.mmdb" ] || { echo "FAIL output written on error"; fails=$((fails + 1)); }

# The demo source builds and locates the README's example client.
"$src/tools/mmdb-build" -o "$tmp/demo.mmdb" "$src/zones/demo-networks.csv"
expect "$tmp/demo.mmdb" 2.0.1.0 '"DE"' country iso_code

[ "$fails" -eq 0 ] && echo "tool_mmdb_build: all passed"
exit "$fails"

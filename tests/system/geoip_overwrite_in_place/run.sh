#!/usr/bin/env bash
# The GeoIP database overwritten in place while dnsd serves (issue 13,
# item 5): `cp new.mmdb city.mmdb` truncates and rewrites the file dnsd
# loaded.  Geo answers must go on from what was loaded (no SIGBUS, no
# mixture of old and new), and only a reload reads the new file; a reload
# that finds the file broken keeps the old database serving.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

# Two databases that place 2.0.0.0/16 and 8.8.0.0/16 differently.
cat >"$T_TMP/old.csv" <<'CSV'
network,country,continent,latitude,longitude
2.0.0.0/16,DE,EU,51.3,9.5
8.8.0.0/16,US,NA,37.39,-122.08
CSV
cat >"$T_TMP/new.csv" <<'CSV'
network,country,continent,latitude,longitude
2.0.0.0/16,US,NA,37.39,-122.08
8.8.0.0/16,SG,AS,1.35,103.82
CSV
for db in old new; do
	"$T_PY" "$DNSD_SRC/tools/mmdb-build" -o "$T_TMP/$db.mmdb" "$T_TMP/$db.csv" ||
		{ fail "mmdb-build $db.csv"; t_done; }
done
cp "$T_TMP/old.mmdb" "$T_TMP/city.mmdb" || exit 1
T_GEOIP=city.mmdb
t_config "$DNSD_SRC/zones/example.json"
t_start example.com.

US_EAST=192.0.2.10,192.0.2.11
EU_CENTRAL=198.51.100.20
AP_SOUTHEAST=203.0.113.10

# answers DESC ADDRS_FOR_2.0 ADDRS_FOR_8.8: www A for a spread of /24s
# inside each network (each lookup walks the tree again).
answers() {
	local desc=$1 want2=$2 want8=$3 got bad='' i
	for i in 1 77 200; do
		q www.example.com A +subnet=2.0.$i.0/24
		got=$(t_rdata A)
		[ "$got" = "$want2" ] || bad="$bad; 2.0.$i.0/24 got '$got' ($(t_rcode)), want $want2"
		q www.example.com A +subnet=8.8.$i.0/24
		got=$(t_rdata A)
		[ "$got" = "$want8" ] || bad="$bad; 8.8.$i.0/24 got '$got' ($(t_rcode)), want $want8"
	done
	if [ -z "$bad" ]; then
		ok "$desc"
	else
		fail "$desc: ${bad#; }"
	fi
}

alive() {
	if kill -0 "$DNSD_PID" 2>/dev/null; then
		ok "$1: dnsd still running"
	else
		wait "$DNSD_PID"
		fail "$1: dnsd died, exit status $? (135: SIGBUS)"
		sed 's/^/    | /' "$T_LOG" | tail -n 5
		DNSD_PID=
		t_done
	fi
}

reload() {
	curl -s -o "$T_TMP/reload.out" -w '%{http_code}' -X POST \
		-H 'Authorization: Bearer test-token' "http://127.0.0.1:$T_CONTROL_PORT/v1/reload"
}

answers "loaded database: DE client -> eu-central, US client -> us-east" "$EU_CENTRAL" "$US_EAST"

: >"$T_TMP/city.mmdb"	# truncated in place: every page of the old mapping is gone
answers "database file truncated to 0 bytes: answers unchanged" "$EU_CENTRAL" "$US_EAST"
alive "after the truncation"

cp "$T_TMP/new.mmdb" "$T_TMP/city.mmdb"	# the operator's in-place overwrite
answers "database file overwritten with cp: still the loaded database until a reload" "$EU_CENTRAL" "$US_EAST"
alive "after the overwrite"

code=$(reload)
[ "$code" = 200 ] && ok "reload after the overwrite: 200" || fail "reload after the overwrite: HTTP $code $(cat "$T_TMP/reload.out")"
answers "after the reload: the new database (2.0/16 in the US, 8.8/16 in SG)" "$US_EAST" "$AP_SOUTHEAST"

head -c 100 "$T_TMP/old.mmdb" >"$T_TMP/city.mmdb"	# half-written file
code=$(reload)
[ "$code" = 422 ] && ok "reload of a truncated database: 422" || fail "reload of a truncated database: HTTP $code $(cat "$T_TMP/reload.out")"
answers "the refused reload keeps the new database serving" "$US_EAST" "$AP_SOUTHEAST"
alive "at the end"

t_done

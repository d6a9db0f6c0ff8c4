#!/usr/bin/env bash
# GeoIP database layouts (docs/routing.md: locating a client) with MaxMind's published
# test databases (tests/data/maxmind): GeoIP2-City-Test and
# GeoLite2-City-Test (a client at its record's coordinates),
# GeoIP2-Country-Test and GeoLite2-Country-Test (at its country's centroid,
# geo/countries.csv).  All four are IPv6 trees: IPv4 clients, and IPv4
# addresses written in IPv6 (::ffff:a.b.c.d, 6to4 2002::/16), work.
# Expectations: layouts.py, from mmdblookup's reading of each record and
# the netmask libmaxminddb reports (mmdbtree.py walks the tree); eight
# regions on every continent but Antarctica, no pins.
#
# The two broken databases are refused at start (--check too) naming the
# file, and at reload (SIGHUP, control API) the server keeps answering
# with the database it had and logs the error.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
. ../geo_routing/geo_lib.sh

t_need mmdblookup mmdb-bin
MM=$DNSD_MAXMIND
for f in GeoIP2-City-Test GeoLite2-City-Test GeoIP2-Country-Test GeoLite2-Country-Test \
	GeoIP2-City-Test-Broken-Double-Format GeoIP2-City-Test-Invalid-Node-Count; do
	[ -f "$MM/$f.mmdb" ] || { fail "$MM/$f.mmdb missing"; t_done; }
done
cat >"$T_TMP/zone.json" <<'EOF'
{
  "origin": "example.com.",
  "ttl": 300,
  "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1,
          "refresh": 3600, "retry": 600, "expire": 1209600, "minimum": 300},
  "records": {"@": {"NS": ["ns1"]}, "ns1": {"A": ["192.0.2.53"]}},
  "geo": {
    "www": {"regions": ["us-east", "us-west", "eu-west", "eu-central", "ap-southeast", "ap-northeast",
                        "sa-east", "af-south"], "ttl": 30}
  }
}
EOF
t_free_port T_PORT
t_free_port T_CONTROL_PORT
TOKEN=layouts-token

# write_config GEOIP: $T_TMP/dnsd.json with that database.
write_config() {
	cat >"$T_TMP/dnsd.json.new" <<EOF
{
  "listen": ["127.0.0.1:$T_PORT", "[::1]:$T_PORT"],
  "workers": 2,
  "zones": ["zone.json"],
  "geoip": "$1",
  "identity": "$T_IDENTITY",
  "control": {"listen": "127.0.0.1:$T_CONTROL_PORT", "token": "$TOKEN"},
  "regions": {
    "us-east":      {"location": [39.04, -77.49],  "endpoints": ["192.0.2.10", "2001:db8:10::10"]},
    "us-west":      {"location": [37.77, -122.42], "endpoints": ["192.0.2.20", "2001:db8:11::10"]},
    "eu-west":      {"location": [53.35, -6.26],   "endpoints": ["198.51.100.10", "2001:db8:20::10"]},
    "eu-central":   {"location": [50.11, 8.68],    "endpoints": ["198.51.100.20"]},
    "ap-southeast": {"location": [1.35, 103.82],   "endpoints": ["203.0.113.10", "2001:db8:40::10"]},
    "ap-northeast": {"location": [35.68, 139.69],  "endpoints": ["203.0.113.20"]},
    "sa-east":      {"location": [-23.55, -46.63], "endpoints": ["192.0.2.50", "2001:db8:50::10"]},
    "af-south":     {"location": [-33.92, 18.42],  "endpoints": ["192.0.2.60"]}
  }
}
EOF
	mv "$T_TMP/dnsd.json.new" "$T_TMP/dnsd.json"
}

# lay DESC DB SUBNET QTYPE [REGION]: the answer for a client of DB is the
# nearest region's endpoints with the libmaxminddb scope; REGION, when
# given, is what the record's place obviously implies (the computation
# must agree).
lay() {
	local desc=$1 db=$2 subnet=$3 qtype=$4 region=${5:-} line addrs scope mregion where
	line=$("$T_PY" layouts.py "$T_TMP/dnsd.json" "$db" expect "$subnet" "$qtype")
	read -r addrs scope mregion where <<<"$line"
	if [ "$addrs" = DECODER-MISMATCH ]; then
		fail "$desc: mmdbtree.py and mmdblookup disagree on $subnet: $line (test bug)"
		return
	fi
	if [ -n "$region" ] && [ "$region" != model ] && [ "$region" != "$mregion" ]; then
		fail "$desc: computed $mregion from $where, the test says $region (test bug)"
		return
	fi
	q www.example.com "$qtype" +subnet="$subnet"
	check_answer "$(basename "$db" .mmdb): $desc $subnet $qtype ($where) -> $mregion, scope $scope" \
		www "$qtype" "$addrs" "$subnet/$scope"
}

GEO_TTL=([www]=30)
for name in GeoIP2-City-Test GeoLite2-City-Test GeoIP2-Country-Test GeoLite2-Country-Test; do
	DB=$MM/$name.mmdb
	write_config "$DB"
	out=$("$DNSD_BIN" -c "$T_TMP/dnsd.json" --check 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && ok "$name: --check accepts it" || { fail "$name: --check exits $rc"; sed 's/^/    | /' <<<"$out"; }
	t_start example.com.
	case $name in
	*City*)
		# London 51.51,-0.09: Dublin 464 km, Frankfurt 636 km
		lay "GB London" "$DB" 81.2.69.142/32 A eu-west
		lay "GB Boxford" "$DB" 2.125.160.216/32 A eu-west
		lay "SE Linkoping" "$DB" 89.160.20.112/32 A eu-central
		lay "SE Linkoping, v4 client asking AAAA (eu-central has no v6)" "$DB" 89.160.20.112/32 AAAA eu-west
		lay "US Milton, WA" "$DB" 216.160.83.56/32 A us-west
		lay "CN Changchun" "$DB" 175.16.199.0/24 A ap-northeast
		lay "JP (v6)" "$DB" 2001:218::/32 A ap-northeast
		lay "JP (v6) AAAA (ap-northeast has no v6)" "$DB" 2001:218::/32 AAAA model
		lay "UA (v6)" "$DB" 2a02:d300::/32 A eu-central
		;;
	*)
		# Country layout: GB centroid 55.38,-3.44, SE 60.13,18.64, US
		# 37.09,-95.71 (so Milton, WA moves from us-west to us-east)
		lay "GB" "$DB" 81.2.69.142/32 A eu-west
		lay "GB" "$DB" 2.125.160.216/32 A eu-west
		lay "SE" "$DB" 89.160.20.112/32 A eu-central
		lay "US: the centroid, not Milton" "$DB" 216.160.83.56/32 A us-east
		lay "JP (v6)" "$DB" 2001:218::/32 A ap-northeast
		lay "UA (v6)" "$DB" 2a02:d300::/32 A eu-central
		if [ "$name" = GeoIP2-Country-Test ]; then
			lay "CN" "$DB" 175.16.199.0/24 A model
		else
			lay "175.16.199.0 absent: unlocated, regions order" "$DB" 175.16.199.0/24 A us-east
		fi
		;;
	esac
	# IPv4 addresses written in IPv6: the tree's aliases lead to the same record
	lay "GB written ::ffff:81.2.69.142 (v4-mapped)" "$DB" ::ffff:81.2.69.142/128 A eu-west
	lay "GB written 2002:5102:458e:: (6to4)" "$DB" 2002:5102:458e::/48 A eu-west
	lay "GB through the Teredo alias (bits 32-63 = 81.2.69.142)" "$DB" 2001:0:5102:458e::/64 A eu-west
	lay "unlisted v4 address: unlocated, regions order" "$DB" 100.64.0.0/24 A us-east
	t_absorb < <("$T_PY" layouts.py "$T_TMP/dnsd.json" "$DB" sweep "$T_PORT" 2>&1)
	if t_stop_pid "$DNSD_PID"; then ok "$name: dnsd stopped"; else fail "$name: dnsd did not stop on SIGTERM"; fi
	DNSD_PID=
done

# --- broken databases: refused at start --------------------------------------
for name in GeoIP2-City-Test-Broken-Double-Format GeoIP2-City-Test-Invalid-Node-Count; do
	write_config "$MM/$name.mmdb"
	out=$("$DNSD_BIN" -c "$T_TMP/dnsd.json" --check 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "$name.mmdb" <<<"$out" && grep -Eq 'dnsd\.json:[0-9]+:[0-9]+: ' <<<"$out"; then
		ok "$name: --check exits 1 naming the file at dnsd.json:LINE:COL ($(head -1 <<<"$out" | cut -c1-140))"
	else
		fail "$name: --check exits $rc"
		sed 's/^/    | /' <<<"$out"
	fi
	timeout 10 "$DNSD_BIN" -c "$T_TMP/dnsd.json" --foreground >"$T_TMP/broken.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "$name.mmdb" "$T_TMP/broken.log"; then
		ok "$name: dnsd refuses to start (exit $rc), naming the file"
	else
		fail "$name: dnsd start exit $rc (124: still running after 10 s)"
		sed 's/^/    | /' "$T_TMP/broken.log"
	fi
	if t_soa_ok "$T_PORT" example.com.; then fail "$name: something answers on the port after the refused start"; else ok "$name: nothing serving"; fi
done

# --- reload: a good database swaps in; a broken one changes nothing ----------
"$T_PY" "$DNSD_SRC/tools/mmdb-build" -o "$T_TMP/built.mmdb" "$DNSD_SRC/tests/data/geo_sys_layouts.csv" ||
	{ fail "mmdb-build geo_sys_layouts.csv"; t_done; }
write_config built.mmdb
t_start example.com.

# wait_answer DESC SUBNET WANT: poll (5 s) until www A for SUBNET is WANT.
wait_answer() {
	local end=$((SECONDS + 5))
	while :; do
		q www.example.com A +subnet="$2"
		[ "$(t_rdata A)" = "$3" ] && { ok "$1: $2 -> $3"; return 0; }
		[ $SECONDS -ge $end ] && break
		sleep 0.2
	done
	fail "$1: $2 -> '$(t_rdata A)', want $3"
	sed 's/^/    | /' <<<"$T_OUT"
	return 1
}
# wait_log RE: poll (5 s) until the dnsd log has a line matching RE (ERE)
# after line $LOG_MARK; prints it.
wait_log() {
	local end=$((SECONDS + 5)) line
	while [ $SECONDS -lt $end ]; do
		line=$(tail -n +"$((LOG_MARK + 1))" "$T_LOG" | grep -E -m1 -- "$1") && { echo "$line"; return 0; }
		sleep 0.2
	done
	return 1
}
api_reload() {
	"$T_PY" - "$T_CONTROL_PORT" "$TOKEN" <<'EOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request("http://127.0.0.1:%s/v1/reload" % sys.argv[1], data=b"", method="POST",
	headers={"Authorization": "Bearer " + sys.argv[2]})
try:
	with urllib.request.urlopen(req, timeout=10) as r:
		print(r.status, r.read().decode().replace("\n", " "))
except urllib.error.HTTPError as e:
	print(e.code, e.read().decode().replace("\n", " "))
EOF
}

wait_answer "built database (81.2.69.0/24 placed in Tokyo)" 81.2.69.142/32 203.0.113.20
wait_answer "built database (216.160.83.0/24 placed in Sao Paulo)" 216.160.83.56/32 192.0.2.50
write_config "$MM/GeoIP2-City-Test.mmdb"
kill -HUP "$DNSD_PID"
wait_answer "SIGHUP to GeoIP2-City-Test: the new database answers" 81.2.69.142/32 198.51.100.10
wait_answer "SIGHUP to GeoIP2-City-Test: Milton, WA" 216.160.83.56/32 192.0.2.20
for name in GeoIP2-City-Test-Broken-Double-Format GeoIP2-City-Test-Invalid-Node-Count; do
	write_config "$MM/$name.mmdb"
	LOG_MARK=$(wc -l <"$T_LOG")
	kill -HUP "$DNSD_PID"
	if line=$(wait_log "$name"); then
		ok "SIGHUP to $name: the error is logged naming the file ($(cut -c1-160 <<<"$line"))"
	else
		fail "SIGHUP to $name: no log line naming the file within 5 s"
		tail -n +"$((LOG_MARK + 1))" "$T_LOG" | sed 's/^/    | /'
	fi
	kill -0 "$DNSD_PID" 2>/dev/null && ok "SIGHUP to $name: dnsd still running" || fail "SIGHUP to $name: dnsd died"
	q www.example.com A +subnet=81.2.69.142/32
	check_answer "after the refused reload ($name): still GeoIP2-City-Test's London -> eu-west" www A 198.51.100.10 "81.2.69.142/32/31"
	q www.example.com A +subnet=216.160.83.56/32
	check_answer "after the refused reload ($name): still Milton, WA -> us-west" www A 192.0.2.20 "216.160.83.56/32/29"
	res=$(api_reload)
	if [[ $res == 422* ]] && grep -q "$name" <<<"$res" && grep -q '"error"' <<<"$res"; then
		ok "POST /v1/reload with $name: 422, the error names the file"
	else
		fail "POST /v1/reload with $name: want 422 with the file named, got: $(cut -c1-300 <<<"$res")"
	fi
	q www.example.com A +subnet=81.2.69.142/32
	check_answer "after the refused API reload ($name): unchanged" www A 198.51.100.10 "81.2.69.142/32/31"
done
# and a good database still swaps in after the refusals
write_config "$MM/GeoIP2-Country-Test.mmdb"
kill -HUP "$DNSD_PID"
wait_answer "SIGHUP to GeoIP2-Country-Test after the refusals: the US centroid" 216.160.83.56/32 192.0.2.10

t_done

#!/usr/bin/env bash
# Differential check against gdnsd 3 (Debian package gdnsd, plugin_geoip in
# city-auto-mode): the same GeoIP databases, the same eight regions as
# datacenters (coordinates = region locations, datacenters order = the geo
# name's regions order), dnsd `networks` region overrides as gdnsd `nets`;
# no residency pins (gdnsd has no such concept).  For every client subnet
# both servers must pick the same region, except where they differ on
# purpose, each such case stated below with its reason:
#   - a record with a country or continent but no coordinates: dnsd places
#     the client at the centroid (docs/routing.md); gdnsd's auto mode has no
#     coordinates and falls back to its datacenters list (first: us-east);
#   - an IPv4-mapped ECS address (::ffff:a.b.c.d) in a database without
#     MaxMind's ::ffff:0:0/96 alias (mmdb-build writes none): dnsd looks
#     the IPv6 address up as it is (not found: regions order); gdnsd maps
#     it to the IPv4 address first.
# Both compute great-circle distances, so the nearest datacenter is the
# same; a near-tie (< 1 km between the two nearest) would accept either
# (sweep.py; the built database's cities have none).
#
# Part 1: tests/data/geo_sys_routing.csv (mmdb-build), every network of it
# asked with dig +subnet, A and AAAA.  Part 2: the MaxMind
# GeoIP2-City-Test database, every network in it (sweep.py).
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
. ../geo_routing/geo_lib.sh

GDNSD=/usr/sbin/gdnsd
t_need "$GDNSD" gdnsd
CSV=$DNSD_SRC/tests/data/geo_sys_routing.csv
REAL=$DNSD_MAXMIND/GeoIP2-City-Test.mmdb
[ -f "$REAL" ] || { fail "$REAL missing"; t_done; }
"$T_PY" "$DNSD_SRC/tools/mmdb-build" -o "$T_TMP/built.mmdb" "$CSV" || { fail "mmdb-build $CSV"; t_done; }
REGIONS='"us-east", "us-west", "eu-west", "eu-central", "ap-southeast", "ap-northeast", "sa-east", "af-south"'
cat >"$T_TMP/zone.json" <<EOF
{
  "origin": "example.com.",
  "ttl": 300,
  "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1,
          "refresh": 3600, "retry": 600, "expire": 1209600, "minimum": 300},
  "records": {"@": {"NS": ["ns1", "ns2"]}, "ns1": {"A": ["192.0.2.53"]}, "ns2": {"A": ["192.0.2.54"]}},
  "geo": {
    "www":  {"regions": [$REGIONS], "ttl": 30},
    "real": {"regions": [$REGIONS], "ttl": 30}
  }
}
EOF
# write_config FILE PORT CONTROL_PORT GEOIP
write_config() {
	cat >"$1" <<EOF
{
  "listen": ["127.0.0.1:$2"],
  "workers": 2,
  "zones": ["zone.json"],
  "geoip": "$4",
  "identity": "$T_IDENTITY",
  "control": {"listen": "127.0.0.1:$3", "token": "t"},
  "regions": {
    "us-east":      {"location": [39.04, -77.49],  "endpoints": ["192.0.2.10", "2001:db8:10::10"]},
    "us-west":      {"location": [37.77, -122.42], "endpoints": ["192.0.2.20", "2001:db8:11::10"]},
    "eu-west":      {"location": [53.35, -6.26],   "endpoints": ["198.51.100.10", "2001:db8:20::10"]},
    "eu-central":   {"location": [50.11, 8.68],    "endpoints": ["198.51.100.20", "2001:db8:21::10"]},
    "ap-southeast": {"location": [1.35, 103.82],   "endpoints": ["203.0.113.10", "2001:db8:40::10"]},
    "ap-northeast": {"location": [35.68, 139.69],  "endpoints": ["203.0.113.20", "2001:db8:41::10"]},
    "sa-east":      {"location": [-23.55, -46.63], "endpoints": ["192.0.2.50", "2001:db8:50::10"]},
    "af-south":     {"location": [-33.92, 18.42],  "endpoints": ["192.0.2.60", "2001:db8:60::10"]}
  },
  "networks": {
    "10.30.0.0/16":      {"region": "eu-central"},
    "12.0.64.0/18":      {"region": "eu-west"},
    "2001:db8:2:1::/64": {"region": "ap-northeast"}
  }
}
EOF
}
t_free_port T_PORT
t_free_port T_CONTROL_PORT
t_free_port REAL_PORT
t_free_port REAL_CONTROL_PORT
t_free_port G_PORT
write_config "$T_TMP/dnsd.json" "$T_PORT" "$T_CONTROL_PORT" built.mmdb
write_config "$T_TMP/real.json" "$REAL_PORT" "$REAL_CONTROL_PORT" "$REAL"

# gdnsd, same regions, both databases, in its own config directory
G_DIR=$T_TMP/gdnsd
"$T_PY" gdnsd_conf.py "$T_TMP/dnsd.json" "$G_DIR" "$G_PORT" www="$T_TMP/built.mmdb" real="$REAL" ||
	{ fail "gdnsd_conf.py"; t_done; }
if out=$("$GDNSD" -c "$G_DIR" checkconf 2>&1); then
	ok "gdnsd checkconf accepts the generated config"
else
	fail "gdnsd checkconf"
	sed 's/^/    | /' <<<"$out"
	t_done
fi
t_bg gdnsd "$GDNSD" -c "$G_DIR" start
G_PID=${T_PIDS[-1]}
end=$((SECONDS + 15))
until t_soa_ok "$G_PORT" example.com.; do
	if [ $SECONDS -ge $end ] || ! kill -0 "$G_PID" 2>/dev/null; then
		fail "gdnsd did not answer on 127.0.0.1:$G_PORT"
		sed 's/^/    | /' "$T_TMP/gdnsd.log"
		t_done
	fi
	sleep 0.2
done
ok "gdnsd (pid $G_PID) answers on 127.0.0.1:$G_PORT"

t_start example.com.
t_bg dnsd-real "$DNSD_BIN" -c "$T_TMP/real.json" --foreground
end=$((SECONDS + 10))
until t_soa_ok "$REAL_PORT" example.com.; do
	[ $SECONDS -ge $end ] && { fail "second dnsd (GeoIP2-City-Test) did not start"; sed 's/^/    | /' "$T_TMP/dnsd-real.log"; t_done; }
	sleep 0.2
done
ok "second dnsd (GeoIP2-City-Test) answers on 127.0.0.1:$REAL_PORT"

# --- part 1: the built database, dig against both ---------------------------
declare -A REGION_OF=()
while read -r addr region; do REGION_OF[$addr]=$region; done < <("$T_PY" - "$T_TMP/dnsd.json" <<'EOF'
import json, sys
for r, d in json.load(open(sys.argv[1]))["regions"].items():
	for e in d["endpoints"]:
		print(e, r)
EOF
)
FIRST=us-east	# gdnsd's datacenters[0], dnsd's regions[0]
geo_model_cmd "$T_TMP/dnsd.json" "$T_TMP/zone.json" "$CSV"

# regions_of SERVER-PORT SUBNET QTYPE [NAME]: region names of the answer
# for NAME (default www).
regions_of() {
	local port=$1 out a r list=''
	out=$(dig @127.0.0.1 -p "$port" +norec +time=2 +tries=1 "${4:-www}.example.com" "$3" +subnet="$2" +short 2>&1)
	for a in $out; do
		r=${REGION_OF[$a]:-"?$a"}
		[[ ",$list," == *",$r,"* ]] || list="$list${list:+,}$r"
	done
	echo "${list:-none}"
}

# diff_case SUBNET QTYPE KIND [GDNSD-REGION] : KIND same | centroid | mapped
diff_case() {
	local subnet=$1 qtype=$2 kind=$3 d g m want_d want_g why
	read -r _ _ _ _ _ m why < <("${GEO_MODEL[@]}" answer www "$qtype" "$subnet")
	d=$(regions_of "$T_PORT" "$subnet" "$qtype")
	g=$(regions_of "$G_PORT" "$subnet" "$qtype")
	case $kind in
	same) want_d=$m want_g=$m ;;
	centroid) want_d=$m want_g=$FIRST ;;	# see the header: dnsd centroid, gdnsd fallback list
	mapped) want_d=$FIRST want_g=$4 ;;	# see the header: no ::ffff:0:0/96 alias in the database
	esac
	if [ "$d" = "$want_d" ] && [ "$g" = "$want_g" ]; then
		if [ "$d" = "$g" ]; then
			ok "$subnet $qtype (${why#client:}): dnsd $d = gdnsd $g"
		else
			ok "$subnet $qtype (${why#client:}): dnsd $d, gdnsd $g -- expected difference ($kind)"
		fi
	else
		fail "$subnet $qtype (${why#client:}, $kind): dnsd $d (want $want_d), gdnsd $g (want $want_g)"
	fi
}

n_same=0
while read -r subnet kind; do
	for qtype in A AAAA; do
		diff_case "$subnet" "$qtype" "$kind"
		[ "$kind" = same ] && n_same=$((n_same + 1))
	done
done < <("$T_PY" - "$CSV" <<'EOF'
import csv, ipaddress, sys
for r in csv.reader(open(sys.argv[1])):
	if not r or r[0].startswith("#") or r[0] == "network":
		continue
	net = ipaddress.ip_network(r[0])
	sub = next(net.subnets(new_prefix=max(net.prefixlen, 24 if net.version == 4 else 56)))
	kind = "centroid" if not r[3] and (r[1] or r[2]) else "same"
	print(sub, kind)
# networks region overrides (gdnsd nets), unlocated clients, and a client
# inside the nested /24 and /49 but outside the more specific entry
for s in ("10.30.1.0/24", "12.0.64.0/24", "12.0.127.0/24", "2001:db8:2:1::/64", "100.64.1.0/24",
		"2001:db8:ff00::/56", "2.0.201.0/24", "2001:db8:1:8001::/64", "2.0.1.7/32", "202.12.77.0/24"):
	print(s, "same")
EOF
)
[ "$n_same" -ge 40 ] && ok "$n_same (subnet, family) pairs compared where both mean the same" ||
	fail "only $n_same same-meaning comparisons (want >= 40)"
diff_case ::ffff:202.12.0.0/120 A mapped ap-northeast

# --- part 2: GeoIP2-City-Test, every network ---------------------------------
t_absorb < <("$T_PY" sweep.py "$T_TMP/real.json" "$REAL" "$REAL_PORT" "$G_PORT" 2>&1)

# IPv4 written in IPv6 with this database: MaxMind's tree aliases
# ::ffff:0:0/96, 2001::/32 and 2002::/16 to its IPv4 root, which dnsd
# follows as libmaxminddb does; gdnsd decodes these forms itself.  They
# agree on v4-mapped and 6to4; for Teredo the alias reads bits 32-63 (the
# Teredo server) while gdnsd reads the client (last 32 bits, inverted):
# an expected difference.  81.2.69.142 (London) = 0x5102458e, inverted
# 0xaefdba71.
real_case() {
	local desc=$1 subnet=$2 want_d=$3 want_g=$4 d g
	d=$(regions_of "$REAL_PORT" "$subnet" A real)
	g=$(regions_of "$G_PORT" "$subnet" A real)
	if [ "$d" = "$want_d" ] && [ "$g" = "$want_g" ]; then
		ok "GeoIP2-City-Test $desc $subnet: dnsd $d, gdnsd $g"
	else
		fail "GeoIP2-City-Test $desc $subnet: dnsd $d (want $want_d), gdnsd $g (want $want_g)"
	fi
}
real_case "v4-mapped London: same" ::ffff:81.2.69.142/128 eu-west eu-west
real_case "6to4 London: same" 2002:5102:458e::/48 eu-west eu-west
real_case "IPv4 London: same" 81.2.69.142/32 eu-west eu-west
real_case "Teredo, server 81.2.69.142 (expected difference: alias vs client bits)" 2001:0:5102:458e::/64 eu-west us-east
real_case "Teredo, client 81.2.69.142 (expected difference: alias vs client bits)" 2001::aefd:ba71/128 us-east eu-west

t_done

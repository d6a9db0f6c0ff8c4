#!/usr/bin/env bash
# Geo routing (docs/routing.md, ECS: docs/protocol.md) black-box: dnsd with a GeoIP database built
# by tools/mmdb-build from tests/data/geo_sys_routing.csv (clients on every
# continent, v4 and v6), five regions (the example config's four plus sa-east), the
# eu (countries, strict) and asia (continent, strict) pins, and `networks`
# overrides by country and by region.  Asked with dig +norec +subnet= and
# from 127.0.0.x source addresses; dnspython for invalid ECS options.
#
# Expected answers come from geomodel.py, the routing rules written out again from the
# same config, zone and CSV (haversine to each region's coordinates); the
# named checks below also state the region the routing rule implies, so a
# wrong model cannot pass a wrong server.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

CSV=$DNSD_SRC/tests/data/geo_sys_routing.csv
"$T_PY" "$DNSD_SRC/tools/mmdb-build" -o "$T_TMP/routing.mmdb" "$CSV" || { fail "mmdb-build $CSV"; t_done; }
cp "$DNSD_SRC/tests/data/geo_sys_routing.zone.json" "$T_TMP/zone.json" || exit 1
t_free_port T_PORT
t_free_port T_CONTROL_PORT
cat >"$T_TMP/dnsd.json" <<EOF
{
  "listen": ["127.0.0.1:$T_PORT", "[::1]:$T_PORT"],
  "workers": 2,
  "zones": ["zone.json"],
  "geoip": "routing.mmdb",
  "identity": "$T_IDENTITY",
  "control": {"listen": "127.0.0.1:$T_CONTROL_PORT", "token": "test-token"},
  "diagnostics": {"allow": ["127.0.0.0/8", "::1/128"]},
  "regions": {
    "us-east":      {"location": [39.04, -77.49], "endpoints": ["192.0.2.10", "192.0.2.11", "2001:db8:10::10"]},
    "eu-west":      {"location": [53.35, -6.26],  "endpoints": ["198.51.100.10", "2001:db8:20::10"], "pin": "eu"},
    "eu-central":   {"location": [50.11, 8.68],   "endpoints": ["198.51.100.20"], "pin": "eu"},
    "ap-southeast": {"location": [1.35, 103.82],  "endpoints": ["203.0.113.10", "2001:db8:40::10"], "pin": "asia"},
    "sa-east":      {"location": [-23.55, -46.63], "endpoints": ["192.0.2.50"]}
  },
  "pins": {
    "eu":   {"countries": ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
                           "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"],
             "mode": "strict"},
    "asia": {"continents": ["AS"], "mode": "strict"}
  },
  "networks": {
    "127.0.0.5/32":      {"country": "DE"},
    "127.0.0.6/32":      {"country": "JP"},
    "127.0.0.7/32":      {"country": "BR"},
    "10.20.0.0/16":      {"country": "DE"},
    "10.30.0.0/16":      {"region": "eu-central"},
    "12.0.64.0/18":      {"region": "eu-west"},
    "2.0.64.0/18":       {"region": "us-east"},
    "2.0.128.0/18":      {"region": "eu-west"},
    "2001:db8:99::/48":  {"country": "JP"},
    "2001:db8:3:1::/64": {"region": "us-east"},
    "2001:db8:2:1::/64": {"region": "eu-west"}
  }
}
EOF
t_start example.com.

. ./geo_lib.sh
geo_model_cmd "$T_TMP/dnsd.json" "$T_TMP/zone.json" "$CSV"
GEO_TTL=([www]=30 [all]=40 [duo]=50 [shop]=60)
# endpoints of each region, for stating expectations by region name
declare -A EP4=([us-east]=192.0.2.10,192.0.2.11 [eu-west]=198.51.100.10 [eu-central]=198.51.100.20
	[ap-southeast]=203.0.113.10 [sa-east]=192.0.2.50)
declare -A EP6=([us-east]=2001:db8:10::10 [eu-west]=2001:db8:20::10 [ap-southeast]=2001:db8:40::10)

# --- named cases: one per routing rule ----------------------------------
geo "DE client (v4), eu pin"                 www A 2.0.1.0/24 eu-central
geo "FR client nested in the DE /16"         www A 2.0.200.0/24 eu-central
geo "IE client: eu-west nearest"             www A 5.1.0.0/24 eu-west
geo "NO client (eu pin lists it)"            www A 46.1.0.0/24 eu-central
geo "GB client: not pinned, may get an EU region" www A 81.2.69.0/24 eu-west
geo "CH client: not pinned, nearest"         www A 62.0.0.0/24 eu-central
geo "CY filed under AS: country pin eu beats continent pin asia" www A 82.0.0.0/24 eu-central
geo "TR (AS): asia pin although Frankfurt is nearer" www A 88.0.0.0/24 ap-southeast
geo "JP client, asia pin"                    www A 202.12.0.0/24 ap-southeast
geo "SG client, asia pin"                    www A 27.0.0.0/24 ap-southeast
geo "IN client, asia pin"                    www A 1.0.0.0/24 ap-southeast
geo "US east coast client"                   www A 12.0.0.0/24 us-east
geo "US west coast client"                   www A 8.8.0.0/24 us-east
geo "MX client"                              www A 189.0.0.0/24 us-east
geo "BR client, no sa-east in www: nearest"  www A 200.160.0.0/24 model
geo "BR client, sa-east listed"              all A 200.160.0.0/24 sa-east
geo "AR client"                              all A 181.0.0.0/24 model
geo "ZA client (Cape Town), www: nearest"    www A 41.0.0.0/24 model
geo "ZA client (Cape Town), all: nearest"    all A 41.0.0.0/24 model
geo "KE client: nearest"                     all A 102.0.0.0/24 model
geo "NG client: nearest"                     all A 105.0.0.0/24 model
geo "AU client: nearest"                     www A 1.128.0.0/24 model
geo "NZ client: nearest"                     all A 49.0.0.0/24 model
geo "AQ client (McMurdo): nearest"           all A 2.3.0.0/24 model
geo "EU continent-only record: EU centroid, not pinned" www A 2.1.0.0/24 eu-central
geo "PL country-only record: PL centroid, eu pin" www A 2.4.0.0/24 eu-central
geo "DE client (v6 /56), A"                  www A 2001:db8:1::/56 eu-central
geo "DE client (v6), AAAA: only eu-west of the EU regions has v6" www AAAA 2001:db8:1::/56 eu-west
geo "CH /49 nested in the DE /48 (v6)"       www A 2001:db8:1:8000::/56 eu-central
geo "US client (v6), AAAA"                   www AAAA 2001:db8:2::/56 us-east
geo "JP client (v6), AAAA"                   www AAAA 2001:db8:3::/56 ap-southeast
geo "AU client (v6), AAAA"                   www AAAA 2001:db8:4::/56 model
geo "BR client (v6), AAAA: sa-east has no v6" all AAAA 2001:db8:5::/56 us-east
geo "BR client (v6), A"                      all A 2001:db8:5::/56 sa-east
geo "ZA client (v6), AAAA"                   all AAAA 2001:db8:6::/56 model
geo "GB client (v6), AAAA"                   www AAAA 2001:db8:7::/56 eu-west
geo "AS continent-only record (v6): asia pin" www AAAA 2400:1::/56 ap-southeast
geo "US country-only record (v6): US centroid" www AAAA 2600:1::/56 us-east
geo "v4 client asking AAAA"                  www AAAA 202.12.0.0/24 ap-southeast
geo "v6 client asking A"                     www A 2001:db8:3::/64 ap-southeast
geo "ECS /32 host address"                   www A 2.0.1.7/32 eu-central
geo "ECS /8, wider than the GeoIP network"   www A 2.0.0.0/8 eu-central
# unlocated: the name's regions order (www: us-east first; shop: sa-east)
geo "unlocated v4 (in no table)"             www A 100.64.1.0/24 us-east
geo "unlocated v4, shop's order"             shop A 100.64.1.0/24 sa-east
geo "unlocated v4, duo (2 regions in order)" duo A 100.64.1.0/24 eu-west,us-east
geo "record with no location: unlocated"     www A 11.0.0.0/24 us-east
geo "unlocated v6"                           www AAAA 2001:db8:ff00::/56 us-east
geo "unlocated v6, shop AAAA: first region sa-east has no v6, skipped" shop AAAA 2001:db8:ff00::/56 ap-southeast
geo "DE client AAAA on shop: its one EU region has no v6 -> NODATA (strict)" shop AAAA 2001:db8:1::/56 -
# networks overrides
geo "networks country DE (v4)"               www A 10.20.1.0/24 eu-central
geo "networks country JP (v6)"               www AAAA 2001:db8:99::/56 ap-southeast
geo "networks region eu-west over a US client" www A 12.0.64.0/24 eu-west
geo "networks region eu-west, duo: then the nearest" duo A 12.0.64.0/24 eu-west,us-east
geo "networks region eu-central, unlocated client" duo A 10.30.1.0/24 eu-central,eu-west
geo "networks region eu-west over a DE client (eu-central nearer)" www A 2.0.128.0/24 eu-west
geo "networks region us-east over a DE client: the eu pin still applies" www A 2.0.64.0/24 eu-central
geo "networks region us-east over a JP client (v6): asia pin applies" www AAAA 2001:db8:3:1::/64 ap-southeast
geo "networks region eu-west over a US client (v6)" www AAAA 2001:db8:2:1::/64 eu-west
# max_regions 2 (duo lists eu-west first)
geo "duo: DE client, both EU regions"        duo A 2.0.1.0/24 eu-central,eu-west
geo "duo: DE client AAAA: the one EU region with v6" duo AAAA 2001:db8:1::/56 eu-west
geo "duo: US client, two nearest"            duo A 12.0.0.0/24 model
geo "duo: JP client, asia pin has one region" duo A 202.12.0.0/24 ap-southeast
geo "duo: AU client (unpinned), two nearest" duo A 1.128.0.0/24 model
geo "duo: BR client AAAA"                    duo AAAA 2001:db8:5::/56 model

# --- the same client by its source address (no ECS) ----------------------
# 127.0.0.5/6/7 are mapped to DE/JP/BR in "networks"; 127.0.0.1 is nowhere.
src() {
	local desc=$1 bind=$2 name=$3 qtype=$4 regions=$5 extra=${6:-} want=''
	local r
	IFS=, read -ra rs <<<"$regions"
	for r in "${rs[@]}"; do
		if [ "$qtype" = A ]; then want="$want${want:+,}${EP4[$r]}"; else want="$want${want:+,}${EP6[$r]}"; fi
	done
	q -b "$bind" "$name.example.com" "$qtype" $extra
	if [ -n "$extra" ]; then
		check_answer "$desc -> $regions, ECS echoed with scope 0" "$name" "$qtype" "$want" "${extra#+subnet=}/0"
	else
		check_answer "$desc -> $regions, no ECS in the answer" "$name" "$qtype" "$want" ""
	fi
}
src "source 127.0.0.5 (networks: DE)"        127.0.0.5 www A eu-central
src "source 127.0.0.6 (networks: JP)"        127.0.0.6 www A ap-southeast
src "source 127.0.0.6 (networks: JP), AAAA"  127.0.0.6 www AAAA ap-southeast
src "source 127.0.0.7 (networks: BR)"        127.0.0.7 all A sa-east
src "source 127.0.0.1 (unlocated): www order" 127.0.0.1 www A us-east
src "source 127.0.0.1 (unlocated): shop order" 127.0.0.1 shop A sa-east
src "source 127.0.0.1 (unlocated): duo order" 127.0.0.1 duo A eu-west,us-east
# ECS /0: "do not use my subnet": located by the source, scope 0
src "ECS 0.0.0.0/0 from 127.0.0.6 (JP)"      127.0.0.6 www A ap-southeast +subnet=0.0.0.0/0
src "ECS 0.0.0.0/0 from 127.0.0.5 (DE)"      127.0.0.5 duo A eu-central,eu-west +subnet=0.0.0.0/0
src "ECS ::/0 from 127.0.0.5 (DE), AAAA"     127.0.0.5 www AAAA eu-west +subnet=::/0
src "ECS 0.0.0.0/0 from 127.0.0.1 (unlocated)" 127.0.0.1 shop A sa-east +subnet=0.0.0.0/0
# a real ECS subnet beats the source address
q -b 127.0.0.6 www.example.com A +subnet=12.0.0.0/24
expect "ECS US subnet from the JP source: the ECS decides" rcode=NOERROR 'answer~ IN A 192\.0\.2\.10$' 'answer!~203\.0\.113\.10'
T_ADDR=::1
q www.example.com AAAA
check_answer "over IPv6 from ::1 (unlocated), no ECS -> us-east" www AAAA 2001:db8:10::10 ""
q www.example.com A +subnet=202.12.0.0/24
expect "over IPv6 with a v4 ECS (JP) -> ap-southeast" rcode=NOERROR 'answer~ IN A 203\.0\.113\.10$' 'out~CLIENT-SUBNET: 202\.12\.0\.0/24/[1-9]'
T_ADDR=127.0.0.1

# --- answers that do not depend on the client: scope 0 --------------------
q ns1.example.com A +subnet=2.0.1.0/24
expect "static name with ECS: answer, ECS echoed, scope 0" rcode=NOERROR +aa an=1 'out~; CLIENT-SUBNET: 2\.0\.1\.0/24/0$'
q ns1.example.com AAAA +subnet=2001:db8:1::/56
expect "static name with v6 ECS: scope 0" rcode=NOERROR +aa an=1 'out~; CLIENT-SUBNET: 2001:db8:1::/56/0$'
q www.example.com TXT +subnet=2.0.1.0/24
expect "other type at a geo owner (from records): scope 0" rcode=NOERROR +aa an=1 \
	'answer~^www\.example\.com\. 300 IN TXT "a geo owner with another type"$' 'out~; CLIENT-SUBNET: 2\.0\.1\.0/24/0$'
q www.example.com MX +subnet=2.0.1.0/24
expect "type absent at a geo owner: NODATA, scope 0" rcode=NOERROR +aa an=0 'auth~ IN SOA ' 'out~; CLIENT-SUBNET: 2\.0\.1\.0/24/0$'
q nothing.example.com A +subnet=2.0.1.0/24
expect "NXDOMAIN with ECS: scope 0" rcode=NXDOMAIN +aa 'out~; CLIENT-SUBNET: 2\.0\.1\.0/24/0$'
q ns1.example.com A
expect "no ECS in the query: none in the answer" rcode=NOERROR 'out!~CLIENT-SUBNET'

# --- invalid ECS: FORMERR (dnspython crafts what dig would fix up) -------
t_absorb < <("$T_PY" bad_ecs.py "$T_PORT" 2>&1)

# --- every CSV network and networks entry x every geo name x A/AAAA -------
# (about 400 queries: dnspython, windowed, instead of one dig each)
t_absorb < <("$T_PY" sweep.py "$T_TMP/dnsd.json" "$T_TMP/zone.json" "$CSV" "$T_PORT" 2>&1)

t_done

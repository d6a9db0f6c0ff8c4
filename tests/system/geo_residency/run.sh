#!/usr/bin/env bash
# Data-residency pins (docs/residency.md) black-box.  Seven regions,
# four pins: eu (countries, strict), asia (continent AS, strict), latam
# (BR AR MX, preferred) and gulf (AE, strict: a country pin inside the asia
# continent).  Geo names in tests/data/geo_sys_residency.zone.json list,
# leave out or exempt pins' regions; the GeoIP database is built from
# tests/data/geo_sys_residency.csv.
#
# 1. --check prints which pins govern (and which exempt) every geo name,
#    and refuses a name governed by a pin it lists no region of, at the
#    name's file:line:column; such a config never starts.
# 2. With every region up, residency through configuration alone: the pin
#    beats distance and the regions order, exempt names, the preferred
#    pin's fallback when no pinned region has the queried family, strict
#    NODATA when none has it, max_regions never filled from outside a pin.
# 3. With regions forced down through the control API: the all_down
#    policies, the preferred fallback, unpinned failover, and the rule
#    that matters most -- a client of a strict pin never gets an address
#    outside its pin -- over every up/down combination of the seven
#    regions (residency_health.py).
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
. ../geo_routing/geo_lib.sh
. ./residency_conf.sh

DATA=$DNSD_SRC/tests/data
CSV=$DATA/geo_sys_residency.csv
"$T_PY" "$DNSD_SRC/tools/mmdb-build" -o "$T_TMP/residency.mmdb" "$CSV" || { fail "mmdb-build $CSV"; t_done; }
cp "$DATA/geo_sys_residency.zone.json" "$T_TMP/zone.json" || exit 1
cp "$DATA/geo_sys_residency_bad.zone.json" "$T_TMP/bad.zone.json" || exit 1
t_free_port T_PORT
t_free_port T_CONTROL_PORT
TOKEN=residency-token

# write_config FILE ZONE
write_config() {
	cat >"$1" <<EOF
{
  "listen": ["127.0.0.1:$T_PORT", "[::1]:$T_PORT"],
  "workers": 2,
  "zones": ["$2"],
  "geoip": "residency.mmdb",
  "identity": "$T_IDENTITY",
  "control": {"listen": "127.0.0.1:$T_CONTROL_PORT", "token": "$TOKEN"},
  "diagnostics": {"allow": ["127.0.0.0/8", "::1/128"]},
$(residency_regions_and_pins)
}
EOF
}
write_config "$T_TMP/dnsd.json" zone.json
write_config "$T_TMP/bad.json" bad.zone.json

# --- 1. --check ------------------------------------------------------------
out=$("$DNSD_BIN" -c "$T_TMP/dnsd.json" --check 2>&1)
rc=$?
[ "$rc" -eq 0 ] && ok "--check on the good config exits 0" || { fail "--check on the good config exits $rc"; sed 's/^/    | /' <<<"$out"; }
# every (pin, name) pair: governs unless the name lists the pin in exempt
want=$("$T_PY" - "$T_TMP/zone.json" <<'EOF'
import json, sys
z = json.load(open(sys.argv[1]))
for name, g in sorted(z["geo"].items()):
	for pin in ("eu", "asia", "latam", "gulf"):
		print("pin %s %s %s.example.com." % (pin, "exempts" if pin in g.get("exempt", []) else "governs", name))
EOF
)
got=$(grep -E '^pin [a-z]+ (governs|exempts) ' <<<"$out" | sort)
if [ "$got" = "$(sort <<<"$want")" ]; then
	ok "--check prints which pins govern and which exempt each of the $(grep -c . <<<"$want") (pin, name) pairs"
else
	fail "--check pin report differs"
	diff <(sort <<<"$want") <(echo "$got") | sed 's/^/    | /'
fi

out=$("$DNSD_BIN" -c "$T_TMP/bad.json" --check 2>&1)
rc=$?
[ "$rc" -eq 1 ] && ok "--check refuses a name governed by a pin it lists no region of: exit 1" ||
	fail "--check on the bad zone exits $rc, want 1"
# bad.zone.json: "noeu" is on line 9, column 5; "nogulf" on line 11, column 7
if grep -Eq '(^|/)bad\.zone\.json:9:5: .*noeu.*\beu\b' <<<"$out"; then
	ok "refusal of noeu at bad.zone.json:9:5 naming pin eu"
else
	fail "no 'bad.zone.json:9:5: ... noeu ... eu' in the --check output"
	sed 's/^/    | /' <<<"$out"
fi
if grep -Eq '(^|/)bad\.zone\.json:11:7: .*nogulf.*\bgulf\b' <<<"$out"; then
	ok "refusal of nogulf (exempt from eu only) at bad.zone.json:11:7 naming pin gulf"
else
	fail "no 'bad.zone.json:11:7: ... nogulf ... gulf' in the --check output"
	sed 's/^/    | /' <<<"$out"
fi
if grep -Eq '(ok|ok2)\.example\.com' <<<"$(grep -E 'bad\.zone\.json:[0-9]+:' <<<"$out")"; then
	fail "--check blames a name that satisfies its pins"
	sed 's/^/    | /' <<<"$out"
else
	ok "--check blames only the two offending names"
fi
timeout 10 "$DNSD_BIN" -c "$T_TMP/bad.json" --foreground >"$T_TMP/bad.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q 'noeu' "$T_TMP/bad.log"; then
	ok "dnsd refuses to start with the bad zone (exit $rc, names noeu)"
else
	fail "dnsd with the bad zone: exit $rc (124 = still running after 10 s)"
	sed 's/^/    | /' "$T_TMP/bad.log"
fi

# --- 2. residency through configuration, every region up -------------------
t_start example.com.
geo_model_cmd "$T_TMP/dnsd.json" "$T_TMP/zone.json" "$CSV"
GEO_TTL=([eufirst]=30 [noasia]=30 [asiaopt]=30 [pref]=30 [v4only]=30 [trio]=30 [free]=30)

# eufirst lists us-east first and eu-west as its only EU region
geo "DE client: eu-west although us-east is listed first and nearer regions exist" eufirst A 2.0.0.0/24 eu-west
geo "FR client: eu-west"                     eufirst A 5.44.0.0/24 eu-west
geo "DE client (v6) AAAA: eu-west"           eufirst AAAA 2001:db8:1::/56 eu-west
geo "GB client (not pinned): nearest, which is eu-west" eufirst A 81.2.69.0/24 eu-west
geo "US client: us-east"                     eufirst A 12.0.0.0/24 us-east
geo "unlocated client: first of the regions order" eufirst A 100.64.0.0/24 us-east
geo "TR client (AS): asia pin, Europe is nearer" eufirst A 88.0.0.0/24 ap-southeast
geo "JP client (v6) AAAA: the asia region has no v6 -> NODATA (strict)" eufirst AAAA 2001:db8:3::/56 -
geo "AE client: gulf country pin beats the asia continent pin" eufirst A 94.200.0.0/24 me-central
geo "AE client (v6) AAAA: gulf region has no v6 -> NODATA (strict)" eufirst AAAA 2001:db8:e::/56 -
geo "BR client: latam (preferred) region"    eufirst A 200.160.0.0/24 sa-east
# noasia is exempt from asia and gulf and lists no region of either
geo "JP client, name exempt from asia: nearest region outside asia" noasia A 202.12.0.0/24 eu-central
geo "JP client (v6) AAAA, exempt name: nearest with v6" noasia AAAA 2001:db8:3::/56 model
geo "IN client, exempt name: nearest outside asia" noasia A 1.0.0.0/24 model
geo "AE client, exempt from gulf: nearest outside gulf" noasia A 94.200.0.0/24 eu-central
geo "DE client: eu still governs noasia"     noasia A 2.0.0.0/24 eu-central
geo "DE client (v6) AAAA on noasia: eu-west" noasia AAAA 2001:db8:1::/56 eu-west
# asiaopt is exempt from asia but lists ap-southeast
geo "TR client, exempt from asia: Europe wins on distance" asiaopt A 88.0.0.0/24 eu-central
geo "IN client, exempt from asia: me-central nearest (pins do not reserve regions)" asiaopt A 1.0.0.0/24 me-central
geo "AE client: gulf still governs asiaopt"  asiaopt A 94.200.0.0/24 me-central
geo "JP client, exempt: nearest is the asia region anyway" asiaopt A 202.12.0.0/24 ap-southeast
# pref: latam is preferred; sa-east has no v6
geo "BR client A: sa-east"                   pref A 200.160.0.0/24 sa-east
geo "MX client A: preferred pin keeps sa-east although us-east is nearer" pref A 189.0.0.0/24 sa-east
geo "AR client A: sa-east"                   pref A 181.0.0.0/24 sa-east
geo "BR client (v6) AAAA: no latam region has v6 -> all regions, nearest" pref AAAA 2001:db8:5::/56 us-east
geo "MX client AAAA (v4 ECS): preferred fallback to all regions" pref AAAA 189.0.0.0/24 us-east
geo "AR client AAAA: preferred fallback, nearest with v6" pref AAAA 181.0.0.0/24 model
geo "JP client AAAA on pref: ap-northeast has v6" pref AAAA 202.12.0.0/24 ap-northeast
# v4only: the EU and asia regions it lists have no v6
geo "DE client AAAA: strict pin, no EU region with v6 -> NODATA, not us-east" v4only AAAA 2.0.0.0/24 -
geo "DE client A: eu-central"                v4only A 2.0.0.0/24 eu-central
geo "JP client AAAA: strict, no asia v6 -> NODATA" v4only AAAA 202.12.0.0/24 -
geo "BR client AAAA: preferred, no latam v6 -> all regions" v4only AAAA 200.160.0.0/24 us-east
geo "GB client AAAA (unpinned): the one v6 region" v4only AAAA 81.2.69.0/24 us-east
geo "US client AAAA"                         v4only AAAA 12.0.0.0/24 us-east
# trio: max_regions 3 is never filled from outside a strict pin
geo "DE client, max_regions 3: the two EU regions only" trio A 2.0.0.0/24 eu-central,eu-west
geo "DE client AAAA, max_regions 3: the one EU v6 region" trio AAAA 2001:db8:1::/56 eu-west
geo "JP client, max_regions 3: the two asia regions only" trio A 202.12.0.0/24 ap-northeast,ap-southeast
geo "AE client, max_regions 3: gulf only"    trio A 94.200.0.0/24 me-central
geo "BR client, max_regions 3: preferred, latam only while up" trio A 200.160.0.0/24 sa-east
geo "GB client (unpinned), max_regions 3: three nearest" trio A 81.2.69.0/24 model
geo "US client, max_regions 3: three nearest" trio A 12.0.0.0/24 model
geo "AU client, max_regions 3: three nearest" trio A 1.128.0.0/24 model
# free: exempt from every pin
geo "DE client, name exempt from every pin"  free A 2.0.0.0/24 eu-central
geo "TR client, name exempt from every pin"  free A 88.0.0.0/24 eu-central
geo "ZA client, name exempt from every pin"  free A 41.0.0.0/24 model

# --- 3. region health forced through the control API -----------------------
t_absorb < <("$T_PY" residency_health.py "$T_PORT" "$T_CONTROL_PORT" "$TOKEN" \
	"$T_TMP/dnsd.json" "$T_TMP/zone.json" "$CSV" 2>&1)

t_done

#!/usr/bin/env bash
# dnsd --check (docs/architecture.md): bad configs and zones exit 1 with
# "file:line:column: message" at the real line of the offending value (each
# case file is written so that the bad value sits alone on a known line);
# the shipped zones/dnsd.json passes; a bad config never starts serving.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

W=$T_TMP/cases
cp -r cases "$W"

# check_case DESC CONFIG FILE LINES ERE
#   LINES: "7" one line; "7|10" either; "6+9" both; ERE: the message (any case).
check_case() {
	local desc=$1 cfg=$2 file=$3 lines=$4 re=$5 out rc l bad='' hit
	out=$("$DNSD_BIN" -c "$cfg" --check 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] || bad="exit status $rc, want 1"
	if [[ $lines == *+* ]]; then
		for l in ${lines//+/ }; do
			grep -Eiq "(^|/)$file:$l:[0-9]+: .*($re)" <<<"$out" || bad="$bad${bad:+; }no '$file:$l:COL: ...' matching /$re/"
		done
	else
		hit=
		for l in ${lines//|/ }; do
			grep -Eiq "(^|/)$file:$l:[0-9]+: .*($re)" <<<"$out" && hit=1
		done
		[ -n "$hit" ] || bad="$bad${bad:+; }no '$file:{$lines}:COL: ...' matching /$re/"
	fi
	if [ -z "$bad" ]; then
		ok "$desc ($(grep -Ei -m1 "$file:[0-9]+:[0-9]+:" <<<"$out" | sed 's|.*/||'))"
	else
		fail "$desc: $bad"
		echo "    \$ dnsd -c $(basename "$cfg") --check"
		sed 's/^/    | /' <<<"$out"
	fi
}

# A config serving one zone case file: cfg_good.json with the zone swapped.
zone_cfg() {
	sed "s/\"good_zone.json\"/\"$1\"/" "$W/cfg_good.json" >"$W/cfg_for_$1"
	echo "$W/cfg_for_$1"
}

# zone file                        lines  message
while read -r f lines re; do
	[ -z "$f" ] && continue
	check_case "zone: $f" "$(zone_cfg "$f")" "$f" "$lines" "$re"
done <<'EOF'
zone_syntax_trailing_comma.json    7      .
zone_syntax_missing_comma.json     7      .
zone_unknown_region.json           9      mars-north|region
zone_bad_rdata.json                6      rdata|300\.1\.2\.3
zone_cname_beside.json             7      CNAME
zone_wrong_family.json             7      2001:db8::1|family|rdata|IPv4|address
zone_wrong_family6.json            7      192\.0\.2\.1|family|rdata|IPv6|address
zone_outside_origin.json           7      example\.org|origin|outside
zone_geo_with_a.json               7|10   geo
zone_geo_with_cname.json           7|10   geo|CNAME
zone_residency.json                10     pin|residen
zone_two_errors.json               6+9    rdata|region
zone_unknown_type.json             7      BOGUS|type
EOF

# config file                      lines  message
while read -r f lines re; do
	[ -z "$f" ] && continue
	check_case "config: $f" "$W/$f" "$f" "$lines" "$re"
done <<'EOF'
cfg_syntax.json                    4      .
cfg_unknown_check.json             5      nope|check
cfg_country_two_pins.json          11     FR|pin
cfg_bad_listen.json                2      99999|port|listen
cfg_unknown_key.json               3      listen_addresses|unknown
cfg_bad_endpoint.json              6      198\.51\.100\.300|endpoint|address
cfg_unknown_pin.json               6      europe|pin
cfg_missing_zone.json              3      missing_zone|open|No such file
cfg_network_twice.json             14+16  listed twice
EOF

# The good case files pass.
out=$("$DNSD_BIN" -c "$W/cfg_good.json" --check 2>&1)
rc=$?
if [ $rc -eq 0 ]; then ok "cfg_good.json + good_zone.json pass --check"; else
	fail "cfg_good.json + good_zone.json: exit $rc, want 0"
	sed 's/^/    | /' <<<"$out"
fi

# A bad zone never starts serving: dnsd exits non-zero at once.
t_free_port P
sed "s/127.0.0.1:5353/127.0.0.1:$P/" "$(zone_cfg zone_bad_rdata.json)" >"$W/cfg_run_bad.json"
timeout 10 "$DNSD_BIN" -c "$W/cfg_run_bad.json" --foreground >"$T_TMP/run_bad.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'zone_bad_rdata.json:6:' "$T_TMP/run_bad.log"; then
	ok "dnsd refuses to start with a bad zone (exit $rc, error printed)"
else
	fail "dnsd with a bad zone: exit $rc (124 = still running after 10 s), want non-zero with the error"
	sed 's/^/    | /' "$T_TMP/run_bad.log"
fi

# The shipped demo config passes (its GeoIP database comes from the build).
mmdb=$DNSD_SRC/zones/demo-city.mmdb
if [ ! -f "$mmdb" ] && [ -d "$DNSD_BUILD" ]; then
	echo "building demo_mmdb for zones/demo-city.mmdb"
	cmake --build "$DNSD_BUILD" --target demo_mmdb >"$T_TMP/mmdb.log" 2>&1 || sed 's/^/    | /' "$T_TMP/mmdb.log"
fi
out=$("$DNSD_BIN" -c "$DNSD_SRC/zones/dnsd.json" --check 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -Eq 'eu.*www\.example\.com' <<<"$out"; then
	ok "zones/dnsd.json passes --check and prints which pins govern which names"
else
	fail "zones/dnsd.json --check: exit $rc, want 0 and the pins governing www.example.com"
	sed 's/^/    | /' <<<"$out"
fi

t_done

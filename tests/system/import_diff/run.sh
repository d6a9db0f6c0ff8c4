#!/usr/bin/env bash
# The import round trip (README "Moving in"): NSD serves example.org.zone
# (every common record type, wildcards, delegations with glue, a DNAME,
# $ORIGIN/$TTL/$INCLUDE, and 20,000 generated owners in bulk.zone), dnsd
# serves what tools/dnsd-import made of the same file; the same queries
# go to both and the answers must be the same (import_diff.py says how).
# The same for the octoDNS file example.com.yaml against example.com.zone,
# its static part as zone text; its dynamic record whose pools are
# regions of the test config becomes a geo name, the other is reported.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

NSD=/usr/sbin/nsd
IMPORT=$DNSD_BUILD/tools/dnsd-import
NAMES=20000	# generated owners
SAMPLE=1500	# of which this many are asked about (keeps the test under a minute)
SEED=16
t_need "$NSD" nsd
t_need nsd-checkzone nsd
if [ ! -x "$IMPORT" ]; then
	fail "dnsd-import not built at $IMPORT"
	t_done
fi
Z=$T_TMP/zone
mkdir -p "$Z" "$T_TMP/nsd" "$T_TMP/out"
cp example.org.zone extra.zone "$Z/" || exit 1
"$T_PY" import_diff.py bulk "$Z/bulk.zone" "$NAMES" "$SEED" || exit 1
if (cd "$Z" && nsd-checkzone example.org example.org.zone) >"$T_TMP/checkzone.log" 2>&1; then
	ok "nsd-checkzone accepts the zone file ($(grep -c . "$Z/bulk.zone") generated lines)"
else
	fail "nsd-checkzone refused the zone file"
	sed 's/^/    | /' "$T_TMP/checkzone.log"
fi

JSON=$T_TMP/out/example.org.json
start=$EPOCHREALTIME
if "$IMPORT" -o "$JSON" "$Z/example.org.zone" 2>"$T_TMP/import.err"; then
	ok "dnsd-import wrote $(wc -c <"$JSON") bytes in $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s: $(tail -n 1 "$T_TMP/import.err")"
else
	fail "dnsd-import failed"
	sed 's/^/    | /' "$T_TMP/import.err"
	t_done
fi
# what it could not carry: here, only what the test file does on purpose
sed -n 's/^note: /    note: /p' "$T_TMP/import.err"

# --check shows the same text and writes nothing
if "$IMPORT" --check -o "$T_TMP/out/check.json" "$Z/example.org.zone" >"$T_TMP/check.out" 2>/dev/null &&
	[ ! -e "$T_TMP/out/check.json" ] && cmp -s "$T_TMP/check.out" "$JSON"; then
	ok "--check prints what it would write and writes nothing"
else
	fail "--check wrote a file or printed something else"
fi

# t_schema FILE: the file validates against zones/zone.schema.json
t_schema() {
	if "$T_PY" - "$DNSD_SRC/zones/zone.schema.json" "$1" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.validate(json.load(open(sys.argv[2])), schema)
PY
	then
		ok "$(basename "$1") validates against zones/zone.schema.json"
	else
		fail "$(basename "$1") does not validate against zones/zone.schema.json"
	fi
}
t_schema "$JSON"

# the octoDNS file, against the regions of the test config (lib.sh)
cp example.com.zone "$Z/" || exit 1
t_config "$JSON"
OCTO=$T_TMP/example.com.json
if "$IMPORT" -c "$T_TMP/dnsd.json" --soa-mname ns1.example.com. --soa-rname hostmaster.example.com. \
	--serial 2026120201 -o "$OCTO" example.com.yaml 2>"$T_TMP/octo.err"; then
	ok "dnsd-import read the octoDNS file: $(tail -n 1 "$T_TMP/octo.err")"
else
	fail "dnsd-import failed on example.com.yaml"
	sed 's/^/    | /' "$T_TMP/octo.err"
	t_done
fi
for want in 'ALIAS: left out' 'URLFWD: left out' 'retired A: octodns.ignored: left out' \
	'api A: dynamic record not carried \(pool asia is no region of .*exactly 203\.0\.113\.99\)' \
	'www: dynamic record mapped to a geo name with regions \[\\"eu-west\\",\\"us-east\\"\].*Exempt from pins \[\\"asia\\"\]' \
	'www: octoDNS rules \[EU\] -> eu are not carried as rules'; do
	if grep -Eq -- "$want" "$OCTO"; then
		ok "comments: /$want/"
	else
		fail "comments lack /$want/"
		sed -n '/"comments"/,/\]/p' "$OCTO" | sed 's/^/    | /'
	fi
done
t_schema "$OCTO"
sed -i 's/"zones": \[\(.*\)\]/"zones": [\1, "example.com.json"]/' "$T_TMP/dnsd.json"

t_free_port NSD_PORT
"$T_PY" import_diff.py nsdconf "$T_TMP/nsd" "$NSD_PORT" "$T_IDENTITY" example.org. "$Z/example.org.zone" \
	example.com. "$Z/example.com.zone" || exit 1
t_bg nsd "$NSD" -d -c "$T_TMP/nsd/nsd.conf"
if wait_until 20 t_soa_ok "$NSD_PORT" example.org.; then
	ok "NSD answers on 127.0.0.1:$NSD_PORT (${T_WAITED} s)"
else
	fail "NSD did not answer within 20 s"
	sed 's/^/    | /' "$T_TMP/nsd.log" "$T_TMP/nsd/nsd.log" 2>/dev/null
	t_done
fi

t_start example.org.
t_absorb < <("$T_PY" import_diff.py compare "$T_PORT" "$NSD_PORT" "$Z/example.org.zone" example.org. "$SAMPLE" "$SEED" 2>&1)
t_absorb < <("$T_PY" import_diff.py compare "$T_PORT" "$NSD_PORT" "$Z/example.com.zone" example.com. 0 "$SEED" 2>&1)

# the geo name answers from its regions; no GeoIP database here, so every
# client is unlocated and gets them in order: eu-west first
q www.example.com A
expect "octoDNS dynamic www A is geo name www" rcode=NOERROR +aa an=1 'answer~^www\.example\.com\. 3600 IN A 198\.51\.100\.10$'
q www.example.com AAAA
expect "octoDNS dynamic www AAAA is geo name www" rcode=NOERROR +aa an=1 'answer~^www\.example\.com\. 3600 IN AAAA 2001:db8:20::10$'
q app.example.com A
expect "a CNAME to the geo name is followed" rcode=NOERROR +aa an=2 'answer~ IN A 198\.51\.100\.10$'
t_done

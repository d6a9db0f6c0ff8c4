#!/usr/bin/env bash
# Explanations (docs/routing.md): for every network of the demo GeoIP source, v4 and
# v6, "NAME CH TXT +subnet" names the region(s) and scope that the IN
# query for the same client gets; only diagnostics.allow may ask.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

T_GEOIP=$DNSD_SRC/zones/demo-city.mmdb
[ -f "$T_GEOIP" ] || { echo "FAIL $T_GEOIP missing (built by the demo_mmdb target)"; exit 1; }
t_config "$DNSD_SRC/zones/example.json"
# explanations for IPv4 loopback only: ::1 must be refused
sed -i 's|"allow": \["127.0.0.0/8", "::1/128"\]|"allow": ["127.0.0.0/8"]|' "$T_TMP/dnsd.json"
t_start example.com.

t_absorb < <("$T_PY" consistency.py "$T_PORT" "$T_TMP/dnsd.json" "$DNSD_SRC/zones/demo-networks.csv" 2>&1)

T_ADDR=::1
q www.example.com CH TXT
expect "explanation refused outside diagnostics.allow" rcode=REFUSED an=0
T_ADDR=127.0.0.1
q mail.example.com CH TXT
expect "static name: no explanation" rcode=REFUSED
t_done

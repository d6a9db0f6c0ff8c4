#!/usr/bin/env bash
# Signed zones, validated by dnspython (docs/dnssec.md).  Three zones,
# keys made by ldns-keygen here: the residency test's geo zone
# (example.com: ECDSA P-256 KSK + ZSK, and a second ZSK only published),
# zones/example.json as example.org (an Ed25519 CSK) and the DNAME zone
# of tests/data as example.net (RSASHA256 KSK + ZSK).  A second dnsd
# serves the same zones unsigned.  validate.py asks both, for every name
# and type and for every geo client under a list of forced health
# states.  --check must print the DS of each KSK.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
. ../geo_residency/residency_conf.sh

t_need ldns-keygen ldnsutils
"$T_PY" -c 'import dns.dnssec, cryptography' 2>/dev/null ||
	{ fail "dnspython's dnssec module needs python3-cryptography (tools/deps.sh lists it)"; t_done; }
DATA=$DNSD_SRC/tests/data
"$T_PY" "$DNSD_SRC/tools/mmdb-build" -o "$T_TMP/geo.mmdb" "$DATA/geo_sys_residency.csv" ||
	{ fail "mmdb-build"; t_done; }
mkdir -p "$T_TMP/signed/keys" "$T_TMP/unsigned"

# keygen ZONE ARGS...: a key pair in signed/keys, its base name printed
keygen() {
	local zone=$1
	shift
	(cd "$T_TMP/signed/keys" && ldns-keygen "$@" "$zone") || exit 1
}
COM_KSK=$(keygen example.com -a ECDSAP256SHA256 -k)
COM_ZSK=$(keygen example.com -a ECDSAP256SHA256)
COM_NEXT=$(keygen example.com -a ECDSAP256SHA256)
ORG_CSK=$(keygen example.org -a ED25519 -k)
NET_KSK=$(keygen example.net -a RSASHA256 -b 2048 -k)
NET_ZSK=$(keygen example.net -a RSASHA256 -b 1024)

"$T_PY" - "$DATA" "$DNSD_SRC/zones/example.json" "$T_TMP" "$COM_KSK" "$COM_ZSK" "$COM_NEXT" "$ORG_CSK" \
	"$NET_KSK" "$NET_ZSK" <<'PY' || exit 1
import json, sys
data, example, tmp, com_ksk, com_zsk, com_next, org_csk, net_ksk, net_zsk = sys.argv[1:]
com = json.load(open(data + "/geo_sys_residency.zone.json"))
org = json.load(open(example))
org["origin"] = "example.org."
org.pop("geo")			# its pins differ from this config's; example.com has the geo names
net = json.load(open(data + "/dname_zone.json"))
net["origin"] = "example.net."
signing = {
	"com.json": (com, {"keys": ["keys/" + com_ksk, "keys/" + com_zsk], "publish": ["keys/" + com_next]}),
	"org.json": (org, {"keys": ["keys/" + org_csk], "signature_validity": 86400}),
	"net.json": (net, {"keys": ["keys/" + net_ksk, "keys/" + net_zsk]}),
}
# transfers too (docs/dnssec.md §5): a geo view for "free" (no pin governs
# it), the pinned names left out
for z in (com, org, net):
	z["transfer"] = {"allow": ["127.0.0.1/32"]}
for g, v in com["geo"].items():
	if g != "free":
		v["transfer"] = "exclude"
for name, (z, dnssec) in signing.items():
	json.dump(z, open("%s/unsigned/%s" % (tmp, name), "w"), indent=1)
	z["dnssec"] = dnssec
	json.dump(z, open("%s/signed/%s" % (tmp, name), "w"), indent=1)
PY

# write_config DIR PORT CONTROL_PORT
write_config() {
	cat >"$1/dnsd.json" <<EOF
{
  "listen": ["127.0.0.1:$2"],
  "workers": 2,
  "zones": ["com.json", "org.json", "net.json"],
  "geoip": "$T_TMP/geo.mmdb",
  "identity": "$T_IDENTITY",
  "control": {"listen": "127.0.0.1:$3", "token": "dnssec-token"},
$(residency_regions_and_pins)
}
EOF
}
t_free_port T_PORT
t_free_port T_CONTROL_PORT
t_free_port U_PORT
t_free_port U_CONTROL_PORT
write_config "$T_TMP/signed" "$T_PORT" "$T_CONTROL_PORT"
write_config "$T_TMP/unsigned" "$U_PORT" "$U_CONTROL_PORT"

out=$("$DNSD_BIN" -c "$T_TMP/signed/dnsd.json" --check 2>&1)
rc=$?
echo "$out" >"$T_TMP/check.out"
if [ "$rc" -eq 0 ] && [ "$(grep -c '^dnssec .* signed owners=' <<<"$out")" -eq 3 ]; then
	ok "--check signs the three zones and prints their DS"
else
	fail "--check exit $rc"
	sed 's/^/    | /' <<<"$out"
fi

t_start example.com. "$T_TMP/signed/dnsd.json"
"$DNSD_BIN" -c "$T_TMP/unsigned/dnsd.json" --foreground >>"$T_TMP/unsigned.log" 2>&1 &
T_PIDS+=($!)
wait_until 10 t_soa_ok "$U_PORT" example.com. && ok "the unsigned twin answers" ||
	{ fail "the unsigned twin does not answer"; t_done; }

# each zone as a secondary gets it: ldns and Knot verify every signature
# and the NSEC chain
t_need ldns-verify-zone ldnsutils
t_need kzonecheck knot-dnssecutils
for origin in example.com example.org example.net; do
	dig @127.0.0.1 -p "$T_PORT" +onesoa +nocmd +nostats +nocomments "$origin" AXFR >"$T_TMP/$origin.axfr" 2>&1
	if ! grep -q "RRSIG" "$T_TMP/$origin.axfr"; then
		fail "$origin AXFR carries no RRSIG"
		sed 's/^/    | /' "$T_TMP/$origin.axfr" | head -20
	elif out=$(ldns-verify-zone "$T_TMP/$origin.axfr" 2>&1) && out2=$(kzonecheck -d on -o "$origin" "$T_TMP/$origin.axfr" 2>&1); then
		ok "$origin as transferred ($(grep -c RRSIG "$T_TMP/$origin.axfr") RRSIGs): ldns-verify-zone and kzonecheck accept it"
	else
		fail "$origin as transferred does not verify"
		sed 's/^/    | /' <<<"$out ${out2:-}" | head -20
	fi
done

t_absorb < <("$T_PY" validate.py "$T_PORT" "$U_PORT" "$T_CONTROL_PORT" "$U_CONTROL_PORT" dnssec-token \
	"$T_TMP/check.out" "$T_TMP/signed/com.json" "$T_TMP/signed/org.json" "$T_TMP/signed/net.json" 2>&1)
t_done

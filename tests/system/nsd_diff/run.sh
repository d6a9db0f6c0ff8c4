#!/usr/bin/env bash
# NSD as an external oracle: the same zones (example.json plus a TXT-heavy
# name, DNAMEs, NAPTR/SVCB/HTTPS, and the child zone sub.example.com.)
# served by NSD and by dnsd; the
# same queries to both; answers compared (nsd_diff.py says how).
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

NSD=/usr/sbin/nsd
t_need "$NSD" nsd
t_need nsd-checkconf nsd
mkdir -p "$T_TMP/gen" "$T_TMP/nsd"
"$T_PY" - "$DNSD_SRC/zones/example.json" "$T_TMP/gen/example.json" <<'PY' || exit 1
import json, sys
z = json.load(open(sys.argv[1]))
z["records"]["big"] = {"TXT": ['"%02d %s"' % (i, "x" * 240) for i in range(10)]}
# DNAME (RFC 6672): into the zone, out of it, into its own subtree, one
# whose target overflows 255 octets for long names, one a CNAME leads into
r = z["records"]
long_target = ".".join(["a" * 63] * 3) + ".example.net."
r["old"] = {"DNAME": "example.com.", "TXT": '"renamed"'}
r["ext"] = {"ttl": 120, "DNAME": "example.net."}
r["self"] = {"DNAME": "x.self.example.com."}
r["long"] = {"DNAME": long_target}
r["via"] = {"CNAME": "mail.old"}
# additional data of NAPTR, SVCB and HTTPS targets
r["naptr"] = {"NAPTR": ['100 10 "s" "SIP+D2U" "" mail', '101 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .']}
r["svc"] = {"SVCB": ["1 ns1 alpn=h2", "2 . port=8443"], "A": "192.0.2.64"}
r["web"] = {"HTTPS": "1 . alpn=h2", "AAAA": "2001:db8::64"}
r["alias"] = {"HTTPS": "0 mail"}
r["nohttps"] = {"HTTPS": "0 ."}
json.dump(z, open(sys.argv[2], "w"), indent=1)
PY
ZONES=("$T_TMP/gen/example.json" "$DNSD_SRC/tests/data/sys_sub.example.com.json")

t_free_port NSD_PORT
"$T_PY" nsd_diff.py gen "$T_TMP/nsd" "$NSD_PORT" "$T_IDENTITY" "${ZONES[@]}" || exit 1
if ! nsd-checkconf "$T_TMP/nsd/nsd.conf"; then
	fail "nsd-checkconf refused the generated nsd.conf"
	t_done
fi
t_bg nsd "$NSD" -d -c "$T_TMP/nsd/nsd.conf"
end=$((SECONDS + 10))
until t_soa_ok "$NSD_PORT" example.com.; do
	if [ $SECONDS -ge $end ]; then
		fail "NSD did not answer within 10 s"
		sed 's/^/    | /' "$T_TMP/nsd.log" "$T_TMP/nsd/nsd.log" 2>/dev/null
		t_done
	fi
	sleep 0.2
done
ok "NSD answers on 127.0.0.1:$NSD_PORT"

t_config "${ZONES[@]}"
t_start example.com.
t_absorb < <("$T_PY" nsd_diff.py compare "$T_PORT" "$NSD_PORT" "$T_TMP/nsd" 2>&1)
t_done

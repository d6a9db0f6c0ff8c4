#!/usr/bin/env bash
# DNSViz on the signed demo zone (docs/dnssec.md): zones/example.json
# signed with a KSK and a ZSK, probed by `dnsviz probe -A` for every name
# it holds (static, geo, CNAME, wildcard, empty non-terminal, NXDOMAIN),
# then `dnsviz grok` with the KSK as trust anchor must report no error
# and no warning, and call the zone SECURE.  A wrong trust anchor must
# make grok report an error: the check can fail.
#
# DNSViz follows NS records and CNAMEs wherever they point (the demo's
# name servers are documentation addresses), so the test runs in a
# network namespace of its own with only a loopback interface: nothing
# it sends can leave the machine, and what is not on loopback fails fast.
set -u
cd "$(dirname "$0")" || exit 1
if [ -z "${DNSD_IN_NETNS:-}" ]; then
	command -v unshare >/dev/null || { echo "FAIL unshare not found (util-linux)"; exit 1; }
	DNSD_IN_NETNS=1 exec unshare --net bash "$PWD/run.sh" "$@"
fi
ip link set lo up || { echo "FAIL cannot bring up lo in the test's network namespace"; exit 1; }
. ../lib.sh

t_need ldns-keygen ldnsutils
t_need dnsviz dnsviz
/usr/bin/python3 -c 'import pygraphviz' 2>/dev/null ||
	{ fail "dnsviz grok needs python3-pygraphviz (tools/deps.sh lists it)"; t_done; }
mkdir -p "$T_TMP/keys" "$T_TMP/gen"
KSK=$(cd "$T_TMP/keys" && ldns-keygen -a ECDSAP256SHA256 -k example.com) || exit 1
ZSK=$(cd "$T_TMP/keys" && ldns-keygen -a ECDSAP256SHA256 example.com) || exit 1
"$T_PY" - "$DNSD_SRC/zones/example.json" "$T_TMP/gen/example.json" "$KSK" "$ZSK" <<'PY' || exit 1
import json, sys
z = json.load(open(sys.argv[1]))
z["dnssec"] = {"keys": ["keys/" + sys.argv[3], "keys/" + sys.argv[4]]}
json.dump(z, open(sys.argv[2], "w"), indent=1)
PY
t_config "$T_TMP/gen/example.json"
t_start example.com.

# every name of the zone but the delegation and what lies below it, and
# the CNAME that leaves the zone; plus names that do not exist
names=$("$T_PY" - "$T_TMP/example.json" <<'PY'
import json, sys
z = json.load(open(sys.argv[1]))
out = ["example.com.", "nope.example.com.", "x.dev.example.com.", "deep.example.com.", "b.deep.example.com."]
for owner, rr in list(z["records"].items()) + [(g, {}) for g in z.get("geo", {})]:
	if owner == "@" or owner == "lab" or owner.endswith(".lab") or owner == "elsewhere":
		continue
	out.append(owner + ".example.com.")
print(" ".join(sorted(set(out))))
PY
)
dig @127.0.0.1 -p "$T_PORT" +noall +answer example.com DNSKEY | awk '$5 == 257' >"$T_TMP/anchor"
[ -s "$T_TMP/anchor" ] || { fail "no KSK in the DNSKEY answer"; t_done; }

# Debian 12's dnsviz asks pygraphviz for a "release" module its 1.7 no
# longer has; grok only wants the version, so hand it one
cat >"$T_TMP/run_dnsviz.py" <<'PY'
import runpy, sys, types
import pygraphviz
if not hasattr(pygraphviz, "release"):
	pygraphviz.release = types.SimpleNamespace(version=pygraphviz.__version__)
sys.argv = ["dnsviz"] + sys.argv[1:]
runpy.run_path("/usr/bin/dnsviz", run_name="__main__")
PY
# shellcheck disable=SC2086
if timeout 120 dnsviz probe -A -x "example.com+:ns1.example.com=127.0.0.1:$T_PORT" -o "$T_TMP/probe.json" \
	$names >"$T_TMP/probe.log" 2>&1 && [ -s "$T_TMP/probe.json" ]; then
	ok "dnsviz probe -A of $(wc -w <<<"$names") names"
else
	fail "dnsviz probe"
	sed 's/^/    | /' "$T_TMP/probe.log"
	t_done
fi
if grep -q "^Error" "$T_TMP/probe.log"; then
	fail "dnsviz probe reported errors"
	sed 's/^/    | /' "$T_TMP/probe.log"
fi
/usr/bin/python3 "$T_TMP/run_dnsviz.py" grok -t "$T_TMP/anchor" -l warning -r "$T_TMP/probe.json" >"$T_TMP/grok.warn" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ ! -s "$T_TMP/grok.warn" ]; then
	ok "dnsviz grok -l warning: no error and no warning"
else
	fail "dnsviz grok -l warning (exit $rc)"
	sed 's/^/    | /' "$T_TMP/grok.warn" | head -60
fi
/usr/bin/python3 "$T_TMP/run_dnsviz.py" grok -t "$T_TMP/anchor" -r "$T_TMP/probe.json" >"$T_TMP/grok.json" 2>&1
secure=$(grep -c '"status": "SECURE"' "$T_TMP/grok.json")
insecure=$(grep -cE '"status": "(INSECURE|BOGUS|INDETERMINATE)"' "$T_TMP/grok.json")
[ "$secure" -gt 0 ] && [ "$insecure" -eq 0 ] && ok "grok: $secure answers SECURE, none insecure, bogus or indeterminate" ||
	fail "grok: $secure SECURE, $insecure insecure/bogus/indeterminate"

# the check can fail: another key as trust anchor is an error
sed 's/\(257 3 13 \)\(.\)/\1A\2/' "$T_TMP/anchor" >"$T_TMP/wrong-anchor"
/usr/bin/python3 "$T_TMP/run_dnsviz.py" grok -t "$T_TMP/wrong-anchor" -l warning -r "$T_TMP/probe.json" >"$T_TMP/grok.wrong" 2>&1
grep -q '"errors"' "$T_TMP/grok.wrong" && ok "with a wrong trust anchor grok reports errors" ||
	{ fail "grok found nothing wrong with a wrong trust anchor"; sed 's/^/    | /' "$T_TMP/grok.wrong" | head; }
t_done

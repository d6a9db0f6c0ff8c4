#!/usr/bin/env bash
# tools/demo.sh -- install what is missing, build, and run dnsd in the
# foreground on 127.0.0.1:5353 with zones/dnsd.json, example.com signed
# (docs/dnssec.md): the first run makes a KSK and a ZSK with ldns-keygen
# in build/demo/keys/, and the demo serves build/demo/dnsd.json, a copy
# of zones/dnsd.json whose example.json carries a "dnssec" member naming
# them.  No arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/tools/deps.sh"
dnsd_install_deps build	# not the test peers and fuzz toolchain
dnsd_build "$root"

demo="$root/build/demo"
mkdir -p "$demo/keys"
chmod 700 "$demo/keys"
keygen() {	# keygen NAME ARGS...: a key pair build/demo/keys/NAME.{key,private}, made once
	local name=$1 base
	shift
	[ -f "$demo/keys/$name.private" ] && return 0
	base=$(cd "$demo/keys" && ldns-keygen "$@" example.com)
	mv "$demo/keys/$base.key" "$demo/keys/$name.key"
	mv "$demo/keys/$base.private" "$demo/keys/$name.private"
	rm -f "$demo/keys/$base.ds"
}
keygen ksk -a ECDSAP256SHA256 -k
keygen zsk -a ECDSAP256SHA256
python3 - "$root/zones" "$demo" <<'PY'
import json, os, sys
zones, demo = sys.argv[1:]
conf = json.load(open(os.path.join(zones, "dnsd.json")))
conf.pop("$schema", None)
for key in ("geoip", "state_file"):
	if key in conf:
		conf[key] = os.path.normpath(os.path.join(zones, conf[key]))
files = []
for z in conf["zones"]:
	src = os.path.join(zones, z)
	if z == "example.json":
		zone = json.load(open(src))
		zone.pop("$schema", None)
		zone["dnssec"] = {"keys": ["keys/ksk", "keys/zsk"]}
		json.dump(zone, open(os.path.join(demo, z), "w"), indent=1)
		files.append(z)
	else:
		files.append(src)
conf["zones"] = files
json.dump(conf, open(os.path.join(demo, "dnsd.json"), "w"), indent=1)
PY
"$root/build/dnsd/dnsd" -c "$demo/dnsd.json" --check | sed -n '/^dnssec /,$p' | grep -v ': ok, '
cat <<'TXT'

dnsd demo on 127.0.0.1:5353 and [::1]:5353 (Ctrl-C stops it). Try, in another terminal:

  dig @127.0.0.1 -p 5353 +norec example.com SOA
  dig @127.0.0.1 -p 5353 +norec www.example.com A +subnet=2.0.1.0/24        # Germany -> eu-central (pin eu)
  dig @127.0.0.1 -p 5353 +norec www.example.com A +subnet=202.12.1.0/24     # Japan   -> ap-southeast (pin asia)
  dig @127.0.0.1 -p 5353 +norec www.example.com A +subnet=8.8.8.0/24        # USA     -> us-east
  dig @127.0.0.1 -p 5353 +norec www.example.com AAAA +subnet=2001:db8:1::/48

Why a client gets what it gets (the decision, explained by the code that made it):

  dig @127.0.0.1 -p 5353 +norec +short www.example.com CH TXT +subnet=2.0.1.0/24

Residency: mark every EU region down; a German client still gets an EU address, never us-east:

  for r in eu-west eu-central; do curl -s -X POST -H 'Authorization: Bearer change-me' -d '{"state":"down"}' 127.0.0.1:8053/v1/regions/$r/state; done
  dig @127.0.0.1 -p 5353 +norec +short www.example.com A +subnet=2.0.1.0/24
  for r in eu-west eu-central; do curl -s -X POST -H 'Authorization: Bearer change-me' -d '{"state":"auto"}' 127.0.0.1:8053/v1/regions/$r/state; done

DNSSEC (example.com is signed; the DS for the parent is printed above):

  dig @127.0.0.1 -p 5353 +norec +dnssec www.example.com A +subnet=2.0.1.0/24
  dig @127.0.0.1 -p 5353 +norec +dnssec nope.example.com A                 # NXDOMAIN with its NSEC proof

Identity and health:

  dig @127.0.0.1 -p 5353 +norec CH TXT version.bind
  dig @127.0.0.1 -p 5353 +norec example.com SOA +nsid
  dig @127.0.0.1 -p 5353 +norec health.dnsd CH TXT

TXT
exec "$root/build/dnsd/dnsd" -c "$demo/dnsd.json" --foreground

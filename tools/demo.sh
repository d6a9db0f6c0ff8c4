#!/usr/bin/env bash
# tools/demo.sh -- install what is missing, build, and run dnsd in the
# foreground on 127.0.0.1:5353 with zones/dnsd.json.  No arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/tools/deps.sh"
dnsd_install_deps build	# not the test peers and fuzz toolchain
dnsd_build "$root"
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

Identity and health:

  dig @127.0.0.1 -p 5353 +norec CH TXT version.bind
  dig @127.0.0.1 -p 5353 +norec example.com SOA +nsid
  dig @127.0.0.1 -p 5353 +norec health.dnsd CH TXT

TXT
exec "$root/build/dnsd/dnsd" -c "$root/zones/dnsd.json" --foreground

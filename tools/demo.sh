#!/usr/bin/env bash
# tools/demo.sh -- install what is missing, build, and run dnsd in the
# foreground on 127.0.0.1:5353 with zones/dnsd.json.  No arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/tools/deps.sh"
dnsd_install_deps
dnsd_build "$root"
cat <<'TXT'

dnsd demo on 127.0.0.1:5353 and [::1]:5353 (Ctrl-C stops it). Try, in another terminal:

  dig @127.0.0.1 -p 5353 +norec example.com SOA
  dig @127.0.0.1 -p 5353 +norec www.example.com A +subnet=2.0.1.0/24        # Germany -> an EU region
  dig @127.0.0.1 -p 5353 +norec www.example.com A +subnet=202.12.1.0/24     # Japan   -> ap-southeast
  dig @127.0.0.1 -p 5353 +norec www.example.com A +subnet=8.8.8.0/24        # USA     -> us-east
  dig @127.0.0.1 -p 5353 +norec www.example.com AAAA +subnet=2001:db8:1::/48
  dig @127.0.0.1 -p 5353 +norec CH TXT version.bind
  dig @127.0.0.1 -p 5353 +norec example.com NS +nsid

TXT
exec "$root/build/dnsd/dnsd" -c "$root/zones/dnsd.json" --foreground

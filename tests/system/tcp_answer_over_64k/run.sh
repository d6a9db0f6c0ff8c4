#!/usr/bin/env bash
# Issue 13, "TCP answers over 64 KiB get SERVFAIL with TC": TC tells a
# client to retry over TCP, which means nothing to a client already on TCP
# (docs/protocol.md §5).  An answer that cannot fit even 65,535 bytes is
# SERVFAIL without TC; over UDP the same query is truncated as usual (TC,
# so the client comes to TCP and gets the SERVFAIL).
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

# example.json plus huge.example.com: 300 TXT strings of 250 bytes (75 KiB)
mkdir -p "$T_TMP/src"
"$T_PY" -c 'import json, sys
z = json.load(open(sys.argv[1]))
z["records"]["huge"] = {"TXT": ["\"%03d%s\"" % (i, "x" * 247) for i in range(300)]}
z["records"]["fits"] = {"TXT": ["\"%03d%s\"" % (i, "y" * 247) for i in range(100)]}
json.dump(z, open(sys.argv[2], "w"))' "$DNSD_SRC/zones/example.json" "$T_TMP/src/example.json"
t_config "$T_TMP/src/example.json"
t_start example.com.

q +tcp huge.example.com TXT
expect "75 KiB of TXT over TCP: SERVFAIL without TC" rcode=SERVFAIL -tc an=0
q +tcp fits.example.com TXT
expect "25 KiB of TXT over TCP: whole" rcode=NOERROR -tc an=100
q +ignore +bufsize=1232 huge.example.com TXT
expect "the same over UDP: truncated, TC set" +tc an=0
t_done

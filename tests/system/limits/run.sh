#!/usr/bin/env bash
# Hostile input (docs/protocol.md): response rate limiting per client network with
# slip, TCP caps per address and slow senders cut off, UDP answers within
# the client's 512 bytes.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

T_EXTRA='"rrl": {"responses_per_second": 20, "slip": 2}, "limits": {"tcp_idle": 2, "tcp_clients_per_address": 16}'
# the unit tests' zone (with a TXT set too big for 512 bytes), minus its
# geo name, which the pins of t_config's regions would refuse
mkdir -p "$T_TMP/src"
"$T_PY" -c 'import json, sys
z = json.load(open(sys.argv[1])); z.pop("geo")
json.dump(z, open(sys.argv[2], "w"))' "$DNSD_SRC/tests/data/query_zone.json" "$T_TMP/src/limits.json"
t_config "$T_TMP/src/limits.json"
t_start example.com.

t_absorb < <("$T_PY" limits.py "$T_PORT" "$T_CONTROL_PORT" 2>&1)
t_done

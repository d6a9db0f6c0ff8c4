#!/usr/bin/env bash
# Malformed and hostile packets (docs/protocol.md): dropped or FORMERR as
# docs/protocol.md says, and the server keeps answering; then 2,000 seeded random packets.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
t_config "$DNSD_SRC/zones/example.json"
t_start example.com.
t_absorb < <("$T_PY" malformed.py "$T_PORT" 2>&1)
t_done

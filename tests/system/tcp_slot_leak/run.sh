#!/usr/bin/env bash
# Issue 13, "TCP slots leak for good": a connection that reaches its
# 1,000-message limit on messages that get no answer (QR set, or zero
# length) must close at once, not wait for a write that never comes
# (docs/protocol.md §10).  Before the fix each such connection held its
# global and per-address slot until the process exited, so a handful of
# them denied TCP to their address.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

# tcp_idle far above the test's deadlines: only the immediate close can
# free the slots in time, not the idle timer
T_EXTRA='"limits": {"tcp_idle": 30, "tcp_clients_per_address": 4}'
t_config "$DNSD_SRC/zones/example.json"
t_start example.com.

t_absorb < <("$T_PY" leak.py "$T_PORT" 4 2>&1)
t_done

#!/usr/bin/env bash
# Issue 13, "heap overflow when limits.tcp_clients < workers": every worker
# takes at least one connection, so 4 workers with tcp_clients 1 hold up
# to 4 connections from 4 addresses, and the per-address table must have
# room for all of them.  Before the fix it held tcp_clients + 1 = 2
# entries, and the third address wrote past it (an ASan build aborts
# there; tools/test.sh runs this test under ASan).
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

T_EXTRA='"limits": {"tcp_clients": 1}'
t_config "$DNSD_SRC/zones/example.json"
sed -i 's/"workers": 2,/"workers": 4,/' "$T_TMP/dnsd.json"
grep -q '"workers": 4,' "$T_TMP/dnsd.json" || fail "config: workers 4"
t_start example.com.

t_absorb < <("$T_PY" below.py "$T_PORT" 4 2>&1)
t_done

#!/usr/bin/env bash
# Issue 15, several nameservers that act as one (docs/cluster.md): a
# 3-member etcd cluster on loopback and 3 dnsd nodes ns1..ns3 whose health
# checks leave from 127.0.0.11, .12 and .13, against backends that answer
# 503 to chosen sources.  Shared forced states, verdicts and their quorum
# (majority, then any), latency reports, etcd members dying and coming
# back, a node killed; a query stream at every node throughout must lose
# no answer and never take a strict-pinned client out of its pin.  Prints
# the propagation times it measured.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh
t_need etcd etcd-server
t_need etcdctl etcd-client
t_need curl curl

ports=()
for i in $(seq 13); do
	port=
	t_free_port port
	ports+=("$port")
done

t_absorb < <("$T_PY" ./cluster.py "$DNSD_BIN" "$T_TMP" "${ports[@]}" 2>&1)
t_done

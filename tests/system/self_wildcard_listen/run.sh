#!/usr/bin/env bash
# Issue 13, "the own-address guard never matches with a wildcard listen
# address": a query whose source is one of our own addresses and our port
# is dropped (answering it could start a loop; docs/protocol.md §2).  With
# "0.0.0.0:PORT" every local address is ours, so a query from
# 127.0.0.1:PORT (or any 127/8 address) must be dropped.  Before the fix
# only the literal listen address 0.0.0.0 was compared, so nothing ever
# matched.
set -u
cd "$(dirname "$0")" || exit 1
. ../lib.sh

t_config "$DNSD_SRC/zones/example.json"
"$T_PY" -c 'import json, sys
c = json.load(open(sys.argv[1])); p = sys.argv[2]
c["listen"] = ["0.0.0.0:" + p, "[::]:" + p]
json.dump(c, open(sys.argv[1], "w"), indent=1)' "$T_TMP/dnsd.json" "$T_PORT"
t_start example.com.

t_absorb < <("$T_PY" - "$T_PORT" <<'PY'
import socket, sys
from systest import Tally, make_query
port = int(sys.argv[1])
t = Tally()

def ask(src, dst):
    """A query from src to dst; True when answered within 1 s."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # our own port: dnsd holds 0.0.0.0:port, with SO_REUSEADDR/SO_REUSEPORT
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(src)
    s.settimeout(1)
    q = make_query("www.example.com", "A").to_wire()
    s.sendto(q, (dst, port))
    try:
        return s.recv(4096)[:2] == q[:2]
    except socket.timeout:
        return False
    finally:
        s.close()

t.check(ask(("127.0.0.1", 0), "127.0.0.1"), "a query from 127.0.0.1:(other port) is answered")
t.check(not ask(("127.0.0.1", port), "127.0.0.2"), f"a query from 127.0.0.1:{port} (our address and port) is dropped")
t.check(not ask(("127.0.0.3", port), "127.0.0.1"), f"a query from 127.0.0.3:{port} (loopback is ours) is dropped")
t.check(ask(("127.0.0.3", 0), "127.0.0.1"), "a query from 127.0.0.3:(other port) is answered")
t.finish()
PY
)
t_done

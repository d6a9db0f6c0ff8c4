#!/usr/bin/env python3
"""scale_listen.py -- health-check targets for tools/bench/scale.sh.

Usage: scale_listen.py ADDRS_FILE PORT tcp|http MAX_SECONDS

Listens on PORT at every loopback address of ADDRS_FILE (one per line, all
inside 127.0.0.0/8: refused otherwise), accepts every connection and, for
http, answers "200 OK" once the request head has arrived; tcp connections
are closed at once.  One thread, one selector.  Prints "ready N" when every
socket is bound, counts accepted connections, and exits after MAX_SECONDS
(a bound, in case the script that started it dies without cleaning up) or
on SIGTERM, printing "accepted N".  Standard library only.
"""
import ipaddress
import resource
import selectors
import signal
import socket
import sys
import time

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"


def main():
    addrs_file, port, mode, max_s = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    addrs = [a.strip() for a in open(addrs_file) if a.strip()]
    for a in addrs:
        if ipaddress.ip_address(a) not in ipaddress.ip_network("127.0.0.0/8"):
            sys.exit(f"{a} is not a loopback address")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, len(addrs) + 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    sel = selectors.DefaultSelector()
    for a in addrs:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, port))
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, None)
    print(f"ready {len(addrs)}", flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    accepted = 0
    pending = {}    # http: connection -> bytes of the request so far
    end = time.monotonic() + max_s
    while not stop and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            if key.data is None:
                try:
                    c, _ = s.accept()
                except (BlockingIOError, ConnectionAbortedError):
                    continue
                accepted += 1
                if mode == "tcp":
                    c.close()
                    continue
                c.setblocking(False)
                pending[c] = b""
                sel.register(c, selectors.EVENT_READ, "conn")
                continue
            try:
                data = s.recv(4096)
            except (BlockingIOError, ConnectionError):
                data = b""
            buf = pending.get(s, b"") + data
            if data and b"\r\n\r\n" not in buf and len(buf) < 65536:
                pending[s] = buf
                continue
            if data:
                try:
                    s.send(RESPONSE)
                except OSError:
                    pass
            sel.unregister(s)
            pending.pop(s, None)
            s.close()
    print(f"accepted {accepted}", flush=True)


if __name__ == "__main__":
    main()

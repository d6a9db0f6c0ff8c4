#!/usr/bin/env python3
"""notify_listen.py SOCKET OUT: the systemd side of sd_notify for a test --
binds a unix datagram socket at SOCKET and appends every message it gets
to OUT, one per line (newlines inside a message become spaces), until
killed or 120 s have passed."""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
end = time.time() + 120
with open(out, "a", buffering=1) as f:
    while time.time() < end:
        try:
            msg = s.recv(4096).decode("utf-8", "replace")
        except socket.timeout:
            continue
        f.write(msg.strip().replace("\n", " ") + "\n")

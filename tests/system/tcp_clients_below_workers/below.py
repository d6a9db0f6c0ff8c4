"""Connections from 40 loopback addresses at once against 4 workers with
tcp_clients 1: the kernel spreads them over the workers' sockets, each
worker keeps one, and the server stays up and keeps answering."""
import socket, struct, sys, time

from systest import Tally, make_query, tcp_read_msg

port, workers = int(sys.argv[1]), int(sys.argv[2])
t = Tally()
wire = make_query("www.example.com", "A").to_wire()
msg = struct.pack("!H", len(wire)) + wire

held = []
for i in range(2, 42):
    src = f"127.0.0.{i}"
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=1, source_address=(src, 0))
        c.sendall(msg)
        tcp_read_msg(c, timeout=1)     # answered: this connection was kept
        held.append(c)
    except (OSError, EOFError):
        pass                           # over the cap: closed at once
t.check(1 <= len(held) <= workers,
        f"connections from 40 addresses: {len(held)} kept at once (tcp_clients 1, at least one per worker, {workers} workers)")

# still serving: each kept connection answers again, and UDP answers
again = 0
for c in held:
    try:
        c.sendall(msg)
        tcp_read_msg(c, timeout=1)
        again += 1
    except (OSError, EOFError):
        pass
t.check(again == len(held), f"the kept connections answer a second query ({again}/{len(held)})")
for c in held:
    c.close()

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(wire, ("127.0.0.1", port))
try:
    t.check(len(s.recv(4096)) > 12, "UDP still answered")
except OSError as e:
    t.fail(f"UDP still answered: {e}")
# once they are closed, a new client gets a slot
answered, start = False, time.monotonic()
while not answered and time.monotonic() - start < 3:
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=1, source_address=("127.0.1.1", 0))
        c.sendall(msg)
        tcp_read_msg(c, timeout=1)
        answered = True
        c.close()
    except (OSError, EOFError):
        time.sleep(0.1)
t.check(answered, "after they close, a new TCP client is answered")
t.finish()

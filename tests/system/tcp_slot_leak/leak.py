"""tcp_clients_per_address connections from one address each send 1,000
messages that deserve no answer; the server must close them at once and
take a new TCP query from that address."""
import socket, struct, sys, time

from systest import Tally, make_query, tcp_exchange

port, per_address = int(sys.argv[1]), int(sys.argv[2])
t = Tally()
ADDR = "127.0.0.1"
LIMIT = 1000                     # messages per connection (net_tcp.c)

qr_set = bytearray(make_query("www.example.com", "A").to_wire())
qr_set[2] |= 0x80                # an answer, not a query: dropped
kinds = [("QR set", struct.pack("!H", len(qr_set)) + bytes(qr_set)),
         ("zero length", b"\x00\x00")]

conns = []
for i in range(per_address):
    name, msg = kinds[i % 2]
    c = socket.create_connection((ADDR, port), timeout=2)
    c.sendall(msg * LIMIT)
    conns.append((name, c))

# each one is closed by the server, with nothing written, within 3 s
deadline = time.monotonic() + 3
for name, c in conns:
    got = None
    while time.monotonic() < deadline:
        c.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            got = c.recv(4096)
            break
        except socket.timeout:
            break
        except OSError:
            got = b""
            break
    t.check(got == b"", f"{LIMIT} {name} messages: connection closed by the server within 3 s, nothing sent (got {got!r})")

# the slots are free again: a new TCP query from the same address is answered
wire = make_query("www.example.com", "A").to_wire()
answered, start = None, time.monotonic()
while time.monotonic() - start < 3 and answered is None:
    answered = tcp_exchange(ADDR, port, wire, timeout=1)
    if answered is None:
        time.sleep(0.1)
t.check(answered is not None, f"then a new TCP query from {ADDR} is answered within 3 s "
        f"({time.monotonic() - start:.2f} s)")
for _, c in conns:
    c.close()
t.finish()

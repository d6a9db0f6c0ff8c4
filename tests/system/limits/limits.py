"""RRL, TCP caps, slowloris and the UDP size limit against a running dnsd."""
import socket, struct, sys, time, urllib.request

import dns.message, dns.query, dns.rcode

port, ctl = int(sys.argv[1]), int(sys.argv[2])
passed = failed = 0

def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1

def wire(name, rdtype="A", payload=None):
    q = dns.message.make_query(name, rdtype, use_edns=0 if payload else False,
                               payload=payload or 512)
    return q.to_wire()

# --- RRL: a flood from 127.0.0.1 (one /24) -------------------------------
flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flood.bind(("127.0.0.1", 0))
flood.setblocking(False)
q = bytearray(wire("mail.example.com"))
N = 600
full = slipped = 0
start = time.time()
for i in range(N):
    struct.pack_into("!H", q, 0, i)
    flood.sendto(q, ("127.0.0.1", port))
    time.sleep(0.001)          # ~1 s of flooding, bounded
    try:
        while True:
            r = flood.recv(4096)
            if r[2] & 0x02:
                slipped += 1
            else:
                full += 1
    except BlockingIOError:
        pass
deadline = time.time() + 1
while time.time() < deadline:
    try:
        r = flood.recv(4096)
        if r[2] & 0x02:
            slipped += 1
        else:
            full += 1
    except BlockingIOError:
        time.sleep(0.01)
elapsed = time.time() - start
dropped = N - full - slipped
# 20/s with a one-second burst: at most burst + rate * elapsed full answers
check(full <= 20 + 20 * elapsed + 5, f"flood of {N}: {full} answered in full (rate 20/s, {elapsed:.1f} s)")
check(slipped > 50 and dropped > 50, f"flood: {slipped} slipped (TC) and {dropped} dropped (slip 2)")

# a second network is answered in full meanwhile
other = 0
for i in range(20):
    m = dns.message.make_query("mail.example.com", "A")
    try:
        r = dns.query.udp(m, "127.0.0.1", port=port, source="127.0.1.1", timeout=1)
        other += r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1 and not (r.flags & 0x0200)
    except Exception:
        pass
check(other == 20, f"another /24 (127.0.1.1): {other}/20 answered in full")

body = urllib.request.urlopen(f"http://127.0.0.1:{ctl}/metrics", timeout=2).read().decode()
vals = {l.split()[0]: float(l.split()[1]) for l in body.splitlines() if l.startswith("dnsd_rrl_limited_total")}
check(vals.get('dnsd_rrl_limited_total{action="slipped"}', 0) >= slipped
      and vals.get('dnsd_rrl_limited_total{action="dropped"}', 0) >= 1, f"metrics count RRL: {vals}")

# --- RRL keys: random labels do not buy fresh buckets ----------------------
def flood_names(source, names):
    """Sends one query per name from source, ~2 ms apart, then reads for up
    to a second; returns (answered in full, slipped, seconds)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.setblocking(False)
    full = slipped = 0
    start = time.time()

    def drain():
        nonlocal full, slipped
        try:
            while True:
                r = s.recv(4096)
                if r[2] & 0x02:
                    slipped += 1
                else:
                    full += 1
        except BlockingIOError:
            pass
    for i, name in enumerate(names):
        q = bytearray(wire(name))
        struct.pack_into("!H", q, 0, i)
        s.sendto(q, ("127.0.0.1", port))
        time.sleep(0.002)
        drain()
    deadline = time.time() + 1
    while time.time() < deadline and full + slipped < len(names):
        time.sleep(0.01)
        drain()
    s.close()
    return full, slipped, time.time() - start

# a wildcard's answers count under the wildcard (*.dev), referrals under
# the delegation point (lab), NXDOMAIN under the zone: each network gets
# one bucket per kind, not one per random label
for what, source, fmt in (("wildcard answers", "127.0.5.1", "r%d.dev.example.com"),
                          ("referrals", "127.0.6.1", "h%d.lab.example.com"),
                          ("NXDOMAIN", "127.0.7.1", "n%d.example.com")):
    full, slipped, elapsed = flood_names(source, [fmt % (i * 7919) for i in range(200)])
    check(full <= 20 + 20 * elapsed + 5 and slipped > 0,
          f"200 {what} for random names from one /24: {full} in full, {slipped} slipped "
          f"(rate 20/s, {elapsed:.1f} s)")

# --- UDP size: the largest answer fits a 512-byte client -------------------
for payload in (None, 512):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.2.1", 0))
    s.settimeout(2)
    s.sendto(wire("big.example.com", "TXT", payload), ("127.0.0.1", port))
    r = s.recv(65535)
    check(len(r) <= 512 and r[2] & 0x02, f"big TXT to a {'no-EDNS' if payload is None else '512-byte EDNS'} client: {len(r)} bytes, TC set")

# --- slowloris: 500 connections from 127.0.0.1 --------------------------------
def still_open(conns):
    """The connections of conns the server has not closed (nothing is ever
    sent back on them: the query is never complete)."""
    alive = []
    for c in conns:
        c.setblocking(False)
        try:
            if c.recv(1) != b"":
                alive.append(c)
        except BlockingIOError:
            alive.append(c)
        except OSError:
            pass
    return alive

held = []
first = time.time()
for i in range(500):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(1)
    try:
        c.connect(("127.0.0.1", port))
        c.send(b"\x00")        # a length byte, then nothing
        held.append(c)
    except OSError:
        c.close()
# Poll until the server has closed all but its cap.  The deadline stays
# under tcp_idle (2 s) from the first connection, so the idle timeout cannot
# be what closed them: only the per-address cap.
live = still_open(held)
while len(live) > 16 and time.time() < first + 1.5:
    time.sleep(0.05)
    live = still_open(live)
check(0 < len(live) <= 16, f"slowloris from one address: {len(live)} of 500 connections kept "
      f"{time.time() - first:.2f} s after the first (cap 16 per address, tcp_idle 2 s)")
m = dns.message.make_query("mail.example.com", "A")
try:
    r = dns.query.tcp(m, "127.0.0.1", port=port, source="127.0.3.1", timeout=2)
    check(r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1, "a fresh client's TCP query is answered meanwhile")
except Exception as e:
    check(False, f"fresh TCP client: {e}")
for c in held:
    c.close()

# --- one byte a second is cut off -------------------------------------------
c = socket.create_connection(("127.0.0.1", port), timeout=1, source_address=("127.0.4.1", 0))
msg = wire("mail.example.com")
data = struct.pack("!H", len(msg)) + msg
start, closed = time.time(), False
for b in data:
    try:
        c.send(bytes([b]))
    except OSError:
        closed = True
        break
    time.sleep(0.5)            # the slow sender: time passes on purpose
    c.setblocking(False)
    try:
        if c.recv(1) == b"":
            closed = True
            break
    except BlockingIOError:
        pass
    except OSError:
        closed = True
        break
    c.setblocking(True)
    if time.time() - start > 8:
        break
check(closed and time.time() - start <= 5, f"a sender of one byte per 0.5 s is cut off after {time.time() - start:.1f} s (tcp_idle 2)")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

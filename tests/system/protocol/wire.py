#!/usr/bin/python3
"""The protocol checks dig cannot make: opcodes, QDCOUNT, compression on the
wire, pipelined and split TCP, TCP idle timeout.

  wire.py PORT TCP_IDLE_SECONDS
"""
import socket
import struct
import sys
import time

import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

from systest import Tally, ask, header, make_query, tcp_connect, tcp_read_msg, udp_exchange

ADDR = "127.0.0.1"
T = Tally()


def opcodes(port):
	# docs/protocol.md: NOTIMP for every opcode but QUERY (IQUERY, STATUS, NOTIFY,
	# UPDATE, DSO and unassigned ones alike).
	for op in (1, 2, 3, 4, 5, 6, 15):
		q = make_query("example.com.", "SOA")
		q.set_opcode(op)
		raw = udp_exchange(ADDR, port, q.to_wire())
		h = header(raw)
		if h is None:
			T.fail("opcode %d: no reply (want NOTIMP)" % op)
			continue
		ident, flags = h[0], h[1]
		T.check(ident == q.id and flags & 0x8000 and flags & 0xF == dns.rcode.NOTIMP
			and (flags >> 11) & 0xF == op,
			"opcode %d (%s) -> NOTIMP, id and opcode echoed" % (op, dns.opcode.to_text(op)),
			"id %d/%d flags 0x%04x rcode %d" % (ident, q.id, flags, flags & 0xF))


def qdcount(port):
	q = make_query("example.com.", "SOA", edns=None).to_wire()
	question = q[12:]
	for n, body, desc in ((2, question + question, "two questions"),
			      (0, b"", "no question")):
		wire = q[:4] + struct.pack("!H", n) + q[6:12] + body
		raw = udp_exchange(ADDR, port, wire)
		h = header(raw)
		T.check(h is not None and h[0] == struct.unpack("!H", q[:2])[0] and h[1] & 0xF == dns.rcode.FORMERR,
			"QDCOUNT %d (%s) -> FORMERR" % (n, desc),
			"reply header %r" % (h,))


def name_len(raw, off):
	"""Length of the (possibly compressed) name at off; and whether it starts with a pointer."""
	start = off
	first_ptr = raw[off] & 0xC0 == 0xC0
	while True:
		b = raw[off]
		if b & 0xC0 == 0xC0:
			return off + 2 - start, first_ptr
		if b == 0:
			return off + 1 - start, first_ptr
		off += b + 1


def compression(port):
	q = make_query("example.com.", "NS", edns=None)
	r, raw, err = ask(ADDR, port, q)
	if r is None:
		T.fail("compression: apex NS query: " + err)
		return
	# Uncompressed size of the same message.
	full = 12
	for rrset in r.question:
		full += len(rrset.name.to_wire()) + 4
	for section in (r.answer, r.authority, r.additional):
		for rrset in section:
			for rd in rrset:
				full += len(rrset.name.to_wire()) + 10 + len(rd.to_wire())
	qlen, _ = name_len(raw, 12)
	off = 12 + qlen + 4
	_, owner_ptr = name_len(raw, off) if len(raw) > off else (0, False)
	T.check(len(raw) < full and owner_ptr and len(r.answer) == 1 and len(r.answer[0]) == 2,
		"apex NS answer is compressed (%d bytes on the wire, %d uncompressed; owner is a pointer: %s)"
		% (len(raw), full, owner_ptr), r.to_text())


def pipelined(port):
	queries = [make_query("ns1.example.com.", "A", want_id=0x1111),
		   make_query("nonexistent.example.com.", "A", want_id=0x2222),
		   make_query("example.com.", "MX", want_id=0x3333)]
	want = {0x1111: dns.rcode.NOERROR, 0x2222: dns.rcode.NXDOMAIN, 0x3333: dns.rcode.NOERROR}
	blob = b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in queries))
	try:
		s = tcp_connect(ADDR, port)
	except OSError as e:
		T.fail("pipelined TCP: connect: %s" % e)
		return
	got = {}
	try:
		s.sendall(blob)
		for _ in queries:
			m = dns.message.from_wire(tcp_read_msg(s, 3.0))
			got[m.id] = m.rcode()
	except Exception as e:  # noqa: BLE001
		T.fail("pipelined TCP: 3 queries in one write: %s after %d answers" % (e, len(got)))
		return
	finally:
		s.close()
	T.check(got == want, "pipelined TCP: 3 queries in one write, 3 answers with matching ids and rcodes",
		"got %r want %r" % (got, want))


def split_tcp(port):
	w = make_query("ns1.example.com.", "A", want_id=0x4444).to_wire()
	msg = struct.pack("!H", len(w)) + w
	try:
		s = tcp_connect(ADDR, port)
	except OSError as e:
		T.fail("split TCP: connect: %s" % e)
		return
	try:
		for piece in (msg[:1], msg[1:7], msg[7:]):
			s.sendall(piece)
			time.sleep(0.05)
		m = dns.message.from_wire(tcp_read_msg(s, 3.0))
		T.check(m.id == 0x4444 and m.rcode() == dns.rcode.NOERROR and len(m.answer) == 1,
			"TCP query written in three pieces is answered", m.to_text())
		# Same connection, a second query: the connection stays usable.
		w2 = make_query("ns2.example.com.", "A", want_id=0x5555).to_wire()
		s.sendall(struct.pack("!H", len(w2)) + w2)
		m = dns.message.from_wire(tcp_read_msg(s, 3.0))
		T.check(m.id == 0x5555 and len(m.answer) == 1, "second query on the same TCP connection is answered")
	except Exception as e:  # noqa: BLE001
		T.fail("split TCP: %s" % e)
	finally:
		s.close()


def wait_close(s, limit):
	"""Seconds until the peer closes (EOF or reset), or None if still open at limit."""
	start = time.monotonic()
	while True:
		left = limit - (time.monotonic() - start)
		if left <= 0:
			return None
		s.settimeout(left)
		try:
			if s.recv(512) == b"":
				return time.monotonic() - start
		except socket.timeout:
			return None
		except ConnectionResetError:
			return time.monotonic() - start


def idle(port, idle_s):
	limit = idle_s + 4.0
	try:
		s = tcp_connect(ADDR, port)
	except OSError as e:
		T.fail("TCP idle: connect: %s" % e)
		return
	try:
		t = wait_close(s, limit)
	finally:
		s.close()
	T.check(t is not None and t >= idle_s * 0.5,
		"TCP idle timeout: silent connection closed by the server after %s s (tcp_idle %s)"
		% ("%.1f" % t if t is not None else ">%.0f" % limit, idle_s))
	# After a query the clock restarts; the connection lives until idle again.
	try:
		s = tcp_connect(ADDR, port)
	except OSError as e:
		T.fail("TCP idle: connect: %s" % e)
		return
	try:
		time.sleep(idle_s * 0.6)
		w = make_query("ns1.example.com.", "A", want_id=0x6666).to_wire()
		s.sendall(struct.pack("!H", len(w)) + w)
		m = dns.message.from_wire(tcp_read_msg(s, 3.0))
		ok = m.id == 0x6666
		t = wait_close(s, limit)
	except Exception as e:  # noqa: BLE001
		T.fail("TCP idle: query at %.1f s: %s" % (idle_s * 0.6, e))
		return
	finally:
		s.close()
	T.check(ok and t is not None and t >= idle_s * 0.5,
		"TCP idle: query answered before the timeout, then closed %s s after it"
		% ("%.1f" % t if t is not None else ">%.0f" % limit))


def main():
	port = int(sys.argv[1])
	idle_s = float(sys.argv[2])
	opcodes(port)
	qdcount(port)
	compression(port)
	pipelined(port)
	split_tcp(port)
	idle(port, idle_s)
	T.finish()


main()

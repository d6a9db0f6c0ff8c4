"""Shared helpers for the python parts of tests/system (lib.sh puts this
directory on PYTHONPATH).  Raw sockets and dnspython; every wait bounded."""
import json
import socket
import struct
import sys
import time
import urllib.error
import urllib.request

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype


class Tally:
	"""Counts checks; prints "ok"/"FAIL" lines and the final summary."""

	def __init__(self):
		self.passed = 0
		self.failed = 0

	def check(self, cond, desc, detail=None):
		if cond:
			self.passed += 1
			print("ok   " + desc)
		else:
			self.failed += 1
			print("FAIL " + desc)
			if detail:
				for line in str(detail).splitlines():
					print("    | " + line)
		sys.stdout.flush()
		return cond

	def ok(self, desc):
		return self.check(True, desc)

	def fail(self, desc, detail=None):
		return self.check(False, desc, detail)

	def finish(self):
		print("%d passed, %d failed" % (self.passed, self.failed))
		sys.exit(1 if self.failed else 0)


def family_of(addr):
	return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_exchange(addr, port, wire, timeout=2.0):
	"""Send one datagram; return the first reply's bytes or None on timeout."""
	s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
	try:
		s.settimeout(timeout)
		s.sendto(wire, (addr, port))
		try:
			data, _ = s.recvfrom(65535)
			return data
		except socket.timeout:
			return None
	finally:
		s.close()


def recv_exact(s, n, deadline):
	buf = b""
	while len(buf) < n:
		left = deadline - time.monotonic()
		if left <= 0:
			raise socket.timeout("timed out")
		s.settimeout(left)
		chunk = s.recv(n - len(buf))
		if not chunk:
			raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
		buf += chunk
	return buf


def tcp_read_msg(s, timeout=2.0):
	deadline = time.monotonic() + timeout
	(n,) = struct.unpack("!H", recv_exact(s, 2, deadline))
	return recv_exact(s, n, deadline)


def tcp_connect(addr, port, timeout=2.0):
	s = socket.socket(family_of(addr), socket.SOCK_STREAM)
	s.settimeout(timeout)
	s.connect((addr, port))
	return s


def tcp_exchange(addr, port, wire, timeout=2.0):
	"""One length-prefixed query on a fresh connection; reply bytes or None."""
	try:
		s = tcp_connect(addr, port, timeout)
	except OSError:
		return None
	try:
		s.sendall(struct.pack("!H", len(wire)) + wire)
		return tcp_read_msg(s, timeout)
	except (OSError, EOFError):
		return None
	finally:
		s.close()


def make_query(name, rdtype="A", rdclass="IN", edns=0, payload=1232, rd=False, options=None, want_id=None):
	"""edns=None: no OPT record; else the EDNS version."""
	if edns is None:
		q = dns.message.make_query(name, rdtype, rdclass, use_edns=False)
	else:
		q = dns.message.make_query(name, rdtype, rdclass, use_edns=edns, payload=payload, options=options)
	if not rd:
		q.flags &= ~dns.flags.RD
	if want_id is not None:
		q.id = want_id
	return q


def ask(addr, port, q, tcp=False, timeout=2.0):
	"""(reply Message or None, raw bytes or None, error text)."""
	wire = q.to_wire()
	raw = (tcp_exchange if tcp else udp_exchange)(addr, port, wire, timeout)
	if raw is None:
		return None, None, "no answer within %.1f s" % timeout
	try:
		return dns.message.from_wire(raw, ignore_trailing=False), raw, ""
	except Exception as e:  # noqa: BLE001 -- any parse failure is a test failure
		return None, raw, "unparsable reply: %s: %s" % (type(e).__name__, e)


def header(raw):
	"""(id, flags, qd, an, ns, ar) of a raw message, or None."""
	if raw is None or len(raw) < 12:
		return None
	return struct.unpack("!HHHHHH", raw[:12])


def rcode_of(raw):
	"""Header rcode (4 bits; no EDNS extension)."""
	h = header(raw)
	return None if h is None else h[1] & 0xF


def valid_query_answered(addr, port, name="ns1.example.com.", rdtype="A"):
	"""True when a plain query gets a NOERROR reply with the same id."""
	q = make_query(name, rdtype)
	r, raw, _ = ask(addr, port, q, timeout=2.0)
	return r is not None and r.id == q.id and r.rcode() == dns.rcode.NOERROR and len(r.answer) > 0


def udp_batch(addr, port, wires, window=32, timeout=1.0, tries=3):
	"""Send many queries over one UDP socket, at most `window` unanswered
	at a time, and match replies by message id: wires[i] must carry id i
	(so at most 65536 of them).  A query unanswered after `timeout` seconds
	is sent again, up to `tries` times in all.  Returns {i: reply bytes}."""
	s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
	s.connect((addr, port))
	replies, count, due = {}, {}, {}
	queue = list(range(len(wires)))[::-1]
	try:
		while queue or due:
			while queue and len(due) < window:
				i = queue.pop()
				count[i] = count.get(i, 0) + 1
				try:
					s.send(wires[i])
				except ConnectionRefusedError:	# ICMP unreachable from an earlier send
					pass
				due[i] = time.monotonic() + timeout
			s.settimeout(max(0.001, min(due.values()) - time.monotonic()))
			try:
				raw = s.recv(65535)
			except ConnectionRefusedError:
				continue
			except socket.timeout:
				now = time.monotonic()
				for i in [i for i, t in due.items() if t <= now]:
					del due[i]
					if count[i] < tries:
						queue.append(i)
				continue
			i = struct.unpack("!H", raw[:2])[0] if len(raw) >= 2 else -1
			if i in due:
				del due[i]
				replies[i] = raw
	finally:
		s.close()
	return replies


def force_state(control_port, token, kind, what, state):
	"""POST /v1/KIND/WHAT/state {"state": STATE} to the control API (kind
	"regions" or "endpoints"): the HTTP status, or None when nothing answered."""
	req = urllib.request.Request("http://127.0.0.1:%d/v1/%s/%s/state" % (control_port, kind, what),
		data=json.dumps({"state": state}).encode(), method="POST",
		headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
	try:
		with urllib.request.urlopen(req, timeout=3) as r:
			return r.status
	except urllib.error.HTTPError as e:
		return e.code
	except OSError:
		return None

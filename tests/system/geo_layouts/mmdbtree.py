"""mmdbtree.py -- read a MaxMind DB (format 2.0) the way libmaxminddb does,
for test expectations: the search tree (which network, and the netmask
libmaxminddb reports for a lookup, found or not) and the data section
(records as Python values).  Written from the public MaxMind DB spec;
cross-checked against mmdblookup by the tests that use it.
"""
import ipaddress
import struct

MARKER = b"\xab\xcd\xefMaxMind.com"


class MMDB:
	def __init__(self, path):
		self.buf = open(path, "rb").read()
		at = self.buf.rfind(MARKER)
		if at < 0:
			raise ValueError("no metadata marker")
		self.meta, _ = self._decode(at + len(MARKER), at + len(MARKER))
		self.nodes = self.meta["node_count"]
		self.rsize = self.meta["record_size"]
		self.tree_size = self.nodes * self.rsize * 2 // 8
		self.data_base = self.tree_size + 16
		self.ip_version = self.meta["ip_version"]
		# libmaxminddb's IPv4 start: follow 96 left records from the root
		node, depth = 0, 0
		if self.ip_version == 6:
			while depth < 96 and node < self.nodes:
				node = self.record(node, 0)
				depth += 1
		self.v4_start, self.v4_depth = node, depth

	# -- tree -----------------------------------------------------------
	def record(self, node, bit):
		b = self.buf
		if self.rsize == 24:
			off = node * 6 + bit * 3
			return int.from_bytes(b[off:off + 3], "big")
		if self.rsize == 28:
			off = node * 7
			if bit == 0:
				return ((b[off + 3] & 0xF0) << 20) | int.from_bytes(b[off:off + 3], "big")
			return ((b[off + 3] & 0x0F) << 24) | int.from_bytes(b[off + 4:off + 7], "big")
		off = node * 8 + bit * 4
		return int.from_bytes(b[off:off + 4], "big")

	def lookup(self, addr):
		"""(record dict or None, netmask as libmaxminddb reports it: for an
		IPv4 address in an IPv6 tree counted from the IPv6 root)."""
		addr = ipaddress.ip_address(addr)
		if addr.version == 4 and self.ip_version == 6:
			node, depth, bits, value = self.v4_start, self.v4_depth, 32, int(addr)
		else:
			node, depth, bits, value = 0, 0, addr.max_prefixlen, int(addr)
		i = 0
		while node < self.nodes and i < bits:
			node = self.record(node, (value >> (bits - 1 - i)) & 1)
			i += 1
			depth += 1
		if node == self.nodes:
			return None, depth
		if node < self.nodes:
			raise ValueError("ran out of address bits inside the tree")
		return self.data_at(node - self.nodes - 16), depth

	def networks(self):
		"""Every (IPv6 network, record) leaf with data.  Subtrees that are
		aliases of the IPv4 tree (MaxMind points ::ffff:0:0/96, 2001::/32
		Teredo and 2002::/16 6to4 at the ::/96 node) are skipped: their
		networks are the IPv4 ones again."""
		out, stack = [], [(0, 0, 0)]
		while stack:
			node, value, depth = stack.pop()
			for bit in (1, 0):
				kid = self.record(node, bit)
				v, d = (value << 1) | bit, depth + 1
				if kid < self.nodes:
					if self.ip_version == 6 and kid == self.v4_start and (v, d) != (0, 96):
						continue	# an alias of the IPv4 tree
					stack.append((kid, v, d))
				elif kid > self.nodes:
					n = ipaddress.IPv6Network((v << (128 - d), d))
					out.append((n, self.data_at(kid - self.nodes - 16)))
		return out

	# -- data section -----------------------------------------------------
	def data_at(self, offset):
		return self._decode(self.data_base + offset, self.data_base)[0]

	def _decode(self, pos, base):
		b = self.buf
		ctrl = b[pos]
		pos += 1
		kind = ctrl >> 5
		if kind == 1:	# pointer
			ss, vvv = (ctrl >> 3) & 3, ctrl & 7
			if ss == 0:
				p = (vvv << 8) | b[pos]
			elif ss == 1:
				p = ((vvv << 16) | int.from_bytes(b[pos:pos + 2], "big")) + 2048
			elif ss == 2:
				p = ((vvv << 24) | int.from_bytes(b[pos:pos + 3], "big")) + 526336
			else:
				p = int.from_bytes(b[pos:pos + 4], "big")
			value, _ = self._decode(base + p, base)
			return value, pos + ss + 1
		if kind == 0:
			kind = 7 + b[pos]
			pos += 1
		size = ctrl & 0x1F
		if size == 29:
			size = 29 + b[pos]
			pos += 1
		elif size == 30:
			size = 285 + int.from_bytes(b[pos:pos + 2], "big")
			pos += 2
		elif size == 31:
			size = 65821 + int.from_bytes(b[pos:pos + 3], "big")
			pos += 3
		if kind == 2:
			return b[pos:pos + size].decode("utf-8"), pos + size
		if kind == 3:
			return struct.unpack(">d", b[pos:pos + 8])[0], pos + 8
		if kind == 4:
			return b[pos:pos + size], pos + size
		if kind in (5, 6, 9, 10):
			return int.from_bytes(b[pos:pos + size], "big"), pos + size
		if kind == 8:
			return int.from_bytes(b[pos:pos + size].rjust(4, b"\0"), "big", signed=True), pos + size
		if kind == 7:
			m = {}
			for _ in range(size):
				k, pos = self._decode(pos, base)
				v, pos = self._decode(pos, base)
				m[k] = v
			return m, pos
		if kind == 11:
			a = []
			for _ in range(size):
				v, pos = self._decode(pos, base)
				a.append(v)
			return a, pos
		if kind == 14:
			return bool(size), pos
		if kind == 15:
			return struct.unpack(">f", b[pos:pos + 4])[0], pos + 4
		raise ValueError("unknown data type %d at %d" % (kind, pos))


def summary(rec):
	"""(country, continent, lat, lon) of a record, None where absent --
	the fields docs/routing.md locates a client with."""
	if not isinstance(rec, dict):
		return None, None, None, None
	cc = (rec.get("country") or {}).get("iso_code")
	cont = (rec.get("continent") or {}).get("code")
	loc = rec.get("location") or {}
	lat, lon = loc.get("latitude"), loc.get("longitude")
	if lat is None or lon is None:
		lat = lon = None
	return cc, cont, lat, lon

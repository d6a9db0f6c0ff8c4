"""ECS options dig cannot send (it truncates and masks what it is given):
each invalid one must get FORMERR (docs/protocol.md, RFC 7871 section 7.1.1), and
the valid edge cases next to them must not.  Usage: bad_ecs.py PORT"""
import struct
import sys

import dns.edns
import dns.rcode

from systest import Tally, ask, make_query

port = int(sys.argv[1])
t = Tally()
ECS = 8


def raw_ecs(family, source, scope, addr):
	return dns.edns.GenericOption(ECS, struct.pack("!HBB", family, source, scope) + addr)


def query(opt, name="www.example.com.", rdtype="A"):
	q = make_query(name, rdtype, options=[opt])
	r, raw, err = ask("127.0.0.1", port, q)
	return q, r, err


def expect_formerr(desc, opt, name="www.example.com.", rdtype="A"):
	q, r, err = query(opt, name, rdtype)
	if r is None:
		t.fail(desc + ": FORMERR expected", err)
		return
	t.check(r.rcode() == dns.rcode.FORMERR and r.id == q.id and not r.answer,
		desc + ": FORMERR, no answer",
		"got %s, %d answer RRsets\n%s" % (dns.rcode.to_text(r.rcode()), len(r.answer), r))


def expect_ok(desc, opt, want_echo, want_scope_zero=None):
	q, r, err = query(opt)
	if r is None:
		t.fail(desc + ": NOERROR expected", err)
		return
	ecs = [o for o in r.options if o.otype == ECS]
	ok = r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1 and len(ecs) == 1
	detail = str(r)
	if ok:
		data = ecs[0].to_wire() if hasattr(ecs[0], "to_wire") else ecs[0].data
		fam, src, scope = struct.unpack("!HBB", data[:4])
		ok = (fam, src, data[4:]) == want_echo
		if want_scope_zero is not None:
			ok = ok and ((scope == 0) == want_scope_zero)
		detail = "echo family=%d source=%d scope=%d addr=%s\n%s" % (fam, src, scope, data[4:].hex(), r)
	t.check(ok, desc, detail)


# source prefix longer than the family allows
expect_formerr("ECS IPv4 source prefix 33", raw_ecs(1, 33, 0, bytes([2, 0, 1, 0, 0])))
expect_formerr("ECS IPv6 source prefix 129", raw_ecs(2, 129, 0, bytes(17)))
# address bits set past the source prefix
expect_formerr("ECS 2.0.1.0/22 (bit 23 set past the prefix)", raw_ecs(1, 22, 0, bytes([2, 0, 1])))
expect_formerr("ECS 2.0.1.1/24 sent with 4 address bytes", raw_ecs(1, 24, 0, bytes([2, 0, 1, 1])))
expect_formerr("ECS 2.0.0.128/24 (bit 24 set, in a 4th byte)", raw_ecs(1, 24, 0, bytes([2, 0, 0, 128])))
expect_formerr("ECS 2001:db8:1::/47 (bit 47 set)", raw_ecs(2, 47, 0, bytes.fromhex("20010db80001")))
expect_formerr("ECS IPv4 /0 with an address byte", raw_ecs(1, 0, 0, bytes([2])))
# RFC 7871 7.1.2: a wrongly sized option is FORMERR -- the address
# must be exactly ceil(source/8) bytes, even when the extra bytes are zero
expect_formerr("ECS 2.0.1.0/24 sent with 4 address bytes, the 4th zero", raw_ecs(1, 24, 0, bytes([2, 0, 1, 0])))
# address shorter than the prefix needs
expect_formerr("ECS 2.0.1.0/24 sent with 2 address bytes", raw_ecs(1, 24, 0, bytes([2, 0])))
# unknown family
expect_formerr("ECS family 3", raw_ecs(3, 8, 0, bytes([2])))
expect_formerr("ECS family 0", raw_ecs(0, 0, 0, b""))
# a truncated option (shorter than family + prefixes)
expect_formerr("ECS option of 3 bytes", dns.edns.GenericOption(ECS, b"\x00\x01\x18"))
# FORMERR does not depend on the name being geo
expect_formerr("ECS prefix 33 on a static name", raw_ecs(1, 33, 0, bytes([2, 0, 1, 0, 0])), "ns1.example.com.")

# the valid neighbours of the cases above
expect_ok("ECS 2.0.1.0/24 (3 bytes, clean): answered, echoed, scope > 0",
	raw_ecs(1, 24, 0, bytes([2, 0, 1])), (1, 24, bytes([2, 0, 1])), want_scope_zero=False)
expect_ok("ECS 2.0.0.0/23 (3 bytes, last bit clear): answered, echoed",
	raw_ecs(1, 23, 0, bytes([2, 0, 0])), (1, 23, bytes([2, 0, 0])), want_scope_zero=False)
expect_ok("ECS IPv4 /0 (no address bytes): answered, scope 0",
	raw_ecs(1, 0, 0, b""), (1, 0, b""), want_scope_zero=True)
expect_ok("ECS IPv6 /128: answered, echoed",
	raw_ecs(2, 128, 0, bytes.fromhex("20010db8000100000000000000000001")),
	(2, 128, bytes.fromhex("20010db8000100000000000000000001")), want_scope_zero=False)
expect_ok("ECS IPv4 /32: answered, echoed",
	raw_ecs(1, 32, 0, bytes([2, 0, 1, 7])), (1, 32, bytes([2, 0, 1, 7])), want_scope_zero=False)
t.finish()

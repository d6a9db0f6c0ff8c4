#!/usr/bin/python3
"""Who gets example.com. from dnsd, and what NSD serves after its transfer.

  xfr_check.py DNSD_PORT NSD_PORT KEYNAME SECRET SERIAL CONTROL_PORT TOKEN

docs/transfer.md §2 and §3 are the expectations: only 127.0.0.1 with the
zone's key gets a transfer; an unknown key is NOTAUTH/BADKEY, a wrong
secret NOTAUTH/BADSIG; AXFR over UDP is refused; the excluded geo name
www is absent from the secondary, api carries its eu view.
"""
import socket
import sys
import urllib.request

import dns.message
import dns.name
import dns.rrset
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.xfr
import dns.zone

from systest import Tally, tcp_read_msg

ADDR = "127.0.0.1"
ZONE = "example.com."


def tcp_raw(port, wire, source=None):
	s = socket.create_connection((ADDR, port), timeout=3, source_address=(source, 0) if source else None)
	try:
		s.sendall(len(wire).to_bytes(2, "big") + wire)
		return tcp_read_msg(s, 3)
	finally:
		s.close()


def axfr_query(keyring=None, keyname=None, rdtype="AXFR"):
	q = dns.message.make_query(ZONE, rdtype)
	if keyring is not None:
		q.use_tsig(keyring, keyname=keyname, algorithm=dns.tsig.HMAC_SHA256)
	return q


def peer_error(raw, q, keyring):
	"""The TSIG error dnspython reports for a response, or None."""
	try:
		dns.message.from_wire(raw, keyring=keyring, request_mac=q.mac)
	except dns.tsig.PeerBadKey:
		return "BADKEY"
	except dns.tsig.PeerBadSignature:
		return "BADSIG"
	except dns.tsig.PeerBadTime:
		return "BADTIME"
	except Exception as e:	# noqa: BLE001 -- reported as the failure detail
		return "unexpected %r" % e
	return None


def rcode(raw):
	return raw[3] & 0xf


def reload(control_port, token):
	req = urllib.request.Request("http://127.0.0.1:%d/v1/reload" % control_port, data=b"{}", method="POST",
				     headers={"Authorization": "Bearer " + token})
	with urllib.request.urlopen(req, timeout=10) as r:
		return r.status


def transfer_across_reload(T, port, keyring, keyname, control_port, token):
	"""A signed transfer of big.example. read one message, then a reload,
	then the rest: every message verifies in turn (dnspython checks the
	MAC chain) and the zone arrives whole, from the snapshot it began on."""
	q = dns.message.make_query("big.example.", "AXFR")
	q.use_tsig(keyring, keyname=keyname, algorithm=dns.tsig.HMAC_SHA256)
	s = socket.create_connection((ADDR, port), timeout=5)
	wire = q.to_wire()
	s.sendall(len(wire).to_bytes(2, "big") + wire)
	ctx, soas, records, messages = None, 0, 0, 0
	try:
		while soas < 2:
			raw = tcp_read_msg(s, 5)
			m = dns.message.from_wire(raw, keyring=keyring, request_mac=q.mac, xfr=True,
						  tsig_ctx=ctx, multi=True)
			ctx = m.tsig_ctx
			messages += 1
			for rs in m.answer:
				records += len(rs)
				soas += rs.rdtype == dns.rdatatype.SOA
			if messages == 1:
				T.check(reload(control_port, token) == 200, "a reload while the transfer is under way")
	except Exception as e:	# noqa: BLE001
		T.fail("transfer across a reload: %r after %d messages" % (e, messages))
		return
	finally:
		s.close()
	T.check(messages > 1 and records == 3000 + 2 + 2,
		"big.example. arrives whole across the reload (%d messages, %d records, each message signed)"
		% (messages, records))


def main():
	dnsd_port, nsd_port, keyname, secret, serial, control_port, token = sys.argv[1:8]
	dnsd_port, nsd_port, control_port = int(dnsd_port), int(nsd_port), int(control_port)
	T = Tally()
	keyring = dns.tsigkeyring.from_text({keyname: secret})

	# the transfer itself, signed, as a secondary asks
	try:
		z = dns.zone.Zone(ZONE)
		dns.query.inbound_xfr(ADDR, z, port=dnsd_port, timeout=5, lifetime=10,
				      query=axfr_query(keyring, keyname))
		T.check(z.get_rdataset("@", "SOA")[0].serial == int(serial), "signed AXFR carries serial %s" % serial)
		T.check(z.get_rdataset("ns1", "A") is not None, "signed AXFR carries ns1 A")
		T.check(z.get_node("www") is None, "the excluded geo name www is not transferred")
		api = z.get_rdataset("api", "A")
		T.check(api is not None and [r.address for r in api] == ["198.51.100.10"],
			"api carries its transfer view (eu-west, the first of max_regions 1)",
			api and [r.address for r in api])
	except Exception as e:	# noqa: BLE001
		T.fail("signed AXFR failed: %r" % e)

	# what the secondary serves
	def nsd(name, rdtype):
		return dns.query.udp(dns.message.make_query(name, rdtype), ADDR, port=nsd_port, timeout=2)
	r = nsd("api.example.com.", "A")
	T.check([rr.address for rs in r.answer for rr in rs] == ["198.51.100.10"], "NSD answers api with the eu view")
	r = nsd("www.example.com.", "A")
	T.check(r.rcode() == dns.rcode.NXDOMAIN, "NSD has no www (excluded)", dns.rcode.to_text(r.rcode()))
	r = nsd("mail.example.com.", "AAAA")
	T.check([rr.address for rs in r.answer for rr in rs] == ["2001:db8::25"], "NSD answers mail AAAA")

	# refusals (docs/transfer.md §2)
	q = axfr_query()
	raw = tcp_raw(dnsd_port, q.to_wire())
	T.check(rcode(raw) == dns.rcode.REFUSED, "unsigned AXFR from an allowed address: REFUSED")
	T.check(dns.message.from_wire(raw).answer == [], "  and no records")

	unknown = dns.tsigkeyring.from_text({"nobody.example.": secret})
	q = axfr_query(unknown, "nobody.example.")
	raw = tcp_raw(dnsd_port, q.to_wire())
	T.check(rcode(raw) == 9, "AXFR signed with an unknown key: NOTAUTH", rcode(raw))
	T.check(peer_error(raw, q, unknown) == "BADKEY", "  with TSIG error BADKEY", peer_error(raw, q, unknown))

	wrong = dns.tsigkeyring.from_text({keyname: "d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldA=="})
	q = axfr_query(wrong, keyname)
	raw = tcp_raw(dnsd_port, q.to_wire())
	T.check(rcode(raw) == 9, "AXFR signed with a wrong secret: NOTAUTH", rcode(raw))
	T.check(peer_error(raw, q, wrong) == "BADSIG", "  with TSIG error BADSIG", peer_error(raw, q, wrong))

	q = dns.message.make_query("ns1.example.com.", "A")
	q.use_tsig(unknown, keyname="nobody.example.")
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(2)
	s.sendto(q.to_wire(), (ADDR, dnsd_port))
	raw = s.recv(4096)
	s.close()
	T.check(rcode(raw) == 9 and peer_error(raw, q, unknown) == "BADKEY",
		"an ordinary query signed with an unknown key: NOTAUTH/BADKEY", (rcode(raw), peer_error(raw, q, unknown)))

	q = axfr_query(keyring, keyname)
	r = dns.query.udp(q, ADDR, port=dnsd_port, timeout=2)
	T.check(r.rcode() == dns.rcode.REFUSED and not r.answer, "signed AXFR over UDP: REFUSED, no records")
	T.check(r.had_tsig, "  and the refusal is signed")

	q = axfr_query(keyring, keyname)
	raw = tcp_raw(dnsd_port, q.to_wire(), source="127.0.0.2")
	T.check(rcode(raw) == dns.rcode.REFUSED, "signed AXFR from 127.0.0.2 (outside allow): REFUSED", rcode(raw))

	q = axfr_query(keyring, keyname, "IXFR")
	q.authority.append(dns.rrset.from_text(ZONE, 0, "IN", "SOA", ". . 1 0 0 0 0"))
	r = dns.query.udp(q, ADDR, port=dnsd_port, timeout=2)
	T.check(r.rcode() == 0 and [rs.rdtype for rs in r.answer] == [dns.rdatatype.SOA],
		"signed IXFR over UDP: the SOA alone (retry over TCP)", r.answer)

	q = dns.message.make_query("example.net.", "AXFR")
	raw = tcp_raw(dnsd_port, q.to_wire())
	T.check(rcode(raw) == dns.rcode.REFUSED, "a zone without transfer: REFUSED", rcode(raw))

	# signed ordinary queries are answered and signed (dnspython checks the MAC)
	q = dns.message.make_query("ns1.example.com.", "A")
	q.use_tsig(keyring, keyname=keyname, algorithm=dns.tsig.HMAC_SHA256)
	try:
		r = dns.query.udp(q, ADDR, port=dnsd_port, timeout=2)
		T.check(r.had_tsig and [rr.address for rs in r.answer for rr in rs] == ["192.0.2.53"],
			"a signed query gets its answer, signed with the same key")
	except Exception as e:	# noqa: BLE001
		T.fail("a signed query: %r" % e)
	transfer_across_reload(T, dnsd_port, keyring, keyname, control_port, token)
	T.finish()


if __name__ == "__main__":
	main()

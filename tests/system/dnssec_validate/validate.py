"""Signed answers checked by dnspython's validator (docs/dnssec.md).

Two dnsd serve the same zones, one signed, one not.  For every name of
the zones and many types, and for every geo client under a list of
health states, the DO answer of the signed server must validate against
the zone's DNSKEY (every RRset that must be signed is signed, every
signature verifies), and each denial must carry its proof:
  NXDOMAIN   an NSEC covering the name and one covering the wildcard at
             the closest encloser;
  NODATA     the name's NSEC without the type (or, for an empty
             non-terminal, an NSEC covering it whose next name lies below
             it; for a wildcard, the covering NSEC and the wildcard's);
  wildcard   an answer expanded from a wildcard comes with the NSEC
             covering the query name;
  referral   a signed DS, or the cut's NSEC without DS;
  geo NODATA a family other clients get is denied by an NSEC of TTL 0.
Without DO the signed server's answer must be byte for byte the unsigned
one's.

Usage: validate.py SIGNED_PORT UNSIGNED_PORT CONTROL_PORT UNSIGNED_CONTROL_PORT TOKEN DS_FILE ZONE_JSON...
"""
import json
import os
import sys

import dns.dnssec
import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from systest import Tally, force_state, tcp_exchange  # noqa: E402

port, uport, cport, ucport = (int(a) for a in sys.argv[1:5])
token, ds_file = sys.argv[5], sys.argv[6]
zones = {}
for path in sys.argv[7:]:
	z = json.load(open(path))
	zones[dns.name.from_text(z["origin"])] = z
t = Tally()
RRSIG, NSEC, DS, NS, CNAME, DNAME = (dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.DS,
				     dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.DNAME)
failures = []


def ask(p, name, rdtype, do, ecs=None):
	opts = [dns.edns.ECSOption(ecs.split("/")[0], int(ecs.split("/")[1]))] if ecs else []
	q = dns.message.make_query(name, rdtype, use_edns=0, want_dnssec=do, payload=1232, options=opts)
	q.flags &= ~dns.flags.RD
	return dns.query.tcp(q, "127.0.0.1", port=p, timeout=3)


def raw(p, name, rdtype, ecs=None):
	"""The non-DO answer's wire bytes (ID 1), over TCP, and its parse."""
	opts = [dns.edns.ECSOption(ecs.split("/")[0], int(ecs.split("/")[1]))] if ecs else []
	q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232, options=opts)
	q.flags &= ~dns.flags.RD
	q.id = 1
	w = tcp_exchange("127.0.0.1", p, q.to_wire(), timeout=3)
	return w, dns.message.from_wire(w)


def zone_of(name):
	best = None
	for origin in zones:
		if name.is_subdomain(origin) and (best is None or len(origin) > len(best)):
			best = origin
	return best


# --- the keys: each zone's DNSKEY validates itself and matches the DS --check printed
keys = {}
ds_lines = [line.split() for line in open(ds_file) if " DS " in line or "\tDS\t" in line]
for origin in zones:
	r = ask(port, origin, dns.rdatatype.DNSKEY, True)
	try:
		dnskey = r.find_rrset(r.answer, origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
		sigs = r.find_rrset(r.answer, origin, dns.rdataclass.IN, RRSIG, dns.rdatatype.DNSKEY)
		dns.dnssec.validate(dnskey, sigs, {origin: dnskey})
		keys[origin] = dnskey
		t.ok("%s DNSKEY (%d keys) validates with its own key" % (origin, len(dnskey)))
	except (KeyError, dns.dnssec.ValidationFailure) as e:
		t.fail("%s DNSKEY does not validate: %s" % (origin, e), r)
		continue
	want = {(int(f[-4]), f[-1].lower()) for f in ds_lines if dns.name.from_text(f[0]) == origin}
	made = set()
	for k in dnskey:
		if k.flags & 1 or len(dnskey) == 1:	# SEP, or a lone key
			ds = dns.dnssec.make_ds(origin, k, "SHA256")
			made.add((ds.key_tag, ds.digest.hex()))
	t.check(want and want == made, "%s: the DS --check printed is the KSK's (%d)" % (origin, len(want)),
		"printed %s, DNSKEY gives %s" % (want, made))
if len(keys) != len(zones):
	t.finish()


def canonical_between(owner, nxt, name):
	"""NSEC owner -> next covers name (strictly between, the last wrapping)."""
	if owner < nxt:
		return owner < name < nxt
	return name > owner or name < nxt


def nsecs(r):
	return [s for s in r.authority if s.rdtype == NSEC]


def types_of(nsec_rrset):
	return set(t for w in nsec_rrset[0].windows for t in _types(w))


def _types(window):
	base, bits = window
	for i, byte in enumerate(bits):
		for b in range(8):
			if byte & (0x80 >> b):
				yield base * 256 + i * 8 + b


def covering(r, name):
	return [s for s in nsecs(r) if s.name != name and canonical_between(s.name, s[0].next, name)]


def closest_encloser(name, nsec):
	ce = name.fullcompare(nsec.name)[2], name.fullcompare(nsec[0].next)[2]
	labels = max(ce)
	return dns.name.Name(name.labels[-labels:]) if labels else dns.name.root


def check_signatures(r, origin):
	"""Every RRset that must be signed is, and every signature verifies."""
	errors = []
	dnames = [s.name for s in r.answer if s.rdtype == DNAME]
	cut_names = [s.name for s in r.authority if s.rdtype == NS and s.name != origin]
	for section in (r.answer, r.authority, r.additional):
		for rrset in section:
			if rrset.rdtype == RRSIG or not rrset.name.is_subdomain(origin):
				continue
			if zone_of(rrset.name) != origin:
				continue
			below_cut = any(rrset.name.is_subdomain(c) for c in cut_names)
			unsigned_ok = (rrset.rdtype == NS and rrset.name in cut_names) or \
				(section is r.additional and below_cut) or \
				(rrset.rdtype == CNAME and any(rrset.name.is_subdomain(d) and rrset.name != d for d in dnames))
			try:
				sigs = r.find_rrset(section, rrset.name, dns.rdataclass.IN, RRSIG, rrset.rdtype)
			except KeyError:
				if not unsigned_ok:
					errors.append("%s %s has no RRSIG" % (rrset.name, dns.rdatatype.to_text(rrset.rdtype)))
				continue
			if unsigned_ok and rrset.rdtype != CNAME:
				errors.append("%s %s is signed but is not ours to sign" % (rrset.name,
											    dns.rdatatype.to_text(rrset.rdtype)))
			try:
				dns.dnssec.validate(rrset, sigs, {origin: keys[origin]})
			except dns.dnssec.ValidationFailure as e:
				errors.append("%s %s: %s" % (rrset.name, dns.rdatatype.to_text(rrset.rdtype), e))
	return errors


def check_nxdomain(r, qname):
	cov = covering(r, qname)
	if not cov:
		return ["no NSEC covers %s" % qname]
	ce = closest_encloser(qname, cov[0])
	wild = dns.name.Name((b"*",) + ce.labels)
	if not covering(r, wild):
		return ["no NSEC covers the wildcard %s" % wild]
	return []


def check_nodata(r, qname, qtype):
	own = [s for s in nsecs(r) if s.name == qname]
	if own:
		tt = types_of(own[0])
		return [] if qtype not in tt and CNAME not in tt else ["the NSEC at %s lists %s" % (qname, sorted(tt))]
	cov = covering(r, qname)
	if cov and cov[0][0].next.is_subdomain(qname):
		return []	# an empty non-terminal
	if cov:	# wildcard NODATA: the wildcard's own NSEC without the type
		ce = closest_encloser(qname, cov[0])
		wild = dns.name.Name((b"*",) + ce.labels)
		w = [s for s in nsecs(r) if s.name == wild]
		if w and qtype not in types_of(w[0]):
			return []
	return ["no NSEC proves %s has no %s" % (qname, dns.rdatatype.to_text(qtype))]


def check_wildcard(r, qname):
	if qname.labels[0] == b"*":
		return []	# the wildcard's own name asked for: no expansion
	for s in r.answer:
		if s.rdtype == RRSIG and s.name == qname and s[0].labels < len(qname.labels) - 1:
			return [] if covering(r, qname) else ["wildcard answer for %s without an NSEC covering it" % qname]
	return []


def check_referral(r):
	cuts = [s for s in r.authority if s.rdtype == NS]
	if not cuts:
		return ["referral without NS"]
	cut = cuts[0].name
	if any(s.rdtype == DS and s.name == cut for s in r.authority):
		return []
	own = [s for s in nsecs(r) if s.name == cut]
	if own and NS in types_of(own[0]) and DS not in types_of(own[0]):
		return []
	return ["referral to %s has neither DS nor an NSEC proving none" % cut]


def chain_end(r, qname, qtype):
	"""The name a CNAME chain in the answer ends at.  A CNAME query stops at
	the first CNAME, an ANY query too unless a DNAME made it (dnsd goes on)."""
	dnames = [s.name for s in r.answer if s.rdtype == DNAME]
	name = qname
	for _ in range(10):
		cn = [s for s in r.answer if s.rdtype == CNAME and s.name == name]
		synthesised = cn and any(name.is_subdomain(d) and name != d for d in dnames)
		if not cn or qtype == CNAME or (qtype == dns.rdatatype.ANY and not synthesised):
			break
		name = cn[0][0].target
	return name


def check_answer(desc, qname, qtype, ecs=None, extra=None):
	"""One DO query: signatures, the proof its rcode calls for; returns the answer."""
	qname = dns.name.from_text(qname)
	origin = zone_of(qname)
	r = ask(port, qname, qtype, True, ecs)
	errs = check_signatures(r, origin)
	rc = r.rcode()
	target = chain_end(r, qname, qtype)
	if target != qname:
		if zone_of(target) != origin:
			return r	# the chain leaves the zone: the end is not ours to prove
		qname = target
	answered = [s for s in r.answer if s.rdtype != RRSIG and s.name == qname]
	referral = not (r.flags & dns.flags.AA) and not answered and any(s.rdtype == NS for s in r.authority)
	if rc == dns.rcode.NXDOMAIN:
		errs += check_nxdomain(r, qname)
	elif rc == dns.rcode.NOERROR and referral:
		errs += check_referral(r)
	elif rc == dns.rcode.NOERROR and not answered:
		errs += check_nodata(r, qname, qtype)
	elif rc == dns.rcode.NOERROR:
		errs += check_wildcard(r, qname)
	if extra:
		errs += extra(r)
	if errs:
		failures.append(desc)
		t.fail(desc, "\n".join(errs) + "\n" + r.to_text())
	return r


def same_without_do(desc, name, qtype, ecs=None):
	a, ra = raw(port, name, qtype, ecs)
	b, rb = raw(uport, name, qtype, ecs)
	if qtype in (NSEC, dns.rdatatype.DNSKEY):
		return True	# records only a signed zone has
	signed_bits = any(s.rdtype in (RRSIG, NSEC) for sec in (ra.answer, ra.authority) for s in sec)
	if a != b or signed_bits:
		failures.append(desc)
		t.fail(desc + ": the non-DO answer differs from the unsigned server's",
		       "signed:\n%s\nunsigned:\n%s" % (ra.to_text(), rb.to_text()))
		return False
	return True


# --- static data: every owner x types, names that do not exist, below wildcards and cuts
TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "SRV", "PTR", "CAA", "DS", "DNSKEY", "NSEC", "NAPTR",
	 "SVCB", "HTTPS", "DNAME", "TYPE65280", "ANY"]
names = []
for origin, z in zones.items():
	for owner in list(z.get("records", {})) + list(z.get("geo", {})):
		fq = origin if owner == "@" else dns.name.from_text(owner, origin)
		names.append(fq)
		names.append(dns.name.Name((b"nx-below",) + fq.labels))
	for extra in ("nx-1", "zzzz", "0", "a.b.c.nx", "foo.dev", "x.y.dev", "deep", "b.deep", "x.lab", "a.old",
		      "b.a.old", "_tcp"):
		names.append(dns.name.from_text(extra, origin))
count = 0
for name in names:
	for ty in TYPES:
		qt = dns.rdatatype.from_text(ty)
		before = len(failures)
		check_answer("%s %s" % (name, ty), name.to_text(), qt)
		same_without_do("%s %s" % (name, ty), name.to_text(), qt)
		count += 1
		if len(failures) > 20:
			t.finish()
t.check(not failures, "%d static queries (%d names x %d types): every DO answer validates with its proof, "
	"every non-DO answer is the unsigned server's" % (count, len(names), len(TYPES)))


# --- geo names: every client under every health state
CLIENTS = ["2.0.0.0/24", "5.44.0.0/24", "5.1.0.0/24", "2001:db8:1::/56", "202.12.0.0/24", "2001:db8:3::/56",
	   "88.0.0.0/24", "1.0.0.0/24", "94.200.0.0/24", "2001:db8:e::/56", "200.160.0.0/24", "2001:db8:5::/56",
	   "189.0.0.0/24", "81.2.69.0/24", "12.0.0.0/24", "1.128.0.0/24", "100.64.0.0/24"]
geo_names = [(o, n) for o, z in zones.items() for n in z.get("geo", {})]
regions = ["us-east", "eu-west", "eu-central", "ap-southeast", "ap-northeast", "sa-east", "me-central"]
STATES = [("every region up", [])]
STATES += [("%s down" % r, [("regions", r, "down")]) for r in regions]
STATES += [("eu-west and eu-central down (the eu pin has nothing)", [("regions", "eu-west", "down"),
									  ("regions", "eu-central", "down")])]
STATES += [("every region down (all_down policies)", [("regions", r, "down") for r in regions])]
STATES += [("endpoint 192.0.2.10 down (a subset of us-east)", [("endpoints", "192.0.2.10", "down")])]
STATES += [("endpoint 192.0.2.11 down, us-east forced up", [("endpoints", "192.0.2.11", "down"),
							     ("regions", "us-east", "up")])]
STATES += [("us-east forced up, both its v4 endpoints forced down", [("regions", "us-east", "up"),
								     ("endpoints", "192.0.2.10", "down"),
								     ("endpoints", "192.0.2.11", "down")])]
STATES += [("every region forced up", [("regions", r, "up") for r in regions])]


def ttl0_nodata(family):
	def check(r):
		if r.rcode() != dns.rcode.NOERROR or any(s.rdtype == family for s in r.answer):
			return []
		own = [s for s in nsecs(r) if s.name == r.question[0].name]
		if own and family in types_of(own[0]):
			return ["the NODATA NSEC lists the family"]
		return []
	return check


geo_count = 0
seen_ttl0 = 0
for desc, forced in STATES:
	for cp in (cport, ucport):
		for kind, what, state in forced:
			code = force_state(cp, token, kind, what, state)
			if code != 200:
				t.fail("forcing %s %s %s: HTTP %s" % (kind, what, state, code))
	before = len(failures)
	n = 0
	for origin, g in geo_names:
		name = "%s.%s" % (g, origin)
		for client in CLIENTS:
			for fam in (dns.rdatatype.A, dns.rdatatype.AAAA):
				r = check_answer("%s: %s %s from %s" % (desc, name, dns.rdatatype.to_text(fam), client), name,
						 fam, client, ttl0_nodata(fam))
				seen_ttl0 += any(s.rdtype == NSEC and s.ttl == 0 for s in r.authority)
				same_without_do("%s: %s %s from %s" % (desc, name, dns.rdatatype.to_text(fam), client), name,
						fam, client)
				n += 1
	geo_count += n
	t.check(len(failures) == before, "%s: %d geo answers validate (%d clients x %d names x 2 families), "
		"non-DO ones are the unsigned server's" % (desc, n, len(CLIENTS), len(geo_names)))
	for cp in (cport, ucport):
		for kind, what, state in forced:
			force_state(cp, token, kind, what, "auto")
	if len(failures) > 20:
		break
t.check(seen_ttl0 > 0, "pinned NODATA for a family other clients get came with a TTL-0 NSEC (%d answers)" % seen_ttl0)
print("validated %d static and %d geo DO answers" % (count, geo_count))
t.finish()

#!/usr/bin/python3
"""NSD as the oracle: the same zones, the same queries, the same answers.

  nsd_diff.py gen OUTDIR NSD_PORT IDENTITY ZONE.json...
      write OUTDIR/<origin>zone (RFC 1035 text; geo names skipped, NSD knows
      nothing of them) and OUTDIR/nsd.conf
  nsd_diff.py compare DNSD_PORT NSD_PORT OUTDIR
      send every query in QUERIES to both and compare (OUTDIR: the zone
      text written by gen, the truth for ANY)

Compared: rcode, opcode, the AA TC RD RA CD AD flags, the question (exact
case), the answer section as a set of records with exact owner case (0x20),
authority and additional as case-insensitive sets, the presence and version
of OPT and the NSID.  A truncated (TC) pair compares header only: what a
server packs into a truncated answer is its own choice.  Deliberate
differences are written out in EXPECTED_DIFF with the reason.
"""
import json
import os
import sys

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from systest import Tally, ask, make_query

ADDR = "127.0.0.1"

# (qname, qtype, options).  Options: tcp, noedns, payload=N, rd, nsid.
# Geo names (www, api) and the CNAME to one (docs) are left out: NSD serves
# them as missing names.
QUERIES = [
	("example.com.", "SOA", ""),
	("example.com.", "NS", ""),
	("example.com.", "MX", ""),
	("example.com.", "TXT", ""),
	("example.com.", "CAA", ""),
	("example.com.", "A", ""),
	("example.com.", "AAAA", "tcp"),
	("example.com.", "DS", ""),
	("example.com.", "DNSKEY", ""),
	("ns1.example.com.", "A", ""),
	("ns1.example.com.", "AAAA", ""),
	("ns1.example.com.", "SRV", ""),
	("ns2.example.com.", "A", "tcp"),
	("ns2.example.com.", "AAAA", ""),
	("mail.example.com.", "A", ""),
	("mail.example.com.", "MX", ""),
	("help.example.com.", "A", ""),
	("help.example.com.", "AAAA", "tcp"),
	("help.example.com.", "CNAME", ""),
	("help.example.com.", "TXT", ""),
	("manual.example.com.", "A", ""),
	("www2.example.com.", "A", ""),
	("elsewhere.example.com.", "A", ""),
	("_sip._tcp.example.com.", "SRV", ""),
	("_tcp.example.com.", "SRV", ""),
	("sip.example.com.", "A", ""),
	("foo.dev.example.com.", "A", ""),
	("a.b.dev.example.com.", "A", ""),
	("foo.dev.example.com.", "TXT", ""),
	("foo.dev.example.com.", "AAAA", ""),
	("foo.dev.example.com.", "ANY", "tcp"),
	("exact.dev.example.com.", "A", ""),
	("exact.dev.example.com.", "TXT", ""),
	("x.exact.dev.example.com.", "A", ""),
	("*.dev.example.com.", "A", ""),
	("dev.example.com.", "A", ""),
	("b.deep.example.com.", "A", ""),
	("deep.example.com.", "TXT", ""),
	("c.deep.example.com.", "A", ""),
	("x.b.deep.example.com.", "A", ""),
	("a.b.deep.example.com.", "TXT", ""),
	("host.lab.example.com.", "A", ""),
	("host.lab.example.com.", "A", "tcp"),
	("lab.example.com.", "NS", ""),
	("lab.example.com.", "A", ""),
	("lab.example.com.", "DS", ""),
	("lab.example.com.", "DS", "tcp"),
	("host.lab.example.com.", "DS", ""),
	("ns.lab.example.com.", "A", ""),
	("ns.lab.example.com.", "AAAA", ""),
	("ns2.lab.example.com.", "A", ""),
	("nonexistent.example.com.", "A", ""),
	("nonexistent.example.com.", "AAAA", "tcp"),
	("info.example.com.", "TXT", ""),
	("pointer.example.com.", "PTR", ""),
	("opaque.example.com.", "TYPE65280", ""),
	("opaque.example.com.", "A", ""),
	("v6only.example.com.", "AAAA", ""),
	("v6only.example.com.", "A", ""),
	("example.com.", "ANY", ""),
	("ns1.example.com.", "ANY", ""),
	("nonexistent.example.com.", "ANY", ""),
	("nS1.ExAmPlE.cOm.", "A", ""),
	("FoO.dEv.ExAmPlE.CoM.", "A", ""),
	("HeLp.ExAmPlE.CoM.", "A", ""),
	("NoNeXiStEnT.eXaMpLe.CoM.", "A", ""),
	("HoSt.LaB.eXaMpLe.CoM.", "A", ""),
	("ns1.example.com.", "A", "noedns"),
	("example.com.", "NS", "noedns"),
	("ns1.example.com.", "A", "rd"),
	("ns1.example.com.", "A", "nsid"),
	("ns1.example.com.", "A", "payload=512"),
	("big.example.com.", "TXT", "tcp"),
	("big.example.com.", "TXT", "payload=512"),
	("big.example.com.", "TXT", "noedns"),
	("big.example.com.", "TXT", "payload=4096"),
	("www.sub.example.com.", "A", ""),
	("sub.example.com.", "SOA", ""),
	("sub.example.com.", "NS", ""),
	("nothing.sub.example.com.", "A", ""),
	("www.example.org.", "A", ""),
	("org.", "SOA", ""),
	# DNAME: substitution into the zone, the owner's own data and the
	# DNAME as data, type DNAME below the owner, CNAME and ANY below it,
	# out of the zone, into its own subtree, YXDOMAIN, chains both ways
	("mail.old.example.com.", "A", ""),
	("MaIl.OlD.eXaMpLe.CoM.", "MX", ""),
	("foo.dev.old.example.com.", "A", ""),
	("nonexistent.old.example.com.", "A", ""),
	("old.example.com.", "DNAME", ""),
	("old.example.com.", "TXT", ""),
	("old.example.com.", "A", ""),
	("mail.old.example.com.", "DNAME", ""),
	("help.old.example.com.", "CNAME", ""),
	("help.old.example.com.", "A", ""),
	("mail.old.example.com.", "ANY", ""),
	("host.lab.old.example.com.", "A", ""),
	("a.b.ext.example.com.", "A", ""),
	("a.self.example.com.", "A", ""),
	("a.long.example.com.", "A", ""),
	("%s.%s.long.example.com." % ("q" * 40, "q" * 40), "A", ""),
	("%s.%s.long.example.com." % ("q" * 40, "q" * 40), "A", "tcp"),
	("via.example.com.", "A", ""),
	("old.old.example.com.", "TXT", ""),
	# additional data: NAPTR replacement, SVCB/HTTPS TargetName
	("naptr.example.com.", "NAPTR", ""),
	("svc.example.com.", "SVCB", ""),
	("web.example.com.", "HTTPS", ""),
	("alias.example.com.", "HTTPS", ""),
	("nohttps.example.com.", "HTTPS", ""),
]

# Deliberate differences, keyed by (qname lower-cased, qtype).
#   "minimal-any": RFC 8482 lets each server pick which RRset(s) answer ANY
#   (NSD 4.6 picks one, e.g. the SOA at the apex; dnsd may pick another), so
#   the answer and its additional data are not compared with NSD; instead
#   dnsd's answer must be a non-empty subset of the RRsets the zone has at
#   the name, and not all of them when there are several.  Rcode, flags,
#   question and authority must still match NSD.
EXPECTED_DIFF = {
	("example.com.", "ANY"): "minimal-any",
	("ns1.example.com.", "ANY"): "minimal-any",
	("foo.dev.example.com.", "ANY"): "minimal-any",
}

FLAGS = (("aa", dns.flags.AA), ("tc", dns.flags.TC), ("rd", dns.flags.RD), ("ra", dns.flags.RA),
	 ("cd", dns.flags.CD), ("ad", dns.flags.AD))


# Additional-section policy, for every query: both servers run "minimal"
# (NSD with minimal-responses: yes; without it NSD also puts the apex NS
# RRset in the authority of every positive answer, which dnsd does not).
# dnsd still adds the in-zone addresses of MX exchanges, SRV targets,
# NAPTR replacements and SVCB/HTTPS TargetNames named in the answer
# (RFC 1035 3.3.9, RFC 2782, RFC 3403 4.1, RFC 9460 4.1; a ServiceMode
# TargetName "." is the owner), which minimal NSD leaves out.  So dnsd's
# additional section must hold all of NSD's, and any extra record must be
# an A/AAAA of such a target.
def extra_additional_ok(m, extra):
	targets = set()
	for rrset in m.answer:
		for rd in rrset:
			if rrset.rdtype == dns.rdatatype.MX:
				targets.add(rd.exchange.to_text().lower())
			elif rrset.rdtype == dns.rdatatype.SRV:
				targets.add(rd.target.to_text().lower())
			elif rrset.rdtype == dns.rdatatype.NAPTR:
				targets.add(rd.replacement.to_text().lower())
			elif rrset.rdtype in (dns.rdatatype.SVCB, dns.rdatatype.HTTPS):
				t = rd.target.to_text().lower()
				targets.add(rrset.name.to_text().lower() if t == "." and rd.priority > 0 else t)
	for line in extra:
		f = line.split()
		if f[0] not in targets or f[3] not in ("a", "aaaa"):
			return False
	return True


def rr_lines(section, keep_case):
	out = set()
	for rrset in section:
		for rd in rrset:
			line = "%s %d %s %s %s" % (rrset.name.to_text(), rrset.ttl, dns.rdataclass.to_text(rrset.rdclass),
						   dns.rdatatype.to_text(rrset.rdtype), rd.to_text())
			out.add(line if keep_case else line.lower())
	return out


def summary(m):
	flags = [n for n, bit in FLAGS if m.flags & bit]
	out = {
		"rcode": dns.rcode.to_text(m.rcode()),
		"opcode": m.opcode(),
		"flags": " ".join(flags),
		"question": sorted("%s %s" % (q.name.to_text(), dns.rdatatype.to_text(q.rdtype)) for q in m.question),
		"answer": rr_lines(m.answer, True),
		"authority": rr_lines(m.authority, False),
		"additional": rr_lines(m.additional, False),
		"edns": m.edns,
	}
	nsid = [o for o in (m.options or []) if o.otype == dns.edns.NSID]
	out["nsid"] = nsid[0].to_wire() if nsid else None
	return out


def diff(a, b, keys):
	lines = []
	for k in keys:
		if a[k] != b[k]:
			if isinstance(a[k], set):
				for x in sorted(a[k] - b[k]):
					lines.append("%s: dnsd only: %s" % (k, x))
				for x in sorted(b[k] - a[k]):
					lines.append("%s: nsd only:  %s" % (k, x))
			else:
				lines.append("%s: dnsd %r, nsd %r" % (k, a[k], b[k]))
	return lines


def build(qname, qtype, opts):
	opts = opts.split(",") if opts else []
	edns = None if "noedns" in opts else 0
	payload = 1232
	options = []
	for o in opts:
		if o.startswith("payload="):
			payload = int(o.split("=")[1])
	if "nsid" in opts:
		options.append(dns.edns.GenericOption(dns.edns.NSID, b""))
	q = make_query(qname, qtype, edns=edns, payload=payload, rd="rd" in opts, options=options or None)
	return q, "tcp" in opts


def zone_truth(outdir):
	"""name (lower-case text) -> {rdtype: frozenset of rdata text} from gen's zone files."""
	import dns.zone
	truth = {}
	for fname in os.listdir(outdir):
		if not fname.endswith(".zone"):
			continue
		z = dns.zone.from_file(os.path.join(outdir, fname), origin=fname[:-4], relativize=False)
		for name, node in z.nodes.items():
			d = truth.setdefault(name.to_text().lower(), {})
			for rds in node.rdatasets:
				d[rds.rdtype] = frozenset(rd.to_text() for rd in rds)
	return truth


def compare(dnsd_port, nsd_port, outdir, T):
	truth = zone_truth(outdir)
	for qname, qtype, opts in QUERIES:
		desc = "%s %s%s" % (qname, qtype, " [%s]" % opts if opts else "")
		q, tcp = build(qname, qtype, opts)
		rd, _, err_d = ask(ADDR, dnsd_port, q, tcp=tcp)
		rn, _, err_n = ask(ADDR, nsd_port, q, tcp=tcp)
		if rn is None:
			T.fail(desc + ": NSD did not answer (test harness problem): " + err_n)
			continue
		if rd is None:
			T.fail(desc + ": dnsd: " + err_d, "NSD said:\n" + rn.to_text())
			continue
		a, b = summary(rd), summary(rn)
		if rd.id != q.id:
			T.fail(desc + ": dnsd reply id %d, query id %d" % (rd.id, q.id))
			continue
		keys = ["rcode", "opcode", "flags", "question", "answer", "authority", "additional", "edns", "nsid"]
		note = ""
		if rd.flags & dns.flags.TC and rn.flags & dns.flags.TC:
			keys = ["rcode", "opcode", "flags", "question", "edns"]
			note = " (both truncated: header compared)"
		kind = EXPECTED_DIFF.get((qname.lower(), qtype))
		if kind == "minimal-any":
			keys = [k for k in keys if k not in ("answer", "additional")]
			full = truth.get(qname.lower()) or truth.get("*." + qname.lower().split(".", 1)[1], {})
			got = {}
			for rrset in rd.answer:
				got[rrset.rdtype] = frozenset(x.to_text() for x in rrset)
			hinfo = list(got) == [dns.rdatatype.HINFO]
			same_owner = all(r.name.to_text().lower() == qname.lower() for r in rd.answer)
			minimal = hinfo or (got and same_owner and all(full.get(t) == v for t, v in got.items())
					    and (len(got) < len(full) or len(full) <= 1))
			if not minimal:
				T.fail(desc + ": RFC 8482 minimal ANY expected: a non-empty subset of the %d RRsets "
				       "at the name, not all" % len(full), "dnsd:\n%s" % rd.to_text())
				continue
			note = " (minimal ANY: %d of %d RRsets)" % (len(got), len(full))
		if "additional" in keys and a["additional"] != b["additional"]:
			extra = a["additional"] - b["additional"]
			if b["additional"] <= a["additional"] and extra_additional_ok(rd, extra):
				keys.remove("additional")
				note += " (+%d target address%s in additional)" % (len(extra), "es" if len(extra) > 1 else "")
		lines = diff(a, b, keys)
		T.check(not lines, desc + (": same as NSD" + note if not lines else ": differs from NSD"),
			"\n".join(lines) + "\n--- dnsd:\n" + rd.to_text() + "\n--- nsd:\n" + rn.to_text())


def zone_text(z):
	origin = z["origin"]
	ttl = z.get("ttl", 3600)
	soa = z["soa"]
	lines = ["$ORIGIN %s" % origin, "$TTL %d" % ttl]
	lines.append("@ %d IN SOA %s %s %d %d %d %d %d" % (
		soa.get("ttl", ttl), soa["mname"], soa["rname"], soa.get("serial", 1), soa.get("refresh", 3600),
		soa.get("retry", 600), soa.get("expire", 1209600), soa.get("minimum", 300)))
	for owner, types in z["records"].items():
		owner_ttl = types.get("ttl", ttl)
		for rtype, val in types.items():
			if rtype == "ttl":
				continue
			rr_ttl = owner_ttl
			if isinstance(val, dict):
				rr_ttl = val.get("ttl", owner_ttl)
				val = val["data"]
			if isinstance(val, str):
				val = [val]
			for rdata in val:
				lines.append("%s %d IN %s %s" % (owner, rr_ttl, rtype, rdata))
	return "\n".join(lines) + "\n"


def nsd_conf_lines(outdir, port, identity):
	"""nsd.conf's server: and remote-control: parts for NSD on ADDR:port,
	everything under outdir, answers comparable with dnsd's (minimal
	responses, no round robin, no RRL, ANY answered)."""
	return ["server:",
		"\tip-address: %s@%s" % (ADDR, port),
		"\tport: %s" % port,
		"\tdo-ip6: no",
		"\tserver-count: 1",
		"\tusername: \"\"",
		"\tchroot: \"\"",
		"\tzonesdir: \"%s\"" % outdir,
		"\tpidfile: \"%s/nsd.pid\"" % outdir,
		"\tdatabase: \"\"",
		"\tzonelistfile: \"%s/zone.list\"" % outdir,
		"\txfrdfile: \"%s/xfrd.state\"" % outdir,
		"\txfrdir: \"%s\"" % outdir,
		"\tlogfile: \"%s/nsd.log\"" % outdir,
		"\tverbosity: 0",
		"\thide-version: no",
		"\thide-identity: no",
		"\tidentity: \"%s\"" % identity,
		"\tnsid: \"ascii_%s\"" % identity,
		"\trefuse-any: no",
		"\trrl-ratelimit: 0",
		"\tround-robin: no",
		"\tminimal-responses: yes",
		"remote-control:",
		"\tcontrol-enable: no"]


def gen(outdir, port, identity, zone_files):
	conf = nsd_conf_lines(outdir, port, identity)
	for path in zone_files:
		with open(path) as f:
			z = json.load(f)
		fname = z["origin"] + "zone"
		with open(os.path.join(outdir, fname), "w") as f:
			f.write(zone_text(z))
		conf += ["zone:", "\tname: \"%s\"" % z["origin"], "\tzonefile: \"%s\"" % fname]
	with open(os.path.join(outdir, "nsd.conf"), "w") as f:
		f.write("\n".join(conf) + "\n")


def main():
	if sys.argv[1] == "gen":
		gen(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
		return
	T = Tally()
	compare(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], T)
	T.finish()


if __name__ == "__main__":
	main()

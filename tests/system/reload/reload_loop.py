"""Reloads under a steady query stream, each one changing the zone.

  reload_loop.py PORT CONTROL_PORT TOKEN ZONE_FILE COUNT

Generation 0 is loaded first.  Reload k (1..COUNT) rewrites ZONE_FILE with SOA serial SERIAL0 + k and
www.reload.test A ADDR(k), then POSTs /v1/reload, which answers once the new
zone set is swapped in (docs/architecture.md).  Meanwhile two threads ask
www A and the apex SOA, one query at a time, and note when each was sent and
answered.  Every answer names one generation (its address or serial), and:

  - nothing is lost: every query gets NOERROR with exactly one record of
    some generation;
  - after reload k returned, no query sent from then on gets an older
    generation than k;
  - before reload k began, no answer received carries generation k or later
    (the zone file is written before the request, so this proves the server
    serves only what it has loaded);
  - within one thread, generations never go back: a query sent after an
    answer of generation g gets g or later;
  - queries did overlap reloads, so the checks above had something to see.

Prints "ok"/"FAIL" lines and ends with "N passed, M failed".
"""
import json
import os
import sys
import threading
import time
import urllib.request

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from systest import Tally

port, ctl, token, zone_file, count = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
				       sys.argv[4], int(sys.argv[5]))
SERIAL0 = 1000
# Filler records make each load take a little time, so that queries land
# inside reloads and not only between them.
FILLER = 300
T = Tally()


def addr(k):
	return "10.77.%d.%d" % (k // 250, k % 250 + 1)


def write_zone(k):
	records = {
		"@": {"NS": ["ns1"]},
		"ns1": {"A": ["192.0.2.53"]},
		"www": {"A": [addr(k)]},
	}
	for i in range(FILLER):
		records["f%d" % i] = {"TXT": ['"filler %d generation %d"' % (i, k)]}
	zone = {"origin": "reload.test.", "ttl": 300,
		"soa": {"mname": "ns1", "rname": "hostmaster", "serial": SERIAL0 + k, "minimum": 60},
		"records": records}
	tmp = zone_file + ".tmp"
	with open(tmp, "w") as f:
		json.dump(zone, f)
	# rename: dnsd never reads a half-written file
	os.replace(tmp, zone_file)


def reload():
	req = urllib.request.Request("http://127.0.0.1:%d/v1/reload" % ctl, data=b"", method="POST",
				     headers={"Authorization": "Bearer " + token})
	with urllib.request.urlopen(req, timeout=10) as r:
		return r.status, r.read().decode()


GEN_OF_ADDR = {addr(k): k for k in range(count + 1)}
stop = threading.Event()
# per thread: [(sent, received, generation or None, problem or None)]
results = [[], []]


def asker(idx):
	out = results[idx]
	qtypes = ("A", "SOA")
	n = 0
	while not stop.is_set():
		qtype = qtypes[(n + idx) % 2]
		n += 1
		name = "www.reload.test." if qtype == "A" else "reload.test."
		q = dns.message.make_query(name, qtype)
		sent = time.monotonic()
		try:
			r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
		except Exception as e:
			out.append((sent, time.monotonic(), None, "lost: %s %s" % (qtype, e or type(e).__name__)))
			continue
		got = time.monotonic()
		rrs = [rr for rrset in r.answer if rrset.rdtype == dns.rdatatype.from_text(qtype) for rr in rrset]
		if r.rcode() != dns.rcode.NOERROR or len(rrs) != 1:
			out.append((sent, got, None, "%s: rcode %s, %d records" % (qtype, dns.rcode.to_text(r.rcode()), len(rrs))))
			continue
		if qtype == "A":
			g = GEN_OF_ADDR.get(rrs[0].address)
		else:
			g = rrs[0].serial - SERIAL0 if 0 <= rrs[0].serial - SERIAL0 <= count else None
		out.append((sent, got, g, None if g is not None else "%s: unknown content %s" % (qtype, rrs[0])))


def main():
	# generation 0: loaded before any query is asked
	write_zone(0)
	status, body = reload()
	if status != 200:
		T.fail("reload of generation 0: HTTP %s %s" % (status, body))
		T.finish()
	threads = [threading.Thread(target=asker, args=(i,), daemon=True) for i in range(2)]
	for t in threads:
		t.start()
	time.sleep(0.2)		# some answers of generation 0 first: time passes on purpose
	windows = []		# (k, began, returned)
	errors = []
	for k in range(1, count + 1):
		write_zone(k)
		began = time.monotonic()
		try:
			status, body = reload()
		except Exception as e:
			status, body = None, str(e)
		returned = time.monotonic()
		windows.append((k, began, returned))
		if status != 200 or '"result": "ok"' not in body:
			errors.append("reload %d: HTTP %s %s" % (k, status, body[:200]))
	time.sleep(0.2)		# and some answers after the last one, on purpose
	stop.set()
	for t in threads:
		t.join(5)

	T.check(not errors, "%d reloads through POST /v1/reload, each 200 ok" % count, "\n".join(errors[:5]))
	answers = [a for out in results for a in out]
	lost = [a for a in answers if a[3] is not None]
	T.check(len(answers) >= 200 and not lost,
		"%d queries during the reloads, none lost or wrong" % len(answers),
		"\n".join(a[3] for a in lost[:10]) or "too few queries")

	stale, early = [], []
	for k, began, returned in windows:
		for sent, got, g, _ in answers:
			if g is None:
				continue
			if sent > returned and g < k:
				stale.append("query sent %.1f ms after reload %d returned got generation %d"
					     % ((sent - returned) * 1e3, k, g))
			if got < began and g >= k:
				early.append("answer received %.1f ms before reload %d began has generation %d"
					     % ((began - got) * 1e3, k, g))
	T.check(not stale, "after each reload returned, no answer carries the old content", "\n".join(stale[:10]))
	T.check(not early, "before each reload began, no answer carries its new content", "\n".join(early[:10]))

	back = []
	for idx, out in enumerate(results):
		hi = (0, None)	# highest generation answered so far, and when
		for sent, got, g, _ in out:
			if g is None:
				continue
			if g < hi[0] and sent > hi[1]:
				back.append("thread %d: generation %d after %d" % (idx, g, hi[0]))
			if g > hi[0]:
				hi = (g, got)
	T.check(not back, "no query goes back to an older generation", "\n".join(back[:10]))

	inside = sum(1 for sent, got, g, _ in answers
		     if g is not None and any(sent < returned and got > began for _, began, returned in windows))
	seen = {g for _, _, g, _ in answers if g is not None}
	T.check(inside >= 10 and len(seen) >= count // 2,
		"%d answers overlapped a reload; %d of %d generations seen" % (inside, len(seen), count + 1))
	T.finish()


main()

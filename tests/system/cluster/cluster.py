#!/usr/bin/env python3
"""cluster.py DNSD_BIN TMPDIR PORT*13 -- the driver of tests/system/cluster
(run.sh says what it checks).  Starts and always stops its own etcd
members, backends and dnsd nodes; every wait has a deadline."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import dns.edns
import dns.message

from systest import Tally, make_query

DNSD, TMP = sys.argv[1], sys.argv[2]
PORTS = [int(p) for p in sys.argv[3:16]]
ETCD_CLIENT, ETCD_PEER = PORTS[0:3], PORTS[3:6]
DNS_PORT, CTL_PORT = PORTS[6:9], PORTS[9:12]
BACKEND_PORT = PORTS[12]
TOKEN = "test-token"
NODES = ["ns1", "ns2", "ns3"]
SOURCE = {"ns1": "127.0.0.11", "ns2": "127.0.0.12", "ns3": "127.0.0.13"}
EU_WEST, EU_CENTRAL, US_EAST = "127.0.0.3", "127.0.0.4", "127.0.0.2"
IN_PIN = {EU_WEST, EU_CENTRAL}
# checks every 0.5 s, timeout 0.4 s, fall 2: failover within
# 0.5 * 2 + 0.4 + 1 = 2.4 s of a backend failing (docs/health.md)
INTERVAL, TIMEOUT, RISE, FALL, LEASE = 0.5, 0.4, 2, 2, 3
FAILOVER = INTERVAL * FALL + TIMEOUT + 1
RECOVERY = INTERVAL * RISE + 1
MODES = os.path.join(TMP, "modes")
PINNED_CLIENT = "10.20.1.0"	# located in IE: strict pin eu

t = Tally()
procs = {}
figures = []


def stop_all():
	"""dnsd nodes get SIGTERM (a clean exit, where sanitizers report), the
	rest SIGKILL; anything still there after 10 s is killed."""
	for name, p in procs.items():
		if p.poll() is None:
			if name.startswith("ns"):
				p.terminate()
			else:
				p.kill()
	for name, p in procs.items():
		try:
			p.wait(10)
		except subprocess.TimeoutExpired:
			t.fail("%s did not exit within 10 s of SIGTERM" % name)
			p.kill()
			p.wait()
	procs.clear()


signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def spawn(name, argv):
	log = open(os.path.join(TMP, name + ".log"), "ab")
	procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_for(seconds, fn, step=0.02):
	"""fn() until true or the deadline: (result, seconds taken)."""
	start = time.monotonic()
	while True:
		r = fn()
		if r or time.monotonic() - start > seconds:
			return r, time.monotonic() - start
		time.sleep(step)


# --- etcd --------------------------------------------------------------------

def etcd_start(i):
	cluster = ",".join("e%d=http://127.0.0.1:%d" % (j + 1, ETCD_PEER[j]) for j in range(3))
	spawn("e%d" % (i + 1), [
		"etcd", "--name", "e%d" % (i + 1), "--data-dir", os.path.join(TMP, "e%d" % (i + 1)),
		"--listen-client-urls", "http://127.0.0.1:%d" % ETCD_CLIENT[i],
		"--advertise-client-urls", "http://127.0.0.1:%d" % ETCD_CLIENT[i],
		"--listen-peer-urls", "http://127.0.0.1:%d" % ETCD_PEER[i],
		"--initial-advertise-peer-urls", "http://127.0.0.1:%d" % ETCD_PEER[i],
		"--initial-cluster", cluster, "--initial-cluster-state", "new",
		"--initial-cluster-token", "dnsd-test-%d" % os.getpid(),
		# fast elections: a restarted member rejoins within a second
		"--heartbeat-interval", "50", "--election-timeout", "500",
		"--logger", "zap", "--log-level", "error"])


def etcd_ok(i):
	try:
		req = urllib.request.Request("http://127.0.0.1:%d/v3/kv/range" % ETCD_CLIENT[i],
					     data=b'{"key":"Lw=="}', method="POST")
		with urllib.request.urlopen(req, timeout=1) as r:
			return r.status == 200
	except (OSError, urllib.error.URLError):
		return False


def etcd_kill(i):
	p = procs.pop("e%d" % (i + 1))
	p.kill()
	p.wait()


# --- dnsd nodes --------------------------------------------------------------

def write_config(n, quorum):
	i = NODES.index(n)
	# each node tries "its" member first, then the others
	urls = ["http://127.0.0.1:%d" % ETCD_CLIENT[(i + k) % 3] for k in range(3)]
	conf = {
		"listen": ["127.0.0.1:%d" % DNS_PORT[i]],
		"workers": 2,
		"zones": ["example.json"],
		"identity": n,
		"control": {"listen": "127.0.0.1:%d" % CTL_PORT[i], "token": TOKEN},
		"state_file": os.path.join(TMP, n + "-state.json"),
		"health": {"source": SOURCE[n]},
		"cluster": {"etcd": urls, "node": n, "prefix": "/dnsd/test/", "quorum": quorum, "lease": LEASE},
		"regions": {
			"us-east": {"location": [39.04, -77.49], "endpoints": [US_EAST], "check": "web"},
			"eu-west": {"location": [53.35, -6.26], "endpoints": [EU_WEST], "check": "web", "pin": "eu"},
			"eu-central": {"location": [50.11, 8.68], "endpoints": [EU_CENTRAL], "check": "web", "pin": "eu"},
		},
		"checks": {"web": {"type": "http", "port": BACKEND_PORT, "path": "/healthz", "expect": 200,
				   "interval": INTERVAL, "timeout": TIMEOUT, "rise": RISE, "fall": FALL}},
		"pins": {"eu": {"countries": ["IE", "DE"], "mode": "strict"}},
		"networks": {"10.20.0.0/16": {"country": "IE"}, "10.40.0.0/16": {"country": "US"}},
	}
	with open(os.path.join(TMP, n + ".json"), "w") as f:
		json.dump(conf, f, indent=1)


def node_start(n):
	spawn(n, [DNSD, "-c", os.path.join(TMP, n + ".json"), "--foreground"])


def api(n, method, path, body=None, timeout=5):
	"""(status, parsed JSON or text); (0, error) when nothing answered."""
	url = "http://127.0.0.1:%d%s" % (CTL_PORT[NODES.index(n)], path)
	data = json.dumps(body).encode() if body is not None else None
	req = urllib.request.Request(url, data=data, method=method,
				     headers={"Authorization": "Bearer " + TOKEN})
	try:
		with urllib.request.urlopen(req, timeout=timeout) as r:
			text = r.read().decode()
			status = r.status
	except urllib.error.HTTPError as e:
		text, status = e.read().decode(), e.code
	except (OSError, urllib.error.URLError) as e:
		return 0, str(e)
	try:
		return status, json.loads(text)
	except ValueError:
		return status, text


def force(n, kind, name, state):
	return api(n, "POST", "/v1/%s/%s/state" % (kind, name), {"state": state})


def cluster_of(n):
	st, body = api(n, "GET", "/v1/health", timeout=2)
	return body.get("cluster") if st == 200 and isinstance(body, dict) else None


def ask_www(n, client=PINNED_CLIENT, timeout=1.0):
	"""The set of A addresses node n answers the client, or None."""
	q = make_query("www.example.com.", "A",
		       options=[dns.edns.ECSOption(client, 24)])
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(timeout)
	try:
		s.sendto(q.to_wire(), ("127.0.0.1", DNS_PORT[NODES.index(n)]))
		while True:
			r = dns.message.from_wire(s.recv(4096))
			if r.id == q.id:
				return {rr.address for rrset in r.answer for rr in rrset}
	except (OSError, dns.exception.DNSException):
		return None
	finally:
		s.close()


def txt(n, name, rdclass="CH"):
	q = make_query(name, "TXT", rdclass)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.settimeout(1.0)
	try:
		s.sendto(q.to_wire(), ("127.0.0.1", DNS_PORT[NODES.index(n)]))
		r = dns.message.from_wire(s.recv(65535))
		return [b" ".join(rr.strings).decode() for rrset in r.answer for rr in rrset]
	except (OSError, dns.exception.DNSException):
		return []
	finally:
		s.close()


def fail_for(addr, sources):
	"""Backend addr answers 503 to checks from these sources."""
	with open(os.path.join(MODES, addr), "w") as f:
		f.write(" ".join(sources) + "\n")


def all_answer(nodes, want, seconds):
	"""Every node answers the pinned client exactly want: (ok, times)."""
	start = time.monotonic()
	seen = {}
	while time.monotonic() - start <= seconds and len(seen) < len(nodes):
		for n in nodes:
			if n not in seen and ask_www(n) == want:
				seen[n] = time.monotonic() - start
		time.sleep(0.01)
	return len(seen) == len(nodes), seen


def holds(nodes, want, seconds):
	"""Every node keeps answering want for that long."""
	end = time.monotonic() + seconds
	while time.monotonic() < end:
		for n in nodes:
			got = ask_www(n)
			if got != want:
				return False, "%s answered %s" % (n, got)
		time.sleep(0.05)
	return True, ""


# --- the query streams ----------------------------------------------------------

class Stream(threading.Thread):
	"""Asks one node every 20 ms; counts answers, losses, answers out of the pin."""

	def __init__(self, n):
		super().__init__(daemon=True)
		self.n, self.sent, self.lost, self.outside = n, 0, 0, []
		self.running = True

	def run(self):
		while self.running:
			got = ask_www(self.n)
			self.sent += 1
			if got is None:
				self.lost += 1
			elif not got or not got <= IN_PIN:
				self.outside.append(sorted(got))
			time.sleep(0.02)


def main():
	os.makedirs(MODES)
	with open(os.path.join(TMP, "example.json"), "w") as f:
		json.dump({"origin": "example.com.", "ttl": 300,
			   "soa": {"mname": "ns1", "rname": "hostmaster", "serial": 1, "refresh": 3600,
				   "retry": 600, "expire": 1209600, "minimum": 300},
			   "records": {"@": {"NS": ["ns1"]}, "ns1": {"A": ["192.0.2.53"]}},
			   "geo": {"www": {"regions": ["eu-west", "eu-central", "us-east"], "ttl": 5}}}, f)
	spawn("backend", [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "backend.py"),
			  str(BACKEND_PORT), MODES, US_EAST, EU_WEST, EU_CENTRAL])
	for i in range(3):
		etcd_start(i)
	ok, took = wait_for(20, lambda: all(etcd_ok(i) for i in range(3)), 0.1)
	if not t.check(ok, "3 etcd members answer (%.1f s)" % took):
		return
	for n in NODES:
		write_config(n, "majority")
		node_start(n)

	def converged():
		for n in NODES:
			c = cluster_of(n)
			if c is None or c["etcd"] != "connected" or len(c["nodes"]) != 3 or len(c["verdicts"]) != 9:
				return False
		return True
	ok, took = wait_for(20, converged, 0.1)
	if not t.check(ok, "3 nodes connected to etcd, each sees 3 nodes and 9 verdicts (%.1f s)" % took,
		       [cluster_of(n) for n in NODES]):
		return
	ok, _ = all_answer(NODES, {EU_WEST}, 5)
	t.check(ok, "every node answers the pinned client eu-west")
	lines = txt("ns1", "health.dnsd.")
	t.check(any(l.startswith("endpoint=%s " % EU_WEST) and "checkers=0/3" in l for l in lines) and
		"cluster node=ns1 etcd=connected" in lines, "health.dnsd. shows checkers=0/3 and the etcd link", lines)

	streams = [Stream(n) for n in NODES]
	for s in streams:
		s.start()

	# --- shared latency reports
	t0 = time.monotonic()
	st, _ = api("ns1", "POST", "/v1/latency",
		    {"reports": [{"prefix": "10.40.0.0/16", "region": "eu-central", "rtt_ms": 7.5}]})
	t.check(st == 200, "latency report accepted by ns1")

	def lat_on(n):
		st, body = api(n, "GET", "/v1/latency", timeout=2)
		return st == 200 and "10.40.0.0/16" in json.dumps(body)
	seen = {}
	while time.monotonic() - t0 < 3 and len(seen) < 2:
		for n in ("ns2", "ns3"):
			if n not in seen and lat_on(n):
				seen[n] = time.monotonic() - t0
		time.sleep(0.01)
	if t.check(len(seen) == 2, "the report reaches ns2 and ns3's latency tables within 3 s", seen):
		figures.append("latency report ns1 -> ns2/ns3: %.0f / %.0f ms (with the %d ms batch window)"
			       % (seen["ns2"] * 1000, seen["ns3"] * 1000, 200))

	# --- shared forced states
	t0 = time.monotonic()
	st, body = force("ns1", "regions", "eu-west", "down")
	t.check(st == 200, "force eu-west down on ns1: 200", body)
	ok, seen = all_answer(["ns2", "ns3"], {EU_CENTRAL}, 1.0)
	if t.check(ok, "ns2 and ns3 answer without eu-west within 1 s of the POST", seen):
		figures.append("forced state ns1 -> ns2/ns3 answering: %.0f / %.0f ms after the POST returned"
			       % (seen["ns2"] * 1000, seen["ns3"] * 1000))
	st, body = api("ns2", "GET", "/v1/health")
	eu = [r for r in body["regions"] if r["name"] == "eu-west"][0] if st == 200 else {}
	t.check(eu.get("forced") == "down" and eu.get("forced_by") == "ns1",
		"ns2's GET /v1/health lists eu-west forced down by ns1", eu)
	lines = txt("ns3", "health.dnsd.")
	t.check(any(l.startswith("region=eu-west ") and "forced=down forced_by=ns1" in l for l in lines),
		"ns3's health.dnsd. shows eu-west forced=down forced_by=ns1", lines)
	t0 = time.monotonic()
	st, _ = force("ns3", "regions", "eu-west", "auto")
	ok, seen = all_answer(NODES, {EU_WEST}, 1.0)
	if t.check(st == 200 and ok, "auto on ns3 brings eu-west back on every node within 1 s", seen):
		figures.append("forced auto ns3 -> all: max %.0f ms" % (max(seen.values()) * 1000))
	t.check(force("ns2", "regions", "nowhere", "down")[0] == 404, "an unknown region: 404")

	# --- verdicts and the majority
	def verdict_of(n, node, addr):
		c = cluster_of(n)
		if c is None:
			return None
		for v in c["verdicts"]:
			if v["node"] == node and v["endpoint"] == addr:
				return v["state"]
		return None

	def local_check(n, addr):
		st, body = api(n, "GET", "/v1/health", timeout=2)
		if st != 200:
			return None
		for r in body["regions"]:
			for e in r["endpoints"]:
				if e["address"] == addr:
					return e["check"]
	fail_for(EU_WEST, [SOURCE["ns2"]])
	ok, _ = wait_for(FAILOVER + 1, lambda: local_check("ns2", EU_WEST) == "down", 0.005)
	t_local = time.monotonic()
	t.check(ok, "ns2's own check sees eu-west down")
	ok, took = wait_for(2, lambda: verdict_of("ns1", "ns2", EU_WEST) == "down", 0.005)
	if t.check(ok, "ns1 has ns2's down verdict"):
		figures.append("verdict change ns2 -> ns1: %.0f ms (poll step 5 ms + API round trips)"
			       % ((time.monotonic() - t_local) * 1000))
	ok, why = holds(NODES, {EU_WEST}, FAILOVER + 0.5)
	t.check(ok, "majority: eu-west seen down by ns2 only, no node fails over (%.1f s)" % (FAILOVER + 0.5), why)
	expl = " ".join(txt("ns1", "www.example.com.", "CH"))
	t.check("region=eu-west a=up aaaa=none checkers=1/3" in expl, "ns1's explanation shows checkers=1/3", expl)

	t0 = time.monotonic()
	fail_for(EU_WEST, [SOURCE["ns2"], SOURCE["ns3"]])
	ok, seen = all_answer(NODES, {EU_CENTRAL}, FAILOVER + 1)
	if t.check(ok, "seen down by ns2 and ns3: every node fails over within %.1f s" % (FAILOVER + 1), seen):
		figures.append("failover on 2 of 3 verdicts: every node within %.2f s of the backend change"
			       % max(seen.values()))
	lines = txt("ns1", "health.dnsd.")
	t.check(any(l.startswith("endpoint=%s " % EU_WEST) and "state=down checkers=2/3" in l for l in lines),
		"ns1's health.dnsd. shows eu-west down checkers=2/3", lines)
	st, metrics = api("ns1", "GET", "/metrics")
	t.check(isinstance(metrics, str) and
		'dnsd_cluster_verdict_up{node="ns3",endpoint="%s"} 0' % EU_WEST in metrics and
		'dnsd_cluster_verdict_up{node="ns1",endpoint="%s"} 1' % EU_WEST in metrics and
		'dnsd_cluster_effective_up{endpoint="%s"} 0' % EU_WEST in metrics,
		"ns1's metrics show each node's verdict and the effective state")
	fail_for(EU_WEST, [])
	ok, seen = all_answer(NODES, {EU_WEST}, RECOVERY + 1)
	t.check(ok, "backend healthy again: every node back on eu-west within %.1f s" % (RECOVERY + 1), seen)

	# --- quorum "any", by reload
	for n in NODES:
		write_config(n, "any")
		t.check(api(n, "POST", "/v1/reload")[0] == 200, "%s reloads with quorum any" % n)
	t0 = time.monotonic()
	fail_for(EU_WEST, [SOURCE["ns2"]])
	ok, seen = all_answer(NODES, {EU_CENTRAL}, FAILOVER + 1)
	t.check(ok, "any: ns2's verdict alone fails every node over within %.1f s" % (FAILOVER + 1), seen)
	fail_for(EU_WEST, [])
	ok, seen = all_answer(NODES, {EU_WEST}, RECOVERY + 1)
	t.check(ok, "any: back on eu-west once ns2 sees it up", seen)
	for n in NODES:
		write_config(n, "majority")
		api(n, "POST", "/v1/reload")

	# --- etcd faults
	etcd_kill(0)
	ok, why = holds(NODES, {EU_WEST}, 2.5)
	t.check(ok, "one etcd member killed: answers unchanged", why)
	ok, took = wait_for(5, lambda: all((cluster_of(n) or {}).get("etcd") == "connected" for n in NODES), 0.1)
	t.check(ok, "one etcd member killed: every node connected (%.1f s)" % took)
	st, _ = force("ns1", "regions", "us-east", "up")
	t.check(st == 200, "one etcd member killed: a forced state POST on ns1 works")
	force("ns1", "regions", "us-east", "auto")

	etcd_kill(1)
	t_lost = time.monotonic()
	ok, took = wait_for(LEASE + 3, lambda: all((cluster_of(n) or {}).get("etcd") == "unreachable" for n in NODES),
			    0.1)
	t.check(ok, "two members killed (no quorum): every node says etcd unreachable (%.1f s)" % took)
	lines = txt("ns2", "health.dnsd.")
	t.check("cluster node=ns2 etcd=unreachable" in lines, "ns2's health.dnsd. shows etcd unreachable", lines)
	st, metrics = api("ns2", "GET", "/metrics")
	t.check(isinstance(metrics, str) and "dnsd_cluster_etcd_connected 0" in metrics,
		"ns2's metric dnsd_cluster_etcd_connected is 0")
	st, body = force("ns2", "regions", "eu-west", "down")
	t.check(st == 503 and isinstance(body, dict) and "error" in body,
		"no quorum: a forced state POST answers 503 with a JSON error", (st, body))
	ok, why = holds(NODES, {EU_WEST}, 1.0)
	t.check(ok, "no quorum: nodes keep answering with the last state (eu-west not forced anywhere)", why)

	t0 = time.monotonic()
	etcd_start(0)
	etcd_start(1)
	ok, took = wait_for(5, converged, 0.05)
	if t.check(ok, "members restarted: converged within 5 s (%.1f s)" % took):
		figures.append("etcd quorum back -> every node connected with 3 nodes, 9 verdicts: %.1f s" % took)
	st, _ = force("ns2", "regions", "eu-west", "down")
	ok, seen = all_answer(NODES, {EU_CENTRAL}, 1.0)
	t.check(st == 200 and ok, "after the outage a forced state reaches every node within 1 s", seen)
	force("ns2", "regions", "eu-west", "auto")
	ok, seen = all_answer(NODES, {EU_WEST}, 1.0)
	t.check(ok, "and auto brings eu-west back", seen)

	# --- a node dies (its own stream stops first: a query in flight at
	# the kill would count as lost)
	streams[2].running = False
	streams[2].join(3)
	p = procs.pop("ns3")
	p.kill()
	p.wait()

	def two_checkers():
		for n in ("ns1", "ns2"):
			if not any(l.startswith("endpoint=%s " % EU_WEST) and "checkers=0/2" in l
				   for l in txt(n, "health.dnsd.")):
				return False
		return True
	ok, took = wait_for(LEASE + 3, two_checkers, 0.1)
	t.check(ok, "ns3 killed: after its %d s lease ns1 and ns2 count 2 checkers (%.1f s)" % (LEASE, took))

	for s in streams:
		s.running = False
	for s in streams:
		s.join(3)
	for s in streams:
		t.check(s.sent > 100 and s.lost == 0, "%s's query stream: %d queries, %d without an answer"
			% (s.n, s.sent, s.lost))
		t.check(not s.outside, "%s never answered the strict-pinned client outside its pin" % s.n,
			s.outside[:5])

	# --- forced states survive the restart of every node
	st, _ = force("ns1", "regions", "eu-west", "down")
	ok, seen = all_answer(["ns1", "ns2"], {EU_CENTRAL}, 1.0)
	t.check(st == 200 and ok, "eu-west forced down through ns1", seen)
	for i in range(3):
		etcd_kill(i)
	for n in ("ns1", "ns2"):
		p = procs.pop(n)
		p.terminate()
		p.wait(10)
		node_start(n)
	ok, seen = all_answer(["ns1", "ns2"], {EU_CENTRAL}, 10)
	t.check(ok, "ns1 and ns2 restarted with every etcd member down serve eu-west forced down "
		"(state file)", seen)
	lines = txt("ns1", "health.dnsd.")
	t.check("cluster node=ns1 etcd=unreachable" in lines, "and say etcd is unreachable", lines)
	for i in range(3):
		etcd_start(i)
	ok, took = wait_for(20, lambda: all(etcd_ok(i) for i in range(3)), 0.1)
	t.check(ok, "every etcd member back (%.1f s)" % took)
	node_start("ns3")
	first, _ = wait_for(10, lambda: ask_www("ns3"), 0.05)
	t.check(first == {EU_CENTRAL}, "ns3, restarted from a state file without the force, answers from its "
		"first query with eu-west forced down (from etcd)", first)
	ok, took = wait_for(LEASE + 5, converged, 0.1)
	t.check(ok, "the three nodes converge again (%.1f s)" % took)
	st, body = api("ns3", "GET", "/v1/health")
	eu = [r for r in body["regions"] if r["name"] == "eu-west"][0] if st == 200 else {}
	t.check(eu.get("forced") == "down" and eu.get("forced_by") == "ns1",
		"ns3 lists eu-west forced down by ns1", eu)

	print("figures:")
	for f in figures:
		print("  " + f)


try:
	main()
except Exception as e:	# a crash of the driver is a failure, with its reason
	import traceback
	t.fail("driver error: %s" % e, traceback.format_exc())
finally:
	stop_all()
	for n in NODES:
		log = os.path.join(TMP, n + ".log")
		if t.failed and os.path.exists(log):
			print("--- %s log (tail)" % n)
			with open(log) as f:
				print("".join(f.readlines()[-25:]))
t.finish()

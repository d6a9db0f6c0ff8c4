#!/usr/bin/env python3
"""backend.py -- region backends for the cluster system test that answer
by who asks.

    backend.py PORT MODEDIR ADDR [ADDR...]

Serves GET /healthz on every ADDR:PORT (loopback).  MODEDIR/ADDR, re-read
on every request, holds the source addresses (one per line or space
separated) whose checks get 503; everyone else gets 200.  A missing or
empty file: 200 for all.  Stops on SIGTERM."""
import http.server
import os
import signal
import socketserver
import sys
import threading

PORT = int(sys.argv[1])
MODEDIR = sys.argv[2]
ADDRS = sys.argv[3:]


def failing_for(addr):
	try:
		with open(os.path.join(MODEDIR, addr)) as f:
			return set(f.read().split())
	except OSError:
		return set()


class Handler(http.server.BaseHTTPRequestHandler):
	protocol_version = "HTTP/1.0"

	def log_message(self, fmt, *args):
		pass

	def do_GET(self):
		me = self.server.server_address[0]
		bad = self.client_address[0] in failing_for(me)
		self.send_response(503 if bad else 200)
		self.send_header("Content-Length", "2")
		self.end_headers()
		self.wfile.write(b"no" if bad else b"ok")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
	daemon_threads = True
	allow_reuse_address = True


servers = [Server((a, PORT), Handler) for a in ADDRS]
for s in servers:
	threading.Thread(target=s.serve_forever, daemon=True).start()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
print("ready", flush=True)
signal.pause()

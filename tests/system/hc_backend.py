#!/usr/bin/env python3
"""hc_backend.py -- fake region backends for the health_* system tests.

    hc_backend.py PORT MODEDIR ADDR [ADDR...]

Serves GET /healthz on every ADDR:PORT (127.0.0.x loopback addresses).
What each one does is read from MODEDIR/ADDR (one word, re-read on every
request and every 50 ms; a missing file means "ok"):

    ok     200 "ok"
    503    503 "unhealthy"
    hang   accept, read the request, never answer (until the mode changes
           or 30 s pass)
    down   listening socket closed: connections are refused

With HC_TLS=CERT:KEY in the environment the backends speak HTTPS.
Requests are logged to stdout as "ADDR STATUS".  Loopback only; stops on
SIGTERM.
"""
import http.server
import os
import signal
import socketserver
import ssl
import sys
import threading
import time

PORT = int(sys.argv[1])
MODEDIR = sys.argv[2]
ADDRS = sys.argv[3:]
HANG_MAX = 30.0
TLS = None
if os.environ.get("HC_TLS"):
    TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    TLS.load_cert_chain(*os.environ["HC_TLS"].split(":", 1))


def mode_of(addr):
    try:
        with open(os.path.join(MODEDIR, addr)) as f:
            return f.read().strip() or "ok"
    except OSError:
        return "ok"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        addr = self.server.server_address[0]
        mode = mode_of(addr)
        if mode == "hang":
            end = time.monotonic() + HANG_MAX
            while time.monotonic() < end and mode_of(addr) == "hang":
                time.sleep(0.05)
            print(addr, "hung", flush=True)
            return
        status = 503 if mode == "503" else 200
        if self.path != "/healthz":
            status = 404
        body = b"ok\n" if status == 200 else b"unhealthy\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        print(addr, status, flush=True)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def supervise(addr):
    """Keeps ADDR's server open unless its mode is "down"."""
    srv = None
    while True:
        down = mode_of(addr) == "down"
        if down and srv is not None:
            srv.shutdown()
            srv.server_close()
            srv = None
            print(addr, "closed", flush=True)
        elif not down and srv is None:
            try:
                srv = Server((addr, PORT), Handler)
                if TLS is not None:
                    srv.socket = TLS.wrap_socket(srv.socket, server_side=True)
            except OSError as e:
                print(addr, "bind failed:", e, flush=True)
                time.sleep(0.2)
                continue
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                             daemon=True).start()
            print(addr, "listening", flush=True)
        time.sleep(0.05)


def main():
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    for addr in ADDRS:
        threading.Thread(target=supervise, args=(addr,), daemon=True).start()
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""scale_reload.py -- reloads under load for tools/bench/scale.sh.

Usage: scale_reload.py PID DNSPORT CTLPORT TOKEN ZONE ORIGIN SERIAL0 NAMES
                       GAP VERSION_FILE...

For each VERSION_FILE k (1, 2, ...; its SOA serial must be SERIAL0 + k and
its addresses must carry the version, as scale_gen.py --version k writes
them): waits GAP seconds, renames a copy of it over ZONE, then reloads the
server -- SIGHUP to PID for odd k, POST /v1/reload (bearer TOKEN) for even
k -- and polls the SOA every 2 ms until the new serial is served.  The
reload time is from the signal or request to the first answer with the new
serial.

Meanwhile a checker asks for random A-only owners of NAMES (about 2,000
queries a second, one at a time, 127.0.0.1 only) and checks every answer:
NOERROR, AA, one A record, and a version that may be served at that
moment -- not newer than the last reload started, not older than the
last one seen served (by the poller or by an earlier answer): a reload
must switch every name at once and never go back.

Prints key=value lines: one per reload, then a summary.  Standard library
only.
"""
import os
import random
import shutil
import signal
import socket
import struct
import sys
import threading
import time
import urllib.request

state = {"lo": 0, "hi": 0}
lock = threading.Lock()
stats = {"sent": 0, "ok": 0, "timeout": 0, "bad_rcode": 0, "bad_shape": 0,
         "too_old": 0, "too_new": 0, "examples": []}


def wire_name(name):
    return b"".join(bytes([len(x)]) + x.encode() for x in name.rstrip(".").split(".")) + b"\0"


def query(qid, name, qtype):
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + wire_name(name) + struct.pack(">HH", qtype, 1)


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += n + 1


def answers(msg):
    """(rcode, aa, [(type, rdata)]) of the answer section."""
    qid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    out = []
    for _ in range(an):
        off = skip_name(msg, off)
        t, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        out.append((t, msg[off:off + rdlen]))
        off += rdlen
    return flags & 15, bool(flags & 0x400), out


def checker(port, names, stop):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.connect(("127.0.0.1", port))
    rnd = random.Random(5)
    qid = 0
    next_t = time.monotonic()
    while not stop.is_set():
        next_t += 1 / 2000
        d = next_t - time.monotonic()
        if d > 0:
            time.sleep(d)
        qid = (qid + 1) & 0xFFFF
        name = rnd.choice(names)
        with lock:
            lo = state["lo"]
        s.send(query(qid, name, 1))
        stats["sent"] += 1
        try:
            while True:
                msg = s.recv(4096)
                if struct.unpack(">H", msg[:2])[0] == qid:
                    break
        except socket.timeout:
            stats["timeout"] += 1
            continue
        rcode, aa, an = answers(msg)
        with lock:
            hi = state["hi"]
        if rcode != 0:
            stats["bad_rcode"] += 1
            continue
        if not aa or len(an) != 1 or an[0][0] != 1 or len(an[0][1]) != 4:
            stats["bad_shape"] += 1
            continue
        v = an[0][1][0] - 10
        if v < lo:
            stats["too_old"] += 1
            stats["examples"].append(f"{name}:v{v}<{lo}")
        elif v > hi:
            stats["too_new"] += 1
            stats["examples"].append(f"{name}:v{v}>{hi}")
        else:
            stats["ok"] += 1
            with lock:
                state["lo"] = max(state["lo"], v)


def soa_serial(s, origin, qid):
    s.send(query(qid, origin, 6))
    while True:
        msg = s.recv(4096)
        if struct.unpack(">H", msg[:2])[0] == qid:
            break
    rcode, _, an = answers(msg)
    for t, rd in an:
        if t == 6:
            off = skip_name(rd, skip_name(rd, 0))
            return struct.unpack(">I", rd[off:off + 4])[0]
    return None


def post_reload(ctl, token, out):
    req = urllib.request.Request(f"http://127.0.0.1:{ctl}/v1/reload", data=b"", method="POST",
                                 headers={"Authorization": f"Bearer {token}"})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            out["status"] = r.status
            out["body"] = r.read().decode()[:200]
    except Exception as e:  # a 422 lands here too
        out["status"] = getattr(e, "code", -1)
        out["body"] = str(e)[:200]
    out["ms"] = (time.monotonic() - t0) * 1000


def main():
    pid, port, ctl, token, zone, origin, serial0, names_file, gap = sys.argv[1:10]
    versions = sys.argv[10:]
    pid, port, ctl, serial0, gap = int(pid), int(port), int(ctl), int(serial0), float(gap)
    names = [n.strip() for n in open(names_file) if n.strip()]
    with lock:
        state["lo"] = state["hi"] = 0
    stop = threading.Event()
    th = threading.Thread(target=checker, args=(port, names, stop), daemon=True)
    th.start()
    poll = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    poll.settimeout(1.0)
    poll.connect(("127.0.0.1", port))
    qid = 0
    durations = []
    failed = 0
    for k, vf in enumerate(versions, start=1):
        time.sleep(gap)
        shutil.copyfile(vf, zone + ".new")
        os.replace(zone + ".new", zone)
        method = "SIGHUP" if k % 2 else "POST"
        with lock:
            state["hi"] = k
        http = {}
        t0 = time.monotonic()
        if method == "SIGHUP":
            os.kill(pid, signal.SIGHUP)
            pt = None
        else:
            pt = threading.Thread(target=post_reload, args=(ctl, token, http))
            pt.start()
        served = None
        while time.monotonic() - t0 < 60:
            qid = (qid + 1) & 0xFFFF
            try:
                if soa_serial(poll, origin, qid) == serial0 + k:
                    served = time.monotonic() - t0
                    break
            except socket.timeout:
                pass
            time.sleep(0.002)
        with lock:
            if served is not None:
                state["lo"] = max(state["lo"], k)
        if pt is not None:
            pt.join()
        if served is None:
            failed += 1
            print(f"reload={k} method={method} served=never", flush=True)
        else:
            durations.append(served)
            extra = f" http_status={http.get('status')} http_ms={http.get('ms', 0):.0f}" if pt else ""
            print(f"reload={k} method={method} new_serial_after_ms={served * 1000:.0f}{extra}", flush=True)
    time.sleep(gap)
    stop.set()
    th.join()
    wrong = stats["bad_rcode"] + stats["bad_shape"] + stats["too_old"] + stats["too_new"]
    print(f"summary reloads={len(versions)} failed={failed} "
          f"max_ms={max(durations) * 1000 if durations else -1:.0f} "
          f"median_ms={sorted(durations)[len(durations) // 2] * 1000 if durations else -1:.0f} "
          f"checked={stats['sent']} ok={stats['ok']} wrong={wrong} timeouts={stats['timeout']} "
          f"bad_rcode={stats['bad_rcode']} bad_shape={stats['bad_shape']} "
          f"too_old={stats['too_old']} too_new={stats['too_new']}", flush=True)
    if stats["examples"]:
        print("examples " + " ".join(stats["examples"][:5]), flush=True)


if __name__ == "__main__":
    main()

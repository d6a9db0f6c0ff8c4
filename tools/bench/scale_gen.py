#!/usr/bin/env python3
"""scale_gen.py -- data for tools/bench/scale.sh.  Standard library only.

  scale_gen.py zone OUT.json N ORIGIN [--serial S] [--version V]
                    [--queries FILE] [--checkq FILE] [--stats FILE]
      A zone of exactly N records (the SOA and the apex NS included) shaped
      like a real one: mostly hosts with A, A+AAAA or AAAA, some CNAMEs to
      hosts, MX, TXT (SPF and verification strings), a quarter of the names
      one level down under 64 site labels (empty non-terminals).  --version V
      moves every address so an answer tells which version served it (first
      IPv4 octet 10+V, IPv6 2001:db8:V::).  --queries writes dnsperf lines
      (existing names with a type they have: every answer NOERROR with
      data), --checkq the A-only owners (for the answer checker), --stats
      the record count and wire size: the sum over every RR of owner (wire
      form, uncompressed) + type + class + TTL + RDLENGTH + RDATA.

  scale_gen.py health OUT.json ZONE NREGIONS PER_REGION CHECKPORT DNSPORT
                      CTLPORT [--check tcp|http|none]
      A server config with NREGIONS regions of PER_REGION IPv4 endpoints
      each, 127.1.R.E (R from 1, E from 1), every region checked by one
      check every second (none: the same regions, no checks).  Prints
      the endpoint addresses, one per line, to OUT.json.addrs.

Deterministic: fixed seeds.
"""
import json
import random
import sys

TXT_WORDS = ["v=spf1", "include:_spf.example.net", "ip4:192.0.2.0/24", "-all",
             "~all", "mx", "a"]


def wire_len(name):
    """Length of an absolute presentation name in wire form."""
    labels = [lb for lb in name.rstrip(".").split(".") if lb]
    return sum(len(lb) + 1 for lb in labels) + 1


def txt_rdlen(s):
    # one character-string per "..." chunk; our strings hold no escapes
    parts = [p for i, p in enumerate(s.split('"')) if i % 2 == 1]
    return sum(1 + len(p) for p in parts)


def gen_zone(args):
    out, n, origin = args[0], int(args[1]), args[2]
    opts = dict(zip(args[3::2], args[4::2]))
    serial = int(opts.get("--serial", "1"))
    ver = int(opts.get("--version", "0"))
    rnd = random.Random(4711)
    records = {}
    count = 0
    wire = 0
    queries = []
    checkq = []
    nonterm = set()

    def absname(owner):
        return origin if owner == "@" else f"{owner}.{origin}"

    def add(owner, rtype, rdatas, rdlens):
        nonlocal count, wire
        records.setdefault(owner, {})[rtype] = rdatas if len(rdatas) > 1 or rtype != "CNAME" else rdatas[0]
        count += len(rdatas)
        wl = wire_len(absname(owner))
        wire += sum(wl + 10 + rl for rl in rdlens)

    # SOA (counted like every RR) and the apex
    soa_rd = wire_len(f"ns1.{origin}") + wire_len(f"hostmaster.{origin}") + 20
    count += 1
    wire += wire_len(origin) + 10 + soa_rd
    add("@", "NS", ["ns1", "ns2"], [wire_len(f"ns1.{origin}"), wire_len(f"ns2.{origin}")])
    add("ns1", "A", ["192.0.2.53"], [4])
    add("ns2", "A", ["198.51.100.53"], [4])
    hosts = []      # owners with an address, for CNAME and MX targets
    i = 0
    while count < n:
        left = n - count
        i += 1
        label = f"{rnd.choice(['web', 'app', 'db', 'mail', 'vpn', 'srv', 'host', 'node'])}{i}"
        owner = label
        if rnd.random() < 0.25:
            site = f"site{rnd.randrange(64)}"
            owner = f"{label}.{site}"
            nonterm.add(site)
        a = f"{10 + ver}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        aaaa = f"2001:db8:{ver:x}::{i >> 16:x}:{i & 0xffff:x}"
        x = rnd.random()
        if x < 0.55 or left == 1:
            add(owner, "A", [a], [4])
            hosts.append(owner)
            queries.append(f"{absname(owner)} A")
            checkq.append(absname(owner))
        elif x < 0.72:
            add(owner, "A", [a], [4])
            add(owner, "AAAA", [aaaa], [16])
            hosts.append(owner)
            queries.append(f"{absname(owner)} {'A' if i % 2 else 'AAAA'}")
        elif x < 0.80:
            add(owner, "AAAA", [aaaa], [16])
            queries.append(f"{absname(owner)} AAAA")
        elif x < 0.88 and hosts:
            t = rnd.choice(hosts)
            add(owner, "CNAME", [t], [wire_len(absname(t))])
            queries.append(f"{absname(owner)} CNAME")
        elif x < 0.92 and hosts:
            t1, t2 = rnd.choice(hosts), rnd.choice(hosts)
            add(owner, "MX", [f"10 {t1}", f"20 {t2}"],
                [2 + wire_len(absname(t1)), 2 + wire_len(absname(t2))])
            queries.append(f"{absname(owner)} MX")
        else:
            if rnd.random() < 0.5:
                s = '"' + " ".join(rnd.sample(TXT_WORDS, 4)) + '"'
            else:
                s = f'"site-verification={rnd.getrandbits(128):032x}"'
            add(owner, "TXT", [s], [txt_rdlen(s)])
            queries.append(f"{absname(owner)} TXT")
    assert count == n, (count, n)
    zone = {"origin": origin, "ttl": 3600,
            "soa": {"mname": "ns1", "rname": "hostmaster", "serial": serial, "refresh": 3600,
                    "retry": 600, "expire": 1209600, "minimum": 300},
            "records": records}
    with open(out, "w") as f:
        json.dump(zone, f, separators=(",", ":"))
        f.write("\n")
    if "--queries" in opts:
        rnd.shuffle(queries)
        with open(opts["--queries"], "w") as f:
            f.write("\n".join(queries) + "\n")
    if "--checkq" in opts:
        with open(opts["--checkq"], "w") as f:
            f.write("\n".join(checkq) + "\n")
    if "--stats" in opts:
        with open(opts["--stats"], "w") as f:
            json.dump({"records": count, "owners": len(records), "empty_nonterminals": len(nonterm),
                       "wire_bytes": wire}, f)
            f.write("\n")


def gen_health(args):
    out, zone, nreg, per, cport, dport, ctlport = args[:7]
    opts = dict(zip(args[7::2], args[8::2]))
    check = opts.get("--check", "tcp")
    nreg, per = int(nreg), int(per)
    regions, addrs = {}, []
    rnd = random.Random(17)
    for r in range(1, nreg + 1):
        eps = [f"127.1.{r}.{e}" for e in range(1, per + 1)]
        addrs += eps
        reg = {"location": [round(rnd.uniform(-60, 70), 2), round(rnd.uniform(-179, 179), 2)],
               "endpoints": eps}
        if check != "none":
            reg["check"] = "c"
        regions[f"r{r}"] = reg
    conf = {"listen": [f"127.0.0.1:{dport}"], "workers": 1, "zones": [zone],
            "identity": "scale", "control": {"listen": f"127.0.0.1:{ctlport}", "token": "scale"},
            "log": {"level": "warning"}, "regions": regions}
    if check != "none":
        c = {"type": check, "port": int(cport), "interval": 1, "timeout": 0.5, "rise": 2, "fall": 2}
        if check == "http":
            c.update({"path": "/healthz", "expect": 200})
        conf["checks"] = {"c": c}
    with open(out, "w") as f:
        json.dump(conf, f, indent=1)
        f.write("\n")
    with open(out + ".addrs", "w") as f:
        f.write("\n".join(addrs) + "\n")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("zone", "health"):
        sys.exit(__doc__)
    {"zone": gen_zone, "health": gen_health}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()

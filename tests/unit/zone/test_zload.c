/*
 * test_zload.c -- the zone and config loaders: every error class of the
 * zone file (docs/architecture.md) reported at the file:line:column of the offending value, and good
 * files loaded into the expected nodes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/test_tmp.h"

#include "dnsd/util/arena.h"
#include "dnsd/conf/conf.h"
#include "dnsd/proto/wire.h"
#include "dnsd/zone/zload.h"


/* A wire-name literal and its length, for zone_node_find(). */
#define W(lit) (const uint8_t *)(lit), dname_len((const uint8_t *)(lit))

static const char conf_text[] =
	"{\n"
	"  \"listen\": [\"127.0.0.1:5353\"],\n"
	"  \"zones\": [\"zone.json\"],\n"
	"  \"regions\": {\n"
	"    \"us-east\": {\"location\": [39.04, -77.49], \"endpoints\": [\"192.0.2.10\"]},\n"
	"    \"eu-west\": {\"location\": [53.35, -6.26], \"endpoints\": [\"198.51.100.10\"], \"pin\": \"eu\"}\n"
	"  },\n"
	"  \"pins\": {\"eu\": {\"countries\": [\"DE\", \"FR\"], \"mode\": \"strict\"}}\n"
	"}\n";

static int
setup(void **state)
{
	assert_int_equal(tmp_make("test_zload"), 0);
	return 0;
}

static int
teardown(void **state)
{
	return tmp_remove();
}

/* Loads zone text against conf_text; returns the first error or "". */
static const char *
load_zone(const char *zone_text, struct dnsd_err *err, struct zone **out)
{
	struct dnsd_conf *c;
	struct arena *a = arena_new();
	const char *zpath = tmp_write("zone.json", zone_text);
	struct zone *z;

	dnsd_err_init(err);
	c = conf_load(tmp_write("dnsd.json", conf_text), err);
	assert_non_null(c);
	z = zload_zone(a, c, zpath, err);
	if (out != NULL)
		*out = z;
	/* keep conf and arena alive for a caller inspecting the zone */
	static struct dnsd_conf *keep_c;
	static struct arena *keep_a;
	conf_free(keep_c);
	arena_free(keep_a);
	keep_c = c;
	keep_a = a;
	return err->count ? err->msg[0] : "";
}

#define ZONE_HEAD \
	"{\n" \
	"  \"origin\": \"example.com.\",\n" \
	"  \"ttl\": 300,\n" \
	"  \"soa\": {\"mname\": \"ns1\", \"rname\": \"hostmaster\", \"serial\": 1, \"minimum\": 60},\n" \
	"  \"records\": {\n" \
	"    \"@\": {\"NS\": [\"ns1\"]},\n" \
	"    \"ns1\": {\"A\": [\"192.0.2.53\"]},\n"

struct err_case {
	const char *what;
	const char *body;	/* lines 8.. of the zone */
	const char *expect;	/* ":line:col: text" fragment */
};

/* The node record i of set points the additional section at. */
static const struct zone_node *
target_of(const struct zone *z, const struct zone_node *owner, const struct zone_rrset *set, uint16_t i)
{
	struct zone_rr rr;

	zone_rrset_rr(set, i, &rr);
	return zone_target_node(z, set->type, owner->name, &rr);
}

static void
test_each_error_class_has_its_position(void **state)
{
	static const struct err_case cases[] = {
		{ "bad rdata", "    \"a\": {\"A\": [\"300.1.2.3\"]}\n  }\n}\n", ":8:17: bad A rdata" },
		{ "wrong family", "    \"a\": {\"A\": [\"2001:db8::1\"]}\n  }\n}\n", ":8:17: address of the wrong family" },
		{ "wrong family v6", "    \"a\": {\"AAAA\": \"192.0.2.1\"}\n  }\n}\n", ":8:19: address of the wrong family" },
		{ "cname beside data", "    \"a\": {\"A\": [\"192.0.2.1\"],\n           \"CNAME\": \"ns1\"}\n  }\n}\n",
		  ":9:12: CNAME at a.example.com. beside other data" },
		{ "cname beside dname", "    \"a\": {\"DNAME\": \"example.net.\",\n           \"CNAME\": \"ns1\"}\n  }\n}\n",
		  ":9:12: CNAME at a.example.com. beside other data" },
		{ "two dnames", "    \"a\": {\"DNAME\": [\"example.net.\", \"example.org.\"]}\n  }\n}\n",
		  ":8:11: DNAME at a.example.com. has more than one target" },
		{ "name below a dname", "    \"a\": {\"DNAME\": \"example.net.\"},\n    \"x.y.a\": {\"A\": \"192.0.2.1\"}\n  }\n}\n",
		  ":9:5: name x.y.a.example.com. is below the DNAME at a.example.com." },
		{ "geo name below a dname", "    \"a\": {\"DNAME\": \"example.net.\"}\n  },\n  \"geo\": {\"www.a\": {\"regions\": [\"us-east\", \"eu-west\"]}}\n}\n",
		  ":10:11: name www.a.example.com. is below the DNAME at a.example.com." },
		{ "outside origin", "    \"foo.example.org.\": {\"A\": [\"192.0.2.1\"]}\n  }\n}\n",
		  ":8:5: name foo.example.org. is outside the origin" },
		{ "unknown type", "    \"a\": {\"BOGUS\": [\"x\"]}\n  }\n}\n", ":8:11: unknown record type \"BOGUS\"" },
		{ "type number past 16 bits", "    \"a\": {\"TYPE75744\": [\"\\\\# 1 00\"]}\n  }\n}\n",
		  ":8:11: unknown record type \"TYPE75744\"" },
		{ "bad json", "    \"a\": {\"A\": [\"192.0.2.1\",]}\n  }\n}\n", ":8:" },
		{ "unknown region", "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"geo\": {\"www\": {\"regions\": [\"us-east\", \"mars\"]}}\n}\n",
		  ":10:42: unknown region mars" },
		{ "geo with A", "    \"www\": {\"A\": \"192.0.2.1\"}\n  },\n  \"geo\": {\"www\": {\"regions\": [\"us-east\", \"eu-west\"]}}\n}\n",
		  ":8:13: geo name www.example.com. cannot also have A records" },
		{ "residency", "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"geo\": {\"www\": {\"regions\": [\"us-east\"]}}\n}\n",
		  ":10:11: geo name www.example.com. is governed by pin eu" },
		{ "unknown key", "    \"a\": {\"A\": \"192.0.2.1\"}\n  },\n  \"extra\": 1\n}\n", ":10:3: unknown key \"extra\"" },
		/* docs/transfer.md §3: a transfer view never breaks a strict pin */
		{ "transfer view outside a strict pin",
		  "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"transfer\": {\"allow\": [\"127.0.0.1/32\"]},\n"
		  "  \"geo\": {\"www\": {\"regions\": [\"eu-west\", \"us-east\"],\n"
		  "                  \"transfer\": [\"us-east\"]}}\n}\n",
		  ":12:19: geo name www.example.com. is governed by strict pin eu, and us-east (a region of its transfer list)" },
		{ "default transfer view outside a strict pin",
		  "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"transfer\": {\"allow\": [\"127.0.0.1/32\"]},\n"
		  "  \"geo\": {\"www\": {\"regions\": [\"us-east\", \"eu-west\"]}}\n}\n",
		  ":11:11: geo name www.example.com. is governed by strict pin eu, and us-east (the first max_regions" },
		{ "transfer lists a region not of the name",
		  "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n"
		  "  \"geo\": {\"www\": {\"regions\": [\"eu-west\"], \"transfer\": [\"us-east\"]}}\n}\n",
		  ":10:56: transfer lists us-east, not a region of geo name www.example.com." },
		{ "unknown TSIG key",
		  "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"transfer\": {\"tsig\": \"nokey.\"}\n}\n",
		  ":10:24: unknown TSIG key nokey." },
		{ "bad transfer allow",
		  "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"transfer\": {\"allow\": [\"10.0.0.1/33\"]}\n}\n",
		  ":10:26: transfer allow entries are networks in CIDR form" },
		/* docs/dnssec.md: the "dnssec" member, each error at its value */
		{ "no signing key", "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"dnssec\": {\"keys\": []}\n}\n",
		  ":10:22: a signed zone needs at least one key" },
		{ "key file missing", "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"dnssec\": {\"keys\": [\"Knope\"]}\n}\n",
		  ":10:23: cannot open " },
		{ "nsec3 not yet",
		  "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"dnssec\": {\"keys\": [\"K\"], \"denial\": \"nsec3\"}\n}\n",
		  ":10:39: denial nsec3 is not supported yet" },
		{ "refresh past validity",
		  "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n"
		  "  \"dnssec\": {\"keys\": [\"K\"], \"signature_validity\": 86400, \"refresh\": 86400}\n}\n",
		  ":10:69: refresh must be less than signature_validity" },
		{ "unknown dnssec key",
		  "    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"dnssec\": {\"keys\": [\"K\"], \"algorithm\": 13}\n}\n",
		  ":10:29: unknown key \"algorithm\" in dnssec" },
	};
	struct dnsd_err *err = calloc(1, sizeof(*err));
	char text[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", ZONE_HEAD, cases[i].body);
		const char *msg = load_zone(text, err, NULL);
		if (strstr(msg, cases[i].expect) == NULL || strncmp(msg, tmpdir, strlen(tmpdir)) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].what, msg, cases[i].expect);
	}
	free(err);
}

static void
test_good_zone_nodes(void **state)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct zone *z;
	const char *msg = load_zone(ZONE_HEAD
		"    \"a.b.deep\": {\"TXT\": \"\\\"x\\\"\"},\n"
		"    \"*.dev\": {\"A\": \"192.0.2.99\"},\n"
		"    \"lab\": {\"NS\": \"ns.lab\", \"DS\": \"12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},\n"
		"    \"ns.lab\": {\"A\": \"192.0.2.200\"},\n"
		"    \"u\": {\"TYPE65280\": \"\\\\# 4 0a000001\"}\n"
		"  },\n  \"geo\": {\"www\": {\"regions\": [\"us-east\", \"eu-west\"], \"ttl\": 20}}\n}\n", err, &z);

	assert_string_equal(msg, "");
	assert_non_null(z);
	assert_int_equal(z->neg_ttl, 60);	/* min(SOA TTL 300, minimum 60) */
	/* empty non-terminal exists with no data */
	const struct zone_node *ent = zone_node_find(z, W("\1b\4deep\7example\3com"));
	assert_non_null(ent);
	assert_int_equal(ent->nrrsets, 0);
	/* wildcard linked from its parent */
	const struct zone_node *dev = zone_node_find(z, W("\3dev\7example\3com"));
	assert_non_null(dev);
	assert_non_null(zone_node_wildcard(z, dev));
	/* cut: glue below the delegation points at it */
	const struct zone_node *glue = zone_node_find(z, W("\2ns\3lab\7example\3com"));
	assert_non_null(glue);
	const struct zone_node *cut = zone_node_cut(z, glue);
	assert_non_null(cut);
	assert_true(cut->flags & ZONE_NODE_DELEG);
	assert_ptr_equal(zone_node_find(z, W("\3lab\7example\3com")), cut);
	/* NS rdata target resolved for the additional section */
	const struct zone_rrset *ns = zone_rrset_get(cut, WIRE_T_NS);
	assert_ptr_equal(target_of(z, cut, ns, 0), glue);
	/* RFC 3597 generic rdata */
	const struct zone_node *u = zone_node_find(z, W("\1u\7example\3com"));
	struct zone_rr rr;
	zone_rrset_rr(zone_rrset_get(u, 65280), 0, &rr);
	assert_int_equal(rr.rdlen, 4);
	const struct zone_node *www = zone_node_find(z, W("\3www\7example\3com"));
	assert_non_null(zone_node_geo(www));
	assert_int_equal(zone_node_geo(www)->ttl, 20);
	assert_int_equal(zone_node_geo(www)->gn.nregions, 2);
	free(err);
}

/* Links a node no longer keeps, found by name (zone.h): the topmost cut
 * above nested delegations, the wildcard child; and where the names in
 * rdata are, for compression and for the additional section (rdata in
 * RFC 3597 hex must hold its names: ldns refuses it otherwise). */
static void
test_links_by_name_and_rdata_names(void **state)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct zone *z;
	const char *msg = load_zone(ZONE_HEAD
		"    \"lab\": {\"NS\": \"ns.x.lab\"},\n"
		"    \"x.lab\": {\"NS\": \"ns.x.lab\"},\n"
		"    \"ns.x.lab\": {\"A\": \"192.0.2.7\"},\n"
		"    \"*.w\": {\"A\": \"192.0.2.8\"},\n"
		"    \"srv\": {\"SRV\": \"0 5 5060 Host\", \"MX\": \"10 host\"},\n"
		"    \"host\": {\"A\": \"192.0.2.9\"}\n"
		"  }\n}\n", err, &z);
	struct zone_rr rr;

	assert_string_equal(msg, "");
	const struct zone_node *lab = zone_node_find(z, W("\3lab\7example\3com"));
	const struct zone_node *x = zone_node_find(z, W("\1x\3lab\7example\3com"));
	const struct zone_node *glue = zone_node_find(z, W("\2ns\1x\3lab\7example\3com"));
	assert_ptr_equal(zone_node_cut(z, lab), lab);
	assert_ptr_equal(zone_node_cut(z, x), lab);	/* the topmost one */
	assert_ptr_equal(zone_node_cut(z, glue), lab);
	assert_null(zone_node_cut(z, z->apex));
	const struct zone_node *w = zone_node_find(z, W("\1w\7example\3com"));
	assert_ptr_equal(zone_node_wildcard(z, w), zone_node_find(z, W("\1*\1w\7example\3com")));
	assert_null(zone_node_wildcard(z, lab));
	/* SRV and MX targets, found in any case */
	const struct zone_node *srv = zone_node_find(z, W("\3srv\7example\3com"));
	const struct zone_node *host = zone_node_find(z, W("\4host\7example\3com"));
	assert_ptr_equal(target_of(z, srv, zone_rrset_get(srv, WIRE_T_SRV), 0), host);
	assert_ptr_equal(target_of(z, srv, zone_rrset_get(srv, WIRE_T_MX), 0), host);
	zone_rrset_rr(zone_rrset_get(srv, WIRE_T_MX), 0, &rr);
	assert_int_equal(rr.ncomp, 1);
	assert_int_equal(rr.comp_off[0], 2);
	free(err);
}

/* The DNAME flag, and the additional targets of NAPTR, SVCB and HTTPS,
 * "." included (RFC 9460 2.5). */
static void
test_dname_and_service_targets(void **state)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct zone *z;
	const char *msg = load_zone(ZONE_HEAD
		"    \"old\": {\"DNAME\": \"new.example.com.\"},\n"
		"    \"a.b.new\": {\"A\": \"192.0.2.1\"},\n"
		"    \"sip\": {\"NAPTR\": \"100 10 \\\"s\\\" \\\"SIP+D2U\\\" \\\"\\\" pool\"},\n"
		"    \"svc\": {\"SVCB\": [\"1 pool alpn=h2\", \"2 . port=8443\"], \"A\": \"192.0.2.2\"},\n"
		"    \"web\": {\"HTTPS\": \"0 .\"},\n"
		"    \"pool\": {\"A\": \"192.0.2.3\"}\n"
		"  }\n}\n", err, &z);

	assert_string_equal(msg, "");
	const struct zone_node *old = zone_node_find(z, W("\3old\7example\3com"));
	assert_true(old->flags & ZONE_NODE_DNAME);
	assert_false(zone_node_find(z, W("\7example\3com"))->flags & ZONE_NODE_DNAME);
	const struct zone_node *pool = zone_node_find(z, W("\4pool\7example\3com"));
	const struct zone_node *sip = zone_node_find(z, W("\3sip\7example\3com"));
	const struct zone_node *svc = zone_node_find(z, W("\3svc\7example\3com"));
	const struct zone_node *web = zone_node_find(z, W("\3web\7example\3com"));
	assert_ptr_equal(target_of(z, sip, zone_rrset_get(sip, WIRE_T_NAPTR), 0), pool);
	const struct zone_rrset *svcb = zone_rrset_get(svc, WIRE_T_SVCB);
	assert_ptr_equal(target_of(z, svc, svcb, 0), pool);
	assert_ptr_equal(target_of(z, svc, svcb, 1), svc);	/* ServiceMode ".": the owner */
	assert_null(target_of(z, web, zone_rrset_get(web, WIRE_T_HTTPS), 0));	/* AliasMode ".": none */
	free(err);
}

struct conf_case {
	const char *what;
	const char *text;
	const char *expect;
};

static void
test_config_errors(void **state)
{
	static const struct conf_case cases[] = {
		{ "bad listen", "{\n  \"zones\": [],\n  \"listen\": [\"localhost\"]\n}\n", ":3:14: listen address must be" },
		{ "unknown key", "{\n  \"zones\": [],\n  \"lisen\": []\n}\n", ":3:3: unknown key \"lisen\"" },
		{ "zones missing", "{\n  \"listen\": [\"127.0.0.1:53\"]\n}\n", ":1:1: missing key \"zones\"" },
		{ "unknown pin", "{\"zones\": [],\n \"regions\": {\"r\": {\"location\": [1, 2], \"endpoints\": [\"192.0.2.1\"],\n  \"pin\": \"mars\"}}}\n",
		  ":3:10: unknown pin \"mars\"" },
		{ "country in two pins", "{\"zones\": [], \"pins\": {\n \"a\": {\"countries\": [\"DE\"]},\n \"b\": {\"countries\": [\"DE\"]}}}\n",
		  ":3:22: country DE is in two pins" },
		{ "bad endpoint", "{\"zones\": [],\n \"regions\": {\"r\": {\"location\": [1, 2],\n  \"endpoints\": [\"192.0.2.300\"]}}}\n",
		  ":3:17: endpoint must be an IPv4 or IPv6 address" },
		{ "bad network", "{\"zones\": [],\n \"networks\": {\"10.0.0.1/8\": {\"country\": \"DE\"}}}\n",
		  ":2:15: \"10.0.0.1/8\" is not a network in CIDR form" },
		{ "unknown check", "{\"zones\": [],\n \"regions\": {\"r\": {\"location\": [1, 2], \"endpoints\": [\"192.0.2.1\"], \"check\": \"web\"}}}\n",
		  ":2:77: unknown check \"web\"" },
		{ "bad workers", "{\"zones\": [],\n \"workers\": 0}\n", ":2:13: \"workers\" must be from 1 to 256" },
		{ "missing geoip", "{\"zones\": [],\n \"geoip\": \"nope.mmdb\"}\n", ":2:11: GeoIP database" },
	};
	struct dnsd_err *err = calloc(1, sizeof(*err));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dnsd_err_init(err);
		struct dnsd_conf *c = conf_load(tmp_write("bad.json", cases[i].text), err);
		const char *msg = err->count ? err->msg[0] : "";
		if (c != NULL || strstr(msg, cases[i].expect) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].what, msg, cases[i].expect);
		conf_free(c);
	}
	free(err);
}

static void
test_config_defaults_and_cidr(void **state)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct dnsd_conf *c = conf_load(tmp_write("dnsd.json", conf_text), err);
	struct geo_addr a;

	assert_non_null(c);
	assert_int_equal(c->limits.udp_payload, 1232);
	assert_int_equal(c->limits.tcp_idle, 10);
	assert_int_equal(c->rrl.responses_per_second, 0);
	assert_int_equal(c->nallow, 2);
	assert_int_equal(c->nregions, 2);
	assert_string_equal(c->regions[1].name, "eu-west");
	assert_true(strstr(c->zones[0], "/zone.json") != NULL);
	assert_int_equal(conf_parse_cidr("2001:db8::/32", &a), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.prefix, 32);
	assert_int_equal(conf_parse_cidr("192.0.2.1/24", &a), -EINVAL);
	assert_int_equal(conf_parse_cidr("192.0.2.0/33", &a), -EINVAL);
	assert_int_equal(conf_parse_cidr("192.0.2.0/24", &a), 0);
	assert_true(conf_addr_in(&a, 4, (const uint8_t *)"\xc0\x00\x02\x07"));
	assert_false(conf_addr_in(&a, 4, (const uint8_t *)"\xc0\x00\x03\x07"));
	conf_free(c);
	free(err);
}

/* ldns-keygen ARGS ZONE in the scratch folder: the key's base name. */
static void
keygen(const char *args, char *name, size_t cap)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cd %s && ldns-keygen %s", tmpdir, args);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(name, (int)cap, p));
	assert_int_equal(pclose(p), 0);
	name[strcspn(name, "\n")] = '\0';
}

/* Signed zones (docs/dnssec.md): a key of another zone is refused at its
 * own entry; a good key signs every owner with data. */
static void
test_dnssec_keys(void **state)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	char ksk[128], zsk[128], foreign[128], text[2048];
	struct zone *z;
	const char *msg;

	keygen("-a ECDSAP256SHA256 -k example.com", ksk, sizeof(ksk));
	keygen("-a ED25519 example.com", zsk, sizeof(zsk));
	keygen("-a ECDSAP256SHA256 example.org", foreign, sizeof(foreign));
	/* line 10: the keys array; the second entry starts past the first */
	snprintf(text, sizeof(text), "%s    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"dnssec\": {\"keys\": [\"%s\", \"%s\"]}\n}\n",
		 ZONE_HEAD, ksk, foreign);
	msg = load_zone(text, err, NULL);
	char want[64];
	snprintf(want, sizeof(want), ":10:%zu: ", 23 + strlen(ksk) + 4);
	if (strstr(msg, want) == NULL || strstr(msg, "is not for this zone") == NULL)
		fail_msg("foreign key: got \"%s\", want \"%s... is not for this zone\"", msg, want);

	/* hand-written DNSKEY (line 8) in a signed zone */
	snprintf(text, sizeof(text), "%s    \"w\": {\"DNSKEY\": \"256 3 13 AAAA\"}\n  },\n  \"dnssec\": {\"keys\": [\"%s\"]}\n}\n",
		 ZONE_HEAD, ksk);
	msg = load_zone(text, err, NULL);
	if (strstr(msg, ":8:11: DNSKEY records of a signed zone come from its \"dnssec\" keys") == NULL)
		fail_msg("hand-written DNSKEY: got \"%s\"", msg);

	snprintf(text, sizeof(text), "%s    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"dnssec\": {\"keys\": [\"%s\", \"%s\"]}\n}\n",
		 ZONE_HEAD, ksk, zsk);
	msg = load_zone(text, err, &z);
	assert_string_equal(msg, "");
	assert_non_null(z->dnssec);
	assert_int_equal(z->dnssec->nchain, 3);	/* the apex, ns1, w */
	assert_non_null(zone_rrset_get(z->apex, 48));	/* DNSKEY */
	assert_non_null(zone_rrset_get(z->apex, 47));	/* NSEC */
	assert_non_null(zone_rrset_sigs(zone_rrset_get(z->apex, 6)));	/* SOA signed */
	assert_non_null(zone_rrset_sigs(z->soa));	/* and the zone's SOA pointer sees it */
	assert_true(z->dnssec->expiration - z->dnssec->inception == 1209600 + 3600);

	/* "serial": "unixtime" moves the SOA serial (1 in ZONE_HEAD) to the
	 * signing time, in z->serial and in the SOA's own rdata */
	snprintf(text, sizeof(text), "%s    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"dnssec\": {\"keys\": [\"%s\"], \"serial\": \"unixtime\"}\n}\n",
		 ZONE_HEAD, ksk);
	time_t before = time(NULL);
	msg = load_zone(text, err, &z);
	assert_string_equal(msg, "");
	assert_true(z->serial >= (uint32_t)before && z->serial <= (uint32_t)time(NULL));
	const uint8_t *rd = zone_rrset_rdata0(z->soa);
	size_t off = dname_len(rd);
	off += dname_len(rd + off);
	assert_int_equal((uint32_t)rd[off] << 24 | (uint32_t)rd[off + 1] << 16 | (uint32_t)rd[off + 2] << 8 | rd[off + 3],
			 z->serial);
	snprintf(text, sizeof(text), "%s    \"w\": {\"MX\": \"10 ns1\"}\n  },\n  \"dnssec\": {\"keys\": [\"%s\"], \"serial\": \"date\"}\n}\n",
		 ZONE_HEAD, ksk);
	msg = load_zone(text, err, NULL);
	if (strstr(msg, "serial must be \"keep\" or \"unixtime\"") == NULL)
		fail_msg("serial policy: got \"%s\"", msg);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_error_class_has_its_position),
		cmocka_unit_test(test_good_zone_nodes),
		cmocka_unit_test(test_dname_and_service_targets),
		cmocka_unit_test(test_links_by_name_and_rdata_names),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_defaults_and_cidr),
		cmocka_unit_test(test_dnssec_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

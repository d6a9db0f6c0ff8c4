/*
 * test_import.c -- dnsd-import's library (tools/import): zone text and
 * octoDNS YAML in, zone JSON out.  Tables of inputs with what the output
 * must hold (a JSON path and its value), the notes it must carry, or the
 * error at its file:line:column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/import/import.h"

static char tmpdir[64];
static struct dnsd_conf *conf;

static const char conf_text[] =
	"{\n"
	"  \"listen\": [\"127.0.0.1:5353\"],\n"
	"  \"zones\": [],\n"
	"  \"regions\": {\n"
	"    \"us-east\": {\"location\": [39.04, -77.49], \"endpoints\": [\"192.0.2.10\", \"192.0.2.11\"]},\n"
	"    \"eu-west\": {\"location\": [53.35, -6.26], \"endpoints\": [\"198.51.100.10\"], \"pin\": \"eu\"},\n"
	"    \"ap\": {\"location\": [1.35, 103.82], \"endpoints\": [\"203.0.113.10\", \"2001:db8::10\"], \"pin\": \"asia\"}\n"
	"  },\n"
	"  \"pins\": {\"eu\": {\"countries\": [\"DE\", \"FR\"]}, \"asia\": {\"continents\": [\"AS\"]}}\n"
	"}\n";

static int
setup(void **state)
{
	struct dnsd_err err;
	char path[128];
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_import.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/dnsd.json", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	fputs(conf_text, f);
	fclose(f);
	dnsd_err_init(&err);
	conf = conf_load(path, &err);
	if (conf == NULL)
		dnsd_err_print(&err, stderr);
	assert_non_null(conf);
	setenv("TMPDIR", tmpdir, 1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	conf_free(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

enum kind { ZONE, OCTO };

/* Runs an import to its end; the JSON (caller frees) or NULL with err. */
static json_t *
run(enum kind k, const char *text, const struct import_opts *o, struct dnsd_err *err)
{
	struct import im;
	char *out = NULL;
	json_t *j = NULL;

	dnsd_err_init(err);
	import_init(&im, o, err);
	if (k == ZONE)
		import_zonetext(&im, "in.zone", text, strlen(text));
	else
		import_octodns(&im, "in.yaml", text, strlen(text));
	if (err->count == 0)
		import_finish(&im);
	if (err->count == 0)
		out = import_json(&im);
	if (out != NULL && err->count == 0 && import_validate(out, "out.json", o->conf, err) == 0)
		j = json_loads(out, 0, NULL);
	if (j == NULL && err->count == 0)
		fprintf(stderr, "no JSON and no error:\n%s\n", out ? out : "(null)");
	free(out);
	import_fini(&im);
	return j;
}

/* The value at a '/'-separated path ("records/www/A/0"). */
static json_t *
at(json_t *j, const char *path)
{
	char buf[256], *save = NULL, *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, "/", &save); p && j; p = strtok_r(NULL, "/", &save))
		j = json_is_array(j) ? json_array_get(j, (size_t)atoi(p)) : json_object_get(j, p);
	return j;
}

/* The value as text: strings bare, the rest as JSON. */
static char *
text_of(json_t *v)
{
	if (v == NULL)
		return strdup("(absent)");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static int
comments_have(json_t *j, const char *needle)
{
	json_t *c = json_object_get(j, "comments"), *v;
	size_t i;

	json_array_foreach(c, i, v)
		if (strstr(json_string_value(v), needle) != NULL)
			return 1;
	return 0;
}

struct want {
	const char *path, *value;	/* value "(absent)" for none */
};

struct good_case {
	const char *name;
	enum kind kind;
	const char *text;
	int with_conf;
	struct want want[8];
	const char *notes[4];		/* substrings of some comment */
};

#define SOA "$ORIGIN example.com.\n@ 3600 SOA ns1 host 1 2 3 4 5\n"

static const struct good_case good[] = {
	{ "TTLs fold into zone, owner and type", ZONE,
	  SOA "a 3600 A 192.0.2.1\nb 60 A 192.0.2.2\nb 60 TXT x\nc 60 A 192.0.2.3\nc 120 TXT y\nc 60 MX 1 a\n",
	  0,
	  { { "ttl", "60" }, { "records/a/ttl", "3600" }, { "records/b/ttl", "(absent)" },
	    { "records/c/ttl", "(absent)" }, { "records/c/TXT/ttl", "120" }, { "records/c/TXT/data/0", "\"y\"" },
	    { "records/c/MX/0", "1 a.example.com." }, { "soa/ttl", "3600" } },
	  { NULL } },
	{ "$TTL, implicit TTLs and $TTL 0", ZONE,
	  "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 host 1 2 3 4 5\na A 192.0.2.1\n$TTL 0\nb A 192.0.2.2\n", 0,
	  { { "ttl", "300" }, { "records/a/ttl", "(absent)" }, { "records/b/ttl", "0" } },
	  { NULL } },
	{ "no TTL anywhere: 3600 and a note", ZONE,
	  "$ORIGIN example.com.\n@ SOA ns1 host 1 2 3 4 5\na A 192.0.2.1\n", 0,
	  { { "ttl", "3600" } },
	  { "in.zone:2: a record with no TTL before any $TTL" } },
	{ "relative $ORIGIN, owners lowercased, CNAME as a string", ZONE,
	  SOA "$ORIGIN sub\nWWW A 192.0.2.1\nalias CNAME www\n", 0,
	  { { "records/www.sub/A/0", "192.0.2.1" }, { "records/alias.sub/CNAME", "www.sub.example.com." } },
	  { NULL } },
	{ "origin from the SOA; apex as @; wildcard", ZONE,
	  "example.com. 300 IN SOA ns1.example.com. h.example.com. 7 1 2 3 4\nexample.com. 300 IN NS ns1.example.com.\n"
	  "*.example.com. 300 IN TXT \"w\"\n", 0,
	  { { "origin", "example.com." }, { "records/@/NS/0", "ns1.example.com." }, { "records/*/TXT/0", "\"w\"" },
	    { "soa/serial", "7" } },
	  { NULL } },
	{ "RFC 3597 type and rdata", ZONE, SOA "x 3600 TYPE65280 \\# 3 010203\ny 3600 TYPE1 \\# 4 c0000201\n", 0,
	  { { "records/x/TYPE65280/0", "\\# 3 010203" }, { "records/y/A/0", "192.0.2.1" } },
	  { NULL } },
	{ "owners the loader would misread: a label @, a trailing escaped dot", ZONE,
	  SOA "@ 60 TXT a\n\\@ 60 TXT b\nx.\\@ 60 TXT c\na\\. 60 TXT d\n", 0,
	  { { "records/@/TXT/0", "\"a\"" }, { "records/\\@/TXT/0", "\"b\"" }, { "records/x.\\@/TXT/0", "\"c\"" },
	    { "records/a\\..example.com./TXT/0", "\"d\"" } },
	  { NULL } },
	{ "what is left out, each with a note", ZONE,
	  SOA "s 300 RRSIG A 13 3 300 20261231000000 20261201000000 12345 example.com. AAAA\n"
	  "s 300 NSEC example.com. A RRSIG NSEC\nch 300 CH TXT \"c\"\nout.example.net. 300 A 192.0.2.9\n"
	  "d 300 A 192.0.2.1\nd 300 A 192.0.2.1\nt 60 A 192.0.2.1\nt 120 A 192.0.2.2\n", 0,
	  { { "records/s", "(absent)" }, { "records/ch", "(absent)" }, { "records/d/A", "[\"192.0.2.1\"]" },
	    { "ttl", "60" }, { "records/t/ttl", "(absent)" }, { "records/t/A/1", "192.0.2.2" } },
	  { "in.zone:3: DNSSEC signature or denial record (RRSIG, NSEC, NSEC3, NSEC3PARAM): left out, dnsd signs "
	    "at load: give the zone a \"dnssec\" member with its keys and leave out its DNSKEY records "
	    "(docs/dnssec.md), or remove the DS at the parent (2 records like this one, the first)",
	    "in.zone:5: class other than IN", "in.zone:6: outside the origin", "in.zone:10: TTL differs" } },
	{ "octoDNS static records", OCTO,
	  "'':\n  - type: MX\n    values:\n      - {preference: 10, exchange: mail.example.com.}\n"
	  "  - type: TXT\n    value: a\\;b \"q\"\n  - type: CAA\n    value: {tag: issue, value: ca.example}\n"
	  "_s._tcp:\n  type: SRV\n  ttl: 60\n  value: {priority: 1, weight: 2, port: 3, target: t.example.com.}\n"
	  "h:\n  type: SSHFP\n  value: {algorithm: 1, fingerprint_type: 1, fingerprint: 0a0b}\n", 0,
	  { { "records/@/MX/0", "10 mail.example.com." }, { "records/@/TXT/0", "\"a;b \\\"q\\\"\"" },
	    { "records/@/CAA/0", "0 issue \"ca.example\"" }, { "records/_s._tcp/ttl", "60" },
	    { "records/_s._tcp/SRV/0", "1 2 3 t.example.com." }, { "records/h/SSHFP/0", "1 1 0a0b" },
	    { "soa/mname", "ns1.example.com." } },
	  { "octoDNS zones have no SOA: made up" } },
	{ "octoDNS dynamic record mapped, a pin exempted", OCTO,
	  "www:\n  type: A\n  ttl: 30\n  value: 192.0.2.10\n  dynamic:\n    pools:\n"
	  "      eu: {values: [{value: 198.51.100.10}], fallback: us}\n"
	  "      us: {values: [{value: 192.0.2.11}, {value: 192.0.2.10}]}\n"
	  "    rules:\n      - {geos: [EU], pool: eu}\n      - pool: us\n", 1,
	  { { "geo/www/regions", "[\"eu-west\",\"us-east\"]" }, { "geo/www/ttl", "30" },
	    { "geo/www/exempt", "[\"asia\"]" }, { "records/www", "(absent)" } },
	  { "www: dynamic record mapped to a geo name", "octoDNS rules [EU] -> eu are not carried as rules" } },
	{ "octoDNS dynamic record with a pool that is no region", OCTO,
	  "www:\n  type: A\n  value: 192.0.2.99\n  dynamic:\n    pools:\n"
	  "      x: {values: [{value: 192.0.2.10}, {value: 192.0.2.11}]}\n      y: {values: [{value: 192.0.2.77}]}\n    rules:\n      - pool: x\n      - pool: y\n", 1,
	  { { "geo", "(absent)" }, { "records/www/A/0", "192.0.2.99" } },
	  { "pool y is no region of", "exactly 192.0.2.77" } },
	{ "octoDNS dynamic record whose region has the other family", OCTO,
	  "www:\n  type: A\n  value: 192.0.2.99\n  dynamic:\n    pools:\n      ap: {values: [{value: 203.0.113.10}]}\n"
	  "    rules:\n      - pool: ap\n", 1,
	  { { "geo", "(absent)" }, { "records/www/A/0", "192.0.2.99" } },
	  { "its regions have IPv6 endpoints" } },
	{ "octoDNS without a config: reported", OCTO,
	  "www:\n  type: A\n  value: 192.0.2.99\n  dynamic:\n    pools:\n      x: {values: [{value: 192.0.2.10}]}\n"
	  "    rules:\n      - pool: x\n", 0,
	  { { "records/www/A/0", "192.0.2.99" } },
	  { "no server config (--config)" } },
};

static void
test_good(void **state)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct good_case *c = &good[i];
		struct import_opts o = { .no_include = 1, .origin = c->kind == OCTO ? "example.com." : NULL,
					 .conf = c->with_conf ? conf : NULL };
		struct dnsd_err err;
		json_t *j = run(c->kind, c->text, &o, &err);
		if (j == NULL) {
			dnsd_err_print(&err, stderr);
			fail_msg("%s: no output", c->name);
		}
		for (int w = 0; w < 8 && c->want[w].path; w++) {
			char *got = text_of(at(j, c->want[w].path));
			if (strcmp(got, c->want[w].value) != 0)
				fail_msg("%s: %s is %s, want %s\n%s", c->name, c->want[w].path, got, c->want[w].value,
					 json_dumps(j, JSON_INDENT(1)));
			free(got);
		}
		for (int n = 0; n < 4 && c->notes[n]; n++)
			if (!comments_have(j, c->notes[n]))
				fail_msg("%s: no comment has \"%s\"\n%s", c->name, c->notes[n],
					 json_dumps(json_object_get(j, "comments"), JSON_INDENT(1)));
		json_decref(j);
	}
}

struct bad_case {
	const char *name;
	enum kind kind;
	const char *text;
	const char *error;		/* the first error, exactly */
};

static const struct bad_case bad[] = {
	{ "no SOA", ZONE, "$ORIGIN example.com.\na 1 A 192.0.2.1\n", "in.zone: no SOA record: a zone starts with one" },
	{ "two SOAs", ZONE, SOA "@ 1 SOA ns1 host 2 2 3 4 5\n", "in.zone:3:1: a second SOA record (the first is at in.zone:2)" },
	{ "CNAME beside data", ZONE, SOA "w 1 CNAME a\nw 1 TXT x\n",
	  "in.zone:3:1: CNAME at w.example.com. beside other data (NSD and dnsd refuse the zone)" },
	{ "two CNAMEs", ZONE, SOA "w 1 CNAME a\nw 1 CNAME b\n", "in.zone:3:1: more than one CNAME at w.example.com." },
	/* RFC 6672 2.4: the loader refuses both, so the importer does too */
	{ "two DNAMEs", ZONE, SOA "d 1 DNAME a.net.\nd 1 DNAME b.net.\n", "in.zone:4:1: more than one DNAME at d.example.com." },
	{ "data below a DNAME", ZONE, SOA "d 1 DNAME a.net.\nx.d 1 A 192.0.2.1\n",
	  "in.zone:4:1: x.d.example.com. is below a DNAME (NSD and dnsd refuse the zone)" },
	{ "relative and no origin", ZONE, "@ 1 SOA ns1 host 1 2 3 4 5\n",
	  "in.zone:1:1: a relative name and no origin to complete it: start the file with $ORIGIN or give --origin" },
	{ "bad rdata", ZONE, SOA "a 1 A 300.1.1.1\n", "in.zone:3:1: Syntax error, could not parse the RR's rdata: a 1 A 300.1.1.1" },
	{ "$INCLUDE off", ZONE, SOA "$INCLUDE other.zone\n", "in.zone:3:1: $INCLUDE other.zone: includes are off here" },
	{ "$GENERATE", ZONE, SOA "$GENERATE 1-3 h$ A 10.0.0.$\n",
	  "in.zone:3:1: $GENERATE is a BIND extension ldns does not read: expand it first (named-compilezone -s full "
	  "writes the zone out with it expanded)" },
	{ "TTL too big", ZONE, SOA "a 2147483648 A 192.0.2.1\n", "in.zone:3:1: TTL 2147483648 is above 2147483647 (RFC 2181 section 8)" },
	{ "YAML syntax", OCTO, "a:\n  type: A\n value: x\n", "in.yaml:3:2: did not find expected key while parsing a block mapping" },
	{ "octoDNS record without type", OCTO, "a:\n  value: 192.0.2.1\n", "in.yaml:2:3: needs \"type\"" },
	{ "octoDNS bad value", OCTO, "a:\n  type: A\n  value: nope\n",
	  "in.yaml:3:10: a.example.com. A \"nope\": Syntax error, could not parse the RR's rdata" },
	{ "octoDNS alias bomb", OCTO,
	  "l: &l\n  type: A\n  values: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4, 192.0.2.5, 192.0.2.6, 192.0.2.7,"
	  " 192.0.2.8, 192.0.2.9, 192.0.2.10, 192.0.2.11, 192.0.2.12, 192.0.2.13, 192.0.2.14, 192.0.2.15, 192.0.2.16]\n"
	  "a: *l\nb: *l\nc: *l\nd: *l\ne: *l\nf: *l\ng: *l\nh: *l\ni: *l\nj: *l\nk: *l\nm: *l\nn: *l\no: *l\n",
	  "in.yaml:3:11: YAML aliases expand too much" },
};

static void
test_bad(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad_case *c = &bad[i];
		struct import_opts o = { .no_include = 1, .origin = c->kind == OCTO ? "example.com." : NULL };
		struct dnsd_err err;
		json_t *j = run(c->kind, c->text, &o, &err);
		if (j != NULL)
			fail_msg("%s: converted, want an error", c->name);
		if (err.count == 0 || strcmp(err.msg[0], c->error) != 0)
			fail_msg("%s: error \"%s\", want \"%s\"", c->name, err.count ? err.msg[0] : "", c->error);
	}
}

/* $INCLUDE: relative to the include folder, its origin given, restored after. */
static void
test_include(void **state)
{
	char dir[128], path[256];
	FILE *f;
	struct import_opts o = { .include_dir = dir };
	struct dnsd_err err;
	json_t *j;

	snprintf(dir, sizeof(dir), "%s", tmpdir);
	snprintf(path, sizeof(path), "%s/inc.zone", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("a 60 A 192.0.2.1\n", f);
	fclose(f);
	j = run(ZONE, SOA "$INCLUDE inc.zone sub.example.com.\nb 60 A 192.0.2.2\n", &o, &err);
	if (j == NULL)
		dnsd_err_print(&err, stderr);
	assert_non_null(j);
	assert_string_equal(json_string_value(at(j, "records/a.sub/A/0")), "192.0.2.1");
	assert_string_equal(json_string_value(at(j, "records/b/A/0")), "192.0.2.2");
	json_decref(j);

	j = run(ZONE, SOA "$INCLUDE missing.zone\n", &o, &err);
	assert_null(j);
	assert_non_null(strstr(err.msg[0], "in.zone:3:1: $INCLUDE "));
	assert_non_null(strstr(err.msg[0], "missing.zone: No such file or directory"));

	/* a file that includes itself stops at the depth limit */
	snprintf(path, sizeof(path), "%s/loop.zone", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("$INCLUDE loop.zone\n", f);
	fclose(f);
	j = run(ZONE, SOA "$INCLUDE loop.zone\n", &o, &err);
	assert_null(j);
	assert_non_null(strstr(err.msg[0], "included files nest too deep"));
}

/* The loader's verdict reaches the caller under the output's name. */
static void
test_validate(void **state)
{
	struct dnsd_err err;

	dnsd_err_init(&err);
	assert_int_equal(import_validate("{\"origin\": \"example.com.\", \"soa\": {\"mname\": \"a\", \"rname\": \"b\"},"
					 " \"records\": {}, \"comments\": [\"x\"]}", "z.json", NULL, &err), 0);
	dnsd_err_init(&err);
	assert_int_equal(import_validate("{\"origin\": \"example.com.\", \"soa\": {\"mname\": \"a\", \"rname\": \"b\"},"
					 " \"records\": {}, \"comments\": [1]}", "z.json", NULL, &err), -1);
	assert_string_equal(err.msg[0], "z.json:1:93: comments are strings");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_validate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_conf.c -- the config loader's "tsig" section: keys inline and in a
 * key file of their own, names in wire form, secrets decoded, and every
 * error at the file:line:column of the offending value (in the key file
 * when that is where it stands).  The rest of the config is tested with
 * the zone loader (tests/unit/zone/test_zload.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/test_tmp.h"

#include "dnsd/conf/conf.h"

#define S256 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="	/* "0123456789abcdef" twice */

static int
setup(void **state)
{
	(void)state;
	return tmp_make("test_conf");
}

static int
teardown(void **state)
{
	(void)state;
	return tmp_remove();
}

static void
test_tsig_inline(void **state)
{
	static const char text[] =
		"{\"zones\": [], \"tsig\": {\n"
		"  \"Xfr.Example\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"" S256 "\"},\n"
		"  \"k1.\": {\"algorithm\": \"HMAC-SHA1.\", \"secret\": \"YWJj\"},\n"
		"  \"k2\": {\"algorithm\": \"hmac-sha384\", \"secret\": \"YWI\"},\n"
		"  \"k3\": {\"algorithm\": \"hmac-sha512\", \"secret\": \"YQ==\"}\n"
		"}}\n";
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct dnsd_conf *c = conf_load(tmp_write("dnsd.json", text), err);
	const struct conf_tsig_key *k;

	(void)state;
	if (c == NULL)
		fail_msg("%s", err->msg[0]);
	assert_int_equal(c->ntsig, 4);
	k = &c->tsig[0];
	assert_string_equal(k->name, "xfr.example.");
	assert_int_equal(k->wire_len, 13);
	assert_memory_equal(k->wire, "\003xfr\007example", 13);
	assert_int_equal(k->alg, CONF_TSIG_HMAC_SHA256);
	assert_string_equal(k->alg_name, "hmac-sha256.");
	assert_int_equal(k->alg_wire_len, 13);
	assert_memory_equal(k->alg_wire, "\013hmac-sha256", 13);
	assert_int_equal(k->secret_len, 32);
	assert_memory_equal(k->secret, "0123456789abcdef0123456789abcdef", 32);
	assert_ptr_equal(conf_tsig_find(c, (const uint8_t *)"\003XFR\007exAMPLE"), k);
	assert_null(conf_tsig_find(c, (const uint8_t *)"\003xfr\000"));
	assert_null(conf_tsig_find(c, (const uint8_t *)"\003xfr\007example\003com"));
	assert_string_equal(c->tsig[1].name, "k1.");
	assert_string_equal(c->tsig[1].alg_name, "hmac-sha1.");
	assert_int_equal(c->tsig[1].secret_len, 3);	/* "abc" */
	assert_int_equal(c->tsig[2].secret_len, 2);	/* unpadded "ab" */
	assert_int_equal(c->tsig[3].secret_len, 1);
	assert_ptr_equal(conf_tsig_find(c, (const uint8_t *)"\002k3"), &c->tsig[3]);
	conf_free(c);
	free(err);
}

static void
test_tsig_key_file(void **state)
{
	static const char keys[] =
		"{\"$schema\": \"an editor hint, skipped\",\n"
		" \"xfr.example.\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"" S256 "\"}}\n";
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct dnsd_conf *c;

	(void)state;
	assert_int_equal(chmod(tmp_write("keys.json", keys), 0600), 0);
	c = conf_load(tmp_write("dnsd.json", "{\"zones\": [], \"tsig\": \"keys.json\"}\n"), err);
	if (c == NULL)
		fail_msg("%s", err->msg[0]);
	assert_int_equal(c->ntsig, 1);
	assert_string_equal(c->tsig[0].name, "xfr.example.");
	assert_int_equal(c->tsig[0].secret_len, 32);
	conf_free(c);
	/* readable by others: loads, with a warning in the log */
	assert_int_equal(chmod(tmp_path("keys.json"), 0644), 0);
	c = conf_load(tmp_path("dnsd.json"), err);
	assert_non_null(c);
	assert_int_equal(c->ntsig, 1);
	conf_free(c);
	free(err);
}

struct conf_case {
	const char *what;
	const char *text;
	const char *keys;	/* keys.json, or NULL */
	const char *expect;	/* "file:line:col: text" fragment */
};

static void
test_tsig_errors(void **state)
{
	static const struct conf_case cases[] = {
		{ "bad algorithm", "{\"zones\": [], \"tsig\": {\n \"k\": {\"algorithm\": \"hmac-md5\", \"secret\": \"YQ==\"}}}\n",
		  NULL, "dnsd.json:2:21: TSIG algorithm must be" },
		{ "bad base64", "{\"zones\": [], \"tsig\": {\n \"k\": {\"algorithm\": \"hmac-sha256\",\n  \"secret\": \"YQ=!\"}}}\n",
		  NULL, "dnsd.json:3:13: TSIG secret is not base64" },
		{ "bad padding", "{\"zones\": [], \"tsig\": {\n \"k\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"YQ=\"}}}\n",
		  NULL, "dnsd.json:2:46: TSIG secret is not base64" },
		{ "empty secret", "{\"zones\": [], \"tsig\": {\n \"k\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"\"}}}\n",
		  NULL, "dnsd.json:2:46: TSIG secret is empty" },
		{ "missing secret", "{\"zones\": [], \"tsig\": {\n \"k\": {\"algorithm\": \"hmac-sha256\"}}}\n",
		  NULL, "dnsd.json:2:7: missing key \"secret\"" },
		{ "unknown key", "{\"zones\": [], \"tsig\": {\n \"k\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"YQ==\", \"sekret\": 1}}}\n",
		  NULL, "dnsd.json:2:54: unknown key \"sekret\" in a TSIG key" },
		{ "bad name", "{\"zones\": [], \"tsig\": {\n \"a..b\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"YQ==\"}}}\n",
		  NULL, "dnsd.json:2:2: TSIG key name \"a..b\" is not a domain name" },
		{ "twice", "{\"zones\": [], \"tsig\": {\n \"k.\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"YQ==\"},\n"
			   " \"K\": {\"algorithm\": \"hmac-sha256\", \"secret\": \"YQ==\"}}}\n",
		  NULL, "dnsd.json:3:2: TSIG key \"K\" is defined twice" },
		{ "not an object", "{\"zones\": [],\n \"tsig\": 5}\n", NULL, "dnsd.json:2:10: \"tsig\" must be an object" },
		{ "key not an object", "{\"zones\": [], \"tsig\": {\n \"k\": \"secret\"}}\n", NULL, "dnsd.json:2:7: " },
		{ "no key file", "{\"zones\": [],\n \"tsig\": \"nokeys.json\"}\n", NULL,
		  "dnsd.json:2:10: cannot read TSIG key file" },
		{ "bad in key file", "{\"zones\": [], \"tsig\": \"keys.json\"}\n",
		  "{\n \"k\": {\"algorithm\": \"hmac-sha256\",\n  \"secret\": \"%%%%\"}}\n",
		  "keys.json:3:13: TSIG secret is not base64" },
		{ "key file syntax", "{\"zones\": [], \"tsig\": \"keys.json\"}\n", "{\n \"k\": }\n", "keys.json:2:7: unexpected token" },
		{ "key file array", "{\"zones\": [], \"tsig\": \"keys.json\"}\n", "\n [1]\n",
		  "keys.json:2:2: a TSIG key file must hold a JSON object" },
	};
	struct dnsd_err *err = calloc(1, sizeof(*err));

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dnsd_err_init(err);
		unlink(tmp_path("keys.json"));
		if (cases[i].keys != NULL)
			chmod(tmp_write("keys.json", cases[i].keys), 0600);
		struct dnsd_conf *c = conf_load(tmp_write("dnsd.json", cases[i].text), err);
		const char *msg = err->count ? err->msg[0] : "";
		if (c != NULL || strstr(msg, cases[i].expect) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].what, msg, cases[i].expect);
		conf_free(c);
	}
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsig_inline),
		cmocka_unit_test(test_tsig_key_file),
		cmocka_unit_test(test_tsig_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_conf_cluster.c -- the config's "cluster" section and
 * "health.source" (docs/cluster.md §2): defaults, every field, and
 * each mistake reported at the file:line:column of the offending value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/test_tmp.h"

#include "dnsd/conf/conf.h"

static int
setup(void **state)
{
	(void)state;
	return tmp_make("test_conf_cluster");
}

static int
teardown(void **state)
{
	(void)state;
	return tmp_remove();
}

static struct dnsd_conf *
load(const char *text, struct dnsd_err *err)
{
	dnsd_err_init(err);
	return conf_load(tmp_write("dnsd.json", text), err);
}

static void
test_cluster_fields(void **state)
{
	static const char text[] =
		"{\"zones\": [], \"health\": {\"source\": [\"127.0.0.11\", \"::1\"]},\n"
		" \"cluster\": {\"etcd\": [\"http://127.0.0.1:2379\", \"http://[::1]:2380/\"], \"node\": \"ns1\",\n"
		"  \"prefix\": \"/dnsd/example\", \"quorum\": \"any\", \"lease\": 4}}\n";
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct dnsd_conf *c = load(text, err);
	const struct conf_cluster *cl;
	static const uint8_t src4[4] = { 127, 0, 0, 11 };

	(void)state;
	if (c == NULL)
		fail_msg("%s", err->msg[0]);
	cl = c->cluster;
	assert_non_null(cl);
	assert_int_equal(cl->netcd, 2);
	assert_string_equal(cl->etcd[0].host, "127.0.0.1");
	assert_int_equal(cl->etcd[0].port, 2379);
	assert_string_equal(cl->etcd[1].host, "::1");
	assert_int_equal(cl->etcd[1].port, 2380);
	assert_string_equal(cl->node, "ns1");
	assert_string_equal(cl->prefix, "/dnsd/example/");	/* the slash is added */
	assert_int_equal(cl->quorum, CONF_QUORUM_ANY);
	assert_int_equal(cl->lease, 4);
	assert_true(c->health.has_src4 && c->health.has_src6);
	assert_memory_equal(c->health.src4, src4, 4);
	conf_free(c);
	free(err);
}

static void
test_cluster_defaults_and_absent(void **state)
{
	struct dnsd_err *err = calloc(1, sizeof(*err));
	struct dnsd_conf *c = load("{\"zones\": []}\n", err);

	(void)state;
	assert_non_null(c);
	assert_null(c->cluster);	/* without "cluster", nothing is shared */
	assert_false(c->health.has_src4 || c->health.has_src6);
	conf_free(c);
	c = load("{\"zones\": [], \"cluster\": {\"etcd\": [\"http://127.0.0.1:2379\"], \"node\": \"a\"}}\n", err);
	assert_non_null(c);
	assert_string_equal(c->cluster->prefix, "/dnsd/");
	assert_int_equal(c->cluster->quorum, CONF_QUORUM_MAJORITY);
	assert_int_equal(c->cluster->lease, 10);
	conf_free(c);
	free(err);
}

struct conf_case {
	const char *what;
	const char *text;
	const char *expect;	/* "file:line:col: text" fragment */
};

static void
test_cluster_errors(void **state)
{
	static const struct conf_case cases[] = {
		{ "no etcd", "{\"zones\": [],\n \"cluster\": {\"node\": \"a\"}}\n", "dnsd.json:2:13: missing key \"etcd\"" },
		{ "https url", "{\"zones\": [], \"cluster\": {\"node\": \"a\",\n \"etcd\": [\"https://127.0.0.1:2379\"]}}\n",
		  "dnsd.json:2:11: an etcd URL must be" },
		{ "no port", "{\"zones\": [], \"cluster\": {\"node\": \"a\",\n \"etcd\": [\"http://127.0.0.1\"]}}\n",
		  "dnsd.json:2:11: an etcd URL must be" },
		{ "empty etcd", "{\"zones\": [], \"cluster\": {\"node\": \"a\",\n \"etcd\": []}}\n",
		  "dnsd.json:2:10: \"etcd\" needs at least one URL" },
		{ "no node", "{\"zones\": [],\n \"cluster\": {\"etcd\": [\"http://127.0.0.1:2379\"]}}\n",
		  "dnsd.json:2:13: missing key \"node\"" },
		{ "bad node", "{\"zones\": [], \"cluster\": {\"etcd\": [\"http://127.0.0.1:2379\"],\n \"node\": \"n s/1\"}}\n",
		  "dnsd.json:2:10: a node name is" },
		{ "bad quorum", "{\"zones\": [], \"cluster\": {\"etcd\": [\"http://127.0.0.1:2379\"], \"node\": \"a\",\n"
				"  \"quorum\": \"most\"}}\n", "dnsd.json:2:13: quorum must be" },
		{ "short lease", "{\"zones\": [], \"cluster\": {\"etcd\": [\"http://127.0.0.1:2379\"], \"node\": \"a\",\n"
				 "  \"lease\": 1}}\n", "dnsd.json:2:12: " },
		{ "unknown key", "{\"zones\": [], \"cluster\": {\"etcd\": [\"http://127.0.0.1:2379\"], \"node\": \"a\",\n"
				 "  \"quorom\": \"any\"}}\n", "dnsd.json:2:3: unknown key \"quorom\"" },
		{ "not an object", "{\"zones\": [],\n \"cluster\": true}\n", "\"cluster\" must be an object" },
		{ "bad source", "{\"zones\": [],\n \"health\": {\"source\": \"ns1.example\"}}\n",
		  "dnsd.json:2:23: not an IPv4 or IPv6 address" },
		{ "two v4 sources", "{\"zones\": [],\n \"health\": {\"source\": [\"127.0.0.1\", \"127.0.0.2\"]}}\n",
		  "dnsd.json:2:37: not an IPv4 or IPv6 address, or a second one of its family" },
	};
	struct dnsd_err *err = calloc(1, sizeof(*err));

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dnsd_conf *c = load(cases[i].text, err);
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
		cmocka_unit_test(test_cluster_fields),
		cmocka_unit_test(test_cluster_defaults_and_absent),
		cmocka_unit_test(test_cluster_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

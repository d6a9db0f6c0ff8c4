/*
 * test_zload_stream.c -- a zone's "records" are read one owner at a time
 * (jdoc_load_split, jdoc_each): errors far into a big records object come
 * out at the file:line:column of a whole-file load, every syntax error is
 * the one jansson reports for the whole file (the reference here), an
 * owner key given twice is refused at its second key, and jansson never
 * holds more than one owner's tree at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/unit/test_tmp.h"

#include "dnsd/util/arena.h"
#include "dnsd/conf/conf.h"
#include "dnsd/zone/zload.h"

/* jansson's live bytes, and their peak, through json_set_alloc_funcs */
static size_t live, peak;

static void *
count_malloc(size_t n)
{
	size_t *p = malloc(n + 16);

	if (p == NULL)
		return NULL;
	*p = n;
	live += n;
	if (live > peak)
		peak = live;
	return (char *)p + 16;
}

static void
count_free(void *q)
{
	size_t *p;

	if (q == NULL)
		return;
	p = (size_t *)((char *)q - 16);
	live -= *p;
	free(p);
}

static const char conf_text[] =
	"{\n"
	"  \"listen\": [\"127.0.0.1:5353\"],\n"
	"  \"zones\": [\"zone.json\"],\n"
	"  \"regions\": {\n"
	"    \"us-east\": {\"location\": [39.04, -77.49], \"endpoints\": [\"192.0.2.10\"]},\n"
	"    \"eu-west\": {\"location\": [53.35, -6.26], \"endpoints\": [\"198.51.100.10\"]}\n"
	"  }\n"
	"}\n";

static struct dnsd_conf *conf;
static struct dnsd_err *err;

static int
setup(void **state)
{
	(void)state;
	json_set_alloc_funcs(count_malloc, count_free);
	assert_int_equal(tmp_make("test_zload_stream"), 0);
	err = calloc(1, sizeof(*err));
	tmp_write("zone.json", "{}");	/* the config checks it is there */
	conf = conf_load(tmp_write("dnsd.json", conf_text), err);
	if (conf == NULL)
		fail_msg("config: %s", err->msg[0]);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	conf_free(conf);
	free(err);
	return tmp_remove();
}

/* A growing text. */
struct text {
	char *s;
	size_t len;
	FILE *f;
};

static void
text_open(struct text *t)
{
	t->s = NULL;
	t->len = 0;
	assert_non_null(t->f = open_memstream(&t->s, &t->len));
}

static void __attribute__((format(printf, 2, 3)))
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(t->f, fmt, ap);
	va_end(ap);
}

static void
text_close(struct text *t)
{
	fclose(t->f);
}

/* The zone head, then n owners "hI": one per line, or all on the head's
 * last line when one_line. */
static void
zone_start(struct text *t, int n, int one_line)
{
	text_open(t);
	text_add(t, "{\n  \"origin\": \"example.com.\",\n  \"ttl\": 300,\n"
		 "  \"soa\": {\"mname\": \"ns1\", \"rname\": \"hostmaster\"},\n"
		 "  \"records\": {%s\"@\": {\"NS\": [\"ns1\"]}, \"ns1\": {\"A\": \"192.0.2.53\"}",
		 one_line ? "" : "\n    ");
	for (int i = 0; i < n; i++)
		text_add(t, ",%s\"h%d\": {\"A\": [\"10.0.%d.%d\"], \"TXT\": \"\\\"n%d\\\"\"}", one_line ? " " : "\n    ",
			 i, i / 256 % 256, i % 256, i);
}

/* Loads text as the zone; the number of errors. */
static int
load(const char *text, struct zone **out)
{
	struct arena *a = arena_new();
	struct zone *z;

	dnsd_err_init(err);
	z = zload_zone(a, conf, tmp_write("zone.json", text), err);
	if (out != NULL)
		*out = z;
	arena_free(a);
	return err->count;
}

/* "path:line:col: " of the n-th (from 1) occurrence of needle. */
static void
where(const char *text, const char *needle, int n, char *out, size_t cap)
{
	const char *p = text, *s;
	int line = 1, col = 1;

	for (; n > 0; n--) {
		assert_non_null(p = strstr(p, needle));
		if (n > 1)
			p++;
	}
	for (s = text; s < p; s++) {
		if (*s == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)*s & 0xc0) != 0x80) {
			col++;
		}
	}
	snprintf(out, cap, "%s:%d:%d: ", tmp_path("zone.json"), line, col);
}

static void
expect_first(const char *text, const char *needle, int n, const char *msg)
{
	char want[512], pos[300];

	where(text, needle, n, pos, sizeof(pos));
	snprintf(want, sizeof(want), "%s%s", pos, msg);
	assert_true(load(text, NULL) >= 1);
	if (strncmp(err->msg[0], want, strlen(want)) != 0)
		fail_msg("got \"%s\", want \"%s\"", err->msg[0], want);
}

/* Errors found while reading owners, and after all of them (geo, DNAME),
 * at their keys and values, thousands of owners into the object, laid out
 * one per line and all on one line. */
static void
test_errors_after_many_owners(void **state)
{
	(void)state;
	for (int one_line = 0; one_line < 2; one_line++) {
		struct text t;
		const char *nl = one_line ? " " : "\n    ";

		zone_start(&t, 3000, one_line);
		text_add(&t, ",%s\"bad\": {\"TXT\": \"\\\"t\\\"\", \"A\": [\"10.0.0.1\", \"300.1.2.3\"]}", nl);
		text_add(&t, "%s}\n}\n", one_line ? "" : "\n  ");
		text_close(&t);
		expect_first(t.s, "\"300.1.2.3\"", 1, "bad A rdata \"300.1.2.3\": ");
		free(t.s);

		/* the type key of a set, found after the owner's other keys */
		zone_start(&t, 2000, one_line);
		text_add(&t, ",%s\"c\": {\"ttl\": 60, \"TXT\": \"\\\"t\\\"\", \"CNAME\": \"ns1\"}", nl);
		text_add(&t, "%s}\n}\n", one_line ? "" : "\n  ");
		text_close(&t);
		expect_first(t.s, "\"CNAME\"", 1, "CNAME at c.example.com. beside other data");
		free(t.s);

		/* checked once every owner is read: the owner's tree is gone */
		zone_start(&t, 2000, one_line);
		text_add(&t, ",%s\"h1500.x\": {\"MX\": \"10 ns1\", \"AAAA\": \"2001:db8::1\"}", nl);
		text_add(&t, "%s},\n  \"geo\": {\"h1500.x\": {\"regions\": [\"us-east\", \"eu-west\"]}}\n}\n",
			 one_line ? "" : "\n  ");
		text_close(&t);
		expect_first(t.s, "\"AAAA\": \"2001", 1, "geo name h1500.x.example.com. cannot also have AAAA records");
		free(t.s);

		zone_start(&t, 2000, one_line);
		text_add(&t, ",%s\"d.dn\": {\"TXT\": \"\\\"x\\\"\"}", nl);
		text_add(&t, ",%s\"dn\": {\"DNAME\": \"example.net.\"}", nl);
		text_add(&t, "%s}\n}\n", one_line ? "" : "\n  ");
		text_close(&t);
		expect_first(t.s, "\"d.dn\"", 1, "name d.dn.example.com. is below the DNAME at dn.example.com.");
		free(t.s);

		/* the same key twice, far apart: refused at the second */
		zone_start(&t, 2500, one_line);
		text_add(&t, ",%s\"h17\": {\"A\": \"192.0.2.1\"}", nl);
		text_add(&t, "%s}\n}\n", one_line ? "" : "\n  ");
		text_close(&t);
		expect_first(t.s, "\"h17\"", 2, "owner h17.example.com. is given twice");
		assert_int_equal(err->count, 1);
		free(t.s);
	}
}

/* A broken file reports what jansson reports for the whole of it, and
 * nothing else. */
static void
expect_as_jansson(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	char want[512];

	assert_null(j);
	snprintf(want, sizeof(want), "%s:%d:%d: %s", tmp_path("zone.json"), je.line, je.column, je.text);
	assert_int_equal(load(text, NULL), 1);
	if (strcmp(err->msg[0], want) != 0)
		fail_msg("got \"%s\", want \"%s\"", err->msg[0], want);
}

static void
test_syntax_errors_as_whole_file(void **state)
{
	static const struct {
		const char *records;	/* appended to the owners */
		const char *after;	/* after the records object */
	} cases[] = {
		{ ", \"x\": {\"A\": [\"192.0.2.1\",]}", "" },		/* trailing comma in a piece */
		{ ", \"x\": {\"A\": \"192.0.2.1\"},", "" },		/* trailing comma in records */
		{ ", \"x\": {\"A\": \"192.0.2.1\"} \"y\": {}", "" },	/* no comma between owners */
		{ ", \"x\" {\"A\": \"192.0.2.1\"}", "" },		/* no colon */
		{ ", \"x\": {\"A\": \"192.0.2.1\", \"A\": \"192.0.2.2\"}", "" },	/* a type twice */
		{ ", \"x\": {\"ttl\": 12a, \"A\": \"192.0.2.1\"}", "" },
		{ ", \"x\": truex", "" },
		{ ", \"x\": {\"A\": [\"192.0.2.1\"}]", "" },		/* brackets crossed */
		{ ", \"x\xff\": {\"A\": \"192.0.2.1\"}", "" },		/* not UTF-8 */
		{ ", \"x\\u0000\": {\"A\": \"192.0.2.1\"}", "" },	/* NUL in a key */
		{ ", \"x\": {\"TXT\": \"\\\"a\nb\\\"\"}", "" },		/* control character */
		{ ", \"x\": 1e999", "" },
		{ ", \"\xc3\xa9t\xc3\xa9\": {\"A\": \"192.0.2.1\"}", ", \"geo\" 1" },	/* after it, its line */
		{ ", \"x\": {\"A\": [1,]}", ", \"geo\" 1" },		/* both: the first */
		{ "", ", \"records\": {}" },				/* records twice */
		{ ", \"x\": {\"A\": \"192.0.2.1\"", "" },		/* cut short */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int one_line = 0; one_line < 2; one_line++) {
			struct text t;

			zone_start(&t, 1000, one_line);
			/* errors reported before the syntax error is met go */
			text_add(&t, ", \"bad\": {\"A\": \"300.1.2.3\"}%s%s}%s%s\n}\n", cases[i].records,
				 one_line ? "" : "\n  ", cases[i].after, one_line ? "" : "\n");
			text_close(&t);
			print_message("case %zu%s\n", i, one_line ? " (one line)" : "");
			expect_as_jansson(t.s);
			free(t.s);
		}
	/* nested deeper than jansson goes, counting the levels above */
	for (int depth = 2044; depth <= 2048; depth++) {
		struct text t;
		json_error_t je;
		json_t *j;

		zone_start(&t, 10, 0);
		text_add(&t, ", \"x\": ");
		for (int k = 0; k < depth; k++)
			text_add(&t, "[");
		for (int k = 0; k < depth; k++)
			text_add(&t, "]");
		text_add(&t, "}\n}\n");
		text_close(&t);
		if ((j = json_loads(t.s, JSON_REJECT_DUPLICATES, &je)) != NULL) {
			json_decref(j);
			assert_int_equal(load(t.s, NULL), 1);
			assert_non_null(strstr(err->msg[0], "records of x must be an object of types"));
		} else {
			expect_as_jansson(t.s);
		}
		free(t.s);
	}
}

/* jansson never holds the records object: its live bytes stay those of
 * one owner (and the rest of the file), however many owners there are. */
static void
test_one_owner_tree_at_a_time(void **state)
{
	size_t peaks[2], before = live;

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct text t;
		struct zone *z;
		struct arena *a = arena_new();

		zone_start(&t, k == 0 ? 100 : 20000, 0);
		text_add(&t, "\n  }\n}\n");
		text_close(&t);
		dnsd_err_init(err);
		peak = live;
		z = zload_zone(a, conf, tmp_write("zone.json", t.s), err);
		assert_int_equal(err->count, 0);
		assert_non_null(z);
		assert_int_equal(z->nrecords, 2 * (k == 0 ? 100 : 20000) + 3);
		peaks[k] = peak - live;
		arena_free(a);
		free(t.s);
	}
	/* a whole tree of 20,000 owners would be megabytes */
	if (peaks[1] > 2 * peaks[0] || peaks[1] > 64 * 1024)
		fail_msg("jansson peaks at %zu bytes for 100 owners, %zu for 20,000", peaks[0], peaks[1]);
	assert_int_equal(live, before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_after_many_owners),
		cmocka_unit_test(test_syntax_errors_as_whole_file),
		cmocka_unit_test(test_one_owner_tree_at_a_time),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

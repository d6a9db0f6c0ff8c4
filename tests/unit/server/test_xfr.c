/*
 * test_xfr.c -- zone transfer streams (dnsd/server/xfr.h) in process:
 * a stream outlives the snapshot it began on being replaced (its hold,
 * publish_snap_hold()), gives every record once between two SOAs, and
 * carries a geo name's transfer view; refusals.  Under AddressSanitizer
 * a stream reading a freed snapshot fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <urcu.h>

#include "dnsd/proto/wire.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/reload.h"
#include "dnsd/server/xfr.h"
#include "tests/unit/test_tmp.h"

#define NAMES 2000

static const char conf_text[] =
	"{\"listen\": [\"127.0.0.1:5353\"], \"workers\": 1, \"zones\": [\"zone.json\"],\n"
	" \"regions\": {\n"
	"  \"us-east\": {\"location\": [39.04, -77.49], \"endpoints\": [\"192.0.2.10\", \"2001:db8:10::10\"]},\n"
	"  \"eu-west\": {\"location\": [53.35, -6.26], \"endpoints\": [\"198.51.100.10\"], \"pin\": \"eu\"}},\n"
	" \"pins\": {\"eu\": {\"countries\": [\"DE\"], \"mode\": \"strict\"}}}\n";

static const struct query_client allowed = { .family = 4, .addr = { 127, 0, 0, 1 } };
static const struct query_client stranger = { .family = 4, .addr = { 192, 0, 2, 7 } };

/* A zone of NAMES A records, transferable from 127.0.0.1; geo name www
 * (eu-only view), geo name api excluded. */
static void
write_zone(unsigned serial)
{
	size_t cap = 64 * NAMES + 1024, n = 0;
	char *z = malloc(cap);

	n += (size_t)snprintf(z + n, cap - n,
			      "{\"origin\": \"example.com.\", \"ttl\": 300, \"transfer\": {\"allow\": [\"127.0.0.1/32\"]},\n"
			      " \"soa\": {\"mname\": \"ns1\", \"rname\": \"hostmaster\", \"serial\": %u},\n"
			      " \"geo\": {\"www\": {\"regions\": [\"eu-west\", \"us-east\"]},\n"
			      "         \"api\": {\"regions\": [\"us-east\", \"eu-west\"], \"transfer\": \"exclude\"}},\n"
			      " \"records\": {\"@\": {\"NS\": [\"ns1\"]}", serial);
	for (int i = 0; i < NAMES; i++)
		n += (size_t)snprintf(z + n, cap - n, ",\n \"h%d\": {\"A\": [\"10.0.%d.%d\"]}", i, i >> 8, i & 255);
	snprintf(z + n, cap - n, "}}\n");
	tmp_write("zone.json", z);
	free(z);
}

static void
load_and_publish(unsigned serial)
{
	struct dnsd_err err = { 0 };
	struct snap *s;

	write_zone(serial);
	s = reload_build(tmp_path("dnsd.json"), &err);
	if (s == NULL)
		dnsd_err_print(&err, stderr);
	assert_non_null(s);
	assert_int_equal(reload_publish(s, NULL, &err), 0);
}

static size_t
make_query(uint8_t *pkt, uint16_t qtype)
{
	static const uint8_t name[] = "\7example\3com";
	size_t n = WIRE_HDR;

	memset(pkt, 0, WIRE_HDR);
	pkt[0] = 0x12;
	pkt[5] = 1;
	memcpy(pkt + n, name, sizeof(name));
	n += sizeof(name);
	pkt[n++] = (uint8_t)(qtype >> 8);
	pkt[n++] = (uint8_t)qtype;
	pkt[n++] = 0;
	pkt[n++] = WIRE_C_IN;
	return n;
}

/* Counts the answer records of one message and, by type, SOA and A. */
struct tally {
	unsigned messages, records, soa, a, aaaa;
	int saw_www_eu, saw_www_us, saw_api;
};

static void
count_message(const uint8_t *m, size_t len, struct tally *t)
{
	size_t pos = WIRE_HDR;
	uint16_t qd = wire_get16(m + 4), an = wire_get16(m + 6);
	uint8_t name[DNAME_MAX];

	assert_true(wire_get16(m + 2) & WIRE_F_AA);
	assert_int_equal(m[3] & 0xf, 0);
	for (uint16_t i = 0; i < qd; i++) {
		assert_true(dname_parse(m, len, &pos, name, 0) >= 0);
		pos += 4;
	}
	for (uint16_t i = 0; i < an; i++) {
		assert_true(dname_parse(m, len, &pos, name, 0) >= 0);
		uint16_t type = wire_get16(m + pos), rdlen = wire_get16(m + pos + 8);
		const uint8_t *rd = m + pos + 10;
		int www = name[0] == 3 && memcmp(name + 1, "www", 3) == 0;
		t->soa += type == WIRE_T_SOA;
		t->a += type == WIRE_T_A;
		t->aaaa += type == WIRE_T_AAAA;
		t->saw_www_eu |= www && type == WIRE_T_A && memcmp(rd, "\xc6\x33\x64\x0a", 4) == 0;
		t->saw_www_us |= www && rdlen == 4 && rd[0] == 192;
		t->saw_api |= name[0] == 3 && memcmp(name + 1, "api", 3) == 0;
		pos += 10 + rdlen;
		t->records++;
	}
	t->messages++;
}

/* The stream keeps its snapshot: replaced twice mid-transfer (freed at
 * once without the hold), the transfer still reads it to the end. */
static void
test_stream_outlives_reload(void **state)
{
	static uint8_t out[WIRE_MAX];
	uint8_t pkt[64];
	struct xfr_stream *x = NULL;
	struct tally t = { 0 };
	size_t n, qlen = make_query(pkt, WIRE_T_AXFR);

	rcu_read_lock();
	n = xfr_answer_tcp(publish_snap_get(), NULL, pkt, qlen, &allowed, out, WIRE_MAX, NULL, &x);
	rcu_read_unlock();
	assert_non_null(x);
	count_message(out, n, &t);
	load_and_publish(2);
	load_and_publish(3);
	while ((n = xfr_stream_next(x, out, WIRE_MAX)) > 0)
		count_message(out, n, &t);
	xfr_stream_free(x);
	assert_true(t.messages > 1);
	assert_int_equal(t.soa, 2);
	/* NAMES hosts, ns1 is not an owner here: NS only; www's eu view */
	assert_int_equal(t.a, NAMES + 1);
	assert_int_equal(t.aaaa, 0);
	assert_int_equal(t.records, NAMES + 1 /* NS */ + 1 /* www */ + 2);
	assert_true(t.saw_www_eu);
	assert_false(t.saw_www_us);
	assert_false(t.saw_api);
}

static void
test_refused(void **state)
{
	static uint8_t out[WIRE_MAX];
	uint8_t pkt[64];
	struct xfr_stream *x = NULL;
	size_t n, qlen = make_query(pkt, WIRE_T_AXFR);

	rcu_read_lock();
	n = xfr_answer_tcp(publish_snap_get(), NULL, pkt, qlen, &stranger, out, WIRE_MAX, NULL, &x);
	assert_null(x);
	assert_true(n >= WIRE_HDR);
	assert_int_equal(out[3] & 0xf, WIRE_RCODE_REFUSED);
	assert_int_equal(wire_get16(out + 6), 0);
	/* AXFR over UDP: refused even to an allowed address */
	n = xfr_answer_udp(publish_snap_get(), NULL, pkt, qlen, &allowed, out, 1232, NULL);
	assert_int_equal(out[3] & 0xf, WIRE_RCODE_REFUSED);
	/* IXFR over UDP from an allowed address: the SOA alone */
	qlen = make_query(pkt, WIRE_T_IXFR);
	n = xfr_answer_udp(publish_snap_get(), NULL, pkt, qlen, &allowed, out, 1232, NULL);
	rcu_read_unlock();
	assert_int_equal(out[3] & 0xf, 0);
	assert_int_equal(wire_get16(out + 6), 1);
}

static int
setup(void **state)
{
	if (tmp_make("xfr") < 0)
		return -1;
	tmp_write("dnsd.json", conf_text);
	rcu_register_thread();
	load_and_publish(1);
	return 0;
}

static int
teardown(void **state)
{
	publish_snap(NULL);
	rcu_unregister_thread();
	tmp_remove();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_outlives_reload),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

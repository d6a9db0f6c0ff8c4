/*
 * test_wire.c -- DNS message parsing and building, domain-name handling.
 * Parser inputs end just before a PROT_NONE page so an over-read crashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnsd/proto/dname.h"
#include "dnsd/proto/wire.h"

/* Copies pkt to the end of a page followed by an inaccessible page. */
static const uint8_t *
guarded(const uint8_t *pkt, size_t len)
{
	static uint8_t *region;
	long page = sysconf(_SC_PAGESIZE);

	if (region == NULL) {
		region = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(region != MAP_FAILED);
		assert_int_equal(mprotect(region + page, (size_t)page, PROT_NONE), 0);
	}
	memcpy(region + page - len, pkt, len);
	return region + page - len;
}

static const uint8_t q_www[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	3, 'W', 'w', 'W', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0, 1, 0, 1,
};

static void
test_parse_plain_query(void **state)
{
	struct wire_query q;

	assert_int_equal(wire_query_parse(guarded(q_www, sizeof(q_www)), sizeof(q_www), &q), WIRE_OK);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.qtype, WIRE_T_A);
	assert_int_equal(q.qclass, WIRE_C_IN);
	assert_int_equal(q.qname_len, 17);
	assert_memory_equal(q.qname, "\3www\7example\3com", 17);	/* lowercased */
	assert_int_equal(q.qend, sizeof(q_www));
	assert_false(q.edns);
}

static void
test_parse_edns_nsid_ecs(void **state)
{
	uint8_t pkt[128];
	struct wire_query q;
	size_t n = sizeof(q_www);
	static const uint8_t opt[] = {
		0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 19,
		0, 3, 0, 0,			/* NSID */
		0, 8, 0, 7, 0, 1, 24, 0, 2, 0, 1,	/* ECS 2.0.1.0/24 */
		0, 9, 0, 0,			/* unknown option: ignored */
	};

	memcpy(pkt, q_www, n);
	pkt[11] = 1;
	memcpy(pkt + n, opt, sizeof(opt));
	n += sizeof(opt);
	assert_int_equal(wire_query_parse(guarded(pkt, n), n, &q), WIRE_OK);
	assert_true(q.edns);
	assert_int_equal(q.udp_size, 4096);
	assert_true(q.edns_do);
	assert_true(q.nsid);
	assert_true(q.ecs);
	assert_int_equal(q.ecs_addr.family, 4);
	assert_int_equal(q.ecs_addr.prefix, 24);
	assert_int_equal(q.ecs_addr.bytes[0], 2);
}

struct bad_case {
	const char *what;
	uint8_t pkt[64];
	size_t len;
	int expect;
};

static void
test_parse_bad_packets(void **state)
{
	static const struct bad_case cases[] = {
		{ "short header", { 0x12, 0x34, 1, 0, 0, 1 }, 6, WIRE_EDROP },
		{ "QR set", { 0x12, 0x34, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, 17, WIRE_EDROP },
		{ "qdcount 2", { 0x12, 0x34, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1 }, 22, WIRE_EFORMERR },
		{ "qdcount 0", { 0x12, 0x34, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 12, WIRE_EFORMERR },
		{ "truncated question", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w' }, 15, WIRE_EFORMERR },
		{ "label 64", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64 }, 13, WIRE_EFORMERR },
		{ "pointer loop", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 }, 18, WIRE_EFORMERR },
		{ "opcode 2", { 0x12, 0x34, 0x10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, 17, WIRE_ENOTIMP },
		{ "qtype OPT", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 41, 0, 1 }, 17, WIRE_EFORMERR },
		{ "arcount past end", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1 }, 17, WIRE_EFORMERR },
		{ "two OPT", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 1, 0, 1,
			       0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0 }, 39, WIRE_EFORMERR },
		{ "OPT not root", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1,
				    1, 'a', 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0 }, 29, WIRE_EFORMERR },
		{ "option past rdata", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1,
					 0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 4, 0, 3, 0, 9 }, 32, WIRE_EFORMERR },
		{ "EDNS version 1", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1,
				      0, 0, 41, 2, 0, 0, 1, 0, 0, 0, 0 }, 28, WIRE_EBADVERS },
		{ "ECS bits past prefix", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1,
					    0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 11, 0, 8, 0, 7, 0, 1, 23, 0, 2, 0, 1 }, 39, WIRE_EFORMERR },
		{ "question name compressed into the header (fuzz regress-question-pointer-past-qend)",
		  { 0x3f, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 1, 0, 1 }, 18, WIRE_EFORMERR },
		{ "OPT in answer section", { 0x12, 0x34, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1,
					     0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0 }, 28, WIRE_EFORMERR },
		{ "trailing bytes", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0xde, 0xad }, 19, WIRE_EFORMERR },
		{ "ECS prefix 33", { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1,
				     0, 0, 41, 2, 0, 0, 0, 0, 0, 0, 12, 0, 8, 0, 8, 0, 1, 33, 0, 2, 0, 1, 1 }, 40, WIRE_EFORMERR },
	};
	struct wire_query q;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = wire_query_parse(guarded(cases[i].pkt, cases[i].len), cases[i].len, &q);
		if (rc != cases[i].expect)
			fail_msg("%s: got %d, want %d", cases[i].what, rc, cases[i].expect);
	}
}

static void
test_name_over_255(void **state)
{
	uint8_t pkt[300] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct wire_query q;
	size_t n = 12;

	for (int i = 0; i < 5; i++) {	/* 5 x 52 = 260 bytes of labels */
		pkt[n++] = 51;
		memset(pkt + n, 'a', 51);
		n += 51;
	}
	pkt[n++] = 0;
	pkt[n++] = 0; pkt[n++] = 1; pkt[n++] = 0; pkt[n++] = 1;
	assert_int_equal(wire_query_parse(guarded(pkt, n), n, &q), WIRE_EFORMERR);
}

static void
test_compression_points_back(void **state)
{
	uint8_t out[512];
	struct wire_buf b;
	struct wire_query q;

	assert_int_equal(wire_query_parse(q_www, sizeof(q_www), &q), WIRE_OK);
	wire_buf_init(&b, out, sizeof(out));
	wire_put_header_question(&b, q_www, &q);
	/* owner equal to the question (any case): a pointer to offset 12 */
	wire_put_name(&b, (const uint8_t *)"\3www\7example\3com");
	assert_int_equal(b.len, sizeof(q_www) + 2);
	assert_int_equal(out[sizeof(q_www)], 0xc0);
	assert_int_equal(out[sizeof(q_www) + 1], 12);
	/* a sibling shares the suffix: one label then a pointer to example.com */
	wire_put_name(&b, (const uint8_t *)"\4mail\7example\3com");
	assert_int_equal(out[sizeof(q_www) + 2], 4);
	assert_int_equal(out[sizeof(q_www) + 7], 0xc0);
	assert_int_equal(out[sizeof(q_www) + 8], 16);
	assert_false(b.overflow);
}

static void
test_cursor_overflow_is_sticky(void **state)
{
	uint8_t out[14];
	struct wire_buf b;

	wire_buf_init(&b, out, sizeof(out));
	wire_put_u32(&b, 1);
	wire_put_bytes(&b, "0123456789a", 11);
	assert_true(b.overflow);
	wire_put_u16(&b, 1);	/* would fit, but the cursor stays failed */
	assert_true(b.overflow);
	assert_int_equal(b.len, 4);
}

static void
test_dname_helpers(void **state)
{
	const uint8_t *a = (const uint8_t *)"\3WWW\7example\3com";
	const uint8_t *zone = (const uint8_t *)"\7EXAMPLE\3com";
	char text[64];

	assert_int_equal(dname_len(a), 17);
	assert_int_equal(dname_labels(a), 3);
	assert_true(dname_is_under(a, zone));
	assert_false(dname_is_under(zone, a));
	assert_true(dname_equal(dname_parent(a), zone));
	dname_to_text(a, text, sizeof(text));
	assert_string_equal(text, "WWW.example.com.");
	dname_to_text((const uint8_t *)"", text, sizeof(text));
	assert_string_equal(text, ".");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_plain_query),
		cmocka_unit_test(test_parse_edns_nsid_ecs),
		cmocka_unit_test(test_parse_bad_packets),
		cmocka_unit_test(test_name_over_255),
		cmocka_unit_test(test_compression_points_back),
		cmocka_unit_test(test_cursor_overflow_is_sticky),
		cmocka_unit_test(test_dname_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

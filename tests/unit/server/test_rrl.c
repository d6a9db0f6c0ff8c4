/*
 * test_rrl.c -- response rate limiting: burst then rate, slip, refill
 * over (injected) time, networks and response classes apart, no limit on
 * responses that amplify nothing, the truncated slip answer; and, on real
 * answers from a snapshot of tests/data, what each answer is counted
 * under (wildcard owner, delegation point, zone), colliding keys, the
 * secret seed and the table allocated only when RRL is on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dnsd/server/rrl.h"
#include "dnsd/proto/wire.h"
#include "dnsd/zone/snap.h"

/* Counting wrappers (the binary links with -Wl,--wrap=malloc,calloc):
 * bytes asked for, to see when the bucket table is allocated. */
static size_t g_alloc_bytes;
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__wrap_malloc(size_t n) { g_alloc_bytes += n; return __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { g_alloc_bytes += a * b; return __real_calloc(a, b); }

/* A NOERROR response for www.example.com A with one answer (49 bytes). */
static uint8_t resp[64] = {
	0xab, 0xcd, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1,
};
#define RESP_LEN 49
#define QUERY_LEN 33
/* What query_answer_rrl() says of it, and of an NXDOMAIN in example.com. */
static const struct query_rrl www = { QUERY_RRL_ANSWER, resp + WIRE_HDR, WIRE_T_A };
static const struct query_rrl nx = { QUERY_RRL_NXDOMAIN, resp + WIRE_HDR + 4, WIRE_T_A };
/* Tests see buckets fall the same way on every run. */
static const uint64_t secret[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

static struct dnsd_conf conf;

static int
setup(void **state)
{
	conf.rrl.responses_per_second = 10;
	conf.rrl.slip = 2;
	conf.rrl.ipv4_prefix = 24;
	conf.rrl.ipv6_prefix = 56;
	*state = rrl_new_keyed(10, secret);
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	rrl_free(*state);
	return 0;
}

static const struct query_client c1 = { .family = 4, .addr = { 192, 0, 2, 1 }, .port = 1000 };
static const struct query_client c1b = { .family = 4, .addr = { 192, 0, 2, 200 }, .port = 2000 };
static const struct query_client c2 = { .family = 4, .addr = { 192, 0, 3, 1 }, .port = 1000 };

static int
count(struct rrl *r, const struct query_client *c, uint64_t now, int n, int *slips)
{
	int pass = 0;

	*slips = 0;
	for (int i = 0; i < n; i++) {
		enum rrl_verdict v = rrl_check(r, &conf, c, &www, RESP_LEN, QUERY_LEN, now);
		pass += v == RRL_PASS;
		*slips += v == RRL_SLIP;
	}
	return pass;
}

static void
test_burst_then_limited_with_slip(void **state)
{
	int slips;

	assert_int_equal(count(*state, &c1, 1000, 30, &slips), 10);	/* burst: one second's worth */
	assert_int_equal(slips, 10);					/* every 2nd of 20 limited */
	/* the same /24 shares the bucket; another /24 does not */
	assert_int_equal(count(*state, &c1b, 1000, 5, &slips), 0);
	assert_int_equal(count(*state, &c2, 1000, 10, &slips), 10);
	/* half a second refills five */
	assert_int_equal(count(*state, &c1, 1500, 10, &slips), 5);
	/* and never more than the burst */
	assert_int_equal(count(*state, &c1, 60000, 30, &slips), 10);
}

static void
test_classes_and_small_responses(void **state)
{
	int slips;

	count(*state, &c1, 100000, 30, &slips);	/* answers exhausted */
	assert_int_equal(rrl_check(*state, &conf, &c1, &nx, RESP_LEN, QUERY_LEN, 100000), RRL_PASS);
	/* no larger than the query: amplifies nothing, never limited */
	assert_int_equal(rrl_check(*state, &conf, &c1, &www, QUERY_LEN, QUERY_LEN, 100000), RRL_PASS);
	conf.rrl.responses_per_second = 0;	/* off */
	assert_int_equal(rrl_check(*state, &conf, &c1, &www, RESP_LEN, QUERY_LEN, 100000), RRL_PASS);
	conf.rrl.responses_per_second = 10;
}

static void
test_slip_answer_is_truncated_question(void **state)
{
	uint8_t r[64];

	memcpy(r, resp, sizeof(r));
	assert_int_equal(rrl_slip(r, RESP_LEN), QUERY_LEN);
	assert_true(wire_get16(r + 2) & WIRE_F_TC);
	assert_int_equal(wire_get16(r + 4), 1);
	assert_int_equal(wire_get16(r + 6), 0);
	assert_int_equal(wire_get16(r + 10), 0);
}

/* --- keys of real answers (issue 13 item 2) ------------------------------ */

static struct snap *g_snap;

static size_t
make_query(uint8_t *p, const char *name, uint16_t type)
{
	size_t n = WIRE_HDR;

	memset(p, 0, WIRE_HDR);
	p[5] = 1;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	p[n++] = (uint8_t)(type >> 8);
	p[n++] = (uint8_t)type;
	p[n++] = 0;
	p[n++] = WIRE_C_IN;
	return n;
}

/* Answers (name, type) for client c from the test snapshot and runs RRL
 * on the response as the UDP reader does: 1 when it goes out in full. */
static int
ask_passes(struct rrl *r, const struct query_client *c, const char *name, uint16_t type, uint64_t now)
{
	uint8_t pkt[WIRE_HDR + 260], out[1232];
	size_t n = make_query(pkt, name, type), len;
	struct query_rrl what;

	len = query_answer_rrl(g_snap, NULL, pkt, n, c, QUERY_UDP, out, sizeof(out), NULL, &what);
	assert_true(len > n);	/* every case here amplifies, so RRL applies */
	return rrl_check(r, &conf, c, &what, len, n, now) == RRL_PASS;
}

/* n queries at one instant: fmt gets the query's index (a random label,
 * a different type...); returns how many went out in full. */
static int
burst_of(const char *fmt, const uint16_t *types, int n)
{
	struct rrl *r = rrl_new_keyed(10, secret);
	char name[128];
	int pass = 0;

	assert_non_null(r);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), fmt, i * 7919);
		pass += ask_passes(r, &c1, name, types ? types[i % 4] : WIRE_T_A, 5000);
	}
	rrl_free(r);
	return pass;
}

/* Random labels under "*.dev": one wildcard, one bucket. */
static void
test_rrl_wildcard_answers_keyed_by_wildcard_owner(void **state)
{
	(void)state;
	assert_int_equal(burst_of("r%d.dev.example.com", NULL, 40), 10);
	/* and the wildcard's bucket is not the bucket of another name */
	struct rrl *r = rrl_new_keyed(10, secret);
	for (int i = 0; i < 20; i++)
		ask_passes(r, &c1, "x.dev.example.com", WIRE_T_A, 5000);
	assert_true(ask_passes(r, &c1, "mail.example.com", WIRE_T_A, 5000));
	rrl_free(r);
}

/* Random names below the "lab" cut: one referral bucket. */
static void
test_rrl_referrals_keyed_by_delegation_point(void **state)
{
	(void)state;
	assert_int_equal(burst_of("h%d.lab.example.com", NULL, 40), 10);
}

/* NXDOMAIN for random names and NODATA for random types: the zone's. */
static void
test_rrl_negative_answers_keyed_by_zone(void **state)
{
	static const uint16_t types[4] = { WIRE_T_TXT, WIRE_T_MX, WIRE_T_SRV, WIRE_T_CAA };

	(void)state;
	assert_int_equal(burst_of("n%d.example.com", NULL, 40), 10);
	assert_int_equal(burst_of("mail.example.com", types, 40), 10);
	assert_int_equal(burst_of("www2.example.com", types, 40), 10);
	/* another zone's negative answers are another bucket */
	struct rrl *r = rrl_new_keyed(10, secret);
	for (int i = 0; i < 20; i++)
		ask_passes(r, &c1, "nx.example.com", WIRE_T_A, 5000);
	assert_true(ask_passes(r, &c1, "nx.sub.example.com", WIRE_T_A, 5000));
	rrl_free(r);
}

/* One bucket for everyone: a second network taking it over must not
 * hand either network a fresh burst, or alternating two keys would
 * never be limited. */
static void
test_rrl_colliding_key_does_not_reset_bucket(void **state)
{
	struct rrl *r = rrl_new_keyed(0, secret);
	int pass = 0;

	(void)state;
	assert_non_null(r);
	for (int i = 0; i < 100; i++)
		pass += ask_passes(r, i % 2 ? &c1 : &c2, "mail.example.com", WIRE_T_A, 7000);
	assert_true(pass <= 10);
	rrl_free(r);
}

/* Two networks in a table of two buckets share one in about half the
 * tables when each table hashes with its own secret; without a secret
 * they would share in all of them or in none. */
static void
test_rrl_hash_seeded_per_table(void **state)
{
	int shared = 0;

	(void)state;
	for (int t = 0; t < 64; t++) {
		struct rrl *r = rrl_new(1);
		assert_non_null(r);
		for (int i = 0; i < 10; i++)
			ask_passes(r, &c1, "mail.example.com", WIRE_T_A, 9000);
		shared += !ask_passes(r, &c2, "mail.example.com", WIRE_T_A, 9000);
		rrl_free(r);
	}
	assert_true(shared > 0 && shared < 64);
}

/* An idle reader with RRL off holds no bucket table; the first response
 * checked with RRL on allocates it. */
static void
test_rrl_table_allocated_only_when_on(void **state)
{
	struct rrl *r;
	size_t before = g_alloc_bytes;

	(void)state;
	conf.rrl.responses_per_second = 0;
	r = rrl_new(16);
	assert_non_null(r);
	ask_passes(r, &c1, "mail.example.com", WIRE_T_A, 9000);
	assert_true(g_alloc_bytes - before < 4096);
	conf.rrl.responses_per_second = 10;
	ask_passes(r, &c1, "mail.example.com", WIRE_T_A, 9000);
	assert_true(g_alloc_bytes - before >= ((size_t)1 << 16) * 16);
	rrl_free(r);
}

static int
snap_setup(void **state)
{
	char path[512];
	struct dnsd_err *err = calloc(1, sizeof(*err));

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/data/query_dnsd.json", getenv("DNSD_SRC"));
	g_snap = snap_load(path, err);
	if (g_snap != NULL && query_prepare(g_snap) < 0) {
		snap_free(g_snap);
		g_snap = NULL;
	}
	if (g_snap == NULL)
		dnsd_err_print(err, stderr);
	free(err);
	conf.rrl.responses_per_second = 10;
	conf.rrl.slip = 2;
	conf.rrl.ipv4_prefix = 24;
	conf.rrl.ipv6_prefix = 56;
	return g_snap ? 0 : -1;
}

static int
snap_teardown(void **state)
{
	(void)state;
	snap_free(g_snap);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_limited_with_slip),
		cmocka_unit_test(test_classes_and_small_responses),
		cmocka_unit_test(test_slip_answer_is_truncated_question),
	};
	const struct CMUnitTest keyed[] = {
		cmocka_unit_test(test_rrl_wildcard_answers_keyed_by_wildcard_owner),
		cmocka_unit_test(test_rrl_referrals_keyed_by_delegation_point),
		cmocka_unit_test(test_rrl_negative_answers_keyed_by_zone),
		cmocka_unit_test(test_rrl_colliding_key_does_not_reset_bucket),
		cmocka_unit_test(test_rrl_hash_seeded_per_table),
		cmocka_unit_test(test_rrl_table_allocated_only_when_on),
	};
	int failed = cmocka_run_group_tests(tests, setup, teardown);

	return failed + cmocka_run_group_tests_name("keyed", keyed, snap_setup, snap_teardown);
}

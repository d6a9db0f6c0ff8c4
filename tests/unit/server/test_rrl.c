/*
 * test_rrl.c -- response rate limiting: burst then rate, slip, refill
 * over (injected) time, networks and response classes apart, no limit on
 * responses that amplify nothing, the truncated slip answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnsd/server/rrl.h"
#include "dnsd/proto/wire.h"

/* A NOERROR response for www.example.com A with one answer (60 bytes). */
static uint8_t resp[64] = {
	0xab, 0xcd, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1,
};
#define RESP_LEN 49
#define QUERY_LEN 33

static struct dnsd_conf conf;

static int
setup(void **state)
{
	conf.rrl.responses_per_second = 10;
	conf.rrl.slip = 2;
	conf.rrl.ipv4_prefix = 24;
	conf.rrl.ipv6_prefix = 56;
	*state = rrl_new(10);
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
		enum rrl_verdict v = rrl_check(r, &conf, c, resp, RESP_LEN, QUERY_LEN, now);
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
	uint8_t nx[64];
	int slips;

	count(*state, &c1, 100000, 30, &slips);	/* answers exhausted */
	memcpy(nx, resp, sizeof(nx));
	nx[3] = (nx[3] & 0xf0) | WIRE_RCODE_NXDOMAIN;
	assert_int_equal(rrl_check(*state, &conf, &c1, nx, RESP_LEN, QUERY_LEN, 100000), RRL_PASS);
	/* no larger than the query: amplifies nothing, never limited */
	assert_int_equal(rrl_check(*state, &conf, &c1, resp, QUERY_LEN, QUERY_LEN, 100000), RRL_PASS);
	conf.rrl.responses_per_second = 0;	/* off */
	assert_int_equal(rrl_check(*state, &conf, &c1, resp, RESP_LEN, QUERY_LEN, 100000), RRL_PASS);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_limited_with_slip),
		cmocka_unit_test(test_classes_and_small_responses),
		cmocka_unit_test(test_slip_answer_is_truncated_question),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

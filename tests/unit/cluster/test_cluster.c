/*
 * test_cluster.c -- the cluster's pure pieces (docs/cluster.md): the
 * quorum rule over the live nodes' verdicts, and the base64 the etcd
 * gateway wants for keys and values.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnsd/cluster/cluster.h"

struct quorum_case {
	enum conf_quorum q;
	unsigned down, n;
	enum health_state want;
};

static void
test_quorum_rules(void **state)
{
	static const struct quorum_case cases[] = {
		/* majority: down when more than half of those with a verdict say so */
		{ CONF_QUORUM_MAJORITY, 0, 3, HEALTH_UP },
		{ CONF_QUORUM_MAJORITY, 1, 3, HEALTH_UP },
		{ CONF_QUORUM_MAJORITY, 2, 3, HEALTH_DOWN },
		{ CONF_QUORUM_MAJORITY, 1, 2, HEALTH_UP },	/* a tie is not more than half */
		{ CONF_QUORUM_MAJORITY, 2, 2, HEALTH_DOWN },
		{ CONF_QUORUM_MAJORITY, 1, 1, HEALTH_DOWN },	/* alone, a node trusts itself */
		/* any: one verdict is enough */
		{ CONF_QUORUM_ANY, 1, 3, HEALTH_DOWN },
		{ CONF_QUORUM_ANY, 0, 3, HEALTH_UP },
		/* all: down only when every one says so */
		{ CONF_QUORUM_ALL, 2, 3, HEALTH_UP },
		{ CONF_QUORUM_ALL, 3, 3, HEALTH_DOWN },
		/* nobody has a verdict yet */
		{ CONF_QUORUM_MAJORITY, 0, 0, HEALTH_UNKNOWN },
		{ CONF_QUORUM_ANY, 0, 0, HEALTH_UNKNOWN },
		{ CONF_QUORUM_ALL, 0, 0, HEALTH_UNKNOWN },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cluster_quorum(cases[i].q, cases[i].down, cases[i].n) != cases[i].want)
			fail_msg("case %zu: quorum %d, %u/%u down: got %d, want %d", i, cases[i].q, cases[i].down,
				 cases[i].n, cluster_quorum(cases[i].q, cases[i].down, cases[i].n), cases[i].want);
}

static void
test_b64_round_trip(void **state)
{
	static const struct { const char *plain, *b64; } cases[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "/dnsd/example/force/region/eu-west", "L2Ruc2QvZXhhbXBsZS9mb3JjZS9yZWdpb24vZXUtd2VzdA==" },
	};
	char enc[128];
	unsigned char dec[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].plain);
		assert_int_equal(cluster_b64_encode(cases[i].plain, n, enc, sizeof(enc)), (int)strlen(cases[i].b64));
		assert_string_equal(enc, cases[i].b64);
		assert_int_equal(cluster_b64_decode(enc, strlen(enc), dec, sizeof(dec)), (int)n);
		assert_memory_equal(dec, cases[i].plain, n);
	}
}

static void
test_b64_refuses_bad_input(void **state)
{
	unsigned char dec[8];
	char enc[4];

	(void)state;
	assert_int_equal(cluster_b64_decode("Zm9", 3, dec, sizeof(dec)), -EINVAL);	/* not a multiple of 4 */
	assert_int_equal(cluster_b64_decode("Zm!v", 4, dec, sizeof(dec)), -EINVAL);
	assert_int_equal(cluster_b64_decode("Zg=v", 4, dec, sizeof(dec)), -EINVAL);	/* data after padding */
	assert_int_equal(cluster_b64_decode("Zm9vYmFy", 8, dec, 4), -ENOSPC);
	assert_int_equal(cluster_b64_encode("foo", 3, enc, sizeof(enc)), -ENOSPC);	/* no room for the NUL */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quorum_rules),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_b64_refuses_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_geo_noalloc.c -- geo_locate() and geo_decide() never allocate
 * (docs/performance.md): 10,000 located decisions with malloc, calloc and realloc
 * counted.  The counters replace glibc's entry points in this binary, so
 * they also see libmaxminddb's calls (tests/unit/alloc_count.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_geo_util.h"

#include "tests/unit/alloc_count.h"

static const char *const clients[] = {
	"2.0.1.7", "2.0.200.1", "10.20.5.1", "10.30.1.1", "10.99.0.1", "11.0.0.1", "12.3.4.5",
	"1.128.9.9", "202.12.1.1", "192.0.2.1", "2001:db8:1::1", "2001:db8:1:8000::1", "2001:db8:9::1",
};

static void
test_locate_and_decide_never_allocate(void **state)
{
	struct geo_model *m;
	struct geo_name n = {.nregions = 3, .regions = {0, 1, 2}, .max_regions = 2};
	struct geo_view v = {.has = {7, 5}, .up = {6, 4}};
	struct geo_addr a = taddr("10.30.0.0/16");
	char dir[] = "/tmp/geo-noalloc-XXXXXX", db[512], err[256], cmd[600];
	int eu;

	m = geo_model_new();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(tbuild_mmdb(dir, "geo_networks.csv", "city", "city.mmdb", db, sizeof(db)), 0);
	assert_int_equal(geo_model_open_geoip(m, db, err, sizeof(err)), 0);
	assert_true((eu = geo_pin_add(m, "eu", GEO_PIN_PREFERRED)) >= 0);
	assert_int_equal(geo_pin_add_continent(m, eu, "EU"), 0);
	assert_int_equal(geo_region_add(m, "us-east", 39.04, -77.49, -1), 0);
	assert_int_equal(geo_region_add(m, "eu-west", 53.35, -6.26, eu), 1);
	assert_int_equal(geo_region_add(m, "ap-southeast", 1.35, 103.82, -1), 2);
	assert_int_equal(geo_network_add(m, &a, NULL, 0), 0);
	a = taddr("10.20.0.0/16");
	assert_int_equal(geo_network_add(m, &a, "DE", -1), 0);
	assert_int_equal(geo_model_finish(m, NULL, NULL), 0);

	alloc_counting = 1;
	for (int i = 0; i < 10000; i++) {
		struct geo_addr c = taddr(clients[i % (sizeof(clients) / sizeof(clients[0]))]);
		struct geo_location loc;
		struct geo_decision d;

		geo_locate(m, &c, &loc);
		geo_decide(m, &n, &loc, i % 2 ? GEO_FAM_AAAA : GEO_FAM_A, &v, &d);
	}
	alloc_counting = 0;
	assert_int_equal(alloc_count, 0);

	geo_model_free(m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locate_and_decide_never_allocate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

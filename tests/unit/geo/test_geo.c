/*
 * test_geo.c -- geo/ basics: ECS option values, haversine, the country
 * table, model construction errors and the residency proof.
 * Locating is in test_geo_locate.c, deciding in test_geo_decide.c.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_geo_util.h"

/* ---- ECS ---------------------------------------------------------------- */

struct ecs_case {
	const char *what;
	uint8_t data[24];
	size_t len;
	int rc;
	const char *net;	/* expected network when rc == 0 */
	unsigned scope;
};

static const struct ecs_case ecs_cases[] = {
	{"v4 /24", {0, 1, 24, 0, 192, 0, 2}, 7, 0, "192.0.2.0/24", 0},
	{"v4 /32", {0, 1, 32, 0, 192, 0, 2, 7}, 8, 0, "192.0.2.7/32", 0},
	{"v4 /25", {0, 1, 25, 0, 192, 0, 2, 128}, 8, 0, "192.0.2.128/25", 0},
	{"v4 /0 (do not use my subnet)", {0, 1, 0, 0}, 4, 0, "0.0.0.0/0", 0},
	{"v4 scope echoed", {0, 1, 24, 16, 192, 0, 2}, 7, 0, "192.0.2.0/24", 16},
	{"v6 /48", {0, 2, 48, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 1}, 10, 0, "2001:db8:1::/48", 0},
	{"v6 /56", {0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0xab}, 11, 0, "2001:db8:1:ab00::/56", 0},
	{"v6 /0", {0, 2, 0, 0}, 4, 0, "::/0", 0},
	{"v4 prefix 33", {0, 1, 33, 0, 1, 2, 3, 4, 5}, 9, -EINVAL, NULL, 0},
	{"v6 prefix 129", {0, 2, 129, 0}, 4, -EINVAL, NULL, 0},
	{"bits past /23", {0, 1, 23, 0, 192, 0, 3}, 7, -EINVAL, NULL, 0},
	{"bits past /20", {0, 1, 20, 0, 10, 1, 0x1f}, 7, -EINVAL, NULL, 0},
	{"address too long", {0, 1, 24, 0, 192, 0, 2, 0}, 8, -EINVAL, NULL, 0},
	{"address too short", {0, 1, 24, 0, 192, 0}, 6, -EINVAL, NULL, 0},
	{"v6 address too short", {0, 2, 48, 0, 0x20, 0x01}, 6, -EINVAL, NULL, 0},
	{"unknown family 3", {0, 3, 8, 0, 10}, 5, -EINVAL, NULL, 0},
	{"family 0", {0, 0, 0, 0}, 4, -EINVAL, NULL, 0},
	{"family 0x0101", {1, 1, 8, 0, 10}, 5, -EINVAL, NULL, 0},
	{"truncated header", {0, 1, 0}, 3, -EINVAL, NULL, 0},
	{"empty", {0}, 0, -EINVAL, NULL, 0},
};

static void
test_ecs_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(ecs_cases) / sizeof(ecs_cases[0]); i++) {
		const struct ecs_case *c = &ecs_cases[i];
		struct tguard g;
		struct geo_addr a;
		unsigned scope = 99;
		char buf[64];
		int rc = geo_ecs_parse(tguard_copy(&g, c->data, c->len), c->len, &a, &scope);

		tguard_free(&g);
		print_message("ecs case: %s\n", c->what);
		assert_int_equal(rc, c->rc);
		if (rc != 0)
			continue;
		assert_string_equal(tnet(&a, buf, sizeof(buf)), c->net);
		assert_int_equal(scope, c->scope);
	}
}

static void
test_ecs_encode_round_trip(void **state)
{
	for (size_t i = 0; i < sizeof(ecs_cases) / sizeof(ecs_cases[0]); i++) {
		const struct ecs_case *c = &ecs_cases[i];
		struct geo_addr a;
		uint8_t out[24];
		unsigned scope;

		if (c->rc != 0)
			continue;
		assert_int_equal(geo_ecs_parse(c->data, c->len, &a, &scope), 0);
		assert_int_equal(geo_ecs_encode(&a, scope, out, sizeof(out)), (int)c->len);
		assert_memory_equal(out, c->data, c->len);
	}
}

static void
test_ecs_encode_scope_and_errors(void **state)
{
	struct geo_addr host = taddr("192.0.2.77");
	uint8_t out[24];
	const uint8_t want[] = {0, 1, 20, 24, 192, 0, 0};

	host.prefix = 20;	/* host bits past the prefix must not leak */
	assert_int_equal(geo_ecs_encode(&host, 24, out, sizeof(out)), 7);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(geo_ecs_encode(&host, 24, out, 6), -ENOSPC);
	host.family = 5;
	assert_int_equal(geo_ecs_encode(&host, 0, out, sizeof(out)), -EINVAL);
	host = taddr("2001:db8::/33");
	assert_int_equal(geo_ecs_encode(&host, 48, out, sizeof(out)), 9);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[3], 48);
}

/* ---- haversine and the country table -------------------------------------- */

struct dist_case {
	const char *what;
	double lat1, lon1, lat2, lon2, km;
};

static const struct dist_case dist_cases[] = {
	{"London-Paris", 51.5074, -0.1278, 48.8566, 2.3522, 344},
	{"New York-Los Angeles", 40.7128, -74.0060, 34.0522, -118.2437, 3936},
	{"Sydney-Tokyo", -33.8688, 151.2093, 35.6762, 139.6503, 7826},
	{"Singapore-Frankfurt", 1.3521, 103.8198, 50.1109, 8.6821, 10258},
	{"antipodes (half the circumference)", 0, 0, 0, 180, 20015},
	{"poles", 90, 0, -90, 0, 20015},
};

static void
test_haversine_city_pairs(void **state)
{
	for (size_t i = 0; i < sizeof(dist_cases) / sizeof(dist_cases[0]); i++) {
		const struct dist_case *c = &dist_cases[i];
		double d = geo_haversine_km(c->lat1, c->lon1, c->lat2, c->lon2);
		double back = geo_haversine_km(c->lat2, c->lon2, c->lat1, c->lon1);

		print_message("%s: %.1f km\n", c->what, d);
		assert_true(fabs(d - c->km) <= c->km * 0.01);
		assert_true(fabs(d - back) < 1e-6);
	}
	assert_true(geo_haversine_km(50.11, 8.68, 50.11, 8.68) == 0);
}

static void
test_country_table(void **state)
{
	/* Every continent, the country/continent pairs MaxMind uses. */
	static const char *const pairs[][2] = {
		{"DE", "EU"}, {"GB", "EU"}, {"RU", "EU"}, {"US", "NA"}, {"MX", "NA"},
		{"BR", "SA"}, {"ZA", "AF"}, {"EG", "AF"}, {"JP", "AS"}, {"TR", "AS"},
		{"SG", "AS"}, {"AU", "OC"}, {"NZ", "OC"}, {"AQ", "AN"}, {"XK", "EU"},
	};
	char cont[3];
	double lat, lon;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_int_equal(geo_country_lookup(pairs[i][0], cont, &lat, &lon), 0);
		assert_string_equal(cont, pairs[i][1]);
		assert_true(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180);
	}
	assert_int_equal(geo_country_lookup("DE", cont, &lat, &lon), 0);
	assert_true(fabs(lat - 51.17) < 0.5 && fabs(lon - 10.45) < 0.5);
	assert_int_equal(geo_country_lookup("ZZ", cont, &lat, &lon), -ENOENT);
	assert_int_equal(geo_country_lookup("de", cont, &lat, &lon), -ENOENT);
	assert_int_equal(geo_country_lookup("DEU", cont, &lat, &lon), -ENOENT);
	assert_int_equal(geo_country_lookup("", cont, &lat, &lon), -ENOENT);
	assert_int_equal(geo_continent_centroid("EU", &lat, &lon), 0);
	assert_int_equal(geo_continent_centroid("XX", &lat, &lon), -ENOENT);
}

/* The table covers ISO 3166-1: count the codes that resolve. */
static void
test_country_table_complete(void **state)
{
	char cc[3] = "AA";
	int n = 0;

	for (cc[0] = 'A'; cc[0] <= 'Z'; cc[0]++)
		for (cc[1] = 'A'; cc[1] <= 'Z'; cc[1]++)
			n += geo_country_lookup(cc, NULL, NULL, NULL) == 0;
	assert_int_equal(n, 249 + 1);	/* ISO 3166-1 plus XK, which MaxMind uses */
	for (const char *c = "AF\0AN\0AS\0EU\0NA\0OC\0SA\0"; *c; c += 3)
		assert_int_equal(geo_continent_centroid(c, NULL, NULL), 0);
}

/* ---- model construction ----------------------------------------------------- */

static void
test_pins(void **state)
{
	struct geo_model *m = geo_model_new();
	int eu = geo_pin_add(m, "eu", GEO_PIN_STRICT);
	int asia = geo_pin_add(m, "asia", GEO_PIN_PREFERRED);
	char name[8];

	assert_int_equal(eu, 0);
	assert_int_equal(asia, 1);
	assert_int_equal(geo_pin_add(m, "eu", GEO_PIN_STRICT), -EEXIST);
	assert_int_equal(geo_pin_add(m, "", GEO_PIN_STRICT), -EINVAL);
	assert_int_equal(geo_pin_add_country(m, eu, "DE"), 0);
	assert_int_equal(geo_pin_add_country(m, eu, "DE"), 0);	/* listed twice in one pin */
	assert_int_equal(geo_pin_add_country(m, asia, "DE"), -EEXIST);
	assert_int_equal(geo_pin_add_country(m, eu, "ZZ"), -EINVAL);
	assert_int_equal(geo_pin_add_country(m, eu, "de"), -EINVAL);
	assert_int_equal(geo_pin_add_country(m, 7, "FR"), -EINVAL);
	assert_int_equal(geo_pin_add_continent(m, asia, "AS"), 0);
	assert_int_equal(geo_pin_add_continent(m, eu, "AS"), -EEXIST);
	assert_int_equal(geo_pin_add_continent(m, eu, "XX"), -EINVAL);
	/* A country of a continent another pin lists is allowed: it wins. */
	assert_int_equal(geo_pin_add_country(m, eu, "CY"), 0);
	assert_int_equal(geo_pin_find(m, "asia"), asia);
	assert_int_equal(geo_pin_find(m, "oc"), -1);
	assert_int_equal(geo_pin_count(m), 2);
	assert_string_equal(geo_pin_name(m, asia), "asia");
	assert_null(geo_pin_name(m, 2));
	assert_int_equal(geo_pin_mode_get(m, asia), GEO_PIN_PREFERRED);
	for (int i = 2; i < GEO_MAX_PINS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		assert_int_equal(geo_pin_add(m, name, GEO_PIN_STRICT), i);
	}
	assert_int_equal(geo_pin_add(m, "one-too-many", GEO_PIN_STRICT), -ENOSPC);
	geo_model_free(m);
	geo_model_free(NULL);
}

static void
test_regions(void **state)
{
	struct geo_model *m = geo_model_new();
	int eu = geo_pin_add(m, "eu", GEO_PIN_STRICT);
	char name[16];

	assert_int_equal(geo_region_add(m, "us-east", 39.04, -77.49, -1), 0);
	assert_int_equal(geo_region_add(m, "eu-west", 53.35, -6.26, eu), 1);
	assert_int_equal(geo_region_add(m, "eu-west", 53.35, -6.26, eu), -EEXIST);
	assert_int_equal(geo_region_add(m, "bad-pin", 0, 0, 5), -EINVAL);
	assert_int_equal(geo_region_add(m, "bad-lat", 91, 0, -1), -EINVAL);
	assert_int_equal(geo_region_add(m, "bad-lon", 0, NAN, -1), -EINVAL);
	assert_int_equal(geo_region_find(m, "eu-west"), 1);
	assert_int_equal(geo_region_find(m, "nowhere"), -1);
	assert_string_equal(geo_region_name(m, 0), "us-east");
	assert_null(geo_region_name(m, 2));
	assert_int_equal(geo_region_pin(m, 1), eu);
	assert_int_equal(geo_region_pin(m, 0), -1);
	for (int i = 2; i < GEO_MAX_REGIONS; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		assert_int_equal(geo_region_add(m, name, 0, 0, -1), i);
	}
	assert_int_equal(geo_region_count(m), GEO_MAX_REGIONS);
	assert_int_equal(geo_region_add(m, "one-too-many", 0, 0, -1), -ENOSPC);
	geo_model_free(m);
}

static size_t repeats_seen, repeat_nth[8];

static void
repeat_seen(void *arg, size_t nth)
{
	if (repeats_seen < 8)
		repeat_nth[repeats_seen] = nth;
	repeats_seen++;
}

static void
test_network_add_errors(void **state)
{
	struct geo_model *m = geo_model_new();
	int r = geo_region_add(m, "us-east", 39.04, -77.49, -1);
	struct geo_addr net = taddr("10.20.0.0/16");
	struct geo_addr host_bits = taddr("10.20.0.1/16");
	struct geo_addr v6 = taddr("2001:db8::/32");
	struct geo_addr long_prefix = taddr("10.0.0.0/8");

	long_prefix.prefix = 33;
	assert_int_equal(geo_network_add(m, &net, "DE", -1), 0);
	assert_int_equal(geo_network_add(m, &net, "FR", -1), 0);	/* a repeat: finish finds it */
	assert_int_equal(geo_network_add(m, &host_bits, "DE", -1), -EINVAL);
	assert_int_equal(geo_network_add(m, &long_prefix, "DE", -1), -EINVAL);
	assert_int_equal(geo_network_add(m, &v6, "DE", r), -EINVAL);	/* both */
	assert_int_equal(geo_network_add(m, &v6, NULL, -1), -EINVAL);	/* neither */
	assert_int_equal(geo_network_add(m, &v6, "", -1), -EINVAL);
	assert_int_equal(geo_network_add(m, &v6, "ZZ", -1), -EINVAL);
	assert_int_equal(geo_network_add(m, &v6, NULL, 3), -EINVAL);
	assert_int_equal(geo_network_add(m, &v6, NULL, r), 0);
	/* The same bits in the other family are another network. */
	v6 = taddr("::/16");
	net = taddr("0.0.0.0/16");
	assert_int_equal(geo_network_add(m, &v6, "JP", -1), 0);
	assert_int_equal(geo_network_add(m, &net, "JP", -1), 0);
	repeats_seen = 0;
	assert_int_equal(geo_model_finish(m, repeat_seen, NULL), -EEXIST);
	assert_int_equal(repeats_seen, 1);
	assert_int_equal(repeat_nth[0], 1);	/* FR, the second network added */
	geo_model_free(m);
}

/* Repeats are reported in the order added, the first of each prefix
 * stays, and IPv4 and IPv6 count as one sequence. */
static void
test_network_repeats(void **state)
{
	static const char *const nets[] = {
		"10.0.0.0/8", "2001:db8::/32", "10.0.0.0/8", "10.1.0.0/16",
		"2001:db8::/32", "10.0.0.0/8", "10.0.0.0/9",
	};
	struct geo_model *m = geo_model_new();
	struct geo_location loc;
	struct geo_addr c = taddr("10.200.3.4");

	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct geo_addr a = taddr(nets[i]);

		assert_int_equal(geo_network_add(m, &a, i == 0 ? "DE" : "FR", -1), 0);
	}
	repeats_seen = 0;
	assert_int_equal(geo_model_finish(m, repeat_seen, NULL), -EEXIST);
	assert_int_equal(repeats_seen, 3);
	assert_int_equal(repeat_nth[0], 2);
	assert_int_equal(repeat_nth[1], 4);
	assert_int_equal(repeat_nth[2], 5);
	geo_locate(m, &c, &loc);
	assert_string_equal(loc.country, "DE");
	/* Dropped, so a second finish has nothing to report. */
	assert_int_equal(geo_model_finish(m, NULL, NULL), 0);
	geo_model_free(m);
}

/* An address is valid when no bit past its prefix is set, over all 128
 * bits (an IPv4 address keeps bytes 4-15 zero): every prefix length of
 * both families against every single set bit, and the lengths past the
 * family, as geo_network_add() sees them. */
static void
test_address_validity_every_bit(void **state)
{
	for (int family = 4; family <= 6; family += 2) {
		struct geo_model *m = geo_model_new();
		unsigned bits = family == 4 ? 32 : 128;

		for (unsigned prefix = 0; prefix <= bits + 1; prefix++)
			for (int bit = -1; bit < 128; bit++) {
				struct geo_addr a = {.family = family, .prefix = prefix};
				int valid = prefix <= bits && bit < (int)prefix;
				int rc;

				if (bit >= 0)
					a.bytes[bit / 8] = (uint8_t)(0x80 >> (bit % 8));
				rc = geo_network_add(m, &a, "DE", -1);
				if ((rc != -EINVAL) != valid)
					fail_msg("IPv%d /%u with bit %d set: %d", family, prefix, bit, rc);
			}
		geo_model_free(m);
	}
}

/* docs/residency.md: every pin governing a name needs one of its regions there. */
static void
test_residency(void **state)
{
	struct geo_model *m = geo_model_new();
	int eu = geo_pin_add(m, "eu", GEO_PIN_STRICT);
	int asia = geo_pin_add(m, "asia", GEO_PIN_STRICT);
	int us = geo_region_add(m, "us-east", 39.04, -77.49, -1);
	int euw = geo_region_add(m, "eu-west", 53.35, -6.26, eu);
	int aps = geo_region_add(m, "ap-southeast", 1.35, 103.82, asia);
	struct geo_name all = {.nregions = 3, .regions = {us, euw, aps}, .max_regions = 1};
	struct geo_name no_asia = {.nregions = 2, .regions = {euw, us}, .max_regions = 1};
	struct geo_name us_only = {.nregions = 1, .regions = {us}, .max_regions = 1};
	int pin = -1;

	assert_int_equal(geo_name_check_residency(m, &all, &pin), 0);
	assert_int_equal(geo_name_check_residency(m, &no_asia, &pin), -EPERM);
	assert_int_equal(pin, asia);
	no_asia.exempt = 1u << asia;
	assert_int_equal(geo_name_check_residency(m, &no_asia, &pin), 0);
	assert_int_equal(geo_name_check_residency(m, &us_only, &pin), -EPERM);
	assert_int_equal(pin, eu);	/* the first offending pin */
	us_only.exempt = 1u << eu;
	assert_int_equal(geo_name_check_residency(m, &us_only, &pin), -EPERM);
	assert_int_equal(pin, asia);
	us_only.exempt |= 1u << asia;
	assert_int_equal(geo_name_check_residency(m, &us_only, NULL), 0);
	geo_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecs_parse_table),
		cmocka_unit_test(test_ecs_encode_round_trip),
		cmocka_unit_test(test_ecs_encode_scope_and_errors),
		cmocka_unit_test(test_haversine_city_pairs),
		cmocka_unit_test(test_country_table),
		cmocka_unit_test(test_country_table_complete),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_regions),
		cmocka_unit_test(test_network_add_errors),
		cmocka_unit_test(test_network_repeats),
		cmocka_unit_test(test_address_validity_every_bit),
		cmocka_unit_test(test_residency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

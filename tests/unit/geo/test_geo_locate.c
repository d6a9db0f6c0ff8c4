/*
 * test_geo_locate.c -- geo_model_open_geoip() and geo_locate(): MaxMind's
 * published test databases (City and Country layouts, two broken ones),
 * databases built by tools/mmdb-build from tests/data/geo_*.csv, the
 * `networks` overrides and the ECS scope (docs/routing.md).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "test_geo_util.h"

static char tmpdir[256];
static char city_db[512], country_db[512], empty_db[512];

static int
group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/geo-test-XXXXXX", t ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (tbuild_mmdb(tmpdir, "geo_networks.csv", "city", "city.mmdb", city_db, sizeof(city_db)) != 0 ||
	    tbuild_mmdb(tmpdir, "geo_networks.csv", "country", "country.mmdb", country_db, sizeof(country_db)) != 0 ||
	    tbuild_mmdb(tmpdir, "geo_no_location.csv", "city", "empty.mmdb", empty_db, sizeof(empty_db)) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct geo_model *
model_with_db(const char *path)
{
	struct geo_model *m = geo_model_new();
	char err[256] = "";

	assert_non_null(m);
	if (path != NULL && geo_model_open_geoip(m, path, err, sizeof(err)) != 0) {
		geo_model_free(m);
		fail_msg("%s", err);
	}
	return m;
}

/* ---- opening ------------------------------------------------------------- */

static void
test_open_maxmind_good(void **state)
{
	static const char *const good[] = {
		"GeoIP2-City-Test.mmdb", "GeoLite2-City-Test.mmdb",
		"GeoIP2-Country-Test.mmdb", "GeoLite2-Country-Test.mmdb",
	};
	char path[512];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		geo_model_free(model_with_db(tmaxmind(good[i], path, sizeof(path))));
}

struct bad_db {
	const char *file;	/* under maxmind/, or NULL for the built one */
	int rc;
	const char *reason;
};

static void
test_open_broken_refused(void **state)
{
	const struct bad_db bad[] = {
		{"GeoIP2-City-Test-Broken-Double-Format.mmdb", -EINVAL, "corrupt data record"},
		{"GeoIP2-City-Test-Invalid-Node-Count.mmdb", -EINVAL, "invalid metadata"},
		{"no-such-file.mmdb", -ENOENT, "cannot open"},
		{NULL, -EINVAL, "no record has a country, continent or location"},
	};
	char path[512], err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct geo_model *m = model_with_db(city_db);
		struct geo_addr c = taddr("2.0.1.1");
		struct geo_location loc;
		const char *p = bad[i].file ? tmaxmind(bad[i].file, path, sizeof(path)) : empty_db;

		err[0] = '\0';
		assert_int_equal(geo_model_open_geoip(m, p, err, sizeof(err)), bad[i].rc);
		print_message("refused: %s\n", err);
		assert_non_null(strstr(err, p));
		assert_non_null(strstr(err, bad[i].reason));
		/* The database the model had keeps answering. */
		geo_locate(m, &c, &loc);
		assert_string_equal(loc.country, "FR");
		geo_model_free(m);
	}
}

/* Copies src to dst with stdio (the test's own file, not dnsd's). */
static void
copy_file(const char *src, const char *dst)
{
	char buf[4096];
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* An operator overwriting the database in place (`cp new.mmdb city.mmdb`
 * truncates, then writes) must not reach the loaded model: it answers
 * from its own copy until the next load (issue 13 item 5; with the file
 * mapped, the truncation made the next lookup die of SIGBUS). */
static void
test_geoip_file_overwritten_after_load(void **state)
{
	char live[600];
	struct geo_addr c = taddr("2.0.1.1");
	struct geo_location before, loc;
	struct geo_model *m;

	snprintf(live, sizeof(live), "%s/live.mmdb", tmpdir);
	copy_file(city_db, live);
	m = model_with_db(live);
	geo_locate(m, &c, &before);
	assert_string_equal(before.country, "FR");
	assert_int_equal(truncate(live, 0), 0);
	geo_locate(m, &c, &loc);
	assert_string_equal(loc.country, "FR");
	assert_int_equal(loc.has_coords, before.has_coords);
	copy_file(country_db, live);	/* another layout, other offsets */
	geo_locate(m, &c, &loc);
	assert_string_equal(loc.country, before.country);
	assert_true(loc.lat == before.lat && loc.lon == before.lon);
	geo_model_free(m);
}

/* ---- locating with GeoIP -------------------------------------------------- */

struct loc_case {
	const char *db;		/* maxmind file, or "city"/"country" built here */
	const char *client;
	enum geo_located via;
	const char *country, *continent;
	double lat, lon;	/* NAN: no coordinates */
	const char *net;	/* NULL: not checked (unlocated) */
	unsigned scope;
};

#define GB_CENTROID 55.38, -3.44
#define EU_CENTROID 48.69, 9.14

static const struct loc_case loc_cases[] = {
	/* City layout: the record's coordinates; IPv4 netmask minus 96. */
	{"GeoIP2-City-Test.mmdb", "81.2.69.142", GEO_LOC_GEOIP, "GB", "EU", 51.5142, -0.0931, "81.2.69.142/31", 31},
	{"GeoIP2-City-Test.mmdb", "2.125.160.216", GEO_LOC_GEOIP, "GB", "EU", 51.75, -1.25, "2.125.160.216/29", 29},
	{"GeoIP2-City-Test.mmdb", "2001:218::1", GEO_LOC_GEOIP, "JP", "AS", 35.6854, 139.753, "2001:218::/32", 32},
	{"GeoLite2-City-Test.mmdb", "89.160.20.112", GEO_LOC_GEOIP, "SE", "EU", 58.4167, 15.6167, "89.160.20.112/28", 28},
	/* A continent-only record: the continent's centroid. */
	{"GeoIP2-City-Test.mmdb", "2.3.3.1", GEO_LOC_GEOIP, "", "EU", EU_CENTROID, "2.3.3.0/24", 24},
	/* Continent and location, no country. */
	{"GeoLite2-City-Test.mmdb", "2a02:d500::1", GEO_LOC_GEOIP, "", "EU", 48.691, 9.14062, "2a02:d500::/29", 29},
	/* Found, but the record has nothing usable; not found.  Scope still. */
	{"GeoIP2-City-Test.mmdb", "214.1.1.1", GEO_LOC_NONE, "", "", NAN, NAN, NULL, 24},
	{"GeoIP2-City-Test.mmdb", "1.2.3.4", GEO_LOC_NONE, "", "", NAN, NAN, NULL, 8},
	/* Country layout: the country's centroid. */
	{"GeoIP2-Country-Test.mmdb", "81.2.69.142", GEO_LOC_GEOIP, "GB", "EU", GB_CENTROID, "81.2.69.142/31", 31},
	{"GeoLite2-Country-Test.mmdb", "2001:218::1", GEO_LOC_GEOIP, "JP", "AS", 36.20, 138.25, "2001:218::/32", 32},
	{"GeoIP2-Country-Test.mmdb", "175.16.199.0", GEO_LOC_GEOIP, "CN", "AS", 35.86, 104.20, "175.16.199.0/24", 24},
	/* Built by tools/mmdb-build from tests/data/geo_networks.csv. */
	{"city", "2.0.2.1", GEO_LOC_GEOIP, "DE", "EU", 50.11, 8.68, "2.0.2.0/23", 23},
	{"city", "2.0.1.0/24", GEO_LOC_GEOIP, "FR", "EU", 48.86, 2.35, "2.0.1.0/24", 24},
	{"city", "10.30.1.1", GEO_LOC_GEOIP, "", "EU", EU_CENTROID, "10.0.0.0/8", 8},
	{"city", "11.1.1.1", GEO_LOC_NONE, "", "", NAN, NAN, NULL, 8},
	{"city", "12.1.1.1", GEO_LOC_GEOIP, "US", "NA", 37.09, -95.71, "12.0.0.0/8", 8},
	{"city", "3.1.1.1", GEO_LOC_NONE, "", "", NAN, NAN, NULL, 8},
	{"city", "2001:db8:1::1", GEO_LOC_GEOIP, "DE", "EU", 50.11, 8.68, "2001:db8:1::/49", 49},
	{"city", "2001:db8:1:8000::1", GEO_LOC_GEOIP, "CH", "EU", 47.38, 8.54, "2001:db8:1:8000::/49", 49},
	{"city", "2001:db8:2::1", GEO_LOC_NONE, "", "", NAN, NAN, NULL, 47},
	/* An IPv6 client at ::a.b.c.d keeps its IPv6 netmask. */
	{"city", "::2.0.1.1", GEO_LOC_GEOIP, "FR", "EU", 48.86, 2.35, "::2.0.1.0/120", 120},
	{"country", "2.0.2.1", GEO_LOC_GEOIP, "DE", "EU", 51.17, 10.45, "2.0.2.0/23", 23},
	{"country", "1.128.0.1", GEO_LOC_GEOIP, "AU", "OC", -25.27, 133.78, "1.128.0.0/16", 16},
};

static const char *
case_db(const char *name, char *buf, size_t len)
{
	if (strcmp(name, "city") == 0)
		return city_db;
	if (strcmp(name, "country") == 0)
		return country_db;
	return tmaxmind(name, buf, len);
}

static void
check_location(const struct loc_case *c, const struct geo_location *loc)
{
	char buf[64];

	print_message("locate %s in %s\n", c->client, c->db);
	assert_int_equal(loc->via, c->via);
	assert_string_equal(loc->country, c->country);
	assert_string_equal(loc->continent, c->continent);
	assert_int_equal(loc->has_coords, !isnan(c->lat));
	if (loc->has_coords) {
		assert_true(fabs(loc->lat - c->lat) < 1e-3);
		assert_true(fabs(loc->lon - c->lon) < 1e-3);
	}
	if (c->net != NULL)
		assert_string_equal(tnet(&loc->net, buf, sizeof(buf)), c->net);
	assert_int_equal(loc->region, -1);
	assert_int_equal(loc->scope, c->scope);
}

static void
test_locate_geoip_table(void **state)
{
	for (size_t i = 0; i < sizeof(loc_cases) / sizeof(loc_cases[0]); i++) {
		const struct loc_case *c = &loc_cases[i];
		char path[512];
		struct geo_model *m = model_with_db(case_db(c->db, path, sizeof(path)));
		struct geo_addr client = taddr(c->client);
		struct geo_location loc;

		geo_locate(m, &client, &loc);
		check_location(c, &loc);
		geo_model_free(m);
	}
}

static void
test_locate_without_anything(void **state)
{
	struct geo_model *m = model_with_db(NULL);
	struct geo_addr c = taddr("2.0.1.1");
	struct geo_location loc;

	geo_locate(m, &c, &loc);
	assert_int_equal(loc.via, GEO_LOC_NONE);
	assert_int_equal(loc.scope, 0);	/* every client is decided alike */
	assert_int_equal(loc.region, -1);
	c.family = 5;
	geo_locate(m, &c, &loc);
	assert_int_equal(loc.via, GEO_LOC_NONE);
	assert_int_equal(loc.scope, 0);
	geo_model_free(m);
}

/* ---- networks overrides ---------------------------------------------------- */

struct net_entry {
	const char *net, *country, *region;
};

/* Added in this order and reversed, so precedence cannot be list order. */
static const struct net_entry net_entries[] = {
	{"10.20.0.0/16", "DE", NULL},
	{"10.20.5.0/24", "FR", NULL},
	{"10.30.0.0/16", NULL, "us-east"},
	{"2.0.0.0/8", "JP", NULL},
	{"2001:db8:1:8000::/50", NULL, "eu-west"},
};

static struct geo_model *
model_with_networks(const char *db, int reverse)
{
	struct geo_model *m = model_with_db(db);
	size_t n = sizeof(net_entries) / sizeof(net_entries[0]);

	assert_int_equal(geo_region_add(m, "us-east", 39.04, -77.49, -1), 0);
	assert_int_equal(geo_region_add(m, "eu-west", 53.35, -6.26, -1), 1);
	for (size_t k = 0; k < n; k++) {
		const struct net_entry *e = &net_entries[reverse ? n - 1 - k : k];
		struct geo_addr a = taddr(e->net);

		assert_int_equal(geo_network_add(m, &a, e->country,
				e->region ? geo_region_find(m, e->region) : -1), 0);
	}
	assert_int_equal(geo_model_finish(m, NULL, NULL), 0);
	return m;
}

struct override_case {
	const char *client;
	enum geo_located via;
	const char *country, *continent;
	int region;
	const char *net;
	unsigned scope;
};

static const struct override_case override_cases[] = {
	/* Longest prefix wins; the scope is the entry's own prefix. */
	{"10.20.5.7", GEO_LOC_NETWORKS, "FR", "EU", -1, "10.20.5.0/24", 24},
	/* The /16 is extended past 10.20.5.0/24, with which 10.20.6.1
	 * shares 22 bits and 10.20.0.0 shares 21. */
	{"10.20.6.1", GEO_LOC_NETWORKS, "DE", "EU", -1, "10.20.0.0/16", 23},
	{"10.20.0.0/16", GEO_LOC_NETWORKS, "DE", "EU", -1, "10.20.0.0/16", 22},
	/* A country entry ends the search: GeoIP (2.0.1.0/24 FR) unasked. */
	{"2.0.1.1", GEO_LOC_NETWORKS, "JP", "AS", -1, "2.0.0.0/8", 8},
	/* A region entry: GeoIP still locates (10.0.0.0/8 says EU). */
	{"10.30.1.1", GEO_LOC_NETWORKS, "", "EU", 0, "10.30.0.0/16", 16},
	{"2001:db8:1:8000::1", GEO_LOC_NETWORKS, "CH", "EU", 1, "2001:db8:1:8000::/50", 50},
	/* A miss: the shortest prefix around the client without an entry
	 * (10.40 shares 10 bits with 10.20 and 10.30), longer than GeoIP's. */
	{"10.40.0.1", GEO_LOC_GEOIP, "", "EU", -1, "10.0.0.0/8", 11},
	/* A miss where GeoIP's prefix is the longer one. */
	{"2001:db8:1::1", GEO_LOC_GEOIP, "DE", "EU", -1, "2001:db8:1::/49", 49},
};

static void
test_networks_override(void **state)
{
	for (int reverse = 0; reverse < 2; reverse++) {
		struct geo_model *m = model_with_networks(city_db, reverse);

		for (size_t i = 0; i < sizeof(override_cases) / sizeof(override_cases[0]); i++) {
			const struct override_case *c = &override_cases[i];
			struct geo_addr client = taddr(c->client);
			struct geo_location loc;
			char buf[64];

			print_message("override %s\n", c->client);
			geo_locate(m, &client, &loc);
			assert_int_equal(loc.via, c->via);
			assert_string_equal(loc.country, c->country);
			assert_string_equal(loc.continent, c->continent);
			assert_true(loc.has_coords);
			assert_int_equal(loc.region, c->region);
			assert_string_equal(tnet(&loc.net, buf, sizeof(buf)), c->net);
			assert_int_equal(loc.scope, c->scope);
		}
		geo_model_free(m);
	}
}

static void
test_networks_without_geoip(void **state)
{
	struct geo_model *m = model_with_networks(NULL, 0);
	struct geo_addr c = taddr("10.30.1.1");
	struct geo_location loc;

	/* A region entry alone locates nothing but the region. */
	geo_locate(m, &c, &loc);
	assert_int_equal(loc.via, GEO_LOC_NETWORKS);
	assert_int_equal(loc.region, 0);
	assert_string_equal(loc.country, "");
	assert_false(loc.has_coords);
	assert_int_equal(loc.scope, 16);
	/* A miss still depends on the table: never scope 0. */
	c = taddr("192.0.2.1");
	geo_locate(m, &c, &loc);
	assert_int_equal(loc.via, GEO_LOC_NONE);
	assert_int_equal(loc.scope, 1);
	/* 3fff:: shares 3 bits with the one IPv6 entry. */
	c = taddr("3fff::1");
	geo_locate(m, &c, &loc);
	assert_int_equal(loc.via, GEO_LOC_NONE);
	assert_int_equal(loc.scope, 4);
	geo_model_free(m);
}

/* ---- the scope property ------------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static int
same_location(const struct geo_location *a, const struct geo_location *b)
{
	return a->via == b->via && strcmp(a->country, b->country) == 0 &&
		strcmp(a->continent, b->continent) == 0 && a->region == b->region &&
		a->has_coords == b->has_coords && (!a->has_coords || (a->lat == b->lat && a->lon == b->lon));
}

/* Some address inside base/scope: random bits after the first scope. */
static struct geo_addr
inside(const struct geo_addr *base, unsigned scope)
{
	struct geo_addr a = *base;
	unsigned bits = a.family == 4 ? 32 : 128;

	for (unsigned i = scope; i < bits; i++)
		if (next_rand() & 1)
			a.bytes[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
	a.prefix = bits;
	return a;
}

/* ECS scope (docs/routing.md): every address inside client/scope is located alike, so
 * a resolver caching the answer for that prefix never mis-serves. */
static void
test_scope_covers_only_alike(void **state)
{
	static const char *const bases[] = {
		"2.0.0.0", "10.0.0.0", "10.20.0.0", "10.30.0.0", "11.0.0.0", "12.0.0.0", "1.128.0.0",
		"202.12.0.0", "2001:db8::", "2001:db8:1::", "2001:db8:1:8000::",
	};
	struct geo_model *m = model_with_networks(city_db, 0);

	for (int n = 0; n < 4000; n++) {
		struct geo_addr base = taddr(bases[n % (sizeof(bases) / sizeof(bases[0]))]);
		struct geo_addr client = inside(&base, base.family == 4 ? 14 : 46);
		struct geo_location loc, other;

		geo_locate(m, &client, &loc);
		if (loc.via != GEO_LOC_NONE)
			assert_true(loc.scope > 0);
		for (int k = 0; k < 8; k++) {
			struct geo_addr near = inside(&client, loc.scope);

			geo_locate(m, &near, &other);
			if (!same_location(&loc, &other)) {
				char a[64], b[64];

				fail_msg("%s (scope %u) and %s differ", tnet(&client, a, sizeof(a)), loc.scope,
					tnet(&near, b, sizeof(b)));
			}
		}
	}
	geo_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_maxmind_good),
		cmocka_unit_test(test_open_broken_refused),
		cmocka_unit_test(test_geoip_file_overwritten_after_load),
		cmocka_unit_test(test_locate_geoip_table),
		cmocka_unit_test(test_locate_without_anything),
		cmocka_unit_test(test_networks_override),
		cmocka_unit_test(test_networks_without_geoip),
		cmocka_unit_test(test_scope_covers_only_alike),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_geo_table.c -- the GeoIP record table geo_model_open_geoip() builds:
 * for every network of every test database, geo_locate() (one lookup and
 * the table) says what decoding the record with MMDB_aget_value() and the
 * country table says (docs/routing.md), with the network and scope of the
 * lookup; in the query's family, through aliased subtrees, at every record
 * size.  The oracle here is written apart from geo/ on purpose.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <maxminddb.h>

#include "test_geo_util.h"

static char tmpdir[256];

/* ---- a database with many distinct records ------------------------------------ */

static uint64_t rng = 0x2545f4914f6cdd1du;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* Every shape a record may have: coordinates, a country alone (its
 * centroid), a country outside the table, a continent alone, nothing. */
static void
random_row(FILE *f, const char *net)
{
	static const char *const cc[] = {"DE", "US", "JP", "BR", "AU", "ZA", "AQ", "FJ", "KI", "ZZ"};
	static const char *const cont[] = {"EU", "NA", "AS", "SA", "OC", "AF", "AN", "OC", "OC", "EU"};
	unsigned k = next_rand() % 10, shape = next_rand() % 5;
	double lat = (double)(next_rand() % 1800001) / 10000 - 90;
	double lon = (double)(next_rand() % 3600001) / 10000 - 180;

	switch (shape) {
	case 0:
	case 1:
		fprintf(f, "%s,%s,%s,%.4f,%.4f\n", net, cc[k], cont[k], lat, lon);
		break;
	case 2:
		fprintf(f, "%s,%s,,,\n", net, cc[k]);
		break;
	case 3:
		fprintf(f, "%s,,%s,,\n", net, cont[k]);
		break;
	default:
		fprintf(f, "%s,,,,\n", net);
	}
}

#define RANDOM_V4 1500
#define RANDOM_V6 500

/* mmdb-build refuses a network listed twice. */
static int
seen_before(char (*nets)[64], int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(nets[i], nets[n]) == 0)
			return 1;
	return 0;
}

/* 1,500 IPv4 and 500 IPv6 networks, nested and not. */
static int
write_random_csv(const char *path)
{
	static char nets[RANDOM_V4 + RANDOM_V6][64];
	FILE *f = fopen(path, "w");
	int n = 0;

	if (f == NULL)
		return -1;
	fprintf(f, "network,country,continent,latitude,longitude\n");
	while (n < RANDOM_V4) {
		unsigned a = 1 + next_rand() % 223, b = next_rand() % 256, c = next_rand() % 256;
		unsigned len = (unsigned[]){16, 20, 24, 28}[next_rand() % 4];
		uint32_t v = (a << 24 | b << 16 | c << 8) & ~(~0u >> len);

		snprintf(nets[n], sizeof(nets[n]), "%u.%u.%u.%u/%u", v >> 24, v >> 16 & 255, v >> 8 & 255,
			v & 255, len);
		if (!seen_before(nets, n))
			random_row(f, nets[n++]);
	}
	while (n < RANDOM_V4 + RANDOM_V6) {
		unsigned len = (unsigned[]){32, 40, 48, 56}[next_rand() % 4];

		snprintf(nets[n], sizeof(nets[n]), "%x:%x:%x%s/%u", 0x2001 + next_rand() % 0x0bff,
			next_rand() % 0x10000, len > 32 ? next_rand() % 0x10000 & (len == 40 ? 0xff00 : 0xffff) : 0,
			len > 48 ? ":ff00::" : "::", len);
		if (!seen_before(nets, n))
			random_row(f, nets[n++]);
	}
	return fclose(f);
}

/* tools/mmdb-build IN (a path) into tmpdir/OUT at the record size. */
static int
build(const char *in, const char *layout, int record_size, const char *out, char *path, size_t len)
{
	char cmd[16384];

	snprintf(path, len, "%s/%s", tmpdir, out);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tools/mmdb-build' --layout %s --record-size %d -o '%s' '%s'",
		tsrc(), layout, record_size, path, in);
	return system(cmd) == 0 ? 0 : -1;
}

static int
group_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/geo-table-XXXXXX", t ? t : "/tmp");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the oracle: MMDB_aget_value and the country table ---------------------------- */

struct expect {
	int says;
	char country[3], continent[3];
	int has_coords;
	double lat, lon;
};

static int
get(MMDB_entry_s *e, const char *map, const char *key, MMDB_entry_data_s *d)
{
	const char *const path[] = {map, key, NULL};
	int rc = MMDB_aget_value(e, d, path);

	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
		d->has_data = false;
	else
		assert_int_equal(rc, MMDB_SUCCESS);
	return d->has_data;
}

static void
get_code(MMDB_entry_s *e, const char *map, const char *key, char out[3])
{
	MMDB_entry_data_s d;

	out[0] = '\0';
	if (get(e, map, key, &d)) {
		assert_int_equal(d.type, MMDB_DATA_TYPE_UTF8_STRING);
		assert_int_equal(d.data_size, 2);
		memcpy(out, d.utf8_string, 2);
		out[2] = '\0';
	}
}

static int
get_double(MMDB_entry_s *e, const char *key, double *v)
{
	MMDB_entry_data_s d;

	if (!get(e, "location", key, &d))
		return 0;
	*v = d.type == MMDB_DATA_TYPE_DOUBLE ? d.double_value : d.float_value;
	return 1;
}

/* Locating a client (docs/routing.md), read straight from the record. */
static void
expect_record(MMDB_entry_s *e, struct expect *x)
{
	int has_lat, has_lon;

	memset(x, 0, sizeof(*x));
	get_code(e, "country", "iso_code", x->country);
	get_code(e, "continent", "code", x->continent);
	has_lat = get_double(e, "latitude", &x->lat);
	has_lon = get_double(e, "longitude", &x->lon);
	if (x->continent[0] == '\0')
		geo_country_lookup(x->country, x->continent, NULL, NULL);
	if (has_lat && has_lon)
		x->has_coords = 1;
	else if (geo_country_lookup(x->country, NULL, &x->lat, &x->lon) == 0)
		x->has_coords = 1;
	else
		x->has_coords = geo_continent_centroid(x->continent, &x->lat, &x->lon) == 0;
	if (!x->has_coords)
		x->lat = x->lon = 0;
	x->says = x->country[0] != '\0' || x->continent[0] != '\0' || x->has_coords;
}

/* ---- every network ------------------------------------------------------------------- */

struct walk {
	const MMDB_s *db;
	const struct geo_model *m;
	unsigned long networks, located;
};

static void
check_client(struct walk *w, const struct geo_addr *client, unsigned len, const struct expect *x)
{
	struct geo_location loc;
	struct geo_addr net = *client;
	char a[64], b[64];

	for (unsigned i = len; i < 128; i++)
		net.bytes[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	net.prefix = len;
	geo_locate(w->m, client, &loc);
	assert_int_equal(loc.scope, len);
	assert_int_equal(loc.via, x->says ? GEO_LOC_GEOIP : GEO_LOC_NONE);
	assert_string_equal(loc.country, x->country);
	assert_string_equal(loc.continent, x->continent);
	assert_int_equal(loc.has_coords, x->has_coords);
	assert_true(loc.lat == x->lat && loc.lon == x->lon);
	if (!x->says)
		return;
	w->located++;
	if (strcmp(tnet(&loc.net, a, sizeof(a)), tnet(&net, b, sizeof(b))) != 0)
		fail_msg("%s located in %s", b, a);
	/* The point ranking uses: on the sphere, at (lat, lon). */
	if (loc.has_coords) {
		double p = loc.lat * M_PI / 180, l = loc.lon * M_PI / 180;

		assert_true(fabs(loc.unit[0] - cos(p) * cos(l)) < 1e-12);
		assert_true(fabs(loc.unit[1] - cos(p) * sin(l)) < 1e-12);
		assert_true(fabs(loc.unit[2] - sin(p)) < 1e-12);
	}
}

/* A network of the tree: its first and last addresses, and, for a
 * network inside ::/96 of an IPv6 tree, the same as IPv4 clients. */
static void
leaf(struct walk *w, const uint8_t bytes[16], unsigned depth, uint32_t offset)
{
	MMDB_entry_s e = {.mmdb = (MMDB_s *)w->db, .offset = offset};
	int v6 = w->db->metadata.ip_version == 6;
	static const uint8_t zero[12];
	struct expect x;

	expect_record(&e, &x);
	w->networks++;
	for (int last = 0; last < 2; last++) {
		struct geo_addr c = {.family = v6 ? 6 : 4, .prefix = v6 ? 128 : 32};
		unsigned bits = v6 ? 128 : 32;

		memcpy(c.bytes, bytes, v6 ? 16 : 4);
		for (unsigned i = depth; last && i < bits; i++)
			c.bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		check_client(w, &c, depth, &x);
		if (v6 && depth >= 96 && memcmp(c.bytes, zero, 12) == 0) {
			struct geo_addr c4 = {.family = 4, .prefix = 32};

			memcpy(c4.bytes, c.bytes + 12, 4);
			check_client(w, &c4, depth - 96, &x);
		}
	}
}

/* Depth first over the tree as lookups see it, aliases followed. */
static void
walk(struct walk *w, uint32_t node, uint8_t bytes[16], unsigned depth)
{
	unsigned bits = w->db->metadata.ip_version == 6 ? 128 : 32;
	MMDB_search_node_s n;

	assert_int_equal(MMDB_read_node(w->db, node, &n), MMDB_SUCCESS);
	for (int side = 0; side < 2; side++) {
		uint8_t type = side ? n.right_record_type : n.left_record_type;
		uint64_t rec = side ? n.right_record : n.left_record;
		uint32_t off = side ? n.right_record_entry.offset : n.left_record_entry.offset;

		if (side)
			bytes[depth / 8] |= (uint8_t)(0x80 >> (depth % 8));
		if (type == MMDB_RECORD_TYPE_SEARCH_NODE && depth + 1 < bits)
			walk(w, (uint32_t)rec, bytes, depth + 1);
		else if (type == MMDB_RECORD_TYPE_DATA)
			leaf(w, bytes, depth + 1, off);
		else
			assert_int_equal(type, MMDB_RECORD_TYPE_EMPTY);
		bytes[depth / 8] &= (uint8_t)~(0x80 >> (depth % 8));
	}
}

static void
check_every_network(const char *path, unsigned long min_networks)
{
	struct geo_model *m = geo_model_new();
	struct walk w = {.m = m};
	uint8_t bytes[16] = {0};
	MMDB_s db;
	char err[256];

	print_message("%s\n", path);
	assert_int_equal(geo_model_open_geoip(m, path, err, sizeof(err)), 0);
	assert_int_equal(MMDB_open(path, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
	w.db = &db;
	walk(&w, 0, bytes, 0);
	print_message("  %lu networks, %lu clients located\n", w.networks, w.located);
	assert_true(w.networks >= min_networks && w.located > 0);
	MMDB_close(&db);
	geo_model_free(m);
}

static void
test_maxmind_databases(void **state)
{
	static const char *const dbs[] = {
		"GeoIP2-City-Test.mmdb", "GeoLite2-City-Test.mmdb",
		"GeoIP2-Country-Test.mmdb", "GeoLite2-Country-Test.mmdb",
	};
	char path[512];

	/* Their IPv6 trees alias the IPv4 subtree at ::ffff:0:0/96 and
	 * 2002::/16: the walk meets those networks three times. */
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		check_every_network(tmaxmind(dbs[i], path, sizeof(path)), 100);
}

static void
test_built_databases(void **state)
{
	static const char *const csvs[] = {"geo_networks.csv", "geo_sys_routing.csv", "geo_sys_residency.csv"};
	char in[4608], path[4608];

	for (size_t i = 0; i < sizeof(csvs) / sizeof(csvs[0]); i++)
		for (int layout = 0; layout < 2; layout++) {
			snprintf(in, sizeof(in), "%s/tests/data/%s", tsrc(), csvs[i]);
			assert_int_equal(build(in, layout ? "country" : "city", 24, "t.mmdb", path, sizeof(path)), 0);
			check_every_network(path, 5);
		}
}

/* Thousands of distinct records at each record size: the table's hash
 * meets long runs of offsets and every probe length. */
static void
test_random_databases(void **state)
{
	static const int sizes[] = {24, 28, 32};
	char in[4608], path[4608];

	snprintf(in, sizeof(in), "%s/random.csv", tmpdir);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(write_random_csv(in), 0);
		assert_int_equal(build(in, "city", sizes[i], "r.mmdb", path, sizeof(path)), 0);
		check_every_network(path, 1000);
	}
}

/* A new database replaces the table with its own, and a refused one
 * leaves the old database and its table answering. */
static void
test_reopen_replaces_table(void **state)
{
	struct geo_model *m = geo_model_new();
	struct geo_addr c = taddr("2.0.1.1");
	struct geo_location loc;
	char in[4608], city[4608], country[4608], err[256];

	snprintf(in, sizeof(in), "%s/tests/data/geo_networks.csv", tsrc());
	assert_int_equal(build(in, "city", 24, "c1.mmdb", city, sizeof(city)), 0);
	assert_int_equal(build(in, "country", 28, "c2.mmdb", country, sizeof(country)), 0);
	assert_int_equal(geo_model_open_geoip(m, city, err, sizeof(err)), 0);
	geo_locate(m, &c, &loc);
	assert_true(loc.lat == 48.86 && loc.lon == 2.35);	/* Paris, from the record */
	assert_int_equal(geo_model_open_geoip(m, country, err, sizeof(err)), 0);
	geo_locate(m, &c, &loc);
	assert_string_equal(loc.country, "FR");
	assert_false(loc.lat == 48.86 && loc.lon == 2.35);	/* the centroid now */
	assert_int_equal(geo_model_open_geoip(m, "/nonexistent.mmdb", err, sizeof(err)), -ENOENT);
	geo_locate(m, &c, &loc);
	assert_string_equal(loc.country, "FR");
	geo_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maxmind_databases),
		cmocka_unit_test(test_built_databases),
		cmocka_unit_test(test_random_databases),
		cmocka_unit_test(test_reopen_replaces_table),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

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
#include <netinet/in.h>

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

/* 1,500 IPv4 and 500 IPv6 networks, nested and not, some IPv6 ones
 * longer than /64 and crowded into one /64. */
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
		/* a quarter past /64: the address table keeps those keys apart */
		unsigned len = (unsigned[]){32, 40, 48, 56, 48, 72, 100, 128}[next_rand() % 8];
		uint8_t b[16];
		char ip[INET6_ADDRSTRLEN];

		for (int i = 0; i < 16; i++)
			b[i] = (uint8_t)next_rand();
		b[0] = 0x20;
		b[1] = (uint8_t)(1 + next_rand() % 4);
		if (n % 3 == 0)		/* neighbours inside one /64 */
			memcpy(b + 2, (uint8_t[]){0xaa, 0xbb, 0, 1, 0, 0}, 6);
		for (unsigned i = len; i < 128; i++)
			b[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		inet_ntop(AF_INET6, b, ip, sizeof(ip));
		snprintf(nets[n], sizeof(nets[n]), "%s/%u", ip, len);
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

/* A network of the tree as a lookup sees it, in the client's family. */
struct leafnet {
	struct geo_addr net;
};

struct walk {
	const MMDB_s *db;
	const struct geo_model *m;
	unsigned long networks, located;
	struct leafnet *leaves;
	size_t nleaves, cap;
};

static void
keep_leaf(struct walk *w, const struct geo_addr *net)
{
	if (w->nleaves == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->leaves = realloc(w->leaves, w->cap * sizeof(*w->leaves));
		assert_non_null(w->leaves);
	}
	w->leaves[w->nleaves++].net = *net;
}

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
	{
		struct geo_addr n = {.family = v6 ? 6 : 4, .prefix = depth};

		memcpy(n.bytes, bytes, 16);
		keep_leaf(w, &n);
		if (v6 && depth >= 96 && memcmp(bytes, zero, 12) == 0) {
			struct geo_addr n4 = {.family = 4, .prefix = depth - 96};

			memcpy(n4.bytes, bytes + 12, 4);
			keep_leaf(w, &n4);
		}
	}
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

/* ---- the reference: libmaxminddb's lookup and a linear scan ----------------------- */

static const char *const ovr_cc[] = {"DE", "FR", "JP", "US", "BR", "AQ"};

struct ovr {
	struct geo_addr *nets;
	int *region;		/* -1: a country entry, ovr_cc[k % 6] */
	uint8_t *repeat;	/* dropped by geo_model_finish() as a repeat */
	size_t n;
};

static void
ovr_repeat(void *arg, size_t nth)
{
	struct ovr *o = arg;

	assert_true(nth < o->n);
	o->repeat[nth] = 1;
}

static void
truncate_addr(struct geo_addr *a, unsigned len)
{
	for (unsigned i = len; i < 128; i++)
		a->bytes[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	a->prefix = len;
}

/* What geo_locate() said before the address table (docs/routing.md §3,
 * §8): the longest override; a country entry ends there; else
 * MMDB_lookup_sockaddr(), its netmask in the client's family for the
 * scope, the record read with MMDB_aget_value(). */
static void
reference(const MMDB_s *db, const struct ovr *o, const struct geo_addr *c, struct geo_location *x)
{
	long best = -1;
	unsigned scope = tlinear_lookup(o->nets, o->repeat, o->n, c, &best);

	memset(x, 0, sizeof(*x));
	x->via = GEO_LOC_NONE;
	x->region = -1;
	x->net.family = c->family;
	x->scope = scope;
	if (best >= 0 && o->region[best] < 0) {
		const char *cc = ovr_cc[best % 6];

		memcpy(x->country, cc, 3);
		x->has_coords = geo_country_lookup(cc, x->continent, &x->lat, &x->lon) == 0;
		x->via = GEO_LOC_NETWORKS;
		x->net = o->nets[best];
		return;
	}
	if (db != NULL) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
		const struct sockaddr *sa = c->family == 4 ? (const struct sockaddr *)&sin : (const struct sockaddr *)&sin6;
		MMDB_lookup_result_s res;
		int err = MMDB_SUCCESS;

		memcpy(&sin.sin_addr, c->bytes, 4);
		memcpy(&sin6.sin6_addr, c->bytes, 16);
		res = MMDB_lookup_sockaddr(db, sa, &err);
		if (err == MMDB_SUCCESS) {
			unsigned mask = res.netmask;
			struct expect e;

			if (c->family == 4 && db->metadata.ip_version == 6)
				mask = mask > 96 ? mask - 96 : 0;
			if (mask > x->scope)
				x->scope = mask;
			/* A walk that runs out of address bits on a node (a
			 * looping tree) reports an offset past the data:
			 * no record says anything there. */
			if (res.found_entry && res.entry.offset < db->data_section_size) {
				expect_record(&res.entry, &e);
				if (e.says) {
					memcpy(x->country, e.country, 3);
					memcpy(x->continent, e.continent, 3);
					x->has_coords = e.has_coords;
					x->lat = e.lat;
					x->lon = e.lon;
					x->via = GEO_LOC_GEOIP;
					x->net = *c;
					truncate_addr(&x->net, mask);
				}
			}
		}
	}
	if (best >= 0) {
		x->region = o->region[best];
		x->via = GEO_LOC_NETWORKS;
		x->net = o->nets[best];
	}
}

static unsigned long ref_checked;

static void
check_reference(const MMDB_s *db, const struct geo_model *m, const struct ovr *o, const struct geo_addr *c)
{
	struct geo_location loc, x;
	char a[64], b[64], n[64];

	reference(db, o, c, &x);
	geo_locate(m, c, &loc);
	ref_checked++;
	if (loc.via != x.via || loc.region != x.region || loc.scope != x.scope ||
	    strcmp(loc.country, x.country) != 0 || strcmp(loc.continent, x.continent) != 0 ||
	    loc.has_coords != x.has_coords || !(loc.lat == x.lat && loc.lon == x.lon) ||
	    loc.net.family != x.net.family || loc.net.prefix != x.net.prefix ||
	    memcmp(loc.net.bytes, x.net.bytes, 16) != 0)
		fail_msg("client %s: via %d region %d scope %u %s/%s net %s, want via %d region %d scope %u %s/%s net %s",
			 tnet(c, n, sizeof(n)), loc.via, loc.region, loc.scope, loc.country, loc.continent,
			 tnet(&loc.net, a, sizeof(a)), x.via, x.region, x.scope, x.country, x.continent,
			 tnet(&x.net, b, sizeof(b)));
}

/* a + delta (+1 or -1) in its family; 0 when it wraps. */
static int
step_addr(struct geo_addr *a, int delta)
{
	int nbytes = a->family == 4 ? 4 : 16;

	for (int i = nbytes - 1; i >= 0; i--) {
		uint8_t old = a->bytes[i];

		a->bytes[i] = (uint8_t)(old + delta);
		if ((delta > 0 && old != 0xff) || (delta < 0 && old != 0))
			return 1;
	}
	return 0;
}

/* c as a host, and as the networks of a few prefix lengths around it,
 * the way ECS clients come. */
static void
check_address(const MMDB_s *db, const struct geo_model *m, const struct ovr *o, const struct geo_addr *host)
{
	unsigned bits = host->family == 4 ? 32 : 128;
	struct geo_addr c = *host;

	c.prefix = bits;
	check_reference(db, m, o, &c);
	for (int k = 0; k < 3; k++) {
		unsigned len = (unsigned)(trnd() % (bits + 1));

		c = *host;
		truncate_addr(&c, len);
		check_reference(db, m, o, &c);
	}
}

/* Every boundary of every network: first and last address, and the
 * addresses either side. */
static void
check_boundaries(const MMDB_s *db, const struct geo_model *m, const struct ovr *o, const struct geo_addr *net)
{
	unsigned bits = net->family == 4 ? 32 : 128;
	struct geo_addr first = *net, last = *net, c;

	first.prefix = last.prefix = bits;
	for (unsigned i = net->prefix; i < bits; i++)
		last.bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	check_address(db, m, o, &first);
	check_address(db, m, o, &last);
	c = first;
	if (step_addr(&c, -1))
		check_address(db, m, o, &c);
	c = last;
	if (step_addr(&c, 1))
		check_address(db, m, o, &c);
}

/* Overrides cut into and around the database's networks: a little
 * shorter or longer than one, in either family (IPv4 ones from the IPv4
 * subtree), inside aliased subtrees too, and some anywhere; countries and
 * regions alike, repeats included. */
static void
make_overrides(struct geo_model *m, const struct walk *w, struct ovr *o, size_t n)
{
	static const char *const edge[] = {"0.0.0.0/9", "255.255.255.0/24", "::/9", "ffff:ff00::/24",
		"255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "0.0.0.0/32", "::/128"};
	int rc;

	o->n = n;
	o->nets = calloc(n, sizeof(*o->nets));
	o->region = calloc(n, sizeof(*o->region));
	o->repeat = calloc(n, 1);
	assert_true(o->nets && o->region && o->repeat);
	for (size_t k = 0; k < n; k++) {
		struct geo_addr a;

		if (k < sizeof(edge) / sizeof(edge[0]) && n > 100) {
			a = taddr(edge[k]);	/* at the ends of either space */
		} else if (k % 8 == 7 || w->nleaves == 0) {
			a = trandom_net(k % 2 ? 6 : 4, 0);
			for (unsigned i = 0; i < 16; i++)
				a.bytes[i] = (uint8_t)trnd();
			truncate_addr(&a, (unsigned)(trnd() % ((a.family == 4 ? 32 : 128) + 1)));
		} else {
			unsigned bits, len;

			a = w->leaves[trnd() % w->nleaves].net;
			bits = a.family == 4 ? 32 : 128;
			len = a.prefix + (unsigned)(trnd() % 9);
			len = len < 4 ? 0 : len - 4;
			len = len > bits ? bits : len;
			/* longer than the network: somewhere inside it */
			for (unsigned i = a.prefix; i < len; i++)
				if (trnd() % 2)
					a.bytes[i / 8] |= (uint8_t)(0x80 >> (i % 8));
			truncate_addr(&a, len);
		}
		o->nets[k] = a;
		o->region[k] = trnd() % 2 ? (int)(trnd() % 2) : -1;
		assert_int_equal(geo_network_add(m, &a, o->region[k] < 0 ? ovr_cc[k % 6] : NULL, o->region[k]), 0);
	}
	rc = geo_model_finish(m, ovr_repeat, o);
	if (rc != 0 && rc != -EEXIST)
		fail_msg("geo_model_finish: %d", rc);
}

static void
ovr_free(struct ovr *o)
{
	free(o->nets);
	free(o->region);
	free(o->repeat);
}

/* m (whatever overrides it has, o) against the reference at every
 * boundary of the database's networks and of the overrides, and at
 * random addresses in and around them. */
static void
check_model(const MMDB_s *db, const struct geo_model *m, const struct ovr *o, const struct walk *w)
{
	for (size_t i = 0; i < w->nleaves; i++)
		check_boundaries(db, m, o, &w->leaves[i].net);
	for (size_t k = 0; k < o->n; k++)
		check_boundaries(db, m, o, &o->nets[k]);
	for (int i = 0; i < 3000; i++) {
		struct geo_addr c = {.family = i % 2 ? 6 : 4};

		for (unsigned b = 0; b < 16; b++)
			c.bytes[b] = (uint8_t)trnd();
		if (c.family == 4)
			memset(c.bytes + 4, 0, 12);
		if (i % 3 != 0 && w->nleaves > 0) {
			const struct geo_addr *n = &w->leaves[trnd() % w->nleaves].net;

			if (n->family == c.family)
				tmove_into(&c, n);
		}
		check_address(db, m, o, &c);
	}
}

static void
check_with_overrides(const char *path, const MMDB_s *db, const struct walk *w)
{
	static const size_t sizes[] = {0, 1, 20, 300, 300, 40};
	static char other[4608];
	char in[4608];

	/* another database for this one to replace: built once */
	if (other[0] == '\0') {
		snprintf(in, sizeof(in), "%s/tests/data/geo_sys_routing.csv", tsrc());
		assert_int_equal(build(in, "country", 24, "other.mmdb", other, sizeof(other)), 0);
	}
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct geo_model *m = geo_model_new();
		struct ovr o;
		char err[256];

		assert_non_null(m);
		assert_int_equal(geo_region_add(m, "r0", 10, 10, -1), 0);
		assert_int_equal(geo_region_add(m, "r1", -10, 100, -1), 1);
		/* the overrides before the database, after it, and between
		 * another database and this one, which replaces it */
		if (s % 3 == 1)
			assert_int_equal(geo_model_open_geoip(m, path, err, sizeof(err)), 0);
		if (s % 3 == 2)
			assert_int_equal(geo_model_open_geoip(m, other, err, sizeof(err)), 0);
		make_overrides(m, w, &o, sizes[s]);
		if (s % 3 != 1)
			assert_int_equal(geo_model_open_geoip(m, path, err, sizeof(err)), 0);
		check_model(db, m, &o, w);
		ovr_free(&o);
		geo_model_free(m);
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
	ref_checked = 0;
	check_with_overrides(path, &db, &w);
	print_message("  %lu clients against the reference\n", ref_checked);
	free(w.leaves);
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

/* Patches record side (0 left, 1 right) of node in a 32-bit-record tree. */
static void
patch_record(const char *path, uint32_t node, int side, uint32_t value)
{
	FILE *f = fopen(path, "r+b");
	uint8_t b[4] = {(uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8), (uint8_t)value};

	assert_non_null(f);
	assert_int_equal(fseek(f, (long)node * 8 + side * 4, SEEK_SET), 0);
	assert_int_equal(fwrite(b, 1, 4, f), 4);
	assert_int_equal(fclose(f), 0);
}

/* Trees that point back at their own nodes (loops and aliases nobody
 * wrote on purpose): libmaxminddb bounds each lookup by the address
 * length, and the address table must answer as it does, or the database
 * is refused with a reason. */
static void
test_looping_trees(void **state)
{
	char in[4608], path[4608], err[256];
	unsigned accepted = 0, refused = 0;
	struct ovr none = {0};

	snprintf(in, sizeof(in), "%s/tests/data/geo_networks.csv", tsrc());
	for (int round = 0; round < 24; round++) {
		struct geo_model *m = geo_model_new();
		MMDB_s db;
		uint32_t nodes;
		int rc;

		assert_int_equal(build(in, "city", 32, "loop.mmdb", path, sizeof(path)), 0);
		assert_int_equal(MMDB_open(path, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
		nodes = db.metadata.node_count;
		MMDB_close(&db);
		for (int k = 0; k < 1 + round % 3; k++)
			patch_record(path, (uint32_t)(next_rand() % nodes), (int)(next_rand() % 2),
				     (uint32_t)(next_rand() % nodes));
		assert_int_equal(MMDB_open(path, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
		rc = geo_model_open_geoip(m, path, err, sizeof(err));
		if (rc != 0) {
			/* the checks of docs/routing.md §3, or too long a walk */
			assert_int_equal(rc, -EINVAL);
			assert_true(err[0] != '\0');
			refused++;
		} else {
			accepted++;
			for (int i = 0; i < 4000; i++) {
				struct geo_addr c = {.family = i % 2 ? 6 : 4};

				for (unsigned b = 0; b < 16; b++)
					c.bytes[b] = (uint8_t)next_rand();
				if (c.family == 4)
					memset(c.bytes + 4, 0, 12);
				else if (i % 4 == 1)	/* the IPv4 subtree's neighbourhood */
					memset(c.bytes, 0, 10 + next_rand() % 3);
				check_address(&db, m, &none, &c);
			}
		}
		MMDB_close(&db);
		geo_model_free(m);
	}
	print_message("  %u looping trees answered as libmaxminddb, %u refused\n", accepted, refused);
	assert_true(accepted > 0);
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
		cmocka_unit_test(test_looping_trees),
		cmocka_unit_test(test_reopen_replaces_table),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_geo_networks.c -- the `networks` overrides' index (geo_model_finish()
 * and geo_locate(), docs/routing.md §3 and §8) against a linear scan kept
 * here: random overrides of every length, v4 and v6, nested and repeated,
 * clients inside and near them, the hit, the location it gives and the
 * scope; then 100,000 overrides, which must load in one sort and answer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_geo_util.h"

static const char *const countries[] = {"DE", "FR", "JP", "US", "BR"};
enum { NREGIONS = 3 };

/* The overrides as added, for the reference; repeat[k] marks the ones
 * geo_model_finish() dropped as repeats. */
struct overrides {
	struct geo_addr *nets;
	int *region;		/* -1: a country entry, countries[k % 5] */
	uint8_t *repeat;
	size_t n, nrepeats;
};

static struct geo_model *
model(void)
{
	struct geo_model *m = geo_model_new();

	assert_non_null(m);
	assert_int_equal(geo_region_add(m, "us-east", 39.04, -77.49, -1), 0);
	assert_int_equal(geo_region_add(m, "eu-west", 53.35, -6.26, -1), 1);
	assert_int_equal(geo_region_add(m, "ap-southeast", 1.35, 103.82, -1), 2);
	return m;
}

static void
mark_repeat(void *arg, size_t nth)
{
	struct overrides *o = arg;

	assert_true(nth < o->n);
	assert_false(o->repeat[nth]);
	o->repeat[nth] = 1;
	o->nrepeats++;
}

/* A random length: every v4 length, and the v6 lengths around the word
 * and byte edges, where the key arithmetic has its cases. */
static unsigned
random_len(int fam)
{
	static const unsigned len6[] = {0, 1, 7, 8, 16, 17, 31, 32, 33, 47, 48, 56, 63, 64, 65,
		72, 96, 127, 128};

	return fam == 4 ? (unsigned)(trnd() % 33) : len6[trnd() % (sizeof(len6) / sizeof(len6[0]))];
}

/* n overrides, a share of them (1 in `v6_every`) IPv6, added to m and
 * indexed; every repeat is reported and marked. */
static void
add_overrides(struct geo_model *m, struct overrides *o, size_t n, unsigned v6_every,
		unsigned (*len_of)(int fam))
{
	size_t repeats = 0;
	int rc;

	o->n = n;
	o->nrepeats = 0;
	o->nets = calloc(n ? n : 1, sizeof(*o->nets));
	o->region = calloc(n ? n : 1, sizeof(*o->region));
	o->repeat = calloc(n ? n : 1, 1);
	assert_true(o->nets && o->region && o->repeat);
	for (size_t k = 0; k < n; k++) {
		int fam = trnd() % v6_every == 0 ? 6 : 4;

		o->nets[k] = trandom_net(fam, len_of(fam));
		o->region[k] = trnd() % 2 ? (int)(trnd() % NREGIONS) : -1;
		assert_int_equal(geo_network_add(m, &o->nets[k], o->region[k] < 0 ? countries[k % 5] : NULL,
				o->region[k]), 0);
		/* Quadratic, but only to know the answer: the library finds them. */
		if (n <= 5000)
			for (size_t j = 0; j < k; j++)
				if (o->nets[j].family == fam && o->nets[j].prefix == o->nets[k].prefix &&
				    memcmp(o->nets[j].bytes, o->nets[k].bytes, 16) == 0) {
					repeats++;
					break;
				}
	}
	rc = geo_model_finish(m, mark_repeat, o);
	assert_int_equal(rc, o->nrepeats ? -EEXIST : 0);
	if (n <= 5000)
		assert_int_equal(o->nrepeats, repeats);
}

static void
overrides_free(struct overrides *o)
{
	free(o->nets);
	free(o->region);
	free(o->repeat);
}

/* geo_locate() for c against the reference.  No GeoIP database: a miss
 * locates nobody, and the scope is the networks table's alone. */
static void
check_client(const struct geo_model *m, const struct overrides *o, const struct geo_addr *c)
{
	struct geo_location loc;
	char a[64], b[64], w[64];
	long best;
	unsigned scope = tlinear_lookup(o->nets, o->repeat, o->n, c, &best);

	geo_locate(m, c, &loc);
	if (loc.scope != scope)
		fail_msg("client %s: scope %u, want %u", tnet(c, a, sizeof(a)), loc.scope, scope);
	if (best < 0) {
		assert_int_equal(loc.via, GEO_LOC_NONE);
		assert_int_equal(loc.region, -1);
		return;
	}
	if (loc.via != GEO_LOC_NETWORKS || loc.net.prefix != o->nets[best].prefix ||
	    memcmp(loc.net.bytes, o->nets[best].bytes, 16) != 0)
		fail_msg("client %s: matched %s, want %s", tnet(c, a, sizeof(a)),
			 loc.via == GEO_LOC_NETWORKS ? tnet(&loc.net, b, sizeof(b)) : "nothing",
			 tnet(&o->nets[best], w, sizeof(w)));
	assert_int_equal(loc.net.family, c->family);
	assert_int_equal(loc.region, o->region[best]);
	if (o->region[best] < 0) {
		assert_string_equal(loc.country, countries[best % 5]);
		assert_true(loc.has_coords);
	} else {
		assert_string_equal(loc.country, "");
	}
}

/* Half the clients inside an override (then maybe in a longer one too),
 * half anywhere in the crowded space around them. */
static struct geo_addr
random_client(const struct overrides *o, int fam)
{
	struct geo_addr c = trandom_net(fam, fam == 4 ? 32 : 128);

	if (o->n > 0 && trnd() % 2) {
		const struct geo_addr *n = &o->nets[trnd() % o->n];

		if (n->family == fam)
			tmove_into(&c, n);
	}
	/* Now and then far outside the crowd: a miss with a short scope. */
	if (trnd() % 16 == 0)
		c.bytes[0] = (uint8_t)trnd();
	return c;
}

static void
test_index_matches_linear_scan(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 10, 100, 1000, 3000};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct geo_model *m = model();
		struct overrides o;

		add_overrides(m, &o, sizes[s], 2, random_len);
		check_client(m, &o, &(struct geo_addr){0});	/* family 0: no address */
		for (int i = 0; i < 6000; i++) {
			struct geo_addr c = random_client(&o, i % 2 ? 6 : 4);

			check_client(m, &o, &c);
		}
		/* Every override's own first and last address. */
		for (size_t k = 0; k < o.n && k < 500; k++) {
			struct geo_addr c = o.nets[k];
			unsigned bits = c.family == 4 ? 32 : 128;

			c.prefix = bits;
			check_client(m, &o, &c);
			for (unsigned b = o.nets[k].prefix; b < bits; b++)
				c.bytes[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			check_client(m, &o, &c);
		}
		overrides_free(&o);
		geo_model_free(m);
	}
}

/* A client whose address has bits set past its prefix is no address:
 * located nowhere, as before the index. */
static void
test_invalid_client(void **state)
{
	struct geo_model *m = model();
	struct geo_addr net = taddr("10.0.0.0/8"), c = taddr("10.1.2.3/8");
	struct geo_location loc;

	assert_int_equal(geo_network_add(m, &net, "DE", -1), 0);
	assert_int_equal(geo_model_finish(m, NULL, NULL), 0);
	geo_locate(m, &c, &loc);
	assert_int_equal(loc.via, GEO_LOC_NONE);
	assert_int_equal(loc.scope, 0);
	c.prefix = 32;
	geo_locate(m, &c, &loc);
	assert_int_equal(loc.via, GEO_LOC_NETWORKS);
	assert_int_equal(loc.scope, 8);
	geo_model_free(m);
}

/* Networks added after geo_model_finish() wait for the next one. */
static void
test_finish_again(void **state)
{
	struct geo_model *m = model();
	struct geo_addr a = taddr("10.0.0.0/8"), b = taddr("10.1.0.0/16"), c = taddr("10.1.2.3");
	struct geo_location loc;

	assert_int_equal(geo_network_add(m, &a, "DE", -1), 0);
	assert_int_equal(geo_model_finish(m, NULL, NULL), 0);
	assert_int_equal(geo_network_add(m, &b, "FR", -1), 0);
	geo_locate(m, &c, &loc);
	assert_string_equal(loc.country, "DE");
	assert_int_equal(loc.scope, 8);
	assert_int_equal(geo_model_finish(m, NULL, NULL), 0);
	geo_locate(m, &c, &loc);
	assert_string_equal(loc.country, "FR");
	assert_int_equal(loc.scope, 16);
	geo_model_free(m);
}

/* Big tables: v4 /16../32 and v6 /32../64, so that most are distinct
 * and some nest. */
static unsigned
big_len(int fam)
{
	return fam == 4 ? 16 + (unsigned)(trnd() % 17) : 32 + (unsigned)(trnd() % 33);
}

/* 100,000 overrides load in one sort (a quadratic repeat check would take
 * minutes here) and answer; the answers of a sample are checked against
 * the linear scan. */
static void
test_hundred_thousand(void **state)
{
	struct geo_model *m = model();
	struct overrides o;
	size_t hits = 0;

	add_overrides(m, &o, 100000, 4, big_len);
	assert_true(o.nrepeats > 0);		/* the v4 /16s alone repeat */
	for (int i = 0; i < 400; i++) {
		struct geo_addr c = random_client(&o, i % 4 ? 4 : 6);
		long best;

		tlinear_lookup(o.nets, o.repeat, o.n, &c, &best);
		hits += best >= 0;
		check_client(m, &o, &c);
	}
	assert_true(hits > 100);
	overrides_free(&o);
	geo_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_matches_linear_scan),
		cmocka_unit_test(test_invalid_client),
		cmocka_unit_test(test_finish_again),
		cmocka_unit_test(test_hundred_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

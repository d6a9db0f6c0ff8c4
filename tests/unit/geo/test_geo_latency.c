/*
 * test_geo_latency.c -- the latency table (geo/latency.h) and its part in
 * geo_decide(): EWMA, expiry on an injected clock, longest-prefix match
 * (v4, v6, against a brute-force reference), the ECS scope rule, LRU
 * eviction under the cap, all-or-nothing batches, ranking mixes of latency
 * and distance, and no allocation in lookups (counted, except under ASan).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "geo/latency.h"
#include "test_geo_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define LAT_COUNT_ALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LAT_COUNT_ALLOC 0
#endif
#endif
#ifndef LAT_COUNT_ALLOC
#define LAT_COUNT_ALLOC 1
#endif

/* Counted allocations where they can be counted (not under ASan, which
 * owns malloc); the rest of this test runs in every build. */
#if LAT_COUNT_ALLOC
#include "tests/unit/alloc_count.h"
#else
static int alloc_counting;
static unsigned long alloc_count;
#endif

enum { US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST, NREGIONS };
#define ALL ((UINT64_C(1) << NREGIONS) - 1)
#define MAX_AGE 900.0
#define W 0.3

static struct geo_model *
model(void)
{
	struct geo_model *m = geo_model_new();
	int eu;

	assert_non_null(m);
	assert_true((eu = geo_pin_add(m, "eu", GEO_PIN_STRICT)) >= 0);
	assert_int_equal(geo_pin_add_country(m, eu, "DE"), 0);
	assert_int_equal(geo_pin_add_country(m, eu, "IE"), 0);
	assert_int_equal(geo_region_add(m, "us-east", 39.04, -77.49, -1), US_EAST);
	assert_int_equal(geo_region_add(m, "eu-west", 53.35, -6.26, eu), EU_WEST);
	assert_int_equal(geo_region_add(m, "eu-central", 50.11, 8.68, eu), EU_CENTRAL);
	assert_int_equal(geo_region_add(m, "ap-southeast", 1.35, 103.82, -1), AP_SOUTHEAST);
	return m;
}

static struct geo_latency_item
item(const char *prefix, const char *region, double rtt)
{
	struct geo_latency_item it = {.prefix = taddr(prefix), .rtt_ms = rtt};

	snprintf(it.region, sizeof(it.region), "%s", region);
	return it;
}

/* One report that must be accepted. */
static void
rep(struct geo_latency *t, const struct geo_model *m, const char *prefix, const char *region,
		double rtt, double now)
{
	struct geo_latency_item it = item(prefix, region, rtt);

	assert_int_equal(geo_latency_report(t, m, &it, 1, now, NULL, NULL), 0);
}

/* Publishes and looks one client up at now. */
static int
look(struct geo_latency *t, const struct geo_model *m, const char *client, double now, struct geo_rtt *out)
{
	struct geo_rtt_table *tab = geo_latency_publish(t, m, now);
	struct geo_addr c = taddr(client);
	int hit;

	assert_non_null(tab);
	hit = geo_rtt_lookup(tab, &c, now, out);
	geo_rtt_table_free(tab);
	return hit;
}

static const char *
net_text(const struct geo_rtt *r)
{
	static char buf[64];

	return tnet(&r->net, buf, sizeof(buf));
}

/* ---- smoothing and expiry ------------------------------------------------------ */

static void
test_new_rejects_bad_arguments(void **state)
{
	struct geo_rtt r;
	struct geo_addr c = taddr("10.0.0.1");

	assert_null(geo_latency_new(0, 900, 0.3));
	assert_null(geo_latency_new(10, 0, 0.3));
	assert_null(geo_latency_new(10, 900, 0));
	assert_null(geo_latency_new(10, 900, 1.5));
	assert_null(geo_latency_new(10, 900, NAN));
	geo_latency_free(NULL);
	geo_rtt_table_free(NULL);
	/* No table yet: a miss that adds nothing to the scope. */
	assert_int_equal(geo_rtt_lookup(NULL, &c, 0, &r), 0);
	assert_int_equal(r.scope, 0);
	assert_int_equal(geo_rtt_table_count(NULL), 0);
}

static void
test_ewma(void **state)
{
	struct geo_model *m = model();
	struct geo_latency *t = geo_latency_new(100, MAX_AGE, W);
	struct geo_rtt r;
	double want;

	rep(t, m, "10.1.2.0/24", "eu-west", 40, 1000);
	assert_int_equal(look(t, m, "10.1.2.3", 1000, &r), 1);
	assert_float_equal(r.rtt_ms[EU_WEST], 40, 1e-9);	/* the first report as is */
	assert_true(r.rtt_ms[US_EAST] < 0 && r.rtt_ms[EU_CENTRAL] < 0 && r.rtt_ms[AP_SOUTHEAST] < 0);
	rep(t, m, "10.1.2.0/24", "eu-west", 10, 1001);
	want = W * 10 + (1 - W) * 40;
	assert_int_equal(look(t, m, "10.1.2.3", 1001, &r), 1);
	assert_float_equal(r.rtt_ms[EU_WEST], want, 1e-9);
	rep(t, m, "10.1.2.0/24", "eu-west", 100, 1002);
	want = W * 100 + (1 - W) * want;
	assert_int_equal(look(t, m, "10.1.2.3", 1002, &r), 1);
	assert_float_equal(r.rtt_ms[EU_WEST], want, 1e-9);
	/* Another region or another prefix is another entry. */
	rep(t, m, "10.1.2.0/24", "us-east", 7, 1003);
	rep(t, m, "10.1.2.0/25", "eu-west", 9, 1003);
	assert_int_equal(geo_latency_count(t), 3);
	assert_int_equal(look(t, m, "10.1.2.200", 1003, &r), 1);
	assert_float_equal(r.rtt_ms[EU_WEST], want, 1e-9);
	assert_float_equal(r.rtt_ms[US_EAST], 7, 1e-9);
	/* Two reports for one entry in one batch apply in order. */
	{
		struct geo_latency_item b[2] = {item("10.9.0.0/16", "eu-west", 50), item("10.9.0.0/16", "eu-west", 0)};

		assert_int_equal(geo_latency_report(t, m, b, 2, 1004, NULL, NULL), 0);
		assert_int_equal(look(t, m, "10.9.1.1", 1004, &r), 1);
		assert_float_equal(r.rtt_ms[EU_WEST], (1 - W) * 50, 1e-9);
	}
	geo_latency_free(t);
	geo_model_free(m);
}

static void
test_expiry_on_injected_clock(void **state)
{
	struct geo_model *m = model();
	struct geo_latency *t = geo_latency_new(100, 10, W);
	struct geo_rtt_table *tab;
	struct geo_addr c = taddr("10.1.2.3");
	struct geo_rtt r;

	rep(t, m, "10.1.0.0/16", "us-east", 30, 100);
	rep(t, m, "10.1.2.0/24", "eu-west", 20, 100);
	tab = geo_latency_publish(t, m, 100);
	rep(t, m, "10.1.2.0/24", "us-east", 25, 104);	/* not in tab */
	assert_float_equal(geo_latency_next_expiry(t), 110, 1e-9);
	/* Lookups read the clock too: an entry stops counting max_age after
	 * its last report even in a table published before that. */
	assert_int_equal(geo_rtt_lookup(tab, &c, 109.99, &r), 1);
	assert_string_equal(net_text(&r), "10.1.2.0/24");
	assert_true(r.rtt_ms[EU_WEST] == 20 && r.rtt_ms[US_EAST] < 0);
	assert_int_equal(geo_rtt_lookup(tab, &c, 110, &r), 0);
	assert_int_equal(r.scope, 24);	/* until republished, the stale /24 still splits */
	geo_rtt_table_free(tab);
	/* The later us-east report keeps the /24 fresh: only eu-west expired. */
	assert_int_equal(look(t, m, "10.1.2.3", 110, &r), 1);
	assert_string_equal(net_text(&r), "10.1.2.0/24");
	assert_true(r.rtt_ms[US_EAST] == 25 && r.rtt_ms[EU_WEST] < 0);
	assert_int_equal(geo_latency_count(t), 1);
	assert_float_equal(geo_latency_next_expiry(t), 114, 1e-9);
	/* A fresh report restarts an entry's clock, its value carries on. */
	rep(t, m, "10.1.2.0/24", "us-east", 5, 113);
	assert_int_equal(look(t, m, "10.1.2.3", 122, &r), 1);
	assert_float_equal(r.rtt_ms[US_EAST], W * 5 + (1 - W) * 25, 1e-9);
	/* Once expired, a report starts again from its own value. */
	assert_int_equal(geo_latency_expire(t, 123), 1);
	assert_int_equal(geo_latency_count(t), 0);
	assert_true(isinf(geo_latency_next_expiry(t)));
	rep(t, m, "10.1.2.0/24", "us-east", 60, 124);
	assert_int_equal(look(t, m, "10.1.2.3", 124, &r), 1);
	assert_float_equal(r.rtt_ms[US_EAST], 60, 1e-9);
	/* Nothing fresh: a miss whose scope only follows the table. */
	assert_int_equal(look(t, m, "10.1.2.3", 134, &r), 0);
	assert_int_equal(r.scope, 0);
	geo_latency_free(t);
	geo_model_free(m);
}

/* ---- longest-prefix match and scope ---------------------------------------------- */

static void
test_longest_prefix_and_scope(void **state)
{
	static const char *const reported[] = {
		"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.128/25",
		"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1:ff00::/56",
	};
	static const struct {
		const char *client, *net;	/* net NULL: a miss */
		unsigned scope;
	} cases[] = {
		/* a hit holding a more specific entry is extended past it */
		{"10.1.2.3", "10.1.2.0/24", 25},
		{"10.1.2.200", "10.1.2.128/25", 25},
		{"10.1.3.1", "10.1.0.0/16", 24},		/* 10.1.2/24 shares 23 bits */
		{"10.1.128.1", "10.1.0.0/16", 17},
		{"10.2.0.1", "10.0.0.0/8", 15},			/* 10.1/16 shares 14 bits */
		{"10.255.0.1", "10.0.0.0/8", 9},
		/* a miss: the shortest prefix around the client holding no entry */
		{"11.0.0.1", NULL, 8},				/* 10/8 shares 7 bits */
		{"192.0.2.1", NULL, 1},
		{"2001:db8:1:ff12::1", "2001:db8:1:ff00::/56", 56},
		{"2001:db8:1::1", "2001:db8:1::/48", 49},	/* ff00::/56 shares 48 */
		{"2001:db8:2::1", "2001:db8::/32", 47},
		{"2001:db9::1", NULL, 32},
		{"::1", NULL, 3},
	};
	struct geo_model *m = model();
	struct geo_latency *t = geo_latency_new(100, MAX_AGE, W);
	struct geo_rtt_table *tab;
	struct geo_rtt r;

	for (size_t i = 0; i < sizeof(reported) / sizeof(reported[0]); i++)
		rep(t, m, reported[i], geo_region_name(m, (int)(i % NREGIONS)), (double)i, 50);
	tab = geo_latency_publish(t, m, 60);
	assert_int_equal(geo_rtt_table_count(tab), 7);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct geo_addr c = taddr(cases[i].client);
		int hit = geo_rtt_lookup(tab, &c, 60, &r);

		print_message("%s -> %s scope %u\n", cases[i].client, hit ? net_text(&r) : "miss", r.scope);
		assert_int_equal(hit, cases[i].net != NULL);
		assert_int_equal(r.hit, hit);
		if (hit)
			assert_string_equal(net_text(&r), cases[i].net);
		assert_int_equal(r.scope, cases[i].scope);
	}
	/* The v4 /24 is the one with eu-central (index 2) at 2 ms. */
	{
		struct geo_addr c = taddr("10.1.2.3");

		assert_int_equal(geo_rtt_lookup(tab, &c, 60, &r), 1);
		assert_float_equal(r.rtt_ms[EU_CENTRAL], 2, 1e-9);
		assert_true(r.rtt_ms[US_EAST] < 0);
		assert_ptr_equal(r.model, m);
	}
	geo_rtt_table_free(tab);
	geo_latency_free(t);
	geo_model_free(m);
}

/* A longer entry that went stale gives way to a fresh shorter one. */
static void
test_stale_longer_prefix_falls_back(void **state)
{
	struct geo_model *m = model();
	struct geo_latency *t = geo_latency_new(100, 10, W);
	struct geo_rtt_table *tab;
	struct geo_addr c = taddr("10.1.2.3");
	struct geo_rtt r;

	rep(t, m, "10.1.2.0/24", "eu-west", 20, 100);
	rep(t, m, "10.1.0.0/16", "us-east", 30, 105);
	tab = geo_latency_publish(t, m, 105);
	assert_int_equal(geo_rtt_lookup(tab, &c, 111, &r), 1);
	assert_string_equal(net_text(&r), "10.1.0.0/16");
	assert_true(r.rtt_ms[US_EAST] == 30 && r.rtt_ms[EU_WEST] < 0);
	assert_int_equal(r.scope, 24);	/* conservative until republished */
	geo_rtt_table_free(tab);
	assert_int_equal(look(t, m, "10.1.2.3", 111, &r), 1);
	assert_int_equal(r.scope, 16);
	geo_latency_free(t);
	geo_model_free(m);
}

/* The lookup against a linear scan of the ECS scope rule (docs/routing.md), v4 and v6. */
static void
test_lookup_matches_brute_force(void **state)
{
	static const unsigned len4[] = {8, 12, 16, 20, 23, 24, 25, 28, 32};
	static const unsigned len6[] = {16, 29, 32, 40, 48, 56, 64, 65, 96, 128};
	enum { NNETS = 400, NCLIENTS = 4000 };
	struct geo_model *m = model();
	struct geo_latency *t = geo_latency_new(10000, MAX_AGE, W);
	struct geo_addr nets[NNETS];
	struct geo_rtt_table *tab;

	for (int i = 0; i < NNETS; i++) {
		int fam = i % 2 ? 6 : 4;
		unsigned len = fam == 4 ? len4[trnd() % 9] : len6[trnd() % 10];
		struct geo_latency_item it = {.prefix = trandom_net(fam, len), .rtt_ms = i};

		snprintf(it.region, sizeof(it.region), "%s", geo_region_name(m, i % NREGIONS));
		assert_int_equal(geo_latency_report(t, m, &it, 1, 0, NULL, NULL), 0);
		nets[i] = it.prefix;
	}
	tab = geo_latency_publish(t, m, 1);
	for (int i = 0; i < NCLIENTS; i++) {
		int fam = i % 2 ? 6 : 4;
		/* Half the clients inside a reported prefix, half anywhere near. */
		struct geo_addr c = trandom_net(fam, fam == 4 ? 32 : 128);
		struct geo_rtt r;
		unsigned scope;
		long best;

		if (i % 4 < 2)
			tmove_into(&c, &nets[(trnd() % (NNETS / 2)) * 2 + (fam == 6)]);
		scope = tlinear_lookup(nets, NULL, NNETS, &c, &best);
		assert_int_equal(geo_rtt_lookup(tab, &c, 1, &r), best >= 0);
		assert_int_equal(r.scope, scope);
		if (best >= 0) {
			assert_int_equal(r.net.prefix, nets[best].prefix);
			assert_memory_equal(r.net.bytes, nets[best].bytes, 16);
		}
	}
	geo_rtt_table_free(tab);
	geo_latency_free(t);
	geo_model_free(m);
}

/* ---- the cap ------------------------------------------------------------------ */

struct listing {
	char text[8][80];
	size_t n;
};

static int
list_cb(const struct geo_latency_entry *e, void *arg)
{
	struct listing *l = arg;
	char net[64];

	if (l->n < 8)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s %s %.1f", tnet(&e->prefix, net, sizeof(net)),
			 e->region, e->rtt_ms);
	return 0;
}

static void
test_eviction_least_recently_reported(void **state)
{
	struct geo_model *m = model();
	struct geo_latency *t = geo_latency_new(3, MAX_AGE, W);
	struct listing l = {0};
	struct geo_rtt r;

	rep(t, m, "10.0.1.0/24", "us-east", 1, 1);
	rep(t, m, "10.0.2.0/24", "us-east", 2, 2);
	rep(t, m, "10.0.3.0/24", "us-east", 3, 3);
	rep(t, m, "10.0.1.0/24", "us-east", 1, 4);	/* 10.0.1 is now the most recent */
	assert_int_equal(geo_latency_evictions(t), 0);
	rep(t, m, "10.0.4.0/24", "us-east", 4, 5);
	assert_int_equal(geo_latency_count(t), 3);
	assert_int_equal(geo_latency_evictions(t), 1);
	assert_int_equal(geo_latency_foreach(t, 5, list_cb, &l), 3);
	assert_string_equal(l.text[0], "10.0.3.0/24 us-east 3.0");
	assert_string_equal(l.text[1], "10.0.1.0/24 us-east 1.0");
	assert_string_equal(l.text[2], "10.0.4.0/24 us-east 4.0");
	assert_int_equal(look(t, m, "10.0.2.9", 5, &r), 0);
	/* A batch larger than the cap keeps its last reports. */
	{
		struct geo_latency_item b[5] = {
			item("10.1.1.0/24", "eu-west", 1), item("10.1.2.0/24", "eu-west", 2),
			item("10.1.3.0/24", "eu-west", 3), item("10.1.4.0/24", "eu-west", 4),
			item("10.1.5.0/24", "eu-west", 5),
		};

		assert_int_equal(geo_latency_report(t, m, b, 5, 6, NULL, NULL), 0);
		assert_int_equal(geo_latency_count(t), 3);
		assert_int_equal(geo_latency_evictions(t), 6);
		l.n = 0;
		geo_latency_foreach(t, 6, list_cb, &l);
		assert_string_equal(l.text[0], "10.1.3.0/24 eu-west 3.0");
		assert_string_equal(l.text[2], "10.1.5.0/24 eu-west 5.0");
	}
	/* Expired entries leave first and are not evictions. */
	rep(t, m, "10.2.0.0/16", "eu-west", 9, 6 + MAX_AGE);
	assert_int_equal(geo_latency_count(t), 1);
	assert_int_equal(geo_latency_evictions(t), 6);
	geo_latency_free(t);
	geo_model_free(m);
}

/* ---- batches -------------------------------------------------------------------- */

static void
test_batch_all_or_nothing(void **state)
{
	struct geo_model *m = model();
	struct geo_latency *t = geo_latency_new(100, MAX_AGE, W);
	struct geo_latency_item b[9] = {
		item("10.1.2.0/24", "eu-west", 10),
		item("10.1.3.0/24", "mars", 10),
		item("10.1.4.0/24", "eu-west", 10),
		item("10.1.5.0/24", "eu-west", 10),
		item("10.1.9.0/24", "eu-west", 10),
		item("10.1.7.0/24", "eu-west", -1),
		item("10.1.8.0/24", "eu-west", NAN),
		item("10.1.9.0/24", "eu-west", INFINITY),
		item("2001:db8::/32", "us-east", 0),
	};
	static const char *const reasons[] = {
		"unknown region", "bad prefix", "bad prefix length", "bits set past the prefix length",
		"negative rtt_ms", "rtt_ms is not a finite number", "rtt_ms is not a finite number",
	};
	struct geo_latency_bad bad[16];
	size_t nbad = 16;
	struct geo_rtt r;

	b[2].prefix.family = 0;
	b[3].prefix.prefix = 33;
	b[4].prefix.prefix = 23;	/* 10.1.9.0/23 has bit 23 set */
	rep(t, m, "10.1.2.0/24", "eu-west", 50, 1);
	assert_int_equal(geo_latency_report(t, m, b, 9, 2, bad, &nbad), -EINVAL);
	assert_int_equal(nbad, 7);
	for (size_t i = 0; i < nbad; i++) {
		assert_int_equal(bad[i].index, i + 1);
		assert_string_equal(bad[i].reason, reasons[i]);
	}
	/* Nothing applied: not the good first item, not the good last one. */
	assert_int_equal(geo_latency_count(t), 1);
	assert_int_equal(look(t, m, "10.1.2.3", 2, &r), 1);
	assert_float_equal(r.rtt_ms[EU_WEST], 50, 1e-9);
	assert_int_equal(look(t, m, "2001:db8::1", 2, &r), 0);
	/* The capacity bounds the list; the verdict stays the same. */
	nbad = 2;
	assert_int_equal(geo_latency_report(t, m, b, 9, 2, bad, &nbad), -EINVAL);
	assert_int_equal(nbad, 2);
	assert_int_equal(bad[1].index, 2);
	assert_int_equal(geo_latency_report(t, m, b + 1, 1, 2, NULL, NULL), -EINVAL);
	/* An empty batch is a valid one. */
	assert_int_equal(geo_latency_report(t, m, NULL, 0, 2, NULL, NULL), 0);
	/* The good ones alone go through. */
	assert_int_equal(geo_latency_report(t, m, b, 1, 3, bad, &nbad), 0);
	assert_int_equal(geo_latency_report(t, m, b + 8, 1, 3, bad, &nbad), 0);
	assert_int_equal(geo_latency_count(t), 2);
	geo_latency_free(t);
	geo_model_free(m);
}

static void
test_prefix_parse(void **state)
{
	static const struct {
		const char *text, *want, *reason;
	} cases[] = {
		{"10.1.2.0/24", "10.1.2.0/24", NULL},
		{"10.1.2.3", "10.1.2.3/32", NULL},
		{"0.0.0.0/0", "0.0.0.0/0", NULL},
		{"2001:db8::/48", "2001:db8::/48", NULL},
		{"2001:db8::1", "2001:db8::1/128", NULL},
		{"10.1.2.1/24", NULL, "bits set past the prefix length"},
		{"2001:db8::1/64", NULL, "bits set past the prefix length"},
		{"10.1.2.0/33", NULL, "bad prefix length"},
		{"2001:db8::/129", NULL, "bad prefix length"},
		{"10.1.2.0/", NULL, "bad prefix length"},
		{"10.1.2.0/-1", NULL, "bad prefix length"},
		{"10.1.2.0/24x", NULL, "bad prefix length"},
		{"10.1.2/24", NULL, "bad prefix"},
		{"", NULL, "bad prefix"},
		{"eu-west", NULL, "bad prefix"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct geo_addr a;
		const char *why = NULL;
		char buf[64];
		int rc = geo_latency_prefix_parse(cases[i].text, &a, &why);

		if (cases[i].want != NULL) {
			assert_int_equal(rc, 0);
			assert_string_equal(tnet(&a, buf, sizeof(buf)), cases[i].want);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_string_equal(why, cases[i].reason);
		}
	}
}

/* A reload renumbers regions: the next publish follows the new model, and
 * entries of a region the model lost wait in the master. */
static void
test_publish_follows_the_model(void **state)
{
	struct geo_model *m = model(), *m2 = geo_model_new();
	struct geo_latency *t = geo_latency_new(100, MAX_AGE, W);
	struct geo_rtt_table *tab;
	struct geo_name n = {.nregions = 2, .regions = {0, 1}, .max_regions = 1};
	struct geo_location loc = {.via = GEO_LOC_NONE, .region = -1, .scope = 8};
	struct geo_view v = {.has = {3, 3}, .up = {3, 3}};
	struct geo_addr c = taddr("10.1.2.3");
	struct geo_decision d;
	struct geo_rtt r;

	assert_int_equal(geo_region_add(m2, "ap-southeast", 1.35, 103.82, -1), 0);
	assert_int_equal(geo_region_add(m2, "us-east", 39.04, -77.49, -1), 1);
	rep(t, m, "10.1.2.0/24", "us-east", 5, 1);
	rep(t, m, "10.1.2.0/24", "eu-west", 1, 1);
	tab = geo_latency_publish(t, m2, 1);
	assert_int_equal(geo_rtt_table_count(tab), 1);
	assert_int_equal(geo_rtt_lookup(tab, &c, 1, &r), 1);
	assert_float_equal(r.rtt_ms[1], 5, 1e-9);
	assert_true(r.rtt_ms[0] < 0);
	/* Decided with the new model: us-east (index 1) ranks first. */
	v.rtt = &r;
	geo_decide(m2, &n, &loc, GEO_FAM_A, &v, &d);
	assert_int_equal(d.chosen[0], 1);
	assert_int_equal(d.scope, 24);
	/* Decided with the old model, the table's indexes are ignored; its
	 * scope still counts. */
	geo_decide(m, &n, &loc, GEO_FAM_A, &v, &d);
	assert_int_equal(d.chosen[0], 0);
	assert_true(d.cand[0].rtt_ms < 0 && d.cand[1].rtt_ms < 0);
	assert_int_equal(d.scope, 24);
	geo_rtt_table_free(tab);
	assert_int_equal(geo_latency_count(t), 2);
	geo_latency_free(t);
	geo_model_free(m2);
	geo_model_free(m);
}

/* ---- ranking through geo_decide ------------------------------------------------------ */

struct rank_case {
	const char *desc;
	const char *country;		/* NULL: unlocated */
	int override;			/* networks region, -1 none */
	unsigned loc_scope;
	struct {
		const char *prefix, *region;
		double rtt;
		double at;		/* report time */
	} reports[4];
	uint64_t up;
	int want[NREGIONS + 1];		/* ranked, -1 ends */
	int chosen;
	unsigned scope;
};

static const struct rank_case rank_cases[] = {
	{"no latency data: distance", "US", -1, 16, {{NULL}}, ALL,
	 {US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST, -1}, US_EAST, 16},
	{"a far region fastest for the subnet ranks first, the rest by distance", "US", -1, 16,
	 {{"10.1.2.0/24", "ap-southeast", 8, 100}}, ALL,
	 {AP_SOUTHEAST, US_EAST, EU_WEST, EU_CENTRAL, -1}, AP_SOUTHEAST, 24},
	{"several fresh RTTs rank by RTT, before any distance", "US", -1, 16,
	 {{"10.1.2.0/24", "eu-central", 30, 100}, {"10.1.2.0/24", "eu-west", 20, 100}}, ALL,
	 {EU_WEST, EU_CENTRAL, US_EAST, AP_SOUTHEAST, -1}, EU_WEST, 24},
	{"equal RTTs keep the name's order", "US", -1, 16,
	 {{"10.1.2.0/24", "eu-central", 20, 100}, {"10.1.2.0/24", "eu-west", 20, 100},
	  {"10.1.2.0/24", "ap-southeast", 20, 100}}, ALL,
	 {EU_WEST, EU_CENTRAL, AP_SOUTHEAST, US_EAST, -1}, EU_WEST, 24},
	{"the longest reported prefix alone speaks", "US", -1, 16,
	 {{"10.1.0.0/16", "ap-southeast", 1, 100}, {"10.1.2.0/24", "eu-central", 50, 100}}, ALL,
	 {EU_CENTRAL, US_EAST, EU_WEST, AP_SOUTHEAST, -1}, EU_CENTRAL, 24},
	{"a report outside the subnet does not apply; its miss scope does", "US", -1, 16,
	 {{"10.1.3.0/24", "ap-southeast", 1, 100}}, ALL,
	 {US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST, -1}, US_EAST, 24},
	{"expired reports fall back to distance (the scope shrinks at the next publish)", "US", -1, 16,
	 {{"10.1.2.0/24", "ap-southeast", 8, 100 - MAX_AGE}}, ALL,
	 {US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST, -1}, US_EAST, 24},
	{"a strict pin wins over latency; inside it latency ranks", "DE", -1, 16,
	 {{"10.1.2.0/24", "us-east", 1, 100}, {"10.1.2.0/24", "eu-west", 40, 100},
	  {"10.1.2.0/24", "eu-central", 50, 100}}, ALL,
	 {EU_WEST, EU_CENTRAL, -1}, EU_WEST, 24},
	{"the fastest region down: the next one answers", "US", -1, 16,
	 {{"10.1.2.0/24", "ap-southeast", 8, 100}, {"10.1.2.0/24", "eu-west", 9, 100}},
	 ALL & ~(UINT64_C(1) << AP_SOUTHEAST),
	 {AP_SOUTHEAST, EU_WEST, US_EAST, EU_CENTRAL, -1}, EU_WEST, 24},
	{"a networks region override still goes first", "US", AP_SOUTHEAST, 16,
	 {{"10.1.2.0/24", "eu-west", 9, 100}}, ALL,
	 {AP_SOUTHEAST, EU_WEST, US_EAST, EU_CENTRAL, -1}, AP_SOUTHEAST, 24},
	{"unlocated: latency first, then the name's order", NULL, -1, 8,
	 {{"10.1.2.0/24", "eu-central", 9, 100}}, ALL,
	 {EU_CENTRAL, US_EAST, EU_WEST, AP_SOUTHEAST, -1}, EU_CENTRAL, 24},
	{"the location's scope wins when longer", "US", -1, 28,
	 {{"10.1.2.0/24", "ap-southeast", 8, 100}}, ALL,
	 {AP_SOUTHEAST, US_EAST, EU_WEST, EU_CENTRAL, -1}, AP_SOUTHEAST, 28},
	{"a reported prefix holding a more specific one is extended", "US", -1, 16,
	 {{"10.1.2.0/24", "ap-southeast", 8, 100}, {"10.1.2.128/25", "eu-west", 8, 100}}, ALL,
	 {AP_SOUTHEAST, US_EAST, EU_WEST, EU_CENTRAL, -1}, AP_SOUTHEAST, 25},
};

static void
test_ranking_mixes_latency_and_distance(void **state)
{
	const struct geo_name n = {.nregions = NREGIONS, .regions = {US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST},
		.max_regions = 1};
	const double now = 100;
	struct geo_model *m = model();

	for (size_t i = 0; i < sizeof(rank_cases) / sizeof(rank_cases[0]); i++) {
		const struct rank_case *rc = &rank_cases[i];
		struct geo_latency *t = geo_latency_new(100, MAX_AGE, W);
		struct geo_location loc = {.via = GEO_LOC_NONE, .region = rc->override, .scope = rc->loc_scope};
		struct geo_view v = {.has = {ALL, ALL}, .up = {rc->up, rc->up}};
		struct geo_addr c = taddr("10.1.2.3");
		struct geo_rtt_table *tab;
		struct geo_decision d;
		struct geo_rtt r;
		unsigned k;

		print_message("%s\n", rc->desc);
		if (rc->country != NULL) {
			loc.via = GEO_LOC_GEOIP;
			snprintf(loc.country, sizeof(loc.country), "%s", rc->country);
			loc.has_coords = geo_country_lookup(rc->country, loc.continent, &loc.lat, &loc.lon) == 0;
		}
		for (k = 0; k < 4 && rc->reports[k].prefix != NULL; k++)
			rep(t, m, rc->reports[k].prefix, rc->reports[k].region, rc->reports[k].rtt, rc->reports[k].at);
		/* Published before the expiry, so the lookup's clock decides. */
		tab = geo_latency_publish(t, m, now - MAX_AGE);
		geo_rtt_lookup(tab, &c, now, &r);
		v.rtt = &r;
		geo_decide(m, &n, &loc, GEO_FAM_A, &v, &d);
		for (k = 0; rc->want[k] >= 0; k++) {
			assert_true(k < d.ncand);
			assert_int_equal(d.cand[k].region, rc->want[k]);
		}
		assert_int_equal(d.ncand, k);
		assert_int_equal(d.nchosen, 1);
		assert_int_equal(d.chosen[0], rc->chosen);
		assert_int_equal(d.scope, rc->scope);
		for (k = 1; k < d.ncand; k++)	/* fresh RTTs never follow distances */
			assert_false(d.cand[k].rtt_ms >= 0 && d.cand[k - 1].rtt_ms < 0 && rc->override < 0);
		geo_rtt_table_free(tab);
		geo_latency_free(t);
	}
	geo_model_free(m);
}

/* ---- the hot path: 100,000 prefixes, no allocation ------------------------------------ */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_100k_prefixes_lookup_fast_without_allocation(void **state)
{
	enum { NV4 = 80000, NV6 = 20000, NLOOKUPS = 1000000, BATCH = 5000 };
	struct geo_model *m = model();
	struct geo_latency *t = geo_latency_new(1000000, MAX_AGE, W);
	static struct geo_latency_item items[BATCH];
	const struct geo_name n = {.nregions = NREGIONS, .regions = {0, 1, 2, 3}, .max_regions = 1};
	struct geo_location loc = {.via = GEO_LOC_NONE, .region = -1};
	struct geo_view v = {.has = {ALL, ALL}, .up = {ALL, ALL}};
	struct geo_rtt_table *tab;
	unsigned long hits = 0;
	double t0, t1, t2;

	/* /24s 10.0.0.0 - 11.56.127.0 and /48s 2001:db8:0:: - 2001:db8:4e1f::,
	 * each with one region, reported in batches of BATCH. */
	t0 = mono();
	for (size_t i = 0, k = 0; i < NV4 + NV6; i++) {
		struct geo_latency_item *it = &items[k++];

		memset(it, 0, sizeof(*it));
		if (i < NV4) {
			it->prefix.family = 4;
			it->prefix.prefix = 24;
			it->prefix.bytes[0] = (uint8_t)(10 + (i >> 16));
			it->prefix.bytes[1] = (uint8_t)(i >> 8);
			it->prefix.bytes[2] = (uint8_t)i;
		} else {
			it->prefix.family = 6;
			it->prefix.prefix = 48;
			memcpy(it->prefix.bytes, "\x20\x01\x0d\xb8", 4);
			it->prefix.bytes[4] = (uint8_t)((i - NV4) >> 8);
			it->prefix.bytes[5] = (uint8_t)(i - NV4);
		}
		snprintf(it->region, sizeof(it->region), "%s", geo_region_name(m, (int)(i % NREGIONS)));
		it->rtt_ms = (double)(i % 97);
		if (k == BATCH) {
			assert_int_equal(geo_latency_report(t, m, items, k, 10, NULL, NULL), 0);
			k = 0;
		}
	}
	assert_int_equal(geo_latency_count(t), NV4 + NV6);
	t1 = mono();
	tab = geo_latency_publish(t, m, 10);
	t2 = mono();
	assert_non_null(tab);
	assert_int_equal(geo_rtt_table_count(tab), NV4 + NV6);
	print_message("reports: %.0f ns each; publish of %d: %.1f ms\n",
		      (t1 - t0) / (NV4 + NV6) * 1e9, NV4 + NV6, (t2 - t1) * 1e3);

	alloc_counting = 1;
	t0 = mono();
	for (unsigned long i = 0; i < NLOOKUPS; i++) {
		struct geo_addr c = {.family = i % 5 ? 4 : 6};
		struct geo_rtt r;

		/* Four in five v4 in 10/8 (all reported), 11/8 (a fifth) or
		 * 12/8 (none); v6 in 2001:db8:0-7f00::, 60 % reported. */
		if (c.family == 4) {
			c.prefix = 32;
			c.bytes[0] = (uint8_t)(10 + i % 3);
			c.bytes[1] = (uint8_t)(i >> 8);
			c.bytes[2] = (uint8_t)i;
			c.bytes[3] = (uint8_t)(i * 7);
		} else {
			c.prefix = 128;
			memcpy(c.bytes, "\x20\x01\x0d\xb8", 4);
			c.bytes[4] = (uint8_t)(i >> 8 & 0x7f);
			c.bytes[5] = (uint8_t)i;
			c.bytes[15] = 1;
		}
		hits += (unsigned long)geo_rtt_lookup(tab, &c, 11, &r);
		if (i % 100 == 0) {
			struct geo_decision d;

			v.rtt = &r;
			geo_decide(m, &n, &loc, c.family == 4 ? GEO_FAM_A : GEO_FAM_AAAA, &v, &d);
		}
	}
	t1 = mono();
	alloc_counting = 0;
	print_message("lookups: %.0f ns each over %d prefixes (%lu hits of %d)\n",
		      (t1 - t0) / NLOOKUPS * 1e9, NV4 + NV6, hits, NLOOKUPS);
	assert_true(hits > NLOOKUPS / 4 && hits < NLOOKUPS * 3 / 4);
	if (LAT_COUNT_ALLOC)
		assert_int_equal(alloc_count, 0);
	else
		print_message("allocations not counted under ASan\n");
	geo_rtt_table_free(tab);
	geo_latency_free(t);
	geo_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_bad_arguments),
		cmocka_unit_test(test_ewma),
		cmocka_unit_test(test_expiry_on_injected_clock),
		cmocka_unit_test(test_longest_prefix_and_scope),
		cmocka_unit_test(test_stale_longer_prefix_falls_back),
		cmocka_unit_test(test_lookup_matches_brute_force),
		cmocka_unit_test(test_eviction_least_recently_reported),
		cmocka_unit_test(test_batch_all_or_nothing),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_publish_follows_the_model),
		cmocka_unit_test(test_ranking_mixes_latency_and_distance),
		cmocka_unit_test(test_100k_prefixes_lookup_fast_without_allocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

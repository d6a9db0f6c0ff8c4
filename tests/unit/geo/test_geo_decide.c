/*
 * test_geo_decide.c -- geo_decide() (docs/routing.md, docs/residency.md): pins, ranking,
 * selection, every all_down policy, NO_FAMILY, and the residency property:
 * a client of a strict pin is never given a region outside it, whatever
 * the health of every region and the name's policy.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "geo/latency.h"
#include "test_geo_util.h"

/* The example config's model plus a preferred country pin inside the asia
 * continent pin (country beats continent), a preferred continent pin and
 * two unpinned regions. */
enum { P_EU, P_ASIA, P_JP, P_OC, NPINS };
enum { US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST, US_WEST, AP_NORTHEAST, AU_EAST, NREGIONS };

static const char *const eu_countries[] = {
	"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
	"LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
};

static const struct {
	const char *name;
	double lat, lon;
	int pin;
} regions[NREGIONS] = {
	{"us-east", 39.04, -77.49, -1},
	{"eu-west", 53.35, -6.26, P_EU},
	{"eu-central", 50.11, 8.68, P_EU},
	{"ap-southeast", 1.35, 103.82, P_ASIA},
	{"us-west", 37.77, -122.42, -1},
	{"ap-northeast", 35.68, 139.69, P_JP},
	{"au-east", -33.87, 151.21, P_OC},
};

#define BIT(r) (UINT64_C(1) << (r))
#define ALL_REGIONS (BIT(NREGIONS) - 1)
/* As in the example config: eu-central and ap-southeast have no IPv6 endpoint. */
#define AAAA_REGIONS (BIT(US_EAST) | BIT(EU_WEST) | BIT(US_WEST) | BIT(AP_NORTHEAST))

static struct geo_model *
build_model(void)
{
	struct geo_model *m = geo_model_new();

	assert_int_equal(geo_pin_add(m, "eu", GEO_PIN_STRICT), P_EU);
	assert_int_equal(geo_pin_add(m, "asia", GEO_PIN_STRICT), P_ASIA);
	assert_int_equal(geo_pin_add(m, "jp", GEO_PIN_PREFERRED), P_JP);
	assert_int_equal(geo_pin_add(m, "oc", GEO_PIN_PREFERRED), P_OC);
	for (size_t i = 0; i < sizeof(eu_countries) / sizeof(eu_countries[0]); i++)
		assert_int_equal(geo_pin_add_country(m, P_EU, eu_countries[i]), 0);
	assert_int_equal(geo_pin_add_continent(m, P_ASIA, "AS"), 0);
	assert_int_equal(geo_pin_add_country(m, P_JP, "JP"), 0);
	assert_int_equal(geo_pin_add_continent(m, P_OC, "OC"), 0);
	for (int r = 0; r < NREGIONS; r++)
		assert_int_equal(geo_region_add(m, regions[r].name, regions[r].lat, regions[r].lon, regions[r].pin), r);
	return m;
}

static int
setup(void **state)
{
	*state = build_model();
	return 0;
}

static int
teardown(void **state)
{
	geo_model_free(*state);
	return 0;
}

/* The example zone's geo names and a few more shapes. */
static struct geo_name
name_www(void)
{
	return (struct geo_name){.nregions = NREGIONS, .max_regions = 1,
		.regions = {US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST, US_WEST, AP_NORTHEAST, AU_EAST}};
}

static struct geo_name
name_api(void)
{
	return (struct geo_name){.nregions = 3, .max_regions = 1, .all_down = GEO_ALL_DOWN_SERVFAIL,
		.regions = {EU_WEST, EU_CENTRAL, US_EAST},
		.exempt = 1u << P_ASIA | 1u << P_JP | 1u << P_OC};
}

/* Only eu-central for Europe: no IPv6 inside the eu pin. */
static struct geo_name
name_v4eu(void)
{
	return (struct geo_name){.nregions = 5, .max_regions = 1,
		.regions = {EU_CENTRAL, US_EAST, AP_SOUTHEAST, AP_NORTHEAST, AU_EAST}};
}

static struct geo_location
loc_country(const char *cc)
{
	struct geo_location l = {.via = GEO_LOC_GEOIP, .region = -1, .scope = 24};

	snprintf(l.country, sizeof(l.country), "%s", cc);
	l.has_coords = geo_country_lookup(cc, l.continent, &l.lat, &l.lon) == 0;
	return l;
}

static struct geo_location
loc_continent(const char *cont)
{
	struct geo_location l = {.via = GEO_LOC_GEOIP, .region = -1, .scope = 16};

	snprintf(l.continent, sizeof(l.continent), "%s", cont);
	l.has_coords = geo_continent_centroid(cont, &l.lat, &l.lon) == 0;
	return l;
}

static struct geo_location
loc_none(void)
{
	return (struct geo_location){.via = GEO_LOC_NONE, .region = -1, .scope = 8};
}

static struct geo_view
view_all_up(void)
{
	return (struct geo_view){.has = {ALL_REGIONS, AAAA_REGIONS}, .up = {ALL_REGIONS, AAAA_REGIONS}};
}

static void
expect_chosen(const struct geo_decision *d, const int *want, unsigned n)
{
	assert_int_equal(d->nchosen, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(d->chosen[i], want[i]);
}

static void
expect_ranked(const struct geo_decision *d, const int *want, unsigned n)
{
	assert_int_equal(d->ncand, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(d->cand[i].region, want[i]);
}

#define EXPECT_CHOSEN(d, ...) do { \
	const int w_[] = {__VA_ARGS__}; \
	expect_chosen((d), w_, sizeof(w_) / sizeof(w_[0])); \
} while (0)
#define EXPECT_RANKED(d, ...) do { \
	const int w_[] = {__VA_ARGS__}; \
	expect_ranked((d), w_, sizeof(w_) / sizeof(w_[0])); \
} while (0)

/* ---- pins and ranking ------------------------------------------------------ */

static void
test_eu_client_nearest_eu_region(void **state)
{
	struct geo_name n = name_www();
	struct geo_location l = loc_country("DE");
	struct geo_view v = view_all_up();
	struct geo_decision d;

	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	assert_int_equal(d.pin, P_EU);
	assert_int_equal(d.policy, GEO_POLICY_NORMAL);
	EXPECT_RANKED(&d, EU_CENTRAL, EU_WEST);
	EXPECT_CHOSEN(&d, EU_CENTRAL);
	/* Distances are filled on request, not on the query path. */
	assert_true(isnan(d.cand[0].distance_km));
	geo_decision_km(*state, &l, &d);
	assert_true(d.cand[0].distance_km > 0 && d.cand[0].distance_km < d.cand[1].distance_km);
	assert_true(d.cand[0].rtt_ms < 0);
	assert_int_equal(d.scope, 24);
	/* Ireland is nearer Dublin; AAAA has only eu-west in the pin. */
	l = loc_country("IE");
	geo_decide(*state, &n, &l, GEO_FAM_AAAA, &v, &d);
	EXPECT_RANKED(&d, EU_WEST);
	EXPECT_CHOSEN(&d, EU_WEST);
}

static void
test_unpinned_ranked_by_distance(void **state)
{
	struct geo_name n = name_www();
	struct geo_location l = loc_country("US");	/* centroid in Kansas */
	struct geo_view v = view_all_up();
	struct geo_decision d;

	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	assert_int_equal(d.pin, -1);
	EXPECT_RANKED(&d, US_EAST, US_WEST, EU_WEST, EU_CENTRAL, AP_NORTHEAST, AU_EAST, AP_SOUTHEAST);
	geo_decision_km(*state, &l, &d);
	for (unsigned i = 1; i < d.ncand; i++)
		assert_true(d.cand[i - 1].distance_km <= d.cand[i].distance_km);
	/* Pins do not reserve their regions: GB is in no pin, Dublin wins. */
	l = loc_country("GB");
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	assert_int_equal(d.pin, -1);
	EXPECT_CHOSEN(&d, EU_WEST);
}

static void
test_unlocated_keeps_name_order(void **state)
{
	struct geo_name n = name_www();
	struct geo_location l = loc_none();
	struct geo_view v = view_all_up();
	struct geo_decision d;

	n.max_regions = 3;
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	assert_int_equal(d.pin, -1);
	EXPECT_RANKED(&d, US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST, US_WEST, AP_NORTHEAST, AU_EAST);
	EXPECT_CHOSEN(&d, US_EAST, EU_WEST, EU_CENTRAL);
	for (unsigned i = 0; i < d.ncand; i++)
		assert_true(d.cand[i].distance_km < 0);
	geo_decision_km(*state, &l, &d);
	for (unsigned i = 0; i < d.ncand; i++)
		assert_true(d.cand[i].distance_km < 0);
	assert_int_equal(d.scope, 8);
	/* AAAA: only the regions with the family, still in name order. */
	geo_decide(*state, &n, &l, GEO_FAM_AAAA, &v, &d);
	EXPECT_RANKED(&d, US_EAST, EU_WEST, US_WEST, AP_NORTHEAST);
}

static void
test_ties_keep_name_order(void **state)
{
	struct geo_model *m = geo_model_new();
	struct geo_name n = {.nregions = 3, .max_regions = 3, .regions = {2, 0, 1}};
	struct geo_location l = loc_country("DE");
	struct geo_view v = {.has = {7, 7}, .up = {7, 7}};
	struct geo_decision d;

	/* Three regions in one place. */
	for (int i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "r%d", i);
		assert_int_equal(geo_region_add(m, name, 50.0, 8.0, -1), i);
	}
	geo_decide(m, &n, &l, GEO_FAM_A, &v, &d);
	EXPECT_CHOSEN(&d, 2, 0, 1);
	geo_model_free(m);
}

/* docs/residency.md: the country's pin wins over its continent's. */
static void
test_pin_resolution(void **state)
{
	static const struct {
		struct geo_location (*mk)(const char *);
		const char *code;
		int pin;
	} cases[] = {
		{loc_country, "DE", P_EU}, {loc_country, "NO", P_EU}, {loc_country, "GB", -1},
		{loc_country, "CH", -1}, {loc_country, "JP", P_JP}, {loc_country, "CN", P_ASIA},
		{loc_country, "SG", P_ASIA}, {loc_country, "TR", P_ASIA}, {loc_country, "AU", P_OC},
		{loc_country, "US", -1}, {loc_country, "BR", -1}, {loc_continent, "AS", P_ASIA},
		{loc_continent, "EU", -1}, {loc_continent, "OC", P_OC},
	};
	struct geo_name n = name_www();
	struct geo_view v = view_all_up();
	struct geo_decision d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct geo_location l = cases[i].mk(cases[i].code);

		geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
		print_message("pin of %s\n", cases[i].code);
		assert_int_equal(d.pin, cases[i].pin);
	}
}

static void
test_exempt_name_unpins(void **state)
{
	struct geo_name n = name_api();
	struct geo_location l = loc_country("JP");
	struct geo_view v = view_all_up();
	struct geo_decision d;

	/* api is exempt from asia and jp: Tokyo is nearer Frankfurt than Dublin. */
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	assert_int_equal(d.pin, -1);
	EXPECT_RANKED(&d, EU_CENTRAL, EU_WEST, US_EAST);
	l = loc_country("FR");
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	assert_int_equal(d.pin, P_EU);
	EXPECT_RANKED(&d, EU_CENTRAL, EU_WEST);
}

static void
test_region_override(void **state)
{
	struct geo_name n = name_www();
	struct geo_location l = loc_country("US");
	struct geo_view v = view_all_up();
	struct geo_decision d;

	l.region = AP_SOUTHEAST;
	n.max_regions = 2;
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	EXPECT_CHOSEN(&d, AP_SOUTHEAST, US_EAST);
	/* Not a candidate for AAAA (no endpoint): ranking as usual. */
	geo_decide(*state, &n, &l, GEO_FAM_AAAA, &v, &d);
	EXPECT_CHOSEN(&d, US_EAST, US_WEST);
	/* Pins still apply: a German client cannot be sent to us-east. */
	l = loc_country("DE");
	l.region = US_EAST;
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	EXPECT_RANKED(&d, EU_CENTRAL, EU_WEST);
	l.region = EU_WEST;
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	EXPECT_RANKED(&d, EU_WEST, EU_CENTRAL);
	/* An unlocated client: the override leads, the rest in name order. */
	l = loc_none();
	l.region = US_WEST;
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	EXPECT_RANKED(&d, US_WEST, US_EAST, EU_WEST, EU_CENTRAL, AP_SOUTHEAST, AP_NORTHEAST, AU_EAST);
}

static void
test_max_regions_skips_down(void **state)
{
	struct geo_name n = name_www();
	struct geo_location l = loc_country("US");
	struct geo_view v = view_all_up();
	struct geo_decision d;

	v.up[GEO_FAM_A] &= ~BIT(US_WEST);
	n.max_regions = 3;
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	assert_int_equal(d.policy, GEO_POLICY_NORMAL);
	EXPECT_CHOSEN(&d, US_EAST, EU_WEST, EU_CENTRAL);
	assert_false(d.cand[1].up);
	/* Health is per family: us-west is still up for AAAA. */
	geo_decide(*state, &n, &l, GEO_FAM_AAAA, &v, &d);
	EXPECT_CHOSEN(&d, US_EAST, US_WEST, EU_WEST);
	/* Fewer up than max_regions: all the up ones. */
	v.up[GEO_FAM_A] = BIT(AU_EAST);
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	EXPECT_CHOSEN(&d, AU_EAST);
}

/* ---- all_down and NO_FAMILY ---------------------------------------------------- */

struct down_case {
	const char *what;
	const char *country;	/* NULL: unlocated */
	enum geo_all_down all_down;
	enum geo_family fam;
	uint64_t up;		/* both families */
	enum geo_policy policy;
	int fallback;
	int chosen[3];
	unsigned nchosen;
};

static const struct down_case down_cases[] = {
	{"strict, serve-all: the pin's nearest, down", "DE", GEO_ALL_DOWN_SERVE_ALL, GEO_FAM_A,
		ALL_REGIONS & ~(BIT(EU_WEST) | BIT(EU_CENTRAL)), GEO_POLICY_ALL_DOWN, 0, {EU_CENTRAL, EU_WEST}, 2},
	{"strict, servfail", "DE", GEO_ALL_DOWN_SERVFAIL, GEO_FAM_A,
		ALL_REGIONS & ~(BIT(EU_WEST) | BIT(EU_CENTRAL)), GEO_POLICY_ALL_DOWN, 0, {0}, 0},
	{"strict, nodata", "DE", GEO_ALL_DOWN_NODATA, GEO_FAM_A,
		ALL_REGIONS & ~(BIT(EU_WEST) | BIT(EU_CENTRAL)), GEO_POLICY_ALL_DOWN, 0, {0}, 0},
	{"strict, one pin region up", "DE", GEO_ALL_DOWN_SERVFAIL, GEO_FAM_A,
		BIT(EU_WEST), GEO_POLICY_NORMAL, 0, {EU_WEST}, 1},
	{"preferred: falls back to all regions", "AU", GEO_ALL_DOWN_SERVFAIL, GEO_FAM_A,
		ALL_REGIONS & ~BIT(AU_EAST), GEO_POLICY_NORMAL, 1, {AP_SOUTHEAST, AP_NORTHEAST}, 2},
	{"preferred: no pinned region has AAAA", "AU", GEO_ALL_DOWN_SERVFAIL, GEO_FAM_AAAA,
		ALL_REGIONS, GEO_POLICY_NORMAL, 1, {AP_NORTHEAST, US_WEST}, 2},
	{"preferred: everything down, serve-all over all", "AU", GEO_ALL_DOWN_SERVE_ALL, GEO_FAM_A,
		0, GEO_POLICY_ALL_DOWN, 1, {AU_EAST, AP_SOUTHEAST}, 2},
	{"preferred: everything down, nodata", "JP", GEO_ALL_DOWN_NODATA, GEO_FAM_A,
		0, GEO_POLICY_ALL_DOWN, 1, {0}, 0},
	{"preferred: pin region up, no fallback", "JP", GEO_ALL_DOWN_SERVFAIL, GEO_FAM_A,
		BIT(AP_NORTHEAST), GEO_POLICY_NORMAL, 0, {AP_NORTHEAST}, 1},
	{"unpinned, serve-all", "US", GEO_ALL_DOWN_SERVE_ALL, GEO_FAM_A,
		0, GEO_POLICY_ALL_DOWN, 0, {US_EAST, US_WEST}, 2},
	{"unpinned, servfail", "US", GEO_ALL_DOWN_SERVFAIL, GEO_FAM_AAAA,
		0, GEO_POLICY_ALL_DOWN, 0, {0}, 0},
	{"unlocated, serve-all: name order", NULL, GEO_ALL_DOWN_SERVE_ALL, GEO_FAM_AAAA,
		0, GEO_POLICY_ALL_DOWN, 0, {US_EAST, EU_WEST}, 2},
};

static void
test_all_down_policies(void **state)
{
	for (size_t i = 0; i < sizeof(down_cases) / sizeof(down_cases[0]); i++) {
		const struct down_case *c = &down_cases[i];
		struct geo_name n = name_www();
		struct geo_location l = c->country ? loc_country(c->country) : loc_none();
		struct geo_view v = view_all_up();
		struct geo_decision d;

		print_message("all_down: %s\n", c->what);
		n.max_regions = 2;
		n.all_down = c->all_down;
		v.up[0] &= c->up;
		v.up[1] &= c->up;
		geo_decide(*state, &n, &l, c->fam, &v, &d);
		assert_int_equal(d.policy, c->policy);
		assert_int_equal(d.all_down, c->all_down);
		assert_int_equal(d.unpinned_fallback, c->fallback);
		expect_chosen(&d, c->chosen, c->nchosen);
	}
}

static void
test_no_family(void **state)
{
	struct geo_name n = name_v4eu();
	struct geo_location l = loc_country("DE");
	struct geo_view v = view_all_up();
	struct geo_decision d;

	/* Strict: the pin has no IPv6 region; never look outside it. */
	geo_decide(*state, &n, &l, GEO_FAM_AAAA, &v, &d);
	assert_int_equal(d.policy, GEO_POLICY_NO_FAMILY);
	assert_int_equal(d.nchosen, 0);
	assert_int_equal(d.ncand, 0);
	assert_int_equal(d.unpinned_fallback, 0);
	geo_decide(*state, &n, &l, GEO_FAM_A, &v, &d);
	EXPECT_CHOSEN(&d, EU_CENTRAL);
	/* Unpinned, no region of the name has the family. */
	v.has[GEO_FAM_AAAA] = BIT(EU_WEST);
	v.up[GEO_FAM_AAAA] = 0;
	l = loc_country("US");
	geo_decide(*state, &n, &l, GEO_FAM_AAAA, &v, &d);
	assert_int_equal(d.policy, GEO_POLICY_NO_FAMILY);
	/* Preferred: falls back, and still nothing has the family. */
	l = loc_country("AU");
	geo_decide(*state, &n, &l, GEO_FAM_AAAA, &v, &d);
	assert_int_equal(d.policy, GEO_POLICY_NO_FAMILY);
	assert_int_equal(d.unpinned_fallback, 1);
}

/* ---- the residency property ------------------------------------------------------ */

struct prop_client {
	const char *code;
	int continent_only;
	int region;		/* a networks region override, -1 none */
};

static const struct prop_client prop_clients[] = {
	{"DE", 0, -1}, {"FR", 0, -1}, {"IE", 0, -1}, {"NO", 0, -1}, {"CY", 0, -1},
	{"DE", 0, US_EAST}, {"FR", 0, AP_SOUTHEAST}, {"GB", 0, -1}, {"CH", 0, -1},
	{"JP", 0, -1}, {"JP", 0, US_WEST}, {"CN", 0, -1}, {"SG", 0, EU_WEST}, {"IN", 0, -1},
	{"TR", 0, -1}, {"AU", 0, -1}, {"NZ", 0, US_EAST}, {"US", 0, -1}, {"US", 0, EU_CENTRAL},
	{"BR", 0, -1}, {"ZA", 0, -1}, {"AS", 1, -1}, {"EU", 1, -1}, {"OC", 1, -1},
	{NULL, 0, -1}, {NULL, 0, AP_NORTHEAST},
};

/* What the test itself says the pin is, from the tables above. */
static int
expected_pin(const struct prop_client *c, const struct geo_name *n)
{
	char cont[3] = "";
	int pin = -1;

	if (c->code == NULL)
		return -1;
	if (c->continent_only)
		snprintf(cont, sizeof(cont), "%s", c->code);
	else
		geo_country_lookup(c->code, cont, NULL, NULL);
	for (size_t i = 0; !c->continent_only && i < sizeof(eu_countries) / sizeof(eu_countries[0]); i++)
		if (strcmp(eu_countries[i], c->code) == 0)
			pin = P_EU;
	if (pin < 0 && !c->continent_only && strcmp(c->code, "JP") == 0)
		pin = P_JP;
	if (pin < 0 && strcmp(cont, "AS") == 0)
		pin = P_ASIA;
	if (pin < 0 && strcmp(cont, "OC") == 0)
		pin = P_OC;
	return pin >= 0 && (n->exempt & (1u << pin)) ? -1 : pin;
}

static struct geo_location
prop_location(const struct prop_client *c)
{
	struct geo_location l = loc_none();

	if (c->code != NULL)
		l = c->continent_only ? loc_continent(c->code) : loc_country(c->code);
	l.region = c->region;
	return l;
}

static int
in_cand(const struct geo_decision *d, int region)
{
	for (unsigned i = 0; i < d->ncand; i++)
		if (d->cand[i].region == region)
			return 1;
	return 0;
}

static void
check_decision(const struct geo_model *m, const struct geo_name *n, const struct prop_client *c,
		enum geo_family fam, const struct geo_view *v, const struct geo_decision *d)
{
	int pin = expected_pin(c, n);
	unsigned nup = 0;

	assert_int_equal(d->pin, pin);
	if (pin >= 0 && geo_pin_mode_get(m, pin) == GEO_PIN_STRICT) {
		assert_false(d->unpinned_fallback);
		for (unsigned i = 0; i < d->nchosen; i++)
			if (geo_region_pin(m, d->chosen[i]) != pin)
				fail_msg("%s client given %s", c->code, geo_region_name(m, d->chosen[i]));
		for (unsigned i = 0; i < d->ncand; i++)
			assert_int_equal(geo_region_pin(m, d->cand[i].region), pin);
	}
	assert_true(d->nchosen <= n->max_regions);
	for (unsigned i = 0; i < d->nchosen; i++)
		assert_true(in_cand(d, d->chosen[i]));
	for (unsigned i = 0; i < d->ncand; i++) {
		assert_true(v->has[fam] & BIT(d->cand[i].region));
		assert_int_equal(d->cand[i].up, !!(v->up[fam] & BIT(d->cand[i].region)));
		nup += d->cand[i].up;
	}
	switch (d->policy) {
	case GEO_POLICY_NORMAL:
		assert_int_equal(d->nchosen, nup < n->max_regions ? nup : n->max_regions);
		for (unsigned i = 0; i < d->nchosen; i++)
			assert_true(v->up[fam] & BIT(d->chosen[i]));
		break;
	case GEO_POLICY_ALL_DOWN:
		assert_true(d->ncand > 0 && nup == 0);
		assert_int_equal(d->nchosen, n->all_down != GEO_ALL_DOWN_SERVE_ALL ? 0 :
			(d->ncand < n->max_regions ? d->ncand : n->max_regions));
		break;
	case GEO_POLICY_NO_FAMILY:
		assert_true(d->ncand == 0 && d->nchosen == 0);
		break;
	}
}

/* What the query path's geo_decide_chosen() must share with the full
 * ranking: the whole choice, and the ranked prefix it reads. */
static void
assert_same_choice(const struct geo_decision *full, const struct geo_decision *part)
{
	assert_int_equal(part->policy, full->policy);
	assert_int_equal(part->pin, full->pin);
	assert_int_equal(part->unpinned_fallback, full->unpinned_fallback);
	assert_int_equal(part->scope, full->scope);
	assert_int_equal(part->nchosen, full->nchosen);
	assert_memory_equal(part->chosen, full->chosen, full->nchosen);
	assert_int_equal(part->ncand, full->ncand);
	assert_int_equal(full->nranked, full->ncand);
	assert_true(part->nranked <= part->ncand && (part->ncand == 0 || part->nranked > 0));
	for (unsigned i = 0; i < part->nranked; i++)
		assert_int_equal(part->cand[i].region, full->cand[i].region);
}

static void
decide_and_check(const struct geo_model *m, const struct geo_name *n, enum geo_family fam,
		const struct geo_view *v)
{
	for (size_t c = 0; c < sizeof(prop_clients) / sizeof(prop_clients[0]); c++) {
		struct geo_location l = prop_location(&prop_clients[c]);
		struct geo_decision d, again;

		geo_decide(m, n, &l, fam, v, &d);
		check_decision(m, n, &prop_clients[c], fam, v, &d);
		geo_decide(m, n, &l, fam, v, &again);
		assert_int_equal(again.nchosen, d.nchosen);
		assert_memory_equal(again.chosen, d.chosen, d.nchosen);
		assert_int_equal(again.policy, d.policy);
		geo_decide_chosen(m, n, &l, fam, v, &again);
		assert_same_choice(&d, &again);
	}
}

/* Every up/down combination of every region, per family and per `has`
 * pattern, every all_down policy and max_regions 1..nregions, for names
 * with and without exemptions: 2 x 2 x 128 x 3 x 7 x 3 views and names
 * times 26 clients, about 800,000 decisions. */
static void
test_strict_pin_never_leaves(void **state)
{
	const struct geo_model *m = *state;
	const struct geo_name names[] = {name_www(), name_api(), name_v4eu()};
	const uint64_t has_patterns[][2] = {
		{ALL_REGIONS, AAAA_REGIONS},
		{ALL_REGIONS & ~BIT(EU_WEST), BIT(US_EAST) | BIT(AU_EAST)},
	};
	unsigned long count = 0;

	for (size_t h = 0; h < 2; h++)
		for (int fam = GEO_FAM_A; fam <= GEO_FAM_AAAA; fam++)
			for (uint64_t up = 0; up <= ALL_REGIONS; up++)
				for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
					for (int ad = GEO_ALL_DOWN_SERVE_ALL; ad <= GEO_ALL_DOWN_NODATA; ad++)
						for (unsigned max = 1; max <= names[k].nregions; max++) {
							struct geo_name n = names[k];
							struct geo_view v = {.has = {has_patterns[h][0], has_patterns[h][1]}};

							v.up[fam] = up & v.has[fam];
							n.all_down = ad;
							n.max_regions = (uint8_t)max;
							decide_and_check(m, &n, fam, &v);
							count += sizeof(prop_clients) / sizeof(prop_clients[0]);
						}
	print_message("%lu decisions checked\n", count);
}

/* ---- ranking is the haversine's ------------------------------------------------------ */

/* The ranking rule of docs/routing.md as it reads, as geo_decide() ranked before it ranked by
 * chord: fresh RTTs first, then geo_haversine_km(), a stable insertion
 * sort, then a networks `region` entry's region to the front. */
struct ref_cand {
	int region;
	double km, rtt;
};

static int
ref_better(const struct ref_cand *a, const struct ref_cand *b)
{
	if ((a->rtt >= 0) != (b->rtt >= 0))
		return a->rtt >= 0;
	if (a->rtt >= 0)
		return a->rtt < b->rtt;
	return a->km < b->km;
}

static void
ref_rank(const double (*at)[2], const struct geo_name *n, const struct geo_location *l,
		const double *rtt, struct ref_cand *c)
{
	for (unsigned i = 0; i < n->nregions; i++) {
		int r = n->regions[i];

		c[i].region = r;
		c[i].km = l->has_coords ? geo_haversine_km(l->lat, l->lon, at[r][0], at[r][1]) : -1;
		c[i].rtt = rtt != NULL ? rtt[r] : -1;
		for (unsigned j = i; j > 0 && ref_better(&c[j], &c[j - 1]); j--) {
			struct ref_cand t = c[j];

			c[j] = c[j - 1];
			c[j - 1] = t;
		}
	}
	for (unsigned k = 0; l->region >= 0 && k < n->nregions; k++)
		if (c[k].region == l->region) {
			struct ref_cand x = c[k];

			for (; k > 0; k--)
				c[k] = c[k - 1];
			c[0] = x;
			break;
		}
}

static uint64_t rank_rng = 0x853c49e6748fea9bu;

static uint32_t
rank_rand(void)
{
	rank_rng ^= rank_rng << 13;
	rank_rng ^= rank_rng >> 7;
	rank_rng ^= rank_rng << 17;
	return (uint32_t)rank_rng;
}

/* Uniform in [lo, hi]; half the time rounded to 0.01 as configs write
 * coordinates, which makes ties and mirror images likelier. */
static double
rank_coord(double lo, double hi)
{
	double v = lo + (hi - lo) * (rank_rand() / 4294967295.0);

	return rank_rand() % 2 ? round(v * 100) / 100 : v;
}

/* A region placed where ranking is hardest: on another region, mirrored
 * around the client (an exact haversine tie the chord may split by an
 * ulp), on the client, within a metre of it, at its antipode. */
static void
rank_place(double at[][2], int r, const struct geo_location *l)
{
	int o = r > 0 ? (int)(rank_rand() % (unsigned)r) : 0;
	double lat = rank_coord(-90, 90), lon = rank_coord(-180, 180);

	switch (rank_rand() % 8) {
	case 0:
		if (r > 0)
			lat = at[o][0], lon = at[o][1];
		break;
	case 1:
		if (r > 0 && fabs(2 * l->lat - at[o][0]) <= 90)
			lat = 2 * l->lat - at[o][0], lon = at[o][1];
		break;
	case 2:
		if (r > 0 && fabs(2 * l->lon - at[o][1]) <= 180)
			lat = at[o][0], lon = 2 * l->lon - at[o][1];
		break;
	case 3:
		lat = l->lat, lon = l->lon;
		break;
	case 4:
		lat = fmin(90, l->lat + 1e-6), lon = l->lon;
		break;
	case 5:
		lat = -l->lat, lon = l->lon > 0 ? l->lon - 180 : l->lon + 180;
		break;
	}
	at[r][0] = lat;
	at[r][1] = lon;
}

static struct geo_location
rank_client(void)
{
	struct geo_location l = {.via = GEO_LOC_GEOIP, .region = -1, .has_coords = rank_rand() % 10 != 0};

	l.lat = rank_rand() % 8 == 0 ? (rank_rand() % 2 ? 90 : -90) : rank_coord(-90, 90);
	l.lon = rank_rand() % 8 == 0 ? (rank_rand() % 2 ? 180 : -180) : rank_coord(-180, 180);
	return l;
}

static double
rank_rtt(void)
{
	static const double rtts[] = {-1, -1, -1, 0.0, -0.0, 5, 5, 10.5};
	unsigned k = rank_rand() % 9;

	return k < 8 ? rtts[k] : rank_coord(0, 300);
}

/* Ranks random models both ways: same order, ties included, whether the
 * client's point comes with the location or is derived from lat/lon. */
static void
test_ranking_is_haversine(void **state)
{
	unsigned long decisions = 0, mirror_ties = 0;

	for (int iter = 0; iter < 20000; iter++) {
		struct geo_model *m = geo_model_new();
		struct geo_location l = rank_client();
		struct geo_name n = {.nregions = (uint8_t)(2 + rank_rand() % 23)};
		struct geo_rtt rtt = {.hit = 1, .model = m};
		struct geo_view v = {.has = {ALL_REGIONS, 0}, .up = {ALL_REGIONS, 0}};
		double at[GEO_MAX_REGIONS][2];
		struct ref_cand ref[GEO_MAX_REGIONS];
		struct geo_decision d;

		n.max_regions = n.nregions;
		v.has[0] = v.up[0] = BIT(n.nregions) - 1;
		for (int r = 0; r < n.nregions; r++) {
			char name[8];

			rank_place(at, r, &l);
			snprintf(name, sizeof(name), "r%d", r);
			assert_int_equal(geo_region_add(m, name, at[r][0], at[r][1], -1), r);
			rtt.rtt_ms[r] = rank_rtt();
			n.regions[r] = (uint8_t)r;
		}
		for (int r = n.nregions - 1; r > 0; r--) {	/* the name's order: shuffled */
			int k = (int)(rank_rand() % (unsigned)(r + 1));
			uint8_t t = n.regions[r];

			n.regions[r] = n.regions[k];
			n.regions[k] = t;
		}
		if (rank_rand() % 5 == 0)
			l.region = (int)(rank_rand() % n.nregions);
		if (l.has_coords && rank_rand() % 2) {	/* as geo_locate() would give it */
			double p = l.lat * M_PI / 180, q = l.lon * M_PI / 180;

			l.unit[0] = cos(p) * cos(q);
			l.unit[1] = cos(p) * sin(q);
			l.unit[2] = sin(p);
		}
		v.rtt = rank_rand() % 3 == 0 ? &rtt : NULL;
		geo_decide(m, &n, &l, GEO_FAM_A, &v, &d);
		ref_rank((const double (*)[2])at, &n, &l, v.rtt != NULL ? rtt.rtt_ms : NULL, ref);
		geo_decision_km(m, &l, &d);
		assert_int_equal(d.ncand, n.nregions);
		{	/* the query path's partial ranking, with some regions down */
			struct geo_name n1 = n;
			struct geo_view v1 = v;
			struct geo_decision full, part;

			n1.max_regions = (uint8_t)(1 + rank_rand() % n.nregions);
			v1.up[0] = v.has[0] & ((uint64_t)rank_rand() << 32 | rank_rand());
			geo_decide(m, &n1, &l, GEO_FAM_A, &v1, &full);
			geo_decide_chosen(m, &n1, &l, GEO_FAM_A, &v1, &part);
			assert_same_choice(&full, &part);
		}
		for (unsigned i = 0; i < d.ncand; i++) {
			if (d.cand[i].region != ref[i].region)
				fail_msg("iteration %d, rank %u: region %d, the haversine says %d", iter, i,
					d.cand[i].region, ref[i].region);
			assert_true(d.cand[i].distance_km == ref[i].km);
			assert_memory_equal(&d.cand[i].rtt_ms, &ref[i].rtt, sizeof(double));
			if (i > 0 && ref[i].km == ref[i - 1].km && ref[i].km >= 0 &&
			    (at[ref[i].region][0] != at[ref[i - 1].region][0] ||
			     at[ref[i].region][1] != at[ref[i - 1].region][1]))
				mirror_ties++;
		}
		decisions++;
		geo_model_free(m);
	}
	/* The near-tie path was taken: regions apart, at one distance. */
	print_message("%lu decisions, %lu ties between distinct places\n", decisions, mirror_ties);
	assert_true(mirror_ties > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eu_client_nearest_eu_region),
		cmocka_unit_test(test_unpinned_ranked_by_distance),
		cmocka_unit_test(test_unlocated_keeps_name_order),
		cmocka_unit_test(test_ties_keep_name_order),
		cmocka_unit_test(test_pin_resolution),
		cmocka_unit_test(test_exempt_name_unpins),
		cmocka_unit_test(test_region_override),
		cmocka_unit_test(test_max_regions_skips_down),
		cmocka_unit_test(test_all_down_policies),
		cmocka_unit_test(test_no_family),
		cmocka_unit_test(test_strict_pin_never_leaves),
		cmocka_unit_test(test_ranking_is_haversine),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

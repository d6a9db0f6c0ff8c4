/*
 * rank.c -- the routing decision for one geo name and family
 * (docs/routing.md §4-8): residency, ranking, selection, all_down
 * policies.  Runs on workers against a read-only model; fills the
 * caller's decision in place, never allocates, and breaks every tie by
 * the name's region order.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "geo/geo_int.h"
#include "geo/latency.h"

/* Mean Earth radius (docs/routing.md §5). */
#define GEO_EARTH_RADIUS_KM 6371.0
#define GEO_DEG_TO_RAD (3.14159265358979323846 / 180.0)

double
geo_haversine_km(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * GEO_DEG_TO_RAD, p2 = lat2 * GEO_DEG_TO_RAD;
	double dp = p2 - p1, dl = (lon2 - lon1) * GEO_DEG_TO_RAD;
	double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);

	/* Rounding can push a past 1 for antipodes; asin would then be NaN. */
	return 2 * GEO_EARTH_RADIUS_KM * asin(sqrt(fmin(1.0, a)));
}

/* The unit sphere's x axis points at (0, 0), z at the north pole. */
void
geo_unit_vec(double lat, double lon, double v[3])
{
	double p = lat * GEO_DEG_TO_RAD, l = lon * GEO_DEG_TO_RAD;

	v[0] = cos(p) * cos(l);
	v[1] = cos(p) * sin(l);
	v[2] = sin(p);
}

/* docs/residency.md §2: a country's pin beats its continent's pin; a
 * record naming only a continent is pinned by that continent. */
static int
client_pin(const struct geo_model *m, const struct geo_location *loc)
{
	int slot = geo_cc_slot(loc->country);
	int ci = geo_continent_index(loc->continent);

	if (slot >= 0 && m->country_pin[slot] >= 0)
		return m->country_pin[slot];
	return ci >= 0 ? m->continent_pin[ci] : -1;
}

/* One 64-bit key per candidate, RTTs before squared chords, and near
 * ties settled by the haversine: docs/routing.md §6. */
#define KEY_NO_RTT (UINT64_C(1) << 63)	/* set on every distance key */
#define KEY_NEAR (UINT64_C(1) << 32)	/* keys closer than this: a near tie */
#define KEY_TINY_CHORD2 1e-14		/* ~0.6 m: the floor of a distance key */

/* What ranking needs about the client, worked out once per decision. */
struct rank_ctx {
	int full;			/* rank every candidate, not just the chosen prefix */
	const struct geo_model *m;
	const struct geo_location *loc;
	const struct geo_rtt *rtt;	/* NULL: no usable latency data */
	double unit[3];			/* the client's point, when it has coords */
};

/* A candidate while it is ranked: sorting these moves 16 bytes, not a
 * geo_candidate. */
struct rank_item {
	uint64_t key;
	uint8_t region;
	uint8_t up;
};

static uint64_t
key_bits(double v)
{
	uint64_t k;

	v += 0.0;	/* -0.0 becomes +0.0: they compare equal, so rank alike */
	memcpy(&k, &v, sizeof(k));
	return k;
}

static double
chord2(const double a[3], const double b[3])
{
	double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];

	return dx * dx + dy * dy + dz * dz;
}

/* docs/routing.md §5: fresh RTTs of the client's longest reported
 * prefix first, then distance; an unlocated client's keys are all alike,
 * which keeps the name's order. */
static uint64_t
rank_key(const struct rank_ctx *rc, unsigned r)
{
	double c;

	if (rc->rtt != NULL && rc->rtt->rtt_ms[r] >= 0)
		return key_bits(rc->rtt->rtt_ms[r]);
	if (!rc->loc->has_coords)
		return KEY_NO_RTT;
	c = chord2(rc->unit, rc->m->regions[r].unit);
	return KEY_NO_RTT | key_bits(c > KEY_TINY_CHORD2 ? c : KEY_TINY_CHORD2);
}

static void
rank_ctx_init(struct rank_ctx *rc, const struct geo_model *m, const struct geo_location *loc,
		const struct geo_view *view)
{
	rc->m = m;
	rc->loc = loc;
	/* A table built for another model (a reload not yet republished)
	 * is dropped: its indexes name other regions. */
	rc->rtt = view->rtt;
	if (rc->rtt != NULL && (!rc->rtt->hit || rc->rtt->model != m))
		rc->rtt = NULL;
	if (!loc->has_coords)
		return;
	if (loc->unit[0] == 0 && loc->unit[1] == 0 && loc->unit[2] == 0)
		geo_unit_vec(loc->lat, loc->lon, rc->unit);	/* built by hand */
	else
		memcpy(rc->unit, loc->unit, sizeof(rc->unit));
}

/* A near tie: the haversine decides (docs/routing.md §6). */
static int
near_better(const struct rank_ctx *rc, unsigned ra, unsigned rb)
{
	const struct geo_region *a = &rc->m->regions[ra], *b = &rc->m->regions[rb];
	const struct geo_location *l = rc->loc;

	if (a->lat == b->lat && a->lon == b->lon)
		return 0;	/* one place, one distance: the name's order */
	return geo_haversine_km(l->lat, l->lon, a->lat, a->lon) <
	       geo_haversine_km(l->lat, l->lon, b->lat, b->lon);
}

/* Strictly better, so equal candidates keep the name's order.  Keys stay
 * below 2^64 - KEY_NEAR (the largest is a squared chord of 4), so the
 * sums cannot wrap. */
static int
item_better(const struct rank_ctx *rc, const struct rank_item *a, const struct rank_item *b)
{
	if (a->key + KEY_NEAR < b->key)
		return 1;
	if (b->key + KEY_NEAR < a->key)
		return 0;
	/* Close keys: RTTs, or an unlocated client's, compare as they are;
	 * two distances are a near tie. */
	if (!(a->key & b->key & KEY_NO_RTT) || !rc->loc->has_coords)
		return a->key < b->key;
	return near_better(rc, a->region, b->region);
}

static unsigned
collect(const struct rank_ctx *rc, const struct geo_name *n, enum geo_family fam,
		const struct geo_view *view, int pin, struct rank_item *it)
{
	const struct geo_model *m = rc->m;
	unsigned k = 0;

	for (unsigned i = 0; i < n->nregions; i++) {
		unsigned r = n->regions[i];
		uint64_t bit;

		if (r >= m->nregions)
			continue;
		bit = UINT64_C(1) << r;
		if (!(view->has[fam] & bit) || (pin >= 0 && m->regions[r].pin != pin))
			continue;
		it[k].key = rank_key(rc, r);
		it[k].region = (uint8_t)r;
		it[k].up = (view->up[fam] & bit) != 0;
		k++;
	}
	return k;
}

/* Insertion sort: stable, in place, and at most 64 elements; then a
 * networks `region` entry moves its region to the front, keeping the
 * order of the rest. */
static void
rank(const struct rank_ctx *rc, struct rank_item *it, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct rank_item x = it[i];
		unsigned j = i;

		for (; j > 0 && item_better(rc, &x, &it[j - 1]); j--)
			it[j] = it[j - 1];
		it[j] = x;
	}
	for (unsigned k = 0; rc->loc->region >= 0 && k < n; k++)
		if (it[k].region == rc->loc->region) {
			struct rank_item x = it[k];

			for (; k > 0; k--)
				it[k] = it[k - 1];
			it[0] = x;
			break;
		}
}

/* Moves it[from] to it[to] (to <= from), keeping the order of the rest. */
static void
item_to(struct rank_item *it, unsigned from, unsigned to)
{
	struct rank_item x = it[from];

	for (; from > to; from--)
		it[from] = it[from - 1];
	it[to] = x;
}

/* The prefix a choice reads, in rank() order: candidates are placed
 * until `want` of them are up, or all are (docs/routing.md §7).  Returns
 * how many are placed. */
static unsigned
rank_prefix(const struct rank_ctx *rc, struct rank_item *it, unsigned n, unsigned want)
{
	unsigned i = 0, up = 0;

	for (unsigned k = 0; rc->loc->region >= 0 && k < n; k++)
		if (it[k].region == rc->loc->region) {
			item_to(it, k, 0);
			up += it[0].up;
			i = 1;
			break;
		}
	for (; i < n && up < want; i++) {
		unsigned best = i;

		for (unsigned j = i + 1; j < n; j++)
			if (item_better(rc, &it[j], &it[best]))
				best = j;
		item_to(it, best, i);
		up += it[i].up;
	}
	return i;
}

static void
fill_candidates(const struct rank_ctx *rc, const struct rank_item *it, unsigned n,
		struct geo_decision *out)
{
	for (unsigned i = 0; i < n; i++) {
		struct geo_candidate *c = &out->cand[i];

		c->region = it[i].region;
		c->up = it[i].up;
		c->distance_km = rc->loc->has_coords ? NAN : -1;
		c->rtt_ms = rc->rtt != NULL ? rc->rtt->rtt_ms[it[i].region] : -1;
	}
	out->ncand = (uint8_t)n;
}

static unsigned
max_regions(const struct geo_name *n)
{
	return n->max_regions > 0 ? n->max_regions : 1;
}

/* Steps 3-5 for one candidate set; pin < 0 means all the name's regions. */
static void
decide_for(const struct rank_ctx *rc, const struct geo_name *n, enum geo_family fam,
		const struct geo_view *view, int pin, struct geo_decision *out)
{
	struct rank_item it[GEO_MAX_REGIONS];
	unsigned k = collect(rc, n, fam, view, pin, it);

	if (rc->full) {
		rank(rc, it, k);
		out->nranked = (uint8_t)k;
	} else {
		out->nranked = (uint8_t)rank_prefix(rc, it, k, max_regions(n));
	}
	fill_candidates(rc, it, k, out);
	out->nchosen = 0;
	for (unsigned i = 0; i < out->ncand && out->nchosen < max_regions(n); i++)
		if (out->cand[i].up)
			out->chosen[out->nchosen++] = out->cand[i].region;
	if (out->ncand == 0)
		out->policy = GEO_POLICY_NO_FAMILY;
	else if (out->nchosen > 0)
		out->policy = GEO_POLICY_NORMAL;
	else
		out->policy = GEO_POLICY_ALL_DOWN;
	/* serve-all stays inside this candidate set, so inside a strict pin. */
	if (out->policy == GEO_POLICY_ALL_DOWN && n->all_down == GEO_ALL_DOWN_SERVE_ALL)
		for (unsigned i = 0; i < out->ncand && out->nchosen < max_regions(n); i++)
			out->chosen[out->nchosen++] = out->cand[i].region;
}

/* A preferred pin whose candidates give no up region falls back to all
 * the name's regions (docs/routing.md §7); out->pin still names it. */
static void
decide(const struct geo_model *m, const struct geo_name *n, const struct geo_location *loc,
		enum geo_family fam, const struct geo_view *view, int full, struct geo_decision *out)
{
	int pin = client_pin(m, loc);
	struct rank_ctx rc;

	if (pin >= 0 && (n->exempt & (UINT32_C(1) << pin)))
		pin = -1;
	out->pin = pin;
	out->all_down = n->all_down;
	out->unpinned_fallback = 0;
	/* docs/routing.md §8: the longest prefix of every table consulted. */
	out->scope = loc->scope;
	if (view->rtt != NULL && view->rtt->scope > out->scope)
		out->scope = view->rtt->scope;
	rank_ctx_init(&rc, m, loc, view);
	rc.full = full;
	decide_for(&rc, n, fam, view, pin, out);
	if (pin >= 0 && m->pins[pin].mode == GEO_PIN_PREFERRED && out->policy != GEO_POLICY_NORMAL) {
		out->unpinned_fallback = 1;
		decide_for(&rc, n, fam, view, -1, out);
	}
}

void
geo_decide(const struct geo_model *m, const struct geo_name *n,
		const struct geo_location *loc, enum geo_family fam,
		const struct geo_view *view, struct geo_decision *out)
{
	decide(m, n, loc, fam, view, 1, out);
}

void
geo_decide_chosen(const struct geo_model *m, const struct geo_name *n,
		const struct geo_location *loc, enum geo_family fam,
		const struct geo_view *view, struct geo_decision *out)
{
	decide(m, n, loc, fam, view, 0, out);
}

void
geo_decision_km(const struct geo_model *m, const struct geo_location *loc, struct geo_decision *d)
{
	for (unsigned i = 0; i < d->ncand; i++) {
		const struct geo_region *r = &m->regions[d->cand[i].region];

		d->cand[i].distance_km = loc->has_coords ?
			geo_haversine_km(loc->lat, loc->lon, r->lat, r->lon) : -1;
	}
}

/*
 * rank.c -- the routing decision for one geo name and family (SPEC 6
 * steps 3-6): residency, ranking, selection, all_down policies.  Runs on
 * workers against a read-only model; fills the caller's decision in place,
 * never allocates, and breaks every tie by the name's region order.
 */
#include <math.h>

#include "geo/geo_int.h"
#include "geo/latency.h"

/* SPEC 6 step 4: mean Earth radius. */
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

/* SPEC 5a: the pin listing the client's country wins over the pin
 * listing its continent; a continent-only record uses its continent. */
static int
client_pin(const struct geo_model *m, const struct geo_location *loc)
{
	int slot = geo_cc_slot(loc->country);
	int ci = geo_continent_index(loc->continent);

	if (slot >= 0 && m->country_pin[slot] >= 0)
		return m->country_pin[slot];
	return ci >= 0 ? m->continent_pin[ci] : -1;
}

static void
collect(const struct geo_model *m, const struct geo_name *n, const struct geo_location *loc,
		enum geo_family fam, const struct geo_view *view, int pin, struct geo_decision *out)
{
	const struct geo_rtt *rtt = view->rtt;

	if (rtt != NULL && (!rtt->hit || rtt->model != m))
		rtt = NULL;
	out->ncand = 0;
	for (unsigned i = 0; i < n->nregions; i++) {
		unsigned r = n->regions[i];
		uint64_t bit;
		struct geo_candidate *c;

		if (r >= m->nregions)
			continue;
		bit = UINT64_C(1) << r;
		if (!(view->has[fam] & bit) || (pin >= 0 && m->regions[r].pin != pin))
			continue;
		c = &out->cand[out->ncand++];
		c->region = (uint8_t)r;
		c->up = (view->up[fam] & bit) != 0;
		c->distance_km = loc->has_coords ?
			geo_haversine_km(loc->lat, loc->lon, m->regions[r].lat, m->regions[r].lon) : -1;
		/* SPEC 6 step 4: fresh RTTs of the client's longest reported
		 * prefix.  A table built for another model (a reload not yet
		 * republished) was dropped above: its indexes name other regions. */
		c->rtt_ms = rtt != NULL ? rtt->rtt_ms[r] : -1;
	}
}

/* Strictly better, so equal candidates keep the name's order. */
static int
cand_better(const struct geo_candidate *a, const struct geo_candidate *b)
{
	if ((a->rtt_ms >= 0) != (b->rtt_ms >= 0))
		return a->rtt_ms >= 0;
	if (a->rtt_ms >= 0)
		return a->rtt_ms < b->rtt_ms;
	return a->distance_km < b->distance_km;	/* both -1 when unlocated */
}

/* Moves cand[k] to the front, keeping the order of the rest. */
static void
cand_to_front(struct geo_decision *out, unsigned k)
{
	struct geo_candidate x = out->cand[k];

	for (; k > 0; k--)
		out->cand[k] = out->cand[k - 1];
	out->cand[0] = x;
}

/* Insertion sort: stable, in place, and at most 64 elements. */
static void
rank(const struct geo_location *loc, struct geo_decision *out)
{
	for (unsigned i = 1; i < out->ncand; i++) {
		unsigned j = i;

		while (j > 0 && cand_better(&out->cand[j], &out->cand[j - 1])) {
			struct geo_candidate t = out->cand[j];

			out->cand[j] = out->cand[j - 1];
			out->cand[--j] = t;
		}
	}
	for (unsigned k = 0; loc->region >= 0 && k < out->ncand; k++)
		if (out->cand[k].region == loc->region) {
			cand_to_front(out, k);
			break;
		}
}

static unsigned
max_regions(const struct geo_name *n)
{
	return n->max_regions > 0 ? n->max_regions : 1;
}

/* Steps 3-5 for one candidate set; pin < 0 means all the name's regions. */
static void
decide_for(const struct geo_model *m, const struct geo_name *n, const struct geo_location *loc,
		enum geo_family fam, const struct geo_view *view, int pin, struct geo_decision *out)
{
	collect(m, n, loc, fam, view, pin, out);
	rank(loc, out);
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

/*
 * A preferred pin falls back to all the name's regions whenever its own
 * candidates give no up region: none up, or none with the family (SPEC 6
 * step 5).  out->pin still names the pin and unpinned_fallback says the
 * fallback happened; the all_down policy then applies over all regions.
 */
void
geo_decide(const struct geo_model *m, const struct geo_name *n,
		const struct geo_location *loc, enum geo_family fam,
		const struct geo_view *view, struct geo_decision *out)
{
	int pin = client_pin(m, loc);

	if (pin >= 0 && (n->exempt & (UINT32_C(1) << pin)))
		pin = -1;
	out->pin = pin;
	out->all_down = n->all_down;
	out->unpinned_fallback = 0;
	/* SPEC 6 step 6: the longest prefix of every table consulted. */
	out->scope = loc->scope;
	if (view->rtt != NULL && view->rtt->scope > out->scope)
		out->scope = view->rtt->scope;
	decide_for(m, n, loc, fam, view, pin, out);
	if (pin >= 0 && m->pins[pin].mode == GEO_PIN_PREFERRED && out->policy != GEO_POLICY_NORMAL) {
		out->unpinned_fallback = 1;
		decide_for(m, n, loc, fam, view, -1, out);
	}
}

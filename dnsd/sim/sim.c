/*
 * sim.c -- the client address space cut into blocks that decide alike,
 * and every block's decision for each geo name and family, now and under
 * a scenario.  The caller's thread; allocates.  Decisions come from the
 * query path's functions only: geo_locate() places a block,
 * query_health_view() builds the view, geo_decide_chosen() decides, so
 * the simulator cannot answer otherwise than the server does for the
 * same health (tests/system/sim checks it against a running server).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsd/answer/query.h"
#include "dnsd/sim/sim.h"
#include "dnsd/util/clock.h"

/* --- areas and places ------------------------------------------------------ */

static uint32_t
area_of(const struct geo_location *loc)
{
	static const char *const continents[7] = { "AF", "AN", "AS", "EU", "NA", "OC", "SA" };
	const char *c = loc->country;

	if (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c[2] == '\0')
		return (uint32_t)((c[0] - 'A') * 26 + (c[1] - 'A'));
	for (int i = 0; i < 7; i++)
		if (strcmp(loc->continent, continents[i]) == 0)
			return SIM_AREA_COUNTRIES + (uint32_t)i;
	return SIM_AREA_UNLOCATED;
}

/* FNV-1a over what a decision reads of a location. */
static uint64_t
place_hash(const struct geo_location *l)
{
	uint64_t h = 1469598103934665603ull;
	const uint8_t *parts[] = { (const uint8_t *)l->country, (const uint8_t *)l->continent,
				   (const uint8_t *)&l->lat, (const uint8_t *)&l->lon,
				   (const uint8_t *)&l->region, (const uint8_t *)&l->via,
				   (const uint8_t *)&l->has_coords };
	const size_t lens[] = { 3, 3, sizeof(l->lat), sizeof(l->lon), sizeof(l->region), sizeof(l->via),
				sizeof(l->has_coords) };

	for (size_t p = 0; p < sizeof(lens) / sizeof(lens[0]); p++)
		for (size_t i = 0; i < lens[p]; i++) {
			h ^= parts[p][i];
			h *= 1099511628211ull;
		}
	return h;
}

static int
index_grow(struct sim_space *sp)
{
	size_t n = sp->index_mask ? (sp->index_mask + 1) * 2 : 1024;
	uint32_t *ix = malloc(n * sizeof(*ix));

	if (ix == NULL)
		return -ENOMEM;
	memset(ix, 0xff, n * sizeof(*ix));
	for (size_t p = 0; p < sp->nplaces; p++) {
		size_t i = place_hash(&sp->places[p].loc) & (n - 1);
		while (ix[i] != UINT32_MAX)
			i = (i + 1) & (n - 1);
		ix[i] = (uint32_t)p;
	}
	free(sp->index);
	sp->index = ix;
	sp->index_mask = n - 1;
	return 0;
}

/* The place of loc (net and scope already cleared), added if new.
 * Locations are compared whole: geo_locate() starts from a zeroed
 * struct, so equal fields mean equal bytes. */
static long
place_find(struct sim_space *sp, const struct geo_location *loc)
{
	size_t i;

	if ((sp->nplaces + 1) * 2 > sp->index_mask + 1 && index_grow(sp) < 0)
		return -ENOMEM;
	for (i = place_hash(loc) & sp->index_mask; sp->index[i] != UINT32_MAX; i = (i + 1) & sp->index_mask)
		if (memcmp(&sp->places[sp->index[i]].loc, loc, sizeof(*loc)) == 0)
			return sp->index[i];
	if (sp->nplaces == sp->place_cap) {
		size_t cap = sp->place_cap ? sp->place_cap * 2 : 256;
		struct sim_place *p = realloc(sp->places, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		sp->places = p;
		sp->place_cap = cap;
	}
	memset(&sp->places[sp->nplaces], 0, sizeof(sp->places[0]));
	sp->places[sp->nplaces].loc = *loc;
	sp->places[sp->nplaces].area = area_of(loc);
	sp->index[i] = (uint32_t)sp->nplaces;
	return (long)sp->nplaces++;
}

/* --- the walk -------------------------------------------------------------- */

/* Blocks of the IPv6 walk MaxMind databases fill with the IPv4 tree. */
static const struct {
	uint8_t bytes[16];
	unsigned prefix;
} v6_skip[] = {
	{ { 0 }, 96 },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96 },
	{ { 0x20, 0x02 }, 16 },
};

static int
in_prefix(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, full) != 0)
		return 0;
	return rest == 0 || ((a[full] ^ net[full]) & (0xff00 >> rest) & 0xff) == 0;
}

/* Sets the bits past prefix and adds one.  Returns 1 when it wrapped:
 * the block was the last of the family. */
static int
next_block(uint8_t *a, unsigned bytes, unsigned prefix)
{
	for (unsigned b = prefix; b < bytes * 8; b++)
		a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	for (int i = (int)bytes - 1; i >= 0; i--)
		if (++a[i] != 0)
			return 0;
	return 1;
}

/* The longest prefix a starts: a block found from a can never start
 * before it (docs/routing.md §8 scopes nest), this only guards that. */
static unsigned
aligned_prefix(const uint8_t *a, unsigned bytes)
{
	for (int b = (int)bytes * 8 - 1; b >= 0; b--)
		if (a[b / 8] & (0x80 >> (b % 8)))
			return (unsigned)b + 1;
	return 0;
}

static double
block_space(int family, unsigned prefix)
{
	/* IPv4 in addresses; IPv6 in /64s, the usual size of one site's LAN */
	int bits = family == 4 ? 32 - (int)prefix : 64 - (int)prefix;
	double v = 1;

	for (int i = 0; i < (bits < 0 ? -bits : bits); i++)
		v *= 2;
	return bits < 0 ? 1 / v : v;
}

static int
keep_block(struct sim_space *sp, size_t *cap, const uint8_t *a, unsigned prefix, int family, long place)
{
	size_t n = sp->nblocks[0] + sp->nblocks[1];
	struct sim_block *b;

	if (n == *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		if ((b = realloc(sp->blocks, c * sizeof(*b))) == NULL)
			return -ENOMEM;
		sp->blocks = b;
		*cap = c;
	}
	b = &sp->blocks[n];
	memset(b, 0, sizeof(*b));
	memcpy(b->addr, a, family == 4 ? 4 : 16);
	b->prefix = (uint8_t)prefix;
	b->family = (uint8_t)family;
	b->place = (uint32_t)place;
	return 0;
}

static int
walk(struct sim_space *sp, int family, int keep, size_t *cap)
{
	const struct geo_model *m = sp->snap->conf->geo;
	unsigned bytes = family == 4 ? 4 : 16;
	struct geo_addr a = { .family = family, .prefix = bytes * 8 };
	struct geo_location loc;
	int f = family == 6;

	for (;;) {
		int skipped = 0;
		for (size_t k = 0; family == 6 && k < sizeof(v6_skip) / sizeof(v6_skip[0]); k++)
			if (in_prefix(a.bytes, v6_skip[k].bytes, v6_skip[k].prefix)) {
				if (next_block(a.bytes, bytes, v6_skip[k].prefix))
					return 0;
				skipped = 1;
			}
		if (skipped)
			continue;
		geo_locate(m, &a, &loc);
		unsigned prefix = loc.scope, floor = aligned_prefix(a.bytes, bytes);
		if (prefix < floor)
			prefix = floor;
		/* a networks entry stays: reports name the overrides */
		if (loc.via != GEO_LOC_NETWORKS)
			memset(&loc.net, 0, sizeof(loc.net));
		loc.scope = 0;
		long p = place_find(sp, &loc);
		if (p < 0)
			return (int)p;
		double space = block_space(family, prefix);
		sp->places[p].space[f] += space;
		sp->areas[sp->places[p].area].space[f] += space;
		if (keep && keep_block(sp, cap, a.bytes, prefix, family, p) < 0)
			return -ENOMEM;
		sp->nblocks[f]++;
		if (next_block(a.bytes, bytes, prefix))
			return 0;
	}
}

static void
name_areas(struct sim_space *sp)
{
	static const char *const continents[7] = { "AF", "AN", "AS", "EU", "NA", "OC", "SA" };

	for (uint32_t i = 0; i < SIM_AREA_COUNTRIES; i++) {
		struct sim_area *a = &sp->areas[i];
		a->country[0] = (char)('A' + i / 26);
		a->country[1] = (char)('A' + i % 26);
		if (geo_country_lookup(a->country, a->continent, &(double){ 0 }, &(double){ 0 }) < 0)
			a->continent[0] = '\0';
	}
	for (int i = 0; i < 7; i++)
		memcpy(sp->areas[SIM_AREA_COUNTRIES + i].continent, continents[i], 3);
	/* a country the table lacks takes the continent its records name */
	for (size_t p = 0; p < sp->nplaces; p++) {
		struct sim_area *a = &sp->areas[sp->places[p].area];
		if (a->continent[0] == '\0' && sp->places[p].area < SIM_AREA_COUNTRIES)
			memcpy(a->continent, sp->places[p].loc.continent, 3);
	}
}

struct sim_space *
sim_space_new(const struct snap *s, int keep_blocks)
{
	struct sim_space *sp = calloc(1, sizeof(*sp));
	double t0 = clock_mono_seconds();
	size_t cap = 0;

	if (sp == NULL)
		return NULL;
	sp->snap = s;
	if (walk(sp, 4, keep_blocks, &cap) < 0 || walk(sp, 6, keep_blocks, &cap) < 0) {
		sim_space_free(sp);
		return NULL;
	}
	name_areas(sp);
	free(sp->index);	/* places are complete: nothing looks them up again */
	sp->index = NULL;
	sp->seconds = clock_mono_seconds() - t0;
	return sp;
}

void
sim_space_free(struct sim_space *sp)
{
	if (sp == NULL)
		return;
	free(sp->blocks);
	free(sp->places);
	free(sp->index);
	free(sp);
}

/* --- decisions ------------------------------------------------------------- */

void
sim_views(const struct snap *s, struct geo_view *views)
{
	for (size_t i = 0; i < s->ngeo; i++)
		query_health_view(s, &s->geo[i]->gn, &views[i]);
}

/* What the server answers for decision d: the mapping answer_geo()
 * (dnsd/answer/query.c) applies, as docs/routing.md §7 states it. */
static void
outcome_of(const struct geo_decision *d, struct sim_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->policy = d->policy;
	o->pin = d->pin;
	o->fallback = d->unpinned_fallback;
	if (d->policy == GEO_POLICY_ALL_DOWN && d->all_down == GEO_ALL_DOWN_SERVFAIL) {
		o->answer = SIM_SERVFAIL;
	} else if (d->policy == GEO_POLICY_NO_FAMILY || d->nchosen == 0 ||
		   (d->policy == GEO_POLICY_ALL_DOWN && d->all_down == GEO_ALL_DOWN_NODATA)) {
		o->answer = SIM_NODATA;
	} else {
		o->answer = SIM_REGIONS;
		o->nregions = d->nchosen;
		memcpy(o->regions, d->chosen, d->nchosen);
	}
}

static long
outcome_find(struct sim_result *r, const struct sim_outcome *o, size_t *cap)
{
	for (size_t i = 0; i < r->noutcomes; i++)
		if (memcmp(&r->outcomes[i], o, sizeof(*o)) == 0)
			return (long)i;
	if (r->noutcomes >= UINT16_MAX)
		return -ENOSPC;
	if (r->noutcomes == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct sim_outcome *v = realloc(r->outcomes, c * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		r->outcomes = v;
		*cap = c;
	}
	r->outcomes[r->noutcomes] = *o;
	return (long)r->noutcomes++;
}

static int
cell_cmp(const void *a, const void *b)
{
	const struct sim_cell *x = a, *y = b;

	if (x->area != y->area)
		return x->area < y->area ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->now != y->now)
		return x->now < y->now ? -1 : 1;
	return x->after < y->after ? -1 : x->after > y->after;
}

/* Every place's space into cells, merged per (area, family, now, after). */
static int
fill_cells(const struct sim_space *sp, struct sim_sel *sel, int has_after)
{
	size_t n = 0;

	if ((sel->cells = malloc((sp->nplaces * 2 + 1) * sizeof(*sel->cells))) == NULL)
		return -ENOMEM;
	for (size_t p = 0; p < sp->nplaces; p++)
		for (uint8_t f = 0; f < 2; f++)
			if (sp->places[p].space[f] > 0)
				sel->cells[n++] = (struct sim_cell){
					.area = sp->places[p].area, .family = f, .now = sel->out[0][p],
					.after = has_after ? sel->out[1][p] : sel->out[0][p],
					.space = sp->places[p].space[f] };
	qsort(sel->cells, n, sizeof(*sel->cells), cell_cmp);
	sel->ncells = 0;
	for (size_t i = 0; i < n; i++) {
		struct sim_cell *last = sel->ncells ? &sel->cells[sel->ncells - 1] : NULL;
		if (last != NULL && cell_cmp(last, &sel->cells[i]) == 0)
			last->space += sel->cells[i].space;
		else
			sel->cells[sel->ncells++] = sel->cells[i];
	}
	return 0;
}

static int
decide_sel(struct sim_result *r, struct sim_sel *sel, const struct geo_view *now,
	   const struct geo_view *after, size_t *cap)
{
	const struct sim_space *sp = r->space;
	const struct geo_model *m = sp->snap->conf->geo;
	const struct geo_view *views[2] = { &now[sel->g->id], after ? &after[sel->g->id] : NULL };
	struct geo_decision d;
	struct sim_outcome o;

	for (int st = 0; st < 2 && views[st] != NULL; st++) {
		if ((sel->out[st] = malloc((sp->nplaces + 1) * sizeof(uint16_t))) == NULL)
			return -ENOMEM;
		for (size_t p = 0; p < sp->nplaces; p++) {
			geo_decide_chosen(m, &sel->g->gn, &sp->places[p].loc, sel->fam, views[st], &d);
			outcome_of(&d, &o);
			long k = outcome_find(r, &o, cap);
			if (k < 0)
				return (int)k;
			sel->out[st][p] = (uint16_t)k;
		}
	}
	return fill_cells(sp, sel, after != NULL);
}

/* "www.example.com" and "www.example.com." are the same name. */
static int
name_matches(const char *have, const char *want)
{
	size_t a = strlen(have), b = strlen(want);

	if (a > 0 && have[a - 1] == '.')
		a--;
	if (b > 0 && want[b - 1] == '.')
		b--;
	return a == b && strncasecmp(have, want, a) == 0;
}

int
sim_eval(const struct sim_space *sp, const char *name, int fam, const struct geo_view *now,
	 const struct geo_view *after, struct sim_result **out)
{
	const struct snap *s = sp->snap;
	struct sim_result *r = calloc(1, sizeof(*r));
	size_t cap = 0;
	int rc = -ENOMEM;

	*out = NULL;
	if (r == NULL || (r->sel = calloc(s->ngeo * 2 + 1, sizeof(*r->sel))) == NULL)
		goto fail;
	r->space = sp;
	r->has_after = after != NULL;
	for (size_t i = 0; i < s->ngeo; i++) {
		if (name != NULL && !name_matches(s->geo[i]->name, name))
			continue;
		for (int f = 0; f < 2; f++) {
			if (fam >= 0 && f != fam)
				continue;
			struct sim_sel *sel = &r->sel[r->nsel++];
			sel->g = s->geo[i];
			sel->fam = (enum geo_family)f;
			if ((rc = decide_sel(r, sel, now, after, &cap)) < 0)
				goto fail;
		}
	}
	if (r->nsel == 0) {
		rc = -ENOENT;
		goto fail;
	}
	*out = r;
	return 0;
fail:
	sim_result_free(r);
	return rc;
}

void
sim_result_free(struct sim_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->sel != NULL && i < r->nsel; i++) {
		free(r->sel[i].out[0]);
		free(r->sel[i].out[1]);
		free(r->sel[i].cells);
	}
	free(r->sel);
	free(r->outcomes);
	free(r);
}

/* --- reading a result ------------------------------------------------------ */

int
sim_same_answer(const struct sim_outcome *a, const struct sim_outcome *b)
{
	if (a->answer != b->answer)
		return 0;
	if (a->answer != SIM_REGIONS)
		return 1;
	return (a->policy == GEO_POLICY_ALL_DOWN) == (b->policy == GEO_POLICY_ALL_DOWN) &&
	       a->nregions == b->nregions && memcmp(a->regions, b->regions, a->nregions) == 0;
}

const char *
sim_outcome_label(const struct geo_model *m, const struct sim_outcome *o, char *buf, size_t len)
{
	size_t n = 0;

	if (o->answer != SIM_REGIONS) {
		snprintf(buf, len, "%s", o->answer == SIM_SERVFAIL ? "SERVFAIL" : "NODATA");
		return buf;
	}
	buf[0] = '\0';
	if (o->policy == GEO_POLICY_ALL_DOWN)
		n = (size_t)snprintf(buf, len, "all_down:");
	for (int i = 0; i < o->nregions && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", geo_region_name(m, o->regions[i]));
	return buf;
}

int
sim_outcome_region(const struct sim_outcome *o)
{
	return o->answer == SIM_REGIONS && o->nregions > 0 ? o->regions[0] : -1;
}

int
sim_outcome_leaks(const struct geo_model *m, const struct sim_outcome *o)
{
	if (o->pin < 0 || geo_pin_mode_get(m, o->pin) != GEO_PIN_STRICT || o->answer != SIM_REGIONS)
		return 0;
	for (int i = 0; i < o->nregions; i++)
		if (geo_region_pin(m, o->regions[i]) != o->pin)
			return 1;
	return 0;
}

/* The first cell of area or after it (cells are sorted by area). */
static size_t
cells_from(const struct sim_sel *sel, uint32_t area)
{
	size_t lo = 0, hi = sel->ncells;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sel->cells[mid].area < area)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
add_share(const struct sim_result *r, struct sim_summary *out, int st, int f, uint16_t k, double space)
{
	size_t n = out->nshares[st][f];

	for (size_t i = 0; i < n; i++)
		if (sim_same_answer(&r->outcomes[out->shares[st][f][i].outcome], &r->outcomes[k])) {
			out->shares[st][f][i].space += space;
			return;
		}
	if (n < SIM_SHARES_MAX) {
		out->shares[st][f][n].outcome = k;
		out->shares[st][f][n].space = space;
		out->nshares[st][f]++;
	}
}

static int
share_cmp(const void *a, const void *b)
{
	const struct sim_share *x = a, *y = b;

	if (x->space != y->space)
		return x->space > y->space ? -1 : 1;
	return x->outcome < y->outcome ? -1 : x->outcome > y->outcome;
}

void
sim_summarize(const struct sim_result *r, const struct sim_sel *sel, uint32_t first, uint32_t last,
	      const char *continent, struct sim_summary *out)
{
	const struct sim_area *areas = r->space->areas;
	int cf;

	memset(out, 0, sizeof(*out));
	for (size_t i = cells_from(sel, first); i < sel->ncells && sel->cells[i].area < last; i++) {
		const struct sim_cell *c = &sel->cells[i];
		if (continent != NULL && strcmp(areas[c->area].continent, continent) != 0)
			continue;
		out->space[c->family] += c->space;
		if (!sim_same_answer(&r->outcomes[c->now], &r->outcomes[c->after]))
			out->moved[c->family] += c->space;
		add_share(r, out, 0, c->family, c->now, c->space);
		add_share(r, out, 1, c->family, c->after, c->space);
	}
	for (int f = 0; f < 2; f++) {
		for (int st = 0; st < 2; st++)
			qsort(out->shares[st][f], out->nshares[st][f], sizeof(struct sim_share), share_cmp);
		if (out->space[f] > 0)
			out->moved[f] /= out->space[f];
	}
	cf = out->space[0] > 0 ? 0 : 1;
	out->family = cf;
	for (int st = 0; st < 2; st++)
		out->main[st] = out->nshares[st][cf] > 0 ? out->shares[st][cf][0].outcome : -1;
}

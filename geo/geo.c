/*
 * geo.c -- the traffic model: pins, regions, `networks` overrides and the
 * residency proof.  Construction runs once per load on one thread; the
 * getters are read-only and safe from workers.  Only construction
 * allocates (the networks arrays).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

struct geo_model *
geo_model_new(void)
{
	struct geo_model *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	memset(m->country_pin, -1, sizeof(m->country_pin));
	memset(m->continent_pin, -1, sizeof(m->continent_pin));
	return m;
}

void
geo_model_free(struct geo_model *m)
{
	if (m == NULL)
		return;
	geo_georecs_fini(&m->recs);
	for (int f = 0; f < 2; f++) {
		geo_flat_fini(&m->located[f]);
		free(m->nets[f].v);
	}
	free(m);
}

/* Names are copied into fixed arrays, so an over-long one is refused
 * rather than silently cut into a name that might collide. */
static int
name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && strlen(name) < GEO_NAME_MAX;
}

int
geo_pin_add(struct geo_model *m, const char *name, enum geo_pin_mode mode)
{
	if (!name_ok(name) || (mode != GEO_PIN_STRICT && mode != GEO_PIN_PREFERRED))
		return -EINVAL;
	if (geo_pin_find(m, name) >= 0)
		return -EEXIST;
	if (m->npins == GEO_MAX_PINS)
		return -ENOSPC;
	strcpy(m->pins[m->npins].name, name);
	m->pins[m->npins].mode = mode;
	return (int)m->npins++;
}

static int
pin_ok(const struct geo_model *m, int pin)
{
	return pin >= 0 && (size_t)pin < m->npins;
}

/* Claims *slot for pin; re-listing a code in the same pin is harmless. */
static int
pin_claim(int8_t *slot, int pin)
{
	if (*slot >= 0 && *slot != pin)
		return -EEXIST;
	*slot = (int8_t)pin;
	return 0;
}

int
geo_pin_add_country(struct geo_model *m, int pin, const char *cc)
{
	if (!pin_ok(m, pin) || geo_country_get(cc) == NULL)
		return -EINVAL;
	return pin_claim(&m->country_pin[geo_cc_slot(cc)], pin);
}

int
geo_pin_add_continent(struct geo_model *m, int pin, const char *continent)
{
	int i = geo_continent_index(continent);

	if (!pin_ok(m, pin) || i < 0)
		return -EINVAL;
	return pin_claim(&m->continent_pin[i], pin);
}

int
geo_region_add(struct geo_model *m, const char *name, double lat, double lon, int pin)
{
	struct geo_region *r;

	if (!name_ok(name) || (pin != -1 && !pin_ok(m, pin)))
		return -EINVAL;
	if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180))
		return -EINVAL;
	if (geo_region_find(m, name) >= 0)
		return -EEXIST;
	if (m->nregions == GEO_MAX_REGIONS)
		return -ENOSPC;
	r = &m->regions[m->nregions];
	strcpy(r->name, name);
	r->lat = lat;
	r->lon = lon;
	geo_unit_vec(lat, lon, r->unit);
	r->pin = pin;
	return (int)m->nregions++;
}

unsigned
geo_addr_bits(const struct geo_addr *a)
{
	return a->family == 4 ? 32 : 128;
}

int
geo_addr_is_valid(const struct geo_addr *a)
{
	struct geo_key k;

	if (a == NULL || (a->family != 4 && a->family != 6) || a->prefix > geo_addr_bits(a))
		return 0;
	/* All 128 bits: an IPv4 address keeps bytes[4..15] zero too. */
	k = geo_key_of(a->bytes);
	return geo_key_cmp(geo_key_mask(k, a->prefix), k) == 0;
}

void
geo_addr_truncate(struct geo_addr *a, unsigned prefix)
{
	geo_key_bytes(geo_key_mask(geo_key_of(a->bytes), prefix), a->bytes);
	a->prefix = prefix;
}

static int
nets_push(struct geo_nets *t, const struct geo_net *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct geo_net *v = realloc(t->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *e;
	return 0;
}

/* A `country` entry locates as the country's centroid (docs/routing.md §3). */
static void
place_country(struct geo_place *p, const char *cc)
{
	memcpy(p->country, cc, 3);
	p->has_coords = geo_country_lookup(cc, p->continent, &p->lat, &p->lon) == 0;
	if (p->has_coords)
		geo_unit_vec(p->lat, p->lon, p->unit);
}

int
geo_network_add(struct geo_model *m, const struct geo_addr *net, const char *country, int region)
{
	int has_cc = country != NULL && country[0] != '\0';
	struct geo_net e = {.region = -1};
	int rc;

	if (!geo_addr_is_valid(net) || has_cc == (region >= 0))
		return -EINVAL;
	if ((has_cc && geo_country_get(country) == NULL) || (region >= 0 && (size_t)region >= m->nregions))
		return -EINVAL;
	/* Repeats are found by geo_model_finish(), in one sort. */
	e.net = *net;
	if (has_cc)
		place_country(&e.place, country);
	e.region = region;
	e.nth = m->nnets;
	if ((rc = nets_push(&m->nets[net->family == 6], &e)) == 0)
		m->nnets++;
	return rc;
}

/* The index's order (docs/routing.md §8): longest prefix first, then by
 * address; a prefix added twice sorts its copies in the order added. */
static int
net_cmp(const void *pa, const void *pb)
{
	const struct geo_net *a = pa, *b = pb;
	int c;

	if (a->net.prefix != b->net.prefix)
		return a->net.prefix > b->net.prefix ? -1 : 1;
	if ((c = memcmp(a->net.bytes, b->net.bytes, 16)) != 0)
		return c;
	return (a->nth > b->nth) - (a->nth < b->nth);
}

static int
nth_cmp(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	return (a > b) - (a < b);
}

/* Sorts t, drops every repeat (keeping the first added, as a refused
 * add would have), collecting its nth into dups; the located table is
 * built over what is left (geo_model_relocate()). */
static void
nets_index(struct geo_nets *t, size_t *dups, size_t *ndups)
{
	size_t w = 0;

	t->nindexed = 0;
	if (t->n == 0)
		return;
	qsort(t->v, t->n, sizeof(*t->v), net_cmp);
	for (size_t i = 0; i < t->n; i++) {
		if (w > 0 && t->v[i].net.prefix == t->v[w - 1].net.prefix &&
		    memcmp(t->v[i].net.bytes, t->v[w - 1].net.bytes, 16) == 0) {
			dups[(*ndups)++] = t->v[i].nth;
			continue;
		}
		t->v[w++] = t->v[i];
	}
	t->n = t->nindexed = w;
}

int
geo_model_finish(struct geo_model *m, void (*dup)(void *arg, size_t nth), void *arg)
{
	size_t *dups, ndups = 0;
	int rc;

	if ((dups = malloc((m->nnets ? m->nnets : 1) * sizeof(*dups))) == NULL)
		return -ENOMEM;
	for (int f = 0; f < 2; f++)
		nets_index(&m->nets[f], dups, &ndups);
	rc = geo_model_relocate(m, m->located);
	if (rc == 0 && ndups > 0) {
		qsort(dups, ndups, sizeof(*dups), nth_cmp);
		for (size_t i = 0; i < ndups && dup != NULL; i++)
			dup(arg, dups[i]);
		rc = -EEXIST;
	}
	free(dups);
	return rc;
}

int
geo_region_find(const struct geo_model *m, const char *name)
{
	for (size_t i = 0; i < m->nregions; i++)
		if (strcmp(m->regions[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
geo_pin_find(const struct geo_model *m, const char *name)
{
	for (size_t i = 0; i < m->npins; i++)
		if (strcmp(m->pins[i].name, name) == 0)
			return (int)i;
	return -1;
}

size_t
geo_region_count(const struct geo_model *m)
{
	return m->nregions;
}

const char *
geo_region_name(const struct geo_model *m, int region)
{
	return region >= 0 && (size_t)region < m->nregions ? m->regions[region].name : NULL;
}

int
geo_region_pin(const struct geo_model *m, int region)
{
	return region >= 0 && (size_t)region < m->nregions ? m->regions[region].pin : -1;
}

size_t
geo_pin_count(const struct geo_model *m)
{
	return m->npins;
}

const char *
geo_pin_name(const struct geo_model *m, int pin)
{
	return pin_ok(m, pin) ? m->pins[pin].name : NULL;
}

enum geo_pin_mode
geo_pin_mode_get(const struct geo_model *m, int pin)
{
	return pin_ok(m, pin) ? m->pins[pin].mode : GEO_PIN_STRICT;
}

static int
name_has_pin_region(const struct geo_model *m, const struct geo_name *n, int pin)
{
	for (unsigned i = 0; i < n->nregions; i++)
		if (geo_region_pin(m, n->regions[i]) == pin)
			return 1;
	return 0;
}

int
geo_name_check_residency(const struct geo_model *m, const struct geo_name *n, int *pin)
{
	/* Every pin governs every name it is not exempted from, even a pin
	 * with no countries yet (docs/residency.md §3). */
	for (size_t p = 0; p < m->npins; p++) {
		if (n->exempt & (UINT32_C(1) << p))
			continue;
		if (!name_has_pin_region(m, n, (int)p)) {
			if (pin != NULL)
				*pin = (int)p;
			return -EPERM;
		}
	}
	return 0;
}

/*
 * geoip_table.c -- the GeoIP record table: every data record of the
 * database decoded once into the place a client there is located at,
 * found by the record's data-section offset while the search tree is
 * flattened (flat.c), then by index from the address table.  Built on
 * the loading thread (allocates); read-only once the model is published.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geo_int.h"

/* Slots at least twice the records (and at least 2^4): linear probes
 * stay around 1.5 on a hit, and the slots cost 8 to 16 bytes a record. */
#define GEORECS_MIN_BITS 4

/* docs/routing.md §3: City records carry coordinates; Country records
 * get the country's centroid; a continent-only record the continent's.
 * The continent comes from the table when the record names only a
 * country.  Without coordinates lat, lon and unit stay 0. */
void
geo_place_from_rec(const struct geo_rec *r, struct geo_place *p)
{
	const struct geo_country *c = geo_country_get(r->country);

	memset(p, 0, sizeof(*p));
	memcpy(p->country, r->country, 3);
	memcpy(p->continent, r->continent, 3);
	if (p->continent[0] == '\0' && c != NULL)
		memcpy(p->continent, geo_continents[c->continent].code, 3);
	if (r->has_coords) {
		p->lat = r->lat;
		p->lon = r->lon;
		p->has_coords = 1;
	} else if (c != NULL) {
		p->lat = c->lat;
		p->lon = c->lon;
		p->has_coords = 1;
	} else {
		p->has_coords = geo_continent_centroid(p->continent, &p->lat, &p->lon) == 0;
	}
	if (p->has_coords)
		geo_unit_vec(p->lat, p->lon, p->unit);
}

/* Fibonacci hashing: offsets grow in steps of a record's size, and the
 * multiply spreads such runs over the high bits the slot comes from. */
static uint32_t
slot_of(const struct geo_georecs *t, uint32_t offset)
{
	return (uint32_t)((offset * UINT64_C(0x9e3779b97f4a7c15)) >> t->shift);
}

/* The caller adds each offset once (geoip_load.c keeps a bitmap of the
 * offsets it has met); geo_georecs_index() must follow before any get. */
int
geo_georecs_add(struct geo_georecs *t, uint32_t offset, const struct geo_rec *r)
{
	struct geo_georec *e;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct geo_georec *v;

		/* slot values are index + 1 in a uint32_t */
		if (cap > UINT32_MAX / 4 || (v = realloc(t->v, cap * sizeof(*v))) == NULL)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	e = &t->v[t->n++];
	e->offset = offset;
	geo_place_from_rec(r, &e->place);
	return 0;
}

int
geo_georecs_index(struct geo_georecs *t)
{
	unsigned bits = GEORECS_MIN_BITS;
	struct geo_georec *v;
	size_t nslots;

	/* The table is final: give back what doubling left unused. */
	if (t->n > 0 && t->n < t->cap && (v = realloc(t->v, t->n * sizeof(*v))) != NULL) {
		t->v = v;
		t->cap = t->n;
	}
	while (((size_t)1 << bits) < 2 * t->n)
		bits++;
	nslots = (size_t)1 << bits;
	free(t->slot);
	if ((t->slot = calloc(nslots, sizeof(*t->slot))) == NULL)
		return -ENOMEM;
	t->mask = (uint32_t)(nslots - 1);
	t->shift = (uint8_t)(64 - bits);
	for (size_t i = 0; i < t->n; i++) {
		uint32_t s = slot_of(t, t->v[i].offset);

		while (t->slot[s] != 0)
			s = (s + 1) & t->mask;
		t->slot[s] = (uint32_t)i + 1;
	}
	return 0;
}

const struct geo_georec *
geo_georecs_get(const struct geo_georecs *t, uint32_t offset)
{
	uint32_t s, i;

	if (t->slot == NULL)
		return NULL;
	/* At most half the slots are used, so an empty one ends every probe. */
	for (s = slot_of(t, offset); (i = t->slot[s]) != 0; s = (s + 1) & t->mask)
		if (t->v[i - 1].offset == offset)
			return &t->v[i - 1];
	return NULL;
}

void
geo_georecs_unindex(struct geo_georecs *t)
{
	free(t->slot);
	t->slot = NULL;
	t->mask = 0;
}

void
geo_georecs_fini(struct geo_georecs *t)
{
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

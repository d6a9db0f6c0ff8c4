/*
 * locate.c -- where a client is (docs/routing.md §2-3) and which prefix
 * around it every table consulted agrees on (§8).  Runs on workers
 * against a read-only model: one search of the located table (flat.c,
 * §11), no allocation, no lock.
 */
#include <stdint.h>
#include <string.h>

#include "geo/geo_int.h"

static void
location_init(struct geo_location *out, const struct geo_addr *client)
{
	memset(out, 0, sizeof(*out));
	out->via = GEO_LOC_NONE;
	out->region = -1;
	out->net.family = client != NULL && client->family == 6 ? 6 : 4;
}

/* The span of the client's address, with the cell it lies in; for a
 * span standing for the IPv4 subtree, record and netmask from the IPv4
 * table (whose spans all keep their GeoIP answers), counted in IPv6. */
static struct geo_span
span_of(const struct geo_model *m, int v6, struct geo_key k, const struct geo_cell **cell)
{
	const struct geo_flat *f = &m->located[v6];
	struct geo_span s;
	size_t i;

	*cell = &geo_cell_none;
	if (f->n == 0)
		return geo_span_none;
	i = geo_flat_find(f, k);
	s = f->v[i];
	if (f->cells != NULL)
		*cell = &f->cells[s.cell];
	if (geo_span_rec(s) == GEO_REC_GAP)
		s.rg = geo_span_make(GEO_REC_NONE, geo_flat_gap_mask(f, i, k), 0).rg;
	else if (geo_span_rec(s) == GEO_REC_ALIAS) {
		unsigned d = geo_span_gmask(s);
		unsigned __int128 a = ((unsigned __int128)k.hi << 64 | k.lo) << d;
		struct geo_key k4 = {(uint64_t)(a >> 96) << 32, 0};
		const struct geo_flat *f4 = &m->located[0];
		struct geo_span s4;

		i = geo_flat_find(f4, k4);
		s4 = f4->v[i];
		if (geo_span_rec(s4) == GEO_REC_GAP)
			s4.rg = geo_span_make(GEO_REC_NONE, geo_flat_gap_mask(f4, i, k4), 0).rg;
		s.rg = geo_span_make(geo_span_rec(s4), d + geo_span_gmask(s4), 0).rg;
	}
	return s;
}

/* `country` entries end the search; `region` entries still ask GeoIP
 * (docs/routing.md §3); no floor under the scope (§8). */
void
geo_locate(const struct geo_model *m, const struct geo_addr *client, struct geo_location *out)
{
	const struct geo_net *hit = NULL;
	const struct geo_cell *cell;
	struct geo_span s;
	unsigned gmask;
	uint32_t rec;
	int v6;

	location_init(out, client);
	if (!geo_addr_is_valid(client))
		return;
	v6 = client->family == 6;
	s = span_of(m, v6, geo_key_of(client->bytes), &cell);
	out->scope = cell->nscope;
	if (cell->net != GEO_NONE)
		hit = &m->nets[v6].v[cell->net];
	if (hit != NULL && hit->region < 0) {
		geo_place_copy(out, &hit->place);	/* the centroid, from load */
		out->via = GEO_LOC_NETWORKS;
		out->net = hit->net;
		return;
	}
	if (m->has_geoip) {
		gmask = geo_span_gmask(s);
		rec = geo_span_rec(s);
		if (gmask > out->scope)
			out->scope = gmask;
		if (rec != GEO_REC_NONE) {
			geo_place_copy(out, &m->recs.v[rec].place);
			out->via = GEO_LOC_GEOIP;
			out->net = *client;
			geo_addr_truncate(&out->net, gmask);
		}
	}
	if (hit != NULL) {
		out->region = hit->region;
		out->via = GEO_LOC_NETWORKS;
		out->net = hit->net;
	}
}

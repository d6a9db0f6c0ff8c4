/*
 * locate.c -- where a client is (docs/routing.md §2-3) and which prefix
 * around it every table consulted agrees on (§8).  Runs on workers
 * against a read-only model: no allocation, no lock.
 */
#include <string.h>

#include "geo/geo_int.h"

struct nets_match {
	const struct geo_net *hit;	/* longest entry holding the client */
	unsigned scope;			/* the networks table's scope prefix */
};

/* One pass: the longest entry holding the client, and the scope prefix
 * (docs/routing.md §8).  XXX a linear scan: fine for hand-written
 * overrides, a prefix tree built at load if the table grows. */
static void
nets_match(const struct geo_nets *t, const struct geo_addr *client, struct nets_match *nm)
{
	unsigned bits = geo_addr_bits(client);

	nm->hit = NULL;
	nm->scope = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct geo_net *e = &t->v[i];
		unsigned c = geo_addr_common(&e->net, client, bits);

		if (c >= e->net.prefix) {
			if (nm->hit == NULL || e->net.prefix > nm->hit->net.prefix)
				nm->hit = e;
		} else if (c + 1 > nm->scope) {
			nm->scope = c + 1;
		}
	}
	if (nm->hit != NULL && nm->hit->net.prefix > nm->scope)
		nm->scope = nm->hit->net.prefix;
}

static void
location_init(struct geo_location *out, const struct geo_addr *client)
{
	memset(out, 0, sizeof(*out));
	out->via = GEO_LOC_NONE;
	out->region = -1;
	out->net.family = client != NULL && client->family == 6 ? 6 : 4;
}

/* `country` entries end the search; `region` entries still ask GeoIP
 * (docs/routing.md §3); no floor under the scope (§8). */
void
geo_locate(const struct geo_model *m, const struct geo_addr *client, struct geo_location *out)
{
	struct nets_match nm;
	unsigned gmask;

	location_init(out, client);
	if (!geo_addr_is_valid(client))
		return;
	nets_match(&m->nets[client->family == 6], client, &nm);
	out->scope = nm.scope;
	if (nm.hit != NULL && nm.hit->region < 0) {
		geo_place_copy(out, &nm.hit->place);	/* the centroid, from load */
		out->via = GEO_LOC_NETWORKS;
		out->net = nm.hit->net;
		return;
	}
	if (m->has_geoip && (gmask = geo_geoip_locate(m, client, out)) > out->scope)
		out->scope = gmask;
	if (nm.hit != NULL) {
		out->region = nm.hit->region;
		out->via = GEO_LOC_NETWORKS;
		out->net = nm.hit->net;
	}
}

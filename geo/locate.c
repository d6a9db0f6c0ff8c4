/*
 * locate.c -- where a client is (docs/routing.md §2-3) and which prefix
 * around it every table consulted agrees on (§8).  Runs on workers
 * against a read-only model: no allocation, no lock.
 */
#include <stdint.h>
#include <string.h>

#include "geo/geo_int.h"

/* The longest override of the client's family holding the client, or
 * NULL, and the networks table's scope (docs/routing.md §8): one walk of
 * the index geo_model_finish() built. */
static const struct geo_net *
nets_match(const struct geo_nets *t, const struct geo_addr *client, unsigned *scope)
{
	unsigned at = 0;
	size_t i = geo_prefix_next(&t->set, geo_key_of(client->bytes), &at, scope);

	return i != SIZE_MAX ? &t->v[i] : NULL;
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
	const struct geo_net *hit;
	unsigned gmask;

	location_init(out, client);
	if (!geo_addr_is_valid(client))
		return;
	hit = nets_match(&m->nets[client->family == 6], client, &out->scope);
	if (hit != NULL && hit->region < 0) {
		geo_place_copy(out, &hit->place);	/* the centroid, from load */
		out->via = GEO_LOC_NETWORKS;
		out->net = hit->net;
		return;
	}
	if (m->has_geoip && (gmask = geo_geoip_locate(m, client, out)) > out->scope)
		out->scope = gmask;
	if (hit != NULL) {
		out->region = hit->region;
		out->via = GEO_LOC_NETWORKS;
		out->net = hit->net;
	}
}

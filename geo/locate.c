/*
 * locate.c -- where a client is (SPEC 6 steps 1-2) and which prefix around
 * it every table consulted agrees on (step 6).  Runs on workers against a
 * read-only model: no allocation, no lock.
 */
#include <string.h>

#include "geo/geo_int.h"

struct nets_match {
	const struct geo_net *hit;	/* longest entry holding the client */
	unsigned scope;			/* step 6 prefix of the networks table */
};

/*
 * One pass finds the longest entry holding the client and the step 6
 * prefix.  An entry that does not hold the client shares c < its prefix
 * leading bits with it; a prefix around the client holds that entry only
 * when it is at most c long, so the prefix must be at least c + 1.  On a
 * miss that is the answer; on a hit the entry's own prefix is the floor,
 * and the c + 1 of the more specific entries inside it extends it.
 * Entries not inside the hit share fewer bits than its prefix and so never
 * raise it.  The client counts as an address: ECS bits past the source
 * prefix are zero (SPEC 6 step 1), exactly as GeoIP is asked.
 *
 * XXX a linear scan: right for the tens or hundreds of hand-written
 * overrides this table holds; a prefix tree built at load if it grows.
 */
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

/*
 * A `country` entry locates the client as that country (its centroid) and
 * ends the search: GeoIP is not consulted and adds nothing to the scope.
 *
 * A `region` entry locates nothing by itself.  Reading SPEC 5a "that
 * region ranks first for that network, pins still apply" and step 4 "(if
 * it is a candidate)": the client is still located by GeoIP so that its
 * pin applies and the other regions rank by distance; loc.region carries
 * the override.  via is GEO_LOC_NETWORKS and net is the entry, as the
 * entry is what the operator wrote for this client; country, continent
 * and coordinates are GeoIP's if it knows the client, else empty.
 * Both tables were consulted, so the scope is the longer of the two.
 *
 * Step 6 taken literally yields scope 0 only when neither table splits
 * the client's family (no entry of the family, a GeoIP tree with one
 * record for it), that is when every client of the family is located
 * alike; so no floor is added, and a client-dependent answer is never 0.
 */
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

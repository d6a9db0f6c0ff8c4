/*
 * geoip.c -- looking clients up in the MaxMind DB on workers: no
 * allocation, no lock.  libmaxminddb walks the read-only mapping for the
 * netmask and the record's offset; what the record says comes from the
 * table geoip_load.c decoded at load, so no data-section walk and no
 * MMDB_aget_value() per query.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "geo/geo_int.h"

/* MaxMind DB places IPv4 at ::/96 of an IPv6 tree. */
#define GEOIP_V4_IN_V6 96

void
geo_geoip_close(struct geo_model *m)
{
	if (m->has_geoip)
		MMDB_close(&m->mmdb);
	m->has_geoip = 0;
	geo_georecs_fini(&m->recs);
}

/* Only what MMDB_lookup_sockaddr() reads: the family and the address. */
union geoip_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

static void
addr_to_sockaddr(const struct geo_addr *a, union geoip_sockaddr *u)
{
	memset(u, 0, sizeof(*u));
	if (a->family == 4) {
		u->sin.sin_family = AF_INET;
		memcpy(&u->sin.sin_addr, a->bytes, 4);
	} else {
		u->sin6.sin6_family = AF_INET6;
		memcpy(&u->sin6.sin6_addr, a->bytes, 16);
	}
}

/* libmaxminddb counts an IPv4 lookup's netmask in the IPv6 tree; the ECS
 * scope must be in the query's family (docs/routing.md §8). */
static unsigned
family_netmask(const struct geo_model *m, const struct geo_addr *client, unsigned netmask)
{
	if (client->family == 4 && m->mmdb.metadata.ip_version == 6)
		return netmask > GEOIP_V4_IN_V6 ? netmask - GEOIP_V4_IN_V6 : 0;
	return netmask;
}

/* Fills out from the database when the client's record says anything
 * (via, country, continent, coordinates, net) and returns the netmask in
 * the client's family, found or not, for the scope. */
unsigned
geo_geoip_locate(const struct geo_model *m, const struct geo_addr *client, struct geo_location *out)
{
	union geoip_sockaddr sa;
	MMDB_lookup_result_s res;
	const struct geo_georec *r;
	unsigned netmask;
	int mmdb_err = MMDB_SUCCESS;

	addr_to_sockaddr(client, &sa);
	res = MMDB_lookup_sockaddr(&m->mmdb, &sa.sa, &mmdb_err);
	if (mmdb_err != MMDB_SUCCESS)
		return 0;	/* e.g. IPv6 client, IPv4-only database */
	netmask = family_netmask(m, client, res.netmask);
	/* The table holds every record a node of the tree points at, so a
	 * found entry is always in it; a miss would read as "says nothing". */
	if (!res.found_entry || (r = geo_georecs_get(&m->recs, res.entry.offset)) == NULL ||
	    !geo_place_says(&r->place))
		return netmask;
	geo_place_copy(out, &r->place);
	out->via = GEO_LOC_GEOIP;
	out->net = *client;
	geo_addr_truncate(&out->net, netmask);
	return netmask;
}

/*
 * geoip.c -- the MaxMind DB: open and verify at load (one thread, may
 * allocate), look up clients on workers (no allocation, no lock: libmaxminddb
 * reads the read-only mapping, results live on the stack).  Never uses
 * MMDB_get_entry_data_list on the query path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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
}

/* Looks up map/key; 0 with has_data clear when it is absent.  libmaxminddb
 * reports a missing key and a non-map on the way alike (path does not
 * match), and both mean "the record does not say".  MMDB_aget_value, as
 * MMDB_get_value callocs a copy of its variadic path on every call. */
static int
rec_get(MMDB_entry_s *e, const char *map, const char *key, MMDB_entry_data_s *d)
{
	const char *const path[] = {map, key, NULL};
	int rc = MMDB_aget_value(e, d, path);

	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		d->has_data = false;
		return 0;
	}
	return rc == MMDB_SUCCESS ? 0 : -EINVAL;
}

/* A two-letter code at map/key, or "" when absent.  -EINVAL when the
 * field exists with another shape, which only verification cares about. */
static int
rec_code(MMDB_entry_s *e, const char *map, const char *key, char out[3])
{
	MMDB_entry_data_s d;

	out[0] = '\0';
	if (rec_get(e, map, key, &d) != 0)
		return -EINVAL;
	if (!d.has_data)
		return 0;
	if (d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
		return -EINVAL;
	memcpy(out, d.utf8_string, 2);
	out[2] = '\0';
	return 0;
}

static int
rec_double(MMDB_entry_s *e, const char *key, double *v, int *has)
{
	MMDB_entry_data_s d;

	*has = 0;
	if (rec_get(e, "location", key, &d) != 0)
		return -EINVAL;
	if (!d.has_data)
		return 0;
	if (d.type == MMDB_DATA_TYPE_DOUBLE)
		*v = d.double_value;
	else if (d.type == MMDB_DATA_TYPE_FLOAT)
		*v = d.float_value;
	else
		return -EINVAL;
	*has = 1;
	return 0;
}

/* Reads country.iso_code, continent.code and location.{latitude,longitude}.
 * Fields that are absent stay empty; 0, or -EINVAL when a field is present
 * but malformed (the record is then treated as saying nothing). */
int
geo_geoip_record(MMDB_entry_s *e, struct geo_rec *r)
{
	int has_lat, has_lon, rc = 0;

	memset(r, 0, sizeof(*r));
	rc |= rec_code(e, "country", "iso_code", r->country);
	rc |= rec_code(e, "continent", "code", r->continent);
	rc |= rec_double(e, "latitude", &r->lat, &has_lat);
	rc |= rec_double(e, "longitude", &r->lon, &has_lon);
	if (rc != 0 || (has_lat && !(r->lat >= -90 && r->lat <= 90)) ||
	    (has_lon && !(r->lon >= -180 && r->lon <= 180))) {
		memset(r, 0, sizeof(*r));
		return -EINVAL;
	}
	r->has_coords = has_lat && has_lon;
	return 0;
}

/* SPEC 6 step 2: City records carry coordinates; Country records get the
 * country's centroid; a continent-only record the continent's.  The
 * continent comes from the table when the record names only a country. */
static int
rec_to_location(const struct geo_rec *r, struct geo_location *out)
{
	const struct geo_country *c = geo_country_get(r->country);

	memcpy(out->country, r->country, 3);
	memcpy(out->continent, r->continent, 3);
	if (out->continent[0] == '\0' && c != NULL)
		memcpy(out->continent, geo_continents[c->continent].code, 3);
	if (r->has_coords) {
		out->lat = r->lat;
		out->lon = r->lon;
		out->has_coords = 1;
	} else if (c != NULL) {
		out->lat = c->lat;
		out->lon = c->lon;
		out->has_coords = 1;
	} else {
		out->has_coords = geo_continent_centroid(out->continent, &out->lat, &out->lon) == 0;
	}
	return out->country[0] != '\0' || out->continent[0] != '\0' || out->has_coords;
}

static void
addr_to_sockaddr(const struct geo_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->bytes, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->bytes, 16);
	}
}

/* libmaxminddb counts an IPv4 lookup's netmask in the IPv6 tree; the ECS
 * scope must be in the query's family (SPEC 6 step 6). */
static unsigned
family_netmask(const struct geo_model *m, const struct geo_addr *client, unsigned netmask)
{
	if (client->family == 4 && m->mmdb.metadata.ip_version == 6)
		return netmask > GEOIP_V4_IN_V6 ? netmask - GEOIP_V4_IN_V6 : 0;
	return netmask;
}

static void
set_net(struct geo_addr *net, const struct geo_addr *client, unsigned prefix)
{
	*net = *client;
	net->prefix = prefix;
	for (unsigned i = prefix; i < 128; i++)
		net->bytes[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

/* Fills out from the database when the client's record says anything
 * (via, country, continent, coordinates, net) and returns the netmask in
 * the client's family, found or not, for the scope. */
unsigned
geo_geoip_locate(const struct geo_model *m, const struct geo_addr *client, struct geo_location *out)
{
	struct sockaddr_storage ss;
	MMDB_lookup_result_s res;
	struct geo_rec rec;
	unsigned netmask;
	int mmdb_err = MMDB_SUCCESS;

	addr_to_sockaddr(client, &ss);
	res = MMDB_lookup_sockaddr(&m->mmdb, (const struct sockaddr *)&ss, &mmdb_err);
	if (mmdb_err != MMDB_SUCCESS)
		return 0;	/* e.g. IPv6 client, IPv4-only database */
	netmask = family_netmask(m, client, res.netmask);
	if (!res.found_entry || geo_geoip_record(&res.entry, &rec) != 0)
		return netmask;
	if (rec_to_location(&rec, out)) {
		out->via = GEO_LOC_GEOIP;
		set_net(&out->net, client, netmask);
	}
	return netmask;
}

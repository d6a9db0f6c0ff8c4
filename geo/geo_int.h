/*
 * geo_int.h -- module-private parts of geo/: the model layout, the country
 * table and helpers shared between the files of geo/.  Nothing outside
 * geo/ includes this; the public contract is geo/geo.h.
 */
#ifndef DNSD_GEO_GEO_INT_H
#define DNSD_GEO_GEO_INT_H

#include <maxminddb.h>

#include "geo/geo.h"

#define GEO_NCONTINENTS 7
/* Country pins are kept per two-letter code, so a code the table lacks
 * but a database uses still maps (to no pin) without a search. */
#define GEO_CC_SLOTS (26 * 26)

/* Generated from geo/countries.csv and geo/continents.csv at build time. */
struct geo_country {
	char code[3];
	uint8_t continent;	/* index into geo_continents */
	double lat, lon;
};
struct geo_continent {
	char code[3];
	double lat, lon;
};
extern const struct geo_country geo_countries[];
extern const size_t geo_ncountries;
extern const struct geo_continent geo_continents[GEO_NCONTINENTS];

struct geo_pin {
	char name[GEO_NAME_MAX];
	enum geo_pin_mode mode;
};

struct geo_region {
	char name[GEO_NAME_MAX];
	double lat, lon;
	int pin;
};

/* One `networks` override: exactly one of country or region is set. */
struct geo_net {
	struct geo_addr net;
	char country[3];
	int region;
};

struct geo_nets {
	struct geo_net *v;
	size_t n, cap;
};

struct geo_model {
	struct geo_pin pins[GEO_MAX_PINS];
	size_t npins;
	struct geo_region regions[GEO_MAX_REGIONS];
	size_t nregions;
	int8_t country_pin[GEO_CC_SLOTS];	/* -1: no pin */
	int8_t continent_pin[GEO_NCONTINENTS];
	struct geo_nets nets[2];		/* [0] IPv4, [1] IPv6 */
	int has_geoip;
	MMDB_s mmdb;
};

/* What one GeoIP data record says, before centroids fill the gaps. */
struct geo_rec {
	char country[3];
	char continent[3];
	int has_coords;
	double lat, lon;
};

/* countries.c */
const struct geo_country *geo_country_get(const char *cc);
int geo_continent_index(const char *code);
int geo_cc_slot(const char *cc);	/* 0..675, or -1 unless two A-Z letters */

/* geo.c */
unsigned geo_addr_bits(const struct geo_addr *a);
unsigned geo_addr_common(const struct geo_addr *a, const struct geo_addr *b, unsigned max);
int geo_addr_is_valid(const struct geo_addr *a);

/* geoip.c */
void geo_geoip_close(struct geo_model *m);
unsigned geo_geoip_locate(const struct geo_model *m, const struct geo_addr *client,
		struct geo_location *out);
int geo_geoip_record(MMDB_entry_s *e, struct geo_rec *r);

#endif

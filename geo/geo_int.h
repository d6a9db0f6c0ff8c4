/*
 * geo_int.h -- module-private parts of geo/: the model layout, the country
 * table and helpers shared between the files of geo/.  Nothing outside
 * geo/ includes this; the public contract is geo/geo.h.
 */
#ifndef DNSD_GEO_GEO_INT_H
#define DNSD_GEO_GEO_INT_H

#include <maxminddb.h>
#include <string.h>

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

/* Where a table entry puts a client, in the form geo_location takes it,
 * worked out at load: the hot path copies it and computes nothing. */
struct geo_place {
	char country[3];
	char continent[3];
	uint8_t has_coords;
	double lat, lon;
	double unit[3];		/* (lat, lon) on the unit sphere; 0 without coords */
};

/*
 * The GeoIP database's data records, decoded once at load (gdnsd
 * preprocesses its database alike): a lookup's entry offset finds the
 * record's place here instead of four MMDB_aget_value() walks through the
 * data section.  Built on the loading thread, read-only once the model is
 * published; freed with the database it describes.
 */
struct geo_georec {
	uint32_t offset;	/* data-section offset: the key */
	struct geo_place place;	/* centroids already filled in (docs/routing.md §3) */
};

struct geo_georecs {
	struct geo_georec *v;	/* distinct records, in the order first met */
	size_t n, cap;
	uint32_t *slot;		/* open addressing over v: index + 1, 0 empty */
	uint32_t mask;		/* number of slots - 1 */
	uint8_t shift;		/* 64 - log2(slots): the hash's top bits pick the slot */
};

struct geo_pin {
	char name[GEO_NAME_MAX];
	enum geo_pin_mode mode;
};

struct geo_region {
	char name[GEO_NAME_MAX];
	double lat, lon;
	double unit[3];		/* geo_unit_vec(lat, lon), for ranking */
	int pin;
};

/* One `networks` override: exactly one of country or region is set. */
struct geo_net {
	struct geo_addr net;
	struct geo_place place;	/* country entries: the country, its centroid */
	int region;		/* region entries: the region, else -1 */
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
	struct geo_georecs recs;		/* every data record of mmdb, decoded */
};

/* What one GeoIP data record says, before centroids fill the gaps. */
struct geo_rec {
	char country[3];
	char continent[3];
	int has_coords;
	double lat, lon;
};

/* geoip_table.c: load time only, except geo_georecs_get(), which workers call. */
int geo_georecs_add(struct geo_georecs *t, uint32_t offset, const struct geo_rec *r);
int geo_georecs_index(struct geo_georecs *t);
const struct geo_georec *geo_georecs_get(const struct geo_georecs *t, uint32_t offset);
void geo_georecs_fini(struct geo_georecs *t);
void geo_place_from_rec(const struct geo_rec *r, struct geo_place *p);

/* A record saying none of country, continent or location locates nobody. */
static inline int
geo_place_says(const struct geo_place *p)
{
	return p->country[0] != '\0' || p->continent[0] != '\0' || p->has_coords;
}

/* What geo_locate() copies on a hit: no lookups, no arithmetic. */
static inline void
geo_place_copy(struct geo_location *out, const struct geo_place *p)
{
	memcpy(out->country, p->country, 3);
	memcpy(out->continent, p->continent, 3);
	out->has_coords = p->has_coords;
	out->lat = p->lat;
	out->lon = p->lon;
	memcpy(out->unit, p->unit, sizeof(out->unit));
}

/* countries.c */
const struct geo_country *geo_country_get(const char *cc);
int geo_continent_index(const char *code);
int geo_cc_slot(const char *cc);	/* 0..675, or -1 unless two A-Z letters */

/* rank.c */
void geo_unit_vec(double lat, double lon, double v[3]);

/* geo.c */
unsigned geo_addr_bits(const struct geo_addr *a);
unsigned geo_addr_common(const struct geo_addr *a, const struct geo_addr *b, unsigned max);
int geo_addr_is_valid(const struct geo_addr *a);
/* Zeroes the bits of a past prefix (<= 128) and sets a->prefix. */
void geo_addr_truncate(struct geo_addr *a, unsigned prefix);

/* geoip.c */
void geo_geoip_close(struct geo_model *m);
unsigned geo_geoip_locate(const struct geo_model *m, const struct geo_addr *client,
		struct geo_location *out);

#endif

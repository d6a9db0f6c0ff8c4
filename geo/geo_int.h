/*
 * geo_int.h -- module-private parts of geo/: the model layout, the country
 * table and helpers shared between the files of geo/.  Nothing outside
 * geo/ includes this; the public contract is geo/geo.h.
 */
#ifndef DNSD_GEO_GEO_INT_H
#define DNSD_GEO_GEO_INT_H

#include <endian.h>
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

/* --- prefix sets: the networks overrides and the latency table --------- */

/* An address as two host-order words, so that masking, comparing and
 * counting shared bits are a few word operations; IPv4 sits in the top
 * of hi. */
struct geo_key {
	uint64_t hi, lo;
};

static inline struct geo_key
geo_key_of(const uint8_t bytes[16])
{
	struct geo_key k;

	memcpy(&k.hi, bytes, 8);
	memcpy(&k.lo, bytes + 8, 8);
	k.hi = be64toh(k.hi);
	k.lo = be64toh(k.lo);
	return k;
}

static inline void
geo_key_bytes(struct geo_key k, uint8_t bytes[16])
{
	k.hi = htobe64(k.hi);
	k.lo = htobe64(k.lo);
	memcpy(bytes, &k.hi, 8);
	memcpy(bytes + 8, &k.lo, 8);
}

/* The first len (<= 128) bits of k, the rest zero. */
static inline struct geo_key
geo_key_mask(struct geo_key k, unsigned len)
{
	if (len == 0)
		return (struct geo_key){0, 0};
	if (len < 64)
		return (struct geo_key){k.hi & ~(UINT64_MAX >> len), 0};
	if (len == 64)
		return (struct geo_key){k.hi, 0};
	if (len < 128)
		k.lo &= ~(UINT64_MAX >> (len - 64));
	return k;
}

static inline int
geo_key_cmp(struct geo_key a, struct geo_key b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* Leading bits a and b share (0..128). */
static inline unsigned
geo_key_common(struct geo_key a, struct geo_key b)
{
	uint64_t x = a.hi ^ b.hi;

	if (x != 0)
		return (unsigned)__builtin_clzll(x);
	x = a.lo ^ b.lo;
	return x != 0 ? 64 + (unsigned)__builtin_clzll(x) : 128;
}

/* The keys of one prefix length: keys[first .. first + n) of the set. */
struct geo_plen {
	unsigned len;
	size_t first, n;
};

/*
 * Prefixes of one family, for longest-prefix lookups that also give the
 * scope of docs/routing.md §8: keys sorted by length, longest first, then
 * by key, each masked to its length, and the runs of each length.  The
 * owner keeps whatever a prefix maps to in an array of the same order.
 * Read-only once built: lookups neither allocate nor lock.
 */
struct geo_prefix_set {
	const struct geo_key *keys;
	unsigned nlens;
	struct geo_plen lens[129];	/* longest first */
};

/* prefix.c.  Building: entry i (of length len) joins s's runs; entries
 * come in the set's order, so a new length starts a new run. */
void geo_prefix_set_add(struct geo_prefix_set *s, size_t i, unsigned len);
/*
 * Looking up: walks s's lengths from *at (0 at first), longest first, and
 * returns the index of the next key holding c, leaving *at past its
 * length, or SIZE_MAX when no length is left.  Raises *scope on the way
 * (docs/routing.md §8): to every length at which c's network is a key,
 * and to one bit more than c shares with the nearest keys of each length
 * that do not hold it.  Once the caller takes a hit, the lengths not yet
 * walked cannot raise the scope past the hit's: it may stop there.
 */
size_t geo_prefix_next(const struct geo_prefix_set *s, struct geo_key c, unsigned *at, unsigned *scope);

/* One `networks` override: exactly one of country or region is set. */
struct geo_net {
	struct geo_addr net;
	struct geo_place place;	/* country entries: the country, its centroid */
	int region;		/* region entries: the region, else -1 */
	size_t nth;		/* successful geo_network_add() calls before this one */
};

/* The overrides of one family.  geo_model_finish() sorts v in set's order
 * and fills keys (keys[i] is v[i].net); geo_locate() reads only set, so
 * entries added since the last finish are not seen. */
struct geo_nets {
	struct geo_net *v;
	size_t n, cap;
	struct geo_key *keys;
	struct geo_prefix_set set;
};

struct geo_model {
	struct geo_pin pins[GEO_MAX_PINS];
	size_t npins;
	struct geo_region regions[GEO_MAX_REGIONS];
	size_t nregions;
	int8_t country_pin[GEO_CC_SLOTS];	/* -1: no pin */
	int8_t continent_pin[GEO_NCONTINENTS];
	struct geo_nets nets[2];		/* [0] IPv4, [1] IPv6 */
	size_t nnets;				/* geo_network_add() successes */
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
int geo_addr_is_valid(const struct geo_addr *a);
/* Zeroes the bits of a past prefix (<= 128) and sets a->prefix. */
void geo_addr_truncate(struct geo_addr *a, unsigned prefix);

/* geoip.c */
void geo_geoip_close(struct geo_model *m);
unsigned geo_geoip_locate(const struct geo_model *m, const struct geo_addr *client,
		struct geo_location *out);

#endif

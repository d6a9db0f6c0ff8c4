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

/* --- prefix sets: the published latency table (docs/routing.md §11) ---- */

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

/* The overrides of one family.  geo_model_finish() sorts v (longest
 * prefix first, then by address) and drops repeats; the located table
 * (flat.c) is built over v[0..nindexed), so entries added since the last
 * finish are not seen. */
struct geo_nets {
	struct geo_net *v;
	size_t n, cap;
	size_t nindexed;
};

/* --- the address table of the query path (flat.c, docs/routing.md §11) --- */

#define GEO_NONE UINT32_MAX
/* MaxMind DB: data pointers start 16 bytes past the end of the tree. */
#define GEO_MMDB_SEPARATOR 16

/* A span's GeoIP record, 24 bits: an index into recs.v or one of these. */
#define GEO_REC_NONE 0xffffffu		/* GeoIP places nobody there */
#define GEO_REC_ALIAS 0xfffffeu		/* IPv6: see struct geo_span */
#define GEO_REC_GAP 0xfffffdu		/* see struct geo_span */
#define GEO_REC_MAX 0xfffffcu		/* the most records a database may have */

/*
 * What every address of one span gets, in 8 bytes: rg is the GeoIP
 * record << 8 | its netmask in the family; cell, in the located layer,
 * indexes the overrides' answer (struct geo_cell), and is 0 in a GeoIP
 * layer.  A GEO_REC_ALIAS span of the IPv6 layer stands for the tree's
 * IPv4 subtree met again (MaxMind aliases ::ffff:0:0/96 and 2002::/16 to
 * it): record and netmask are the IPv4 layer's for the 32 address bits
 * from bit d, the netmask counted from d, where d is the netmask field.
 * A GEO_REC_GAP span places nobody, and its netmask for an address a is
 * one more than the most leading bits a shares with the address before
 * the span or the first one after it (geo_flat_gap_mask(),
 * docs/routing.md §11).
 */
struct geo_span {
	uint32_t rg;
	uint32_t cell;
};

static inline struct geo_span
geo_span_make(uint32_t rec, unsigned gmask, uint32_t cell)
{
	return (struct geo_span){rec << 8 | gmask, cell};
}

static inline uint32_t
geo_span_rec(struct geo_span s)
{
	return s.rg >> 8;
}

static inline unsigned
geo_span_gmask(struct geo_span s)
{
	return s.rg & 0xff;
}

/* The overrides' answer for a cell of the located layer: the longest
 * override holding it (nets[f].v index, GEO_NONE) and the overrides'
 * scope there (docs/routing.md §8). */
struct geo_cell {
	uint32_t net;
	uint32_t nscope;
};

/*
 * One family's address space as sorted disjoint spans: span i holds the
 * addresses from its start key up to the next one's start; the first
 * starts at 0.  Keys are kept apart from the spans: 4 bytes for IPv4
 * (k4); for IPv6 the first 64 bits (k6) and, for the few starts whose
 * last 64 bits are not all zero, those bits in a side list (x6) sorted by
 * span index.  dir, for large tables, narrows a search by the top 16
 * bits.  cells is NULL when every span's cell is geo_cell_none.  Built
 * on the loading thread, read-only afterwards.
 */
struct geo_flat {
	int v6;
	size_t n, cap;
	uint32_t *k4;
	uint64_t *k6;
	uint32_t *x6i;		/* span indexes, ascending */
	uint64_t *x6lo;		/* their starts' last 64 bits, never 0 */
	size_t nx6, x6cap;
	struct geo_span *v;
	uint32_t *dir;		/* NULL, or 65,537 span indexes */
	struct geo_cell *cells;
	size_t ncells, cellcap;
};

extern const struct geo_cell geo_cell_none;
extern const struct geo_span geo_span_none;

void geo_flat_fini(struct geo_flat *f);
/* Flattens db's search tree into layer[0] (IPv4) and layer[1] (IPv6):
 * rec and gmask as libmaxminddb's lookup would give them, the rest none.
 * 0, -ENOMEM, -E2BIG (a loop), -EINVAL. */
int geo_flat_build_geoip(struct geo_flat layer[2], const MMDB_s *db, const struct geo_georecs *recs);
/* The GeoIP answers (record and netmask) of src, the family's GeoIP
 * layer or a located table built before (n 0 without a database), cut
 * by the indexed overrides of t (at least one) into out.  0 or -ENOMEM. */
int geo_flat_build_located(struct geo_flat *out, const struct geo_flat *src, const struct geo_nets *t, int v6);
/* The GeoIP netmask of a GEO_REC_GAP span i of f for k. */
unsigned geo_flat_gap_mask(const struct geo_flat *f, size_t i, struct geo_key k);
/* The span holding k (f->n > 0).  No allocation, no lock. */
size_t geo_flat_find(const struct geo_flat *f, struct geo_key k);

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
	struct geo_georecs recs;		/* every data record of the database, decoded */
	/* The address table, per family: the database flattened and cut by
	 * the overrides; what geo_locate() reads (docs/routing.md §11). */
	struct geo_flat located[2];
};

/* What one GeoIP data record says, before centroids fill the gaps. */
struct geo_rec {
	char country[3];
	char continent[3];
	int has_coords;
	double lat, lon;
};

/* geoip_table.c: load time only.  geo_georecs_unindex() frees the offset
 * index once the tree is flattened: queries read v by index. */
int geo_georecs_add(struct geo_georecs *t, uint32_t offset, const struct geo_rec *r);
int geo_georecs_index(struct geo_georecs *t);
const struct geo_georec *geo_georecs_get(const struct geo_georecs *t, uint32_t offset);
void geo_georecs_unindex(struct geo_georecs *t);
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
/* Rebuilds m->located from the GeoIP answers of src (new GeoIP layers,
 * or m->located itself) and the indexed overrides, and frees src and the
 * table it replaces.  On -ENOMEM the model holds no overrides. */
int geo_model_relocate(struct geo_model *m, struct geo_flat src[2]);

#endif

/*
 * geo.h -- client location, residency pins, region ranking and selection.
 *
 * Knows no DNS packets: in, a client address and prefix plus a view of
 * region health; out, ranked regions and the ECS scope prefix.  A model is
 * built once at load time (one thread), then read-only and shared by every
 * worker.  geo_locate() and geo_decide() never allocate and take no lock.
 */
#ifndef DNSD_GEO_GEO_H
#define DNSD_GEO_GEO_H

#include <stddef.h>
#include <stdint.h>

/* Regions are indexed 0..n-1 in the order they were added; 64 fits one
 * uint64_t bitmask per family, which keeps the health view two words. */
#define GEO_MAX_REGIONS 64
#define GEO_MAX_PINS 16
#define GEO_NAME_MAX 64

enum geo_family { GEO_FAM_A = 0, GEO_FAM_AAAA = 1 };
enum geo_pin_mode { GEO_PIN_STRICT, GEO_PIN_PREFERRED };
enum geo_all_down { GEO_ALL_DOWN_SERVE_ALL, GEO_ALL_DOWN_SERVFAIL, GEO_ALL_DOWN_NODATA };
enum geo_located { GEO_LOC_NONE, GEO_LOC_NETWORKS, GEO_LOC_GEOIP };
enum geo_policy {
	GEO_POLICY_NORMAL,	/* up candidates answered */
	GEO_POLICY_ALL_DOWN,	/* no candidate up: the name's all_down policy fired */
	GEO_POLICY_NO_FAMILY	/* no candidate has the family: NODATA */
};

/* An address with a prefix: a network, or a host when prefix is 32/128. */
struct geo_addr {
	int family;		/* 4 or 6 */
	uint8_t bytes[16];	/* network order; IPv4 in bytes[0..3], rest 0 */
	unsigned prefix;	/* bits past it are zero */
};

struct geo_location {
	enum geo_located via;
	char country[3];	/* ISO 3166 alpha-2, "" when unknown */
	char continent[3];	/* AF AN AS EU NA OC SA, "" when unknown */
	int has_coords;
	double lat, lon;
	/* (lat, lon) as a point on the unit sphere, which geo_decide() ranks
	 * by.  geo_locate() fills it; a location built by hand leaves it all
	 * zero (no point of the sphere) and geo_decide() derives it. */
	double unit[3];
	int region;		/* region index from a networks entry, -1 none */
	struct geo_addr net;	/* the entry or GeoIP network that located it */
	unsigned scope;		/* scope prefix of networks + GeoIP (docs/routing.md §8) */
};

struct geo_rtt;	/* geo/latency.h */

/* The health of every region, per family, as bitmasks over region index,
 * and the latency table's answer for the client. */
struct geo_view {
	uint64_t has[2];	/* region has an endpoint of the family */
	uint64_t up[2];		/* region is up for the family */
	const struct geo_rtt *rtt;	/* geo_rtt_lookup() for the client; NULL: no latency data */
};

/* A geo-routed name, as the zone loader builds it. */
struct geo_name {
	uint8_t nregions;
	uint8_t regions[GEO_MAX_REGIONS];	/* region indexes, preference order */
	uint8_t max_regions;			/* >= 1 */
	enum geo_all_down all_down;
	uint32_t exempt;			/* bitmask of pin indexes */
};

struct geo_candidate {
	uint8_t region;
	uint8_t up;		/* for the decided family */
	/* < 0 when the client has no coordinates; else NaN as geo_decide()
	 * leaves it (it ranks without trigonometry) until geo_decision_km()
	 * fills it in. */
	double distance_km;
	double rtt_ms;		/* < 0 when no fresh latency data */
};

struct geo_decision {
	enum geo_policy policy;
	enum geo_all_down all_down;	/* which all_down policy fired */
	int pin;			/* pin the client is pinned to for this name, -1 none */
	int unpinned_fallback;		/* a preferred pin fell back to all regions */
	uint8_t nchosen;
	uint8_t chosen[GEO_MAX_REGIONS];	/* region indexes, best first */
	uint8_t ncand;
	uint8_t nranked;		/* cand[0..nranked) are in rank order */
	struct geo_candidate cand[GEO_MAX_REGIONS];	/* ranked, best first */
	unsigned scope;			/* ECS scope for the answer */
};

struct geo_model;

/* Model construction: load time only, not thread-safe. */
struct geo_model *geo_model_new(void);
void geo_model_free(struct geo_model *m);	/* accepts NULL */

/* Returns the new pin's index, -EEXIST for a duplicate name, -ENOSPC. */
int geo_pin_add(struct geo_model *m, const char *name, enum geo_pin_mode mode);
/* -EINVAL for an unknown ISO code, -EEXIST when in another pin already. */
int geo_pin_add_country(struct geo_model *m, int pin, const char *cc);
int geo_pin_add_continent(struct geo_model *m, int pin, const char *continent);
/* Returns the region index, -EEXIST duplicate, -ENOSPC, -EINVAL bad pin. */
int geo_region_add(struct geo_model *m, const char *name, double lat, double lon, int pin);
/* A networks override: exactly one of country ("DE") or region (>= 0).
 * 0, -EINVAL bad country/region, -ENOMEM.  The same prefix twice is
 * found by geo_model_finish(). */
int geo_network_add(struct geo_model *m, const struct geo_addr *net, const char *country, int region);
/*
 * Ends construction: cuts the networks overrides into the address table
 * (docs/routing.md §8, §11), which geo_locate() reads and which a query
 * cannot build, since it must not allocate.  Call it after the last
 * geo_network_add() and before the first geo_locate(); geo_locate() does
 * not see networks added since.  Calling it again (after more adds)
 * rebuilds the table.  O(n log n) in the networks, plus the GeoIP spans
 * when a database is open.
 *
 * Returns 0, -ENOMEM (the model holds no overrides then), or -EEXIST when
 * a prefix was added more than once: then dup(arg, nth), when dup is not
 * NULL, is called for each repeat, in the order added, nth counting the
 * successful geo_network_add() calls before it from 0; the first of each
 * prefix stays in the model and the repeats are dropped.
 */
int geo_model_finish(struct geo_model *m, void (*dup)(void *arg, size_t nth), void *arg);
/* Opens and verifies a MaxMind DB (City or Country layout), flattens it
 * into the address table (docs/routing.md §11) and closes it.  On failure
 * returns negative and writes a one-line reason into err: -ENOENT/-EIO
 * cannot open, -ENOMEM, -EINVAL a broken file, a tree that loops past
 * flattening, or one whose records have no country, continent or
 * location.  The model keeps any database it had until a new one passes. */
int geo_model_open_geoip(struct geo_model *m, const char *path, char *err, size_t errlen);

/* Lookups by name: index or -1. */
int geo_region_find(const struct geo_model *m, const char *name);
int geo_pin_find(const struct geo_model *m, const char *name);
size_t geo_region_count(const struct geo_model *m);
const char *geo_region_name(const struct geo_model *m, int region);
int geo_region_pin(const struct geo_model *m, int region);	/* -1 none */
size_t geo_pin_count(const struct geo_model *m);
const char *geo_pin_name(const struct geo_model *m, int pin);
enum geo_pin_mode geo_pin_mode_get(const struct geo_model *m, int pin);

/* Residency proof at load: 0 when every pin governing the name (not in
 * exempt) has at least one of the name's regions; else -EPERM with *pin
 * set to the first offending pin. */
int geo_name_check_residency(const struct geo_model *m, const struct geo_name *n, int *pin);

/* Locate a client (docs/routing.md §2-3) and work out the networks and
 * GeoIP part of its scope (§8).  Never fails: an unlocated client has
 * via == GEO_LOC_NONE.  A networks `region` entry sets region, via =
 * GEO_LOC_NETWORKS and net, and GeoIP still fills country, continent and
 * coordinates (pins still apply). */
void geo_locate(const struct geo_model *m, const struct geo_addr *client, struct geo_location *out);

/* Decide for one name and family (docs/routing.md §4-9).  Deterministic;
 * never allocates.  With view->rtt set, candidates with a fresh RTT for the
 * client's network rank first by it (ignored when view->rtt was looked up
 * in a table built for another model), and out->scope is the longer of the
 * location's scope and view->rtt->scope; else out->scope is loc->scope. */
void geo_decide(const struct geo_model *m, const struct geo_name *n,
		const struct geo_location *loc, enum geo_family fam,
		const struct geo_view *view, struct geo_decision *out);
/* The same decision (pin, policy, chosen, scope, cand[0]) for the query
 * path: candidates are ranked only as far as the choice reads them, so
 * cand[nranked..ncand) are in no particular order.  Explanations, which
 * print every rank, use geo_decide(). */
void geo_decide_chosen(const struct geo_model *m, const struct geo_name *n,
		const struct geo_location *loc, enum geo_family fam,
		const struct geo_view *view, struct geo_decision *out);

/* Fills in every candidate's distance_km: the great-circle distance
 * (geo_haversine_km) from loc to the region, or -1 when loc has no
 * coordinates.  For explanations and tools, not the query path: it costs
 * trigonometry per candidate.  m and loc are the ones d was decided with. */
void geo_decision_km(const struct geo_model *m, const struct geo_location *loc, struct geo_decision *d);

/* EDNS Client Subnet option data (RFC 7871 section 6), the option's value
 * without code and length.  Fills out with family, source prefix and the
 * address (bits past the prefix zero) and *scope with the SCOPE field.
 * Returns 0, or -EINVAL for an unknown family, a prefix longer than the
 * family, an address length other than ceil(prefix/8), or non-zero bits
 * past the prefix. */
int geo_ecs_parse(const uint8_t *data, size_t len, struct geo_addr *out, unsigned *scope);
/* Writes the response option value (family, source prefix, scope, address
 * truncated to the source prefix) into buf; returns its length, -ENOSPC,
 * or -EINVAL for a bad family or prefix. */
int geo_ecs_encode(const struct geo_addr *src, unsigned scope, uint8_t *buf, size_t cap);

/* Great-circle distance in km on a sphere of radius 6371 km. */
double geo_haversine_km(double lat1, double lon1, double lat2, double lon2);

/* Country table (geo/countries.csv): 0 and fills continent/coords, or -ENOENT. */
int geo_country_lookup(const char *cc, char continent[3], double *lat, double *lon);
int geo_continent_centroid(const char *continent, double *lat, double *lon);

#endif

/*
 * sim.h -- what-if routing for the whole GeoIP database: every client
 * network's decision for every geo name and family, with the health
 * state now and under a scenario, decided by the query path's own code
 * (geo_locate, query_health_view, geo_decide_chosen).  Used by
 * tools/dnsd-sim and the control API's map.  Runs on the caller's thread
 * (the tool's, or the server's main thread), never on a worker: it
 * allocates and takes as long as the database is big (README, "Before a
 * change: the simulator", has the figures).
 */
#ifndef DNSD_SIM_H
#define DNSD_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dnsd/health/health.h"
#include "dnsd/zone/snap.h"
#include "geo/geo.h"

/* --- the client address space, cut into blocks -------------------------- */

/* A prefix of client addresses that every routing table answers alike:
 * the scope of its first address (docs/routing.md §8), so every address
 * in it is located and decided alike. */
struct sim_block {
	uint8_t addr[16];
	uint8_t prefix;
	uint8_t family;		/* 4 or 6 */
	uint32_t place;		/* index into sim_space.places */
};

/* Where a block is, as geo_locate() said, with scope cleared and net
 * cleared unless it is a networks entry (loc.via GEO_LOC_NETWORKS):
 * everything a decision reads.  Blocks at one place decide alike. */
struct sim_place {
	struct geo_location loc;
	double space[2];	/* IPv4 addresses, IPv6 /64s located here */
	uint32_t area;		/* index into sim_space.areas */
};

/* Areas: one per country code (26 * 26, by letters), then one per
 * continent for records that name no country, then the unlocated. */
#define SIM_AREA_COUNTRIES (26 * 26)
#define SIM_AREA_UNLOCATED (SIM_AREA_COUNTRIES + 7)
#define SIM_AREAS (SIM_AREA_UNLOCATED + 1)

struct sim_area {
	char country[3];	/* "" for a continent's records without a country */
	char continent[3];	/* "" unlocated */
	double space[2];	/* 0 and 0: nothing of the database is here */
};

struct sim_space {
	const struct snap *snap;	/* borrowed for the space's life */
	size_t nblocks[2];		/* blocks walked, IPv4 and IPv6 */
	struct sim_block *blocks;	/* every block, or NULL when not kept */
	size_t nplaces;
	struct sim_place *places;
	struct sim_area areas[SIM_AREAS];
	double seconds;			/* time the walk took */
	/* private: the place index */
	size_t place_cap, index_mask;
	uint32_t *index;
};

/* Walks the client address space of s's networks and GeoIP tables from
 * the first address to the last, IPv4 then IPv6, one block per step.  The
 * IPv6 walk leaves out ::/96, ::ffff:0:0/96 and 2002::/16, where MaxMind
 * databases repeat the IPv4 tree.  With keep_blocks, every block is kept
 * (about 24 bytes each) for listings.  NULL when out of memory. */
struct sim_space *sim_space_new(const struct snap *s, int keep_blocks);
void sim_space_free(struct sim_space *sp);	/* accepts NULL */

/* --- one evaluation ----------------------------------------------------- */

enum sim_answer { SIM_REGIONS, SIM_SERVFAIL, SIM_NODATA };

/* What a client gets: the answered regions best first, or SERVFAIL, or
 * NODATA; the policy that applied and the client's pin, which outcomes
 * with the same answer may differ by. */
struct sim_outcome {
	enum sim_answer answer;
	enum geo_policy policy;
	int pin;		/* -1 unpinned */
	int fallback;		/* a preferred pin fell back to every region */
	uint8_t nregions;
	uint8_t regions[GEO_MAX_REGIONS];
};

/* Address space of one area and client family going from one outcome
 * (now) to another (after; the same when there is no scenario). */
struct sim_cell {
	uint32_t area;
	uint8_t family;		/* 0 IPv4, 1 IPv6 */
	uint16_t now, after;	/* indexes into sim_result.outcomes */
	double space;
};

/* One geo name and query family. */
struct sim_sel {
	const struct zone_geo *g;	/* borrowed from the snapshot */
	enum geo_family fam;
	uint16_t *out[2];	/* per place: outcome now, after */
	size_t ncells;
	struct sim_cell *cells;	/* sorted by area, family, now, after */
};

struct sim_result {
	const struct sim_space *space;	/* borrowed */
	int has_after;			/* a scenario was evaluated */
	size_t noutcomes;
	struct sim_outcome *outcomes;
	size_t nsel;
	struct sim_sel *sel;
};

/* The health views of every geo name of s (s->ngeo, by zone_geo id), as
 * the query path builds them from s's health words now. */
void sim_views(const struct snap *s, struct geo_view *views);

/* Decides every place of sp for the geo names called name (presentation
 * form, final dot optional; NULL every name) and the family fam
 * (GEO_FAM_A, GEO_FAM_AAAA, or -1 both), with the views now and, when
 * after is not NULL, after (both s->ngeo long, by zone_geo id).
 * -ENOENT when no geo name matches, -ENOMEM. */
int sim_eval(const struct sim_space *sp, const char *name, int fam, const struct geo_view *now,
	     const struct geo_view *after, struct sim_result **out);
void sim_result_free(struct sim_result *r);	/* accepts NULL */

/* Outcomes a and b answer the same: the same regions in the same order
 * under the same policy, or both SERVFAIL, or both NODATA. */
int sim_same_answer(const struct sim_outcome *a, const struct sim_outcome *b);
/* The outcome as text: "eu-west", "eu-west,eu-central", "all_down:eu-west"
 * (the name's serve-all policy answering regions that are down),
 * "SERVFAIL", "NODATA".  Returns buf. */
const char *sim_outcome_label(const struct geo_model *m, const struct sim_outcome *o, char *buf, size_t len);
/* The first answered region, or -1 for SERVFAIL and NODATA. */
int sim_outcome_region(const struct sim_outcome *o);
/* True when o answers a pinned client of a strict pin with a region
 * outside the pin: never expected (docs/residency.md), always reported. */
int sim_outcome_leaks(const struct geo_model *m, const struct sim_outcome *o);

/* Space by outcome for one area or a group of them, now and after. */
#define SIM_SHARES_MAX 32
struct sim_share {
	uint16_t outcome;	/* the first of the outcomes with its answer */
	double space;
};

struct sim_summary {
	double space[2];	/* per client family */
	double moved[2];	/* the share of it whose answer changes */
	size_t nshares[2][2];	/* [state: now, after][family] */
	struct sim_share shares[2][2][SIM_SHARES_MAX];	/* largest first, ties by outcome */
	int family;		/* the family main[] reads: IPv4 when there is any */
	int main[2];		/* per state, the outcome with most of it; -1 none */
};

/* Sums the cells of the areas in [first, last), only those of the given
 * continent unless it is NULL.  Outcomes that answer alike
 * (sim_same_answer) count as one. */
void sim_summarize(const struct sim_result *r, const struct sim_sel *sel, uint32_t first, uint32_t last,
		   const char *continent, struct sim_summary *out);

/* --- health and scenario (sim_health.c) ---------------------------------- */

/* Registers s with h, a checker of the caller that is never started, so
 * that s's health words are h's: the query path's view then reads them.
 * Never reads nor writes the config's state file.  0, or -ENOSPC. */
int sim_health_attach(struct snap *s, struct health *h);
/* Applies a health state: text is the body of GET /v1/health, or a state
 * file (docs/health.md) when path is not NULL and text is one.  Regions
 * and endpoints the config lacks are named in why (a warning, not an
 * error).  0; -EINVAL when text is neither, with the reason in why. */
int sim_health_apply(struct health *h, const char *path, const char *text, size_t len, char *why, size_t whylen);

/* --- reports (sim_report.c, sim_svg.c) ----------------------------------- */

enum sim_format { SIM_TEXT, SIM_JSON, SIM_CSV, SIM_SVG };

/* What the reports say about how the result came about. */
struct sim_meta {
	const char *config;		/* the config file */
	const char *health;		/* "all up", a file or a URL */
	size_t nchanges;
	const char *const *changes;	/* "down eu-west", "endpoint 192.0.2.10 down" */
	int list_networks;		/* JSON and CSV list every block */
	double seconds;			/* total run time so far */
};

/* Writes r to out in format f.  0, or -EIO on a write error, -ENOMEM. */
int sim_report(const struct sim_result *r, const struct sim_meta *meta, enum sim_format f, FILE *out);

/* The map of one selection: a world map with every country coloured by
 * the region that answers most of its space, now and (with a scenario)
 * after, side by side, countries that move outlined, a legend and the
 * scenario written on it.  0, or -EIO. */
int sim_svg(const struct sim_result *r, const struct sim_sel *sel, const struct sim_meta *meta, FILE *out);

/* The colour regions, SERVFAIL/NODATA and countries without data get on
 * the map, "#rrggbb": region r (index) or -1 no answer, -2 no data. */
const char *sim_colour(int region);
/* Writes s (NULL: nothing) with <, >, & and " escaped, for XML and HTML
 * text and attribute values. */
void sim_xml_text(FILE *out, const char *s);

#endif

/*
 * latency.h -- the latency table (docs/routing.md §10; ranking §5, scope
 * §8): probe reports of RTT per (prefix, region), smoothed and expiring,
 * and the read-only copy query workers rank by.
 *
 * Two objects.  struct geo_latency, the master table, takes reports on the
 * control thread only; it allocates and is not thread-safe.  struct
 * geo_rtt_table is an immutable copy of its fresh entries built by
 * geo_latency_publish(); the caller publishes it (RCU), any number of
 * workers read it without a lock, nothing writes it, and the caller frees
 * it once no reader can see it.  geo_rtt_lookup() never allocates.
 *
 * Time is a parameter everywhere (`now`, in seconds): reports, publishing
 * and lookups must use the same clock (CLOCK_MONOTONIC is the natural one),
 * and tests inject their own.
 */
#ifndef DNSD_GEO_LATENCY_H
#define DNSD_GEO_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "geo/geo.h"

/* One probe report, as the control API hands it over. */
struct geo_latency_item {
	struct geo_addr prefix;		/* the probe's network; bits past it zero */
	char region[GEO_NAME_MAX];	/* a region name of the current model */
	double rtt_ms;			/* >= 0 and finite */
};

/* Why item `index` of a batch was refused; reason is a static string. */
struct geo_latency_bad {
	size_t index;
	const char *reason;
};

/* One entry of the master table, for diagnostics (GET /v1/latency). */
struct geo_latency_entry {
	struct geo_addr prefix;
	const char *region;	/* borrowed, valid during the callback only */
	double rtt_ms;		/* the smoothed value */
	double last;		/* time of the last report */
};

/* What a worker learns about one client: the longest published prefix
 * holding it that has fresh data, the fresh RTT of each region there, and
 * the table's ECS scope contribution.  Plain value on the worker's stack. */
struct geo_rtt {
	int hit;			/* 1: net and rtt_ms are valid */
	unsigned scope;			/* scope prefix (docs/routing.md §8); set on a miss too */
	struct geo_addr net;		/* the reported prefix that matched */
	const struct geo_model *model;	/* the model rtt_ms is indexed by */
	double rtt_ms[GEO_MAX_REGIONS];	/* by region index; < 0: no fresh data */
};

struct geo_latency;
struct geo_rtt_table;

/* A master table holding at most max_entries (prefix, region) entries
 * (>= 1), each expiring max_age seconds (> 0) after its last report;
 * ewma_weight in (0, 1] is the weight of a new report.  NULL on bad
 * arguments or out of memory.  Control thread only. */
struct geo_latency *geo_latency_new(size_t max_entries, double max_age, double ewma_weight);
void geo_latency_free(struct geo_latency *t);	/* accepts NULL */

/*
 * Applies a batch of n reports at time now, all or nothing.  Every item is
 * checked first: the prefix (family 4 or 6, length within the family, no
 * bit set past it), the region (a name of model m) and rtt_ms (finite,
 * >= 0).  A bad batch returns -EINVAL and writes up to *nbad (capacity in,
 * count out) refusals into bad, in index order; nothing is applied.
 * -ENOMEM: memory ran out before anything was applied.  0: every report
 * applied: a new (prefix, region) starts at the reported RTT, a known one
 * becomes w * new + (1 - w) * old; its report time becomes now.  Expired
 * entries are dropped first; then, at the cap, each new entry evicts the
 * least recently reported one (counted, see geo_latency_evictions()).
 * bad and nbad may be NULL when the caller does not want the reasons.
 */
int geo_latency_report(struct geo_latency *t, const struct geo_model *m,
		const struct geo_latency_item *items, size_t n, double now,
		struct geo_latency_bad *bad, size_t *nbad);

/* Parses "192.0.2.0/24", "2001:db8::/48" or a bare address (/32, /128)
 * for a report.  0, or -EINVAL with *reason set ("bad prefix", "bad prefix
 * length", "bits set past the prefix length"); reason may be NULL. */
int geo_latency_prefix_parse(const char *text, struct geo_addr *out, const char **reason);

/* Drops every entry that expired at now (last report max_age or more ago);
 * report and publish call it themselves.  Returns how many were dropped. */
size_t geo_latency_expire(struct geo_latency *t, double now);

/*
 * Builds the workers' table from the fresh entries at now, with region
 * names mapped to m's indexes (entries of regions m lacks are left out,
 * and kept in the master in case a later model has them again).  A model
 * change renumbers regions, so the caller publishes again after every
 * reload; lookups on a table built for another model still give the
 * scope, and geo_decide() ignores their RTTs.  Returns a new table the
 * caller owns (free with geo_rtt_table_free after the RCU grace period),
 * or NULL when out of memory.  O(n log n) in the entries.
 */
struct geo_rtt_table *geo_latency_publish(struct geo_latency *t, const struct geo_model *m, double now);
void geo_rtt_table_free(struct geo_rtt_table *tab);	/* accepts NULL */

/*
 * Worker side: no allocation, no lock, tab read-only (NULL: an empty
 * table).  Fills out for client (an address: bits past its prefix are
 * zero and the prefix itself is not used, as in geo_locate()): on a hit,
 * hit = 1, net = the longest published prefix holding the client that has
 * a report younger than max_age at now, rtt_ms[] its fresh RTTs by region
 * index; out->scope always (docs/routing.md §8): the longest of every
 * published prefix holding the client and, for every published prefix not
 * holding it, one bit more than it shares with the client.  Published
 * entries that expired since still shape the scope (a longer scope is
 * never wrong) until the next publish drops them.  Returns out->hit.
 * O(L log n): L distinct prefix lengths of the family, n prefixes.
 */
int geo_rtt_lookup(const struct geo_rtt_table *tab, const struct geo_addr *client, double now,
		struct geo_rtt *out);

/* The table's (prefix, region) entries; 0 for NULL. */
size_t geo_rtt_table_count(const struct geo_rtt_table *tab);

/* Master table state for metrics and GET diagnostics. */
size_t geo_latency_count(const struct geo_latency *t);
uint64_t geo_latency_evictions(const struct geo_latency *t);
/* When the oldest entry expires (its last report + max_age), so the caller
 * can publish again then and stop steering by it; INFINITY when empty. */
double geo_latency_next_expiry(const struct geo_latency *t);
/* Calls cb for every entry fresh at now, least recently reported first,
 * until cb returns non-zero.  Returns the number of calls. */
size_t geo_latency_foreach(const struct geo_latency *t, double now,
		int (*cb)(const struct geo_latency_entry *e, void *arg), void *arg);

#endif

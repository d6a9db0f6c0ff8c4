/*
 * query.h -- snapshot + query packet + client -> response bytes.  Runs on
 * workers inside rcu_read_lock().  Never allocates, takes no lock.
 */
#ifndef DNSD_QUERY_H
#define DNSD_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "dnsd/answer/query_metrics.h"
#include "dnsd/zone/snap.h"
#include "geo/latency.h"

enum query_proto { QUERY_UDP, QUERY_TCP };

struct query_client {
	int family;		/* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

/* What query_answer() returns for a query it leaves to the server's
 * transfer module (dnsd/server/xfr.h): a zone transfer (AXFR, IXFR) or a
 * query signed with TSIG, which need keys, access lists or a stream of
 * messages the worker's one-in-one-out path does not have. */
#define QUERY_DEFER ((size_t)-1)

/* Answers the query in pkt[0..len) into out (cap bytes, at least 512 for
 * UDP, 65535 for TCP) from snapshot s and the latency table rtt (NULL:
 * no latency reports), both borrowed for the call (inside
 * rcu_read_lock()).  Returns the response length, 0 when the packet
 * deserves no answer (shorter than a header, or QR set), or QUERY_DEFER.  Counts into m,
 * the calling worker's own counters (NULL: not counted). */
size_t query_answer(const struct snap *s, const struct geo_rtt_table *rtt, const uint8_t *pkt, size_t len,
		    const struct query_client *client, enum query_proto proto,
		    uint8_t *out, size_t cap, struct query_metrics *m);

/* The health view a geo decision for name gn reads (docs/routing.md §1,
 * §7): the regions with endpoints of each family, from s, and those up
 * for it, from s's health words (all of them when s has no checker); no
 * latency data.  The query path and the simulator (dnsd/sim) both build
 * it here.  Any thread; a few relaxed loads, never allocates. */
void query_health_view(const struct snap *s, const struct geo_name *gn, struct geo_view *v);

/* What response rate limiting counts a response under (docs/protocol.md
 * §9), as NSD and Knot classify: a name an attacker cannot multiply by
 * writing random labels.  Positive answers count under the question's
 * name and type, answers synthesised from a wildcard under the wildcard's
 * owner, referrals under the delegation point, NXDOMAIN and NODATA under
 * the zone's origin, errors under no name. */
enum query_rrl_kind {
	QUERY_RRL_ANSWER,
	QUERY_RRL_WILDCARD,
	QUERY_RRL_REFERRAL,
	QUERY_RRL_NODATA,
	QUERY_RRL_NXDOMAIN,
	QUERY_RRL_ERROR,
};

struct query_rrl {
	enum query_rrl_kind kind;
	/* wire form, any case; NULL for errors and for answers outside every
	 * zone.  Borrowed: from the snapshot (until rcu_read_unlock()) or the
	 * question in the caller's out buffer. */
	const uint8_t *name;
	uint16_t qtype;		/* counts for ANSWER and WILDCARD only */
};

/* query_answer(), and what the response counts under for rate limiting
 * into *rrl (filled whenever the return is not 0).  No allocation. */
size_t query_answer_rrl(const struct snap *s, const struct geo_rtt_table *rtt, const uint8_t *pkt, size_t len,
			const struct query_client *client, enum query_proto proto,
			uint8_t *out, size_t cap, struct query_metrics *m, struct query_rrl *rrl);

/* The largest UDP answer the client of q takes (RFC 6891): its EDNS
 * buffer size within the server's limits.udp_payload, 512 without EDNS. */
struct wire_query;
size_t query_udp_limit(const struct snap *s, const struct wire_query *q);

/* Prepares, at load on the loading thread, the answer of every RRset
 * queried by its owner and type (zone.h, struct zone_prepared), with the
 * same builder query_answer() runs; allocates from the snapshot's arena.
 * 0, or -1 out of memory. */
int query_prepare(struct snap *s);

#endif

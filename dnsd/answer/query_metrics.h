/*
 * query_metrics.h -- the query counters and their Prometheus families.
 * Each worker thread owns one struct query_metrics and is its only writer (relaxed load + store of value+1,
 * no shared cache line between workers); GET /metrics sums them on the
 * control thread.  Counters of things that live in a snapshot (answers per
 * geo name and region) live in that snapshot and restart at a reload.
 */
#ifndef DNSD_QUERY_METRICS_H
#define DNSD_QUERY_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "dnsd/util/metrics.h"
#include "geo/geo.h"

/* qtype label buckets: A NS CNAME SOA PTR MX TXT AAAA SRV DS CAA ANY other */
#define QUERY_METRICS_QTYPES 13
/* rcode label buckets: NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED
 * YXDOMAIN BADVERS dropped */
#define QUERY_METRICS_RCODES 9
#define QUERY_METRICS_RCODE_DROPPED 8
enum query_metrics_proto { QUERY_METRICS_UDP = 0, QUERY_METRICS_TCP = 1 };
/* residency outcome label: pinned (answered inside the pin), all_down
 * (strict pin, no region up: all_down policy inside the pin), fallback
 * (preferred pin, answered outside it), unpinned */
enum query_metrics_residency { QUERY_METRICS_RES_PINNED, QUERY_METRICS_RES_ALL_DOWN, QUERY_METRICS_RES_FALLBACK, QUERY_METRICS_RES_UNPINNED, QUERY_METRICS_RES_N };

struct query_metrics {
	int worker;		/* index: selects this worker's block of snapshot counters */
	uint64_t queries[2][QUERY_METRICS_QTYPES][QUERY_METRICS_RCODES];
	uint64_t failovers;	/* geo answers whose best-ranked candidate was down */
	uint64_t residency[GEO_MAX_PINS + 1][QUERY_METRICS_RES_N];	/* last row: no pin */
	uint64_t truncated;
	uint64_t rrl_dropped, rrl_slipped;	/* response rate limiting */
	_Alignas(64) char pad[64];	/* keep the next worker's counters off this line */
};

struct snap;

int query_metrics_qtype_index(uint16_t qtype);
int query_metrics_rcode_index(unsigned rcode);
const char *query_metrics_qtype_label(int index);
const char *query_metrics_rcode_label(int index);

/* Writes the query families (queries, truncations, failovers, residency
 * decisions, rate limiting) summed over the nw threads' counters, and the
 * answers by region of snapshot s (borrowed, inside rcu_read_lock; NULL:
 * none).  Control thread; relaxed loads only, never a worker's lock. */
void query_metrics_render(FILE *out, const struct query_metrics *const *w, int nw, const struct snap *s);

#endif

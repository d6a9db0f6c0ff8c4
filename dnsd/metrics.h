/*
 * metrics.h -- counters for Prometheus.  Each worker owns one struct
 * metrics_worker and is its only writer (relaxed load + store of value+1,
 * no shared cache line between workers); GET /metrics sums them on the
 * control thread.  Counters of things that live in a snapshot (answers per
 * geo name and region) live in that snapshot and restart at a reload.
 */
#ifndef DNSD_METRICS_H
#define DNSD_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "geo/geo.h"

/* qtype label buckets: A NS CNAME SOA PTR MX TXT AAAA SRV DS CAA ANY other */
#define METRICS_QTYPES 13
/* rcode label buckets: NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED BADVERS dropped */
#define METRICS_RCODES 8
#define METRICS_RCODE_DROPPED 7
enum metrics_proto { METRICS_UDP = 0, METRICS_TCP = 1 };
/* residency outcome label: pinned (answered inside the pin), all_down
 * (strict pin, no region up: all_down policy inside the pin), fallback
 * (preferred pin, answered outside it), unpinned */
enum metrics_residency { METRICS_RES_PINNED, METRICS_RES_ALL_DOWN, METRICS_RES_FALLBACK, METRICS_RES_UNPINNED, METRICS_RES_N };

struct metrics_worker {
	int worker;		/* index: selects this worker's block of snapshot counters */
	uint64_t queries[2][METRICS_QTYPES][METRICS_RCODES];
	uint64_t failovers;	/* geo answers whose best-ranked candidate was down */
	uint64_t residency[GEO_MAX_PINS + 1][METRICS_RES_N];	/* last row: no pin */
	uint64_t truncated;
	uint64_t rrl_dropped, rrl_slipped;	/* response rate limiting */
	_Alignas(64) char pad[64];	/* keep the next worker's counters off this line */
};

/* One writer per counter: no atomic read-modify-write needed, only
 * tear-free access for the reader. */
#define METRICS_INC(x) __atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)
#define METRICS_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

struct snap;
struct health;

int metrics_qtype_index(uint16_t qtype);
int metrics_rcode_index(unsigned rcode);
const char *metrics_qtype_label(int index);
const char *metrics_rcode_label(int index);

/* Counts one finished reload (SIGHUP or POST /v1/reload), ok or not.  Main
 * thread only (the one writer). */
void metrics_reload_done(int ok);

/* Writes the Prometheus text exposition (format 0.0.4) to out: the nw
 * workers' counters summed, the health of every region and endpoint of
 * snapshot s (borrowed, inside rcu_read_lock; h may be NULL: no health
 * metrics), reloads and the snapshot generation.  Control thread; takes
 * the checker's mutex briefly per endpoint, never a worker's lock. */
void metrics_render(FILE *out, const struct metrics_worker *const *w, int nw,
		    const struct snap *s, struct health *h);
/* Writes s as a Prometheus label value: backslash, quote and newline
 * escaped. */
void metrics_label(FILE *out, const char *s);

#endif

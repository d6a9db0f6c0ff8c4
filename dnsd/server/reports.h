/*
 * reports.h -- latency reports from probe agents (docs/routing.md §10).
 * The master table
 * lives on the main thread (control API, reloads); workers look up a
 * read-only table published through RCU at most once a second, at the
 * next expiry, and after every reload (region indexes change).
 */
#ifndef DNSD_REPORTS_H
#define DNSD_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "dnsd/zone/snap.h"
#include "geo/latency.h"

/* Sets up the publish timer on the main thread's loop.  0 or -ENOMEM. */
int reports_init(struct event_base *base);
void reports_fini(void);	/* frees both tables; after the workers stopped */

/* Seconds on the clock reports, publishes and lookups share. */
double reports_clock(void);

/* POST /v1/latency: parses {"reports": [...]} and applies it all or not
 * at all under s's regions.  Returns the HTTP status (200, 400, 500) and
 * sets *reply to the JSON body to send (a new reference). */
int reports_post(const char *body, size_t len, const struct snap *s, json_t **reply);
/* GET /v1/latency: every fresh (prefix, region, rtt_ms, age_s) entry. */
json_t *reports_list(void);
/* After a reload published s: republish at once for its region indexes. */
void reports_republish(const struct snap *s);
size_t reports_count(void);
uint64_t reports_evictions(void);

#endif

/*
 * publish.h -- the two things workers read through RCU: the serving
 * snapshot and the latency table.  Publishing runs on the main thread
 * only (the one thread that frees either); workers call the _get
 * functions inside rcu_read_lock() (docs/architecture.md §3).
 */
#ifndef DNSD_PUBLISH_H
#define DNSD_PUBLISH_H

#include "dnsd/zone/snap.h"
#include "geo/latency.h"

/* The serving snapshot, or NULL before the first.  Borrowed, valid until
 * rcu_read_unlock(); on the main thread valid until it publishes again. */
const struct snap *publish_snap_get(void);
/* Makes next the serving snapshot, waits until no reader can see the old
 * one, frees it.  next may be NULL (at shutdown). */
void publish_snap(struct snap *next);

/* A hold on s, a snapshot a reader got from publish_snap_get() inside
 * rcu_read_lock(): s outlives the read-side section until the matching
 * publish_snap_release(), which frees it when it was the last hold of a
 * snapshot no longer served.  For zone transfers, which stream from one
 * snapshot across many event-loop turns.  Any thread. */
void publish_snap_hold(const struct snap *s);
void publish_snap_release(const struct snap *s);

/* The latency table workers rank by, or NULL while nothing was reported.
 * Borrowed like publish_snap_get(). */
const struct geo_rtt_table *publish_rtt_get(void);
/* Makes next the table workers read, then frees the old one once no
 * reader can see it.  next may be NULL. */
void publish_rtt(struct geo_rtt_table *next);

#endif

/*
 * notify.h -- NOTIFY (RFC 1996) to a zone's secondaries when its serial
 * changes (docs/transfer.md §4).  Main thread only: it runs on the main
 * event loop, beside the control API, never on a worker.
 */
#ifndef DNSD_NOTIFY_H
#define DNSD_NOTIFY_H

#include <event2/event.h>

#include "dnsd/zone/snap.h"

/* Starts sending on base, and notifies the secondaries of every zone of
 * the serving snapshot (a secondary learns of a restart this way).  0, or
 * -1 when no socket could be opened. */
int notify_init(struct event_base *base);

/* Called with every newly published snapshot: each zone with "notify"
 * targets whose serial differs from the one last seen (or that is new)
 * is announced to them, each target retried with backoff until it
 * answers.  Before notify_init() it does nothing. */
void notify_snapshot(const struct snap *s);

/* Drops what is pending, closes the sockets. */
void notify_fini(void);

#endif

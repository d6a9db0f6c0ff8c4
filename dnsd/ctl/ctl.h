/*
 * ctl.h -- the HTTP control API (docs/protocol.md §8) on libevent's evhttp: health,
 * forced states, reload, Prometheus metrics.  Runs on the main thread's
 * event loop; never on a worker, and never blocks a worker: it only
 * reads the workers' counters and the published snapshot.
 */
#ifndef DNSD_CTL_H
#define DNSD_CTL_H

#include <stddef.h>
#include <stdio.h>

#include <event2/event.h>

#include "dnsd/util/err.h"
#include "dnsd/health/health.h"

struct ctl_init {
	struct event_base *base;	/* the main thread's loop */
	const char *listen;		/* "ADDR:PORT" or "[V6ADDR]:PORT" */
	struct health *health;		/* borrowed, outlives the ctl */
	/* Reloads config and zones, the same function SIGHUP runs: 0, or
	 * negative with every error in err ("file:line:column: message"). */
	int (*reload)(void *arg, struct dnsd_err *err);
	void *reload_arg;
};

struct ctl;

/* Binds and starts serving on in->base.  NULL with the reason in err
 * (bad address, address in use, out of memory). */
struct ctl *ctl_new(const struct ctl_init *in, struct dnsd_err *err);
/* Closes the listener and any open connection.  Accepts NULL. */
void ctl_free(struct ctl *c);

struct cluster;
/* With a cluster (docs/cluster.md), forced states go to etcd and are
 * refused (503) while it is unreachable, latency reports are shared, and
 * GET /v1/health shows the cluster.  cl is borrowed; set it to NULL
 * before freeing it. */
void ctl_set_cluster(struct ctl *c, struct cluster *cl);

/* Asks the server whose control API listens on listen ("ADDR:PORT") to
 * reload, with the bearer token, and writes its JSON reply to out.  0 when
 * it answered 200; -EINVAL when it refused the new files (422, or 401/403
 * for the token); -EIO when nothing answered.  Blocks up to two minutes;
 * for `dnsd --reload`, never inside the server. */
int ctl_client_reload(const char *listen, const char *token, FILE *out);

/* --- request pieces, exposed for tests and fuzzing ------------------------ */

/* Parses a state body {"state": "up" | "down" | "auto"} (no other keys).
 * 0 with *out set, or -EINVAL with a one-line reason in why. */
int ctl_parse_state(const char *body, size_t len, enum health_force *out, char *why, size_t whylen);

/* Checks an Authorization header value against the configured token in
 * constant time.  0 when it is "Bearer TOKEN"; -EACCES (401) when the
 * header is missing or not a bearer token; -EPERM (403) for a wrong token
 * or when no token is configured (writes are then refused). */
int ctl_auth(const char *header, const char *token);

#endif

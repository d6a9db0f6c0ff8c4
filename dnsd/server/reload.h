/*
 * reload.h -- from config file to serving snapshot: build aside, prepare
 * answers, register with the health checker, publish.  The start-up load,
 * SIGHUP, POST /v1/reload and --check all run these, on the main thread
 * (docs/architecture.md §7).
 */
#ifndef DNSD_RELOAD_H
#define DNSD_RELOAD_H

#include <time.h>

#include "dnsd/health/health.h"
#include "dnsd/util/err.h"
#include "dnsd/zone/snap.h"

/* Loads config, GeoIP and zones and prepares every answer, touching
 * nothing outside the new snapshot: what --check validates and what a
 * reload would serve.  NULL with every error in err. */
struct snap *reload_build(const char *conf_file, struct dnsd_err *err);

/* Registers s's regions and endpoints with h (NULL: none, every endpoint
 * up), numbers it and makes it the serving snapshot; the old one is freed
 * once no worker can see it, the latency table is republished for
 * s's region indexes, and secondaries of zones with a new serial are
 * notified (dnsd/server/notify.h).  0; or -ENOSPC with the reason in err when h holds
 * no more endpoints or regions, and then s is freed and nothing changed. */
int reload_publish(struct snap *s, struct health *h, struct dnsd_err *err);

/* One whole reload: build, publish, log the result, count it for
 * GET /metrics.  0, or -EINVAL with the errors in err (the serving
 * snapshot stays). */
int reload_run(const char *conf_file, struct health *h, struct dnsd_err *err);

/* Signed zones are signed again by a whole reload once the serving
 * snapshot's signatures reach expiration - refresh (docs/dnssec.md §2):
 * the main loop calls this now and then.  run(arg, err) is the reload
 * to do (NULL: reload_run).  0 when nothing was due or the reload
 * succeeded; else the reload's error, logged (the snapshot serves on and
 * the next call tries again). */
int reload_resign_if_due(const char *conf_file, struct health *h, time_t now,
			 int (*run)(void *arg, struct dnsd_err *err), void *arg);

/* Registers the reload metric families.  0, or -ENOSPC. */
int reload_init(void);

#endif

/*
 * snap.h -- one read-only snapshot of everything a query reads: config,
 * traffic model (geo), zones, prepared endpoint data.  Built aside by a
 * load or reload, published with an RCU pointer swap; workers read it
 * inside rcu_read_lock() and never see half of one.
 */
#ifndef DNSD_SNAP_H
#define DNSD_SNAP_H

#include <stdint.h>
#include <time.h>

#include "dnsd/arena.h"
#include "dnsd/conf.h"
#include "dnsd/err.h"
#include "dnsd/health.h"
#include "dnsd/zone.h"
#include "geo/geo.h"

struct snap {
	struct dnsd_conf *conf;
	struct arena *arena;
	struct zone_set zones;
	struct geo_view static_view;	/* has[] per family; every region up */
	struct health *health;		/* NULL: every endpoint up (--check, tests) */
	uint32_t *region_slot;		/* health slot of region r */
	uint32_t **ep_slot;		/* health slot of region r's endpoint e */
	/* answers per (geo name, region), one block per worker so each has
	 * one writer; they restart at a reload with the snapshot */
	size_t ngeo, answers_workers, answers_stride;
	const struct zone_geo **geo;
	uint64_t *answers;
	uint64_t generation;
	time_t loaded;
};

/* Loads config, GeoIP and every zone aside.  NULL with every error added
 * to err; nothing global changes.  With a health checker, the endpoints
 * and regions are registered with it once everything loaded. */
struct snap *snap_load(const char *conf_file, struct health *h, struct dnsd_err *err);
void snap_free(struct snap *s);		/* accepts NULL */

/* The answer counters of worker w for geo name id (nregions of them), or
 * NULL when w is outside the snapshot's worker count. */
static inline uint64_t *
snap_answers(const struct snap *s, int w, uint32_t id)
{
	if (w < 0 || (size_t)w >= s->answers_workers)
		return NULL;
	return s->answers + (size_t)w * s->answers_stride + (size_t)id * s->conf->nregions;
}

/* The published snapshot: call inside rcu_read_lock(); the pointer is
 * borrowed and valid until rcu_read_unlock(). */
const struct snap *snap_get(void);
/* Publishes next, waits until no reader can see the old one, frees it.
 * Call from one thread at a time (the main thread), never a worker. */
void snap_publish(struct snap *next);

#endif

/*
 * snap.h -- one read-only snapshot of everything a query reads: config,
 * traffic model (geo), zones, prepared answers.  snap_load() builds one
 * aside with no side effects; the server prepares its answers, registers
 * it with the health checker and publishes it (dnsd/server/reload.h,
 * docs/architecture.md §7).
 */
#ifndef DNSD_SNAP_H
#define DNSD_SNAP_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "dnsd/util/arena.h"
#include "dnsd/conf/conf.h"
#include "dnsd/util/err.h"
#include "dnsd/zone/zone.h"
#include "geo/geo.h"

struct snap {
	struct dnsd_conf *conf;
	struct arena *arena;
	struct zone_set zones;
	struct geo_view static_view;	/* has[] per family; every region up */
	/* health state words (dnsd/health/health_words.h), set when the
	 * snapshot is registered with the checker; NULL: every endpoint up
	 * (--check, tests).  The slot arrays are sized at load and filled
	 * then. */
	const struct health_words *words;
	uint32_t *region_slot;		/* health slot of region r */
	uint32_t **ep_slot;		/* health slot of region r's endpoint e */
	/* answers per (geo name, region), one block per worker so each has
	 * one writer; they restart at a reload with the snapshot */
	size_t ngeo, answers_workers, answers_stride;
	const struct zone_geo **geo;
	uint64_t *answers;
	uint64_t generation;
	time_t loaded;
	/* holds on a published snapshot: the publisher's while it serves,
	 * and one per zone transfer streaming from it (dnsd/server/publish.h) */
	atomic_uint holds;
};

struct health_words;

/* Loads config, GeoIP and every zone aside.  NULL with every error added
 * to err.  Nothing outside the new snapshot changes: answers are not yet
 * prepared and no health checker knows it. */
struct snap *snap_load(const char *conf_file, struct dnsd_err *err);
void snap_free(struct snap *s);		/* accepts NULL */
/* Records in every zone of s, for start-up, reload and --check lines. */
size_t snap_record_count(const struct snap *s);

/* The answer counters of worker w for geo name id (nregions of them), or
 * NULL when w is outside the snapshot's worker count. */
static inline uint64_t *
snap_answers(const struct snap *s, int w, uint32_t id)
{
	if (w < 0 || (size_t)w >= s->answers_workers)
		return NULL;
	return s->answers + (size_t)w * s->answers_stride + (size_t)id * s->conf->nregions;
}

#endif

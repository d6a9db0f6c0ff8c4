/*
 * snap.c -- snapshot building.  Runs on the loading thread (main, or a
 * tool); touches nothing outside the snapshot it builds.
 */
#include <stdlib.h>
#include <string.h>

#include "dnsd/zone/snap.h"
#include "dnsd/zone/zload.h"

/* Generations number the snapshots built by this process, 1 first. */
static uint64_t g_generation;

static int
build_zone_set(struct snap *s, struct zone **zones, size_t n, struct dnsd_err *err)
{
	struct zone_set *zs = &s->zones;
	size_t nb = 4;

	while (nb < n * 2)
		nb <<= 1;
	zs->nzones = n;
	zs->zones = zones;
	zs->nbuckets = nb;
	if ((zs->buckets = arena_alloc(s->arena, nb * sizeof(*zs->buckets))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct zone *z = zones[i];
		size_t h = dname_hash(z->origin, z->origin_len) & (nb - 1);
		for (struct zone *o = zs->buckets[h]; o != NULL; o = o->hnext)
			if (o->origin_len == z->origin_len && memcmp(o->origin, z->origin, z->origin_len) == 0) {
				char name[1024];
				dname_to_text(z->origin, name, sizeof(name));
				dnsd_err_add(err, "%s: zone %s is also loaded from %s", z->file, name, o->file);
				return -1;
			}
		z->hnext = zs->buckets[h];
		zs->buckets[h] = z;
		if (z->origin_len > zs->max_origin_len)
			zs->max_origin_len = z->origin_len;
	}
	return 0;
}

/* Numbers the geo names and sizes the per-worker answer counters; each
 * worker's block starts on its own 64-byte line. */
static int
build_answer_counters(struct snap *s)
{
	size_t n = 0, k = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->zones.nzones; i++) {
			const struct zone *z = s->zones.zones[i];
			for (const struct zone_node *nd = zone_node_first(z); nd; nd = zone_node_next(z, nd)) {
				const struct zone_geo *g = zone_node_geo(nd);
				if (g == NULL)
					continue;
				if (pass == 0)
					n++;
				else {
					((struct zone_geo *)g)->id = (uint32_t)k;
					s->geo[k++] = g;
				}
			}
		}
		if (pass == 0 && (s->geo = arena_alloc(s->arena, (n + 1) * sizeof(*s->geo))) == NULL)
			return -1;
	}
	s->ngeo = n;
	/* one block per counting thread: net.h, net_worker_count() */
	s->answers_workers = (size_t)s->conf->workers * (1 + s->conf->nlisten);
	s->answers_stride = (n * s->conf->nregions + 7) & ~(size_t)7;
	s->answers = arena_alloc(s->arena, (s->answers_workers * s->answers_stride + 1) * sizeof(uint64_t));
	return s->answers ? 0 : -1;
}

static void
build_view(struct snap *s)
{
	const struct dnsd_conf *c = s->conf;

	memset(&s->static_view, 0, sizeof(s->static_view));
	for (size_t r = 0; r < c->nregions; r++)
		for (size_t e = 0; e < c->regions[r].nendpoints; e++) {
			int fam = c->regions[r].endpoints[e].family == 4 ? GEO_FAM_A : GEO_FAM_AAAA;
			s->static_view.has[fam] |= 1ull << r;
		}
	s->static_view.up[0] = s->static_view.has[0];
	s->static_view.up[1] = s->static_view.has[1];
}

/* Sizes the health slot arrays; registering with the checker fills
 * them (health_apply_conf). */
static int
alloc_health_slots(struct snap *s)
{
	const struct dnsd_conf *c = s->conf;

	s->region_slot = arena_alloc(s->arena, (c->nregions + 1) * sizeof(*s->region_slot));
	s->ep_slot = arena_alloc(s->arena, (c->nregions + 1) * sizeof(*s->ep_slot));
	if (s->region_slot == NULL || s->ep_slot == NULL)
		return -1;
	for (size_t r = 0; r < c->nregions; r++)
		if ((s->ep_slot[r] = arena_alloc(s->arena, (c->regions[r].nendpoints + 1) * sizeof(uint32_t))) == NULL)
			return -1;
	return 0;
}

struct snap *
snap_load(const char *conf_file, struct dnsd_err *err)
{
	struct snap *s = calloc(1, sizeof(*s));
	struct zone **zones;
	int before = err->count;

	if (s == NULL || (s->arena = arena_new()) == NULL) {
		dnsd_err_add(err, "out of memory");
		goto fail;
	}
	if ((s->conf = conf_load(conf_file, err)) == NULL)
		goto fail;
	zones = arena_alloc(s->arena, (s->conf->nzones + 1) * sizeof(*zones));
	if (zones == NULL)
		goto fail;
	for (size_t i = 0; i < s->conf->nzones; i++)
		zones[i] = zload_zone(s->arena, s->conf, s->conf->zones[i], err);
	if (err->count > before || build_zone_set(s, zones, s->conf->nzones, err) < 0)
		goto fail;
	build_view(s);
	if (build_answer_counters(s) < 0 || alloc_health_slots(s) < 0)
		goto fail;
	s->generation = ++g_generation;
	s->loaded = time(NULL);
	return s;
fail:
	if (err->count == before)
		dnsd_err_add(err, "%s: out of memory", conf_file);
	snap_free(s);
	return NULL;
}

size_t
snap_record_count(const struct snap *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->zones.nzones; i++)
		n += s->zones.zones[i]->nrecords;
	return n;
}

void
snap_free(struct snap *s)
{
	if (s == NULL)
		return;
	conf_free(s->conf);
	arena_free(s->arena);
	free(s);
}

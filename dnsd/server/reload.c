/*
 * reload.c -- reload orchestration.  Main thread only: it is the one
 * writer of the published snapshot, so a snapshot it reads between its
 * own publications cannot be freed under it.
 */
#include <errno.h>
#include <stdatomic.h>

#include <urcu.h>

#include "dnsd/answer/query.h"
#include "dnsd/server/publish.h"
#include "dnsd/server/reload.h"
#include "dnsd/server/reports.h"
#include "dnsd/util/log.h"
#include "dnsd/util/metrics.h"

/* Reloads by result; written by the main thread only, atomic so a reader
 * on another thread stays safe. */
static _Atomic uint64_t g_reloads[2];
/* Snapshots published by this process, numbered from 1. */
static uint64_t g_generation;

struct snap *
reload_build(const char *conf_file, struct dnsd_err *err)
{
	struct snap *s = snap_load(conf_file, err);

	if (s != NULL && query_prepare(s) < 0) {
		dnsd_err_add(err, "%s: out of memory preparing answers", conf_file);
		snap_free(s);
		return NULL;
	}
	return s;
}

int
reload_publish(struct snap *s, struct health *h, struct dnsd_err *err)
{
	const struct dnsd_conf *c = s->conf;

	if (h != NULL && health_apply_conf(h, c, s->ep_slot, s->region_slot) < 0) {
		dnsd_err_add(err, "%s: more endpoints or regions than the health checker holds (%d, %d)",
			     c->file, HEALTH_MAX_ENDPOINTS, HEALTH_MAX_REGIONS);
		snap_free(s);
		return -ENOSPC;
	}
	s->words = h ? health_words_get(h) : NULL;
	s->generation = ++g_generation;
	publish_snap(s);
	reports_republish(s);	/* region indexes may have moved */
	return 0;
}

static size_t
count_records(const struct snap *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->zones.nzones; i++)
		n += s->zones.zones[i]->nrecords;
	return n;
}

static void
log_errors(const struct dnsd_err *err)
{
	int n = err->count < DNSD_ERR_MAX ? err->count : DNSD_ERR_MAX;

	for (int i = 0; i < n; i++)
		log_msg(LOG_LVL_ERROR, "reload_error", "error=\"%s\"", err->msg[i]);
	log_msg(LOG_LVL_ERROR, "reload", "result=error errors=%d", err->count);
}

int
reload_run(const char *conf_file, struct health *h, struct dnsd_err *err)
{
	struct snap *next = reload_build(conf_file, err);
	size_t nzones, nrecords;

	if (next != NULL) {
		nzones = next->zones.nzones;
		nrecords = count_records(next);
	}
	if (next == NULL || reload_publish(next, h, err) < 0) {
		log_errors(err);
		atomic_fetch_add_explicit(&g_reloads[0], 1, memory_order_relaxed);
		return -EINVAL;
	}
	log_msg(LOG_LVL_INFO, "reload", "result=ok zones=%zu records=%zu generation=%llu",
		nzones, nrecords, (unsigned long long)g_generation);
	atomic_fetch_add_explicit(&g_reloads[1], 1, memory_order_relaxed);
	return 0;
}

static void
render_metrics(FILE *out, void *arg)
{
	const struct snap *s;

	metrics_head(out, "dnsd_reloads_total", "counter", "Config and zone reloads (SIGHUP or API), by result.");
	fprintf(out, "dnsd_reloads_total{result=\"ok\"} %llu\n",
		(unsigned long long)atomic_load_explicit(&g_reloads[1], memory_order_relaxed));
	fprintf(out, "dnsd_reloads_total{result=\"error\"} %llu\n",
		(unsigned long long)atomic_load_explicit(&g_reloads[0], memory_order_relaxed));
	rcu_read_lock();
	if ((s = publish_snap_get()) != NULL) {
		metrics_head(out, "dnsd_snapshot_generation", "gauge",
			     "Generation of the serving snapshot (1 at start, +1 per reload).");
		fprintf(out, "dnsd_snapshot_generation %llu\n", (unsigned long long)s->generation);
	}
	rcu_read_unlock();
}

int
reload_init(void)
{
	return metrics_register(render_metrics, NULL);
}

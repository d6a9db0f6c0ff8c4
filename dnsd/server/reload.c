/*
 * reload.c -- reload orchestration.  Main thread only: it is the one
 * writer of the published snapshot, so a snapshot it reads between its
 * own publications cannot be freed under it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <urcu.h>

#include "dnsd/answer/query.h"
#include "dnsd/server/notify.h"
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

/* The options the README marks "restart" that serving threads read from
 * the snapshot's config, as the first snapshot had them.  net sized its
 * buffers from limits.udp_payload and the answer engine reads it from
 * the snapshot; the threads took their log buffers for log.queries and
 * the answer engine reads that from the snapshot too.  A reload that
 * changed them would half apply them, so every later snapshot gets these
 * values back. */
static struct {
	int set;
	__typeof__(((struct dnsd_conf *)0)->limits) limits;
	__typeof__(((struct dnsd_conf *)0)->log) log;
	__typeof__(((struct dnsd_conf *)0)->latency) latency;
	/* bound or applied once at start: only compared, to tell the operator */
	struct conf_addr listen[CONF_MAX_LISTEN];
	size_t nlisten;
	int workers;
	char control_listen[64], user[64];
} g_boot;

static int
same_listen(const struct dnsd_conf *c)
{
	if (c->nlisten != g_boot.nlisten)
		return 0;
	for (size_t i = 0; i < c->nlisten; i++)
		if (strcmp(c->listen[i].text, g_boot.listen[i].text) != 0)
			return 0;
	return 1;
}

/* First snapshot: remembers its restart-only values.  Later ones: puts
 * them back, and logs which changed options wait for a restart. */
static void
keep_restart_only(struct dnsd_conf *c)
{
	char keys[128] = "";

	if (!g_boot.set) {
		g_boot.set = 1;
		g_boot.limits = c->limits;
		g_boot.log = c->log;
		g_boot.latency = c->latency;
		memcpy(g_boot.listen, c->listen, sizeof(g_boot.listen));
		g_boot.nlisten = c->nlisten;
		g_boot.workers = c->workers;
		snprintf(g_boot.control_listen, sizeof(g_boot.control_listen), "%s", c->control_listen);
		snprintf(g_boot.user, sizeof(g_boot.user), "%s", c->user);
		return;
	}
	/* plain members without padding: memcmp compares their values */
	if (memcmp(&c->limits, &g_boot.limits, sizeof(c->limits)) != 0)
		strcat(keys, ",limits");
	if (memcmp(&c->log, &g_boot.log, sizeof(c->log)) != 0)
		strcat(keys, ",log");
	if (memcmp(&c->latency, &g_boot.latency, sizeof(c->latency)) != 0)
		strcat(keys, ",latency");
	if (!same_listen(c))
		strcat(keys, ",listen");
	if (c->workers != g_boot.workers)
		strcat(keys, ",workers");
	if (strcmp(c->control_listen, g_boot.control_listen) != 0)
		strcat(keys, ",control.listen");
	if (strcmp(c->user, g_boot.user) != 0)
		strcat(keys, ",user");
	c->limits = g_boot.limits;
	c->log = g_boot.log;
	c->latency = g_boot.latency;
	if (keys[0] != '\0')
		log_msg(LOG_LVL_WARNING, "restart_needed", "keys=%s msg=\"changed, kept as at start until a restart\"", keys + 1);
}

struct snap *
reload_build(const char *conf_file, struct dnsd_err *err)
{
	struct snap *s = snap_load(conf_file, err);

	if (s != NULL && query_prepare(s) < 0) {
		dnsd_err_add(err, "%s: out of memory preparing answers", conf_file);
		snap_free(s);
		return NULL;
	}
#ifdef __GLIBC__
	/* the loader's temporaries were freed in an order that leaves free
	 * pages inside the heap; hand them back (several MiB for a big zone) */
	malloc_trim(0);
#endif
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
	keep_restart_only(s->conf);
	s->words = h ? health_words_get(h) : NULL;
	s->generation = ++g_generation;
	publish_snap(s);
	reports_republish(s);	/* region indexes may have moved */
	notify_snapshot(s);	/* secondaries of zones whose serial moved */
	return 0;
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
		nrecords = snap_record_count(next);
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

/* The time the first signed zone of s wants fresh signatures
 * (expiration - refresh, docs/dnssec.md §2), or 0 when none is signed. */
static time_t
resign_due(const struct snap *s)
{
	time_t due = 0;

	for (size_t i = 0; s != NULL && i < s->zones.nzones; i++) {
		const struct zone_dnssec *d = s->zones.zones[i]->dnssec;
		if (d != NULL && (due == 0 || (time_t)d->expiration - d->refresh < due))
			due = (time_t)d->expiration - d->refresh;
	}
	return due;
}

int
reload_resign_if_due(const char *conf_file, struct health *h, time_t now,
		     int (*run)(void *arg, struct dnsd_err *err), void *arg)
{
	time_t due = resign_due(publish_snap_get());
	struct dnsd_err *err;
	int rc;

	if (due == 0 || now < due)
		return 0;
	if ((err = calloc(1, sizeof(*err))) == NULL)
		return -ENOMEM;
	log_msg(LOG_LVL_INFO, "dnssec_resign", "due=%lld msg=\"signatures reach their refresh time: reloading to sign again\"",
		(long long)due);
	rc = run != NULL ? run(arg, err) : reload_run(conf_file, h, err);
	free(err);
	return rc;
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

/*
 * reports.c -- latency reports from probe agents: the master table, the
 * control API's bodies, and publication of the read-only table workers
 * rank by (dnsd/server/publish.h).  Everything runs on the main thread, the one thread
 * that also swaps snapshots, so a snapshot it holds cannot be freed under
 * it.  Publishing is coalesced to once a second: a burst of probe reports
 * costs one table build and one grace period.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <urcu.h>

#include "dnsd/server/publish.h"
#include "dnsd/server/reports.h"
#include "dnsd/util/clock.h"
#include "dnsd/util/metrics.h"

/* Largest number of bad items a 400 names: enough to fix a batch by. */
#define LAT_BAD_MAX 64
/* Publish at most this often (seconds). */
#define LAT_PUBLISH_EVERY 1.0

static struct geo_latency *g_master;
static struct event *g_timer;
static double g_last_publish = -1e9;
static int g_dirty;

double
reports_clock(void)
{
	return clock_coarse_seconds();
}

static const struct snap *
current_snap(void)
{
	const struct snap *s;

	rcu_read_lock();
	s = publish_snap_get();	/* only this thread frees snapshots: stays valid */
	rcu_read_unlock();
	return s;
}

static void
publish(const struct snap *s)
{
	struct geo_rtt_table *next;
	double now = reports_clock();

	if (g_master == NULL || s == NULL || (next = geo_latency_publish(g_master, s->conf->geo, now)) == NULL)
		return;
	publish_rtt(next);
	g_last_publish = now;
	g_dirty = 0;
}

/* Next publish: when dirty, a second after the last one; else when the
 * oldest entry expires, so stale data stops steering (and scoping). */
static void
schedule(void)
{
	double now = reports_clock(), at = geo_latency_next_expiry(g_master);
	struct timeval tv;

	if (g_dirty && g_last_publish + LAT_PUBLISH_EVERY < at)
		at = g_last_publish + LAT_PUBLISH_EVERY;
	if (!isfinite(at) || g_timer == NULL)
		return;
	/* a ms after the deadline, so the entry has expired when it fires */
	tv = clock_timeval((at > now ? at - now : 0) + 0.001);
	evtimer_add(g_timer, &tv);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	geo_latency_expire(g_master, reports_clock());
	publish(current_snap());
	schedule();
}

static void
render_metrics(FILE *out, void *arg)
{
	metrics_head(out, "dnsd_latency_entries", "gauge", "(prefix, region) entries in the latency table.");
	fprintf(out, "dnsd_latency_entries %zu\n", reports_count());
	metrics_head(out, "dnsd_latency_evictions_total", "counter",
		     "Latency entries evicted, least recently reported first, at latency.max_entries.");
	fprintf(out, "dnsd_latency_evictions_total %llu\n", (unsigned long long)reports_evictions());
}

int
reports_init(struct event_base *base)
{
	if ((g_timer = evtimer_new(base, on_timer, NULL)) == NULL)
		return -ENOMEM;
	return metrics_register(render_metrics, NULL);
}

void
reports_fini(void)
{
	if (g_timer)
		event_free(g_timer);
	g_timer = NULL;
	metrics_unregister(render_metrics, NULL);
	publish_rtt(NULL);
	geo_latency_free(g_master);
	g_master = NULL;
}

static void
bad_item(json_t *bad, size_t index, const char *reason)
{
	if (json_array_size(bad) < LAT_BAD_MAX)
		json_array_append_new(bad, json_pack("{s:I,s:s}", "index", (json_int_t)index, "reason", reason));
}

/* Syntax per item; region names and RTT ranges are geo_latency_report's. */
static void
parse_items(json_t *reports, struct geo_latency_item *items, json_t *bad)
{
	json_t *r;
	size_t i;

	json_array_foreach(reports, i, r) {
		const char *prefix = json_string_value(json_object_get(r, "prefix"));
		const char *region = json_string_value(json_object_get(r, "region"));
		json_t *rtt = json_object_get(r, "rtt_ms");
		const char *why = NULL;

		if (!json_is_object(r))
			why = "a report must be an object";
		else if (prefix == NULL || geo_latency_prefix_parse(prefix, &items[i].prefix, &why) < 0)
			why = why ? why : "bad prefix";
		else if (region == NULL || strlen(region) >= GEO_NAME_MAX)
			why = "unknown region";
		else if (!json_is_number(rtt))
			why = "rtt_ms must be a number";
		if (why != NULL) {
			bad_item(bad, i, why);
			continue;
		}
		snprintf(items[i].region, sizeof(items[i].region), "%s", region);
		items[i].rtt_ms = json_number_value(rtt);
	}
}

static int
named(const json_t *bad, size_t index)
{
	const json_t *b;
	size_t i;

	json_array_foreach(bad, i, b)
		if ((size_t)json_integer_value(json_object_get(b, "index")) == index)
			return 1;
	return 0;
}

/* Model-level problems (unknown region, negative RTT) too, so one 400
 * names every bad item.  Items that failed parsing have an empty region,
 * so geo_latency_report() refuses the batch whenever bad is not empty. */
static int
apply_items(const struct snap *s, struct geo_latency_item *items, size_t n, json_t *bad)
{
	struct geo_latency_bad gb[LAT_BAD_MAX];
	size_t nbad = LAT_BAD_MAX;
	int rc;

	rc = geo_latency_report(g_master, s->conf->geo, items, n, reports_clock(), gb, &nbad);
	for (size_t k = 0; rc == -EINVAL && k < nbad; k++)
		if (!named(bad, gb[k].index))
			bad_item(bad, gb[k].index, gb[k].reason);
	return json_array_size(bad) > 0 ? -EINVAL : rc;
}

int
reports_post(const char *body, size_t len, const struct snap *s, json_t **reply)
{
	json_t *root = json_loadb(body, len, 0, NULL), *reports = json_object_get(root, "reports");
	json_t *bad = json_array();
	struct geo_latency_item *items = NULL;
	size_t n = json_array_size(reports);
	int status = 200, rc;

	if (!json_is_array(reports)) {
		*reply = json_pack("{s:s}", "error", "body must be {\"reports\": [{\"prefix\", \"region\", \"rtt_ms\"}, ...]}");
		status = 400;
		goto out;
	}
	if (g_master == NULL)
		g_master = geo_latency_new((size_t)s->conf->latency.max_entries, s->conf->latency.max_age,
					   s->conf->latency.ewma_weight);
	if (g_master == NULL || (items = calloc(n + 1, sizeof(*items))) == NULL) {
		*reply = json_pack("{s:s}", "error", "out of memory");
		status = 500;
		goto out;
	}
	parse_items(reports, items, bad);
	rc = apply_items(s, items, n, bad);
	if (rc == -EINVAL) {
		*reply = json_pack("{s:s,s:O}", "error", "bad reports: nothing applied", "bad", bad);
		status = 400;
	} else if (rc < 0) {
		*reply = json_pack("{s:s}", "error", "out of memory: nothing applied");
		status = 500;
	} else {
		*reply = json_pack("{s:s,s:I}", "result", "ok", "applied", (json_int_t)n);
		g_dirty = 1;
		if (reports_clock() - g_last_publish >= LAT_PUBLISH_EVERY)
			publish(s);
		schedule();
	}
out:
	json_decref(bad);
	json_decref(root);
	free(items);
	return status;
}

static int
list_one(const struct geo_latency_entry *e, void *arg)
{
	char ip[INET6_ADDRSTRLEN], text[80];

	if (inet_ntop(e->prefix.family == 4 ? AF_INET : AF_INET6, e->prefix.bytes, ip, sizeof(ip)) == NULL)
		return 0;
	snprintf(text, sizeof(text), "%s/%u", ip, e->prefix.prefix);
	json_array_append_new(arg, json_pack("{s:s,s:s,s:f,s:f}", "prefix", text, "region", e->region,
					     "rtt_ms", e->rtt_ms, "age_s", reports_clock() - e->last));
	return 0;
}

json_t *
reports_list(void)
{
	json_t *entries = json_array();

	if (g_master != NULL)
		geo_latency_foreach(g_master, reports_clock(), list_one, entries);
	return json_pack("{s:I,s:I,s:o}", "entries", (json_int_t)reports_count(),
			 "evictions", (json_int_t)reports_evictions(), "reports", entries);
}

void
reports_republish(const struct snap *s)
{
	publish(s);
}

size_t
reports_count(void)
{
	return g_master ? geo_latency_count(g_master) : 0;
}

uint64_t
reports_evictions(void)
{
	return g_master ? geo_latency_evictions(g_master) : 0;
}

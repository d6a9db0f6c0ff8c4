/*
 * metrics.c -- label buckets for the per-worker counters, and the
 * Prometheus renderer.  Rendering runs on the control (main) thread: it
 * sums the workers' counters with relaxed loads and never writes them.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "dnsd/health.h"
#include "dnsd/lat.h"
#include "dnsd/metrics.h"
#include "dnsd/snap.h"
#include "dnsd/wire.h"

/* Reloads by result; written only by the main thread, read by /metrics
 * on the same thread today, atomic so another reader stays safe. */
static _Atomic uint64_t g_reloads[2];

static const uint16_t qtypes[METRICS_QTYPES - 1] = {
	WIRE_T_A, WIRE_T_NS, WIRE_T_CNAME, WIRE_T_SOA, WIRE_T_PTR, WIRE_T_MX,
	WIRE_T_TXT, WIRE_T_AAAA, WIRE_T_SRV, WIRE_T_DS, WIRE_T_CAA, WIRE_T_ANY,
};
static const char *const qtype_labels[METRICS_QTYPES] = {
	"A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS", "CAA", "ANY", "other",
};
static const char *const rcode_labels[METRICS_RCODES] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "BADVERS", "dropped",
};

int
metrics_qtype_index(uint16_t qtype)
{
	for (int i = 0; i < METRICS_QTYPES - 1; i++)
		if (qtypes[i] == qtype)
			return i;
	return METRICS_QTYPES - 1;
}

int
metrics_rcode_index(unsigned rcode)
{
	if (rcode <= WIRE_RCODE_REFUSED)
		return (int)rcode;
	return rcode == WIRE_RCODE_BADVERS ? 6 : WIRE_RCODE_SERVFAIL;
}

const char *
metrics_qtype_label(int index)
{
	return qtype_labels[index];
}

const char *
metrics_rcode_label(int index)
{
	return rcode_labels[index];
}

void
metrics_reload_done(int ok)
{
	atomic_fetch_add_explicit(&g_reloads[ok ? 1 : 0], 1, memory_order_relaxed);
}

void
metrics_label(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void
head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t
sum(const struct metrics_worker *const *w, int nw, size_t off)
{
	uint64_t n = 0;

	for (int i = 0; i < nw; i++) {
		const uint64_t *p = (const uint64_t *)(const void *)((const char *)w[i] + off);
		n += METRICS_GET(*p);
	}
	return n;
}

#define SUM(field) sum(w, nw, offsetof(struct metrics_worker, field))

static void
render_queries(FILE *out, const struct metrics_worker *const *w, int nw)
{
	static const char *const proto[2] = { "udp", "tcp" };

	head(out, "dnsd_queries_total", "counter", "DNS queries by protocol, query type and response code (dropped: no response).");
	for (int p = 0; p < 2; p++)
		for (int t = 0; t < METRICS_QTYPES; t++)
			for (int r = 0; r < METRICS_RCODES; r++) {
				uint64_t n = SUM(queries[p][t][r]);
				/* the full cube is 208 series per protocol; zeros add nothing */
				if (n == 0 && !(t == 0 && r == 0))
					continue;
				fprintf(out, "dnsd_queries_total{proto=\"%s\",qtype=\"%s\",rcode=\"%s\"} %llu\n",
					proto[p], metrics_qtype_label(t), metrics_rcode_label(r),
					(unsigned long long)n);
			}
	head(out, "dnsd_truncated_total", "counter", "Responses sent truncated (TC set).");
	fprintf(out, "dnsd_truncated_total %llu\n", (unsigned long long)SUM(truncated));
	head(out, "dnsd_failovers_total", "counter", "Geo answers whose best-ranked candidate region was down.");
	fprintf(out, "dnsd_failovers_total %llu\n", (unsigned long long)SUM(failovers));
}

static void
render_residency(FILE *out, const struct metrics_worker *const *w, int nw, const struct snap *s)
{
	static const char *const outcome[METRICS_RES_N] = { "pinned", "all_down", "fallback", "unpinned" };
	size_t npins = s ? geo_pin_count(s->conf->geo) : 0;

	head(out, "dnsd_residency_decisions_total", "counter",
	     "Geo decisions by the client's residency pin and outcome.");
	for (size_t p = 0; p <= GEO_MAX_PINS; p++) {
		int row = p < npins ? (int)p : GEO_MAX_PINS;
		if (p >= npins && p != GEO_MAX_PINS)
			continue;
		for (int o = 0; o < METRICS_RES_N; o++) {
			if ((row == GEO_MAX_PINS) != (o == METRICS_RES_UNPINNED))
				continue;	/* pinned outcomes need a pin, unpinned none */
			fputs("dnsd_residency_decisions_total{pin=\"", out);
			metrics_label(out, row == GEO_MAX_PINS ? "none" : geo_pin_name(s->conf->geo, row));
			fprintf(out, "\",outcome=\"%s\"} %llu\n", outcome[o],
				(unsigned long long)SUM(residency[row][o]));
		}
	}
}

static void
series(FILE *out, const char *name, const char *region, const char *k2, const char *v2)
{
	fprintf(out, "%s{region=\"", name);
	metrics_label(out, region);
	fprintf(out, "\",%s=\"", k2);
	metrics_label(out, v2);
	fputs("\"", out);
}

static void
render_endpoint(FILE *out, const char *region, const char *addr, uint32_t word,
		const struct hc_endpoint_info *in, int which)
{
	switch (which) {
	case 0:
		series(out, "dnsd_endpoint_up", region, "endpoint", addr);
		fprintf(out, "} %d\n", hc_word_effective(word) == HC_UP);
		break;
	case 1:
		if (in->rtt < 0)
			break;
		series(out, "dnsd_endpoint_rtt_seconds", region, "endpoint", addr);
		fprintf(out, "} %.6f\n", in->rtt);
		break;
	default:
		if (!in->has_check)
			break;
		series(out, "dnsd_endpoint_checks_total", region, "endpoint", addr);
		fprintf(out, ",result=\"success\"} %llu\n", (unsigned long long)in->checks_ok);
		series(out, "dnsd_endpoint_checks_total", region, "endpoint", addr);
		fprintf(out, ",result=\"failure\"} %llu\n", (unsigned long long)in->checks_failed);
	}
}

static void
render_endpoints(FILE *out, const struct snap *s, struct health *h, int which)
{
	const struct dnsd_conf *c = s->conf;

	for (size_t r = 0; r < c->nregions; r++)
		for (size_t e = 0; e < c->regions[r].nendpoints; e++) {
			uint32_t slot = s->ep_slot[r][e];
			struct hc_endpoint_info in;
			if (hc_endpoint_info(h, slot, &in) < 0)
				continue;
			render_endpoint(out, c->regions[r].name, c->regions[r].endpoints[e].text,
					hc_endpoint_word(h, slot), &in, which);
		}
}

static void
render_health(FILE *out, const struct snap *s, struct health *h)
{
	const struct dnsd_conf *c = s->conf;
	static const char *const fam[2] = { "A", "AAAA" };

	head(out, "dnsd_endpoint_up", "gauge",
	     "1 when the endpoint is up (forced states applied); 0 down or not yet checked.");
	render_endpoints(out, s, h, 0);
	head(out, "dnsd_endpoint_rtt_seconds", "gauge", "Round-trip time of the endpoint's last successful health check.");
	render_endpoints(out, s, h, 1);
	head(out, "dnsd_endpoint_checks_total", "counter", "Health checks run, by result.");
	render_endpoints(out, s, h, 2);
	head(out, "dnsd_region_up", "gauge",
	     "1 when the region is up for the address family (forced states applied).");
	for (size_t r = 0; r < c->nregions; r++) {
		uint32_t w = hc_region_word(h, s->region_slot[r]);
		for (int f = 0; f < 2; f++) {
			if (!(s->static_view.has[f] >> r & 1))
				continue;
			series(out, "dnsd_region_up", c->regions[r].name, "family", fam[f]);
			fprintf(out, "} %d\n", HC_WORD_FAM(w, f) == HC_UP);
		}
	}
}

static void
render_rrl(FILE *out, const struct metrics_worker *const *w, int nw)
{
	uint64_t dropped = 0, slipped = 0;

	for (int i = 0; i < nw; i++) {
		dropped += METRICS_GET(w[i]->rrl_dropped);
		slipped += METRICS_GET(w[i]->rrl_slipped);
	}
	head(out, "dnsd_rrl_limited_total", "counter",
	     "UDP responses held back by response rate limiting, by action.");
	fprintf(out, "dnsd_rrl_limited_total{action=\"dropped\"} %llu\n", (unsigned long long)dropped);
	fprintf(out, "dnsd_rrl_limited_total{action=\"slipped\"} %llu\n", (unsigned long long)slipped);
}

/* Geo answers by zone, name and region, summed over the workers' blocks;
 * pairs never answered are left out. */
static void
render_answers(FILE *out, const struct snap *s)
{
	head(out, "dnsd_answers_total", "counter",
	     "Geo answers by zone, name and region answered, since the last reload.");
	for (size_t g = 0; g < s->ngeo; g++)
		for (size_t r = 0; r < s->conf->nregions; r++) {
			uint64_t sum = 0;
			for (size_t w = 0; w < s->answers_workers; w++)
				sum += METRICS_GET(snap_answers(s, (int)w, (uint32_t)g)[r]);
			if (sum == 0)
				continue;
			fputs("dnsd_answers_total{zone=\"", out);
			metrics_label(out, s->geo[g]->zone);
			fputs("\",name=\"", out);
			metrics_label(out, s->geo[g]->name);
			fputs("\",region=\"", out);
			metrics_label(out, s->conf->regions[r].name);
			fprintf(out, "\"} %llu\n", (unsigned long long)sum);
		}
}

void
metrics_render(FILE *out, const struct metrics_worker *const *w, int nw, const struct snap *s,
	       struct health *h)
{
	render_queries(out, w, nw);
	render_residency(out, w, nw, s);
	render_rrl(out, w, nw);
	head(out, "dnsd_latency_entries", "gauge", "(prefix, region) entries in the latency table.");
	fprintf(out, "dnsd_latency_entries %zu\n", lat_count());
	head(out, "dnsd_latency_evictions_total", "counter",
	     "Latency entries evicted, least recently reported first, at latency.max_entries.");
	fprintf(out, "dnsd_latency_evictions_total %llu\n", (unsigned long long)lat_evictions());
	if (s != NULL)
		render_answers(out, s);
	if (s != NULL && h != NULL)
		render_health(out, s, h);
	head(out, "dnsd_reloads_total", "counter", "Config and zone reloads (SIGHUP or API), by result.");
	fprintf(out, "dnsd_reloads_total{result=\"ok\"} %llu\n",
		(unsigned long long)atomic_load_explicit(&g_reloads[1], memory_order_relaxed));
	fprintf(out, "dnsd_reloads_total{result=\"error\"} %llu\n",
		(unsigned long long)atomic_load_explicit(&g_reloads[0], memory_order_relaxed));
	if (s != NULL) {
		head(out, "dnsd_snapshot_generation", "gauge", "Generation of the serving snapshot (1 at start, +1 per reload).");
		fprintf(out, "dnsd_snapshot_generation %llu\n", (unsigned long long)s->generation);
	}
}

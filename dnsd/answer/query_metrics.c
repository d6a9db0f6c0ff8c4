/*
 * query_metrics.c -- label buckets for the per-worker query counters, and
 * their Prometheus families.  Rendering runs on the control (main) thread: it
 * sums the workers' counters with relaxed loads and never writes them.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "dnsd/answer/query_metrics.h"
#include "dnsd/proto/wire.h"
#include "dnsd/zone/snap.h"

static const uint16_t qtypes[QUERY_METRICS_QTYPES - 1] = {
	WIRE_T_A, WIRE_T_NS, WIRE_T_CNAME, WIRE_T_SOA, WIRE_T_PTR, WIRE_T_MX,
	WIRE_T_TXT, WIRE_T_AAAA, WIRE_T_SRV, WIRE_T_DS, WIRE_T_CAA, WIRE_T_ANY,
};
static const char *const qtype_labels[QUERY_METRICS_QTYPES] = {
	"A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "DS", "CAA", "ANY", "other",
};
static const char *const rcode_labels[QUERY_METRICS_RCODES] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "BADVERS",
	"dropped",
};

int
query_metrics_qtype_index(uint16_t qtype)
{
	for (int i = 0; i < QUERY_METRICS_QTYPES - 1; i++)
		if (qtypes[i] == qtype)
			return i;
	return QUERY_METRICS_QTYPES - 1;
}

int
query_metrics_rcode_index(unsigned rcode)
{
	if (rcode <= WIRE_RCODE_YXDOMAIN)
		return (int)rcode;
	return rcode == WIRE_RCODE_BADVERS ? 7 : WIRE_RCODE_SERVFAIL;
}

const char *
query_metrics_qtype_label(int index)
{
	return qtype_labels[index];
}

const char *
query_metrics_rcode_label(int index)
{
	return rcode_labels[index];
}

static uint64_t
sum(const struct query_metrics *const *w, int nw, size_t off)
{
	uint64_t n = 0;

	for (int i = 0; i < nw; i++) {
		const uint64_t *p = (const uint64_t *)(const void *)((const char *)w[i] + off);
		n += METRICS_GET(*p);
	}
	return n;
}

#define SUM(field) sum(w, nw, offsetof(struct query_metrics, field))

static void
render_queries(FILE *out, const struct query_metrics *const *w, int nw)
{
	static const char *const proto[2] = { "udp", "tcp" };

	metrics_head(out, "dnsd_queries_total", "counter", "DNS queries by protocol, query type and response code (dropped: no response).");
	for (int p = 0; p < 2; p++)
		for (int t = 0; t < QUERY_METRICS_QTYPES; t++)
			for (int r = 0; r < QUERY_METRICS_RCODES; r++) {
				uint64_t n = SUM(queries[p][t][r]);
				/* the full cube is 234 series over both protocols; zeros add nothing */
				if (n == 0 && !(t == 0 && r == 0))
					continue;
				fprintf(out, "dnsd_queries_total{proto=\"%s\",qtype=\"%s\",rcode=\"%s\"} %llu\n",
					proto[p], query_metrics_qtype_label(t), query_metrics_rcode_label(r),
					(unsigned long long)n);
			}
	metrics_head(out, "dnsd_truncated_total", "counter", "Responses sent truncated (TC set).");
	fprintf(out, "dnsd_truncated_total %llu\n", (unsigned long long)SUM(truncated));
	metrics_head(out, "dnsd_failovers_total", "counter", "Geo answers whose best-ranked candidate region was down.");
	fprintf(out, "dnsd_failovers_total %llu\n", (unsigned long long)SUM(failovers));
}

static void
render_residency(FILE *out, const struct query_metrics *const *w, int nw, const struct snap *s)
{
	static const char *const outcome[QUERY_METRICS_RES_N] = { "pinned", "all_down", "fallback", "unpinned" };
	size_t npins = s ? geo_pin_count(s->conf->geo) : 0;

	metrics_head(out, "dnsd_residency_decisions_total", "counter",
	     "Geo decisions by the client's residency pin and outcome.");
	for (size_t p = 0; p <= GEO_MAX_PINS; p++) {
		int row = p < npins ? (int)p : GEO_MAX_PINS;
		if (p >= npins && p != GEO_MAX_PINS)
			continue;
		for (int o = 0; o < QUERY_METRICS_RES_N; o++) {
			if ((row == GEO_MAX_PINS) != (o == QUERY_METRICS_RES_UNPINNED))
				continue;	/* pinned outcomes need a pin, unpinned none */
			fputs("dnsd_residency_decisions_total{pin=\"", out);
			metrics_label(out, row == GEO_MAX_PINS ? "none" : geo_pin_name(s->conf->geo, row));
			fprintf(out, "\",outcome=\"%s\"} %llu\n", outcome[o],
				(unsigned long long)SUM(residency[row][o]));
		}
	}
}

static void
render_rrl(FILE *out, const struct query_metrics *const *w, int nw)
{
	uint64_t dropped = 0, slipped = 0;

	for (int i = 0; i < nw; i++) {
		dropped += METRICS_GET(w[i]->rrl_dropped);
		slipped += METRICS_GET(w[i]->rrl_slipped);
	}
	metrics_head(out, "dnsd_rrl_limited_total", "counter",
	     "UDP responses held back by response rate limiting, by action.");
	fprintf(out, "dnsd_rrl_limited_total{action=\"dropped\"} %llu\n", (unsigned long long)dropped);
	fprintf(out, "dnsd_rrl_limited_total{action=\"slipped\"} %llu\n", (unsigned long long)slipped);
}

/* Geo answers by zone, name and region, summed over the workers' blocks;
 * pairs never answered are left out. */
static void
render_answers(FILE *out, const struct snap *s)
{
	metrics_head(out, "dnsd_answers_total", "counter",
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
query_metrics_render(FILE *out, const struct query_metrics *const *w, int nw, const struct snap *s)
{
	render_queries(out, w, nw);
	render_residency(out, w, nw, s);
	render_rrl(out, w, nw);
	if (s != NULL)
		render_answers(out, s);
}

/*
 * query_explain.c -- "dig NAME CH TXT [+subnet=...]": why a geo name is
 * answered the way it is for this client (docs/protocol.md §8).  Calls the same
 * locate, health-view and decision code as the IN answer, so the region
 * it names is the region the IN query gets.  Runs on workers; formats
 * into stack buffers, never allocates.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dnsd/answer/query_int.h"

/* One TXT record of up to this many bytes of strings: 64 regions of
 * about 100 bytes each still fit in one TCP answer. */
#define EXPLAIN_MAX 8192

struct txt {
	uint8_t rdata[EXPLAIN_MAX];
	size_t len;
};

/* Appends one character-string (at most 255 bytes, RFC 1035 3.3.14). */
static void put_txt_record(struct qctx *x, const struct txt *t);

static void
txt_add(struct txt *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > 255)
		n = 255;
	if (t->len + 1 + (size_t)n > sizeof(t->rdata))
		return;
	t->rdata[t->len++] = (uint8_t)n;
	memcpy(t->rdata + t->len, buf, (size_t)n);
	t->len += (size_t)n;
}

static void
addr_text(const struct geo_addr *a, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, ip, sizeof(ip));
	snprintf(buf, cap, "%s/%u", ip, a->prefix);
}

static int
client_allowed(const struct qctx *x)
{
	const struct dnsd_conf *c = x->s->conf;

	for (size_t i = 0; i < c->nallow; i++)
		if (conf_addr_in(&c->allow[i], x->client->family, x->client->addr))
			return 1;
	return 0;
}

static void
explain_client(struct txt *t, const struct geo_eval *ev)
{
	char a[64];

	addr_text(&ev->client, a, sizeof(a));
	txt_add(t, "client=%s via=%s", a, ev->via_ecs ? "ecs" : "source");
}

static void
explain_location(struct txt *t, const struct geo_location *loc)
{
	static const char *const via[] = { "none", "networks", "geoip" };
	char net[64], where[160] = "";
	size_t n = 0;

	if (loc->via == GEO_LOC_NONE) {
		txt_add(t, "located=none");
		return;
	}
	addr_text(&loc->net, net, sizeof(net));
	if (loc->country[0])
		n += (size_t)snprintf(where + n, sizeof(where) - n, " country=%s", loc->country);
	if (loc->continent[0] && n < sizeof(where))
		n += (size_t)snprintf(where + n, sizeof(where) - n, " continent=%s", loc->continent);
	if (loc->has_coords && n < sizeof(where))
		snprintf(where + n, sizeof(where) - n, " lat=%.2f lon=%.2f", loc->lat, loc->lon);
	txt_add(t, "located=%s net=%s%s", via[loc->via], net, where);
}

/* up, down, unknown (up only because no verdict came yet) or none. */
static const char *
family_state(const struct qctx *x, const struct geo_eval *ev, int r, int fam)
{
	const struct conf_region *reg = &x->s->conf->regions[r];
	int want = fam == GEO_FAM_A ? 4 : 6;
	uint64_t bit = 1ull << r;

	if (!(ev->view.has[fam] & bit))
		return "none";
	if (!(ev->view.up[fam] & bit))
		return "down";
	if (x->s->words == NULL || query_region_force(x, r) == HEALTH_FORCE_UP)
		return "up";
	for (size_t e = 0; e < reg->nendpoints; e++) {
		if (reg->endpoints[e].family != want)
			continue;
		uint32_t w = health_words_endpoint(x->s->words, x->s->ep_slot[r][e]);
		if (HEALTH_WORD_FORCE(w) == HEALTH_FORCE_UP || (HEALTH_WORD_FORCE(w) == HEALTH_AUTO && HEALTH_WORD_STATE(w) == HEALTH_UP))
			return "up";
	}
	return "unknown";
}

/* With a cluster (docs/cluster.md §4): " checkers=D/N", the live
 * checkers that see the region down (those that see its most-seen-up
 * endpoint down) out of those with a verdict; "" without a cluster. */
static void
region_checkers(const struct health_words *h, const struct dnsd_conf *c, const struct snap *s, size_t r,
		char *buf, size_t len)
{
	unsigned down = UINT32_MAX, n = 0;

	buf[0] = '\0';
	if (h == NULL || atomic_load_explicit(&h->cluster_link, memory_order_relaxed) == HEALTH_CLUSTER_NONE)
		return;
	for (size_t e = 0; e < c->regions[r].nendpoints; e++) {
		uint32_t w = health_words_checkers(h, s->ep_slot[r][e]);
		if (w == 0)
			continue;
		if (HEALTH_CHECKERS_DOWN(w) < down)
			down = HEALTH_CHECKERS_DOWN(w);
		if (HEALTH_CHECKERS_N(w) > n)
			n = HEALTH_CHECKERS_N(w);
	}
	if (n > 0)
		snprintf(buf, len, " checkers=%u/%u", down, n);
}

static void
explain_candidate(struct txt *t, const struct qctx *x, const struct geo_eval *ev,
		  const struct geo_candidate *c, int rank)
{
	static const char *const forced[] = { "no", "up", "down" };
	const struct geo_model *m = x->s->conf->geo;
	char metric[48], chk[40];

	region_checkers(x->s->words, x->s->conf, x->s, (size_t)c->region, chk, sizeof(chk));
	if (c->rtt_ms >= 0)
		snprintf(metric, sizeof(metric), "rtt_ms=%.1f", c->rtt_ms);
	else if (c->distance_km >= 0)
		snprintf(metric, sizeof(metric), "distance_km=%.0f", c->distance_km);
	else
		snprintf(metric, sizeof(metric), "distance_km=none");
	txt_add(t, "region=%s a=%s aaaa=%s%s forced=%s rank=%d %s", geo_region_name(m, c->region),
		family_state(x, ev, c->region, GEO_FAM_A), family_state(x, ev, c->region, GEO_FAM_AAAA), chk,
		forced[query_region_force(x, c->region)], rank, metric);
}

/* Candidates ranked for A, then those that only have AAAA endpoints. */
static void
explain_candidates(struct txt *t, const struct qctx *x, const struct geo_eval *ev,
		   const struct geo_decision d[2])
{
	uint64_t listed = 0;

	for (int f = 0; f < 2; f++)
		for (int i = 0; i < d[f].ncand; i++) {
			const struct geo_candidate *c = &d[f].cand[i];
			if (listed & (1ull << c->region))
				continue;
			listed |= 1ull << c->region;
			explain_candidate(t, x, ev, c, i + 1);
		}
}

static void
explain_family(struct txt *t, const struct qctx *x, const struct geo_eval *ev,
	       const struct geo_decision *d, const char *fam)
{
	static const char *const policy[] = { "normal", "all_down", "no_family" };
	const struct geo_model *m = x->s->conf->geo;
	char chosen[256] = "none";
	size_t n = 0;
	int answered = d->nchosen > 0 && d->policy != GEO_POLICY_NO_FAMILY &&
		       !(d->policy == GEO_POLICY_ALL_DOWN && d->all_down != GEO_ALL_DOWN_SERVE_ALL);

	for (int i = 0; answered && i < d->nchosen && n < sizeof(chosen); i++)
		n += (size_t)snprintf(chosen + n, sizeof(chosen) - n, "%s%s", i ? "," : "",
				      geo_region_name(m, d->chosen[i]));
	txt_add(t, "family=%s chosen=%s policy=%s scope=%u", fam, chosen, policy[d->policy],
		ev->via_ecs ? d->scope : 0);
}

static void
explain_geo(struct qctx *x, const struct zone_geo *g)
{
	const struct geo_model *m = x->s->conf->geo;
	static __thread struct txt t;	/* per worker: too big for a small stack */
	struct geo_decision d[2];
	struct geo_eval ev;

	t.len = 0;
	query_geo_eval(x, &g->gn, &ev);
	geo_decide(m, &g->gn, &ev.loc, GEO_FAM_A, &ev.view, &d[0]);
	geo_decide(m, &g->gn, &ev.loc, GEO_FAM_AAAA, &ev.view, &d[1]);
	/* the hot path ranks without trigonometry; explanations print km */
	geo_decision_km(m, &ev.loc, &d[0]);
	geo_decision_km(m, &ev.loc, &d[1]);
	explain_client(&t, &ev);
	explain_location(&t, &ev.loc);
	int pin = d[0].pin >= 0 ? d[0].pin : d[1].pin;
	if (pin >= 0)
		txt_add(&t, "pin=%s mode=%s", geo_pin_name(m, pin),
			geo_pin_mode_get(m, pin) == GEO_PIN_STRICT ? "strict" : "preferred");
	else
		txt_add(&t, "pin=none");
	explain_candidates(&t, x, &ev, d);
	explain_family(&t, x, &ev, &d[0], "A");
	explain_family(&t, x, &ev, &d[1], "AAAA");
	put_txt_record(x, &t);
}

static void
put_txt_record(struct qctx *x, const struct txt *t)
{
	wire_put_rr(&x->b, x->q->qname, WIRE_T_TXT, WIRE_C_CH, 0, t->rdata, (uint16_t)t->len, 0, NULL);
	x->count[1]++;
}

static const char *
region_family(const struct qctx *x, int r, int fam, uint32_t w)
{
	if (!(x->s->static_view.has[fam] & (1ull << r)))
		return "none";
	return x->s->words ? health_state_name(HEALTH_WORD_FAM(w, fam)) : "up";
}

/* Records per page of health.dnsd.: 200 of at most 268 bytes (a 255-byte
 * string, its length byte, a compressed owner and the RR header) stay
 * under 64 KiB with the header, question, more= record and OPT. */
#define HEALTH_PAGE 200

static size_t
health_records(const struct dnsd_conf *c)
{
	size_t n = c->nregions;

	for (size_t r = 0; r < c->nregions; r++)
		n += c->regions[r].nendpoints;
	return n;
}

/* One TXT record per region, then one per endpoint (docs/protocol.md §8),
 * HEALTH_PAGE of them on page `page` (from 1), and a last record
 * "more=pageN.health.dnsd." when more follow.  A page shows the state at
 * the time it is asked: pages asked apart may disagree. */
static void
answer_health(struct qctx *x, unsigned page)
{
	static const char *const forced[] = { "no", "up", "down" };
	const struct dnsd_conf *c = x->s->conf;
	const struct health_words *h = x->s->words;
	size_t first = (size_t)(page - 1) * HEALTH_PAGE, end = first + HEALTH_PAGE, i = 0;
	uint32_t link = h ? atomic_load_explicit(&h->cluster_link, memory_order_relaxed) : HEALTH_CLUSTER_NONE;
	char chk[40];
	const char *by;
	struct txt t;

	if (link != HEALTH_CLUSTER_NONE && page == 1) {	/* one more record on page 1: still under 64 KiB */
		t.len = 0;
		txt_add(&t, "cluster node=%s etcd=%s", h->cluster_node,
			link == HEALTH_CLUSTER_UP ? "connected" : "unreachable");
		put_txt_record(x, &t);
	}
	for (size_t r = 0; r < c->nregions; r++, i++) {
		if (i < first || i >= end)
			continue;
		uint32_t w = h ? health_words_region(h, x->s->region_slot[r]) : 0;
		t.len = 0;
		region_checkers(h, c, x->s, r, chk, sizeof(chk));
		by = h && HEALTH_WORD_FORCE(w) != HEALTH_AUTO ? health_words_forced_by(h, 1, x->s->region_slot[r]) : NULL;
		txt_add(&t, "region=%s a=%s aaaa=%s%s forced=%s%s%s", c->regions[r].name,
			region_family(x, (int)r, GEO_FAM_A, w), region_family(x, (int)r, GEO_FAM_AAAA, w), chk,
			forced[HEALTH_WORD_FORCE(w)], by ? " forced_by=" : "", by ? by : "");
		put_txt_record(x, &t);
	}
	for (size_t r = 0; r < c->nregions && i < end; r++)
		for (size_t e = 0; e < c->regions[r].nendpoints; e++, i++) {
			if (i < first || i >= end)
				continue;
			uint32_t slot = h ? x->s->ep_slot[r][e] : 0;
			uint32_t w = h ? health_words_endpoint(h, slot) : HEALTH_UP;
			uint32_t rtt = h ? health_words_rtt_us(h, slot) : HEALTH_RTT_NONE;
			uint32_t ck = h ? health_words_checkers(h, slot) : 0;
			char rtt_text[24] = "none";
			if (rtt != HEALTH_RTT_NONE)
				snprintf(rtt_text, sizeof(rtt_text), "%.1f", rtt / 1000.0);
			chk[0] = '\0';
			if (ck != 0)
				snprintf(chk, sizeof(chk), " checkers=%u/%u", HEALTH_CHECKERS_DOWN(ck), HEALTH_CHECKERS_N(ck));
			t.len = 0;
			by = h && HEALTH_WORD_FORCE(w) != HEALTH_AUTO ? health_words_forced_by(h, 0, slot) : NULL;
			txt_add(&t, "endpoint=%s region=%s state=%s%s forced=%s%s%s rtt_ms=%s last_change=%lld",
				c->regions[r].endpoints[e].text, c->regions[r].name,
				health_state_name(health_word_effective(w)), chk, forced[HEALTH_WORD_FORCE(w)],
				by ? " forced_by=" : "", by ? by : "", rtt_text,
				h ? (long long)health_words_changed(h, slot) : 0LL);
			put_txt_record(x, &t);
		}
	if (health_records(c) > end) {
		t.len = 0;
		txt_add(&t, "more=page%u.health.dnsd.", page + 1);
		put_txt_record(x, &t);
	}
}

/* "health.dnsd." is page 1; "pageN.health.dnsd." page N (N from 1, in
 * decimal without leading zeros); 0 for any other name. */
unsigned
query_health_page(const uint8_t *qname)
{
	static const uint8_t health[] = "\6health\4dnsd";	/* and the root's 0 */
	unsigned page = 0;

	if (memcmp(qname, health, sizeof(health)) == 0)
		return 1;
	if (qname[0] < 5 || qname[0] > 9 || memcmp(qname + 1, "page", 4) != 0 || qname[5] == '0' ||
	    memcmp(qname + 1 + qname[0], health, sizeof(health)) != 0)
		return 0;
	for (unsigned i = 5; i <= qname[0]; i++) {
		if (qname[i] < '0' || qname[i] > '9')
			return 0;
		page = page * 10 + (unsigned)(qname[i] - '0');
	}
	return page;
}

void
query_explain_health(struct qctx *x)
{
	unsigned page = query_health_page(x->q->qname);

	if (!client_allowed(x) || (x->q->qtype != WIRE_T_TXT && x->q->qtype != WIRE_T_ANY) ||
	    (page > 1 && (size_t)(page - 1) * HEALTH_PAGE >= health_records(x->s->conf))) {
		x->rcode = WIRE_RCODE_REFUSED;	/* as for any name we do not know */
		return;
	}
	x->aa = 1;
	answer_health(x, page);
}

void
query_explain(struct qctx *x)
{
	const uint8_t *name = x->q->qname;
	size_t len = (size_t)x->q->qname_len;
	const struct zone *z = zone_set_find(&x->s->zones, name, len);
	const struct zone_node *n = z ? zone_node_find(z, name, len) : NULL;

	if (n == NULL || zone_node_geo(n) == NULL || !client_allowed(x) ||
	    (x->q->qtype != WIRE_T_TXT && x->q->qtype != WIRE_T_ANY)) {
		x->rcode = WIRE_RCODE_REFUSED;
		return;
	}
	x->aa = 1;
	explain_geo(x, zone_node_geo(n));
}

/*
 * query.c -- answering one query from a snapshot (RFC 1034 4.3.2, RFC 2308
 * negative answers, RFC 4592 wildcards, RFC 6672 DNAME, RFC 8482 ANY,
 * RFC 6891 EDNS, RFC 7871 ECS).  Runs on workers; never allocates, takes
 * no lock.
 */
#include <arpa/inet.h>
#include <string.h>

#include "dnsd/dnssec/dnssec.h"
#include "dnsd/health/health_words.h"
#include "dnsd/util/clock.h"
#include "dnsd/util/log.h"
#include "dnsd/answer/query_int.h"
#include "dnsd/proto/wire.h"

/* RFC 1034 leaves chain length open; 8 is BIND's and NSD's order of size.
 * A loop inside it is cut by remembering the CNAMEs and DNAMEs already
 * answered; a DNAME substitution takes a hop like a CNAME. */
#define CNAME_HOPS_MAX 8
#define VERSION_TXT "dnsd " DNSD_VERSION


static void
put_rrset(struct qctx *x, int section, const uint8_t *owner, const struct zone_rrset *set, uint32_t ttl)
{
	struct zone_rr_iter it;
	struct zone_rr rr;
	const struct zone_node *target;

	zone_rr_first(set, &it);
	while (zone_rr_next(&it, &rr)) {
		wire_put_rr(&x->b, owner, set->type, WIRE_C_IN, ttl, rr.rdata, rr.rdlen, rr.ncomp, rr.comp_off);
		if (x->naddl < ADDL_MAX && x->zone != NULL &&
		    (target = zone_target_node(x->zone, set->type, owner, &rr)) != NULL)
			x->addl[x->naddl++] = target;
	}
	x->count[section] += set->count;
	if (x->dnssec && zone_rrset_sigs(set) != NULL)
		query_dnssec_put_sigs(x, section, owner, zone_rrset_sigs(set), ttl);
}

/* The prepared SOA, when it goes right after the question (its pointers
 * assume that) and fits.  Where the name shares more than the origin with
 * MNAME or RNAME the builder would point deeper; this copy is as correct,
 * a few bytes longer. */
static int
put_negative(struct qctx *x, const struct zone *z)
{
	const struct zone_negative *neg = z->neg;
	uint8_t *p = x->b.p + x->b.len;
	unsigned shift = (unsigned)x->q->qname_len - z->origin_len;

	if (neg == NULL || x->b.len != x->q->qend || x->b.cap - x->b.len < neg->len)
		return 0;
	memcpy(p, neg->bytes, neg->len);
	for (unsigned i = 0; i < neg->nreloc; i++) {
		uint8_t *ptr = p + neg->reloc[i];
		unsigned off = ((unsigned)(ptr[0] & 0x3f) << 8 | ptr[1]) + shift;

		ptr[0] = (uint8_t)(0xc0 | off >> 8);
		ptr[1] = (uint8_t)off;
	}
	x->b.len += neg->len;
	x->count[2] += 1;
	return 1;
}

static void
put_soa(struct qctx *x, const struct zone *z)
{
	if (z->soa == NULL)
		return;
	if (!put_negative(x, z))
		put_rrset(x, 2, z->origin, z->soa, z->neg_ttl);
	else if (x->dnssec && zone_rrset_sigs(z->soa) != NULL)
		query_dnssec_put_sigs(x, 2, z->origin, zone_rrset_sigs(z->soa), z->neg_ttl);
}

/* Additional A/AAAA for NS MX SRV NAPTR SVCB HTTPS targets (zone_target_node);
 * optional ones that do not fit
 * are left out without TC (RFC 2181 9), referral glue is required. */
static void
put_additional(struct qctx *x)
{
	for (size_t i = 0; i < x->naddl; i++) {
		const struct zone_node *n = x->addl[i];
		int dup = 0;
		for (size_t j = 0; j < i && !dup; j++)
			dup = x->addl[j] == n;
		if (dup)
			continue;
		static const uint16_t types[2] = { WIRE_T_A, WIRE_T_AAAA };
		for (int t = 0; t < 2; t++) {
			const struct zone_rrset *set = zone_rrset_get(n, types[t]);
			if (set == NULL)
				continue;
			size_t len = x->b.len;
			int ncomp = x->b.ncomp;
			uint16_t ar = x->count[3];
			put_rrset(x, 3, n->name, set, set->ttl);
			if (x->b.overflow && !x->addl_required) {
				x->b.overflow = 0;
				x->b.len = len;
				x->b.ncomp = ncomp;
				x->count[3] = ar;
				return;
			}
		}
	}
}

static void
put_referral(struct qctx *x, const struct zone_node *cut)
{
	const struct zone_rrset *ns = zone_rrset_get(cut, WIRE_T_NS);

	if (x->count[1] == 0)
		x->aa = 0;	/* RFC 1034: a referral is not authoritative */
	x->naddl = 0;
	x->addl_required = 1;
	put_rrset(x, 2, cut->name, ns, ns->ttl);
	if (x->dnssec) {
		/* RFC 4035 3.1.4: the signed DS, or the NSEC proving there is none */
		const struct zone_rrset *ds = zone_rrset_get(cut, DNSSEC_TYPE_DS);
		if (ds != NULL)
			put_rrset(x, 2, cut->name, ds, ds->ttl);
		else
			query_dnssec_prove(x, cut->name, zone_rrset_get(cut, DNSSEC_TYPE_NSEC));
	}
}

static int
geo_family(uint16_t qtype)
{
	return qtype == WIRE_T_AAAA ? GEO_FAM_AAAA : GEO_FAM_A;
}

static void
client_addr(const struct qctx *x, struct geo_addr *a)
{
	if (x->q->ecs && x->q->ecs_addr.prefix > 0) {
		*a = x->q->ecs_addr;
		return;
	}
	/* no ECS, or ECS /0 ("do not use my subnet"): the packet's source */
	memset(a, 0, sizeof(*a));
	a->family = x->client->family;
	memcpy(a->bytes, x->client->addr, a->family == 4 ? 4 : 16);
	a->prefix = a->family == 4 ? 32 : 128;
}

enum health_force
query_region_force(const struct qctx *x, int r)
{
	if (x->s->words == NULL)
		return HEALTH_AUTO;
	return HEALTH_WORD_FORCE(health_words_region(x->s->words, x->s->region_slot[r]));
}

/* Forced states replace check results; an endpoint with no verdict yet
 * counts as up (docs/health.md §6). */
int
query_endpoint_up(const struct qctx *x, int r, size_t e)
{
	uint32_t w;

	if (x->s->words == NULL)
		return 1;
	w = health_words_endpoint(x->s->words, x->s->ep_slot[r][e]);
	switch (HEALTH_WORD_FORCE(w)) {
	case HEALTH_FORCE_UP: return 1;
	case HEALTH_FORCE_DOWN: return 0;
	default: return HEALTH_WORD_STATE(w) != HEALTH_DOWN;
	}
}

static int
endpoint_forced_down(const struct qctx *x, int r, size_t e)
{
	return x->s->words != NULL &&
	       HEALTH_WORD_FORCE(health_words_endpoint(x->s->words, x->s->ep_slot[r][e])) == HEALTH_FORCE_DOWN;
}

/* Health of the name's regions per family (docs/routing.md §7, docs/health.md §6).  The
 * health thread folds forced states and endpoint verdicts into each
 * region word's family bits (health_region_family_state), so a region costs
 * one relaxed load here: up unless that family reads down, as an endpoint
 * with no verdict yet counts as up. */
void
query_health_view(const struct snap *s, const struct geo_name *gn, struct geo_view *v)
{
	v->has[0] = s->static_view.has[0];
	v->has[1] = s->static_view.has[1];
	v->rtt = NULL;
	if (s->words == NULL) {
		v->up[0] = v->has[0];
		v->up[1] = v->has[1];
		return;
	}
	v->up[0] = v->up[1] = 0;
	for (int i = 0; i < gn->nregions; i++) {
		int r = gn->regions[i];
		uint32_t w = health_words_region(s->words, s->region_slot[r]);
		uint64_t bit = 1ull << r;

		if (HEALTH_WORD_FAM(w, GEO_FAM_A) != HEALTH_DOWN)
			v->up[GEO_FAM_A] |= bit;
		if (HEALTH_WORD_FAM(w, GEO_FAM_AAAA) != HEALTH_DOWN)
			v->up[GEO_FAM_AAAA] |= bit;
	}
}

void
query_geo_eval(const struct qctx *x, const struct geo_name *gn, struct geo_eval *ev)
{
	ev->via_ecs = x->q->ecs && x->q->ecs_addr.prefix > 0;
	client_addr(x, &ev->client);
	geo_locate(x->s->conf->geo, &ev->client, &ev->loc);
	query_health_view(x->s, gn, &ev->view);
	/* nothing reported yet: skip the clock read */
	geo_rtt_lookup(x->rtt, &ev->client, x->rtt ? clock_coarse_seconds() : 0, &ev->rtt);
	ev->view.rtt = &ev->rtt;
}

enum put_mode { PUT_UP, PUT_ALL };

/* Writes a region's endpoints of the family: the up ones; a region forced
 * up with none up answers all but the forced-down ones; serve-all
 * answers every one.  owner NULL: the question's name.  Each endpoint
 * written sets its bit in *mask, from bit0 on (zone_geo.bit0), which
 * names the signatures of the set (docs/dnssec.md §3). */
static void
put_region(struct qctx *x, const uint8_t *owner, int r, int fam, uint32_t ttl, enum put_mode mode,
	   unsigned bit0, uint64_t *mask)
{
	const struct conf_region *reg = &x->s->conf->regions[r];
	int want = fam == GEO_FAM_A ? 4 : 6, any_up = 0;
	unsigned bit = bit0;

	for (size_t e = 0; e < reg->nendpoints && mode == PUT_UP; e++)
		any_up |= reg->endpoints[e].family == want && query_endpoint_up(x, r, e);
	for (size_t e = 0; e < reg->nendpoints; e++) {
		const struct conf_endpoint *ep = &reg->endpoints[e];
		if (ep->family != want)
			continue;
		bit++;
		if (mode == PUT_UP && (any_up ? !query_endpoint_up(x, r, e) : endpoint_forced_down(x, r, e)))
			continue;
		*mask |= 1ull << ((bit - 1) & 63);
		if (owner == NULL)	/* the question's name, as the search would find */
			wire_put_rr_at(&x->b, WIRE_HDR, want == 4 ? WIRE_T_A : WIRE_T_AAAA, WIRE_C_IN, ttl,
				       ep->addr, want == 4 ? 4 : 16);
		else
			wire_put_rr(&x->b, owner, want == 4 ? WIRE_T_A : WIRE_T_AAAA, WIRE_C_IN, ttl,
				    ep->addr, want == 4 ? 4 : 16, 0, NULL);
		x->count[1]++;
	}
}

static void
count_decision(struct qctx *x, const struct geo_decision *d)
{
	enum query_metrics_residency out = QUERY_METRICS_RES_UNPINNED;
	int row = d->pin >= 0 ? d->pin : GEO_MAX_PINS;

	if (x->m == NULL)
		return;
	if (d->unpinned_fallback)
		out = QUERY_METRICS_RES_FALLBACK;
	else if (d->pin >= 0)
		out = d->policy == GEO_POLICY_ALL_DOWN ? QUERY_METRICS_RES_ALL_DOWN : QUERY_METRICS_RES_PINNED;
	METRICS_INC(x->m->residency[row][out]);
	/* a failover: the best-ranked candidate is not the one answered */
	if (d->ncand > 0 && d->nchosen > 0 && d->cand[0].region != d->chosen[0])
		METRICS_INC(x->m->failovers);
}

static void
answer_geo(struct qctx *x, const struct zone *z, const struct zone_node *n, const uint8_t *owner, uint16_t qtype)
{
	const struct zone_geo *g = zone_node_geo(n);
	struct geo_eval ev;
	struct geo_decision d;
	int fam = geo_family(qtype);

	query_geo_eval(x, &g->gn, &ev);
	geo_decide_chosen(x->s->conf->geo, &g->gn, &ev.loc, fam, &ev.view, &d);
	count_decision(x, &d);
	x->pin = d.pin;
	x->region = d.nchosen > 0 ? d.chosen[0] : -1;
	x->ecs_scope = (x->q->ecs && x->q->ecs_addr.prefix > 0) ? (int)d.scope : 0;
	if (d.policy == GEO_POLICY_ALL_DOWN && d.all_down == GEO_ALL_DOWN_SERVFAIL) {
		x->rcode = WIRE_RCODE_SERVFAIL;
		return;
	}
	if (d.policy == GEO_POLICY_NO_FAMILY || d.nchosen == 0 ||
	    (d.policy == GEO_POLICY_ALL_DOWN && d.all_down == GEO_ALL_DOWN_NODATA)) {
		put_soa(x, z);
		/* docs/dnssec.md §4: a family other clients get is denied by an
		 * NSEC of TTL 0 that lists neither it nor anything false */
		if (x->dnssec)
			query_dnssec_prove(x, n->name, g->nodata_nsec[fam] != NULL ? g->nodata_nsec[fam] :
					   zone_rrset_get(n, DNSSEC_TYPE_NSEC));
		return;
	}
	uint64_t *answers = x->m ? snap_answers(x->s, x->m->worker, g->id) : NULL;
	/* nothing written after the question: no CNAME led here, so the
	 * owner is the question's name and a pointer to it (put_region) */
	if (x->b.len == x->q->qend)
		owner = NULL;
	uint64_t mask = 0;
	for (int i = 0; i < d.nchosen; i++) {
		put_region(x, owner, d.chosen[i], fam, g->ttl,
			   d.policy == GEO_POLICY_ALL_DOWN ? PUT_ALL : PUT_UP, g->bit0[fam][d.chosen[i]], &mask);
		if (answers != NULL)
			METRICS_INC(answers[d.chosen[i]]);
	}
	if (x->dnssec)
		query_dnssec_put_geo_sigs(x, g, fam, mask, owner);
}

/* The node's first RRset, its NSEC aside: ANY must answer a signed
 * name as it would the unsigned one (RFC 8482: one RRset suffices). */
static const struct zone_rrset *
first_rrset(const struct zone_node *n)
{
	const struct zone_rrset *sets = zone_node_rrsets(n);

	for (uint16_t i = 0; i < n->nrrsets; i++)
		if (sets[i].type != DNSSEC_TYPE_NSEC)
			return &sets[i];
	return NULL;
}

static void
answer_node(struct qctx *x, const struct zone *z, const struct zone_node *n, const uint8_t *owner)
{
	uint16_t qtype = x->q->qtype;
	const struct zone_rrset *set;

	if ((n->flags & ZONE_NODE_GEO) && (qtype == WIRE_T_A || qtype == WIRE_T_AAAA ||
			       (qtype == WIRE_T_ANY && first_rrset(n) == NULL))) {
		answer_geo(x, z, n, owner, qtype == WIRE_T_ANY ? WIRE_T_A : qtype);
		return;
	}
	if (qtype == WIRE_T_ANY && (set = first_rrset(n)) != NULL) {
		/* RFC 8482: one RRset is a complete answer to ANY */
		put_rrset(x, 1, owner, set, set->ttl);
		return;
	}
	if ((set = zone_rrset_get(n, qtype)) != NULL) {
		put_rrset(x, 1, owner, set, set->ttl);
		return;
	}
	put_soa(x, z);	/* NODATA, RFC 2308 section 2.2 */
	if (x->dnssec)
		query_dnssec_prove_nodata(x, z, n, owner);
}

/* A DS query for a zone's apex belongs to the parent side (RFC 4035
 * 3.1.4.1) when we serve the parent too. */
static const struct zone *
zone_for(const struct qctx *x, const uint8_t *name, size_t len)
{
	const struct zone *z = zone_set_find(&x->s->zones, name, len);

	if (z != NULL && x->q->qtype == WIRE_T_DS && len == z->origin_len && len > 1) {
		const struct zone *p = zone_set_find(&x->s->zones, dname_parent(name), len - (size_t)*name - 1);
		if (p != NULL)
			return p;
	}
	return z;
}

/* The prepared answer of the query's own RRset: the bytes the builder
 * below wrote at load for this name and type (query_prepare), so taking
 * it cannot change an answer.  0 when there is none or it does not fit
 * the client's limit; the builder then drops optional additional data or
 * truncates as usual. */
static int
put_prepared(struct qctx *x, const struct zone_lookup *lk)
{
	const struct zone_rrset *set;
	const struct zone_prepared *p;

	if (lk->node == NULL || (set = zone_rrset_get(lk->node, x->q->qtype)) == NULL ||
	    (p = zone_rrset_prepared(set)) == NULL || x->b.cap - x->b.len < p->len)
		return 0;
	memcpy(x->b.p + x->b.len, p->bytes, p->len);
	x->b.len += p->len;
	x->count[1] = p->count[0];
	x->count[2] = p->count[1];
	x->count[3] = p->count[2];
	x->aa = !!(p->bits & ZONE_PREPARED_AA);
	x->rcode = p->bits & 0x0f;
	return 1;
}

/* RFC 6672 2.2: the DNAME at d, an ancestor of name, and a CNAME from
 * name to name with d's owner replaced by the DNAME's target, which then
 * replaces name (lowercased, *len updated).  The CNAME's rdata is the
 * new name written out on the stack; the wire cursor compresses it
 * against names already in the message.  -1 when the new name would
 * exceed 255 octets: YXDOMAIN, and the DNAME is the whole answer. */
static int
put_dname(struct qctx *x, const struct zone_node *d, const struct zone_rrset *set, uint8_t *name,
	  size_t *len)
{
	static const uint16_t at_start = 0;
	const uint8_t *target = zone_rrset_rdata0(set);	/* zload keeps one DNAME per name */
	size_t keep = *len - d->namelen, tlen = dname_len(target);
	uint8_t syn[DNAME_MAX];

	put_rrset(x, 1, d->name, set, set->ttl);
	if (keep + tlen > DNAME_MAX) {
		x->rcode = WIRE_RCODE_YXDOMAIN;
		return -1;
	}
	memcpy(syn, name, keep);
	memcpy(syn + keep, target, tlen);
	wire_put_rr(&x->b, name, WIRE_T_CNAME, WIRE_C_IN, set->ttl, syn, (uint16_t)(keep + tlen), 1, &at_start);
	x->count[1]++;
	*len = keep + tlen;
	memcpy(name, syn, *len);
	dname_lower(name);
	return 0;
}

/* Was this CNAME or DNAME answered before?  Records it if not. */
static int
seen_before(const struct zone_rrset **seen, int hop, const struct zone_rrset *set)
{
	for (int i = 0; i < hop; i++)
		if (seen[i] == set)
			return 1;
	seen[hop] = set;
	return 0;
}

static void
answer_in_zone(struct qctx *x, const struct zone *z)
{
	uint8_t name[DNAME_MAX];
	size_t len = (size_t)x->q->qname_len;
	struct zone_lookup lk;
	const struct zone_rrset *seen[CNAME_HOPS_MAX];	/* CNAMEs and DNAMEs answered so far */

	memcpy(name, x->q->qname, len);
	for (int hop = 0; hop < CNAME_HOPS_MAX; hop++) {
		zone_lookup(z, name, len, &lk);
		int referral = lk.cut != NULL && !(lk.node == lk.cut && x->q->qtype == WIRE_T_DS);
		if (referral)
			x->cut = lk.cut;	/* prepared or built, the answer refers there */
		if (hop == 0 && !x->dnssec && put_prepared(x, &lk))
			return;
		if (referral) {
			put_referral(x, lk.cut);
			return;
		}
		if (lk.dname != NULL) {
			const struct zone_rrset *dn = zone_rrset_get(lk.dname, WIRE_T_DNAME);
			if (seen_before(seen, hop, dn) || put_dname(x, lk.dname, dn, name, &len) < 0)
				return;
			x->naddl = 0;
			/* the synthesised CNAME answers a CNAME query; ANY goes on,
			 * since the name holds no RRset of its own (NSD does so) */
			if (x->q->qtype == WIRE_T_CNAME || !dname_is_under(name, z->origin))
				return;
			continue;
		}
		const struct zone_node *n = lk.node;
		if (n == NULL && lk.encloser != NULL) {
			n = zone_node_wildcard(z, lk.encloser);	/* RFC 4592 synthesis, owner = name */
			if (x->wild == NULL)
				x->wild = n;
			/* RFC 4035 3.1.3.3: no closer name could have answered */
			if (n != NULL && x->dnssec)
				query_dnssec_prove_cover(x, z, name);
		}
		if (n == NULL) {
			x->rcode = WIRE_RCODE_NXDOMAIN;
			put_soa(x, z);
			if (x->dnssec)
				query_dnssec_prove_nxdomain(x, z, name, lk.encloser);
			return;
		}
		const struct zone_rrset *cname = zone_rrset_get(n, WIRE_T_CNAME);
		if (cname == NULL || x->q->qtype == WIRE_T_CNAME) {
			answer_node(x, z, n, name);
			return;
		}
		if (seen_before(seen, hop, cname))
			return;	/* a loop: each CNAME once, the resolver sees the loop */
		put_rrset(x, 1, name, cname, cname->ttl);
		x->naddl = 0;
		if (x->q->qtype == WIRE_T_ANY)
			return;
		len = dname_len(zone_rrset_rdata0(cname));
		memcpy(name, zone_rrset_rdata0(cname), len);
		dname_lower(name);
		if (!dname_is_under(name, z->origin))
			return;	/* the resolver follows chains out of the zone */
	}
}

static void
answer_in(struct qctx *x)
{
	const struct zone *z = zone_for(x, x->q->qname, (size_t)x->q->qname_len);

	if (z == NULL) {
		x->rcode = WIRE_RCODE_REFUSED;
		return;
	}
	x->aa = 1;
	x->zone = z;
	x->dnssec = x->q->edns_do && z->dnssec != NULL;
	answer_in_zone(x, z);
	if (x->nproof > 0)
		query_dnssec_put_proofs(x);
}

static int
name_is(const uint8_t *wire, const char *text)
{
	uint8_t buf[DNAME_MAX];
	size_t n = 0;

	/* text is a short literal with labels separated by dots */
	while (*text && n < sizeof(buf) - 2) {
		const char *dot = strchr(text, '.');
		size_t l = dot ? (size_t)(dot - text) : strlen(text);
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, text, l);
		n += l;
		text += l + (dot ? 1 : 0);
	}
	buf[n] = 0;
	return dname_equal(wire, buf);
}

static void
put_txt(struct qctx *x, const char *s)
{
	uint8_t rdata[256];
	size_t l = strlen(s);

	if (l > 255)
		l = 255;
	rdata[0] = (uint8_t)l;
	memcpy(rdata + 1, s, l);
	wire_put_rr(&x->b, x->q->qname, WIRE_T_TXT, WIRE_C_CH, 0, rdata, (uint16_t)(l + 1), 0, NULL);
	x->count[1]++;
}

/* CHAOS TXT identity names every nameserver answers (RFC 4892), unless
 * the config hides them: then REFUSED, as NSD's hide-version and
 * hide-identity answer. */
static void
answer_chaos(struct qctx *x)
{
	const uint8_t *n = x->q->qname;
	int txt = x->q->qtype == WIRE_T_TXT || x->q->qtype == WIRE_T_ANY;
	const char *s;

	if (name_is(n, "version.bind") || name_is(n, "version.server"))
		s = x->s->conf->hide_version ? NULL : VERSION_TXT;
	else if (name_is(n, "hostname.bind") || name_is(n, "id.server"))
		s = x->s->conf->hide_identity ? NULL : x->s->conf->identity;
	else if (query_health_page(n) > 0) {
		query_explain_health(x);
		return;
	} else {
		query_explain(x);
		return;
	}
	if (s == NULL) {
		x->rcode = WIRE_RCODE_REFUSED;
		return;
	}
	x->aa = 1;
	if (txt)
		put_txt(x, s);
}

static size_t
opt_size(const struct qctx *x)
{
	size_t n = 11;

	if (!x->q->edns)
		return 0;
	if (x->q->nsid && !x->s->conf->hide_identity)
		n += 4 + strlen(x->s->conf->identity);
	if (x->q->ecs)
		n += 4 + 4 + (x->q->ecs_addr.prefix + 7) / 8;
	return n;
}

static void
put_opt(struct qctx *x)
{
	const struct wire_query *q = x->q;
	size_t rdlen_at;

	uint16_t payload = (uint16_t)x->s->conf->limits.udp_payload;
	/* root owner, OPT, our payload size; extended rcode high bits,
	 * version 0, DO echoed (RFC 3225); RDLENGTH filled in below */
	uint8_t fixed[11] = { 0, 0, WIRE_T_OPT, payload >> 8, payload & 0xff,
			      (x->rcode >> 4) & 0xff, 0, q->edns_do ? 0x80 : 0, 0, 0, 0 };

	wire_put_bytes(&x->b, fixed, sizeof(fixed));
	rdlen_at = x->b.len - 2;
	if (q->nsid && !x->s->conf->hide_identity) {	/* RFC 5001: the option may go unanswered */
		size_t l = strlen(x->s->conf->identity);
		wire_put_u16(&x->b, WIRE_OPT_NSID);
		wire_put_u16(&x->b, (uint16_t)l);
		wire_put_bytes(&x->b, x->s->conf->identity, l);
	}
	if (q->ecs) {
		uint8_t ecs[4 + 16];
		int l = geo_ecs_encode(&q->ecs_addr, (unsigned)x->ecs_scope, ecs, sizeof(ecs));
		if (l > 0) {
			wire_put_u16(&x->b, WIRE_OPT_ECS);
			wire_put_u16(&x->b, (uint16_t)l);
			wire_put_bytes(&x->b, ecs, (size_t)l);
		}
	}
	if (!x->b.overflow) {
		size_t n = x->b.len - rdlen_at - 2;
		x->b.p[rdlen_at] = (uint8_t)(n >> 8);
		x->b.p[rdlen_at + 1] = (uint8_t)n;
	}
	x->count[3]++;
}

size_t
query_udp_limit(const struct snap *s, const struct wire_query *q)
{
	size_t lim = WIRE_UDP_MIN;

	if (q->edns && q->udp_size > WIRE_UDP_MIN) {
		lim = q->udp_size;
		if (lim > s->conf->limits.udp_payload)
			lim = s->conf->limits.udp_payload;
	}
	return lim < WIRE_UDP_MIN ? WIRE_UDP_MIN : lim;
}

static void
finish(struct qctx *x, const uint8_t *pkt, size_t limit, int with_opt)
{
	size_t opt = with_opt ? opt_size(x) : 0;

	if (x->b.overflow) {
		/* one check at the end: start again with an empty, truncated answer */
		wire_buf_init(&x->b, x->b.p, limit);
		wire_put_header_question(&x->b, pkt, x->q);
		memset(x->count, 0, sizeof(x->count));
		wire_set_flags(&x->b, WIRE_F_TC, 0);
	}
	x->b.cap = limit;
	if (opt > 0)
		put_opt(x);
	wire_set_flags(&x->b, x->aa ? WIRE_F_AA : 0, 0);
	wire_set_rcode(&x->b, x->rcode & 0xf);
	for (int s = 1; s < 4; s++)
		wire_set_count(&x->b, s, x->count[s]);
}

static int
parse_rcode(int rc)
{
	switch (rc) {
	case WIRE_ENOTIMP: return WIRE_RCODE_NOTIMP;
	case WIRE_EBADVERS: return WIRE_RCODE_BADVERS;
	default: return WIRE_RCODE_FORMERR;
	}
}

static void
count_query(struct qctx *x, enum query_proto proto, int dropped)
{
	int rc = dropped ? QUERY_METRICS_RCODE_DROPPED : query_metrics_rcode_index(x->rcode);

	if (x->m == NULL)
		return;
	METRICS_INC(x->m->queries[proto == QUERY_TCP][query_metrics_qtype_index(x->q->qtype)][rc]);
	if (!dropped && (wire_get16(x->b.p + 2) & WIRE_F_TC))
		METRICS_INC(x->m->truncated);
}

/* One logfmt line per query when log.queries is on; off, it costs one
 * branch.  A line is one write(2) from a stack buffer: no allocation. */
static void
log_query(const struct qctx *x, enum query_proto proto)
{
	const struct geo_model *m = x->s->conf->geo;
	char client[INET6_ADDRSTRLEN], qname[DNAME_MAX * 4 + 2];

	inet_ntop(x->client->family == 4 ? AF_INET : AF_INET6, x->client->addr, client, sizeof(client));
	dname_to_text(x->q->qname, qname, sizeof(qname));
	log_msg(LOG_LVL_INFO, "query", "client=%s proto=%s qname=%s qtype=%u rcode=%s region=%s pin=%s",
		client, proto == QUERY_TCP ? "tcp" : "udp", qname, x->q->qtype,
		query_metrics_rcode_label(query_metrics_rcode_index(x->rcode)),
		x->region >= 0 ? geo_region_name(m, x->region) : "none",
		x->pin >= 0 ? geo_pin_name(m, x->pin) : "none");
}

/* Field by field: the additional-target array and the buffer's
 * compression table are sized for the worst case and read only up to
 * their counts, so a memset of the whole context is wasted per query. */
static void
qctx_init(struct qctx *x, const struct snap *s, const struct wire_query *q,
	  const struct query_client *client, struct query_metrics *m)
{
	x->s = s;
	x->q = q;
	x->client = client;
	x->m = m;
	x->rtt = NULL;
	memset(x->count, 0, sizeof(x->count));
	x->rcode = 0;
	x->aa = 0;
	x->ecs_scope = 0;
	x->naddl = 0;
	x->addl_required = 0;
	x->region = x->pin = -1;
	x->zone = NULL;
	x->cut = x->wild = NULL;
	x->dnssec = 0;
	x->nproof = 0;
}

/* Everything between the question and OPT. */
static void
answer_sections(struct qctx *x)
{
	if (x->q->qclass == WIRE_C_IN)
		answer_in(x);
	else if (x->q->qclass == WIRE_C_CH)
		answer_chaos(x);
	else
		x->rcode = WIRE_RCODE_REFUSED;
	if (x->naddl > 0 && !x->b.overflow)
		put_additional(x);
}

/* The rate-limiting key of the answer just built (struct query_rrl),
 * read from what the builder recorded before finish() may truncate it. */
static void
rrl_classify(const struct qctx *x, const uint8_t *out, struct query_rrl *rrl)
{
	rrl->qtype = x->q->qtype;
	rrl->name = x->zone ? x->zone->origin : NULL;
	if (x->rcode == WIRE_RCODE_NXDOMAIN) {
		rrl->kind = QUERY_RRL_NXDOMAIN;
	} else if (x->rcode != WIRE_RCODE_NOERROR) {
		rrl->kind = QUERY_RRL_ERROR;
		rrl->name = NULL;
	} else if (x->count[1] > 0 && x->wild != NULL) {
		rrl->kind = QUERY_RRL_WILDCARD;
		rrl->name = x->wild->name;
	} else if (x->count[1] > 0) {
		rrl->kind = QUERY_RRL_ANSWER;
		rrl->name = out + WIRE_HDR;	/* the question as the client wrote it */
	} else if (x->cut != NULL) {
		rrl->kind = QUERY_RRL_REFERRAL;
		rrl->name = x->cut->name;
	} else {
		rrl->kind = QUERY_RRL_NODATA;
	}
}

size_t
query_answer(const struct snap *s, const struct geo_rtt_table *rtt, const uint8_t *pkt, size_t len,
	     const struct query_client *client, enum query_proto proto, uint8_t *out, size_t cap,
	     struct query_metrics *m)
{
	return query_answer_rrl(s, rtt, pkt, len, client, proto, out, cap, m, NULL);
}

size_t
query_answer_rrl(const struct snap *s, const struct geo_rtt_table *rtt, const uint8_t *pkt, size_t len,
		 const struct query_client *client, enum query_proto proto, uint8_t *out, size_t cap,
		 struct query_metrics *m, struct query_rrl *rrl)
{
	struct wire_query q;
	struct qctx x;
	int rc = wire_query_parse(pkt, len, &q);
	size_t limit;

	qctx_init(&x, s, &q, client, m);
	x.rtt = rtt;
	if (rc == WIRE_EDROP) {
		count_query(&x, proto, 1);
		return 0;
	}
	limit = proto == QUERY_UDP ? query_udp_limit(s, &q) : (cap < WIRE_MAX ? cap : WIRE_MAX);
	if (limit > cap)
		limit = cap;
	wire_buf_init(&x.b, out, limit);
	wire_put_header_question(&x.b, pkt, &q);
	if (rc == WIRE_ENOTIMP)
		wire_set_flags(&x.b, 0, WIRE_F_RD | WIRE_F_CD);	/* QR and opcode only */
	if (rc != WIRE_OK) {
		x.rcode = (unsigned)parse_rcode(rc);
		if (rrl != NULL)
			rrl_classify(&x, out, rrl);
		/* a broken OPT gets no OPT back (RFC 6891 7) */
		finish(&x, pkt, limit, rc != WIRE_EFORMERR && q.edns);
		count_query(&x, proto, 0);
		return x.b.len;
	}
	if (q.tsig || q.qtype == WIRE_T_AXFR || q.qtype == WIRE_T_IXFR)
		return QUERY_DEFER;
	x.b.cap = limit - opt_size(&x);
	answer_sections(&x);
	if (x.b.overflow && proto == QUERY_TCP)
		x.rcode = WIRE_RCODE_SERVFAIL;	/* over 64 KiB: nothing sensible fits */
	if (rrl != NULL)
		rrl_classify(&x, out, rrl);
	finish(&x, pkt, limit, 1);
	/* TC asks for a retry over TCP; over TCP there is nothing bigger to
	 * retry over, and the SERVFAIL above says it all (docs/protocol.md §5) */
	if (proto == QUERY_TCP)
		wire_set_flags(&x.b, 0, WIRE_F_TC);
	count_query(&x, proto, x.b.overflow);
	if (s->conf->log.queries)
		log_query(&x, proto);
	return x.b.overflow ? 0 : x.b.len;
}

/* --- answers prepared at load -------------------------------------------- */

/* The builder at load: a query for (name, type, IN) as a client would
 * send it, parsed into q, and x ready to answer it into buf with header
 * and question written.  pkt holds the query; -1 if it does not parse. */
static int
prepare_query(struct snap *s, const uint8_t *name, size_t len, uint16_t type, uint8_t *pkt,
	      struct wire_query *q, struct qctx *x, uint8_t *buf)
{
	static const struct query_client nobody = { .family = 4 };

	memset(pkt, 0, WIRE_HDR);
	pkt[5] = 1;	/* QDCOUNT */
	memcpy(pkt + WIRE_HDR, name, len);
	pkt[WIRE_HDR + len] = (uint8_t)(type >> 8);
	pkt[WIRE_HDR + len + 1] = (uint8_t)type;
	pkt[WIRE_HDR + len + 2] = 0;
	pkt[WIRE_HDR + len + 3] = WIRE_C_IN;
	if (wire_query_parse(pkt, WIRE_HDR + len + 4, q) != WIRE_OK)
		return -1;
	qctx_init(x, s, q, &nobody, NULL);
	wire_buf_init(&x->b, buf, WIRE_MAX);
	wire_put_header_question(&x->b, pkt, q);
	return 0;
}

/* Runs the builder on a query for (owner, type) and keeps what it wrote
 * after the question.  Geo owners answer per client and are left out; so
 * is anything over 64 KiB.  An RRset reached only through a CNAME chain
 * keeps its own query's answer: a chain is built per query, DNAME
 * substitutions included (zload refuses names below a DNAME, so no
 * prepared answer is for a name a DNAME rewrites). */
static int
prepare_rrset(struct snap *s, const struct zone_node *n, struct zone_rrset *set, uint8_t *buf)
{
	uint8_t pkt[WIRE_HDR + DNAME_MAX + 4];
	struct zone_prepared *p;
	struct wire_query q;
	struct qctx x;
	size_t len;

	if (prepare_query(s, n->name, n->namelen, set->type, pkt, &q, &x, buf) < 0)
		return 0;
	answer_sections(&x);
	len = x.b.len - q.qend;
	/* counts and rcode that do not fit the packed header are rare
	 * enough to build per query */
	if (x.b.overflow || len == 0 || x.count[1] > UINT8_MAX || x.count[2] > UINT8_MAX ||
	    x.count[3] > UINT8_MAX || x.rcode > 0x0f)
		return 0;
	/* the header goes just before the bytes, where the question was */
	p = (struct zone_prepared *)(buf + q.qend - sizeof(*p));
	p->len = (uint16_t)len;
	for (int i = 0; i < 3; i++)
		p->count[i] = (uint8_t)x.count[1 + i];
	p->bits = (uint8_t)((x.aa ? ZONE_PREPARED_AA : 0) | x.rcode);
	return zone_rrset_set_body(s->arena, set, zone_rrset_sigs(set), p, zone_rrset_records(set),
				   zone_rrset_records_len(set));
}

/* Where the compression pointers of a name at pos are; returns the
 * position past the name. */
static size_t
find_pointers(const uint8_t *p, size_t pos, struct zone_negative *neg)
{
	while (p[pos] != 0 && (p[pos] & 0xc0) != 0xc0)
		pos += 1u + p[pos];
	if (p[pos] == 0)
		return pos + 1;
	if (neg->nreloc < ZONE_NEG_RELOC)
		neg->reloc[neg->nreloc++] = (uint16_t)pos;
	return pos + 2;
}

/* The SOA record as the builder writes it after a question for the
 * origin, and where its pointers are: owner, then MNAME and RNAME. */
static int
prepare_negative(struct snap *s, struct zone *z, uint8_t *buf)
{
	uint8_t pkt[WIRE_HDR + DNAME_MAX + 4];
	struct zone_negative *neg;
	struct wire_query q;
	struct qctx x;
	size_t pos;

	if (z->soa == NULL || prepare_query(s, z->origin, z->origin_len, WIRE_T_SOA, pkt, &q, &x, buf) < 0)
		return 0;
	put_rrset(&x, 2, z->origin, z->soa, z->neg_ttl);
	if (x.b.overflow || (neg = arena_alloc(s->arena, sizeof(*neg))) == NULL)
		return x.b.overflow ? 0 : -1;
	pos = find_pointers(buf, q.qend, neg) + 10;	/* type class ttl rdlength */
	pos = find_pointers(buf, pos, neg);
	find_pointers(buf, pos, neg);
	for (unsigned i = 0; i < neg->nreloc; i++)
		neg->reloc[i] = (uint16_t)(neg->reloc[i] - q.qend);
	neg->len = (uint16_t)(x.b.len - q.qend);
	if ((neg->bytes = arena_memdup(s->arena, buf + q.qend, neg->len)) == NULL)
		return -1;
	z->neg = neg;
	return 0;
}

/* An RRset still in the loader's scratch arena (not prepared: geo
 * owners, answers too big) gets a copy of its body in the snapshot. */
static int
settle_body(struct snap *s, const struct arena *scratch, struct zone_rrset *set)
{
	if (!arena_owns(scratch, set->body))
		return 0;
	return zone_rrset_set_body(s->arena, set, zone_rrset_sigs(set), NULL, zone_rrset_records(set),
				   zone_rrset_records_len(set));
}

int
query_prepare(struct snap *s)
{
	static uint8_t buf[WIRE_MAX];	/* load time runs on one thread */

	for (size_t i = 0; i < s->zones.nzones; i++) {
		struct zone *z = s->zones.zones[i];

		if (prepare_negative(s, z, buf) < 0)
			return -1;

		for (const struct zone_node *n = zone_node_first(z); n != NULL; n = zone_node_next(z, n))
			for (uint16_t k = 0; !(n->flags & ZONE_NODE_GEO) && k < n->nrrsets; k++)
				if (prepare_rrset(s, n, &zone_node_rrsets(n)[k], buf) < 0)
					return -1;
	}
	/* every answer is prepared: no record is read from scratch after this */
	const struct arena *scratch = arena_scratch(s->arena);
	for (size_t i = 0; scratch != NULL && i < s->zones.nzones; i++) {
		struct zone *z = s->zones.zones[i];
		for (const struct zone_node *n = zone_node_first(z); n != NULL; n = zone_node_next(z, n))
			for (uint16_t k = 0; k < n->nrrsets; k++)
				if (settle_body(s, scratch, &zone_node_rrsets(n)[k]) < 0)
					return -1;
	}
	arena_scratch_free(s->arena);
	return 0;
}

/*
 * zsign.c -- see zsign.h.  Everything a signed zone answers with is made
 * here, once per load, into the snapshot's arena: the query path only
 * copies it (docs/dnssec.md §2-§5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsd/proto/wire.h"
#include "dnsd/zone/zsign.h"

#define CLOCK_SKEW 3600		/* signatures start an hour early, for validators whose clock is behind */

struct zsign {
	struct arena *a;
	struct zone *z;
	const struct dnsd_conf *conf;
	const struct dnssec_keyset *keys;
	uint32_t inception, expiration;
	struct dnsd_err *err;
	int nomem;
	/* the signatures of the set just signed */
	size_t nsig;
	struct zone_rr sig[DNSSEC_MAX_KEYS];
};

/* A geo name's endpoints of one family laid out as mask bits: region r
 * has cnt[r] of them from bit bit0[r] on, in the name's region order. */
struct geo_layout {
	const struct dnsd_conf *conf;
	const struct geo_name *gn;
	int want;			/* address family, 4 or 6 */
	int bits;
	uint8_t bit0[GEO_MAX_REGIONS];
	uint8_t cnt[GEO_MAX_REGIONS];
	/* enumeration of answer sets: masks[0..n), NULL to count only */
	uint64_t *masks;
	size_t n;
};

static void
collect_sig(const uint8_t *rdata, uint16_t len, void *arg)
{
	struct zsign *zs = arg;
	struct zone_rr *rr = &zs->sig[zs->nsig];

	if (zs->nsig >= DNSSEC_MAX_KEYS)
		return;
	memset(rr, 0, sizeof(*rr));
	if ((rr->rdata = arena_memdup(zs->a, rdata, len)) == NULL) {
		zs->nomem = 1;
		return;
	}
	rr->rdlen = len;
	zs->nsig++;
}

/* Signs n records of (owner, type, ttl) into zs->sig.  No signature at
 * all is an error: every key given is then only published. */
static int
sign_records(struct zsign *zs, const uint8_t *owner, size_t owner_len, uint16_t type, uint32_t ttl,
	     const uint8_t *const *rdata, const uint16_t *rdlen, size_t n)
{
	struct dnssec_rrset rs = { owner, owner_len, type, ttl, n, rdata, rdlen };
	struct dnssec_error e = { .key = -1, .msg = "" };
	char name[DNAME_MAX * 4 + 2];

	zs->nsig = 0;
	if (dnssec_sign(zs->keys, &rs, zs->inception, zs->expiration, collect_sig, zs, &e) > 0 && !zs->nomem)
		return 0;
	dname_to_text(owner, name, sizeof(name));
	dnsd_err_add(zs->err, "%s: cannot sign %s type %u: %s", zs->z->file, name, type,
		     zs->nomem ? "out of memory" : e.msg[0] ? e.msg : "no key signs it (all only published?)");
	return -1;
}

static const struct zone_sigs *
keep_sigs(struct zsign *zs)
{
	struct zone_sigs *s = arena_alloc(zs->a, sizeof(*s) + zs->nsig * sizeof(s->rr[0]));

	if (s == NULL)
		return NULL;
	s->count = (uint16_t)zs->nsig;
	memcpy(s->rr, zs->sig, zs->nsig * sizeof(s->rr[0]));
	return s;
}

static int
sign_rrset(struct zsign *zs, const struct zone_node *n, struct zone_rrset *set)
{
	const uint8_t **rdata = malloc(set->count * sizeof(*rdata));
	uint16_t *rdlen = malloc(set->count * sizeof(*rdlen));
	int rc = -1;

	if (rdata != NULL && rdlen != NULL) {
		struct zone_rr_iter it;
		struct zone_rr rr;
		zone_rr_first(set, &it);
		for (uint16_t i = 0; zone_rr_next(&it, &rr); i++) {
			rdata[i] = rr.rdata;
			rdlen[i] = rr.rdlen;
		}
		const struct zone_sigs *sigs;
		/* the body stays in the arena it came from: the loader's
		 * scratch one until answers are prepared, else the snapshot's */
		struct arena *to = arena_owns(arena_scratch(zs->a), set->body) ? arena_scratch(zs->a) : zs->a;
		if (sign_records(zs, n->name, n->namelen, set->type, set->ttl, rdata, rdlen, set->count) == 0 &&
		    (sigs = keep_sigs(zs)) != NULL &&
		    zone_rrset_set_body(to, set, sigs, zone_rrset_prepared(set), zone_rrset_records(set),
					zone_rrset_records_len(set)) == 0)
			rc = 0;
	}
	free(rdata);
	free(rdlen);
	return rc;
}

/* Adds set to n's RRsets, which stay sorted by type, in one of the slots
 * the loader kept spare (zload.c, spare_rrsets): pointers to the sets
 * after it (zone.soa) must be taken again. */
static int
add_rrset(struct zsign *zs, struct zone_node *n, const struct zone_rrset *set)
{
	struct zone_rrset *v = zone_node_rrsets(n);
	uint16_t at = 0;

	(void)zs;
	if (n->spare == 0)
		return -1;
	while (at < n->nrrsets && v[at].type < set->type)
		at++;
	memmove(v + at + 1, v + at, (n->nrrsets - at) * sizeof(*v));
	v[at] = *set;
	n->nrrsets++;
	n->spare--;
	return 0;
}

/* Data here is ours to sign: not below a zone cut (glue, occluded). */
static int
authoritative(const struct zone_node *n)
{
	return !(n->flags & ZONE_NODE_BELOW_CUT);
}

/* At a cut only the parent side's own data, DS and NSEC, is signed. */
static int
signed_here(const struct zone_node *n, uint16_t type)
{
	return !(n->flags & ZONE_NODE_DELEG) || type == DNSSEC_TYPE_DS || type == DNSSEC_TYPE_NSEC;
}

static int
add_dnskey(struct zsign *zs)
{
	size_t n = dnssec_keyset_count(zs->keys);
	struct zone_rrset set = { .type = DNSSEC_TYPE_DNSKEY, .count = (uint16_t)n, .ttl = zs->z->soa->ttl };
	struct zone_rr rr[DNSSEC_MAX_KEYS];

	if (n > DNSSEC_MAX_KEYS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *rd = dnssec_key_rdata(zs->keys, i, &rr[i].rdlen);
		rr[i].rdata = rd;	/* copied by the packing below */
	}
	if (zone_rrset_pack(zs->a, &set, rr, n) < 0)
		return -1;
	return add_rrset(zs, zs->z->apex, &set);
}

/* --- geo names -------------------------------------------------------- */

static const char *
geo_lay_out(struct geo_layout *l, const struct dnsd_conf *conf, const struct geo_name *gn, int fam)
{
	memset(l, 0, sizeof(*l));
	l->conf = conf;
	l->gn = gn;
	l->want = fam == GEO_FAM_A ? 4 : 6;
	for (int i = 0; i < gn->nregions; i++) {
		int r = gn->regions[i];
		const struct conf_region *reg = &conf->regions[r];
		int c = 0;
		for (size_t e = 0; e < reg->nendpoints; e++)
			c += reg->endpoints[e].family == l->want;
		if (c > ZSIGN_GEO_ENDPOINTS_MAX)
			return "a region has more endpoints of the family than a signed geo name allows (16)";
		if (l->bits + c > 64)
			return "the regions have more than 64 endpoints of the family";
		l->bit0[r] = (uint8_t)l->bits;
		l->cnt[r] = (uint8_t)c;
		l->bits += c;
	}
	return NULL;
}

/* Every endpoint set an answer can hold: for up to max_regions of the
 * name's regions, a non-empty subset of each one's endpoints (up ones,
 * all of them for serve-all, all but the forced-down ones for a region
 * forced up).  Distinct region choices give distinct masks, since the
 * regions' bits do not overlap.  -1 past ZSIGN_GEO_VARIANTS_MAX. */
static int
geo_enumerate(struct geo_layout *l, int from, int left, uint64_t acc)
{
	for (int i = from; i < l->gn->nregions; i++) {
		int r = l->gn->regions[i];
		for (uint64_t sub = 1; l->cnt[r] > 0 && sub < (1ull << l->cnt[r]); sub++) {
			uint64_t m = acc | sub << l->bit0[r];
			if (l->n >= ZSIGN_GEO_VARIANTS_MAX)
				return -1;
			if (l->masks != NULL)
				l->masks[l->n] = m;
			l->n++;
			if (left > 1 && geo_enumerate(l, i + 1, left - 1, m) < 0)
				return -1;
		}
	}
	return 0;
}

const char *
zsign_geo_check(const struct dnsd_conf *conf, const struct geo_name *gn, int fam, char *why, size_t cap)
{
	struct geo_layout l;
	const char *bad = geo_lay_out(&l, conf, gn, fam);

	if (bad != NULL)
		return bad;
	if (geo_enumerate(&l, 0, gn->max_regions, 0) < 0) {
		snprintf(why, cap, "its %s answers would need more than %d signed sets; lower max_regions or "
			 "the endpoints per region (docs/dnssec.md §3)", fam == GEO_FAM_A ? "A" : "AAAA",
			 ZSIGN_GEO_VARIANTS_MAX);
		return why;
	}
	return NULL;
}

/* The endpoints of mask as rdata, in the name's order. */
static size_t
geo_records(const struct geo_layout *l, uint64_t mask, const uint8_t **rdata, uint16_t *rdlen)
{
	size_t n = 0;

	for (int i = 0; i < l->gn->nregions; i++) {
		int r = l->gn->regions[i], k = 0;
		const struct conf_region *reg = &l->conf->regions[r];
		for (size_t e = 0; e < reg->nendpoints; e++) {
			if (reg->endpoints[e].family != l->want)
				continue;
			if (mask & 1ull << (l->bit0[r] + k++)) {
				rdata[n] = reg->endpoints[e].addr;
				rdlen[n++] = l->want == 4 ? 4 : 16;
			}
		}
	}
	return n;
}

static int
cmp_geo_sig(const void *a, const void *b)
{
	const struct zone_geo_sig *x = a, *y = b;

	return x->mask < y->mask ? -1 : x->mask > y->mask;
}

static int
sign_geo_family(struct zsign *zs, const struct zone_node *n, struct zone_geo *g, int fam)
{
	const uint8_t *rdata[64];
	uint16_t rdlen[64];
	struct geo_layout l;
	struct zone_geo_sig *sigs;
	size_t nsigs = 0;

	if (geo_lay_out(&l, zs->conf, &g->gn, fam) != NULL || l.bits == 0)
		return 0;	/* zload checked the layout; no endpoint of the family: nothing to sign */
	for (int r = 0; r < GEO_MAX_REGIONS; r++)
		g->bit0[fam][r] = l.bit0[r];
	if ((l.masks = malloc(ZSIGN_GEO_VARIANTS_MAX * sizeof(*l.masks))) == NULL)
		return -1;
	geo_enumerate(&l, 0, g->gn.max_regions, 0);
	/* sized for every key signing every set, kept at the size used */
	sigs = malloc(l.n * DNSSEC_MAX_KEYS * sizeof(*sigs));
	for (size_t i = 0; sigs != NULL && i < l.n; i++) {
		size_t c = geo_records(&l, l.masks[i], rdata, rdlen);
		if (sign_records(zs, n->name, n->namelen, fam == GEO_FAM_A ? WIRE_T_A : WIRE_T_AAAA, g->ttl,
				 rdata, rdlen, c) < 0)
			break;
		for (size_t k = 0; k < zs->nsig; k++, nsigs++) {
			sigs[nsigs].mask = l.masks[i];
			sigs[nsigs].rr = zs->sig[k];
		}
	}
	free(l.masks);
	if (sigs != NULL && nsigs == l.n * zs->nsig) {
		qsort(sigs, nsigs, sizeof(*sigs), cmp_geo_sig);
		struct zone_geo_sig *kept = arena_alloc(zs->a, nsigs * sizeof(*sigs));	/* aligned: read as structs */
		if (kept != NULL)
			memcpy(kept, sigs, nsigs * sizeof(*sigs));
		g->sigs[fam] = kept;
		g->nsigs[fam] = (uint32_t)nsigs;
	}
	free(sigs);
	return g->sigs[fam] != NULL ? 0 : -1;
}

/* Families any client can get from the name: bit f set when a region
 * has an endpoint of family f. */
static int
geo_families(const struct dnsd_conf *conf, const struct geo_name *gn)
{
	int fams = 0;

	for (int i = 0; i < gn->nregions; i++) {
		const struct conf_region *reg = &conf->regions[gn->regions[i]];
		for (size_t e = 0; e < reg->nendpoints; e++)
			fams |= reg->endpoints[e].family == 4 ? 1 << GEO_FAM_A : 1 << GEO_FAM_AAAA;
	}
	return fams;
}

/* Families a transfer's view of the name carries (docs/transfer.md §3). */
static int
xfr_families(const struct dnsd_conf *conf, const struct zone_geo *g)
{
	struct geo_name view = g->gn;

	if (g->xfr_exclude)
		return 0;
	view.nregions = g->nxfr;
	memcpy(view.regions, g->xfr, g->nxfr);
	return geo_families(conf, &view);
}

static int
sign_xfr_view(struct zsign *zs, const struct zone_node *n, struct zone_geo *g)
{
	const uint8_t *rdata[GEO_MAX_REGIONS * ZSIGN_GEO_ENDPOINTS_MAX];
	uint16_t rdlen[GEO_MAX_REGIONS * ZSIGN_GEO_ENDPOINTS_MAX];

	for (int fam = 0; fam < 2 && !g->xfr_exclude; fam++) {
		int want = fam == GEO_FAM_A ? 4 : 6;
		size_t c = 0;
		for (int k = 0; k < g->nxfr; k++) {
			const struct conf_region *reg = &zs->conf->regions[g->xfr[k]];
			for (size_t e = 0; e < reg->nendpoints; e++)
				if (reg->endpoints[e].family == want) {
					rdata[c] = reg->endpoints[e].addr;
					rdlen[c++] = want == 4 ? 4 : 16;
				}
		}
		if (c == 0)
			continue;
		if (sign_records(zs, n->name, n->namelen, want == 4 ? WIRE_T_A : WIRE_T_AAAA, g->ttl, rdata, rdlen,
				 c) < 0 || (g->xfr_sigs[fam] = keep_sigs(zs)) == NULL)
			return -1;
	}
	return 0;
}

/* --- the NSEC chain --------------------------------------------------- */

/* An NSEC at n naming next, listing n's signed types and the geo
 * families fams (docs/dnssec.md §4), with TTL ttl; signed. */
static struct zone_rrset *
make_nsec(struct zsign *zs, const struct zone_node *n, const struct zone_node *next, int fams, uint32_t ttl)
{
	uint16_t *types = malloc(((size_t)n->nrrsets + 4) * sizeof(*types));
	static uint8_t bitmap[DNSSEC_BITMAP_MAX];	/* load runs on one thread */
	struct zone_rrset *set = arena_alloc(zs->a, sizeof(*set));
	uint8_t rd[DNAME_MAX + DNSSEC_BITMAP_MAX];
	struct zone_rr rr = { .rdata = rd };
	size_t k = 0, blen;

	if (types == NULL || set == NULL) {
		free(types);
		return NULL;
	}
	const struct zone_rrset *sets = zone_node_rrsets(n);

	for (uint16_t i = 0; i < n->nrrsets; i++)
		if (signed_here(n, sets[i].type) || sets[i].type == WIRE_T_NS)
			types[k++] = sets[i].type;
	if (fams & 1 << GEO_FAM_A)
		types[k++] = WIRE_T_A;
	if (fams & 1 << GEO_FAM_AAAA)
		types[k++] = WIRE_T_AAAA;
	types[k++] = DNSSEC_TYPE_RRSIG;
	types[k++] = DNSSEC_TYPE_NSEC;
	blen = dnssec_type_bitmap(types, k, bitmap);
	free(types);
	memcpy(rd, next->name, next->namelen);
	memcpy(rd + next->namelen, bitmap, blen);
	rr.rdlen = (uint16_t)(next->namelen + blen);
	set->type = DNSSEC_TYPE_NSEC;
	set->ttl = ttl;
	if (zone_rrset_pack(zs->a, set, &rr, 1) < 0)
		return NULL;
	return sign_rrset(zs, n, set) < 0 ? NULL : set;
}

static int
cmp_canonical(const void *a, const void *b)
{
	const struct zone_node *x = *(const struct zone_node *const *)a;
	const struct zone_node *y = *(const struct zone_node *const *)b;

	return dname_canonical_cmp(x->name, y->name);
}

/* Authoritative owners with data, in canonical order: empty
 * non-terminals have no NSEC of their own (RFC 4035 2.3). */
static struct zone_node **
build_chain(struct zsign *zs, size_t *count)
{
	struct zone *z = zs->z;
	struct zone_node **chain = arena_alloc(zs->a, (z->nnodes + 1) * sizeof(*chain));
	size_t n = 0;

	if (chain == NULL)
		return NULL;
	for (const struct zone_node *node = zone_node_first(z); node != NULL; node = zone_node_next(z, node))
		if (authoritative(node) && (node->nrrsets > 0 || zone_node_geo(node) != NULL))
			chain[n++] = (struct zone_node *)node;	/* the loader's own: signing fills it */
	qsort(chain, n, sizeof(*chain), cmp_canonical);
	*count = n;
	return chain;
}

static int
sign_node(struct zsign *zs, struct zone_node *n)
{
	struct zone_rrset *sets = zone_node_rrsets(n);

	for (uint16_t i = 0; i < n->nrrsets; i++)
		if (zone_rrset_sigs(&sets[i]) == NULL && signed_here(n, sets[i].type) && sign_rrset(zs, n, &sets[i]) < 0)
			return -1;
	return 0;
}

static int
sign_geo_node(struct zsign *zs, struct zone_node *n, const struct zone_node *next)
{
	struct zone_geo *g = (struct zone_geo *)zone_node_geo(n);	/* the loader's own */
	int fams = geo_families(zs->conf, &g->gn), view;

	for (int fam = 0; fam < 2; fam++) {
		if (sign_geo_family(zs, n, g, fam) < 0)
			return -1;
		if ((fams & 1 << fam) && (g->nodata_nsec[fam] = make_nsec(zs, n, next, fams & ~(1 << fam), 0)) == NULL)
			return -1;
	}
	if (zs->z->transfer == NULL)
		return 0;
	if (sign_xfr_view(zs, n, g) < 0)
		return -1;
	/* a view without a family the NSEC lists would be answered NODATA by
	 * a secondary that holds an NSEC saying otherwise */
	view = xfr_families(zs->conf, g);
	if (view != fams && (g->xfr_nsec = make_nsec(zs, n, next, view, 0)) == NULL)
		return -1;
	return 0;
}

static char *
ds_text(struct arena *a, const struct dnssec_keyset *ks)
{
	char *buf = NULL, *kept = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	dnssec_print_ds(ks, f);
	if (fclose(f) == 0)
		kept = arena_strdup(a, buf);
	free(buf);
	return kept;
}

/* docs/dnssec.md §5: a serial that moves with each signing, so that
 * secondaries transfer fresh signatures.  The SOA rdata is the
 * snapshot's own copy: its serial follows MNAME and RNAME. */
static void
serial_to(struct zone *z, uint32_t serial)
{
	uint8_t *rd = (uint8_t *)zone_rrset_rdata0(z->soa);
	size_t off = dname_len(rd);

	off += dname_len(rd + off);
	if (off + 4 > wire_get16(zone_rrset_records(z->soa) + ZONE_RR_HDR - 2) || (int32_t)(serial - z->serial) <= 0)
		return;
	rd[off] = (uint8_t)(serial >> 24);
	rd[off + 1] = (uint8_t)(serial >> 16);
	rd[off + 2] = (uint8_t)(serial >> 8);
	rd[off + 3] = (uint8_t)serial;
	z->serial = serial;
}

int
zsign_zone(struct arena *a, struct zone *z, const struct dnsd_conf *conf, const struct zsign_cfg *cfg,
	   time_t now, struct dnsd_err *err)
{
	struct zsign zs = { .a = a, .z = z, .conf = conf, .keys = cfg->keys, .err = err };
	struct zone_dnssec *d = arena_alloc(a, sizeof(*d));
	struct zone_node **chain;
	size_t n;

	zs.inception = (uint32_t)(now - CLOCK_SKEW);
	zs.expiration = (uint32_t)(now + cfg->validity);
	if (cfg->serial_unixtime && z->soa != NULL)
		serial_to(z, (uint32_t)now);
	if (d == NULL || z->soa == NULL || add_dnskey(&zs) < 0 || (chain = build_chain(&zs, &n)) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		const struct zone_node *next = chain[(i + 1) % n];
		const struct zone_geo *g = zone_node_geo(chain[i]);
		int fams = g != NULL ? geo_families(conf, &g->gn) : 0;
		const struct zone_rrset *nsec = make_nsec(&zs, chain[i], next, fams, z->neg_ttl);
		if (nsec == NULL || add_rrset(&zs, chain[i], nsec) < 0 || sign_node(&zs, chain[i]) < 0 ||
		    (g != NULL && sign_geo_node(&zs, chain[i], next) < 0))
			goto fail;
	}
	d->validity = cfg->validity;
	d->refresh = cfg->refresh;
	d->inception = zs.inception;
	d->expiration = zs.expiration;
	d->chain = (const struct zone_node **)chain;
	d->nchain = n;
	if ((d->ds = ds_text(a, cfg->keys)) == NULL)
		goto nomem;
	z->soa = zone_rrset_get(z->apex, WIRE_T_SOA);	/* add_rrset moved the apex's RRsets */
	z->dnssec = d;
	return 0;
nomem:
	zs.nomem = 1;
fail:
	if (zs.nomem || err->count == 0)
		dnsd_err_add(err, "%s: out of memory while signing", z->file);
	return -1;
}

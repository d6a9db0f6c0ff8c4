/*
 * zone.c -- name lookups in a loaded zone set.  Runs on workers: reads a
 * published snapshot, never allocates, never writes.
 */
#include <string.h>

#include "dnsd/proto/wire.h"
#include "dnsd/util/arena.h"
#include "dnsd/zone/zone.h"

const struct zone *
zone_set_find(const struct zone_set *zs, const uint8_t *qname, size_t len)
{
	const uint8_t *s = qname;

	if (zs->nbuckets == 0)
		return NULL;
	/* longest suffix first: a child zone wins over its parent; suffixes
	 * longer than every origin need no hashing */
	while (len - (size_t)(s - qname) > zs->max_origin_len)
		s += *s + 1;
	for (;;) {
		size_t slen = len - (size_t)(s - qname);
		uint32_t h = dname_hash(s, slen) & (zs->nbuckets - 1);
		for (const struct zone *z = zs->buckets[h]; z != NULL; z = z->hnext)
			if (z->origin_len == slen && memcmp(z->origin, s, slen) == 0)
				return z;
		if (*s == 0)
			return NULL;
		s += *s + 1;
	}
}

const struct zone_node *
zone_node_find(const struct zone *z, const uint8_t *name, size_t len)
{
	uint32_t h = dname_hash(name, len) & (z->nbuckets - 1);
	const struct zone_node *n;

	/* offsets count from 1 so that 0 ends a chain */
	for (uint32_t at = z->buckets[h]; at != 0; at = n->hnext) {
		n = (const struct zone_node *)(z->nodes + (size_t)(at - 1) * ZONE_NODE_UNIT);
		if (n->namelen == len && memcmp(n->name, name, len) == 0)
			return n;
	}
	return NULL;
}

void
zone_lookup(const struct zone *z, const uint8_t *name, size_t len, struct zone_lookup *out)
{
	const uint8_t *s = name;
	const struct zone_node *n;

	out->node = out->encloser = out->cut = out->dname = NULL;
	/* strip labels until a node exists; every ancestor of a node exists
	 * (zload adds empty non-terminals), so the first hit is the closest
	 * encloser and its cut pointer covers the whole path */
	while ((n = zone_node_find(z, s, len - (size_t)(s - name))) == NULL) {
		if (len - (size_t)(s - name) <= z->origin_len)
			return;	/* not in this zone: cannot happen after zone_set_find */
		s += *s + 1;
	}
	if (s == name)
		out->node = n;
	else
		out->encloser = n;
	out->cut = (n->flags & (ZONE_NODE_DELEG | ZONE_NODE_BELOW_CUT)) ? zone_node_cut(z, n) : NULL;
	/* a DNAME rewrites names below its owner, never the owner itself;
	 * zload refuses names below a DNAME, so only an encloser can hold it */
	if (s != name && (n->flags & ZONE_NODE_DNAME))
		out->dname = n;
	if (out->cut != NULL && out->dname != NULL) {
		if (out->cut->namelen <= out->dname->namelen)
			out->dname = NULL;
		else
			out->cut = NULL;
	}
}

const struct zone_node *
zone_node_wildcard(const struct zone *z, const struct zone_node *n)
{
	uint8_t name[DNAME_MAX];

	if (!(n->flags & ZONE_NODE_HAS_WILD) || n->namelen + 2u > DNAME_MAX)
		return NULL;
	name[0] = 1;
	name[1] = '*';
	memcpy(name + 2, n->name, n->namelen);
	return zone_node_find(z, name, n->namelen + 2u);
}

const struct zone_node *
zone_node_cut(const struct zone *z, const struct zone_node *n)
{
	const struct zone_node *cut = (n->flags & ZONE_NODE_DELEG) ? n : NULL, *a;
	const uint8_t *p = n->name;
	size_t len = n->namelen;

	if (!(n->flags & ZONE_NODE_BELOW_CUT))
		return cut;
	/* glue and occluded data: every ancestor exists, the topmost
	 * delegation among them wins */
	while (len > z->origin_len) {
		len -= (size_t)*p + 1;
		p += *p + 1;
		if ((a = zone_node_find(z, p, len)) != NULL && (a->flags & ZONE_NODE_DELEG))
			cut = a;
	}
	return cut;
}

const struct zone_rrset *
zone_rrset_get(const struct zone_node *n, uint16_t type)
{
	const struct zone_rrset *sets = zone_node_rrsets(n);

	for (uint16_t i = 0; i < n->nrrsets; i++)
		if (sets[i].type == type)
			return &sets[i];
	return NULL;
}

const struct zone_node *
zone_nsec_find(const struct zone_dnssec *d, const uint8_t *name)
{
	size_t lo = 0, hi = d->nchain;

	/* the chain starts at the apex, which sorts before every name of the
	 * zone: the answer is the last owner not after name */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (dname_canonical_cmp(d->chain[mid]->name, name) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return d->chain[lo];
}

/* --- records --------------------------------------------------------- */

/* Length of the uncompressed name at p if it ends within max bytes, else
 * 0: rdata given as RFC 3597 hex need not hold the names its type has. */
static size_t
name_len_within(const uint8_t *p, size_t max)
{
	size_t n = 0;

	while (n < max && p[n] != 0) {
		if (p[n] > 63)
			return 0;
		n += (size_t)p[n] + 1;
	}
	return n < max ? n + 1 : 0;
}

void
zone_rr_names(uint16_t type, struct zone_rr *rr)
{
	size_t first;

	rr->ncomp = 0;
	switch (type) {
	case WIRE_T_NS: case WIRE_T_CNAME: case WIRE_T_PTR: case WIRE_T_SOA:
		if ((first = name_len_within(rr->rdata, rr->rdlen)) == 0)
			return;
		rr->comp_off[rr->ncomp++] = 0;
		if (type == WIRE_T_SOA && name_len_within(rr->rdata + first, rr->rdlen - first) != 0)
			rr->comp_off[rr->ncomp++] = (uint16_t)first;
		return;
	case WIRE_T_MX:
		if (rr->rdlen > 2 && name_len_within(rr->rdata + 2, rr->rdlen - 2u) != 0)
			rr->comp_off[rr->ncomp++] = 2;
		return;
	default:
		return;
	}
}

/* Skips n character-strings from off; -1 past the end. */
static int
skip_strings(const uint8_t *rdata, uint16_t rdlen, int off, int n)
{
	while (n-- > 0) {
		if (off >= rdlen)
			return -1;
		off += 1 + rdata[off];
	}
	return off;
}

int
zone_rr_target(uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	int off;

	switch (type) {
	case WIRE_T_NS: off = 0; break;
	case WIRE_T_MX: off = 2; break;
	case WIRE_T_SRV: off = 6; break;
	case WIRE_T_SVCB: case WIRE_T_HTTPS: off = 2; break;	/* TargetName (RFC 9460 2.2) */
	case WIRE_T_NAPTR: off = skip_strings(rdata, rdlen, 4, 3); break;	/* replacement (RFC 3403 4.1) */
	default: return -1;
	}
	if (off < 0 || off >= rdlen || name_len_within(rdata + off, (size_t)(rdlen - off)) == 0)
		return -1;
	return off;
}

static void
put_be(uint8_t *p, uint32_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int
zone_rrset_pack(struct arena *a, struct zone_rrset *set, const struct zone_rr *rr, size_t n)
{
	size_t len = 1;
	uint8_t *p;

	for (size_t i = 0; i < n; i++)
		len += ZONE_RR_HDR + rr[i].rdlen;
	if ((p = arena_bytes(a, len)) == NULL)
		return -1;
	set->body = p++;	/* flags 0: records only */
	set->count = (uint16_t)n;
	for (size_t i = 0; i < n; i++) {
		p[0] = 0xc0;
		p[1] = WIRE_HDR;
		put_be(p + 2, set->type, 2);
		put_be(p + 4, WIRE_C_IN, 2);
		put_be(p + 6, set->ttl, 4);
		put_be(p + 10, rr[i].rdlen, 2);
		memcpy(p + ZONE_RR_HDR, rr[i].rdata, rr[i].rdlen);
		p += ZONE_RR_HDR + rr[i].rdlen;
	}
	return 0;
}

size_t
zone_rrset_records_len(const struct zone_rrset *set)
{
	struct zone_rr_iter it;
	struct zone_rr rr;
	size_t len = 0;

	zone_rr_first(set, &it);
	while (zone_rr_next(&it, &rr))
		len += ZONE_RR_HDR + rr.rdlen;
	return len;
}

int
zone_rrset_set_body(struct arena *a, struct zone_rrset *set, const struct zone_sigs *sigs,
		    const struct zone_prepared *prep, const uint8_t *records, size_t reclen)
{
	size_t plen = prep != NULL ? sizeof(*prep) + prep->len : 0;
	int inside = prep != NULL && reclen > 0 && prep->len >= reclen && memcmp(prep->bytes, records, reclen) == 0;
	size_t len = 1 + (sigs != NULL ? sizeof(sigs) : 0) + plen + (inside ? 0 : reclen);
	uint8_t *body = arena_bytes(a, len), *p = body;

	if (body == NULL)
		return -1;
	*p++ = (uint8_t)((sigs != NULL ? ZONE_SET_SIGS : 0) | (prep != NULL ? ZONE_SET_PREPARED : 0) |
			 (inside ? ZONE_SET_RECORDS_IN_PREPARED : 0));
	if (sigs != NULL) {
		memcpy(p, &sigs, sizeof(sigs));
		p += sizeof(sigs);
	}
	if (prep != NULL) {
		memcpy(p, prep, plen);
		p += plen;
	}
	if (!inside && reclen > 0)
		memcpy(p, records, reclen);
	set->body = body;
	return 0;
}

const struct zone_node *
zone_target_node(const struct zone *z, uint16_t type, const uint8_t *owner, const struct zone_rr *rr)
{
	uint8_t t[DNAME_MAX];
	int off = zone_rr_target(type, rr->rdata, rr->rdlen);
	size_t len;

	if (off < 0)
		return NULL;
	len = dname_len(rr->rdata + off);
	memcpy(t, rr->rdata + off, len);
	if (*t == 0) {
		/* "." in ServiceMode (priority above 0) is the owner itself,
		 * in AliasMode no service at all (RFC 9460 2.5) */
		if ((type != WIRE_T_SVCB && type != WIRE_T_HTTPS) || wire_get16(rr->rdata) == 0)
			return NULL;
		len = dname_len(owner);
		memcpy(t, owner, len);
	}
	dname_lower(t);
	if (!dname_is_under(t, z->origin))
		return NULL;
	return zone_node_find(z, t, len);
}

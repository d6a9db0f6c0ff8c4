/*
 * zone.c -- name lookups in a loaded zone set.  Runs on workers: reads a
 * published snapshot, never allocates, never writes.
 */
#include <string.h>

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

	for (const struct zone_node *n = z->buckets[h]; n != NULL; n = n->hnext)
		if (n->namelen == len && memcmp(n->name, name, len) == 0)
			return n;
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
	out->cut = n->cut;
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

const struct zone_rrset *
zone_rrset_get(const struct zone_node *n, uint16_t type)
{
	for (uint16_t i = 0; i < n->nrrsets; i++)
		if (n->rrsets[i].type == type)
			return &n->rrsets[i];
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
